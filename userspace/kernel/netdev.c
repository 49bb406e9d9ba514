// SPDX-License-Identifier: GPL-2.0-only
/*
 * Network interfaces and namespaces over rtnetlink (libnl-route-3).
 *
 * A netlink socket belongs to the network namespace it was created in, whatever namespace its
 * user moves to later (net/netlink/af_netlink.c, sock_net()). So each query in another
 * namespace enters it with setns() just long enough to create its socket, and returns at once:
 * the calling thread spends no time in a foreign namespace. sysfs is never read, since
 * /sys/class/net shows the namespace of whoever mounted /sys, not the thread's.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/net_namespace.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <netlink/netlink.h>
#include <netlink/msg.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>

#include "kernel/netdev.h"

/* libnl returns -NLE_* codes; the rest of faultline speaks -errno. */
static int nl_errno(int nlerr)
{
	switch (nlerr < 0 ? -nlerr : nlerr) {
	case 0:
		return 0;
	case NLE_NOMEM:
		return -ENOMEM;
	case NLE_EXIST:
		return -EEXIST;
	case NLE_INVAL:
	case NLE_ATTRSIZE:
		return -EINVAL;
	case NLE_RANGE:
		return -ERANGE;
	case NLE_OPNOTSUPP:
	case NLE_MSGTYPE_NOSUPPORT:
		return -EOPNOTSUPP;
	case NLE_AF_NOSUPPORT:
		return -EAFNOSUPPORT;
	case NLE_OBJ_NOTFOUND: /* the kernel's ENODEV for RTM_GETLINK, via nl_syserr2nlerr */
	case NLE_NODEV:
		return -ENODEV;
	case NLE_BUSY:
		return -EBUSY;
	case NLE_NOACCESS:
		return -EACCES;
	case NLE_PERM:
		return -EPERM;
	case NLE_AGAIN:
		return -EAGAIN;
	case NLE_INTR:
		return -EINTR;
	case NLE_BAD_SOCK:
		return -EBADF;
	default:
		return -EIO;
	}
}

int netns_enter(int fd, int *saved)
{
	int cur, err;

	/* thread-self: setns(CLONE_NEWNET) moves only the calling thread. */
	cur = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (cur < 0)
		return -errno;
	if (setns(fd, CLONE_NEWNET)) {
		err = -errno;
		close(cur);
		return err;
	}
	*saved = cur;
	return 0;
}

int netns_leave(int saved)
{
	int err = 0;

	if (setns(saved, CLONE_NEWNET))
		err = -errno;
	close(saved);
	return err;
}

/* An rtnetlink socket in netns_fd's namespace (-1: the caller's). */
static int rtnl_open(int netns_fd, struct nl_sock **out)
{
	struct nl_sock *sk;
	int saved = -1, err, leave_err;

	sk = nl_socket_alloc();
	if (!sk)
		return -ENOMEM;
	if (netns_fd >= 0) {
		err = netns_enter(netns_fd, &saved);
		if (err)
			goto fail;
	}
	err = nl_errno(nl_connect(sk, NETLINK_ROUTE));
	if (saved >= 0) {
		leave_err = netns_leave(saved);
		if (!err)
			err = leave_err;
	}
	if (err)
		goto fail;
	*out = sk;
	return 0;
fail:
	nl_socket_free(sk);
	return err;
}

/* RTM_GETLINK for one interface, by ifindex (> 0) or by name. */
static int link_get(int netns_fd, int ifindex, const char *ifname, struct rtnl_link **link)
{
	struct nl_sock *sk;
	int err;

	if (ifname && strlen(ifname) >= IF_NAMESIZE)
		return -EINVAL;
	err = rtnl_open(netns_fd, &sk);
	if (err)
		return err;
	err = nl_errno(rtnl_link_get_kernel(sk, ifname ? 0 : ifindex, ifname, link));
	nl_socket_free(sk);
	return err;
}

int netdev_ifindex(int netns_fd, const char *ifname, int *ifindex)
{
	struct rtnl_link *link;
	int err;

	err = link_get(netns_fd, 0, ifname, &link);
	if (err)
		return err;
	*ifindex = rtnl_link_get_ifindex(link);
	rtnl_link_put(link);
	return 0;
}

int netdev_veth_peer(int netns_fd, const char *ifname, int *peer_ifindex)
{
	struct rtnl_link *link;
	int err = 0;

	err = link_get(netns_fd, 0, ifname, &link);
	if (err)
		return err;
	/* A veth reports its peer's ifindex (in the peer's netns) as IFLA_LINK: veth_get_iflink().
	 */
	if (!rtnl_link_is_veth(link) || rtnl_link_get_link(link) <= 0)
		err = -EINVAL;
	else
		*peer_ifindex = rtnl_link_get_link(link);
	rtnl_link_put(link);
	return err;
}

static int nsid_parse(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[NETNSA_MAX + 1];
	int *nsid = arg;

	if (nlmsg_parse(nlmsg_hdr(msg), sizeof(struct rtgenmsg), tb, NETNSA_MAX, NULL) < 0)
		return NL_SKIP;
	if (tb[NETNSA_NSID])
		*nsid = nla_get_s32(tb[NETNSA_NSID]);
	return NL_OK;
}

