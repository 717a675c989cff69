#!/usr/bin/env bash
# kf's Kubernetes client (libkf/kube) watching kube-sim, driven by
# kube-probe: ADDED/MODIFIED/DELETED from `kf apply -f` and `kubectl
# delete`; under injected faults (resets, 500, 503, 429) every object's
# final state still arrives exactly once and in resourceVersion order; a
# 410 Gone (a short --watch-history) lists again and delivers the
# differences; -v never shows the bearer token.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/kube_sim.sh"
: "${KUBE_PROBE:?set KUBE_PROBE to the kube-probe binary}"

KUBECTL=/usr/lib/google-cloud-sdk/bin/kubectl.1.32
[ -x "$KUBECTL" ] || KUBECTL=$(command -v kubectl || true)
if [ -z "$KUBECTL" ]; then
  echo "SKIP: no kubectl (looked for /usr/lib/google-cloud-sdk/bin/kubectl.1.32 and kubectl on PATH)"
  exit 77
fi
SECRET=kf-secret-token-4711


# cm NAME VALUE: a ConfigMap manifest in the default namespace, written to $WORK/cm/NAME.yaml.
cm() {
  mkdir -p "$WORK/cm"
  printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\ndata:\n  v: "%s"\n' "$1" "$2" >"$WORK/cm/$1.yaml"
  echo "$WORK/cm/$1.yaml"
}

apply() { # apply FILE...: kf apply, which retries under faults
  local f
  for f in "$@"; do
    run_kf apply -f "$f" --kubeconfig "$KC" "${KF_FLAGS[@]}"
    [ "$RC" = 0 ] || fail "kf apply -f $f: $ERR"
    printf '%s\n' "$ERR" >>"$WORK/kf-apply.err"
  done
}
KF_FLAGS=()

kdelete() { # kdelete NAME: kubectl delete, repeated while injected faults fail it
  local i
  for i in $(seq 1 30); do
    "$KUBECTL" --kubeconfig "$KC" --cache-dir "$WORK/kcache" delete configmap "$1" --wait=false --ignore-not-found \
      >/dev/null 2>&1 && return 0
  done
  fail "kubectl delete configmap $1 kept failing"
}

# probe OUT ERR ARGS...: kube-probe in the background; sets PROBE.
probe() {
  local out=$1 err=$2
  shift 2
  "$KUBE_PROBE" --kubeconfig "$KC" "$@" >"$out" 2>"$err" &
  PROBE=$!
}

# The event lines without their resourceVersions, and a check that those rise.
types_and_names() { grep -v '^END' "$1" | grep -v '^PAUSED' | cut -d' ' -f1,2; }
check_order() {
  local bad
  bad=$(grep -Ev '^(END|PAUSED)' "$1" | awk '{ if (NR > 1 && $3 + 0 <= last) print "line " NR ": " $0 " after " last; last = $3 + 0 }')
  expect_eq "$2: resourceVersions rise" "" "$bad"
}

# 1. The basics: what kf apply -f and kubectl delete do, in order.
start_kube_sim
KC=$SIM_KUBECONFIG
apply "$(cm a 1)"
probe "$WORK/w1.out" "$WORK/w1.err" watch v1 ConfigMap -n default --until done --timeout 120s
wait_for "the initial list" grep -q '^ADDED a ' "$WORK/w1.out"
apply "$(cm a 2)" "$(cm b 1)"
kdelete a
apply "$(cm done 1)"
wait "$PROBE" || fail "watch: exit status $?: $(cat "$WORK/w1.err")"
expect_eq "watch: events" "ADDED a
MODIFIED a
ADDED b
DELETED a
ADDED done" "$(types_and_names "$WORK/w1.out")"
check_order "$WORK/w1.out" "watch"
expect_eq "watch: returns the last resourceVersion" "END $(grep '^ADDED done ' "$WORK/w1.out" | cut -d' ' -f3)" \
  "$(tail -1 "$WORK/w1.out")"
