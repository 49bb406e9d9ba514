// SPDX-License-Identifier: GPL-2.0-only
/*
 * fltnet: the traffic tool of faultline's integration tests. Numeric IPv4 and IPv6 addresses
 * only; every result is one line on stdout, fields separated by single spaces, so that a test
 * reads it with `read` or awk. Usage errors go to stderr and exit 3.
 *
 * fltnet serve tcp|udp PORT... [tcp|udp PORT...]
 *	Listen on [::] (dual-stack) on every PORT: TCP connections are echoed (a child process
 *	per connection), UDP datagrams are sent back to their sender. Prints "listening PROTO
 *	PORT" per socket, then runs until killed.
 * fltnet connect ADDR PORT [--timeout-ms N]
 *	One TCP connect: "ok MS" (exit 0), "error ERRNONAME MS" (exit 1) or "timeout MS"
 *	(exit 2).
 * fltnet udp ADDR PORT --count N [--interval-us U] [--wait-ms W] [--no-check] [--local-port L]
 *	N numbered datagrams of UDP_PROBE_LEN bytes from one unconnected socket, each echo
 *	counted once: "sent S received R errors E duplicates D reordered O corrupted C"
 *	(S: sends that succeeded, E: sends that failed, D: echoes of a number already seen, O:
 *	echoes that arrived after a higher number, C: echoes whose bytes changed on the way).
 *	--no-check sends IPv4 datagrams without a UDP checksum (SO_NO_CHECK), so that a
 *	corrupted payload is delivered rather than dropped. --local-port sends from port L
 *	(bound first), so that a peer's rule on its port sees it. Exit 0.
 * fltnet rtt ADDR PORT --count N [--interval-us U] [--timeout-ms T] [--local-port L]
 *	N UDP request/echo round trips, one at a time: "samples S lost L median_us M mean_us A
 *	stddev_us D p99_us P min_us I max_us X autocorr_pct C" (C: the lag-1 autocorrelation of
 *	the samples in the order they were taken, in percent). Exit 0 when at least one sample
 *	was taken.
 * fltnet udp-connect ADDR PORT [--timeout-ms T]
 *	connect() on a UDP socket, then one probe and its echo: "ok MS" (exit 0), "error ERRNONAME"
 *	when connect() or the send failed (exit 1), "timeout MS" when no echo came (exit 2).
 * fltnet ping ADDR --count N [--interval-us U] [--wait-ms W] [--connect]
 *	N ICMP echo requests from an ICMP datagram ("ping") socket, each reply counted once:
 *	"sent S received R errors E first-error ERRNONAME|none". --connect calls connect() on the
 *	socket first and sends without an address; its failure prints "error ERRNONAME" (exit 1).
 *	The socket needs the caller's group in net.ipv4.ping_group_range of its netns. Exit 0.
 * fltnet udp-send ADDR PORT --count N
 *	N unconnected sendto() calls, no echo expected:
 *	"sent S errors E first-error ERRNONAME|none". Exit 0 when every send succeeded, else 1.
 * fltnet tcp-echo ADDR PORT --count N [--timeout-ms N]
 *	N request/response round trips of 64 bytes on one connection: "ok N MS CONNECT_US
 *	MEDIAN_US" (exit 0: MS all of it, CONNECT_US the connect, MEDIAN_US the round trips'
 *	median), "error ERRNONAME after K" (exit 1) or "timeout after K" (exit 2), K the round
 *	trips done.
 * fltnet rr ADDR PORT --seconds S [--size B] [--timeout-ms T]
 *	TCP_RR as netperf does it: one connection (TCP_NODELAY), then for S seconds a B-byte
 *	request (default 1) and its whole echo from `fltnet serve tcp PORT`, one at a time:
 *	"transactions N per_sec X" (exit 0), X with two decimals; "error ERRNONAME after K"
 *	(exit 1) or "timeout after K" (exit 2) when connecting or a transaction fails or takes
 *	longer than T ms (default 3000).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/icmp6.h>
#include <netinet/ip_icmp.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define EXIT_OK 0
#define EXIT_ERROR 1
#define EXIT_TIMEOUT 2
#define EXIT_USAGE 3

#define MAX_LISTENERS 64
#define UDP_MAGIC 0x666c746eu /* "fltn" */
#define ECHO_LEN 64
#define RR_MAX_SIZE 65536 /* the echo server reads at most this much at a time */
#define SOCKET_BUF_BYTES (4 << 20) /* room for thousands of datagrams in flight */

#define UDP_PROBE_LEN 256 /* mostly payload, so that a corrupted bit is most likely in it */

