#!/usr/bin/env bash
# kf render: golden files for every kind, both frameworks, template
# overrides, typed values that cannot inject structure, and every rendered
# object valid against the upstream CRDs.
source "$(dirname "$0")/lib.sh"
GOLDEN="$KF_SOURCE_DIR/tests/golden"
PROJECTS="$KF_SOURCE_DIR/tests/testdata/projects"

# 1. The project `kf init` scaffolds, one golden file per selection.
(cd "$WORK" && "$KF" init demo >/dev/null)
cd "$WORK/demo"
for what in train tune serve pipeline notebook all; do
  run_kf render "$what"
  expect_eq "render $what: exit code" 0 "$RC"
  golden "$GOLDEN/demo/$what.yaml" "$OUT"
done
run_kf render all -o json
golden "$GOLDEN/demo/all.json" "$OUT"
run_kf render all -o table
golden "$GOLDEN/demo/all.table" "$OUT"
run_kf render pipeline train-and-evaluate
golden "$GOLDEN/demo/pipeline.yaml" "$OUT"

# 2. TensorFlow with parameter servers, GPUs, grid search, v1 protocol.
cp -r "$PROJECTS/tf-ps" "$WORK/tf-ps"
cd "$WORK/tf-ps"
run_kf render all
expect_eq "tf-ps: exit code" 0 "$RC"
golden "$GOLDEN/tf-ps/all.yaml" "$OUT"

# 2b. training.operator v2: Kubeflow Trainer's TrainJob on the project's
#     TrainingRuntime, and TrainJob trials; valid against the upstream CRDs.
cp -r "$WORK/demo" "$WORK/v2"
cd "$WORK/v2"
sed -i 's/^    framework: pytorch .*/&\n    operator: v2/' kf.yaml
for what in train tune; do
  run_kf render "$what"
  expect_eq "v2 render $what: exit code" 0 "$RC"
  golden "$GOLDEN/trainer-v2/$what.yaml" "$OUT"
done
run_kf validate
expect_eq "v2 validate: exit code" 0 "$RC"
# kf.yaml's annotations reach the TrainJob, its runtime and the runtime's pod template, valid against the CRDs.
run_kf render train --set 'metadata.annotations.sidecar\.istio\.io/inject=false'
printf '%s\n' "$OUT" >"$WORK/v2-annotated.yaml"
expect_eq "v2 annotations: objects and pod template" 3 "$(grep -c '^ *sidecar.istio.io/inject: "false"$' "$WORK/v2-annotated.yaml")"
run_kf validate -f "$WORK/v2-annotated.yaml"
expect_eq "v2 annotations: valid" 0 "$RC"
sed -i 's/^    framework: pytorch/    framework: tensorflow/' kf.yaml
run_kf render train
expect_eq "v2 tensorflow: exit code" 2 "$RC"
expect_eq "v2 tensorflow: message" 'kf.yaml:16:5: spec.training.operator: operator v2 (Kubeflow Trainer'"'"'s TrainJob) runs framework "pytorch"; tensorflow needs operator v1' "$ERR"
sed -i 's/^    operator: v2/    operator: v3/' kf.yaml
run_kf render train
expect_eq "operator typo: exit code" 2 "$RC"
grep -q 'spec.training.operator: ' <<<"$ERR" || fail "operator typo: message: $ERR"
cd "$WORK/tf-ps"

# --target: a cluster target's namespace is where the objects go.
run_kf render train --target prod -o json
expect_eq "--target prod: namespace" "ml-prod" "$(printf '%s' "$OUT" | python3 -c 'import json,sys; print(json.load(sys.stdin)["metadata"]["namespace"])')"
run_kf render train --target prd
expect_eq "unknown target: exit code" 2 "$RC"
expect_eq "unknown target: message" "error: unknown target \"prd\" (did you mean 'prod'?); targets: local, prod (declare clusters under spec.targets in kf.yaml)" "$ERR"

# 3. A project's templates/ override kf's own.
cp -r "$PROJECTS/override" "$WORK/override"
cd "$WORK/override"
run_kf render train
golden "$GOLDEN/override/train.yaml" "$OUT"

