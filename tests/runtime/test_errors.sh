#!/usr/bin/env bash
# Clear errors and non-zero exits (messages pinned) for missing and corrupt
# data, a truncated checkpoint, a wrong TF_CONFIG, a peer that never
# arrives, and bad flags.
source "$(dirname "$0")/lib.sh"

# expect_exit CODE NAME TEXT CMD...: CMD exits with CODE and stderr has TEXT.
expect_exit() {
  local want=$1 name=$2 text=$3 rc=0
  shift 3
  "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" || rc=$?
  [ "$rc" = "$want" ] || { cat "$WORK/$name.err" >&2; die "$name: exit $rc, want $want"; }
  expect_contains "$WORK/$name.err" "$text"
}
T=("$KF_TRAINER" --quiet --epochs=1)

expect_exit 1 missing "kf-trainer: error: data: $WORK/nowhere does not exist" "${T[@]}" --data="$WORK/nowhere"
mkdir -p "$WORK/empty"
expect_exit 1 empty-dir "kf-trainer: error: data: $WORK/empty has no train-images-idx3-ubyte[.gz]" "${T[@]}" --data="$WORK/empty"

# Corrupt: gzip magic followed by garbage; and a truncated plain IDX file.
mkdir -p "$WORK/corrupt"
for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
  printf '\x1f\x8b\x08\x00garbage-garbage-garbage' >"$WORK/corrupt/$f.gz"
done
expect_exit 1 corrupt "kf-trainer: error: data: $WORK/corrupt/train-images-idx3-ubyte.gz: corrupt or unreadable gzip data" \
  "${T[@]}" --data="$WORK/corrupt"
mkdir -p "$WORK/short"
python3 - "$WORK/short" <<'PY'
import struct, sys
d = sys.argv[1]
for split in ("train", "t10k"):
    open(f"{d}/{split}-labels-idx1-ubyte", "wb").write(struct.pack(">II", 2049, 2) + b"\x01\x02")
    pixels = b"abc" if split == "train" else bytes(2 * 28 * 28)  # train is cut short
    open(f"{d}/{split}-images-idx3-ubyte", "wb").write(struct.pack(">IIII", 2051, 2, 28, 28) + pixels)
PY
expect_exit 1 truncated-idx "train-images-idx3-ubyte: truncated: the header promises 1568 bytes of data but the file has 3" \
  "${T[@]}" --data="$WORK/short/train-images-idx3-ubyte" --data-format=idx
printf '1,2,3\n4,5\n' >"$WORK/bad.csv"
expect_exit 1 bad-csv "kf-trainer: error: data: $WORK/bad.csv:2: expected 3 fields, got 2" "${T[@]}" --data="$WORK/bad.csv"
expect_exit 1 file-url "kf-trainer: error: data: $WORK/nothing.csv does not exist" "${T[@]}" --data="file://$WORK/nothing.csv"
# http(s) URLs: a 404 names the URL; a good CSV downloads into the cache once.
mkdir -p "$WORK/www"
python3 -c 'import random; r=random.Random(1); print("\n".join(",".join([str(i%3)]+[str(r.randint(0,9)) for _ in range(16)]) for i in range(300)))' >"$WORK/www/d.csv"
hport=$(free_port)
(cd "$WORK/www" && exec python3 -m http.server "$hport" --bind 127.0.0.1 >/dev/null 2>&1) &
PIDS+=($!)
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$hport/d.csv" >/dev/null 2>&1 && break; sleep 0.05; done
expect_exit 1 url-404 "kf-trainer: error: data: GET http://127.0.0.1:$hport/missing.csv: not found (HTTP 404)" \
  "${T[@]}" --data="http://127.0.0.1:$hport/missing.csv"
"${T[@]}" --data="http://127.0.0.1:$hport/d.csv" --output="$WORK/http" --batch-size=16 >"$WORK/http.out" 2>&1 ||
  { cat "$WORK/http.out" >&2; die "CSV over http failed"; }
[ -n "$(find "$WORK/cache" -name d.csv)" ] || die "the download was not cached"

# Truncated checkpoint: a finished run, its latest checkpoint cut short, run again.
"${T[@]}" --data=synthetic --synthetic-samples=256 --output="$WORK/ck" >/dev/null 2>&1 || die "setup run failed"
ckpt="$WORK/ck/checkpoints/$(cat "$WORK/ck/checkpoints/latest")"
head -c 5000 "$ckpt" >"$ckpt.cut" && mv "$ckpt.cut" "$ckpt"
expect_exit 1 truncated-ckpt "kf-trainer: error: checkpoint $ckpt is truncated: the header promises" \
  "${T[@]}" --data=synthetic --synthetic-samples=256 --output="$WORK/ck" --epochs=2
# --no-resume ignores it.
"${T[@]}" --data=synthetic --synthetic-samples=256 --output="$WORK/ck" --no-resume >/dev/null 2>&1 || die "--no-resume did not start over"

