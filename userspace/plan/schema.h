/* SPDX-License-Identifier: GPL-2.0-only */
/* The fields of a fault plan (internal to userspace/plan/): the walk of a whole document. */
#ifndef FAULTLINE_PLAN_SCHEMA_H
#define FAULTLINE_PLAN_SCHEMA_H

#include "plan/walk.h"

/* Fill p->plan from the document's root node (NULL: an empty document), or fail. */
int parse_document(struct parser *p, yaml_node_t *root);

#endif /* FAULTLINE_PLAN_SCHEMA_H */