# 4. Values keep their types and cannot inject structure.
cd "$WORK/demo"
run_kf render train -o json --set 'training.command={my-trainer}' --set 'training.hyperparameters.note=x: y' \
  --set 'training.hyperparameters.flag=true' \
  --set "metadata.annotations.evil=a
kind: Secret"
expect_eq "injection: exit code" 0 "$RC"
expect_eq "injected kind" "PyTorchJob" "$(printf '%s' "$OUT" | python3 -c 'import json,sys; print(json.load(sys.stdin)["kind"])')"
expect_eq "an annotation's value stays a string, on the pod template too" '"a\nkind: Secret" "a\nkind: Secret"' \
  "$(printf '%s' "$OUT" | python3 -c 'import json,sys; d=json.load(sys.stdin); m=d["spec"]["pytorchReplicaSpecs"]["Master"]["template"]["metadata"]; print(json.dumps(d["metadata"]["annotations"]["evil"]), json.dumps(m["annotations"]["evil"]))')"
expect_eq "string arg" "--note=x: y" "$(printf '%s' "$OUT" | python3 -c 'import json,sys; a=json.load(sys.stdin)["spec"]["pytorchReplicaSpecs"]["Master"]["template"]["spec"]["containers"][0]["args"]; print([x for x in a if x.startswith("--note")][0])')"
run_kf render train --set "metadata.labels.evil=a b"
expect_eq "a label value the API server refuses: exit code" 2 "$RC"
expect_eq "a label value the API server refuses: message" "--set metadata.labels.evil=a b: metadata.labels.evil: invalid label value \"a b\": at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit" "$ERR"
run_kf render train --set training.workers=1
expect_eq "one worker: no Worker replica spec" "" "$(printf '%s' "$OUT" | grep -c 'Worker:' | grep -v '^0$' || true)"

# -f values files merge in order, then --set; a flag takes one value, so the
# selection may follow it; errors point into the values file.
printf 'spec:\n  training:\n    workers: 4\n' >"$WORK/four.yaml"
printf 'spec:\n  training:\n    workers: 6\n    resources: {cpu: 2}\n' >"$WORK/six.yaml"
run_kf render -f "$WORK/four.yaml" train -o json
expect_eq "-f: workers" 3 "$(printf '%s' "$OUT" | python3 -c 'import json,sys; print(json.load(sys.stdin)["spec"]["pytorchReplicaSpecs"]["Worker"]["replicas"])')"
run_kf render -f "$WORK/four.yaml" -f "$WORK/six.yaml" --set training.workers=2 train -o json
expect_eq "-f -f --set: workers" 1 "$(printf '%s' "$OUT" | python3 -c 'import json,sys; print(json.load(sys.stdin)["spec"]["pytorchReplicaSpecs"]["Worker"]["replicas"])')"
expect_eq "-f -f --set: cpu from the second file" '"2"' "$(printf '%s' "$OUT" | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["spec"]["pytorchReplicaSpecs"]["Master"]["template"]["spec"]["containers"][0]["resources"]["limits"]["cpu"]))')"
printf 'spec:\n  training:\n    workers: lots\n' >"$WORK/bad.yaml"
run_kf render -f "$WORK/bad.yaml" train
expect_eq "bad values file: exit code" 2 "$RC"
expect_eq "bad values file: message" "$WORK/bad.yaml:3:14: spec.training.workers: expected an integer, got \"lots\"" "$ERR"
run_kf render -f "$WORK/missing.yaml"
expect_eq "missing values file: message" "error: values file $WORK/missing.yaml does not exist" "$ERR"
run_kf render --set training.workers
expect_eq "--set without =: exit code" 2 "$RC"

# 5. Selection errors are usage errors (exit 2) with suggestions.
run_kf render trian
expect_eq "unknown selection: exit code" 2 "$RC"
expect_eq "unknown selection: message" "error: cannot render \"trian\" (did you mean 'train'?); choose one of: train, tune, serve, pipeline, notebook, all" "$ERR"
run_kf render pipeline nightly
expect_eq "unknown pipeline: exit code" 2 "$RC"
expect_eq "unknown pipeline: message" "error: no pipeline named \"nightly\" in kf.yaml; pipelines: train-and-evaluate" "$ERR"
cd "$WORK/override"
run_kf render tune
expect_eq "no tuning: exit code" 2 "$RC"
expect_eq "no tuning: message" "error: the project has no spec.tuning: add one to kf.yaml to render an Experiment" "$ERR"
cd "$WORK"
run_kf render
expect_eq "no kf.yaml: exit code" 2 "$RC"
expect_eq "no kf.yaml: message" "error: no kf.yaml in $WORK or any parent directory (create one with 'kf init')" "$ERR"

