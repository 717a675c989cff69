#!/usr/bin/env bash
# kill -9 of a worker mid-run: rank 0 fails with a clear error; the
# restarted job resumes from the latest checkpoint and ends with the same
# model as an uninterrupted run with the same seed.
source "$(dirname "$0")/lib.sh"

common=(--data=synthetic --synthetic-samples=2048 --epochs=3 --batch-size=16 --seed=3 --threads=1
        --checkpoint-every=20 --collective-timeout=60 --rendezvous-timeout=60)
run_pair() { # OUT_DIR LOG_PREFIX EXTRA...
  local out=$1 log=$2 port
  shift 2
  port=$(free_port)
  start_rank "$log.0" 0 2 "$port" "$KF_TRAINER" "${common[@]}" --output="$out" "$@"
  P0=$LAST_PID
  start_rank "$log.1" 1 2 "$port" "$KF_TRAINER" "${common[@]}" --output="$out" "$@"
  P1=$LAST_PID
}

# Uninterrupted reference.
run_pair "$WORK/ref" "$WORK/ref"
wait "$P0" || { cat "$WORK/ref.0.err" >&2; die "reference rank 0 failed"; }
wait "$P1" || die "reference rank 1 failed"

# Interrupted run: slowed down so the kill lands mid-run.
run_pair "$WORK/run" "$WORK/a" --step-delay-ms=15
for _ in $(seq 1 300); do
  [ -f "$WORK/run/checkpoints/latest" ] && break
  sleep 0.05
done
[ -f "$WORK/run/checkpoints/latest" ] || die "no checkpoint appeared"
kill -9 "$P1"
rc=0
wait "$P0" || rc=$?
[ "$rc" -ne 0 ] || die "rank 0 finished although rank 1 was killed (the kill came too late)"
expect_contains "$WORK/a.0.err" "kf-trainer: error: all-reduce failed on rank 0 (a peer may have died)"
ckpt=$(cat "$WORK/run/checkpoints/latest")
echo "killed rank 1; latest checkpoint $ckpt"

# Restart both (as the operator's restartPolicy would).
run_pair "$WORK/run" "$WORK/b"
wait "$P0" || { cat "$WORK/b.0.err" >&2; die "restarted rank 0 failed"; }
wait "$P1" || { cat "$WORK/b.1.err" >&2; die "restarted rank 1 failed"; }
expect_contains "$WORK/b.0.err" "resuming from $WORK/run/checkpoints/${ckpt}"
expect_contains "$WORK/b.1.err" "resuming from rank 0's checkpoint"

diff=$(max_abs_diff "$WORK/ref/model.safetensors" "$WORK/run/model.safetensors")
echo "max |resumed - uninterrupted| = $diff"
python3 -c "import sys; sys.exit(0 if float('$diff') <= 1e-5 else 1)" || die "resumed model differs by $diff"
[ "$(tail -n1 "$WORK/ref.0.out")" = "$(tail -n1 "$WORK/b.0.out")" ] || die "final epoch metrics differ"
echo "ok: resumed run matches the uninterrupted one"
