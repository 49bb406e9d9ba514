#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# A cgroups: target (a plain cgroup with processes in the node's network namespace, as a systemd
# service would be): loss through cgroup_skb drops all its UDP to the peer, reject fails its
# connects to one port at once; processes outside the cgroup, and its other ports, are untouched.
# shellcheck source=tests/integration/lib.sh disable=SC2154 # pod_create sets a_uid, a_veth, ...
. "$(dirname "$0")/lib.sh"

svc_serve tcp 8080 8081 udp 7000
cg_rel=$CGROUP_ROOT/batch.service
cg_dir=$(cgroup_make "$cg_rel")

plan=$(write_plan cgroup.yaml <<EOF
apiVersion: faultline/v1
kind: FaultPlan
metadata:
  name: cgroup
spec:
  duration: 5m
  targets:
    batch:
      cgroups: [$cg_rel]
  faults:
    - name: udp-gone
      target: batch
      match: {cidrs: [$SVC_IP4/32, $SVC_IP6/128], protocol: udp, ports: [7000]}
      loss: {percent: 100}
    - name: refused
      target: batch
      match: {cidrs: [$SVC_IP4/32, $SVC_IP6/128], protocol: tcp, ports: [8081]}
      reject: {errno: ECONNREFUSED}
EOF
)

out=$(in_cgroup "$cg_dir" "$FLTNET" udp "$SVC_IP4" 7000 --count 100)
assert_eq "$(word 4 "$out")" 100 "before apply: UDP echoes to the cgroup, of 100"

apply_plan "$plan"

for ip in "$SVC_IP4" "$SVC_IP6"; do
	out=$(in_cgroup "$cg_dir" "$FLTNET" udp "$ip" 7000 --count 100 --wait-ms 300)
	log "in the cgroup, UDP to $ip: $out"
	assert_eq "$(word 4 "$out")" 0 "in the cgroup: UDP echoes via $ip, of 100"
	out=$(in_cgroup "$cg_dir" "$FLTNET" connect "$ip" 8081 --timeout-ms 2000)
	assert_eq "$(word 1 "$out") $(word 2 "$out")" "error ECONNREFUSED" "in the cgroup: connect to $ip port 8081"
	assert_range "$(word 3 "$out")" 0 499 "in the cgroup: ms until the connect to $ip port 8081 failed"
	out=$(in_cgroup "$cg_dir" "$FLTNET" tcp-echo "$ip" 8080 --count 20)
	assert_eq "$(word 1 "$out") $(word 2 "$out")" "ok 20" "in the cgroup: round trips with $ip port 8080"

	out=$(in_node "$FLTNET" udp "$ip" 7000 --count 100)
	assert_eq "$(word 4 "$out")" 100 "outside the cgroup: UDP echoes via $ip, of 100"
	out=$(in_node "$FLTNET" connect "$ip" 8081 --timeout-ms 2000)
	assert_eq "$(word 1 "$out")" ok "outside the cgroup: connect to $ip port 8081"
done

assert_eq "$(counter cgroup udp-gone "$cg_rel" dropped_packets)" 200 "status: udp-gone dropped_packets"
assert_eq "$(counter cgroup refused "$cg_rel" rejected_connects)" 2 "status: refused rejected_connects"
assert_eq "$(faultline -j status | jq -r '.plans[0].faults[0].targets[0].kind')" cgroup \
	"status: the target's kind"

revert_plan cgroup
assert_no_cgroup_progs "$cg_dir" "after revert"
assert_no_flt_objects "after revert"
out=$(in_cgroup "$cg_dir" "$FLTNET" udp "$SVC_IP4" 7000 --count 100)
assert_eq "$(word 4 "$out")" 100 "after revert: UDP echoes to the cgroup, of 100"
out=$(in_cgroup "$cg_dir" "$FLTNET" connect "$SVC_IP4" 8081 --timeout-ms 2000)
assert_eq "$(word 1 "$out")" ok "after revert: connect from the cgroup to port 8081"
