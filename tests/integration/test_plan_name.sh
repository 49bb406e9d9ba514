#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# A plan name is never a path. With a plan active, `revert` and `status` of a name that is not a
# valid plan name (a relative path that climbs from the store's plans/ folder to a directory of
# the test, "", "A", "a/b", "..", 64 characters, "a_b") exit 2 with "invalid plan name" and touch
# nothing: the directory and its file are still there, the active plan still runs. With -j the
# error is one JSON document whose .error.message says so. A valid name that is not active exits
# 1 with "no such active plan".
# timeout: 90
# host only: what it checks is userspace's alone, the same on every kernel
# shellcheck source=tests/integration/lib.sh disable=SC2154 # pod_create sets a_uid, ...
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/state_common.sh
. "$(dirname "$0")/state_common.sh"

pod_create a
svc_serve tcp 8080

plan=$(write_plan keep.yaml <<EOF
apiVersion: faultline/v1
kind: FaultPlan
metadata: {name: keep}
spec:
  duration: 5m
  targets:
    app: {pods: [$a_uid]}
  faults:
    - {name: tcp-down, target: app, match: {cidrs: [$SVC_IP4/32], protocol: tcp, ports: [8080]}, blackhole: {}}
EOF
)
apply_plan "$plan"

# A directory of the test, and a name that reaches it from $FAULTLINE_PIN_DIR/plans/.
victim=$TEST_TMP/x-dir
{ mkdir -p "$victim" && echo precious >"$victim/file"; } || fail "mkdir $victim"
depth=$(tr -cd / <<<"$FAULTLINE_PIN_DIR/plans" | wc -c)
climb=$(printf '../%.0s' $(seq "$depth"))
path_name=${climb%/}$victim
[ -d "$FAULTLINE_PIN_DIR/plans/$path_name" ] || fail "$path_name does not reach $victim"
log "a name that reaches $victim from the plans folder: $path_name"

pins_before=$(pin_listing)

# still_intact WHAT: the test's directory, its file and the active plan are all still there.
# The directory is made again after a case that lost it, so that each case is judged alone.
still_intact() {
	soft assert_eq "$([ -d "$victim" ] && echo yes)" yes "$1: $victim is still there"
	soft assert_eq "$(cat "$victim/file" 2>/dev/null)" precious "$1: $victim/file is still there"
	mkdir -p "$victim" && echo precious >"$victim/file"
	soft assert_eq "$(faultline -j status | jq -r '[.plans[].name] | join(",")')" keep \
		"$1: plan keep is still active"
	soft assert_pin_dir_unchanged "$pins_before" "$1: the store"
}

# expect_invalid WHAT ARGS...: exit 2, "invalid plan name" on stderr, nothing touched.
expect_invalid() {
	local what=$1
	shift
	run_faultline "$@"
	soft assert_eq "$FLT_RC" 2 "$what: exit status"
	soft assert_contains "$FLT_ERR" "invalid plan name" "$what: stderr"
	still_intact "after $what"
}

expect_invalid "revert of a path that climbs to $victim" revert "$path_name"
expect_invalid "status of a path that climbs to $victim" status "$path_name"
long=$(printf 'x%.0s' $(seq 64))
for name in "" A a/b .. "$long" a_b; do
	expect_invalid "revert '$name'" revert "$name"
done
for name in "" a/b ..; do
	expect_invalid "status '$name'" status "$name"
done

run_faultline -j revert "$path_name"
soft assert_eq "$FLT_RC" 2 "-j revert of a path: exit status"
soft assert_one_json "-j revert of a path"
soft assert_contains "$(jq -r '.error.message? // empty' <<<"$FLT_OUT" 2>/dev/null)" \
	"invalid plan name" "-j revert of a path: .error.message"
run_faultline -j status a/b
soft assert_eq "$FLT_RC" 2 "-j status a/b: exit status"
soft assert_one_json "-j status a/b"
soft assert_contains "$(jq -r '.error.message? // empty' <<<"$FLT_OUT" 2>/dev/null)" \
	"invalid plan name" "-j status a/b: .error.message"
still_intact "after the -j invalid names"

run_faultline revert no-such-plan
soft assert_eq "$FLT_RC" 1 "revert of a valid name that is not active: exit status"
soft assert_contains "$FLT_ERR" "no such active plan" "revert no-such-plan: stderr"
run_faultline status no-such-plan
soft assert_eq "$FLT_RC" 1 "status of a valid name that is not active: exit status"
soft assert_contains "$FLT_ERR" "no such active plan" "status no-such-plan: stderr"
still_intact "after revert no-such-plan"

out=$(in_pod a "$FLTNET" connect "$SVC_IP4" 8080 --timeout-ms 500)
soft assert_eq "$(word 1 "$out")" timeout "plan keep still faults port 8080"
revert_plan keep
soft_done
