#!/usr/bin/env bash
# The Katib algorithms that schedule trials rather than only propose them, on
# the local target through kf submit -f, with the upstream examples
# (tests/testdata/katib; only the container's script replaced, and sizes
# lowered): hyperband's brackets and rungs (the rung's best goes on with more
# epochs, a rung waits for the last) and pbt's generations (labels as Katib's
# pbt service writes them; each trial starts from its parent's checkpoint
# directory, the worst member from the best's; the path the upstream command
# names is the trial's own). Their refusals are pinned
# with file:line:col.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/katib_lib.sh" # KATIB, adapt, runs, started, refused
cd "$WORK"
# trials RUN: the run's Trial objects (as Katib's), in creation order, as one JSON list.
trials() {
  python3 - ".kf/runs/$1/trials" <<'PY'
import glob, json, os, sys
ts = [json.load(open(p)) for p in glob.glob(os.path.join(sys.argv[1], "*", "trial.json"))]
ts.sort(key=lambda t: int(t["metadata"]["annotations"]["kf.dev/index"]))
print(json.dumps(ts))
PY
}

# mnist.py's stand-in for hyperband: the loss of each epoch follows from --lr and --momentum.
cat >mnist_hb.py <<'PY'
import sys
a = dict(x.split("=", 1) for x in sys.argv[1:])
epochs, lr, m = int(a["--epochs"]), float(a["--lr"]), float(a["--momentum"])
for e in range(1, epochs + 1):
    print(f"epoch {e}: loss={(0.06 - lr) * 10 / e + m / 10:.4f}", flush=True)
PY
# pbt_test.py's stand-in: resumes from the checkpoint in --checkpoint (the
# upstream /var/log/katib/checkpoints/, which kf points at the trial's own
# directory, as Katib mounts a volume there), trains --epochs steps whose gain
# grows with --lr, saves.
cat >pbt.py <<'PY'
import os, sys
a = dict(x.split("=", 1) for x in sys.argv[1:])
lr, epochs = float(a["--lr"]), int(a["--epochs"])
path = os.path.join(a["--checkpoint"], "training.ckpt")  # as pbt_test.py: the path as given
step, acc = 1, 0.0
if os.path.exists(path):
    s, v = open(path).read().split()
    step, acc = int(s), float(v)
    print(f"resumed at step {step}")
for _ in range(epochs):
    acc += lr
    step += 1
open(path, "w").write(f"{step} {acc}")
print(f"epoch {step}:\nlr={lr:.4f}\nValidation-accuracy={acc:.4f}")
PY

"$KF" init demo >/dev/null 2>&1
cd demo

# 1. hyperband, r_l 2, eta 2: brackets [2 trials at 1 epoch, the better at 2] and [2 at 2]; then its end.
adapt "$KATIB/hyperband.yaml" "$WORK/mnist_hb.py" maxTrialCount=6 >hyperband.yaml
run_kf submit -f hyperband.yaml
expect_eq "hyperband: exit code" 0 "$RC"
run=$(started)
expect_eq "hyperband: run" "hyperband-1" "$run"
status=$("$KF" status "$run" -o json)
expect_eq "hyperband: condition" "Succeeded ExperimentSuggestionEndReached 5 5" \
  "$(json 'd["status"]["conditions"][-1]["type"] + " " + d["status"]["conditions"][-1]["reason"] + " " + str(d["status"]["trials"]) + " " + str(d["status"]["trialsSucceeded"])' <<<"$status")"
ts=$(trials "$run")
param() { # param NAME: each trial's value of NAME, in creation order
  json '" ".join(next(p["value"] for p in t["spec"]["parameterAssignments"] if p["name"] == "'"$1"'") for t in d)' <<<"$ts"
}
expect_eq "hyperband: num-epochs by rung" "1 1 2 2 2" "$(param num-epochs)"
lrs=($(param lr)) moms=($(param momentum))
better=$(json 'min((0, 1), key=lambda i: float(next(m["min"] for m in d[i]["status"]["observation"]["metrics"] if m["name"] == "loss")))' <<<"$ts")
expect_eq "hyperband: the rung's better trial goes on with 2 epochs" "${lrs[$better]} ${moms[$better]}" "${lrs[2]} ${moms[2]}"
third=$(json 'd[2]["metadata"]["name"]' <<<"$ts")
expect_eq "hyperband: the promoted trial ran 2 epochs" "2" "$("$KF" logs "$run" --trial "$third" | grep -c '^epoch [0-9]: loss=')"

