// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/pkt_sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <netlink/route/classifier.h>
#include <netlink/route/tc.h>

#include "kernel/attach.h"
#include "kernel/netdev.h"
#include "common/log.h"
#include "kernel/shaping.h"
#include "netem/mirred.h"
#include "state/store.h"

/* Key of the clsact registry: a clsact that faultline created, counted by its users. */
struct clsact_key {
	uint64_t netns_ino;
	uint32_t ifindex;
	uint32_t pad;
};

#define CLSACT_REGISTRY_MAX 4096
#define TC_FILTER_PRIORITY 1 /* first, so that our verdict is seen before other filters' */

int tc_mode_from_env(enum tc_mode *mode)
{
	const char *v = getenv("FAULTLINE_TC_ATTACH");

	if (!v || !*v || !strcmp(v, "auto"))
		*mode = TC_MODE_AUTO;
	else if (!strcmp(v, "tcx"))
		*mode = TC_MODE_TCX;
	else if (!strcmp(v, "clsact"))
		*mode = TC_MODE_CLSACT;
	else
		return -EINVAL;
	return 0;
}

/*
 * Kernels with tcx (6.6, commit e420bed02507 "bpf: Add fd-based tcx multi-prog infra") look the
 * device up and fail with ENODEV for ifindex 0; older ones do not know the attach type (EINVAL).
 * Nothing is attached either way.
 */
int tcx_supported(int prog_fd)
{
	int fd = bpf_link_create(prog_fd, 0, BPF_TCX_INGRESS, NULL);

	if (fd >= 0) {
		close(fd);
		return 1;
	}
	return fd == -ENODEV;
}

static int registry_open(const char *pin)
{
	int fd = bpf_obj_get(pin);

	return fd >= 0 ? fd
		       : state_map_create_pinned(BPF_MAP_TYPE_HASH, "flt_clsact",
						 sizeof(struct clsact_key), sizeof(uint32_t),
						 CLSACT_REGISTRY_MAX, pin);
}

/* Adds delta to the users of a clsact; returns the new count, 0 when it is not faultline's. */
static int registry_add(const char *pin, const struct clsact_key *key, int delta, bool create)
{
	uint32_t users = 0;
	int fd, err;

	fd = create ? registry_open(pin) : bpf_obj_get(pin);
	if (fd < 0)
		return create ? fd : 0;
	err = bpf_map_lookup_elem(fd, key, &users);
	if (err && !create) {
		close(fd);
		return 0;
	}
	users = (uint32_t)((int)users + delta);
	if (users == 0)
		err = bpf_map_delete_elem(fd, key);
	else
		err = bpf_map_update_elem(fd, key, &users, BPF_ANY);
	close(fd);
	return err ? err : (int)users;
}

static int attach_tcx(const struct tc_attach_req *req, struct state_record *rec)
{
	LIBBPF_OPTS(bpf_link_create_opts, opts, .flags = BPF_F_BEFORE);
	int fd, err;

	/* BPF_F_BEFORE without a relative program: first in the list, so other programs (a CNI's)
	 * cannot end processing before faultline sees the packet; ours returns TCX_NEXT. */
	fd = bpf_link_create(req->prog_fd, req->ifindex,
			     req->ingress ? BPF_TCX_INGRESS : BPF_TCX_EGRESS, &opts);
	if (fd < 0)
		return fd;
	err = bpf_obj_pin(fd, req->link_pin);
	close(fd);
	(void)rec;
	return err;
}

static int attach_clsact(const struct tc_attach_req *req, struct state_record *rec)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = req->ifindex,
		    .attach_point = req->ingress ? BPF_TC_INGRESS : BPF_TC_EGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .prog_fd = req->prog_fd, .handle = req->handle,
		    .priority = TC_FILTER_PRIORITY);
	struct clsact_key key = { .netns_ino = req->netns_ino, .ifindex = (uint32_t)req->ifindex };
	bool created;
	int err, users;

	/* -EEXIST: a clsact is there already, ours or another tool's: use it, never destroy it
	 * unless the registry says faultline created it. */
	err = bpf_tc_hook_create(&hook);
	if (err && err != -EEXIST)
		return err;
	created = !err;
	/* counted only when faultline created it, now or for an earlier plan */
	users = registry_add(req->registry_pin, &key, 1, created);
	if (users < 0)
		return users;
	rec->registered = users > 0;
	rec->handle = req->handle;
	rec->priority = req->mirred_ifindex ? req->after_priority + 1 : TC_FILTER_PRIORITY;
	rec->attached = true; /* perhaps: removal checks that the filter is faultline's */
	err = req->record ? req->record(req->ctx, rec) : 0;
	if (err)
		return err;

	if (req->mirred_ifindex) {
		/* no other priority: before the program that tells it what to redirect, it would
		 * redirect nothing (a priority another kind holds is EINVAL) */
		err = mirred_filter_add(req->ifindex, rec->priority, req->handle, req->prog_fd,
					"flt_tc_mirred", req->mirred_ifindex);
		opts.handle = req->handle;
		opts.priority = rec->priority;
	} else {
		err = bpf_tc_attach(&hook, &opts);
	}
	if (!req->mirred_ifindex && (err == -EEXIST || err == -EINVAL)) {
		/* the priority is taken by another kind of filter: let the kernel pick one */
		opts.priority = 0;
		opts.prog_id = 0;
		opts.flags = 0;
		err = bpf_tc_attach(&hook, &opts);
	}
	rec->handle = opts.handle;
	rec->priority = opts.priority;
	rec->attached = !err;
	if (!err)
		return 0;
	attach_remove(rec, NULL, req->registry_pin);
	/* undone: the recorded intent must not be undone a second time by revert */
	rec->registered = false;
	if (req->record)
		req->record(req->ctx, rec);
	return err;
}