# Wrong TF_CONFIG.
expect_exit 2 tf-index 'kf-trainer: error: TF_CONFIG task index 3 is out of range: cluster.worker has 2 entries' \
  env TF_CONFIG='{"cluster":{"worker":["127.0.0.1:1","127.0.0.1:2"]},"task":{"type":"worker","index":3}}' "${T[@]}" --data=synthetic
expect_exit 2 tf-json 'kf-trainer: error: TF_CONFIG is not valid JSON' env TF_CONFIG='{"cluster":' "${T[@]}" --data=synthetic
expect_exit 2 tf-type 'kf-trainer: error: TF_CONFIG task type "evaluatr" is not in the cluster (which has chief, worker)' \
  env TF_CONFIG='{"cluster":{"chief":["a:1"],"worker":["b:2"]},"task":{"type":"evaluatr","index":0}}' "${T[@]}" --data=synthetic
expect_exit 2 bad-rank 'kf-trainer: error: RANK=2 is out of range for WORLD_SIZE=2' \
  env WORLD_SIZE=2 RANK=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=1 "${T[@]}" --data=synthetic

# A peer that never arrives: ranks 0 and 2 of 3 come, rank 1 does not.
port=$(free_port)
start_rank "$WORK/lone2" 2 3 "$port" "${T[@]}" --data=synthetic --rendezvous-timeout=2
p2=$LAST_PID
expect_exit 1 lonely "kf-trainer: error: rendezvous timed out after 2s at 127.0.0.1:$port: rank 1 of 3 never arrived" \
  env MASTER_ADDR=127.0.0.1 MASTER_PORT="$port" WORLD_SIZE=3 RANK=0 "${T[@]}" --data=synthetic --rendezvous-timeout=2
rc=0
wait "$p2" || rc=$?
[ "$rc" = 1 ] || die "rank 2 should die too, exit $rc"
# Rank 1 alone, with no rank 0 to host the store.
expect_exit 1 no-master "could not reach rank 0's store at 127.0.0.1:$port" \
  env MASTER_ADDR=127.0.0.1 MASTER_PORT="$port" WORLD_SIZE=2 RANK=1 "${T[@]}" --data=synthetic --rendezvous-timeout=1

# Bad flags and values are usage errors (exit 2).
expect_exit 2 bad-model "--model: rnn not in {mlp,cnn,embeddingbag,transformer}" "${T[@]}" --model=rnn --data=synthetic

# Text: a text model on images, an image model on text, a missing column, a bad vocabulary.
expect_exit 2 text-on-images "kf-trainer: error: --model=embeddingbag needs text data (--data-format=text: a text and a label column)" \
  "${T[@]}" --model=embeddingbag --data=synthetic
printf 'text,label\nmy card,card\nrefund please,refund\nwhere is my card,card\n' >"$WORK/texts.csv"
expect_exit 2 images-on-text "kf-trainer: error: --model=mlp takes images; for text data use --model=transformer or embeddingbag" \
  "${T[@]}" --model=mlp --data="$WORK/texts.csv" --batch-size=1
expect_exit 1 no-column "kf-trainer: error: data: $WORK/texts.csv: no column 'category' (the header has: text, label)" \
  "${T[@]}" --model=embeddingbag --data="$WORK/texts.csv" --data-format=text --label-column=category
printf '[UNK]\n[PAD]\n' >"$WORK/vocab.txt"
expect_exit 1 bad-vocab "kf-trainer: error: $WORK/vocab.txt: [PAD] must be the first token (id 0), as in BERT's vocabularies" \
  "${T[@]}" --model=embeddingbag --data="$WORK/texts.csv" --vocab="$WORK/vocab.txt"
expect_exit 2 heads "kf-trainer: error: --embedding-dim (10) must be a positive multiple of --heads (4)" \
  "${T[@]}" --model=transformer --embedding-dim=10 --heads=4 --data="$WORK/texts.csv" --batch-size=1
expect_exit 2 bad-lr "--lr" "${T[@]}" --lr=fast --data=synthetic
expect_exit 2 bad-layers "kf-trainer: error: --layers=128,x: expected positive integers separated by commas" \
  "${T[@]}" --layers=128,x --data=synthetic
expect_exit 2 no-data "kf-trainer: error: --data is required" "${T[@]}"
# A count refuses a negative value (CLI11 alone wrapped --epochs=-1 to 2^64 - 1 epochs), as a flag or a variable.
expect_exit 2 negative-count "--epochs: must be 0 or more, got -1" "${T[@]}" --epochs=-1 --data=synthetic
expect_exit 2 negative-env "--batch-size: must be 0 or more, got -3" env KF_BATCH_SIZE=-3 "${T[@]}" --data=synthetic
expect_exit 2 unknown-flag "--learning-rate" "${T[@]}" --learning-rate=1
echo "ok: every failure is clear and non-zero"
