#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# faultline run: a blackhole on pod a's connects to the peer's port 8080, while a client in a and
# one in the control pod b (observed) each start a connect there every 100 ms (fltconn, 300 ms
# each).
#  - completed: baseline 3 s, fault 4 s, recovery 3 s. In report.json a's connects fail in the
#    fault phase (at least 10) and in no baseline interval; in recovery only the first interval
#    may hold the failures of connects that were in flight at the revert (at most 4: they time
#    out after it); b has connects in every phase and no failure; the blackhole's dropped
#    packets are at least a's failures; the verdict compares them; exit 0; report.html passes
#    the headless Chromium checks (report_common.sh); nothing of faultline's is left.
#  - aborted: the same blackhole for 20 s with abortWhen {target: a, metric: tcp.connect.failed,
#    above: 3, for: 1s}: exit 3, the report names the condition and its value, the plan was
#    reverted within one interval of the condition firing and every connect of a that started
#    2 s after the condition first held succeeded; the fault phase ended long before its 20 s.
#  - interrupted: SIGTERM in the fault phase of a 60 s plan: the run exits 1 within 5 s, the
#    report is written and marked interrupted, without a recovery phase; connects of a that
#    start 2 s after the signal succeed; no plan is left active.
#  - failed: pod c deleted during the baseline: the apply fails, the run exits 1 with the report
#    of its baseline, marked failed with apply's reason.
# host only: the runner is userspace over the tracer and the tc program, which test_trace_hooks, test_blackhole and test_run_delay cover in the VMs
# timeout: 400
# shellcheck source=tests/integration/lib.sh disable=SC2154 # pod_create sets a_uid, b_uid, ...
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/run_common.sh
. "$(dirname "$0")/run_common.sh"
# shellcheck source=tests/integration/report_common.sh
. "$(dirname "$0")/report_common.sh"

pod_create a
pod_create b
svc_serve tcp 8080

# blackhole_plan NAME DURATION [ABORT_YAML]: a's TCP to the peer's port 8080 blackholed, b
# observed.
blackhole_plan() {
	pod_a_plan "$1" "$2" "      match: {cidrs: [$SVC_IP4/32], protocol: tcp, ports: [8080]}
      blackhole: {}" "  observe: {pods: [$b_uid]}
${3:-}"
}

# conn_after NAME UNIX_MS: the results of the attempts of client NAME that started at or after
# UNIX_MS, one word each.
conn_after() {
	awk -v t="$2" '$1 >= t { print $2 }' "$TEST_TMP/$1.conn"
}

# assert_recovered NAME UNIX_MS WHAT: every attempt of client NAME from UNIX_MS on succeeded,
# and there were some.
assert_recovered() {
	local results i
	# the client's attempts up to a second past the time, at most 30 s from now
	for ((i = 0; i < 300; i++)); do
		[ -n "$(conn_after "$1" $(($2 + 1000)))" ] && break
		sleep 0.1
	done
	results=$(conn_after "$1" "$2" | grep -v '^stopped$')
	awk -v t="$2" '$1 >= t && $2 != "ok" && $2 != "stopped"' "$TEST_TMP/$1.conn" | head -n 5 |
		sed "s/^/  $1, failed after $2: /"
	assert_range "$(grep -c . <<<"$results")" 3 100000 "$3: connects of a started after that"
	assert_eq "$(grep -vc '^ok$' <<<"$results")" 0 "$3: connects of a started after that that failed"
}

assert_nothing_left() {
	run_faultline -j status
	assert_eq "$(jq -r '.plans | length' <<<"$FLT_OUT")" 0 "$1: active plans"
	assert_no_flt_objects "$1"
}

# --- completed ---------------------------------------------------------------------------------
client_start a a1 --every-ms 100 --timeout-ms 300 --seconds 40
client_start b b1 --every-ms 100 --timeout-ms 300 --seconds 40
run_start completed "$(blackhole_plan run-bh 4s)" --baseline 3s --recovery 3s
run_end 120
assert_eq "$RUN_RC" 0 "completed run: exit status"
assert_eq "$(rj .verdict.status)" completed "completed run: verdict.status"
assert_eq "$(rj '[.phases[].name] | join(",")')" baseline,fault,recovery "completed run: phases"
assert_eq "$(rj '.abort')" null "completed run: abort"
assert_eq "$(rj '[.pods[] | "\(.role):\(.id)"] | join(" ")')" "target:$a_uid observed:$b_uid" \
	"completed run: pods and roles"
assert_eq "$(pod_series "$a_uid" connect_failed baseline)" 0 "pod a: failed connects in the baseline"
fault_failed=$(pod_series "$a_uid" connect_failed fault)
assert_range "$fault_failed" 10 1000 "pod a: failed connects in the fault phase"
assert_eq "$(rj '.pods[0].phases.fault.tcp.connect.failed')" "$fault_failed" \
	"pod a: the fault phase's connect.failed, the sum of its intervals"
assert_range "$(rj '.pods[0].series as $s | [range(0; $s.t_ms | length) | select($s.phase[.] == "recovery")] | .[0] as $i | $s.connect_failed[$i]')" \
	0 4 "pod a: failed connects in the first recovery interval (in flight at the revert)"
