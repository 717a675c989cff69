#!/usr/bin/env bash
# kf-server predicts exactly what kf-trainer does: on the synthetic test
# split (FP32, values passed bit-exactly) and on an IDX dataset written here
# (UINT8 pixels, scaled by the server as the trainer scales them), the
# server's accuracy equals `kf-trainer --evaluate`'s, and its label for
# every sample equals the class the trainer's Model::forward picks. Also
# with dynamic batching and concurrent single-sample requests.
source "$(dirname "$0")/lib.sh"
: "${KF_SERVER_TESTDATA:?set KF_SERVER_TESTDATA to the kf-server-testdata binary}"

# accuracy_of RESPONSE LABELS: the share of labels the v2 response got right, as --evaluate prints it.
accuracy_of() {
  python3 - "$1" "$2" <<'PY'
import json, sys
out = {o["name"]: o for o in json.load(open(sys.argv[1]))["outputs"]}
truth = [int(l) for l in open(sys.argv[2])]
pred = out["label"]["data"]
assert len(pred) == len(truth), (len(pred), len(truth))
print("%.4f" % (sum(p == t for p, t in zip(pred, truth)) / len(truth)))
PY
}
# same_labels RESPONSE EXPECTED: every label equals the trainer's.
same_labels() {
  python3 - "$1" "$2" <<'PY' || die "the server's labels differ from the trainer's"
import json, sys
j = json.load(open(sys.argv[1]))
pred = j["predictions"] if "predictions" in j else {o["name"]: o for o in j["outputs"]}["label"]["data"]
want = [int(l) for l in open(sys.argv[2])]
bad = [i for i, (p, w) in enumerate(zip(pred, want)) if p != w]
assert len(pred) == len(want) and not bad, f"{len(bad)} of {len(want)} differ, first at {bad[:5]}"
PY
}

# --- 1. synthetic data, FP32
synth=(--data=synthetic --synthetic-samples=2048 --synthetic-size=8)
"$KF_TRAINER" "${synth[@]}" --epochs=2 --layers=32 --seed=3 --threads=1 --quiet --output="$WORK/synth" \
  >"$WORK/synth.out" 2>"$WORK/synth.err" || { cat "$WORK/synth.err" >&2; die "training failed"; }
"$KF_TRAINER" --evaluate="$WORK/synth" "${synth[@]}" >"$WORK/synth.eval" 2>&1 || { cat "$WORK/synth.eval" >&2; die "--evaluate failed"; }
want=$(sed -n 's/^loss=[0-9.]* accuracy=\([0-9.]*\)$/\1/p' "$WORK/synth.eval")
[ -n "$want" ] || { cat "$WORK/synth.eval" >&2; die "no accuracy from --evaluate"; }
mkdir "$WORK/sdata"
"$KF_SERVER_TESTDATA" "$WORK/synth" "$WORK/sdata" synthetic 2048 8 >/dev/null || die "kf-server-testdata failed"

start_server "$WORK/s1.log" --model-dir "$WORK/synth" --threads 2
curl -sf -H 'Content-Type: application/json' --data-binary @"$WORK/sdata/infer.json" "$URL/v2/models/synth/infer" \
  >"$WORK/s.json" || die "infer over the test split failed"
got=$(accuracy_of "$WORK/s.json" "$WORK/sdata/labels.txt")
[ "$got" = "$want" ] || die "server accuracy $got != kf-trainer --evaluate $want"
same_labels "$WORK/s.json" "$WORK/sdata/expected.txt"
curl -sf --data-binary @"$WORK/sdata/predict.json" "$URL/v1/models/synth:predict" >"$WORK/s1.json" || die "v1 predict failed"
same_labels "$WORK/s1.json" "$WORK/sdata/expected.txt"
kill -TERM "$SERVER_PID"; wait "$SERVER_PID" || die "kf-server exit $?"
echo "synthetic FP32: server accuracy $got = kf-trainer --evaluate $want; all 512 labels equal"

