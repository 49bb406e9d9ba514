#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# What status, apply and revert say about a plan:
#  1. a pod of the plan that is deleted shows as "gone" in status (text), gone == true in
#     .plans[].faults[].targets[] (JSON); a pod that is there has gone == false;
#  2. the apply summary counts targets, not pods: one target listing two pods is "on 1
#     target(s)", and .targets == 1 with -j;
#  3. no output says "netns faultline's" (apply --dry-run of a pod, a netns and an interface
#     target);
#  4. a UDP reject counts unconnected sends in .rejected_sends (text: "sends"), not in
#     .rejected_connects; a TCP reject counts connects in .rejected_connects;
#  5. revert NAME prints each fault's final counters: text lines with "matched" and the numbers,
#     and with -j .reverted[0].name and .reverted[0].faults[].targets[] with counters no lower than
#     what status showed just before;
#  6. the expiry sweep logs the expired plan's name and counters ("expired", "matched") on stderr.
# timeout: 120
# host only: what it checks is userspace's (CLI, output, state store), the same on every kernel
# shellcheck source=tests/integration/lib.sh disable=SC2154 # pod_create sets a_uid, ...
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/state_common.sh
. "$(dirname "$0")/state_common.sh"

pod_create a
pod_create b
pod_create c
pod_create d
pod_create n
svc_serve tcp 8080 8081 udp 7000

details=$(write_plan details.yaml <<EOF
apiVersion: faultline/v1
kind: FaultPlan
metadata: {name: details}
spec:
  duration: 5m
  targets:
    app: {pods: [$a_uid, $b_uid]}
  faults:
    - {name: tcp-down, target: app, match: {cidrs: [$SVC_IP4/32], protocol: tcp, ports: [8080]}, blackhole: {}}
    - {name: tcp-refused, target: app, match: {cidrs: [$SVC_IP4/32], protocol: tcp, ports: [8081]}, reject: {errno: ECONNREFUSED}}
    - {name: udp-refused, target: app, match: {cidrs: [$SVC_IP4/32], protocol: udp, ports: [7000]}, reject: {errno: ECONNREFUSED}}
EOF
)

# 2 and 3: one target of two pods.
run_faultline -j apply --dry-run "$details"
soft assert_eq "$(jq -r '.targets' <<<"$FLT_OUT")" 1 "-j apply --dry-run, one target of two pods: .targets"
run_faultline apply --dry-run "$details"
soft assert_contains "$FLT_OUT" "on 1 target(s)" "apply --dry-run, one target of two pods: summary"
soft assert_not_contains "$FLT_OUT" "netns faultline's" "apply --dry-run of a pod target"
soft assert_not_contains "$FLT_OUT" "faultline's)" "apply --dry-run of a pod target"
apply_plan "$details"
soft assert_contains "$FLT_OUT" "on 1 target(s)" "apply, one target of two pods: summary"
soft assert_not_contains "$FLT_OUT" "netns faultline's" "apply of a pod target"

for kind in netns interfaces; do
	id=/run/netns/$n_ns
	[ $kind = interfaces ] && id=$n_veth
	write_plan "$kind.yaml" >/dev/null <<EOF
apiVersion: faultline/v1
kind: FaultPlan
metadata: {name: dry-$kind}
spec:
  duration: 5m
  targets:
    t: {$kind: [$id]}
  faults:
    - {name: tcp-down, target: t, match: {protocol: tcp}, blackhole: {}}
EOF
	run_faultline apply --dry-run "$TEST_TMP/$kind.yaml"
	soft assert_eq "$FLT_RC" 0 "apply --dry-run of a $kind target: exit status"
	soft assert_eq "$(grep -c "faultline's)" <<<"$FLT_OUT")" 0 "apply --dry-run of a $kind target: lines with \"faultline's)\""
	soft assert_not_contains "$FLT_OUT" "netns faultline's" "apply --dry-run of a $kind target"
done

# 4: traffic of pod a that each fault counts.
out=$(in_pod a "$FLTNET" connect "$SVC_IP4" 8080 --timeout-ms 300)
assert_eq "$(word 1 "$out")" timeout "pod a: connect to port 8080"
out=$(in_pod a "$FLTNET" connect "$SVC_IP4" 8081 --timeout-ms 1000)
assert_eq "$(word 2 "$out")" ECONNREFUSED "pod a: connect to port 8081"
out=$(in_pod a "$FLTNET" udp-send "$SVC_IP4" 7000 --count 5)
assert_eq "$out" "sent 0 errors 5 first-error ECONNREFUSED" "pod a: unconnected UDP sends to port 7000"

soft assert_range "$(counter details udp-refused "$a_uid" rejected_sends)" 1 5 "status -j: udp-refused rejected_sends"
soft assert_eq "$(counter details udp-refused "$a_uid" rejected_connects)" 0 "status -j: udp-refused rejected_connects"
soft assert_eq "$(counter details tcp-refused "$a_uid" rejected_connects)" 1 "status -j: tcp-refused rejected_connects"
soft assert_range "$(counter details tcp-down "$a_uid" dropped_packets)" 1 100 "status -j: tcp-down dropped_packets"
run_faultline status details
udp_line=$(awk '/fault udp-refused/ { f = 1; next } /fault / { f = 0 } f' <<<"$FLT_OUT" | grep -F "$a_uid")
soft assert_contains "$udp_line" "sends" "status: udp-refused line of pod a says sends"
tcp_line=$(awk '/fault tcp-refused/ { f = 1; next } /fault / { f = 0 } f' <<<"$FLT_OUT" | grep -F "$a_uid")
soft assert_contains "$tcp_line" "connects" "status: tcp-refused line of pod a says connects"

