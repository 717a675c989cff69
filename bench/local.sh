#!/usr/bin/env bash
# The local target's overhead, side by side in one hyperfine run each:
#   kf train (render, metadata store, supervisor process, status files, log
#   parsing, the attached display)   vs   a bash launcher that starts the same
#   two kf-trainer processes with the same command and the operator's
#   environment (what the session-1 quickstart did by hand).
# Two lengths, 1 and 21 epochs of a small synthetic set, separate the fixed
# cost (submit -> first training step -> exit) from the per-epoch bookkeeping:
#   fixed     = (kf - launcher) at 1 epoch
#   per epoch = ((kf - launcher) at 21 epochs - fixed) / 20
# Usage: bench/local.sh [BUILD_DIR]   (default: build/release)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build/release}" && pwd)
kf=$build/cli/kf
# The trainer kf itself runs here: kf-trainer-cpu, the CUDA-free build, when
# a build with CUDA made one and this machine has no GPU (libkf/local
# find_trainer); both sides run the same binary.
trainer=$build/runtime/kf-trainer
[ -x "$build/runtime/kf-trainer-cpu" ] && [ -z "$(ls /proc/driver/nvidia/gpus 2>/dev/null)" ] && trainer=$build/runtime/kf-trainer-cpu
runs=${RUNS:-10}
command -v hyperfine >/dev/null || { echo "hyperfine is missing: bash scripts/install-deps.sh" >&2; exit 1; }
[ -x "$kf" ] && [ -x "$trainer" ] || { echo "build kf and kf-trainer first (cmake --build --preset release)" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export HOME=$work NO_COLOR=1 GIT_CONFIG_GLOBAL=/dev/null KF_TRAINER=$trainer
(cd "$work" && "$kf" init demo >/dev/null 2>&1)
cat >"$work/demo/bench.yaml" <<'YAML'
spec:
  training:
    workers: 2
    data:
      source: synthetic
      format: synthetic
    hyperparameters:
      synthetic-samples: 512
      batch-size: 64
YAML

# The launcher: the PyTorchJob's command (rendered once, here), two ranks,
# MASTER_* on loopback, each rank's output to a log as kf does.
"$kf" -C "$work/demo" render train -f "$work/demo/bench.yaml" -o json | python3 -c '
import json, sys
c = json.load(sys.stdin)["spec"]["pytorchReplicaSpecs"]["Master"]["template"]["spec"]["containers"][0]
print("\n".join(c["command"][1:] + c.get("args", [])))' >"$work/args"
cat >"$work/launch.sh" <<EOF2
#!/usr/bin/env bash
set -e
mapfile -t cmd <"$work/args"
out=\$(mktemp -d)
port=\$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
for rank in 0 1; do
  MASTER_ADDR=127.0.0.1 MASTER_PORT=\$port WORLD_SIZE=2 RANK=\$rank "$trainer" "\${cmd[@]}" --epochs=\$1 --output=\$out >\$out/rank\$rank.log 2>&1 &
done
wait
rm -rf \$out
EOF2
chmod +x "$work/launch.sh"

# kf's own cost, with no training at all: a job whose command is `true`.
echo "== a no-op job (command: true): kf train vs bash starting two 'true' processes"
cat >"$work/noop.sh" <<'EOF2'
#!/usr/bin/env bash
true & true & wait
EOF2
chmod +x "$work/noop.sh"
hyperfine -N --warmup 2 --runs "$runs" --export-json "$work/noop.json" \
  "$kf -C $work/demo train -f $work/demo/bench.yaml --set training.command={true}" "$work/noop.sh"
python3 "$root/bench/ratio.py" "$work/noop.json"
hyperfine -N --warmup 2 --runs "$runs" "$kf -C $work/demo train -f $work/demo/bench.yaml --set training.command={true} --detach"

for epochs in 1 21; do
  echo "== $epochs epoch(s): kf train vs the bash launcher"
  hyperfine -N --warmup 1 --runs "$runs" --export-json "$work/e$epochs.json" \
    "$kf -C $work/demo train -f $work/demo/bench.yaml --set training.hyperparameters.epochs=$epochs" \
    "$work/launch.sh $epochs"
  python3 "$root/bench/ratio.py" "$work/e$epochs.json"
done
python3 - "$work/e1.json" "$work/e21.json" <<'PY'
import json, sys
def diff(path):
    r = json.load(open(path))["results"]
    return (r[0]["mean"] - r[1]["mean"]) * 1000, (r[0]["median"] - r[1]["median"]) * 1000
f_mean, f_med = diff(sys.argv[1])
l_mean, l_med = diff(sys.argv[2])
print(f"fixed overhead of kf train (submit to exit, 1 epoch): {f_mean:.0f} ms mean, {f_med:.0f} ms median")
print(f"bookkeeping per epoch: {(l_mean - f_mean) / 20:.1f} ms mean, {(l_med - f_med) / 20:.1f} ms median")
PY
echo "(runs are left in $work/demo/.kf/runs until exit; kf status there lists them)"
