#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Never disturb what was there: a root qdisc the device had before (a tbf here) is replaced while
# a delay is active and put back, with its parameters, after revert and after an expiry sweep;
# faultline's IFB devices go too, and nothing of faultline's remains.
# shellcheck source=tests/integration/lib.sh disable=SC2154 # pod_create sets a_uid, ...
. "$(dirname "$0")/lib.sh"
if ! has_feature fq; then
	need_qdisc netem prio
fi

pod_create a
svc_serve udp 7200
in_node tc qdisc add dev "$a_veth" root handle 77: tbf rate 1gbit burst 128k latency 50ms ||
	skip "cannot add a tbf qdisc"
root() { in_node tc -j qdisc show dev "$a_veth" root | jq -c '.[0] | {kind, handle, rate: .options.rate}'; }
before=$(root)
log "before: $before"

plan() { # DURATION
	write_plan "restore-$1.yaml" <<EOF
apiVersion: faultline/v1
kind: FaultPlan
metadata: {name: restore}
spec:
  duration: $1
  targets:
    a: {pods: [$a_uid]}
  faults:
    - name: slow-both-ways
      target: a
      direction: both
      match: {cidrs: [$SVC_IP4/32], protocol: udp, ports: [7200]}
      delay: {time: 20ms}
EOF
}
apply_plan "$(plan 10m)"
during=$(root)
log "during: $during"
assert_ne "$(jq -r .kind <<<"$during")" tbf "root qdisc of the pod's veth while delayed"
out=$(in_pod a "$FLTNET" rtt "$SVC_IP4" 7200 --count 20 --interval-us 1000)
assert_range "$(field "$out" median_us)" 38000 60000 "round trip (us) with 20ms each way"
assert_eq "$(in_node ip -o link show type ifb | wc -l)" 1 "IFB devices while delayed"
revert_plan restore
assert_eq "$(root)" "$before" "root qdisc after revert"
assert_eq "$(in_node ip -o link show type ifb | wc -l)" 0 "IFB devices after revert"

apply_plan "$(plan 3s)"
assert_ne "$(jq -r .kind <<<"$(root)")" tbf "root qdisc of the pod's veth while delayed again"
sleep 4
out=$(in_pod a "$FLTNET" rtt "$SVC_IP4" 7200 --count 20 --interval-us 1000)
assert_range "$(field "$out" median_us)" 0 15000 "round trip (us) after the deadline, before any sweep"
faultline status >/dev/null
assert_eq "$(root)" "$before" "root qdisc after the expiry sweep"
assert_eq "$(in_node ip -o link show type ifb | wc -l)" 0 "IFB devices after the expiry sweep"
assert_no_flt_objects "after the expiry sweep"
assert_pin_dir_empty "after the expiry sweep"

# A tree built under the root cannot be put back from the root alone: refused, nothing changed.
in_node tc qdisc replace dev "$a_veth" root handle 78: htb default 1 &&
	in_node tc class add dev "$a_veth" parent 78: classid 78:1 htb rate 1gbit || skip "cannot build an htb tree"
run_faultline apply "$(plan 10m)"
assert_eq "$FLT_RC" 2 "apply over an htb tree with a class: exit status"
assert_contains "$FLT_ERR" "remove them first" "apply over an htb tree: stderr says why"
assert_eq "$(root | jq -r .kind)" htb "root qdisc after the refused apply"
assert_eq "$(in_node tc class show dev "$a_veth" | grep -c "^class htb 78:1 ")" 1 "htb class 78:1 after the refused apply"
assert_no_flt_objects "after the refused apply"
