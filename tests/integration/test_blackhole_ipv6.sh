#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Blackhole on IPv6: a TCP connect from the pod to the blackholed port of the peer's IPv6 address
# hangs until the client gives up, while another port of the same peer, and the same port on the
# peer's IPv4 address (not in the plan's cidrs), still connect; revert restores it.
# host only: the IPv6 parsing is BPF code that the verifier accepts with the whole program in every VM test; test_blackhole covers the blackhole on each kernel
# shellcheck source=tests/integration/lib.sh disable=SC2154 # pod_create sets a_uid, a_veth, ...
. "$(dirname "$0")/lib.sh"

pod_create a
svc_serve tcp 8080 8081

out=$(in_pod a "$FLTNET" connect "$SVC_IP6" 8080 --timeout-ms 2000)
assert_eq "$(word 1 "$out")" ok "before apply: connect to port 8080"

plan=$(write_plan blackhole.yaml <<EOF
apiVersion: faultline/v1
kind: FaultPlan
metadata:
  name: bh-v6
spec:
  duration: 5m
  targets:
    app:
      pods: [$a_uid]
  faults:
    - name: svc-8080-down
      target: app
      match: {cidrs: [$SVC_IP6/128], protocol: tcp, ports: [8080]}
      blackhole: {}
EOF
)
apply_plan "$plan"

out=$(in_pod a "$FLTNET" connect "$SVC_IP6" 8080 --timeout-ms 2000)
assert_eq "$(word 1 "$out")" timeout "blackholed: connect to port 8080"
assert_range "$(word 2 "$out")" 1900 3000 "blackholed: ms until the client gave up"

out=$(in_pod a "$FLTNET" connect "$SVC_IP6" 8081 --timeout-ms 2000)
assert_eq "$(word 1 "$out")" ok "same peer, port 8081: connect"
assert_range "$(word 2 "$out")" 0 500 "same peer, port 8081: connect ms"

out=$(in_pod a "$FLTNET" connect "$SVC_IP4" 8080 --timeout-ms 2000)
assert_eq "$(word 1 "$out")" ok "same peer over IPv4, port 8080: connect"

dropped=$(counter bh-v6 svc-8080-down "$a_uid" dropped_packets)
assert_range "$dropped" 1 1000 "status: dropped_packets of the blackhole on the pod"

revert_plan bh-v6
out=$(in_pod a "$FLTNET" connect "$SVC_IP6" 8080 --timeout-ms 2000)
assert_eq "$(word 1 "$out")" ok "after revert: connect to port 8080"
