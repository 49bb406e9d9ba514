#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Runs every libFuzzer target of BUILD_DIR/fuzz for SECONDS each (docs/fuzzing.md).
# Usage: scripts/fuzz.sh BUILD_DIR SECONDS [TARGET...]   (make fuzz, FUZZ_SECONDS=N)
# Each target starts from its seeds: tests/fuzz/corpus/NAME (and, for the plan parser, the
# example plans and tests/plans' good and bad plans); what it finds that covers new code is kept
# in BUILD_DIR/corpus/NAME for the next run. Any crash, leak, timeout or sanitizer report fails
# the run: the input is saved in BUILD_DIR/crashes/ and becomes a regression input once copied
# into tests/fuzz/corpus/NAME. Prints one line per target: executions, executions per second.
set -u
cd "$(dirname "$0")/.." || exit 1
[ $# -ge 2 ] || { echo "usage: scripts/fuzz.sh BUILD_DIR SECONDS [TARGET...]" >&2; exit 2; }
build=$1 seconds=$2
shift 2
[[ "$seconds" =~ ^[1-9][0-9]*$ ]] || { echo "scripts/fuzz.sh: SECONDS must be a whole number, not '$seconds'" >&2; exit 2; }

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
	for f in "$build"/fuzz/fuzz_*; do
		[ -x "$f" ] && targets+=("${f##*/fuzz_}")
	done
fi
[ ${#targets[@]} -gt 0 ] || { echo "scripts/fuzz.sh: no fuzz targets in $build/fuzz: run make fuzz-build" >&2; exit 1; }

# seeds NAME: the seed folders of target NAME
seeds() {
	local d
	for d in "tests/fuzz/corpus/$1" $([ "$1" = plan ] && echo examples tests/plans/good tests/plans/bad); do
		[ -d "$d" ] && echo "$d"
	done
}

rc=0
mkdir -p "$build/crashes"
for t in "${targets[@]}"; do
	bin=$build/fuzz/fuzz_$t
	[ -x "$bin" ] || { echo "FAIL fuzz_$t: $bin is missing"; rc=1; continue; }
	mkdir -p "$build/corpus/$t"
	log=$build/fuzz_$t.log
	# shellcheck disable=SC2046 # one folder per word
	"$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$build/crashes/${t}-" "$build/corpus/$t" $(seeds "$t") >"$log" 2>&1
	status=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
	if [ $status -eq 0 ]; then
		echo "ok: fuzz_$t: ${execs:-?} executions in ${seconds}s, ${rate:-?}/s, no finding"
	else
		echo "FAIL fuzz_$t (exit $status): see $log; the input is in $build/crashes/"
		grep -E 'ERROR|SUMMARY|broken contract|runtime error' "$log" | head -n 5
		rc=1
	fi
done
exit $rc
