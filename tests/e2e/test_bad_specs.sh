#!/usr/bin/env bash
# Every broken spec in tests/testdata/bad/NAME.yaml fails `kf validate` with
# exit code 2 and exactly the text pinned in NAME.err, and leaves no file behind.
source "$(dirname "$0")/lib.sh"

count=0
for spec in "$KF_SOURCE_DIR"/tests/testdata/bad/*.yaml; do
  name=$(basename "$spec" .yaml)
  dir="$WORK/$name"
  mkdir -p "$dir"
  cp "$spec" "$dir/kf.yaml"
  (cd "$dir" && run_kf validate && printf '%s\n' "$RC" >"$WORK/rc" && printf '%s' "$ERR" >"$WORK/err")
  rc=$(cat "$WORK/rc")
  err=$(cat "$WORK/err")
  expect_eq "$name: exit code" 2 "$rc"
  golden "${spec%.yaml}.err" "$err"
  expect_eq "$name: files left" "kf.yaml" "$(ls -A "$dir")"
  count=$((count + 1))
done
[ "$count" -ge 30 ] || fail "only $count bad specs (want at least 30)"
echo "$count bad specs checked"
finish
