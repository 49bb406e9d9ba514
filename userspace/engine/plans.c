// SPDX-License-Identifier: GPL-2.0-only
/* The active plans: their counters and state, reverting them, sweeping the expired ones. */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "common/log.h"
#include "engine/engine.h"
#include "engine/plans.h"
#include "fault.h"
#include "kernel/attach.h"
#include "kernel/podnames.h"

/* The per-CPU counters of one (slot, rule), summed. */
static int read_counters(int fd, uint32_t index, struct engine_counters *sum)
{
	int ncpus = libbpf_num_possible_cpus(), i, err;
	struct flt_counters *percpu;

	memset(sum, 0, sizeof(*sum));
	if (fd < 0)
		return fd;
	if (ncpus <= 0)
		return ncpus ? ncpus : -EINVAL;
	percpu = calloc((size_t)ncpus, sizeof(*percpu));
	if (!percpu)
		return -ENOMEM;
	err = bpf_map_lookup_elem(fd, &index, percpu);
	for (i = 0; !err && i < ncpus; i++) {
		sum->matched_packets += percpu[i].matched_packets;
		sum->matched_bytes += percpu[i].matched_bytes;
		sum->dropped_packets += percpu[i].dropped_packets;
		sum->rejected_connects += percpu[i].rejected_connects;
		sum->rejected_sends += percpu[i].rejected_sends;
	}
	free(percpu);
	return err;
}

static bool iface_gone(int ifindex, const char *ifname)
{
	char now[IF_NAMESIZE];

	return !if_indextoname((unsigned int)ifindex, now) || strcmp(now, ifname);
}

/* Is the workload of a slot still there? Interfaces are checked in faultline's netns only. */
static bool slot_gone(const struct state_slot *s)
{
	struct stat st;
	uint32_t i;

	if (!strcmp(s->kind, "netns"))
		return stat(s->id, &st) || st.st_ino != s->netns_ino;
	if (s->cgroup_dir[0] && stat(s->cgroup_dir, &st))
		return true;
	if (!strcmp(s->kind, "pod") || !strcmp(s->kind, "interface"))
		for (i = 0; i < s->nifaces; i++)
			if (iface_gone(s->ifindexes[i], s->ifnames[i]))
				return true;
	return false;
}

static int fault_status(const struct state_desc *d, size_t f, int counters_fd,
			struct engine_fault_status *o)
{
	size_t s, r;

	snprintf(o->name, sizeof(o->name), "%s", d->faults[f].name);
	snprintf(o->target, sizeof(o->target), "%s", d->faults[f].target);
	o->targets = calloc(d->nslots ? d->nslots : 1, sizeof(*o->targets));
	if (!o->targets)
		return -ENOMEM;
	for (s = 0; s < d->nslots; s++)
		for (r = 0; r < d->slots[s].nrules; r++) {
			struct engine_target_status *t;

			if (d->slots[s].rules[r] != f)
				continue;
			t = &o->targets[o->ntargets++];
			snprintf(t->kind, sizeof(t->kind), "%s", d->slots[s].kind);
			snprintf(t->id, sizeof(t->id), "%s", d->slots[s].id);
			if (!strcmp(t->kind, "pod")) {
				struct pod_name pn;

				/* kubelet's log folder; none (a pod gone, no kubelet): "" */
				if (!pod_name_of(t->id, &pn)) {
					snprintf(t->pod_namespace, sizeof(t->pod_namespace), "%s",
						 pn.ns);
					snprintf(t->pod_name, sizeof(t->pod_name), "%s", pn.name);
				}
			}
			t->gone = slot_gone(&d->slots[s]);
			/* a partial plan may have no counters yet: zeros */
			read_counters(counters_fd, (uint32_t)(s * FLT_MAX_RULES + r), &t->counters);
		}
	return 0;
}

static bool made(const struct state_desc *d, const char *what)
{
	size_t i;

	for (i = 0; i < d->nrecords; i++)
		if (!strcmp(d->records[i].what, what))
			return true;
	return false;
}

static int plan_status(struct state_store *st, const struct state_desc *d,
		       struct engine_plan_status *o)
{
	uint64_t now = mono_now_ns();
	char pin[PATH_MAX];
	size_t i;
	int fd, err = 0;

