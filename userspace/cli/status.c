// SPDX-License-Identifier: GPL-2.0-only
/* faultline status: active plans, time left, live counters per fault and per target. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "cli/commands.h"
#include "fault.h"
#include "common/out.h"
#include "state/store.h"
#include "plan/values.h"

static struct json_object *get(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	json_object_object_get_ex(o, key, &v);
	return v;
}

/* The per-CPU counters of one (slot, rule), summed. */
static int read_counters(int fd, uint32_t index, struct flt_counters *sum)
{
	int ncpus = libbpf_num_possible_cpus(), i, err;
	struct flt_counters *percpu;

	memset(sum, 0, sizeof(*sum));
	if (ncpus <= 0)
		return ncpus ? ncpus : -EINVAL;
	percpu = calloc((size_t)ncpus, sizeof(*percpu));
	if (!percpu)
		return -ENOMEM;
	err = bpf_map_lookup_elem(fd, &index, percpu);
	for (i = 0; !err && i < ncpus; i++) {
		sum->matched_packets += percpu[i].matched_packets;
		sum->matched_bytes += percpu[i].matched_bytes;
		sum->dropped_packets += percpu[i].dropped_packets;
		sum->rejected_connects += percpu[i].rejected_connects;
	}
	free(percpu);
	return err;
}

static void print_fault(struct json_object *meta, size_t fault, int counters_fd)
{
	struct json_object *faults = get(meta, "faults"), *slots = get(meta, "slots");
	struct json_object *f = json_object_array_get_idx(faults, fault);
	size_t s, r;

	out_object_begin(NULL);
	out_string("name", "  fault %s", json_object_get_string(get(f, "name")));
	out_string("target", " (target %s)\n", json_object_get_string(get(f, "target")));
	out_array_begin("targets");
	for (s = 0; s < json_object_array_length(slots); s++) {
		struct json_object *slot = json_object_array_get_idx(slots, s);
		struct json_object *rules = get(slot, "rules");
		struct flt_counters c;

		for (r = 0; r < json_object_array_length(rules); r++) {
			if ((size_t)json_object_get_uint64(json_object_array_get_idx(rules, r)) != fault)
				continue;
			if (read_counters(counters_fd, (uint32_t)(s * FLT_MAX_RULES + r), &c))
				memset(&c, 0, sizeof(c));
			out_object_begin(NULL);
			out_string("kind", "    %-9s", json_object_get_string(get(slot, "kind")));
			out_string("id", " %s:", json_object_get_string(get(slot, "id")));
			out_u64("matched_packets", " matched %" PRIu64 " packets", c.matched_packets);
			out_u64("matched_bytes", " (%" PRIu64 " bytes)", c.matched_bytes);
			out_u64("dropped_packets", ", dropped %" PRIu64, c.dropped_packets);
			out_u64("rejected_connects", ", rejected %" PRIu64 " connects\n",
				c.rejected_connects);
			out_object_end();
		}
	}
	out_array_end();
	out_object_end();
}

static int print_plan(const char *name)
{
	struct json_object *meta;
	char pin[PATH_MAX], left[32], duration[32];
	uint64_t deadline, now = mono_now_ns();
	int64_t remaining_ms;
	size_t f;
	int fd, err;

	err = state_meta_read(name, &meta);
	if (err)
		return err;
	err = state_path(pin, sizeof(pin), name, "flt_counters");
	fd = err ? err : bpf_obj_get(pin);
	if (fd < 0) {
		json_object_put(meta);
		return fd;
	}
	deadline = json_object_get_uint64(get(meta, "deadline_mono_ns"));
	remaining_ms = deadline > now ? (int64_t)((deadline - now) / 1000000) : 0;
	out_object_begin(NULL);
	out_string("name", "plan %s", name);
	out_string("file", " (%s)", json_object_get_string(get(meta, "file")));
	/* whole seconds are precise enough to read; JSON keeps the milliseconds */
	format_duration_ms(remaining_ms >= 1000 ? (uint64_t)remaining_ms / 1000 * 1000
					       : (uint64_t)remaining_ms,
			   left, sizeof(left));
	format_duration_ms(json_object_get_uint64(get(meta, "duration_ms")), duration,
			   sizeof(duration));
	out_s64("remaining_ms", NULL, remaining_ms);
	out_u64("duration_ms", NULL, json_object_get_uint64(get(meta, "duration_ms")));
	out_text(": %s left of %s\n", left, duration);
	out_u64("applied_unix_ms", NULL, json_object_get_uint64(get(meta, "applied_unix_ms")));
	out_array_begin("faults");
	for (f = 0; f < json_object_array_length(get(meta, "faults")); f++)
		print_fault(meta, f, fd);
	out_array_end();
	out_object_end();
	close(fd);
	json_object_put(meta);
	return 0;
}

int cmd_status(const struct cmd_opts *opts)
{
	char **names;
	size_t n, i, shown = 0;
	int err;

	if (opts->argc > 1) {
		out_error("status: expected at most one plan name");
		return 2;
	}
	if (require_privileges("status") || state_begin())
		return 1;
	if (opts->argc == 1) {
		struct stat st;
		char dir[PATH_MAX];

		if (state_path(dir, sizeof(dir), opts->argv[0], NULL) || stat(dir, &st)) {
			out_error("plan %s: no such active plan", opts->argv[0]);
			return 1;
		}
	}
	err = state_plan_names(&names, &n);
	if (err) {
		out_error("cannot list plans in %s: %s", state_root(), strerror(-err));
		return 1;
	}
	out_object_begin(NULL);
	out_array_begin("plans");
	for (i = 0; i < n; i++) {
		if (opts->argc == 1 && strcmp(names[i], opts->argv[0]))
			continue;
		err = print_plan(names[i]);
		if (err)
			out_text("plan %s: unreadable (%s)\n", names[i], strerror(-err));
		else
			shown++;
	}
	out_array_end();
	out_object_end();
	state_names_free(names, n);
	if (!shown)
		out_text("no active plan\n");
	out_end();
	return 0;
}
