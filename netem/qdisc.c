// SPDX-License-Identifier: GPL-2.0-only
/*
 * Qdiscs over rtnetlink with libmnl: netem, fq and prio, and a device's root saved and restored.
 *
 * netem's TCA_OPTIONS is not a plain nest: it carries struct tc_netem_qopt, then TCA_NETEM_*
 * attributes, and its length covers both (the kernel's sch_netem.c, parse_attr(), skips the
 * aligned qopt and parses the rest). The qopt keeps latency and jitter in 64 ns scheduler ticks
 * (PSCHED_SHIFT 6); since Linux 4.15 TCA_NETEM_LATENCY64 and TCA_NETEM_JITTER64 in ns override
 * them (netem_change()). Both are filled: iproute2 before 6.9 (Debian 12's 6.1) shows the ticks.
 */
#include <ctype.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>

#include "nlreq.h"
#include "qdisc.h"

/* include/net/pkt_sched.h: PSCHED_NS2TICKS(x) is x >> PSCHED_SHIFT. */
#define PSCHED_SHIFT 6
/* iproute2's default limit (tc/q_netem.c), which the kernel has no default for. */
#define NETEM_DEFAULT_LIMIT 1000
/* netem caps jitter to INT_MAX ns (netem_change(): "range acceptable by tabledist()"). */
#define NETEM_JITTER_MAX_NS 2147483647ULL
/* A dump that a concurrent change interrupted (NLM_F_DUMP_INTR) is asked again this often. */
#define DUMP_TRIES 3
/* Room for a request without a distribution table: headers, a kind, a few options. */
#define SMALL_MSG_SIZE 1024

/* tc's default priomap (pfifo_fast's prio2band): TC_PRIO_* to bands 0..2. */
static const uint8_t tc_default_priomap[TC_PRIO_MAX + 1] = {
	1, 2, 2, 2, 1, 2, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1,
};

static struct nlmsghdr *tc_msg_start(void *buf, size_t len, uint16_t type, uint16_t nlm_flags,
				     int ifindex, uint32_t parent, uint32_t handle)
{
	struct nlmsghdr *nlh;
	struct tcmsg *tcm;

	if (len < MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(*tcm)))
		return NULL;
	/* Padding included: the same request is the same bytes. */
	memset(buf, 0, len);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | nlm_flags;
	tcm = mnl_nlmsg_put_extra_header(nlh, sizeof(*tcm));
	tcm->tcm_family = AF_UNSPEC;
	tcm->tcm_ifindex = ifindex;
	tcm->tcm_handle = handle;
	tcm->tcm_parent = parent;
	return nlh;
}

static uint32_t ns_to_ticks(uint64_t ns)
{
	uint64_t ticks = ns >> PSCHED_SHIFT;

	return ticks > UINT32_MAX ? UINT32_MAX : (uint32_t)ticks;
}

static int netem_opts_check(const struct netem_opts *o)
{
	if (o->latency_ns > INT64_MAX || o->jitter_ns > NETEM_JITTER_MAX_NS)
		return -ERANGE;
	/* A reordered packet leaves at once and the others wait: without delay nothing changes. */
	if (o->reorder && !o->latency_ns)
		return -EINVAL;
	/* A gap alone makes the kernel reorder every gap-th packet (reorder = ~0): say so. */
	if (o->gap && !o->reorder)
		return -EINVAL;
	/* netem's loss model replaces the random loss, which it then ignores (loss_event()). */
	if (o->loss_ge && (o->loss || o->loss_corr))
		return -EINVAL;
	if (!o->dist != !o->dist_len)
		return -EINVAL;
	if (o->dist && (o->dist_len > NETEM_DIST_MAX || !o->jitter_ns))
		return -EINVAL;
	return 0;
}

