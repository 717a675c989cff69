#!/usr/bin/env bash
# batch/v1 Job on the local target through kf submit -f: completions and
# parallelism, Indexed completion, backoffLimit, activeDeadlineSeconds,
# restartPolicy OnFailure, generateName, a command missing on this machine,
# a directory of manifests, stdin, and the refusals (-p on a Job, a kind the
# local target does not run). Every container command is a shell one-liner.
source "$(dirname "$0")/lib.sh"
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.com GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.com
cd "$WORK"
# job NAME RESTART_POLICY COMMAND [SPEC_LINE...]: a Job manifest on stdout.
job() {
  local name=$1 policy=$2 command=$3; shift 3
  printf 'apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: %s\nspec:\n' "$name"
  local line
  for line in "$@"; do printf '  %s\n' "$line"; done
  printf '  template:\n    spec:\n      containers:\n      - name: main\n        image: busybox:1.36\n'
  printf '        command: [sh, -c, %s]\n      restartPolicy: %s\n' "$(python3 -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$command")" "$policy"
}
status_of() { "$KF" status "$1" -o json; }
runs() { ls .kf/runs 2>/dev/null | sort; }

"$KF" init demo >/dev/null 2>&1
cd demo

# 1. completions 4, parallelism 2: attached, exit 0, every pod succeeded once.
job pi Never 'echo "pod done"' 'completions: 4' 'parallelism: 2' >pi.yaml
run_kf submit -f pi.yaml
expect_eq "completions: exit code" 0 "$RC"
expect_eq "completions: started line" "run pi-1 started (Job, local) in $PWD/.kf/runs/pi-1" "$(head -n 1 <<<"$ERR")"
grep -qx 'pi-1 Complete: Reached expected number of succeeded pods' <<<"$ERR" || fail "completions: no summary in: $ERR"
run_kf status pi-1 -o json
expect_eq "completions: state" "Complete" "$(json 'd["state"]' <<<"$OUT")"
expect_eq "completions: status.succeeded == completions" "4 0 0" \
  "$(json '" ".join(str(d["status"][k]) for k in ("succeeded", "failed", "active"))' <<<"$OUT")"
expect_eq "completions: condition" "Complete True CompletionsReached" \
  "$(json '" ".join(d["status"]["conditions"][-1][k] for k in ("type", "status", "reason"))' <<<"$OUT")"
expect_eq "completions: pods" "pod-0 pod-1 pod-2 pod-3" "$(json '" ".join(p["name"] for p in d["processes"])' <<<"$OUT")"
[ -n "$(json 'd["status"].get("completionTime", "")' <<<"$OUT")" ] || fail "completions: no status.completionTime"
run_kf logs pi-1 --replica pod-3
expect_eq "completions: pod-3's log" "pod done" "$OUT"
run_kf logs pi-1 --replica pod-4
expect_eq "completions: no pod-4: exit code" 2 "$RC"
expect_eq "completions: no pod-4: message" 'error: run pi-1 has no replica "pod-4" (it has pod-0, pod-1, pod-2, pod-3)' "$ERR"

# 2. completionMode Indexed: each pod gets its JOB_COMPLETION_INDEX; --detach prints the run.
job idx Never 'echo "index=$JOB_COMPLETION_INDEX"' 'completions: 3' 'parallelism: 3' 'completionMode: Indexed' >idx.yaml
run_kf submit -f idx.yaml --detach
expect_eq "indexed: exit code" 0 "$RC"
expect_eq "indexed: --detach prints the run" "idx-1" "$OUT"
timeout 60 "$KF" logs idx-1 -f >/dev/null
for i in 0 1 2; do
  expect_eq "indexed: pod-$i's index" "index=$i" "$("$KF" logs idx-1 --replica pod-$i)"
