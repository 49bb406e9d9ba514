#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Pods by name, without the API server: pods shop/checkout-1, shop/checkout-2 and shop/cart-1
# (simpod makes kubelet's /var/log/pods folders, here in $FAULTLINE_POD_LOG_DIR). A blackhole on
# pods [shop/checkout-*] drops the traffic of both checkout pods and not cart's; the dry run shows
# what the glob expanded to; status shows namespace and name beside each UID; a glob that matches
# nothing exits 2 at its position; shop/cart-1 by NAMESPACE/NAME works; trace shows the names.
# host only: what it checks is userspace's name lookup, the same on every kernel
# timeout: 120
# shellcheck source=tests/integration/lib.sh disable=SC2154 # pod_create sets a_uid, a_veth, ...
. "$(dirname "$0")/lib.sh"

pod_create c1 --namespace shop --name checkout-1
pod_create c2 --namespace shop --name checkout-2
pod_create cart --namespace shop --name cart-1
svc_serve tcp 8080

assert_eq "$c1_podns/$c1_podname" shop/checkout-1 "pod_create: namespace and name of pod c1"
assert_eq "$(find "$FAULTLINE_POD_LOG_DIR" -mindepth 1 -maxdepth 1 -name "shop_*" | wc -l)" 3 \
	"simpod: one log folder per pod in the test's pod log folder"
[ -f "$FAULTLINE_POD_LOG_DIR/shop_checkout-1_$c1_uid/app/0.log" ] ||
	fail "simpod: no kubelet-like container log under shop_checkout-1_$c1_uid"
echo "ok: simpod made shop_checkout-1_$c1_uid/app/0.log"

connect() {
	in_pod "$1" "$FLTNET" connect "$SVC_IP4" 8080 --timeout-ms 1000
}

plan=$(write_plan checkout.yaml <<EOF
apiVersion: faultline/v1
kind: FaultPlan
metadata:
  name: checkout-down
spec:
  duration: 5m
  targets:
    checkout:
      pods: [shop/checkout-*]
  faults:
    - name: svc-down
      target: checkout
      match: {cidrs: [$SVC_IP4/32], protocol: tcp, ports: [8080]}
      blackhole: {}
EOF
)

# The dry run: the glob's expansion, each slot with the pattern, namespace and pod.
run_faultline -j apply --dry-run "$plan"
assert_eq "$FLT_RC" 0 "apply --dry-run -j: exit status"
got=$(jq -r '[.attachments[] | "\(.pattern) \(.namespace)/\(.pod) \(.id)"] | sort | join(",")' \
	<<<"$FLT_OUT")
want=$(printf '%s\n' "shop/checkout-* shop/checkout-1 $c1_uid" \
	"shop/checkout-* shop/checkout-2 $c2_uid" | sort | paste -sd,)
assert_eq "$got" "$want" "apply --dry-run -j: shop/checkout-* expanded to both checkout pods"
assert_eq "$(jq '.target_ids' <<<"$FLT_OUT")" 2 "apply --dry-run -j: target_ids"
run_faultline apply --dry-run "$plan"
assert_contains "$FLT_OUT" "pod shop/checkout-1 ($c1_uid), from shop/checkout-*" \
	"apply --dry-run: text shows the pod's name, UID and pattern"

apply_plan "$plan"
assert_eq "$(word 1 "$(connect c1)")" timeout "blackhole on shop/checkout-*: checkout-1's connect"
assert_eq "$(word 1 "$(connect c2)")" timeout "blackhole on shop/checkout-*: checkout-2's connect"
assert_eq "$(word 1 "$(connect cart)")" ok "blackhole on shop/checkout-*: cart-1's connect"