int netem_msg_build(void *buf, size_t len, uint16_t nlm_flags, int ifindex, uint32_t parent,
		    uint32_t handle, const struct netem_opts *o)
{
	struct tc_netem_qopt qopt = {0};
	struct nlattr *options, *loss;
	struct nlmsghdr *nlh;
	int err;

	err = netem_opts_check(o);
	if (err)
		return err;
	nlh = tc_msg_start(buf, len, RTM_NEWQDISC, nlm_flags, ifindex, parent, handle);
	if (!nlh)
		return -EMSGSIZE;
	if (!mnl_attr_put_strz_check(nlh, len, TCA_KIND, "netem"))
		return -EMSGSIZE;

	qopt.latency = ns_to_ticks(o->latency_ns);
	qopt.jitter = ns_to_ticks(o->jitter_ns);
	qopt.limit = o->limit ? o->limit : NETEM_DEFAULT_LIMIT;
	qopt.loss = o->loss;
	qopt.duplicate = o->duplicate;
	/*
	 * netem reorders only with a gap: packets after the last reordered one wait until gap - 1
	 * went by (netem_enqueue()). Gap 1 leaves it to the probability alone, as tc does.
	 */
	qopt.gap = o->gap ? o->gap : (o->reorder ? 1 : 0);

	/* TCA_OPTIONS: the qopt now, its length stretched over the attributes at the end. */
	options = mnl_nlmsg_get_payload_tail(nlh);
	if (!mnl_attr_put_check(nlh, len, TCA_OPTIONS, sizeof(qopt), &qopt))
		return -EMSGSIZE;

	if (o->latency_ns && !mnl_attr_put_u64_check(nlh, len, TCA_NETEM_LATENCY64, o->latency_ns))
		return -EMSGSIZE;
	if (o->jitter_ns && !mnl_attr_put_u64_check(nlh, len, TCA_NETEM_JITTER64, o->jitter_ns))
		return -EMSGSIZE;
	if (o->latency_corr || o->loss_corr || o->duplicate_corr) {
		struct tc_netem_corr corr = {
			.delay_corr = o->latency_corr,
			.loss_corr = o->loss_corr,
			.dup_corr = o->duplicate_corr,
		};

		if (!mnl_attr_put_check(nlh, len, TCA_NETEM_CORR, sizeof(corr), &corr))
			return -EMSGSIZE;
	}
	if (o->reorder) {
		struct tc_netem_reorder reorder = {
			.probability = o->reorder,
			.correlation = o->reorder_corr,
		};

		if (!mnl_attr_put_check(nlh, len, TCA_NETEM_REORDER, sizeof(reorder), &reorder))
			return -EMSGSIZE;
	}
	if (o->corrupt) {
		struct tc_netem_corrupt corrupt = {
			.probability = o->corrupt,
			.correlation = o->corrupt_corr,
		};

		if (!mnl_attr_put_check(nlh, len, TCA_NETEM_CORRUPT, sizeof(corrupt), &corrupt))
			return -EMSGSIZE;
	}
	if (o->loss_ge) {
		struct tc_netem_gemodel ge = {
			.p = o->ge_p,
			.r = o->ge_r,
			.h = o->ge_h,
			.k1 = o->ge_k1,
		};

		/* A real nest (get_loss_clg() walks it); mnl flags it NLA_F_NESTED, as tc does. */
		loss = mnl_attr_nest_start_check(nlh, len, TCA_NETEM_LOSS);
		if (!loss || !mnl_attr_put_check(nlh, len, NETEM_LOSS_GE, sizeof(ge), &ge))
			return -EMSGSIZE;
		mnl_attr_nest_end(nlh, loss);
	}
	if (o->rate_bytes_per_sec) {
		struct tc_netem_rate rate = {0};

		/* From 2^32 the u32 says "see RATE64": the kernel takes the larger of the two. */
		if (o->rate_bytes_per_sec >= (1ULL << 32)) {
			if (!mnl_attr_put_u64_check(nlh, len, TCA_NETEM_RATE64,
						    o->rate_bytes_per_sec))
				return -EMSGSIZE;
			rate.rate = UINT32_MAX;
		} else {
			rate.rate = (uint32_t)o->rate_bytes_per_sec;
		}
		if (!mnl_attr_put_check(nlh, len, TCA_NETEM_RATE, sizeof(rate), &rate))
			return -EMSGSIZE;
	}
	if (o->dist && !mnl_attr_put_check(nlh, len, TCA_NETEM_DELAY_DIST,
					   o->dist_len * sizeof(o->dist[0]), o->dist))
		return -EMSGSIZE;

	options->nla_len = (uint16_t)((char *)mnl_nlmsg_get_payload_tail(nlh) - (char *)options);
	return (int)nlh->nlmsg_len;
}

