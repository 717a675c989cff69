#!/usr/bin/env bash
# The local target end to end: kf train (attached and --detach), status,
# logs, delete; restart policies and backoffLimit; a worker killed and
# restarted; Ctrl-C; two kf processes at once. Trains real kf-trainer
# workers on a slice of Fashion-MNIST (a few seconds each).
source "$(dirname "$0")/lib.sh"
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.com GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.com
: "${KF_TRAINER:?set KF_TRAINER to the kf-trainer binary}"
[ -d /usr/share/datasets/fashion-mnist ] || { echo "dataset-fashion-mnist is not installed" >&2; exit 1; }
cd "$WORK"
t() { timeout 120 "$@"; }
alive() { kill -0 "$1" 2>/dev/null; }

"$KF" init demo >/dev/null 2>&1
cd demo
cat >fast.yaml <<'YAML'
spec:
  training:
    workers: 2
    hyperparameters:
      epochs: 2
      train-limit: 1200
      checkpoint-every: 5
YAML
slow=(--set training.hyperparameters.step-delay-ms=40)

# 0. No runs yet: nothing on stdout (not even the header), a hint on stderr, exit 0 (as kubectl get).
run_kf status
expect_eq "status, no runs: exit code" 0 "$RC"
expect_eq "status, no runs: stdout" "" "$OUT"
expect_eq "status, no runs: stderr" "no runs yet (kf train starts one)" "$ERR"

# 1. Attached, not on a terminal: plain progress lines, a summary, exit 0.
run_kf train -f fast.yaml
expect_eq "train: exit code" 0 "$RC"
expect_eq "train: run name" "run demo-train-1 started (PyTorchJob, local) in $PWD/.kf/runs/demo-train-1" "$(head -n 1 <<<"$ERR")"
grep -q '^demo-train-1: epoch 2/2 loss=' <<<"$ERR" || fail "train: no epoch line in: $ERR"
grep -q '^demo-train-1 Succeeded: PyTorchJob demo-train-1 is successfully completed.$' <<<"$ERR" || fail "train: no summary in: $ERR"
grep -q "^  model:   $PWD/.kf/runs/demo-train-1/output (model.safetensors, model.json)$" <<<"$ERR" || fail "train: no model line"
[ -s .kf/runs/demo-train-1/output/model.safetensors ] || fail "train: no model.safetensors"
expect_eq "train: both replicas logged" "2" "$(ls .kf/runs/demo-train-1/logs | wc -l)"
grep -q '^kf-trainer\[1/2\]' .kf/runs/demo-train-1/logs/worker-0.log || fail "train: worker-0 is not rank 1 of 2"

# 2. kf status -o json: state, accuracy, the model with its digest, the dataset, the git commit.
run_kf status -o json
expect_eq "status json: exit code" 0 "$RC"
expect_eq "status json: state" "Succeeded" "$(json 'd[0]["state"]' <<<"$OUT")"
expect_eq "status json: accuracy is a number" "True" "$(json 'isinstance(d[0]["metrics"]["accuracy"], float)' <<<"$OUT")"
expect_eq "status json: commit" "$(git rev-parse HEAD)" "$(json 'd[0]["git"]["commit"]' <<<"$OUT")"
expect_eq "status json: dirty (fast.yaml is untracked)" "True" "$(json 'd[0]["git"]["dirty"]' <<<"$OUT")"
expect_eq "status json: model sha256" "$(sha256sum .kf/runs/demo-train-1/output/model.safetensors | cut -d' ' -f1)" \
  "$(json '[a["sha256"] for a in d[0]["artifacts"] if a["type"] == "kf.Model"][0]' <<<"$OUT")"
expect_eq "status json: dataset input" "input /usr/share/datasets/fashion-mnist" \
  "$(json '" ".join([[a["direction"], a["uri"]] for a in d[0]["artifacts"] if a["type"] == "kf.Dataset"][0])' <<<"$OUT")"
