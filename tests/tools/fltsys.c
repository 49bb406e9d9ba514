// SPDX-License-Identifier: GPL-2.0-only
/*
 * fltsys: system calls of a known number and length, for the tests of `faultline trace` and
 * its benchmark. Every call is made with syscall(2), so that the C library adds or hides none;
 * results are one line on stdout. Usage errors go to stderr and exit 2.
 *
 * fltsys sleep MS COUNT
 *	Exactly COUNT clock_nanosleep(CLOCK_MONOTONIC, 0, MS ms) system calls, one after the
 *	other, and no other clock_nanosleep. Each lasts at least MS ms (the kernel never wakes a
 *	relative sleep early). Prints "slept COUNT MS_TOTAL MEDIAN_NS" (MS_TOTAL: the wall time of the
 *	loop, in ms; MEDIAN_NS: the median of the calls' durations, each timed around the call)
 *	and exits 0; a call that failed prints "error ERRNO after K" and exits 1.
 * fltsys getppid COUNT
 *	COUNT getppid system calls in a tight loop; prints "ns_per_call N", the loop's time
 *	(clock_gettime around it: the vDSO, not a system call) divided by COUNT. Exit 0.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define EXIT_USAGE 2

static void usage(void)
{
	fprintf(stderr, "usage: fltsys sleep MS COUNT\n"
			"       fltsys getppid COUNT\n");
	exit(EXIT_USAGE);
}

static unsigned long parse_num(const char *what, const char *s, unsigned long max)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v > max) {
		fprintf(stderr, "fltsys: %s: \"%s\" is not a number in 0..%lu\n", what, s, max);
		exit(EXIT_USAGE);
	}
	return v;
}

/* CLOCK_MONOTONIC in ns, through the vDSO (no system call on x86_64). */
static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int cmd_sleep(int argc, char **argv)
{
	unsigned long ms, count, i;
	uint64_t start, t0, *took;
	struct timespec ts;

	if (argc != 2)
		usage();
	ms = parse_num("MS", argv[0], 3600000);
	count = parse_num("COUNT", argv[1], 100000000);
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (long)(ms % 1000) * 1000000;
	took = calloc(count ? count : 1, sizeof(*took));
	if (!took) {
		printf("error %s after 0\n", strerror(ENOMEM));
		return 1;
	}
	start = now_ns();
	for (i = 0; i < count; i++) {
		t0 = now_ns();
		/* The raw call returns -1 with errno; glibc's wrapper would return the errno. */
		if (syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, &ts, NULL)) {
			printf("error %s after %lu\n", strerror(errno), i);
			return 1;
		}
		took[i] = now_ns() - t0;
	}
	/* the median of what each call took, as measured here: what the tracer's p50 must match */
	qsort(took, count, sizeof(*took), cmp_u64);
	printf("slept %lu %llu %llu\n", count, (unsigned long long)((now_ns() - start) / 1000000),
	       (unsigned long long)(count ? took[(count - 1) / 2] : 0));
	free(took);
	return 0;
}

static int cmd_getppid(int argc, char **argv)
{
	unsigned long count, i;
	uint64_t start, ns;

	if (argc != 1)
		usage();
	count = parse_num("COUNT", argv[0], 1000000000);
	if (!count)
		usage();
	start = now_ns();
	for (i = 0; i < count; i++)
		syscall(SYS_getppid);
	ns = now_ns() - start;
	printf("ns_per_call %llu\n", (unsigned long long)(ns / count));
	return 0;
}

int main(int argc, char **argv)
{
	/* Results must reach a pipe even when the test kills us right after. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2)
		usage();
	if (!strcmp(argv[1], "sleep"))
		return cmd_sleep(argc - 2, argv + 2);
	if (!strcmp(argv[1], "getppid"))
		return cmd_getppid(argc - 2, argv + 2);
	fprintf(stderr, "fltsys: unknown command \"%s\"\n", argv[1]);
	usage();
	return EXIT_USAGE;
}
