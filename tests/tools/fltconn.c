// SPDX-License-Identifier: GPL-2.0-only
/*
 * fltconn ADDR PORT --every-ms N --timeout-ms T [--seconds S]: a TCP client that starts a
 * connect every N ms (on a clock of its own, whether or not earlier ones have ended) and gives
 * each T ms, until SIGTERM or SIGINT (or S seconds). One line per attempt once it has ended:
 *   START_UNIX_MS ok|timeout|error:ERRNO_NAME|stopped DURATION_US
 * (stopped: still in flight when the signal came).
 * The experiment tests read it to see when a fault took effect and when it was gone.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define MAX_INFLIGHT 256
#define EXIT_USAGE 64

struct attempt {
	int fd;
	uint64_t start_mono_us;
	uint64_t start_unix_ms;
};

static volatile sig_atomic_t stop;

static void on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

static uint64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static uint64_t unix_ms(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (uint64_t)tv.tv_sec * 1000 + (uint64_t)tv.tv_usec / 1000;
}

static void usage(void)
{
	fprintf(stderr, "usage: fltconn ADDR PORT --every-ms N --timeout-ms T [--seconds S]\n");
	exit(EXIT_USAGE);
}

static unsigned long number(const char *s)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || !v)
		usage();
	return v;
}

static void finish(struct attempt *a, const char *result)
{
	printf("%llu %s %llu\n", (unsigned long long)a->start_unix_ms, result,
	       (unsigned long long)(mono_us() - a->start_mono_us));
	fflush(stdout);
	close(a->fd);
	a->fd = -1;
}

static int start(struct attempt *a, const struct sockaddr_in *addr)
{
	a->start_mono_us = mono_us();
	a->start_unix_ms = unix_ms();
	a->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (a->fd < 0)
		return -errno;
	if (!connect(a->fd, (const struct sockaddr *)addr, sizeof(*addr))) {
		finish(a, "ok");
		return 0;
	}
	if (errno != EINPROGRESS) {
		char what[64];

		snprintf(what, sizeof(what), "error:%s", strerrorname_np(errno) ?: "unknown");
		finish(a, what);
	}
	return 0;
}

/* An attempt that poll() says is done: its result. */
static void settle(struct attempt *a)
{
	char what[64];
	socklen_t len = sizeof(int);
	int soerr = 0;

	getsockopt(a->fd, SOL_SOCKET, SO_ERROR, &soerr, &len);
	if (!soerr) {
		finish(a, "ok");
		return;
	}
	snprintf(what, sizeof(what), "error:%s", strerrorname_np(soerr) ?: "unknown");
	finish(a, what);
}

int main(int argc, char **argv)
{
	struct attempt inflight[MAX_INFLIGHT];
	struct pollfd pfd[MAX_INFLIGHT];
	unsigned long every_ms = 0, timeout_ms = 0, seconds = 0;
	struct sockaddr_in addr = { .sin_family = AF_INET };
	struct sigaction sa = { .sa_handler = on_stop };
	uint64_t next, end = UINT64_MAX, now;
	size_t i, n;
	int a, ret;

	if (argc < 3 || inet_pton(AF_INET, argv[1], &addr.sin_addr) != 1)
		usage();
	addr.sin_port = htons((uint16_t)number(argv[2]));
	for (a = 3; a + 1 < argc; a += 2) {
		if (!strcmp(argv[a], "--every-ms"))
			every_ms = number(argv[a + 1]);
		else if (!strcmp(argv[a], "--timeout-ms"))
			timeout_ms = number(argv[a + 1]);
		else if (!strcmp(argv[a], "--seconds"))
			seconds = number(argv[a + 1]);
		else
			usage();
	}
	if (a != argc || !every_ms || !timeout_ms)
		usage();
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	for (i = 0; i < MAX_INFLIGHT; i++)
		inflight[i].fd = -1;
	next = mono_us();
	if (seconds)
		end = next + seconds * 1000000ULL;
	while (!stop) {
		now = mono_us();
		if (now >= end)
			break;
		if (now >= next) {
			for (i = 0; i < MAX_INFLIGHT && inflight[i].fd >= 0; i++)
				;
			if (i < MAX_INFLIGHT && (ret = start(&inflight[i], &addr)) < 0) {
				fprintf(stderr, "fltconn: socket: %s\n", strerror(-ret));
				return 1;
			}
			while (next <= now)
				next += every_ms * 1000;
		}
		/* the attempts past their time are given up: a timeout */
		for (i = n = 0; i < MAX_INFLIGHT; i++) {
			if (inflight[i].fd < 0)
				continue;
			if (now - inflight[i].start_mono_us >= timeout_ms * 1000) {
				/* the kernel's answer first: this process may have been scheduled late */
				struct pollfd one = { .fd = inflight[i].fd, .events = POLLOUT };

				if (poll(&one, 1, 0) == 1)
					settle(&inflight[i]);
				else
					finish(&inflight[i], "timeout");
				continue;
			}
			pfd[n].fd = inflight[i].fd;
			pfd[n].events = POLLOUT;
			pfd[n].revents = 0;
			n++;
		}
		ret = poll(pfd, n, (int)((next - now + 999) / 1000 < 10 ? (next - now + 999) / 1000
									    : 10));
		if (ret < 0 && errno != EINTR)
			return 1;
		for (i = 0; ret > 0 && i < n; i++) {
			size_t k;

			if (!pfd[i].revents)
				continue;
			for (k = 0; k < MAX_INFLIGHT && inflight[k].fd != pfd[i].fd; k++)
				;
			if (k < MAX_INFLIGHT)
				settle(&inflight[k]);
		}
	}
	for (i = 0; i < MAX_INFLIGHT; i++)
		if (inflight[i].fd >= 0)
			finish(&inflight[i], "stopped");
	return 0;
}
