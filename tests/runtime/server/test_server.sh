#!/usr/bin/env bash
# kf-server conformance over real HTTP: every endpoint of the v2 and v1
# protocols and /metrics, each error case with its status and pinned text,
# keep-alive, the flags and KF_SERVER_* variables, and startup failures.
source "$(dirname "$0")/lib.sh"

"$KF_SERVER" --help >"$WORK/help"
for flag in model-dir model-name host port port-file protocol threads http-threads max-batch-size max-latency-ms max-body-bytes; do
  expect_contains "$WORK/help" "--$flag"
done
expect_contains "$WORK/help" "KF_SERVER_MAX_BODY_BYTES"
! grep -q debug-delay "$WORK/help" || die "--help shows the hidden --debug-delay-ms"

train_tiny "$WORK/model"
start_server "$WORK/server.log" --model-dir "$WORK/model" --threads 2 --max-body-bytes 20000
expect_contains "$WORK/server.log" "kf-server: serving model on http://127.0.0.1:$PORT"

# Bodies: one 8x8 sample as FP32 flat, as UINT8 nested [1,1,8,8], two as v1 instances.
python3 - "$WORK" <<'PY'
import json, sys
w = sys.argv[1]
px = [(i * 37) % 256 for i in range(64)]
fp = [p / 255 for p in px]
def dump(name, obj):
    open(f"{w}/{name}", "w").write(json.dumps(obj))
dump("fp32.json", {"id": "r1", "inputs": [{"name": "input", "datatype": "FP32", "shape": [1, 64], "data": fp}]})
dump("uint8.json", {"inputs": [{"name": "input", "datatype": "UINT8", "shape": [1, 1, 8, 8],
                                "data": [[[px[r * 8:(r + 1) * 8] for r in range(8)]]]}],
                    "outputs": [{"name": "label"}]})
dump("v1.json", {"instances": [fp, [[1 - v for v in fp[r * 8:(r + 1) * 8]] for r in range(8)]]})
def infer(**kw):
    i = {"name": "input", "datatype": "FP32", "shape": [1, 64], "data": fp}
    i.update(kw)
    return {"inputs": [i]}
dump("fp64.json", infer(datatype="FP64"))
dump("shape.json", infer(shape=[1, 63]))
dump("count.json", infer(shape=[2, 64]))
dump("uint8-bad.json", infer(datatype="UINT8", data=[300] * 64))
dump("name.json", infer(name="pixels"))
dump("v1-bad.json", {"instances": [fp[:10]]})
dump("outputs-bad.json", {"inputs": infer()["inputs"], "outputs": [{"name": "logits"}]})
open(f"{w}/big.json", "w").write(json.dumps(infer(data=[0.123456789] * 64)) + " " * 30000)
PY

# --- health and metadata
req GET /v2/health/live; expect 200 '{"live":true}'
req GET /v2/health/ready; expect 200 '{"ready":true}'
[ "$(curl -s -o /dev/null -w '%{http_code}' -I "$URL/v2/health/ready")" = 200 ] || die "HEAD /v2/health/ready"
req GET /v2; expect 200 '{"extensions":[],"name":"kf-server","version":"0.1.0"}'
req GET /v2/models/model
expect 200 '{"inputs":[{"datatype":"FP32","name":"input","shape":[-1,64]}],"name":"model","outputs":[{"datatype":"FP32","name":"probabilities","shape":[-1,10]},{"datatype":"INT64","name":"label","shape":[-1]}],"platform":"kf","versions":["1"]}'
req GET /v2/models/model/versions/1; [ "$CODE" = 200 ] || die "versions/1 metadata"
req GET /v2/models/model/ready; expect 200 '{"name":"model","ready":true}'
req GET /v1/models/model; expect 200 '{"name":"model","ready":true}'

# --- inference: v2 FP32, v2 UINT8 with an output selection, v1
req POST /v2/models/model/infer "$WORK/fp32.json"
[ "$CODE" = 200 ] || die "infer: $CODE $BODY"
echo "$BODY" >"$WORK/fp32.out"
[ "$(json_get "$WORK/fp32.out" 'j["model_name"], j["model_version"], j["id"], [(o["name"], o["datatype"], o["shape"]) for o in j["outputs"]]')" = \
  "model 1 r1 [('probabilities', 'FP32', [1, 10]), ('label', 'INT64', [1])]" ] || die "infer response: $BODY"
json_get "$WORK/fp32.out" 'abs(sum(j["outputs"][0]["data"]) - 1) < 1e-5 and max(range(10), key=lambda c: j["outputs"][0]["data"][c]) == j["outputs"][1]["data"][0]' |
  grep -qx True || die "probabilities do not sum to 1 or label is not their argmax: $BODY"
