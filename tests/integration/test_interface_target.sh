#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# An interfaces: target: an interface of the namespace faultline runs in (the node), here the host
# end of a pod's veth. Blackhole on all TCP through it, both directions: that pod's connects hang
# while its UDP still flows, and another pod's veth carries TCP as before.
# shellcheck source=tests/integration/lib.sh disable=SC2154 # pod_create sets a_uid, a_veth, ...
. "$(dirname "$0")/lib.sh"

pod_create a
pod_create b
svc_serve tcp 8080 udp 7000

plan=$(write_plan interface.yaml <<EOF
apiVersion: faultline/v1
kind: FaultPlan
metadata:
  name: iface
spec:
  duration: 5m
  targets:
    edge:
      interfaces: [$a_veth]
  faults:
    - name: no-tcp
      target: edge
      direction: both
      match: {protocol: tcp}
      blackhole: {}
EOF
)
apply_plan "$plan"

for ip in "$SVC_IP4" "$SVC_IP6"; do
	out=$(in_pod a "$FLTNET" connect "$ip" 8080 --timeout-ms 1000)
	assert_eq "$(word 1 "$out")" timeout "through $a_veth: connect to $ip port 8080"
	out=$(in_pod a "$FLTNET" udp "$ip" 7000 --count 100)
	assert_eq "$(word 4 "$out")" 100 "through $a_veth: UDP echoes via $ip, of 100"
	out=$(in_pod b "$FLTNET" connect "$ip" 8080 --timeout-ms 2000)
	assert_eq "$(word 1 "$out")" ok "through $b_veth: connect to $ip port 8080"
done
assert_range "$(counter iface no-tcp "$a_veth" dropped_packets)" 2 1000 \
	"status: dropped_packets for id $a_veth"

revert_plan iface
assert_no_tc_faultline "$a_veth" "after revert"
assert_no_flt_objects "after revert"
out=$(in_pod a "$FLTNET" connect "$SVC_IP4" 8080 --timeout-ms 2000)
assert_eq "$(word 1 "$out")" ok "after revert: connect through $a_veth to port 8080"
