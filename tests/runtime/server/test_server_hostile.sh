#!/usr/bin/env bash
# Hostile clients (issue 18): idle, half-sent and trickling connections do
# not stop a healthy client being answered, however few request threads
# there are (connections hold none); bodies over --max-body-bytes are
# refused with 413 without being read whole, and what is left of them is
# never taken for a request; too many header bytes get 431, a long URI 414,
# a malformed header 400. No timings are asserted (bench/hostile.sh measures
# them): a health check only has to be answered within 10 s, where a held
# thread pool never answers.
source "$(dirname "$0")/lib.sh"
client="$(dirname "$0")/hostile_client.py"

train_tiny "$WORK/model"
start_server "$WORK/server.log" --model-dir "$WORK/model" --max-body-bytes 20000 --http-threads 2

too_large='{"error":"request body too large (the limit is 20000 bytes; see --max-body-bytes)"}'
# raw NAME: sends $WORK/NAME.req on one connection; the answer is in $WORK/NAME.out.
raw() { python3 "$client" "$PORT" raw "$WORK/$1.req" >"$WORK/$1.out"; }
crlf() { printf '%s\r\n' "$@"; }

# A 1 GiB Content-Length, a little of it sent: 413 at once, then the connection closes.
{ crlf 'POST /v2/models/model/infer HTTP/1.1' 'Host: kf' 'Content-Length: 1073741824' ''; head -c 5000 /dev/zero; } >"$WORK/gib.req"
raw gib
expect_contains "$WORK/gib.out" "HTTP/1.1 413 Content Too Large"
expect_contains "$WORK/gib.out" "Connection: close"
expect_contains "$WORK/gib.out" "$too_large"
grep -q "still open" "$WORK/gib.out" && die "the connection stayed open after 413"

# Expect: 100-continue: refused before the body is sent.
crlf 'POST /v2/models/model/infer HTTP/1.1' 'Host: kf' 'Content-Length: 1073741824' 'Expect: 100-continue' '' >"$WORK/expect.req"
raw expect
expect_contains "$WORK/expect.out" "HTTP/1.1 413 Content Too Large"
expect_contains "$WORK/expect.out" "Content-Length: ${#too_large}"
grep -q "100 Continue\|still open" "$WORK/expect.out" && die "a 1 GiB body was invited: $(cat "$WORK/expect.out")"

# Over the limit by less than 1 MiB, with a request hidden in the body: the
# body is read and dropped, never parsed as a request.
{ crlf 'POST /v2/models/model/infer HTTP/1.1' 'Host: kf' 'Content-Length: 30042' ''
  crlf 'GET /v2/health/live HTTP/1.1' 'Host: kf' ''; head -c 30000 /dev/zero | tr '\0' x; } >"$WORK/smuggle.req"
raw smuggle
expect_contains "$WORK/smuggle.out" "$too_large"
grep -q '"live"' "$WORK/smuggle.out" && die "part of a refused body was served as a request"

# A chunked body past the limit: read to its end (under 1 MiB more) and dropped.
{ crlf 'POST /v2/models/model/infer HTTP/1.1' 'Host: kf' 'Transfer-Encoding: chunked' ''
  for i in $(seq 40); do crlf 1000; head -c 4096 /dev/zero | tr '\0' x; crlf ''; done; crlf 0 ''; } >"$WORK/chunked.req"
raw chunked
expect_contains "$WORK/chunked.out" "$too_large"
# One that goes on past that: cut off unanswered (libmicrohttpd takes no response mid-body).
{ crlf 'POST /v2/models/model/infer HTTP/1.1' 'Host: kf' 'Transfer-Encoding: chunked' ''
  for i in $(seq 400); do crlf 1000; head -c 4096 /dev/zero | tr '\0' x; crlf ''; done; crlf 0 ''; } >"$WORK/endless.req"
raw endless
grep -q "^HTTP/1.1\|still open" "$WORK/endless.out" && die "a 1.6 MB chunked body was answered or left open: $(head -c 300 "$WORK/endless.out")"

# Header lines past 64 KiB in all: 431.
{ crlf 'GET /v2/health/ready HTTP/1.1' 'Host: kf'
  for i in $(seq 700); do crlf "X-Filler-$i: $(printf '%0100d' 0)"; done; crlf ''; } >"$WORK/headers.req"
raw headers
expect_contains "$WORK/headers.out" "HTTP/1.1 431 Request Header Fields Too Large"
expect_contains "$WORK/headers.out" '{"error":"request headers too large (over 64 KiB in all)"}'

# One long header line is fine while the headers stay under 64 KiB in all.
{ crlf 'GET /v2/health/ready HTTP/1.1' 'Host: kf' "X-Long: $(printf '%020000d' 0)" 'Connection: close' ''; } >"$WORK/line.req"
raw line
expect_contains "$WORK/line.out" '{"ready":true}'

# Past what a connection may hold (libmicrohttpd's own answers; counted but
# for the 414, which comes before libmicrohttpd reports a request at all):
# 300 KB of headers, a 300 KB URI, a header line that is not "name: value".
{ crlf 'GET /v2/health/ready HTTP/1.1' 'Host: kf' "X-Huge: $(printf '%0300000d' 0)" ''; } >"$WORK/huge.req"
raw huge
expect_contains "$WORK/huge.out" "HTTP/1.1 431 Request Header Fields Too Large"
expect_contains "$WORK/huge.out" "Connection: close"
{ crlf "GET /$(printf '%0300000d' 0) HTTP/1.1" 'Host: kf' ''; } >"$WORK/uri.req"
raw uri
expect_contains "$WORK/uri.out" "HTTP/1.1 414 URI Too Long"
crlf 'GET /v2/health/ready HTTP/1.1' 'Host: kf' 'no colon here' '' >"$WORK/malformed.req"
raw malformed
expect_contains "$WORK/malformed.out" "HTTP/1.1 400 Bad Request"
for f in huge uri malformed; do grep -q "still open" "$WORK/$f.out" && die "$f: the connection stayed open"; done

# Every refusal counted once; nothing left over was read as a (malformed) request.
[ "$(metric 'kf_server_requests_total{endpoint="transport",code="413"}')" = 5 ] || die "413s: $(curl -s "$URL/metrics" | grep transport)"
[ "$(metric 'kf_server_requests_total{endpoint="transport",code="431"}')" = 2 ] || die "431s: $(curl -s "$URL/metrics" | grep transport)"
[ "$(metric 'kf_server_requests_total{endpoint="transport",code="400"}')" = 1 ] || die "400s: $(curl -s "$URL/metrics" | grep transport)"
for f in gib expect smuggle chunked; do # nothing left over was read as a request
  [ "$(grep -c '^HTTP/1.1 ' "$WORK/$f.out")" = 1 ] || die "$f: not exactly one response: $(cat "$WORK/$f.out")"
done

# --- 300 held connections, 2 request threads (a thread per connection stopped answering at 64)
python3 "$client" "$PORT" hold 300 3 >"$WORK/hold.json"
[ "$(json_get "$WORK/hold.json" 'j["failed"]')" = 0 ] || die "health failed under 300 held connections: $(cat "$WORK/hold.json")"
[ "$(json_get "$WORK/hold.json" 'j["answered"] > 0')" = True ] || die "no health answer: $(cat "$WORK/hold.json")"
req GET /v2/health/ready; expect 200 '{"ready":true}'
finish