	snprintf(o->name, sizeof(o->name), "%s", d->name);
	snprintf(o->file, sizeof(o->file), "%s", d->file);
	o->partial = !d->complete;
	o->remaining_ms = d->deadline_mono_ns > now
				  ? (int64_t)((d->deadline_mono_ns - now) / 1000000)
				  : 0;
	o->duration_ms = d->duration_ms;
	o->applied_unix_ms = d->applied_unix_ms;
	o->faults = calloc(d->nfaults ? d->nfaults : 1, sizeof(*o->faults));
	o->attachments = calloc(d->nplanned ? d->nplanned : 1, sizeof(*o->attachments));
	if (!o->faults || !o->attachments)
		return -ENOMEM;
	fd = state_pin_path(st, d->name, "flt_counters", pin, sizeof(pin)) ? -1 : bpf_obj_get(pin);
	for (i = 0; i < d->nfaults && !err; i++) {
		err = fault_status(d, i, fd, &o->faults[i]);
		o->nfaults++;
	}
	if (fd >= 0)
		close(fd);
	for (i = 0; i < d->nplanned; i++) {
		snprintf(o->attachments[i].what, sizeof(o->attachments[i].what), "%s",
			 d->planned[i]);
		o->attachments[i].attached = made(d, d->planned[i]);
	}
	o->nattachments = d->nplanned;
	return err;
}

static struct engine_plan_status *plans_add(struct engine_plans *out)
{
	struct engine_plan_status *grown;

	grown = realloc(out->plans, (out->n + 1) * sizeof(*grown));
	if (!grown)
		return NULL;
	out->plans = grown;
	memset(&grown[out->n], 0, sizeof(grown[out->n]));
	return &grown[out->n++];
}

void engine_plans_free(struct engine_plans *plans)
{
	size_t i, f;

	for (i = 0; plans->plans && i < plans->n; i++) {
		for (f = 0; plans->plans[i].faults && f < plans->plans[i].nfaults; f++)
			free(plans->plans[i].faults[f].targets);
		free(plans->plans[i].faults);
		free(plans->plans[i].attachments);
	}
	free(plans->plans);
	memset(plans, 0, sizeof(*plans));
}

/*
 * Remove plan name's kernel objects (out, if not NULL, gets its final counters first), then its
 * folder. Without a description only the folder's pins can go: a killed apply wrote its
 * description before making anything that is not pinned there.
 */
static int revert_locked(struct state_store *st, const char *name, struct engine_plans *out)
{
	char link[PATH_MAX], registry[PATH_MAX];
	struct engine_plan_status *final;
	struct state_desc d;
	size_t i;
	int err, first_err = 0;

	err = state_desc_read(st, name, &d);
	if (err && err != -ENOENT)
		pr_warn("plan %s: its description is unreadable (%s); removing its pins only\n",
			name, strerror(-err));
	if (!err && out) {
		final = plans_add(out);
		if (final && plan_status(st, &d, final))
			pr_warn("plan %s: its final counters are incomplete\n", name);
	}
	if (state_root_path(st, "clsact", registry, sizeof(registry)))
		registry[0] = '\0';
	/* detach in reverse order of attachment */
	for (i = err ? 0 : d.nrecords; i-- > 0;) {
		const struct state_record *rec = &d.records[i];
		int ret = 0;

		if (rec->link[0])
			ret = state_pin_path(st, name, rec->link, link, sizeof(link));
		ret = ret ?: attach_remove(rec, rec->link[0] ? link : NULL,
					   registry[0] ? registry : NULL);
		if (ret && !first_err)
			first_err = ret;
		if (ret)
			pr_warn("plan %s: cannot undo %s: %s\n", name, rec->what, strerror(-ret));
	}
	if (!err)
		state_desc_free(&d);
	err = state_plan_remove(st, name);
	if (err)
		pr_warn("plan %s: cannot remove its pins: %s\n", name, strerror(-err));
	return first_err ?: err;
}

/* Open the store and check that plan name is there. */
static int open_plan(struct state_store *st, const char *name, struct flt_error *err)
{
	int ret = state_check_name(name, err);

	ret = ret ?: state_open(st, false, err);
	if (ret)
		return ret;
	if (!state_plan_exists(st, name)) {
		state_close(st);
		return flt_fail(err, FLT_ERR_NOT_ACTIVE, ENOENT, "plan %s: no such active plan", name);
	}
	return 0;
}

int engine_revert(const char *name, struct engine_plans *out, struct flt_error *err)
{
	struct state_store st;
	int ret;

	flt_error_clear(err);
	ret = open_plan(&st, name, err);
	if (ret)
		return ret;
	ret = revert_locked(&st, name, out);
	state_tidy(&st);
	state_close(&st);
	if (ret)
		return flt_fail(err, FLT_ERR_SYSTEM, -ret, "plan %s: reverting left something "
				"behind: %s", name, strerror(-ret));
	return 0;
}

