#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Runs faultline's tests: cmocka unit tests, BPF_PROG_TEST_RUN tests, then integration tests.
# Each test is one executable: exit 0 passes, 77 skips (it prints "SKIP: reason"), anything else fails.
# Usage: tests/run.sh [--unit] [PATTERN...]   (PATTERN: substrings of test names to run)
set -u
cd "$(dirname "$0")/.."
only_unit=0
[ "${1:-}" = "--unit" ] && { only_unit=1; shift; }
patterns=("$@")

tests=(build/tests/unit/test_* build/tests/bpf/test_*)
[ $only_unit -eq 1 ] || tests+=(tests/integration/test_*.sh)

selected() {
	[ ${#patterns[@]} -eq 0 ] && return 0
	local p
	for p in "${patterns[@]}"; do [[ "$1" == *"$p"* ]] && return 0; done
	return 1
}

passed=0 failed=0 skipped=0 failures=()
for t in "${tests[@]}"; do
	[ -x "$t" ] || continue
	selected "$t" || continue
	echo "=== $t"
	start=$(date +%s)
	"$t"
	rc=$?
	secs=$(( $(date +%s) - start ))
	case $rc in
	0) passed=$((passed + 1)); echo "--- PASS $t (${secs}s)" ;;
	77) skipped=$((skipped + 1)); echo "--- SKIP $t (${secs}s)" ;;
	*) failed=$((failed + 1)); failures+=("$t"); echo "--- FAIL $t (exit $rc, ${secs}s)" ;;
	esac
done
for f in "${failures[@]}"; do echo "failed: $f"; done
echo "tests: $passed passed, $failed failed, $skipped skipped"
[ $failed -eq 0 ]
