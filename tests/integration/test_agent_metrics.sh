#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The agent's /metrics scraped by a real Prometheus (Debian's package). The agent, in the node,
# applies a blackhole plan file on pod a (shop/checkout-1 where simpod can name pods) and the pod's
# connects to the peer's blackholed port are dropped; Prometheus scrapes the agent every second,
# and a query through its HTTP API returns the pod's dropped-packet counter equal to what
# `faultline status -j` says, labelled with the pod's namespace and name. promtool accepts a live
# scrape; 50 concurrent scrapes while plan files come and go are all answered 200 with a whole
# document; /healthz, /status and the error paths answer as docs/agent-metrics.md says.
# timeout: 120
# host only: Prometheus and the HTTP server do not depend on the kernel; the agent's own tests
# cover it in the VMs
# shellcheck source=tests/integration/lib.sh disable=SC2154 # pod_create sets a_uid, ...
. "$(dirname "$0")/lib.sh"

for t in prometheus promtool curl; do
	command -v "$t" >/dev/null || skip "$t is not installed (Debian's prometheus and curl)"
done
# The node netns is the test's own: nothing else listens on its loopback.
AGENT_PORT=19464
PROM_PORT=19090
AGENT_URL=http://127.0.0.1:$AGENT_PORT
PROM_URL=http://127.0.0.1:$PROM_PORT

want_ns="" want_pod=""
if "$SIMPOD" --help 2>&1 | grep -q -- '--namespace'; then
	want_ns=shop want_pod=checkout-1
	pod_create a --namespace "$want_ns" --name "$want_pod"
else
	log "simpod cannot name pods yet: the labels namespace and pod are checked empty"
	pod_create a
fi
pod_create b
svc_serve tcp 8080 8081

plans=$TEST_TMP/plans
mkdir -p "$plans"

# http GET PATH: "CODE CONTENT-TYPE" of a GET of the agent's PATH; the body in $TEST_TMP/body.
http() {
	in_node curl -s -o "$TEST_TMP/body" -w '%{http_code} %{content_type}' --max-time 10 \
		-X "${2:-GET}" "$AGENT_URL$1"
}

