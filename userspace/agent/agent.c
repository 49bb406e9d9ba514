// SPDX-License-Identifier: GPL-2.0-only
/*
 * faultline agent (agent/agent.h, docs/agent.md): the plan files of a directory applied, each
 * content once; a plan reverted when its file goes or changes; restarts adopt what was applied.
 *
 * Each plan file is known by a key, a hash of its name and content (agent/plandir.h). A key is
 * evaluated once while the agent runs: applied, or recorded as not for this node, refused,
 * invalid or failed. The keys applied are also remembered in the state store
 * (engine_seen_add), so that after a restart a key seen before is adopted when its plan is still
 * active and otherwise left alone: it ran and ended. Every engine call is one operation under
 * the store's lock, so the CLI works beside the agent.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>

#include "agent/agent.h"
#include "agent/events.h"
#include "agent/http.h"
#include "agent/metrics.h"
#include "agent/plandir.h"
#include "agent/podtrace.h"
#include "common/clock.h"
#include "common/out.h"

/* A burst of events (a ConfigMap update is several) is scanned once it is quiet this long... */
#define SCAN_QUIET_MS 50
/* ...or this long after its first event, whichever comes first. */
#define SCAN_LATEST_MS 250
/* /healthz turns 503 after this many intervals without a snapshot, plus STALE_SLACK_MS. */
#define STALE_INTERVALS 3
#define STALE_SLACK_MS 10000

#define WATCH_MASK                                                                              \
	(IN_CREATE | IN_DELETE | IN_MOVED_TO | IN_MOVED_FROM | IN_CLOSE_WRITE | IN_ATTRIB |       \
	 IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)

enum file_state {
	FILE_ACTIVE,
	FILE_EXPIRED,
	FILE_REVERTED,
	FILE_NOT_FOR_NODE,
	FILE_REFUSED,
	FILE_INVALID,
	FILE_FAILED,
};

static const char *const file_state_names[] = {
	[FILE_ACTIVE] = "active",	      [FILE_EXPIRED] = "expired",
	[FILE_REVERTED] = "reverted",	      [FILE_NOT_FOR_NODE] = "not-for-node",
	[FILE_REFUSED] = "refused",	      [FILE_INVALID] = "invalid",
	[FILE_FAILED] = "failed",
};

/* One content of one plan file, as the agent last saw it. */
struct agent_file {
	char name[NAME_MAX + 1];
	char path[PATH_MAX]; /* DIR/NAME: the file a plan's description names */
	uint64_t key;
	char plan[STATE_NAME_MAX]; /* "" until parsed */
	enum file_state state;
	char reason[FLT_ERR_MSG_MAX];
	uint64_t applied_unix_ms; /* active */
	uint64_t deadline_unix_ms;
	char **observed; /* spec.observe's pod UIDs, traced for the metrics while active */
	size_t nobserved;
};

struct agent {
	const struct agent_opts *opts;
	char dir[PATH_MAX]; /* plans_dir without trailing slashes */
	struct agent_file **files;
	size_t nfiles;
	size_t nlisted; /* plan files in the directory at the last scan */
	uint64_t errors[AGENT_ERR_REASONS];
	struct engine_plans active; /* at the last refresh */
	bool healthy;
	bool frozen;
	bool list_failed; /* the directory could not be listed: logged once until it can */
	bool status_failed; /* the store could not be read: logged once until it can */
	struct podtrace trace;
	struct agent_http *http;
	int inotify_fd; /* -1: rescans only */
	int watch; /* -1: to be added again (the directory went) */
};

static uint64_t mono_ms(void)
{
	return mono_now_ns() / 1000000;
}

/* --- events and errors ------------------------------------------------------------------------ */

static void log_event(const struct agent *a, enum agent_event ev, const struct agent_file *f,
		      const char *reason, const char *by)
{
	struct agent_event_info info = {
		.file = f ? f->path : NULL,
		.plan = f && f->plan[0] ? f->plan : NULL,
		.reason = reason,
		.by = by,
	};

	agent_event_log(a->opts->json_logs, ev, &info);
}

