#!/usr/bin/env bash
# The README's test command: install dependencies, build, and run every test
# twice — an optimised build with -Werror (preset ci) and an AddressSanitizer
# + UndefinedBehaviorSanitizer build (preset asan) — then fuzz kf's parsers
# for a bounded number of inputs (preset fuzz). Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh

for preset in ci asan fuzz; do
  echo "==> configure, build and test: preset $preset"
  cmake --preset "$preset"
  cmake --build --preset "$preset"
  ctest --preset "$preset"
done