# until_true SECONDS CMD...: CMD every 0.1 s until it succeeds (true) or SECONDS pass (false).
until_true() {
	local end=$((SECONDS + $1))
	shift
	while [ $SECONDS -le $end ]; do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

plan_active() {
	[ "$(faultline -j status | jq -r --arg p "$1" '[.plans[] | select(.name == $p)] | length')" = 1 ]
}

plan_gone() {
	! plan_active "$1"
}

# --- the agent and Prometheus ------------------------------------------------------------------

bg in_node "$FAULTLINE" agent --plans "$plans" --listen "127.0.0.1:$AGENT_PORT" \
	>"$TEST_TMP/agent.out" 2>"$TEST_TMP/agent.log"
healthy() { [ "$(http /healthz)" = "200 text/plain; charset=utf-8" ]; }
until_true 10 healthy || { cat "$TEST_TMP/agent.log"; fail "the agent's /healthz never answered 200"; }
echo "ok: agent /healthz 200"

cat >"$TEST_TMP/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: faultline
    static_configs:
      - targets: ['127.0.0.1:$AGENT_PORT']
EOF
bg in_node prometheus --config.file="$TEST_TMP/prometheus.yml" \
	--storage.tsdb.path="$TEST_TMP/prometheus" --web.listen-address="127.0.0.1:$PROM_PORT" \
	>"$TEST_TMP/prometheus.log" 2>&1
prom_ready() { in_node curl -sf --max-time 2 "$PROM_URL/-/ready" >/dev/null; }
until_true 30 prom_ready || { tail -20 "$TEST_TMP/prometheus.log"; fail "prometheus never became ready"; }
echo "ok: prometheus ready"

# --- a plan file, its traffic, its counter through Prometheus ----------------------------------

cat >"$TEST_TMP/bh.yaml" <<EOF
apiVersion: faultline/v1
kind: FaultPlan
metadata: {name: bh-metrics}
spec:
  duration: 5m
  targets:
    app: {pods: [$a_uid]}
  faults:
    - name: svc-8080-down
      target: app
      match: {cidrs: [$SVC_IP4/32], protocol: tcp, ports: [8080]}
      blackhole: {}
EOF
mv "$TEST_TMP/bh.yaml" "$plans/bh.yaml" # a file appears whole, as a ConfigMap's do
until_true 5 plan_active bh-metrics || { cat "$TEST_TMP/agent.log"; fail "the agent did not apply bh.yaml"; }
echo "ok: bh.yaml applied by the agent"

out=$(in_pod a "$FLTNET" connect "$SVC_IP4" 8080 --timeout-ms 1500)
assert_eq "$(word 1 "$out")" timeout "blackholed: connect to port 8080"
# The connect has ended: nothing more is sent to port 8080, the counter stays where it is.
dropped=$(counter bh-metrics svc-8080-down "$a_uid" dropped_packets)
assert_range "$dropped" 1 1000 "status -j: dropped_packets of pod a"
st_ns=$(faultline -j status bh-metrics | jq -r --arg id "$a_uid" \
	'.plans[0].faults[0].targets[] | select(.id == $id) | .namespace // ""')
st_pod=$(faultline -j status bh-metrics | jq -r --arg id "$a_uid" \
	'.plans[0].faults[0].targets[] | select(.id == $id) | .pod // ""')
assert_eq "$st_ns/$st_pod" "$want_ns/$want_pod" "status -j: namespace/pod of pod a"

# prom_query QUERY: the JSON answer of Prometheus' instant query API.
prom_query() {
	in_node curl -s --max-time 5 "$PROM_URL/api/v1/query" --data-urlencode "query=$1"
}
prom_value() {
	prom_query "faultline_fault_dropped_packets_total{pod_uid=\"$a_uid\"}" |
		jq -r '.data.result[0].value[1] // ""'
}
prom_has() { [ "$(prom_value)" = "$dropped" ]; }
until_true 15 prom_has || fail "prometheus: dropped counter of pod a: got '$(prom_value)', want $dropped"
answer=$(prom_query "faultline_fault_dropped_packets_total{pod_uid=\"$a_uid\"}")
assert_eq "$(jq -r '.data.result | length' <<<"$answer")" 1 "prometheus: series of pod a"
assert_eq "$(jq -r '.data.result[0].value[1]' <<<"$answer")" "$dropped" \
	"prometheus: dropped packets of pod a = status -j"
assert_eq "$(jq -r '.data.result[0].metric | "\(.namespace // "")/\(.pod // "")"' <<<"$answer")" \
	"$want_ns/$want_pod" "prometheus: namespace/pod labels of pod a"
assert_eq "$(jq -r '.data.result[0].metric | "\(.plan)/\(.fault)/\(.target)"' <<<"$answer")" \
	"bh-metrics/svc-8080-down/$a_uid" "prometheus: plan/fault/target labels"
up=$(prom_query 'faultline_plan_active{plan="bh-metrics"}' | jq -r '.data.result[0].value[1]')
assert_eq "$up" 1 "prometheus: faultline_plan_active of bh-metrics"

# --- the documents -----------------------------------------------------------------------------

assert_eq "$(http /metrics)" "200 text/plain; version=0.0.4; charset=utf-8" "GET /metrics"
check=$(promtool check metrics <"$TEST_TMP/body" 2>&1)
rc=$?
show_lines "  promtool: " "$check"
assert_eq "$rc" 0 "promtool check metrics on a live scrape: exit status"
assert_eq "$check" "" "promtool check metrics on a live scrape: complaints"
assert_contains "$(cat "$TEST_TMP/body")" "faultline_plan_errors_total{reason=\"invalid\"}" \
	"live scrape: the error reasons"
# The tracer's figures for the pod the plan targets, when the tracer runs on this kernel.
if grep -q '^faultline_tracer_up 1$' "$TEST_TMP/body"; then
	assert_contains "$(cat "$TEST_TMP/body")" \
		"faultline_tcp_connect_failures_total{pod_uid=\"$a_uid\",namespace=\"$want_ns\",pod=\"$want_pod\"}" \
		"live scrape: the tracer's connect failures of pod a"
	assert_contains "$(cat "$TEST_TMP/body")" \
		"faultline_syscall_latency_seconds_count{pod_uid=\"$a_uid\"" \
		"live scrape: the tracer's syscall latency of pod a"
else
	log "faultline_tracer_up is not 1: no tracer figures to check"
fi
assert_eq "$(http /status)" "200 application/json" "GET /status"
assert_eq "$(jq -r '[.plans[] | select(.name == "bh-metrics")] | length' "$TEST_TMP/body")" 1 \
	"GET /status: plan bh-metrics"
assert_eq "$(word 1 "$(http /nope)")" 404 "GET /nope"
assert_eq "$(word 1 "$(http /metrics POST)")" 405 "POST /metrics"

# --- 50 concurrent scrapes while plan files come and go --------------------------------------

# churn N: plan files for pod b added and removed N times, each with new content (the agent
# applies a content once); its plan is applied and reverted as they go.
churn() {
	local i
	for i in $(seq "$1"); do
		cat >"$TEST_TMP/churn.yaml" <<EOF
apiVersion: faultline/v1
kind: FaultPlan
metadata: {name: churn}
spec:
  duration: $((60 + i))s
  targets:
    b: {pods: [$b_uid]}
  faults:
    - name: b-8081-down
      target: b
      match: {cidrs: [$SVC_IP4/32], protocol: tcp, ports: [8081]}
      blackhole: {}
EOF
		mv "$TEST_TMP/churn.yaml" "$plans/churn.yaml"
		sleep 0.7
		rm -f "$plans/churn.yaml"
		sleep 0.7
	done
}
churn 3 &
churner=$!
# batches of 50 scrapes at once, one after another for as long as the churn goes on
batch=0 ok=0
while [ $batch -lt 3 ] || kill -0 "$churner" 2>/dev/null; do
	batch=$((batch + 1))
	pids=()
	for i in $(seq 50); do
		in_node curl -s -o "$TEST_TMP/scrape.$i" -w '%{http_code}\n' --max-time 20 \
			"$AGENT_URL/metrics" >"$TEST_TMP/code.$i" 2>&1 &
		pids+=($!)
	done
	wait "${pids[@]}"
	for i in $(seq 50); do
		# whole: the last family is there, and the text ends with a newline
		if [ "$(cat "$TEST_TMP/code.$i")" = 200 ] &&
			grep -q '^# TYPE faultline_drops_total counter$' "$TEST_TMP/scrape.$i" &&
			[ -z "$(tail -c 1 "$TEST_TMP/scrape.$i" | tr -d '\n')" ]; then
			ok=$((ok + 1))
		else
			log "batch $batch, scrape $i: code $(cat "$TEST_TMP/code.$i"), $(wc -c <"$TEST_TMP/scrape.$i") bytes"
		fi
	done
	sleep 0.3
done
wait "$churner"
assert_range "$batch" 3 1000 "batches of 50 concurrent scrapes during the churn"
assert_eq "$ok" $((batch * 50)) "concurrent scrapes during apply and revert answered 200, whole"
seen=$(prom_query 'max_over_time(faultline_plan_active{plan="churn"}[2m])' |
	jq -r '.data.result[0].value[1] // "never"')
assert_eq "$seen" 1 "prometheus: plan churn was active during the scrapes"
until_true 5 plan_gone churn || fail "the churn plan is still active after its file went"
echo "ok: churn plan reverted after its file went"
assert_eq "$(word 1 "$(http /healthz)")" 200 "GET /healthz after the churn"
