#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Boots Debian's stock kernels under qemu and runs faultline's test suite inside each (see
# vm/README.md). The kernel packages are fetched with apt-get download into a cache outside the
# checkout and unpacked there; nothing is installed into /boot.
#
# Usage: vm/run.sh [PATTERN...] | --bench [ARG...] | --exec SCRIPT
#   PATTERN...  passed to tests/run.sh (substrings of test names); also taken from VM_TESTS
#   --bench     runs scripts/bench-vm.sh instead of the tests (on 6.12 unless VM_KERNELS says)
#   --exec      runs SCRIPT with bash in /faultline instead (to look at something in a guest)
# Environment: VM_KERNELS ("6.1 6.12"), VM_TESTS, VM_ACCEL (auto|kvm|tcg), VM_PARALLEL (auto|0|1),
# VM_TIMEOUT (seconds per kernel, 1800), VM_MEM (MiB, 2048), VM_SMP, VM_CACHE (/var/cache/faultline-vm).
set -euo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
# Programs are looked up as root's login shell would, not through whatever PATH make was given.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export LC_ALL=C

mode=tests
case ${1:-} in
--bench) mode=bench; shift ;;
--exec) mode="exec"; shift; [ $# -eq 1 ] || { echo "usage: vm/run.sh --exec SCRIPT" >&2; exit 2; } ;;
-*) echo "usage: vm/run.sh [PATTERN...] | --bench [ARG...] | --exec SCRIPT" >&2; exit 2 ;;
esac
default_kernels="6.1 6.12"
[ $mode != bench ] || default_kernels=6.12
read -r -a KERNELS <<<"${VM_KERNELS:-$default_kernels}"
ARGS=()
[ $mode != tests ] || read -r -a ARGS <<<"${VM_TESTS:-}"
ARGS+=("$@")
CACHE=${VM_CACHE:-/var/cache/faultline-vm}
ACCEL=${VM_ACCEL:-auto}
TIMEOUT=${VM_TIMEOUT:-1800}
MEM=${VM_MEM:-2048}
PARALLEL=${VM_PARALLEL:-auto}
LOG_DIR=$TOP/build/vm
# A KVM boot that has not printed the probe's line by then is taken as hung (as seen on some
# nested-virtualisation hosts) and the kernel runs under TCG instead.
KVM_PROBE_SECS=20

# Loaded at boot: what the tests attach to or create. Everything else under the module folders
# below is in the initramfs too and loads on demand, as it would on a node.
PRELOAD=(veth bridge ifb dummy sch_ingress cls_bpf act_mirred sch_netem sch_fq sch_prio sch_htb
	sch_tbf)
MODULE_DIRS=(kernel/net/sched kernel/net/bridge kernel/net/802 kernel/net/llc)

# Real programs the tests run (busybox is only the fallback for the rest): found on this host,
# copied with their shared libraries. Every program of the packages in PACKAGES goes in too.
PROGRAMS=(bash sh env grep egrep fgrep sed awk mawk jq ip tc ss bridge nstat nsenter unshare
	setpriv flock setsid mount umount findmnt lsns dmesg taskset prlimit bpftool iperf3 find xargs
	diff cmp gzip zcat)
PACKAGES=(coreutils procps)
# Taken when this host has them (tests that need them skip when they are missing).
OPTIONAL=(ethtool ping tcpdump strace)

die() {
	echo "vm: $*" >&2
	exit 1
}

note() {
	echo "vm: $*"
}

