#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# `faultline report RUN.json [-o FILE.html]` draws report.html from a report.json
# (docs/report.md), needing no privilege. On the fixtures tests/data/report-abort.json (an
# aborted run: a target whose connects fail in the fault phase, an observed control pod) and
# report-completed.json (a completed run with an untraced interface target), and on variants made
# from them with jq (an interrupted run without its recovery phase, empty series, a failed run
# with no phase, a bare {"report_version": 1}), the page is self-contained and draws without an
# error in headless chromium (report_common.sh: check_report_html; screenshots kept in
# build/artifacts). The default output is beside RUN.json (.json replaced by .html, or .html
# appended), -o names another; -j prints {"html": FILE}. A missing file, a file that is not JSON
# and a JSON document that is not a report exit 2 with a message naming the file, and write
# nothing.
# timeout: 300
# host only: the HTML is drawn the same on every kernel (and the VMs have no chromium)
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/state_common.sh
. "$(dirname "$0")/state_common.sh"
# shellcheck source=tests/integration/report_common.sh
. "$(dirname "$0")/report_common.sh"
declare -F check_report_html >/dev/null || fail "report_common.sh did not load"
need_setpriv

DATA=$TOP/tests/data
abort_target=$(jq -r '.pods[0].id' "$DATA/report-abort.json")
abort_observed=$(jq -r '.pods[1].id' "$DATA/report-abort.json")
done_target=$(jq -r '.pods[0].id' "$DATA/report-completed.json")
done_iface=$(jq -r '.pods[1].id' "$DATA/report-completed.json")

