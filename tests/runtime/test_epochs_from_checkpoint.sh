#!/usr/bin/env bash
# --epochs-from-checkpoint (population based training's generations): a run
# that resumes from a checkpoint trains --epochs more, and two 1-epoch
# generations give the model of one uninterrupted 2-epoch run; without the
# flag, --epochs is the total and a finished run trains no more.
source "$(dirname "$0")/lib.sh"

common=(--data=synthetic --synthetic-samples=512 --batch-size=16 --seed=5 --threads=1 --quiet)
"$KF_TRAINER" "${common[@]}" --epochs=2 --output="$WORK/ref" >"$WORK/ref.out" 2>"$WORK/ref.err" ||
  { cat "$WORK/ref.err" >&2; die "the 2-epoch run failed"; }

"$KF_TRAINER" "${common[@]}" --epochs=1 --epochs-from-checkpoint --output="$WORK/gen" >"$WORK/g0.out" 2>"$WORK/g0.err" ||
  { cat "$WORK/g0.err" >&2; die "generation 0 failed"; }
expect_eq "generation 0 trains 1 epoch" "1" "$(grep -c '^epoch=' "$WORK/g0.out")"
"$KF_TRAINER" "${common[@]}" --epochs=1 --epochs-from-checkpoint --output="$WORK/gen" >"$WORK/g1.out" 2>"$WORK/g1.err" ||
  { cat "$WORK/g1.err" >&2; die "generation 1 failed"; }
expect_contains "$WORK/g1.err" "resuming from $WORK/gen/checkpoints/"
expect_eq "generation 1 trains 1 more epoch, the second" "epoch=2" "$(grep -o '^epoch=[0-9]*' "$WORK/g1.out")"
expect_eq "generation 1's final metrics are the 2-epoch run's" "$(grep '^epoch=' "$WORK/ref.out" | tail -n1 | sed 's/ time=.*//')" \
  "$(grep '^epoch=' "$WORK/g1.out" | tail -n1 | sed 's/ time=.*//')"
diff=$(max_abs_diff "$WORK/ref/model.safetensors" "$WORK/gen/model.safetensors")
python3 -c "import sys; sys.exit(0 if float('$diff') <= 1e-6 else 1)" || fail "two generations differ from one run by $diff"
expect_eq "model.json counts the epochs trained in all" "2" \
  "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["training"]["epochs"])' "$WORK/gen/model.json")"

# Without the flag a finished run is not trained further.
"$KF_TRAINER" "${common[@]}" --epochs=2 --output="$WORK/ref" >"$WORK/again.out" 2>"$WORK/again.err" ||
  { cat "$WORK/again.err" >&2; die "the rerun failed"; }
expect_contains "$WORK/again.err" "training already complete (2 epochs)"
finish
