/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Qdiscs over rtnetlink, built with libmnl: netem with its full attribute set (64-bit latency and
 * jitter, rate, loss models, distribution tables: libnl-route-3 3.7 lacks several), fq for the
 * edt backend, faultline's prio, and saving/restoring a device's root qdisc.
 * Every call works in the calling thread's network namespace. Returns 0 or -errno.
 */
#ifndef FAULTLINE_QDISC_H
#define FAULTLINE_QDISC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct netem_opts {
	uint64_t latency_ns;
	uint64_t jitter_ns;
	uint32_t latency_corr; /* probabilities and correlations: p * UINT32_MAX */
	uint32_t limit; /* packets */
	uint32_t loss;
	uint32_t loss_corr;
	uint32_t duplicate;
	uint32_t duplicate_corr;
	uint32_t corrupt;
	uint32_t corrupt_corr;
	uint32_t reorder;
	uint32_t reorder_corr;
	uint32_t gap;
	uint64_t rate_bytes_per_sec; /* 0: none */
	bool loss_ge; /* Gilbert-Elliott: in the kernel's terms (kernel-facts.md) */
	uint32_t ge_p, ge_r, ge_h, ge_k1;
	const int16_t *dist; /* distribution table, NULL: uniform jitter */
	size_t dist_len;
};

/* 0 leaves the kernel's default (limit 10000, flow_limit 100, horizon 10 s). */
struct fq_opts {
	uint32_t limit; /* packets */
	uint32_t flow_limit; /* packets per flow */
	uint64_t horizon_ns; /* sent in microseconds, rounded up */
	bool horizon_drop; /* always sent: false caps departure times at the horizon instead */
};

/* A device's root qdisc as it was, to put back. */
struct qdisc_saved {
	bool is_default; /* handle 0: the kernel's default (noqueue, mq, pfifo_fast...) */
	char kind[16];
	uint32_t handle;
	uint8_t options[4096]; /* TCA_OPTIONS payload as the kernel dumped it */
	size_t options_len;
	bool has_options;
	bool options_nested; /* TCA_OPTIONS came NLA_F_NESTED: kinds parsed strictly need it */
};

/*
 * The bytes of an RTM_NEWQDISC for netem (for tests); its length, or -errno. Only what is set is
 * sent, besides the qopt (limit 1000 when 0). -EINVAL for what netem would silently ignore: a
 * reorder without latency (nothing to jump ahead of), a gap without reorder, a plain loss with
 * loss_ge (the model replaces it), a distribution without jitter or of 0 or > 16384 values.
 * -ERANGE: latency_ns above INT64_MAX, jitter_ns above INT32_MAX (the kernel would cap it).
 * -EMSGSIZE: len too small (a 4096-value table needs 8 KiB: NLREQ_BUF_SIZE fits any).
 */
int netem_msg_build(void *buf, size_t len, uint16_t nlm_flags, int ifindex, uint32_t parent,
		    uint32_t handle, const struct netem_opts *opts);
/* The same for fq and prio (bands 3..16, priomap as tc's default). */
int fq_msg_build(void *buf, size_t len, uint16_t nlm_flags, int ifindex, uint32_t parent,
		 uint32_t handle, const struct fq_opts *opts);
int prio_msg_build(void *buf, size_t len, uint16_t nlm_flags, int ifindex, uint32_t parent,
		   uint32_t handle, int bands);

/*
 * Create, or replace what is at parent (as `tc qdisc replace`): NLM_F_CREATE | NLM_F_REPLACE.
 * Replacing a netem of the same handle changes it in place: the kernel then keeps the reorder,
 * corrupt, rate and correlations of before for the attributes not sent (sch_netem.c,
 * netem_change()). -ENOENT (or -EOPNOTSUPP) when the kernel lacks the qdisc kind.
 */
int qdisc_netem_add(int ifindex, uint32_t parent, uint32_t handle, const struct netem_opts *opts);
int qdisc_fq_add(int ifindex, uint32_t parent, uint32_t handle, const struct fq_opts *opts);
/* prio: bands 3..16, priomap as tc's default. */
int qdisc_prio_add(int ifindex, uint32_t parent, uint32_t handle, int bands);
/* Delete the qdisc handle at parent (TC_H_ROOT for the root); -ENOENT if none. */
int qdisc_delete(int ifindex, uint32_t parent, uint32_t handle);

/*
 * The root qdisc of ifindex: kind and handle, and what is needed to restore it. Its size table
 * (TCA_STAB) and rate estimator are not kept. -ENODEV if ifindex does not exist; -EOVERFLOW if
 * its options exceed saved->options.
 */
int qdisc_root_save(int ifindex, struct qdisc_saved *saved);
/*
 * Number of classes of the root qdisc itself, not of qdiscs below it: 0 for a classless kind,
 * tbf's one built-in class, one per prio band. A classful tree cannot be restored from its root.
 */
int qdisc_root_class_count(int ifindex);
/* Number of qdiscs added under the root (its built-in default children are not counted). */
int qdisc_child_count(int ifindex);
/*
 * The parsers of those dumps, on one buffer of answers (nlreq_parse's result): the root qdisc of
 * ifindex into saved (found: whether the buffer had it), and the classes of major's qdisc
 * (classes) or the qdiscs under the root of ifindex. For their tests and fuzzing.
 */
int qdisc_root_parse(const void *buf, size_t len, int ifindex, struct qdisc_saved *saved,
		     bool *found);
int qdisc_count_parse(const void *buf, size_t len, int ifindex, uint32_t major, bool classes,
		      int *count);
/* Put saved back as root (replacing faultline's); a default one by deleting the root. */
int qdisc_root_restore(int ifindex, const struct qdisc_saved *saved);

/*
 * iproute2's distribution table NAME (normal, pareto, paretonormal) from its tc folder:
 * $TC_LIB_DIR if set (as tc itself), else the first of /usr/lib/x86_64-linux-gnu/tc (Debian),
 * /usr/lib/tc, /usr/lib64/tc, /usr/share/tc that has it. *table is malloc'ed. -ENOENT if no
 * folder has it; -EINVAL for a bad name or a word that is not an integer, -ERANGE for a value
 * beyond s16, -E2BIG beyond 16384 values, -ENODATA for none.
 */
int netem_dist_load(const char *name, int16_t **table, size_t *len);

#endif /* FAULTLINE_QDISC_H */
