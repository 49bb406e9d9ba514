#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# blackhole and loss on every target kind (pods, netns, cgroups, interfaces) in every direction,
# and the match fields that select what they drop: peer port ranges, localPorts, protocol icmp
# (IPv4 and ICMPv6) and any, with and without ports, and loopback CIDRs on a cgroups target.
# One plan, twelve faults per target on distinct ports or addresses of the peer (combo_common.sh
# has the four targets), then real traffic per fault:
#
#   target -> peer  the target's side sends UDP to the peer's echo server: what the peer's
#                   sockets read (udp_stats) is what crossed the target's egress, what
#                   comes back to the target what then crossed its ingress as well;
#   peer -> target  the peer sends from a port a fault names to the target's own echo server:
#                   what the target's sockets read crossed its ingress, the echoes its egress.
#
# So egress-only, ingress-only and both are each told apart by where the datagrams stop: a
# blackhole in each, a 30% loss over 2000 datagrams in [22%, 38%] on the leg(s) of its direction
# and no loss on the other. The status counters must agree with what went missing.
# timeout: 300
# host only: the same BPF matching on every kernel: test_tc runs it on each, and test_blackhole, test_loss, test_reject and test_ingress attach it on each
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/state_common.sh
. "$(dirname "$0")/state_common.sh"
# shellcheck source=tests/integration/combo_common.sh
. "$(dirname "$0")/combo_common.sh"

BH_COUNT=100
LOSS_COUNT=2000
LOSS_LOW=$((LOSS_COUNT * 22 / 100))
LOSS_HIGH=$((LOSS_COUNT * 38 / 100))
SVC_ALT6=fd77::fd
IF_ALT6=fd78::3

combo_targets
{ in_svc ip addr add "$SVC_ALT6/64" dev eth0 nodad && in_svc ip addr add "$IF_ALT6/64" dev eth1 nodad; } ||
	fail "the peer's second IPv6 addresses"

# Each kind's faults sit on ports base+10 .. base+91 of the peer (and its own base+70, base+80).
declare -A BASE=([pods]=7100 [netns]=7200 [cgroups]=7300 [interfaces]=7400)
ports=(udp 7000)
for kind in "${COMBO_KINDS[@]}"; do
	b=${BASE[$kind]}
	ports+=($((b + 10)) $((b + 20)) $((b + 30)) $((b + 40)) $((b + 50)) $((b + 60)) $((b + 90)))
done
svc_serve "${ports[@]}"

alt6() { if [ "$1" = interfaces ]; then echo "$IF_ALT6"; else echo "$SVC_ALT6"; fi; }

# faults KIND: the fault list of target KIND.
faults() {
	local k=$1 b=${BASE[$1]} p4 alt4
	p4=$(target_peer "$k")
	alt4=$(target_alt "$k")
	cat <<EOF
    - {name: $k-bh-egress, target: $k, direction: egress, match: {protocol: udp, ports: ["$((b + 10))-$((b + 19))"]}, blackhole: {}}
    - {name: $k-bh-ingress, target: $k, direction: ingress, match: {protocol: udp, ports: [$((b + 20))]}, blackhole: {}}
    - {name: $k-bh-both, target: $k, direction: both, match: {protocol: udp, ports: ["$((b + 30))-$((b + 39))"]}, blackhole: {}}
    - {name: $k-loss-egress, target: $k, direction: egress, match: {cidrs: [$p4/32], protocol: udp, ports: [$((b + 40))]}, loss: {percent: 30}}
    - {name: $k-loss-ingress, target: $k, direction: ingress, match: {cidrs: [$p4/32], protocol: udp, ports: [$((b + 50))]}, loss: {percent: 30}}
    - {name: $k-loss-both, target: $k, direction: both, match: {cidrs: [$p4/32], protocol: udp, ports: [$((b + 60))]}, loss: {percent: 30}}
    - {name: $k-bh-local, target: $k, match: {protocol: udp, localPorts: [$((b + 70))]}, blackhole: {}}
    - {name: $k-loss-local, target: $k, match: {protocol: udp, localPorts: ["$((b + 80))-$((b + 81))"]}, loss: {percent: 30}}
    - {name: $k-bh-icmp, target: $k, direction: both, match: {cidrs: [$p4/32], protocol: icmp}, blackhole: {}}
    - {name: $k-bh-icmp6, target: $k, match: {cidrs: ["$(alt6 "$k")/128"], protocol: icmp}, blackhole: {}}
    - {name: $k-bh-any-ports, target: $k, match: {protocol: any, ports: [$((b + 90))]}, blackhole: {}}
    - {name: $k-bh-any, target: $k, direction: both, match: {cidrs: [$alt4/32], protocol: any}, blackhole: {}}
EOF
	[ "$k" != cgroups ] || cat <<EOF
    - {name: $k-bh-lo, target: $k, match: {cidrs: [127.0.0.1/32, "::1/128"], protocol: udp}, blackhole: {}}
EOF
}

