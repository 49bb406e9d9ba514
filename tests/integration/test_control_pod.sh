#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# A control pod on the same bridge, sending the same traffic to the same peer, is completely
# unaffected while the first pod is faulted: all its connects, echoes and round trips succeed,
# nothing of faultline is attached to its veth or cgroup, and status never mentions it.
# host only: an untargeted pod is left alone by the rule lookup by target, the same on every kernel; test_blackhole covers the kernel's hooks
# shellcheck source=tests/integration/lib.sh disable=SC2154 # pod_create sets a_uid, a_veth, ...
. "$(dirname "$0")/lib.sh"

pod_create a
pod_create b
svc_serve tcp 8080 8081 udp 7000

plan=$(write_plan control.yaml <<EOF
apiVersion: faultline/v1
kind: FaultPlan
metadata:
  name: control
spec:
  duration: 5m
  targets:
    faulted:
      pods: [$a_uid]
  faults:
    - name: tcp-down
      target: faulted
      match: {cidrs: [$SVC_IP4/32, $SVC_IP6/128], protocol: tcp, ports: [8080]}
      blackhole: {}
    - name: udp-gone
      target: faulted
      match: {cidrs: [$SVC_IP4/32, $SVC_IP6/128], protocol: udp}
      loss: {percent: 100}
    - name: refused
      target: faulted
      match: {cidrs: [$SVC_IP4/32], protocol: tcp, ports: [8081]}
      reject: {errno: ECONNREFUSED}
EOF
)
apply_plan "$plan"

# The faulted pod, so that the control's results mean something.
out=$(in_pod a "$FLTNET" connect "$SVC_IP4" 8080 --timeout-ms 1000)
assert_eq "$(word 1 "$out")" timeout "faulted pod: connect to port 8080"
out=$(in_pod a "$FLTNET" udp "$SVC_IP4" 7000 --count 200 --wait-ms 300)
assert_eq "$(word 4 "$out")" 0 "faulted pod: UDP echoes received of 200"
out=$(in_pod a "$FLTNET" connect "$SVC_IP4" 8081 --timeout-ms 1000)
assert_eq "$(word 2 "$out")" ECONNREFUSED "faulted pod: connect to port 8081"

for ip in "$SVC_IP4" "$SVC_IP6"; do
	out=$(in_pod b "$FLTNET" connect "$ip" 8080 --timeout-ms 2000)
	assert_eq "$(word 1 "$out")" ok "control pod: connect to $ip port 8080"
	out=$(in_pod b "$FLTNET" tcp-echo "$ip" 8080 --count 200 --timeout-ms 2000)
	assert_eq "$(word 1 "$out") $(word 2 "$out")" "ok 200" "control pod: round trips with $ip port 8080"
	out=$(in_pod b "$FLTNET" udp "$ip" 7000 --count 1000 --interval-us 50)
	assert_eq "$(word 2 "$out") $(word 4 "$out")" "1000 1000" "control pod: UDP sent, echoed via $ip"
done
out=$(in_pod b "$FLTNET" connect "$SVC_IP4" 8081 --timeout-ms 2000)
assert_eq "$(word 1 "$out")" ok "control pod: connect to port 8081"
out=$(in_pod b "$FLTNET" udp-send "$SVC_IP4" 7000 --count 10)
assert_eq "$(word 4 "$out")" 0 "control pod: unconnected UDP send errors"

status=$(faultline -j status)
assert_contains "$status" "$a_uid" "status lists the faulted pod"
assert_not_contains "$status" "$b_uid" "status never mentions the control pod"
assert_no_tc_faultline "$b_veth" "control pod's veth"
assert_no_cgroup_progs "$b_cg" "control pod's cgroup"