int attach_tc(const struct tc_attach_req *req, struct state_record *rec)
{
	int saved = -1, nsfd = -1, err;

	rec->kind = req->mode == TC_MODE_TCX ? STATE_REC_TCX : STATE_REC_CLSACT;
	rec->ifindex = req->ifindex;
	rec->ingress = req->ingress;
	snprintf(rec->netns, sizeof(rec->netns), "%s", req->netns_path ? req->netns_path : "");
	rec->netns_ino = req->netns_ino;

	if (req->netns_path) {
		nsfd = open(req->netns_path, O_RDONLY | O_CLOEXEC);
		if (nsfd < 0) {
			err = -errno;
			goto out;
		}
		err = netns_enter(nsfd, &saved);
		if (err)
			goto out;
	}
	err = req->mode == TC_MODE_TCX ? attach_tcx(req, rec) : attach_clsact(req, rec);
out:
	if (saved >= 0)
		netns_leave(saved);
	if (nsfd >= 0)
		close(nsfd);
	return err;
}

int attach_cgroup(int prog_fd, const char *cgroup_dir, int attach_type, const char *link_pin,
		  struct state_record *rec)
{
	int cgfd, fd, err;

	cgfd = open(cgroup_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cgfd < 0)
		return -errno;
	fd = bpf_link_create(prog_fd, cgfd, (enum bpf_attach_type)attach_type, NULL);
	close(cgfd);
	if (fd < 0)
		return fd;
	err = bpf_obj_pin(fd, link_pin);
	close(fd);
	if (err)
		return err;
	rec->kind = STATE_REC_CGROUP;
	snprintf(rec->cgroup, sizeof(rec->cgroup), "%s", cgroup_dir);
	rec->attach_type = (uint32_t)attach_type;
	return 0;
}

static int netns_current_ino(uint64_t *ino)
{
	struct stat st;

	if (stat("/proc/thread-self/ns/net", &st))
		return -errno;
	*ino = st.st_ino;
	return 0;
}

/* Filters left on a clsact, ours and other tools', on both of its hooks. */
static int clsact_filter_count(int ifindex)
{
	const uint32_t parents[] = { TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS),
				     TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_EGRESS) };
	struct nl_sock *sk = nl_socket_alloc();
	int count = 0, err = 0;
	size_t i;

	if (!sk)
		return -ENOMEM;
	err = nl_connect(sk, NETLINK_ROUTE);
	for (i = 0; !err && i < 2; i++) {
		struct nl_cache *cache;

		err = rtnl_cls_alloc_cache(sk, ifindex, parents[i], &cache);
		if (err)
			break;
		count += nl_cache_nitems(cache);
		nl_cache_free(cache);
	}
	nl_socket_free(sk);
	return err ? -EIO : count;
}

/* The filter at handle/priority runs a faultline program: only then is it ours to delete. */
static bool clsact_filter_is_ours(struct bpf_tc_hook *hook, uint32_t handle, uint32_t priority)
{
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = handle, .priority = priority);
	struct bpf_prog_info info = {};
	uint32_t len = sizeof(info);
	int fd;
	bool ours;

	if (bpf_tc_query(hook, &opts))
		return false;
	fd = bpf_prog_get_fd_by_id(opts.prog_id);
	if (fd < 0)
		return false;
	ours = !bpf_prog_get_info_by_fd(fd, &info, &len) && !strncmp(info.name, "flt_tc_", 7);
	close(fd);
	return ours;
}

static int remove_clsact(const struct state_record *rec, const char *registry)
{
	int ifindex = rec->ifindex;
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
		    .attach_point = rec->ingress ? BPF_TC_INGRESS : BPF_TC_EGRESS);
	struct clsact_key key = { .netns_ino = rec->netns_ino, .ifindex = (uint32_t)ifindex };
	uint32_t handle = rec->handle, prio = rec->priority;
	uint64_t ino = 0;
	int users, err = 0;

	if (netns_current_ino(&ino) || ino != key.netns_ino) {
		pr_warn("interface %d: its network namespace is gone or out of reach; its tc filter "
			"went with it\n", ifindex);
		goto registry;
	}
	if (rec->attached && clsact_filter_is_ours(&hook, handle, prio)) {
		LIBBPF_OPTS(bpf_tc_opts, opts, .handle = handle, .priority = prio);

		err = bpf_tc_detach(&hook, &opts);
		if (err == -ENOENT || err == -ENODEV || err == -EINVAL)
			err = 0;
	}
registry:
	if (!registry || !rec->registered)
		return err;
	users = registry_add(registry, &key, -1, false);
	if (users == 0 && ino == key.netns_ino && clsact_filter_count(ifindex) == 0) {
		/* faultline created this clsact and nothing is left on it: remove it */
		hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
		bpf_tc_hook_destroy(&hook);
	}
	return err;
}

int attach_remove(const struct state_record *rec, const char *link_pin, const char *registry_pin)
{
	int saved = -1, nsfd, err;

	err = shaping_remove(rec);
	if (err != 1)
		return err;
	if (rec->kind != STATE_REC_CLSACT) {
		/* a pinned link detaches when its last reference, the pin, goes */
		if (link_pin && unlink(link_pin) && errno != ENOENT)
			return -errno;
		return 0;
	}
	if (rec->netns[0]) {
		nsfd = open(rec->netns, O_RDONLY | O_CLOEXEC);
		if (nsfd >= 0) {
			if (netns_enter(nsfd, &saved))
				saved = -1;
			close(nsfd);
		}
	}
	err = remove_clsact(rec, registry_pin);
	if (saved >= 0)
		netns_leave(saved);
	return err;
}
