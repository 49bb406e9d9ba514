#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Loss on the pod's egress: at 100% no UDP echo comes back (IPv4 and IPv6); at 30% over 5000
# datagrams between 25% and 35% are lost. Loss applies to the pod->peer leg only (direction egress,
# the peer's port), so every lost echo is one dropped datagram, which the counters must agree with.
# shellcheck source=tests/integration/lib.sh disable=SC2154 # pod_create sets a_uid, a_veth, ...
. "$(dirname "$0")/lib.sh"

pod_create a
svc_serve udp 7000

# loss_plan NAME PERCENT: loss on UDP from the pod to the peer's port 7000, both address families.
loss_plan() {
	write_plan "$1.yaml" <<EOF
apiVersion: faultline/v1
kind: FaultPlan
metadata:
  name: $1
spec:
  duration: 5m
  targets:
    app:
      pods: [$a_uid]
  faults:
    - name: udp-loss
      target: app
      direction: egress
      match: {cidrs: [$SVC_IP4/32, $SVC_IP6/128], protocol: udp, ports: [7000]}
      loss: {percent: $2}
EOF
}

out=$(in_pod a "$FLTNET" udp "$SVC_IP4" 7000 --count 200)
assert_eq "$(word 4 "$out")" 200 "before apply: UDP echoes received of 200"

apply_plan "$(loss_plan loss-all 100)"
out=$(in_pod a "$FLTNET" udp "$SVC_IP4" 7000 --count 200 --wait-ms 300)
assert_eq "$(word 2 "$out")" 200 "loss 100%, IPv4: datagrams sent"
assert_eq "$(word 4 "$out")" 0 "loss 100%, IPv4: echoes received"
out=$(in_pod a "$FLTNET" udp "$SVC_IP6" 7000 --count 200 --wait-ms 300)
assert_eq "$(word 4 "$out")" 0 "loss 100%, IPv6: echoes received"
assert_eq "$(counter loss-all udp-loss "$a_uid" dropped_packets)" 400 "loss 100%: dropped_packets"
revert_plan loss-all

apply_plan "$(loss_plan loss-some 30)"
count=5000
out=$(in_pod a "$FLTNET" udp "$SVC_IP4" 7000 --count $count --interval-us 50 --wait-ms 1000)
sent=$(word 2 "$out")
received=$(word 4 "$out")
assert_eq "$sent" $count "loss 30%: datagrams sent"
lost=$((sent - received))
log "loss 30%: $lost of $sent lost ($((lost * 100 / sent))%)"
assert_range "$lost" $((count * 25 / 100)) $((count * 35 / 100)) "loss 30%: datagrams lost of $count"
assert_eq "$(counter loss-some udp-loss "$a_uid" matched_packets)" $count "loss 30%: matched_packets"
# Every missing echo but a few (the echo server may drop one under load) is a counted drop.
assert_range "$(counter loss-some udp-loss "$a_uid" dropped_packets)" $((lost - 10)) "$lost" \
	"loss 30%: dropped_packets against the echoes missing"
revert_plan loss-some

out=$(in_pod a "$FLTNET" udp "$SVC_IP4" 7000 --count 200)
assert_eq "$(word 4 "$out")" 200 "after revert: UDP echoes received of 200"
