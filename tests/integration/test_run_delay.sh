#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# faultline run with a 100 ms delay on pod a's TCP to the peer's port 8080, while a makes short
# TCP sessions there (3 request/response round trips each, fltnet tcp-echo, one after another):
# baseline 4 s, fault 10 s (less the time apply takes: the plan's deadline ends it), recovery
# 4 s. In report.json a's RTT p99 over the fault phase is at least 90 ms; over the baseline (at
# least 3 samples), and in every recovery interval after the first, it is under 50 ms (the first
# may hold the smoothed RTT of the session that straddled the revert: srtt decays over a few
# segments). The verdict's tcp.rtt.p99 fault_ratio is above 2.
#
# The delay is on the pod's egress where an IFB takes redirected packets (faultline probe:
# ifb_redirect or ifb_mirred), else on its ingress, as in test_trace_delay. It needs fq
# (edt backend) or netem and prio: this host's kernel has neither, the VMs have both.
# timeout: 400
# shellcheck source=tests/integration/lib.sh disable=SC2154 # pod_create sets a_uid, ...
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/run_common.sh
. "$(dirname "$0")/run_common.sh"

pod_delay_path
direction=$DELAY_DIRECTION
DELAY_MS=100

pod_create a
svc_serve tcp 8080

plan=$(tcp_delay_plan run-delay 10s $DELAY_MS)

# sessions: tcp-echo sessions from a, one after another, until the run has ended.
sessions() {
	while kill -0 "$RUN_PID" 2>/dev/null; do
		in_pod a "$FLTNET" tcp-echo "$SVC_IP4" 8080 --count 3 --timeout-ms 5000 >/dev/null
	done
}

run_start delay "$plan" --baseline 4s --recovery 4s
sessions &
run_end 300
assert_eq "$RUN_RC" 0 "run with a delay: exit status"
assert_eq "$(rj '[.phases[].name] | join(",")')" baseline,fault,recovery "phases"
delay=$((DELAY_MS * 1000000))
assert_range "$(rj '.pods[0].phases.fault.tcp.rtt.p99_ns')" $((delay * 9 / 10)) $((delay * 100)) \
	"pod a: RTT p99 over the fault phase ($DELAY_MS ms on its $direction)"
assert_range "$(rj '.pods[0].phases.baseline.tcp.rtt.p99_ns')" 1 $((delay / 2)) \
	"pod a: RTT p99 over the baseline"
assert_range "$(rj '.pods[0].phases.baseline.tcp.rtt.count')" 3 100000000 "pod a: RTT samples in the baseline"
recovery_p99s=$(rj '.pods[0].series as $s | [range(0; $s.t_ms | length) | select($s.phase[.] == "recovery")] | .[1:] | map($s.rtt_p99_ns[.] // 0) | join(" ")')
log "pod a: RTT p99 of the recovery intervals after the first: $recovery_p99s"
assert_range "$(wc -w <<<"$recovery_p99s")" 1 100 "recovery intervals after the first"
for p99 in $recovery_p99s; do
	assert_range "$p99" 0 $((delay / 2)) "pod a: RTT p99 of a recovery interval after the first"
done
assert_eq "$(rj '.verdict.pods[0].figures[] | select(.name == "tcp.rtt.p99") | .fault_ratio > 2')" true \
	"verdict: tcp.rtt.p99 fault_ratio above 2"
