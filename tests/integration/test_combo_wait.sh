#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# What makes packets wait, on the target kinds and directions delay_common.sh and
# test_netem_effects.sh leave out: netns and interfaces targets, and a pod's ingress and both
# directions. combo_common.sh has the targets. Two plans in turn, as one target's faults wait in
# one kind of qdisc:
#
#   edt    uniform jitter (median, spread within uniform's), a delay correlation (the lag-1
#          autocorrelation of successive round trips), pareto and paretonormal (no round trip
#          below the table's floor, time + its lowest value times the jitter; paretonormal's
#          tail above time + jitter, where uniform never goes), localPorts with a delay (the
#          target's source port decides), ingress delays on netns and interfaces, and 4mbit
#          rates on netns, interfaces, a pod's ingress and both of its directions (iperf3, all
#          at once);
#   netem  delay, reorder, duplicate, corrupt and Gilbert-Elliott loss per target and direction,
#          on one fault (two where packets wait in an IFB: see the plan), fltnet udp counting
#          each; what the peer reads tells whether the target's egress was crossed: all of it
#          on ingress only, less on egress and both. Then a plain loss with backend netem and
#          no delay (netem draws it, the eBPF counter stays at 0).
#
# Where no packet reaches an IFB (faultline probe: ifb_redirect and ifb_mirred both no), or the
# kernel refuses netem leaves beside a duplicating one (Debian's 6.1, whose IFB path is
# act_mirred: test_delay_edt and others cover it there), what would wait in one (a pod's egress,
# a netns's or an interface's ingress) is left out.
# Round trips have lib.sh's allowance for a loaded machine (assert_delay).
# timeout: 420
# shellcheck source=tests/integration/lib.sh disable=SC2154 # pod_create sets b_ns, ...
. "$(dirname "$0")/lib.sh"
need_qdisc fq netem prio
command -v iperf3 >/dev/null || skip "iperf3 is not installed"
# shellcheck source=tests/integration/state_common.sh
. "$(dirname "$0")/state_common.sh"
# shellcheck source=tests/integration/combo_common.sh
. "$(dirname "$0")/combo_common.sh"

# The IFB half of the netem plan below puts several netem leaves beside a duplicating one in one
# tree, which kernels with "net/sched: Restrict conditions for adding duplicating netems to qdisc
# tree" (Debian's 6.1.0-57) refuse: asked of the kernel, on a throw-away namespace's loopback.
netem_mix_ok() {
	unshare -n sh -c 'tc qdisc add dev lo root handle 1: prio &&
		tc qdisc add dev lo parent 1:1 handle 10: netem duplicate 10% &&
		tc qdisc add dev lo parent 1:2 handle 20: netem delay 1ms' >/dev/null 2>&1
}
IFB=0
has_ifb_path && netem_mix_ok && IFB=1
log "an IFB takes redirected packets (ifb_redirect or ifb_mirred) and netem leaves mix with a duplicating one: $IFB"

combo_targets
svc_serve udp 7000 7601 7602 7603 7611 7612 7613 7701 7702 7703 7711 7720 7730 7731
for port in 5201 5202 5203 5204; do
	in_svc iperf3 -s -D -p $port --logfile "$TEST_TMP/iperf3-$port.log" || fail "iperf3 server on $port"
	wait_listening "$SVC_NS" tcp $port
done

rtt() { # KIND PORT COUNT [fltnet rtt options]: round trips from KIND's side to the peer's PORT
	local kind=$1 port=$2 count=$3
	shift 3
	on_target "$kind" "$FLTNET" rtt "$(target_peer "$kind")" "$port" --count "$count" \
		--interval-us 1000 --timeout-ms 1500 "$@"
}
# delayed KIND PORT COUNT [options]: NEAR, 30 round trips to the peer's port 7000 (no fault:
# the path and the load of the moment), then OUT, COUNT round trips to PORT.
delayed() {
	local kind=$1 port=$2
	NEAR=$(rtt "$kind" 7000 30)
	OUT=$(rtt "$@")
	log "$kind, port $port ${*:4}: $OUT (port 7000 just before: $NEAR)"
}
us() { field "$OUT" "$1"; }
late_us() { # DELAY_US: lib.sh's allowance for lateness above DELAY_US plus the path just before
	local late=$(($1 / 10 > DELAY_LATE_MIN_US ? $1 / 10 : DELAY_LATE_MIN_US))
	echo $(($(field "$NEAR" median_us) + late))
}

