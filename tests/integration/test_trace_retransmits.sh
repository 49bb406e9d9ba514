#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# faultline trace, TCP retransmits: pod a sends to the peer with iperf3 for 2 s at 10 Mbit/s
# through a 30% loss on its egress (a loss plan on pod a, the peer's port 5201): a's retransmits
# are more than 0, as are those iperf3 reads from the kernel (TCP_INFO) for its data stream. Pod
# b, traced too, makes the same transfer (to port 5202) without loss: iperf3 sees no retransmit,
# and neither does the tracer for b (a's retransmits are not b's). The rate is bounded so that
# b's transfer, over the bridge on a loaded machine, loses nothing on its own.
# The two counts are not compared: the tracer counts retransmitted packets (a GSO packet of many
# segments once), TCP_INFO segments, and the tracer sees iperf3's control connection too.
# host only: test_trace_hooks covers the tracer's hooks on every kernel
# timeout: 600
# shellcheck source=tests/integration/lib.sh disable=SC2154 # pod_create sets a_uid, a_veth, ...
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/trace_common.sh
. "$(dirname "$0")/trace_common.sh"
command -v iperf3 >/dev/null || skip "iperf3 is not installed"

pod_create a
pod_create b
# A server each: an iperf3 server runs one test at a time, and may not be ready for the next at
# once when a client is done.
for port in 5201 5202; do
	in_svc iperf3 -s -p $port -D --logfile "$TEST_TMP/iperf3-$port.log" || fail "iperf3 server on port $port"
	wait_listening "$SVC_NS" tcp $port
done

# transfer POD PORT: 2 s of iperf3 to the peer's PORT; sets RETRANS to the retransmits iperf3
# counted (the kernel's, from TCP_INFO, for its data stream).
transfer() {
	local json=$TEST_TMP/iperf3-$1.json
	in_pod "$1" timeout 120 iperf3 -c "$SVC_IP4" -p "$2" -t 2 -b 10M -J >"$json" 2>&1 ||
		fail "iperf3 from pod $1: $(jq -r '.error // empty' "$json" 2>/dev/null || cat "$json")"
	RETRANS=$(jq -r '.end.sum_sent.retransmits' "$json")
	log "pod $1: iperf3: $(jq -r '"\(.end.sum_sent.bytes) bytes sent, \(.end.sum_sent.retransmits) retransmits"' "$json")"
}

apply_plan "$(write_plan loss.yaml <<EOF
apiVersion: faultline/v1
kind: FaultPlan
metadata: {name: trace-loss}
spec:
  duration: 10m
  targets:
    a: {pods: [$a_uid]}
  faults:
    - name: lossy
      target: a
      direction: egress
      match: {cidrs: [$SVC_IP4/32], protocol: tcp, ports: [5201]}
      loss: {percent: 30}
EOF
)"

trace_start retrans "$a_uid" "$b_uid" --for 10m
transfer a 5201
a_retrans=$RETRANS
transfer b 5202
b_retrans=$RETRANS
trace_stop
log "iperf3's retransmits: pod a (30% loss) $a_retrans, pod b (no loss) $b_retrans"
log "the tracer's: pod a $(tcp "$a_uid" retransmits), pod b $(tcp "$b_uid" retransmits)"
assert_range "$(counter trace-loss lossy "$a_uid" dropped_packets)" 1 1000000 \
	"status: packets the loss dropped"
assert_range "$a_retrans" 1 1000000 "pod a: retransmits iperf3 counted (TCP_INFO)"
assert_range "$(tcp "$a_uid" retransmits)" 1 1000000 "pod a: retransmits"
assert_eq "$b_retrans" 0 "pod b: retransmits iperf3 counted (TCP_INFO), without loss"
assert_eq "$(tcp "$b_uid" retransmits)" 0 "pod b: retransmits"