# --- 2. dynamic batching: 512 single-sample requests from 16 clients at once
start_server "$WORK/s2.log" --model-dir "$WORK/synth" --threads 1 --max-batch-size 32 --max-latency-ms 2
python3 - "$URL" "$WORK/sdata/infer.json" "$WORK/batched.json" <<'PY' || die "concurrent requests failed"
import json, sys, urllib.error, urllib.request
from concurrent.futures import ThreadPoolExecutor
url, src, dst = sys.argv[1:]
inp = json.load(open(src))["inputs"][0]
n, f = inp["shape"]
def one(i):
    body = json.dumps({"inputs": [{"name": "input", "datatype": "FP32", "shape": [1, f],
                                   "data": inp["data"][i]}], "outputs": [{"name": "label"}]})
    try:
        r = urllib.request.urlopen(urllib.request.Request(url + "/v2/models/synth/infer", body.encode(),
                                                          {"Content-Type": "application/json"}))
    except urllib.error.HTTPError as e:
        sys.exit(f"request {i}: {e}: {e.read()}")
    return json.load(r)["outputs"][0]["data"][0]
with ThreadPoolExecutor(16) as pool:
    labels = list(pool.map(one, range(n)))
json.dump({"outputs": [{"name": "label", "data": labels}]}, open(dst, "w"))
PY
same_labels "$WORK/batched.json" "$WORK/sdata/expected.txt"
batches=$(metric kf_server_batch_size_count)
samples=$(metric kf_server_inference_samples_total)
[ "$samples" = 512 ] || die "samples_total $samples"
[ "$batches" -lt 512 ] || die "no request was batched with another ($batches passes for 512 requests)"
kill -TERM "$SERVER_PID"; wait "$SERVER_PID" || die "kf-server exit $?"
echo "dynamic batching: 512 concurrent requests in $batches forward passes, all labels equal"

# --- 3. IDX data (uint8 pixels), UINT8 requests
mkdir "$WORK/idx"
python3 - "$WORK/idx" <<'PY'
import random, struct, sys
d = sys.argv[1]
rng = random.Random(5)
protos = [[rng.randrange(40, 216) for _ in range(64)] for _ in range(10)]
def split(prefix, n):
    labels = [rng.randrange(10) for _ in range(n)]
    pixels = bytearray()
    for l in labels:
        pixels += bytes(max(0, min(255, int(p + rng.gauss(0, 60)))) for p in protos[l])
    open(f"{d}/{prefix}-images-idx3-ubyte", "wb").write(struct.pack(">IIII", 0x803, n, 8, 8) + pixels)
    open(f"{d}/{prefix}-labels-idx1-ubyte", "wb").write(struct.pack(">II", 0x801, n) + bytes(labels))
split("train", 1000)
split("t10k", 300)
PY
"$KF_TRAINER" --data="$WORK/idx" --data-format=idx --epochs=2 --layers=16 --seed=1 --threads=1 --quiet \
  --output="$WORK/idxm" >/dev/null 2>"$WORK/idx.err" || { cat "$WORK/idx.err" >&2; die "IDX training failed"; }
"$KF_TRAINER" --evaluate="$WORK/idxm" >"$WORK/idx.eval" 2>&1 || { cat "$WORK/idx.eval" >&2; die "--evaluate failed"; }
want=$(sed -n 's/^loss=[0-9.]* accuracy=\([0-9.]*\)$/\1/p' "$WORK/idx.eval")
mkdir "$WORK/idata"
"$KF_SERVER_TESTDATA" "$WORK/idxm" "$WORK/idata" "$WORK/idx" >/dev/null || die "kf-server-testdata failed"
python3 - "$WORK/idx" "$WORK/uint8.json" <<'PY'
import json, sys
raw = open(sys.argv[1] + "/t10k-images-idx3-ubyte", "rb").read()[16:]
n = len(raw) // 64
nested = [[[list(raw[i * 64 + r * 8:i * 64 + r * 8 + 8]) for r in range(8)]] for i in range(n)]
json.dump({"inputs": [{"name": "input", "datatype": "UINT8", "shape": [n, 1, 8, 8], "data": nested}]},
          open(sys.argv[2], "w"))