# 1b. kill -9 of the experiment's supervisor mid-rung, then kf resume: the schedule carries on
#     from the trials on disk (r_l 4, eta 2: brackets 4+2+1, 3+2, 3; fifteen trials in all).
sed 's/print(f"epoch {e}: loss=/__import__("time").sleep(0.2); print(f"epoch {e}: loss=/' "$WORK/mnist_hb.py" >"$WORK/mnist_slow.py"
adapt "$KATIB/hyperband.yaml" "$WORK/mnist_slow.py" maxTrialCount=20 setting:r_l=4 | sed 's/^  name: hyperband$/  name: hyperband-resumed/' >resumable.yaml
run_kf submit -f resumable.yaml --detach
expect_eq "hyperband resume: detach" "0 hyperband-resumed-1" "$RC $OUT"
run=hyperband-resumed-1
three_succeeded() {
  [ "$(python3 -c 'import json,sys; print(sum(t["state"] == "Succeeded" for t in json.load(open(sys.argv[1])).get("trials", [])))' ".kf/runs/$run/local.json" 2>/dev/null || echo 0)" -ge 3 ]
}
wait_for "three trials of $run to succeed" three_succeeded
pid=$(json 'd["supervisor"]["pid"]' <".kf/runs/$run/local.json")
kill -9 "$pid" || fail "hyperband resume: the supervisor (pid $pid) was not running"
while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
kept=$(trials "$run" | json 'sorted(t["metadata"]["name"] for t in d if t["status"].get("kf.dev/state") == "Succeeded")')
run_kf resume "$run"
expect_eq "hyperband resume: exit code" 0 "$RC"
status=$("$KF" status "$run" -o json)
expect_eq "hyperband resume: the schedule's end" "Succeeded ExperimentSuggestionEndReached 15" \
  "$(json 'd["state"] + " " + d["status"]["conditions"][-1]["reason"] + " " + str(d["status"]["trials"])' <<<"$status")"
ts=$(trials "$run")
expect_eq "hyperband resume: num-epochs by rung" "1 1 1 1 2 2 4 2 2 2 4 4 4 4 4" "$(param num-epochs)"
expect_eq "hyperband resume: the finished trials are kept" "$kept" \
  "$(KEPT=$kept json 'sorted(t["metadata"]["name"] for t in d if t["metadata"]["name"] in __import__("os").environ["KEPT"])' <<<"$ts")"
lrs=($(param lr))
expect_eq "hyperband resume: rung 2 runs the best two of rung 1" \
  "$(json '" ".join(sorted(d[i]["spec"]["parameterAssignments"][0]["value"] for i in sorted(range(4), key=lambda i: float(next(m["min"] for m in d[i]["status"]["observation"]["metrics"] if m["name"] == "loss")))[:2]))' <<<"$ts")" \
  "$(printf '%s\n' "${lrs[4]}" "${lrs[5]}" | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//')"

# 2. pbt, 5 members (upstream: 40), two generations.
adapt "$KATIB/simple-pbt.yaml" "$WORK/pbt.py" --script /opt/pbt/pbt_test.py maxTrialCount=10 \
  setting:n_population=5 setting:random_state=7 >pbt.yaml
run_kf submit -f pbt.yaml
expect_eq "pbt: exit code" 0 "$RC"
run=$(started)
expect_eq "pbt: run" "simple-pbt-1" "$run"
status=$("$KF" status "$run" -o json)
expect_eq "pbt: condition" "Succeeded ExperimentMaxTrialsReached 10" \
  "$(json 'd["status"]["conditions"][-1]["type"] + " " + d["status"]["conditions"][-1]["reason"] + " " + str(d["status"]["trials"])' <<<"$status")"
