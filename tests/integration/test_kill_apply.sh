#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# A killed apply never leaves state behind. strace kills `faultline apply` with SIGKILL on entering
# one of its syscalls, at ~26 points spread over the whole apply (the first syscall, every Nth,
# and the last ones before exit), one point per run. After each kill:
#  - `faultline revert NAME` exits 0, or 1 with "no such active plan", and then nothing is under
#    $FAULTLINE_PIN_DIR (no pin, no folder), and the pod's veth (tc, bpftool), its cgroup's
#    programs, the IFBs and the flt_* programs, maps and links are as before the plan;
#  - at every 4th point instead: once the plan's 3 s deadline has passed, `faultline status`
#    exits 0 and its sweep leaves all that as it was before the plan;
#  - a fresh apply of the same plan name succeeds, and its revert leaves nothing
# (kill_common.sh; test_kill_trials.sh kills apply, revert and the agent at random times).
# The kill point is named in every assertion. FAULTLINE_KILL_POINTS (default 26) sets how many
# points: the VMs (vm/init), where each point costs seconds under TCG, take fewer.
# timeout: 240
# shellcheck source=tests/integration/lib.sh disable=SC2154 # pod_create sets a_uid, ...
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/state_common.sh
. "$(dirname "$0")/state_common.sh"
# shellcheck source=tests/integration/kill_common.sh
. "$(dirname "$0")/kill_common.sh"
need_strace

pod_create a
state_before=$(kill_state "$a_veth" "$a_cg")

plan=$(blackhole_reject_plan killed.yaml killed 3s)

# The syscalls of a whole apply, in order.
in_node timeout 60 strace -f -o "$TEST_TMP/apply.strace" "$FAULTLINE" apply "$plan" \
	>"$TEST_TMP/apply.out" 2>&1 || fail "apply under strace: $(cat "$TEST_TMP/apply.out")"
syscall_sequence "$TEST_TMP/apply.strace" >"$TEST_TMP/apply.seq"
total=$(wc -l <"$TEST_TMP/apply.seq")
assert_range "$total" 50 60000 "syscalls of a whole apply"
revert_plan killed
assert_kill_state "$state_before" "$a_veth" "$a_cg" "after the traced apply and its revert"

# Syscall 1 is the execve that strace starts faultline with: it cannot be stopped at, so the first
# point is syscall 2, faultline's first own instruction that enters the kernel.
want_points=${FAULTLINE_KILL_POINTS:-26}
step=$(((total - 4) / (want_points > 4 ? want_points - 3 : 1)))
[ "$step" -ge 1 ] || step=1
points=()
for ((k = 2; k < total - 2; k += step)); do
	points+=("$k")
done
points+=($((total - 2)) $((total - 1)))
log "$total syscalls; ${#points[@]} kill points: ${points[*]}"

killed=0
for i in "${!points[@]}"; do
	k=${points[$i]}
	read -r _ name occ < <(sed -n "${k}p" "$TEST_TMP/apply.seq")
	at="kill point $((i + 1))/${#points[@]} (syscall $k of $total: $name call $occ)"
	fails_before=$SOFT_FAILS
	point_ms=$(now_ms)

	strace_kill_faultline "$name" "$occ" apply "$plan"
	killed_ms=$(now_ms)
	if [ "$FLT_RC" -eq 137 ]; then
		killed=$((killed + 1))
		echo "# $at: apply killed"
	else
		# The apply took another path this time and never made that call: a point not tested.
		echo "# $at: apply was not killed (exit $FLT_RC): $(head -n 1 <<<"$FLT_ERR")"
	fi

	if [ $((i % 4)) -eq 3 ]; then
		sleep_until_ms $((killed_ms + 3100))
		kill_after_sweep "$at" "$state_before" "$a_veth" "$a_cg"
	else
		kill_after_revert "$at" killed "$state_before" "$a_veth" "$a_cg"
	fi
	kill_fresh_apply "$at" "$plan" killed "$state_before" "$a_veth" "$a_cg"

	if [ "$SOFT_FAILS" -ne "$fails_before" ]; then
		# What this point left must not be blamed on the next one.
		faultline revert --all >/dev/null 2>&1
		rm -rf "$FAULTLINE_PIN_DIR"
	fi
	echo "# $at: done in $(($(now_ms) - point_ms)) ms"
done
assert_range "$killed" $((${#points[@]} * 3 / 4)) ${#points[@]} "kill points at which apply was killed"
soft_done