struct udp_probe {
	uint32_t magic;
	uint32_t seq;
	uint8_t pattern[UDP_PROBE_LEN - 8]; /* byte i is (seq + i) & 0xff */
};

static void probe_fill(struct udp_probe *p, uint32_t seq)
{
	size_t i;

	p->magic = htonl(UDP_MAGIC);
	p->seq = htonl(seq);
	for (i = 0; i < sizeof(p->pattern); i++)
		p->pattern[i] = (uint8_t)(seq + i);
}

/* An echo whose bytes are not those of a probe of its (plausible) number. */
static bool probe_corrupted(const struct udp_probe *p, ssize_t n)
{
	uint32_t seq = ntohl(p->seq);
	size_t i, bad = 0;

	if (n != sizeof(*p) || ntohl(p->magic) != UDP_MAGIC)
		return true;
	for (i = 0; i < sizeof(p->pattern); i++)
		bad += p->pattern[i] != (uint8_t)(seq + i);
	return bad != 0;
}

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static const char *errno_str(int err)
{
	static char buf[16];
	const char *name = strerrorname_np(err);

	if (name)
		return name;
	snprintf(buf, sizeof(buf), "E%d", err);
	return buf;
}

static void usage(void)
{
	fprintf(stderr, "usage: fltnet serve tcp|udp PORT... [tcp|udp PORT...]\n"
			"       fltnet connect ADDR PORT [--timeout-ms N]\n"
			"       fltnet udp ADDR PORT --count N [--interval-us U] [--wait-ms W] [--no-check]\n"
			"                  [--local-port L]\n"
			"       fltnet rtt ADDR PORT --count N [--interval-us U] [--timeout-ms T]\n"
			"                  [--local-port L]\n"
			"       fltnet udp-connect ADDR PORT [--timeout-ms T]\n"
			"       fltnet ping ADDR --count N [--interval-us U] [--wait-ms W] [--connect]\n"
			"       fltnet udp-send ADDR PORT --count N\n"
			"       fltnet tcp-echo ADDR PORT --count N [--timeout-ms N]\n"
			"       fltnet rr ADDR PORT --seconds S [--size B] [--timeout-ms T]\n");
	exit(EXIT_USAGE);
}

static unsigned long parse_num(const char *what, const char *s, unsigned long max)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v > max) {
		fprintf(stderr, "fltnet: %s: \"%s\" is not a number in 0..%lu\n", what, s, max);
		exit(EXIT_USAGE);
	}
	return v;
}

/* ADDR PORT into a sockaddr; ADDR may be written [v6] too. */
static void parse_peer(const char *addr, const char *port, struct sockaddr_storage *ss,
		       socklen_t *len)
{
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	uint16_t p = parse_num("port", port, 65535);
	char buf[INET6_ADDRSTRLEN + 2];
	size_t n = strlen(addr);

	if (n >= 2 && addr[0] == '[' && addr[n - 1] == ']' && n - 2 < sizeof(buf)) {
		memcpy(buf, addr + 1, n - 2);
		buf[n - 2] = '\0';
	} else {
		snprintf(buf, sizeof(buf), "%s", addr);
	}
	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, buf, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(p);
		*len = sizeof(*sin);
	} else if (inet_pton(AF_INET6, buf, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(p);
		*len = sizeof(*sin6);
	} else {
		fprintf(stderr, "fltnet: address \"%s\" is not a numeric IPv4 or IPv6 address\n",
			addr);
		exit(EXIT_USAGE);
	}
}

struct opts {
	unsigned long count;
	unsigned long timeout_ms;
	unsigned long interval_us;
	unsigned long wait_ms;
	unsigned long local_port; /* 0: an ephemeral port */
	unsigned long seconds;
	unsigned long size;
	bool no_check;
	bool connect;
};

/* The --options after ADDR PORT; count_required for the commands that send N of something. */
static void parse_opts(int argc, char **argv, struct opts *o, bool count_required)
{
	bool have_count = false;
	int i;

	for (i = 0; i < argc; i++) {
		const char *opt = argv[i];

		if (!strcmp(opt, "--no-check")) {
			o->no_check = true;
			continue;
		}
		if (!strcmp(opt, "--connect")) {
			o->connect = true;
			continue;
		}
		if (i + 1 >= argc)
			usage();
		if (!strcmp(opt, "--count")) {
			o->count = parse_num(opt, argv[++i], 100000000);
			have_count = true;
		} else if (!strcmp(opt, "--timeout-ms")) {
			o->timeout_ms = parse_num(opt, argv[++i], INT_MAX);
		} else if (!strcmp(opt, "--interval-us")) {
			o->interval_us = parse_num(opt, argv[++i], 10000000);
		} else if (!strcmp(opt, "--wait-ms")) {
			o->wait_ms = parse_num(opt, argv[++i], INT_MAX);
		} else if (!strcmp(opt, "--local-port")) {
			o->local_port = parse_num(opt, argv[++i], 65535);
		} else if (!strcmp(opt, "--seconds")) {
			o->seconds = parse_num(opt, argv[++i], 3600);
		} else if (!strcmp(opt, "--size")) {
			o->size = parse_num(opt, argv[++i], RR_MAX_SIZE);
		} else {
			fprintf(stderr, "fltnet: unknown option \"%s\"\n", opt);
			usage();
		}
	}
	if (count_required && !have_count)
		usage();
}

