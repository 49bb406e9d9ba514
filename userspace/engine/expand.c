// SPDX-License-Identifier: GPL-2.0-only
/*
 * Pods by name: a plan's NAMESPACE/NAME and NAMESPACE/GLOB pod ids become the UIDs of the pods
 * of this node they name (kernel/podnames.h), before anything else sees the plan, so that the
 * rest of the engine, the state store and the tracer only ever deal with UIDs.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "kernel/podnames.h"
#include "kernel/pods.h"
#include "plan/pod_id.h"

struct live_pods {
	char (*uids)[POD_UID_MAX];
	size_t n;
	bool known; /* the cgroup tree could be read */
};

static int add_live(const char *uid, const char *cgroup_dir, void *arg)
{
	struct live_pods *l = arg;
	char (*grown)[POD_UID_MAX];

	(void)cgroup_dir;
	grown = realloc(l->uids, (l->n + 1) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	l->uids = grown;
	snprintf(l->uids[l->n++], POD_UID_MAX, "%s", uid);
	return 0;
}

static bool is_live(const struct live_pods *l, const char *uid)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (!strcmp(l->uids[i], uid))
			return true;
	return false;
}

/*
 * kubelet removes a pod's log folder some time after the pod: a glob keeps the pods that have
 * a cgroup on this node, so that a pod being deleted does not fail the whole plan. A name as
 * written keeps its folder's UID whatever: apply then says precisely what is wrong with it.
 */
static void keep_live(const struct live_pods *live, bool glob, struct pod_name *pods, size_t *n)
{
	size_t i, kept = 0;

	if (!live->known)
		return;
	for (i = 0; i < *n; i++)
		if (is_live(live, pods[i].uid))
			pods[kept++] = pods[i];
	if (kept || glob)
		*n = kept;
}

/* The index of id in its list as the plan wrote it ("pods[2]"): the n-th of its kind. */
static size_t index_in_list(const struct plan_target_id *ids, size_t i)
{
	size_t k, index = 0;

	for (k = 0; k < i; k++)
		index += ids[k].kind == ids[i].kind;
	return index;
}

struct id_list {
	struct plan_target_id **ids;
	size_t *nids;
	const char *field; /* "spec.targets.web" or "spec.observe" */
};

static int fail_at(const struct plan *plan, const struct plan_target_id *id, const char *field,
		   size_t index, enum flt_err_kind kind, int errnum, struct flt_error *err,
		   const char *fmt, ...) __attribute__((format(printf, 8, 9)));

static int fail_at(const struct plan *plan, const struct plan_target_id *id, const char *field,
		   size_t index, enum flt_err_kind kind, int errnum, struct flt_error *err,
		   const char *fmt, ...)
{
	char path[192], msg[FLT_ERR_MSG_MAX / 2];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(path, sizeof(path), "%s.%s[%zu]", field,
		 id->kind == TARGET_POD ? "pods" : "cgroups", index);
	flt_fail_at(err, plan->file, id->pos.line, id->pos.col, path, "%s", msg);
	if (err) {
		err->kind = kind;
		err->errnum = errnum;
	}
	return -errnum;
}

/* The pods that id (NAMESPACE/NAME or NAMESPACE/GLOB) names, or an error positioned at it. */
static int match_id(const struct plan *plan, const struct id_list *list, size_t i,
		    const struct live_pods *live, struct pod_name **pods, size_t *n,
		    struct flt_error *err)
{
	const struct plan_target_id *id = &(*list->ids)[i];
	const char *slash = strchr(id->id, '/');
	bool glob = pod_glob(slash + 1);
	char ns[POD_NS_MAX];
	int ret;

	snprintf(ns, sizeof(ns), "%.*s", (int)(slash - id->id), id->id);
	ret = pod_names_match(ns, slash + 1, pods, n, err);
	if (ret)
		return ret;
	keep_live(live, glob, *pods, n);
	if (*n)
		return 0;
	free(*pods);
	*pods = NULL;
	if (glob)
		return fail_at(plan, id, list->field, index_in_list(*list->ids, i), FLT_ERR_TARGET,
			       ENOENT, err, "no pod of this node matches %s (in %s)", id->id,
			       pod_log_dir());
	return fail_at(plan, id, list->field, index_in_list(*list->ids, i), FLT_ERR_TARGET, ENOENT,
		       err, "no pod %s on this node: %s has no folder %s_%s_UID", id->id,
		       pod_log_dir(), ns, slash + 1);
}

/* Whether uid is already in ids[0..n) (a pod named twice in one list: once is enough). */
static bool listed(const struct plan_target_id *ids, size_t n, const char *uid)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (ids[i].kind == TARGET_POD && !strcmp(ids[i].id, uid))
			return true;
	return false;
}

