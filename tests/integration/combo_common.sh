# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
# Helpers of the combination tests (test_combo_*.sh), sourced after lib.sh and state_common.sh
# (soft_done): the four target kinds side by side, each with a side that sends and a server it
# echoes with, and what the kernel counts on each side.
#
#   combo_targets             makes the four targets of the matrix:
#                               pods        pod a (pod_create a), its echo server on UDP 9000
#                               netns       pod b's netns /run/netns/$b_ns, its server on 9000
#                               cgroups     $COMBO_CG_REL, a cgroup of processes in the node's
#                                           netns (as a systemd service), its server on 9001
#                               interfaces  $IF_DEV, a veth of the node to a second interface of
#                                           the peer (10.78.0.2, fd78::2); node processes
#                                           outside the cgroup send through it, its server 9002
#                             and gives the peer the echo servers the tests send to
#   pod_prepare VAR           after pod_create VAR: what pod_exec needs (its container cgroup)
#   pod_exec VAR CMD...       CMD in pod VAR's container cgroup and netns, as in_pod (simpod
#                             exec) runs it, without a bash script per call (slow under qemu)
#   on_target KIND CMD...     CMD on KIND's sending side: pod a (pods), pod b (netns), a process
#                             in the cgroup (cgroups), in the node (interfaces)
#   target_peer KIND [6]      the peer's address as KIND reaches it (IPv4, or IPv6 with 6)
#   target_addr KIND          KIND's own IPv4 address, as the peer reaches it
#   target_port KIND          KIND's UDP echo server port
#   target_netns KIND         the netns name whose counters (udp_stats) are KIND's
#   target_id KIND            the target id as the plan writes it (status shows it)
#   target_yaml KIND          KIND's entry under spec.targets
#   udp_stats NETNS           sets UDP_IN, the UDP datagrams that sockets of NETNS have read
#                             (IPv4 and IPv6: what crossed every hook and reached an application),
#                             and UDP_CSUM, those NETNS dropped for a bad checksum
#   kv LINE                   the "name value name value" words of a fltnet line into KV[name]
#   check_eq GOT WANT WHAT, check_range GOT MIN MAX WHAT
#                             lib.sh's assert_eq and assert_range that count a failure for
#                             soft_done (state_common.sh) instead of ending the test, as its soft
#                             does, but with no subshell: the matrix makes hundreds of checks,
#                             and every fork costs under qemu
#   allow_ping NETNS          lets root open ICMP datagram sockets there (ping_group_range)
# shellcheck disable=SC2154 # lib.sh and pod_create set SVC_IP4, a_uid, ...

# shellcheck disable=SC2034 # the tests' loops
COMBO_KINDS=(pods netns cgroups interfaces)
COMBO_CG_REL=$CGROUP_ROOT/combo.service
declare -A KV
IF_DEV=fltif0
IF_NODE4=10.78.0.1
IF_NODE6=fd78::1
IF_PEER4=10.78.0.2
IF_PEER6=fd78::2
# A second address of the peer on each of its links, for the faults that take every protocol
# (their CIDR is the only thing that tells their traffic apart).
SVC_ALT4=10.77.0.253
IF_ALT4=10.78.0.3

pod_prepare() {
	declare -g "${1}_container=$(in_node "$SIMPOD" show "t$$-$1" container_dir)"
}

pod_exec() {
	local ns="${1}_ns" container="${1}_container"
	shift
	in_cgroup "${!container}" nsenter --net="/run/netns/${!ns}" -- "$@"
}

combo_targets() {
	pod_create a -- "$FLTNET" serve udp 9000
	pod_create b -- "$FLTNET" serve udp 9000
	pod_prepare a
	pod_prepare b
	wait_listening "$a_ns" udp 9000
	wait_listening "$b_ns" udp 9000
	COMBO_CG_DIR=$(cgroup_make "$COMBO_CG_REL")
	bg in_cgroup "$COMBO_CG_DIR" "$FLTNET" serve udp 9001 >>"$TEST_TMP/cgroup-serve.log" 2>&1
	wait_listening "$NODE_NS" udp 9001
	bg in_node "$FLTNET" serve udp 9002 >>"$TEST_TMP/node-serve.log" 2>&1
	wait_listening "$NODE_NS" udp 9002

	{ in_node ip link add name "$IF_DEV" type veth peer name eth1 netns "$SVC_NS" &&
		in_node ip link set dev "$IF_DEV" up &&
		in_node ip addr add "$IF_NODE4/24" dev "$IF_DEV" &&
		in_node ip addr add "$IF_NODE6/64" dev "$IF_DEV" nodad &&
		in_svc ip link set dev eth1 up &&
		in_svc ip addr add "$IF_PEER4/24" dev eth1 &&
		in_svc ip addr add "$IF_ALT4/24" dev eth1 &&
		in_svc ip addr add "$IF_PEER6/64" dev eth1 nodad &&
		in_svc ip addr add "$SVC_ALT4/24" dev eth0; } || fail "setting up $IF_DEV and the peer's eth1"
	allow_ping "$a_ns"
	allow_ping "$b_ns"
	allow_ping "$NODE_NS"
	allow_ping "$SVC_NS"
}

