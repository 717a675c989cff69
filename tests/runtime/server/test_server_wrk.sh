#!/usr/bin/env bash
# A short wrk run against /v2/models/NAME/infer and /v2/health/live (no
# timing assertions): every response is a 2xx, no socket errors, and the
# server's request counter saw at least what wrk reports. Skips without wrk.
source "$(dirname "$0")/lib.sh"
command -v wrk >/dev/null || { echo "skip: wrk is not installed (scripts/install-deps.sh)"; exit 77; }

train_tiny "$WORK/model"
python3 -c 'import json; print(json.dumps({"inputs": [{"name": "input", "datatype": "FP32", "shape": [1, 64], "data": [0.25] * 64}]}))' \
  >"$WORK/one.json"
cat >"$WORK/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local f = io.open("$WORK/one.json", "rb")
wrk.body = f:read("*a")
f:close()
LUA
start_server "$WORK/server.log" --model-dir "$WORK/model" --threads 2 --max-batch-size 8

wrk -t2 -c8 -d2s --latency -s "$WORK/post.lua" "$URL/v2/models/model/infer" >"$WORK/infer.txt" 2>&1 ||
  { cat "$WORK/infer.txt" >&2; die "wrk failed"; }
wrk -t1 -c4 -d1s "$URL/v2/health/live" >"$WORK/live.txt" 2>&1 || { cat "$WORK/live.txt" >&2; die "wrk failed"; }
for f in infer live; do
  cat "$WORK/$f.txt"
  expect_contains "$WORK/$f.txt" "Requests/sec:"
  ! grep -qE "Non-2xx|Socket errors" "$WORK/$f.txt" || die "$f: errors under load"
done
sent=$(awk '/requests in/ { print $1 }' "$WORK/infer.txt")
served=$(metric 'kf_server_requests_total{endpoint="infer",code="200"}')
[ "$sent" -gt 0 ] && [ "$served" -ge "$sent" ] || die "wrk reports $sent requests, the server counted $served"
kill -TERM "$SERVER_PID"
wait "$SERVER_PID" || die "kf-server exited $? after the load"
echo "ok: $sent infer requests under wrk, all 2xx"
