#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Concurrent invocations are serialized, not corrupted: eight applies of distinct plans race with
# status, two plans on each of four pods. One plan at a time may target a workload, so exactly one
# plan per pod wins and the other is refused (exit 2) naming it; every winner is then active with
# its own counters and its fault in effect, and two concurrent revert --all leave nothing behind.
# host only: what it checks is userspace's (CLI, output, state store), the same on every kernel
# shellcheck source=tests/integration/lib.sh disable=SC2154 # pod_create sets a_uid, ...
. "$(dirname "$0")/lib.sh"

pods=(a b c d)
for p in "${pods[@]}"; do pod_create "$p"; done
svc_serve tcp 9001 9002 9003 9004 9005 9006 9007 9008 9100

pod_of() { echo "${pods[$((($1 - 1) % 4))]}"; }
for i in 1 2 3 4 5 6 7 8; do
	uid_var="$(pod_of "$i")_uid"
	write_plan "p$i.yaml" >/dev/null <<EOF
apiVersion: faultline/v1
kind: FaultPlan
metadata: {name: race-$i}
spec:
  duration: 5m
  targets:
    t: {pods: [${!uid_var}]}
  faults:
    - {name: down-$i, target: t, match: {cidrs: [$SVC_IP4/32], protocol: tcp, ports: [900$i]}, blackhole: {}}
EOF
done
pids=()
for i in 1 2 3 4 5 6 7 8; do
	faultline apply "$TEST_TMP/p$i.yaml" >"$TEST_TMP/apply$i.out" 2>&1 &
	pids+=($!)
	faultline -j status >/dev/null 2>&1 &
	pids+=($!)
done
declare -A rcs win_of
for i in "${!pids[@]}"; do
	wait "${pids[$i]}"
	rc=$?
	[ $((i % 2)) -eq 0 ] && rcs[$((i / 2 + 1))]=$rc
done
winners=()
for i in 1 2 3 4; do
	j=$((i + 4))
	assert_eq "$(printf '%s\n' "${rcs[$i]}" "${rcs[$j]}" | sort | paste -sd,)" "0,2" \
		"pod $(pod_of "$i"): exit statuses of race-$i and race-$j (one wins, one is refused)"
	if [ "${rcs[$i]}" = 0 ]; then win=$i lose=$j; else win=$j lose=$i; fi
	winners+=("race-$win")
	win_of[$i]=$win
	assert_eq "$(grep -c "already targeted by active plan race-$win" "$TEST_TMP/apply$lose.out")" 1 \
		"race-$lose: refused, naming race-$win"
done
names=$(faultline -j status | jq -r '[.plans[].name] | sort | join(",")')
assert_eq "$names" "$(printf '%s\n' "${winners[@]}" | sort | paste -sd,)" "active plans after the race"
for i in 1 4; do
	w=${win_of[$i]}
	p=$(pod_of "$w")
	uid_var="${p}_uid"
	out=$(in_pod "$p" "$FLTNET" connect "$SVC_IP4" "900$w" --timeout-ms 1000)
	assert_eq "$(word 1 "$out")" timeout "plan race-$w: connect to port 900$w from pod $p"
	assert_range "$(counter "race-$w" "down-$w" "${!uid_var}" dropped_packets)" 1 100 \
		"plan race-$w: its own drop counter"
done
out=$(in_pod a "$FLTNET" connect "$SVC_IP4" 9100 --timeout-ms 1000)
assert_eq "$(word 1 "$out")" ok "unfaulted port 9100 while four plans are active"

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
