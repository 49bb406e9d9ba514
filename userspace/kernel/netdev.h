/* SPDX-License-Identifier: GPL-2.0-only */
/* Network interfaces and namespaces, over rtnetlink with libnl-route-3. */
#ifndef FAULTLINE_LINKS_H
#define FAULTLINE_LINKS_H

#include <net/if.h>
#include <stddef.h>

struct netdev_entry {
	int ifindex;
	char name[IF_NAMESIZE];
};

/* Move this thread into the netns of fd; *saved gets an fd on the previous one. */
int netns_enter(int fd, int *saved);
/* Return to saved (from netns_enter) and close it. */
int netns_leave(int saved);

/* ifindex of ifname in the netns of netns_fd (-1: the caller's). -ENODEV if absent. */
int netdev_ifindex(int netns_fd, const char *ifname, int *ifindex);

/* The veth peer of ifname in netns_fd: its ifindex in the peer's netns. -EINVAL if not a veth. */
int netdev_veth_peer(int netns_fd, const char *ifname, int *peer_ifindex);

/*
 * True (1) when ifindex in the caller's netns is a veth whose peer is peer_ifindex in
 * the namespace of peer_netns_fd (checked through IFLA_LINK_NETNSID, since ifindexes repeat
 * across namespaces); then name, if not NULL, gets ifindex's name (IF_NAMESIZE bytes).
 * 0 when not, another -errno on failure.
 */
int netdev_is_veth_peer_in(int ifindex, int peer_netns_fd, int peer_ifindex, char *name);

/* Every interface of netns_fd's namespace but loopback; *links malloc'ed. */
int netdev_list(int netns_fd, struct netdev_entry **links, size_t *n);

#endif /* FAULTLINE_LINKS_H */
