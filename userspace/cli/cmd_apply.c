// SPDX-License-Identifier: GPL-2.0-only
/* faultline apply and lint: a plan validated, then applied (or only checked). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "kernel/podnames.h"
#include "plan/plan.h"
#include "plan/policy.h"
#include "plan/values.h"

/* The plan's id that slot s is for: its pattern says what a name or glob expanded to. */
static const struct plan_target_id *slot_id(const struct plan *plan, const struct engine_slot *s)
{
	size_t t, i;

	for (t = 0; t < plan->ntargets; t++) {
		if (strcmp(plan->targets[t].name, s->target))
			continue;
		for (i = 0; i < plan->targets[t].nids; i++)
			if (!strcmp(plan->targets[t].ids[i].id, s->id) &&
			    !strcmp(target_kind_name(plan->targets[t].ids[i].kind), s->kind))
				return &plan->targets[t].ids[i];
	}
	return NULL;
}

/*
 * A pod as "pod shop/checkout-1 (UID), from shop/checkout-*"; in JSON "namespace", "pod"
 * (null when no folder of /var/log/pods names it) and "pattern" (null for a UID as written).
 */
static void print_slot_id(struct out *o, const struct plan *plan, const struct engine_slot *s)
{
	const struct plan_target_id *id = slot_id(plan, s);
	const char *pattern = id ? id->pattern : NULL;
	struct pod_name pn;

	out_string(o, "kind", " %s", s->kind);
	if (strcmp(s->kind, "pod")) {
		out_string(o, "id", " %s", s->id);
		return;
	}
	if (pod_name_of(s->id, &pn)) {
		out_string(o, "id", " %s", s->id);
		out_string(o, "namespace", NULL, NULL);
		out_string(o, "pod", NULL, NULL);
	} else {
		out_string(o, "namespace", " %s/", pn.ns);
		out_string(o, "pod", "%s", pn.name);
		out_string(o, "id", " (%s)", s->id);
	}
	out_string(o, "pattern", pattern ? ", from %s" : NULL, pattern);
}

static void print_slot(struct out *o, const struct plan *plan,
		       const struct engine_apply_result *res, const struct engine_slot *s)
{
	size_t i;

	out_object_begin(o, NULL);
	out_string(o, "target", "  %s", s->target);
	print_slot_id(o, plan, s);
	out_text(o, ":\n");
	out_array_begin(o, "hooks");
	for (i = 0; i < s->nhooks; i++) {
		const struct engine_hook *h = &s->hooks[i];

		out_object_begin(o, NULL);
		out_string(o, "hook", "    %s", h->hook);
		if (h->tc) {
			out_string(o, "interface", " on %s", h->ifname);
			out_u64(o, "ifindex", " (ifindex %" PRIu64, (uint64_t)h->ifindex);
			if (h->netns) {
				out_string(o, "netns", ", netns %s)", h->netns);
			} else {
				out_string(o, "netns", NULL, NULL); /* JSON null: faultline's own */
				out_text(o, ", faultline's own netns)");
			}
			if (res->tc_mode)
				out_string(o, "mode", " as %s", res->tc_mode);
		} else {
			out_string(o, "cgroup", " on %s", h->cgroup);
		}
		out_text(o, "\n");
		out_object_end(o);
	}
	out_array_end(o);
	out_array_begin(o, "queues");
	for (i = 0; i < s->nqueues; i++) {
		const struct engine_queue *q = &s->queues[i];

		out_object_begin(o, NULL);
		out_string(o, "interface", "    queue on %s:", q->ifname);
		out_string(o, "qdisc", " %s root", q->qdisc);
		out_bool(o, "egress", NULL, q->egress);
		out_bool(o, "ifb", NULL, q->ifb);
		out_text(o, "%s%s\n", q->egress ? " on its egress" : "",
			 q->ifb ? (q->egress ? ", and on an IFB for its ingress"
					     : " on an IFB for its ingress")
				: "");
		out_object_end(o);
	}
	out_array_end(o);
	out_array_begin(o, "faults");
	for (i = 0; i < s->nfaults; i++)
		out_string(o, NULL, NULL, s->faults[i]);
	out_array_end(o);
	out_object_end(o);
}

/* " (2 pods, 1 interface)": what the targets are, in text only. */
static void print_id_counts(struct out *o, const struct engine_apply_result *res)
{
	static const char *const kinds[][2] = {
		{ "pod", "pods" }, { "cgroup", "cgroups" }, { "netns", "netns" },
		{ "interface", "interfaces" },
	};
	const char *sep = " (";
	size_t k, i, n;

	for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		for (i = n = 0; i < res->nslots; i++)
			n += res->slots[i].nfaults && !strcmp(res->slots[i].kind, kinds[k][0]);
		if (!n)
			continue;
		out_text(o, "%s%zu %s", sep, n, kinds[k][n == 1 ? 0 : 1]);
		sep = ", ";
	}
	out_text(o, "%s\n", *sep == ',' ? ")" : "");
}

