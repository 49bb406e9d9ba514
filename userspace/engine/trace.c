// SPDX-License-Identifier: GPL-2.0-only
/*
 * The tracer's engine side: resolve the targets as plans do (pods, cgroups), give each an index
 * the BPF side counts under, and turn the maps' entries into per-target figures, cumulative or
 * per interval (the difference between two readings: nothing in the kernel is reset, so no event
 * is lost between reading and clearing).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "common/log.h"
#include "common/syscalls.h"
#include "engine/targets.h"
#include "engine/trace.h"
#include "kernel/cgroup.h"
#include "kernel/podnames.h"
#include "kernel/pods.h"
#include "kernel/tracer.h"
#include "plan/pod_id.h"

#define CGROUP_PREFIX "cgroup:"

struct drop_count {
	uint32_t reason;
	uint64_t count;
};

/* One target's figures as read from the maps: cumulative since the start. */
struct reading {
	struct hist *sys[FLT_TR_SYSCALL_NR_MAX];
	struct hist connect;
	struct hist rtt;
	uint64_t retransmits;
	struct drop_count *drops;
	size_t ndrops;
};

struct session_target {
	char id[PATH_MAX];
	const char *kind;
	struct pod_name names; /* a pod's, "" when no log folder names it */
	uint64_t cgroup_id;
	uint32_t level;
	uint32_t ifindex; /* the host end of a pod's veth, 0 when none */
	uint32_t netns_ino; /* a pod's own netns, 0 when none */
};

