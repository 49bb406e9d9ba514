#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The node policy (--policy FILE, docs/policy.md): a plan naming a pod of a protected namespace,
# a protected pod, or going over a limit is refused whole (exit 2, the rule named) and changes
# nothing; a blackhole of 0.0.0.0/0 leaves the traffic to a protected CIDR alone (and does not
# count it) while dropping the rest; an invalid or missing policy file is exit 2; without
# --policy, /etc/faultline/policy.yaml is honoured by apply and run when it exists (an overlay on
# /etc in a mount namespace of the test's) and plans apply as before when it does not.
# host only: the policy's checks run before the kernel; test_protect covers the programs on
# every kernel
# timeout: 90
# shellcheck source=tests/integration/lib.sh disable=SC2154 # pod_create sets a_uid, a_ip4, ...
. "$(dirname "$0")/lib.sh"

# simpod makes each pod's kubelet log folder in $FAULTLINE_POD_LOG_DIR (lib.sh)
pod_create a --namespace shop --name client-1
pod_create b --namespace kube-system --name dns-1 -- "$FLTNET" serve tcp 9090
wait_listening "$b_ns" tcp 9090
svc_serve tcp 8080

# policy NAME < text: a policy file in $TEST_TMP; prints its path.
policy() {
	cat >"$TEST_TMP/$1"
	echo "$TEST_TMP/$1"
}

# plan_for NAME POD DURATION FAULT: a one-fault plan on POD.
plan_for() {
	write_plan "$1.yaml" <<EOF
apiVersion: faultline/v1
kind: FaultPlan
metadata:
  name: $1
spec:
  duration: $3
  targets:
    app:
      pods: [$2]
  faults:
    - name: f
      target: app
      $4
EOF
}

# refused WHAT RULE ARGS...: faultline ARGS exits 2 naming RULE, and no plan is active after.
refused() {
	local what=$1 rule=$2
	shift 2
	run_faultline "$@"
	assert_eq "$FLT_RC" 2 "$what: exit status"
	assert_contains "$FLT_ERR" "refused by policy" "$what: the error says the policy refused"
	assert_contains "$FLT_ERR" "$rule" "$what: the error names the rule"
	assert_eq "$(faultline -j status | jq '.plans | length')" 0 "$what: no plan is active"
}

pol=$(policy policy.yaml <<EOF
protect:
  namespaces: [kube-system]
  pods: [shop/client-2]
limits:
  maxDuration: 10m
  maxTargets: 1
  maxLossPercent: 50
  maxDelay: 1s
EOF
)

plan=$(plan_for ns-b "$b_uid" 5m "loss: {percent: 10}")
refused "a pod of kube-system" protect.namespaces apply --policy "$pol" "$plan"
assert_contains "$FLT_ERR" "$plan:9:14: spec.targets.app.pods[0]" "the refusal's position"
assert_contains "$FLT_ERR" "kube-system/dns-1" "the refusal names the pod"
assert_eq "$(flt_objects)" "" "refused: no BPF object was made"
plan=$(plan_for ns-b "kube-system/dns-1" 5m "loss: {percent: 10}")
refused "a pod of kube-system by name" protect.namespaces apply --policy "$pol" "$plan"

plan=$(plan_for long "$a_uid" 1h "loss: {percent: 10}")
refused "1h over maxDuration 10m" limits.maxDuration apply --policy "$pol" "$plan"
assert_contains "$FLT_ERR" "$plan:6:13: spec.duration" "maxDuration: at spec.duration"
plan=$(plan_for slow "$a_uid" 5m "delay: {time: 2s}")
refused "a delay of 2s over maxDelay 1s" limits.maxDelay apply --dry-run --policy "$pol" "$plan"
plan=$(plan_for lossy "$a_uid" 5m "loss: {percent: 60}")
refused "a loss of 60% over maxLossPercent 50" limits.maxLossPercent apply --policy "$pol" "$plan"
plan=$(plan_for bh "$a_uid" 5m "blackhole: {}")
refused "a blackhole (100%) over maxLossPercent 50" limits.maxLossPercent apply --policy "$pol" \
	"$plan"
plan=$(plan_for two "$a_uid, $b_uid" 5m "loss: {percent: 10}")
sed -i 's/namespaces: \[kube-system\]/namespaces: []/' "$pol"
refused "two pods over maxTargets 1" limits.maxTargets apply --policy "$pol" "$plan"

pol_pods=$(policy pods.yaml <<EOF
protect:
  pods: [$b_uid]
EOF
)
plan=$(plan_for uid-b "$b_uid" 5m "blackhole: {}")
refused "a protected pod by uid" protect.pods apply --policy "$pol_pods" "$plan"
refused "faultline run honours it too" protect.pods run --policy "$pol_pods" "$plan"