static void log_error(const struct agent *a, const struct flt_error *err)
{
	struct agent_event_info info = { .reason = err->message };

	agent_event_log(a->opts->json_logs, AGENT_EV_ERROR, &info);
}

/* A key that is not applied: its state, its reason, one log line and (but for
 * not-for-node) one count. */
static void set_outcome(struct agent *a, struct agent_file *f, enum file_state state,
			enum agent_error_reason why, const char *reason)
{
	static const enum agent_event events[] = {
		[FILE_NOT_FOR_NODE] = AGENT_EV_NOT_FOR_NODE, [FILE_REFUSED] = AGENT_EV_REFUSED,
		[FILE_INVALID] = AGENT_EV_INVALID,	     [FILE_FAILED] = AGENT_EV_FAILED,
	};

	f->state = state;
	snprintf(f->reason, sizeof(f->reason), "%s", reason);
	if (state != FILE_NOT_FOR_NODE)
		a->errors[why]++;
	log_event(a, events[state], f, reason, NULL);
}

/* --- the engine's view ------------------------------------------------------------------------ */

/*
 * The active plans and whether the node is frozen; healthy says whether the store answered.
 * 0, or -errno with err set (logged once until the store answers again).
 */
static int refresh(struct agent *a, struct flt_error *err)
{
	struct engine_plans plans = { 0 };
	bool frozen = false;
	int ret;

	ret = engine_status(NULL, &plans, err);
	if (!ret)
		ret = engine_frozen(&frozen, err);
	if (ret) {
		if (!a->status_failed)
			log_error(a, err);
		a->status_failed = true;
		a->healthy = false;
		engine_plans_free(&plans);
		return ret;
	}
	a->status_failed = false;
	a->healthy = true;
	a->frozen = frozen;
	engine_plans_free(&a->active);
	a->active = plans;
	return 0;
}

static const struct engine_plan_status *find_active(const struct agent *a, const char *plan,
						    const char *path)
{
	size_t i;

	for (i = 0; i < a->active.n; i++)
		if (!strcmp(a->active.plans[i].name, plan) && !strcmp(a->active.plans[i].file, path))
			return &a->active.plans[i];
	return NULL;
}

static void set_active(struct agent_file *f, const struct engine_plan_status *p)
{
	f->state = FILE_ACTIVE;
	f->reason[0] = '\0';
	f->applied_unix_ms = p->applied_unix_ms;
	f->deadline_unix_ms = p->applied_unix_ms + p->duration_ms;
}

/* Our plan is no longer active and we did not revert it: it expired, or someone reverted it. */
static void plan_gone(struct agent *a, struct agent_file *f)
{
	/* a second of slack: the deadline is checked against a clock read before the sweep */
	if (unix_now_ms() + 1000 >= f->deadline_unix_ms) {
		f->state = FILE_EXPIRED;
		log_event(a, AGENT_EV_EXPIRED, f, NULL, NULL);
	} else {
		f->state = FILE_REVERTED;
		snprintf(f->reason, sizeof(f->reason), "reverted by another process");
		log_event(a, AGENT_EV_REVERTED, f, NULL, "another process");
	}
}

/* Revert our active plan (its file went or changed, or the agent stops). 0 or -errno. */
static int revert_file(struct agent *a, struct agent_file *f, const char *why,
		       struct flt_error *err)
{
	struct engine_plans out = { 0 };
	int ret;

	if (f->state != FILE_ACTIVE)
		return 0;
	ret = engine_revert(f->plan, &out, err);
	engine_plans_free(&out);
	if (ret == 0) {
		f->state = FILE_REVERTED;
		snprintf(f->reason, sizeof(f->reason), "%s", why);
		log_event(a, AGENT_EV_REVERTED, f, why, NULL);
		return 0;
	}
	if (err->kind == FLT_ERR_NOT_ACTIVE) {
		plan_gone(a, f); /* another process was first */
		return 0;
	}
	a->errors[AGENT_ERR_REVERT]++;
	log_event(a, AGENT_EV_ERROR, f, err->message, NULL);
	return ret;
}