static void print_result(struct out *o, const struct plan *plan,
			 const struct engine_apply_result *res)
{
	char duration[32];
	size_t i;

	out_object_begin(o, NULL);
	out_string(o, "plan", res->dry_run ? "plan %s (dry run: nothing changed)" : "plan %s applied",
		   plan->name);
	format_duration_ms(plan->duration_ms, duration, sizeof(duration));
	out_u64(o, "duration_ms", NULL, plan->duration_ms);
	out_text(o, " for %s", duration);
	out_bool(o, "dry_run", NULL, res->dry_run);
	out_u64(o, "faults", ": %" PRIu64 " fault(s)", plan->nfaults);
	out_u64(o, "targets", " on %" PRIu64 " target(s)", res->ntargets);
	out_u64(o, "target_ids", NULL, res->nids);
	print_id_counts(o, res);
	out_array_begin(o, "attachments");
	for (i = 0; i < res->nslots; i++)
		print_slot(o, plan, res, &res->slots[i]);
	out_array_end(o);
	out_object_end(o);
	out_end(o);
}

/* Whether a is before b in the document; a position of line 0 (absent) is after any other. */
static bool pos_before(const struct plan_pos *a, const struct plan_pos *b)
{
	if (!a->line || !b->line)
		return a->line;
	return a->line < b->line || (a->line == b->line && a->col < b->col);
}

/*
 * spec.observe and spec.abortWhen are faultline run's: apply would fault the targets without
 * watching the controls or ever reverting early. Refused at the first of the two keys, as an
 * error of the plan (exit 2), before anything is done.
 */
static int refuse_run_sections(const struct cmd_opts *opts, const struct plan *plan)
{
	struct flt_error err;

	if (!plan->observe_pos.line && !plan->abort_pos.line)
		return 0;
	if (pos_before(&plan->observe_pos, &plan->abort_pos))
		flt_fail_at(&err, plan->file, plan->observe_pos.line, plan->observe_pos.col,
			    "spec.observe",
			    "pods are observed by faultline run only: use faultline run PLAN, or "
			    "remove observe");
	else
		flt_fail_at(&err, plan->file, plan->abort_pos.line, plan->abort_pos.col,
			    "spec.abortWhen",
			    "abort conditions are evaluated by faultline run: use faultline run "
			    "PLAN, or remove abortWhen");
	return cmd_fail(opts, &err);
}

int cmd_apply(const struct cmd_opts *opts)
{
	struct engine_apply_result res;
	struct policy policy = { 0 };
	struct plan plan = { 0 };
	struct flt_error err;
	int status;

	if (opts->argc != 1) {
		out_error_msg(opts->out, "apply: expected one plan file (faultline apply PLAN)");
		return 2;
	}
	if (plan_parse_file(opts->argv[0], opts->max_duration_ms, &plan, &err))
		return cmd_fail(opts, &err);
	/* the node policy before anything changes: engine_apply() checks the plan against it */
	/* names to UIDs first: the policy counts the pods they expand to, the dry run shows them */
	status = engine_expand_pods(&plan, &err) ? cmd_fail(opts, &err) : 0;
	if (!status)
		status = cmd_policy(opts, &policy);
	if (!status)
		status = refuse_run_sections(opts, &plan);
	if (!status)
		status = cmd_begin(opts, "apply");
	if (!status) {
		if (engine_apply(&plan, opts->dry_run, &res, &err)) {
			status = cmd_fail(opts, &err);
		} else {
			print_result(opts->out, &plan, &res);
			engine_apply_result_free(&res);
		}
	}
	plan_free(&plan);
	engine_set_policy(NULL);
	policy_free(&policy);
	return status;
}

int cmd_lint(const struct cmd_opts *opts)
{
	struct flt_error err;
	int i;

	if (opts->argc < 1) {
		out_error_msg(opts->out, "lint: expected one or more plan files (faultline lint "
			      "PLAN...)");
		return 2;
	}
	out_object_begin(opts->out, NULL);
	out_array_begin(opts->out, "plans");
	for (i = 0; i < opts->argc; i++) {
		struct plan plan = { 0 };

		/* no privileges, no kernel: the plan format alone, as in a CI pipeline */
		if (plan_parse_file(opts->argv[i], opts->max_duration_ms, &plan, &err))
			return cmd_fail(opts, &err);
		out_object_begin(opts->out, NULL);
		out_string(opts->out, "file", "%s: ok\n", plan.file);
		out_string(opts->out, "name", NULL, plan.name);
		out_u64(opts->out, "faults", NULL, plan.nfaults);
		out_bool(opts->out, "valid", NULL, true);
		out_object_end(opts->out);
		plan_free(&plan);
	}
	out_array_end(opts->out);
	out_object_end(opts->out);
	out_end(opts->out);
	return 0;
}
