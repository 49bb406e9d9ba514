# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
# The delay and rate tests of one backend ($BACKEND: edt or netem), sourced by test_delay_edt.sh
# and test_delay_netem.sh after lib.sh. Real traffic between a pod and the peer host:
#  - 100 ms delay with 10 ms normal jitter on egress: over 200 round trips, the median added delay
#    is within 5% of 100 ms and the standard deviation within 30% of 10 ms;
#  - another port of the same peer is not delayed;
#  - the same delay on ingress (the echo coming back): median added delay within 5%;
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

out=$(rtt 7000 200)
log "delayed egress: $out"
added=$(($(field "$out" median_us) - base_us))
assert_range "$added" 95000 105000 "$BACKEND: median added delay (us) of 100ms egress"
assert_range "$(field "$out" stddev_us)" 7000 13000 "$BACKEND: standard deviation (us) of 10ms normal jitter"
assert_eq "$(field "$out" lost)" 0 "$BACKEND: delayed probes lost"

out=$(rtt 7001 50)
log "other port: $out"
assert_range "$(($(field "$out" median_us) - base_us))" -5000 5000 "$BACKEND: added delay (us) on an unmatched port of the same peer"

out=$(rtt 7003 50)
log "delayed ingress: $out"
assert_range "$(($(field "$out" median_us) - base_us))" 95000 105000 "$BACKEND: median added delay (us) of 100ms ingress"

out=$(rtt 7002 200)
log "delay + loss: $out"
assert_range "$(($(field "$out" median_us) - base_us))" 47500 52500 "$BACKEND: median added delay (us) of 50ms with loss"
assert_range "$(field "$out" lost)" 36 84 "$BACKEND: probes lost of 200 at 30% loss"

mbps=$(in_pod a iperf3 -c "$SVC_IP4" -t 4 -J | jq '.end.sum_received.bits_per_second / 1e6 | floor')
assert_range "$mbps" 9 11 "$BACKEND: iperf3 Mbit/s through a 10mbit rate"

revert_plan "delay-$BACKEND"
out=$(rtt 7000 50)
assert_range "$(($(field "$out" median_us) - base_us))" -5000 5000 "$BACKEND: added delay (us) after revert"
