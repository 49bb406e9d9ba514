#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Exit status 2 for anything the user gave wrongly, and nothing changed: a plan over 1 MiB, a
# directory as PLAN, a file that does not exist, a pod UID that is not on this node, reject with
# match.localPorts (file:line:col, "localPorts"), `apply --dry-run` of a plan whose name is active
# ("active"), a second plan on a pod that an active plan targets (the message names the pod and the
# first plan, which keeps working), and a plan that needs a qdisc this kernel lacks (netem
# backend where probe says netem is missing: the message names the plan and the fault's
# file:line:col), and a plan with faultline run's sections (abortWhen, observe), which apply and
# apply --dry-run refuse at the section's key while lint accepts it. After each,
# $FAULTLINE_PIN_DIR holds what it held before.
# timeout: 90
# host only: what it checks is userspace's (CLI, output, state store), the same on every kernel
# shellcheck source=tests/integration/lib.sh disable=SC2154 # pod_create sets a_uid, ...
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/state_common.sh
. "$(dirname "$0")/state_common.sh"

pod_create a
pod_create b
svc_serve tcp 8080

# expect_input_error WHAT PLAN_NAME ARGS...: faultline ARGS exits 2 and changes nothing. A plan
# PLAN_NAME that it applied anyway is reverted, so that the next case starts as this one did.
expect_input_error() {
	local what=$1 name=$2 before
	shift 2
	before=$(pin_listing)
	run_faultline "$@"
	soft assert_eq "$FLT_RC" 2 "$what: exit status"
	soft assert_pin_dir_unchanged "$before" "$what: the store"
	if [ -n "$name" ] && [ "$FLT_RC" -eq 0 ] && [[ "$*" != *--dry-run* ]]; then
		faultline revert "$name" >/dev/null 2>&1
	fi
}

# plan_on NAME UID [FAULT_LINES]: a plan NAME on pod UID, blackhole on port 8080 of the peer.
plan_on() {
	cat <<EOF
apiVersion: faultline/v1
kind: FaultPlan
metadata:
  name: $1
spec:
  duration: 5m
  targets:
    app:
      pods: [$2]
  faults:
    - name: tcp-down
      target: app
      match: {cidrs: [$SVC_IP4/32], protocol: tcp, ports: [8080]}
      blackhole: {}
EOF
}

big=$TEST_TMP/big.yaml
{
	plan_on big "$b_uid"
	# 1.1 MiB of comment lines of 100 bytes.
	for _ in $(seq 11534); do
		printf '# %097d\n' 0
	done
} >"$big"
assert_range "$(stat -c %s "$big")" 1153000 1160000 "size of the padded plan"
expect_input_error "a plan over 1 MiB" big apply "$big"
soft assert_contains "$FLT_ERR" "$big" "a plan over 1 MiB: stderr names the file"

expect_input_error "a directory as PLAN" "" apply "$TEST_TMP"
expect_input_error "a plan file that does not exist" "" apply "$TEST_TMP/no-such-plan.yaml"
soft assert_contains "$FLT_ERR" "$TEST_TMP/no-such-plan.yaml" "a plan file that does not exist: stderr names it"

missing_uid=$(cat /proc/sys/kernel/random/uuid)
plan_on nopod "$missing_uid" >"$TEST_TMP/nopod.yaml"
expect_input_error "a pod UID not on this node" nopod apply "$TEST_TMP/nopod.yaml"
soft assert_contains "$FLT_ERR" "$missing_uid" "a pod UID not on this node: stderr names it"

lp=$TEST_TMP/lp.yaml
plan_on local-ports "$b_uid" | sed 's/ports: \[8080\]}/ports: [8080], localPorts: [4000]}/;
	s/blackhole: {}/reject: {errno: ECONNREFUSED}/' >"$lp"
grep -q localPorts "$lp" || fail "no localPorts in $lp"
expect_input_error "reject with match.localPorts" local-ports apply "$lp"
soft assert_match "$FLT_ERR" "$lp:[0-9]+:[0-9]+: " "reject with match.localPorts: file:line:col"
soft assert_contains "$FLT_ERR" localPorts "reject with match.localPorts: stderr names localPorts"