expect_eq "status json: parameters" "2" "$(json 'd[0]["parameters"]["epochs"]' <<<"$OUT")"
expect_eq "status json: replicas" '{"Master": {"active": 0, "succeeded": 1, "failed": 0}, "Worker": {"active": 0, "succeeded": 1, "failed": 0}}' \
  "$(json 'json.dumps(d[0]["replicas"])' <<<"$OUT")"
run_kf status
expect_eq "status table: header" "NAME KIND STATE AGE PROGRESS METRICS COMMIT" "$(head -n 1 <<<"$OUT" | tr -s ' ')"
expect_eq "status table: row" "demo-train-1 PyTorchJob Succeeded 2/2 succeeded" \
  "$(sed -n 2p <<<"$OUT" | tr -s ' ' | cut -d' ' -f1-3,5-6)"
run_kf status @latest
expect_eq "status one: exit code" 0 "$RC"
for section in "Name:      demo-train-1" "Conditions:" "Metrics:" "Artifacts:" "  Succeeded   True     PyTorchJobSucceeded"; do
  grep -qF "$section" <<<"$OUT" || fail "status one: no '$section' in: $OUT"
done
run_kf status demo-train-1 -o json
expect_eq "status one json: epochs" "1 2" "$(json '" ".join(str(e["epoch"]) for e in d["epochs"])' <<<"$OUT")"
expect_eq "status one json: conditions" "Created Running Succeeded" "$(json '" ".join(c["type"] for c in d["conditions"])' <<<"$OUT")"
run_kf status nope-1
expect_eq "status unknown: exit code" 1 "$RC"
expect_eq "status unknown: message" 'error: run "nope-1" does not exist (kf status lists the runs)' "$ERR"

# 3. kf logs: the master by default, --replica, --tail, and a wrong replica.
run_kf logs demo-train-1
grep -q '^epoch=2 loss=' <<<"$OUT" || fail "logs: no epoch=2 line"
run_kf logs demo-train-1 --replica worker-0 --tail 1
expect_eq "logs tail: one line" 1 "$(wc -l <<<"$OUT")"
grep -q '^kf-trainer\[1/2\]' <<<"$OUT" || fail "logs tail: not the worker's line: $OUT"
run_kf logs demo-train-1 --replica worker-7
expect_eq "logs bad replica: exit code" 2 "$RC"
expect_eq "logs bad replica: message" 'error: run demo-train-1 has no replica "worker-7" (it has master-0, worker-0)' "$ERR"

# 4. --detach returns at once; logs -f follows to the end.
run_kf train -f fast.yaml --detach "${slow[@]}"
expect_eq "detach: exit code" 0 "$RC"
expect_eq "detach: prints the run" "demo-train-2" "$OUT"
OUT=$(t "$KF" logs demo-train-2 -f)
grep -q '^epoch=2 loss=' <<<"$OUT" || fail "logs -f: did not follow to the end"
expect_eq "detach: succeeded" "Succeeded" "$("$KF" status demo-train-2 -o json | json 'd["state"]')"

# 5. A worker killed with SIGKILL: OnFailure restarts the replicas; the run resumes and succeeds.
#    (400 ms a step: under ASan, `kf status` is slow enough that at 150 ms the worker had finished before the kill.)
run_kf train -f fast.yaml --detach --set training.hyperparameters.step-delay-ms=400
run=$OUT
step_past() { [ "$("$KF" status "$run" -o json | json 'd.get("progress", {}).get("step", 0)')" -ge 8 ]; }
wait_for "$run to pass step 8" step_past
pid=$(json '[r["pid"] for r in d["replicas"] if r["name"] == "worker-0"][0]' <".kf/runs/$run/local.json")
kill -9 "$pid" || fail "restart: worker-0 (pid $pid) was not running"
t "$KF" logs "$run" -f >/dev/null
run_kf status "$run" -o json
expect_eq "restart: state" "Succeeded" "$(json 'd["state"]' <<<"$OUT")"
expect_eq "restart: restarts" "1" "$(json 'd["restarts"]' <<<"$OUT")"
# As the training operator writes them: Running and Restarting remove each
# other, so the restart leaves no condition; Running, turned off, stays before Succeeded.
expect_eq "restart: conditions" "Created=True Running=False Succeeded=True" \
  "$(json '" ".join(c["type"] + "=" + c["status"] for c in d["conditions"])' <<<"$OUT")"