# Selectors reach the server: only b.
"$KUBE_PROBE" --kubeconfig "$KC" watch v1 ConfigMap -n default --field-selector metadata.name=b --until b >"$WORK/w1b.out"
expect_eq "field selector" "ADDED b" "$(types_and_names "$WORK/w1b.out")"
# An unknown kind is an error, not a retry loop.
set +e
"$KUBE_PROBE" --kubeconfig "$KC" watch example.com/v1 Thing >/dev/null 2>"$WORK/thing.err"
RC=$?
set -e
expect_eq "unknown kind: exit code" 1 "$RC"
expect_eq "unknown kind: message" "kube-probe: error: the server $SIM_URL does not serve kind \"Thing\" in version \"example.com/v1\" (is its CRD installed?)" \
  "$(cat "$WORK/thing.err")"
stop_kube_sim

# 2. Faults on 30% of the ConfigMap requests, watches included (a new one
# each second; watch-break ends a stream after 1-3 events without its last
# chunk): the final state of every object arrives exactly once, in order.
start_kube_sim --fault-rate 0.3 --fault-paths /configmaps --faults reset,500,503,429,watch-break --retry-after 0 --fault-seed 5
KC=$SIM_KUBECONFIG
probe "$WORK/w2.out" "$WORK/w2.err" -v --watch-request-timeout 1 watch v1 ConfigMap -n default --until done --timeout 120s
# The objects come after the initial list (whose items are in name order, not
# resourceVersion order): that list, retried through the faults, can take
# longer than kf apply takes to create the first objects.
wait_for "the watch to open" grep -q 'opening from resourceVersion' "$WORK/w2.err"
mkdir -p "$WORK/many" "$WORK/changed"
for i in 0 1 2 3 4 5 6 7 8 9; do cp "$(cm "c$i" 1)" "$WORK/many/"; done
for i in 0 1 2 3 4; do cp "$(cm "c$i" 2)" "$WORK/changed/"; done
apply "$WORK/many" "$WORK/changed"
for i in 5 6 7; do kdelete "c$i"; done
apply "$(cm c0 3)" "$(cm done 1)"
wait "$PROBE" || fail "faults: watch exit status $?: $(cat "$WORK/w2.err")"
"$KUBE_PROBE" --kubeconfig "$KC" list v1 ConfigMap -n default >"$WORK/final.txt"
expect_eq "faults: the server's objects" "c0 c1 c2 c3 c4 c8 c9 done" "$(cut -d' ' -f1 "$WORK/final.txt" | sort | xargs)"
while read -r name rv; do
  last=$(grep -E "^[A-Z]+ $name " "$WORK/w2.out" | tail -1)
  case "$last" in
    "ADDED $name $rv" | "MODIFIED $name $rv") ;;
    *) fail "faults: the last event of $name is \"$last\", not its final resourceVersion $rv" ;;
  esac
done <"$WORK/final.txt"
for i in 5 6 7; do
  expect_eq "faults: c$i deleted" "DELETED" "$(grep -E "^[A-Z]+ c$i " "$WORK/w2.out" | tail -1 | cut -d' ' -f1)"
done
expect_eq "faults: no event twice" "" "$(grep -v '^END' "$WORK/w2.out" | sort | uniq -d)"
check_order "$WORK/w2.out" "faults"
stop_kube_sim

# 3. -v never shows the token: kf apply and the watch, with retries, against
# a kube-sim that requires it.
start_kube_sim --token "$SECRET" --fault-rate 0.3 --retry-after 0 --fault-seed 3
KC=$SIM_KUBECONFIG
KF_FLAGS=(-v)
probe "$WORK/w3.out" "$WORK/w3.err" -v --cache-dir "$WORK/dcache" --watch-request-timeout 1 watch v1 ConfigMap -n default --until done --timeout 120s
apply "$(cm t1 1)" "$(cm t2 1)" "$(cm done 1)"
KF_FLAGS=()
wait "$PROBE" || fail "token: watch exit status $?: $(cat "$WORK/w3.err")"
grep -q '^debug: watch configmap in namespace default: opening from resourceVersion ' "$WORK/w3.err" ||
  fail "token: the watch printed no debug lines: $(cat "$WORK/w3.err")"