int fq_msg_build(void *buf, size_t len, uint16_t nlm_flags, int ifindex, uint32_t parent,
		 uint32_t handle, const struct fq_opts *o)
{
	uint64_t horizon_us = (o->horizon_ns + 999) / 1000;
	struct nlmsghdr *nlh;
	struct nlattr *options;

	if (horizon_us > UINT32_MAX)
		return -ERANGE;
	nlh = tc_msg_start(buf, len, RTM_NEWQDISC, nlm_flags, ifindex, parent, handle);
	if (!nlh || !mnl_attr_put_strz_check(nlh, len, TCA_KIND, "fq"))
		return -EMSGSIZE;
	options = mnl_attr_nest_start_check(nlh, len, TCA_OPTIONS);
	if (!options)
		return -EMSGSIZE;
	if (o->limit && !mnl_attr_put_u32_check(nlh, len, TCA_FQ_PLIMIT, o->limit))
		return -EMSGSIZE;
	if (o->flow_limit && !mnl_attr_put_u32_check(nlh, len, TCA_FQ_FLOW_PLIMIT, o->flow_limit))
		return -EMSGSIZE;
	if (horizon_us && !mnl_attr_put_u32_check(nlh, len, TCA_FQ_HORIZON, (uint32_t)horizon_us))
		return -EMSGSIZE;
	if (!mnl_attr_put_u8_check(nlh, len, TCA_FQ_HORIZON_DROP, o->horizon_drop ? 1 : 0))
		return -EMSGSIZE;
	mnl_attr_nest_end(nlh, options);
	return (int)nlh->nlmsg_len;
}

int prio_msg_build(void *buf, size_t len, uint16_t nlm_flags, int ifindex, uint32_t parent,
		   uint32_t handle, int bands)
{
	struct tc_prio_qopt qopt = {.bands = bands};
	struct nlmsghdr *nlh;

	/* The default priomap names bands 0..2: prio_tune() refuses a map beyond its bands. */
	if (bands < 3 || bands > TCQ_PRIO_BANDS)
		return -EINVAL;
	memcpy(qopt.priomap, tc_default_priomap, sizeof(qopt.priomap));
	nlh = tc_msg_start(buf, len, RTM_NEWQDISC, nlm_flags, ifindex, parent, handle);
	if (!nlh || !mnl_attr_put_strz_check(nlh, len, TCA_KIND, "prio") ||
	    !mnl_attr_put_check(nlh, len, TCA_OPTIONS, sizeof(qopt), &qopt))
		return -EMSGSIZE;
	return (int)nlh->nlmsg_len;
}

int qdisc_netem_add(int ifindex, uint32_t parent, uint32_t handle, const struct netem_opts *opts)
{
	void *buf = malloc(NLREQ_BUF_SIZE);
	int ret;

	if (!buf)
		return -ENOMEM;
	ret = netem_msg_build(buf, NLREQ_BUF_SIZE, NLM_F_CREATE | NLM_F_REPLACE, ifindex, parent,
			      handle, opts);
	if (ret > 0)
		ret = nlreq_run(buf, NULL, NULL);
	free(buf);
	return ret;
}

int qdisc_fq_add(int ifindex, uint32_t parent, uint32_t handle, const struct fq_opts *opts)
{
	char buf[SMALL_MSG_SIZE];
	int ret;

	ret = fq_msg_build(buf, sizeof(buf), NLM_F_CREATE | NLM_F_REPLACE, ifindex, parent, handle,
			   opts);
	return ret < 0 ? ret : nlreq_run((struct nlmsghdr *)buf, NULL, NULL);
}

