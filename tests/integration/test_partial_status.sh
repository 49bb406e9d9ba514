#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# A partly applied plan says so. strace kills `faultline apply` with SIGKILL on entering its third
# successful bpf(BPF_LINK_CREATE) of a plan that needs six attachments (tc ingress and egress on
# the pod's veth, connect4/6 and sendmsg4/6 on its cgroup), so that some are made and some are
# not. Then `faultline status` says "partial" and names every attachment, made or not;
# `faultline -j status` has .plans[0].state "partial" and .plans[0].attachments, one
# {what: string, attached: bool} per attachment of the plan, some true and some false. revert
# removes what was made. A fully applied plan has .plans[0].state "active".
# timeout: 90
# host only: what it checks is userspace's (CLI, output, state store), the same on every kernel
# shellcheck source=tests/integration/lib.sh disable=SC2154 # pod_create sets a_uid, ...
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/state_common.sh
. "$(dirname "$0")/state_common.sh"
need_strace

pod_create a
svc_serve tcp 8080 8081

plan=$(blackhole_reject_plan partly.yaml partly 5m)
planned=$(faultline -j apply --dry-run "$plan" | jq '[.attachments[].hooks[]] | length')
assert_eq "$planned" 6 "attachments the plan needs (apply --dry-run -j)"

# Which bpf() call to stop at: the third BPF_LINK_CREATE that succeeds in a whole apply.
in_node timeout 60 strace -f -e trace=bpf -o "$TEST_TMP/bpf.strace" "$FAULTLINE" apply "$plan" \
	>"$TEST_TMP/apply.out" 2>&1 || fail "apply under strace: $(cat "$TEST_TMP/apply.out")"
revert_plan partly
links=$(grep -n 'bpf(BPF_LINK_CREATE' "$TEST_TMP/bpf.strace" | grep -E '= [0-9]+$' | cut -d: -f1)
assert_range "$(wc -w <<<"$links")" 3 100 "successful BPF_LINK_CREATE calls of a whole apply"
kill_at=$(sed -n 3p <<<"$links")
log "bpf calls of the apply: $(wc -l <"$TEST_TMP/bpf.strace"); the third successful link is bpf call $kill_at"

strace_kill_faultline bpf "$kill_at" apply "$plan"
assert_eq "$FLT_RC" 137 "apply killed at bpf call $kill_at (its third BPF_LINK_CREATE): exit status"
# The kernel's view: the tc programs are on the veth, the cgroup ones are not.
assert_contains "$(in_node bpftool -j net show dev "$a_veth")" '"flt_' \
	"after the kill: faultline's tc programs on $a_veth"

run_faultline status
soft assert_eq "$FLT_RC" 0 "status of the partly applied plan: exit status"
text=${FLT_OUT//"$TEST_TMP"/TEST_TMP} # the test's folder is named after the test: "partial"
soft assert_contains "$text" partly "status: names the plan"
soft assert_contains "$text" partial "status: says the plan is partial"
# What was made (the tc hooks on the veth) and what was not (the cgroup hooks), in apply's words.
soft assert_contains "$text" "$a_veth" "status: names the attached tc hooks' interface"
soft assert_contains "$text" "connect4" "status: names the cgroup connect4 hook, not attached"
run_faultline -j status
soft assert_eq "$FLT_RC" 0 "-j status of the partly applied plan: exit status"
json=$FLT_OUT
soft assert_eq "$(jq -r '.plans[0].name' <<<"$json")" partly "-j status: .plans[0].name"
soft assert_eq "$(jq -r '.plans[0].state' <<<"$json")" partial "-j status: .plans[0].state"
soft assert_eq "$(jq -r '.plans[0].attachments | type' <<<"$json")" array \
	"-j status: .plans[0].attachments is an array"
soft assert_eq "$(jq -r '[.plans[0].attachments[]? |
	select((.what | type) == "string" and (.attached | type) == "boolean")] | length' <<<"$json")" \
	"$planned" "-j status: .plans[0].attachments: one {what, attached} per attachment of the plan"
made=$(jq -r '[.plans[0].attachments[]? | select(.attached == true)] | length' <<<"$json")
soft assert_range "$made" 1 $((planned - 1)) "-j status: attachments with attached == true"
soft assert_range "$(jq -r '[.plans[0].attachments[]? | select(.attached == false)] | length' \
	<<<"$json")" 1 $((planned - 1)) "-j status: attachments with attached == false"
while read -r what; do
	[ -n "$what" ] || continue
	soft assert_contains "$text" "$what" "status text names attachment '$what'"
done < <(jq -r '.plans[0].attachments[]?.what // empty' <<<"$json" 2>/dev/null)

revert_plan partly
soft assert_pin_dir_clean "after revert of the partly applied plan"
soft assert_no_tc_faultline "$a_veth" "after revert of the partly applied plan"
soft assert_no_cgroup_progs "$a_cg" "after revert of the partly applied plan"
soft assert_no_flt_objects "after revert of the partly applied plan"

apply_plan "$plan"
run_faultline -j status
soft assert_eq "$(jq -r '.plans[0].state' <<<"$FLT_OUT")" active "fully applied: -j status .plans[0].state"
run_faultline status
soft assert_not_contains "${FLT_OUT//"$TEST_TMP"/TEST_TMP}" partial "fully applied: status text"
revert_plan partly
soft_done