/* Big socket buffers, so that the tool itself drops nothing; FORCE works as root. */
static void grow_buffers(int fd)
{
	int bytes = SOCKET_BUF_BYTES;

	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof(bytes)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(bytes));
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &bytes, sizeof(bytes)))
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof(bytes));
}

static int listen_on(int type, uint16_t port)
{
	struct sockaddr_in6 sin6 = {.sin6_family = AF_INET6, .sin6_port = htons(port)};
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(port)};
	int one = 1, zero = 0;
	int fd;

	/* Dual-stack on [::]; a namespace without IPv6 falls back to IPv4 only. */
	fd = socket(AF_INET6, type, 0);
	if (fd >= 0) {
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, (struct sockaddr *)&sin6, sizeof(sin6)))
			goto fail;
	} else {
		fd = socket(AF_INET, type, 0);
		if (fd < 0)
			goto fail;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)))
			goto fail;
	}
	if (type == SOCK_STREAM && listen(fd, 512))
		goto fail;
	if (type == SOCK_DGRAM)
		grow_buffers(fd);
	return fd;
fail:
	fprintf(stderr, "fltnet: cannot listen on %s port %u: %s\n",
		type == SOCK_STREAM ? "tcp" : "udp", port, strerror(errno));
	exit(EXIT_ERROR);
}

/* A connection's child: echo until the peer closes. */
static void echo_stream(int fd)
{
	char buf[65536];
	ssize_t n, off, w;

	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (off = 0; off < n; off += w) {
			w = write(fd, buf + off, n - off);
			if (w <= 0)
				return;
		}
	}
}

static void echo_datagram(int fd)
{
	struct sockaddr_storage from;
	socklen_t fromlen = sizeof(from);
	char buf[65536];
	ssize_t n;

	n = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&from, &fromlen);
	if (n >= 0)
		sendto(fd, buf, n, MSG_DONTWAIT, (struct sockaddr *)&from, fromlen);
}

static void accept_one(int lfd, int *fds, int nfds)
{
	pid_t pid;
	int fd, i;

	fd = accept(lfd, NULL, NULL);
	if (fd < 0)
		return;
	pid = fork();
	if (pid == 0) {
		/* The child must not outlive the server a test kills. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (i = 0; i < nfds; i++)
			close(fds[i]);
		echo_stream(fd);
		_exit(0);
	}
	close(fd);
}

static int cmd_serve(int argc, char **argv)
{
	struct pollfd pfds[MAX_LISTENERS];
	int fds[MAX_LISTENERS], types[MAX_LISTENERS];
	int type = -1, nfds = 0, i;

	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "tcp")) {
			type = SOCK_STREAM;
		} else if (!strcmp(argv[i], "udp")) {
			type = SOCK_DGRAM;
		} else {
			uint16_t port = parse_num("port", argv[i], 65535);

			if (type < 0 || nfds == MAX_LISTENERS)
				usage();
			fds[nfds] = listen_on(type, port);
			types[nfds] = type;
			printf("listening %s %u\n", type == SOCK_STREAM ? "tcp" : "udp", port);
			nfds++;
		}
	}
	if (!nfds)
		usage();
	fflush(stdout);
	/* Children are reaped by the kernel: no zombies however many connections come. */
	signal(SIGCHLD, SIG_IGN);

	for (i = 0; i < nfds; i++)
		pfds[i] = (struct pollfd){.fd = fds[i], .events = POLLIN};
	for (;;) {
		if (poll(pfds, nfds, -1) < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "fltnet: poll: %s\n", strerror(errno));
			return EXIT_ERROR;
		}
		for (i = 0; i < nfds; i++) {
			if (!(pfds[i].revents & POLLIN))
				continue;
			if (types[i] == SOCK_STREAM)
				accept_one(fds[i], fds, nfds);
			else
				echo_datagram(fds[i]);
		}
	}
}

/*
 * A non-blocking connect bounded by timeout_ms. Returns 0 connected, a positive errno, or -1
 * on timeout; *fd_out is the socket (the caller closes it), *elapsed_ms the time taken.
 */
