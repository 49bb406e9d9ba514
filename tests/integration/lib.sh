# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
#
# What every integration test sources first. On sourcing it checks the test can run (root, tools,
# kernel features; else SKIP with exit 77), then builds the test's own world:
#
#   node netns $NODE_NS      the "node": faultline and simpod run in it (in_node), with bridge
#                            $BRIDGE (10.77.0.1/24, fd77::1/64) that pods and the peer plug into
#   peer netns $SVC_NS       "svc", a host on the bridge that is not a pod ($SVC_IP4, $SVC_IP6);
#                            svc_serve starts fltnet servers in it
#   pods                     pod_create a ... makes simpod pod t<PID>-a and sets $a_uid, $a_ip4,
#                            $a_ip6, $a_ns (its netns name), $a_veth (host end), $a_cg (pod cgroup
#                            dir), $a_name, $a_podns and $a_podname (its Kubernetes namespace
#                            and name: simpod's --namespace and --name, pod_create passes them);
#                            in_pod a CMD runs CMD in its cgroup and netns
#   FAULTLINE_POD_LOG_DIR    $TEST_TMP/pods: the pods' kubelet log folders (NS_NAME_UID), so
#                            tests never write the host's /var/log/pods
#   FAULTLINE_PIN_DIR        /sys/fs/bpf/faultline-test-<PID>, so tests never see other state
#   CGROUP_ROOT              /faultline-test-<PID>: every cgroup of the test is under it
#   TEST_TMP                 a temporary directory for plans and outputs
#
# The EXIT trap ends the test's own processes, runs `faultline revert --all`, then removes every
# process, pod, netns, bridge, cgroup, pin and file of the test, also when the test failed, and
# keeps the test's exit status. SIGTERM, SIGINT and SIGHUP exit through it too (tests/run.sh ends
# a test that outlives its time limit with SIGTERM; in a shell's background job SIGINT is ignored).
#
# Commands run in the node with nsenter --net, not `ip netns exec`: the latter gives its command a
# private mount namespace with a fresh /sys, where the cgroup2 mount is missing and bpffs pins
# would vanish with the command.

set -u

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
FAULTLINE=$TOP/build/faultline
FLTNET=$TOP/build/tools/fltnet
SIMPOD=$TOP/scripts/simpod
TEST_NAME=$(basename "$0" .sh)

NODE_NS=fltnode-$$
SVC_NS=fltsvc-$$
BRIDGE=fltbr0
SUBNET4=10.77.0.0/24
SUBNET6=fd77::/64
GW4=10.77.0.1
GW6=fd77::1
# The subnets' last usable addresses: simpod never gives them to a pod.
SVC_IP4=10.77.0.254
SVC_IP6=fd77::fe
CGROUP_ROOT=/faultline-test-$$
export FAULTLINE_PIN_DIR=/sys/fs/bpf/faultline-test-$$
TEST_TMP=""
CGROUP_MOUNT=""
LIB_READY=0

# --- results -----------------------------------------------------------------------------------

skip() {
	echo "SKIP: $*"
	exit 77
}

fail() {
	echo "FAIL: $*"
	exit 1
}

log() {
	echo "# $*"
}

