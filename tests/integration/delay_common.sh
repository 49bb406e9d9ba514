# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
# The delay and rate tests of one backend ($BACKEND: edt or netem), sourced by test_delay_edt.sh
# and test_delay_netem.sh after lib.sh. Real traffic between a pod and the peer host:
#  - 100 ms delay with 10 ms normal jitter on egress, over 200 round trips: a median of at least
#    95 ms (the median of 200 such samples is within about 1 ms of 100 ms) and at most 100 ms
#    over an unmatched port's just before plus lib.sh's allowance for a loaded machine
#    (assert_delay); a standard deviation within 30% of 10 ms;
#  - another port of the same peer is not delayed;
#  - the same delay on ingress (the echo coming back), without jitter: a median of at least 98 ms;
#  - a 10 mbit rate measured with iperf3 within 10%;
#  - a 50 ms delay composed with 30% loss.
# shellcheck disable=SC2154 # pod_create sets a_uid, ...

pod_create a
svc_serve udp 7000 7001 7002 7003
in_svc iperf3 -s -D --logfile "$TEST_TMP/iperf3.log" || fail "iperf3 server"
wait_listening "$SVC_NS" tcp 5201

rtt() { # PORT COUNT: fltnet rtt from pod a to the peer
	in_pod a "$FLTNET" rtt "$SVC_IP4" "$1" --count "$2" --interval-us 1000 --timeout-ms 1000
}
base=$(rtt 7000 50)
log "baseline: $base"
base_us=$(field "$base" median_us)
# delayed PORT COUNT: sets NEAR to 50 round trips to port 7001, which no fault matches (the path
# and the machine's load of the moment), then OUT to COUNT round trips to PORT.
delayed() {
	NEAR=$(rtt 7001 50)
	OUT=$(rtt "$1" "$2")
	log "port $1: $OUT (port 7001 just before: $NEAR)"
}

write_plan delay.yaml >/dev/null <<EOF
apiVersion: faultline/v1
kind: FaultPlan
metadata: {name: delay-$BACKEND}
spec:
  duration: 10m
  targets:
    a: {pods: [$a_uid]}
  faults:
    - name: slow-egress
      target: a
      backend: $BACKEND
      match: {cidrs: [$SVC_IP4/32], protocol: udp, ports: [7000]}
      delay: {time: 100ms, jitter: 10ms, distribution: normal}
    - name: slow-ingress
      target: a
      backend: $BACKEND
      direction: ingress
      match: {cidrs: [$SVC_IP4/32], protocol: udp, ports: [7003]}
      delay: {time: 100ms}
    - name: slow-lossy
      target: a
      backend: $BACKEND
      match: {cidrs: [$SVC_IP4/32], protocol: udp, ports: [7002]}
      delay: {time: 50ms}
      loss: {percent: 30}
    - name: thin
      target: a
      backend: $BACKEND
      match: {cidrs: [$SVC_IP4/32], protocol: tcp, ports: [5201]}
      rate: {bandwidth: 10mbit}
EOF
apply_plan "$TEST_TMP/delay.yaml"

delayed 7000 200
assert_delay "$OUT" "$NEAR" 100000 5 "$BACKEND: 100ms egress with 10ms normal jitter"
assert_range "$(field "$OUT" stddev_us)" 7000 13000 "$BACKEND: standard deviation (us) of 10ms normal jitter"
assert_eq "$(field "$OUT" lost)" 0 "$BACKEND: delayed probes lost"
assert_range "$(field "$NEAR" median_us)" 0 $((base_us + DELAY_LATE_MIN_US)) \
	"$BACKEND: median round trip (us) to an unmatched port of the same peer"

delayed 7003 50
assert_delay "$OUT" "$NEAR" 100000 2 "$BACKEND: 100ms ingress"

delayed 7002 200
assert_delay "$OUT" "$NEAR" 50000 2 "$BACKEND: 50ms with loss"
assert_range "$(field "$OUT" lost)" 36 84 "$BACKEND: probes lost of 200 at 30% loss"

mbps=$(in_pod a iperf3 -c "$SVC_IP4" -t 4 -J | jq '.end.sum_received.bits_per_second / 1e6 | floor')
assert_range "$mbps" 9 11 "$BACKEND: iperf3 Mbit/s through a 10mbit rate"

revert_plan "delay-$BACKEND"
out=$(rtt 7000 50)
assert_range "$(field "$out" median_us)" 0 $((base_us + DELAY_LATE_MIN_US)) \
	"$BACKEND: median round trip (us) to port 7000 after revert"