/* --- the files -------------------------------------------------------------------------------- */

static void file_free(struct agent_file *f)
{
	size_t i;

	if (!f)
		return;
	for (i = 0; i < f->nobserved; i++)
		free(f->observed[i]);
	free(f->observed);
	free(f);
}

/* spec.observe's pods (UIDs once expanded): traced while the plan is active. */
static void keep_observed(struct agent_file *f, const struct plan *plan)
{
	size_t i;

	f->observed = calloc(plan->nobserved ? plan->nobserved : 1, sizeof(*f->observed));
	if (!f->observed)
		return;
	for (i = 0; i < plan->nobserved; i++)
		if (plan->observed[i].kind == TARGET_POD &&
		    (f->observed[f->nobserved] = strdup(plan->observed[i].id)))
			f->nobserved++;
}

/* What engine_apply's error says about the plan: the state it leaves the key in. */
static void apply_failed(struct agent *a, struct agent_file *f, const struct flt_error *err)
{
	struct flt_error ferr;
	bool frozen = false;

	if (err->kind == FLT_ERR_TARGET) {
		set_outcome(a, f, FILE_NOT_FOR_NODE, AGENT_ERR_APPLY, err->message);
	} else if (err->kind != FLT_ERR_INPUT) {
		set_outcome(a, f, FILE_FAILED, AGENT_ERR_APPLY, err->message);
	} else if (!engine_frozen(&frozen, &ferr) && frozen) {
		set_outcome(a, f, FILE_REFUSED, AGENT_ERR_FROZEN, err->message);
	} else if (err->errnum == EEXIST || err->errnum == EBUSY) {
		/* a plan of that name, or one on those targets, is active */
		set_outcome(a, f, FILE_REFUSED, AGENT_ERR_CONFLICT, err->message);
	} else {
		set_outcome(a, f, FILE_FAILED, AGENT_ERR_APPLY, err->message);
	}
}

/* A key never applied before: parse, expand, check and apply it. */
static void evaluate(struct agent *a, struct agent_file *f, const struct plandir_file *pf)
{
	struct engine_apply_result res = { 0 };
	const struct engine_plan_status *p;
	struct engine_plans one = { 0 };
	struct plan plan = { 0 };
	struct flt_error err;

	if (plan_parse_string(f->path, pf->text, pf->len, a->opts->max_duration_ms, &plan, &err)) {
		set_outcome(a, f, err.kind == FLT_ERR_SYSTEM ? FILE_FAILED : FILE_INVALID,
			    err.kind == FLT_ERR_SYSTEM ? AGENT_ERR_APPLY : AGENT_ERR_INVALID,
			    err.message);
		goto out;
	}
	snprintf(f->plan, sizeof(f->plan), "%s", plan.name);
	if (plan.abort_pos.line) {
		/* a field accepted must have its effect: conditions are watched by run only */
		flt_fail_at(&err, f->path, plan.abort_pos.line, plan.abort_pos.col,
			    "spec.abortWhen",
			    "abortWhen needs faultline run: the agent does not evaluate abort "
			    "conditions; remove abortWhen");
		set_outcome(a, f, FILE_INVALID, AGENT_ERR_INVALID, err.message);
		goto out;
	}
	if (engine_expand_pods(&plan, &err)) {
		if (err.kind == FLT_ERR_TARGET)
			set_outcome(a, f, FILE_NOT_FOR_NODE, AGENT_ERR_APPLY, err.message);
		else
			set_outcome(a, f, err.kind == FLT_ERR_INPUT ? FILE_INVALID : FILE_FAILED,
				    err.kind == FLT_ERR_INPUT ? AGENT_ERR_INVALID : AGENT_ERR_APPLY,
				    err.message);
		goto out;
	}
	if (engine_policy_check(&plan, &err)) {
		set_outcome(a, f, FILE_REFUSED, AGENT_ERR_POLICY, err.message);
		goto out;
	}
	if (engine_apply(&plan, false, &res, &err)) {
		apply_failed(a, f, &err);
		goto out;
	}
	if (engine_seen_add(f->key, &err))
		log_event(a, AGENT_EV_ERROR, f, err.message, NULL); /* a restart may apply it again */
	f->state = FILE_ACTIVE;
	f->applied_unix_ms = unix_now_ms();
	f->deadline_unix_ms = f->applied_unix_ms + plan.duration_ms;
	if (!engine_status(plan.name, &one, &err) && one.n == 1) {
		p = &one.plans[0];
		set_active(f, p);
	}
	engine_plans_free(&one);
	keep_observed(f, &plan);
	log_event(a, AGENT_EV_APPLIED, f, NULL, NULL);
out:
	engine_apply_result_free(&res);
	plan_free(&plan);
}