# 6. Every rendered object is valid against the upstream schemas, and
#    between the two projects every Kubeflow kind is rendered. Without
#    --schemas kf checks against the CRDs built into it (third_party/crds);
#    the same directory given as --schemas gives the same answers.
CRDS="${KF_UPSTREAM_CRDS:-$KF_SOURCE_DIR/third_party/crds}"
kinds=""
for p in demo tf-ps; do
  cd "$WORK/$p"
  run_kf validate -o json
  expect_eq "$p: valid against the built-in CRDs" 0 "$RC"
  builtin_out=$OUT
  kinds="$kinds $(printf '%s' "$OUT" | python3 -c 'import json,sys; print(" ".join(o["kind"] for o in json.load(sys.stdin)["objects"] if o["checked"]))')"
  run_kf validate --schemas "$CRDS" -o json
  expect_eq "$p: valid against --schemas third_party/crds" 0 "$RC"
  expect_eq "$p: built-in CRDs and --schemas agree" "$builtin_out" "$OUT"
  # The same objects through a pipe, as a user would check them.
  "$KF" render all >"$WORK/objs.yaml"
  run_kf validate -f - <"$WORK/objs.yaml"
  expect_eq "$p: render | validate -f -" 0 "$RC"
done
for kind in PyTorchJob TFJob Experiment InferenceService ServingRuntime Workflow Notebook; do
  case " $kinds " in *" $kind "*) ;; *) fail "kind $kind was not rendered and checked" ;; esac
done
# The table a user sees: every object valid, none without a schema.
cd "$WORK/demo"
run_kf validate -o table
expect_eq "table: exit code" 0 "$RC"
case "$OUT" in *"no schema"*|*invalid*) fail "validate -o table: an object was not checked or invalid: $OUT" ;; esac
n=$(printf '%s\n' "$OUT" | tail -n +2 | wc -l)
expect_eq "table: summary" "kf.yaml: valid (project demo)
$n objects, $n checked against schemas, 0 invalid" "$ERR"
# A broken object names file:line:col, the object, the field and the rule; exit code 1.
cd "$KF_SOURCE_DIR/tests/testdata/objects"
run_kf validate -f invalid.yaml
expect_eq "invalid object: exit code" 1 "$RC"
golden "$KF_SOURCE_DIR/tests/testdata/objects/invalid.err" "$ERR"
run_kf validate -f invalid.yaml --schemas "$CRDS"
expect_eq "invalid object, --schemas: exit code" 1 "$RC"
golden "$KF_SOURCE_DIR/tests/testdata/objects/invalid.err" "$ERR"
# Kubernetes' own kinds are checked too (its swagger document is built in); a
# kind no schema knows is listed as not checked, never as valid.
cat >"$WORK/objs2.yaml" <<'YAML'
apiVersion: example.com/v1
kind: Widget
metadata: {name: w}
---
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
    - name: c
      image: busybox
      ports: [{containerPort: http}]
YAML
run_kf validate -f "$WORK/objs2.yaml" -o table
expect_eq "widget and pod: exit code" 1 "$RC"
expect_eq "widget and pod: table" "KIND     NAME   RESULT
Widget   w      no schema
Pod      p      invalid" "$OUT"
expect_eq "widget and pod: errors" "$WORK/objs2.yaml:12:31: Pod \"p\": spec.containers[0].ports[0].containerPort: Invalid value: \"string\": must be of type integer
2 objects, 1 checked against schemas, 1 invalid" "$ERR"
run_kf validate --schemas "$WORK/none"
expect_eq "--schemas missing: exit code" 2 "$RC"
expect_eq "--schemas missing: message" "error: --schemas $WORK/none: not a directory" "$ERR"
finish
