#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The CLI's contract: usage errors exit 2 with usage on stderr; revert of an unknown plan exits 1,
# revert --all with nothing active exits 0; --dry-run changes nothing; status -j carries the
# documented fields with live counters; without privileges faultline exits 1 naming the
# capabilities it lacks, and changes nothing.
# host only: what it checks is userspace's (CLI, output, state store), the same on every kernel
# shellcheck source=tests/integration/lib.sh disable=SC2154 # pod_create sets a_uid, a_veth, ...
. "$(dirname "$0")/lib.sh"

pod_create a
svc_serve tcp 8080 8081

# expect_usage WHAT ARGS...: exit 2, a usage text on stderr.
expect_usage() {
	local what=$1
	shift
	run_faultline "$@"
	assert_eq "$FLT_RC" 2 "$what: exit status"
	assert_match "$FLT_ERR" "[Uu]sage" "$what: usage on stderr"
}
expect_usage "unknown command" frobnicate
expect_usage "unknown global option" --frobnicate status
expect_usage "unknown option after the command" status --frobnicate
expect_usage "unknown option of apply" apply --frobnicate x.yaml
run_faultline apply
assert_eq "$FLT_RC" 2 "apply without a plan: exit status"

run_faultline --help
assert_eq "$FLT_RC" 0 "--help: exit status"
assert_match "$FLT_OUT" "[Uu]sage" "--help: usage on stdout"
run_faultline --version
assert_eq "$FLT_RC" 0 "--version: exit status"
assert_contains "$FLT_OUT" "$(cat "$TOP/VERSION")" "--version: prints VERSION"

run_faultline revert no-such-plan
assert_eq "$FLT_RC" 1 "revert of a plan that is not active: exit status"
run_faultline revert --all
assert_eq "$FLT_RC" 0 "revert --all with nothing active: exit status"

run_faultline probe
assert_eq "$FLT_RC" 0 "probe: exit status"
for feature in bpffs cgroup2 clsact; do
	assert_contains "$FLT_OUT" "$feature" "probe: reports $feature"
done
probe_json=$(faultline -j probe)
assert_eq "$(jq -e 'type' <<<"$probe_json")" '"object"' "probe -j: a JSON object"

# plan NAME: blackhole port 8080 and reject port 8081 of the peer, on pod a.
plan() {
	write_plan "$1.yaml" <<EOF
apiVersion: faultline/v1
kind: FaultPlan
metadata:
  name: $1
spec:
  duration: 5m
  targets:
    app:
      pods: [$a_uid]
  faults:
    - name: tcp-down
      target: app
      match: {cidrs: [$SVC_IP4/32], protocol: tcp, ports: [8080]}
      blackhole: {}
    - name: refused
      target: app
      match: {cidrs: [$SVC_IP4/32], protocol: tcp, ports: [8081]}
      reject: {errno: ECONNREFUSED}
EOF
}

run_faultline apply "$(plan dry)" --dry-run
assert_eq "$FLT_RC" 0 "apply --dry-run: exit status"
assert_contains "$FLT_OUT" "$a_veth" "apply --dry-run: names the pod's host veth"
assert_no_flt_objects "after apply --dry-run"
assert_no_tc_faultline "$a_veth" "after apply --dry-run"
out=$(in_pod a "$FLTNET" connect "$SVC_IP4" 8080 --timeout-ms 1000)
assert_eq "$(word 1 "$out")" ok "after apply --dry-run: connect to port 8080"

# Without privileges: exit 1 before touching anything, naming what is missing.
nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all)
for args in "apply $(plan unprivileged)" "revert --all" "status"; do
	# shellcheck disable=SC2086 # args are words
	err=$(in_node "${nobody[@]}" timeout 30 "$FAULTLINE" $args 2>&1 >/dev/null)
	rc=$?
	log "as nobody, faultline $args: $err"
	assert_eq "$rc" 1 "as nobody, faultline $(word 1 "$args"): exit status"
	assert_match "$err" "CAP_BPF|CAP_NET_ADMIN" "as nobody, faultline $(word 1 "$args"): names the capabilities"
done
assert_no_flt_objects "after the unprivileged apply"

apply_plan "$(plan cli-json)"
out=$(in_pod a "$FLTNET" connect "$SVC_IP4" 8080 --timeout-ms 500)
assert_eq "$(word 1 "$out")" timeout "active: connect to port 8080"
out=$(in_pod a "$FLTNET" connect "$SVC_IP4" 8081 --timeout-ms 500)
assert_eq "$(word 2 "$out")" ECONNREFUSED "active: connect to port 8081"

json=$(faultline -j status)
echo "status -j: $json"
assert_eq "$(jq -r '.plans | length' <<<"$json")" 1 "status -j: number of plans"
assert_eq "$(jq -r '.plans[0].name' <<<"$json")" cli-json "status -j: plans[0].name"
assert_range "$(jq -r '.plans[0].remaining_ms' <<<"$json")" 1 300000 "status -j: plans[0].remaining_ms"
assert_eq "$(jq -c '[.plans[0].faults[].name] | sort' <<<"$json")" '["refused","tcp-down"]' \
	"status -j: plans[0].faults[].name"
for f in tcp-down refused; do
	t=$(jq -c --arg f $f '.plans[0].faults[] | select(.name == $f) | .targets' <<<"$json")
	assert_eq "$(jq -r 'length' <<<"$t")" 1 "status -j: $f: number of targets"
	assert_eq "$(jq -r '.[0].id' <<<"$t")" "$a_uid" "status -j: $f: targets[0].id is the pod UID"
	assert_eq "$(jq -r '.[0].kind' <<<"$t")" pod "status -j: $f: targets[0].kind"
	for k in matched_packets matched_bytes dropped_packets rejected_connects; do
		assert_eq "$(jq -r --arg k $k '.[0][$k] | type' <<<"$t")" number "status -j: $f: targets[0].$k is a number"
	done
done
assert_range "$(counter cli-json tcp-down "$a_uid" dropped_packets)" 1 100 "status -j: tcp-down dropped_packets"
assert_range "$(counter cli-json tcp-down "$a_uid" matched_bytes)" 40 100000 "status -j: tcp-down matched_bytes"
assert_eq "$(counter cli-json refused "$a_uid" rejected_connects)" 1 "status -j: refused rejected_connects"

assert_eq "$(faultline status -j | jq -r '.plans[0].name')" cli-json "status -j (option after the command): plans[0].name"
pretty=$(faultline -p status)
assert_eq "$(jq -r '.plans[0].name' <<<"$pretty")" cli-json "status -p: plans[0].name"
assert_range "$(wc -l <<<"$pretty")" 10 100000 "status -p: lines of indented JSON"
run_faultline status cli-json
assert_eq "$FLT_RC" 0 "status NAME: exit status"
assert_contains "$FLT_OUT" cli-json "status NAME: names the plan"
assert_contains "$FLT_OUT" "$a_uid" "status NAME: names the pod"

revert_plan cli-json
run_faultline revert cli-json
assert_eq "$FLT_RC" 1 "second revert of the same plan: exit status"
assert_no_flt_objects "after revert"
