#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# reject beyond TCP connects with the default errno: connect() of UDP sockets, unconnected UDP
# sends from a cgroups target, the errnos ENETUNREACH and EPERM, connect() of ICMP datagram
# ("ping") sockets (protocol icmp, IPv4 and IPv6), protocol any, loopback CIDRs from a pod and from
# a cgroup; and a reject sharing its fault with a blackhole (new connects fail at once, what the
# connect hooks do not see is dropped) or with a loss (connects fail, the packets that still
# flow are lost in part). Each case shows its contrast: a port, address, socket kind or process
# that the fault does not name works as before.
# timeout: 120
# host only: the same BPF matching on every kernel: test_tc runs it on each, and test_blackhole, test_loss, test_reject and test_ingress attach it on each
# shellcheck source=tests/integration/lib.sh disable=SC2154 # pod_create sets a_uid, c_ip4, ...
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/state_common.sh
. "$(dirname "$0")/state_common.sh"
# shellcheck source=tests/integration/combo_common.sh
. "$(dirname "$0")/combo_common.sh"

pod_create a -- "$FLTNET" serve tcp 9090 9091
pod_create c -- "$FLTNET" serve tcp 9090
wait_listening "$a_ns" tcp 9090
wait_listening "$c_ns" tcp 9090
pod_prepare a
pod_prepare c
svc_serve tcp 8001 8080 udp 7000 7001
in_svc ip addr add "$SVC_ALT4/24" dev eth0 || fail "the peer's second address"
cg_rel=$CGROUP_ROOT/reject.service
cg_dir=$(cgroup_make "$cg_rel")
bg in_node "$FLTNET" serve tcp 9093 >>"$TEST_TMP/node-serve.log" 2>&1
wait_listening "$NODE_NS" tcp 9093
for ns in "$a_ns" "$c_ns" "$NODE_NS"; do allow_ping "$ns"; done

plan=$(write_plan combo-reject.yaml <<EOF
apiVersion: faultline/v1
kind: FaultPlan
metadata: {name: combo-reject}
spec:
  duration: 10m
  targets:
    app: {pods: [$a_uid]}
    mixed: {pods: [$c_uid]}
    batch: {cgroups: [$cg_rel]}
  faults:
    - {name: udp-connect, target: app, match: {cidrs: [$SVC_IP4/32], protocol: udp, ports: [7000]}, reject: {errno: ENETUNREACH}}
    - {name: tcp-eperm, target: app, match: {cidrs: [$SVC_IP4/32], protocol: tcp, ports: [8001]}, reject: {errno: EPERM}}
    - {name: lo, target: app, match: {cidrs: [127.0.0.1/32, "::1/128"], protocol: tcp, ports: [9090]}, reject: {errno: ETIMEDOUT}}
    - name: ping-lossy
      target: app
      match: {cidrs: [$SVC_IP4/32, $SVC_IP6/128], protocol: icmp}
      reject: {errno: EHOSTUNREACH}
      loss: {percent: 30}
    - name: cut-off
      target: mixed
      match: {cidrs: [$SVC_IP4/32, $SVC_IP6/128], protocol: tcp}
      reject: {errno: ECONNREFUSED}
      blackhole: {}
    - {name: cg-udp, target: batch, match: {cidrs: [$SVC_IP4/32, $SVC_IP6/128], protocol: udp, ports: [7000]}, reject: {errno: EHOSTUNREACH}}
    - {name: cg-any, target: batch, match: {cidrs: [$SVC_ALT4/32], protocol: any}, reject: {errno: EPERM}}
    - {name: cg-lo, target: batch, match: {cidrs: [127.0.0.1/32], protocol: tcp, ports: [9093]}, reject: {errno: ENETUNREACH}}
EOF
)

# Before: everything the plan will refuse works.
out=$(pod_exec a "$FLTNET" udp-connect "$SVC_IP4" 7000)
assert_eq "$(word 1 "$out")" ok "before apply: connected UDP echo with the peer's port 7000"
out=$(pod_exec a "$FLTNET" ping "$SVC_IP4" --count 10 --connect)
assert_eq "$(field "$out" received)" 10 "before apply: connected ping replies of 10"
out=$(pod_exec a "$FLTNET" connect 127.0.0.1 9090)
assert_eq "$(word 1 "$out")" ok "before apply: the pod connects to its own 127.0.0.1 port 9090"
out=$(in_svc "$FLTNET" connect "$c_ip4" 9090 --timeout-ms 2000)
assert_eq "$(word 1 "$out")" ok "before apply: the peer connects to pod c's port 9090"

