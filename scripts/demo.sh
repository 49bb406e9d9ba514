#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The demo: three simulated pods, a service they depend on, and three faults from examples/:
# a blackhole, a reject and 20% loss. Shows traffic before, during and after, and the counters.
# Then a short experiment (faultline run, examples/experiment.yaml) and where its report is.
# Everything runs in a network namespace of its own ("the node") and is removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "demo: run as root (it creates namespaces and attaches BPF programs)" >&2; exit 1; }

root=$PWD
faultline=$root/build/faultline
fltnet=$root/build/tools/fltnet
fltconn=$root/build/tools/fltconn
node=flt-demo-node
work=$(mktemp -d /tmp/faultline-demo.XXXXXX)
export FAULTLINE_PIN_DIR=/sys/fs/bpf/faultline-demo
cgroot=/faultline-demo

# faultline and simpod run in the node's network namespace but keep the host's mounts (cgroup2,
# bpffs): nsenter, not `ip netns exec`, which mounts a fresh /sys.
on_node() { nsenter --net=/run/netns/$node "$@"; }
in_pod() { # NAME CMD...: run CMD as a process of pod NAME (in its cgroup and netns)
	local name=$1; shift
	on_node "$root/scripts/simpod" exec "$name" "$@"
}
bold() { printf '\n\033[1m%s\033[0m\n' "$*"; }

cleanup() {
	on_node "$faultline" revert --all >/dev/null 2>&1 || true
	[ -n "${svc_pid:-}" ] && kill "$svc_pid" 2>/dev/null || true
	[ -n "${client_pids:-}" ] && kill $client_pids 2>/dev/null || true
	ip netns del flt-demo-svc 2>/dev/null || true
	on_node "$root/scripts/simpod" delete --all >/dev/null || true
	ip netns del $node 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

ip netns add $node
ip -n $node link set lo up

bold "1. Three pods on a bridge, and a service host 'svc' they depend on"
for pod in checkout orders search; do
	on_node "$root/scripts/simpod" create "$pod" --bridge fltdemo0 --subnet 10.77.0.0/24 \
		--cgroup-root $cgroot | tee -a "$work/pods"
done
uid() { awk -v n="$1" '$1 == n { print $2 }' "$work/pods"; }
# The service host: a plain network namespace on the same bridge, not a pod.
ip netns add flt-demo-svc
ip -n $node link add fltdemo-svc type veth peer name eth0 netns flt-demo-svc
ip -n $node link set fltdemo-svc master fltdemo0 up
ip -n flt-demo-svc link set lo up
ip -n flt-demo-svc link set eth0 up
ip -n flt-demo-svc addr add 10.77.0.250/24 dev eth0
svc=10.77.0.250
ip netns exec flt-demo-svc "$fltnet" serve tcp 8443 5432 udp 9000 >/dev/null &
svc_pid=$!
sleep 0.3

traffic() {
	printf '  checkout -> svc:8443 (payments)  '; in_pod checkout "$fltnet" connect $svc 8443 --timeout-ms 1500 || true
	printf '  orders   -> svc:5432 (database)  '; in_pod orders "$fltnet" connect $svc 5432 --timeout-ms 1500 || true
	printf '  search   -> svc:9000 (1000 UDP)  '; in_pod search "$fltnet" udp $svc 9000 --count 1000 --interval-us 200 --wait-ms 300 || true
}
bold "2. Traffic before any fault"
traffic

bold "3. Apply three plans from examples/"
for ex in blackhole:checkout reject:orders loss:search; do
	plan=${ex%%:*} pod=${ex#*:}
	sed -e "s/POD_UID/$(uid "$pod")/g" -e "s/PEER_IP/$svc/g" "examples/$plan.yaml" >"$work/$plan.yaml"
	echo "\$ faultline apply examples/$plan.yaml   (target: pod $pod)"
	on_node "$faultline" apply "$work/$plan.yaml" | sed 's/^/  /'
done

bold "4. Traffic during the faults"
traffic

bold "5. faultline status: what each fault did, per pod"
on_node "$faultline" status

bold "6. faultline revert --all, then the same traffic"
on_node "$faultline" revert --all
traffic

bold "7. Nothing of faultline's is left"
printf '  programs named flt_*: %s\n' "$(bpftool prog show | grep -c ' name flt_' || true)"
printf '  pinned state: %s\n' "$(ls "$FAULTLINE_PIN_DIR" 2>/dev/null | wc -l)"

bold "8. An experiment: faultline run examples/experiment.yaml (3s baseline, 5s fault, 3s recovery)"
echo "  checkout and orders each connect to svc every 100 ms; orders is the observed control"
sed -e "s/POD_UID/$(uid checkout)/g" -e "s/OBSERVED_UID/$(uid orders)/g" -e "s/PEER_IP/$svc/g" \
	examples/experiment.yaml >"$work/experiment.yaml"
client_pids=""
for c in checkout:8443 orders:5432; do
	in_pod "${c%%:*}" "$fltconn" $svc "${c#*:}" --every-ms 100 --timeout-ms 300 --seconds 30 >/dev/null &
	client_pids="$client_pids $!"
done
report=$root/faultline-run-demo-experiment-$(date -u +%Y%m%dT%H%M%SZ)
status=0
on_node "$faultline" run "$work/experiment.yaml" --baseline 3s --recovery 3s --report "$report" \
	2> >(sed 's/^/  /' >&2) | sed 's/^/  /' || status=$?
kill $client_pids 2>/dev/null || true
client_pids=""
echo "  exit status $status; open the report: $report/report.html"
