#!/usr/bin/env bash
# The intent classifier (issue 21) side by side with its peers, in one run
# (results and method: bench/RESULTS.md, "## Text: BANKING77 intents"):
#   kf-trainer --model=embeddingbag, 5 epochs, as `kf init --example intents`
#   trains it; PyTorch 1.13's nn.EmbeddingBag + Linear with the same sizes,
#   optimizer, batch, epochs and threads (bench/intents_torch.py); TF-IDF +
#   linear SVM (python3-sklearn, when installed), the issue's anchors.
# Reports test accuracy, training seconds and samples/s, and kf / PyTorch.
# Usage: bench/intents.sh [BUILD_DIR]   (default build/ci; THREADS=2)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build/ci}" && pwd)
trainer=$build/runtime/kf-trainer
threads=${THREADS:-2}
data=$root/third_party/banking77
[ -x "$trainer" ] || { echo "missing $trainer" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "== kf-trainer embeddingbag ($threads threads)"
start=$(date +%s.%N)
"$trainer" --data="$data/train.csv" --test-data="$data/test.csv" --label-column=category --model=embeddingbag \
  --layers=none --embedding-dim=64 --hash-buckets=65536 --max-length=64 --epochs=5 --batch-size=32 \
  --optimizer=adam --lr=0.005 --threads="$threads" --device=cpu --quiet --no-resume --output="$work/kf" \
  >"$work/kf.out" 2>"$work/kf.err" || { cat "$work/kf.err" >&2; exit 1; }
end=$(date +%s.%N)
python3 - "$work/kf/metrics.jsonl" "$start" "$end" >"$work/kf.json" <<'PY'
import json, sys
epochs = [json.loads(l) for l in open(sys.argv[1])]
train_s = sum(10003 // 32 * 32 / e["samples_per_s"] for e in epochs)
print(json.dumps({"model": "kf-embeddingbag", "accuracy": round(epochs[-1]["accuracy"], 4), "train_s": round(train_s, 2),
                  "samples_per_s": round(5 * (10003 // 32 * 32) / train_s), "wall_s": round(float(sys.argv[3]) - float(sys.argv[2]), 1)}))
PY
cat "$work/kf.json"
echo "== peers (bench/intents_torch.py)"
OMP_NUM_THREADS=$threads /usr/bin/python3 "$root/bench/intents_torch.py" "$data" "$threads" torch svm | tee "$work/peers.json"
python3 - "$work/kf.json" "$work/peers.json" <<'PY'
import json, sys
kf = json.load(open(sys.argv[1]))
peers = {j["model"]: j for j in map(json.loads, open(sys.argv[2]))}
t = peers.get("torch-embeddingbag", {})
if "samples_per_s" in t:
    print("kf / PyTorch training throughput: %.2fx (accuracy %.4f vs %.4f)" %
          (kf["samples_per_s"] / t["samples_per_s"], kf["accuracy"], t["accuracy"]))
PY