done
run_kf status idx-1 -o json
expect_eq "indexed: status" "Complete 3 0-2" \
  "$(json 'd["state"] + " " + str(d["status"]["succeeded"]) + " " + d["status"]["completedIndexes"]' <<<"$OUT")"

# 3. backoffLimit 2 exceeded: 3 pods fail, Failed/BackoffLimitExceeded, exit 1.
job crash Never 'echo "boom" >&2; exit 3' 'backoffLimit: 2' >crash.yaml
run_kf submit -f crash.yaml
expect_eq "backoff: exit code" 1 "$RC"
grep -qx 'crash-1 Failed: Job has reached the specified backoff limit' <<<"$ERR" || fail "backoff: no summary in: $ERR"
run_kf status crash-1 -o json
expect_eq "backoff: state" "Failed" "$(json 'd["state"]' <<<"$OUT")"
expect_eq "backoff: condition" "Failed True BackoffLimitExceeded Job has reached the specified backoff limit" \
  "$(json '" ".join(d["status"]["conditions"][-1][k] for k in ("type", "status", "reason", "message"))' <<<"$OUT")"
expect_eq "backoff: status.failed (backoffLimit + 1)" "3 0" "$(json 'str(d["status"]["failed"]) + " " + str(d["status"]["succeeded"])' <<<"$OUT")"
expect_eq "backoff: exit codes" "3 3 3" "$(json '" ".join(str(p["exitCode"]) for p in d["processes"])' <<<"$OUT")"
expect_eq "backoff: log" "boom" "$("$KF" logs crash-1 --replica pod-2)"

# 4. activeDeadlineSeconds: the pod is stopped, Failed/DeadlineExceeded, exit 1.
job slow Never 'echo started; sleep 60; echo finished' 'activeDeadlineSeconds: 1' >slow.yaml
run_kf submit -f slow.yaml
expect_eq "deadline: exit code" 1 "$RC"
run_kf status slow-1 -o json
expect_eq "deadline: condition" "Failed True DeadlineExceeded Job was active longer than specified deadline" \
  "$(json '" ".join(d["status"]["conditions"][-1][k] for k in ("type", "status", "reason", "message"))' <<<"$OUT")"
expect_eq "deadline: active" "0" "$(json 'd["status"]["active"]' <<<"$OUT")"
expect_eq "deadline: the pod did not finish" "started" "$("$KF" logs slow-1)"

# 5. restartPolicy OnFailure: the failed container restarts in place (same pod, restarts 1).
# (A pod's working directory is its run's directory: the marker survives the restart.)
job again OnFailure 'if [ -e tried ]; then echo second try; else : >tried; echo first try; exit 1; fi' 'backoffLimit: 3' >again.yaml
run_kf submit -f again.yaml
expect_eq "onfailure: exit code" 0 "$RC"
run_kf status again-1 -o json
expect_eq "onfailure: state" "Complete" "$(json 'd["state"]' <<<"$OUT")"
expect_eq "onfailure: one pod, restarted once" "pod-0 1 Succeeded" \
  "$(json '" ".join(" ".join(str(p[k]) for k in ("name", "restarts", "state")) for p in d["processes"])' <<<"$OUT")"
expect_eq "onfailure: succeeded/failed" "1 0" "$(json 'str(d["status"]["succeeded"]) + " " + str(d["status"]["failed"])' <<<"$OUT")"
expect_eq "onfailure: the log spans both tries" "first try
kf: restarting pod-0 (exit code 1)
second try" "$("$KF" logs again-1)"

# 6. generateName: the run is named <prefix><5 characters>; --name overrides it.
job x Never 'echo hi' | sed 's/^  name: x$/  generateName: hello-/' >gen.yaml
run_kf submit -f gen.yaml -d
expect_eq "generateName: exit code" 0 "$RC"
[[ $OUT =~ ^hello-[a-z0-9]{5}$ ]] || fail "generateName: run name '$OUT' is not hello-XXXXX"
[ -d ".kf/runs/$OUT" ] || fail "generateName: no run directory .kf/runs/$OUT"
timeout 60 "$KF" logs "$OUT" -f >/dev/null
expect_eq "generateName: state" "Complete" "$(status_of "$OUT" | json 'd["state"]')"
run_kf submit -f gen.yaml -d --name chosen
expect_eq "generateName with --name" "chosen" "$OUT"
timeout 60 "$KF" logs chosen -f >/dev/null

