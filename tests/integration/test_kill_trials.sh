#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Dying at any instant: SIGKILL at a random time, FAULTLINE_KILL_TRIALS times (default 10) each, to
#  - `faultline apply PLAN`, after a delay drawn uniformly from [0, the time a whole apply takes
#    here] (measured first);
#  - `faultline revert NAME` of a plan applied whole, the same way;
#  - `faultline agent --plans DIR` while it applies a plan file that appeared (even trials) or
#    reverts one that went (odd trials), the delay drawn from the time the agent takes for that.
# The plan (a blackhole on the peer's TCP port 8080 and a reject on 8081, for pod a) lasts 1 s.
# After each kill, with no faultline command run since (a connect that the reject answers at once
# tells whether the fault still acts: counted, at least one trial must leave it acting):
#  (a) at the kill + the plan's duration + 1 s (its deadline + 1 s or later) no faultline
#      process runs and both ports connect: the kernel ended the fault by itself;
#  (b) then `faultline revert NAME` (even trials) or `faultline status`'s expiry sweep (odd)
#      leaves the pins, tc's view of the pod's veth, its cgroup's programs, the IFBs and the
#      flt_* BPF objects as they were before the trials;
#  (c) a new apply of the same plan succeeds and its revert leaves all that as before too.
# Every assertion names the trial and its kill time. The seed is printed: FAULTLINE_KILL_SEED
# replays the same kill times. test_kill_apply.sh kills apply at chosen syscalls instead.
# timeout: 240
# host only: the kill points are the same code on every kernel; test_kill_apply covers them there
# shellcheck source=tests/integration/lib.sh disable=SC2154 # pod_create sets a_uid, a_veth, ...
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/state_common.sh
. "$(dirname "$0")/state_common.sh"
# shellcheck source=tests/integration/kill_common.sh
. "$(dirname "$0")/kill_common.sh"

trials=${FAULTLINE_KILL_TRIALS:-10}
[[ "$trials" =~ ^[1-9][0-9]*$ ]] || fail "FAULTLINE_KILL_TRIALS must be a number, not '$trials'"
seed=${FAULTLINE_KILL_SEED:-$(($(date +%s%N) % 2147483648))}
[[ "$seed" =~ ^[0-9]+$ ]] || fail "FAULTLINE_KILL_SEED must be a number, not '$seed'"
RANDOM=$seed
log "seed $seed: FAULTLINE_KILL_SEED=$seed replays these kill times; $trials trials each"
PLAN_MS=1000

pod_create a
svc_serve tcp 8080 8081
plans=$TEST_TMP/plans
mkdir -p "$plans"

# trial_plan N: the plan file of trial N (a comment makes each trial's content new to the agent,
# which applies a content once); prints its path.
trial_plan() {
	blackhole_reject_plan "trial-$1.yaml" trial "${PLAN_MS}ms" "trial $1"
}

# random_upto N: an integer drawn uniformly from [0, N].
random_upto() {
	echo $((((RANDOM << 15) | RANDOM) % ($1 + 1)))
}

# sleep_ms MS: a read with a timeout on a pipe that no one writes to (this shell holds its write
# end): a sleep without a fork, so that a kill drawn a few ms into a run comes then.
exec {NAP_FD}<> <(:)
sleep_ms() {
	read -r -t "$(($1 / 1000)).$(printf %03d $(($1 % 1000)))" -u "$NAP_FD" _
}

# start_faultline ARGS...: faultline ARGS in the node in the background; FLT_PID is faultline's
# own PID (nsenter execs it), its output goes to $TEST_TMP/bg.out.
start_faultline() {
	nsenter --net="/run/netns/$NODE_NS" -- "$FAULTLINE" "$@" >"$TEST_TMP/bg.out" 2>&1 &
	FLT_PID=$!
}

# kill_after MS: SIGKILL to FLT_PID MS ms from now; sets KILLED_MS (when it was sent) and
# KILL_RC (the exit status: 137 when the kill came before the end).
kill_after() {
	sleep_ms "$1"
	kill -KILL "$FLT_PID" 2>/dev/null
	clock_us
	KILLED_MS=$((CLOCK_US / 1000))
	wait "$FLT_PID"
	KILL_RC=$?
}

