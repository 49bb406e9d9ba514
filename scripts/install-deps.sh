#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Installs every build and test dependency of faultline from Debian 12's packages.
# Idempotent: a second run with everything present changes nothing and makes no network request.
set -euo pipefail

# libbpf 1.4 (tcx links) and bpftool come from bookworm-backports; everything else from bookworm.
backports_pkgs=(libbpf-dev bpftool linux-libc-dev)
main_pkgs=(make gcc clang llvm pkg-config libelf-dev zlib1g-dev libnl-3-dev libnl-route-3-dev
	libmnl-dev libyaml-dev libjson-c-dev libcmocka-dev iproute2 iperf3 procps kmod
	util-linux jq strace bpftrace libjs-chart.js libmicrohttpd-dev prometheus
	python3-yaml python3-jsonschema)
# chromium: tests/integration/report_common.sh draws report.html headless
vm_pkgs=(qemu-system-x86 busybox-static cpio xz-utils kmod chromium)

want=("${main_pkgs[@]}" "${backports_pkgs[@]}")
[ "${1:-}" = "--vm" ] && want+=("${vm_pkgs[@]}")

missing=()
for p in "${want[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# libbpf must be 1.4 or newer: bookworm's own 1.1 lacks tcx.
if ! pkg-config --atleast-version=1.4 libbpf 2>/dev/null; then
	missing+=(libbpf-dev)
fi
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages (${missing[*]}); run this script as root" >&2
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive
list=/etc/apt/sources.list.d/faultline-backports.list
if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
	echo "deb http://deb.debian.org/debian bookworm-backports main" >"$list"
fi
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${main_pkgs[@]}" \
	$([ "${1:-}" = "--vm" ] && echo "${vm_pkgs[@]}")
apt-get install -y -qq --no-install-recommends -t bookworm-backports "${backports_pkgs[@]}"