{
	cat <<EOF
apiVersion: faultline/v1
kind: FaultPlan
metadata: {name: combo-drop}
spec:
  duration: 10m
  targets:
EOF
	for kind in "${COMBO_KINDS[@]}"; do echo "    $kind: {$(target_yaml "$kind")}"; done
	echo "  faults:"
	for kind in "${COMBO_KINDS[@]}"; do faults "$kind"; done
} >"$TEST_TMP/combo-drop.yaml"

# Neighbours resolved both ways before the plan, so that no datagram waits on ARP or neighbour
# discovery (the ICMPv6 blackhole's egress side must see echo requests, not solicitations).
for kind in "${COMBO_KINDS[@]}"; do
	for peer in "$(target_peer "$kind")" "$(alt6 "$kind")"; do
		out=$(on_target "$kind" "$FLTNET" udp "$peer" 7000 --count 1)
		assert_eq "$(field "$out" received)" 1 "before apply: $kind -> $peer, UDP echo"
	done
	out=$(in_svc "$FLTNET" udp "$(target_addr "$kind")" "$(target_port "$kind")" --count 1)
	assert_eq "$(field "$out" received)" 1 "before apply: peer -> $kind, UDP echo"
done

apply_plan "$TEST_TMP/combo-drop.yaml"

# Each kind's addresses and ports, looked up once (a command substitution forks: slow in qemu).
declare -A PEER PEER6 ALT ALT6 ADDR SERVER NETNS
for kind in "${COMBO_KINDS[@]}"; do
	PEER[$kind]=$(target_peer "$kind")
	PEER6[$kind]=$(target_peer "$kind" 6)
	ALT[$kind]=$(target_alt "$kind")
	ALT6[$kind]=$(alt6 "$kind")
	ADDR[$kind]=$(target_addr "$kind")
	SERVER[$kind]=$(target_port "$kind")
	NETNS[$kind]=$(target_netns "$kind")
done

# send KIND PORT COUNT [fltnet udp options]: target -> peer; sets BACK (echoes the target
# got) and AT_PEER (datagrams the peer's sockets read).
send() {
	local kind=$1 port=$2 count=$3 before out
	shift 3
	udp_stats "$SVC_NS"
	before=$UDP_IN
	out=$(on_target "$kind" "$FLTNET" udp "${PEER[$kind]}" "$port" --count "$count" "$@")
	udp_stats "$SVC_NS"
	AT_PEER=$((UDP_IN - before))
	kv "$out"
	BACK=${KV[received]:-}
	log "$kind -> peer port $port $*: $out; the peer read $AT_PEER"
}

# send_to KIND ADDR PORT COUNT: target -> ADDR, sets BACK.
send_to() {
	local out
	out=$(on_target "$1" "$FLTNET" udp "$2" "$3" --count "$4" --wait-ms 100)
	kv "$out"
	BACK=${KV[received]:-}
	log "$1 -> $2 port $3: $out"
}

# receive KIND PEER_PORT COUNT: peer (from PEER_PORT) -> the target's echo server; sets
# AT_TARGET (datagrams the target's sockets read) and BACK (echoes the peer got).
receive() {
	local kind=$1 port=$2 count=$3 before out
	udp_stats "${NETNS[$kind]}"
	before=$UDP_IN
	out=$(in_svc "$FLTNET" udp "${ADDR[$kind]}" "${SERVER[$kind]}" --count "$count" \
		--local-port "$port" --wait-ms 150)
	udp_stats "${NETNS[$kind]}"
	AT_TARGET=$((UDP_IN - before))
	kv "$out"
	BACK=${KV[received]:-}
	log "peer port $port -> $kind: $out; the target read $AT_TARGET"
}

# ping_from KIND ADDR: BH_COUNT ICMP echoes from the target's side; sets BACK to the replies.
ping_from() {
	local out
	out=$(on_target "$1" "$FLTNET" ping "$2" --count $BH_COUNT --interval-us 200 --wait-ms 150)
	log "$1 pings $2: $out"
	kv "$out"
	BACK=${KV[received]:-}
}

# connect_from KIND ADDR PORT: a TCP connect from the target's side; sets CONNECT to its
# first word (timeout when blackholed), and the errno after "error" (ECONNREFUSED from a peer
# with no TCP server there).
connect_from() {
	local out
	local -a w
	out=$(on_target "$1" "$FLTNET" connect "$2" "$3" --timeout-ms 300)
	log "$1 connects to $2 port $3: $out"
	read -r -a w <<<"$out"
	CONNECT=${w[0]:-}
	[ "$CONNECT" != error ] || CONNECT="error ${w[1]}"
}