status=$(faultline -j status checkout-down)
for p in c1 c2; do
	uid_var=${p}_uid name_var=${p}_podname
	got=$(jq -r --arg id "${!uid_var}" '.plans[0].faults[0].targets[] | select(.id == $id)
		| "\(.kind) \(.namespace)/\(.pod) \(.dropped_packets > 0)"' <<<"$status")
	assert_eq "$got" "pod shop/${!name_var} true" "status -j: pod $p's namespace, name and drops"
done
assert_eq "$(jq '.plans[0].faults[0].targets | length' <<<"$status")" 2 \
	"status -j: the plan's targets are the two checkout pods"
run_faultline status
assert_contains "$FLT_OUT" "pod       shop/checkout-2 ($c2_uid):" \
	"status: text shows namespace/name (UID)"
revert_plan checkout-down
assert_eq "$(word 1 "$(connect c1)")" ok "after revert: checkout-1's connect"

# A glob that matches no pod of this node: a target error (exit 2) at the id's position.
nothing=$(write_plan nothing.yaml <<EOF
apiVersion: faultline/v1
kind: FaultPlan
metadata:
  name: nothing
spec:
  duration: 5m
  targets:
    web:
      pods: [$cart_uid, shop/nothing-*]
  faults:
    - name: drop
      target: web
      blackhole: {}
EOF
)
run_faultline apply "$nothing"
assert_eq "$FLT_RC" 2 "apply of shop/nothing-*: exit status"
assert_contains "$FLT_ERR" "nothing.yaml:9:52: spec.targets.web.pods[1]: no pod of this node matches shop/nothing-*" \
	"apply of shop/nothing-*: the message, at the glob's position"
run_faultline -j apply --dry-run "$nothing"
assert_eq "$(jq -r '"\(.error.kind) \(.error.line):\(.error.column) \(.error.field)"' \
	<<<"$FLT_OUT")" "target 9:52 spec.targets.web.pods[1]" "apply --dry-run -j of shop/nothing-*: the error"
# the test's own pins and interfaces (other faultline processes may run on the machine)
assert_pin_dir_empty "after the refused plans"
assert_no_tc_faultline "$cart_veth" "after the refused plans"

# A pod by NAMESPACE/NAME.
cart_plan=$(write_plan cart.yaml <<EOF
apiVersion: faultline/v1
kind: FaultPlan
metadata:
  name: cart-down
spec:
  duration: 5m
  targets:
    cart:
      pods: [shop/cart-1]
  faults:
    - name: svc-down
      target: cart
      match: {cidrs: [$SVC_IP4/32], protocol: tcp, ports: [8080]}
      blackhole: {}
EOF
)
apply_plan "$cart_plan"
assert_eq "$(word 1 "$(connect cart)")" timeout "blackhole on shop/cart-1: cart-1's connect"
assert_eq "$(word 1 "$(connect c1)")" ok "blackhole on shop/cart-1: checkout-1's connect"
assert_eq "$(counter cart-down svc-down "$cart_uid" dropped_packets | awk '{ print ($1 > 0) }')" 1 \
	"status: the blackhole on shop/cart-1 dropped the pod's packets, by UID"
revert_plan cart-down

# trace by NAMESPACE/NAME: the snapshot names the pod.
run_faultline -j trace shop/cart-1 --for 1s
assert_eq "$FLT_RC" 0 "trace shop/cart-1 -j: exit status"
assert_eq "$(jq -r '.targets[] | "\(.id) \(.kind) \(.namespace)/\(.pod)"' <<<"$FLT_OUT")" \
	"$cart_uid pod shop/cart-1" "trace shop/cart-1 -j: the target's UID, namespace and name"
run_faultline -j trace shop/nothing-1 --for 1s
assert_eq "$FLT_RC" 2 "trace shop/nothing-1: exit status"
assert_contains "$(jq -r .error.message <<<"$FLT_OUT")" "no pod of this node matches shop/nothing-1" \
	"trace shop/nothing-1: the message"

# faultline run: report.json names each pod, with the pattern it came from.
run_plan=$(write_plan run.yaml <<EOF
apiVersion: faultline/v1
kind: FaultPlan
metadata:
  name: run-names
spec:
  duration: 2s
  observe:
    pods: [shop/cart-1]
  targets:
    checkout:
      pods: ["shop/checkout-[12]"]
  faults:
    - name: svc-down
      target: checkout
      match: {cidrs: [$SVC_IP4/32], protocol: tcp, ports: [8080]}
      blackhole: {}
EOF
)
run_faultline run "$run_plan" --baseline 0s --recovery 0s --interval 1s --report "$TEST_TMP/run"
assert_eq "$FLT_RC" 0 "run with names: exit status"
assert_eq "$(jq -r '[.pods[] | "\(.role) \(.namespace)/\(.pod) \(.pattern)"] | join(",")' \
	"$TEST_TMP/run/report.json")" \
	"target shop/checkout-1 shop/checkout-[12],target shop/checkout-2 shop/checkout-[12],observed shop/cart-1 shop/cart-1" \
	"run with names: report.json's pods, their names and patterns"

# simpod delete removes the pod's log folder.
in_node "$SIMPOD" delete "$cart_name" || fail "simpod delete $cart_name"
[ ! -e "$FAULTLINE_POD_LOG_DIR/shop_cart-1_$cart_uid" ] ||
	fail "simpod delete: the log folder of shop/cart-1 is still there"
echo "ok: simpod delete removed the log folder of shop/cart-1"
