#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The agent's /metrics text passes Prometheus' own checker: tests/unit/test_metrics renders a view
# with a plan on a pod and a cgroup and a traced pod (syscalls, connects, RTT, drops) into
# $METRICS_OUT, and `promtool check metrics` must accept it without a single lint complaint
# (counter names, units, HELP, histogram buckets). No kernel is involved.
# timeout: 60
# host only: it checks the text format alone, the same on every kernel
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

UNIT=$TOP/build/tests/unit/test_metrics
command -v promtool >/dev/null || skip "promtool is not installed (Debian's prometheus package)"
[ -x "$UNIT" ] || fail "$UNIT is missing: run make tests-build"

out=$TEST_TMP/metrics.txt
METRICS_OUT=$out "$UNIT" >"$TEST_TMP/unit.log" 2>&1 ||
	{ cat "$TEST_TMP/unit.log"; fail "test_metrics failed"; }
[ -s "$out" ] || fail "test_metrics wrote nothing to METRICS_OUT"
assert_range "$(grep -c '^# TYPE faultline_' "$out")" 15 100 "metric families rendered"
assert_contains "$(cat "$out")" 'faultline_syscall_latency_seconds_bucket{' "a syscall histogram"

check=$(promtool check metrics <"$out" 2>&1)
rc=$?
show_lines "  promtool: " "$check"
assert_eq "$rc" 0 "promtool check metrics exit status"
assert_eq "$check" "" "promtool check metrics complaints"

# The checker does complain when it should: a counter without _total is refused.
bad=$(sed 's/faultline_tcp_retransmits_total/faultline_tcp_retransmits/g' "$out" |
	promtool check metrics 2>&1)
assert_contains "$bad" '_total' "promtool's complaint about a counter without _total"