int qdisc_prio_add(int ifindex, uint32_t parent, uint32_t handle, int bands)
{
	char buf[SMALL_MSG_SIZE];
	int ret;

	ret = prio_msg_build(buf, sizeof(buf), NLM_F_CREATE | NLM_F_REPLACE, ifindex, parent,
			     handle, bands);
	return ret < 0 ? ret : nlreq_run((struct nlmsghdr *)buf, NULL, NULL);
}

int qdisc_delete(int ifindex, uint32_t parent, uint32_t handle)
{
	char buf[SMALL_MSG_SIZE];
	struct nlmsghdr *nlh;

	nlh = tc_msg_start(buf, sizeof(buf), RTM_DELQDISC, 0, ifindex, parent, handle);
	return nlreq_run(nlh, NULL, NULL);
}

struct root_query {
	int ifindex;
	struct qdisc_saved *saved;
	bool found;
};

static int root_attr_copy(const struct nlattr *attr, struct qdisc_saved *saved)
{
	size_t len = mnl_attr_get_payload_len(attr);

	switch (mnl_attr_get_type(attr)) {
	case TCA_KIND:
		if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) < 0 || len > sizeof(saved->kind))
			return -EBADMSG;
		memcpy(saved->kind, mnl_attr_get_str(attr), len);
		break;
	case TCA_OPTIONS:
		if (len > sizeof(saved->options))
			return -EOVERFLOW;
		memcpy(saved->options, mnl_attr_get_payload(attr), len);
		saved->options_len = len;
		saved->has_options = true;
		saved->options_nested = attr->nla_type & NLA_F_NESTED;
		break;
	}
	return 0;
}

static int root_cb(const struct nlmsghdr *nlh, void *data)
{
	struct root_query *q = data;
	const struct tcmsg *tcm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *attr;
	int err;

	if (nlh->nlmsg_type != RTM_NEWQDISC)
		return MNL_CB_OK;
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*tcm)) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	/* Older kernels dump every device's qdiscs: the ifindex filter is ours. */
	if (tcm->tcm_ifindex != q->ifindex || tcm->tcm_parent != TC_H_ROOT)
		return MNL_CB_OK;
	memset(q->saved, 0, sizeof(*q->saved));
	q->saved->handle = tcm->tcm_handle;
	q->saved->is_default = TC_H_MAJ(tcm->tcm_handle) == 0;
	mnl_attr_for_each(attr, nlh, sizeof(*tcm)) {
		err = root_attr_copy(attr, q->saved);
		if (err) {
			errno = -err;
			return MNL_CB_ERROR;
		}
	}
	q->found = true;
	return MNL_CB_OK;
}

int qdisc_root_parse(const void *buf, size_t len, int ifindex, struct qdisc_saved *saved,
		     bool *found)
{
	struct root_query q = {.ifindex = ifindex, .saved = saved};
	int ret = nlreq_parse(buf, len, 0, 0, root_cb, &q);

	*found = q.found;
	return ret;
}

int qdisc_root_save(int ifindex, struct qdisc_saved *saved)
{
	char buf[SMALL_MSG_SIZE], name[IF_NAMESIZE];
	struct root_query q = {.ifindex = ifindex, .saved = saved};
	struct nlmsghdr *nlh;
	int err, tries;

	/* A dump for a device that is not there is just empty: ask first. */
	if (ifindex <= 0 || !if_indextoname(ifindex, name))
		return -ENODEV;
	for (tries = 0; tries < DUMP_TRIES; tries++) {
		q.found = false;
		nlh = tc_msg_start(buf, sizeof(buf), RTM_GETQDISC, NLM_F_DUMP, ifindex, 0, 0);
		err = nlreq_run(nlh, root_cb, &q);
		if (err != -EINTR)
			break;
	}
	if (err)
		return err;
	if (!q.found) {
		/* The built-in noop (device down) is hidden from dumps (tc_qdisc_dump_ignore()). */
		memset(saved, 0, sizeof(*saved));
		saved->is_default = true;
	}
	return 0;
}

