#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# What only netem can do, observed in real traffic: duplicate, corrupt, reorder, and
# Gilbert-Elliott loss; and iproute2's own reading (tc -j qdisc show) of the netem parameters
# faultline set. The duplicate is a plan of its own: kernels with "net/sched: Restrict conditions
# for adding duplicating netems to qdisc tree" (Debian's 6.1.0-57) refuse a duplicating netem
# beside other netems in one tree, as faultline's prio with a leaf per fault is.
# shellcheck source=tests/integration/lib.sh disable=SC2154 # pod_create sets a_uid, ...
. "$(dirname "$0")/lib.sh"
need_qdisc netem prio

pod_create a
svc_serve udp 7100 7101 7102 7103 7104

udp() { # PORT COUNT [fltnet udp options]
	local port=$1 count=$2
	shift 2
	in_pod a "$FLTNET" udp "$SVC_IP4" "$port" --count "$count" --interval-us 1000 --wait-ms 1500 "$@"
}

write_plan dup.yaml >/dev/null <<EOF
apiVersion: faultline/v1
kind: FaultPlan
metadata: {name: dup}
spec:
  duration: 10m
  targets:
    a: {pods: [$a_uid]}
  faults:
    - name: dup
      target: a
      match: {cidrs: [$SVC_IP4/32], protocol: udp, ports: [7100]}
      duplicate: {percent: 10}
EOF
apply_plan "$TEST_TMP/dup.yaml"
out=$(udp 7100 1000)
log "duplicate 10%: $out"
assert_range "$(field "$out" duplicates)" 40 200 "duplicated echoes of 1000 at 10%"
revert_plan dup

write_plan netem.yaml >/dev/null <<EOF
apiVersion: faultline/v1
kind: FaultPlan
metadata: {name: messy}
spec:
  duration: 10m
  targets:
    a: {pods: [$a_uid]}
  faults:
    - name: bitflip
      target: a
      match: {cidrs: [$SVC_IP4/32], protocol: udp, ports: [7101]}
      corrupt: {percent: 10}
    - name: shuffle
      target: a
      match: {cidrs: [$SVC_IP4/32], protocol: udp, ports: [7102]}
      delay: {time: 10ms}
      reorder: {percent: 25, correlation: 50%}
    - name: bursty
      target: a
      match: {cidrs: [$SVC_IP4/32], protocol: udp, ports: [7103]}
      loss: {model: gilbert-elliott, p: 5%, r: 20%, h: 0%, k: 100%}
    - name: params
      target: a
      match: {cidrs: [$SVC_IP4/32], protocol: udp, ports: [7104]}
      delay: {time: 100ms, jitter: 10ms, distribution: normal, correlation: 25%}
      rate: {bandwidth: 10mbit}
EOF
apply_plan "$TEST_TMP/netem.yaml"
out=$(udp 7101 1000 --no-check)
log "corrupt 10%: $out"
assert_range "$(field "$out" corrupted)" 20 200 "corrupted echoes of 1000 at 10%"
out=$(udp 7102 1000)
log "reorder 25%: $out"
assert_range "$(field "$out" reordered)" 20 1000 "echoes overtaken by later ones at 25% reorder"
out=$(udp 7103 5000 --interval-us 200)
log "gilbert-elliott: $out"
# p/(p+r) = 20% of the time in the bad state, where every packet is lost
lost=$((5000 - $(field "$out" received)))
assert_range "$lost" 500 1500 "packets lost of 5000 (Gilbert-Elliott, 20% expected)"

# iproute2 reads back what faultline set: the netem leaf of "params" (the 4th netem fault).
ifindex=$(in_node ip -j link show "$a_veth" | jq '.[0].ifindex')
qd=$(in_node tc -j qdisc show dev "flt-ifb-$ifindex")
log "qdiscs on the IFB: $qd"
leaf=$(jq -c '[.[] | select(.kind == "netem" and .parent == "f1f1:7")][0].options' <<<"$qd")
assert_ne "$leaf" null "a netem leaf under f1f1:7 on the pod's IFB"
assert_eq "$(jq -r '.delay.delay' <<<"$leaf")" 0.1 "netem delay (s) as tc reads it"
assert_eq "$(jq -r '.delay.jitter' <<<"$leaf")" 0.01 "netem jitter (s) as tc reads it"
assert_eq "$(jq -r '.delay.correlation' <<<"$leaf")" 0.25 "netem delay correlation as tc reads it"
assert_eq "$(jq -r '.rate.rate' <<<"$leaf")" 1250000 "netem rate (bytes/s) as tc reads it"
leaf=$(jq -c '[.[] | select(.kind == "netem" and .parent == "f1f1:4")][0].options' <<<"$qd")
assert_eq "$(jq -r '.corrupt.corrupt' <<<"$leaf")" 0.1 "netem corrupt as tc reads it"
# the plan's h 0% and k 100% are tc's "1-h" 1 and "1-k" 0: all lost in the bad state, none in the good
leaf=$(jq -c '[.[] | select(.kind == "netem" and .parent == "f1f1:6")][0].options' <<<"$qd")
assert_eq "$(jq -c '."loss-gemodel"' <<<"$leaf")" '{"p":0.05,"r":0.2,"1-h":1,"1-k":0}' "netem Gilbert-Elliott model as tc reads it"

revert_plan messy
assert_eq "$(in_node ip -o link show type ifb | wc -l)" 0 "IFB devices left after revert"