ts=$(trials "$run")
label() { json '" ".join(t["metadata"]["labels"].get("pbt.suggestion.katib.kubeflow.org/'"$1"'", "-") for t in d)' <<<"$ts"; }
expect_eq "pbt: generations" "0 0 0 0 0 1 1 1 1 1" "$(label generation)"
names=($(json '" ".join(t["metadata"]["name"] for t in d)' <<<"$ts"))
parents=($(label parent))
expect_eq "pbt: generation 0 has no parents" "- - - - -" "${parents[*]:0:5}"
lrs=($(param lr))
best=$(json 'max(range(5), key=lambda i: float(d[i]["spec"]["parameterAssignments"][0]["value"]))' <<<"$ts")
worst=$(json 'min(range(5), key=lambda i: float(d[i]["spec"]["parameterAssignments"][0]["value"]))' <<<"$ts")
expect_eq "pbt: the worst member's child starts from the best member" "${names[$best]}" "${parents[$((5 + worst))]}"
for k in 0 1 2 3 4; do
  [ "$k" = "$worst" ] && continue
  expect_eq "pbt: member $k's child starts from it" "${names[$k]}" "${parents[$((5 + k))]}"
done
for k in 5 6 7 8 9; do
  t=${names[$k]}
  expect_eq "pbt: $t resumed from its parent's checkpoint (20 epochs in)" "resumed at step 21" \
    "$("$KF" logs "$run" --trial "$t" | grep '^resumed' || true)"
  expect_eq "pbt: $t's checkpoint, in its own directory" "41" \
    "$(cut -d' ' -f1 ".kf/runs/$run/trials/$t/var/log/katib/checkpoints/training.ckpt" 2>/dev/null || true)"
  parent_lr=""
  for j in 0 1 2 3 4; do [ "${names[$j]}" = "${parents[$k]}" ] && parent_lr=${lrs[$j]}; done
  expect_eq "pbt: $t's lr explores its parent's (0.8 or 1.2 times, on the 0.0001 step)" "True" \
    "$(python3 -c 'import sys
p, c = float(sys.argv[1]), float(sys.argv[2])
snap = lambda v: min(0.02, max(0.0001, 0.0001 + round((v - 0.0001) / 0.0001) * 0.0001))
print(any(abs(c - snap(p * f)) < 1e-9 for f in (0.8, 1.2)))' "$parent_lr" "${lrs[$k]}")"
done

expect_eq "pbt: kf status's lineage of each trial (-o json)" "$(label generation) / $(label parent)" \
  "$(KF_ORDER="${names[*]}" json '" ".join(str(t["lineage"]["generation"]) for t in sorted(d["trials"], key=lambda t: __import__("os").environ["KF_ORDER"].split().index(t["name"]))) + " / " + " ".join(t["lineage"].get("parent", "-") for t in sorted(d["trials"], key=lambda t: __import__("os").environ["KF_ORDER"].split().index(t["name"])))' <<<"$status")"
"$KF" status "$run" | grep -q '^  TRIAL  *STATE  *GENERATION  *PARENT  *PARAMETERS  *METRICS$' || fail "pbt: kf status has no GENERATION and PARENT columns"

# 3. Refusals: file:line:col, exit 2, and no run left behind.
before=$(runs)
sed 's/value: "num-epochs"/value: "num-epoch"/' hyperband.yaml >bad-resource.yaml
refused "hyperband resource_name" bad-resource.yaml \
  'bad-resource.yaml:18:16: spec.algorithm.algorithmSettings[0].value: resource_name must name one of the parameters (lr, momentum, num-epochs), not "num-epoch" (did you mean '"'"'num-epochs'"'"'?)'
sed '/name: "r_l"/,+1d' hyperband.yaml >no-rl.yaml
refused "hyperband without r_l" no-rl.yaml \
  'no-rl.yaml:17:7: spec.algorithm.algorithmSettings: hyperband needs the setting r_l'
sed "s/value: '40'/value: '4'/" "$KATIB/simple-pbt.yaml" >small-population.yaml
refused "pbt population" small-population.yaml \
  "small-population.yaml:22:16: spec.algorithm.algorithmSettings[1].value: must be 5 or greater, is 4"

finish