# The reports are read and drawn by nobody, in a folder of its own: no privilege is needed.
WORK=$TEST_TMP/reports
mkdir -p "$WORK" || fail "mkdir $WORK"
chown 65534:65534 "$WORK" || fail "chown $WORK"
cp "$DATA/report-abort.json" "$DATA/report-completed.json" "$WORK/" || fail "copying the fixtures"
chmod 644 "$WORK"/*.json || fail "chmod the fixtures"

# nobody_faultline ARGS...: faultline ARGS as nobody; sets FLT_RC, FLT_OUT, FLT_ERR.
nobody_faultline() {
	FLT_OUT=$(cd "$WORK" && as_nobody timeout 30 "$FAULTLINE" "$@" 2>"$TEST_TMP/report.stderr")
	FLT_RC=$?
	FLT_ERR=$(cat "$TEST_TMP/report.stderr")
	echo "\$ (as nobody) faultline $* -> exit $FLT_RC"
	show_lines "  out: " "$FLT_OUT"
	show_lines "  err: " "$FLT_ERR"
}

# --- the fixtures: default output path, and -o -------------------------------------------------

nobody_faultline report "$WORK/report-abort.json"
soft assert_eq "$FLT_RC" 0 "report report-abort.json: exit status"
soft assert_eq "$FLT_OUT" "wrote $WORK/report-abort.html" "report report-abort.json: what it says"
soft assert_eq "$(ls "$WORK")" "$(printf '%s\n' report-abort.html report-abort.json report-completed.json)" \
	"report report-abort.json: the page beside it, no temporary file left"

nobody_faultline -j report "$WORK/report-completed.json" -o "$WORK/done.html"
soft assert_eq "$FLT_RC" 0 "report -j report-completed.json -o done.html: exit status"
soft assert_eq "$(jq -c . <<<"$FLT_OUT")" "{\"html\":\"$WORK/done.html\"}" \
	"report -j -o done.html: {\"html\": FILE}"
soft assert_eq "$([ -e "$WORK/report-completed.html" ] && echo exists || echo absent)" absent \
	"report -o done.html: nothing written beside the report"

# drawn again over the old page: replaced whole
cp "$WORK/done.html" "$TEST_TMP/done-before.html"
nobody_faultline report "$WORK/report-completed.json" -o "$WORK/done.html"
soft assert_eq "$FLT_RC" 0 "report -o done.html again: exit status"
soft assert_eq "$(cmp -s "$WORK/done.html" "$TEST_TMP/done-before.html" && echo same || echo differs)" same \
	"the same report.json draws the same page"

# a path not ending .json gets .html appended
cp "$WORK/report-abort.json" "$WORK/run-1" && chmod 644 "$WORK/run-1"
nobody_faultline report run-1
soft assert_eq "$FLT_RC" 0 "report run-1: exit status"
soft assert_eq "$FLT_OUT" "wrote run-1.html" "report run-1: run-1.html"

# The embedded report can never close its <script> early: a string holding </script>.
jq '.plan.name = "x</script><script>window.bad = 1</script>" | .node.hostname = "<!-- a"' \
	"$DATA/report-abort.json" >"$WORK/evil.json" && chmod 644 "$WORK/evil.json"
nobody_faultline report "$WORK/evil.json"
soft assert_eq "$FLT_RC" 0 "report evil.json: exit status"
soft assert_eq "$(grep -c '</script><script>window.bad' "$WORK/evil.html")" 0 \
	"evil.json: no </script> of the data in the page"

check_report_html "$WORK/report-abort.html" report-abort "$abort_target" "$abort_observed" aborted \
	"abort condition fired" "tcp.connect.failed" "shop/checkout-7d9f4c $abort_target" \
	"named by shop/checkout-*"
check_report_html "$WORK/done.html" report-completed "$done_target" "$done_iface" completed \
	"not traced"
check_report_html "$WORK/evil.html" report-evil "x</script><script>window.bad = 1</script>"

# --- what an interrupted, a failed or an empty run draws ----------------------------------------

variant() {
	jq "$2" "$DATA/$3" >"$WORK/$1.json" || fail "jq for the variant $1"
	chmod 644 "$WORK/$1.json"
	nobody_faultline report "$WORK/$1.json"
	soft assert_eq "$FLT_RC" 0 "report $1.json: exit status"
}

# shellcheck disable=SC2016 # $s and $n are jq's
variant interrupted '.verdict.status = "interrupted" | .verdict.message = "interrupted by SIGINT in the fault phase: the plan was reverted"
	| .abort = null | .phases |= map(select(.name != "recovery"))
	| .pods[].phases |= del(.recovery)
	| .pods[].series |= (. as $s | ([$s.phase[] | . != "recovery"] | index(false)) as $n
		| with_entries(.value |= .[: $n]))
	| .verdict.pods[].figures[] |= (.recovery = null | .recovery_ratio = null)' report-completed.json
check_report_html "$WORK/interrupted.html" report-interrupted interrupted "$done_target" "$done_iface"

variant empty-series '.pods[].series |= map_values([])' report-abort.json
check_report_html "$WORK/empty-series.html" report-empty-series aborted "$abort_target" \
	"no intervals recorded"

variant failed '.verdict = {"status": "failed", "message": "the plan could not be applied: pod gone", "pods": []}
	| .abort = null | .phases = [] | .pods[].phases = {} | .pods[].series |= map_values([])
	| .pods[].faults = []' report-abort.json
check_report_html "$WORK/failed.html" report-failed failed "$abort_target" "no phase ran"

variant bare '{report_version: 1}' report-abort.json
check_report_html "$WORK/bare.html" report-bare unknown "the report has no pods"

# --- errors: exit 2, the file named, nothing written -----------------------------------------

nobody_faultline report "$WORK/missing.json"
soft assert_eq "$FLT_RC" 2 "report missing.json: exit status"
soft assert_contains "$FLT_ERR" "$WORK/missing.json: cannot read the report: No such file" \
	"report missing.json: names the file and the cause"

printf 'report_version: 1\n' >"$WORK/yaml.json"
nobody_faultline report "$WORK/yaml.json"
soft assert_eq "$FLT_RC" 2 "report yaml.json (not JSON): exit status"
soft assert_contains "$FLT_ERR" "$WORK/yaml.json: not a faultline report: not JSON" \
	"report yaml.json: names the file"

echo '{"report_version": 1}  {"another": 1}' >"$WORK/two.json"
nobody_faultline report "$WORK/two.json"
soft assert_eq "$FLT_RC" 2 "report two.json (two documents): exit status"
soft assert_contains "$FLT_ERR" "$WORK/two.json: not a faultline report: not JSON" \
	"report two.json: names the file"

jq '.spec = {}' "$TOP/tests/data/report-abort.json" | jq 'del(.report_version)' >"$WORK/plan.json"
nobody_faultline -j report "$WORK/plan.json"
soft assert_eq "$FLT_RC" 2 "report -j plan.json (JSON, not a report): exit status"
soft assert_eq "$(jq -r .error.message <<<"$FLT_OUT")" \
	"$WORK/plan.json: not a faultline report: no report_version" "report -j plan.json: the error"
soft assert_eq "$(jq -r .error.kind <<<"$FLT_OUT")" input "report -j plan.json: kind"

echo '{"report_version": 2}' >"$WORK/v2.json"
nobody_faultline report "$WORK/v2.json"
soft assert_eq "$FLT_RC" 2 "report v2.json: exit status"
soft assert_contains "$FLT_ERR" "$WORK/v2.json: not a faultline report: report_version is 2, not 1" \
	"report v2.json: says which version"

echo '[1, 2]' >"$WORK/array.json"
nobody_faultline report "$WORK/array.json"
soft assert_eq "$FLT_RC" 2 "report array.json: exit status"
soft assert_contains "$FLT_ERR" "$WORK/array.json: not a faultline report: a JSON array" \
	"report array.json: says what it is"
soft assert_eq "$(find "$WORK" -name '*.tmp' -o -regex '.*/\(missing\|yaml\|two\|plan\|v2\|array\)\.html' |
	wc -l)" 0 \
	"after the errors: no page and no temporary file written"

nobody_faultline report
soft assert_eq "$FLT_RC" 2 "report without a file: exit status"
soft assert_contains "$FLT_ERR" "report: expected one report file" "report without a file: usage"
nobody_faultline report a.json b.json
soft assert_eq "$FLT_RC" 2 "report with two files: exit status"

# A page that cannot be written (a folder nobody may write) is the system's failure: exit 1.
nobody_faultline report "$WORK/report-abort.json" -o /proc/faultline-report.html
soft assert_eq "$FLT_RC" 1 "report -o /proc/...: exit status"
soft assert_contains "$FLT_ERR" "/proc/faultline-report.html: cannot create the page" \
	"report -o /proc/...: names the page"
soft_done