# clock_us: sets CLOCK_US to the wall clock in us without a fork (now_ms forks date, which
# takes as long as a whole revert).
clock_us() {
	CLOCK_US=${EPOCHREALTIME//[!0-9]/}
}

# timed_ms CMD...: how long CMD took, in ms, rounded up (CMD must succeed).
timed_ms() {
	local t0
	clock_us
	t0=$CLOCK_US
	"$@" >"$TEST_TMP/timed.out" 2>&1 || fail "$*: $(cat "$TEST_TMP/timed.out")"
	clock_us
	echo $(((CLOCK_US - t0 + 999) / 1000))
}

# until_log EVENT [SECONDS]: true once the agent's log has an EVENT line (10 s at most).
until_log() {
	local end=$((SECONDS + ${2:-10}))
	while [ $SECONDS -le "$end" ]; do
		grep -Eq "\"event\": ?\"$1\"" "$TEST_TMP/agent.log" && return 0
		sleep 0.01
	done
	return 1
}

# start_agent: the agent on $plans, started (its "started" line logged); FLT_PID is its PID.
start_agent() {
	nsenter --net="/run/netns/$NODE_NS" -- "$FAULTLINE" -j agent --plans "$plans" \
		>/dev/null 2>"$TEST_TMP/agent.log" &
	FLT_PID=$!
	until_log started || fail "the agent did not start: $(cat "$TEST_TMP/agent.log")"
}

# ms_until_log EVENT: ms from now until the agent logs EVENT.
ms_until_log() {
	local t0
	clock_us
	t0=$CLOCK_US
	until_log "$1" || fail "the agent never logged $1: $(cat "$TEST_TMP/agent.log")"
	clock_us
	echo $(((CLOCK_US - t0 + 999) / 1000))
}

# fault_live: true when the plan's reject acts on pod a's connects at this moment (it answers at
# once either way); counts it in LIVE. A trial whose kill left the fault acting tests the
# kernel's deadline; one killed before the attach only the clean-up.
LIVE=0
fault_live() {
	local out
	out=$(in_pod a "$FLTNET" connect "$SVC_IP4" 8081 --timeout-ms 1000)
	[ "$(word 1 "$out") $(word 2 "$out")" = "error ECONNREFUSED" ] || return 1
	LIVE=$((LIVE + 1))
}

# fault_over AT: (a), at KILLED_MS + the plan's duration + 1 s.
fault_over() {
	local out
	sleep_until_ms $((KILLED_MS + PLAN_MS + 1000))
	soft assert_eq "$(faultline_running && echo running)" "" \
		"$1: deadline + 1 s: faultline processes"
	out=$(in_pod a "$FLTNET" connect "$SVC_IP4" 8080 --timeout-ms 1000)
	soft assert_eq "$(word 1 "$out")" ok "$1: deadline + 1 s: connect to the blackholed port 8080"
	out=$(in_pod a "$FLTNET" connect "$SVC_IP4" 8081 --timeout-ms 1000)
	soft assert_eq "$(word 1 "$out")" ok "$1: deadline + 1 s: connect to the rejected port 8081"
}

# trial_end I AT PLAN: (a), (b) and (c) of trial I (0-based); what a failed trial left is
# cleared so that the next trial is not blamed for it.
trial_end() {
	local fails_before=$SOFT_FAILS
	if fault_live; then
		log "$2: the fault acts after the kill"
	else
		log "$2: the fault does not act after the kill"
	fi
	fault_over "$2"
	if [ $(($1 % 2)) -eq 0 ]; then
		kill_after_revert "$2" trial "$state_before" "$a_veth" "$a_cg"
	else
		kill_after_sweep "$2" "$state_before" "$a_veth" "$a_cg"
	fi
	kill_fresh_apply "$2" "$3" trial "$state_before" "$a_veth" "$a_cg"
	if [ "$SOFT_FAILS" -ne "$fails_before" ]; then
		faultline revert --all >/dev/null 2>&1
		in_node tc qdisc del dev "$a_veth" clsact 2>/dev/null
	fi
	log "$2: checked $(($(now_ms) - KILLED_MS)) ms after the kill"
}

# killed_report KIND N: N of the trials were killed before the end (at least a quarter of them:
# a kill drawn near the end comes after it), and in how many the fault still acted after the kill.
killed_report() {
	log "$1: $2 of $trials trials killed before the end, the others had ended; the fault acted after the kill in $((LIVE - LIVE_BEFORE)) of them"
	LIVE_BEFORE=$LIVE
	soft assert_range "$2" $(((trials + 3) / 4)) "$trials" "$1: trials killed before the end"
}

# --- measurements ------------------------------------------------------------------------------

plan=$(trial_plan 0)
apply_ms=0 revert_ms=0
for _ in 1 2 3; do
	ms=$(timed_ms nsenter --net="/run/netns/$NODE_NS" -- "$FAULTLINE" apply "$plan")
	[ "$ms" -le "$apply_ms" ] || apply_ms=$ms
	ms=$(timed_ms nsenter --net="/run/netns/$NODE_NS" -- "$FAULTLINE" revert trial)
	[ "$ms" -le "$revert_ms" ] || revert_ms=$ms
done
apply_plan "$plan"
out=$(in_pod a "$FLTNET" connect "$SVC_IP4" 8080 --timeout-ms 500)
assert_eq "$(word 1 "$out")" timeout "the plan applied: connect to the blackholed port 8080"
out=$(in_pod a "$FLTNET" connect "$SVC_IP4" 8081 --timeout-ms 1000)
assert_eq "$(word 1 "$out") $(word 2 "$out")" "error ECONNREFUSED" \
	"the plan applied: connect to the rejected port 8081"
revert_plan trial

# The agent remembers the contents it applied in a pin (agent_seen): the state to come back to
# is the one after an agent has run.
start_agent
cp "$plan" "$TEST_TMP/plan.tmp" && mv "$TEST_TMP/plan.tmp" "$plans/trial.yaml"
agent_apply_ms=$(ms_until_log applied)
rm "$plans/trial.yaml"
agent_revert_ms=$(ms_until_log reverted)
kill -TERM "$FLT_PID"
wait "$FLT_PID"
assert_eq "$?" 0 "the measuring agent's exit status at SIGTERM"
# Its tracer's programs and maps go once the kernel has freed them (RCU-deferred).
for _ in $(seq 50); do
	state_before=$(kill_state "$a_veth" "$a_cg")
	[[ "$state_before" == *" flt_tr_"* ]] || break
	sleep 0.1
done
assert_not_contains "$state_before" " flt_tr_" "the measuring agent's tracer is gone"
show_lines "  before: " "$state_before"
log "a whole run here: apply ${apply_ms} ms, revert ${revert_ms} ms; the agent: apply ${agent_apply_ms} ms after a file appears, revert ${agent_revert_ms} ms after it goes"

# --- apply and revert --------------------------------------------------------------------------

LIVE_BEFORE=0

# cli_trials apply|revert WHOLE_MS: the trials of that command, killed within WHOLE_MS (a whole
# run of it); a revert's plan is applied whole first.
cli_trials() {
	local i plan delay at killed=0
	for ((i = 0; i < trials; i++)); do
		plan=$(trial_plan $((i + 1)))
		delay=$(random_upto "$2")
		at="$1 trial $((i + 1))/$trials (SIGKILL at $delay of $2 ms)"
		if [ "$1" = revert ]; then
			run_faultline apply "$plan"
			soft assert_eq "$FLT_RC" 0 "$at: apply before the revert: exit status"
			start_faultline revert trial
		else
			start_faultline apply "$plan"
		fi
		kill_after "$delay"
		[ "$KILL_RC" -eq 137 ] && killed=$((killed + 1))
		log "$at: exit $KILL_RC"
		trial_end "$i" "$at" "$plan"
	done
	killed_report "$1" "$killed"
}
cli_trials apply "$apply_ms"
cli_trials revert "$revert_ms"

# --- the agent ---------------------------------------------------------------------------------

killed=0
for ((i = 0; i < trials; i++)); do
	plan=$(trial_plan $((trials + i + 1)))
	start_agent
	cp "$plan" "$TEST_TMP/plan.tmp" && mv "$TEST_TMP/plan.tmp" "$plans/trial.yaml"
	if [ $((i % 2)) -eq 0 ]; then
		delay=$(random_upto "$agent_apply_ms")
		at="agent trial $((i + 1))/$trials (SIGKILL $delay of $agent_apply_ms ms after the file appeared)"
		kill_after "$delay"
		grep -Eq '"event": ?"applied"' "$TEST_TMP/agent.log" || killed=$((killed + 1))
	else
		until_log applied || fail "the agent did not apply trial-$((trials + i + 1)).yaml: $(cat "$TEST_TMP/agent.log")"
		delay=$(random_upto "$agent_revert_ms")
		at="agent trial $((i + 1))/$trials (SIGKILL $delay of $agent_revert_ms ms after the file went)"
		rm "$plans/trial.yaml"
		kill_after "$delay"
		grep -Eq '"event": ?"reverted"' "$TEST_TMP/agent.log" || killed=$((killed + 1))
	fi
	rm -f "$plans/trial.yaml"
	soft assert_eq "$KILL_RC" 137 "$at: the agent's exit status"
	log "$at: the agent $(grep -Eo '"event": ?"[a-z-]+"' "$TEST_TMP/agent.log" | tail -n 1)"
	trial_end "$i" "$at" "$plan"
done
killed_report "agent (before its log line)" "$killed"
# The kernel's deadline was put to the test at least once: a fault acted after its process died.
assert_range "$LIVE" 1 $((3 * trials)) "trials after which the fault acted with no process left"
soft_done
