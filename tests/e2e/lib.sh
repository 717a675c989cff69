# Helpers shared by the end-to-end scripts (sourced, not run).
# Environment (set by ctest): KF, KF_SOURCE_DIR, KF_UPSTREAM_CRDS.
# KF_UPDATE_GOLDEN=1 rewrites golden files instead of comparing them.
set -euo pipefail

: "${KF:?set KF to the kf binary}"
: "${KF_SOURCE_DIR:?set KF_SOURCE_DIR to the source tree}"
export NO_COLOR=1
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1

source "$(dirname "${BASH_SOURCE[0]}")/../checks.sh" # fail, die, skip, expect_eq, finish
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
# kf caches API discovery per server address (as kubectl does); ports are reused between tests.
export XDG_CACHE_HOME=$WORK/cache

# golden FILE ACTUAL_TEXT: compare with (or, with KF_UPDATE_GOLDEN=1, rewrite) a golden file.
golden() {
  local file=$1 actual=$2
  if [ "${KF_UPDATE_GOLDEN:-0}" = 1 ]; then
    mkdir -p "$(dirname "$file")"
    printf '%s\n' "$actual" >"$file"
    return
  fi
  if [ ! -f "$file" ]; then
    fail "missing golden file $file (run with KF_UPDATE_GOLDEN=1)"
    return
  fi
  if ! diff -u "$file" <(printf '%s\n' "$actual") >"$WORK/golden.diff"; then
    fail "$file differs (KF_UPDATE_GOLDEN=1 rewrites it; read the diff first)"
    sed 's/^/    /' "$WORK/golden.diff" | head -40 >&2
  fi
}

# json EXPR: EXPR (Python) of the JSON document on stdin, bound to d; printed.
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

# wait_for WHAT COMMAND...: polls until the command succeeds; readiness, not a
# timing check (up to a minute on a loaded machine), else a failure naming WHAT.
wait_for() {
  local what=$1; shift
  for _ in $(seq 1200); do "$@" && return 0; sleep 0.05; done
  fail "timed out waiting for $what"
  return 1
}

# run_kf: runs kf, capturing stdout, stderr and the exit code in OUT, ERR, RC.
run_kf() {
  set +e
  OUT=$("$KF" "$@" 2>"$WORK/stderr")
  RC=$?
  set -e
  ERR=$(cat "$WORK/stderr")
}
