#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The legacy tc path (FAULTLINE_TC_ATTACH=clsact, what kernels before 6.6 get): blackhole works
# through direct-action cls_bpf filters on clsact. Revert removes the clsact faultline created on
# one pod's veth and leaves the clsact (and filters) the test made on the other's.
# shellcheck source=tests/integration/lib.sh disable=SC2154 # pod_create sets a_uid, a_veth, ...
. "$(dirname "$0")/lib.sh"
export FAULTLINE_TC_ATTACH=clsact

pod_create a
pod_create b
svc_serve tcp 8080 8081

# b's veth already has a clsact with filters that match nothing, as another tool's would.
in_node tc qdisc add dev "$b_veth" clsact || fail "tc qdisc add clsact on $b_veth"
for dir in ingress egress; do
	in_node tc filter add dev "$b_veth" $dir pref 49 protocol ip u32 match ip dst 192.0.2.77/32 \
		classid 1:1 || fail "tc filter add u32 on $b_veth $dir"
done
filters_before=$(in_node tc filter show dev "$b_veth" ingress; in_node tc filter show dev "$b_veth" egress)

plan=$(write_plan clsact.yaml <<EOF
apiVersion: faultline/v1
kind: FaultPlan
metadata:
  name: clsact
spec:
  duration: 5m
  targets:
    apps:
      pods: [$a_uid, $b_uid]
  faults:
    - name: tcp-down
      target: apps
      match: {cidrs: [$SVC_IP4/32, $SVC_IP6/128], protocol: tcp, ports: [8080]}
      blackhole: {}
EOF
)
has_clsact "$a_veth" && fail "before apply: a clsact is on $a_veth already"
apply_plan "$plan"

for p in a b; do
	veth_var=${p}_veth
	view=$(in_node bpftool -j net show dev "${!veth_var}")
	assert_contains "$view" '"kind":"clsact/ingress","name":"flt_' "active: pod $p: faultline's filter on clsact ingress"
	assert_contains "$view" '"kind":"clsact/egress","name":"flt_' "active: pod $p: faultline's filter on clsact egress"
	assert_not_contains "$view" '"kind":"tcx/' "active: pod $p: no tcx link"
	for ip in "$SVC_IP4" "$SVC_IP6"; do
		out=$(in_pod $p "$FLTNET" connect "$ip" 8080 --timeout-ms 1000)
		assert_eq "$(word 1 "$out")" timeout "active: pod $p: connect to $ip port 8080"
		out=$(in_pod $p "$FLTNET" connect "$ip" 8081 --timeout-ms 2000)
		assert_eq "$(word 1 "$out")" ok "active: pod $p: connect to $ip port 8081"
	done
done

revert_plan clsact
has_clsact "$a_veth" && fail "after revert: the clsact faultline created on $a_veth is still there"
echo "ok: after revert: no clsact on $a_veth"
has_clsact "$b_veth" || fail "after revert: the test's clsact on $b_veth is gone"
echo "ok: after revert: the test's clsact on $b_veth is still there"
filters_after=$(in_node tc filter show dev "$b_veth" ingress; in_node tc filter show dev "$b_veth" egress)
assert_eq "$filters_after" "$filters_before" "after revert: the test's filters on $b_veth"
for p in a b; do
	veth_var=${p}_veth
	assert_no_tc_faultline "${!veth_var}" "after revert, pod $p"
	out=$(in_pod $p "$FLTNET" connect "$SVC_IP4" 8080 --timeout-ms 2000)
	assert_eq "$(word 1 "$out")" ok "after revert: pod $p: connect to port 8080"
done
assert_no_flt_objects "after revert"
assert_pin_dir_empty "after revert"
