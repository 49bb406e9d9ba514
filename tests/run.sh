#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Runs faultline's tests: cmocka unit tests, BPF_PROG_TEST_RUN tests, then integration tests.
# Each test is one executable: exit 0 passes, 77 skips (it prints "SKIP: reason"), anything else fails.
# Usage: tests/run.sh [--unit] [PATTERN...]   (PATTERN: substrings of test names to run)
#
# A test whose figures do not depend on the kernel, beside one that covers the same kernel code,
# declares "# host only: REASON"; in the VMs (FAULTLINE_IN_VM=1, set by vm/init) it is reported
# as SKIP with that reason instead of run, to keep the kernel matrix within its time.
#
# Each test runs in a session of its own, bounded in time: FAULTLINE_TEST_TIMEOUT seconds (default
# 300), or what a test script declares in a line "# timeout: SECONDS". A test that outlives its
# limit fails by name: every process of its session gets SIGTERM (the test's own background
# servers and the process groups that `timeout` makes inside it, so that the command the test
# waits on ends and its cleanup trap runs), and what is left KILL_AFTER seconds later gets SIGKILL.
set -u
set +m # no job control: a background job stays in our process group, see run_test
cd "$(dirname "$0")/.."
only_unit=0
[ "${1:-}" = "--unit" ] && { only_unit=1; shift; }
patterns=("$@")

default_limit=${FAULTLINE_TEST_TIMEOUT:-300}
[[ "$default_limit" =~ ^[1-9][0-9]*$ ]] ||
	{ echo "tests/run.sh: FAULTLINE_TEST_TIMEOUT must be a number of seconds, not '$default_limit'" >&2; exit 2; }
# Time for a test's cleanup after SIGTERM: lib.sh's `faultline revert --all` alone may take 30 s.
KILL_AFTER=45

tests=(build/tests/unit/test_* build/tests/bpf/test_*)
[ $only_unit -eq 1 ] || tests+=(tests/integration/test_*.sh)

selected() {
	[ ${#patterns[@]} -eq 0 ] && return 0
	local p
	for p in "${patterns[@]}"; do [[ "$1" == *"$p"* ]] && return 0; done
	return 1
}

# time_limit TEST: its limit in seconds (a script's "# timeout: N" line, else the default).
time_limit() {
	local declared=""
	[[ "$1" != *.sh ]] || declared=$(sed -n -E 's/^# timeout: ([1-9][0-9]*)$/\1/p' "$1" | head -n 1)
	echo "${declared:-$default_limit}"
}

# host_only TEST: the reason a test runs on the host only, or nothing.
host_only() {
	[[ "$1" != *.sh ]] || sed -n -E 's/^# host only: (.+)$/\1/p' "$1" | head -n 1
}

# wait_pid PID SECONDS: true when process PID (a child of ours) ended within SECONDS. Bash reaps
# its children as they end, so tail sees the PID vanish (it polls in C: no fork per look). The
# waiter runs in the background because the wait builtin, unlike a foreground command, returns
# at once when a signal we trap arrives.
waiter=""
wait_pid() {
	local rc
	timeout "$2" tail --pid="$1" -f /dev/null -s 0.2 &
	waiter=$!
	wait "$waiter"
	rc=$?
	waiter=""
	return $rc
}

# signal_session SIGNAL SID: SIGNAL to every live process of session SID; how many on stdout.
signal_session() {
	local pids
	pids=$(ps -s "$2" -o pid=,stat= | awk '$2 !~ /^Z/ { print $1 }')
	# shellcheck disable=SC2086 # one pid per word
	[ -z "$pids" ] || kill -"$1" $pids 2>/dev/null
	wc -w <<<"$pids"
}

# stop_session SID: SIGTERM to the session, then SIGKILL to what outlives KILL_AFTER. True when
# the session leader (the test) ended within KILL_AFTER, with its cleanup done.
stop_session() {
	signal_session TERM "$1" >/dev/null
	wait_pid "$1" "$KILL_AFTER" && return 0
	signal_session KILL "$1" >/dev/null
	return 1
}

# run_test TEST LIMIT: runs TEST in a new session; sets rc, or rc=timeout.
run_test() {
	local pid left
	# Without job control a background job is not a process group leader, so setsid(1) makes it
	# a session leader in place (no fork): $! is the test, and its session id.
	setsid "$1" &
	pid=$!
	test_pid=$pid
	if wait_pid "$pid" "$2"; then
		wait "$pid"
		rc=$?
		# A test's background processes end with it; what it left behind does not outlive it.
		left=$(signal_session KILL "$pid")
		[ "$left" -eq 0 ] || echo "# $1: killed $left process(es) it left behind"
	else
		rc=timeout
		stop_session "$pid" ||
			echo "# $1: still running ${KILL_AFTER}s after SIGTERM: killed, its cleanup may not have finished"
		{ wait "$pid"; } 2>/dev/null
		signal_session KILL "$pid" >/dev/null
	fi
	test_pid=""
}

# Interrupted (Ctrl-C, or SIGTERM): the running test gets to clean up first; a second signal
# cuts that short with SIGKILL.
test_pid=""
interrupted() {
	trap : INT TERM
	[ -z "$waiter" ] || kill "$waiter" 2>/dev/null
	if [ -n "$test_pid" ]; then
		echo "--- FAIL $t (interrupted)"
		stop_session "$test_pid"
		signal_session KILL "$test_pid" >/dev/null
	fi
	exit 130
}
trap interrupted INT TERM

passed=0 failed=0 skipped=0 failures=()
for t in "${tests[@]}"; do
	[ -x "$t" ] || continue
	selected "$t" || continue
	limit=$(time_limit "$t")
	echo "=== $t"
	why=$(host_only "$t")
	if [ "${FAULTLINE_IN_VM:-0}" = 1 ] && [ -n "$why" ]; then
		skipped=$((skipped + 1))
		echo "SKIP: host only: $why"
		echo "--- SKIP $t (0s)"
		continue
	fi
	start=$(date +%s)
	run_test "$t" "$limit"
	secs=$(( $(date +%s) - start ))
	case $rc in
	0) passed=$((passed + 1)); echo "--- PASS $t (${secs}s)" ;;
	77) skipped=$((skipped + 1)); echo "--- SKIP $t (${secs}s)" ;;
	timeout) failed=$((failed + 1)); failures+=("$t"); echo "--- FAIL $t (timeout after ${limit}s)" ;;
	*) failed=$((failed + 1)); failures+=("$t"); echo "--- FAIL $t (exit $rc, ${secs}s)" ;;
	esac
done
for f in "${failures[@]}"; do echo "failed: $f"; done
echo "tests: $passed passed, $failed failed, $skipped skipped"
[ $failed -eq 0 ]
