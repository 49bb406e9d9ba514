// SPDX-License-Identifier: GPL-2.0-only
/*
 * The node policy's check of a plan (docs/policy.md): the first rule a plan breaks refuses it
 * whole, as an input error positioned at the plan's field that breaks it. The protected CIDRs
 * are not checked here: the programs pass their traffic before any rule (bpf/fault.bpf.c), and
 * apply.c loads them from the policy set here.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "engine/engine.h"
#include "fault.h"
#include "kernel/podnames.h"
#include "plan/values.h"

static const struct policy *node_policy;

void engine_set_policy(const struct policy *policy)
{
	node_policy = policy;
}

const struct policy *engine_policy(void)
{
	return node_policy;
}

/* A delay for a message: "5s", "1.5ms", "250us", as a plan writes it. */
static const char *format_delay(uint64_t ns, char *buf, size_t len)
{
	if (ns >= 1000000000ULL)
		snprintf(buf, len, "%.9gs", (double)ns / 1e9);
	else if (ns >= 1000000ULL)
		snprintf(buf, len, "%.6gms", (double)ns / 1e6);
	else if (ns >= 1000ULL)
		snprintf(buf, len, "%.3gus", (double)ns / 1e3);
	else
		snprintf(buf, len, "%" PRIu64 "ns", ns);
	return buf;
}

/* Where an id of the plan is, for the error: its list and index as the document has them. */
struct id_place {
	const char *list; /* "spec.targets.NAME" or "spec.observe" */
	const struct plan_target_id *ids;
	size_t nids;
};

/*
 * The index of ids[i] in its kind's list as written: ids expanded from one NAMESPACE/GLOB share
 * the glob's position, and each kind's list is its own in the document.
 */
static size_t written_index(const struct id_place *place, size_t i)
{
	const struct plan_target_id *id = &place->ids[i];
	size_t j, index = 0;
	bool have_prev = false;
	struct plan_pos prev = {0};

	for (j = 0; j < i; j++) {
		const struct plan_target_id *e = &place->ids[j];

		if (e->kind != id->kind)
			continue;
		if (have_prev && (e->pos.line != prev.line || e->pos.col != prev.col))
			index++;
		have_prev = true;
		prev = e->pos;
	}
	if (have_prev && (id->pos.line != prev.line || id->pos.col != prev.col))
		index++;
	return index;
}