/*
 * A key applied before (by this agent or one before it): adopted when its plan is still active
 * from this file, else it ran and ended, and is not applied again.
 */
static void adopt_or_leave(struct agent *a, struct agent_file *f, const struct plandir_file *pf)
{
	const struct engine_plan_status *p = NULL;
	struct plan plan = { 0 };
	struct flt_error err;

	if (!plan_parse_string(f->path, pf->text, pf->len, a->opts->max_duration_ms, &plan, &err)) {
		snprintf(f->plan, sizeof(f->plan), "%s", plan.name);
		p = find_active(a, plan.name, f->path);
	}
	if (p) {
		set_active(f, p);
		if (!engine_expand_pods(&plan, &err))
			keep_observed(f, &plan);
		log_event(a, AGENT_EV_ADOPTED, f, NULL, NULL);
	} else {
		f->state = FILE_EXPIRED;
		snprintf(f->reason, sizeof(f->reason),
			 "this content was applied before and has ended: not applied again");
		log_event(a, AGENT_EV_EXPIRED, f, f->reason, NULL);
	}
	plan_free(&plan);
}

static bool is_claimed(const struct agent *a, const struct engine_plan_status *p)
{
	size_t i;

	for (i = 0; i < a->nfiles; i++)
		if (a->files[i]->state == FILE_ACTIVE && !strcmp(a->files[i]->plan, p->name) &&
		    !strcmp(a->files[i]->path, p->file))
			return true;
	return false;
}

/* Whether path is DIR/NAME for our directory: a plan this agent (or one before it) applied. */
static bool in_our_dir(const struct agent *a, const char *path)
{
	size_t n = strlen(a->dir);

	return !strncmp(path, a->dir, n) && path[n] == '/' && path[n + 1] &&
	       !strchr(path + n + 1, '/');
}

/*
 * At startup, after adoption: an active plan applied from our directory that no file's content
 * claims lost its file (or its content changed) while no agent ran: revert it now.
 */
static void revert_orphans(struct agent *a)
{
	struct agent_file orphan = { 0 };
	struct engine_plans out = { 0 };
	struct flt_error err;
	size_t i;

	for (i = 0; i < a->active.n; i++) {
		const struct engine_plan_status *p = &a->active.plans[i];

		if (!in_our_dir(a, p->file) || is_claimed(a, p))
			continue;
		snprintf(orphan.plan, sizeof(orphan.plan), "%s", p->name);
		snprintf(orphan.path, sizeof(orphan.path), "%s", p->file);
		if (engine_revert(p->name, &out, &err) && err.kind != FLT_ERR_NOT_ACTIVE) {
			a->errors[AGENT_ERR_REVERT]++;
			log_event(a, AGENT_EV_ERROR, &orphan, err.message, NULL);
		} else {
			log_event(a, AGENT_EV_REVERTED, &orphan,
				  "its file was removed or changed while no agent ran", NULL);
		}
		engine_plans_free(&out);
	}
}

