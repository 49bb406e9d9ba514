#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# faultline trace, TCP connect latency and RTT against a known delay: a 50 ms delay plan on pod
# a's TCP to the peer's port 8080, while pods a and b, both traced, make the same traffic at the
# same time: 10 connections each of 10 request/response round trips (fltnet tcp-echo), about 5 s
# for a. Every SYN (or SYN-ACK) and every request (or response) of a waits 50 ms, never less (fq
# and netem do not send a packet before its time), so a's connect p50 and RTT p50 are within 10%
# of 50 ms, or, where the path itself takes longer (a loaded machine under TCG), within 1/8 of what
# the clients timed themselves (the median of their connects and of their round trips; 1/16 is a
# percentile's bucket error, the rest the client's own time around each call). b's are under
# 5 ms. Counts: 10 connects each, none failed, and RTT samples from every response.
#
# The delay is on the pod's egress where an IFB takes redirected packets (faultline probe:
# ifb_redirect, or ifb_mirred as on Debian's 6.1), else on its ingress (a delay on the pod's
# egress is refused there), which delays the SYN-ACKs and the responses instead: the same 50 ms
# on each round trip.
# It needs fq (edt backend) or netem and prio: this host's kernel has neither, the VMs have both.
# timeout: 600
# shellcheck source=tests/integration/lib.sh disable=SC2154 # pod_create sets a_uid, a_veth, ...
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/trace_common.sh
. "$(dirname "$0")/trace_common.sh"

pod_delay_path
direction=$DELAY_DIRECTION
DELAY_MS=50
SESSIONS=10
ROUND_TRIPS=10

pod_create a
pod_create b
svc_serve tcp 8080

apply_plan "$(tcp_delay_plan trace-delay 10m $DELAY_MS)"

# traffic POD: SESSIONS connections of ROUND_TRIPS round trips each to the peer.
traffic() {
	local i out
	for ((i = 0; i < SESSIONS; i++)); do
		out=$(in_pod "$1" "$FLTNET" tcp-echo "$SVC_IP4" 8080 --count $ROUND_TRIPS --timeout-ms 5000)
		[ "$(word 1 "$out")" = ok ] || { echo "pod $1: tcp-echo: $out"; return 1; }
		echo "$(word 4 "$out") $(word 5 "$out")" >>"$TEST_TMP/$1.timed"
	done
	echo "pod $1: $SESSIONS x $ROUND_TRIPS round trips, the last session in $(word 3 "$out") ms"
}

trace_start delay "$a_uid" "$b_uid" --for 10m
traffic a >"$TEST_TMP/a.out" 2>&1 &
pa=$!
traffic b >"$TEST_TMP/b.out" 2>&1 &
pb=$!
wait_jobs 180 $pa $pb
log "$(cat "$TEST_TMP/a.out"); $(cat "$TEST_TMP/b.out")"
trace_stop

for id in "$a_uid" "$b_uid"; do
	[ "$id" = "$a_uid" ] && what="pod a (delayed)" || what="pod b"
	assert_eq "$(tcp "$id" connect.count) $(tcp "$id" connect.failed)" "$SESSIONS 0" \
		"$what: connect.count and connect.failed"
	assert_range "$(tcp "$id" rtt.count)" $((SESSIONS * ROUND_TRIPS)) 1000000 \
		"$what: rtt.count (a sample per segment received)"
done
fast=$(ms_ns 5)
b_connect=$(tcp "$b_uid" connect.p50_ns)
b_rtt=$(tcp "$b_uid" rtt.p50_ns)
assert_range "$b_connect" 1 "$fast" "pod b: connect.p50_ns"
assert_range "$b_rtt" 1 "$fast" "pod b: rtt.p50_ns"
delay=$(ms_ns $DELAY_MS)
# median COLUMN: the median of a's client-timed connects (1) or round-trip medians (2), in ns
median() {
	sort -n -k"$1" "$TEST_TMP/a.timed" | awk -v c="$1" '{ v[NR] = $c } END { print v[int((NR + 1) / 2)] * 1000 }'
}
timed_connect=$(median 1)
timed_rtt=$(median 2)
log "pod a, as its clients timed it: connect median $timed_connect ns, round trip median $timed_rtt ns"
assert_range "$timed_connect" "$delay" $((delay * 100)) "pod a: its clients' connect median (ns)"
assert_range "$timed_rtt" "$delay" $((delay * 100)) "pod a: its clients' round-trip median (ns)"
# within 10% of the delay (above what b's path takes without it), or within 1/8 of what the
# clients timed when their path took longer than that
hi=$((delay * 11 / 10 + b_connect))
[ $((timed_connect * 9 / 8)) -le $hi ] || hi=$((timed_connect * 9 / 8))
assert_range "$(tcp "$a_uid" connect.p50_ns)" $((delay * 9 / 10)) "$hi" \
	"pod a: connect.p50_ns, $DELAY_MS ms on the $direction"
hi=$((delay * 11 / 10 + b_rtt))
[ $((timed_rtt * 9 / 8)) -le $hi ] || hi=$((timed_rtt * 9 / 8))
assert_range "$(tcp "$a_uid" rtt.p50_ns)" $((delay * 9 / 10)) "$hi" \
	"pod a: rtt.p50_ns, $DELAY_MS ms on the $direction"
revert_plan trace-delay
