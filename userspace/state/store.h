/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * faultline's state store, all of it in bpffs so that any faultline process sees it:
 *   <root>/plans/<name>/flt_meta   the plan's description (struct state_desc), written first
 *   <root>/plans/<name>/...        its pinned maps and links
 *   <root>/clsact                  the clsact qdiscs faultline created, counted by their users
 *   <root>/frozen                  a folder: the node is frozen (faultline freeze), no plan applies
 *   <root>/agent_seen              the agent's memory: the plan contents it applied (LRU hash)
 * root is $FAULTLINE_PIN_DIR or /sys/fs/bpf/faultline. Everything under it is reached with
 * openat() and O_NOFOLLOW from the root's directory fd, and a plan name is only ever one valid
 * path component ([a-z0-9-], 1..63): nothing outside the root is touched.
 *
 * The description (state/desc.h) is one versioned JSON document in a one-element array map,
 * written under a temporary name and renamed into place, so a reader sees the old or the new one,
 * whole.
 */
#ifndef FAULTLINE_STORE_H
#define FAULTLINE_STORE_H

#include <limits.h>
#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "state/desc.h"

/* An open store: the root's directory fd and its plans/ folder's. */
struct state_store {
	int root_fd;
	int plans_fd; /* -1 while plans/ does not exist */
	int lock_fd;  /* -1 when not locked */
	int plan_fd;  /* plans/<plan_name>, for pin paths; -1 if none */
	char plan_name[STATE_NAME_MAX];
	char root[PATH_MAX];
};

/*
 * Open the store for one operation: mount bpffs at /sys/fs/bpf if needed, take an exclusive
 * flock on the folder that holds the root (the root itself goes away with the last plan), so
 * that operations of faultline processes never interleave, and open the root. create: make the
 * root and plans/ if absent (else a missing root is an empty store). -errno with err set.
 * state_close() releases the lock: hold a store open for one operation, not for a process's life.
 */
int state_open(struct state_store *st, bool create, struct flt_error *err);
void state_close(struct state_store *st);

const char *state_root(void);

/* 0 when name is a valid plan name; else FLT_ERR_INPUT "invalid plan name". */
int state_check_name(const char *name, struct flt_error *err);

/* Names of the plan folders present (valid names only), sorted; *names malloc'ed. */
int state_plan_names(struct state_store *st, char ***names, size_t *n);
void state_names_free(char **names, size_t n);

/* Make plans/<name>; -EEXIST when it exists. */
int state_plan_create(struct state_store *st, const char *name);

/* True when plans/<name> exists (as a folder). */
bool state_plan_exists(struct state_store *st, const char *name);

/* Write the description atomically: a temporary pin renamed over flt_meta. */
int state_desc_write(struct state_store *st, const struct state_desc *d);
/* -ENOENT when the plan has no description (a folder an apply left before writing one). */
int state_desc_read(struct state_store *st, const char *name, struct state_desc *d);

/*
 * A path for libbpf's pin calls to <plan>/<file>: /proc/self/fd/<fd>/<file>, resolved through
 * the plan folder's open fd, never through joined names. Valid until a call for another plan, or state_close().
 */
int state_pin_path(struct state_store *st, const char *name, const char *file, char *buf,
		   size_t len);
/* The same for <root>/<file> (the clsact registry). */
int state_root_path(struct state_store *st, const char *file, char *buf, size_t len);

/* Remove every pin in plans/<name> and the folder itself. */
int state_plan_remove(struct state_store *st, const char *name);

/*
 * With no plan left, remove plans/ and the clsact registry if it counts nobody, and the root too
 * unless the node is frozen or the agent's memory is in it.
 */
void state_tidy(struct state_store *st);

/*
 * The frozen marker: a folder <root>/frozen (bpffs holds only pins and folders), so that it
 * outlives every process. Setting it needs the root (a store opened with create); clearing it
 * when absent, or with no root, is 0. -errno.
 */
int state_frozen_set(struct state_store *st, bool frozen);
bool state_frozen(struct state_store *st);

/*
 * The agent's memory, <root>/agent_seen: an LRU hash of STATE_SEEN_MAX entries, key a __u64 (a
 * hash of a plan file's name and content), value a __u64 (unix ms when it was applied); past
 * STATE_SEEN_MAX the kernel forgets the least recently used. Its fd, or -ENOENT when it does not
 * exist and create is false (create needs a store opened with create); -EBADMSG when a pin of
 * that name is not such a map.
 */
#define STATE_SEEN_MAX 4096
int state_seen_open(struct state_store *st, bool create);

/* A map created and pinned at pin; its fd. */
int state_map_create_pinned(int type, const char *name, uint32_t key_size, uint32_t value_size,
			    uint32_t max_entries, const char *pin);

#include "common/clock.h" /* mono_now_ns(), the deadlines' clock */

#endif /* FAULTLINE_STORE_H */
