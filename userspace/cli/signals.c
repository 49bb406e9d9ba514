// SPDX-License-Identifier: GPL-2.0-only
/* Stopping on SIGINT, SIGTERM or SIGHUP, and waiting for a deadline or one of them. */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <time.h>

#include "cli/signals.h"

/* A wait is cut into pieces no longer than this, so a huge --for needs no overflow checks. */
#define WAIT_MAX_NS (3600 * NSEC_PER_SEC)

static const int stop_signals[] = { SIGINT, SIGTERM, SIGHUP };
_Static_assert(sizeof(stop_signals) / sizeof(stop_signals[0]) == SIGNALS_STOP_N,
	       "struct caught_signals has room for each stop signal");
#define NSTOP SIGNALS_STOP_N

volatile sig_atomic_t stop_signal;

static void on_stop(int sig)
{
	stop_signal = sig;
}

void signals_restore(struct caught_signals *c)
{
	size_t i;

	/* the mask first: a signal still pending goes to on_stop(), not to the default action */
	sigprocmask(SIG_SETMASK, &c->old_mask, NULL);
	for (i = 0; i < NSTOP; i++)
		if (c->caught[i])
			sigaction(stop_signals[i], &c->old[i], NULL);
}

/*
 * SIGINT, SIGTERM and SIGHUP end a trace or a run with what was measured so far. They are blocked but
 * while ppoll() waits, so one that comes while a block is read or printed is seen at the next
 * wait rather than lost until the next deadline. No SA_RESTART: the wait must end at once. A
 * signal the process was started with ignored stays ignored (SIGINT of a background job,
 * SIGHUP under nohup), as those who started it asked; SIGTERM always ends the trace.
 */
int signals_catch(struct caught_signals *c)
{
	struct sigaction sa = { .sa_handler = on_stop };
	sigset_t block;
	size_t i;
	int ret;

	memset(c, 0, sizeof(*c));
	stop_signal = 0;
	sigemptyset(&sa.sa_mask);
	sigemptyset(&block);
	for (i = 0; i < NSTOP; i++) {
		if (sigaction(stop_signals[i], NULL, &c->old[i]))
			return -errno;
		c->caught[i] = stop_signals[i] == SIGTERM || c->old[i].sa_handler != SIG_IGN;
		if (c->caught[i])
			sigaddset(&block, stop_signals[i]);
	}
	if (sigprocmask(SIG_BLOCK, &block, &c->old_mask))
		return -errno;
	c->wait_mask = c->old_mask;
	for (i = 0; i < NSTOP; i++) {
		if (!c->caught[i])
			continue;
		sigdelset(&c->wait_mask, stop_signals[i]);
		if (sigaction(stop_signals[i], &sa, NULL)) {
			ret = -errno;
			c->caught[i] = false;
			signals_restore(c);
			return ret;
		}
	}
	return 0;
}

/* base + ms, UINT64_MAX (never) when it does not fit */
uint64_t deadline_after(uint64_t base, uint64_t ms)
{
	if (ms > (UINT64_MAX - base) / NSEC_PER_MSEC)
		return UINT64_MAX;
	return base + ms * NSEC_PER_MSEC;
}

/* Until deadline (CLOCK_MONOTONIC ns) or a caught signal. */
int wait_until(uint64_t deadline, uint64_t now, const sigset_t *mask)
{
	uint64_t left = deadline > now ? deadline - now : 0;
	struct timespec ts;

	if (left > WAIT_MAX_NS)
		left = WAIT_MAX_NS;
	ts.tv_sec = (time_t)(left / NSEC_PER_SEC);
	ts.tv_nsec = (long)(left % NSEC_PER_SEC);
	if (ppoll(NULL, 0, &ts, mask) < 0 && errno != EINTR)
		return -errno;
	return 0;
}