# The checks of target KIND; expected drops per fault go to EXPECT_DROPPED (exact) and
# EXPECT_DROPPED_MIN (at least: TCP's retransmissions vary).
declare -A EXPECT_DROPPED EXPECT_DROPPED_MIN
check_kind() {
	local k=$1 b=${BASE[$1]} p4=${PEER[$1]} p6=${PEER6[$1]} alt4=${ALT[$1]} alt6=${ALT6[$1]}

	# blackhole, egress: nothing reaches the peer; what the peer sends arrives, the echo does not
	send "$k" $((b + 10)) $BH_COUNT --wait-ms 100
	check_eq "$AT_PEER $BACK" "0 0" "$k blackhole egress, target -> peer: read by the peer, echoes"
	receive "$k" $((b + 11)) $BH_COUNT
	check_eq "$AT_TARGET $BACK" "$BH_COUNT 0" "$k blackhole egress, peer -> target: read by the target, echoes"
	EXPECT_DROPPED[$k-bh-egress]=$((2 * BH_COUNT))

	# blackhole, ingress: the peer reads everything, no echo comes back
	send "$k" $((b + 20)) $BH_COUNT --wait-ms 100
	check_eq "$AT_PEER $BACK" "$BH_COUNT 0" "$k blackhole ingress, target -> peer: read by the peer, echoes"
	EXPECT_DROPPED[$k-bh-ingress]=$BH_COUNT

	# blackhole, both: nothing gets through either way
	send "$k" $((b + 30)) $BH_COUNT --wait-ms 100
	check_eq "$AT_PEER $BACK" "0 0" "$k blackhole both, target -> peer: read by the peer, echoes"
	receive "$k" $((b + 31)) $BH_COUNT
	check_eq "$AT_TARGET $BACK" "0 0" "$k blackhole both, peer -> target: read by the target, echoes"
	EXPECT_DROPPED[$k-bh-both]=$((2 * BH_COUNT))

	# loss 30%, egress: lost on the way out only, every datagram the peer read comes back
	send "$k" $((b + 40)) $LOSS_COUNT --interval-us 100 --wait-ms 500
	check_range $((LOSS_COUNT - AT_PEER)) $LOSS_LOW $LOSS_HIGH "$k loss egress: lost of $LOSS_COUNT before the peer"
	check_range "$BACK" $((AT_PEER - 5)) "$AT_PEER" "$k loss egress: echoes of the $AT_PEER the peer read"
	EXPECT_DROPPED[$k-loss-egress]=$((LOSS_COUNT - AT_PEER))

	# loss 30%, ingress: all reach the peer, a share of the echoes is lost
	send "$k" $((b + 50)) $LOSS_COUNT --interval-us 100 --wait-ms 500
	check_range "$AT_PEER" $((LOSS_COUNT - 5)) $LOSS_COUNT "$k loss ingress: read by the peer of $LOSS_COUNT"
	check_range $((AT_PEER - BACK)) $((AT_PEER * 22 / 100)) $((AT_PEER * 38 / 100)) \
		"$k loss ingress: echoes lost of the $AT_PEER the peer sent back"
	EXPECT_DROPPED[$k-loss-ingress]=$((AT_PEER - BACK))

	# loss 30%, both: lost on each leg
	send "$k" $((b + 60)) $LOSS_COUNT --interval-us 100 --wait-ms 500
	check_range $((LOSS_COUNT - AT_PEER)) $LOSS_LOW $LOSS_HIGH "$k loss both: lost of $LOSS_COUNT before the peer"
	check_range $((AT_PEER - BACK)) $((AT_PEER * 22 / 100)) $((AT_PEER * 38 / 100)) \
		"$k loss both: echoes lost of the $AT_PEER the peer sent back"
	EXPECT_DROPPED[$k-loss-both]=$((LOSS_COUNT - BACK))

	# localPorts: the target's own source port decides, the same peer port passes from another
	send "$k" 7000 $BH_COUNT --local-port $((b + 70)) --wait-ms 100
	check_eq "$AT_PEER $BACK" "0 0" "$k blackhole localPorts $((b + 70)): read by the peer, echoes"
	send "$k" 7000 $BH_COUNT
	check_eq "$AT_PEER $BACK" "$BH_COUNT $BH_COUNT" "$k, from an ephemeral port to the same peer port: read by the peer, echoes"
	EXPECT_DROPPED[$k-bh-local]=$BH_COUNT
	send "$k" 7000 $LOSS_COUNT --local-port $((b + 81)) --interval-us 100 --wait-ms 500
	check_range $((LOSS_COUNT - AT_PEER)) $LOSS_LOW $LOSS_HIGH "$k loss localPorts $((b + 80))-$((b + 81)): lost of $LOSS_COUNT before the peer"
	EXPECT_DROPPED[$k-loss-local]=$((LOSS_COUNT - AT_PEER))

	# protocol icmp: pings to the peer's address die, its UDP does not; ICMPv6 as well
	ping_from "$k" "$p4"
	check_eq "$BACK" 0 "$k blackhole icmp to $p4: ping replies of $BH_COUNT"
	send "$k" 7000 $BH_COUNT
	check_eq "$BACK" $BH_COUNT "$k blackhole icmp: UDP echoes from the same address"
	ping_from "$k" "$p6"
	check_eq "$BACK" $BH_COUNT "$k: ping replies from $p6, which no icmp fault names"
	# (at least: the kernel's own ICMP errors to the peer count too, e.g. port unreachable for
	# an echo that comes after its client left)
	EXPECT_DROPPED_MIN[$k-bh-icmp]=$BH_COUNT
	ping_from "$k" "$alt6"
	check_eq "$BACK" 0 "$k blackhole icmp (ICMPv6) to $alt6: ping replies"
	EXPECT_DROPPED_MIN[$k-bh-icmp6]=$BH_COUNT

	# protocol any with ports: UDP and TCP to that port die; ICMP never matches (pings to
	# $p6 above passed, and no other fault names that address)
	send "$k" $((b + 90)) $BH_COUNT --wait-ms 100
	check_eq "$AT_PEER" 0 "$k blackhole any ports $((b + 90)): UDP read by the peer"
	connect_from "$k" "$p4" $((b + 90))
	check_eq "$CONNECT" timeout "$k blackhole any ports $((b + 90)): TCP connect"
	connect_from "$k" "$p4" 7000
	check_eq "$CONNECT" "error ECONNREFUSED" "$k: TCP connect to port 7000, where the peer refuses"
	EXPECT_DROPPED_MIN[$k-bh-any-ports]=$((BH_COUNT + 1))

	# protocol any without ports: everything to that address dies
	send_to "$k" "$alt4" 7000 $BH_COUNT
	check_eq "$BACK" 0 "$k blackhole any to $alt4: UDP echoes"
	connect_from "$k" "$alt4" 7000
	check_eq "$CONNECT" timeout "$k blackhole any to $alt4: TCP connect"
	ping_from "$k" "$alt4"
	check_eq "$BACK" 0 "$k blackhole any to $alt4: ping replies"
	EXPECT_DROPPED_MIN[$k-bh-any]=$((2 * BH_COUNT + 1))
}