# The supervisor restarts on the first exit it reaps: usually the killed worker (137), under load
# sometimes the master, which Gloo fails once its peer is gone.
grep -qE '^kf: restarting every replica \(restart 1\): (worker-0 exited with code 137|master-0 exited with code [0-9]+)$' \
  ".kf/runs/$run/logs/master-0.log" ||
  fail "restart: no restart line in the master's log: $(grep '^kf: ' ".kf/runs/$run/logs/master-0.log" || true)"
grep -q 'resum' ".kf/runs/$run/logs/master-0.log" || fail "restart: the master did not resume from a checkpoint"

# 6. A replica that always crashes: Failed after backoffLimit restarts, the reason in status.
cat >crash.yaml <<'YAML'
spec:
  training:
    workers: 1
    command: [sh, -c, 'echo "boom: no GPU here" >&2; exit 3']
    backoffLimit: 2
YAML
run_kf train -f crash.yaml
expect_eq "crash: exit code" 1 "$RC"
run=$(sed -n 's/^run \([^ ]*\) started.*/\1/p' <<<"$ERR")
run_kf status "$run" -o json
expect_eq "crash: state" "Failed" "$(json 'd["state"]' <<<"$OUT")"
expect_eq "crash: message" "PyTorchJob $run has failed because it has reached the specified backoff limit (2 restarts; master-0 exited with code 3)." \
  "$(json 'd["message"]' <<<"$OUT")"
expect_eq "crash: restarts" "2" "$(json 'd["restarts"]' <<<"$OUT")"
expect_eq "crash: log tail" "boom: no GPU here" "$(json 'd["logTail"][-1]' <<<"$OUT")"
run_kf status "$run"
grep -qF "Last lines of master-0's log:" <<<"$OUT" || fail "crash: status does not show the failing log"

# 7. restartPolicy Never: no restart; ExitCode: restart only a signal (>= 128).
run_kf train -f crash.yaml --set training.restartPolicy=Never
run=$(sed -n 's/^run \([^ ]*\) started.*/\1/p' <<<"$ERR")
expect_eq "never: message" "PyTorchJob $run is failed because 1 Master replica(s) failed (master-0 exited with code 3, restartPolicy Never)." \
  "$("$KF" status "$run" -o json | json 'd["message"]')"
run_kf train -f crash.yaml --set training.restartPolicy=ExitCode
run=$(sed -n 's/^run \([^ ]*\) started.*/\1/p' <<<"$ERR")
expect_eq "exitcode 3: no restart" "0 Failed" "$("$KF" status "$run" -o json | json 'str(d["restarts"]) + " " + d["state"]')"
run_kf train -f crash.yaml --set training.restartPolicy=ExitCode --set 'training.command={sh,-c,kill -9 $$}' --set training.backoffLimit=1
run=$(sed -n 's/^run \([^ ]*\) started.*/\1/p' <<<"$ERR")
expect_eq "exitcode 137: restarted up to the limit" "1 Failed" "$("$KF" status "$run" -o json | json 'str(d["restarts"]) + " " + d["state"]')"

# 7b. kf resume restarts a training job only when its supervisor was lost (test_local_kill.sh kills it).
run_kf resume "$run"
expect_eq "resume a failed job" "2 error: run $run is Failed (PyTorchJobFailed): kf resume restarts a PyTorchJob whose supervisor was lost; kf train or kf submit -f starts it again" "$RC $ERR"
run_kf resume "$run" --set spec.runPolicy.backoffLimit=3
expect_eq "resume --set" "2 error: kf resume $run: a PyTorchJob restarts as it was submitted; it takes no --set" "$RC $ERR"
run_kf resume demo-train-1
expect_eq "resume a succeeded job" "2 error: run demo-train-1 succeeded: there is nothing to resume" "$RC $ERR"
run_kf stop demo-train-1
expect_eq "stop a succeeded job" "0 run demo-train-1 had already ended (Succeeded): kept as it was" "$RC $OUT"
expect_eq "stop a succeeded job: its state" "Succeeded" "$("$KF" status demo-train-1 -o json | json 'd["state"]')"
run_kf stop demo-train-1 demo-train-99
expect_eq "stop an unknown run" "1 error: run \"demo-train-99\" does not exist (kf status lists the runs); stopped demo-train-1" "$RC $ERR"

