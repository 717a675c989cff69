# Helpers for kf-trainer's scenario tests. Sourced; expects $KF_TRAINER and
# $KF_ALLREDUCE (set by ctest). Every test gets its own temporary directory
# and kills the processes it started when it exits.
set -euo pipefail

: "${KF_TRAINER:?set KF_TRAINER to the kf-trainer binary}"
: "${KF_ALLREDUCE:?set KF_ALLREDUCE to the kf-allreduce binary}"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/kf-trainer-test.XXXXXX")
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
export KF_CACHE_DIR="$WORK/cache"

source "$(dirname "${BASH_SOURCE[0]}")/../checks.sh" # fail, die, skip, expect_eq, finish

# A TCP port nobody listens on right now.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# expect_contains FILE TEXT: FILE contains TEXT literally.
expect_contains() {
  grep -qF -- "$2" "$1" || { echo "--- $1:" >&2; cat "$1" >&2; die "$1 lacks: $2"; }
}

# start_rank LOG RANK WORLD PORT CMD...: starts one rank in the background.
start_rank() {
  local log=$1 rank=$2 world=$3 port=$4
  shift 4
  MASTER_ADDR=127.0.0.1 MASTER_PORT=$port WORLD_SIZE=$world RANK=$rank "$@" >"$log.out" 2>"$log.err" &
  PIDS+=($!)
  LAST_PID=$!
}

# json_get FILE EXPR: evaluates a Python expression over the parsed JSON `j`.
json_get() {
  python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print($2)" "$1"
}

# max_abs_diff A B: largest difference between two safetensors files'
# tensors, read with a standalone stdlib parser of the format.
max_abs_diff() {
  python3 - "$1" "$2" <<'PY'
import json, struct, sys
def load(path):
    data = open(path, "rb").read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    body = data[8 + n:]
    out = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        assert t["dtype"] == "F32", t
        b, e = t["data_offsets"]
        count = 1
        for d in t["shape"]:
            count *= d
        assert e - b == 4 * count, (name, t)
        out[name] = struct.unpack("<%df" % count, body[b:e])
    return out
a, b = load(sys.argv[1]), load(sys.argv[2])
assert a.keys() == b.keys(), (sorted(a), sorted(b))
print(max(abs(x - y) for k in a for x, y in zip(a[k], b[k])))
PY
}
