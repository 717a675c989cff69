#!/usr/bin/env bash
# Kill -9 campaign for kf apply -f (tests/README.md, "Campaigns"): 300 objects
# against kube-sim with 20% of requests failing (429, 500, 503, reset, drop).
#   a. `kf apply -f` killed with SIGKILL at 10 points, on the same cluster one
#      after another; then one apply that runs to the end.
#   b. the same with --prune and a changed set (28 objects gone, 28 new, the
#      rest changed).
# After every kill: every object kf labelled is of a kind the kf-applied record
# lists (else --prune could never find it again), and none is outside the
# sets. After the final apply: exactly the set, at its revision, no leftover,
# the record lists exactly its kinds, and one more apply changes nothing.
# A kill point is "after N responses from kube-sim" (its --log), N drawn from
# a seeded generator; the last line prints the campaign's figures.
# Environment: KF_CAMPAIGN_SEED (default 18), KF_CAMPAIGN_KILLS (default 10).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/kube_sim.sh"
CAMPAIGN="python3 $(dirname "$0")/apply_campaign.py"
SEED=${KF_CAMPAIGN_SEED:-18}
KILLS=${KF_CAMPAIGN_KILLS:-10}
RANDOM=$SEED

$CAMPAIGN gen "$WORK/a" a
$CAMPAIGN gen "$WORK/b" b
start_kube_sim --log --fault-rate 0.2 --faults 429,500,503,reset,drop --retry-after 0 --fault-seed "$SEED" --establish-delay-ms 100
KC=$SIM_KUBECONFIG
LOG=$WORK/kube-sim.log
responses() { grep -c ' -> ' "$LOG" || true; }

# check PHASE: what the cluster holds, read with faults paused.
check() {
  local paused
  paused=$(grep -c 'faults paused' "$LOG" || true)
  kill -USR1 "$SIM_PID"
  # kube-sim's main thread takes the signal, then logs it: requests after that line see no fault.
  wait_for "kube-sim to pause its faults" sh -c "[ \$(grep -c 'faults paused' '$LOG') -gt $paused ]"
  STATE=$($CAMPAIGN check "$SIM_URL" "$1")
  kill -USR2 "$SIM_PID"
}
field() { printf '%s' "$STATE" | json "' '.join(d['$1']) if isinstance(d['$1'], list) else d['$1']"; }

# kill_at N ARGS...: runs kf apply ARGS and kills it with SIGKILL once kube-sim
# has answered N more requests. Sets LANDED=1 when the kill found kf running.
kill_at() {
  local n=$1 base pid rc
  shift
  base=$(responses)
  "$KF" apply "$@" --kubeconfig "$KC" >/dev/null 2>"$WORK/apply.err" &
  pid=$!
  while kill -0 "$pid" 2>/dev/null && [ $(($(responses) - base)) -lt "$n" ]; do sleep 0.005; done
  kill -9 "$pid" 2>/dev/null || true
  set +e
  { wait "$pid"; } 2>/dev/null # no "Killed" line from bash
  rc=$?
  set -e
  LANDED=0
  if [ "$rc" = 137 ]; then
    LANDED=1
  elif [ "$rc" != 0 ]; then
    fail "apply before kill point $n: exit code $rc: $(cat "$WORK/apply.err")"
  fi
}

FIGURES=""
campaign() {
  local phase=$1 label=$2 landed=0 survived=0 i n
  shift 2
  for i in $(seq "$KILLS"); do
    n=$((5 + RANDOM % 300))
    kill_at "$n" "$@"
    landed=$((landed + LANDED))
    check "$phase"
    if [ -z "$(field unrecorded)" ] && [ -z "$(field strangers)" ]; then
      survived=$((survived + 1))
    else
      fail "$label: after the kill at $n responses: unrecorded [$(field unrecorded)], strangers [$(field strangers)]"
    fi
  done
  run_kf apply "$@" --kubeconfig "$KC"
  expect_eq "$label: the final apply: exit code" 0 "$RC"
  check "$phase"
  expect_eq "$label: objects" 300 "$(field count)"
  expect_eq "$label: missing" "" "$(field missing)"
  expect_eq "$label: leftover or duplicated" "" "$(field extra)"
  expect_eq "$label: at an older revision" "" "$(field stale)"
  expect_eq "$label: the record" "apiextensions.k8s.io/v1/CustomResourceDefinition apps/v1/Deployment camp.kf.dev/v1/Widget v1/ConfigMap v1/Namespace v1/Secret v1/Service" \
    "$(field recorded)"
  run_kf apply "$@" --kubeconfig "$KC"
  expect_eq "$label: one more apply" "0 no changes (300 objects unchanged)" "$RC $ERR"
  FIGURES+="$label: $landed of $KILLS kills landed mid-apply, $survived of $KILLS left a findable state, $(field missing | wc -w) lost, $(field extra | wc -w) leftover or duplicated; "
}

campaign a "apply" -f "$WORK/a"
campaign b "apply --prune" -f "$WORK/b" --prune

echo "campaign (seed $SEED, 20% faults): ${FIGURES%; }"
finish
