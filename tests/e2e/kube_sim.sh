# Starting and stopping kube-sim from e2e scripts (sourced after lib.sh).
# Environment (set by ctest): KUBE_SIM, the kube-sim binary.
: "${KUBE_SIM:?set KUBE_SIM to the kube-sim binary}"

SIM_PIDS=()
stop_kube_sims() {
  local pid
  for pid in "${SIM_PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  SIM_PIDS=()
}
trap 'stop_kube_sims; rm -rf "$WORK"' EXIT

# start_kube_sim [ARGS...]: starts kube-sim on a free port and waits until it
# has written its kubeconfig. Sets SIM_PID, SIM_KUBECONFIG and SIM_URL.
start_kube_sim() {
  SIM_KUBECONFIG="$WORK/kubeconfig.${#SIM_PIDS[@]}"
  "$KUBE_SIM" --port 0 --kubeconfig-out "$SIM_KUBECONFIG" "$@" 2>>"$WORK/kube-sim.log" &
  SIM_PID=$!
  SIM_PIDS+=("$SIM_PID")
  local i
  for i in $(seq 1 1200); do # readiness, not a timing check: up to a minute on a loaded machine
    [ -f "$SIM_KUBECONFIG" ] && break
    if ! kill -0 "$SIM_PID" 2>/dev/null; then
      echo "kube-sim exited before it was ready:" >&2
      cat "$WORK/kube-sim.log" >&2
      exit 1
    fi
    sleep 0.05
  done
  [ -f "$SIM_KUBECONFIG" ] || { echo "kube-sim did not become ready" >&2; exit 1; }
  SIM_URL=$(sed -n 's/^ *server: //p' "$SIM_KUBECONFIG")
}

# stop_kube_sim: stops the last one started.
stop_kube_sim() {
  kill "$SIM_PID" 2>/dev/null || true
  wait "$SIM_PID" 2>/dev/null || true
}