struct trace_session {
	struct tracer *tracer;
	struct session_target *targets;
	size_t ntargets;
	struct reading *prev; /* at the previous read */
	size_t nprev; /* its targets: --all-pods may have found more since */
	bool all_pods;
	struct tracer_config cfg;
	uint64_t start_ms;
	uint64_t prev_ms;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* --- targets ---------------------------------------------------------------------------------- */

static int add_target(struct trace_session *s, const char *id, const char *kind, uint64_t cgid,
		      const char *dir, struct flt_error *err)
{
	char mnt[PATH_MAX];
	struct session_target *t;
	const char *p;
	uint32_t level = 0;
	size_t i;

	for (i = 0; i < s->ntargets; i++)
		if (s->targets[i].cgroup_id == cgid)
			return 1; /* the same cgroup, named twice: counted once */
	if (s->ntargets >= FLT_TR_TARGETS_MAX)
		return flt_fail(err, FLT_ERR_INPUT, E2BIG, "trace: more than %d targets",
				FLT_TR_TARGETS_MAX);
	if (cgroup2_mount(mnt, sizeof(mnt)) || strncmp(dir, mnt, strlen(mnt)))
		return flt_fail(err, FLT_ERR_SYSTEM, ENOENT,
				"%s %s: its cgroup %s is not in the cgroup2 mount", kind, id, dir);
	for (p = dir + strlen(mnt); *p; p++)
		if (*p == '/' && p[1] && p[1] != '/')
			level++;
	t = realloc(s->targets, (s->ntargets + 1) * sizeof(*t));
	if (!t)
		return flt_fail(err, FLT_ERR_SYSTEM, ENOMEM, "trace: out of memory");
	s->targets = t;
	t = &s->targets[s->ntargets++];
	memset(t, 0, sizeof(*t));
	snprintf(t->id, sizeof(t->id), "%s", id);
	t->kind = kind;
	t->cgroup_id = cgid;
	t->level = level;
	return 0;
}

struct pod_lookup {
	const char *uid;
	char dir[PATH_MAX];
	bool found;
};

static int find_pod_dir(const char *uid, const char *dir, void *arg)
{
	struct pod_lookup *l = arg;

	if (strcasecmp(uid, l->uid))
		return 0;
	snprintf(l->dir, sizeof(l->dir), "%s", dir);
	l->found = true;
	return 1;
}

static uint64_t dir_id(const char *dir)
{
	struct stat st;

	return stat(dir, &st) ? 0 : (uint64_t)st.st_ino;
}

/*
 * A pod: its cgroup, and where it has one, the host end of its veth and its netns (for drops
 * without a socket). A pod whose network cannot be resolved (hostNetwork, no eth0) is traced by
 * its cgroup alone.
 */
static int add_pod(struct trace_session *s, const char *uid, struct flt_error *err)
{
	struct pod_lookup l = { .uid = uid };
	struct flt_error why = {};
	struct pod pod;
	int ret;

	ret = pod_resolve(uid, &pod, &why);
	if (!ret) {
		if (!pod.cgroup_id) {
			pod_release(&pod);
			return flt_fail(err, FLT_ERR_TARGET, ENOENT,
					"pod %s: it has no cgroup2 directory (cgroup v1 only), its "
					"processes cannot be traced",
					uid);
		}
		ret = add_target(s, uid, "pod", pod.cgroup_id, pod.cgroup_dir, err);
		if (!ret) {
			s->targets[s->ntargets - 1].ifindex = (uint32_t)pod.host_ifindex;
			s->targets[s->ntargets - 1].netns_ino = (uint32_t)pod.netns_ino;
			pod_name_of(uid, &s->targets[s->ntargets - 1].names);
		}
		pod_release(&pod);
		return ret < 0 ? ret : 0;
	}
	if (pod_each(find_pod_dir, &l, NULL) <= 0 || !l.found || !dir_id(l.dir)) {
		*err = why;
		return ret;
	}
	pr_debug("trace: pod %s: traced by its cgroup alone: %s\n", uid, why.message);
	ret = add_target(s, uid, "pod", dir_id(l.dir), l.dir, err);
	if (!ret)
		pod_name_of(uid, &s->targets[s->ntargets - 1].names);
	return ret < 0 ? ret : 0;
}

/* NAMESPACE/NAME or NAMESPACE/GLOB: every pod of this node that kubelet's log folders name so. */
static int add_by_name(struct trace_session *s, const char *name, struct flt_error *err)
{
	const char *slash = strchr(name, '/'), *why;
	struct pod_name *pods;
	char ns[POD_NS_MAX];
	size_t n, i;
	int ret;

	if (check_pod_id(name, &why))
		return flt_fail(err, FLT_ERR_INPUT, EINVAL, "trace: %s", why);
	snprintf(ns, sizeof(ns), "%.*s", (int)(slash - name), name);
	ret = pod_names_match(ns, slash + 1, &pods, &n, err);
	if (ret)
		return ret;
	if (!n)
		return flt_fail(err, FLT_ERR_TARGET, ENOENT,
				"trace: no pod of this node matches %s (in %s)", name,
				pod_log_dir());
	for (i = 0, ret = 0; !ret && i < n; i++)
		ret = add_pod(s, pods[i].uid, err);
	free(pods);
	return ret;
}

static int add_named(struct trace_session *s, const char *name, struct flt_error *err)
{
	char dir[PATH_MAX];
	uint64_t id;
	int ret;

	if (strncmp(name, CGROUP_PREFIX, strlen(CGROUP_PREFIX)))
		return strchr(name, '/') ? add_by_name(s, name, err) : add_pod(s, name, err);
	ret = cgroup_resolve(name + strlen(CGROUP_PREFIX), dir, sizeof(dir), &id, err);
	if (!ret)
		ret = add_target(s, name, "cgroup", id, dir, err);
	return ret < 0 ? ret : 0;
}

struct all_pods {
	struct trace_session *s;
	struct flt_error *err;
};

static int add_listed_pod(const char *uid, const char *dir, void *arg)
{
	struct all_pods *a = arg;
	struct flt_error why = {};
	uint64_t id = dir_id(dir);
	size_t i;

	for (i = 0; i < a->s->ntargets; i++)
		if (a->s->targets[i].cgroup_id == id)
			return 0;
	if (add_pod(a->s, uid, &why) < 0) {
		if (why.kind == FLT_ERR_SYSTEM && why.errnum == E2BIG) {
			*a->err = why;
			return -E2BIG;
		}
		pr_debug("trace: pod %s passed over: %s\n", uid, why.message);
	}
	return 0;
}

/* The distinct levels of the targets, deepest first: a target inside another one wins. */
static int levels_of(const struct trace_session *s, struct tracer_config *cfg,
		     struct flt_error *err)
{
	size_t i, j;

