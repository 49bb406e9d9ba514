#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# make bench-vm (runs inside a vm/ guest, whose kernel has fq and netem): requested versus
# measured added delay, median and p99, for 10, 50, 100 and 500 ms, through faultline's edt
# backend, faultline's netem backend, and plain `tc qdisc add ... netem` set up by iproute2, on
# the same traffic (UDP round trips from a pod to a peer; the delay on the pod's ingress, i.e. the
# egress of the host end of its veth, where all three put their queue). Then faultline's two
# backends on the pod's egress, whose packets wait in an IFB: reached by bpf_redirect() or, where
# the kernel's IFB drops those (Debian's 6.1, VM_KERNELS=6.1), act_mirred (the line "IFB path").
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
faultline=$root/build/faultline
fltnet=$root/build/tools/fltnet
node=flt-benchvm-node
svc=flt-benchvm-svc
samples=${BENCH_SAMPLES:-50}
export FAULTLINE_PIN_DIR=/sys/fs/bpf/faultline-benchvm
work=$(mktemp -d /tmp/faultline-benchvm.XXXXXX)

on_node() { nsenter --net=/run/netns/$node "$@"; }
cleanup() {
	on_node "$faultline" revert --all >/dev/null 2>&1 || true
	ip netns pids $svc 2>/dev/null | xargs -r kill 2>/dev/null || true
	ip netns del $svc 2>/dev/null || true
	on_node "$root/scripts/simpod" delete --all >/dev/null 2>&1 || true
	ip netns del $node 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

ip netns add $node
ip -n $node link set lo up
line=$(on_node "$root/scripts/simpod" create bench --bridge fltbv0 --subnet 10.80.0.0/24 --cgroup-root /faultline-benchvm)
uid=$(awk '{ print $2 }' <<<"$line")
veth=$(on_node "$root/scripts/simpod" show bench host_veth)
ip netns add $svc
ip -n $node link add fltbv-svc type veth peer name eth0 netns $svc
ip -n $node link set fltbv-svc master fltbv0 up
ip -n $svc link set lo up
ip -n $svc link set eth0 up
ip -n $svc addr add 10.80.0.254/24 dev eth0
ip netns exec $svc "$fltnet" serve udp 7300 >/dev/null &
sleep 0.5

rtt() { # COUNT: "median_us p99_us" of round trips
	on_node "$root/scripts/simpod" exec bench -- "$fltnet" rtt 10.80.0.254 7300 --count "$1" \
		--interval-us 1000 --timeout-ms 5000 |
		awk '{ for (i = 1; i < NF; i++) { if ($i == "median_us") m = $(i + 1); if ($i == "p99_us") p = $(i + 1) } } END { print m, p }'
}
read -r base_med _ <<<"$(rtt 100)"

plan() { # BACKEND MS [DIRECTION]
	cat >"$work/p.yaml" <<EOF
apiVersion: faultline/v1
kind: FaultPlan
metadata: {name: benchvm}
spec:
  duration: 10m
  targets:
    a: {pods: [$uid]}
  faults:
    - {name: d, target: a, backend: $1, direction: ${3:-ingress}, match: {protocol: udp, ports: [7300]}, delay: {time: ${2}ms}}
EOF
	echo "$work/p.yaml"
}
added() { # "median p99" -> "added-median added-p99" in ms
	awk -v b="$base_med" '{ printf "%.2f %.2f", ($1 - b) / 1000, ($2 - b) / 1000 }' <<<"$1"
}

if [ "$("$faultline" probe -j | jq -r .features.ifb_redirect.supported)" = true ]; then
	ifb_path="bpf_redirect() (ifb_redirect yes)"
else
	ifb_path="act_mirred (ifb_redirect no, ifb_mirred $("$faultline" probe -j | jq -r .features.ifb_mirred.supported))"
fi
echo "kernel $(uname -r); baseline round trip median ${base_med} us; $samples round trips per cell"
echo "IFB path (the pod's egress): ${FAULTLINE_IFB_PATH:-auto}: $ifb_path"
echo "added delay in ms, median / p99 (error of the median against the request)"
printf '%-10s %-28s %-28s %-28s %-28s %-28s\n' requested "faultline edt" "faultline netem" \
	"tc qdisc netem" "edt, pod egress (IFB)" "netem, pod egress (IFB)"
for ms in 10 50 100 500; do
	row=$(printf '%-10s' "${ms}ms")
	for how in edt netem tc edt-egress netem-egress; do
		if [ $how = tc ]; then
			on_node tc qdisc add dev "$veth" root netem delay "${ms}ms" limit 100000
		elif [ "${how%-egress}" != "$how" ]; then
			on_node "$faultline" apply "$(plan "${how%-egress}" "$ms" egress)" >/dev/null
		else
			on_node "$faultline" apply "$(plan $how "$ms")" >/dev/null
		fi
		read -r med p99 <<<"$(added "$(rtt "$samples")")"
		if [ $how = tc ]; then
			on_node tc qdisc del dev "$veth" root
		else
			on_node "$faultline" revert benchvm >/dev/null
		fi
		err=$(awk -v m="$med" -v r="$ms" 'BEGIN { printf "%+.1f%%", (m - r) / r * 100 }')
		row+=$(printf ' %-28s' "$med / $p99 ($err)")
	done
	echo "$row"
done