static int connect_timed(const struct sockaddr_storage *peer, socklen_t len,
			 unsigned long timeout_ms, int *fd_out, uint64_t *elapsed_ms)
{
	uint64_t start = now_us(), deadline = start + (uint64_t)timeout_ms * 1000;
	struct pollfd pfd;
	socklen_t errlen;
	int fd, err, ret;

	fd = socket(peer->ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		err = errno;
		goto out;
	}
	*fd_out = fd;
	if (!connect(fd, (const struct sockaddr *)peer, len)) {
		err = 0;
		goto out;
	}
	/* A cgroup connect hook's verdict comes back here, synchronously. */
	if (errno != EINPROGRESS) {
		err = errno;
		goto out;
	}
	for (;;) {
		uint64_t now = now_us();

		if (now >= deadline) {
			err = -1;
			goto out;
		}
		pfd = (struct pollfd){.fd = fd, .events = POLLOUT};
		ret = poll(&pfd, 1, (deadline - now + 999) / 1000);
		if (ret < 0 && errno == EINTR)
			continue;
		if (ret < 0) {
			err = errno;
			goto out;
		}
		if (ret == 0)
			continue;
		errlen = sizeof(err);
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &errlen))
			err = errno;
		goto out;
	}
out:
	*elapsed_ms = (now_us() - start) / 1000;
	return err;
}

static int cmd_connect(int argc, char **argv)
{
	struct opts o = {.timeout_ms = 3000};
	struct sockaddr_storage peer;
	uint64_t ms;
	socklen_t len;
	int fd = -1, err;

	if (argc < 2)
		usage();
	parse_peer(argv[0], argv[1], &peer, &len);
	parse_opts(argc - 2, argv + 2, &o, false);

	err = connect_timed(&peer, len, o.timeout_ms, &fd, &ms);
	if (fd >= 0)
		close(fd);
	if (err == 0) {
		printf("ok %llu\n", (unsigned long long)ms);
		return EXIT_OK;
	}
	if (err < 0) {
		printf("timeout %llu\n", (unsigned long long)ms);
		return EXIT_TIMEOUT;
	}
	printf("error %s %llu\n", errno_str(err), (unsigned long long)ms);
	return EXIT_ERROR;
}

/* A UDP socket, bound to local_port when it is not 0 (on the wildcard address). */
static int udp_socket(int family, unsigned long local_port)
{
	int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	struct sockaddr_storage ss = {.ss_family = family};
	socklen_t len = sizeof(struct sockaddr_in);

	if (fd < 0) {
		fprintf(stderr, "fltnet: udp socket: %s\n", strerror(errno));
		exit(EXIT_ERROR);
	}
	grow_buffers(fd);
	if (!local_port)
		return fd;
	if (family == AF_INET6) {
		((struct sockaddr_in6 *)&ss)->sin6_port = htons(local_port);
		len = sizeof(struct sockaddr_in6);
	} else {
		((struct sockaddr_in *)&ss)->sin_port = htons(local_port);
	}
	if (bind(fd, (struct sockaddr *)&ss, len)) {
		fprintf(stderr, "fltnet: cannot bind udp port %lu: %s\n", local_port,
			strerror(errno));
		exit(EXIT_ERROR);
	}
	return fd;
}

struct echo_stats {
	unsigned long received, duplicates, reordered, corrupted;
	long highest; /* highest number seen, -1 before any */
};

/* Read every echo waiting; each sequence number counts once as received. */
static void drain_echoes(int fd, uint8_t *seen, unsigned long count, struct echo_stats *st)
{
	struct udp_probe p;
	ssize_t n;

	while ((n = recv(fd, &p, sizeof(p), MSG_DONTWAIT)) >= 0) {
		uint32_t seq = ntohl(p.seq);

		if (probe_corrupted(&p, n)) {
			st->corrupted++;
			continue;
		}
		if (seq >= count)
			continue;
		if (seen[seq]) {
			st->duplicates++;
			continue;
		}
		seen[seq] = 1;
		st->received++;
		if ((long)seq < st->highest)
			st->reordered++;
		else
			st->highest = seq;
	}
}