	for (i = 0; i < s->ntargets; i++) {
		uint32_t l = s->targets[i].level;

		for (j = 0; j < cfg->nlevels && cfg->levels[j] != l; j++)
			;
		if (j < cfg->nlevels)
			continue;
		if (cfg->nlevels == FLT_TR_LEVELS_MAX)
			return flt_fail(err, FLT_ERR_INPUT, E2BIG,
					"trace: the targets lie at more than %d cgroup levels",
					FLT_TR_LEVELS_MAX);
		for (j = cfg->nlevels++; j > 0 && cfg->levels[j - 1] < l; j--)
			cfg->levels[j] = cfg->levels[j - 1];
		cfg->levels[j] = l;
	}
	return 0;
}

static int syscall_filter(const struct trace_opts *opts, struct tracer_config *cfg,
			  struct flt_error *err)
{
	size_t i;

	for (i = 0; i < opts->nsyscalls; i++) {
		int nr = syscall_nr(opts->syscalls[i]);

		if (nr < 0 || nr >= FLT_TR_SYSCALL_NR_MAX)
			return flt_fail(err, FLT_ERR_INPUT, EINVAL,
					"--syscalls: %s: no such system call on this architecture",
					opts->syscalls[i]);
		cfg->wanted[nr / 64] |= 1ULL << (nr % 64);
		cfg->filter = true;
	}
	return 0;
}

static enum tracer_mode mode_from_env(void)
{
	const char *m = getenv("FAULTLINE_TRACE_MODE"); /* tests: force the fallback */

	if (m && !strcmp(m, "raw_tp"))
		return TRACER_RAW_TP;
	if (m && !strcmp(m, "tp_btf"))
		return TRACER_TP_BTF;
	return TRACER_AUTO;
}

/* Tell the tracer about targets from index first on. */
static int tell_tracer(struct trace_session *s, size_t first, struct flt_error *err)
{
	uint64_t own_ino = 0;
	size_t i;
	int ret;

	netns_ino_of("/proc/thread-self/ns/net", &own_ino);
	for (i = first; i < s->ntargets; i++) {
		const struct session_target *t = &s->targets[i];

		ret = tracer_add_cgroup(s->tracer, t->cgroup_id, (uint32_t)i, err);
		if (!ret && t->ifindex)
			ret = tracer_add_device(s->tracer, t->ifindex, (uint32_t)own_ino,
						(uint32_t)i, err);
		if (!ret && t->netns_ino)
			ret = tracer_add_device(s->tracer, 0, t->netns_ino, (uint32_t)i, err);
		if (ret)
			return ret;
	}
	return 0;
}

int engine_trace_start(const struct trace_opts *opts, struct trace_session **out,
		       struct flt_error *err)
{
	struct trace_session *s;
	struct tracer_config *cfg;
	size_t i;
	int ret = 0;

	s = calloc(1, sizeof(*s));
	if (!s)
		return flt_fail(err, FLT_ERR_SYSTEM, ENOMEM, "trace: out of memory");
	cfg = &s->cfg;
	cfg->mode = mode_from_env();
	s->all_pods = opts->all_pods;
	for (i = 0; !ret && i < opts->ntargets; i++)
		ret = add_named(s, opts->targets[i], err);
	if (!ret && opts->all_pods) {
		struct all_pods a = { .s = s, .err = err };

		ret = pod_each(add_listed_pod, &a, err);
		ret = ret < 0 ? ret : 0;
	}
	if (!ret && !s->ntargets)
		ret = flt_fail(err, FLT_ERR_TARGET, ENOENT, "trace: no pod on this node to trace");
	if (!ret)
		ret = levels_of(s, cfg, err);
	if (!ret)
		ret = syscall_filter(opts, cfg, err);
	if (!ret)
		ret = tracer_open(cfg, &s->tracer, err);
	if (!ret)
		ret = tell_tracer(s, 0, err);
	if (!ret)
		ret = tracer_attach(s->tracer, err);
	if (ret) {
		engine_trace_stop(s);
		return ret;
	}
	s->start_ms = s->prev_ms = now_ms();
	*out = s;
	return 0;
}

void engine_trace_target_names(struct trace_target *t)
{
	struct pod_name pn;

	if (t->kind && !strcmp(t->kind, "pod") && !pod_name_of(t->id, &pn)) {
		snprintf(t->pod_namespace, sizeof(t->pod_namespace), "%s", pn.ns);
		snprintf(t->pod_name, sizeof(t->pod_name), "%s", pn.name);
	}
}

size_t engine_trace_ntargets(const struct trace_session *s)
{
	return s->ntargets;
}

const char *engine_trace_mode(const struct trace_session *s)
{
	return tracer_mode_name(s->tracer);
}

/* --- reading ---------------------------------------------------------------------------------- */

struct read_ctx {
	struct reading *r;
	size_t n;
	bool oom;
};

/* The histogram a key's figures go to; NULL for counters and for what is not ours. */
static struct hist *hist_of(struct read_ctx *c, const struct flt_tr_key *k)
{
	struct reading *r;