# --- protected CIDRs in the kernel ---------------------------------------------------------------
pol_cidr=$(policy cidrs.yaml <<EOF
protect:
  cidrs: [$SVC_IP4/32]
EOF
)
plan=$(plan_for all-down "$a_uid" 5m "match: {cidrs: [0.0.0.0/0]}
      blackhole: {}")
run_faultline apply --policy "$pol_cidr" "$plan"
assert_eq "$FLT_RC" 0 "blackhole of 0.0.0.0/0 with svc protected: apply exit status"
out=$(in_pod a "$FLTNET" connect "$SVC_IP4" 8080 --timeout-ms 2000)
assert_eq "$(word 1 "$out")" ok "protected svc peer: connect from a"
assert_eq "$(counter all-down f "$a_uid" matched_packets)" 0 \
	"the svc traffic is not counted as matched"
out=$(in_pod a "$FLTNET" connect "$b_ip4" 9090 --timeout-ms 1000)
assert_eq "$(word 1 "$out")" timeout "unprotected pod b: connect from a is blackholed"
assert_range "$(counter all-down f "$a_uid" dropped_packets)" 1 1000 \
	"the traffic to b is dropped and counted"
revert_plan all-down

# --- the policy file itself ----------------------------------------------------------------------
bad=$(policy bad.yaml <<EOF
protect:
  namespaces: [kube-system]
limits:
  maxDelay: 5 seconds
EOF
)
plan=$(plan_for ok "$a_uid" 5m "blackhole: {}")
run_faultline apply --policy "$bad" "$plan"
assert_eq "$FLT_RC" 2 "an invalid policy: exit status"
assert_contains "$FLT_ERR" "$bad:4:13: limits.maxDelay" "an invalid policy: file:line:col"
run_faultline apply --policy "$TEST_TMP/no-such-policy.yaml" "$plan"
assert_eq "$FLT_RC" 2 "a missing --policy file: exit status"
assert_contains "$FLT_ERR" "cannot open the policy" "a missing --policy file: the cause"
assert_eq "$(faultline -j status | jq '.plans | length')" 0 "bad policies: no plan is active"

# --- the default policy: /etc/faultline/policy.yaml without --policy --------------------------
# The CLI runs in a mount namespace of its own whose /etc is an overlay with the test's folder as
# the upper layer: it finds a policy there, and the machine's /etc is untouched.
mkdir -p "$TEST_TMP/etc/up/faultline" "$TEST_TMP/etc/work" || fail "mkdir $TEST_TMP/etc"
# etc_faultline ARGS...: faultline ARGS, in the node, with the test's /etc/faultline; sets FLT_*.
etc_faultline() {
	FLT_OUT=$(unshare --mount --propagation private -- sh -c '
		dir=$1 ns=$2 bin=$3
		shift 3
		mount -t overlay overlay -o "lowerdir=/etc,upperdir=$dir/up,workdir=$dir/work" /etc ||
			{ echo "cannot mount an overlay on /etc" >&2; exit 99; }
		exec nsenter --net="/run/netns/$ns" -- timeout 60 "$bin" "$@"' sh "$TEST_TMP/etc" \
		"$NODE_NS" "$FAULTLINE" "$@" 2>"$TEST_TMP/faultline.stderr")
	FLT_RC=$?
	FLT_ERR=$(cat "$TEST_TMP/faultline.stderr")
	echo "\$ (with the test's /etc/faultline) faultline $* -> exit $FLT_RC"
	show_lines "  out: " "$FLT_OUT"
	show_lines "  err: " "$FLT_ERR"
	[ "$FLT_RC" -ne 99 ] || fail "the default policy: cannot mount an overlay on /etc"
}
etc_before=$(ls -A /etc/faultline 2>/dev/null)
printf 'protect:\n  pods: [%s]\n' "$a_uid" >"$TEST_TMP/etc/up/faultline/policy.yaml"
dplan=$(plan_for dflt "$a_uid" 5m "blackhole: {}")
etc_faultline apply "$dplan"
assert_eq "$FLT_RC" 2 "the default policy protects pod a: apply exit status"
assert_contains "$FLT_ERR" protect.pods "the default policy: the error names the rule"
etc_faultline run "$dplan"
assert_eq "$FLT_RC" 2 "the default policy: run exit status"
assert_contains "$FLT_ERR" protect.pods "the default policy: run names the rule"
printf 'limits:\n  maxDelay: soon\n' >"$TEST_TMP/etc/up/faultline/policy.yaml"
etc_faultline apply "$dplan"
assert_eq "$FLT_RC" 2 "an invalid default policy: apply exit status"
assert_contains "$FLT_ERR" "/etc/faultline/policy.yaml:2:" "an invalid default policy: file:line"
assert_eq "$(faultline -j status | jq '.plans | length')" 0 "the default policy: no plan is active"
assert_eq "$(ls -A /etc/faultline 2>/dev/null)" "$etc_before" "the machine's /etc/faultline unchanged"

if [ -e /etc/faultline/policy.yaml ]; then
	log "skipped: /etc/faultline/policy.yaml exists on this machine: no run without a policy"
else
	apply_plan "$plan"
	assert_eq "$(faultline -j status | jq -r '.plans[0].name')" ok \
		"without --policy and no default policy: the plan applies"
	revert_plan ok
fi
