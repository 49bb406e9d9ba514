#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# direction: ingress with localPorts: connections from the peer to the pod's own port 9090 are
# dropped, while the pod's outgoing connections (even to port 9090 of the peer) are not.
# shellcheck source=tests/integration/lib.sh disable=SC2154 # pod_create sets a_uid, a_veth, ...
. "$(dirname "$0")/lib.sh"

pod_create a -- "$FLTNET" serve tcp 9090
wait_listening "$a_ns" tcp 9090
svc_serve tcp 8080 9090

out=$(in_svc "$FLTNET" connect "$a_ip4" 9090 --timeout-ms 2000)
assert_eq "$(word 1 "$out")" ok "before apply: peer connects to the pod's port 9090"

plan=$(write_plan ingress.yaml <<EOF
apiVersion: faultline/v1
kind: FaultPlan
metadata:
  name: ingress
spec:
  duration: 5m
  targets:
    app:
      pods: [$a_uid]
  faults:
    - name: no-inbound-9090
      target: app
      direction: ingress
      match: {protocol: tcp, localPorts: [9090]}
      blackhole: {}
EOF
)
apply_plan "$plan"

out=$(in_svc "$FLTNET" connect "$a_ip4" 9090 --timeout-ms 1000)
assert_eq "$(word 1 "$out")" timeout "peer -> pod port 9090 over IPv4: connect"
out=$(in_svc "$FLTNET" connect "$a_ip6" 9090 --timeout-ms 1000)
assert_eq "$(word 1 "$out")" timeout "peer -> pod port 9090 over IPv6: connect"

out=$(in_pod a "$FLTNET" connect "$SVC_IP4" 8080 --timeout-ms 2000)
assert_eq "$(word 1 "$out")" ok "pod -> peer port 8080: connect"
out=$(in_pod a "$FLTNET" tcp-echo "$SVC_IP4" 9090 --count 20 --timeout-ms 2000)
assert_eq "$(word 1 "$out") $(word 2 "$out")" "ok 20" "pod -> peer port 9090: 20 round trips"
out=$(in_pod a "$FLTNET" tcp-echo "$SVC_IP6" 9090 --count 20 --timeout-ms 2000)
assert_eq "$(word 1 "$out") $(word 2 "$out")" "ok 20" "pod -> peer port 9090 over IPv6: 20 round trips"

assert_range "$(counter ingress no-inbound-9090 "$a_uid" dropped_packets)" 2 1000 \
	"status: dropped_packets of no-inbound-9090"

revert_plan ingress
out=$(in_svc "$FLTNET" connect "$a_ip4" 9090 --timeout-ms 2000)
assert_eq "$(word 1 "$out")" ok "after revert: peer connects to the pod's port 9090"