assert_eq "$(rj '.pods[0].series as $s | [range(0; $s.t_ms | length) | select($s.phase[.] == "recovery")] | .[1:] | map($s.connect_failed[.]) | add // 0')" \
	0 "pod a: failed connects in the recovery intervals after the first"
for ph in baseline fault recovery; do
	assert_range "$(pod_series "$b_uid" connects "$ph")" 5 100000 "pod b (observed): connects in the $ph phase"
	assert_eq "$(pod_series "$b_uid" connect_failed "$ph")" 0 "pod b (observed): failed connects in the $ph phase"
done
assert_range "$(rj '.pods[0].faults[0].dropped_packets')" "$fault_failed" 100000 \
	"the blackhole's dropped packets, at least a's failed connects"
assert_range "$(pod_series "$a_uid" fault_dropped fault)" "$fault_failed" 100000 \
	"pod a: fault_dropped over the fault phase"
assert_eq "$(pod_series "$a_uid" fault_dropped baseline)" 0 "pod a: fault_dropped in the baseline"
assert_eq "$(rj '.verdict.pods[0].figures[] | select(.name == "tcp.connect.failed") | "\(.baseline) \(.fault >= 10) \(.fault_ratio)"')" \
	"0 true null" "verdict, pod a: tcp.connect.failed baseline, fault, ratio"
assert_eq "$(rj '.verdict.pods[1].figures[] | select(.name == "tcp.connect.failed") | "\(.baseline) \(.fault) \(.recovery)"')" \
	"0 0 0" "verdict, pod b: tcp.connect.failed in each phase"
completed_html=$RUN_DIR/report.html
assert_nothing_left "after the completed run"

# --- aborted -----------------------------------------------------------------------------------
client_start a a2 --every-ms 100 --timeout-ms 300 --seconds 40
run_start aborted "$(blackhole_plan run-abort 20s "  abortWhen:
    - {target: a, metric: tcp.connect.failed, above: 3, for: 1s}")" --baseline 2s --recovery 3s
run_end 120
assert_eq "$RUN_RC" 3 "aborted run: exit status"
assert_eq "$(rj .verdict.status)" aborted "aborted run: verdict.status"
assert_eq "$(rj '"\(.abort.condition) \(.abort.target) \(.abort.metric) \(.abort.above) \(.abort.value > 3)"')" \
	"0 a tcp.connect.failed 3 true" "aborted run: the condition that fired, and its value"
assert_range "$(rj '.abort.reverted_ms - .abort.fired_ms')" 0 1000 \
	"aborted run: ms from the condition firing to the plan reverted"
assert_range "$(rj '.phases[1].end_ms - .phases[1].start_ms')" 1 8000 \
	"aborted run: the fault phase's length (the plan's duration is 20 s)"
assert_eq "$(rj '[.phases[].name] | join(",")')" baseline,fault,recovery "aborted run: phases"
first_held=$(rj '.start_unix_ms + .abort.first_held_ms')
assert_recovered a2 $((first_held + 2000)) "aborted run: 2 s after the condition first held"
assert_nothing_left "after the aborted run"

# --- interrupted -------------------------------------------------------------------------------
client_start a a3 --every-ms 100 --timeout-ms 300 --seconds 60
run_start interrupted "$(blackhole_plan run-term 60s)" --baseline 1s --recovery 10s
run_wait_for "plan run-term applied" 90
run_wait_for "fault phase for" 30
killed=$(date +%s%3N)
kill -TERM "$RUN_PID"
run_end 15
ended=$(date +%s%3N)
assert_eq "$RUN_RC" 1 "interrupted run: exit status"
assert_range $((ended - killed)) 0 5000 "interrupted run: ms from SIGTERM to its exit"
assert_eq "$(rj .verdict.status)" interrupted "interrupted run: verdict.status"
assert_eq "$(rj '[.phases[].name] | join(",")')" baseline,fault "interrupted run: phases"
[ -s "$RUN_DIR/report.html" ] || fail "interrupted run: no report.html"
assert_nothing_left "after the interrupted run"
assert_recovered a3 $((killed + 2000)) "interrupted run: 2 s after SIGTERM"

# --- failed ------------------------------------------------------------------------------------
pod_create c
run_start failed "$(write_plan run-fail.yaml <<EOF
apiVersion: faultline/v1
kind: FaultPlan
metadata: {name: run-fail}
spec:
  duration: 10s
  targets:
    c: {pods: [$c_uid]}
  faults:
    - {name: c-down, target: c, blackhole: {}}
EOF
)" --baseline 3s --recovery 1s
run_wait_for "baseline phase for" 90
in_node "$SIMPOD" delete "$c_name" >/dev/null || fail "simpod delete $c_name"
run_end 60
assert_eq "$RUN_RC" 1 "failed run: exit status"
assert_eq "$(rj .verdict.status)" failed "failed run: verdict.status"
assert_match "$(rj .verdict.message)" "^the plan could not be applied: .*$c_uid" \
	"failed run: verdict.message"
assert_eq "$(rj '[.phases[].name] | join(",")')" baseline "failed run: phases"
[ -s "$RUN_DIR/report.html" ] || fail "failed run: no report.html"
assert_nothing_left "after the failed run"

# Last: without Chromium this part reports SKIP, after every check above has run.
check_report_html "$completed_html" run-completed "$a_uid" "$b_uid" completed
