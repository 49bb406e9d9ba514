/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The fields of a fault plan (internal to userspace/plan/): the walk of a whole document, what
 * schema.c shares of its targets' ids, and the handlers of spec's sections that experiment.c has.
 */
#ifndef FAULTLINE_PLAN_SCHEMA_H
#define FAULTLINE_PLAN_SCHEMA_H

#include "plan/plan.h"
#include "plan/walk.h"

/* Fill p->plan from the document's root node (NULL: an empty document), or fail. */
int parse_document(struct parser *p, yaml_node_t *root);

/* ---- ids of workloads: spec.targets' and spec.observe's ----------------------------------- */

/* What an id s of kind must not repeat, checked before it is added: 0 or an error about item. */
typedef int (*id_check)(struct parser *p, yaml_node_t *item, const char *s, enum target_kind kind);

/*
 * The list value of ids of kind (a non-empty list, each id checked as its kind's ids are, then
 * by unique), appended to *ids, *nids of them so far, with their positions.
 */
int parse_id_list(struct parser *p, yaml_node_t *value, enum target_kind kind,
		  struct plan_target_id **ids, size_t *nids, id_check unique);

/* The first of ids (n of them) that names the same workload as s of kind; NULL if none. */
const struct plan_target_id *find_target_id(const struct plan_target_id *ids, size_t n,
					    const char *s, enum target_kind kind);

/* 0, or "pod \"...\" is already listed at line N" about item when ids (n) has s of kind. */
int check_id_not_listed(struct parser *p, yaml_node_t *item, const char *s, enum target_kind kind,
			const struct plan_target_id *ids, size_t n);

/* ---- faultline run's sections: experiment.c ------------------------------------------------ */

/* spec.observe: the pods and cgroups watched but not faulted, into plan->observed. */
int parse_spec_observe(struct parser *p, const struct field *field, yaml_node_t *value, void *obj);

/* spec.abortWhen: the conditions, into plan->conditions (their targets not yet resolved). */
int parse_spec_abort_when(struct parser *p, const struct field *field, yaml_node_t *value,
			  void *obj);

/*
 * Once spec is read, with the faults linked to their targets (observe and abort_when: what
 * spec's walk saw of the two fields, NULL nodes when absent): the keys' positions; no observed
 * id in a target; each condition's target resolved, and its metric one that target can have.
 */
int link_experiment(struct parser *p, const struct seen_field *observe,
		    const struct seen_field *abort_when);

#endif /* FAULTLINE_PLAN_SCHEMA_H */
