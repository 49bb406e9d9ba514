/* SPDX-License-Identifier: GPL-2.0-only */
/* Inside the engine: the revert loop of plans.c, which freeze.c runs after marking the node. */
#ifndef FAULTLINE_ENGINE_PLANS_H
#define FAULTLINE_ENGINE_PLANS_H

#include "common/error.h"
#include "engine/engine.h"
#include "state/store.h"

/*
 * engine_revert_all(), but first(st) runs before, under the same lock, on a store opened with
 * create: nothing can apply between the two. first's failure (its err set) reverts nothing.
 */
int engine_revert_all_after(int (*first)(struct state_store *st, struct flt_error *err),
			    struct engine_plans *out, struct flt_error *err);

#endif /* FAULTLINE_ENGINE_PLANS_H */
