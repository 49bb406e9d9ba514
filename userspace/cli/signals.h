/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The commands that run until a time or a signal (trace, run): SIGINT, SIGTERM and SIGHUP are
 * caught and blocked but while waiting, so one that comes while the command works is seen at its
 * next wait; stop_signal says which came.
 */
#ifndef FAULTLINE_SIGNALS_H
#define FAULTLINE_SIGNALS_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#define NSEC_PER_MSEC 1000000ULL
#define NSEC_PER_SEC 1000000000ULL
#define SIGNALS_STOP_N 3 /* SIGINT, SIGTERM, SIGHUP */

extern volatile sig_atomic_t stop_signal; /* the stop signal that came, 0 if none */

struct caught_signals {
	sigset_t old_mask;
	sigset_t wait_mask; /* the mask while waiting: the caught signals let through */
	struct sigaction old[SIGNALS_STOP_N];
	bool caught[SIGNALS_STOP_N];
};

/* Catch the stop signals (0, or a negative errno); signals_restore() puts things back. */
int signals_catch(struct caught_signals *c);
void signals_restore(struct caught_signals *c);


/* base + ms, UINT64_MAX (never) when it does not fit */
uint64_t deadline_after(uint64_t base, uint64_t ms);

/* Until deadline (CLOCK_MONOTONIC ns) or a caught signal: 0, or a negative errno. */
int wait_until(uint64_t deadline, uint64_t now, const sigset_t *mask);

#endif /* FAULTLINE_SIGNALS_H */
