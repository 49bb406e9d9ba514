#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# faultline agent on a plans directory laid out as a ConfigMap volume (entries are symlinks into
# ..data, a symlink to a timestamped folder that an update replaces by a rename), run with exactly
# the capabilities of deploy/daemonset.yaml: a plan file appearing is applied, a ..data swap
# replaces the old content by the new, an invalid file is reported once and the agent lives on,
# a file removed is reverted; each "within 2 s" is timed from the change to the effect. Then a
# content run to its end is not applied again, kill -9 and a restart adopt the active plan, SIGTERM
# reverts (and --on-exit keep does not), freeze reverts and refuses (an agent started while frozen
# too), the policy refuses a pod of a protected namespace, a plan for pods elsewhere is "not for
# this node" and no error.
# host only: the agent's logic is the same on every kernel; the kernel paths are the apply tests'
# timeout: 90
# shellcheck source=tests/integration/lib.sh disable=SC2154 # pod_create sets a_uid, a_veth, ...
. "$(dirname "$0")/lib.sh"

command -v setpriv >/dev/null || skip "setpriv is not installed (util-linux)"
CAPS=$("$TOP/tests/integration/manifest_caps.sh") || fail "manifest_caps.sh: no capability set"
log "the manifest's capabilities: $CAPS"

# Pods by name (kubelet's log folders, which simpod makes): a in shop, b in the protected
# kube-system.
pod_create a --namespace shop --name web-1
pod_create b --namespace kube-system --name coredns-1
svc_serve tcp 8080 8081
policy=$TEST_TMP/policy.yaml
cat >"$policy" <<EOF
protect:
  namespaces: [kube-system]
EOF

# --- the ConfigMap volume ----------------------------------------------------------------------

PLANS=$TEST_TMP/plans
mkdir -p "$PLANS"
CM_GEN=0

