// SPDX-License-Identifier: GPL-2.0-only
/*
 * The agent's HTTP server: libmicrohttpd with its own polling thread and a small pool, answering
 * GET /metrics, /status and /healthz from the last published snapshot.
 *
 * A snapshot is immutable once published and reference counted: a request takes a reference
 * under the mutex (a pointer read and an increment), builds its response straight from the
 * snapshot's buffer, and drops the reference when libmicrohttpd frees the response (its free
 * callback). agent_http_publish() swaps the pointer under the same mutex and drops the old
 * snapshot's reference, so neither side ever copies, renders or writes under the lock: a slow
 * client delays no one, and the agent never waits for a scrape.
 *
 * We bind the listening socket ourselves, so that a taken port or a bad address comes back as an
 * error naming the address and the errno, and a port of 0 (tests) can be read back.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "agent/http.h"
#include "common/log.h"

#define HTTP_THREADS 4
#define HTTP_CONNECTIONS_MAX 512
#define HTTP_TIMEOUT_S 10 /* a connection idle this long is closed */
#define HTTP_BACKLOG 128

#define CONTENT_METRICS "text/plain; version=0.0.4; charset=utf-8"
#define CONTENT_JSON "application/json"
#define CONTENT_TEXT "text/plain; charset=utf-8"

struct snapshot {
	atomic_uint refs;
	char *metrics;
	size_t metrics_len;
	char *status;
	size_t status_len;
	bool healthy;
	uint64_t published_ms; /* CLOCK_MONOTONIC */
	uint64_t stale_ms;
};

struct agent_http {
	struct MHD_Daemon *daemon;
	int fd;
	uint16_t port;
	pthread_mutex_t lock; /* guards cur: the pointer and taking a reference, nothing else */
	struct snapshot *cur; /* NULL until the first publish */
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void snapshot_put(struct snapshot *s)
{
	if (!s || atomic_fetch_sub(&s->refs, 1) != 1)
		return;
	free(s->metrics);
	free(s->status);
	free(s);
}

/* libmicrohttpd's free callback of a response built on a snapshot's buffer. */
static void snapshot_release(void *cls)
{
	snapshot_put(cls);
}

static struct snapshot *snapshot_get(struct agent_http *h)
{
	struct snapshot *s;

	pthread_mutex_lock(&h->lock);
	s = h->cur;
	if (s)
		atomic_fetch_add(&s->refs, 1);
	pthread_mutex_unlock(&h->lock);
	return s;
}

static enum MHD_Result queue(struct MHD_Connection *c, unsigned int code,
			     struct MHD_Response *r, const char *type)
{
	enum MHD_Result ret;

	if (!r)
		return MHD_NO; /* out of memory: libmicrohttpd closes the connection */
	if (type)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	ret = MHD_queue_response(c, code, r);
	MHD_destroy_response(r); /* the connection keeps its own reference until it is sent */
	return ret;
}

/* A constant body: no copy, nothing to free. */
static enum MHD_Result queue_text(struct MHD_Connection *c, unsigned int code, const char *text)
{
	struct MHD_Response *r;

	r = MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_PERSISTENT);
	return queue(c, code, r, CONTENT_TEXT);
}

/* One of the snapshot's documents; the reference s holds passes to the response. */
static enum MHD_Result queue_snapshot(struct MHD_Connection *c, struct snapshot *s, char *body,
				      size_t len, const char *type)
{
	struct MHD_Response *r;

	r = MHD_create_response_from_buffer_with_free_callback_cls(len, body, snapshot_release, s);
	if (!r) {
		snapshot_put(s);
		return MHD_NO;
	}
	return queue(c, MHD_HTTP_OK, r, type);
}

static enum MHD_Result healthz(struct agent_http *h, struct MHD_Connection *c)
{
	struct snapshot *s = snapshot_get(h);
	const char *why = NULL;

