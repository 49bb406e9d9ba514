// SPDX-License-Identifier: GPL-2.0-only
/* The tracer's session for the pods of the agent's active plans (agent/podtrace.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/podtrace.h"

static int by_uid(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static struct podtrace_pod *find_pod(struct podtrace_pod *pods, size_t n, const char *uid)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(pods[i].uid, uid))
			return &pods[i];
	return NULL;
}

static void free_pods(struct podtrace_pod *pods, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(pods[i].totals.syscalls);
		free(pods[i].totals.drops);
	}
	free(pods);
}

/* The set as given, sorted, without duplicates, bounded; *out malloc'ed. */
static int unique_uids(const char *const *uids, size_t n, const char ***out, size_t *nout)
{
	const char **set = NULL;
	size_t i, m = 0;

	*out = NULL;
	*nout = 0;
	if (!n)
		return 0;
	set = malloc(n * sizeof(*set));
	if (!set)
		return -ENOMEM;
	memcpy(set, uids, n * sizeof(*set));
	qsort(set, n, sizeof(*set), by_uid);
	for (i = 0; i < n; i++)
		if ((!m || strcmp(set[m - 1], set[i])) && strlen(set[i]) < POD_UID_MAX)
			set[m++] = set[i];
	if (m > METRICS_MAX_PODS)
		m = METRICS_MAX_PODS; /* the metrics' bound: docs/agent.md */
	*out = set;
	*nout = m;
	return 0;
}

static bool same_set(const struct podtrace *t, const char **set, size_t n)
{
	size_t i;

	if (n != t->npods)
		return false;
	for (i = 0; i < n; i++)
		if (strcmp(t->pods[i].uid, set[i]))
			return false;
	return true;
}

static void fill_view(struct podtrace *t)
{
	size_t i;

	for (i = 0; i < t->npods; i++) {
		t->view[i].uid = t->pods[i].uid;
		t->view[i].ns = t->pods[i].name.ns;
		t->view[i].name = t->pods[i].name.name;
		t->view[i].totals = &t->pods[i].totals;
	}
}

int podtrace_update(struct podtrace *t, const char *const *uids, size_t n,
		    struct flt_error *err)
{
	struct podtrace_pod *pods = NULL, *old;
	struct metrics_pod *view = NULL;
	struct trace_opts topts = { 0 };
	const char **set;
	size_t i, m;
	int ret;

	ret = unique_uids(uids, n, &set, &m);
	if (ret)
		return flt_fail(err, FLT_ERR_SYSTEM, -ret, "agent: tracer: out of memory");
	if (same_set(t, set, m)) {
		free(set);
		return 0;
	}
	if (m) {
		pods = calloc(m, sizeof(*pods));
		view = calloc(m, sizeof(*view));
		if (!pods || !view) {
			free(pods);
			free(view);
			free(set);
			return flt_fail(err, FLT_ERR_SYSTEM, ENOMEM, "agent: tracer: out of memory");
		}
	}
	/* the old session's last figures first, so that a pod staying in the set loses none */
	if (t->session)
		podtrace_read(t, NULL);
	for (i = 0; i < m; i++) {
		snprintf(pods[i].uid, sizeof(pods[i].uid), "%s", set[i]);
		old = find_pod(t->pods, t->npods, set[i]);
		if (old) {
			pods[i].name = old->name;
			pods[i].totals = old->totals; /* taken over: its arrays move too */
			memset(&old->totals, 0, sizeof(old->totals));
		} else {
			if (pod_name_of(set[i], &pods[i].name))
				memset(&pods[i].name, 0, sizeof(pods[i].name));
			snprintf(pods[i].totals.id, sizeof(pods[i].totals.id), "%s", set[i]);
			pods[i].totals.kind = "pod";
		}
	}
	engine_trace_stop(t->session);
	t->session = NULL;
	free_pods(t->pods, t->npods);
	free(t->view);
	t->pods = pods;
	t->view = view;
	t->npods = m;
	t->start_failed = false;
	fill_view(t);
	ret = 0;
	if (m) {
		topts.targets = set;
		topts.ntargets = m;
		ret = engine_trace_start(&topts, &t->session, err);
		if (ret) {
			t->session = NULL;
			t->start_failed = true;
		}
	}
	free(set);
	return ret;
}

int podtrace_read(struct podtrace *t, struct flt_error *err)
{
	struct trace_snapshot snap = { 0 };
	struct podtrace_pod *p;
	size_t i;
	int ret;

	if (!t->session)
		return 0;
	ret = engine_trace_read(t->session, true, &snap, err);
	if (ret)
		return ret;
	for (i = 0; i < snap.ntargets && !ret; i++) {
		p = find_pod(t->pods, t->npods, snap.targets[i].id);
		if (p)
			ret = engine_trace_target_add(&p->totals, &snap.targets[i]);
	}
	engine_trace_snapshot_free(&snap);
	if (ret)
		return flt_fail(err, FLT_ERR_SYSTEM, -ret, "agent: tracer: out of memory");
	return 0;
}

void podtrace_stop(struct podtrace *t)
{
	engine_trace_stop(t->session);
	free_pods(t->pods, t->npods);
	free(t->view);
	memset(t, 0, sizeof(*t));
}