# --- edt -----------------------------------------------------------------------------------

write_plan wait-edt.yaml >/dev/null <<EOF
apiVersion: faultline/v1
kind: FaultPlan
metadata: {name: wait-edt}
spec:
  duration: 10m
  targets:
    pods: {$(target_yaml pods)}
    netns: {$(target_yaml netns)}
    interfaces: {$(target_yaml interfaces)}
  faults:
    - {name: netns-uniform, target: netns, match: {protocol: udp, ports: [7601]}, delay: {time: 40ms, jitter: 20ms}}
    - {name: netns-correlated, target: netns, match: {protocol: udp, ports: [7602]}, delay: {time: 50ms, jitter: 40ms, correlation: 70%}}
    - {name: netns-local, target: netns, match: {protocol: udp, localPorts: [7650]}, delay: {time: 30ms}}
    - {name: netns-rate, target: netns, match: {protocol: tcp, ports: [5201]}, rate: {bandwidth: 4mbit}}
    - {name: interfaces-pareto, target: interfaces, match: {protocol: udp, ports: [7611]}, delay: {time: 60ms, jitter: 40ms, distribution: pareto}}
    - {name: interfaces-paretonormal, target: interfaces, match: {protocol: udp, ports: [7612]}, delay: {time: 70ms, jitter: 40ms, distribution: paretonormal}}
    - {name: interfaces-rate, target: interfaces, match: {protocol: tcp, ports: [5202]}, rate: {bandwidth: 4mbit}}
    - {name: pods-rate-ingress, target: pods, direction: ingress, match: {protocol: tcp, ports: [5203]}, rate: {bandwidth: 4mbit}}
EOF
[ $IFB -eq 0 ] || cat >>"$TEST_TMP/wait-edt.yaml" <<EOF
    - {name: netns-ingress, target: netns, direction: ingress, match: {protocol: udp, ports: [7603]}, delay: {time: 30ms}}
    - {name: interfaces-ingress, target: interfaces, direction: ingress, match: {protocol: udp, ports: [7613]}, delay: {time: 30ms}}
    - {name: pods-rate-both, target: pods, direction: both, match: {protocol: tcp, ports: [5204]}, rate: {bandwidth: 4mbit}}
EOF
apply_plan "$TEST_TMP/wait-edt.yaml"

# uniform jitter: between time - jitter and time + jitter, a standard deviation of jitter / sqrt 3
delayed netns 7601 60
soft assert_delay "$OUT" "$NEAR" 40000 25 "netns, 40ms uniform jitter 20ms"
check_range "$(us min_us)" 20000 $((40000 + $(late_us 40000))) "netns, uniform jitter: shortest round trip (us)"
check_range "$(us stddev_us)" 8000 16000 "netns, uniform jitter 20ms: standard deviation (us; 11547 expected)"
check_range "$(us autocorr_pct)" -45 45 "netns, uniform jitter without correlation: lag-1 autocorrelation (%)"

# correlation 70%: successive delays alike (an AR(1) of coefficient 0.7 before the path's noise;
# 120 round trips: the lag-1 autocorrelation's standard error is about 0.05)
delayed netns 7602 120
soft assert_delay "$OUT" "$NEAR" 50000 25 "netns, 50ms jitter 40ms correlated"
check_range "$(us autocorr_pct)" 35 100 "netns, correlation 70%: lag-1 autocorrelation (%)"