	if (k->target >= c->n)
		return NULL;
	r = &c->r[k->target];
	switch (k->kind) {
	case FLT_TR_SYSCALL:
		if (k->value >= FLT_TR_SYSCALL_NR_MAX)
			return NULL;
		if (!r->sys[k->value])
			r->sys[k->value] = calloc(1, sizeof(struct hist));
		if (!r->sys[k->value])
			c->oom = true;
		return r->sys[k->value];
	case FLT_TR_CONNECT:
		return &r->connect;
	case FLT_TR_RTT:
		return &r->rtt;
	default:
		return NULL;
	}
}

static void on_stats(const struct flt_tr_key *k, const struct flt_tr_stats *st, void *arg)
{
	struct read_ctx *c = arg;
	struct drop_count *d;
	struct reading *r;
	struct hist *h;

	if (k->target >= c->n)
		return;
	r = &c->r[k->target];
	if (k->kind == FLT_TR_RETRANS) {
		r->retransmits = st->count;
	} else if (k->kind == FLT_TR_DROP) {
		d = realloc(r->drops, (r->ndrops + 1) * sizeof(*d));
		if (!d) {
			c->oom = true;
			return;
		}
		r->drops = d;
		r->drops[r->ndrops].reason = k->value;
		r->drops[r->ndrops++].count = st->count;
	} else if ((h = hist_of(c, k))) {
		h->count = st->count;
		h->errors = st->errors;
		h->total_ns = st->total_ns;
		h->max_ns = st->max_ns;
	}
}

static void on_hist(const struct flt_tr_key *k, uint64_t count, void *arg)
{
	struct hist *h = hist_of(arg, k);

	if (h && k->bucket < FLT_TR_BUCKETS)
		h->buckets[k->bucket] = count;
}

static void readings_free(struct reading *r, size_t n)
{
	size_t i, j;

	if (!r)
		return;
	for (i = 0; i < n; i++) {
		for (j = 0; j < FLT_TR_SYSCALL_NR_MAX; j++)
			free(r[i].sys[j]);
		free(r[i].drops);
	}
	free(r);
}

static uint64_t drop_count_of(const struct reading *r, uint32_t reason)
{
	size_t i;

	for (i = 0; r && i < r->ndrops; i++)
		if (r->drops[i].reason == reason)
			return r->drops[i].count;
	return 0;
}

static int by_total(const void *a, const void *b)
{
	const struct trace_syscall *x = a, *y = b;

	return x->h.total_ns < y->h.total_ns ? 1 : x->h.total_ns > y->h.total_ns ? -1 : 0;
}

static int by_count(const void *a, const void *b)
{
	const struct trace_drop *x = a, *y = b;

	return x->count < y->count ? 1 : x->count > y->count ? -1 : 0;
}

static void diff_or_copy(struct hist *out, const struct hist *now, const struct hist *before)
{
	if (before)
		hist_diff(out, now, before);
	else
		*out = *now;
}

/* Target out from reading now, less what before had (NULL: since the start). */
static int fill_target(struct trace_target *out, const struct session_target *st,
		       const struct reading *now, const struct reading *before)
{
	size_t i, n = 0;
	int nr;

	snprintf(out->id, sizeof(out->id), "%s", st->id);
	out->kind = st->kind;
	snprintf(out->pod_namespace, sizeof(out->pod_namespace), "%s", st->names.ns);
	snprintf(out->pod_name, sizeof(out->pod_name), "%s", st->names.name);
	for (nr = 0; nr < FLT_TR_SYSCALL_NR_MAX; nr++)
		n += now->sys[nr] != NULL;
	out->syscalls = calloc(n ? n : 1, sizeof(*out->syscalls));
	out->drops = calloc(now->ndrops ? now->ndrops : 1, sizeof(*out->drops));
	if (!out->syscalls || !out->drops)
		return -ENOMEM;
	for (nr = 0; nr < FLT_TR_SYSCALL_NR_MAX; nr++) {
		struct trace_syscall *sc = &out->syscalls[out->nsyscalls];
		const char *name = syscall_name(nr);

		if (!now->sys[nr])
			continue;
		diff_or_copy(&sc->h, now->sys[nr], before ? before->sys[nr] : NULL);
		if (!sc->h.count)
			continue;
		sc->nr = nr;
		if (name)
			snprintf(sc->name, sizeof(sc->name), "%s", name);
		else
			snprintf(sc->name, sizeof(sc->name), "syscall_%d", nr);
		out->nsyscalls++;
	}
	qsort(out->syscalls, out->nsyscalls, sizeof(*out->syscalls), by_total);
	diff_or_copy(&out->connect, &now->connect, before ? &before->connect : NULL);
	diff_or_copy(&out->rtt, &now->rtt, before ? &before->rtt : NULL);
	out->retransmits = now->retransmits - (before ? before->retransmits : 0);
	for (i = 0; i < now->ndrops; i++) {
		struct trace_drop *d = &out->drops[out->ndrops];
		uint64_t count = now->drops[i].count - drop_count_of(before, now->drops[i].reason);
		const char *name = tracer_drop_reason(now->drops[i].reason);

		if (!count)
			continue;
		d->reason = now->drops[i].reason;
		d->count = count;
		if (name)
			snprintf(d->name, sizeof(d->name), "%s", name);
		else
			snprintf(d->name, sizeof(d->name), "REASON_%u", d->reason);
		out->ndrops++;
	}
	qsort(out->drops, out->ndrops, sizeof(*out->drops), by_count);
	return 0;
}

/*
 * --all-pods: the pods started since the last read. Their processes are traced from now on; a
 * pod at a cgroup level that no target had when the tracer loaded cannot be (the levels are
 * read-only data of the loaded programs) and is passed over.
 */
static int add_new_pods(struct trace_session *s, struct flt_error *err)
{
	struct all_pods a = { .s = s, .err = err };
	size_t first = s->ntargets, i, j;
	int ret;

	ret = pod_each(add_listed_pod, &a, err);
	if (ret == -E2BIG) /* as many as the tracer can hold: the rest stays untraced */
		flt_error_clear(err);
	else if (ret < 0)
		return ret;
	for (i = j = first; i < s->ntargets; i++) {
		size_t l;

		for (l = 0; l < s->cfg.nlevels && s->cfg.levels[l] != s->targets[i].level; l++)
			;
		if (l == s->cfg.nlevels) {
			pr_debug("trace: pod %s passed over: its cgroup level %u is not traced\n",
				 s->targets[i].id, s->targets[i].level);
			continue;
		}
		s->targets[j++] = s->targets[i];
	}
	s->ntargets = j;
	return tell_tracer(s, first, err);
}

int engine_trace_read(struct trace_session *s, bool since_last, struct trace_snapshot *snap,
		      struct flt_error *err)
{
	struct read_ctx c = { .n = s->ntargets };
	uint64_t ms = now_ms();
	size_t i;
	int ret;

