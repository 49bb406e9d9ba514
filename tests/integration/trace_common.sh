# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
#
# Helpers of the `faultline trace` tests, sourced after lib.sh:
#
#   trace_start NAME ARGS...  `faultline -j trace ARGS...` in the node, in the background (stdout
#                             in $TEST_TMP/NAME.json, stderr in NAME.err); returns once it says
#                             "Tracing N target(s) ... Hit Ctrl-C to end." (TRACE_ATTACH_S at most)
#   trace_stop                SIGTERM to it; it must exit 0 within TRACE_STOP_S with one JSON
#                             document on stdout, which goes to TRACE_JSON
#   trace_summary JSON        a line per target of a trace's output, for the log
#   tj FILTER [JQ ARGS...]    jq -r FILTER on TRACE_JSON (--arg and the like after FILTER)
#   sc ID NAME FIELD          FIELD of syscall NAME of target ID ("absent" when the target has no
#                             such syscall; "no target" when the output has no target ID)
#   tcp ID PATH               .tcp.PATH of target ID ("no target" when there is none)
#   drops_total ID            the sum of target ID's drop counts
#   bucket_sum ID JQPATH      the sum of the counts of the buckets at JQPATH of target ID
#   wait_jobs SECONDS PID...  waits for background jobs, SECONDS at most in all; fails on a job
#                             that is still running then or that exited non-zero
#   assert_sleeps ID WHAT MS COUNT [OUT]   target ID made exactly COUNT clock_nanosleep calls of MS ms
#   ms_ns MS                  nanoseconds of MS ms
#
# Percentiles are the middle of the histogram bucket that holds the value of that rank
# (userspace/common/hist.h): within 1/16 of the true value either way (bpf/trace.h).
# shellcheck disable=SC2154 # lib.sh sets TEST_TMP, FAULTLINE, NODE_NS, ...

FLTSYS=$TOP/build/tools/fltsys
[ -x "$FLTSYS" ] || fail "$FLTSYS is missing: run make"

# Loading and attaching the tracer takes a second here, and much longer under qemu's TCG.
TRACE_ATTACH_S=90
TRACE_STOP_S=60
TRACE_PID=""
TRACE_OUT=""
TRACE_ERR=""
TRACE_JSON=""

trace_start() {
	local name=$1 i
	shift
	TRACE_OUT=$TEST_TMP/$name.json
	TRACE_ERR=$TEST_TMP/$name.err
	echo "\$ faultline -j trace $*"
	# nsenter execs timeout, which forwards SIGTERM to faultline and exits with its status.
	nsenter --net="/run/netns/$NODE_NS" -- timeout -k 10 600 "$FAULTLINE" -j trace "$@" \
		>"$TRACE_OUT" 2>"$TRACE_ERR" &
	TRACE_PID=$!
	for ((i = 0; i < TRACE_ATTACH_S * 10; i++)); do
		if grep -qs 'Hit Ctrl-C to end' "$TRACE_ERR"; then
			show_lines "  err: " "$(cat "$TRACE_ERR")"
			return 0
		fi
		if ! kill -0 "$TRACE_PID" 2>/dev/null; then
			wait "$TRACE_PID"
			echo "  exit $?"
			show_lines "  out: " "$(cat "$TRACE_OUT")"
			show_lines "  err: " "$(cat "$TRACE_ERR")"
			fail "faultline trace $*: ended before it said it was tracing"
		fi
		sleep 0.1
	done
	show_lines "  err: " "$(cat "$TRACE_ERR")"
	fail "faultline trace $*: not tracing after ${TRACE_ATTACH_S}s"
}

trace_stop() {
	local rc i
	kill -TERM "$TRACE_PID" 2>/dev/null
	for ((i = 0; i < TRACE_STOP_S * 10; i++)); do
		kill -0 "$TRACE_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$TRACE_PID" 2>/dev/null && fail "faultline trace: still running ${TRACE_STOP_S}s after SIGTERM"
	wait "$TRACE_PID"
	rc=$?
	TRACE_PID=""
	TRACE_JSON=$(cat "$TRACE_OUT")
	echo "faultline trace after SIGTERM -> exit $rc"
	trace_summary "$TRACE_JSON"
	show_lines "  err: " "$(grep -v 'Hit Ctrl-C to end' "$TRACE_ERR")"
	assert_eq "$rc" 0 "faultline trace: exit status after SIGTERM"
	assert_eq "$(jq -s length <<<"$TRACE_JSON" 2>&1)" 1 "faultline -j trace: JSON documents on stdout"
}