static const struct plandir_file *listed(const struct plandir_list *l, const char *name)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (!strcmp(l->files[i].name, name))
			return &l->files[i];
	return NULL;
}

static struct agent_file *tracked(const struct agent *a, const struct plandir_file *pf)
{
	size_t i;

	for (i = 0; i < a->nfiles; i++)
		if (!strcmp(a->files[i]->name, pf->name) && a->files[i]->key == pf->key)
			return a->files[i];
	return NULL;
}

/* A new key of a file: tracked, not yet evaluated. NULL when out of memory. */
static struct agent_file *track(struct agent *a, const struct plandir_file *pf)
{
	struct agent_file **grown, *f;

	grown = realloc(a->files, (a->nfiles + 1) * sizeof(*grown));
	if (!grown)
		return NULL;
	a->files = grown;
	f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	snprintf(f->name, sizeof(f->name), "%s", pf->name);
	snprintf(f->path, sizeof(f->path), "%s/%s", a->dir, pf->name);
	f->key = pf->key;
	a->files[a->nfiles++] = f;
	return f;
}

static void read_failed(struct agent *a, struct agent_file *f, const struct plandir_file *pf)
{
	char why[FLT_ERR_MSG_MAX];

	if (pf->read_errno == EFBIG)
		snprintf(why, sizeof(why), "%s: the file is over %d bytes: not a plan", f->path,
			 PLANDIR_MAX_BYTES);
	else
		snprintf(why, sizeof(why), "%s: cannot read it: %s", f->path,
			 strerror(pf->read_errno));
	set_outcome(a, f, FILE_INVALID, AGENT_ERR_INVALID, why);
}

/*
 * The directory against what the agent knows: first every file gone or changed has its plan
 * reverted (a ..data swap's old content before its new one, which may reuse the plan's name),
 * then the keys seen before are adopted or left, then (at startup) the plans that lost their
 * file while no agent ran are reverted, and last the new keys are applied.
 */
static void scan(struct agent *a, bool startup)
{
	struct plandir_list l = { 0 };
	const struct plandir_file *pf;
	struct agent_file *f;
	struct flt_error err;
	bool *fresh = NULL, *seen = NULL, any_seen;
	struct agent_file **made = NULL;
	size_t i, j;

	if (plandir_list(a->dir, &l, &err)) {
		if (!a->list_failed)
			log_error(a, &err);
		a->list_failed = true;
		return;
	}
	a->list_failed = false;
	a->nlisted = l.n;
	for (i = a->nfiles; i-- > 0;) {
		f = a->files[i];
		pf = listed(&l, f->name);
		if (pf && pf->key == f->key)
			continue;
		revert_file(a, f, pf ? "its content changed" : "its file was removed", &err);
		file_free(f);
		memmove(&a->files[i], &a->files[i + 1], (a->nfiles - i - 1) * sizeof(*a->files));
		a->nfiles--;
	}
	if (l.n) {
		fresh = calloc(l.n, sizeof(*fresh));
		seen = calloc(l.n, sizeof(*seen));
		made = calloc(l.n, sizeof(*made));
		if (!fresh || !seen || !made) {
			flt_fail(&err, FLT_ERR_SYSTEM, ENOMEM, "agent: out of memory");
			log_error(a, &err);
			goto out;
		}
	}
	for (i = 0; i < l.n; i++) {
		pf = &l.files[i];
		if (tracked(a, pf))
			continue;
		made[i] = track(a, pf);
		if (!made[i])
			continue;
		if (pf->read_errno) {
			read_failed(a, made[i], pf);
			continue;
		}
		fresh[i] = true;
		if (engine_seen_has(pf->key, &seen[i], &err)) {
			log_event(a, AGENT_EV_ERROR, made[i], err.message, NULL);
			seen[i] = false;
		}
	}
	for (i = 0, any_seen = false; i < l.n; i++)
		any_seen |= seen[i];
	if (startup || any_seen)
		refresh(a, &err);
	for (i = 0; i < l.n; i++)
		if (fresh[i] && seen[i])
			adopt_or_leave(a, made[i], &l.files[i]);
	if (startup)
		revert_orphans(a);
	for (j = 0; j < l.n; j++)
		if (fresh[j] && !seen[j])
			evaluate(a, made[j], &l.files[j]);
out:
	free(fresh);
	free(seen);
	free(made);
	plandir_list_free(&l);
}

