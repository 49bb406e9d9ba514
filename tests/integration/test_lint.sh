#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# `faultline lint PLAN...` needs no privilege and touches no kernel. As uid 65534 without any
# capability: the good plans of tests/plans/good/ and examples/full.yaml exit 0 with one
# "FILE: ok" line each; `lint GOOD BAD` exits 2 with BAD's "file:line:col: field: ..." message on
# stderr; no folder appears under /sys/fs/bpf, and (traced with strace) lint makes no bpf() call,
# opens no netlink socket and mounts nothing. As a contrast, `apply` as the same user exits 1
# naming the capabilities it lacks.
# timeout: 60
# host only: what it checks is userspace's alone, the same on every kernel
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/state_common.sh
. "$(dirname "$0")/state_common.sh"
need_setpriv

cd "$TOP" || fail "cd $TOP"
goods=()
for f in tests/plans/good/*.yaml tests/plans/good/*.json examples/full.yaml; do
	[ -f "$f" ] && goods+=("$f")
done
assert_range ${#goods[@]} 3 1000 "good plans to lint"
bad=tests/plans/bad/match-port-too-big.yaml
bad_want=$(cat "${bad%.yaml}.err")
[ ! -e "$FAULTLINE_PIN_DIR" ] || fail "$FAULTLINE_PIN_DIR exists before the test"

# lint_as_nobody ARGS...: faultline lint ARGS as nobody; sets FLT_RC, FLT_OUT, FLT_ERR.
lint_as_nobody() {
	FLT_OUT=$(as_nobody timeout 30 "$FAULTLINE" lint "$@" 2>"$TEST_TMP/lint.stderr")
	FLT_RC=$?
	FLT_ERR=$(cat "$TEST_TMP/lint.stderr")
	echo "\$ (as nobody) faultline lint $* -> exit $FLT_RC"
	show_lines "  out: " "$FLT_OUT"
	show_lines "  err: " "$FLT_ERR"
}

lint_as_nobody "${goods[@]}"
soft assert_eq "$FLT_RC" 0 "lint of ${#goods[@]} good plans as nobody: exit status"
soft assert_eq "$(grep -c . <<<"$FLT_OUT")" ${#goods[@]} "lint of the good plans: lines on stdout"
for f in "${goods[@]}"; do
	soft assert_eq "$(grep -cxF "$f: ok" <<<"$FLT_OUT")" 1 "lint of the good plans: a line '$f: ok'"
done
soft assert_eq "$([ -e "$FAULTLINE_PIN_DIR" ] && echo exists || echo absent)" absent \
	"after lint of the good plans: $FAULTLINE_PIN_DIR"

lint_as_nobody "${goods[0]}" "$bad"
soft assert_eq "$FLT_RC" 2 "lint GOOD BAD as nobody: exit status"
soft assert_contains "$FLT_ERR" "$bad_want" "lint GOOD BAD: BAD's message on stderr"
soft assert_match "$FLT_ERR" "$bad:[0-9]+:[0-9]+: " "lint GOOD BAD: BAD's file:line:col"
soft assert_eq "$([ -e "$FAULTLINE_PIN_DIR" ] && echo exists || echo absent)" absent \
	"after lint GOOD BAD: $FAULTLINE_PIN_DIR"

if command -v strace >/dev/null; then
	strace -f -o "$TEST_TMP/lint.strace" -e trace=bpf,socket,mount,mkdir,mkdirat \
		"${NOBODY[@]}" timeout 30 "$FAULTLINE" lint "${goods[@]}" >/dev/null 2>&1
	soft assert_eq "$?" 0 "lint of the good plans under strace: exit status"
	trace=$(grep -vE '^[0-9]+ (\+\+\+|---)' "$TEST_TMP/lint.strace")
	soft assert_eq "$(grep -c 'bpf(' <<<"$trace")" 0 "lint: bpf() calls"
	soft assert_eq "$(grep -c 'socket(AF_NETLINK' <<<"$trace")" 0 "lint: netlink sockets"
	soft assert_eq "$(grep -cE 'mount\(|mkdir(at)?\(.*/sys/fs/bpf' <<<"$trace")" 0 \
		"lint: mounts and folders under /sys/fs/bpf"
else
	log "strace is not installed: the syscalls of lint are not checked"
fi

# The contrast: apply needs the capabilities, and says which.
err=$(in_node "${NOBODY[@]}" timeout 30 "$FAULTLINE" apply "${goods[0]}" 2>&1 >/dev/null)
rc=$?
log "as nobody, faultline apply ${goods[0]}: $err"
soft assert_eq "$rc" 1 "apply as nobody: exit status"
soft assert_match "$err" "CAP_BPF|CAP_NET_ADMIN|CAP_SYS_ADMIN" "apply as nobody: names the missing capabilities"
soft assert_eq "$([ -e "$FAULTLINE_PIN_DIR" ] && echo exists || echo absent)" absent \
	"after apply as nobody: $FAULTLINE_PIN_DIR"
soft_done
