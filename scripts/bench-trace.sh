#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# make bench, section 4: what `faultline trace` costs, side by side in one run, rounds interleaved
# (bare, faultline, bpftrace, floor, bare, ...) and medians taken, because these machines are noisy.
#  - ns added per system call for a process of a traced pod: a tight getppid loop (fltsys),
#    pinned to one CPU, bare / under `faultline trace` of its pod / under bpftrace keeping the same
#    per-cgroup, per-syscall latency histogram on raw_syscalls:sys_enter/sys_exit;
#  - the same loop in a pod that is not traced while faultline (or bpftrace) traces the others;
#  - the floor: empty tp_btf programs on sys_enter and sys_exit, what any tracer on these hooks
#    costs on this kernel and CPU before it does anything;
#  - TCP_RR transactions per second between two traced pods (fltnet rr), bare / faultline.
# Runs on its own: three simulated pods (scripts/simpod) on a bridge in a network namespace of
# its own as the node, all removed at the end, on failure too. Called by scripts/bench.sh.
# BENCH_ROUNDS (5), BENCH_TRACE_CALLS (getppid calls a loop, 1000000), BENCH_TRACE_RR_SECONDS (2).
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "bench-trace: run as root" >&2; exit 1; }
root=$PWD
faultline=$root/build/faultline
fltsys=$root/build/tools/fltsys
fltnet=$root/build/tools/fltnet
simpod=$root/scripts/simpod
node=flt-bench-trace
work=$(mktemp -d /tmp/faultline-bench-trace.XXXXXX)
export FAULTLINE_PIN_DIR=${FAULTLINE_PIN_DIR:-/sys/fs/bpf/faultline-bench}
floor_pin=/sys/fs/bpf/faultline-bench-floor-$$ # bpffs refuses names with a dot
cgroot=/faultline-bench-trace
rounds=${BENCH_ROUNDS:-5}
calls=${BENCH_TRACE_CALLS:-1000000}
rr_secs=${BENCH_TRACE_RR_SECONDS:-2}
rr_port=7100
# The measured loop, and both ends of TCP_RR, on one CPU (a wake-up across CPUs costs up to
# milliseconds on a VM whose other vCPU sleeps); the tracers' own userspace on the other.
loop_cpu=1
tracer_cpu=0
getppid_nr=110 # x86_64

for f in "$faultline" "$fltsys" "$fltnet"; do
	[ -x "$f" ] || { echo "bench-trace: $f is missing: run make first" >&2; exit 1; }
done

tracer_pid=""
on_node() { nsenter --net=/run/netns/$node "$@"; }
# Stops the tracer we started (SIGTERM, then SIGKILL after 5 s); its status is not ours.
stop_tracer() {
	local pid=$tracer_pid
	[ -n "$pid" ] || return 0
	tracer_pid=""
	kill -TERM "$pid" 2>/dev/null || return 0
	for _ in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}
