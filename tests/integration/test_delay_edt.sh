#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Delay, jitter, rate and delay with loss through the edt backend: see delay_common.sh.
# timeout: 600
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
need_qdisc fq
command -v iperf3 >/dev/null || skip "iperf3 is not installed"
BACKEND=edt
# shellcheck source=tests/integration/delay_common.sh
. "$(dirname "$0")/delay_common.sh"
