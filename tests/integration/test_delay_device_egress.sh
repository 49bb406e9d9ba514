#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# A delay on a pod's ingress waits on the device's own egress (the host end of its veth), with no
# IFB: it works on every kernel with fq or netem, through each backend the kernel has. On a kernel
# whose IFB takes no redirected packets (faultline probe: ifb_redirect and ifb_mirred no), a
# delay on the pod's egress is refused with exit 2 and a message that says why, and nothing is
# attached.
# shellcheck source=tests/integration/lib.sh disable=SC2154 # pod_create sets a_uid, ...
. "$(dirname "$0")/lib.sh"

has() { has_feature "$1"; }
backends=()
has fq && backends+=(edt)
has netem && has prio && backends+=(netem)
[ ${#backends[@]} -gt 0 ] || skip "this kernel has neither fq nor netem and prio: run in vm/ (make vm-test)"

pod_create a
svc_serve udp 7400 7401
rtt() { # PORT COUNT
	in_pod a "$FLTNET" rtt "$SVC_IP4" "$1" --count "$2" --interval-us 1000 --timeout-ms 1000
}

plan() { # BACKEND DIRECTION
	write_plan "$1-$2.yaml" <<EOF
apiVersion: faultline/v1
kind: FaultPlan
metadata: {name: dev-$1}
spec:
  duration: 10m
  targets:
    a: {pods: [$a_uid]}
  faults:
    - {name: slow, target: a, backend: $1, direction: $2, match: {protocol: udp, ports: [7400]}, delay: {time: 50ms}}
EOF
}
for b in "${backends[@]}"; do
	apply_plan "$(plan "$b" ingress)"
	near=$(rtt 7401 50) # no fault matches port 7401: the path and the load of the moment
	out=$(rtt 7400 100)
	log "$b, 50ms on the pod's ingress: $out (port 7401 just before: $near)"
	assert_delay "$out" "$near" 50000 2 "$b: 50ms on the pod's ingress"
	assert_eq "$(in_node ip -o link show type ifb | wc -l)" 0 "$b: IFB devices for a delay on the pod's ingress"
	revert_plan "dev-$b"
done

if ! has_ifb_path; then
	run_faultline apply "$(plan "${backends[0]}" egress)"
	assert_eq "$FLT_RC" 2 "delay on the pod's egress where IFB drops redirected packets: exit status"
	assert_contains "$FLT_ERR" "IFB" "refused delay on the pod's egress: stderr says why"
	assert_no_flt_objects "after the refused apply"
fi