/* One list expanded into a new array: each name by its pods, duplicates dropped. */
static int expand_list(const struct plan *plan, const struct id_list *list,
		       const struct live_pods *live, struct flt_error *err)
{
	struct plan_target_id *ids = *list->ids, *out = NULL, *grown;
	size_t nids = *list->nids, nout = 0, cap = 0, i, k;
	int ret = 0;

	for (i = 0; i < nids && !ret; i++) {
		struct plan_target_id *id = &ids[i];
		struct pod_name one, *pods = NULL;
		size_t n = 0;

		if (id->kind != TARGET_POD || !strchr(id->id, '/')) {
			snprintf(one.uid, sizeof(one.uid), "%s", id->id);
			pods = &one;
			n = 1;
		} else {
			ret = match_id(plan, list, i, live, &pods, &n, err);
			if (ret)
				break;
		}
		if (nout + n > cap) {
			cap = (nout + n) * 2;
			grown = realloc(out, cap * sizeof(*grown));
			if (!grown) {
				ret = -ENOMEM;
			} else {
				out = grown;
			}
		}
		for (k = 0; !ret && k < n; k++) {
			struct plan_target_id *o = &out[nout];

			if (id->kind == TARGET_POD && listed(out, nout, pods[k].uid))
				continue;
			*o = *id;
			o->id = strdup(pods[k].uid);
			o->pattern = pods == &one ? NULL : strdup(id->id);
			if (!o->id || (pods != &one && !o->pattern)) {
				free(o->id);
				free(o->pattern);
				ret = -ENOMEM;
				break;
			}
			nout++;
		}
		if (pods != &one)
			free(pods);
	}
	if (ret == -ENOMEM)
		flt_fail(err, FLT_ERR_SYSTEM, ENOMEM, "plan %s: out of memory", plan->name);
	if (ret) {
		/* the plan keeps its lists as they were */
		for (k = 0; k < nout; k++) {
			free(out[k].id);
			free(out[k].pattern);
		}
		free(out);
		return ret;
	}
	for (i = 0; i < nids; i++) {
		free(ids[i].id);
		free(ids[i].pattern);
	}
	free(ids);
	*list->ids = out;
	*list->nids = nout;
	return 0;
}

/*
 * Names make overlaps that the plan format could not see: a pod both targeted by two targets,
 * or observed and targeted. Refused at the later id, as the plan format refuses the same UID
 * written twice.
 */
static int check_overlaps(const struct plan *plan, struct flt_error *err)
{
	size_t t, u, i, j;
	char field[160];

	for (t = 0; t < plan->ntargets; t++)
		for (i = 0; i < plan->targets[t].nids; i++) {
			const struct plan_target_id *id = &plan->targets[t].ids[i];

			if (id->kind != TARGET_POD || !id->pattern)
				continue;
			for (u = 0; u < t; u++) {
				const struct plan_target *other = &plan->targets[u];

				for (j = 0; j < other->nids; j++) {
					if (other->ids[j].kind != TARGET_POD ||
					    strcmp(other->ids[j].id, id->id))
						continue;
					snprintf(field, sizeof(field), "spec.targets.%s",
						 plan->targets[t].name);
					return fail_at(plan, id, field,
						       index_in_list(plan->targets[t].ids, i),
						       FLT_ERR_INPUT, EINVAL, err,
						       "%s matches pod %s, already a pod of target "
						       "\"%s\" at line %u: a pod is in one target",
						       id->pattern, id->id, other->name,
						       other->ids[j].pos.line);
				}
			}
		}
	for (i = 0; i < plan->nobserved; i++) {
		const struct plan_target_id *id = &plan->observed[i];

		if (id->kind != TARGET_POD)
			continue;
		for (t = 0; t < plan->ntargets; t++)
			for (j = 0; j < plan->targets[t].nids; j++) {
				const struct plan_target_id *tid = &plan->targets[t].ids[j];

				if (tid->kind != TARGET_POD || strcmp(tid->id, id->id))
					continue;
				return fail_at(plan, id, "spec.observe",
					       index_in_list(plan->observed, i), FLT_ERR_INPUT,
					       EINVAL, err,
					       "pod %s%s%s%s is a target of the plan at line %u: an "
					       "observed pod is not faulted",
					       id->id, id->pattern ? " (" : "",
					       id->pattern ? id->pattern : "", id->pattern ? ")" : "",
					       tid->pos.line);
			}
	}
	return 0;
}

static bool has_names(const struct plan *plan)
{
	size_t t, i;

	for (t = 0; t < plan->ntargets; t++)
		for (i = 0; i < plan->targets[t].nids; i++)
			if (plan->targets[t].ids[i].kind == TARGET_POD &&
			    strchr(plan->targets[t].ids[i].id, '/'))
				return true;
	for (i = 0; i < plan->nobserved; i++)
		if (plan->observed[i].kind == TARGET_POD && strchr(plan->observed[i].id, '/'))
			return true;
	return false;
}

int engine_expand_pods(struct plan *plan, struct flt_error *err)
{
	struct live_pods live = { 0 };
	char field[160];
	size_t t;
	int ret = 0;

	if (!has_names(plan))
		return 0; /* UIDs only: nothing to read */
	live.known = pod_each(add_live, &live, NULL) == 0;
	for (t = 0; !ret && t < plan->ntargets; t++) {
		struct id_list list = { &plan->targets[t].ids, &plan->targets[t].nids, field };

		snprintf(field, sizeof(field), "spec.targets.%s", plan->targets[t].name);
		ret = expand_list(plan, &list, &live, err);
	}
	if (!ret && plan->nobserved) {
		struct id_list list = { &plan->observed, &plan->nobserved, "spec.observe" };

		ret = expand_list(plan, &list, &live, err);
	}
	free(live.uids);
	return ret ?: check_overlaps(plan, err);
}
