#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# A hostNetwork pod has no interface of its own: applying a plan on it exits 2 with a message
# that says so, and nothing is attached.
# host only: refusing a hostNetwork pod is userspace's, the same on every kernel
# shellcheck source=tests/integration/lib.sh disable=SC2154 # pod_create sets h_uid, ...
. "$(dirname "$0")/lib.sh"

pod_create h --host-network
plan=$(write_plan host.yaml <<EOF
apiVersion: faultline/v1
kind: FaultPlan
metadata: {name: host}
spec:
  duration: 1m
  targets:
    node-agent: {pods: [$h_uid]}
  faults:
    - {name: drop-all, target: node-agent, blackhole: {}}
EOF
)
run_faultline apply "$plan"
assert_eq "$FLT_RC" 2 "apply on a hostNetwork pod: exit status"
assert_contains "$FLT_ERR" "$h_uid" "apply on a hostNetwork pod: stderr names the pod"
assert_contains "$FLT_ERR" "host network" "apply on a hostNetwork pod: stderr says why"
assert_no_flt_objects "after the refused apply"
assert_pin_dir_empty "after the refused apply"