struct class_query {
	int ifindex;
	uint32_t major;
	int count;
};

static int class_cb(const struct nlmsghdr *nlh, void *data)
{
	struct class_query *q = data;
	const struct tcmsg *tcm = mnl_nlmsg_get_payload(nlh);

	if (nlh->nlmsg_type != RTM_NEWTCLASS)
		return MNL_CB_OK;
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*tcm)) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	if (tcm->tcm_ifindex == q->ifindex && TC_H_MAJ(tcm->tcm_handle) == q->major)
		q->count++;
	return MNL_CB_OK;
}

int qdisc_root_class_count(int ifindex)
{
	struct class_query q = {.ifindex = ifindex};
	char buf[SMALL_MSG_SIZE];
	struct qdisc_saved *root;
	struct nlmsghdr *nlh;
	int err, tries;

	root = malloc(sizeof(*root));
	if (!root)
		return -ENOMEM;
	err = qdisc_root_save(ifindex, root);
	q.major = TC_H_MAJ(root->handle);
	free(root);
	if (err)
		return err;
	/* Classes of every qdisc on the device come back: the root's share its handle's major. */
	for (tries = 0; tries < DUMP_TRIES; tries++) {
		q.count = 0;
		nlh = tc_msg_start(buf, sizeof(buf), RTM_GETTCLASS, NLM_F_DUMP, ifindex, 0, 0);
		err = nlreq_run(nlh, class_cb, &q);
		if (err != -EINTR)
			break;
	}
	return err ? err : q.count;
}

static int child_cb(const struct nlmsghdr *nlh, void *data)
{
	struct class_query *q = data;
	const struct tcmsg *tcm = mnl_nlmsg_get_payload(nlh);

	if (nlh->nlmsg_type != RTM_NEWQDISC)
		return MNL_CB_OK;
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*tcm)) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	/* a qdisc under the root; clsact and ingress hang off their own parent, not the root */
	if (tcm->tcm_ifindex == q->ifindex && tcm->tcm_parent != TC_H_ROOT &&
	    TC_H_MAJ(tcm->tcm_parent) != TC_H_MAJ(TC_H_CLSACT))
		q->count++;
	return MNL_CB_OK;
}

int qdisc_count_parse(const void *buf, size_t len, int ifindex, uint32_t major, bool classes,
		      int *count)
{
	struct class_query q = {.ifindex = ifindex, .major = major};
	int ret = nlreq_parse(buf, len, 0, 0, classes ? class_cb : child_cb, &q);

	*count = q.count;
	return ret;
}

int qdisc_child_count(int ifindex)
{
	struct class_query q = {.ifindex = ifindex};
	char buf[SMALL_MSG_SIZE];
	struct nlmsghdr *nlh;
	int err, tries;

	/* Default children (prio's pfifos, tbf's bfifo) are hidden from dumps: what shows is added. */
	for (tries = 0; tries < DUMP_TRIES; tries++) {
		q.count = 0;
		nlh = tc_msg_start(buf, sizeof(buf), RTM_GETQDISC, NLM_F_DUMP, ifindex, 0, 0);
		err = nlreq_run(nlh, child_cb, &q);
		if (err != -EINTR)
			break;
	}
	return err ? err : q.count;
}

