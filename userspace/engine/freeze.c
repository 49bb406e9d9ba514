// SPDX-License-Identifier: GPL-2.0-only
/*
 * The kill switch (a frozen marker in the state store that engine_apply() checks under the lock)
 * and the agent's memory of the plan contents it applied, both in bpffs so that they outlive any
 * faultline process.
 */
#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "common/clock.h"
#include "engine/engine.h"
#include "engine/plans.h"
#include "state/store.h"

static int mark_frozen(struct state_store *st, struct flt_error *err)
{
	int ret = state_frozen_set(st, true);

	if (ret)
		return flt_fail(err, FLT_ERR_SYSTEM, -ret, "cannot mark the node frozen in %s: %s",
				st->root, strerror(-ret));
	return 0;
}

int engine_freeze(struct engine_plans *reverted, struct flt_error *err)
{
	/* marked first, under the lock the reverts run under: no apply slips in between */
	return engine_revert_all_after(mark_frozen, reverted, err);
}

int engine_unfreeze(struct flt_error *err)
{
	struct state_store st;
	int ret;

	flt_error_clear(err);
	ret = state_open(&st, false, err);
	if (ret)
		return ret;
	ret = state_frozen_set(&st, false);
	if (!ret)
		state_tidy(&st);
	state_close(&st);
	if (ret)
		return flt_fail(err, FLT_ERR_SYSTEM, -ret, "cannot remove the frozen marker in %s: %s",
				st.root, strerror(-ret));
	return 0;
}

int engine_frozen(bool *frozen, struct flt_error *err)
{
	struct state_store st;
	int ret;

	flt_error_clear(err);
	*frozen = false;
	ret = state_open(&st, false, err);
	if (ret)
		return ret;
	*frozen = state_frozen(&st);
	state_close(&st);
	return 0;
}

static int seen_fail(struct flt_error *err, const struct state_store *st, int ret)
{
	if (ret == -EBADMSG)
		return flt_fail(err, FLT_ERR_SYSTEM, EBADMSG, "the agent's memory %s/agent_seen: "
				"not faultline's map (an LRU hash of 8-byte keys and values): "
				"remove it", st->root);
	return flt_fail(err, FLT_ERR_SYSTEM, -ret, "the agent's memory %s/agent_seen: %s",
			st->root, strerror(-ret));
}

int engine_seen_add(uint64_t key, struct flt_error *err)
{
	uint64_t applied_ms = unix_now_ms();
	struct state_store st;
	int fd, ret;

	flt_error_clear(err);
	ret = state_open(&st, true, err);
	if (ret)
		return ret;
	fd = state_seen_open(&st, true);
	ret = fd < 0 ? fd : bpf_map_update_elem(fd, &key, &applied_ms, BPF_ANY);
	if (fd >= 0)
		close(fd);
	state_tidy(&st); /* plans/ that the open made, when no plan is in it */
	if (ret)
		ret = seen_fail(err, &st, ret);
	state_close(&st);
	return ret;
}

int engine_seen_has(uint64_t key, bool *seen, struct flt_error *err)
{
	struct state_store st;
	uint64_t applied_ms;
	int fd, ret;

	flt_error_clear(err);
	*seen = false;
	ret = state_open(&st, false, err);
	if (ret)
		return ret;
	fd = state_seen_open(&st, false);
	ret = fd < 0 ? fd : bpf_map_lookup_elem(fd, &key, &applied_ms);
	if (fd >= 0)
		close(fd);
	*seen = !ret;
	if (ret == -ENOENT)
		ret = 0; /* no memory yet, or not this key: not seen */
	if (ret)
		ret = seen_fail(err, &st, ret);
	state_close(&st);
	return ret;
}
