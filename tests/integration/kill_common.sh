# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
#
# The checks after a faultline process was killed, shared by the kill tests; sourced after lib.sh
# and state_common.sh (their assertions are soft: a failed trial does not end the test):
#
#   kill_state DEV CGDIR      what a killed process must leave as it found: the pins, tc's and
#                             bpftool's view of node interface DEV, the programs at cgroup CGDIR,
#                             the node's IFB devices and faultline's BPF objects
#   kill_after_revert AT NAME BEFORE DEV CGDIR   `faultline revert NAME` exits 0, or 1 with "no
#                             such active plan", and leaves kill_state as BEFORE
#   kill_after_sweep AT BEFORE DEV CGDIR         (after the plan's deadline) `faultline status`
#                             exits 0, and its expiry sweep leaves kill_state as BEFORE
#   kill_fresh_apply AT PLAN NAME BEFORE DEV CGDIR   a new apply of PLAN succeeds and its revert
#                             (or the revert's sweep, when the plan expired first) leaves
#                             kill_state as BEFORE
# AT names the trial or kill point in every assertion.
# shellcheck disable=SC2154 # lib.sh sets TEST_TMP, FAULTLINE, ...

kill_state() {
	echo "pins:"
	pin_listing
	echo "tc and bpftool on $1:"
	tc_view "$1"
	echo "cgroup programs:"
	bpftool cgroup tree "$2" 2>&1
	echo "ifb devices:"
	in_node ip -o link show type ifb | awk '{ print $2 }'
	echo "bpf objects:"
	flt_objects
}

# assert_kill_state BEFORE DEV CGDIR WHAT: kill_state is BEFORE (freeing BPF objects is
# RCU-deferred: allow a moment), else the difference.
assert_kill_state() {
	local now
	for _ in $(seq 30); do
		now=$(kill_state "$2" "$3")
		[ "$now" != "$1" ] || break
		sleep 0.1
	done
	[ "$now" = "$1" ] ||
		fail "$4: not as before (< before, > now): $(diff <(echo "$1") <(echo "$now") | grep '^[<>]' | tr '\n' ' ')"
	echo "ok: $4 (pins, tc, cgroup programs, IFBs and BPF objects as before)"
}

kill_after_revert() {
	run_faultline revert "$2"
	if [ "$FLT_RC" -eq 1 ]; then
		soft assert_contains "$FLT_ERR" "no such active plan" "$1: revert exit 1: stderr"
	else
		soft assert_eq "$FLT_RC" 0 "$1: revert: exit status"
	fi
	soft assert_kill_state "$3" "$4" "$5" "$1: after revert"
}

kill_after_sweep() {
	run_faultline status
	soft assert_eq "$FLT_RC" 0 "$1: status after the deadline: exit status"
	soft assert_kill_state "$2" "$3" "$4" "$1: after the deadline and status's sweep"
}

kill_fresh_apply() {
	run_faultline apply "$2"
	soft assert_eq "$FLT_RC" 0 "$1: a fresh apply of the same plan: exit status"
	run_faultline revert "$3"
	if [ "$FLT_RC" -eq 1 ] && [[ "$FLT_ERR" == *"plan $3: expired, reverted"* ]]; then
		# A short plan can end before the revert comes on a busy machine: the revert's sweep
		# removed it.
		log "$1: the fresh apply's plan had expired: the revert swept it"
	else
		soft assert_eq "$FLT_RC" 0 "$1: revert of the fresh apply: exit status"
	fi
	soft assert_kill_state "$4" "$5" "$6" "$1: after the fresh apply and its revert"
}