WORK=""
QEMU_PIDFILES=()
VM_PIDS=()
# On any exit: the guests are killed, their streams drained, the temporary files removed.
# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
	local f pid
	set +e
	for f in "${QEMU_PIDFILES[@]}"; do
		pid=$(cat "$f" 2>/dev/null)
		[ -z "$pid" ] || kill -KILL "$pid" 2>/dev/null
	done
	for pid in "${VM_PIDS[@]}"; do
		wait "$pid" 2>/dev/null
	done
	# Each run reads its own consoles; build/vm/ gets a copy (the last run's, when runs overlap).
	for f in "$WORK"/*/console.log; do
		[ ! -f "$f" ] || cp "$f" "$LOG_DIR/$(basename "$(dirname "$f")").log"
	done
	[ -z "$WORK" ] || rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

check_host() {
	local t
	[ "$(id -u)" -eq 0 ] || die "must run as root (apt-get download into $CACHE, mknod)"
	for t in qemu-system-x86_64 busybox cpio gzip xz depmod apt-get apt-cache dpkg ldd timeout; do
		command -v "$t" >/dev/null ||
			die "$t is missing: scripts/install-deps.sh --vm installs what the VM runner needs"
	done
	[ "$(busybox 2>&1 | head -c 7)" = BusyBox ] || die "busybox does not run"
	ldd "$(command -v busybox)" >/dev/null 2>&1 &&
		die "$(command -v busybox) is dynamically linked: install busybox-static"
	[ -x "$TOP/build/faultline" ] || die "build/faultline is missing: run make tests-build"
	if [ $mode = bench ] && [ ! -x "$TOP/scripts/bench-vm.sh" ]; then
		die "scripts/bench-vm.sh does not exist (or is not executable): nothing to benchmark"
	fi
	return 0
}

# --- kernels -----------------------------------------------------------------------------------

# resolve_kernel SERIES: "PACKAGE VERSION" of the kernel image that the newest linux-image-amd64 of
# that series (6.1: bookworm, 6.12: bookworm-backports) depends on, from apt's lists.
resolve_kernel() {
	local series=$1 best="" dep="" ver d
	while IFS='|' read -r ver d; do
		[[ "$ver" == "$series".* ]] || continue
		if [ -z "$best" ] || dpkg --compare-versions "$ver" gt "$best"; then
			best=$ver dep=$d
		fi
	done < <(apt-cache show linux-image-amd64 2>/dev/null | awk '
		/^Version: / { v = $2 }
		/^Depends: / { sub(/^Depends: /, ""); d = $0 }
		/^$/ { if (v != "") print v "|" d; v = ""; d = "" }
		END { if (v != "") print v "|" d }')
	[ -n "$best" ] || return 1
	# "linux-image-6.1.0-56-amd64 (= 6.1.192-2)": the image package and its exact version.
	awk -F'[ ()=,]+' '{ print $1, $2 }' <<<"$dep"
}

# download_kernel PACKAGE VERSION: the .deb in $CACHE/debs (apt verifies it against its signed lists).
download_kernel() {
	local dl deb
	mkdir -p "$CACHE/debs"
	# apt drops privileges to _apt for downloads: give it a folder it may write.
	dl=$(mktemp -d "$CACHE/debs/.download.XXXXXX")
	chown _apt "$dl" 2>/dev/null || true
	if (cd "$dl" && apt-get download -qq "$1=$2" >&2) && deb=$(compgen -G "$dl/*.deb"); then
		mv "$deb" "$CACHE/debs/"
		rm -rf "$dl"
		echo "$CACHE/debs/$(basename "$deb")"
		return 0
	fi
	rm -rf "$dl"
	return 1
}

# unpack_kernel DEB DIR SERIES: the package's files in DIR, with the modules.dep its postinst would
# make; the .deb and older kernels of SERIES go.
unpack_kernel() {
	local tmp krel stale series=$3
	tmp=$(mktemp -d "$CACHE/kernels/.unpack.XXXXXX")
	dpkg -x "$1" "$tmp"
	krel=$(ls "$tmp/lib/modules")
	depmod -b "$tmp" "$krel"
	touch "$tmp/.complete"
	rm -rf "$2"
	mv "$tmp" "$2"
	rm -f "$1"
	# Older versions of the same series are of no further use.
	for stale in "$CACHE/kernels/linux-image-$series".*_*; do
		[ "$stale" = "$2" ] || rm -rf "$stale"
	done
}

# fetch_kernel SERIES: sets KDIR to the cached, unpacked kernel of SERIES and KREL to its release.
# The version is the one apt's lists name now: when the cache lacks it, it is downloaded (the lists
# are refreshed once if they know no such kernel or the download fails, as with stale lists).
fetch_kernel() {
	local series=$1 line pkg ver deb refreshed=0
	KDIR=""
	while :; do
		if line=$(resolve_kernel "$series"); then
			read -r pkg ver <<<"$line"
			KDIR=$CACHE/kernels/${pkg}_$ver
			[ ! -e "$KDIR/.complete" ] || break
			deb=$(compgen -G "$CACHE/debs/${pkg}_${ver/:/%3a}_*.deb" | head -n 1) || true
			if [ -z "$deb" ]; then
				note "downloading $pkg $ver"
				deb=$(download_kernel "$pkg" "$ver") || deb=""
			fi
			if [ -n "$deb" ]; then
				note "unpacking $(basename "$deb")"
				unpack_kernel "$deb" "$KDIR" "$series"
				break
			fi
		fi
		KDIR=""
		[ $refreshed -eq 0 ] || break
		note "apt's lists name no downloadable $series kernel: apt-get update"
		apt-get update -qq || true
		refreshed=1
	done
	if [ -z "$KDIR" ]; then
		# Offline, say: a kernel of the series already in the cache will do.
		KDIR=$(compgen -G "$CACHE/kernels/linux-image-$series.*_*" | sort -V | tail -n 1) || true
		[ -e "$KDIR/.complete" ] ||
			die "no linux-image-amd64 of series $series to download (is bookworm-backports in apt's sources? scripts/install-deps.sh adds it)"
		note "using the cached $(basename "$KDIR")"
	fi
	KREL=$(ls "$KDIR/lib/modules")
	[ -f "$KDIR/boot/vmlinuz-$KREL" ] || die "$KDIR has no boot/vmlinuz-$KREL"
}

# --- initramfs ---------------------------------------------------------------------------------

# copy_file SRC [DEST]: SRC's content (symlinks followed) at DEST (default SRC) under $ROOT.
copy_file() {
	local dest=$ROOT${2:-$1}
	[ -e "$dest" ] && return 0
	mkdir -p "$(dirname "$dest")"
	cp -L "$1" "$dest"
}

# copy_libs FILE: for a dynamic executable, every library ldd finds and the ELF interpreter, at the
# paths ldd prints, where the dynamic loader looks for them.
copy_libs() {
	local lib
	[ "$(head -c 4 "$1" | od -An -c | tr -d ' ')" = '177ELF' ] || return 0
	while read -r lib; do
		[ -e "$lib" ] || die "$1 needs $lib, which is missing"
		copy_file "$lib"
	done < <(ldd "$1" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }')
}

# copy_elf FILE: FILE and what it needs to run.
copy_elf() {
	copy_file "$1"
	copy_libs "$1"
}

# Builds the part of the initramfs that is the same for every kernel into $WORK/common.cpio.gz.
build_common() {
	local p path f name dst
	ROOT=$WORK/root
	mkdir -p "$ROOT"/{usr/bin,usr/sbin,usr/lib,usr/lib64,dev,proc,sys,run,tmp,root,etc/faultline-vm}
	mkdir -p "$ROOT"/var/tmp "$ROOT"/mnt
	# Debian 12's merged /usr: /bin, /sbin, /lib and /lib64 are links into /usr.
	for p in bin sbin lib lib64; do
		ln -s "usr/$p" "$ROOT/$p"
	done
	mknod -m 600 "$ROOT/dev/console" c 5 1
	mknod -m 666 "$ROOT/dev/null" c 1 3
	chmod 1777 "$ROOT/tmp" "$ROOT/var/tmp"

	for p in "${PROGRAMS[@]}"; do
		path=$(command -v "$p") || die "$p is not installed on this host (scripts/install-deps.sh)"
		copy_elf "$path"
	done
	for p in "${PACKAGES[@]}"; do
		while read -r f; do
			[ -f "$f" ] && [ -x "$f" ] && copy_elf "$f"
		done < <(dpkg -L "$p" | grep -E '^/(usr/)?s?bin/')
	done
	for p in "${OPTIONAL[@]}"; do
		if path=$(command -v "$p"); then
			copy_elf "$path"
		fi
	done
	# glibc loads libgcc_s at run time to unwind threads on pthread_cancel and pthread_exit.
	copy_file "$(ldconfig -p | awk '/libgcc_s.so.1 .*x86-64/ { print $NF; exit }')"
	# tc's netem distribution tables (and its plugins).
	for f in /usr/lib/x86_64-linux-gnu/tc/*; do
		copy_elf "$f"
	done

	# Busybox for init and everything not copied above; a real program always wins.
	copy_file "$(command -v busybox)" /usr/bin/busybox
	while read -r path; do
		name=${path##*/}
		case $path in
		sbin/* | usr/sbin/*) dst=/usr/sbin/$name ;;
		*) dst=/usr/bin/$name ;;
		esac
		[ -e "$ROOT/usr/bin/$name" ] || [ -e "$ROOT/usr/sbin/$name" ] ||
			ln -s /usr/bin/busybox "$ROOT$dst"
	done < <(busybox --list-full)

	printf '%s\n' 'root:x:0:0:root:/root:/bin/bash' \
		'daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin' \
		'nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin' >"$ROOT/etc/passwd"
	printf '%s\n' 'root:x:0:' 'daemon:x:1:' 'tty:x:5:' 'nogroup:x:65534:' >"$ROOT/etc/group"
	printf '%s\n' '127.0.0.1 localhost faultline-vm' '::1 localhost ip6-localhost' >"$ROOT/etc/hosts"
	echo faultline-vm >"$ROOT/etc/hostname"
	for f in /etc/protocols /etc/services /etc/ethertypes /etc/iproute2; do
		[ ! -e "$f" ] || cp -a "$f" "$ROOT/etc/"
	done
	ln -s /proc/self/mounts "$ROOT/etc/mtab"
	install -m 755 "$TOP/vm/init" "$ROOT/init"

	# The project, where tests/run.sh and the integration tests expect it: the built programs and
	# tests (no objects; not the sanitizer builds, which run on the host only), the tests' data,
	# the scripts and the examples.
	mkdir -p "$ROOT/faultline"
	(cd "$TOP" && find build \( -path build/vm -o -path build/san -o -path build/fuzz \) -prune -o -type f \
		! -name '*.o' ! -name '*.d' ! -name '*.a' ! -name '*.skel.h' ! -name '.deps' -print0 |
		cpio -0 -pdm --quiet "$ROOT/faultline")
	(cd "$TOP" && find tests scripts examples VERSION -print0 | cpio -0 -pdm --quiet "$ROOT/faultline")
	while read -r -d '' f; do
		copy_libs "$f"
	done < <(find "$ROOT/faultline/build" -type f -perm -u+x -print0)

	(cd "$ROOT" && find . -print0 | cpio -0 -o -H newc -R 0:0 --quiet) | gzip -1 >"$WORK/common.cpio.gz"
}

# build_kernel_part NAME: $WORK/NAME.cpio.gz with the kernel's modules (decompressed, for busybox's
# modprobe, with their dependencies and a fresh modules.dep) and the run's settings.
build_kernel_part() {
	local name=$1 kroot=$WORK/$1/root moddir mods=() m path rel
	moddir=$kroot/usr/lib/modules/$KREL
	mkdir -p "$moddir" "$kroot/etc/faultline-vm"
	for m in "${MODULE_DIRS[@]}"; do
		[ ! -d "$KDIR/lib/modules/$KREL/$m" ] ||
			mapfile -t -O ${#mods[@]} mods < <(cd "$KDIR/lib/modules/$KREL" && find "$m" -name '*.ko*')
	done
	for m in "${PRELOAD[@]}"; do
		path=$(awk -F: -v m="$m" '{ n = $1; sub(/.*\//, "", n); sub(/\.ko.*/, "", n); gsub(/-/, "_", n)
			if (n == m) { print $1; exit } }' "$KDIR/lib/modules/$KREL/modules.dep")
		if [ -n "$path" ]; then
			mods+=("$path")
		elif ! grep -q "/$m.ko$" "$KDIR/lib/modules/$KREL/modules.builtin"; then
			die "kernel $KREL has no module $m"
		fi
	done
	# Add every module's dependencies (modules.dep lists them all, transitively).
	mapfile -t mods < <(awk -F': *' 'NR == FNR { want[$1] = 1; next }
		($1 in want) { print $1; n = split($2, d, " "); for (i = 1; i <= n; i++) print d[i] }' \
		<(printf '%s\n' "${mods[@]}") "$KDIR/lib/modules/$KREL/modules.dep" | sort -u)
	for rel in "${mods[@]}"; do
		mkdir -p "$moddir/$(dirname "$rel")"
		case $rel in
		*.ko.xz) xz -dc "$KDIR/lib/modules/$KREL/$rel" >"$moddir/${rel%.xz}" ;;
		*.ko.zst) zstd -qdc "$KDIR/lib/modules/$KREL/$rel" >"$moddir/${rel%.zst}" ;;
		*.ko.gz) gzip -dc "$KDIR/lib/modules/$KREL/$rel" >"$moddir/${rel%.gz}" ;;
		*) cp "$KDIR/lib/modules/$KREL/$rel" "$moddir/$rel" ;;
		esac
	done
	cp "$KDIR/lib/modules/$KREL"/modules.{order,builtin,builtin.modinfo} "$moddir/"
	depmod -b "$kroot/usr" "$KREL"
	# busybox modprobe reads modules.dep, modules.alias and modules.symbols; drop kmod's binaries.
	rm -f "$moddir"/*.bin

	echo "$mode" >"$kroot/etc/faultline-vm/mode"
	printf '%s\n' "${PRELOAD[@]}" >"$kroot/etc/faultline-vm/modules"
	if [ ${#ARGS[@]} -gt 0 ]; then
		printf '%s\n' "${ARGS[@]}" >"$kroot/etc/faultline-vm/args"
	else
		: >"$kroot/etc/faultline-vm/args"
	fi
	(cd "$kroot" && find . -print0 | cpio -0 -o -H newc -R 0:0 --quiet) | gzip -1 >"$WORK/$name/modules.cpio.gz"
	cat "$WORK/common.cpio.gz" "$WORK/$name/modules.cpio.gz" >"$WORK/$name/initrd"
}

# A minimal initramfs for the KVM probe: busybox prints a line and powers off.
build_probe() {
	local p=$WORK/probe
	mkdir -p "$p/bin" "$p/dev" "$p/proc"
	cp "$(command -v busybox)" "$p/bin/busybox"
	mknod -m 600 "$p/dev/console" c 5 1
	cat >"$p/init" <<'EOF'
#!/bin/busybox sh
echo "FAULTLINE-VM-PROBE $(/bin/busybox uname -r)"
/bin/busybox poweroff -f
EOF
	chmod 755 "$p/init"
	(cd "$p" && find . | cpio -o -H newc -R 0:0 --quiet) | gzip -1 >"$WORK/probe.cpio.gz"
}

# --- qemu --------------------------------------------------------------------------------------

# accel_for NAME: "kvm" when a KVM boot of kernel NAME prints the probe's line in time, else "tcg".
accel_for() {
	local k=$WORK/$1 out=$WORK/$1/probe.log
	case $ACCEL in
	kvm | tcg) echo "$ACCEL"; return ;;
	esac
	if [ ! -w /dev/kvm ]; then
		echo tcg
		return
	fi
	# In a subshell that does not exec qemu, so that a qemu that aborts (some hosts refuse -cpu
	# host) is reported into the probe's log rather than on the terminal.
	(
		timeout -k 5 $KVM_PROBE_SECS qemu-system-x86_64 -enable-kvm -cpu host -m 256 -smp 1 \
			-nographic -no-reboot -nic none -kernel "$(cat "$k/image")" \
			-initrd "$WORK/probe.cpio.gz" -append "console=ttyS0 panic=-1 quiet" </dev/null
		exit $?
	) >"$out" 2>&1 || true
	if grep -aq 'FAULTLINE-VM-PROBE' "$out"; then
		echo kvm
	else
		echo tcg
	fi
}

# run_vm NAME SMP: boots kernel NAME with its initramfs, streams the console prefixed with
# "[NAME]" and keeps it in $WORK/NAME/console.log. The marker line decides the outcome, not qemu's
# status.
run_vm() {
	local name=$1 smp=$2 k=$WORK/$1 log=$WORK/$1/console.log accel args=() start rc
	accel=$(cat "$k/accel")
	case $accel in
	kvm) args=(-enable-kvm -cpu host) ;;
	tcg) args=(-accel tcg) ;;
	esac
	start=$(date +%s)
	echo "[$name] vm: booting $(cat "$k/krel") under ${accel^^}, $smp cpu, $MEM MiB, timeout ${TIMEOUT}s"
	set +e
	(
		timeout -k 10 "$TIMEOUT" qemu-system-x86_64 "${args[@]}" -m "$MEM" -smp "$smp" \
			-nographic -no-reboot -nic none -pidfile "$k/qemu.pid" -kernel "$(cat "$k/image")" \
			-initrd "$k/initrd" -append "console=ttyS0 panic=-1 quiet" </dev/null
		exit $?
	) 2>&1 |
		sed -u -e 's/\r$//' -e 's/\x1b\[[0-9;?]*[a-zA-Z]//g' -e 's/\x1b[a-zA-Z]//g' |
		tee "$log" | sed -u "s/^/[$name] /"
	rc=${PIPESTATUS[0]}
	set -e
	echo "$rc" >"$k/qemu-rc"
	echo "$(($(date +%s) - start))" >"$k/secs"
}

# summary NAME: one line for kernel NAME; returns non-zero when its run failed.
summary() {
	local name=$1 k=$WORK/$1 log=$WORK/$1/console.log rc tests what
	rc=$(sed -n 's/^FAULTLINE-VM-EXIT \([0-9]*\)$/\1/p' "$log" 2>/dev/null | tail -n 1)
	tests=""
	if [ $mode = tests ]; then
		tests=$(grep -a '^tests: ' "$log" 2>/dev/null | tail -n 1)
		tests=", ${tests:-no tests line}"
	fi
	if [ -n "$rc" ]; then
		what="exit $rc$tests"
	elif [ "$(cat "$k/qemu-rc")" = 124 ]; then
		what="FAIL: timed out after ${TIMEOUT}s$tests"
	else
		what="FAIL: no exit marker (qemu exit $(cat "$k/qemu-rc"))$tests"
	fi
	printf '  %-5s %-22s %s %4ss  %s\n' "$name" "$(cat "$k/krel")" "$(cat "$k/accel")" \
		"$(cat "$k/secs")" "$what"
	[ "${rc:-1}" -eq 0 ]
}

main() {
	local name smp failed=0 start par=$PARALLEL
	start=$(date +%s)
	check_host
	mkdir -p "$CACHE/kernels" "$LOG_DIR"
	WORK=$(mktemp -d /tmp/faultline-vm.XXXXXX)

	# One run at a time fetches into the cache and takes from it what it needs (the kernel image,
	# the modules); a newer kernel removes the older one of its series only then.
	exec 8>"$CACHE/.lock"
	flock 8
	for name in "${KERNELS[@]}"; do
		mkdir -p "$WORK/$name"
		fetch_kernel "$name"
		echo "$KDIR" >"$WORK/$name/kdir"
		echo "$KREL" >"$WORK/$name/krel"
		cp "$KDIR/boot/vmlinuz-$KREL" "$WORK/$name/vmlinuz"
		echo "$WORK/$name/vmlinuz" >"$WORK/$name/image"
	done
	build_common
	build_probe
	for name in "${KERNELS[@]}"; do
		KDIR=$(cat "$WORK/$name/kdir") KREL=$(cat "$WORK/$name/krel")
		build_kernel_part "$name"
		QEMU_PIDFILES+=("$WORK/$name/qemu.pid")
	done
	flock -u 8
	exec 8>&-
	note "initramfs built in $(($(date +%s) - start))s ($(du -h "$WORK/common.cpio.gz" | cut -f1) + modules)"

	for name in "${KERNELS[@]}"; do
		accel_for "$name" >"$WORK/$name/accel"
	done

	# Two TCG guests on a 2-cpu host: one cpu each side by side beats two cpus in turn, as the tests
	# mostly wait (timeouts, traffic at set rates). KVM guests and the benchmark run in turn.
	if [ "$par" = auto ]; then
		par=0
		if [ ${#KERNELS[@]} -gt 1 ] && [ $mode = tests ] && ! grep -qx kvm "$WORK"/*/accel; then
			par=1
		fi
	fi
	# In the background even one at a time: a signal then interrupts `wait` and the cleanup runs at
	# once, where a foreground pipeline would hold it until the guest ends.
	if [ "$par" = 1 ]; then
		smp=${VM_SMP:-1}
	else
		smp=${VM_SMP:-$(nproc)}
	fi
	for name in "${KERNELS[@]}"; do
		run_vm "$name" "$smp" &
		VM_PIDS+=($!)
		[ "$par" = 1 ] || wait $! || true
	done
	wait

	echo "vm: summary ($mode, $(($(date +%s) - start))s in all; logs in ${LOG_DIR#"$TOP/"}/):"
	for name in "${KERNELS[@]}"; do
		summary "$name" || failed=1
	done
	return $failed
}

# On one line: bash reads a script as it runs, and this way an edit of the file during a run
# cannot feed it what follows.
main; exit $?
