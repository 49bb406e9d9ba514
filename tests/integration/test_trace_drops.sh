#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# faultline trace, packet drops: a blackhole plan on pod a's UDP to the peer's port 7000 drops
# 200 datagrams (the plan's dropped_packets counter says exactly 200; no echo comes back). They are
# dropped by the tc program on the host end of a's veth, where they no longer have a socket: the
# tracer gives them to pod a by that interface, under a reason the kernel names (TC_INGRESS on
# recent kernels, NOT_SPECIFIED where tc drops without one): one of a's reasons, named, counts at
# least the 200. Pod b, traced too, sends the same 200 datagrams without a fault: all are echoed
# and b has no drop of that reason.
# host only: test_trace_hooks covers the tracer's hooks on every kernel
# shellcheck source=tests/integration/lib.sh disable=SC2154 # pod_create sets a_uid, a_veth, ...
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/trace_common.sh
. "$(dirname "$0")/trace_common.sh"

N=200
pod_create a
pod_create b
svc_serve udp 7000

apply_plan "$(write_plan blackhole.yaml <<EOF
apiVersion: faultline/v1
kind: FaultPlan
metadata: {name: trace-drops}
spec:
  duration: 10m
  targets:
    a: {pods: [$a_uid]}
  faults:
    - name: udp-gone
      target: a
      direction: egress
      match: {cidrs: [$SVC_IP4/32], protocol: udp, ports: [7000]}
      blackhole: {}
EOF
)"

trace_start drops "$a_uid" "$b_uid" --for 10m
out=$(in_pod a "$FLTNET" udp "$SVC_IP4" 7000 --count $N --wait-ms 300)
assert_eq "$(word 2 "$out") $(word 4 "$out")" "$N 0" "pod a: datagrams sent and echoed through the blackhole"
out=$(in_pod b "$FLTNET" udp "$SVC_IP4" 7000 --count $N)
assert_eq "$(word 2 "$out") $(word 4 "$out")" "$N $N" "pod b: datagrams sent and echoed"
dropped=$(counter trace-drops udp-gone "$a_uid" dropped_packets)
trace_stop

log "pod a's drops: $(tj "$_tgt | .tcp.drops" --arg id "$a_uid" -c)"
log "pod b's drops: $(tj "$_tgt | .tcp.drops" --arg id "$b_uid" -c)"
assert_eq "$dropped" $N "status: datagrams the blackhole dropped"
top=$(tj "$_tgt | .tcp.drops | max_by(.count) // {} | \"\(.reason) \(.count)\"" --arg id "$a_uid")
reason=$(word 1 "$top")
assert_match "$reason" '^[A-Z][A-Z0-9_]*$' "pod a: the reason of its most counted drops"
assert_range "$(word 2 "$top")" "$dropped" $((dropped + 50)) "pod a: drops of reason $reason"
assert_range "$(drops_total "$a_uid")" "$dropped" $((dropped + 50)) "pod a: drops of every reason"
assert_eq "$(tj "$_tgt | [.tcp.drops[] | select(.reason == \$r) | .count] | add // 0" \
	--arg id "$b_uid" --arg r "$reason")" 0 "pod b: drops of reason $reason"
assert_eq "$(tj '[.targets[].tcp.drops[] | select(.reason == "") ] | length')" 0 \
	"drops without a reason name"
