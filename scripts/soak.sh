#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The soak (make soak; root, the host's kernel): faultline applied and reverted for a long time
# under load, then checked for anything left behind. In a world of its own made by
# tests/integration/lib.sh (a node netns with pods a, b, c, a cgroup, the peer "svc"):
#  1. SOAK_CYCLES (default 1000) apply/revert cycles, one plan per cycle in turn: pod a
#     (blackhole, reject, loss), the cgroup (blackhole, reject, loss), pod b's netns (blackhole,
#     loss), pod c's host veth as an interface (blackhole, loss), and, where the kernel has the
#     qdisc, delay and rate (edt: fq) and a netem delay (netem, prio) on pod a; what the kernel
#     lacks is named and left out. iperf3 runs through every target the whole time (the plans
#     lose 1% of its packets) and must still run at the end.
#  2. the agent for SOAK_AGENT_SECONDS (default 600) on a plans folder where plan files are
#     added, changed and removed every 0.5 s, some of them short enough to expire; /metrics is
#     scraped every second and every scrape must answer 200 with a whole document. The agent's
#     VmRSS and open fds are sampled each second: after SOAK_WARMUP_SECONDS (default 60) its RSS
#     may grow by less than 1 MiB (the least RSS of the last 30 s against that of the warm-up's
#     last 30 s), and so may its fds not (the same way).
#  3. tests/integration/test_kill_trials.sh with FAULTLINE_KILL_TRIALS=SOAK_KILL_TRIALS (default
#     100; 0: not run).
# After 1 and 2: no BPF program, map or link of faultline (bpftool), pin, qdisc, tc filter, IFB or
# cgroup attachment (bpftool cgroup tree) other than before, but the agent's agent_seen pin.
# Prints the figures (cycles/s, the agent's RSS and fds, scrapes and their latency p50/p99) and
# exits non-zero on any failure. SIGTERM and SIGINT stop it, cleaning up everything.
# Usage: scripts/soak.sh   (make soak; SOAK_CYCLES, SOAK_AGENT_SECONDS, SOAK_WARMUP_SECONDS,
#        SOAK_KILL_TRIALS)
# shellcheck disable=SC2154 # lib.sh's pod_create sets a_uid, a_veth, b_ns, ...
set -u
SOAK_DIR=$(cd "$(dirname "$0")" && pwd)
cycles=${SOAK_CYCLES:-1000}
agent_seconds=${SOAK_AGENT_SECONDS:-600}
warmup_seconds=${SOAK_WARMUP_SECONDS:-60}
kill_trials=${SOAK_KILL_TRIALS:-100}
for v in cycles agent_seconds warmup_seconds kill_trials; do
	[[ "${!v}" =~ ^[0-9]+$ ]] || { echo "scripts/soak.sh: $v must be a whole number, not '${!v}'" >&2; exit 2; }
done
# The floors compared are the least of 30 s, taken once the agent has applied a few plans.
[ "$agent_seconds" -eq 0 ] || { [ "$warmup_seconds" -ge 30 ] && [ "$agent_seconds" -ge $((warmup_seconds + 30)) ]; } ||
	{ echo "scripts/soak.sh: SOAK_WARMUP_SECONDS must be 30 or more, and SOAK_AGENT_SECONDS 30 more than it" >&2; exit 2; }
needs=(iperf3)
[ "$agent_seconds" -eq 0 ] || needs+=(curl) # the scrapes
for t in "${needs[@]}"; do
	command -v "$t" >/dev/null || { echo "scripts/soak.sh: $t is not installed" >&2; exit 1; }
done

# shellcheck source=tests/integration/lib.sh
. "$SOAK_DIR/../tests/integration/lib.sh"
# shellcheck source=tests/integration/state_common.sh
. "$SOAK_DIR/../tests/integration/state_common.sh"

# What a failure needs looked at stays after the run: the agent's log, its samples, iperf3's and
# the kill trials' output.
LOG_DIR=$TOP/build/soak
rm -rf "$LOG_DIR"
mkdir -p "$LOG_DIR" || fail "mkdir $LOG_DIR"
log "logs in $LOG_DIR"