static int cmd_udp(int argc, char **argv)
{
	struct opts o = {.interval_us = 50, .wait_ms = 500};
	struct echo_stats st = {.highest = -1};
	unsigned long i, sent = 0, errors = 0;
	struct sockaddr_storage peer;
	struct pollfd pfd;
	uint64_t start, due, end, now;
	uint8_t *seen;
	socklen_t len;
	int fd, one = 1;

	if (argc < 2)
		usage();
	parse_peer(argv[0], argv[1], &peer, &len);
	parse_opts(argc - 2, argv + 2, &o, true);
	fd = udp_socket(peer.ss_family, o.local_port);
	if (o.no_check && setsockopt(fd, SOL_SOCKET, SO_NO_CHECK, &one, sizeof(one))) {
		fprintf(stderr, "fltnet: SO_NO_CHECK: %s\n", strerror(errno));
		return EXIT_ERROR;
	}
	seen = calloc(o.count ? o.count : 1, 1);
	if (!seen)
		return EXIT_ERROR;

	start = now_us();
	for (i = 0; i < o.count; i++) {
		struct udp_probe p;

		probe_fill(&p, (uint32_t)i);
		if (sendto(fd, &p, sizeof(p), 0, (struct sockaddr *)&peer, len) == sizeof(p))
			sent++;
		else
			errors++;
		/* Pace the sends, reading echoes meanwhile so our receive queue never fills. */
		due = start + (i + 1) * o.interval_us;
		do {
			drain_echoes(fd, seen, o.count, &st);
			now = now_us();
			if (due > now + 1000) {
				pfd = (struct pollfd){.fd = fd, .events = POLLIN};
				poll(&pfd, 1, (due - now) / 1000);
			}
		} while (now_us() < due);
	}
	end = now_us() + o.wait_ms * 1000;
	/* duplicates may still come after every number was seen: wait the whole time for them */
	while ((st.received < sent || o.wait_ms) && (now = now_us()) < end) {
		pfd = (struct pollfd){.fd = fd, .events = POLLIN};
		poll(&pfd, 1, (end - now + 999) / 1000);
		drain_echoes(fd, seen, o.count, &st);
		if (st.received >= sent && !st.duplicates && !st.reordered && !st.corrupted)
			break; /* nothing odd so far: no reason to wait for more */
	}
	printf("sent %lu received %lu errors %lu duplicates %lu reordered %lu corrupted %lu\n", sent,
	       st.received, errors, st.duplicates, st.reordered, st.corrupted);
	free(seen);
	close(fd);
	return EXIT_OK;
}

static int wait_readable(int fd, uint64_t deadline_us);

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int cmd_rtt(int argc, char **argv)
{
	struct opts o = {.interval_us = 10000, .timeout_ms = 2000};
	struct sockaddr_storage peer;
	uint64_t *samples, start, sum = 0;
	unsigned long i, n = 0, lost = 0;
	double mean, var = 0, lag1 = 0;
	socklen_t len;
	int fd;

	if (argc < 2)
		usage();
	parse_peer(argv[0], argv[1], &peer, &len);
	parse_opts(argc - 2, argv + 2, &o, true);
	fd = udp_socket(peer.ss_family, o.local_port);
	samples = calloc(o.count ? o.count : 1, sizeof(*samples));
	if (!samples)
		return EXIT_ERROR;
	for (i = 0; i < o.count; i++) {
		uint64_t deadline;
		struct udp_probe p, r;
		bool got = false;
		ssize_t k;

		probe_fill(&p, (uint32_t)i);
		start = now_us();
		deadline = start + (uint64_t)o.timeout_ms * 1000;
		if (sendto(fd, &p, sizeof(p), 0, (struct sockaddr *)&peer, len) != sizeof(p)) {
			lost++;
			continue;
		}
		while (!got && wait_readable(fd, deadline) > 0) {
			while ((k = recv(fd, &r, sizeof(r), MSG_DONTWAIT)) > 0)
				if (!probe_corrupted(&r, k) && ntohl(r.seq) == i)
					got = true;
		}
		if (got)
			samples[n++] = now_us() - start;
		else
			lost++;
		while (now_us() < start + o.interval_us)
			usleep(100);
	}
	close(fd);
	if (!n) {
		printf("samples 0 lost %lu\n", lost);
		free(samples);
		return EXIT_ERROR;
	}
	for (i = 0; i < n; i++)
		sum += samples[i];
	mean = (double)sum / n;
	for (i = 0; i < n; i++) {
		var += ((double)samples[i] - mean) * ((double)samples[i] - mean);
		/* in the order taken (a lost probe just joins its neighbours), before sorting */
		if (i)
			lag1 += ((double)samples[i] - mean) * ((double)samples[i - 1] - mean);
	}
	qsort(samples, n, sizeof(*samples), cmp_u64);
	printf("samples %lu lost %lu median_us %llu mean_us %.0f stddev_us %.0f p99_us %llu min_us "
	       "%llu max_us %llu autocorr_pct %.0f\n",
	       n, lost, (unsigned long long)samples[n / 2], mean, n > 1 ? sqrt(var / (n - 1)) : 0.0,
	       (unsigned long long)samples[(n * 99) / 100 < n ? (n * 99) / 100 : n - 1],
	       (unsigned long long)samples[0], (unsigned long long)samples[n - 1],
	       var > 0 ? 100 * lag1 / var : 0.0);
	free(samples);
	return EXIT_OK;
}