for kind in "${COMBO_KINDS[@]}"; do
	check_kind "$kind"
done

# Loopback on a cgroups target: cgroup_skb sees the cgroup's traffic on lo too.
for lo in 127.0.0.1 ::1; do
	send_to cgroups "$lo" 9002 $BH_COUNT
	check_eq "$BACK" 0 "cgroups blackhole $lo: UDP echoes on lo"
	send_to interfaces "$lo" 9002 $BH_COUNT
	check_eq "$BACK" $BH_COUNT "outside the cgroup: UDP echoes on lo via $lo"
done
EXPECT_DROPPED[cgroups-bh-lo]=$((2 * BH_COUNT))

# The counters agree with what went missing. What went missing from a loss may exceed its count by
# the few datagrams a loaded echo server or client misses itself.
faultline -j status combo-drop | jq -r '.plans[0].faults[] | "\(.name) \(.targets[0].id) \(.targets[0].dropped_packets)"' \
	>"$TEST_TMP/dropped"
assert_eq "$(wc -l <"$TEST_TMP/dropped")" $((${#EXPECT_DROPPED[@]} + ${#EXPECT_DROPPED_MIN[@]})) "status: faults"
while read -r fault id got; do
	kind=${fault%%-*}
	check_eq "$id" "$(target_id "$kind")" "status: $fault's target id"
	if [ -n "${EXPECT_DROPPED[$fault]:-}" ]; then
		want=${EXPECT_DROPPED[$fault]}
		if [[ "$fault" == *loss* ]]; then
			check_range "$got" $((want - 5)) "$want" "status: $fault dropped_packets"
		else
			check_eq "$got" "$want" "status: $fault dropped_packets"
		fi
	else
		want=${EXPECT_DROPPED_MIN[$fault]}
		check_range "$got" "$want" $((want + 20)) "status: $fault dropped_packets"
	fi
done <"$TEST_TMP/dropped"

revert_plan combo-drop
assert_no_flt_objects "after revert"
for kind in "${COMBO_KINDS[@]}"; do
	send "$kind" $((BASE[$kind] + 30)) $BH_COUNT
	check_eq "$BACK" $BH_COUNT "$kind after revert: UDP echoes via the blackholed port"
done
soft_done