	memset(snap, 0, sizeof(*snap));
	if (s->all_pods) {
		ret = add_new_pods(s, err);
		if (ret)
			return ret;
		c.n = s->ntargets;
	}
	c.r = calloc(s->ntargets, sizeof(*c.r));
	snap->targets = calloc(s->ntargets, sizeof(*snap->targets));
	if (!c.r || !snap->targets) {
		ret = -ENOMEM;
		goto fail;
	}
	ret = tracer_read(s->tracer, on_stats, on_hist, &c, &snap->overflow, err);
	if (ret)
		goto out;
	if (c.oom) {
		ret = -ENOMEM;
		goto fail;
	}
	for (i = 0; i < s->ntargets; i++) {
		ret = fill_target(&snap->targets[i], &s->targets[i], &c.r[i],
				  since_last && i < s->nprev ? &s->prev[i] : NULL);
		snap->ntargets++;
		if (ret)
			goto fail;
	}
	snap->duration_ms = ms - (since_last ? s->prev_ms : s->start_ms);
	readings_free(s->prev, s->nprev);
	s->prev = c.r;
	s->nprev = s->ntargets;
	s->prev_ms = ms;
	return 0;
fail:
	flt_fail(err, FLT_ERR_SYSTEM, -ret, "trace: out of memory");
out:
	readings_free(c.r, c.r ? s->ntargets : 0);
	engine_trace_snapshot_free(snap);
	return ret;
}

/* --- adding readings up ----------------------------------------------------------------- */

static struct trace_syscall *syscall_of(struct trace_target *t, int nr)
{
	struct trace_syscall *grown;
	size_t i;