on_target() {
	local kind=$1
	shift
	case $kind in
	pods) pod_exec a "$@" ;;
	netns) pod_exec b "$@" ;;
	cgroups) in_cgroup "$COMBO_CG_DIR" "$@" ;;
	interfaces) in_node "$@" ;;
	esac
}

target_peer() {
	case $1${2:-} in
	interfaces) echo "$IF_PEER4" ;;
	interfaces6) echo "$IF_PEER6" ;;
	*6) echo "$SVC_IP6" ;;
	*) echo "$SVC_IP4" ;;
	esac
}

target_alt() {
	if [ "$1" = interfaces ]; then echo "$IF_ALT4"; else echo "$SVC_ALT4"; fi
}

target_addr() {
	case $1 in
	pods) echo "$a_ip4" ;;
	netns) echo "$b_ip4" ;;
	cgroups) echo "$GW4" ;;
	interfaces) echo "$IF_NODE4" ;;
	esac
}

target_port() {
	case $1 in
	pods | netns) echo 9000 ;;
	cgroups) echo 9001 ;;
	interfaces) echo 9002 ;;
	esac
}

target_netns() {
	case $1 in
	pods) echo "$a_ns" ;;
	netns) echo "$b_ns" ;;
	*) echo "$NODE_NS" ;;
	esac
}

target_id() {
	case $1 in
	pods) echo "$a_uid" ;;
	netns) echo "/run/netns/$b_ns" ;;
	cgroups) echo "$COMBO_CG_REL" ;;
	interfaces) echo "$IF_DEV" ;;
	esac
}

target_yaml() {
	case $1 in
	pods) echo "pods: [$a_uid]" ;;
	netns) echo "netns: [/run/netns/$b_ns]" ;;
	cgroups) echo "cgroups: [$COMBO_CG_REL]" ;;
	interfaces) echo "interfaces: [$IF_DEV]" ;;
	esac
}

udp_stats() {
	local -a f
	local header=0
	UDP_IN=0 UDP_CSUM=0
	while read -r -a f; do
		case ${f[0]} in
		Udp:)
			if [ "${f[1]}" = InDatagrams ]; then
				header=1
			elif [ $header -eq 1 ]; then
				# InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors
				UDP_IN=$((UDP_IN + f[1])) UDP_CSUM=$((UDP_CSUM + f[7])) header=0
			fi
			;;
		Udp6InDatagrams) UDP_IN=$((UDP_IN + f[1])) ;;
		Udp6InCsumErrors) UDP_CSUM=$((UDP_CSUM + f[1])) ;;
		esac
	done < <(nsenter --net="/run/netns/$1" cat /proc/net/snmp /proc/net/snmp6)
}

kv() {
	local -a w
	local i
	KV=()
	read -r -a w <<<"$1"
	for ((i = 0; i + 1 < ${#w[@]}; i++)); do
		KV[${w[i]}]=${w[i + 1]}
	done
}

check_eq() {
	if [ "$1" = "$2" ]; then
		echo "ok: $3 ($1)"
	else
		echo "FAIL: $3: got '$1', want '$2'"
		SOFT_FAILS=$((SOFT_FAILS + 1))
	fi
}

check_range() {
	if [[ "$1" =~ ^-?[0-9]+$ ]] && [ "$1" -ge "$2" ] && [ "$1" -le "$3" ]; then
		echo "ok: $4 ($1 in [$2, $3])"
	else
		echo "FAIL: $4: got '$1', want a number in [$2, $3]"
		SOFT_FAILS=$((SOFT_FAILS + 1))
	fi
}

allow_ping() {
	nsenter --net="/run/netns/$1" sh -c 'echo "0 2147483647" >/proc/sys/net/ipv4/ping_group_range' ||
		fail "ping_group_range in netns $1"
}