# faultline run's sections: apply would fault without ever reverting early or watching the controls.
ab=$TEST_TMP/abort.yaml
{
	plan_on run-abort "$b_uid"
	printf '  abortWhen:\n    - {target: app, metric: tcp.connect.failed, above: 20, for: 3s}\n'
} >"$ab"
want="$ab:15:3: spec.abortWhen: abort conditions are evaluated by faultline run: use faultline run PLAN, or remove abortWhen"
expect_input_error "a plan with abortWhen" run-abort apply "$ab"
soft assert_contains "$FLT_ERR" "$want" "a plan with abortWhen: the message at the key"
expect_input_error "apply --dry-run of a plan with abortWhen" "" apply --dry-run "$ab"
soft assert_contains "$FLT_ERR" "$want" "apply --dry-run of a plan with abortWhen: the message at the key"
run_faultline -j apply "$ab"
soft assert_eq "$FLT_RC" 2 "apply -j of a plan with abortWhen: exit status"
soft assert_eq "$(jq -r '.error | "\(.kind) \(.line):\(.column) \(.field)"' <<<"$FLT_OUT")" \
	"input 15:3 spec.abortWhen" "apply -j of a plan with abortWhen: the error's kind and position"
ob=$TEST_TMP/observe.yaml
plan_on run-observe "$b_uid" | sed "s/^  targets:\$/  observe: {pods: [$a_uid]}\n  targets:/" >"$ob"
sed -n '15,$p' "$ab" >>"$ob"
grep -q 'observe:' "$ob" || fail "no observe in $ob"
expect_input_error "a plan with observe and abortWhen" run-observe apply "$ob"
soft assert_contains "$FLT_ERR" \
	"$ob:7:3: spec.observe: pods are observed by faultline run only: use faultline run PLAN, or remove observe" \
	"a plan with observe and abortWhen: the message at the first of the two keys"
run_faultline lint "$ab" "$ob"
soft assert_eq "$FLT_RC" 0 "lint of the plans with abortWhen and observe: exit status"

if [ "$(faultline -j probe | jq -r '.features.netem.supported')" = true ]; then
	log "skipped the netem case: this kernel has netem (it runs in vm/ where netem is absent)"
else
	nq=$TEST_TMP/q.yaml
	plan_on needs-netem "$b_uid" | sed 's/^      blackhole: {}$/      backend: netem\n      delay: {time: 10ms}/' >"$nq"
	grep -q 'backend: netem' "$nq" || fail "no netem backend in $nq"
	expect_input_error "a netem delay on a kernel without netem" needs-netem apply "$nq"
	soft assert_contains "$FLT_ERR" needs-netem "a netem delay on a kernel without netem: stderr names the plan"
	soft assert_match "$FLT_ERR" "$nq:[0-9]+:[0-9]+" \
		"a netem delay on a kernel without netem: stderr gives the fault's file:line:col"
fi

# With a plan active on pod a.
plan_on first-plan "$a_uid" >"$TEST_TMP/first.yaml"
apply_plan "$TEST_TMP/first.yaml"
expect_input_error "apply --dry-run of an active plan's name" "" apply --dry-run "$TEST_TMP/first.yaml"
soft assert_contains "$FLT_ERR" active "apply --dry-run of an active plan's name: stderr"

plan_on second-plan "$a_uid" | sed 's/ports: \[8080\]/ports: [8081]/' >"$TEST_TMP/second.yaml"
expect_input_error "a second plan on pod a" second-plan apply "$TEST_TMP/second.yaml"
soft assert_contains "$FLT_ERR" first-plan "a second plan on pod a: stderr names the first plan"
soft assert_contains "$FLT_ERR" "$a_uid" "a second plan on pod a: stderr names the pod"
soft assert_eq "$(faultline -j status | jq -r '[.plans[].name] | join(",")')" first-plan \
	"after the second plan: the active plans"
out=$(in_pod a "$FLTNET" connect "$SVC_IP4" 8080 --timeout-ms 500)
soft assert_eq "$(word 1 "$out")" timeout "after the second plan: the first plan still blackholes port 8080"

revert_plan first-plan
assert_pin_dir_clean "at the end"
soft_done