# pareto: nothing below time - 0.667 jitter (uniform would reach time - jitter), median 0.32
# jitter below time (the median of 60 such draws is above time - 0.49 jitter 999 times in 1000)
delayed interfaces 7611 60
check_range "$(us min_us)" $((60000 - 40000 * 667 / 1000)) $((60000 + $(late_us 60000))) \
	"interfaces, pareto 60ms jitter 40ms: shortest round trip (us), at or above the table's floor"
check_range "$(us median_us)" $((60000 - 40000 * 55 / 100)) $(($(late_us 60000) + 60000)) \
	"interfaces, pareto 60ms jitter 40ms: median round trip (us; 47000 expected)"
# paretonormal: nothing below time - 1.502 jitter (normal would), 9.7% above time + jitter
# (none of 80 there: 3 times in 10000)
delayed interfaces 7612 80
check_range "$(us min_us)" $((70000 - 40000 * 1502 / 1000)) $((70000 + $(late_us 70000))) \
	"interfaces, paretonormal 70ms jitter 40ms: shortest round trip (us), at or above the table's floor"
check_range "$(us max_us)" $((70000 + 40000)) 100000000 \
	"interfaces, paretonormal 70ms jitter 40ms: longest round trip (us), in the tail beyond time + jitter"
check_range "$(us median_us)" $((70000 - 40000 * 55 / 100)) $(($(late_us 70000) + 70000)) \
	"interfaces, paretonormal 70ms jitter 40ms: median round trip (us; 60400 expected)"

# localPorts: from the target's port 7650 the same peer port waits, from another it does not
NEAR=$(rtt netns 7000 30)
OUT=$(rtt netns 7000 40 --local-port 7650)
log "netns, port 7000 from local port 7650: $OUT (from an ephemeral port: $NEAR)"
soft assert_delay "$OUT" "$NEAR" 30000 2 "netns, 30ms on localPorts 7650"
check_range "$(field "$NEAR" median_us)" 0 $DELAY_LATE_MIN_US "netns, from an ephemeral port: median round trip (us)"

if [ $IFB -eq 1 ]; then
	delayed netns 7603 40
	soft assert_delay "$OUT" "$NEAR" 30000 2 "netns, 30ms on ingress"
	delayed interfaces 7613 40
	soft assert_delay "$OUT" "$NEAR" 30000 2 "interfaces, 30ms on ingress"
fi

# rates, all at once: each is its own fault's (and each direction of "both" its own)
iperf() { # NAME KIND PORT [iperf3 options]
	local name=$1 kind=$2 port=$3
	shift 3
	on_target "$kind" iperf3 -c "$(target_peer "$kind")" -p "$port" -t 2 -J "$@" >"$TEST_TMP/$name.json"
}
pids=()
iperf netns-rate netns 5201 &
pids+=($!)
iperf interfaces-rate interfaces 5202 &
pids+=($!)
iperf pods-rate-ingress pods 5203 -R &
pids+=($!)
if [ $IFB -eq 1 ]; then
	iperf pods-rate-both pods 5204 --bidir &
	pids+=($!)
fi
wait "${pids[@]}"
mbit() { # NAME [JQ FIELD]: Mbit/s (x10, an integer) that iperf3 NAME received
	jq "(.end.${2:-sum_received}.bits_per_second // 0) / 1e5 | floor" "$TEST_TMP/$1.json"
}
for name in netns-rate interfaces-rate pods-rate-ingress; do
	check_range "$(mbit $name)" 30 44 "$name: iperf3 Mbit/s x10 through a 4mbit rate"
done
if [ $IFB -eq 1 ]; then
	check_range "$(mbit pods-rate-both)" 30 44 "pods-rate-both, pod -> peer: iperf3 Mbit/s x10 through a 4mbit rate"
	check_range "$(mbit pods-rate-both sum_received_bidir_reverse)" 30 44 \
		"pods-rate-both, peer -> pod: iperf3 Mbit/s x10 through a 4mbit rate"
fi
revert_plan wait-edt

# --- netem ---------------------------------------------------------------------------------