/* --- every interval --------------------------------------------------------------------------- */

/* Expired plans reverted; ours among them logged as expired. */
static void sweep(struct agent *a)
{
	struct engine_plans swept = { 0 };
	struct flt_error err;
	size_t i, k;

	if (engine_sweep(&swept, &err)) {
		if (!a->status_failed)
			log_error(a, &err);
		a->status_failed = true;
		a->healthy = false;
		return;
	}
	for (i = 0; i < swept.n; i++)
		for (k = 0; k < a->nfiles; k++) {
			struct agent_file *f = a->files[k];

			if (f->state == FILE_ACTIVE && !strcmp(f->plan, swept.plans[i].name) &&
			    !strcmp(f->path, swept.plans[i].file)) {
				f->state = FILE_EXPIRED;
				log_event(a, AGENT_EV_EXPIRED, f, NULL, NULL);
			}
		}
	engine_plans_free(&swept);
}

/* Ours that are no longer active, though we did not revert them: expired or reverted by another
 * process (faultline revert, freeze, another sweep). */
static void reconcile(struct agent *a)
{
	size_t i;

	if (!a->healthy)
		return;
	for (i = 0; i < a->nfiles; i++)
		if (a->files[i]->state == FILE_ACTIVE &&
		    !find_active(a, a->files[i]->plan, a->files[i]->path))
			plan_gone(a, a->files[i]);
}

/* The pods that active plans target (not gone) or observe: one tracer session for them. */
static void update_tracer(struct agent *a)
{
	const char **uids = NULL;
	size_t n = 0, cap = 0, i, f, t;
	struct flt_error err;

	for (i = 0; i < a->active.n; i++)
		for (f = 0; f < a->active.plans[i].nfaults; f++)
			cap += a->active.plans[i].faults[f].ntargets;
	for (i = 0; i < a->nfiles; i++)
		if (a->files[i]->state == FILE_ACTIVE)
			cap += a->files[i]->nobserved;
	if (cap) {
		uids = calloc(cap, sizeof(*uids));
		if (!uids)
			return;
	}
	for (i = 0; i < a->active.n; i++)
		for (f = 0; f < a->active.plans[i].nfaults; f++)
			for (t = 0; t < a->active.plans[i].faults[f].ntargets; t++) {
				const struct engine_target_status *ts =
					&a->active.plans[i].faults[f].targets[t];

				if (!strcmp(ts->kind, "pod") && !ts->gone)
					uids[n++] = ts->id;
			}
	for (i = 0; i < a->nfiles; i++)
		if (a->files[i]->state == FILE_ACTIVE)
			for (t = 0; t < a->files[i]->nobserved; t++)
				uids[n++] = a->files[i]->observed[t];
	if (podtrace_update(&a->trace, uids, n, &err)) {
		snprintf(err.message + strlen(err.message),
			 sizeof(err.message) - strlen(err.message),
			 "; the metrics go without the tracer's figures");
		log_error(a, &err);
	}
	free(uids);
}

