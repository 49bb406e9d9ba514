# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
#
# Helpers of the `faultline run` tests, sourced after lib.sh:
#
#   run_start NAME PLAN ARGS...  `faultline run PLAN --report $TEST_TMP/NAME ARGS...` in the node,
#                                in the background (stdout in $TEST_TMP/NAME.out, stderr in
#                                NAME.err); RUN_PID is its pid, RUN_DIR its report folder
#   run_wait_for TEXT SECONDS    until the run's stderr has a line with TEXT; fails if the run
#                                ended first or SECONDS passed
#   run_end SECONDS              waits for the run to exit (SECONDS at most): RUN_RC, RUN_JSON
#   rj FILTER [JQ ARGS...]       jq -r FILTER on the run's report.json
#   pod_series ID KEY PHASE      the sum of pod ID's series KEY over the intervals of PHASE
#                                ("all": every interval)
#   client_start POD NAME ARGS...  fltconn in POD against the peer's port 8080 (ARGS: its own
#                                options), its lines in $TEST_TMP/NAME.conn
# shellcheck disable=SC2154 # lib.sh sets TEST_TMP, FAULTLINE, NODE_NS, ...

FLTCONN=$TOP/build/tools/fltconn
[ -x "$FLTCONN" ] || fail "$FLTCONN is missing: run make"

RUN_PID=""
RUN_DIR=""
RUN_NAME=""
RUN_RC=""
RUN_JSON=""

run_start() {
	RUN_NAME=$1
	local plan=$2
	shift 2
	RUN_DIR=$TEST_TMP/$RUN_NAME
	echo "\$ faultline run $(basename "$plan") --report $RUN_DIR $*"
	# nsenter execs timeout, which forwards SIGTERM to faultline and exits with its status.
	nsenter --net="/run/netns/$NODE_NS" -- timeout -k 10 600 "$FAULTLINE" run "$plan" \
		--report "$RUN_DIR" "$@" >"$TEST_TMP/$RUN_NAME.out" 2>"$TEST_TMP/$RUN_NAME.err" &
	RUN_PID=$!
}

run_wait_for() {
	local text=$1 limit=$2 i
	for ((i = 0; i < limit * 10; i++)); do
		grep -qsF -- "$text" "$TEST_TMP/$RUN_NAME.err" && return 0
		if ! kill -0 "$RUN_PID" 2>/dev/null; then
			show_lines "  err: " "$(cat "$TEST_TMP/$RUN_NAME.err")"
			fail "faultline run ($RUN_NAME): ended before it said '$text'"
		fi
		sleep 0.1
	done
	show_lines "  err: " "$(tail -n 8 "$TEST_TMP/$RUN_NAME.err")"
	fail "faultline run ($RUN_NAME): no '$text' within $limit s"
}

run_end() {
	local limit=$1 i
	for ((i = 0; i < limit * 10; i++)); do
		kill -0 "$RUN_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$RUN_PID" 2>/dev/null && fail "faultline run ($RUN_NAME): still running after $limit s"
	wait "$RUN_PID"
	RUN_RC=$?
	RUN_JSON=$RUN_DIR/report.json
	echo "  exit $RUN_RC"
	show_lines "  out: " "$(cat "$TEST_TMP/$RUN_NAME.out")"
	show_lines "  err: " "$(grep -v ' left ' "$TEST_TMP/$RUN_NAME.err")"
	[ -s "$RUN_JSON" ] || fail "faultline run ($RUN_NAME): no $RUN_JSON"
	jq -e . "$RUN_JSON" >/dev/null || fail "$RUN_JSON is not JSON"
	log "verdict: $(rj '.verdict.status + ": " + .verdict.message'); phases: $(rj '[.phases[] | "\(.name) \(.start_ms)-\(.end_ms)"] | join(", ")')"
}

rj() {
	local filter=$1
	shift
	jq -r "$@" "$filter" "$RUN_JSON"
}

pod_series() {
	rj '.pods[] | select(.id == $id) | .series as $s
		| [range(0; $s.t_ms | length) | select($ph == "all" or $s.phase[.] == $ph)
		   | $s[$key][.] // 0] | add // 0' --arg id "$1" --arg key "$2" --arg ph "$3"
}

client_start() {
	local pod=$1 name=$2
	shift 2
	bg in_pod "$pod" "$FLTCONN" "$SVC_IP4" 8080 "$@" >"$TEST_TMP/$name.conn" 2>&1
}
