#!/usr/bin/env bash
# Cluster run names are claimed by creating the run's object (POST: 409
# AlreadyExists when the name is taken, and kf tries the next number), so kf
# processes that submit at the same time never share a run. Four start at
# once against a kube-sim that answers every request 300 ms late: they all
# count the same runs before any of them creates one. (With get-then-apply
# each took demo-train-1, the last one's object overwriting the others'.)
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/kube_sim.sh"
CRDS="${KF_UPSTREAM_CRDS:-$KF_SOURCE_DIR/third_party/crds}"

start_kube_sim --crds "$CRDS" --no-controllers --latency-ms 300 --log
cd "$WORK"
"$KF" init demo >/dev/null 2>&1
cd demo
sed -i "s|^      type: local$|      type: local\n    - name: sim\n      type: cluster\n      kubeconfig: $SIM_KUBECONFIG\n      namespace: default|" kf.yaml

# Each waits for the same file, so that they start together; each labels its run with who submitted it.
for who in 1 2 3 4; do
  (
    while [ ! -e "$WORK/go" ]; do sleep 0.01; done
    exec "$KF" train --target sim --detach --set "metadata.labels.submitter=p$who" >"$WORK/out.$who" 2>"$WORK/err.$who"
  ) &
  pids[$who]=$!
done
touch "$WORK/go"
for who in 1 2 3 4; do
  wait "${pids[$who]}" || fail "submitter $who: exit status $?: $(cat "$WORK/err.$who")"
done
expect_eq "four runs, four names" "demo-train-1 demo-train-2 demo-train-3 demo-train-4" "$(sort -V "$WORK"/out.* | xargs)"
# Every run is the object its submitter created (none was overwritten by another).
OBJECTS=$(curl -s "$SIM_URL/apis/kubeflow.org/v1/namespaces/default/pytorchjobs" |
  python3 -c 'import json, sys; [print(o["metadata"]["name"], o["metadata"]["labels"]["submitter"]) for o in json.load(sys.stdin)["items"]]')
expect_eq "each run is its submitter's" "$(for who in 1 2 3 4; do echo "$(cat "$WORK/out.$who") p$who"; done | sort -V)" \
  "$(sort -V <<<"$OBJECTS")"
# The race did happen: some creates were refused (else this test proved nothing).
refused=$(grep -c 'POST /apis/kubeflow.org/v1/namespaces/default/pytorchjobs?fieldManager=kf -> 409' "$WORK/kube-sim.log" || true)
[ "$refused" -ge 1 ] || fail "no create was refused: the submissions did not overlap (kube-sim.log: $(grep POST "$WORK/kube-sim.log"))"

# --name of an existing run is refused, and changes nothing.
run_kf train --target sim --detach --name demo-train-2 --set metadata.labels.submitter=late
expect_eq "a taken --name: exit code" 2 "$RC"
expect_eq "a taken --name: message" \
  'error: run "demo-train-2" already exists on sim (kf delete demo-train-2 removes it, or choose another --name)' "$ERR"
expect_eq "a taken --name: the run is unchanged" "$(grep '^demo-train-2 ' <<<"$OBJECTS")" \
  "$(curl -s "$SIM_URL/apis/kubeflow.org/v1/namespaces/default/pytorchjobs/demo-train-2" |
     python3 -c 'import json, sys; o = json.load(sys.stdin); print(o["metadata"]["name"], o["metadata"]["labels"]["submitter"])')"

finish