/* GET /status: {"frozen", "plans": [as status -j], "files": [...]}, malloc'ed. */
static char *status_json(const struct agent *a)
{
	char *buf = NULL;
	size_t len = 0, i;
	struct out *o;
	FILE *f;

	f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	o = out_new(f, true, false);
	if (!o) {
		fclose(f);
		free(buf);
		return NULL;
	}
	out_object_begin(o, NULL);
	out_bool(o, "frozen", NULL, a->frozen);
	out_array_begin(o, "plans");
	for (i = 0; i < a->active.n; i++)
		a->opts->print_plan(o, &a->active.plans[i], false);
	out_array_end(o);
	out_array_begin(o, "files");
	for (i = 0; i < a->nfiles; i++) {
		const struct agent_file *file = a->files[i];

		out_object_begin(o, NULL);
		out_string(o, "file", NULL, file->path);
		if (file->plan[0])
			out_string(o, "plan", NULL, file->plan);
		out_string(o, "state", NULL, file_state_names[file->state]);
		if (file->reason[0])
			out_string(o, "reason", NULL, file->reason);
		if (file->state == FILE_ACTIVE)
			out_u64(o, "applied_unix_ms", NULL, file->applied_unix_ms);
		out_object_end(o);
	}
	out_array_end(o);
	out_object_end(o);
	out_end(o);
	out_free(o);
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}

static void publish(struct agent *a)
{
	struct metrics_view view = {
		.plans = &a->active,
		.npods = a->trace.npods,
		.pods = a->trace.view,
		.tracer = podtrace_running(&a->trace),
		.frozen = a->frozen,
		.files = a->nlisted,
	};
	char *metrics, *status;

	if (!a->http)
		return;
	memcpy(view.errors, a->errors, sizeof(view.errors));
	if (!view.tracer)
		view.npods = 0;
	metrics = metrics_render(&view);
	status = status_json(a);
	if (!metrics || !status) {
		free(metrics);
		free(status);
		return; /* out of memory: the last snapshot stays */
	}
	agent_http_publish(a->http, metrics, status, a->healthy,
			   STALE_INTERVALS * a->opts->interval_ms + STALE_SLACK_MS);
}

/* After a scan or at an interval: the engine's view, ours reconciled, tracer, snapshot. */
static void settle(struct agent *a)
{
	struct flt_error err;

	refresh(a, &err);
	reconcile(a);
	update_tracer(a);
	publish(a);
}

static void tick(struct agent *a)
{
	struct flt_error err;

	if (a->inotify_fd >= 0 && a->watch < 0)
		a->watch = inotify_add_watch(a->inotify_fd, a->dir, WATCH_MASK);
	sweep(a);
	scan(a, false);
	if (podtrace_read(&a->trace, &err))
		log_error(a, &err);
	settle(a);
}

/* --- the loop --------------------------------------------------------------------------------- */

/* Drain the inotify queue: true when anything came. */
static bool drain_events(struct agent *a)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	const struct inotify_event *ev;
	bool any = false;
	ssize_t n;
	char *p;

	while ((n = read(a->inotify_fd, buf, sizeof(buf))) > 0) {
		any = true;
		for (p = buf; p < buf + n; p += sizeof(*ev) + ev->len) {
			ev = (const struct inotify_event *)p;
			/* the directory itself went: watch it again at the next interval */
			if (ev->mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF))
				a->watch = -1;
		}
	}
	return any;
}

static int wait_for(struct agent *a, uint64_t until_ms)
{
	struct pollfd pfd = { .fd = a->inotify_fd, .events = POLLIN };
	uint64_t now = mono_ms(), left = until_ms > now ? until_ms - now : 0;
	struct timespec ts = { .tv_sec = (time_t)(left / 1000),
			       .tv_nsec = (long)(left % 1000) * 1000000 };

	if (ppoll(&pfd, a->inotify_fd >= 0 ? 1 : 0, &ts, a->opts->wait_mask) < 0 &&
	    errno != EINTR)
		return -errno;
	return 0;
}