# A value for an "ok:" line: itself when short, else its size.
shown() {
	if [ ${#1} -le 80 ] && [[ "$1" != *$'\n'* ]]; then
		echo "$1"
	else
		echo "$(wc -l <<<"$1") lines"
	fi
}

# assert_eq GOT WANT WHAT
assert_eq() {
	[ "$1" = "$2" ] || fail "$3: got '$1', want '$2'"
	echo "ok: $3 ($(shown "$1"))"
}

# assert_ne GOT UNWANTED WHAT
assert_ne() {
	[ "$1" != "$2" ] || fail "$3: got '$1', want anything else"
	echo "ok: $3 ($(shown "$1"))"
}

# assert_range GOT MIN MAX WHAT (integers, inclusive)
assert_range() {
	[[ "$1" =~ ^-?[0-9]+$ ]] || fail "$4: got '$1', want a number in [$2, $3]"
	[ "$1" -ge "$2" ] && [ "$1" -le "$3" ] || fail "$4: got $1, want a number in [$2, $3]"
	echo "ok: $4 ($1 in [$2, $3])"
}

# assert_match GOT REGEX WHAT (bash extended regex)
assert_match() {
	[[ "$1" =~ $2 ]] || fail "$3: got '$1', want a match of /$2/"
	echo "ok: $3 ($(shown "$1"))"
}

# assert_contains HAYSTACK NEEDLE WHAT
assert_contains() {
	[[ "$1" == *"$2"* ]] || fail "$3: got '$1', want it to contain '$2'"
	echo "ok: $3"
}

# assert_not_contains HAYSTACK NEEDLE WHAT
assert_not_contains() {
	[[ "$1" != *"$2"* ]] || fail "$3: got '$1', want nothing containing '$2'"
	echo "ok: $3"
}

# The Nth space-separated word of a line (1-based).
word() {
	local -a w
	read -r -a w <<<"$2"
	echo "${w[$(($1 - 1))]:-}"
}

# --- running things ----------------------------------------------------------------------------

in_node() {
	nsenter --net="/run/netns/$NODE_NS" -- "$@"
}

in_svc() {
	nsenter --net="/run/netns/$SVC_NS" -- "$@"
}

# in_pod VAR CMD...: CMD in pod VAR's container cgroup and netns (simpod exec).
in_pod() {
	local var=$1
	shift
	in_node "$SIMPOD" exec "t$$-$var" -- "$@"
}

# faultline ARGS...: the CLI in the node, bounded in time.
faultline() {
	in_node timeout 60 "$FAULTLINE" "$@"
}

# run_faultline ARGS...: sets FLT_RC, FLT_OUT (stdout) and FLT_ERR (stderr), and logs them.
run_faultline() {
	FLT_OUT=$(faultline "$@" 2>"$TEST_TMP/faultline.stderr")
	FLT_RC=$?
	FLT_ERR=$(cat "$TEST_TMP/faultline.stderr")
	echo "\$ faultline $* -> exit $FLT_RC"
	show_lines "  out: " "$FLT_OUT"
	show_lines "  err: " "$FLT_ERR"
}

# show_lines PREFIX TEXT: the first lines of TEXT, for the log.
show_lines() {
	local n
	[ -n "$2" ] || return 0
	head -n 8 <<<"$2" | sed "s/^/$1/"
	n=$(wc -l <<<"$2")
	[ "$n" -le 8 ] || echo "$1... ($((n - 8)) more lines)"
}

# apply_plan FILE [ARGS...]: faultline apply, which must succeed.
apply_plan() {
	run_faultline apply "$@"
	assert_eq "$FLT_RC" 0 "faultline apply $(basename "$1") exit status"
}

revert_plan() {
	run_faultline revert "$1"
	assert_eq "$FLT_RC" 0 "faultline revert $1 exit status"
}

# write_plan NAME < text: the plan in $TEST_TMP/NAME; prints its path.
write_plan() {
	cat >"$TEST_TMP/$1"
	echo "$TEST_TMP/$1"
}

# bg CMD...: runs CMD in the background; the cleanup ends it with everything else the test started.
bg() {
	"$@" &
}

# wait_listening NETNS tcp|udp PORT: until a socket listens there (5 s at most).
wait_listening() {
	local ns=$1 proto=$2 port=$3 flag=-Hltn
	[ "$proto" = udp ] && flag=-Hlun
	for _ in $(seq 100); do
		[ -z "$(nsenter --net="/run/netns/$ns" ss $flag "sport = :$port")" ] || return 0
		sleep 0.05
	done
	fail "nothing listens on $proto port $port in netns $ns"
}

# svc_serve tcp|udp PORT... [tcp|udp PORT...]: fltnet servers on the peer host.
svc_serve() {
	local proto="" a
	bg in_svc "$FLTNET" serve "$@" >>"$TEST_TMP/svc.log" 2>&1
	for a in "$@"; do
		case $a in
		tcp | udp) proto=$a ;;
		*) wait_listening "$SVC_NS" "$proto" "$a" ;;
		esac
	done
}

