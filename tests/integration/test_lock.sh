#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Concurrent invocations are serialized, not corrupted: eight applies of distinct plans race with
# status; every apply succeeds, every plan is then active with its own counters and its fault in
# effect, and two concurrent revert --all leave nothing behind.
# shellcheck source=tests/integration/lib.sh disable=SC2154 # pod_create sets a_uid, ...
. "$(dirname "$0")/lib.sh"

pod_create a
svc_serve tcp 9001 9002 9003 9004 9005 9006 9007 9008 9100

for i in 1 2 3 4 5 6 7 8; do
	write_plan "p$i.yaml" >/dev/null <<EOF
apiVersion: faultline/v1
kind: FaultPlan
metadata: {name: race-$i}
spec:
  duration: 5m
  targets:
    a: {pods: [$a_uid]}
  faults:
    - {name: down-$i, target: a, match: {cidrs: [$SVC_IP4/32], protocol: tcp, ports: [900$i]}, blackhole: {}}
EOF
done
pids=()
for i in 1 2 3 4 5 6 7 8; do
	faultline apply "$TEST_TMP/p$i.yaml" >"$TEST_TMP/apply$i.out" 2>&1 &
	pids+=($!)
	faultline -j status >/dev/null 2>&1 &
	pids+=($!)
done
for i in "${!pids[@]}"; do
	wait "${pids[$i]}"
	rc=$?
	[ $((i % 2)) -eq 0 ] && assert_eq "$rc" 0 "concurrent apply race-$((i / 2 + 1)): exit status"
done
names=$(faultline -j status | jq -r '[.plans[].name] | sort | join(",")')
assert_eq "$names" "race-1,race-2,race-3,race-4,race-5,race-6,race-7,race-8" "active plans after the race"
for i in 1 8; do
	out=$(in_pod a "$FLTNET" connect "$SVC_IP4" "900$i" --timeout-ms 1000)
	assert_eq "$(word 1 "$out")" timeout "plan race-$i: connect to port 900$i"
	assert_range "$(counter "race-$i" "down-$i" "$a_uid" dropped_packets)" 1 100 "plan race-$i: its own drop counter"
done
out=$(in_pod a "$FLTNET" connect "$SVC_IP4" 9100 --timeout-ms 1000)
assert_eq "$(word 1 "$out")" ok "unfaulted port 9100 while eight plans are active"

faultline revert --all >/dev/null &
r1=$!
faultline revert --all >/dev/null &
r2=$!
wait $r1
rc1=$?
wait $r2
rc2=$?
assert_eq "$rc1,$rc2" "0,0" "two concurrent revert --all: exit statuses"
assert_no_flt_objects "after the concurrent reverts"
assert_pin_dir_empty "after the concurrent reverts"