static int cmd_udp_send(int argc, char **argv)
{
	struct opts o = {0};
	unsigned long i, sent = 0, errors = 0;
	struct sockaddr_storage peer;
	int fd, first_error = 0;
	socklen_t len;

	if (argc < 2)
		usage();
	parse_peer(argv[0], argv[1], &peer, &len);
	parse_opts(argc - 2, argv + 2, &o, true);
	fd = udp_socket(peer.ss_family, o.local_port);

	for (i = 0; i < o.count; i++) {
		struct udp_probe p;

		probe_fill(&p, (uint32_t)i);
		if (sendto(fd, &p, sizeof(p), 0, (struct sockaddr *)&peer, len) == sizeof(p)) {
			sent++;
			continue;
		}
		if (!errors)
			first_error = errno;
		errors++;
	}
	printf("sent %lu errors %lu first-error %s\n", sent, errors,
	       errors ? errno_str(first_error) : "none");
	close(fd);
	return errors ? EXIT_ERROR : EXIT_OK;
}

/* Wait for fd to be readable until deadline_us: 1 ready, 0 timed out, -errno. */
static int wait_readable(int fd, uint64_t deadline_us)
{
	struct pollfd pfd;
	uint64_t now;
	int ret;

	for (;;) {
		now = now_us();
		if (now >= deadline_us)
			return 0;
		pfd = (struct pollfd){.fd = fd, .events = POLLIN};
		ret = poll(&pfd, 1, (deadline_us - now + 999) / 1000);
		if (ret > 0)
			return 1;
		if (ret < 0 && errno != EINTR)
			return -errno;
	}
}

/* One 64-byte request and its echo: 0, a positive errno, or -1 on timeout. */
static int round_trip(int fd, unsigned long seq, unsigned long timeout_ms)
{
	uint64_t deadline = now_us() + (uint64_t)timeout_ms * 1000;
	char req[ECHO_LEN], resp[ECHO_LEN];
	size_t got = 0;
	ssize_t n;
	int ret;

	memset(req, 'x', sizeof(req));
	snprintf(req, sizeof(req), "fltnet %lu ", seq);
	n = send(fd, req, sizeof(req), MSG_NOSIGNAL);
	if (n < 0)
		return errno;
	if (n != sizeof(req))
		return EIO; /* 64 bytes always fit an empty send buffer */
	while (got < sizeof(resp)) {
		ret = wait_readable(fd, deadline);
		if (ret == 0)
			return -1;
		if (ret < 0)
			return -ret;
		n = recv(fd, resp + got, sizeof(resp) - got, MSG_DONTWAIT);
		if (n == 0)
			return ECONNRESET; /* the peer closed mid-exchange */
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return errno;
		if (n > 0)
			got += n;
	}
	return memcmp(req, resp, sizeof(req)) ? EBADMSG : 0;
}

static int cmd_tcp_echo(int argc, char **argv)
{
	struct opts o = {.timeout_ms = 3000};
	uint64_t start, ms, t0, connect_us, *took;
	struct sockaddr_storage peer;
	unsigned long done;
	socklen_t len;
	int fd = -1, err;

	if (argc < 2)
		usage();
	parse_peer(argv[0], argv[1], &peer, &len);
	parse_opts(argc - 2, argv + 2, &o, true);

	took = calloc(o.count ? o.count : 1, sizeof(*took));
	if (!took) {
		fprintf(stderr, "fltnet: tcp-echo: out of memory\n");
		exit(EXIT_ERROR);
	}
	start = now_us();
	err = connect_timed(&peer, len, o.timeout_ms, &fd, &ms);
	connect_us = now_us() - start;
	for (done = 0; !err && done < o.count; done++) {
		t0 = now_us();
		err = round_trip(fd, done, o.timeout_ms);
		took[done] = now_us() - t0;
	}
	if (fd >= 0)
		close(fd);
	if (err == 0) {
		qsort(took, done, sizeof(*took), cmp_u64);
		printf("ok %lu %llu %llu %llu\n", done, (unsigned long long)(now_us() - start) / 1000,
		       (unsigned long long)connect_us,
		       (unsigned long long)(done ? took[(done - 1) / 2] : 0));
		free(took);
		return EXIT_OK;
	}
	free(took);
	if (err < 0) {
		printf("timeout after %lu\n", done);
		return EXIT_TIMEOUT;
	}
	printf("error %s after %lu\n", errno_str(err), done);
	return EXIT_ERROR;
}