label=$(json_get "$WORK/fp32.out" 'j["outputs"][1]["data"][0]')
req POST /v2/models/model/versions/1/infer "$WORK/uint8.json"
expect 200 "{\"model_name\":\"model\",\"model_version\":\"1\",\"outputs\":[{\"name\":\"label\",\"datatype\":\"INT64\",\"shape\":[1],\"data\":[$label]}]}"
req POST /v1/models/model:predict "$WORK/v1.json"
[ "$CODE" = 200 ] && [[ "$BODY" =~ ^\{\"predictions\":\[$label,[0-9]\]\}$ ]] || die "v1 predict: $CODE $BODY"

# --- errors, each with its status and text
printf '{"inputs": [' >"$WORK/malformed.json"
req POST /v2/models/model/infer "$WORK/malformed.json"
expect_error 400 "malformed JSON at line 1, column 13: unexpected end of input"
req POST /v2/models/model/infer "$WORK/fp64.json"
expect_error 400 "input 'input': datatype 'FP64' is not supported (use FP32 or UINT8)"
req POST /v2/models/model/infer "$WORK/shape.json"
expect_error 400 "input 'input': shape [1,63] does not fit the model's input [-1,64] (or [-1,1,8,8])"
req POST /v2/models/model/infer "$WORK/count.json"
expect_error 400 "input 'input': shape [2,64] needs 128 values, \"data\" has 64"
req POST /v2/models/model/infer "$WORK/uint8-bad.json"
expect_error 400 "input 'input': data[0] = 300 is not a UINT8 (an integer 0..255)"
req POST /v2/models/model/infer "$WORK/name.json"
expect_error 400 "unknown input 'pixels' (the model's input is 'input')"
req POST /v2/models/model/infer "$WORK/outputs-bad.json"
expect_error 400 "unknown output 'logits' (the outputs are probabilities and label)"
req POST /v2/models/model/infer "$WORK/fp32.json" -H 'Inference-Header-Content-Length: 10'
expect_error 400 'binary tensor data (Inference-Header-Content-Length) is not supported; send the tensor as JSON "data"'
req POST /v1/models/model:predict "$WORK/v1-bad.json"
expect_error 400 "instances[0] has 10 values, the model takes 64"
req POST /v2/models/nope/infer "$WORK/fp32.json"
expect_error 404 "model 'nope' not found (this server serves 'model')"
req GET /v2/models/nope; expect_error 404 "model 'nope' not found (this server serves 'model')"
req GET /v1/models/nope; expect_error 404 "model 'nope' not found (this server serves 'model')"
req POST /v1/models/nope:predict "$WORK/v1.json"; expect_error 404 "model 'nope' not found (this server serves 'model')"
req GET /v2/models/model/versions/7/ready; expect_error 404 "model 'model' has no version '7' (its only version is 1)"
req GET /nothing/here; expect_error 404 "no route for GET /nothing/here"
req GET /v2/models/model/infer; expect_error 405 "method GET is not allowed on /v2/models/model/infer (use POST)"
req DELETE /v2/health/live; expect_error 405 "method DELETE is not allowed on /v2/health/live (use GET)"
curl -s -i -X POST "$URL/v2/health/ready" | tr -d '\r' >"$WORK/405.txt"
expect_contains "$WORK/405.txt" "HTTP/1.1 405 Method Not Allowed"
expect_contains "$WORK/405.txt" "Allow: GET, HEAD"
req POST /v2/models/model/infer "$WORK/big.json"
expect_error 413 "request body too large (the limit is 20000 bytes; see --max-body-bytes)"
req POST /v2/models/model/infer "$WORK/big.json" -H 'Transfer-Encoding: chunked'
expect_error 413 "request body too large (the limit is 20000 bytes; see --max-body-bytes)"
CODE=$(curl -s -o "$WORK/body" -w '%{http_code}' -F "a=b" "$URL/v2/models/model/infer"); BODY=$(cat "$WORK/body")
expect_error 415 "multipart/form-data is not supported; send application/json"
CODE=$(curl -s -o "$WORK/body" -w '%{http_code}' -X BREW "$URL/v2"); BODY=$(cat "$WORK/body")
expect_error 501 "method BREW is not implemented"
# The server is still fine after all of that.
req GET /v2/health/live; expect 200 '{"live":true}'

# --- keep-alive: curl reuses one connection for two requests
curl -sv "$URL/v2/health/live" "$URL/v2/health/ready" -o /dev/null -o /dev/null 2>"$WORK/keepalive.txt"
expect_contains "$WORK/keepalive.txt" "Re-using existing connection"

# --- /metrics (Prometheus text)
curl -s -D "$WORK/metrics.headers" "$URL/metrics" >"$WORK/metrics.txt"
expect_contains "$WORK/metrics.headers" "Content-Type: text/plain; version=0.0.4; charset=utf-8"
expect_contains "$WORK/metrics.txt" '# TYPE kf_server_requests_total counter'
expect_contains "$WORK/metrics.txt" 'kf_server_requests_total{endpoint="infer",code="200"} 2'
expect_contains "$WORK/metrics.txt" 'kf_server_requests_total{endpoint="infer",code="400"} 8'
expect_contains "$WORK/metrics.txt" 'kf_server_requests_total{endpoint="infer",code="404"} 1'
expect_contains "$WORK/metrics.txt" 'kf_server_requests_total{endpoint="v1_predict",code="200"} 1'
expect_contains "$WORK/metrics.txt" 'kf_server_requests_total{endpoint="transport",code="413"} 2'
expect_contains "$WORK/metrics.txt" 'kf_server_requests_total{endpoint="live",code="405"} 1'
expect_contains "$WORK/metrics.txt" 'kf_server_request_errors_total 22'
expect_contains "$WORK/metrics.txt" '# TYPE kf_server_request_duration_seconds histogram'
expect_contains "$WORK/metrics.txt" 'kf_server_request_duration_seconds_count{endpoint="infer"} 12'
expect_contains "$WORK/metrics.txt" 'kf_server_batch_size_count 3'
expect_contains "$WORK/metrics.txt" 'kf_server_inference_samples_total 4'
expect_contains "$WORK/metrics.txt" 'kf_server_inference_requests_in_flight 0'
kill -TERM "$SERVER_PID"
wait "$SERVER_PID" || die "kf-server exited $? on SIGTERM"

# --- the ServingRuntime's command line (templates/servingruntime.yaml): --protocol=v2 turns v1 off
start_server "$WORK/proto.log" --model-dir="$WORK/model" --protocol=v2
req POST /v2/models/model/infer "$WORK/fp32.json"; [ "$CODE" = 200 ] || die "--protocol=v2: v2 infer got $CODE"
req POST /v1/models/model:predict "$WORK/v1.json"; expect_error 404 "the v1 protocol is off (kf-server --protocol=v2)"
kill -TERM "$SERVER_PID"
wait "$SERVER_PID" || die "kf-server exited $? on SIGTERM"

# --- configuration from KF_SERVER_* variables; --model-name
KF_SERVER_MODEL_DIR="$WORK/model" KF_SERVER_MODEL_NAME=fashion KF_SERVER_MAX_BATCH_SIZE=8 \
  start_server "$WORK/env.log"
expect_contains "$WORK/env.log" "kf-server: serving fashion on http://127.0.0.1:$PORT"
req GET /v2/models/fashion/ready; expect 200 '{"name":"fashion","ready":true}'
kill -INT "$SERVER_PID"
wait "$SERVER_PID" || die "kf-server exited $? on SIGINT"

# --- startup failures: exit 2 for flags, 1 for the model or the port
run_fail() { # RC TEXT ARGS...: kf-server ARGS exits RC and prints TEXT
  local rc=$1 text=$2 got=0
  shift 2
  "$KF_SERVER" --host 127.0.0.1 "$@" >"$WORK/fail.out" 2>&1 || got=$?
  [ "$got" = "$rc" ] || { cat "$WORK/fail.out" >&2; die "kf-server $* exited $got, not $rc"; }
  expect_contains "$WORK/fail.out" "$text"
}
run_fail 2 "--model-dir is required" --port 0
run_fail 2 "--protocol: v3 not in {v1,v2,all}" --model-dir "$WORK/model" --protocol v3
run_fail 2 "--port: Value 70000 not in range 0 to 65535" --model-dir "$WORK/model" --port 70000
run_fail 1 "kf-server: error: --model-dir $WORK/none is not a directory" --model-dir "$WORK/none"
mkdir "$WORK/empty"
run_fail 1 "kf-server: error: cannot load the model in $WORK/empty: cannot read $WORK/empty/model.json: No such file or directory" \
  --model-dir "$WORK/empty"
cp -r "$WORK/model" "$WORK/broken"
head -c 100 "$WORK/model/model.safetensors" >"$WORK/broken/model.safetensors"
run_fail 1 "kf-server: error: cannot load the model in $WORK/broken: $WORK/broken/model.safetensors" --model-dir "$WORK/broken"
run_fail 2 "kf-server: error: model name 'a/b' must be 1-128 letters, digits, '.', '_' or '-' (it appears in URLs); set --model-name" \
  --model-dir "$WORK/model" --model-name a/b
start_server "$WORK/busy.log" --model-dir "$WORK/model"
run_fail 1 "kf-server: error: cannot listen on 127.0.0.1:$PORT" --model-dir "$WORK/model" --port "$PORT"
echo "ok: kf-server endpoints, errors, metrics, keep-alive, flags and startup failures"
finish