	if (!s)
		why = "starting: no snapshot yet\n";
	else if (!s->healthy)
		why = "unhealthy: bpffs or the state store is not reachable\n";
	else if (s->stale_ms && now_ms() - s->published_ms > s->stale_ms)
		why = "stale: the agent's loop published nothing for too long\n";
	snapshot_put(s);
	return queue_text(c, why ? MHD_HTTP_SERVICE_UNAVAILABLE : MHD_HTTP_OK, why ? why : "ok\n");
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *upload_data,
			      size_t *upload_data_size, void **req_cls)
{
	struct agent_http *h = cls;
	bool metrics = !strcmp(url, "/metrics"), status = !strcmp(url, "/status");
	struct MHD_Response *r;
	struct snapshot *s;

	(void)version;
	(void)upload_data;
	(void)upload_data_size;
	(void)req_cls;
	if (strcmp(method, MHD_HTTP_METHOD_GET)) {
		r = MHD_create_response_from_buffer(strlen("method not allowed: GET only\n"),
						    "method not allowed: GET only\n",
						    MHD_RESPMEM_PERSISTENT);
		if (r)
			MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, MHD_HTTP_METHOD_GET);
		return queue(c, MHD_HTTP_METHOD_NOT_ALLOWED, r, CONTENT_TEXT);
	}
	if (!strcmp(url, "/healthz"))
		return healthz(h, c);
	if (!metrics && !status)
		return queue_text(c, MHD_HTTP_NOT_FOUND,
				  "not found: GET /metrics, /status or /healthz\n");
	s = snapshot_get(h);
	if (!s)
		return queue_text(c, MHD_HTTP_SERVICE_UNAVAILABLE, "starting: no snapshot yet\n");
	if (metrics)
		return queue_snapshot(c, s, s->metrics, s->metrics_len, CONTENT_METRICS);
	return queue_snapshot(c, s, s->status, s->status_len, CONTENT_JSON);
}

/* libmicrohttpd's own messages, at debug level: a client's broken request is not our warning. */
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	size_t n;

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n && msg[n - 1] == '\n')
		msg[--n] = '\0';
	pr_debug("http: %s", msg);
}

/* "ADDR:PORT", "[ADDR6]:PORT" or ":PORT" into a socket address (":PORT": [::], dual stack). */
static int parse_listen(const char *addr, struct sockaddr_storage *ss, socklen_t *len,
			struct flt_error *err)
{
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *in = (struct sockaddr_in *)ss;
	const char *colon, *port_s;
	char host[INET6_ADDRSTRLEN + 1];
	size_t hlen;
	unsigned long port;
	char *end;

	memset(ss, 0, sizeof(*ss));
	if (!addr || !*addr)
		return flt_fail(err, FLT_ERR_INPUT, EINVAL,
				"listen address: empty, want ADDR:PORT");
	if (addr[0] == '[') {
		colon = strstr(addr, "]:");
		if (!colon)
			return flt_fail(err, FLT_ERR_INPUT, EINVAL,
					"listen address %s: want [IPV6]:PORT", addr);
		hlen = (size_t)(colon - addr - 1);
		if (hlen >= sizeof(host))
			return flt_fail(err, FLT_ERR_INPUT, EINVAL,
					"listen address %s: not an IPv6 address", addr);
		memcpy(host, addr + 1, hlen);
		host[hlen] = '\0';
		port_s = colon + 2;
	} else {
		colon = strrchr(addr, ':');
		if (!colon)
			return flt_fail(err, FLT_ERR_INPUT, EINVAL,
					"listen address %s: no port, want ADDR:PORT or :PORT",
					addr);
		hlen = (size_t)(colon - addr);
		if (hlen >= sizeof(host) || memchr(addr, ':', hlen))
			return flt_fail(err, FLT_ERR_INPUT, EINVAL,
					"listen address %s: IPv6 needs brackets: [ADDR]:PORT",
					addr);
		memcpy(host, addr, hlen);
		host[hlen] = '\0';
		port_s = colon + 1;
	}
	errno = 0;
	port = strtoul(port_s, &end, 10);
	if (!*port_s || *end || errno || port > 65535 || *port_s == '-' || *port_s == '+')
		return flt_fail(err, FLT_ERR_INPUT, EINVAL,
				"listen address %s: port '%s' is not a number from 0 to 65535",
				addr, port_s);
	if (!host[0] || addr[0] == '[') {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		if (host[0] && inet_pton(AF_INET6, host, &in6->sin6_addr) != 1)
			return flt_fail(err, FLT_ERR_INPUT, EINVAL,
					"listen address %s: '%s' is not an IPv6 address", addr,
					host);
		if (!host[0])
			in6->sin6_addr = in6addr_any;
		*len = sizeof(*in6);
		return 0;
	}
	in->sin_family = AF_INET;
	in->sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &in->sin_addr) != 1)
		return flt_fail(err, FLT_ERR_INPUT, EINVAL,
				"listen address %s: '%s' is not an IPv4 address", addr, host);
	*len = sizeof(*in);
	return 0;
}

/*
 * A listening socket on ss. ":PORT" is [::] with IPV6_V6ONLY off (IPv4 too); on a host without
 * IPv6, 0.0.0.0 instead.
 */
