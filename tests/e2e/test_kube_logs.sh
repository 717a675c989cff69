#!/usr/bin/env bash
# kf's Kubernetes client reading pod logs from kube-sim (whose simulated
# kubelet writes them), driven by kube-probe: the whole log, --tail,
# --follow to the container's end, a follow stopped by the reader, the
# server's errors, and the same log through injected faults.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/kube_sim.sh"
: "${KUBE_PROBE:?set KUBE_PROBE to the kube-probe binary}"

cat >"$WORK/pods.yaml" <<'EOF'
apiVersion: v1
kind: Pod
metadata: {name: hello}
spec:
  restartPolicy: Never
  containers:
  - {name: main, image: busybox, command: [echo, hello from kube-sim]}
---
apiVersion: v1
kind: Pod
metadata: {name: train}
spec:
  restartPolicy: Never
  containers:
  - {name: pytorch, image: kf-trainer:v1, command: [kf-trainer, --epochs, "3"]}
---
apiVersion: v1
kind: Pod
metadata: {name: server}
spec:
  containers:
  - {name: main, image: busybox, command: [serve, --port, "8080"]}
EOF

# logs ARGS...: kube-probe logs, capturing OUT, ERR and RC.
logs() {
  set +e
  OUT=$("$KUBE_PROBE" --kubeconfig "$KC" "${PROBE_FLAGS[@]}" logs default "$@" 2>"$WORK/stderr")
  RC=$?
  set -e
  ERR=$(cat "$WORK/stderr")
}
PROBE_FLAGS=()
# wait_log POD: until the container has started (before, the server answers 400 ContainerCreating).
wait_log() {
  local i
  for i in $(seq 1 1200); do # readiness, not a timing check
    "$KUBE_PROBE" --kubeconfig "$KC" logs default "$1" >/dev/null 2>&1 && return 0
    sleep 0.05
  done
  fail "the log of $1 never became readable"
}

start_kube_sim --controller-step-ms 100
KC=$SIM_KUBECONFIG
run_kf apply -f "$WORK/pods.yaml" --kubeconfig "$KC"
wait_log hello
wait_log train
wait_log server

logs hello --follow
expect_eq "follow to the end" "hello from kube-sim" "$OUT$ERR"
logs train
expect_eq "three epochs" "3" "$(grep -c '^epoch=' <<<"$OUT")"
all=$OUT
logs train --tail 2
expect_eq "--tail 2" "$(tail -2 <<<"$all")" "$OUT"
logs train --tail 0
expect_eq "--tail 0" "" "$OUT$ERR"
logs server --follow --until 8080 # never ends by itself: the reader stops it
expect_eq "follow stopped by the reader" "+ serve --port 8080" "$OUT$ERR"

logs nope
expect_eq "unknown pod: exit code" 1 "$RC"
expect_eq "unknown pod" 'kube-probe: error: pods "nope" not found' "$ERR"
logs hello --previous
expect_eq "no previous container" 'kube-probe: error: previous terminated container "main" in pod "hello" not found' "$ERR"
logs hello -c sidecar
expect_eq "unknown container" 'kube-probe: error: container sidecar is not valid for pod hello' "$ERR"
stop_kube_sim

# Faults on half of the log requests: retried, so the log arrives whole.
start_kube_sim --controller-step-ms 100 --fault-rate 0.5 --fault-paths /log --faults 500,503,429,reset --retry-after 0
KC=$SIM_KUBECONFIG
run_kf apply -f "$WORK/pods.yaml" --kubeconfig "$KC"
PROBE_FLAGS=(--max-retries 30)
for i in $(seq 1 1200); do # readiness: the container started
  logs hello
  [ "$RC" = 0 ] && break
  sleep 0.05
done
for i in 1 2 3 4 5; do
  logs hello --follow
  expect_eq "faults: the log ($i)" "hello from kube-sim" "$OUT$ERR"
done

finish
