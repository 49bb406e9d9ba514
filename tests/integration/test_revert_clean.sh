#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# After revert nothing of faultline remains: no flt_* program, map or link (bpftool), no tcx link
# or cls_bpf filter on the pods' host veths (tc, bpftool net), no cgroup program on the pods'
# cgroups, no pin. A clsact qdisc with a filter that the test made before apply is still there,
# filter included, and no clsact appears where there was none.
# shellcheck source=tests/integration/lib.sh disable=SC2154 # pod_create sets a_uid, a_veth, ...
. "$(dirname "$0")/lib.sh"

pod_create a
pod_create b
svc_serve tcp 8080 8081 udp 7000

# Someone else's clsact on a's veth, with filters that match nothing (so traffic reaches faultline).
in_node tc qdisc add dev "$a_veth" clsact || fail "tc qdisc add clsact on $a_veth"
for dir in ingress egress; do
	in_node tc filter add dev "$a_veth" $dir pref 49 protocol ip u32 match ip dst 192.0.2.77/32 \
		classid 1:1 || fail "tc filter add u32 on $a_veth $dir"
done
filters_before=$(in_node tc filter show dev "$a_veth" ingress; in_node tc filter show dev "$a_veth" egress)

plan=$(write_plan clean.yaml <<EOF
apiVersion: faultline/v1
kind: FaultPlan
metadata:
  name: clean
spec:
  duration: 5m
  targets:
    both:
      pods: [$a_uid, $b_uid]
  faults:
    - name: tcp-down
      target: both
      match: {cidrs: [$SVC_IP4/32, $SVC_IP6/128], protocol: tcp, ports: [8080]}
      blackhole: {}
    - name: refused
      target: both
      match: {cidrs: [$SVC_IP4/32], protocol: tcp, ports: [8081]}
      reject: {errno: ECONNREFUSED}
    - name: udp-some
      target: both
      direction: both
      match: {protocol: udp}
      loss: {percent: 50}
EOF
)
apply_plan "$plan"

# The checks below must see faultline's objects while the plan is active, or they prove nothing.
for p in a b; do
	out=$(in_pod $p "$FLTNET" connect "$SVC_IP4" 8080 --timeout-ms 800)
	assert_eq "$(word 1 "$out")" timeout "active: pod $p connect to port 8080"
	out=$(in_pod $p "$FLTNET" connect "$SVC_IP4" 8081 --timeout-ms 800)
	assert_eq "$(word 2 "$out")" ECONNREFUSED "active: pod $p connect to port 8081"
done
assert_ne "$(flt_objects)" "" "active: bpftool shows faultline's objects"
veth_a=$(in_node bpftool -j net show dev "$a_veth")
assert_contains "$veth_a" '"flt_' "active: bpftool net show dev $a_veth shows faultline's programs"
assert_contains "$(bpftool cgroup tree "$a_cg")" flt_ "active: bpftool cgroup tree of pod a shows faultline's programs"
assert_ne "$(find "$FAULTLINE_PIN_DIR" -mindepth 1 ! -type d)" "" "active: pins exist"

revert_plan clean

assert_no_flt_objects "after revert"
for p in a b; do
	veth_var=${p}_veth cg_var=${p}_cg
	assert_no_tc_faultline "${!veth_var}" "after revert, pod $p"
	assert_no_cgroup_progs "${!cg_var}" "after revert, pod $p"
done
assert_pin_dir_empty "after revert"

has_clsact "$a_veth" || fail "after revert: the clsact on $a_veth that the test made is gone"
echo "ok: after revert: the test's clsact on $a_veth is still there"
filters_after=$(in_node tc filter show dev "$a_veth" ingress; in_node tc filter show dev "$a_veth" egress)
assert_eq "$filters_after" "$filters_before" "after revert: the test's filters on $a_veth"
has_clsact "$b_veth" && fail "after revert: a clsact is on $b_veth, which had none"
echo "ok: after revert: no clsact on $b_veth"
assert_eq "$(faultline -j status | jq -c '.plans')" "[]" "after revert: status -j plans"

for p in a b; do
	out=$(in_pod $p "$FLTNET" connect "$SVC_IP4" 8080 --timeout-ms 2000)
	assert_eq "$(word 1 "$out")" ok "after revert: pod $p connect to port 8080"
	out=$(in_pod $p "$FLTNET" udp "$SVC_IP4" 7000 --count 100)
	assert_eq "$(word 4 "$out")" 100 "after revert: pod $p UDP echoes of 100"
done
