// SPDX-License-Identifier: GPL-2.0-only
/* faultline status and revert, and the sweep every command but probe and lint starts with. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "common/log.h"
#include "plan/values.h"

int cmd_fail(const struct cmd_opts *opts, const struct flt_error *err)
{
	out_error(opts->out, err);
	return flt_exit_status(err);
}

static void print_counters(struct out *o, const struct engine_counters *c)
{
	out_u64(o, "matched_packets", " matched %" PRIu64 " packets", c->matched_packets);
	out_u64(o, "matched_bytes", " (%" PRIu64 " bytes)", c->matched_bytes);
	out_u64(o, "dropped_packets", ", dropped %" PRIu64, c->dropped_packets);
	out_u64(o, "rejected_connects", ", rejected %" PRIu64 " connects", c->rejected_connects);
	out_u64(o, "rejected_sends", " and %" PRIu64 " sends\n", c->rejected_sends);
}

static void print_fault(struct out *o, const struct engine_fault_status *f)
{
	size_t t;

	out_object_begin(o, NULL);
	out_string(o, "name", "  fault %s", f->name);
	out_string(o, "target", " (target %s)\n", f->target);
	out_array_begin(o, "targets");
	for (t = 0; t < f->ntargets; t++) {
		const struct engine_target_status *ts = &f->targets[t];

		out_object_begin(o, NULL);
		out_string(o, "kind", "    %-9s", ts->kind);
		if (strcmp(ts->kind, "pod")) {
			out_string(o, "id", " %s", ts->id);
		} else if (!ts->pod_namespace[0]) {
			/* no folder of /var/log/pods names it: the UID alone, null names */
			out_string(o, "id", " %s", ts->id);
			out_string(o, "namespace", NULL, NULL);
			out_string(o, "pod", NULL, NULL);
		} else {
			out_string(o, "namespace", " %s/", ts->pod_namespace);
			out_string(o, "pod", "%s", ts->pod_name);
			out_string(o, "id", " (%s)", ts->id);
		}
		out_bool(o, "gone", NULL, f->targets[t].gone);
		out_text(o, "%s:", f->targets[t].gone ? " (gone)" : "");
		print_counters(o, &f->targets[t].counters);
		out_object_end(o);
	}
	out_array_end(o);
	out_object_end(o);
}

static void print_attachments(struct out *o, const struct engine_plan_status *p)
{
	size_t i, made = 0;
	int pass;

	for (i = 0; i < p->nattachments; i++)
		made += p->attachments[i].attached;
	if (p->partial)
		out_text(o, "  PARTIAL: apply was interrupted; %zu of %zu attachments were made\n",
			 made, p->nattachments);
	out_array_begin(o, "attachments");
	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < p->nattachments; i++) {
			const struct engine_attachment *a = &p->attachments[i];

			/* JSON lists each once, in order; text lists them only for a partial plan,
			 * the attached ones first */
			if (out_is_json(o) ? pass : (!p->partial || a->attached == (pass == 1)))
				continue;
			out_object_begin(o, NULL);
			out_string(o, "what", a->attached ? "    attached:     %s\n"
							 : "    not attached: %s\n",
				   a->what);
			out_bool(o, "attached", NULL, a->attached);
			out_object_end(o);
		}
	out_array_end(o);
}

void print_plan(struct out *o, const struct engine_plan_status *p, bool final)
{
	char left[32], duration[32];
	size_t f;

	out_object_begin(o, NULL);
	out_string(o, "name", final ? "plan %s reverted" : "plan %s", p->name);
	out_string(o, "file", final ? " (%s); final counts:\n" : " (%s)", p->file);
	out_string(o, "state", NULL, p->partial ? "partial" : "active");
	/* whole seconds are precise enough to read; JSON keeps the milliseconds */
	format_duration_ms(p->remaining_ms >= 1000 ? (uint64_t)p->remaining_ms / 1000 * 1000
						   : (uint64_t)p->remaining_ms,
			   left, sizeof(left));
	format_duration_ms(p->duration_ms, duration, sizeof(duration));
	out_s64(o, "remaining_ms", NULL, p->remaining_ms);
	out_u64(o, "duration_ms", NULL, p->duration_ms);
	if (!final)
		out_text(o, ": %s%s left of %s\n", p->partial ? "partial, " : "", left, duration);
	out_u64(o, "applied_unix_ms", NULL, p->applied_unix_ms);
	if (!final)
		print_attachments(o, p);
	out_array_begin(o, "faults");
	for (f = 0; f < p->nfaults; f++)
		print_fault(o, &p->faults[f]);
	out_array_end(o);
	out_object_end(o);
}

