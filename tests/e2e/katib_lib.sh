# Helpers of the Katib end-to-end scripts (test_local_katib*.sh; sourced
# after lib.sh, with the working directory where the runs are made).
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.com GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.com
command -v python3 >/dev/null || skip "python3 is not installed"
# The upstream examples (their provenance: tests/testdata/katib/README.md).
KATIB=$KF_SOURCE_DIR/tests/testdata/katib

# adapt MANIFEST PROGRAM [--script PATH] [KEY=VALUE...] [setting:NAME=VALUE...]: the upstream
# example with its container's script replaced by "-c" PROGRAM (katib_adapt.py says how;
# nothing else changes).
adapt() { python3 "$KF_SOURCE_DIR/tests/e2e/katib_adapt.py" "$@"; }
# The runs in .kf/runs, sorted; the run kf submit's stderr ($ERR) says it started.
runs() { ls .kf/runs 2>/dev/null | sort; }
started() { sed -n 's/^run \([^ ]*\) started (Experiment, local) in .*/\1/p' <<<"$ERR"; }
# refused WHAT FILE MESSAGE: kf submit -f FILE fails with exit code 2 and exactly MESSAGE,
# leaving no run behind ($before: the runs before).
refused() {
  run_kf submit -f "$2"
  expect_eq "$1: exit code" 2 "$RC"
  expect_eq "$1: message" "$3" "$ERR"
  expect_eq "$1: no run left" "$before" "$(runs)"
}
