# The checking contract of every test script (sourced by tests/e2e/lib.sh and
# tests/runtime/lib.sh):
#   fail MESSAGE     a check failed: say so and go on (the script ends with finish)
#   die MESSAGE      the script cannot go on: say so and exit 1 now
#   skip MESSAGE     a tool the script needs is missing: exit 77, which ctest reports as skipped
#   expect_eq WHAT EXPECTED ACTUAL
#   finish           exit 1 when any check failed, else 0
failures=0

fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

die() {
  echo "FAIL: $*" >&2
  exit 1
}

skip() {
  echo "SKIP: $*"
  exit 77
}

expect_eq() {
  if [ "$2" != "$3" ]; then
    fail "$1"
    diff <(printf '%s\n' "$2") <(printf '%s\n' "$3") | sed 's/^/    /' >&2 || true
  fi
}

finish() {
  if [ "$failures" -gt 0 ]; then
    echo "$failures check(s) failed" >&2
    exit 1
  fi
  echo "all checks passed"
}
