#!/usr/bin/env bash
# Kill -9 campaign for the local controllers (tests/README.md, "Campaigns"):
#   1. a Katib Experiment (12 trials, 2 at a time): its controller killed with
#      SIGKILL once N trials have started, for 4 values of N drawn from a seed,
#      each kill followed by `kf resume`;
#   2. an Argo Workflow of 8 steps in a row: its controller killed once step N
#      has started, for 3 drawn values of N, each followed by `kf resume`;
#   3. a PyTorchJob of kf train (a master and a worker of kf-trainer, 4
#      epochs, a checkpoint every 5 steps): its supervisor killed once the
#      training has passed step N, for 3 drawn values of N, each followed by
#      `kf resume`.
# After every kill: the run says what Kubeflow would (Failed, SupervisorLost),
# .kf/metadata.db passes PRAGMA integrity_check, and no trial, step or epoch
# that had finished is lost or runs again; no replica of the PyTorchJob is
# left running. At the end the run has succeeded with every trial (each ran
# exactly once: trials outlive their controller and are adopted), every step,
# or every epoch (the trainer carries on from its last checkpoint). A kill that lands after the controller has finished
# (a slow machine) is counted as such and ends that section's kills; the kill
# points leave at least two rounds of trials, or one step, to go. The last
# line prints the figures.
# Environment: KF_CAMPAIGN_SEED (default 18).
source "$(dirname "$0")/lib.sh"
SEED=${KF_CAMPAIGN_SEED:-18}
RANDOM=$SEED
export PATH=/usr/bin:/bin:$PATH
cd "$WORK"
"$KF" init demo >/dev/null 2>&1
cd demo
RAN=$WORK/ran

integrity() { python3 -c 'import sqlite3; print(sqlite3.connect(".kf/metadata.db").execute("pragma integrity_check").fetchone()[0])'; }
supervisor() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["supervisor"]["pid"])' ".kf/runs/$1/local.json" 2>/dev/null || true; }
started() { [ -f "$RAN" ] && [ "$(wc -l <"$RAN")" -ge "$1" ]; }
# draws COUNT LIMIT: COUNT numbers in 1..LIMIT from the seed, sorted, without repeats, in
# DRAWN. (RANDOM is read in this shell: bash seeds a subshell's RANDOM afresh.)
draws() {
  local picked=() _
  for _ in $(seq "$1"); do picked+=($((1 + RANDOM % $2))); done
  mapfile -t DRAWN < <(printf '%s\n' "${picked[@]}" | sort -n | uniq)
}

# new_controller RUN: RUN's controller is alive and is not the one killed before.
new_controller() {
  local pid
  pid=$(supervisor "$1")
  [ -n "$pid" ] && [ "$pid" != "${KILLED:-none}" ] && kill -0 "$pid" 2>/dev/null
}

# late STATE: the kill landed after the controller had finished (a slow machine); counted in LATE.
late() { [ "${1%% *}" = Succeeded ] && LATE=$((LATE + 1)); }

RESUMED=""
# kill_controller RUN: SIGKILL to RUN's controller, once it is a new one (not the one killed before).
kill_controller() {
  local run=$1 pid
  wait_for "a live controller of $run" new_controller "$run"
  pid=$(supervisor "$run")
  kill -9 "$pid"
  while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
  KILLED=$pid
  if [ -n "$RESUMED" ]; then # the resume whose controller this was has ended too
    set +e
    wait "$RESUMED" 2>/dev/null
    RESUME_RC=$?
    set -e
    RESUMED=""
  fi
}
resume_in_background() {
  "$KF" resume "$1" >"$WORK/resume.out" 2>"$WORK/resume.err" &
  RESUMED=$!
}
# after_kill RUN WHAT: kill_controller RUN, then its status in $OUT; counts KILLS and
# INTACT (metadata.db passes integrity_check).
after_kill() {
  kill_controller "$1"
  KILLS=$((KILLS + 1))
  run_kf status "$1" -o json
  [ "$(integrity)" = ok ] && INTACT=$((INTACT + 1)) || fail "$2: metadata.db: $(integrity)"
}
# last_resume: waits for the resume still running, if one is; its exit code in RESUME_RC.
last_resume() {
  [ -n "$RESUMED" ] || return 0
  set +e
  wait "$RESUMED"
  RESUME_RC=$?
  set -e
  RESUMED=""
}

