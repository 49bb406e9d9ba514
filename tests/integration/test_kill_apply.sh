#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# A killed apply never leaves state behind. strace kills `faultline apply` with SIGKILL on entering
# one of its syscalls, at ~26 points spread over the whole apply (the first syscall, every Nth,
# and the last ones before exit), one point per run. After each kill:
#  - `faultline revert NAME` exits 0, or 1 with "no such active plan", and then nothing is under
#    $FAULTLINE_PIN_DIR (no pin, no folder) and no faultline program is attached to the pod's
#    veth or cgroup, nor any flt_* program, map or link alive;
#  - at every 4th point instead: once the plan's 3 s deadline has passed, `faultline status`
#    exits 0 and leaves $FAULTLINE_PIN_DIR as it was before the plan, and nothing attached;
#  - a fresh apply of the same plan name succeeds, and its revert leaves nothing.
# The kill point is named in every assertion. FAULTLINE_KILL_POINTS (default 26) sets how many
# points: the VMs (vm/init), where each point costs seconds under TCG, take fewer.
# timeout: 240
# shellcheck source=tests/integration/lib.sh disable=SC2154 # pod_create sets a_uid, ...
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/state_common.sh
. "$(dirname "$0")/state_common.sh"
need_strace

pod_create a
pins_before=$(pin_listing)

plan=$(write_plan killed.yaml <<EOF
apiVersion: faultline/v1
kind: FaultPlan
metadata: {name: killed}
spec:
  duration: 3s
  targets:
    app: {pods: [$a_uid]}
  faults:
    - {name: tcp-down, target: app, match: {cidrs: [$SVC_IP4/32], protocol: tcp, ports: [8080]}, blackhole: {}}
    - {name: refused, target: app, match: {cidrs: [$SVC_IP4/32], protocol: tcp, ports: [8081]}, reject: {errno: ECONNREFUSED}}
EOF
)

# The syscalls of a whole apply, in order.
in_node timeout 60 strace -f -o "$TEST_TMP/apply.strace" "$FAULTLINE" apply "$plan" \
	>"$TEST_TMP/apply.out" 2>&1 || fail "apply under strace: $(cat "$TEST_TMP/apply.out")"
syscall_sequence "$TEST_TMP/apply.strace" >"$TEST_TMP/apply.seq"
total=$(wc -l <"$TEST_TMP/apply.seq")
assert_range "$total" 50 60000 "syscalls of a whole apply"
revert_plan killed
assert_pin_dir_unchanged "$pins_before" "after the traced apply and its revert"
assert_no_flt_objects "after the traced apply and its revert"

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

# nothing_attached WHAT: no faultline program on the pod's veth or cgroup, no flt_* object.
nothing_attached() {
	soft assert_no_tc_faultline "$a_veth" "$1"
	soft assert_no_cgroup_progs "$a_cg" "$1"
	soft assert_no_flt_objects "$1"
}

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
		run_faultline status
		soft assert_eq "$FLT_RC" 0 "$at: status after the deadline: exit status"
		soft assert_pin_dir_unchanged "$pins_before" "$at: status after the deadline swept it"
		nothing_attached "$at: after the deadline and status"
	else
		run_faultline revert killed
		if [ "$FLT_RC" -eq 1 ]; then
			soft assert_contains "$FLT_ERR" "no such active plan" "$at: revert exit 1: stderr"
		else
			soft assert_eq "$FLT_RC" 0 "$at: revert: exit status"
		fi
		soft assert_pin_dir_clean "$at: after revert"
		nothing_attached "$at: after revert"
	fi

	run_faultline apply "$plan"
	soft assert_eq "$FLT_RC" 0 "$at: a fresh apply of the same plan: exit status"
	run_faultline revert killed
	soft assert_eq "$FLT_RC" 0 "$at: revert of the fresh apply: exit status"
	soft assert_pin_dir_clean "$at: after the fresh apply and its revert"

	if [ "$SOFT_FAILS" -ne "$fails_before" ]; then
		# What this point left must not be blamed on the next one.
		faultline revert --all >/dev/null 2>&1
		rm -rf "$FAULTLINE_PIN_DIR"
	fi
	echo "# $at: done in $(($(now_ms) - point_ms)) ms"
done
assert_range "$killed" $((${#points[@]} * 3 / 4)) ${#points[@]} "kill points at which apply was killed"
soft_done