# pod_create VAR [simpod create options] [-- CMD...]: a pod on the test's bridge and cgroup root.
pod_create() {
	local var=$1 line name uid ip4 ip6 ns
	shift
	line=$(in_node "$SIMPOD" create "t$$-$var" --bridge "$BRIDGE" --subnet "$SUBNET4" \
		--subnet "$SUBNET6" --cgroup-root "$CGROUP_ROOT" "$@") || fail "simpod create $var"
	read -r name uid ip4 ip6 ns <<<"$line"
	declare -g "${var}_name=$name" "${var}_uid=$uid" "${var}_ip4=$ip4" "${var}_ip6=$ip6" \
		"${var}_ns=$ns"
	declare -g "${var}_veth=$(in_node "$SIMPOD" show "$name" host_veth)"
	declare -g "${var}_cg=$(in_node "$SIMPOD" show "$name" pod_dir)"
	declare -g "${var}_podns=$(in_node "$SIMPOD" show "$name" podns)"
	declare -g "${var}_podname=$(in_node "$SIMPOD" show "$name" podname)"
	log "pod $var: $line (host veth $(in_node "$SIMPOD" show "$name" host_veth))"
}

# --- kernel state ------------------------------------------------------------------------------

# faultline's BPF objects (programs named flt_*, their maps, libbpf's .rodata/.bss/.data maps,
# links to those programs), one per line, minus those that existed when the test began.
flt_objects() {
	local progs
	progs=$(bpftool -j prog show | jq -c '[.[] | select((.name // "") | startswith("flt_")) | .id]')
	{
		bpftool -j prog show |
			jq -r '.[] | select((.name // "") | startswith("flt_")) | "prog \(.id) \(.name)"'
		bpftool -j map show |
			jq -r '.[] | select((.name // "") | test("^flt_|\\.(rodata|data|bss|kconfig)$"))
				| "map \(.id) \(.name)"'
		bpftool -j link show | jq -r --argjson progs "$progs" \
			'.[] | select(.prog_id as $p | $progs | index($p)) | "link \(.id) prog \(.prog_id)"'
	} | grep -vxF -f "$TEST_TMP/bpf-objects-before" || true
}

# assert_no_flt_objects WHAT: none of faultline's BPF objects left (freeing is RCU-deferred:
# allow a moment).
assert_no_flt_objects() {
	local left
	for _ in $(seq 30); do
		left=$(flt_objects)
		[ -n "$left" ] || break
		sleep 0.1
	done
	[ -z "$left" ] || fail "$1: faultline's BPF objects remain: $(echo $left)"
	echo "ok: $1 (no flt_* program, map or link)"
}

# What tc and bpftool show on interface DEV of the node: qdiscs, filters, BPF attachments.
tc_view() {
	in_node tc qdisc show dev "$1"
	in_node tc filter show dev "$1" ingress
	in_node tc filter show dev "$1" egress
	in_node bpftool net show dev "$1"
}

# assert_no_tc_faultline DEV WHAT: no faultline program on DEV (tcx link or cls_bpf filter).
assert_no_tc_faultline() {
	local view
	view=$(in_node bpftool -j net show dev "$1")
	assert_not_contains "$view" '"flt_' "$2: bpftool net show dev $1"
	view=$(in_node tc filter show dev "$1" ingress; in_node tc filter show dev "$1" egress)
	assert_not_contains "$view" "flt_" "$2: tc filter show dev $1"
	assert_not_contains "$view" "direct-action" "$2: no cls_bpf filter on dev $1"
}

# True when a clsact qdisc is on node interface DEV.
has_clsact() {
	in_node tc qdisc show dev "$1" | grep -q '^qdisc clsact'
}

# assert_no_cgroup_progs DIR WHAT: no faultline program attached at cgroup DIR or below it.
assert_no_cgroup_progs() {
	local view
	view=$(bpftool cgroup tree "$1" 2>&1)
	assert_not_contains "$view" "flt_" "$2: bpftool cgroup tree ${1#"$CGROUP_MOUNT"}"
}

# assert_pin_dir_empty WHAT: nothing pinned under FAULTLINE_PIN_DIR (empty folders allowed).
assert_pin_dir_empty() {
	local left=""
	[ ! -d "$FAULTLINE_PIN_DIR" ] || left=$(find "$FAULTLINE_PIN_DIR" -mindepth 1 ! -type d)
	[ -z "$left" ] || fail "$1: pins remain: $(echo $left)"
	echo "ok: $1 (pin dir empty or gone)"
}

# counter PLAN FAULT ID FIELD: a live counter from `faultline -j status PLAN` ("" when absent).
counter() {
	faultline -j status "$1" | jq -r --arg p "$1" --arg f "$2" --arg id "$3" --arg k "$4" \
		'.plans[] | select(.name == $p) | .faults[] | select(.name == $f)
			| .targets[] | select(.id == $id) | .[$k]'
}