apply_plan "$plan"

# r_is WANT WHAT CMD...: CMD's result line, with its time (ms) dropped, is WANT; an error within
# 500 ms (a reject is synchronous, a timeout would take the whole time).
r_is() {
	local want=$1 what=$2 out
	local -a w
	shift 2
	out=$("$@")
	log "$what: $out"
	read -r -a w <<<"$out"
	check_eq "${w[0]:-} ${w[1]:-}" "$want" "$what"
	[ -z "${w[2]:-}" ] || check_range "${w[2]}" 0 499 "$what: ms until it failed"
}
r_word() { # WANT WHAT CMD...: the first word (ok, timeout) of CMD's result line
	local want=$1 what=$2 out
	shift 2
	out=$("$@")
	log "$what: $out"
	check_eq "${out%% *}" "$want" "$what"
}

# connect() of a UDP socket; the peer's other port connects and echoes
r_is "error ENETUNREACH" "pod: connect() of a UDP socket to port 7000" \
	pod_exec a "$FLTNET" udp-connect "$SVC_IP4" 7000
r_word ok "pod: connect() of a UDP socket to port 7001, then an echo" \
	pod_exec a "$FLTNET" udp-connect "$SVC_IP4" 7001
# EPERM on a TCP connect
r_is "error EPERM" "pod: TCP connect to port 8001" pod_exec a "$FLTNET" connect "$SVC_IP4" 8001
r_word ok "pod: TCP connect to port 8080" pod_exec a "$FLTNET" connect "$SVC_IP4" 8080
# the pod's loopback: its own port 9090 on 127.0.0.1 and ::1, not 9091
r_is "error ETIMEDOUT" "pod: connect to 127.0.0.1 port 9090" pod_exec a "$FLTNET" connect 127.0.0.1 9090
r_is "error ETIMEDOUT" "pod: connect to ::1 port 9090" pod_exec a "$FLTNET" connect ::1 9090
r_word ok "pod: connect to 127.0.0.1 port 9091" pod_exec a "$FLTNET" connect 127.0.0.1 9091

# protocol icmp: connect() of a ping socket fails; unconnected pings are not refused, and lose
# 30% to the same fault's loss
r_is "error EHOSTUNREACH" "pod: connect() of an IPv4 ping socket" \
	pod_exec a "$FLTNET" ping "$SVC_IP4" --count 1 --connect
r_is "error EHOSTUNREACH" "pod: connect() of an IPv6 ping socket" \
	pod_exec a "$FLTNET" ping "$SVC_IP6" --count 1 --connect
out=$(pod_exec a "$FLTNET" ping "$SVC_IP4" --count 1000 --interval-us 200 --wait-ms 300)
log "pod: 1000 unconnected pings: $out"
kv "$out"
check_eq "${KV[sent]}" 1000 "pod: unconnected pings sent of 1000 (not refused)"
check_range $((1000 - KV[received])) 220 380 "pod: ping replies lost of 1000 at 30% loss"

# reject and blackhole on one fault: pod c's connects fail at once, and the connections the peer
# makes to it (no connect() of c's to refuse) are blackholed: c's SYN-ACK never leaves
r_is "error ECONNREFUSED" "pod c: TCP connect to the peer's port 8080 over IPv4" \
	pod_exec c "$FLTNET" connect "$SVC_IP4" 8080
r_is "error ECONNREFUSED" "pod c: TCP connect to the peer's port 8080 over IPv6" \
	pod_exec c "$FLTNET" connect "$SVC_IP6" 8080
r_word timeout "the peer's connect to pod c's port 9090" \
	in_svc "$FLTNET" connect "$c_ip4" 9090 --timeout-ms 1000
r_word ok "pod a's connect to pod c's port 9090 (no fault names pod a)" \
	pod_exec a "$FLTNET" connect "$c_ip4" 9090

