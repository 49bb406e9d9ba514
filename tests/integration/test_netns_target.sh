#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# A netns: target: faultline attaches to every interface of that namespace (here a pod's netns,
# named by its /run/netns path, with eth0 in it). Blackhole on TCP to one port of the peer: connects
# from that namespace hang, another port connects, and a second pod's namespace is untouched.
# shellcheck source=tests/integration/lib.sh disable=SC2154 # pod_create sets a_uid, a_veth, ...
. "$(dirname "$0")/lib.sh"

pod_create a
pod_create b
svc_serve tcp 8080 8081
ns_path=/run/netns/$a_ns

plan=$(write_plan netns.yaml <<EOF
apiVersion: faultline/v1
kind: FaultPlan
metadata:
  name: netns
spec:
  duration: 5m
  targets:
    lab:
      netns: [$ns_path]
  faults:
    - name: tcp-down
      target: lab
      match: {cidrs: [$SVC_IP4/32, $SVC_IP6/128], protocol: tcp, ports: [8080]}
      blackhole: {}
EOF
)
apply_plan "$plan"

for ip in "$SVC_IP4" "$SVC_IP6"; do
	out=$(in_pod a "$FLTNET" connect "$ip" 8080 --timeout-ms 1000)
	assert_eq "$(word 1 "$out")" timeout "from the target netns: connect to $ip port 8080"
	out=$(in_pod a "$FLTNET" connect "$ip" 8081 --timeout-ms 2000)
	assert_eq "$(word 1 "$out")" ok "from the target netns: connect to $ip port 8081"
	out=$(in_pod b "$FLTNET" connect "$ip" 8080 --timeout-ms 2000)
	assert_eq "$(word 1 "$out")" ok "from another netns: connect to $ip port 8080"
done
assert_range "$(counter netns tcp-down "$ns_path" dropped_packets)" 2 1000 \
	"status: dropped_packets for id $ns_path"
view=$(nsenter --net="$ns_path" bpftool -j net show dev eth0)
assert_contains "$view" '"flt_' "active: faultline's programs on eth0 in the target netns"

revert_plan netns
view=$(nsenter --net="$ns_path" bpftool -j net show dev eth0)
assert_not_contains "$view" '"flt_' "after revert: bpftool net show dev eth0 in the target netns"
nsenter --net="$ns_path" tc qdisc show dev eth0 | grep -q '^qdisc clsact' &&
	fail "after revert: a clsact is left on eth0 in the target netns"
assert_no_flt_objects "after revert"
out=$(in_pod a "$FLTNET" connect "$SVC_IP4" 8080 --timeout-ms 2000)
assert_eq "$(word 1 "$out")" ok "after revert: connect to port 8080 from the target netns"
