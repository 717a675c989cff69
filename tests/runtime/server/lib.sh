# Helpers for kf-server's scenario tests. Sourced; expects $KF_SERVER,
# $KF_TRAINER and $KF_SERVER_TESTDATA (set by ctest). Every test gets its own
# temporary directory and kills the processes it started when it exits.
set -euo pipefail

: "${KF_SERVER:?set KF_SERVER to the kf-server binary}"
: "${KF_TRAINER:?set KF_TRAINER to the kf-trainer binary}"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/kf-server-test.XXXXXX")
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT
export KF_CACHE_DIR="$WORK/cache"

source "$(dirname "${BASH_SOURCE[0]}")/../../checks.sh" # fail, die, skip, expect_eq, finish

# expect_contains FILE TEXT: FILE contains TEXT literally.
expect_contains() {
  grep -qF -- "$2" "$1" || { echo "--- $1:" >&2; cat "$1" >&2; die "$1 lacks: $2"; }
}

# train_tiny DIR [FLAGS...]: a small MLP on the synthetic 8x8 set, in a second.
train_tiny() {
  local dir=$1
  shift
  "$KF_TRAINER" --data=synthetic --synthetic-samples=256 --epochs=1 --layers=16 --threads=1 --quiet \
    --output="$dir" "$@" >"$dir.out" 2>"$dir.err" || { cat "$dir.err" >&2; fail "training failed"; }
}

# start_server LOG ARGS...: kf-server on a free port of 127.0.0.1; waits for
# its readiness line; sets SERVER_PID, PORT and URL.
start_server() {
  local log=$1 i
  shift
  rm -f "$WORK/port"
  "$KF_SERVER" --host 127.0.0.1 --port 0 --port-file "$WORK/port" "$@" 2>"$log" &
  SERVER_PID=$!
  PIDS+=("$SERVER_PID")
  for ((i = 0; i < 200; i++)); do
    grep -q '^kf-server: serving ' "$log" && break
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$log" >&2; fail "kf-server exited before serving"; }
    sleep 0.05
  done
  [ -s "$WORK/port" ] || { cat "$log" >&2; fail "no port file"; }
  PORT=$(cat "$WORK/port")
  URL=http://127.0.0.1:$PORT
}

# req METHOD PATH [BODY_FILE [CURL_ARGS...]]: sets CODE and BODY.
req() {
  local method=$1 path=$2
  local args=()
  if [ $# -ge 3 ]; then
    args=(--data-binary "@$3" -H 'Content-Type: application/json')
    shift 3
    args+=("$@")
  fi
  CODE=$(curl -s -o "$WORK/body" -w '%{http_code}' -X "$method" "${args[@]}" "$URL$path")
  BODY=$(cat "$WORK/body")
}

# expect CODE BODY: the last response, exactly.
expect() {
  [ "$CODE" = "$1" ] && [ "$BODY" = "$2" ] || fail "expected $1 $2
     got $CODE $BODY"
}

# expect_error CODE MESSAGE: the last response is CODE with {"error": MESSAGE}.
# (MESSAGE is ASCII without control characters: only \ and " need escaping.)
expect_error() {
  local m=${2//\\/\\\\}
  m=${m//\"/\\\"}
  expect "$1" "{\"error\":\"$m\"}"
}

# json_get FILE EXPR: evaluates a Python expression over the parsed JSON `j`.
json_get() {
  python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print($2)" "$1"
}

# metric NAME{LABELS}: its value in /metrics now.
metric() {
  curl -s "$URL/metrics" | awk -v k="$1" '$1 == k { print $2 }'
}
