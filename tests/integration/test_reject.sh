#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Reject: new TCP connections from the pod fail at once with the plan's errno (ECONNREFUSED on one
# port, ETIMEDOUT on another), unconnected UDP sends fail with theirs (EHOSTUNREACH), and a port
# no fault names still connects. Revert makes every connect succeed again.
# shellcheck source=tests/integration/lib.sh disable=SC2154 # pod_create sets a_uid, a_veth, ...
. "$(dirname "$0")/lib.sh"

pod_create a
svc_serve tcp 8080 8081 8082 udp 7000

for port in 8080 8081 8082; do
	out=$(in_pod a "$FLTNET" connect "$SVC_IP4" $port --timeout-ms 2000)
	assert_eq "$(word 1 "$out")" ok "before apply: connect to port $port"
done

plan=$(write_plan reject.yaml <<EOF
apiVersion: faultline/v1
kind: FaultPlan
metadata:
  name: reject
spec:
  duration: 5m
  targets:
    app:
      pods: [$a_uid]
  faults:
    - name: refused
      target: app
      match: {cidrs: [$SVC_IP4/32, $SVC_IP6/128], protocol: tcp, ports: [8080]}
      reject: {errno: ECONNREFUSED}
    - name: timed-out
      target: app
      match: {cidrs: [$SVC_IP4/32], protocol: tcp, ports: [8081]}
      reject: {errno: ETIMEDOUT}
    - name: udp-unreachable
      target: app
      match: {cidrs: [$SVC_IP4/32], protocol: udp, ports: [7000]}
      reject: {errno: EHOSTUNREACH}
EOF
)
apply_plan "$plan"

out=$(in_pod a "$FLTNET" connect "$SVC_IP4" 8080 --timeout-ms 2000)
assert_eq "$(word 1 "$out") $(word 2 "$out")" "error ECONNREFUSED" "port 8080 over IPv4: connect result"
assert_range "$(word 3 "$out")" 0 499 "port 8080 over IPv4: ms until the connect failed"
out=$(in_pod a "$FLTNET" connect "$SVC_IP6" 8080 --timeout-ms 2000)
assert_eq "$(word 1 "$out") $(word 2 "$out")" "error ECONNREFUSED" "port 8080 over IPv6: connect result"
assert_range "$(word 3 "$out")" 0 499 "port 8080 over IPv6: ms until the connect failed"

out=$(in_pod a "$FLTNET" connect "$SVC_IP4" 8081 --timeout-ms 2000)
assert_eq "$(word 1 "$out") $(word 2 "$out")" "error ETIMEDOUT" "port 8081: connect result"
assert_range "$(word 3 "$out")" 0 499 "port 8081: ms until the connect failed"

out=$(in_pod a "$FLTNET" connect "$SVC_IP4" 8082 --timeout-ms 2000)
assert_eq "$(word 1 "$out")" ok "port 8082 (no fault): connect"

out=$(in_pod a "$FLTNET" udp-send "$SVC_IP4" 7000 --count 10)
assert_eq "$out" "sent 0 errors 10 first-error EHOSTUNREACH" "unconnected UDP sends to port 7000"

assert_range "$(counter reject refused "$a_uid" rejected_connects)" 2 2 \
	"status: rejected_connects of refused"
assert_range "$(counter reject timed-out "$a_uid" rejected_connects)" 1 1 \
	"status: rejected_connects of timed-out"
assert_range "$(counter reject udp-unreachable "$a_uid" rejected_sends)" 10 10 \
	"status: rejected_sends of udp-unreachable"

revert_plan reject
for port in 8080 8081; do
	out=$(in_pod a "$FLTNET" connect "$SVC_IP4" $port --timeout-ms 2000)
	assert_eq "$(word 1 "$out")" ok "after revert: connect to port $port"
done
out=$(in_pod a "$FLTNET" udp-send "$SVC_IP4" 7000 --count 10)
assert_eq "$out" "sent 10 errors 0 first-error none" "after revert: unconnected UDP sends"
