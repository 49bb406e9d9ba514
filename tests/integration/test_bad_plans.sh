#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The malformed-plan corpus: every tests/plans/bad/NAME.{yaml,json} given to `faultline apply`
# exits 2 with the message of NAME.err ("file:line:col: field: what is wrong") on stderr, and
# leaves no BPF object, pin or active plan behind. The corpus has at least 20 kinds of error.
# host only: what it checks is userspace's alone, the same on every kernel
# shellcheck source=tests/integration/lib.sh disable=SC2154 # pod_create sets a_uid, a_veth, ...
. "$(dirname "$0")/lib.sh"

# A real pod, so that a plan naming it gets no further than validation allows.
pod_create a

cd "$TOP" || fail "cd $TOP"
plans=()
for f in tests/plans/bad/*.yaml tests/plans/bad/*.json; do
	[ -f "$f" ] && plans+=("$f")
done
assert_range ${#plans[@]} 20 100000 "plans in the malformed-plan corpus"

failures=0
for f in "${plans[@]}"; do
	err_file=${f%.*}.err
	if [ ! -f "$err_file" ]; then
		echo "FAIL: $f: no expected message ($err_file)"
		failures=$((failures + 1))
		continue
	fi
	want=$(cat "$err_file")
	got=$(faultline apply "$f" 2>&1 >/dev/null)
	rc=$?
	if [ $rc -ne 2 ]; then
		echo "FAIL: $f: exit status $rc, want 2 (stderr: $got)"
		failures=$((failures + 1))
	elif [[ "$got" != *"$want"* ]]; then
		echo "FAIL: $f: stderr '$got', want it to contain '$want'"
		failures=$((failures + 1))
	elif ! [[ "$(head -n1 <<<"$got")" =~ ^(faultline:\ )?"$f":[0-9]+:[0-9]+:\ [^:]+:\ . ]]; then
		echo "FAIL: $f: stderr '$got' does not start with $f:LINE:COL: FIELD:"
		failures=$((failures + 1))
	else
		echo "ok: $f: exit 2, $(head -n1 <<<"$got")"
	fi
done
assert_eq $failures 0 "malformed plans with a wrong exit status or message"

assert_no_flt_objects "after every malformed plan"
assert_pin_dir_empty "after every malformed plan"
assert_no_tc_faultline "$a_veth" "after every malformed plan"
assert_eq "$(faultline -j status | jq -c '.plans')" "[]" "after every malformed plan: status -j plans"