/* One rr transaction on a blocking socket: 0, a positive errno, or -1 on timeout (SO_RCVTIMEO). */
static int rr_transaction(int fd, char *req, char *resp, size_t size, unsigned long seq)
{
	size_t off;
	ssize_t n;

	memset(req, (int)(seq & 0xff), size);
	for (off = 0; off < size; off += n) {
		n = send(fd, req + off, size - off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			n = 0;
		else if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ? -1 : errno;
	}
	for (off = 0; off < size; off += n) {
		n = recv(fd, resp + off, size - off, 0);
		if (n == 0)
			return ECONNRESET; /* the peer closed mid-exchange */
		if (n < 0 && errno == EINTR)
			n = 0;
		else if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ? -1 : errno;
	}
	return memcmp(req, resp, size) ? EBADMSG : 0;
}

static int cmd_rr(int argc, char **argv)
{
	struct opts o = {.timeout_ms = 3000, .size = 1};
	struct sockaddr_storage peer;
	struct timeval tv;
	uint64_t start, end, now, ms;
	unsigned long done = 0;
	char *req, *resp;
	socklen_t len;
	int fd = -1, err, one = 1;

	if (argc < 2)
		usage();
	parse_peer(argv[0], argv[1], &peer, &len);
	parse_opts(argc - 2, argv + 2, &o, false);
	if (!o.seconds || !o.size || !o.timeout_ms) {
		fprintf(stderr,
			"fltnet: rr: --seconds, --size and --timeout-ms must be at least 1\n");
		exit(EXIT_USAGE);
	}
	req = malloc(o.size);
	resp = malloc(o.size);
	if (!req || !resp)
		return EXIT_ERROR;

	err = connect_timed(&peer, len, o.timeout_ms, &fd, &ms);
	if (!err) {
		/* Blocking from here on, each wait bounded by the timeout. */
		tv.tv_sec = o.timeout_ms / 1000;
		tv.tv_usec = (o.timeout_ms % 1000) * 1000;
		if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) ||
		    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) ||
		    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
		    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)))
			err = errno;
	}
	start = now_us();
	end = start + (uint64_t)o.seconds * 1000000;
	/* now_us() reads the vDSO clock: no system call of its own between transactions */
	for (now = start; !err && now < end; now = now_us()) {
		err = rr_transaction(fd, req, resp, o.size, done);
		if (!err)
			done++;
	}
	if (fd >= 0)
		close(fd);
	free(req);
	free(resp);
	if (err == 0) {
		printf("transactions %lu per_sec %.2f\n", done,
		       now > start ? done * 1e6 / (double)(now - start) : 0.0);
		return EXIT_OK;
	}
	if (err < 0) {
		printf("timeout after %lu\n", done);
		return EXIT_TIMEOUT;
	}
	printf("error %s after %lu\n", errno_str(err), done);
	return EXIT_ERROR;
}

static int cmd_udp_connect(int argc, char **argv)
{
	struct opts o = {.timeout_ms = 2000};
	struct sockaddr_storage peer;
	struct udp_probe p, r;
	uint64_t start;
	socklen_t len;
	ssize_t k;
	int fd;

	if (argc < 2)
		usage();
	parse_peer(argv[0], argv[1], &peer, &len);
	parse_opts(argc - 2, argv + 2, &o, false);
	fd = udp_socket(peer.ss_family, o.local_port);
	start = now_us();
	/* A cgroup connect hook's verdict comes back here. */
	if (connect(fd, (struct sockaddr *)&peer, len)) {
		printf("error %s\n", errno_str(errno));
		return EXIT_ERROR;
	}
	probe_fill(&p, 0);
	if (send(fd, &p, sizeof(p), 0) != sizeof(p)) {
		printf("error %s\n", errno_str(errno));
		return EXIT_ERROR;
	}
	while (wait_readable(fd, start + (uint64_t)o.timeout_ms * 1000) > 0) {
		while ((k = recv(fd, &r, sizeof(r), MSG_DONTWAIT)) > 0) {
			if (!probe_corrupted(&r, k) && ntohl(r.seq) == 0) {
				printf("ok %llu\n", (unsigned long long)(now_us() - start) / 1000);
				return EXIT_OK;
			}
		}
	}
	printf("timeout %llu\n", (unsigned long long)(now_us() - start) / 1000);
	return EXIT_TIMEOUT;
}