int qdisc_root_restore(int ifindex, const struct qdisc_saved *saved)
{
	char buf[sizeof(saved->options) + SMALL_MSG_SIZE];
	struct qdisc_saved *now;
	struct nlattr *options;
	struct nlmsghdr *nlh;
	int err;

	now = malloc(sizeof(*now));
	if (!now)
		return -ENOMEM;
	err = qdisc_root_save(ifindex, now);
	if (err)
		goto out;
	if (saved->is_default) {
		/* Deleting the root makes the kernel attach the default again (dev_activate()). */
		if (!now->is_default)
			err = qdisc_delete(ifindex, TC_H_ROOT, now->handle);
		goto out;
	}
	/*
	 * The same handle on another kind would be taken as a change of that qdisc and refused
	 * (tc_modify_qdisc(): -EINVAL): that one goes first.
	 */
	if (!now->is_default && now->handle == saved->handle && strcmp(now->kind, saved->kind)) {
		err = qdisc_delete(ifindex, TC_H_ROOT, now->handle);
		if (err)
			goto out;
	}
	err = -EMSGSIZE;
	nlh = tc_msg_start(buf, sizeof(buf), RTM_NEWQDISC, NLM_F_CREATE | NLM_F_REPLACE, ifindex,
			   TC_H_ROOT, saved->handle);
	if (!nlh || !mnl_attr_put_strz_check(nlh, sizeof(buf), TCA_KIND, saved->kind))
		goto out;
	if (saved->has_options) {
		options = mnl_nlmsg_get_payload_tail(nlh);
		if (!mnl_attr_put_check(nlh, sizeof(buf), TCA_OPTIONS, saved->options_len,
					saved->options))
			goto out;
		if (saved->options_nested)
			options->nla_type |= NLA_F_NESTED;
	}
	err = nlreq_run(nlh, NULL, NULL);
out:
	free(now);
	return err;
}

/* Whitespace-separated integers, '#' to the end of its line a comment (iproute2's format). */
static int dist_parse(FILE *f, int16_t *values, size_t *n)
{
	char *line = NULL, *p, *end;
	size_t line_size = 0;
	int err = 0;
	long v;

	*n = 0;
	while (!err && getline(&line, &line_size, f) != -1) {
		p = strchr(line, '#');
		if (p)
			*p = '\0';
		for (p = line;; p = end) {
			while (isspace((unsigned char)*p))
				p++;
			if (!*p)
				break;
			errno = 0;
			v = strtol(p, &end, 10);
			if (end == p || (*end && !isspace((unsigned char)*end))) {
				err = -EINVAL;
			} else if (errno || v < INT16_MIN || v > INT16_MAX) {
				err = -ERANGE;
			} else if (*n >= NETEM_DIST_MAX) {
				err = -E2BIG;
			}
			if (err)
				break;
			values[(*n)++] = (int16_t)v;
		}
	}
	if (!err && ferror(f))
		err = -EIO;
	free(line);
	if (!err && !*n)
		err = -ENODATA;
	return err;
}

static int dist_load_file(const char *path, int16_t **table, size_t *len)
{
	int16_t *values, *shrunk;
	FILE *f;
	size_t n;
	int err;

	f = fopen(path, "re");
	if (!f)
		return -errno;
	values = malloc(NETEM_DIST_MAX * sizeof(*values));
	if (!values) {
		fclose(f);
		return -ENOMEM;
	}
	err = dist_parse(f, values, &n);
	fclose(f);
	if (err) {
		free(values);
		return err;
	}
	shrunk = realloc(values, n * sizeof(*values));
	*table = shrunk ? shrunk : values;
	*len = n;
	return 0;
}

static bool dist_name_ok(const char *name)
{
	const char *c;

	if (!*name || strlen(name) > 64)
		return false;
	for (c = name; *c; c++)
		if (!isalnum((unsigned char)*c) && *c != '_' && *c != '-')
			return false;
	return true;
}

int netem_dist_load(const char *name, int16_t **table, size_t *len)
{
	static const char *const dirs[] = {
		"/usr/lib/x86_64-linux-gnu/tc",
		"/usr/lib/tc",
		"/usr/lib64/tc",
		"/usr/share/tc",
	};
	const char *env = getenv("TC_LIB_DIR");
	char path[512];
	size_t i;
	int err;

	if (!name || !dist_name_ok(name))
		return -EINVAL;
	if (env && *env) {
		snprintf(path, sizeof(path), "%s/%s.dist", env, name);
		return dist_load_file(path, table, len);
	}
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s.dist", dirs[i], name);
		err = dist_load_file(path, table, len);
		if (err != -ENOENT)
			return err;
	}
	return -ENOENT;
}