# 1: gone, before and after pod b is deleted.
for p in a b; do
	uid_var=${p}_uid
	soft assert_eq "$(counter details tcp-down "${!uid_var}" gone)" false "pod $p there: status -j gone"
done
in_node "$SIMPOD" delete "$b_name" || fail "simpod delete $b_name"
run_faultline status details
soft assert_eq "$FLT_RC" 0 "status after pod b was deleted: exit status"
soft assert_contains "$(grep -F "$b_uid" <<<"$FLT_OUT" | head -n 1)" gone "status after pod b was deleted: pod b's line"
soft assert_not_contains "$(grep -F "$a_uid" <<<"$FLT_OUT" | head -n 1)" gone "status after pod b was deleted: pod a's line"
for f in tcp-down tcp-refused udp-refused; do
	soft assert_eq "$(counter details $f "$b_uid" gone)" true "pod b deleted: status -j $f gone of pod b"
	soft assert_eq "$(counter details $f "$a_uid" gone)" false "pod b deleted: status -j $f gone of pod a"
done

# 5 with -j: the counters revert prints are the final ones.
status_json=$(faultline -j status details)
run_faultline -j revert details
soft assert_eq "$FLT_RC" 0 "-j revert details: exit status"
soft assert_eq "$(jq -r '.reverted[0].name?' <<<"$FLT_OUT" 2>/dev/null)" details "-j revert: .reverted[0].name"
# One line per target of each fault in status: "FAULT ID ok", or "FAULT ID short" when revert
# printed no counters for it or lower ones.
cmp=$(jq -rn --argjson s "$status_json" --argjson r "$(jq -s '.[0]' <<<"$FLT_OUT" 2>/dev/null || echo null)" '
	$s.plans[0].faults[] as $f | $f.targets[] as $t |
	[$r | .reverted?[0]?.faults?[]? | select(.name == $f.name) | .targets?[]? | select(.id == $t.id)][0] as $rt |
	"\($f.name) \($t.id) " + (if $rt != null and ([ "matched_packets", "matched_bytes",
		"dropped_packets", "rejected_connects" ] | all(. as $k | ($rt[$k] | type) == "number"
		and $rt[$k] >= ($t[$k] // 0))) then "ok" else "short" end)' 2>&1)
log "revert -j versus status -j:"
show_lines "  " "$cmp"
soft assert_eq "$(grep -c ' ok$' <<<"$cmp")" 6 "-j revert: targets whose final counters are present and >= status"

# 5 in text: plan final on pod c.
final=$(write_plan final.yaml <<EOF
apiVersion: faultline/v1
kind: FaultPlan
metadata: {name: final}
spec:
  duration: 5m
  targets:
    app: {pods: [$c_uid]}
  faults:
    - {name: tcp-down, target: app, match: {cidrs: [$SVC_IP4/32], protocol: tcp, ports: [8080]}, blackhole: {}}
EOF
)
apply_plan "$final"
out=$(in_pod c "$FLTNET" connect "$SVC_IP4" 8080 --timeout-ms 1200)
assert_eq "$(word 1 "$out")" timeout "pod c: connect to port 8080"
matched=$(counter final tcp-down "$c_uid" matched_packets)
assert_range "$matched" 1 100 "status -j: final's matched_packets before revert"
run_faultline revert final
soft assert_eq "$FLT_RC" 0 "revert final: exit status"
line=$(grep -F "$c_uid" <<<"$FLT_OUT" | grep matched | head -n 1)
soft assert_contains "$line" matched "revert final: a line with pod c's counters"
soft assert_range "$(sed -n -E 's/.*matched ([0-9]+).*/\1/p' <<<"$line")" "$matched" 100 \
	"revert final: matched packets printed"
soft assert_contains "$FLT_OUT" tcp-down "revert final: names the fault"

# 6: the sweep of an expired plan logs its counters.
brief=$(write_plan brief.yaml <<EOF
apiVersion: faultline/v1
kind: FaultPlan
metadata: {name: brief}
spec:
  duration: 6s
  targets:
    app: {pods: [$d_uid]}
  faults:
    - {name: tcp-down, target: app, match: {cidrs: [$SVC_IP4/32], protocol: tcp, ports: [8080]}, blackhole: {}}
EOF
)
applied_ms=$(now_ms)
apply_plan "$brief"
out=$(in_pod d "$FLTNET" connect "$SVC_IP4" 8080 --timeout-ms 300)
assert_eq "$(word 1 "$out")" timeout "pod d: connect to port 8080 while brief is active"
# 6 s leave a loaded TCG guest time to start the pod's connect before the deadline
sleep_until_ms $((applied_ms + 6500))
run_faultline status
soft assert_eq "$FLT_RC" 0 "status after brief expired: exit status"
soft assert_contains "$FLT_ERR" expired "the sweep's log on stderr: expired"
soft assert_contains "$FLT_ERR" brief "the sweep's log on stderr: the plan's name"
soft assert_contains "$FLT_ERR" matched "the sweep's log on stderr: the counters"
soft assert_eq "$(faultline -j status | jq -c '.plans')" "[]" "after the sweep: status -j plans"
soft assert_pin_dir_clean "at the end"
soft_done