# cgroups: unconnected UDP sends and UDP connect() refused; protocol any refuses TCP, UDP and
# ping connects alike; the cgroup's loopback
out=$(in_cgroup "$cg_dir" "$FLTNET" udp-send "$SVC_IP4" 7000 --count 10)
check_eq "$out" "sent 0 errors 10 first-error EHOSTUNREACH" "cgroup: unconnected UDP sends to port 7000"
out=$(in_cgroup "$cg_dir" "$FLTNET" udp-send "$SVC_IP6" 7000 --count 10)
check_eq "$out" "sent 0 errors 10 first-error EHOSTUNREACH" "cgroup: unconnected UDP sends to port 7000 over IPv6"
out=$(in_cgroup "$cg_dir" "$FLTNET" udp-send "$SVC_IP4" 7001 --count 10)
check_eq "$out" "sent 10 errors 0 first-error none" "cgroup: unconnected UDP sends to port 7001"
out=$(in_node "$FLTNET" udp-send "$SVC_IP4" 7000 --count 10)
check_eq "$out" "sent 10 errors 0 first-error none" "outside the cgroup: unconnected UDP sends to port 7000"
r_is "error EHOSTUNREACH" "cgroup: connect() of a UDP socket to port 7000" \
	in_cgroup "$cg_dir" "$FLTNET" udp-connect "$SVC_IP4" 7000
r_is "error EPERM" "cgroup: TCP connect to $SVC_ALT4 (protocol any)" \
	in_cgroup "$cg_dir" "$FLTNET" connect "$SVC_ALT4" 8080
out=$(in_cgroup "$cg_dir" "$FLTNET" udp-send "$SVC_ALT4" 7001 --count 10)
check_eq "$out" "sent 0 errors 10 first-error EPERM" "cgroup: unconnected UDP sends to $SVC_ALT4 (protocol any)"
r_is "error EPERM" "cgroup: connect() of a ping socket to $SVC_ALT4 (protocol any)" \
	in_cgroup "$cg_dir" "$FLTNET" ping "$SVC_ALT4" --count 1 --connect
r_word ok "outside the cgroup: TCP connect to $SVC_ALT4" in_node "$FLTNET" connect "$SVC_ALT4" 8080
r_is "error ENETUNREACH" "cgroup: connect to 127.0.0.1 port 9093" \
	in_cgroup "$cg_dir" "$FLTNET" connect 127.0.0.1 9093
r_word ok "outside the cgroup: connect to 127.0.0.1 port 9093" in_node "$FLTNET" connect 127.0.0.1 9093

# The counters: each refusal once, as a connect or as a send.
status=$(faultline -j status combo-reject)
c() { # FAULT FIELD: the counter of FAULT's only target
	jq -r --arg f "$1" --arg k "$2" '.plans[0].faults[] | select(.name == $f) | .targets[0][$k]' <<<"$status"
}
check_eq "$(c udp-connect rejected_connects)" 1 "status: udp-connect rejected_connects"
check_eq "$(c tcp-eperm rejected_connects)" 1 "status: tcp-eperm rejected_connects"
check_eq "$(c lo rejected_connects)" 2 "status: lo rejected_connects"
check_eq "$(c ping-lossy rejected_connects)" 2 "status: ping-lossy rejected_connects"
check_range "$(c ping-lossy dropped_packets)" 220 380 "status: ping-lossy dropped_packets"
check_eq "$(c cut-off rejected_connects)" 2 "status: cut-off rejected_connects"
check_range "$(c cut-off dropped_packets)" 1 20 "status: cut-off dropped_packets (SYN-ACKs)"
check_eq "$(c cg-udp rejected_sends) $(c cg-udp rejected_connects)" "20 1" \
	"status: cg-udp rejected_sends and rejected_connects"
check_eq "$(c cg-any rejected_sends) $(c cg-any rejected_connects)" "10 2" \
	"status: cg-any rejected_sends and rejected_connects"
check_eq "$(c cg-lo rejected_connects)" 1 "status: cg-lo rejected_connects"

revert_plan combo-reject
assert_no_flt_objects "after revert"
r_word ok "after revert: pod: connect() of a UDP socket to port 7000, then an echo" \
	pod_exec a "$FLTNET" udp-connect "$SVC_IP4" 7000
r_word ok "after revert: the peer's connect to pod c's port 9090" \
	in_svc "$FLTNET" connect "$c_ip4" 9090 --timeout-ms 2000
out=$(in_cgroup "$cg_dir" "$FLTNET" udp-send "$SVC_IP4" 7000 --count 10)
check_eq "$out" "sent 10 errors 0 first-error none" "after revert: cgroup: unconnected UDP sends"
soft_done