# 8. Ctrl-C on an attached kf stops every replica and marks the run.
"$KF" train -f fast.yaml "${slow[@]}" >/dev/null 2>"$WORK/ctrlc.err" &
kfpid=$!
running() { grep -q '^demo-train-[0-9]*: Running$' "$WORK/ctrlc.err"; }
wait_for "the attached run to be Running" running
run=$(sed -n 's/^run \([^ ]*\) started.*/\1/p' "$WORK/ctrlc.err")
pids=$(json '" ".join(str(r["pid"]) for r in d["replicas"])' <".kf/runs/$run/local.json")
kill -INT "$kfpid"
set +e; wait "$kfpid"; rc=$?; set -e
expect_eq "ctrl-c: exit code" 130 "$rc"
expect_eq "ctrl-c: state" "Stopped" "$("$KF" status "$run" -o json | json 'd["state"]')"
for p in $pids; do ! alive "$p" || fail "ctrl-c: replica $p still running"; done

# 9. kf delete: a running run and a finished one; an unknown one is an error.
run_kf train -f fast.yaml --detach "${slow[@]}"
run=$OUT
wait_for "$run to start" test -s ".kf/runs/$run/local.json"
pids=$(json '" ".join(str(r["pid"]) for r in d["replicas"])' <".kf/runs/$run/local.json")
run_kf delete "$run" demo-train-1
expect_eq "delete: exit code" 0 "$RC"
expect_eq "delete: output" "run $run deleted
run demo-train-1 deleted" "$OUT"
for p in $pids; do ! alive "$p" || fail "delete: replica $p still running"; done
[ ! -e ".kf/runs/$run" ] && [ ! -e .kf/runs/demo-train-1 ] || fail "delete: run directories left"
"$KF" status -o json | json '[r["name"] for r in d]' | grep -q "demo-train-1'" && fail "delete: demo-train-1 still listed"
run_kf delete demo-train-1
expect_eq "delete unknown: exit code" 1 "$RC"
expect_eq "delete unknown: message" "error: run \"demo-train-1\" does not exist (kf status lists the runs)" "$ERR"
for bad in "" .. ../.. runs/x; do # never a path beside the runs: kf delete would remove it
  run_kf delete "$bad"
  expect_eq "delete '$bad': exit code" 2 "$RC"
  expect_eq "delete '$bad': message" "error: \"$bad\" is not a run name (kf status lists the runs)" "$ERR"
done
[ -e .kf/metadata.db ] && [ -e kf.yaml ] || fail "delete of a bad name removed what is not a run"
for bad in ../escape Bad_Name; do # a new run's name is an object name: never a path, never one the API server refuses
  run_kf train --name "$bad" --detach
  expect_eq "train --name '$bad'" "2 error: --name \"$bad\": a run's name is its object's name, a lowercase RFC 1123 subdomain: lower case alphanumeric characters, '-' or '.', starting and ending with an alphanumeric character (e.g. 'baseline-2')" "$RC $ERR"
done
[ ! -e ../escape ] && [ ! -e .kf/runs/Bad_Name ] || fail "train --name with a bad name left a directory"

