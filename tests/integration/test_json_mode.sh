#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# With -j every invocation prints exactly one JSON document on stdout, errors included, and
# nothing else there: usage errors (unknown command, unknown option), a plan that does not exist or
# is invalid, a plan name that is not one, a revert of a plan that is not active, lint of a bad
# plan, and the successful commands (status, probe, apply, revert, revert --all). An error is
# {"error": {"message", "kind": input|target|not_active|system, and file, line, column, field
# where they apply}}; for a bad value in a plan they point at the value.
# timeout: 90
# host only: what it checks is userspace's (CLI, output, state store), the same on every kernel
# shellcheck source=tests/integration/lib.sh disable=SC2154 # pod_create sets a_uid, ...
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/state_common.sh
. "$(dirname "$0")/state_common.sh"

pod_create a

# json_case WHAT WANT_RC ARGS...: faultline -j ARGS exits WANT_RC with one JSON document on stdout.
json_case() {
	local what=$1 want=$2
	shift 2
	run_faultline -j "$@"
	soft assert_eq "$FLT_RC" "$want" "$what: exit status"
	soft assert_one_json "$what"
}

# out_jq FILTER: FILTER applied to the stdout of the last run ("" when that is not JSON).
out_jq() {
	jq -r "$1" <<<"$FLT_OUT" 2>/dev/null
}

# error_is WHAT KIND: the document is {"error": {"message": string, "kind": KIND, ...}} (not
# looked at when json_case found no single document: that failure is counted already).
error_is() {
	[ "$(jq -s length <<<"$FLT_OUT" 2>/dev/null)" = 1 ] || return 0
	soft assert_eq "$(out_jq '.error | type')" object "$1: .error is an object"
	soft assert_eq "$(out_jq '.error.message? | type')" string \
		"$1: .error.message is a string"
	soft assert_eq "$(out_jq '.error.kind?')" "$2" "$1: .error.kind"
}

good=$(write_plan good.yaml <<EOF
apiVersion: faultline/v1
kind: FaultPlan
metadata: {name: good}
spec:
  duration: 5m
  targets:
    app: {pods: [$a_uid]}
  faults:
    - {name: drop, target: app, match: {cidrs: [$SVC_IP4/32], protocol: tcp, ports: [8080]}, blackhole: {}}
EOF
)
bad=$(write_plan badport.yaml <<EOF
apiVersion: faultline/v1
kind: FaultPlan
metadata: {name: badport}
spec:
  duration: 5m
  targets:
    app: {pods: [$a_uid]}
  faults:
    - name: drop
      target: app
      match: {protocol: tcp, ports: [80, 70000]}
      blackhole: {}
EOF
)
bad_line=$(grep -n 70000 "$bad" | cut -d: -f1)
bad_col=$(awk -v n="$bad_line" 'NR == n { print index($0, "70000") }' "$bad")
bad_field='spec.faults[0].match.ports[1]'
log "the bad value is at $bad:$bad_line:$bad_col ($bad_field)"

# The text mode reports the same position.
run_faultline apply "$bad"
soft assert_eq "$FLT_RC" 2 "apply of the bad plan (text): exit status"
soft assert_contains "$FLT_ERR" "$bad:$bad_line:$bad_col: $bad_field:" "apply of the bad plan (text): stderr"

json_case "-j revert no-such-plan" 1 revert no-such-plan
error_is "-j revert no-such-plan" not_active
json_case "-j revert --all, nothing active" 0 revert --all
soft assert_eq "$(out_jq 'has("error")')" false "-j revert --all: no error"
json_case "-j bogus-command" 2 bogus-command
error_is "-j bogus-command" input
json_case "-j --no-such-option status" 2 --no-such-option status
error_is "-j --no-such-option status" input
json_case "-j status --no-such-option" 2 status --no-such-option
error_is "-j status --no-such-option" input

json_case "-j apply of the bad plan" 2 apply "$bad"
error_is "-j apply of the bad plan" input
soft assert_eq "$(out_jq '.error.file?')" "$bad" "-j apply of the bad plan: .error.file"
soft assert_eq "$(out_jq '.error.line?')" "$bad_line" "-j apply of the bad plan: .error.line"
soft assert_eq "$(out_jq '.error.column?')" "$bad_col" "-j apply of the bad plan: .error.column"
soft assert_eq "$(out_jq '.error.field?')" "$bad_field" "-j apply of the bad plan: .error.field"
soft assert_contains "$(out_jq '.error.message?')" 70000 \
	"-j apply of the bad plan: .error.message names the value"

json_case "-j apply /nonexistent.yaml" 2 apply /nonexistent.yaml
error_is "-j apply /nonexistent.yaml" input
soft assert_contains "$(out_jq '.error.message?')" /nonexistent.yaml \
	"-j apply /nonexistent.yaml: .error.message names the file"

json_case "-j status a/b" 2 status a/b
error_is "-j status a/b" input
json_case "-j lint GOOD BAD" 2 lint "$good" "$bad"

json_case "-j status, nothing active" 0 status
soft assert_eq "$(jq -c '.plans?' <<<"$FLT_OUT" 2>/dev/null)" "[]" "-j status, nothing active: .plans"
json_case "-j probe" 0 probe
soft assert_eq "$(out_jq '.features? | type')" object "-j probe: .features"

json_case "-j apply of a good plan" 0 apply "$good"
json_case "-j status, one plan active" 0 status
soft assert_eq "$(out_jq '[.plans[]?.name] | join(",")')" good \
	"-j status, one plan active: .plans[].name"
json_case "-j apply of the same plan again" 2 apply "$good"
soft assert_contains "$(out_jq '.error.message?')" active \
	"-j apply of the same plan again: .error.message"
json_case "-j revert good" 0 revert good
json_case "-j revert good again" 1 revert good
error_is "-j revert good again" not_active

assert_pin_dir_clean "after every -j command"
soft_done
