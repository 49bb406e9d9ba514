#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The unit and BPF_PROG_TEST_RUN tests again, built by clang with ASan and UBSan (make san, which
# make test runs first): any test failing, or any memory error, leak or undefined behaviour they
# reach, fails this test by the binary's name.
# timeout: 300
# host only: the same tests run plain in the VMs; the sanitizer builds are not copied there
#
# It needs none of lib.sh's node world, so it does not source lib.sh.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
cd "$TOP" || exit 1
[ -d build/san/tests ] || { echo "SKIP: build/san is missing: run make san (make test does)"; exit 77; }
# stop at the first report; leaks are reported at exit
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

failed=()
n=0
for t in build/san/tests/unit/test_* build/san/tests/bpf/test_*; do
	[ -x "$t" ] && [[ "$t" != *.* ]] || continue
	n=$((n + 1))
	log=$(mktemp)
	if timeout 120 "$t" >"$log" 2>&1; then
		echo "ok: $t"
	else
		echo "FAIL: $t (exit $?):"
		grep -E 'ERROR|runtime error|SUMMARY|FAILED|Sanitizer' "$log" | head -n 10
		failed+=("$t")
	fi
	rm -f "$log"
done
[ "$n" -gt 0 ] || { echo "FAIL: no test binaries in build/san/tests"; exit 1; }
[ ${#failed[@]} -eq 0 ] || { echo "FAIL: ${#failed[@]} of $n under ASan+UBSan: ${failed[*]}"; exit 1; }
echo "ok: $n test binaries under ASan+UBSan"