grep -q '^debug: ' "$WORK/kf-apply.err" || fail "token: kf apply -v printed no debug lines"
for f in "$WORK/w3.out" "$WORK/w3.err" "$WORK/kf-apply.err"; do
  if grep -q "$SECRET" "$f"; then fail "the token is in $(basename "$f"): $(grep "$SECRET" "$f" | head -3)"; fi
done
# A wrong token: the watch request's 401 (after refreshing the credentials once)
# is an error. (Discovery comes from the disk cache, so the watch is the first request.)
sed "s/$SECRET/wrong-token/" "$KC" >"$WORK/wrong.yaml"
set +e
"$KUBE_PROBE" --kubeconfig "$WORK/wrong.yaml" --cache-dir "$WORK/dcache" watch v1 ConfigMap -n default --resource-version 1 >/dev/null 2>"$WORK/wrong.err"
RC=$?
set -e
expect_eq "wrong token: exit code" 1 "$RC"
expect_eq "wrong token" "kube-probe: error: $SIM_URL refused kf's credentials (Unauthorized); check the user of the kubeconfig context" \
  "$(cat "$WORK/wrong.err")"
stop_kube_sim

# 4. 410 Gone: the watcher pauses (kube-probe --pause-after) until the
# server has ended its stream, then more changes than --watch-history keeps
# happen; reopening from its resourceVersion gets a 410, so it lists again
# and delivers the differences.
start_kube_sim --watch-history 5 --log
KC=$SIM_KUBECONFIG
apply "$(cm keep 1)" "$(cm change 1)" "$(cm gone 1)"
probe "$WORK/w4.out" "$WORK/w4.err" -v --watch-request-timeout 2 watch v1 ConfigMap -n default \
  --pause-after marker --resume-file "$WORK/resume" --until done --timeout 120s
wait_for "the initial list" grep -q '^ADDED gone ' "$WORK/w4.out"
apply "$(cm marker 1)"
wait_for "the pause" grep -q '^PAUSED' "$WORK/w4.out"
# The stream that delivered the marker is the last one the watcher opened;
# kube-sim logs a watch when it has ended.
opened=$(grep -c 'opening from resourceVersion' "$WORK/w4.err")
ended() { [ "$(grep -c 'configmaps?.*watch=true.* -> 200' "$WORK/kube-sim.log")" -ge "$opened" ]; }
wait_for "the server to end the watch" ended
apply "$(cm change 2)" # one kf apply each: a directory's objects are applied concurrently
for i in 1 2 3 4 5 6; do apply "$(cm "new$i" 1)"; done
kdelete gone
touch "$WORK/resume"
apply "$(cm done 1)"
wait "$PROBE" || fail "410: watch exit status $?: $(cat "$WORK/w4.err")"
expect_eq "410: the differences after the pause" "DELETED gone
MODIFIED change
ADDED new1
ADDED new2
ADDED new3
ADDED new4
ADDED new5
ADDED new6
ADDED done" "$(sed -n '/^PAUSED/,$p' "$WORK/w4.out" | types_and_names /dev/stdin)"
grep -q 'resourceVersion [0-9]* is gone (410); listing again' "$WORK/w4.err" || fail "410: no relist: $(cat "$WORK/w4.err")"
# Starting from a resourceVersion that is no longer kept: a list, then the changes.
"$KUBE_PROBE" --kubeconfig "$KC" watch v1 ConfigMap -n default --resource-version 1 --until done >"$WORK/w5.out"
expect_eq "old resourceVersion: listed" "change done keep marker new1 new2 new3 new4 new5 new6" \
  "$(types_and_names "$WORK/w5.out" | grep '^ADDED' | cut -d' ' -f2 | sort | xargs)"

finish
