#!/usr/bin/env bash
# kf's YAML reads back the same in a real YAML 1.1 reader: `kubectl kustomize`
# (go-yaml, as every kubectl command uses) and PyYAML (YAML 1.1) read kf's
# rendered objects as the same data kf -o json prints.
source "$(dirname "$0")/lib.sh"
if ! command -v kubectl >/dev/null 2>&1 || ! python3 -c 'import yaml' 2>/dev/null; then
  echo "SKIP: needs kubectl and python3-yaml"
  exit 77
fi
export HOME=$WORK
(cd "$WORK" && "$KF" init demo >/dev/null)
cp -r "$KF_SOURCE_DIR/tests/testdata/projects/tf-ps" "$WORK/tf-ps"
# Values a sloppy emitter would get wrong in YAML 1.1: y/n/on/off, octal-looking
# and sexagesimal numbers, '#' and ': ' inside strings, leading dashes, quotes.
# With training.command set, hyperparameters go to that program under any name.
tricky=(--set 'training.command={my-trainer}' --set 'training.hyperparameters.a=y' --set 'training.hyperparameters.b=off'
  --set 'metadata.labels.c=0755'
  --set 'metadata.annotations.d=1:20' --set 'training.hyperparameters.e=x #y' --set 'training.hyperparameters.f=k: v'
  --set 'training.hyperparameters.g=- item' --set 'training.hyperparameters.h="q"' --set 'metadata.labels.i=1_000')
for p in demo tf-ps; do
  d="$WORK/k-$p"
  mkdir -p "$d"
  (cd "$WORK/$p" && "$KF" render all "${tricky[@]}") >"$d/objs.yaml"
  (cd "$WORK/$p" && "$KF" render all "${tricky[@]}" -o json) >"$d/objs.json"
  printf 'resources:\n- objs.yaml\n' >"$d/kustomization.yaml"
  kubectl kustomize "$d" >"$d/out.yaml" 2>"$d/err" || fail "$p: kubectl kustomize failed: $(cat "$d/err")"
  # kf -o json is the truth. PyYAML (a YAML 1.1 reader) must read kf's YAML as
  # the same data, and also what go-yaml re-emitted after reading it.
  python3 - "$d/objs.json" "$d/objs.yaml" "$d/out.yaml" <<'PY' || fail "$p: a YAML 1.1 reader disagrees with kf -o json"
import json, sys, yaml
want = json.load(open(sys.argv[1]))
want = want["items"] if want.get("kind") == "List" else [want]
key = lambda o: (o["kind"], o["metadata"]["name"])
for path in sys.argv[2:]:
    got = [d for d in yaml.safe_load_all(open(path)) if d is not None]
    if sorted(want, key=key) != sorted(got, key=key):
        for w, g in zip(sorted(want, key=key), sorted(got, key=key)):
            if w != g:
                print(path, "differs in", key(w), file=sys.stderr)
        sys.exit(1)
PY
done
finish