# A fault that does all of netem's at once, one netem leaf: Debian's 6.1 refuses a second netem
# on a device beside one that duplicates (see the plan after this one). Where packets wait in an
# IFB (a pod's egress, an interface's ingress), duplicate and corrupt go to two faults: on the
# same one they make Debian's 6.12 panic (skb_under_panic in br_dev_queue_push_xmit, from
# ifb_ri_tasklet); 6.12 takes several netem leaves on a device.
mess='delay: {time: 10ms}, reorder: {percent: 25}, duplicate: {percent: 10}, corrupt: {percent: 10}, loss: {model: gilbert-elliott, p: 10%, r: 20%}'
mess_no_corrupt='delay: {time: 10ms}, reorder: {percent: 25}, duplicate: {percent: 10}, loss: {model: gilbert-elliott, p: 10%, r: 20%}'
write_plan wait-netem.yaml >/dev/null <<EOF
apiVersion: faultline/v1
kind: FaultPlan
metadata: {name: wait-netem}
spec:
  duration: 10m
  targets:
    pods: {$(target_yaml pods)}
    netns: {$(target_yaml netns)}
    interfaces: {$(target_yaml interfaces)}
  faults:
    - {name: pods-ingress, target: pods, direction: ingress, match: {protocol: udp, ports: [7701]}, $mess}
    - {name: netns-egress, target: netns, match: {protocol: udp, ports: [7720]}, $mess}
EOF
if [ $IFB -eq 0 ]; then
	cat >>"$TEST_TMP/wait-netem.yaml" <<EOF
    - {name: interfaces-egress, target: interfaces, match: {protocol: udp, ports: [7730]}, $mess}
EOF
else
	cat >>"$TEST_TMP/wait-netem.yaml" <<EOF
    - {name: interfaces-ingress, target: interfaces, direction: ingress, match: {protocol: udp, ports: [7730]}, $mess_no_corrupt}
    - {name: interfaces-ingress-corrupt, target: interfaces, direction: ingress, match: {protocol: udp, ports: [7731]}, corrupt: {percent: 10}}
    - {name: pods-both, target: pods, direction: both, match: {protocol: udp, ports: [7702]}, $mess_no_corrupt}
    - {name: pods-both-corrupt, target: pods, direction: both, match: {protocol: udp, ports: [7703]}, corrupt: {percent: 10}}
EOF
	# the two on one fault where packets wait in an IFB: refused, not a kernel panic
	write_plan ifb-dup-corrupt.yaml >/dev/null <<EOF
apiVersion: faultline/v1
kind: FaultPlan
metadata: {name: ifb-dup-corrupt}
spec:
  duration: 1m
  targets:
    pods: {$(target_yaml pods)}
  faults:
    - {name: both-ways, target: pods, direction: both, match: {protocol: udp, ports: [7702]}, $mess}
EOF
	run_faultline apply "$TEST_TMP/ifb-dup-corrupt.yaml"
	assert_eq "$FLT_RC" 2 "duplicate and corrupt on one fault through an IFB: exit status"
	assert_contains "$FLT_ERR" "put them in two faults" "duplicate and corrupt through an IFB: why"
fi
apply_plan "$TEST_TMP/wait-netem.yaml"

