#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# `faultline probe` without privileges names the missing privilege instead of claiming the kernel
# lacks features. As root it says cgroup_skb, cgroup_sock_addr and sock_ops load (so they are
# there); as uid 65534 without capabilities its text and JSON mention CAP_BPF (or "privilege")
# and say of none of those three that it "does not load". Exit 0 or 1 are both accepted.
# timeout: 60
# host only: the capability check is userspace's; test_trace_hooks and the delay tests run probe as root on each kernel
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/state_common.sh
. "$(dirname "$0")/state_common.sh"
need_setpriv

features=(cgroup_skb cgroup_sock_addr sock_ops)
root_json=$(faultline -j probe)
for f in "${features[@]}"; do
	[ "$(jq -r --arg f "$f" '.features[$f].supported' <<<"$root_json")" = true ] ||
		skip "faultline probe as root: $f: $(jq -r --arg f "$f" '.features[$f].why' <<<"$root_json")"
	echo "ok: probe as root: $f is supported"
done

text=$(in_node "${NOBODY[@]}" timeout 30 "$FAULTLINE" probe 2>&1)
rc=$?
log "as nobody, faultline probe -> exit $rc:"
show_lines "  " "$text"
soft assert_match "$rc" '^[01]$' "probe as nobody: exit status"
soft assert_match "$text" "CAP_BPF|[Pp]rivilege" "probe as nobody: names the missing privilege"
for f in "${features[@]}"; do
	line=$(grep -E "^${f}[[:space:]]" <<<"$text")
	soft assert_not_contains "$line" "does not load" "probe as nobody: the $f line"
done
# Whatever the layout: nothing can load without CAP_BPF, so no "does not load" anywhere.
soft assert_not_contains "$text" "does not load" "probe as nobody: its whole text"

json=$(in_node "${NOBODY[@]}" timeout 30 "$FAULTLINE" -j probe 2>/dev/null)
rc=$?
soft assert_match "$rc" '^[01]$' "probe -j as nobody: exit status"
soft assert_eq "$(jq -s length <<<"$json" 2>/dev/null)" 1 "probe -j as nobody: one JSON document"
soft assert_match "$json" "CAP_BPF|[Pp]rivilege" "probe -j as nobody: names the missing privilege"
for f in "${features[@]}"; do
	soft assert_not_contains "$(jq -r --arg f "$f" '.features[$f].why // ""' <<<"$json" 2>/dev/null)" \
		"does not load" "probe -j as nobody: .features.$f.why"
done
soft_done