# True while any faultline process runs on the machine.
faultline_running() {
	local exe
	for exe in /proc/[0-9]*/exe; do
		[ "$(readlink "$exe" 2>/dev/null)" = "$FAULTLINE" ] && return 0
	done
	return 1
}

# A cgroup of the test (path relative to the cgroup2 mount, under CGROUP_ROOT); prints its dir.
# The cleanup removes it with everything else under CGROUP_ROOT that is not simpod's.
cgroup_make() {
	mkdir -p "$CGROUP_MOUNT$1" || fail "mkdir cgroup $1"
	echo "$CGROUP_MOUNT$1"
}

# Kills the processes of cgroup DIR and its descendants, then removes them, deepest first.
cgroup_remove() {
	[ -d "$1" ] || return 0
	echo 1 >"$1/cgroup.kill" 2>/dev/null
	for _ in $(seq 50); do
		grep -q '^populated 0' "$1/cgroup.events" && break
		sleep 0.05
	done
	find "$1" -depth -type d -exec rmdir {} \; 2>/dev/null
}

# in_cgroup DIR CMD...: CMD in the node's netns, inside cgroup DIR from its first instruction.
in_cgroup() {
	local dir=$1
	shift
	in_node sh -c 'echo $$ >"$1/cgroup.procs" || exit 126; shift; exec "$@"' in-cgroup "$dir" "$@"
}

# --- delays ------------------------------------------------------------------------------------

# How much later than its time a delayed probe may come back on a loaded machine or in a qemu TCG
# guest, where fltnet, the echo server and the qdisc's timer each wait for a CPU: the larger of
# this and 10% of the delay.
DELAY_LATE_MIN_US=15000

# assert_delay OUT NEAR DELAY_US LOW_PCT WHAT: `fltnet rtt` output OUT shows DELAY_US added to each
# round trip. netem and fq never send a packet before its time (netem's time_to_send, fq's EDT
# timestamp), so OUT's median is at least DELAY_US less LOW_PCT percent (clock granularity, or
# the sampling error of a jittered median), however loaded the machine. It is at most NEAR's
# median (round trips just before to a port no fault matches: the path and the load of the
# moment) plus DELAY_US and the lateness allowed above. No delay, or a doubled one, fails.
assert_delay() {
	local near delay=$3 late
	near=$(field "$2" median_us)
	[[ "$near" =~ ^[0-9]+$ ]] || fail "$5: no round trip to the unmatched port: '$2'"
	late=$((delay / 10 > DELAY_LATE_MIN_US ? delay / 10 : DELAY_LATE_MIN_US))
	assert_range "$(field "$1" median_us)" $((delay - delay * $4 / 100)) $((near + delay + late)) \
		"$5: median round trip (us; $near to the unmatched port)"
}

# --- set-up and clean-up -----------------------------------------------------------------------

