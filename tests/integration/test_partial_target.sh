#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# All or nothing: a plan whose second target (a pod UID not on this node) does not exist exits 2
# naming it, and the first pod is untouched: its traffic flows, nothing is attached to its veth or
# cgroup, and no BPF object, pin or active plan is left.
# host only: what it checks is userspace's (CLI, output, state store), the same on every kernel
# shellcheck source=tests/integration/lib.sh disable=SC2154 # pod_create sets a_uid, a_veth, ...
. "$(dirname "$0")/lib.sh"

pod_create a
svc_serve tcp 8080 8081

missing_uid=$(cat /proc/sys/kernel/random/uuid)
plan=$(write_plan partial.yaml <<EOF
apiVersion: faultline/v1
kind: FaultPlan
metadata:
  name: partial
spec:
  duration: 5m
  targets:
    present:
      pods: [$a_uid]
    absent:
      pods: [$missing_uid]
  faults:
    - name: present-down
      target: present
      match: {cidrs: [$SVC_IP4/32], protocol: tcp, ports: [8080]}
      blackhole: {}
    - name: present-refused
      target: present
      match: {cidrs: [$SVC_IP4/32], protocol: tcp, ports: [8081]}
      reject: {errno: ECONNREFUSED}
    - name: absent-down
      target: absent
      blackhole: {}
EOF
)
run_faultline apply "$plan"
assert_eq "$FLT_RC" 2 "apply with a missing second target: exit status"
assert_contains "$FLT_ERR" "$missing_uid" "apply with a missing second target: stderr names the missing pod"

out=$(in_pod a "$FLTNET" connect "$SVC_IP4" 8080 --timeout-ms 2000)
assert_eq "$(word 1 "$out")" ok "first pod: connect to port 8080"
out=$(in_pod a "$FLTNET" connect "$SVC_IP4" 8081 --timeout-ms 2000)
assert_eq "$(word 1 "$out")" ok "first pod: connect to port 8081"
assert_no_tc_faultline "$a_veth" "first pod"
has_clsact "$a_veth" && fail "first pod: a clsact qdisc was left on $a_veth"
assert_no_cgroup_progs "$a_cg" "first pod"
assert_no_flt_objects "after the failed apply"
assert_pin_dir_empty "after the failed apply"
assert_eq "$(faultline -j status | jq -c '.plans')" "[]" "after the failed apply: status -j plans"