# cm_update FILE...: a new ..TIMESTAMP folder holding FILEs (from $TEST_TMP/src), ..data swapped
# to it by a rename, the entries' symlinks made or removed, the old folder removed: as kubelet
# does it.
cm_update() {
	local old new f
	old=$(readlink "$PLANS/..data" 2>/dev/null || true)
	CM_GEN=$((CM_GEN + 1))
	new=..2026_12_02_10_00_$(printf %02d $CM_GEN).000000000
	mkdir "$PLANS/$new"
	for f in "$@"; do
		cp "$TEST_TMP/src/$f" "$PLANS/$new/$f"
	done
	ln -s "$new" "$PLANS/..data_tmp"
	mv -T "$PLANS/..data_tmp" "$PLANS/..data"
	for f in "$@"; do
		[ -L "$PLANS/$f" ] || ln -s "..data/$f" "$PLANS/$f"
	done
	for f in "$PLANS"/*; do
		[ -L "$f" ] && [ ! -e "$f" ] && rm -f "$f"
	done
	[ -z "$old" ] || rm -rf "${PLANS:?}/$old"
}
mkdir -p "$TEST_TMP/src"
cm_update

# src_plan FILE NAME DURATION FAULT_LINES [POD]: a plan file for the ConfigMap.
src_plan() {
	cat >"$TEST_TMP/src/$1" <<EOF
apiVersion: faultline/v1
kind: FaultPlan
metadata: {name: $2}
spec:
  duration: $3
  targets:
    a: {pods: ["${5:-$a_uid}"]}
  faults:
    - name: $2
      target: a
      match: {cidrs: [$SVC_IP4/32], protocol: tcp, ports: [8080]}
$4
EOF
}

# --- the agent ---------------------------------------------------------------------------------

AGENT_PID=""
AGENT_LOG=""
HTTP_PORT=9464 # the node's own netns: no other listener there
AGENT_RUNS=0

# agent_start [ARGS...]: the agent in the node under the manifest's capabilities, JSON logs.
agent_start() {
	AGENT_RUNS=$((AGENT_RUNS + 1))
	AGENT_LOG=$TEST_TMP/agent-$AGENT_RUNS.log
	# nsenter and setpriv exec, not fork: $! is the agent itself
	nsenter --net="/run/netns/$NODE_NS" -- setpriv --bounding-set=-all,"$CAPS" -- \
		"$FAULTLINE" -j agent --plans "$PLANS" --policy "$policy" --interval 1s \
		--listen "127.0.0.1:$HTTP_PORT" "$@" \
		2>"$AGENT_LOG" &
	AGENT_PID=$!
	for _ in $(seq 100); do
		grep -q '"event":"started"' "$AGENT_LOG" && break
		kill -0 "$AGENT_PID" 2>/dev/null || { cat "$AGENT_LOG"; fail "the agent exited at start"; }
		sleep 0.05
	done
	grep -q '"event":"started"' "$AGENT_LOG" || { cat "$AGENT_LOG"; fail "the agent did not start"; }
	log "agent $AGENT_RUNS started (pid $AGENT_PID)"
}

# events EVENT [FILE]: the agent's log lines of EVENT (about FILE), in the current run's log.
events() {
	jq -c --arg e "$1" --arg f "${2:-}" \
		'select(.event == $e and ($f == "" or .file == $f))' "$AGENT_LOG" 2>/dev/null
}

# active_plans: the names of the active plans, space-separated, from faultline status -j.
active_plans() {
	faultline -j status | jq -r '[.plans[].name] | sort | join(" ")'
}

# within MS WHAT CMD...: until CMD succeeds (polled every 50 ms), at most MS; asserts it did and
# prints how long it took.
within() {
	local limit=$1 what=$2 start now
	shift 2
	start=$(date +%s%N)
	while :; do
		"$@" && break
		now=$(date +%s%N)
		if [ $(((now - start) / 1000000)) -ge "$limit" ]; then
			[ -z "$AGENT_LOG" ] || show_lines "  agent: " "$(tail -n 8 "$AGENT_LOG")"
			fail "$what: not within $limit ms"
		fi
		sleep 0.05
	done
	now=$(date +%s%N)
	echo "ok: $what (within $(((now - start) / 1000000)) ms, limit $limit)"
}

# http PATH: GET PATH from the agent, in the node.
http() { in_node curl -sf --max-time 5 "http://127.0.0.1:$HTTP_PORT$1"; }

# file_state FILE: its state in the agent's /status.
file_state() { http /status | jq -r --arg f "$PLANS/$1" '.files[] | select(.file == $f) | .state'; }

has_plans() { [ "$(active_plans)" = "$1" ]; }
has_event() { [ -n "$(events "$@")" ]; }

# connect_8080: "ok", "timeout" or the errno's name of a connect from pod a to the peer's 8080.
connect_8080() {
	in_pod a "$FLTNET" connect "$SVC_IP4" 8080 --timeout-ms 1000 |
		awk '{ print $1 == "error" ? $2 : $1 }'
}

caps_eff=$(awk '/^CapEff/ { print $2 }' "/proc/self/status")
agent_start
caps_agent=$(awk '/^CapEff/ { print $2 }' "/proc/$AGENT_PID/status")
assert_ne "$caps_agent" "$caps_eff" "the agent runs with fewer capabilities than the test"
caps_want=$(setpriv --bounding-set=-all,"$CAPS" -- awk '/^CapEff/ { print $2 }' /proc/self/status)
assert_eq "$caps_agent" "$caps_want" "the agent's capabilities are the manifest's"

# (a) a plan file appears: applied within 2 s
src_plan a.yaml bh-a 5m "      blackhole: {}"
assert_eq "$(connect_8080)" ok "before any plan: connect to port 8080"
cm_update a.yaml
within 2000 "(a) a.yaml appeared: plan bh-a active" has_plans bh-a
assert_eq "$(connect_8080)" timeout "(a) blackholed by the agent's plan: connect to port 8080"
assert_eq "$(in_pod a "$FLTNET" connect "$SVC_IP4" 8081 --timeout-ms 1000 | awk '{ print $1 }')" \
	ok "(a) port 8081 untouched"
assert_eq "$(events applied "$PLANS/a.yaml" | jq -r .plan)" bh-a "(a) log: applied"
assert_eq "$(http /healthz)" ok "(a) GET /healthz"
within 2000 "(a) GET /status: a.yaml active" test "$(file_state a.yaml)" = active
dropped=$(faultline -j status bh-a | jq -r '.plans[0].faults[0].targets[0].dropped_packets')
metric=$(http /metrics | grep '^faultline_fault_dropped_packets_total{' | grep 'plan="bh-a"')
assert_contains "$metric" "namespace=\"shop\",pod=\"web-1\"" \
	"(a) GET /metrics: the pod's namespace and name"
assert_range "$(awk '{ print $2 }' <<<"$metric")" 1 "$dropped" \
	"(a) GET /metrics: dropped packets (status -j: $dropped)"
tracer_up() { http /metrics | grep -qx 'faultline_tracer_up 1'; }
within 2500 "(a) GET /metrics: the tracer follows the plan's pod" tracer_up
assert_contains "$(http /metrics | grep '^faultline_tcp_connect_latency_seconds_count{')" \
	"pod_uid=\"$a_uid\"" "(a) GET /metrics: pod a's connect latency"

# (b) a ..data swap to a changed content: the old reverted, the new applied, within 2 s
src_plan a.yaml rj-a 5m "      reject: {errno: ECONNREFUSED}"
cm_update a.yaml
within 2000 "(b) ..data swapped: bh-a reverted, rj-a active" has_plans rj-a
assert_eq "$(connect_8080)" ECONNREFUSED "(b) rejected: connect to port 8080"
assert_eq "$(events reverted "$PLANS/a.yaml" | jq -r .plan)" bh-a "(b) log: bh-a reverted"

# (c) an invalid file: the agent lives on, the error with its position logged once
printf 'apiVersion: faultline/v1\nkind: FaultPlan\nmetadata: {name: bad}\n%b\n' \
	'spec:\n  duration: soon' >"$TEST_TMP/src/bad.yaml"
cm_update a.yaml bad.yaml
within 2000 "(c) bad.yaml: logged invalid" has_event invalid "$PLANS/bad.yaml"
reason=$(events invalid "$PLANS/bad.yaml" | jq -r .reason)
assert_match "$reason" "^$PLANS/bad.yaml:5:[0-9]+: spec.duration" \
	"(c) the reason has the file, line and column"
sleep 1.2 # an interval's rescan: not logged again
assert_eq "$(events invalid "$PLANS/bad.yaml" | wc -l)" 1 "(c) logged once"
kill -0 "$AGENT_PID" || fail "(c) the agent died"
echo "ok: (c) the agent is alive"
assert_eq "$(active_plans)" rj-a "(c) rj-a still active"
assert_eq "$(file_state bad.yaml)" invalid "(c) GET /status: bad.yaml invalid"
assert_eq "$(http /status | jq -r --arg f "$PLANS/bad.yaml" \
	'.files[] | select(.file == $f) | .reason')" "$reason" "(c) GET /status: the reason, positioned"
assert_match "$(http /metrics | grep '^faultline_plan_errors_total{reason="invalid"}')" " 1$" \
	"(c) GET /metrics: one invalid plan counted"

# (i) a plan naming a pod of a protected namespace: refused by the policy
src_plan p.yaml prot 5m "      blackhole: {}" kube-system/coredns-1
cm_update a.yaml bad.yaml p.yaml
within 2000 "(i) p.yaml: logged refused" has_event refused "$PLANS/p.yaml"
assert_contains "$(events refused "$PLANS/p.yaml" | jq -r .reason)" protect.namespaces \
	"(i) the reason names the policy's rule"

# (j) a plan whose pods are elsewhere (no log folder of theirs on this node): not for this node,
# not an error
errors_before=$(http /metrics | grep '^faultline_plan_errors_total{')
src_plan n.yaml away 5m "      blackhole: {}" shop/elsewhere-1
cm_update a.yaml bad.yaml p.yaml n.yaml
within 2000 "(j) n.yaml: logged not-for-node" has_event not-for-node "$PLANS/n.yaml"
assert_contains "$(events not-for-node "$PLANS/n.yaml" | jq -r .reason)" shop/elsewhere-1 \
	"(j) the reason names the pod"
assert_eq "$(file_state n.yaml)" not-for-node "(j) GET /status: n.yaml not-for-node"
assert_eq "$(http /metrics | grep '^faultline_plan_errors_total{')" "$errors_before" \
	"(j) GET /metrics: no error counted"
assert_eq "$(active_plans)" rj-a "(j) nothing else applied"

# (d) the file removed: reverted within 2 s
cm_update bad.yaml p.yaml
within 2000 "(d) a.yaml removed: rj-a reverted" has_plans ""
assert_eq "$(connect_8080)" ok "(d) after the revert: connect to port 8080"

# (f) a content run to its end is not applied again
src_plan e.yaml short 3s "      blackhole: {}"
cm_update bad.yaml p.yaml e.yaml
within 2000 "(f) e.yaml: plan short active" has_plans short
within 5000 "(f) plan short expired (log)" has_event expired "$PLANS/e.yaml"
sleep 1.2
assert_eq "$(active_plans)" "" "(f) the expired content is not applied again"
assert_eq "$(events applied "$PLANS/e.yaml" | wc -l)" 1 "(f) applied once"

# (e) kill -9 with a plan active, then a restart: adopted, not applied again
src_plan c.yaml bh-c 5m "      blackhole: {}"
cm_update bad.yaml p.yaml e.yaml c.yaml
within 2000 "(e) c.yaml: plan bh-c active" has_plans bh-c
applied_before=$(faultline -j status bh-c | jq -r '.plans[0].applied_unix_ms')
kill -KILL "$AGENT_PID"
wait "$AGENT_PID" 2>/dev/null
agent_start
within 2000 "(e) after the restart: bh-c adopted (log)" has_event adopted "$PLANS/c.yaml"
assert_eq "$(active_plans)" bh-c "(e) one plan active"
assert_eq "$(faultline -j status bh-c | jq -r '.plans[0].applied_unix_ms')" "$applied_before" \
	"(e) applied_unix_ms unchanged"
assert_eq "$(events applied | wc -l)" 0 "(e) nothing applied again"
assert_eq "$(events expired "$PLANS/e.yaml" | jq -r .plan)" short \
	"(f) after the restart too, the expired content is left"
assert_eq "$(connect_8080)" timeout "(e) bh-c still blackholes"

# (g) SIGTERM: the agent's plans reverted within 1 s, exit 0
start=$(date +%s%N)
kill -TERM "$AGENT_PID"
wait "$AGENT_PID"
rc=$?
took=$((($(date +%s%N) - start) / 1000000))
assert_eq "$rc" 0 "(g) SIGTERM: exit status"
assert_range "$took" 0 1000 "(g) SIGTERM: ms until the agent exited"
assert_eq "$(active_plans)" "" "(g) SIGTERM: bh-c reverted"
assert_eq "$(events reverted "$PLANS/c.yaml" | jq -r .plan)" bh-c "(g) log: bh-c reverted"

# (g) --on-exit keep: the plan stays until its deadline
agent_start --on-exit keep
src_plan k.yaml keep-a 5m "      blackhole: {}"
cm_update bad.yaml p.yaml e.yaml c.yaml k.yaml
within 2000 "(g) k.yaml: plan keep-a active" has_plans keep-a
kill -TERM "$AGENT_PID"
wait "$AGENT_PID"
assert_eq "$?" 0 "(g) --on-exit keep, SIGTERM: exit status"
assert_eq "$(active_plans)" keep-a "(g) --on-exit keep: keep-a left active"
assert_range "$(faultline -j status keep-a | jq -r '.plans[0].remaining_ms')" 1 300000 \
	"(g) --on-exit keep: keep-a's remaining ms"
revert_plan keep-a

# (h) freeze while the agent runs: its plan reverted, a new file refused
agent_start
src_plan h1.yaml fr-a 5m "      blackhole: {}"
cm_update bad.yaml p.yaml e.yaml c.yaml k.yaml h1.yaml
within 2000 "(h) h1.yaml: plan fr-a active" has_plans fr-a
run_faultline freeze
assert_eq "$FLT_RC" 0 "(h) faultline freeze: exit status"
assert_eq "$(active_plans)" "" "(h) frozen: fr-a reverted"
within 2000 "(h) the agent saw fr-a reverted (log)" has_event reverted "$PLANS/h1.yaml"
assert_eq "$(events reverted "$PLANS/h1.yaml" | jq -r .by)" "another process" \
	"(h) log: reverted by another process"
src_plan h2.yaml fr-b 5m "      blackhole: {}"
cm_update bad.yaml p.yaml e.yaml c.yaml k.yaml h1.yaml h2.yaml
within 2000 "(h) h2.yaml while frozen: logged refused" has_event refused "$PLANS/h2.yaml"
assert_contains "$(events refused "$PLANS/h2.yaml" | jq -r .reason)" frozen \
	"(h) the reason names the freeze"
assert_eq "$(active_plans)" "" "(h) nothing applied while frozen"
# the freeze outlives the agent: one started later refuses h2.yaml again
kill -TERM "$AGENT_PID"
wait "$AGENT_PID"
assert_eq "$?" 0 "(h) SIGTERM while frozen: exit status"
agent_start
within 2000 "(h) after a restart, still frozen: h2.yaml refused (log)" has_event refused "$PLANS/h2.yaml"
assert_contains "$(events refused "$PLANS/h2.yaml" | jq -r .reason)" frozen \
	"(h) after the restart: the reason names the freeze"
assert_eq "$(http /status | jq -r .frozen)" true "(h) after the restart: GET /status frozen"
assert_eq "$(active_plans)" "" "(h) after the restart: nothing applied"
run_faultline unfreeze
assert_eq "$FLT_RC" 0 "(h) faultline unfreeze: exit status"

kill -TERM "$AGENT_PID"
wait "$AGENT_PID"
assert_eq "$?" 0 "the last agent: exit status"
assert_eq "$(active_plans)" "" "no plan left"
assert_no_tc_faultline "$a_veth" "after the agents"
# The agent's memory of contents applied is a pinned map of the state store, meant to outlive
# agents: everything else must be gone.
for _ in $(seq 30); do
	left=$(flt_objects | grep -v ' flt_agent_seen$' || true)
	[ -n "$left" ] || break
	sleep 0.1
done
assert_eq "$left" "" "after the agents: faultline's BPF objects but the seen memory"