# stop_descendants: SIGTERM to every process this shell started that still runs (background jobs
# and what they started, wherever they run: a job's subshell dies without its children), SIGKILL
# to those still there 3 s later (zombies do not count: this shell reaps them when it next waits).
stop_descendants() {
	local pids
	pids=$(ps -e -o pid=,ppid= | awk -v top=$$ '{ parent[$1] = $2 }
		END { for (p in parent) for (q = parent[p]; q > 1; q = parent[q]) if (q == top) { print p; break } }')
	[ -n "$pids" ] || return 0
	# shellcheck disable=SC2086 # one pid per word
	kill $pids 2>/dev/null
	for _ in $(seq 30); do
		ps -o stat= -p "${pids//$'\n'/,}" | grep -qv '^Z' || return 0
		sleep 0.1
	done
	# shellcheck disable=SC2086
	kill -KILL $pids 2>/dev/null
}

cleanup() {
	local rc=$? pid dir
	set +e
	trap - EXIT
	# A second signal cuts short the command it arrives in, not the whole cleanup.
	trap : INT TERM HUP
	if [ "$LIB_READY" -eq 1 ]; then
		# First, so that no command of the test (a background faultline apply, say) races the
		# revert.
		stop_descendants
		if [ -x "$FAULTLINE" ] && [ -e "/run/netns/$NODE_NS" ]; then
			in_node timeout 30 "$FAULTLINE" revert --all >"$TEST_TMP/cleanup.log" 2>&1 ||
				{ echo "# cleanup: faultline revert --all failed:"; cat "$TEST_TMP/cleanup.log"; }
		fi
		for pid in $(ip netns pids "$SVC_NS" 2>/dev/null); do
			kill -KILL "$pid" 2>/dev/null
		done
		ip netns del "$SVC_NS" 2>/dev/null
		# The test's own cgroups first, so that simpod finds CGROUP_ROOT empty and removes it.
		if [ -n "$CGROUP_MOUNT" ] && [ -d "$CGROUP_MOUNT$CGROUP_ROOT" ]; then
			for dir in "$CGROUP_MOUNT$CGROUP_ROOT"/*/; do
				[ "$dir" = "$CGROUP_MOUNT$CGROUP_ROOT/kubepods.slice/" ] ||
					cgroup_remove "${dir%/}"
			done
		fi
		in_node "$SIMPOD" delete --all
		[ -z "$CGROUP_MOUNT" ] || cgroup_remove "$CGROUP_MOUNT$CGROUP_ROOT"
		for pid in $(ip netns pids "$NODE_NS" 2>/dev/null); do
			kill -KILL "$pid" 2>/dev/null
		done
		ip netns del "$NODE_NS" 2>/dev/null
		wait 2>/dev/null
	fi
	[[ "$FAULTLINE_PIN_DIR" == /sys/fs/bpf/faultline-test-* ]] && rm -rf "$FAULTLINE_PIN_DIR"
	[ -z "$TEST_TMP" ] || rm -rf "$TEST_TMP"
	exit "$rc"
}

# probe_feature NAME supported|why: that field of `faultline -j probe`'s feature NAME. The probe
# runs once per test (it loads programs: seconds under TCG) and is kept in TEST_TMP.
probe_feature() {
	[ -s "$TEST_TMP/probe.json" ] || "$FAULTLINE" -j probe >"$TEST_TMP/probe.json" ||
		fail "faultline -j probe failed"
	jq -r ".features.$1.$2" "$TEST_TMP/probe.json"
}

# has_feature NAME: true when faultline probe says this kernel supports NAME.
has_feature() {
	[ "$(probe_feature "$1" supported)" = true ]
}

# need_qdisc KIND...: skip unless this kernel has every qdisc KIND (faultline probe says why).
need_qdisc() {
	local kind
	for kind in "$@"; do
		has_feature "$kind" ||
			skip "this kernel lacks the $kind qdisc ($(probe_feature "$kind" why)): run in vm/ (make vm-test)"
	done
}

# need_feature NAME...: skip unless faultline probe says this kernel supports NAME.
need_feature() {
	local name
	for name in "$@"; do
		has_feature "$name" || skip "faultline probe: $name: $(probe_feature "$name" why)"
	done
}

# has_ifb_path: can packets that wait on a device's ingress side (a pod's egress) reach an IFB
# here: by bpf_redirect() (probe: ifb_redirect) or, where the IFB drops those (Debian's 6.1), by
# act_mirred (probe: ifb_mirred).
has_ifb_path() {
	has_feature ifb_redirect || has_feature ifb_mirred
}

# pod_delay_path: sets DELAY_BACKEND (edt where the kernel has fq, else netem with prio) and
# DELAY_DIRECTION for a delay on a pod's traffic: egress where an IFB can take the pod's egress
# (has_ifb_path), else ingress (a delay on a pod's egress is refused there), which delays the
# answers instead: the same time on each round trip. Skips without either qdisc.
pod_delay_path() {
	if has_feature fq; then
		DELAY_BACKEND=edt
	elif has_feature netem && has_feature prio; then
		DELAY_BACKEND=netem
	else
		skip "this kernel has neither fq ($(probe_feature fq why)) nor netem and prio: run in vm/ (make vm-test)"
	fi
	DELAY_DIRECTION=egress
	has_ifb_path && return 0
	DELAY_DIRECTION=ingress
	log "faultline probe: ifb_redirect, ifb_mirred: $(probe_feature ifb_mirred why): a delay on the pod's egress is refused here, so it is on its ingress"
}

# pod_a_plan NAME DURATION FAULT [SECTIONS]: a plan file (its path printed) named NAME with
# target a (pod a) and one fault of it, FAULT: the fault's fields after "target: a", as YAML
# lines indented by 6 spaces; SECTIONS: more lines of spec (indented by 2).
pod_a_plan() {
	# shellcheck disable=SC2154 # pod_create a sets a_uid
	write_plan "$1.yaml" <<EOF
apiVersion: faultline/v1
kind: FaultPlan
metadata: {name: $1}
spec:
  duration: $2
  targets:
    a: {pods: [$a_uid]}
  faults:
    - name: $1
      target: a
$3
${4:-}
EOF
}

# tcp_delay_plan NAME DURATION MS: pod_a_plan delaying pod a's TCP to the peer's port 8080 by MS
# ms, on pod_delay_path's backend and direction.
tcp_delay_plan() {
	pod_a_plan "$1" "$2" "      backend: $DELAY_BACKEND
      direction: $DELAY_DIRECTION
      match: {cidrs: [$SVC_IP4/32], protocol: tcp, ports: [8080]}
      delay: {time: ${3}ms}"
}

# field LINE NAME: the value after NAME in a "name value name value" line of fltnet.
field() {
	awk -v k="$2" '{ for (i = 1; i < NF; i++) if ($i == k) { print $(i + 1); exit } }' <<<"$1"
}

lib_setup() {
	local t
	[ "$(id -u)" -eq 0 ] || skip "needs root (network namespaces, cgroups, BPF)"
	for t in ip tc nsenter ss bpftool timeout ps; do
		command -v "$t" >/dev/null || skip "$t is not installed"
	done
	command -v jq >/dev/null || fail "jq is missing: scripts/install-deps.sh installs it"
	[ -x "$FAULTLINE" ] || fail "$FAULTLINE is missing: run make"
	[ -x "$FLTNET" ] || fail "$FLTNET is missing: run make"
	CGROUP_MOUNT=$(awk '{ for (i = 7; i < NF; i++) if ($i == "-") {
		if ($(i + 1) == "cgroup2") { print $5; exit } break } }' /proc/self/mountinfo)
	[ -n "$CGROUP_MOUNT" ] || skip "no cgroup2 mount"

	trap cleanup EXIT
	trap 'exit 129' HUP
	trap 'exit 130' INT
	trap 'exit 143' TERM
	TEST_TMP=$(mktemp -d "/tmp/faultline-$TEST_NAME.XXXXXX") || fail "mktemp"
	chmod 755 "$TEST_TMP"
	export FAULTLINE_POD_LOG_DIR=$TEST_TMP/pods
	mkdir "$FAULTLINE_POD_LOG_DIR" || fail "mkdir $FAULTLINE_POD_LOG_DIR"
	LIB_READY=1

	ip netns add "$NODE_NS" 2>/dev/null || skip "cannot create a network namespace"
	in_node ip link set dev lo up || fail "lo up in $NODE_NS"
	in_node "$SIMPOD" bridge --bridge "$BRIDGE" --subnet "$SUBNET4" --subnet "$SUBNET6" ||
		fail "simpod bridge"

	ip netns add "$SVC_NS" || fail "ip netns add $SVC_NS"
	in_node ip link add name fltsvc0 type veth peer name eth0 netns "$SVC_NS" ||
		skip "cannot create a veth pair"
	in_node ip link set dev fltsvc0 master "$BRIDGE" up &&
		in_svc ip link set dev lo up &&
		in_svc ip link set dev eth0 up &&
		in_svc ip addr add "$SVC_IP4/24" dev eth0 &&
		in_svc ip addr add "$SVC_IP6/64" dev eth0 nodad &&
		in_svc ip route add default via "$GW4" &&
		in_svc ip -6 route add default via "$GW6" || fail "setting up the peer $SVC_NS"

	# The BPF objects that exist already (another faultline's, say) are not this test's.
	: >"$TEST_TMP/bpf-objects-before"
	flt_objects >"$TEST_TMP/bpf-objects-before.new"
	mv "$TEST_TMP/bpf-objects-before.new" "$TEST_TMP/bpf-objects-before"
	log "$TEST_NAME: node netns $NODE_NS, peer $SVC_NS ($SVC_IP4, $SVC_IP6), pins $FAULTLINE_PIN_DIR"
}

lib_setup