pod_create a
pod_create b
pod_create c
cg=$(cgroup_make "$CGROUP_ROOT/soak-cg")
cg_rel=${cg#"$CGROUP_MOUNT"}
svc_serve tcp 8080 8081

# --- the state to come back to -----------------------------------------------------------------

# soak_state: pins, every qdisc, tc filter and BPF attachment of the node and of pod b's netns
# (the netns target), the IFBs, the programs under the test's cgroups, faultline's BPF objects.
soak_state() {
	local dev ns
	echo "pins:"
	pin_listing
	for ns in "$NODE_NS" "$b_ns"; do
		echo "netns $ns:"
		nsenter --net="/run/netns/$ns" tc qdisc show
		for dev in $(nsenter --net="/run/netns/$ns" ip -o link show | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }'); do
			nsenter --net="/run/netns/$ns" tc filter show dev "$dev" ingress
			nsenter --net="/run/netns/$ns" tc filter show dev "$dev" egress
		done
		nsenter --net="/run/netns/$ns" bpftool net show
		nsenter --net="/run/netns/$ns" ip -o link show type ifb | awk '{ print "ifb", $2 }'
	done
	echo "cgroup programs:"
	bpftool cgroup tree "$CGROUP_MOUNT$CGROUP_ROOT" 2>&1
	echo "bpf objects:"
	flt_objects
}

# soak_check WHAT: soak_state is as it was at the start (freeing is RCU-deferred: a few s), but
# the agent's agent_seen pin and map.
soak_check() {
	local now
	for _ in $(seq 50); do
		now=$(soak_state | grep -v -e '^f agent_seen$' -e ' flt_agent_seen$')
		[ "$now" != "$state_before" ] || break
		sleep 0.1
	done
	[ "$now" = "$state_before" ] ||
		soft fail "$1: left behind (< before, > now): $(diff <(echo "$state_before") <(echo "$now") | grep '^[<>]' | tr '\n' ' ')"
	[ "$now" != "$state_before" ] || echo "ok: $1: no program, map, link, pin, qdisc, filter, IFB or cgroup attachment left"
}

state_before=$(soak_state)

# soak_exit: the kill trials, when they run, are ended first and given the time their own clean-up
# takes (lib.sh's cleanup gives what this shell started 3 s after SIGTERM), then lib.sh's cleanup.
trials_pid=""
soak_exit() {
	local rc=$?
	if [ -n "$trials_pid" ]; then
		kill -TERM "$trials_pid" 2>/dev/null
		timeout 60 tail --pid="$trials_pid" -f /dev/null
	fi
	(exit $rc)
	cleanup
}
trap soak_exit EXIT

# --- iperf3 through every target ---------------------------------------------------------------

IPERF_PORT=5201
iperf_clients=(a b c cg)
for i in "${!iperf_clients[@]}"; do
	bg in_svc iperf3 -s -p $((IPERF_PORT + i)) >>"$LOG_DIR/iperf3-server.log" 2>&1
	wait_listening "$SVC_NS" tcp $((IPERF_PORT + i))
done
# iperf_start: a 20 Mbit/s client from each target, for far longer than the soak.
iperf_start() {
	local i who
	for i in "${!iperf_clients[@]}"; do
		who=${iperf_clients[$i]}
		if [ "$who" = cg ]; then
			bg in_cgroup "$cg" iperf3 -c "$SVC_IP4" -p $((IPERF_PORT + i)) -b 20M -t 86400 \
				>"$LOG_DIR/iperf3-$who.log" 2>&1
		else
			bg in_pod "$who" iperf3 -c "$SVC_IP4" -p $((IPERF_PORT + i)) -b 20M -t 86400 \
				>"$LOG_DIR/iperf3-$who.log" 2>&1
		fi
	done
}
# iperf_alive WHAT: every client still runs: its server's port has an established connection.
iperf_alive() {
	local i n
	for i in "${!iperf_clients[@]}"; do
		n=$(in_svc ss -Htn state established "sport = :$((IPERF_PORT + i))" | wc -l)
		soft assert_range "$n" 1 100 "$1: iperf3 connections from ${iperf_clients[$i]}"
	done
}
# iperf_connected: wait up to 20 s (a loaded VM under TCG can take seconds to start a client)
# until every client's server port has an established connection.
iperf_connected() {
	local i deadline=$((SECONDS + 20))
	for i in "${!iperf_clients[@]}"; do
		while [ "$(in_svc ss -Htn state established "sport = :$((IPERF_PORT + i))" | wc -l)" -eq 0 ] &&
			[ "$SECONDS" -lt "$deadline" ]; do
			sleep 0.2
		done
	done
}
iperf_start
iperf_connected
iperf_alive "iperf3 started"

# --- the plans ---------------------------------------------------------------------------------

# plan NAME TARGET-KIND TARGET FAULTS: a plan file (its path printed) of one target, "t", and
# FAULTS: YAML lines of spec.faults.
plan() {
	write_plan "$1.yaml" <<EOF
apiVersion: faultline/v1
kind: FaultPlan
metadata: {name: $1}
spec:
  duration: 10m
  targets:
    t: {$2: [$3]}
  faults:
$4
EOF
}
# faults DIRECTION PEER IPERF [reject]: blackhole and reject on port 8080 and 8081 of PEER (a
# CIDR), 1% loss of iperf3's packets (the faults named iperf-* match iperf3's traffic), which
# IPERF selects further (YAML fields after the CIDR). An interface's peer is the far side of the
# packets it carries: for the host end of pod c's veth, pod c, whose iperf3 ports are ephemeral.
faults() {
	echo "    - {name: down, target: t, direction: $1, match: {cidrs: [$2], protocol: tcp, ports: [8080]}, blackhole: {}}"
	echo "    - {name: iperf-loss, target: t, direction: $1, match: {cidrs: [$2], protocol: tcp$3}, loss: {percent: 1}}"
	[ "${4:-}" != reject ] ||
		echo "    - {name: refused, target: t, match: {cidrs: [$2], protocol: tcp, ports: [8081]}, reject: {errno: ECONNREFUSED}}"
}
iperf_ports=", ports: [\"$IPERF_PORT-$((IPERF_PORT + 3))\"]"
plans=(
	"$(plan soak-pod pods "$a_uid" "$(faults egress "$SVC_IP4/32" "$iperf_ports" reject)")"
	"$(plan soak-cgroup cgroups "$cg_rel" "$(faults egress "$SVC_IP4/32" "$iperf_ports" reject)")"
	"$(plan soak-netns netns "/run/netns/$b_ns" "$(faults egress "$SVC_IP4/32" "$iperf_ports")")"
	"$(plan soak-iface interfaces "$c_veth" "$(faults both "$c_ip4/32" "")")"
)
left_out=()
iperf_match="match: {cidrs: [$SVC_IP4/32], protocol: tcp, ports: [$IPERF_PORT]}"
if has_feature fq; then
	plans+=("$(plan soak-edt pods "$a_uid" "    - {name: iperf-delay, target: t, backend: edt, direction: both, $iperf_match, delay: {time: 2ms}}
    - {name: iperf-rate, target: t, backend: edt, $iperf_match, rate: {bandwidth: 50mbit}}")")
else
	left_out+=("delay and rate with the edt backend (fq: $(probe_feature fq why))")
fi
if has_feature netem && has_feature prio; then
	plans+=("$(plan soak-netem pods "$a_uid" "    - {name: iperf-netem, target: t, backend: netem, $iperf_match, delay: {time: 2ms}, rate: {bandwidth: 50mbit}}")")
else
	left_out+=("delay and rate with the netem backend (netem: $(probe_feature netem why); prio: $(probe_feature prio why))")
fi
for what in "${left_out[@]}"; do
	log "left out, this kernel lacks it: $what"
done

# --- 1. apply/revert cycles --------------------------------------------------------------------

cycle_fails=0
t0=$(now_ms)
for ((i = 0; i < cycles; i++)); do
	p=${plans[$((i % ${#plans[@]}))]}
	name=$(basename "$p" .yaml)
	if ! out=$(faultline apply "$p" 2>&1); then
		cycle_fails=$((cycle_fails + 1))
		echo "FAIL: cycle $((i + 1)): apply $name: $out"
	fi
	if [ "$i" -lt ${#plans[@]} ]; then
		sleep 0.5
		through=$(faultline -j status "$name" | jq '[.plans[].faults[] | select(.name | startswith("iperf"))
			| .targets[].matched_packets] | add // 0')
		soft assert_range "$through" 1 1000000000 "$name: iperf3's packets its faults matched in 0.5 s"
	fi
	if ! out=$(faultline revert "$name" 2>&1); then
		cycle_fails=$((cycle_fails + 1))
		echo "FAIL: cycle $((i + 1)): revert $name: $out"
	fi
	if [ $(((i + 1) % 100)) -eq 0 ]; then
		log "cycle $((i + 1))/$cycles: $(((i + 1) * 1000 / ($(now_ms) - t0 + 1))) cycles/s"
		soak_check "after cycle $((i + 1))"
	fi
done
cycles_ms=$(($(now_ms) - t0))
soft assert_eq "$cycle_fails" 0 "apply/revert cycles that failed"
[ "$cycles" -eq 0 ] || log "figure: $cycles apply/revert cycles over ${#plans[@]} plans in $((cycles_ms / 1000)) s: $(awk -v n="$cycles" -v ms="$cycles_ms" 'BEGIN { printf "%.1f", n * 1000 / ms }') cycles/s"
iperf_alive "after the cycles"
soak_check "after the cycles"

# --- 2. the agent ------------------------------------------------------------------------------

agent_dir=$TEST_TMP/agent-plans
mkdir -p "$agent_dir"
AGENT_PORT=19465
AGENT_URL=http://127.0.0.1:$AGENT_PORT

# churn: forever, every 0.5 s, one of the files of the agent's folder added, changed or removed,
# in turn; each content is new (a comment with its number: the agent applies a content once), and
# lasts 1 to 7 s: a file changes every 2 s, so those of 1 s expire first.
churn() {
	local n=0 f src p
	while :; do
		n=$((n + 1))
		src=${plans[$((n % 4))]}
		f=$agent_dir/$(basename "$src")
		if [ -e "$f" ] && [ $((n % 3)) -eq 0 ]; then
			rm -f "$f"
		else
			p=$TEST_TMP/churn.yaml
			{
				echo "# churn $n"
				sed "s/^  duration: .*/  duration: $((n % 7 + 1))s/" "$src"
			} >"$p"
			mv "$p" "$f"
		fi
		sleep 0.5
	done
}

if [ "$agent_seconds" -gt 0 ]; then
	bg in_node "$FAULTLINE" agent --plans "$agent_dir" --listen "127.0.0.1:$AGENT_PORT" \
		>"$TEST_TMP/agent.out" 2>"$LOG_DIR/agent.log"
	for _ in $(seq 100); do
		in_node curl -sf --max-time 1 "$AGENT_URL/healthz" >/dev/null && break
		sleep 0.1
	done
	agent_pid=$(pgrep -f -x "$FAULTLINE agent --plans $agent_dir --listen 127.0.0.1:$AGENT_PORT" | head -n 1)
	[ -n "$agent_pid" ] || fail "the agent did not start: $(cat "$LOG_DIR/agent.log")"
	churn &
	churner=$!

	# Each second: the agent's VmRSS (kB) and fds, then one scrape: "SECOND RSS FDS CODE MS WHOLE".
	: >"$LOG_DIR/agent-samples"
	start=$SECONDS
	while [ $((SECONDS - start)) -lt "$agent_seconds" ]; do
		tick=$(now_ms)
		rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$agent_pid/status" 2>/dev/null)
		fds=$(find "/proc/$agent_pid/fd" -mindepth 1 2>/dev/null | wc -l)
		[ -n "$rss" ] || fail "the agent (pid $agent_pid) died: $(tail -n 5 "$LOG_DIR/agent.log")"
		res=$(in_node curl -s -o "$TEST_TMP/scrape" -w '%{http_code} %{time_total}' --max-time 5 \
			"$AGENT_URL/metrics")
		whole=0
		grep -q '^# TYPE faultline_drops_total counter$' "$TEST_TMP/scrape" 2>/dev/null &&
			[ -z "$(tail -c 1 "$TEST_TMP/scrape" | tr -d '\n')" ] && whole=1
		echo "$((SECONDS - start)) $rss $fds $(word 1 "$res") $(awk -v s="$(word 2 "$res")" 'BEGIN { printf "%.1f", s * 1000 }') $whole" >>"$LOG_DIR/agent-samples"
		sleep_until_ms $((tick + 1000))
	done
	kill "$churner"
	wait "$churner" 2>/dev/null

	scrapes=$(wc -l <"$LOG_DIR/agent-samples")
	good=$(awk '$4 == 200 && $6 == 1' "$LOG_DIR/agent-samples" | wc -l)
	soft assert_eq "$good" "$scrapes" "scrapes answered 200 with a whole document"
	read -r p50 p99 max_ms < <(awk '{ print $5 }' "$LOG_DIR/agent-samples" | sort -n |
		awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)], v[int((NR * 99 + 99) / 100)], v[NR] }')
	# The least RSS and fd count of the warm-up's last 30 s and of the last 30 s: an apply's
	# buffers and fds come and go (from 12 fds to 60 and back here), what a leak raises is the
	# floor. And the most of each after the warm-up.
	read -r rss_warm fds_warm < <(awk -v w="$warmup_seconds" '$1 < w && $1 >= w - 30' "$LOG_DIR/agent-samples" |
		awk 'NR == 1 || $2 < r { r = $2 } NR == 1 || $3 < f { f = $3 } END { print r, f }')
	read -r rss_end fds_end < <(tail -n 30 "$LOG_DIR/agent-samples" |
		awk 'NR == 1 || $2 < r { r = $2 } NR == 1 || $3 < f { f = $3 } END { print r, f }')
	read -r rss_after_max fds_after_max < <(awk -v w="$warmup_seconds" '$1 >= w && $2 > r { r = $2 }
		$1 >= w && $3 > f { f = $3 } END { print r, f }' "$LOG_DIR/agent-samples")
	applies=$(grep -c ' applied from ' "$LOG_DIR/agent.log")
	# A change every 0.5 s, two in three of them a new content: the agent kept applying.
	soft assert_range "$applies" $((agent_seconds / 2)) 1000000 "plan files the agent applied"
	log "figure: agent $agent_seconds s, $applies applies, $(grep -c ' reverted' "$LOG_DIR/agent.log") reverts, $(grep -c ' expired' "$LOG_DIR/agent.log") expiries logged; $scrapes scrapes, $good answered 200 whole, latency p50 $p50 ms, p99 $p99 ms, max $max_ms ms"
	log "figure: agent VmRSS $rss_warm kB at the end of the ${warmup_seconds}s warm-up, $rss_end kB at the end (least of 30 s each), at most $rss_after_max kB after the warm-up; fds $fds_warm and $fds_end (least of 30 s each), at most $fds_after_max after the warm-up"
	soft assert_range $((rss_end - rss_warm)) -1000000 1023 "agent RSS growth after the warm-up (kB)"
	soft assert_range "$fds_end" 0 "$fds_warm" "agent fds at the end (least of 30 s), at most those of the warm-up's end"

	kill -TERM "$agent_pid"
	for _ in $(seq 100); do
		kill -0 "$agent_pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$agent_pid" 2>/dev/null && soft fail "the agent still runs 10 s after SIGTERM"
	rm -f "$agent_dir"/*
	soak_check "after the agent"
	iperf_alive "after the agent"
fi

# --- 3. the kill trials ------------------------------------------------------------------------

if [ "$kill_trials" -gt 0 ]; then
	log "test_kill_trials.sh with FAULTLINE_KILL_TRIALS=$kill_trials"
	t0=$(now_ms)
	# In the background, so that a SIGTERM to the soak is taken at once: soak_exit stops it.
	FAULTLINE_KILL_TRIALS=$kill_trials "$TOP/tests/integration/test_kill_trials.sh" \
		>"$LOG_DIR/kill-trials.log" 2>&1 &
	trials_pid=$!
	wait "$trials_pid"
	rc=$?
	trials_pid=""
	grep -E '^(FAIL|# seed|# a whole run|# [a-z ()]+: [0-9]+ of)' "$LOG_DIR/kill-trials.log"
	soft assert_eq "$rc" 0 "test_kill_trials.sh with $kill_trials trials each: exit status"
	log "figure: $((3 * kill_trials)) kill trials in $((($(now_ms) - t0) / 1000)) s"
fi
soft_done
