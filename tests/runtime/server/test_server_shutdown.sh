#!/usr/bin/env bash
# Graceful shutdown: SIGTERM while 8 slow requests are in flight (the hidden
# --debug-delay-ms makes each forward pass take 1.5 s; 2 executors, so they
# finish in 4 rounds: long enough for 8 curls to connect on a loaded machine): every one gets a complete 200 response, the server
# stops accepting at once and exits 0. SIGINT with nothing in flight: exit 0.
source "$(dirname "$0")/lib.sh"

train_tiny "$WORK/model"
python3 -c 'import json; print(json.dumps({"inputs": [{"name": "input", "datatype": "FP32", "shape": [1, 64], "data": [0.5] * 64}]}))' \
  >"$WORK/one.json"
start_server "$WORK/server.log" --model-dir "$WORK/model" --threads 2 --debug-delay-ms 1500

clients=()
for i in 1 2 3 4 5 6 7 8; do
  curl -s -o "$WORK/r$i" -w '%{http_code}' --data-binary @"$WORK/one.json" "$URL/v2/models/model/infer" >"$WORK/c$i" &
  clients+=($!)
done
for ((i = 0; i < 400; i++)); do # readiness, not timing: up to 20 s for the 8 clients to connect
  [ "$(metric kf_server_inference_requests_in_flight)" = 8 ] && break
  sleep 0.05
done
[ "$(metric kf_server_inference_requests_in_flight)" = 8 ] || die "8 requests never were in flight together"

kill -TERM "$SERVER_PID"
sleep 0.2
# Stopped accepting: a new connection is refused while the 8 are still running.
rc=0
curl -s -o /dev/null "$URL/v2/health/live" || rc=$?
[ "$rc" = 7 ] || die "a new connection after SIGTERM got curl exit $rc, not 7 (refused)"
rc=0
wait "$SERVER_PID" || rc=$?
[ "$rc" = 0 ] || { cat "$WORK/server.log" >&2; die "kf-server exited $rc after SIGTERM"; }
for i in 1 2 3 4 5 6 7 8; do
  wait "${clients[$((i - 1))]}" || die "client $i: curl failed"
  [ "$(cat "$WORK/c$i")" = 200 ] || die "client $i got HTTP $(cat "$WORK/c$i")"
  [ "$(json_get "$WORK/r$i" '[o["name"] for o in j["outputs"]]')" = "['probabilities', 'label']" ] ||
    die "client $i: incomplete response $(cat "$WORK/r$i")"
done
expect_contains "$WORK/server.log" "kf-server: SIGTERM: finishing 8 request(s) in flight"
expect_contains "$WORK/server.log" "kf-server: stopped"

start_server "$WORK/int.log" --model-dir "$WORK/model"
curl -sf "$URL/v2/health/ready" >/dev/null || die "not ready"
kill -INT "$SERVER_PID"
rc=0
wait "$SERVER_PID" || rc=$?
[ "$rc" = 0 ] || die "kf-server exited $rc after SIGINT"
expect_contains "$WORK/int.log" "kf-server: SIGINT: finishing 0 request(s) in flight"
echo "ok: SIGTERM finished 8 in-flight requests with 200s and exited 0; SIGINT exited 0"
