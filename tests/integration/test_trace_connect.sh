#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# faultline trace, TCP connects, with pods a and b traced:
#  - 20 successful connects from a to the peer: a's connect.count is exactly 20, none failed, the
#    histogram holds the 20; b, which connected nowhere, has 0;
#  - a blackhole plan on a's connects to one port: 5 connects there that the client gives up
#    after 500 ms, and 3 that succeed to another port: count 8, failed 5, 3 in the histogram
#    (successes only); b's 4 connects to the blackholed port meanwhile (the plan is a's only)
#    succeed and count as b's;
#  - a reject plan (ECONNREFUSED from the connect hook, no packet sent) on a's connects to one
#    port: 4 refused there, 3 refused by the peer itself (a port nothing listens on: its RST),
#    2 successes: count 9, failed 7, 2 in the histogram; and the same counts (2 rejected, 1
#    success) when --syscalls names another syscall than connect.
# host only: test_trace_hooks covers the tracer's hooks on every kernel
# timeout: 600
# shellcheck source=tests/integration/lib.sh disable=SC2154 # pod_create sets a_uid, a_veth, ...
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/trace_common.sh
. "$(dirname "$0")/trace_common.sh"

pod_create a
pod_create b
svc_serve tcp 8080 8081 8082
CLOSED_PORT=8099

# connects POD PORT N RESULT: N connects from POD to the peer's PORT, each printing RESULT (the
# first word, and the errno for an error) of fltnet connect; the client gives up on a connect
# after 500 ms where a timeout is expected, else after 5 s.
connects() {
	local pod=$1 port=$2 n=$3 want=$4 i out got limit=5000
	[ "$want" != timeout ] || limit=500
	for ((i = 0; i < n; i++)); do
		out=$(in_pod "$pod" "$FLTNET" connect "$SVC_IP4" "$port" --timeout-ms $limit)
		got=$(word 1 "$out")
		[ "$got" != error ] || got="error $(word 2 "$out")"
		[ "$got" = "$want" ] || fail "pod $pod: connect to port $port: got '$out', want '$want'"
	done
	echo "ok: pod $pod: $n connects to port $port: $want"
}

# assert_connects ID WHAT COUNT FAILED: target ID's connects that ended, failed, and successes
# in the histogram.
assert_connects() {
	local ok=$(($3 - $4))
	assert_eq "$(tcp "$1" connect.count)" "$3" "$2: connect.count"
	assert_eq "$(tcp "$1" connect.failed)" "$4" "$2: connect.failed"
	assert_eq "$(bucket_sum "$1" .tcp.connect)" "$ok" "$2: connects in connect.buckets"
	if [ $ok -gt 0 ]; then
		assert_range "$(tcp "$1" connect.p50_ns)" 1 "$(tcp "$1" connect.p99_ns)" \
			"$2: connect.p50_ns, at most p99_ns"
	else
		assert_eq "$(tcp "$1" connect.p50_ns)" 0 "$2: connect.p50_ns without a success"
	fi
}

# --- successes ---------------------------------------------------------------------------------
trace_start ok "$a_uid" "$b_uid" --for 10m
connects a 8080 20 ok
trace_stop
assert_connects "$a_uid" "pod a, 20 connects" 20 0
assert_connects "$b_uid" "pod b, no connect" 0 0

# --- a blackhole -------------------------------------------------------------------------------
apply_plan "$(write_plan blackhole.yaml <<EOF
apiVersion: faultline/v1
kind: FaultPlan
metadata: {name: trace-bh}
spec:
  duration: 10m
  targets:
    a: {pods: [$a_uid]}
  faults:
    - name: svc-8081-down
      target: a
      match: {cidrs: [$SVC_IP4/32], protocol: tcp, ports: [8081]}
      blackhole: {}
EOF
)"
trace_start blackhole "$a_uid" "$b_uid" --for 10m
connects a 8081 5 timeout
connects a 8080 3 ok
connects b 8081 4 ok
trace_stop
assert_range "$(counter trace-bh svc-8081-down "$a_uid" dropped_packets)" 5 1000 \
	"status: SYNs the blackhole dropped"
assert_connects "$a_uid" "pod a, 5 blackholed and 3 good connects" 8 5
assert_connects "$b_uid" "pod b, 4 connects to the port blackholed for a" 4 0
revert_plan trace-bh

# --- refused -----------------------------------------------------------------------------------
apply_plan "$(write_plan reject.yaml <<EOF
apiVersion: faultline/v1
kind: FaultPlan
metadata: {name: trace-reject}
spec:
  duration: 10m
  targets:
    a: {pods: [$a_uid]}
  faults:
    - name: refused
      target: a
      match: {cidrs: [$SVC_IP4/32], protocol: tcp, ports: [8082]}
      reject: {errno: ECONNREFUSED}
EOF
)"
trace_start reject "$a_uid" "$b_uid" --for 10m
connects a 8082 4 "error ECONNREFUSED"
connects a $CLOSED_PORT 3 "error ECONNREFUSED"
connects a 8080 2 ok
trace_stop
assert_eq "$(counter trace-reject refused "$a_uid" rejected_connects)" 4 "status: rejected_connects"
assert_connects "$a_uid" "pod a, 4 rejected, 3 refused by the peer and 2 good connects" 9 7
assert_connects "$b_uid" "pod b, no connect" 0 0

# The same with --syscalls naming another syscall: which syscalls are reported does not change
# what is counted of connects.
trace_start filtered "$a_uid" --syscalls clock_nanosleep --for 10m
connects a 8082 2 "error ECONNREFUSED"
connects a 8080 1 ok
trace_stop
assert_connects "$a_uid" "--syscalls clock_nanosleep: pod a, 2 rejected and 1 good connects" 3 2
revert_plan trace-reject