/*
 * The id by which the caller's namespace knows netns_fd's (RTM_GETNSID, net/core/net_namespace.c):
 * what IFLA_LINK_NETNSID of a link in the caller's namespace holds when its peer lives there.
 * -ENOENT when the caller's namespace has assigned it none. libnl 3.7 has no call for this.
 */
static int netns_id(int netns_fd, int *nsid)
{
	struct rtgenmsg hdr = {.rtgen_family = AF_UNSPEC};
	struct nl_msg *msg = NULL;
	struct nl_sock *sk;
	int err, id = NETNSA_NSID_NOT_ASSIGNED;

	err = rtnl_open(-1, &sk);
	if (err)
		return err;
	msg = nlmsg_alloc_simple(RTM_GETNSID, NLM_F_REQUEST);
	if (!msg) {
		err = -ENOMEM;
		goto out;
	}
	err = nl_errno(nlmsg_append(msg, &hdr, sizeof(hdr), NLMSG_ALIGNTO));
	if (!err)
		err = nl_errno(nla_put_u32(msg, NETNSA_FD, netns_fd));
	if (!err)
		err = nl_errno(nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM, nsid_parse, &id));
	nl_socket_disable_auto_ack(sk); /* the reply is the answer: no ACK to wait for */
	if (!err) {
		err = nl_send_auto(sk, msg);
		err = err < 0 ? nl_errno(err) : 0;
	}
	if (!err)
		err = nl_errno(nl_recvmsgs_default(sk));
	if (!err && id == NETNSA_NSID_NOT_ASSIGNED)
		err = -ENOENT;
	if (!err)
		*nsid = id;
out:
	nlmsg_free(msg);
	nl_socket_free(sk);
	return err;
}

/* True (1) when fd is the calling thread's own network namespace. */
static int netns_is_current(int fd)
{
	struct stat a, b;

	if (fstat(fd, &a) || stat("/proc/thread-self/ns/net", &b))
		return -errno;
	return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/*
 * Whether the veth link's peer lives in netns_fd's namespace. ifindexes repeat across
 * namespaces (every pod's eth0 may be 2), so IFLA_LINK alone proves nothing. A peer in another
 * namespace shows as IFLA_LINK_NETNSID, allocated when the kernel reports the link
 * (rtnl_fill_link_netnsid, peernet2id_alloc); a peer in the same namespace shows none.
 */
static int veth_peer_netns_is(struct rtnl_link *link, int netns_fd)
{
	int32_t link_nsid;
	bool elsewhere = !rtnl_link_get_link_netnsid(link, &link_nsid);
	int current, nsid = NETNSA_NSID_NOT_ASSIGNED, err;

	current = netns_is_current(netns_fd);
	if (current < 0)
		return current;
	if (current)
		return !elsewhere;
	if (!elsewhere)
		return 0;
	err = netns_id(netns_fd, &nsid);
	if (err == -ENOENT)
		return 0; /* no id assigned: no link of ours can point there */
	if (err)
		return err;
	return nsid == link_nsid;
}

int netdev_is_veth_peer_in(int ifindex, int peer_netns_fd, int peer_ifindex, char *name)
{
	struct rtnl_link *link;
	int ret;

	if (ifindex <= 0)
		return 0;
	ret = link_get(-1, ifindex, NULL, &link);
	if (ret)
		return ret == -ENODEV ? 0 : ret;
	if (rtnl_link_is_veth(link) && rtnl_link_get_link(link) == peer_ifindex)
		ret = peer_netns_fd < 0 ? 1 : veth_peer_netns_is(link, peer_netns_fd);
	if (ret == 1 && name)
		snprintf(name, IF_NAMESIZE, "%s", rtnl_link_get_name(link));
	rtnl_link_put(link);
	return ret;
}

int netdev_list(int netns_fd, struct netdev_entry **links, size_t *n)
{
	struct netdev_entry *out = NULL;
	struct nl_cache *cache = NULL;
	struct nl_object *obj;
	struct nl_sock *sk;
	size_t count = 0;
	int err;

	err = rtnl_open(netns_fd, &sk);
	if (err)
		return err;
	err = nl_errno(rtnl_link_alloc_cache(sk, AF_UNSPEC, &cache));
	if (err)
		goto out;
	out = calloc(nl_cache_nitems(cache) + 1, sizeof(*out));
	if (!out) {
		err = -ENOMEM;
		goto out;
	}
	for (obj = nl_cache_get_first(cache); obj; obj = nl_cache_get_next(obj)) {
		struct rtnl_link *link = (struct rtnl_link *)obj;

		if (rtnl_link_get_arptype(link) == ARPHRD_LOOPBACK ||
		    (rtnl_link_get_flags(link) & IFF_LOOPBACK))
			continue;
		out[count].ifindex = rtnl_link_get_ifindex(link);
		snprintf(out[count].name, sizeof(out[count].name), "%s", rtnl_link_get_name(link));
		count++;
	}
	*links = out;
	*n = count;
	out = NULL;
out:
	free(out);
	nl_cache_free(cache);
	nl_socket_free(sk);
	return err;
}
