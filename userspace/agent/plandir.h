/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The agent's plan directory: which entries are plans, their contents and the key that tells
 * one content from another. A ConfigMap volume's entries are symlinks into ..data, itself a
 * symlink that kubelet swaps by a rename: entries are followed, dot-entries are skipped.
 */
#ifndef FAULTLINE_AGENT_PLANDIR_H
#define FAULTLINE_AGENT_PLANDIR_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

#define PLANDIR_MAX_BYTES (1024 * 1024) /* as the plan layer's limit */

struct plandir_file {
	char name[NAME_MAX + 1];
	uint64_t key; /* plandir_key() of the name and what was read */
	char *text; /* the content, NUL-terminated; NULL when it could not be read */
	size_t len;
	int read_errno; /* why it could not be read (EFBIG: over PLANDIR_MAX_BYTES); else 0 */
};

struct plandir_list {
	size_t n;
	struct plandir_file *files; /* sorted by name */
};

/* A name the agent reads: *.yaml, *.yml or *.json, not starting with '.'. */
bool plandir_is_plan_name(const char *name);

/* 64-bit FNV-1a of "NAME\0CONTENT": a content renamed is another content. */
uint64_t plandir_key(const char *name, const char *text, size_t len);

/*
 * The plan files of dir that are regular files once symlinks are followed, each read (at most
 * PLANDIR_MAX_BYTES). 0, or -errno with err set when dir cannot be listed (FLT_ERR_INPUT).
 */
int plandir_list(const char *dir, struct plandir_list *out, struct flt_error *err);
void plandir_list_free(struct plandir_list *l);

#endif /* FAULTLINE_AGENT_PLANDIR_H */
