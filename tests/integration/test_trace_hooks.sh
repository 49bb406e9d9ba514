#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Every hook of faultline trace on this kernel, in both of its modes: tp_btf, and raw_tp (the
# fallback for kernels without tp_btf, forced with FAULTLINE_TRACE_MODE=raw_tp). This is the test
# the VMs run for each kernel; the detailed ones (test_trace_syscalls, _connect, _retransmits,
# _drops) run on the host. In each mode it says which it traces with, and with pods a and b
# traced measures: a's 100 clock_nanosleep calls of 3 ms and b's 100 of 1 ms exactly, with their
# medians (see assert_sleeps); a's connects: 3 that succeed (each with 10 request/response round
# trips: RTT samples), 2 refused by a reject plan (counted at the connect() syscall's end) and 2
# by the peer, and iperf3's two: count 9, failed 4, 5 in the histogram; a's iperf3 transfer
# through a 30% loss: retransmits; a's 100 UDP datagrams dropped by a blackhole plan on the host end of its veth: one
# of a's drop reasons counts at least those 100. b, which neither connects nor loses anything, has
# no connect, no retransmit and no drop of that reason. `faultline probe` says the kernel has
# every hook of the tracer, in both modes.
# timeout: 600
# shellcheck source=tests/integration/lib.sh disable=SC2154 # pod_create sets a_uid, a_veth, ...
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/trace_common.sh
. "$(dirname "$0")/trace_common.sh"
command -v iperf3 >/dev/null || skip "iperf3 is not installed"

pod_create a
pod_create b
svc_serve tcp 8080 8082 udp 7000
in_svc iperf3 -s -p 5201 -D --logfile "$TEST_TMP/iperf3.log" || fail "iperf3 server on port 5201"
wait_listening "$SVC_NS" tcp 5201
apply_plan "$(write_plan faults.yaml <<EOF
apiVersion: faultline/v1
kind: FaultPlan
metadata: {name: trace-hooks}
spec:
  duration: 10m
  targets:
    a: {pods: [$a_uid]}
  faults:
    - name: refused
      target: a
      match: {cidrs: [$SVC_IP4/32], protocol: tcp, ports: [8082]}
      reject: {errno: ECONNREFUSED}
    - name: udp-gone
      target: a
      direction: egress
      match: {cidrs: [$SVC_IP4/32], protocol: udp, ports: [7000]}
      blackhole: {}
    - name: lossy
      target: a
      direction: egress
      match: {cidrs: [$SVC_IP4/32], protocol: tcp, ports: [5201]}
      loss: {percent: 30}
EOF
)"