# 9b. A run whose supervisor was killed (kill -9: its replicas live on in process groups of their
#     own), deleted before anything looked at it: kf delete stops its replicas too.
run_kf train -f fast.yaml --detach "${slow[@]}"
run=$OUT
replicas_up() { [ "$(json 'len([r for r in d["replicas"] if r["pid"] > 0])' <".kf/runs/$run/local.json" 2>/dev/null)" = 2 ]; }
wait_for "$run's replicas to start" replicas_up
pids=$(json '" ".join(str(r["pid"]) for r in d["replicas"])' <".kf/runs/$run/local.json")
kill -9 "$(json 'd["supervisor"]["pid"]' <".kf/runs/$run/local.json")"
for p in $pids; do alive "$p" || fail "lost supervisor: replica $p ended with its supervisor"; done
run_kf delete "$run"
expect_eq "delete after a lost supervisor" "0 run $run deleted" "$RC $OUT"
for p in $pids; do # a zombie (state Z) whose parent is gone has ended: only this machine's init may reap it
  ! alive "$p" || [ "$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null)" = Z ] || fail "lost supervisor: replica $p still running after kf delete"
done

# 9c. The restarts a lost supervisor made still count after kf resume: backoffLimit 1, the first
#     start dies (restart 1), the second is running when its supervisor is killed, the third (after
#     kf resume) dies and the job fails there, with no restart beyond the limit.
cat >lost.yaml <<YAML
spec:
  training:
    workers: 1
    restartPolicy: ExitCode
    backoffLimit: 1
    command: [sh, -c, 'n=\$(cat "$WORK/starts" 2>/dev/null || echo 0); echo \$((n + 1)) >"$WORK/starts"; if [ "\$n" = 1 ]; then sleep 60; else kill -9 \$\$; fi']
YAML
run_kf train -f lost.yaml --detach
run=$OUT
second_start() { [ "$(cat "$WORK/starts" 2>/dev/null)" = 2 ] && [ "$(json 'd["replicas"][0]["pid"]' <".kf/runs/$run/local.json" 2>/dev/null)" -gt 0 ]; }
wait_for "$run's second start" second_start
kill -9 "$(json 'd["supervisor"]["pid"]' <".kf/runs/$run/local.json")"
run_kf resume "$run"
expect_eq "lost supervisor, resumed: followed to its end" 1 "$RC"
run_kf status "$run" -o json
expect_eq "lost supervisor: restarts carried over" "Failed 1 3" "$(json 'd["state"] + " " + str(d["restarts"])' <<<"$OUT") $(cat "$WORK/starts")"
expect_eq "lost supervisor: backoff message" "PyTorchJob $run has failed because it has reached the specified backoff limit (1 restarts; master-0 exited with code 137)." \
  "$(json 'd["message"]' <<<"$OUT")"

# 10. Two kf processes at once: two runs, distinct names, one intact database.
"$KF" train -f fast.yaml --detach >"$WORK/a.out" 2>"$WORK/a.err" &
a=$!
"$KF" train -f fast.yaml --detach >"$WORK/b.out" 2>"$WORK/b.err" &
b=$!
wait "$a" && wait "$b" || fail "concurrent: a kf failed: $(cat "$WORK/a.err" "$WORK/b.err")"
ra=$(cat "$WORK/a.out"); rb=$(cat "$WORK/b.out")
[ "$ra" != "$rb" ] || fail "concurrent: both runs are named $ra"
t "$KF" logs "$ra" -f >/dev/null; t "$KF" logs "$rb" -f >/dev/null
expect_eq "concurrent: both succeeded" "Succeeded Succeeded" \
  "$("$KF" status "$ra" -o json | json 'd["state"]') $("$KF" status "$rb" -o json | json 'd["state"]')"
expect_eq "concurrent: database intact" "ok" "$(python3 -c 'import sqlite3; print(sqlite3.connect(".kf/metadata.db").execute("pragma integrity_check").fetchone()[0])')"

# 11. A cluster target runs on its cluster (tests/e2e/test_cluster_runs.sh); without a kubeconfig it says so.
HOME=$WORK/nohome KUBECONFIG= run_kf train --target prod --set 'targets[1].name=prod' --set 'targets[1].type=cluster'
expect_eq "cluster target without a kubeconfig: exit code" 1 "$RC"
expect_eq "cluster target without a kubeconfig: message" "error: target \"prod\": no kubeconfig: pass --kubeconfig FILE, set KUBECONFIG, or create ~/.kube/config" "$ERR"

finish
