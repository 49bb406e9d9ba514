#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Deadlines are enforced by the BPF programs: a plan with an 8 s duration faults traffic until its
# deadline and has no effect at all 1 s after it, with no faultline process running in between
# (only a status, just after apply, to read the deadline). The next faultline command sweeps the
# expired plan, and nothing of it remains.
#
# What is asserted is what the kernel promises, not how soon a busy machine gets the shell to a
# check: a check of the active plan counts only when it ended before the deadline, so that every
# packet it sent met an active rule; one that ended later proves nothing and is only logged. The
# checks of the expired plan start 1 s after the deadline, or later when the shell is slow. The
# plan lasts 8 s so that some checks end before its deadline under qemu's TCG too (with 3 s, on a
# loaded 2-core machine running both VMs, apply and status left no time for any on 6.1).
# shellcheck source=tests/integration/lib.sh disable=SC2154 # pod_create sets a_uid, a_veth, ...
. "$(dirname "$0")/lib.sh"

pod_create a
svc_serve tcp 8080 8081 udp 7000

plan=$(write_plan expiry.yaml <<EOF
apiVersion: faultline/v1
kind: FaultPlan
metadata:
  name: short
spec:
  duration: 8s
  targets:
    app:
      pods: [$a_uid]
  faults:
    - name: tcp-down
      target: app
      match: {cidrs: [$SVC_IP4/32], protocol: tcp, ports: [8080]}
      blackhole: {}
    - name: udp-gone
      target: app
      match: {cidrs: [$SVC_IP4/32], protocol: udp, ports: [7000]}
      loss: {percent: 100}
    - name: refused
      target: app
      match: {cidrs: [$SVC_IP4/32], protocol: tcp, ports: [8081]}
      reject: {errno: ECONNREFUSED}
EOF
)
apply_plan "$plan"

# now_ms: sets NOW_MS to CLOCK_REALTIME in ms, without a fork.
now_ms() {
	local us=${EPOCHREALTIME//[!0-9]/}
	NOW_MS=$((us / 1000))
}

# sleep_until MS: returns once CLOCK_REALTIME in ms is MS or later.
sleep_until() {
	local ms
	now_ms
	ms=$(($1 - NOW_MS))
	[ "$ms" -le 0 ] || sleep "$((ms / 1000)).$(printf %03d $((ms % 1000)))"
}

# The deadline in CLOCK_REALTIME, the clock of $EPOCHREALTIME: apply notes the time as
# applied_unix_ms (in whole ms) just after it set the rules' deadline to CLOCK_MONOTONIC now +
# duration (bpf_ktime_get_ns() is what the programs compare it with). A status before the
# deadline sweeps nothing; the margin covers the ms rounding and the moment between the two clocks.
st=$(faultline -j status short | jq -r '.plans[] | select(.name == "short")
	| "\(.applied_unix_ms) \(.duration_ms)"')
assert_match "$st" '^[0-9]+ 8000$' "status just after apply: applied_unix_ms, duration_ms"
deadline_ms=$(($(word 1 "$st") + $(word 2 "$st")))
DEADLINE_MARGIN_MS=10

# while_active WHAT N WANT FLTNET-ARGS...: fltnet in pod a; when it ended before the deadline, word
# N of its output must be WANT.
counted=0
while_active() {
	local what=$1 n=$2 want=$3 out
	shift 3
	out=$(in_pod a "$FLTNET" "$@")
	now_ms
	if [ "$NOW_MS" -lt $((deadline_ms - DEADLINE_MARGIN_MS)) ]; then
		assert_eq "$(word "$n" "$out")" "$want" \
			"while active (ended $((deadline_ms - NOW_MS)) ms before the deadline): $what"
		counted=$((counted + 1))
	else
		log "not counted: $what ended $((NOW_MS - deadline_ms)) ms after the deadline ($out)"
	fi
}
while_active "connect to port 8081" 2 ECONNREFUSED connect "$SVC_IP4" 8081 --timeout-ms 500
while_active "connect to port 8080" 1 timeout connect "$SVC_IP4" 8080 --timeout-ms 500
while_active "UDP echoes received of 50" 4 0 udp "$SVC_IP4" 7000 --count 50 --wait-ms 200
# Once more as late as can still count: a deadline enforced early fails this one.
sleep_until $((deadline_ms - 500))
while_active "connect to port 8081 just before the deadline" 2 ECONNREFUSED \
	connect "$SVC_IP4" 8081 --timeout-ms 200
[ "$counted" -gt 0 ] || fail "no check ended before the deadline: none showed the faults active"

faultline_running && fail "a faultline process is running after apply returned"
echo "ok: no faultline process runs"
sleep_until $((deadline_ms + 1000))
faultline_running && fail "a faultline process ran during the wait"

# Not swept yet (its pins are all there): only the programs' own deadline checks make these pass.
pins=$(find "$FAULTLINE_PIN_DIR" -mindepth 1 ! -type d | wc -l)
assert_range "$pins" 1 1000 "1 s after the deadline: the plan's pins, not swept yet"
out=$(in_pod a "$FLTNET" connect "$SVC_IP4" 8080 --timeout-ms 1000)
assert_eq "$(word 1 "$out")" ok "1 s after the deadline: connect to port 8080"
out=$(in_pod a "$FLTNET" connect "$SVC_IP4" 8081 --timeout-ms 1000)
assert_eq "$(word 1 "$out")" ok "1 s after the deadline: connect to port 8081"
out=$(in_pod a "$FLTNET" udp "$SVC_IP4" 7000 --count 200 --interval-us 1000)
assert_eq "$(word 4 "$out")" 200 "1 s after the deadline: UDP echoes received of 200"

# Any faultline command sweeps the expired plan first.
run_faultline status
assert_eq "$FLT_RC" 0 "faultline status exit status"
assert_eq "$(faultline -j status | jq -c '.plans')" "[]" "status -j after the sweep: plans"
assert_no_flt_objects "after the sweep"
assert_no_tc_faultline "$a_veth" "after the sweep"
assert_no_cgroup_progs "$a_cg" "after the sweep"
assert_pin_dir_empty "after the sweep"
