/* SPDX-License-Identifier: GPL-2.0-only */
/* The two clocks faultline reads: the kernel's monotonic one, and the wall clock for people. */
#ifndef FAULTLINE_CLOCK_H
#define FAULTLINE_CLOCK_H

#include <stdint.h>

/* CLOCK_MONOTONIC in ns: the clock of bpf_ktime_get_ns(), which the programs compare deadlines
 * with. */
uint64_t mono_now_ns(void);

/* The wall clock in ms since the epoch (CLOCK_REALTIME): for reports, status and logs only. */
uint64_t unix_now_ms(void);

#endif /* FAULTLINE_CLOCK_H */
