#!/usr/bin/env bash
# The local Argo engine's overhead per step, against GNU make running the
# same DAG (make -j: a local DAG executor that does nothing but fork and wait)
# and against Argo on a cluster (10.6 s per step: argo-workflows issue 6262,
# 14 steps, 133 s of pod time in 281 s).
#
#   bash bench/pipeline.sh [KF] [LAYERS_x_WIDTH ...]   (default: 10x10 100x10)
#
# Each DAG has LAYERS layers of WIDTH no-op steps (`true`); every step depends
# on every step of the layer before. Reported, for each size:
#   - wall time of `kf submit --wait --no-cache` (every step runs);
#   - overhead per step: (wall - critical path) / steps, where the critical
#     path is LAYERS x the time of one `true` (measured here, ~1 ms);
#   - wall time of the fully cached rerun (`kf submit --wait`: no step runs);
#   - make -j$(nproc) of the same DAG (one target per step, `true` each).
set -euo pipefail
KF=${1:-build/release/cli/kf}
shift || true
SIZES=("$@")
[ ${#SIZES[@]} -gt 0 ] || SIZES=(10x10 100x10)
KF=$(readlink -f "$KF")
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
cd "$W"
"$KF" init bench >/dev/null 2>&1
cd bench

now() { date +%s.%N; }
secs() { python3 -c "print(f'{$2 - $1:.3f}')"; }

t0=$(now); for _ in $(seq 200); do true_bin=/bin/true; $true_bin; done; t1=$(now)
one_true=$(python3 -c "print(($t1 - $t0) / 200)")
printf 'one `true` process: %.2f ms\n\n' "$(python3 -c "print($one_true * 1000)")"
printf '| DAG | steps | kf wall | critical path | kf overhead / step | cached rerun | make -j%s | Argo (10.6 s/step) / kf |\n' "$(nproc)"
printf '|---|---|---|---|---|---|---|---|\n'

for size in "${SIZES[@]}"; do
  layers=${size%x*} width=${size#*x}
  python3 - "$layers" "$width" >dag-$size.yaml <<'EOF'
import sys
layers, width = int(sys.argv[1]), int(sys.argv[2])
print("apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {name: dag-%dx%d}\nspec:\n  entrypoint: main\n  templates:" % (layers, width))
print("  - name: noop\n    container: {image: busybox, command: [/bin/true]}")
print("  - name: main\n    dag:\n      tasks:")
for l in range(layers):
    for w in range(width):
        deps = " && ".join("t%d-%d" % (l - 1, x) for x in range(width)) if l else ""
        print("      - {name: t%d-%d, template: noop%s}" % (l, w, ", depends: \"%s\"" % deps if deps else ""))
EOF
  python3 - "$layers" "$width" >Makefile.$size <<'EOF'
import sys
layers, width = int(sys.argv[1]), int(sys.argv[2])
names = lambda l: " ".join("t%d-%d" % (l, w) for w in range(width))
print(".PHONY: all " + " ".join(names(l) for l in range(layers)))
print("all: " + names(layers - 1))
for l in range(layers):
    for w in range(width):
        print("t%d-%d:%s\n\t@/bin/true" % (l, w, " " + names(l - 1) if l else ""))
EOF
  steps=$((layers * width))
  t0=$(now); "$KF" submit -f dag-$size.yaml --wait --no-cache >/dev/null 2>&1; t1=$(now)
  "$KF" submit -f dag-$size.yaml --wait >/dev/null 2>&1 # fills the cache
  t2=$(now); "$KF" submit -f dag-$size.yaml --wait >/dev/null 2>&1; t3=$(now)
  t4=$(now); make -s -j"$(nproc)" -f Makefile.$size >/dev/null; t5=$(now)
  wall=$(secs "$t0" "$t1"); cached=$(secs "$t2" "$t3"); mk=$(secs "$t4" "$t5")
  critical=$(python3 -c "print(f'{$layers * $one_true:.3f}')")
  per=$(python3 -c "print(f'{($wall - $critical) / $steps * 1000:.2f}')")
  ratio=$(python3 -c "print(f'{10.6 / (($wall - $critical) / $steps):.0f}')")
  printf '| %s | %d | %s s | %s s | %s ms | %s s | %s s | %sx |\n' "$size" "$steps" "$wall" "$critical" "$per" "$cached" "$mk" "$ratio"
done