# 7. A command missing on this machine: the pod fails at once, naming the image and the command.
job missing Never 'unused' >missing.yaml
sed -i 's|^        command: .*|        command: [kf-no-such-tool, --flag]|; s|image: busybox:1.36|image: example.com/tools:1.0|' missing.yaml
run_kf submit -f missing.yaml
expect_eq "missing command: exit code" 1 "$RC"
msg='image "example.com/tools:1.0": command "kf-no-such-tool" not found on this machine (the local target runs the container'"'"'s command on this machine; install it or give its path)'
expect_eq "missing command: log" "kf: $msg" "$("$KF" logs missing-1)"
run_kf status missing-1 -o json
expect_eq "missing command: message" "Job missing-1 has failed: pod-0: $msg." "$(json 'd["message"]' <<<"$OUT")"
expect_eq "missing command: condition" "Failed PodFailed" "$(json 'd["status"]["conditions"][-1]["type"] + " " + d["status"]["conditions"][-1]["reason"]' <<<"$OUT")"

# 8. -f DIR: every manifest in it, one run each.
mkdir two
job first Never 'echo one' >two/a.yaml
job second Never 'echo two' >two/b.yaml
run_kf submit -f two
expect_eq "directory: exit code" 0 "$RC"
expect_eq "directory: both complete" "Complete Complete" "$(status_of first-1 | json 'd["state"]') $(status_of second-1 | json 'd["state"]')"
expect_eq "directory: logs" "one two" "$("$KF" logs first-1) $("$KF" logs second-1)"
run_kf submit -f two --detach
expect_eq "directory --detach: runs" "first-2
second-2" "$OUT"
timeout 60 "$KF" logs first-2 -f >/dev/null; timeout 60 "$KF" logs second-2 -f >/dev/null
run_kf submit -f two --name both
expect_eq "directory --name: exit code" 2 "$RC"
expect_eq "directory --name: message" "error: --name names one run, and two has 2" "$ERR"

# 8b. A run whose object.json was damaged by hand: the listing shows it as
# Unknown and says why on stderr; the other runs are listed as before.
cp .kf/runs/first-1/object.json "$WORK/first-1.json"
printf '{"apiVersion":"batch/v1","kind":"Job","metadata":{"name":7}}\n' >.kf/runs/first-1/object.json
why="$PWD/.kf/runs/first-1/object.json: metadata.name: not a string (the file is damaged: kf delete first-1 removes the run)"
run_kf status -o json
expect_eq "damaged: exit code" 0 "$RC"
expect_eq "damaged: warning" "warning: $why" "$ERR"
expect_eq "damaged: listed" "Complete|Unknown True $why" \
  "$(json '"|".join(r["state"] + (" %s %s" % (r["unreadable"], r["message"]) if r.get("unreadable") else "") for r in d if r["name"] in ("first-1", "second-1"))' <<<"$OUT")"
run_kf status first-1
expect_eq "damaged: kf status RUN" "1 error: $why" "$RC $ERR"
cp "$WORK/first-1.json" .kf/runs/first-1/object.json

# 9. -f -: the manifest on stdin.
set +e
OUT=$(job piped Never 'echo from stdin' | "$KF" submit -f - --detach 2>"$WORK/stderr")
RC=$?
set -e
expect_eq "stdin: exit code" 0 "$RC"
expect_eq "stdin: run" "piped-1" "$OUT"
timeout 60 "$KF" logs piped-1 -f >/dev/null
expect_eq "stdin: state" "Complete" "$(status_of piped-1 | json 'd["state"]')"
expect_eq "stdin: log" "from stdin" "$("$KF" logs piped-1)"