	for (i = 0; i < t->nsyscalls; i++)
		if (t->syscalls[i].nr == nr)
			return &t->syscalls[i];
	grown = realloc(t->syscalls, (t->nsyscalls + 1) * sizeof(*grown));
	if (!grown)
		return NULL;
	t->syscalls = grown;
	memset(&grown[t->nsyscalls], 0, sizeof(*grown));
	grown[t->nsyscalls].nr = nr;
	return &grown[t->nsyscalls++];
}

static struct trace_drop *drop_of(struct trace_target *t, uint32_t reason)
{
	struct trace_drop *grown;
	size_t i;

	for (i = 0; i < t->ndrops; i++)
		if (t->drops[i].reason == reason)
			return &t->drops[i];
	grown = realloc(t->drops, (t->ndrops + 1) * sizeof(*grown));
	if (!grown)
		return NULL;
	t->drops = grown;
	memset(&grown[t->ndrops], 0, sizeof(*grown));
	grown[t->ndrops].reason = reason;
	return &grown[t->ndrops++];
}

int engine_trace_target_add(struct trace_target *into, const struct trace_target *delta)
{
	size_t i;

	for (i = 0; i < delta->nsyscalls; i++) {
		struct trace_syscall *sc = syscall_of(into, delta->syscalls[i].nr);

		if (!sc)
			return -ENOMEM;
		memcpy(sc->name, delta->syscalls[i].name, sizeof(sc->name));
		hist_merge(&sc->h, &delta->syscalls[i].h);
	}
	for (i = 0; i < delta->ndrops; i++) {
		struct trace_drop *d = drop_of(into, delta->drops[i].reason);

		if (!d)
			return -ENOMEM;
		memcpy(d->name, delta->drops[i].name, sizeof(d->name));
		d->count += delta->drops[i].count;
	}
	hist_merge(&into->connect, &delta->connect);
	hist_merge(&into->rtt, &delta->rtt);
	into->retransmits += delta->retransmits;
	/* as trace lists them: the most time, the most drops first */
	if (into->nsyscalls) /* qsort's base may not be NULL, even for 0 elements */
		qsort(into->syscalls, into->nsyscalls, sizeof(*into->syscalls), by_total);
	if (into->ndrops)
		qsort(into->drops, into->ndrops, sizeof(*into->drops), by_count);
	return 0;
}

void engine_trace_snapshot_free(struct trace_snapshot *snap)
{
	size_t i;

	for (i = 0; snap->targets && i < snap->ntargets; i++) {
		free(snap->targets[i].syscalls);
		free(snap->targets[i].drops);
	}
	free(snap->targets);
	memset(snap, 0, sizeof(*snap));
}

void engine_trace_stop(struct trace_session *s)
{
	if (!s)
		return;
	tracer_close(s->tracer);
	readings_free(s->prev, s->nprev);
	free(s->targets);
	free(s);
}