# 1. The Experiment.
cat >exp.yaml <<YAML
apiVersion: kubeflow.org/v1beta1
kind: Experiment
metadata:
  name: kills
spec:
  objective: {type: minimize, objectiveMetricName: value}
  algorithm: {algorithmName: random}
  parallelTrialCount: 2
  maxTrialCount: 12
  parameters:
    - {name: x, parameterType: double, feasibleSpace: {min: "-5", max: "10"}}
  trialTemplate:
    primaryContainerName: main
    trialParameters:
      - {name: x, reference: x}
      - {name: me, reference: "\${trialSpec.Name}"}
    trialSpec:
      apiVersion: batch/v1
      kind: Job
      spec:
        template:
          spec:
            containers:
              - name: main
                image: busybox
                command: [sh, -c, 'echo \${trialParameters.me} >> $RAN; sleep 0.6; echo "value=\${trialParameters.x}"']
            restartPolicy: Never
YAML
run_kf submit -f exp.yaml --detach
expect_eq "experiment: submitted" "0 kills-1" "$RC $OUT"
R=kills-1
KILLS=0 INTACT=0 LATE=0 RESUME_RC=0 exp_marked=0 exp_kept=0
# At most 8 of the 12 trials started: at least two rounds of trials to go when the kill lands.
draws 4 8
for n in "${DRAWN[@]}"; do
  wait_for "$n trials to start" started "$n"
  after_kill "$R" "experiment, kill at $n trials"
  # The conditions that are True (a condition is updated in place, as Katib does: not always the last).
  state=$(json 'd["state"] + " " + " ".join(c["type"] + "/" + c["reason"] for c in d["status"]["conditions"] if c["status"] == "True")' <<<"$OUT")
  late "$state" && break
  [ "$state" = "Failed Created/ExperimentCreated Failed/SupervisorLost" ] && exp_marked=$((exp_marked + 1)) || fail "experiment, kill at $n trials: $state"
  done_now=$(json '" ".join(sorted(t["name"] for t in d["trials"] if t["state"] == "Succeeded"))' <<<"$OUT")
  missing=$(for t in ${DONE_BEFORE:-}; do grep -qw "$t" <<<"$done_now" || echo "$t"; done)
  [ -z "$missing" ] && exp_kept=$((exp_kept + 1)) || fail "experiment, kill at $n trials: finished trials lost: $missing"
  DONE_BEFORE=$done_now
  resume_in_background "$R"
done
exp_kills=$KILLS exp_intact=$INTACT exp_late=$LATE
last_resume
expect_eq "experiment: the last resume: exit code" 0 "$RESUME_RC"
run_kf status "$R" -o json
expect_eq "experiment: end" "Succeeded 12 12" "$(json 'd["state"] + " " + str(d["status"]["trials"]) + " " + str(d["status"]["trialsSucceeded"])' <<<"$OUT")"
exp_reruns=$(sort "$RAN" | uniq -d | wc -l)
expect_eq "experiment: every trial ran once" "12 0" "$(sort -u "$RAN" | wc -l) $exp_reruns"
expect_eq "experiment: metadata.db" "ok 12" "$(integrity) $(python3 -c '
import sqlite3; db = sqlite3.connect(".kf/metadata.db")
print(db.execute("select count(*) from Execution where name like ? and last_known_state = 3", ("kills-1-%",)).fetchone()[0])')"