# trace_summary JSON: a line per target of a trace's output, for the log.
trace_summary() {
	jq -r '"  out: duration_ms \(.duration_ms) overflow \(.overflow)", (.targets[] |
		"  out: \(.kind) \(.id): syscalls \([.syscalls[] | "\(.name) \(.count)"][:4] | join(", "))" +
		(if (.syscalls | length) > 4 then ", ..." else "" end) +
		"; connect \(.tcp.connect.count) (\(.tcp.connect.failed) failed, p50 \(.tcp.connect.p50_ns) ns)" +
		"; rtt \(.tcp.rtt.count) (p50 \(.tcp.rtt.p50_ns) ns); retransmits \(.tcp.retransmits)" +
		"; drops \([.tcp.drops[] | "\(.reason) \(.count)"] | join(", "))")' <<<"$1" 2>&1
}

tj() {
	local filter=$1
	shift
	jq -r "$@" "$filter" <<<"$TRACE_JSON"
}

# The target ID's object, or the string "no target".
# shellcheck disable=SC2016 # $id is jq's
_tgt='(first(.targets[] | select(.id == $id)) // "no target")'

sc() {
	tj "$_tgt | if type == \"string\" then . else
		(first(.syscalls[] | select(.name == \$n)) // {}) | .[\$f] // \"absent\" end" \
		--arg id "$1" --arg n "$2" --arg f "$3"
}

tcp() {
	tj "$_tgt | if type == \"string\" then . else .tcp.$2 end" --arg id "$1"
}

drops_total() {
	tj "$_tgt | if type == \"string\" then . else [.tcp.drops[].count] | add // 0 end" --arg id "$1"
}

bucket_sum() {
	tj "$_tgt | if type == \"string\" then . else [$2.buckets[].count] | add // 0 end" --arg id "$1"
}

wait_jobs() {
	local deadline=$((SECONDS + $1)) pid rc
	shift
	for pid in "$@"; do
		while kill -0 "$pid" 2>/dev/null; do
			[ $SECONDS -lt $deadline ] || fail "a workload (pid $pid) still runs after its time limit"
			sleep 0.1
		done
		wait "$pid"
		rc=$?
		[ $rc -eq 0 ] || fail "a workload (pid $pid) exited with status $rc"
	done
}

ms_ns() {
	echo $(($1 * 1000000))
}

# How much later than its time a sleep may end: the timer's slack (50 us by default) and the wait
# for a CPU to return to user space on a loaded machine or in a TCG guest. For the median only.
SLACK_MS=2

# assert_sleeps ID WHAT MS COUNT [OUT]: target ID made exactly COUNT clock_nanosleep calls of MS
# ms, none failed, together at least COUNT x MS ms long; their median is at least MS ms (a relative
# sleep never ends early) less 1/16 (a percentile is its bucket's middle). OUT, fltsys's output,
# has the median of the calls as the sleeper timed them: on a loaded machine or under TCG a sleep
# lasts longer than asked, so the tracer's p50 must be within 1/8 of that (1/16 for the bucket, the
# rest for the call's entry and exit that the sleeper's clock sees and the tracer does not);
# without OUT, at most 1/8 above MS ms plus SLACK_MS.
assert_sleeps() {
	local id=$1 what=$2 ms=$3 count=$4 out=${5:-} p50 lo hi median
	assert_eq "$(sc "$id" clock_nanosleep count)" "$count" "$what: clock_nanosleep count"
	assert_eq "$(sc "$id" clock_nanosleep errors)" 0 "$what: clock_nanosleep errors"
	assert_eq "$(tj "$_tgt | [(.syscalls // [])[] | select(.name == \"clock_nanosleep\") |
		.buckets[].count] | add" --arg id "$id")" "$count" "$what: clock_nanosleep calls in the buckets"
	assert_range "$(sc "$id" clock_nanosleep total_ns)" $((count * $(ms_ns "$ms"))) \
		$((count * $(ms_ns $((ms + 10))))) "$what: clock_nanosleep total_ns (at least $count x $ms ms)"
	p50=$(sc "$id" clock_nanosleep p50_ns)
	lo=$(($(ms_ns "$ms") * 15 / 16))
	hi=$(( ($(ms_ns "$ms") + $(ms_ns $SLACK_MS)) * 9 / 8 ))
	if [ -n "$out" ]; then
		median=$(word 4 "$(cat "$out")")
		assert_range "$median" "$(ms_ns "$ms")" $((median + 1)) "$what: the sleeper's own median (ns)"
		lo=$((median * 7 / 8))
		hi=$((median * 9 / 8))
	fi
	assert_range "$p50" "$lo" "$hi" "$what: clock_nanosleep p50_ns ($ms ms)"
	assert_range "$(sc "$id" clock_nanosleep p99_ns)" "$p50" "$(sc "$id" clock_nanosleep max_ns)" \
		"$what: clock_nanosleep p99_ns between p50_ns and max_ns"
}
