/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A plan's description: what the state store keeps of an applied plan, typed, and its on-disk
 * JSON form (schema STATE_SCHEMA_VERSION), with the one writer and the one reader of it.
 */
#ifndef FAULTLINE_DESC_H
#define FAULTLINE_DESC_H

#include <limits.h>
#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netem/qdisc.h"

#define STATE_SCHEMA_VERSION 2
#define STATE_NAME_MAX 64 /* plan, fault and target names: 63 characters and the NUL */
#define STATE_WHAT_MAX 192 /* "tc ingress on veth1 (pod 9ac4...)" */
#define STATE_MAX_RULES 16 /* FLT_MAX_RULES */

/* What one record undoes. */
enum state_rec_kind {
	STATE_REC_TCX = 1, /* a pinned tcx link */
	STATE_REC_CLSACT,  /* a cls_bpf filter on a clsact qdisc (maybe created by faultline) */
	STATE_REC_CGROUP,  /* a pinned cgroup link */
	STATE_REC_QDISC,   /* faultline's root qdisc on a device, and the root it replaced */
	STATE_REC_IFB,	   /* an IFB device faultline created */
};

/* One kernel object a plan made, with what it takes to undo it from any process. */
struct state_record {
	enum state_rec_kind kind;
	char what[STATE_WHAT_MAX]; /* the planned attachment it is (state_desc.planned) */
	/* tc, qdisc, ifb: the device and its network namespace */
	int32_t ifindex;
	char ifname[IF_NAMESIZE];
	char netns[PATH_MAX]; /* path to enter; "" for faultline's own */
	uint64_t netns_ino;
	bool ingress; /* tcx, clsact */
	char link[STATE_NAME_MAX]; /* tcx, cgroup: the pinned link's name in the plan's folder */
	/* clsact: the filter, and whether faultline's registry counts the qdisc */
	uint32_t handle; /* also qdisc: faultline's root handle */
	uint32_t priority;
	bool registered;
	bool attached;
	/* cgroup */
	char cgroup[PATH_MAX];
	uint32_t attach_type;
	/* qdisc: the root it replaced */
	struct qdisc_saved saved;
};

struct state_fault {
	char name[STATE_NAME_MAX];
	char target[STATE_NAME_MAX];
};

/* One target id of the plan (a pod, a cgroup, a netns or an interface): one slot of rules. */
struct state_slot {
	char id[PATH_MAX]; /* as the plan wrote it */
	char kind[16];	   /* "pod", "cgroup", "netns", "interface" */
	char target[STATE_NAME_MAX];
	uint32_t nrules;
	uint32_t rules[STATE_MAX_RULES]; /* fault index of each rule */
	/* what it was in the kernel when applied: to tell it is gone, and one plan per target */
	uint64_t cgroup_id; /* 0: none */
	char cgroup_dir[PATH_MAX];
	uint64_t netns_ino;
	uint32_t nifaces;
	int32_t *ifindexes; /* nifaces, in that netns */
	char (*ifnames)[IF_NAMESIZE];
};

struct state_desc {
	uint32_t version;
	char name[STATE_NAME_MAX];
	char file[PATH_MAX];
	uint64_t duration_ms;
	uint64_t deadline_mono_ns; /* CLOCK_MONOTONIC, as the rules' deadlines */
	uint64_t applied_unix_ms;
	bool complete; /* every planned attachment was made; false while applying or after a kill */
	size_t nfaults;
	struct state_fault *faults;
	size_t nslots;
	struct state_slot *slots;
	size_t nplanned;
	char (*planned)[STATE_WHAT_MAX]; /* every attachment apply will make, in order */
	size_t nrecords;
	struct state_record *records; /* what was made, in order */
};

/* Append to a description's arrays (realloc); 0 or -ENOMEM. */
int state_desc_add_planned(struct state_desc *d, const char *what);
int state_desc_add_record(struct state_desc *d, const struct state_record *rec);
void state_desc_free(struct state_desc *d);

/* The JSON text of d, malloc'ed; NULL when out of memory. */
char *desc_to_json(const struct state_desc *d);

/* Parse text into d (zeroed first); -EBADMSG for text that is not a description of this schema. */
int desc_from_json(const char *text, struct state_desc *d);

#endif /* FAULTLINE_DESC_H */