# 2. The Workflow.
rm -f "$RAN"
KILLED="" RESUMED=""
{
  echo 'apiVersion: argoproj.io/v1alpha1'
  echo 'kind: Workflow'
  echo 'metadata: {name: chain}'
  echo 'spec:'
  echo '  entrypoint: main'
  echo '  templates:'
  echo '  - name: main'
  echo '    steps:'
  for i in 1 2 3 4 5 6 7 8; do echo "    - - {name: s$i, template: step, arguments: {parameters: [{name: who, value: s$i}]}}"; done
  echo '  - name: step'
  echo '    inputs: {parameters: [{name: who}]}'
  echo "    container: {image: busybox, command: [sh, -c], args: [\"echo {{inputs.parameters.who}} >> $RAN; sleep 0.8\"]}"
} >chain.yaml
run_kf submit -f chain.yaml --detach --no-cache
expect_eq "workflow: submitted" "0 chain-1" "$RC $OUT"
R=chain-1
KILLS=0 INTACT=0 LATE=0 RESUME_RC=0 wf_marked=0 SNAPSHOTS=""
draws 3 6
for n in "${DRAWN[@]}"; do
  wait_for "step s$n to start" started "$n"
  after_kill "$R" "workflow, kill at step $n"
  phase=$(json 'd["status"]["phase"] + " " + d["status"].get("message", "")' <<<"$OUT")
  late "$phase" && break
  grep -q "^Failed .*lost its supervisor" <<<"$phase" && wf_marked=$((wf_marked + 1)) || fail "workflow, kill at step $n: $phase"
  finished=$(json '" ".join(sorted(n["name"] for n in d["nodes"] if n["type"] == "Pod" and n["phase"] == "Succeeded"))' <<<"$OUT")
  counts=$(for s in $finished; do echo "$s $(grep -cx "$s" "$RAN")"; done)
  SNAPSHOTS+="$counts"$'\n'
  resume_in_background "$R"
done
wf_kills=$KILLS wf_intact=$INTACT wf_late=$LATE
last_resume
expect_eq "workflow: the last resume: exit code" 0 "$RESUME_RC"
expect_eq "workflow: end" Succeeded "$("$KF" status "$R" -o json | json 'd["status"]["phase"]')"
expect_eq "workflow: every step ran" "s1 s2 s3 s4 s5 s6 s7 s8" "$(sort -u "$RAN" | tr '\n' ' ' | sed 's/ $//')"
rerun_finished=$(while read -r s c; do
  if [ -n "$s" ] && [ "$(grep -cx "$s" "$RAN")" != "$c" ]; then echo "$s"; fi
done <<<"$SNAPSHOTS" | sort -u | tr '\n' ' ')
expect_eq "workflow: no finished step ran again" "" "$rerun_finished"
expect_eq "workflow: metadata.db" ok "$(integrity)"
wf_reruns=$(( $(wc -l <"$RAN") - 8 ))

# 3. The PyTorchJob.
KILLED="" RESUMED=""
cat >kills.yaml <<'YAML'
spec:
  training:
    workers: 2
    hyperparameters:
      epochs: 4
      train-limit: 1200
      checkpoint-every: 5
      step-delay-ms: 250