# 10. -p sets a Workflow's parameters: on a Job it is a usage error.
before=$(runs)
run_kf submit -f pi.yaml -p epochs=3
expect_eq "-p on a Job: exit code" 2 "$RC"
expect_eq "-p on a Job: message" "error: -p NAME=VALUE sets a Workflow's spec.arguments.parameters; Job \"pi\" has none" "$ERR"
expect_eq "-p on a Job: no run left" "$before" "$(runs)"

# 11. A kind the local target does not run: file:line:col, exit 2, and (all or nothing) no run at all.
mkdir mixed
cp two/a.yaml mixed/a.yaml
cat >mixed/b.yaml <<'YAML'
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx
YAML
run_kf submit -f mixed
expect_eq "unsupported kind: exit code" 2 "$RC"
expect_eq "unsupported kind: message" "mixed/b.yaml:2:7: kind: the local target runs PyTorchJob, TFJob, TrainJob, Job, Experiment, InferenceService, Notebook and Workflow, not Deployment (run it on a cluster: --target NAME)" "$ERR"
expect_eq "unsupported kind: no run left behind" "$before" "$(runs)"
run_kf submit -f mixed/b.yaml --detach
expect_eq "unsupported kind alone: exit code" 2 "$RC"
expect_eq "unsupported kind alone: nothing on stdout" "" "$OUT"
expect_eq "unsupported kind alone: no run left behind" "$before" "$(runs)"
printf 'apiVersion: batch/v1\nkind: [Job]\nmetadata: {name: odd}\n' >odd.yaml
run_kf submit -f odd.yaml
expect_eq "kind of the wrong type" "2 odd.yaml:2:7: kind: must be a non-empty string (such as ConfigMap), not [\"Job\"]" "$RC $ERR"
expect_eq "kind of the wrong type: no run left behind" "$before" "$(runs)"

# 12. No kf.yaml: kf submit -f runs the manifest as kubectl would, its runs go
#     to .kf/ in the working directory, and status/logs/delete find them there
#     and from below it. Without runs either, the verbs that follow them say so.
mkdir -p "$WORK/bare/sub" && cd "$WORK/bare"
job solo Never 'echo "no project"' >solo.yaml
run_kf submit -f solo.yaml
expect_eq "no kf.yaml: exit code" 0 "$RC"
expect_eq "no kf.yaml: started line" "run solo-1 started (Job, local) in $PWD/.kf/runs/solo-1" "$(head -n 1 <<<"$ERR")"
[ ! -e kf.yaml ] || fail "no kf.yaml: kf submit wrote a kf.yaml"
cd sub
run_kf status solo-1 -o json
expect_eq "no kf.yaml: status from below" "Complete" "$(json 'd["state"]' <<<"$OUT")"
run_kf logs solo-1
expect_eq "no kf.yaml: logs" "no project" "$OUT"
run_kf delete solo-1
expect_eq "no kf.yaml: delete" 0 "$RC"
expect_eq "no kf.yaml: deleted" "" "$(ls ../.kf/runs)"
mkdir -p "$WORK/empty" && cd "$WORK/empty"
run_kf status
expect_eq "no kf.yaml, no runs: exit code" 2 "$RC"
expect_eq "no kf.yaml, no runs: message" "error: no kf.yaml in $PWD or any parent directory, and no runs of 'kf submit' there (.kf/runs): create a project with 'kf init', or run a manifest with 'kf submit -f FILE'" "$ERR"
run_kf train
expect_eq "no kf.yaml: kf train still needs one" "error: no kf.yaml in $PWD or any parent directory (create one with 'kf init')" "$ERR"
[ ! -e .kf ] || fail "no kf.yaml, no runs: .kf/ was created"

finish