PY
start_server "$WORK/s3.log" --model-dir "$WORK/idxm" --model-name pixels
curl -sf --data-binary @"$WORK/uint8.json" "$URL/v2/models/pixels/infer" >"$WORK/u.json" || die "UINT8 infer failed"
got=$(accuracy_of "$WORK/u.json" "$WORK/idata/labels.txt")
[ "$got" = "$want" ] || die "UINT8: server accuracy $got != kf-trainer --evaluate $want"
same_labels "$WORK/u.json" "$WORK/idata/expected.txt"
echo "IDX UINT8: server accuracy $got = kf-trainer --evaluate $want; all 300 labels equal"
kill -TERM "$SERVER_PID"; wait "$SERVER_PID" || die "kf-server exit $?"

# --- 4. text: an embedding-bag model on BANKING77; the server tokenizes BYTES
# requests itself and its accuracy over the 3,080 test texts equals
# `kf-trainer --evaluate`'s; v1 answers the class names.
b77="$KF_SOURCE_DIR/third_party/banking77"
"$KF_TRAINER" --data="$b77/train.csv" --test-data="$b77/test.csv" --label-column=category --model=embeddingbag \
  --layers=none --embedding-dim=24 --hash-buckets=4096 --hash-slots=64 --train-limit=3000 --epochs=2 \
  --optimizer=adam --lr=0.01 --batch-size=32 --seed=2 --threads=1 --quiet --output="$WORK/intents" \
  >/dev/null 2>"$WORK/text.err" || { cat "$WORK/text.err" >&2; die "text training failed"; }
"$KF_TRAINER" --evaluate="$WORK/intents" >"$WORK/text.eval" 2>&1 || { cat "$WORK/text.eval" >&2; die "--evaluate failed"; }
want=$(sed -n 's/^loss=[0-9.]* accuracy=\([0-9.]*\)$/\1/p' "$WORK/text.eval")
[ -n "$want" ] || { cat "$WORK/text.eval" >&2; die "no accuracy from --evaluate of the text model"; }
python3 - "$b77/test.csv" "$WORK" <<'PY'
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
texts = [r["text"] for r in rows]
json.dump({"inputs": [{"name": "input", "datatype": "BYTES", "shape": [len(texts)], "data": texts}],
           "outputs": [{"name": "class_name"}]}, open(sys.argv[2] + "/texts.json", "w"))
json.dump({"instances": texts[:5]}, open(sys.argv[2] + "/texts_v1.json", "w"))
open(sys.argv[2] + "/categories.txt", "w").write("".join(r["category"] + "\n" for r in rows))
PY
start_server "$WORK/s4.log" --model-dir "$WORK/intents"
curl -sf --data-binary @"$WORK/texts.json" "$URL/v2/models/intents/infer" >"$WORK/t.json" || die "BYTES infer failed"
got=$(python3 - "$WORK/t.json" "$WORK/categories.txt" <<'PY'
import json, sys
names = json.load(open(sys.argv[1]))["outputs"][0]["data"]
truth = open(sys.argv[2]).read().split()
assert len(names) == len(truth) == 3080, len(names)
print("%.4f" % (sum(a == b for a, b in zip(names, truth)) / len(truth)))
PY
) || die "reading the BYTES response failed"
[ "$got" = "$want" ] || die "text: server accuracy $got != kf-trainer --evaluate $want"
curl -sf --data-binary @"$WORK/texts_v1.json" "$URL/v1/models/intents:predict" >"$WORK/t1.json" || die "v1 text predict failed"
python3 - "$WORK/t1.json" "$WORK/t.json" <<'PY' || die "v1 names differ from v2's"
import json, sys
v1 = json.load(open(sys.argv[1]))["predictions"]
v2 = json.load(open(sys.argv[2]))["outputs"][0]["data"][:5]
assert v1 == v2 and all(isinstance(n, str) for n in v1), (v1, v2)
PY
echo "text BYTES: server accuracy $got = kf-trainer --evaluate $want over 3080 texts; v1 answers class names"