/* The sweep's log line: one per expired plan, with each fault's final counts. */
static void log_swept(const struct engine_plan_status *p)
{
	char line[2048];
	size_t f, t, n;

	n = (size_t)snprintf(line, sizeof(line), "plan %s: expired, reverted;", p->name);
	for (f = 0; f < p->nfaults && n < sizeof(line); f++)
		for (t = 0; t < p->faults[f].ntargets && n < sizeof(line); t++) {
			const struct engine_counters *c = &p->faults[f].targets[t].counters;

			n += (size_t)snprintf(line + n, sizeof(line) - n,
					      " fault %s on %s %s: matched %" PRIu64
					      " packets, dropped %" PRIu64 ", rejected %" PRIu64
					      " connects and %" PRIu64 " sends;",
					      p->faults[f].name, p->faults[f].targets[t].kind,
					      p->faults[f].targets[t].id, c->matched_packets,
					      c->dropped_packets, c->rejected_connects,
					      c->rejected_sends);
		}
	pr_info("%s\n", line);
}

int cmd_begin(const struct cmd_opts *opts, const char *command)
{
	struct engine_plans swept = { 0 };
	struct flt_error err;
	size_t i;

	if (engine_check_privileges(command, &err))
		return cmd_fail(opts, &err);
	if (engine_sweep(&swept, &err))
		return cmd_fail(opts, &err);
	for (i = 0; i < swept.n; i++)
		log_swept(&swept.plans[i]);
	engine_plans_free(&swept);
	return 0;
}

int cmd_status(const struct cmd_opts *opts)
{
	const char *name = opts->argc == 1 ? opts->argv[0] : NULL;
	struct engine_plans plans;
	struct flt_error err;
	bool frozen;
	size_t i;
	int status;

	if (opts->argc > 1) {
		out_error_msg(opts->out, "status: expected at most one plan name");
		return 2;
	}
	if (name && state_check_name(name, &err))
		return cmd_fail(opts, &err);
	status = cmd_begin(opts, "status");
	if (status)
		return status;
	if (engine_frozen(&frozen, &err) || engine_status(name, &plans, &err))
		return cmd_fail(opts, &err);
	out_object_begin(opts->out, NULL);
	out_bool(opts->out, "frozen", NULL, frozen);
	if (frozen)
		out_text(opts->out, "node frozen: new plans are refused (faultline unfreeze)\n");
	out_array_begin(opts->out, "plans");
	for (i = 0; i < plans.n; i++)
		print_plan(opts->out, &plans.plans[i], false);
	out_array_end(opts->out);
	out_object_end(opts->out);
	if (!plans.n)
		out_text(opts->out, "no active plan\n");
	out_end(opts->out);
	engine_plans_free(&plans);
	return 0;
}

int cmd_revert(const struct cmd_opts *opts)
{
	struct engine_plans final = { 0 };
	struct flt_error err;
	size_t i;
	int status, ret;

	if (opts->all ? opts->argc != 0 : opts->argc != 1) {
		out_error_msg(opts->out, "revert: expected one plan name, or --all");
		return 2;
	}
	if (!opts->all && state_check_name(opts->argv[0], &err))
		return cmd_fail(opts, &err);
	status = cmd_begin(opts, "revert");
	if (status)
		return status;
	ret = opts->all ? engine_revert_all(&final, &err)
			: engine_revert(opts->argv[0], &final, &err);
	if (ret && (err.kind != FLT_ERR_SYSTEM || !final.n)) {
		engine_plans_free(&final);
		return cmd_fail(opts, &err);
	}
	if (ret)
		pr_warn("%s\n", err.message); /* reverted, but something was left: exit 1 */
	out_object_begin(opts->out, NULL);
	out_array_begin(opts->out, "reverted");
	for (i = 0; i < final.n; i++)
		print_plan(opts->out, &final.plans[i], true);
	out_array_end(opts->out);
	out_object_end(opts->out);
	if (opts->all && !final.n)
		out_text(opts->out, "no active plan\n");
	out_end(opts->out);
	engine_plans_free(&final);
	return ret ? 1 : 0;
}

int cmd_probe(const struct cmd_opts *opts)
{
	struct engine_probe_result res;
	size_t i;

	if (opts->argc) {
		out_error_msg(opts->out, "probe: takes no arguments");
		return 2;
	}
	engine_probe(&res);
	out_object_begin(opts->out, NULL);
	out_string(opts->out, "kernel", "kernel %s\n", res.kernel);
	out_object_begin(opts->out, "features");
	for (i = 0; i < res.n; i++) {
		out_object_begin(opts->out, res.features[i].name);
		out_text(opts->out, "%-20s", res.features[i].name);
		out_bool(opts->out, "supported", "%-4s", res.features[i].supported);
		out_string(opts->out, "why", "%s\n", res.features[i].why);
		out_object_end(opts->out);
	}
	out_object_end(opts->out);
	out_object_end(opts->out);
	out_end(opts->out);
	return 0;
}
