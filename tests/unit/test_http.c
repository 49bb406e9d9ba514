// SPDX-License-Identifier: GPL-2.0-only
/*
 * The agent's HTTP server (userspace/agent/http.c) without the agent: started on 127.0.0.1 with
 * a port the kernel picks, fetched with a plain socket client. 503 before the first snapshot;
 * status codes and content types of /metrics, /status, /healthz; 404 and 405; /healthz turning
 * 503 when unhealthy or stale; listen addresses; and 50 concurrent fetches while another thread
 * publishes new snapshots in a loop: every one answered 200 with one whole document.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "agent/http.h"

#define CLIENTS 50
#define FETCHES 4 /* by each client, at least */
#define PUBLISHED_MIN 10 /* documents published while clients fetch */
#define FETCH_SECONDS 30 /* the clients' limit for waiting on PUBLISHED_MIN */
#define DOC_PAD 65536 /* bigger than a socket buffer: a document is sent in many writes */

struct reply {
	int code;
	char type[128];
	char allow[64];
	char *body;
	size_t body_len;
};

static void reply_free(struct reply *r)
{
	free(r->body);
	memset(r, 0, sizeof(*r));
}

/* The value of header name (case-insensitive) in the header block head, into out. */
static void header_value(const char *head, const char *name, char *out, size_t size)
{
	size_t n = strlen(name);
	const char *p = head;

	out[0] = '\0';
	while ((p = strstr(p, "\r\n"))) {
		p += 2;
		if (!strncasecmp(p, name, n) && p[n] == ':') {
			const char *v = p + n + 1, *e;

			while (*v == ' ')
				v++;
			e = strstr(v, "\r\n");
			if (!e)
				e = v + strlen(v);
			snprintf(out, size, "%.*s", (int)(e - v), v);
			return;
		}
	}
}

/* One HTTP/1.0 request (the server closes the connection after it): 0, or -1 on any failure. */
static int fetch_from(int family, uint16_t port, const char *method, const char *path,
		      struct reply *r)
{
	struct sockaddr_storage ss = { 0 };
	struct timeval tv = { .tv_sec = 5 };
	char req[256], *buf = NULL, *head_end;
	size_t len = 0, cap = 0;
	socklen_t slen;
	ssize_t n;
	int fd;

	memset(r, 0, sizeof(*r));
	if (family == AF_INET6) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;

		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		in6->sin6_addr = in6addr_loopback;
		slen = sizeof(*in6);
	} else {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;

		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		slen = sizeof(*in);
	}
	fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&ss, slen))
		goto fail;
	snprintf(req, sizeof(req), "%s %s HTTP/1.0\r\nHost: localhost\r\n\r\n", method, path);
	if (send(fd, req, strlen(req), MSG_NOSIGNAL) != (ssize_t)strlen(req))
		goto fail;
	for (;;) {
		if (cap - len < 4096) {
			char *nb = realloc(buf, cap ? cap * 2 : 8192);

			if (!nb)
				goto fail;
			buf = nb;
			cap = cap ? cap * 2 : 8192;
		}
		n = recv(fd, buf + len, cap - len - 1, 0);
		if (n < 0)
			goto fail;
		if (!n)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	if (sscanf(buf, "HTTP/1.%*d %d", &r->code) != 1)
		goto fail_closed;
	head_end = strstr(buf, "\r\n\r\n");
	if (!head_end)
		goto fail_closed;
	head_end[2] = '\0'; /* the header block keeps its last CRLF */
	header_value(buf, "Content-Type", r->type, sizeof(r->type));
	header_value(buf, "Allow", r->allow, sizeof(r->allow));
	r->body_len = len - (size_t)(head_end + 4 - buf);
	r->body = malloc(r->body_len + 1);
	if (!r->body)
		goto fail_closed;
	memcpy(r->body, head_end + 4, r->body_len);
	r->body[r->body_len] = '\0';
	free(buf);
	return 0;
fail:
	close(fd);
fail_closed:
	free(buf);
	return -1;
}

static uint16_t port;
static struct agent_http *server;

static void get(const char *method, const char *path, struct reply *r)
{
	assert_int_equal(fetch_from(AF_INET, port, method, path, r), 0);
}

static int setup(void **state)
{
	struct flt_error err = { 0 };

	(void)state;
	if (agent_http_start("127.0.0.1:0", &server, &err)) {
		fprintf(stderr, "agent_http_start: %s\n", err.message);
		return -1;
	}
	port = agent_http_port(server);
	return port ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	agent_http_stop(server);
	server = NULL;
	return 0;
}

static void test_before_publish_503(void **state)
{
	static const char *const paths[] = { "/metrics", "/status", "/healthz" };
	struct reply r;
	size_t i;

	(void)state;
	for (i = 0; i < 3; i++) {
		get("GET", paths[i], &r);
		assert_int_equal(r.code, 503);
		reply_free(&r);
	}
}

