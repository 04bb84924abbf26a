#!/usr/bin/env bash
# Builds everything (CLI, every connector, tests) and runs the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build --build-tests
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
swift test --skip-build --disable-xctest 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
# One plain closing line for CI: "N passed, N failed".
summary=$(grep -E '^. Test run with [0-9]+ tests?' "$log" | tail -n 1)
total=$(sed -E 's/.*with ([0-9]+) tests?.*/\1/' <<<"$summary")
failed=$(grep -E '^. Test ' "$log" | grep -v 'Test run with' | grep -c ' failed after' || true)
if [ -n "$total" ]; then echo "tests: $((total - failed)) passed, $failed failed"; fi
exit "$status"