cleanup() {
	set +e # remove all that can be
	stop_tracer
	rm -rf "$floor_pin"
	if [ -e /run/netns/$node ]; then
		# By name: delete --all looks at every pod of the machine (slow with many).
		for p in bt-loop bt-srv bt-other; do
			on_node "$simpod" delete $p >/dev/null 2>&1
		done
		ip netns del $node 2>/dev/null || true
	fi
	[ -n "${BENCH_KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# What a run that was killed outright (SIGKILL) left behind.
for p in bt-loop bt-srv bt-other; do
	[ ! -e "/run/faultline-sim/$p.pod" ] || "$simpod" delete $p >/dev/null 2>&1 || true
done
[ ! -e /run/netns/$node ] || ip netns del $node
ip netns add $node
ip -n $node link set lo up
# pod NAME [CMD...]: prints "UID IPv4"
pod() {
	local name=$1 line
	shift
	line=$(on_node "$simpod" create "$name" --bridge fltbt0 --subnet 10.79.8.0/24 \
		--cgroup-root $cgroot ${1+-- "$@"})
	awk '{ print $2, $3 }' <<<"$line"
}
read -r uid_loop _ <<<"$(pod bt-loop)"
read -r uid_srv ip_srv <<<"$(pod bt-srv taskset -c $loop_cpu "$fltnet" serve tcp $rr_port)"
read -r uid_other _ <<<"$(pod bt-other)"
if [ -z "$uid_loop" ] || [ -z "$ip_srv" ] || [ -z "$uid_other" ]; then
	echo "bench-trace: could not create the pods" >&2
	exit 1
fi
cg_of() { stat -c %i "$(on_node "$simpod" show "$1" container_dir)"; }
cg_loop=$(cg_of bt-loop) cg_srv=$(cg_of bt-srv)

# One loop in pod $1: its ns per call.
loop() {
	on_node "$simpod" exec "$1" -- taskset -c $loop_cpu "$fltsys" getppid "$calls" |
		awk '$1 == "ns_per_call" { print $2 }'
}
# Round trips per second from the loop pod to the server pod, both on loop_cpu.
rr() {
	on_node "$simpod" exec bt-loop -- taskset -c $loop_cpu \
		"$fltnet" rr "$ip_srv" $rr_port --seconds "$rr_secs" |
		awk '$1 == "transactions" { print $4 }'
}

# The tracer's output in $work/NAME.out and .err; waits (30 s at most) for the word $2 on stream
# $3 that says it is attached. Returns 1, with the reason in $work/NAME.why, when it did not.
start_tracer() {
	local name=$1 word=$2 stream=$3
	shift 3
	: >"$work/$name.out"
	: >"$work/$name.err"
	taskset -c $tracer_cpu "$@" >"$work/$name.out" 2>"$work/$name.err" &
	tracer_pid=$!
	for _ in $(seq 300); do
		grep -q "$word" "$work/$name.$stream" && return 0
		kill -0 "$tracer_pid" 2>/dev/null || break
		sleep 0.1
	done
	stop_tracer
	grep -v RLIMIT_MEMLOCK "$work/$name.err" | head -n 3 >"$work/$name.why"
	[ -s "$work/$name.why" ] || echo "not attached after 30 s" >"$work/$name.why"
	return 1
}

# faultline traces the loop pod and the server pod, not bt-other.
ft_ok=1
start_faultline() {
	start_tracer faultline Tracing err nsenter --net=/run/netns/$node \
		"$faultline" trace "$uid_loop" "$uid_srv"
}
# The getppid calls faultline counted for the loop's pod (its summary's first target).
faultline_count() {
	awk '$1 == "getppid" { print $2; found = 1; exit } END { if (!found) print 0 }' \
		"$work/faultline.out"
}

# bpftrace (Debian's) keeping the histogram faultline keeps: per cgroup and syscall, for the
# same two pods' cgroups. It reads tracepoints' formats from tracefs: when that is not mounted,
# it is mounted in a mount namespace of bpftrace's own, and goes with it.
bt_ok=1
if ! command -v bpftrace >/dev/null; then
	bt_ok=0
	echo "bpftrace is not installed (scripts/install-deps.sh installs it)" >"$work/bpftrace.why"
fi
cat >"$work/lat.bt" <<'BT'
tracepoint:raw_syscalls:sys_enter /cgroup == $1 || cgroup == $2/ { @start[tid] = nsecs; }
tracepoint:raw_syscalls:sys_exit /@start[tid]/ {
	@lat[cgroup, args->id] = hist(nsecs - @start[tid]);
	delete(@start[tid]);
}
// Probes are attached before the first tick: after it, the histogram is being kept.
interval:ms:100 { if (@ready == 0) { printf("Tracing\n"); @ready = 1; } }
END { clear(@start); clear(@ready); }
BT
tracefs=(sh -c 'exec "$@"' sh)
if [ ! -e /sys/kernel/tracing/events/raw_syscalls ] &&
	[ ! -e /sys/kernel/debug/tracing/events/raw_syscalls ]; then
	tracefs=(unshare -m --propagation private sh -c \
		'mount -t tracefs nodev /sys/kernel/tracing && exec "$@"' sh)
fi
start_bpftrace() {
	start_tracer bpftrace Tracing out "${tracefs[@]}" bpftrace "$work/lat.bt" "$cg_loop" "$cg_srv"
}
# The getppid calls bpftrace's histogram of the loop's cgroup holds (a check that it kept it).
bpftrace_count() {
	awk -v key="@lat[$cg_loop, $getppid_nr]:" '
		/^@/ { in_key = (index($0, key) == 1) }
		in_key && /^\[/ { sub(/^\[[^)]*\)/, ""); n += $1 }
		END { print n + 0 }' "$work/bpftrace.out"
}

# The floor: two tp_btf programs that return at once, attached by bpftool (links pinned in
# floor_pin, removed to detach).
floor_ok=1
cat >"$work/floor.bpf.c" <<'C'
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
char LICENSE[] SEC("license") = "GPL";
SEC("tp_btf/sys_enter") int floor_enter(void *ctx) { return 0; }
SEC("tp_btf/sys_exit") int floor_exit(void *ctx) { return 0; }
C
if ! clang -O2 -target bpf -I"/usr/include/$(uname -m)-linux-gnu" -c "$work/floor.bpf.c" \
	-o "$work/floor.bpf.o" 2>"$work/floor.why"; then
	floor_ok=0
fi
start_floor() {
	bpftool prog loadall "$work/floor.bpf.o" "$floor_pin" autoattach 2>"$work/floor.why"
}

# Another tool's program on the syscall tracepoints (a test running meanwhile, another tracer)
# is in every figure, the bare ones too: each round looks, and the result says so.
disturbed=0
foreign_tracer() {
	bpftool link show 2>/dev/null | grep -qE "tp '(sys_enter|sys_exit)'" ||
		bpftool perf show 2>/dev/null | grep -qE 'sys_enter|sys_exit'
}

echo "== 4. tracing overhead: getppid x $calls in a pod (CPU $loop_cpu), TCP_RR ${rr_secs}s," \
	"$rounds rounds interleaved"
loop bt-loop >/dev/null # warm-up
bare=() bare_o=() ft=() ft_o=() bt=() bt_o=() fl=() rr_bare=() rr_ft=()
for _ in $(seq 1 "$rounds"); do
	if foreign_tracer; then
		disturbed=$((disturbed + 1))
	fi
	bare+=("$(loop bt-loop)")
	bare_o+=("$(loop bt-other)")
	rr_bare+=("$(rr)")
	if [ $ft_ok -eq 1 ]; then
		if start_faultline; then
			ft+=("$(loop bt-loop)")
			ft_o+=("$(loop bt-other)")
			rr_ft+=("$(rr)")
			stop_tracer
			n=$(faultline_count)
			if [ "$n" -lt "$calls" ]; then
				echo "  faultline counted $n getppid calls of the loop, not $calls" >&2
			fi
		else
			ft_ok=0
		fi
	fi
	if [ $bt_ok -eq 1 ]; then
		if start_bpftrace; then
			bt+=("$(loop bt-loop)")
			bt_o+=("$(loop bt-other)")
			stop_tracer
			n=$(bpftrace_count)
			if [ "$n" -lt "$calls" ]; then
				echo "  bpftrace's histogram holds $n getppid calls of the loop, not $calls" >&2
			fi
		else
			bt_ok=0
		fi
	fi
	if [ $floor_ok -eq 1 ]; then
		if start_floor; then
			fl+=("$(loop bt-loop)")
			rm -rf "$floor_pin"
		else
			floor_ok=0
		fi
	fi
done

median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
calc() { awk "BEGIN { $1 }"; }
row() { # label unit values...
	local label=$1 unit=$2
	shift 2
	printf '  %-46s %9s %-7s (rounds: %s)\n' "$label" "$(median "$@")" "$unit" "$*"
}
added() { # label ns
	printf '  %-46s %9s ns\n' "$1" "$2"
}
goal() { # label value test-expression-on-v goal-text
	local met
	met=$(calc "v = $2; print ($3) ? \"met\" : \"NOT met\"")
	printf '  %-46s %9s         (goal %s: %s)\n' "$1" "$2" "$4" "$met"
}
why() { echo "  $1: not measured: $(tr '\n' ' ' <"$work/$1.why")"; }

row "bare, process of a traced pod" ns/call "${bare[@]}"
[ $ft_ok -eq 0 ] || row "faultline trace, process of the traced pod" ns/call "${ft[@]}"
[ $bt_ok -eq 0 ] || row "bpftrace histogram, same process" ns/call "${bt[@]}"
[ $floor_ok -eq 0 ] || row "floor: empty tp_btf on sys_enter and sys_exit" ns/call "${fl[@]}"
row "bare, process of another pod" ns/call "${bare_o[@]}"
[ $ft_ok -eq 0 ] || row "faultline trace, process of an untraced pod" ns/call "${ft_o[@]}"
[ $bt_ok -eq 0 ] || row "bpftrace, process of an untraced pod" ns/call "${bt_o[@]}"
mb=$(median "${bare[@]}") mbo=$(median "${bare_o[@]}")
[ $floor_ok -eq 0 ] || added "added by empty tp_btf programs (floor)" \
	"$(calc "print $(median "${fl[@]}") - $mb")"
if [ $bt_ok -eq 1 ]; then
	bt_add=$(calc "print $(median "${bt[@]}") - $mb")
	added "added by bpftrace, traced pod" "$bt_add"
	added "added by bpftrace, untraced pod" "$(calc "print $(median "${bt_o[@]}") - $mbo")"
fi
if [ $ft_ok -eq 1 ]; then
	ft_add=$(calc "print $(median "${ft[@]}") - $mb")
	goal "added by faultline, traced pod (ns)" "$ft_add" "v <= 150" "<= 150 ns"
	[ $bt_ok -eq 0 ] || goal "faultline's added cost / bpftrace's" \
		"$(calc "printf \"%.3f\", $ft_add / $bt_add")" "v <= 1 / 6" "<= 1/6 = 0.167"
	goal "added by faultline, untraced pod (ns)" \
		"$(calc "print $(median "${ft_o[@]}") - $mbo")" "v <= 30" "<= 30 ns"
fi
row "TCP_RR bare" trans/s "${rr_bare[@]}"
if [ $ft_ok -eq 1 ]; then
	row "TCP_RR, both pods traced by faultline" trans/s "${rr_ft[@]}"
	goal "TCP_RR ratio traced / bare" \
		"$(calc "printf \"%.3f\", $(median "${rr_ft[@]}") / $(median "${rr_bare[@]}")")" \
		"v >= 0.97" ">= 0.97"
fi
[ $ft_ok -eq 1 ] || why faultline
[ $bt_ok -eq 1 ] || why bpftrace
[ $floor_ok -eq 1 ] || why floor
if [ $disturbed -gt 0 ]; then
	echo "  WARNING: another program was attached to sys_enter/sys_exit in $disturbed of" \
		"$rounds rounds: every figure of those rounds includes its cost"
fi
exit 0
