#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The kill switch: with two plans active, `faultline freeze` reverts both (traffic flows again,
# nothing of theirs is left in bpffs, tc or the cgroups) and marks the node frozen in bpffs, where
# every later process sees it: apply is refused (exit 2, naming the freeze), status says frozen.
# Freezing twice is fine; `unfreeze` lets plans apply again, and unfreezing twice is fine too.
# Freezing a node with no active plan works.
# host only: what it checks is the state store's and the CLI's, the same on every kernel
# timeout: 120
# shellcheck source=tests/integration/lib.sh disable=SC2154 # pod_create sets a_uid, a_veth, ...
. "$(dirname "$0")/lib.sh"

pod_create a
pod_create b
svc_serve tcp 8080 8081

# plan_on NAME POD_UID PORT: a blackhole of the pod's TCP to the peer's PORT, for 5 minutes.
plan_on() {
	write_plan "$1.yaml" <<EOF
apiVersion: faultline/v1
kind: FaultPlan
metadata: {name: $1}
spec:
  duration: 5m
  targets:
    app: {pods: [$2]}
  faults:
    - name: down
      target: app
      match: {cidrs: [$SVC_IP4/32], protocol: tcp, ports: [$3]}
      blackhole: {}
EOF
}

# connects POD PORT: the first word of a connect from POD to the peer's PORT (ok, timeout, ...).
connects() {
	word 1 "$(in_pod "$1" "$FLTNET" connect "$SVC_IP4" "$2" --timeout-ms 700)"
}

plan_one=$(plan_on one "$a_uid" 8080)
plan_two=$(plan_on two "$b_uid" 8081)
apply_plan "$plan_one"
apply_plan "$plan_two"
assert_eq "$(connects a 8080)" timeout "active: pod a connect to port 8080 (plan one)"
assert_eq "$(connects b 8081)" timeout "active: pod b connect to port 8081 (plan two)"

run_faultline -j freeze
assert_eq "$FLT_RC" 0 "freeze exit status"
assert_eq "$(jq -c '.frozen' <<<"$FLT_OUT")" true "freeze -j: frozen"
assert_eq "$(jq -c '[.reverted[].name]' <<<"$FLT_OUT")" '["one","two"]' "freeze -j: reverted plans"
assert_match "$(jq -r '.reverted[0].faults[0].targets[0].dropped_packets' <<<"$FLT_OUT")" \
	'^[1-9][0-9]*$' "freeze -j: final counters of plan one"

assert_eq "$(connects a 8080)" ok "frozen: pod a connect to port 8080"
assert_eq "$(connects b 8081)" ok "frozen: pod b connect to port 8081"
assert_no_flt_objects "after freeze"
for p in a b; do
	veth_var=${p}_veth cg_var=${p}_cg
	assert_no_tc_faultline "${!veth_var}" "after freeze, pod $p"
	assert_no_cgroup_progs "${!cg_var}" "after freeze, pod $p"
done
assert_pin_dir_empty "after freeze"
[ -d "$FAULTLINE_PIN_DIR/frozen" ] ||
	fail "after freeze: no frozen marker $FAULTLINE_PIN_DIR/frozen"
echo "ok: after freeze: the frozen marker is a folder in bpffs"
assert_eq "$(find "$FAULTLINE_PIN_DIR" -mindepth 1 -printf '%P\n' | sort | paste -sd,)" frozen \
	"after freeze: what the state root holds"

# every invocation below is a new process: the marker is in bpffs, not in a process
run_faultline apply "$plan_one"
assert_eq "$FLT_RC" 2 "frozen: apply exit status"
assert_contains "$FLT_ERR" "node is frozen" "frozen: apply names the freeze"
assert_contains "$FLT_ERR" "faultline unfreeze" "frozen: apply says what lifts it"
run_faultline -j apply "$plan_one" --dry-run
assert_eq "$FLT_RC" 2 "frozen: apply --dry-run exit status"
assert_eq "$(jq -r '.error.kind' <<<"$FLT_OUT")" input "frozen: apply -j --dry-run error kind"
assert_contains "$(jq -r '.error.message' <<<"$FLT_OUT")" "node is frozen" \
	"frozen: apply -j --dry-run error message"
assert_eq "$(connects a 8080)" ok "frozen: the refused plan changed nothing (pod a, port 8080)"
assert_eq "$(faultline -j status | jq -c '{frozen, plans}')" '{"frozen":true,"plans":[]}' \
	"frozen: status -j"
assert_eq "$(faultline status | head -n 1)" \
	"node frozen: new plans are refused (faultline unfreeze)" "frozen: status's first line"

run_faultline -j freeze
assert_eq "$FLT_RC" 0 "freeze twice: exit status"
assert_eq "$(jq -c '{frozen, reverted}' <<<"$FLT_OUT")" '{"frozen":true,"reverted":[]}' \
	"freeze twice: -j"

run_faultline -j unfreeze
assert_eq "$FLT_RC" 0 "unfreeze exit status"
assert_eq "$(jq -c . <<<"$FLT_OUT")" '{"frozen":false}' "unfreeze -j"
[ ! -e "$FAULTLINE_PIN_DIR" ] ||
	fail "after unfreeze: the state root is still there: $(find "$FAULTLINE_PIN_DIR")"
echo "ok: after unfreeze: with nothing left, the state root is gone"
assert_eq "$(faultline -j status | jq -c .frozen)" false "after unfreeze: status -j frozen"
assert_not_contains "$(faultline status)" "frozen" "after unfreeze: status text"
run_faultline unfreeze
assert_eq "$FLT_RC" 0 "unfreeze a node that is not frozen: exit status"

apply_plan "$plan_one"
assert_eq "$(connects a 8080)" timeout "after unfreeze: plan one applies again"
revert_plan one
assert_eq "$(connects a 8080)" ok "after unfreeze: plan one reverted"

run_faultline freeze
assert_eq "$FLT_RC" 0 "freeze with nothing active: exit status"
assert_eq "$FLT_OUT" $'node frozen: new plans are refused (faultline unfreeze)\nno active plan' \
	"freeze with nothing active: text"
run_faultline unfreeze
assert_eq "$FLT_RC" 0 "unfreeze again: exit status"
assert_eq "$FLT_OUT" "node unfrozen: plans apply again" "unfreeze: text"
