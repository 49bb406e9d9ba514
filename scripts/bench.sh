#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# make bench: faultline's overhead, as ratios side by side in one run (these machines are noisy).
#  1. the tc program's ns per packet (BPF_PROG_TEST_RUN) with 1 .. 100,000 rules of other targets
#  2. veth TCP throughput (iperf3), bare versus with faultline attached and non-matching rules
#  3. the time to apply (and revert) a plan on 1, 10 and 100 pods
#  4. what `faultline trace` adds to a traced pod's system calls (next to bpftrace), to an untraced
#     pod's, and to TCP round trips between two traced pods (scripts/bench-trace.sh)
# Everything runs in network namespaces of its own and is removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "bench: run as root" >&2; exit 1; }
root=$PWD
faultline=$root/build/faultline
node=flt-bench-node
peer=flt-bench-peer
work=$(mktemp -d /tmp/faultline-bench.XXXXXX)
export FAULTLINE_PIN_DIR=/sys/fs/bpf/faultline-bench
cgroot=/faultline-bench
rounds=${BENCH_ROUNDS:-5}
secs=${BENCH_SECONDS:-3}

on_node() { nsenter --net=/run/netns/$node "$@"; }
cleanup() {
	on_node "$faultline" revert --all >/dev/null 2>&1 || true
	on_node "$root/scripts/simpod" delete --all >/dev/null 2>&1 || true
	ip netns pids $peer 2>/dev/null | xargs -r kill 2>/dev/null || true
	ip netns del $peer 2>/dev/null || true
	ip netns del $node 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
ip netns add $node
ip -n $node link set lo up

echo "== 1. tc program cost per packet (BPF_PROG_TEST_RUN, ns/packet, median of $rounds)"
"$root/build/tests/bpf/bench_tc" --rounds "$rounds"

echo
echo "== 2. veth TCP throughput, iperf3 ${secs}s x $rounds rounds, alternating"
ip netns add $peer
ip -n $node link add fltb0 type veth peer name eth0 netns $peer
ip -n $node addr add 10.78.0.1/24 dev fltb0
ip -n $node link set fltb0 up
ip -n $peer link set lo up
ip -n $peer addr add 10.78.0.2/24 dev eth0
ip -n $peer link set eth0 up
ip netns exec $peer iperf3 -s -D --logfile /dev/null
sleep 0.3
# 16 rules (a target's most) that match nothing of this traffic: the rules' summary passes it
# without a scan (bench_tc's 16-rules-miss; 16-rules-no-skip is the scan it saves).
{
	printf 'apiVersion: faultline/v1\nkind: FaultPlan\nmetadata: {name: bench-nomatch}\n'
	printf 'spec:\n  duration: 10m\n  targets:\n    link: {interfaces: [fltb0]}\n  faults:\n'
	for i in $(seq 1 16); do
		printf '    - {name: f%d, target: link, direction: both, match: {cidrs: [192.0.2.%d/32], protocol: tcp, ports: [%d]}, loss: {percent: 100}}\n' \
			"$i" "$i" $((1000 + i))
	done
} >"$work/nomatch.yaml"
gbps() { on_node iperf3 -c 10.78.0.2 -t "$secs" -J | awk -F'[:,]' '/"sum_received"/ { r = 1 } r && /"bits_per_second"/ { printf "%.2f\n", $2 / 1e9; exit }'; }
bare=() with=()
for _ in $(seq 1 "$rounds"); do
	bare+=("$(gbps)")
	on_node "$faultline" apply "$work/nomatch.yaml" >/dev/null
	with+=("$(gbps)")
	on_node "$faultline" revert bench-nomatch >/dev/null
done
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
mb=$(median "${bare[@]}") mw=$(median "${with[@]}")
printf '  %-34s %8s Gbit/s   (rounds: %s)\n' "bare veth" "$mb" "${bare[*]}"
printf '  %-34s %8s Gbit/s   (rounds: %s)\n' "faultline, 16 non-matching rules" "$mw" "${with[*]}"
printf '  %-34s %8s\n' "ratio (goal >= 0.98)" "$(awk -v a="$mw" -v b="$mb" 'BEGIN { printf "%.3f", a / b }')"

echo
echo "== 3. time to apply and revert a plan on N pods"
for i in $(seq 1 100); do
	on_node "$root/scripts/simpod" create "b$i" --bridge fltbb0 --subnet 10.79.0.0/24 \
		--cgroup-root $cgroot >>"$work/pods"
done
ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
printf '  %6s %10s %10s\n' pods "apply ms" "revert ms"
for n in 1 10 100; do
	{
		printf 'apiVersion: faultline/v1\nkind: FaultPlan\nmetadata: {name: bench-pods}\n'
		printf 'spec:\n  duration: 10m\n  targets:\n    many:\n      pods:\n'
		head -n "$n" "$work/pods" | awk '{ printf "        - %s\n", $2 }'
		printf '  faults:\n    - {name: drop, target: many, match: {cidrs: [192.0.2.0/24]}, blackhole: {}}\n'
	} >"$work/pods-$n.yaml"
	t=$(date +%s%N)
	on_node "$faultline" apply "$work/pods-$n.yaml" >/dev/null
	a=$(ms "$t")
	t=$(date +%s%N)
	on_node "$faultline" revert bench-pods >/dev/null
	printf '  %6d %10d %10d\n' "$n" "$a" "$(ms "$t")"
done

echo
"$root/scripts/bench-trace.sh"