static int refuse_id(const struct plan *plan, const struct id_place *place, size_t i,
		     struct flt_error *err, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static int refuse_id(const struct plan *plan, const struct id_place *place, size_t i,
		     struct flt_error *err, const char *fmt, ...)
{
	const struct plan_target_id *id = &place->ids[i];
	char field[512], why[FLT_ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	snprintf(field, sizeof(field), "%s.%ss[%zu]", place->list,
		 id->kind == TARGET_POD ? "pod" : "cgroup", written_index(place, i));
	flt_fail_at(err, plan->file, id->pos.line, id->pos.col, field, "refused by policy %s: %s",
		    node_policy->file, why);
	return -EINVAL;
}

/* "kube-system/coredns-1" of a pod id: from /var/log/pods for a UID, else as written. */
static bool pod_of(const struct plan_target_id *id, struct pod_name *pod)
{
	const char *slash = strchr(id->id, '/');

	memset(pod, 0, sizeof(*pod));
	if (!slash) {
		snprintf(pod->uid, sizeof(pod->uid), "%s", id->id);
		if (pod_name_of(id->id, pod))
			return false;
		return true;
	}
	/* not expanded (engine_expand_pods() not called): the namespace is the id's own */
	snprintf(pod->ns, sizeof(pod->ns), "%.*s", (int)(slash - id->id), id->id);
	snprintf(pod->name, sizeof(pod->name), "%s", slash + 1);
	return true;
}

static int check_pod(const struct plan *plan, const struct id_place *place, size_t i,
		     struct flt_error *err)
{
	const struct policy *pol = node_policy;
	const struct plan_target_id *id = &place->ids[i];
	char ns_name[POD_NS_MAX + POD_NAME_MAX + 1] = "", shown[POD_NS_MAX + POD_NAME_MAX + 64];
	struct pod_name pod;
	bool named = pod_of(id, &pod);
	size_t k;

	if (named) {
		snprintf(ns_name, sizeof(ns_name), "%s/%s", pod.ns, pod.name);
		if (pod.uid[0])
			snprintf(shown, sizeof(shown), "%s (%s)", ns_name, pod.uid);
		else
			snprintf(shown, sizeof(shown), "%s", ns_name);
	} else {
		snprintf(shown, sizeof(shown), "%s", id->id);
	}
	for (k = 0; named && k < pol->nnamespaces; k++) {
		if (!strcmp(pol->namespaces[k], pod.ns))
			return refuse_id(plan, place, i, err,
					 "protect.namespaces: pod %s is in a protected namespace",
					 shown);
	}
	for (k = 0; k < pol->npods; k++) {
		if (!strcmp(pol->pods[k], id->id) || (named && !strcmp(pol->pods[k], ns_name)))
			return refuse_id(plan, place, i, err, "protect.pods: pod %s is protected",
					 shown);
	}
	return 0;
}

/* Whether cgroup path is protected or under a protected one; both without outer slashes. */
static bool cgroup_under(const char *path, const char *protected_path)
{
	size_t n = strlen(protected_path), len;

	path += strspn(path, "/");
	len = strlen(path);
	while (len && path[len - 1] == '/')
		len--;
	if (len < n || strncmp(path, protected_path, n))
		return false;
	return len == n || path[n] == '/';
}

static int check_cgroup(const struct plan *plan, const struct id_place *place, size_t i,
			struct flt_error *err)
{
	const struct policy *pol = node_policy;
	const char *path = place->ids[i].id;
	size_t k;

	for (k = 0; k < pol->ncgroups; k++) {
		if (cgroup_under(path, pol->cgroups[k]))
			return refuse_id(plan, place, i, err,
					 "protect.cgroups: cgroup %s is protected (/%s)", path,
					 pol->cgroups[k]);
	}
	return 0;
}

static int check_ids(const struct plan *plan, const struct id_place *place, struct flt_error *err)
{
	size_t i;
	int ret = 0;

	for (i = 0; i < place->nids && !ret; i++) {
		if (place->ids[i].kind == TARGET_POD)
			ret = check_pod(plan, place, i, err);
		else if (place->ids[i].kind == TARGET_CGROUP)
			ret = check_cgroup(plan, place, i, err);
	}
	return ret;
}

/* limits.maxTargets: the pods of every target, counted after globs expand. */
static int check_max_targets(const struct plan *plan, struct flt_error *err)
{
	const struct policy *pol = node_policy;
	size_t t, i, n = 0;
	char list[300];

	if (!pol->max_targets)
		return 0;
	for (t = 0; t < plan->ntargets; t++) {
		for (i = 0; i < plan->targets[t].nids; i++)
			n += plan->targets[t].ids[i].kind == TARGET_POD;
	}
	if (n <= pol->max_targets)
		return 0;
	/* at the first pod past the limit: where the plan goes over it */
	n = 0;
	for (t = 0; t < plan->ntargets; t++) {
		struct id_place place = {list, plan->targets[t].ids, plan->targets[t].nids};

		snprintf(list, sizeof(list), "spec.targets.%s", plan->targets[t].name);
		for (i = 0; i < place.nids; i++) {
			if (place.ids[i].kind != TARGET_POD || ++n <= pol->max_targets)
				continue;
			return refuse_id(plan, &place, i, err,
					 "limits.maxTargets is %" PRIu64 " pods, the plan targets "
					 "more (%s is past the limit)",
					 pol->max_targets, place.ids[i].id);
		}
	}
	return 0;
}

static int refuse_fault(const struct plan *plan, size_t f, const char *key, struct flt_error *err,
			const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static int refuse_fault(const struct plan *plan, size_t f, const char *key, struct flt_error *err,
			const char *fmt, ...)
{
	const struct plan_fault *fault = &plan->faults[f];
	char field[64], why[FLT_ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	snprintf(field, sizeof(field), "spec.faults[%zu].%s", f, key);
	flt_fail_at(err, plan->file, fault->pos.line, fault->pos.col, field,
		    "refused by policy %s: %s", node_policy->file, why);
	return -EINVAL;
}

/*
 * The share of packets a Gilbert-Elliott loss drops in the long run, in percent: the chain
 * spends r / (p + r) of the time in the good state, losing 100 - k percent there, and
 * p / (p + r) in the bad state, losing 100 - h percent (netem's 4-state model with its
 * parameters p, r, 1-h, 1-k; p and r are never 0, schema.c refuses it).
 */
static double ge_mean_loss(const struct plan_fault *fault)
{
	double p = fault->ge_p, r = fault->ge_r;

	if (p + r <= 0)
		return 100 - fault->ge_k;
	return (r * (100 - fault->ge_k) + p * (100 - fault->ge_h)) / (p + r);
}

static int check_fault(const struct plan *plan, size_t f, struct flt_error *err)
{
	const struct policy *pol = node_policy;
	const struct plan_fault *fault = &plan->faults[f];
	char limit[32], got[32];

	if (pol->has_max_loss) {
		if ((fault->actions & FLT_ACT_BLACKHOLE) && pol->max_loss_percent < 100)
			return refuse_fault(
				plan, f, "blackhole", err,
				"limits.maxLossPercent is %g%%, a blackhole loses 100%%",
				pol->max_loss_percent);
		if ((fault->actions & FLT_ACT_LOSS) && fault->loss_percent > pol->max_loss_percent)
			return refuse_fault(
				plan, f, "loss", err,
				"limits.maxLossPercent is %g%%, the fault's loss is %g%%",
				pol->max_loss_percent, fault->loss_percent);
		if ((fault->netem_effects & PLAN_NETEM_LOSS_GE) &&
		    ge_mean_loss(fault) > pol->max_loss_percent)
			return refuse_fault(plan, f, "loss", err,
					    "limits.maxLossPercent is %g%%, the fault's "
					    "gilbert-elliott loss averages %.3g%%",
					    pol->max_loss_percent, ge_mean_loss(fault));
	}
	if (pol->max_delay_ns && fault->delay_ns &&
	    fault->delay_ns + fault->jitter_ns > pol->max_delay_ns) {
		format_delay(pol->max_delay_ns, limit, sizeof(limit));
		format_delay(fault->delay_ns + fault->jitter_ns, got, sizeof(got));
		return refuse_fault(plan, f, "delay", err,
				    "limits.maxDelay is %s, the fault's delay is %s%s", limit, got,
				    fault->jitter_ns ? " (time + jitter)" : "");
	}
	return 0;
}

int engine_policy_check(const struct plan *plan, struct flt_error *err)
{
	const struct policy *pol = node_policy;
	char list[300], limit[32], got[32];
	size_t t, f;
	int ret;

	if (!pol)
		return 0;
	for (t = 0; t < plan->ntargets; t++) {
		struct id_place place = {list, plan->targets[t].ids, plan->targets[t].nids};

		snprintf(list, sizeof(list), "spec.targets.%s", plan->targets[t].name);
		ret = check_ids(plan, &place, err);
		if (ret)
			return ret;
	}
	if (plan->nobserved) {
		struct id_place place = {"spec.observe", plan->observed, plan->nobserved};

		ret = check_ids(plan, &place, err);
		if (ret)
			return ret;
	}
	ret = check_max_targets(plan, err);
	if (ret)
		return ret;
	if (pol->max_duration_ms && plan->duration_ms > pol->max_duration_ms) {
		format_duration_ms(pol->max_duration_ms, limit, sizeof(limit));
		format_duration_ms(plan->duration_ms, got, sizeof(got));
		flt_fail_at(
			err, plan->file, plan->duration_pos.line ? plan->duration_pos.line : 1,
			plan->duration_pos.line ? plan->duration_pos.col : 1, "spec.duration",
			"refused by policy %s: limits.maxDuration is %s, the plan's duration is "
			"%s",
			pol->file, limit, got);
		return -EINVAL;
	}
	for (f = 0; f < plan->nfaults; f++) {
		ret = check_fault(plan, f, err);
		if (ret)
			return ret;
	}
	return 0;
}

_Static_assert(POLICY_MAX_CIDRS == FLT_MAX_PROTECT,
	       "the policy parser keeps as many cidrs as the programs check");
