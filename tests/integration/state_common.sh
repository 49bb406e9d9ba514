# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
#
# Helpers of the state, CLI-contract and kill tests, sourced after lib.sh:
#
#   soft ASSERT ARGS...       runs a lib.sh assert_* without ending the test on failure; the
#                             failures are counted, and soft_done fails the test if there were any
#   pin_listing               what is under FAULTLINE_PIN_DIR, folders included ("" when absent)
#   assert_pin_dir_clean W    nothing under FAULTLINE_PIN_DIR: no pin, no folder (it may be absent)
#   assert_pin_dir_unchanged BEFORE W   FAULTLINE_PIN_DIR holds exactly what pin_listing gave
#   assert_one_json W         FLT_OUT (run_faultline's stdout) is exactly one JSON document
#   as_nobody CMD...          CMD as uid/gid 65534 without any capability (setpriv)
#   need_strace               SKIP unless strace can inject signals here
#   syscall_sequence LOG      "INDEX NAME OCCURRENCE" per syscall of the first process of LOG
#   strace_kill_faultline NAME OCC ARGS...   faultline ARGS in the node, SIGKILLed on entering its
#                             OCC-th NAME syscall; sets FLT_RC, FLT_OUT, FLT_ERR
#   blackhole_reject_plan FILE NAME DURATION [COMMENT]   a plan (its path printed) for pod a: a
#                             blackhole on the peer's TCP port 8080 and a reject on 8081
# shellcheck disable=SC2154 # lib.sh sets TEST_TMP, FAULTLINE, ...

SOFT_FAILS=0

# soft ASSERT ARGS...: the assertion in a subshell, so that its fail() does not end the test.
soft() {
	local out rc
	out=$("$@")
	rc=$?
	[ -z "$out" ] || echo "$out"
	if [ $rc -ne 0 ]; then
		SOFT_FAILS=$((SOFT_FAILS + 1))
		[[ "$out" == *FAIL:* ]] || echo "FAIL: $*"
	fi
	return $rc
}

# soft_done: fails the test when a soft assertion failed.
soft_done() {
	[ "$SOFT_FAILS" -eq 0 ] || fail "$TEST_NAME: $SOFT_FAILS assertion(s) failed (FAIL lines above)"
	echo "ok: $TEST_NAME: every assertion held"
}

# one_line TEXT: TEXT with its newlines as spaces, for a message.
one_line() {
	tr '\n' ' ' <<<"$1" | sed 's/ $//'
}

pin_listing() {
	[ -e "$FAULTLINE_PIN_DIR" ] || return 0
	find "$FAULTLINE_PIN_DIR" -mindepth 1 -printf '%y %P\n' | sort
}

# assert_pin_dir_clean WHAT: FAULTLINE_PIN_DIR is absent or empty: no pin, no folder in it.
assert_pin_dir_clean() {
	local left
	left=$(pin_listing)
	[ -z "$left" ] || fail "$1: left under $FAULTLINE_PIN_DIR: $(one_line "$left")"
	echo "ok: $1 (nothing under the pin dir)"
}

# assert_pin_dir_unchanged BEFORE WHAT: pin_listing is what it was (BEFORE, from pin_listing).
assert_pin_dir_unchanged() {
	local now
	now=$(pin_listing)
	[ "$now" = "$1" ] ||
		fail "$2: the pin dir changed: before '$(one_line "$1")', now '$(one_line "$now")'"
	echo "ok: $2 (the pin dir is as before)"
}

# assert_one_json WHAT: stdout of the last run_faultline is one JSON document and nothing else.
assert_one_json() {
	local n
	n=$(jq -s 'length' <<<"$FLT_OUT" 2>/dev/null) || fail "$1: stdout is not JSON: '$FLT_OUT'"
	[ "$n" = 1 ] || fail "$1: stdout holds $n JSON documents, want 1: '$FLT_OUT'"
	echo "ok: $1 (one JSON document on stdout)"
}

NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all)

as_nobody() {
	"${NOBODY[@]}" "$@"
}

need_setpriv() {
	command -v setpriv >/dev/null || skip "setpriv is not installed (util-linux)"
	setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all true ||
		skip "setpriv cannot drop to uid 65534 here"
}

need_strace() {
	command -v strace >/dev/null || skip "strace is not installed"
	strace -f -o /dev/null -e trace=all -e inject=getpid:signal=KILL:when=1 true ||
		skip "strace cannot inject signals here"
}

# syscall_sequence LOG: the syscalls of the traced process (the first PID of an `strace -f -o`
# log), one per line: "INDEX NAME OCCURRENCE", INDEX counting all its syscalls from 1 and
# OCCURRENCE the syscalls of that NAME so far (what strace's inject=NAME:when=OCCURRENCE counts).
syscall_sequence() {
	awk 'NR == 1 { main = $1 }
		$1 != main || $2 ~ /^(<\.\.\.|---|\+\+\+)/ { next }
		match($2, /^[a-z0-9_]+\(/) {
			name = substr($2, 1, RLENGTH - 1)
			print ++i, name, ++seen[name]
		}' "$1"
}

# strace_kill_faultline NAME OCC ARGS...: faultline ARGS in the node under strace, killed with
# SIGKILL on entering its OCC-th NAME syscall (strace counts per syscall name). FLT_RC is the
# exit status (137 when killed), FLT_OUT and FLT_ERR faultline's stdout and stderr.
# shellcheck disable=SC2034 # FLT_RC and FLT_ERR are for the caller
strace_kill_faultline() {
	local name=$1 occ=$2
	shift 2
	FLT_OUT=$( (in_node timeout 60 strace -f -o /dev/null -e trace=all \
		-e inject="$name":signal=KILL:when="$occ" "$FAULTLINE" "$@" \
		2>"$TEST_TMP/faultline.stderr") 2>/dev/null)
	FLT_RC=$?
	FLT_ERR=$(cat "$TEST_TMP/faultline.stderr")
}

now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

# sleep_until_ms T: waits until the clock (now_ms) has passed T.
sleep_until_ms() {
	local left=$(($1 - $(now_ms)))
	[ $left -le 0 ] || sleep "$(awk -v ms=$left 'BEGIN { print ms / 1000 }')"
}

# blackhole_reject_plan FILE NAME DURATION [COMMENT]: plan NAME in $TEST_TMP/FILE (its path
# printed) for pod a, lasting DURATION, with COMMENT as its first line (a new content to the agent).
blackhole_reject_plan() {
	write_plan "$1" <<EOF
${4:+# $4}
apiVersion: faultline/v1
kind: FaultPlan
metadata: {name: $2}
spec:
  duration: $3
  targets:
    app: {pods: [$a_uid]}
  faults:
    - {name: tcp-down, target: app, match: {cidrs: [$SVC_IP4/32], protocol: tcp, ports: [8080]}, blackhole: {}}
    - {name: refused, target: app, match: {cidrs: [$SVC_IP4/32], protocol: tcp, ports: [8081]}, reject: {errno: ECONNREFUSED}}
EOF
}
