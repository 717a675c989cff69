#!/usr/bin/env bash
# The transformer intent model (issue 21) against PyTorch 1.13's
# nn.TransformerEncoder of the same size, in one run (results and method:
# bench/RESULTS.md, "## Text: BANKING77 transformer"):
#   throughput: both train the plain encoder (tokens only: DIM wide, LAYERS
#     pre-LN blocks, HEADS heads, FFN GELU feed-forward, dropout 0.1, mean
#     pooling, AdamW, warm-up + cosine, batch 32) for EPOCHS epochs on the
#     same threads; tokens/s counts non-padding tokens of the training steps
#     (kf: metrics.jsonl's tokens_per_s; torch: bench/transformer_torch.py,
#     with kf's vocabulary and tokens);
#   accuracy: kf's recipe of `kf init --example intents` (with hashed
#     n-gram features and label smoothing), when ACCURACY=1.
# Usage: bench/transformer.sh [BUILD_DIR]  (default build/ci; THREADS=2 EPOCHS=2
#        DIM=128 HEADS=4 LAYERS=2 FFN=256 ACCURACY=0)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build/ci}" && pwd)
trainer=$build/runtime/kf-trainer
[ -x "$build/runtime/kf-trainer-cpu" ] && trainer=$build/runtime/kf-trainer-cpu
threads=${THREADS:-2} epochs=${EPOCHS:-2}
dim=${DIM:-128} heads=${HEADS:-4} layers=${LAYERS:-2} ffn=${FFN:-256}
data=$root/third_party/banking77
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

common=(--data="$data/train.csv" --test-data="$data/test.csv" --label-column=category --model=transformer
        --embedding-dim="$dim" --heads="$heads" --encoder-layers="$layers" --ffn-dim="$ffn" --dropout=0.1
        --max-length=64 --batch-size=32 --optimizer=adamw --lr=0.001 --weight-decay=0.01 --warmup-steps=300
        --lr-schedule=cosine --threads="$threads" --device=cpu --quiet --no-resume)

echo "== kf-trainer transformer, tokens only ($threads threads, $epochs epochs)"
"$trainer" "${common[@]}" --hash-buckets=0 --epochs="$epochs" --output="$work/kf" >"$work/kf.out" 2>"$work/kf.err" ||
  { cat "$work/kf.err" >&2; exit 1; }
python3 - "$work/kf/metrics.jsonl" "$epochs" >"$work/kf.json" <<'PY'
import json, sys
epochs = [json.loads(l) for l in open(sys.argv[1])]
tokens = sum(e["tokens_per_s"] for e in epochs) / len(epochs)
samples = sum(e["samples_per_s"] for e in epochs) / len(epochs)
print(json.dumps({"model": "kf-transformer", "epochs": int(sys.argv[2]), "accuracy": round(epochs[-1]["accuracy"], 4),
                  "tokens_per_s": round(tokens), "samples_per_s": round(samples)}))
PY
cat "$work/kf.json"

echo "== PyTorch nn.TransformerEncoder (bench/transformer_torch.py)"
OMP_NUM_THREADS=$threads /usr/bin/python3 "$root/bench/transformer_torch.py" "$data" "$work/kf/vocab.txt" "$threads" \
  "$epochs" "$dim" "$heads" "$layers" "$ffn" | tee "$work/torch.json"
python3 - "$work/kf.json" "$work/torch.json" <<'PY'
import json, sys
kf, torch = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
print("kf / PyTorch training throughput: %.2fx tokens/s (accuracy after %d epochs %.4f vs %.4f)" %
      (kf["tokens_per_s"] / torch["tokens_per_s"], kf["epochs"], kf["accuracy"], torch["accuracy"]))
PY

if [ "${ACCURACY:-0}" = 1 ]; then
  echo "== kf-trainer transformer, the example's recipe (hashed n-grams, label smoothing)"
  start=$(date +%s)
  "$trainer" "${common[@]}" --hash-buckets=65536 --label-smoothing=0.1 --lr=0.002 --epochs=8 --output="$work/acc" \
    >"$work/acc.out" 2>"$work/acc.err" || { cat "$work/acc.err" >&2; exit 1; }
  echo "accuracy $(tail -n 1 "$work/acc.out" | sed 's/.* accuracy=\([0-9.]*\).*/\1/') in $(( $(date +%s) - start )) s"
fi