# trace_mode MODE: the tracer in MODE while the pods do their work; asserts what it measured.
trace_mode() {
	local mode=$1 out pa pb dropped dropped_before lost lost_before top reason port
	export FAULTLINE_TRACE_MODE=$mode
	dropped_before=$(counter trace-hooks udp-gone "$a_uid" dropped_packets)
	lost_before=$(counter trace-hooks lossy "$a_uid" dropped_packets)
	trace_start "$mode" "$a_uid" "$b_uid" --for 10m
	assert_contains "$(cat "$TRACE_ERR")" "Tracing 2 target(s) with $mode" "FAULTLINE_TRACE_MODE=$mode: what it says"
	in_pod a "$FLTSYS" sleep 3 100 >"$TEST_TMP/a.out" 2>&1 &
	pa=$!
	in_pod b "$FLTSYS" sleep 1 100 >"$TEST_TMP/b.out" 2>&1 &
	pb=$!
	wait_jobs 120 $pa $pb
	for _ in 1 2 3; do
		out=$(in_pod a "$FLTNET" tcp-echo "$SVC_IP4" 8080 --count 10 --timeout-ms 5000)
		assert_eq "$(word 1 "$out") $(word 2 "$out")" "ok 10" "pod a: 10 round trips on a connection"
	done
	for port in 8082 8082 8099 8099; do
		out=$(in_pod a "$FLTNET" connect "$SVC_IP4" $port --timeout-ms 5000)
		assert_eq "$(word 1 "$out") $(word 2 "$out")" "error ECONNREFUSED" "pod a: connect to port $port"
	done
	in_pod a timeout 120 iperf3 -c "$SVC_IP4" -p 5201 -t 2 -b 10M -J >"$TEST_TMP/iperf3.json" 2>&1 ||
		fail "iperf3 from pod a: $(cat "$TEST_TMP/iperf3.json")"
	out=$(in_pod a "$FLTNET" udp "$SVC_IP4" 7000 --count 100 --wait-ms 300)
	assert_eq "$(word 2 "$out") $(word 4 "$out")" "100 0" "pod a: datagrams sent and echoed through the blackhole"
	dropped=$(($(counter trace-hooks udp-gone "$a_uid" dropped_packets) - dropped_before))
	lost=$(($(counter trace-hooks lossy "$a_uid" dropped_packets) - lost_before))
	trace_stop

	assert_sleeps "$a_uid" "$mode: pod a" 3 100 "$TEST_TMP/a.out"
	assert_sleeps "$b_uid" "$mode: pod b" 1 100 "$TEST_TMP/b.out"
	# iperf3 connects twice (control and data): 5 succeed
	assert_eq "$(tcp "$a_uid" connect.count) $(tcp "$a_uid" connect.failed)" "9 4" \
		"$mode: pod a: connect.count and connect.failed"
	assert_eq "$(bucket_sum "$a_uid" .tcp.connect)" 5 "$mode: pod a: connects in connect.buckets"
	assert_range "$(tcp "$a_uid" rtt.count)" 30 1000000 "$mode: pod a: rtt.count"
	assert_range "$(tcp "$a_uid" rtt.p50_ns)" 1 "$(tcp "$a_uid" rtt.max_ns)" "$mode: pod a: rtt.p50_ns"
	assert_eq "$dropped" 100 "status: datagrams the blackhole dropped"
	assert_range "$(tcp "$a_uid" retransmits)" 1 1000000 "$mode: pod a: retransmits through a 30% loss"
	assert_eq "$(tcp "$b_uid" retransmits)" 0 "$mode: pod b: retransmits"
	top=$(tj "$_tgt | .tcp.drops | max_by(.count) // {} | \"\(.reason) \(.count)\"" --arg id "$a_uid")
	reason=$(word 1 "$top")
	assert_match "$reason" '^[A-Z][A-Z0-9_]*$' "$mode: pod a: the reason of its most counted drops"
	# the loss's drops are on the same device, with the same reason; 1 in 8 runs here one of
	# them was not counted for pod a (cause not found yet: see the notes of issue 9), so up to 3
	# may be missing, never the blackhole's
	assert_range "$(word 2 "$top")" $((dropped + (lost > 3 ? lost - 3 : 0))) $((dropped + lost + 50)) \
		"$mode: pod a: drops of reason $reason (blackhole's $dropped and loss's $lost)"
	assert_eq "$(tcp "$b_uid" connect.count)" 0 "$mode: pod b: connect.count"
	assert_eq "$(tj "$_tgt | [.tcp.drops[] | select(.reason == \$r) | .count] | add // 0" \
		--arg id "$b_uid" --arg r "$reason")" 0 "$mode: pod b: drops of reason $reason"
}

# What probe says of the tracer's hooks here: every kernel tested has them all.
probe=$(faultline -j probe)
for f in trace_tp_btf trace_raw_tp sys_enter sys_exit inet_sock_set_state tcp_probe \
	tcp_retransmit_skb kfree_skb drop_reasons; do
	got=$(jq -r ".features.$f.supported" <<<"$probe")
	# Twice seen in CI: false beside the why of true (6.1's sys_enter, 6.12's sys_exit). Show the
	# whole answer, and a second probe's, to tell a wrong probe from a wrong reading.
	[ "$got" = true ] || log "probe's $f: $(jq -c ".features.$f" <<<"$probe"); probe again: \
$(faultline -j probe | jq -c ".features.$f"); probe's whole answer: $probe"
	assert_eq "$got" true "probe: $f ($(jq -r ".features.$f.why" <<<"$probe"))"
done

trace_mode tp_btf
trace_mode raw_tp
