#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# faultline trace, system calls: while pods a and b are traced and pod c is not, a makes 200
# clock_nanosleep calls of 3 ms, b 200 of 1 ms and c 150 of 2 ms (fltsys, which makes exactly
# those). The output has exactly the two targets asked for, in that order: a's clock_nanosleep
# count is exactly 200, none failed, their total is at least 200 x 3 ms and their median is at
# least 3 ms (a relative sleep never ends early) less 1/16 (a percentile is the middle of its
# bucket) and at most 1/8 above 3 ms plus the timer's and the scheduler's slack; b's likewise with 1 ms; c's calls are in no
# target and c's UID is nowhere in the output. A pod's cgroup given as cgroup:PATH counts the same
# calls as its UID; --syscalls clock_nanosleep reports that syscall only (getppid calls made at the
# same time, which the unfiltered trace reports, are not); --interval with -j prints one JSON
# document per interval (JSON Lines), each covering about one interval and counting only the
# calls made in it: together exactly the calls made.
# host only: test_trace_hooks covers the tracer's hooks on every kernel
# timeout: 600
# shellcheck source=tests/integration/lib.sh disable=SC2154 # pod_create sets a_uid, a_veth, ...
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/trace_common.sh
. "$(dirname "$0")/trace_common.sh"

pod_create a
pod_create b
pod_create c
a_cgpath=${a_cg#"$CGROUP_MOUNT"}

# --- a and b traced, c not ---------------------------------------------------------------------
trace_start pods "$a_uid" "$b_uid" --for 10m
in_pod a "$FLTSYS" sleep 3 200 >"$TEST_TMP/a.out" 2>&1 &
pa=$!
in_pod b "$FLTSYS" sleep 1 200 >"$TEST_TMP/b.out" 2>&1 &
pb=$!
in_pod c "$FLTSYS" sleep 2 150 >"$TEST_TMP/c.out" 2>&1 &
pc=$!
wait_jobs 120 $pa $pb $pc
log "workloads: a: $(cat "$TEST_TMP/a.out"), b: $(cat "$TEST_TMP/b.out"), c: $(cat "$TEST_TMP/c.out")"
out=$(in_pod a "$FLTSYS" getppid 1000) || fail "fltsys getppid in pod a"
log "pod a: getppid: $out"
trace_stop

assert_eq "$(tj '[.targets[] | "\(.kind) \(.id)"] | join(",")')" "pod $a_uid,pod $b_uid" \
	"targets, in the order given"
assert_sleeps "$a_uid" "pod a" 3 200 "$TEST_TMP/a.out"
assert_sleeps "$b_uid" "pod b" 1 200 "$TEST_TMP/b.out"
# getppid: fltsys's 1000, and the one of the shell that simpod exec runs first (dash asks its
# parent's PID at start), hence a few more at most.
assert_range "$(sc "$a_uid" getppid count)" 1000 1010 "pod a: getppid count"
assert_eq "$(tj '[.targets[].syscalls[] | select(.name == "clock_nanosleep") | .count]
	| index(150)')" null "pod c's 150 clock_nanosleep calls in no target"
assert_not_contains "$TRACE_JSON" "$c_uid" "pod c's UID in the output"
assert_eq "$(tj '.overflow')" 0 "overflow"
assert_range "$(tj '.duration_ms')" 100 600000 "duration_ms"

# --- a's cgroup as cgroup:PATH -----------------------------------------------------------------
trace_start cgroup "cgroup:$a_cgpath" --for 10m
in_pod a "$FLTSYS" sleep 1 100 >"$TEST_TMP/a.out" 2>&1 &
pa=$!
in_pod b "$FLTSYS" sleep 1 70 >"$TEST_TMP/b.out" 2>&1 &
pb=$!
wait_jobs 120 $pa $pb
trace_stop
assert_eq "$(tj '[.targets[] | "\(.kind) \(.id)"] | join(",")')" "cgroup cgroup:$a_cgpath" \
	"cgroup:PATH: the target"
assert_sleeps "cgroup:$a_cgpath" "cgroup:PATH of pod a" 1 100 "$TEST_TMP/a.out"

# --- --syscalls --------------------------------------------------------------------------------
trace_start filtered "$a_uid" --syscalls clock_nanosleep --for 10m
in_pod a "$FLTSYS" sleep 1 50 >"$TEST_TMP/a.out" 2>&1 &
pa=$!
in_pod a "$FLTSYS" getppid 1000 >"$TEST_TMP/a2.out" 2>&1 &
pa2=$!
wait_jobs 120 $pa $pa2
trace_stop
assert_eq "$(tj "$_tgt | [.syscalls[].name] | join(\",\")" --arg id "$a_uid")" clock_nanosleep \
	"--syscalls clock_nanosleep: the syscalls of pod a"
assert_sleeps "$a_uid" "--syscalls clock_nanosleep: pod a" 1 50 "$TEST_TMP/a.out"

# --- --interval: JSON Lines --------------------------------------------------------------------
# 300 sleeps of 10 ms: 3 s at least, so that two intervals or more see some (three of 1 s, fewer
# when the tracer wakes late); once they are done, one more line is awaited, so that the lines hold
# every call whether or not the partial interval at SIGTERM is printed. Counts that were not reset
# at each line would add up to more than 300.
trace_start interval "$a_uid" --interval 1s --for 10m
in_pod a "$FLTSYS" sleep 10 300 >"$TEST_TMP/a.out" 2>&1 &
pa=$!
wait_jobs 120 $pa
n=$(wc -l <"$TRACE_OUT")
for ((i = 0; i < 100; i++)); do
	[ "$(wc -l <"$TRACE_OUT")" -gt "$n" ] && break
	sleep 0.1
done
[ "$(wc -l <"$TRACE_OUT")" -gt "$n" ] || fail "--interval 1s: no line within 10 s of the workload's end"
kill -TERM "$TRACE_PID"
wait_jobs $TRACE_STOP_S "$TRACE_PID"
lines=$(cat "$TRACE_OUT")
trace_summary "$lines"
nlines=$(wc -l <<<"$lines")
assert_range "$nlines" 3 100 "--interval 1s: lines for a workload of 3 s or more"
i=0
while IFS= read -r line; do
	i=$((i + 1))
	d=$(jq -r '.duration_ms' <<<"$line" 2>&1) || fail "--interval: line $i is not one JSON document: $line"
	# Each line covers one interval, give or take a late wake-up; the last may be short.
	if [ $i -lt "$nlines" ]; then
		assert_range "$d" 500 2500 "--interval 1s: line $i: duration_ms"
	else
		assert_range "$d" 0 2500 "--interval 1s: last line: duration_ms"
	fi
done <<<"$lines"
counts=$(jq -r --arg id "$a_uid" '[(first(.targets[] | select(.id == $id)) // {}).syscalls // []
	| .[] | select(.name == "clock_nanosleep") | .count] | add // 0' <<<"$lines" | paste -sd ' ')
log "--interval 1s: pod a's clock_nanosleep count per line: $counts"
assert_eq "$(( ${counts// /+} ))" 300 "--interval 1s: clock_nanosleep counts of every line added"
assert_range "$(awk '{ for (i = 1; i <= NF; i++) n += $i > 0 } END { print n + 0 }' <<<"$counts")" \
	2 100 "--interval 1s: lines with calls in them"