static int open_listener(const char *addr, struct sockaddr_storage *ss, socklen_t len, bool any,
			 int *fdp, struct flt_error *err)
{
	int fd, one = 1, zero = 0, e;

	fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 && any && ss->ss_family == AF_INET6 && errno == EAFNOSUPPORT) {
		struct sockaddr_in *in = (struct sockaddr_in *)ss;
		uint16_t port = ((struct sockaddr_in6 *)ss)->sin6_port;

		memset(ss, 0, sizeof(*ss));
		in->sin_family = AF_INET;
		in->sin_port = port;
		in->sin_addr.s_addr = htonl(INADDR_ANY);
		len = sizeof(*in);
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	}
	if (fd < 0)
		return flt_fail(err, FLT_ERR_SYSTEM, errno, "http %s: cannot create a socket: %s",
				addr, strerror(errno));
	/* a restarted agent rebinds at once, whatever connections of its old self linger */
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (any && ss->ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (bind(fd, (struct sockaddr *)ss, len) || listen(fd, HTTP_BACKLOG)) {
		e = errno;
		close(fd);
		return flt_fail(err, FLT_ERR_SYSTEM, e, "http %s: cannot listen: %s", addr,
				strerror(e));
	}
	*fdp = fd;
	return 0;
}

int agent_http_start(const char *listen_addr, struct agent_http **hp, struct flt_error *err)
{
	struct sockaddr_storage ss;
	struct agent_http *h;
	socklen_t len;
	unsigned int flags;
	int fd = -1, ret;

	*hp = NULL;
	ret = parse_listen(listen_addr, &ss, &len, err);
	if (ret)
		return ret;
	ret = open_listener(listen_addr, &ss, len, listen_addr[0] == ':', &fd, err);
	if (ret)
		return ret;
	h = calloc(1, sizeof(*h));
	if (!h) {
		close(fd);
		return flt_fail(err, FLT_ERR_SYSTEM, ENOMEM, "http %s: out of memory", listen_addr);
	}
	h->fd = fd;
	len = sizeof(ss);
	if (!getsockname(fd, (struct sockaddr *)&ss, &len))
		h->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
							  : ((struct sockaddr_in *)&ss)->sin_port);
	pthread_mutex_init(&h->lock, NULL);
	flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	h->daemon = MHD_start_daemon(
		flags, 0, NULL, NULL, answer, h, MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
		MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)HTTP_THREADS,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned int)HTTP_CONNECTIONS_MAX,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)HTTP_TIMEOUT_S,
		MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL, MHD_OPTION_END);
	if (!h->daemon) {
		ret = errno ? errno : EIO;
		close(fd);
		pthread_mutex_destroy(&h->lock);
		free(h);
		return flt_fail(err, FLT_ERR_SYSTEM, ret,
				"http %s: libmicrohttpd did not start: %s", listen_addr,
				strerror(ret));
	}
	pr_debug("http: listening on %s (port %u)", listen_addr, h->port);
	*hp = h;
	return 0;
}

uint16_t agent_http_port(const struct agent_http *h)
{
	return h ? h->port : 0;
}

void agent_http_publish(struct agent_http *h, char *metrics, char *status_json, bool healthy,
			uint64_t stale_ms)
{
	struct snapshot *s, *old;

	if (!h) {
		free(metrics);
		free(status_json);
		return;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		/* the previous snapshot stays: /healthz turns stale if this lasts */
		free(metrics);
		free(status_json);
		return;
	}
	atomic_init(&s->refs, 1);
	s->metrics = metrics ? metrics : strdup("");
	s->metrics_len = s->metrics ? strlen(s->metrics) : 0;
	s->status = status_json ? status_json : strdup("{}");
	s->status_len = s->status ? strlen(s->status) : 0;
	s->healthy = healthy && s->metrics && s->status;
	s->published_ms = now_ms();
	s->stale_ms = stale_ms;
	pthread_mutex_lock(&h->lock);
	old = h->cur;
	h->cur = s;
	pthread_mutex_unlock(&h->lock);
	snapshot_put(old); /* freed here or by the last response that still sends it */
}

void agent_http_stop(struct agent_http *h)
{
	if (!h)
		return;
	/* closes every connection: their responses, and the references they hold, go first */
	MHD_stop_daemon(h->daemon);
	close(h->fd);
	snapshot_put(h->cur);
	pthread_mutex_destroy(&h->lock);
	free(h);
}