/* Replies waiting on a ping socket; each sequence number counts once. */
static void drain_replies(int fd, int family, uint8_t *seen, unsigned long count,
			  unsigned long *received)
{
	union {
		struct icmphdr v4;
		struct icmp6_hdr v6;
		char buf[256];
	} r;
	unsigned long seq;
	ssize_t n;

	while ((n = recv(fd, &r, sizeof(r), MSG_DONTWAIT)) >= 8) {
		if (family == AF_INET ? r.v4.type != ICMP_ECHOREPLY
				      : r.v6.icmp6_type != ICMP6_ECHO_REPLY)
			continue;
		seq = ntohs(family == AF_INET ? r.v4.un.echo.sequence : r.v6.icmp6_seq);
		if (seq < count && !seen[seq]) {
			seen[seq] = 1;
			(*received)++;
		}
	}
}

static int cmd_ping(int argc, char **argv)
{
	struct opts o = {.interval_us = 1000, .wait_ms = 500};
	unsigned long i, sent = 0, errors = 0, received = 0;
	struct sockaddr_storage peer;
	int fd, family, first_error = 0;
	uint64_t start, due, end, now;
	struct pollfd pfd;
	uint8_t *seen;
	socklen_t len;

	if (argc < 1)
		usage();
	parse_peer(argv[0], "0", &peer, &len);
	parse_opts(argc - 1, argv + 1, &o, true);
	if (o.count > 65536) {
		fprintf(stderr, "fltnet: ping: at most 65536 echoes (16-bit sequence numbers)\n");
		exit(EXIT_USAGE);
	}
	family = peer.ss_family;
	/* SOCK_DGRAM: the kernel sets the echo id and filters the replies (net/ipv4/ping.c) */
	fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK,
		    family == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6);
	if (fd < 0) {
		fprintf(stderr, "fltnet: ping socket: %s (is our group in ping_group_range?)\n",
			strerror(errno));
		return EXIT_ERROR;
	}
	grow_buffers(fd);
	/* cgroup/connect4|6 see connect() of ping sockets since kernel 6.1 (commit 0ffe2412531e) */
	if (o.connect && connect(fd, (struct sockaddr *)&peer, len)) {
		printf("error %s\n", errno_str(errno));
		return EXIT_ERROR;
	}
	seen = calloc(o.count ? o.count : 1, 1);
	if (!seen)
		return EXIT_ERROR;
	start = now_us();
	for (i = 0; i < o.count; i++) {
		union {
			struct icmphdr v4;
			struct icmp6_hdr v6;
		} req;
		char pkt[sizeof(req) + 56];
		ssize_t n;

		memset(&req, 0, sizeof(req));
		if (family == AF_INET) {
			req.v4.type = ICMP_ECHO;
			req.v4.un.echo.sequence = htons((uint16_t)i);
		} else {
			req.v6.icmp6_type = ICMP6_ECHO_REQUEST;
			req.v6.icmp6_seq = htons((uint16_t)i);
		}
		memset(pkt, 'f', sizeof(pkt));
		memcpy(pkt, &req, 8);
		if (o.connect)
			n = send(fd, pkt, sizeof(pkt), 0);
		else
			n = sendto(fd, pkt, sizeof(pkt), 0, (struct sockaddr *)&peer, len);
		if (n == (ssize_t)sizeof(pkt)) {
			sent++;
		} else {
			if (!errors)
				first_error = errno;
			errors++;
		}
		due = start + (i + 1) * o.interval_us;
		do {
			drain_replies(fd, family, seen, o.count, &received);
			now = now_us();
			if (due > now + 1000) {
				pfd = (struct pollfd){.fd = fd, .events = POLLIN};
				poll(&pfd, 1, (due - now) / 1000);
			}
		} while (now_us() < due);
	}
	end = now_us() + o.wait_ms * 1000;
	while (received < sent && (now = now_us()) < end) {
		pfd = (struct pollfd){.fd = fd, .events = POLLIN};
		poll(&pfd, 1, (end - now + 999) / 1000);
		drain_replies(fd, family, seen, o.count, &received);
	}
	printf("sent %lu received %lu errors %lu first-error %s\n", sent, received, errors,
	       errors ? errno_str(first_error) : "none");
	free(seen);
	close(fd);
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*run)(int argc, char **argv);
	} cmds[] = {
		{"serve", cmd_serve},	    {"connect", cmd_connect},	{"udp", cmd_udp},
		{"udp-send", cmd_udp_send}, {"tcp-echo", cmd_tcp_echo},	{"rtt", cmd_rtt},
		{"udp-connect", cmd_udp_connect}, {"ping", cmd_ping},	{"rr", cmd_rr},
	};
	size_t i;

	/* Results must reach a pipe even when the test kills us right after. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2)
		usage();
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].run(argc - 2, argv + 2);
	fprintf(stderr, "fltnet: unknown command \"%s\"\n", argv[1]);
	usage();
	return EXIT_USAGE;
}