YAML
run_kf train -f kills.yaml --detach
expect_eq "pytorchjob: submitted" "0 demo-train-1" "$RC $OUT"
R=demo-train-1
progress_step() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("progress", {}).get("step", 0))' ".kf/runs/$R/local.json" 2>/dev/null || echo 0; }
resumes() { grep -c '^kf-trainer\[0/2\]: resuming from output/checkpoints/' ".kf/runs/$R/logs/master-0.log" 2>/dev/null || true; }
# past_step N: the training has passed step N, in the replicas started after the last kill.
past_step() { [ "$(resumes)" -ge "$job_marked" ] && [ "$(progress_step)" -ge "$1" ]; }
# left_running FILE: the replicas a copy of local.json names that still run: the same pid started
# at the same time, not a zombie. (kf rewrites local.json once it has stopped them: a copy from
# before the kill is read.)
left_running() {
  python3 - "$1" <<'PY'
import json, sys
left = []
for r in json.load(open(sys.argv[1])).get("replicas", []):
    try:
        stat = open(f"/proc/{r['pid']}/stat").read()
    except (OSError, KeyError):
        continue
    fields = stat[stat.rindex(")") + 2:].split()
    if r.get("pid") and fields[0] not in "ZX" and int(fields[19]) == r.get("startTicks"):
        left.append(r["name"])
print(" ".join(left))
PY
}
KILLS=0 INTACT=0 LATE=0 RESUME_RC=0 job_marked=0 job_stopped=0 job_kept=0 EPOCHS_BEFORE=""
# 24 steps in all (4 epochs of 6): kills between steps 6 (a checkpoint is written at 5) and 18.
draws 3 13
for n in "${DRAWN[@]}"; do
  wait_for "$R to pass step $((n + 5))" past_step "$((n + 5))"
  cp ".kf/runs/$R/local.json" "$WORK/replicas.json"
  before=$(left_running "$WORK/replicas.json")
  after_kill "$R" "pytorchjob, kill at step $((n + 5))"
  state=$(json 'd["state"] + " " + [c["reason"] for c in d["status"]["conditions"] if c["type"] == d["state"]][0]' <<<"$OUT")
  late "$state" && break
  [ "$state" = "Failed SupervisorLost" ] && job_marked=$((job_marked + 1)) || fail "pytorchjob, kill at step $((n + 5)): $state"
  left=$(left_running "$WORK/replicas.json")
  [ -n "$before" ] || fail "pytorchjob, kill at step $((n + 5)): no replica was running at the kill"
  [ -z "$left" ] && job_stopped=$((job_stopped + 1)) || fail "pytorchjob, kill at step $((n + 5)): replicas left running: $left (running at the kill: $before)"
  epochs_now=$(json '" ".join(str(e["epoch"]) for e in d["epochs"])' <<<"$OUT")
  [[ " $epochs_now " == *" ${EPOCHS_BEFORE:-}"* ]] && job_kept=$((job_kept + 1)) || fail "pytorchjob, kill at step $((n + 5)): epochs were '$EPOCHS_BEFORE', now '$epochs_now'"
  EPOCHS_BEFORE=$epochs_now
  [ -s ".kf/runs/$R/output/checkpoints/latest" ] || fail "pytorchjob, kill at step $((n + 5)): no checkpoint"
  resume_in_background "$R"
done
job_kills=$KILLS job_intact=$INTACT job_late=$LATE
last_resume
expect_eq "pytorchjob: the last resume: exit code" 0 "$RESUME_RC"
run_kf status "$R" -o json
expect_eq "pytorchjob: end" "Succeeded 1 2 3 4" "$(json 'd["state"] + " " + " ".join(str(e["epoch"]) for e in d["epochs"])' <<<"$OUT")"
expect_eq "pytorchjob: conditions" "Created=True Running=False Succeeded=True" \
  "$(json '" ".join(c["type"] + "=" + c["status"] for c in d["status"]["conditions"])' <<<"$OUT")"
[ -s ".kf/runs/$R/output/model.safetensors" ] || fail "pytorchjob: no model"
job_resumed=$(resumes)
expect_eq "pytorchjob: each restart resumed from a checkpoint" "$((job_kills - job_late))" "$job_resumed"
expect_eq "pytorchjob: metadata.db" "ok Succeeded" "$(integrity) $(python3 -c '
import sqlite3; db = sqlite3.connect(".kf/metadata.db")
print({3: "Succeeded"}.get(db.execute("select last_known_state from Execution where name = ?", ("demo-train-1",)).fetchone()[0], "not succeeded"))')"

echo "campaign (seed $SEED): experiment: $exp_kills kills ($exp_late after its end), $exp_marked marked SupervisorLost, $exp_intact with metadata.db intact, $exp_kept with no finished trial lost, $exp_reruns trials ran twice; workflow: $wf_kills kills ($wf_late after its end), $wf_marked marked lost, $wf_intact with metadata.db intact, ${rerun_finished:-no} finished step ran again, $wf_reruns steps ran again (each was running at a kill); pytorchjob: $job_kills kills ($job_late after its end), $job_marked marked SupervisorLost, $job_stopped with no replica left running, $job_intact with metadata.db intact, $job_kept with no finished epoch lost, $job_resumed restarts from a checkpoint"
finish