static void test_documents(void **state)
{
	struct reply r;

	(void)state;
	agent_http_publish(server, strdup("faultline_frozen 0\n"), strdup("{\"plans\":[]}"), true,
			   0);
	get("GET", "/metrics", &r);
	assert_int_equal(r.code, 200);
	assert_string_equal(r.type, "text/plain; version=0.0.4; charset=utf-8");
	assert_string_equal(r.body, "faultline_frozen 0\n");
	reply_free(&r);
	get("GET", "/status", &r);
	assert_int_equal(r.code, 200);
	assert_string_equal(r.type, "application/json");
	assert_string_equal(r.body, "{\"plans\":[]}");
	reply_free(&r);
	get("GET", "/healthz", &r);
	assert_int_equal(r.code, 200);
	assert_string_equal(r.body, "ok\n");
	reply_free(&r);
	/* a query string does not change the path */
	get("GET", "/metrics?x=1", &r);
	assert_int_equal(r.code, 200);
	reply_free(&r);
}

static void test_not_found_and_method(void **state)
{
	struct reply r;

	(void)state;
	agent_http_publish(server, strdup("m 1\n"), strdup("{}"), true, 0);
	get("GET", "/", &r);
	assert_int_equal(r.code, 404);
	reply_free(&r);
	get("GET", "/metricsx", &r);
	assert_int_equal(r.code, 404);
	reply_free(&r);
	get("POST", "/metrics", &r);
	assert_int_equal(r.code, 405);
	assert_string_equal(r.allow, "GET");
	reply_free(&r);
	get("DELETE", "/status", &r);
	assert_int_equal(r.code, 405);
	reply_free(&r);
}

static void test_healthz_unhealthy_and_stale(void **state)
{
	struct timespec ts = { .tv_nsec = 150 * 1000000 };
	struct reply r;

	(void)state;
	agent_http_publish(server, strdup("m 1\n"), strdup("{}"), false, 0);
	get("GET", "/healthz", &r);
	assert_int_equal(r.code, 503);
	reply_free(&r);
	/* /metrics still answers: an unhealthy agent's figures are worth a scrape */
	get("GET", "/metrics", &r);
	assert_int_equal(r.code, 200);
	reply_free(&r);
	agent_http_publish(server, strdup("m 1\n"), strdup("{}"), true, 100);
	get("GET", "/healthz", &r);
	assert_int_equal(r.code, 200);
	reply_free(&r);
	nanosleep(&ts, NULL);
	get("GET", "/healthz", &r);
	assert_int_equal(r.code, 503);
	assert_non_null(strstr(r.body, "stale"));
	reply_free(&r);
}

/* --- 50 fetches against a publisher in a loop ------------------------------------------------ */

static atomic_bool publishing;
static atomic_uint published;

/* "# doc N\n", DOC_PAD bytes of padding lines, "# end N\n": whole only if both N agree. */
static char *document(unsigned int n)
{
	char *d = malloc(DOC_PAD + 64), *p;
	size_t i;

	if (!d)
		return NULL;
	p = d + sprintf(d, "# doc %u\n", n);
	for (i = 0; i < DOC_PAD / 16; i++)
		p += sprintf(p, "pad_metric %04zu\n", i % 10000); /* 16 bytes */
	sprintf(p, "# end %u\n", n);
	return d;
}

static void *publisher(void *arg)
{
	unsigned int n = 1;

	(void)arg;
	while (atomic_load(&publishing)) {
		agent_http_publish(server, document(n), strdup("{\"n\":1}"), true, 0);
		atomic_fetch_add(&published, 1);
		n++;
	}
	return NULL;
}

struct fetcher {
	int fetched; /* fetches sent */
	int ok; /* those answered 200 with a whole document */
};

static double mono_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * FETCHES fetches, one after the other, and then more until the publisher has published
 * PUBLISHED_MIN documents (within FETCH_SECONDS): so that the publishing is known to have gone on
 * while fetches were in flight, however the threads were scheduled (a loaded VM can run all the
 * clients before the publisher gets a turn).
 */
static void *client(void *arg)
{
	double deadline = mono_seconds() + FETCH_SECONDS;
	struct fetcher *f = arg;
	unsigned int a, b;
	struct reply r;
	char *end;

	f->fetched = f->ok = 0;
	while (f->fetched < FETCHES ||
	       (atomic_load(&published) < PUBLISHED_MIN && mono_seconds() < deadline)) {
		f->fetched++;
		if (fetch_from(AF_INET, port, "GET", "/metrics", &r)) {
			fprintf(stderr, "client: no answer: %s\n", strerror(errno));
			continue;
		}
		end = r.body_len > 16 ? strstr(r.body + r.body_len - 16, "# end ") : NULL;
		if (r.code == 200 && sscanf(r.body, "# doc %u\n", &a) == 1 && end &&
		    sscanf(end, "# end %u\n", &b) == 1 && a == b &&
		    r.body_len == strlen(r.body) && end[strlen(end) - 1] == '\n')
			f->ok++;
		else
			fprintf(stderr, "client: code %d, %zu bytes, not one whole document\n",
				r.code, r.body_len);
		reply_free(&r);
	}
	return NULL;
}