/*
 * For each plan folder: fn; the store is open and locked throughout. first, when not NULL, runs
 * before the plans under the same lock, on a store opened with create (freeze marks the node).
 */
static int each_plan_after(int (*first)(struct state_store *st, struct flt_error *err),
			   struct engine_plans *out, struct flt_error *err,
			   int (*fn)(struct state_store *st, const char *name,
				     struct engine_plans *out, int *first_err))
{
	struct state_store st;
	char **names;
	size_t n, i;
	int ret, first_err = 0;

	ret = state_open(&st, first != NULL, err);
	if (ret)
		return ret;
	ret = first ? first(&st, err) : 0;
	if (ret) {
		state_close(&st);
		return ret;
	}
	ret = state_plan_names(&st, &names, &n);
	if (ret) {
		state_close(&st);
		return flt_fail(err, FLT_ERR_SYSTEM, -ret, "cannot list the plans in %s: %s",
				st.root, strerror(-ret));
	}
	for (i = 0; i < n && !ret; i++)
		ret = fn(&st, names[i], out, &first_err);
	state_names_free(names, n);
	state_tidy(&st);
	state_close(&st);
	if (ret || first_err)
		return flt_fail(err, FLT_ERR_SYSTEM, ret ?: first_err, "%s",
				ret == -ENOMEM ? "out of memory"
					       : "reverting a plan left something behind (see above)");
	return 0;
}

static int each_plan(struct engine_plans *out, struct flt_error *err,
		     int (*fn)(struct state_store *st, const char *name, struct engine_plans *out,
			       int *first_err))
{
	return each_plan_after(NULL, out, err, fn);
}

static int revert_one(struct state_store *st, const char *name, struct engine_plans *out,
		      int *first_err)
{
	int ret = revert_locked(st, name, out);

	if (ret && !*first_err)
		*first_err = ret;
	return 0;
}

int engine_revert_all(struct engine_plans *out, struct flt_error *err)
{
	flt_error_clear(err);
	return each_plan(out, err, revert_one);
}

int engine_revert_all_after(int (*first)(struct state_store *st, struct flt_error *err),
			    struct engine_plans *out, struct flt_error *err)
{
	flt_error_clear(err);
	return each_plan_after(first, out, err, revert_one);
}

static int sweep_one(struct state_store *st, const char *name, struct engine_plans *out,
		     int *first_err)
{
	(void)first_err;
	struct state_desc d;
	int ret = state_desc_read(st, name, &d);

	if (ret == -ENOENT) {
		/* no description: what an apply killed before writing one left (the lock says no
		 * apply is running); only pins can be in it */
		pr_debug("plan %s: a folder without a description, removing it\n", name);
		revert_locked(st, name, NULL);
		return 0;
	}
	if (ret) {
		pr_warn("plan %s: its description is unreadable (%s); faultline revert %s removes "
			"it\n", name, strerror(-ret), name);
		return 0;
	}
	if (d.deadline_mono_ns > mono_now_ns()) {
		state_desc_free(&d);
		return 0;
	}
	state_desc_free(&d);
	pr_debug("plan %s: its deadline passed, reverting\n", name);
	/* what could not be removed whole is named in the log by revert_locked() and tried again
	 * by the next command: not a reason for this command to fail */
	revert_locked(st, name, out);
	return 0;
}

int engine_sweep(struct engine_plans *out, struct flt_error *err)
{
	flt_error_clear(err);
	return each_plan(out, err, sweep_one);
}

static int status_one(struct state_store *st, const char *name, struct engine_plans *out,
		      int *first_err)
{
	struct engine_plan_status *o;
	struct state_desc d;
	int ret;

	(void)first_err;
	if (state_desc_read(st, name, &d))
		return 0; /* swept by the next command, or for revert NAME */
	o = plans_add(out);
	ret = o ? plan_status(st, &d, o) : -ENOMEM;
	state_desc_free(&d);
	return ret;
}

int engine_status(const char *name, struct engine_plans *out, struct flt_error *err)
{
	struct state_store st;
	int ret;

	flt_error_clear(err);
	memset(out, 0, sizeof(*out));
	if (!name)
		return each_plan(out, err, status_one);
	ret = open_plan(&st, name, err);
	if (ret)
		return ret;
	ret = status_one(&st, name, out, NULL);
	if (!ret && out->n == 0)
		ret = flt_fail(err, FLT_ERR_NOT_ACTIVE, ENOENT, "plan %s: no such active plan "
			       "(its folder has no readable description)", name);
	else if (ret)
		ret = flt_fail(err, FLT_ERR_SYSTEM, -ret, "plan %s: %s", name, strerror(-ret));
	state_close(&st);
	return ret;
}