COUNT=2000
# messy KIND PORT DIRECTION [EFFECTS]: COUNT datagrams through the fault on PORT, and what netem
# did to them; EFFECTS all (the default), no-corrupt or corrupt (that fault's only one). They go
# without UDP checksums, so that what netem corrupts on the way to the peer arrives and comes
# back; the echoes carry the peer's checksum, so what it corrupts on the way back is dropped by
# the target's kernel (InCsumErrors).
messy() {
	local kind=$1 port=$2 dir=$3 effects=${4:-all} ns before csum_before out at_peer csum
	ns=$(target_netns "$kind")
	udp_stats "$SVC_NS"
	before=$UDP_IN
	udp_stats "$ns"
	csum_before=$UDP_CSUM
	out=$(on_target "$kind" "$FLTNET" udp "$(target_peer "$kind")" "$port" --count $COUNT \
		--interval-us 500 --wait-ms 1000 --no-check)
	udp_stats "$SVC_NS"
	at_peer=$((UDP_IN - before))
	udp_stats "$ns"
	csum=$((UDP_CSUM - csum_before))
	log "$kind $dir, port $port ($effects): $out; the peer read $at_peer; checksum errors at the target $csum"
	if [ "$dir" = ingress ]; then
		check_range "$at_peer" $((COUNT - 2)) $COUNT "$kind $dir: datagrams the peer read (its egress untouched)"
	elif [ "$effects" != corrupt ]; then
		# a third of the time in the bad state, all lost there; a tenth duplicated
		check_range "$at_peer" $((COUNT / 2)) $((COUNT * 92 / 100)) "$kind $dir: datagrams the peer read (lost and duplicated on the target's egress)"
	fi
	if [ "$effects" != corrupt ]; then
		check_range "$(field "$out" received)" $((COUNT * 3 / 10)) $((COUNT * 85 / 100)) "$kind $dir: echoes received (Gilbert-Elliott loss)"
		check_range "$(field "$out" duplicates)" 60 800 "$kind $dir: duplicated echoes (10% duplicate)"
		check_range "$(field "$out" reordered)" 20 $COUNT "$kind $dir: echoes overtaken by later ones (25% reorder)"
	fi
	[ "$effects" = no-corrupt ] ||
		check_range $(($(field "$out" corrupted) + csum)) 40 800 \
			"$kind $dir: corrupted echoes, and echoes the target dropped for their checksum (10% corrupt)"
}
messy pods 7701 ingress
messy netns 7720 egress
if [ $IFB -eq 0 ]; then
	messy interfaces 7730 egress
else
	messy interfaces 7730 ingress no-corrupt
	messy interfaces 7731 ingress corrupt
	messy pods 7702 both no-corrupt
	messy pods 7703 both corrupt
fi

revert_plan wait-netem

# A plain loss with backend netem and no delay: netem drops, not the eBPF programs. A plan of its
# own: a kernel with the stable backport of "net/sched: Restrict conditions for adding
# duplicating netems to qdisc tree" (Debian's 6.1) refuses a second netem on a device beside one
# that duplicates.
write_plan wait-netem-loss.yaml >/dev/null <<EOF
apiVersion: faultline/v1
kind: FaultPlan
metadata: {name: wait-netem-loss}
spec:
  duration: 10m
  targets:
    netns: {$(target_yaml netns)}
  faults:
    - {name: netns-netem-loss, target: netns, backend: netem, match: {protocol: udp, ports: [7711]}, loss: {percent: 30}}
EOF
apply_plan "$TEST_TMP/wait-netem-loss.yaml"
out=$(on_target netns "$FLTNET" udp "$(target_peer netns)" 7711 --count $COUNT --interval-us 100 --wait-ms 500)
log "netns, port 7711 (netem loss 30%): $out"
check_range $((COUNT - $(field "$out" received))) $((COUNT * 22 / 100)) $((COUNT * 38 / 100)) \
	"netns, loss 30% with backend netem: datagrams lost of $COUNT"
check_eq "$(counter wait-netem-loss netns-netem-loss "$(target_id netns)" dropped_packets)" 0 \
	"status: netns-netem-loss dropped_packets (netem's drops, not the programs')"
qd=$(nsenter --net="/run/netns/$b_ns" tc -j qdisc show dev eth0)
log "qdiscs on eth0 in $b_ns: $qd"
check_eq "$(jq -c '[.[] | select(.kind == "netem") | .options."loss-random"]' <<<"$qd")" \
	'[{"loss":0.3,"correlation":0}]' "the netem leaf's loss on eth0 in the netns, as tc reads it"
revert_plan wait-netem-loss
assert_eq "$(in_node ip -o link show type ifb | wc -l)" 0 "IFB devices left in the node after revert"
assert_eq "$(nsenter --net="/run/netns/$b_ns" ip -o link show type ifb | wc -l)" 0 \
	"IFB devices left in the netns after revert"
assert_no_flt_objects "after revert"
soft_done
