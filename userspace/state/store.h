/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * faultline's state, all of it in bpffs so that any faultline process sees it:
 *   <root>/plans/<name>/   a plan's pinned maps and links, and flt_meta (its description, JSON)
 *   <root>/clsact          the clsact qdiscs faultline created, counted by their users
 * root is $FAULTLINE_PIN_DIR or /sys/fs/bpf/faultline.
 */
#ifndef FAULTLINE_STATE_H
#define FAULTLINE_STATE_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>
#include <linux/bpf.h>

const char *state_root(void);

/* Mount bpffs if needed. */
int state_init(void);

/* Create a plan's folder (and the root); -EEXIST when a plan of that name is active. */
int state_plan_create(const char *name);

/* Remove the root when no plan is left, and the clsact registry if it counts nobody. */
void state_tidy(void);

/* Serialize faultline invocations: an exclusive flock held until exit. */
int state_lock(void);

/* <root>/plans/<name>[/<file>] into buf. */
int state_path(char *buf, size_t len, const char *name, const char *file);

/* Names of the plans present; *names is a malloc'ed array of malloc'ed strings. */
int state_plan_names(char ***names, size_t *n);
void state_names_free(char **names, size_t n);

int state_meta_write(const char *name, struct json_object *meta);
int state_meta_read(const char *name, struct json_object **meta);

/* Remove every kernel object of plan name. -ENOENT when there is no such plan. */
int state_revert(const char *name);

/* Revert the plans whose deadline has passed; how many through *swept. */
int state_sweep(int *swept);

/* A map created and pinned at pin; its fd. */
int state_map_create_pinned(enum bpf_map_type type, const char *name, uint32_t key_size,
			    uint32_t value_size, uint32_t max_entries, const char *pin);

uint64_t mono_now_ns(void);

#endif /* FAULTLINE_STATE_H */