static void test_concurrent_fetches_while_publishing(void **state)
{
	pthread_t pub, clients[CLIENTS];
	struct fetcher f[CLIENTS];
	int fetched = 0, ok = 0, i;

	(void)state;
	agent_http_publish(server, document(0), strdup("{}"), true, 0);
	atomic_store(&publishing, true);
	atomic_store(&published, 0);
	assert_int_equal(pthread_create(&pub, NULL, publisher, NULL), 0);
	for (i = 0; i < CLIENTS; i++)
		assert_int_equal(pthread_create(&clients[i], NULL, client, &f[i]), 0);
	for (i = 0; i < CLIENTS; i++) {
		pthread_join(clients[i], NULL);
		fetched += f[i].fetched;
		ok += f[i].ok;
	}
	/* the publisher went on while the fetches were sent: it never waited for them to end */
	assert_true(atomic_load(&published) >= PUBLISHED_MIN);
	atomic_store(&publishing, false);
	pthread_join(pub, NULL);
	assert_true(fetched >= CLIENTS * FETCHES);
	assert_int_equal(ok, fetched);
}

/* --- addresses -------------------------------------------------------------------------------- */

static void test_bad_addresses(void **state)
{
	static const char *const bad[] = {
		"",	  "9464",	"nope:9464",	"1.2.3.4",     "1.2.3.4.5:80",
		"::1:80", "[::1]9464",	"[::1]:",	":99999",      ":-1",
		":94a",	  "[zz]:9464", "127.0.0.1:+80", "[127.0.0.1]:80",
	};
	struct agent_http *h;
	struct flt_error err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&err, 0, sizeof(err));
		h = (struct agent_http *)1;
		if (!agent_http_start(bad[i], &h, &err))
			fail_msg("listen address '%s' accepted", bad[i]);
		assert_int_equal(err.kind, FLT_ERR_INPUT);
		assert_null(h);
		assert_non_null(strstr(err.message, "listen address"));
	}
}

static void test_port_taken(void **state)
{
	char addr[32];
	struct agent_http *h;
	struct flt_error err = { 0 };

	(void)state;
	snprintf(addr, sizeof(addr), "127.0.0.1:%u", port);
	assert_int_not_equal(agent_http_start(addr, &h, &err), 0);
	assert_int_equal(err.kind, FLT_ERR_SYSTEM);
	assert_int_equal(err.errnum, EADDRINUSE);
	assert_non_null(strstr(err.message, addr));
}

static bool have_ipv6(void)
{
	struct sockaddr_in6 in6 = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	int fd = socket(AF_INET6, SOCK_STREAM, 0);
	bool ok;

	if (fd < 0)
		return false;
	ok = !bind(fd, (struct sockaddr *)&in6, sizeof(in6));
	close(fd);
	return ok;
}

/* ":PORT" answers on IPv4 and IPv6 loopback both; "[::1]:PORT" on IPv6. */
static void test_every_address_and_ipv6(void **state)
{
	struct agent_http *h;
	struct flt_error err = { 0 };
	struct reply r;
	uint16_t p;

	(void)state;
	if (!have_ipv6())
		skip();
	assert_int_equal(agent_http_start(":0", &h, &err), 0);
	p = agent_http_port(h);
	agent_http_publish(h, strdup("m 1\n"), strdup("{}"), true, 0);
	assert_int_equal(fetch_from(AF_INET, p, "GET", "/metrics", &r), 0);
	assert_int_equal(r.code, 200);
	reply_free(&r);
	assert_int_equal(fetch_from(AF_INET6, p, "GET", "/metrics", &r), 0);
	assert_int_equal(r.code, 200);
	reply_free(&r);
	agent_http_stop(h);

	assert_int_equal(agent_http_start("[::1]:0", &h, &err), 0);
	p = agent_http_port(h);
	agent_http_publish(h, strdup("m 1\n"), strdup("{}"), true, 0);
	assert_int_equal(fetch_from(AF_INET6, p, "GET", "/healthz", &r), 0);
	assert_int_equal(r.code, 200);
	reply_free(&r);
	agent_http_stop(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_before_publish_503),
		cmocka_unit_test(test_documents),
		cmocka_unit_test(test_not_found_and_method),
		cmocka_unit_test(test_healthz_unhealthy_and_stale),
		cmocka_unit_test(test_concurrent_fetches_while_publishing),
		cmocka_unit_test(test_bad_addresses),
		cmocka_unit_test(test_port_taken),
		cmocka_unit_test(test_every_address_and_ipv6),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