static void loop(struct agent *a)
{
	uint64_t next_tick = mono_ms() + a->opts->interval_ms, scan_at = 0, first_event = 0;
	uint64_t now, until;
	struct flt_error err;
	int ret;

	while (!*a->opts->stop) {
		now = mono_ms();
		if (now >= next_tick) {
			tick(a);
			scan_at = 0;
			next_tick = mono_ms() + a->opts->interval_ms;
			continue;
		}
		if (scan_at && now >= scan_at) {
			scan(a, false);
			settle(a);
			scan_at = 0;
			continue;
		}
		until = scan_at && scan_at < next_tick ? scan_at : next_tick;
		ret = wait_for(a, until);
		if (ret) {
			flt_fail(&err, FLT_ERR_SYSTEM, -ret, "agent: waiting failed: %s",
				 strerror(-ret));
			log_error(a, &err);
			usleep(100000); /* not a busy loop */
		}
		if (a->inotify_fd >= 0 && drain_events(a)) {
			now = mono_ms();
			if (!scan_at)
				first_event = now;
			scan_at = now + SCAN_QUIET_MS;
			if (scan_at > first_event + SCAN_LATEST_MS)
				scan_at = first_event + SCAN_LATEST_MS;
		}
	}
}

/* SIGTERM: our plans reverted (unless keep_on_exit). 0, or the first revert's failure. */
static int stop(struct agent *a, struct flt_error *err)
{
	struct flt_error one;
	int ret = 0;
	size_t i;

	podtrace_stop(&a->trace);
	for (i = 0; !a->opts->keep_on_exit && i < a->nfiles; i++)
		if (revert_file(a, a->files[i], "the agent stopped", &one) && !ret) {
			ret = -EIO;
			*err = one;
		}
	return ret;
}

static void agent_free(struct agent *a)
{
	size_t i;

	if (a->http)
		agent_http_stop(a->http);
	podtrace_stop(&a->trace);
	if (a->inotify_fd >= 0)
		close(a->inotify_fd);
	for (i = 0; i < a->nfiles; i++)
		file_free(a->files[i]);
	free(a->files);
	engine_plans_free(&a->active);
}

static int start(struct agent *a, struct flt_error *err)
{
	struct agent_event_info info = { .dir = a->dir, .listen = a->opts->listen };
	struct plandir_list l;
	size_t n;
	int ret;

	n = (size_t)snprintf(a->dir, sizeof(a->dir), "%s", a->opts->plans_dir);
	while (n > 1 && a->dir[n - 1] == '/')
		a->dir[--n] = '\0';
	ret = plandir_list(a->dir, &l, err);
	if (ret)
		return ret;
	plandir_list_free(&l);
	a->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (a->inotify_fd >= 0)
		a->watch = inotify_add_watch(a->inotify_fd, a->dir, WATCH_MASK);
	if (a->inotify_fd < 0 || a->watch < 0) {
		struct flt_error why;

		flt_fail(&why, FLT_ERR_SYSTEM, errno,
			 "agent: cannot watch %s with inotify (%s): rescanning every interval only",
			 a->dir, strerror(errno));
		log_error(a, &why);
	}
	if (a->opts->listen) {
		ret = agent_http_start(a->opts->listen, &a->http, err);
		if (ret) {
			a->http = NULL;
			return ret;
		}
	}
	/* the store reachable, and what expired while no agent ran swept, before anything */
	ret = engine_sweep(&a->active, err);
	engine_plans_free(&a->active);
	if (ret)
		return ret;
	ret = refresh(a, err);
	if (ret)
		return ret;
	agent_event_log(a->opts->json_logs, AGENT_EV_STARTED, &info);
	return 0;
}

int agent_run(const struct agent_opts *opts, struct flt_error *err)
{
	struct agent a = { .opts = opts, .inotify_fd = -1, .watch = -1 };
	struct agent_event_info info = { 0 };
	int ret;

	flt_error_clear(err);
	ret = start(&a, err);
	if (!ret) {
		scan(&a, true);
		settle(&a);
		loop(&a);
		ret = stop(&a, err);
		info.reason = opts->keep_on_exit ? "plans left to their deadlines" : NULL;
		agent_event_log(opts->json_logs, AGENT_EV_STOPPED, &info);
	}
	agent_free(&a);
	return ret;
}
