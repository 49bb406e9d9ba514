// SPDX-License-Identifier: GPL-2.0-only
/*
 * IFB devices over rtnetlink with libmnl, as `ip link add NAME up type ifb` and `ip link del`.
 * A device is deleted only once the kernel confirms it is an IFB: an ifindex that was reused for
 * another device after faultline's went away is left alone.
 */
#include <errno.h>
#include <net/if.h>
#include <stdbool.h>
#include <string.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>

#include "ifb.h"
#include "nlreq.h"

#define IFB_MSG_SIZE 512

static struct nlmsghdr *link_msg_start(char *buf, uint16_t type, uint16_t nlm_flags, int ifindex)
{
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifm;

	memset(buf, 0, IFB_MSG_SIZE);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | nlm_flags;
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	ifm->ifi_index = ifindex;
	return nlh;
}

static int link_delete_by_name(const char *name)
{
	char buf[IFB_MSG_SIZE];
	struct nlmsghdr *nlh;

	nlh = link_msg_start(buf, RTM_DELLINK, 0, 0);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	return nlreq_run(nlh, NULL, NULL);
}

int ifb_create(const char *name, int *ifindex)
{
	char buf[IFB_MSG_SIZE];
	struct nlattr *linkinfo;
	struct ifinfomsg *ifm;
	struct nlmsghdr *nlh;
	unsigned int index;
	int err;

	if (!name || !*name || strlen(name) >= IFNAMSIZ)
		return -EINVAL;
	nlh = link_msg_start(buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, 0);
	/* Up from the start: rtnl_newlink_create() applies the flags before it answers. */
	ifm = mnl_nlmsg_get_payload(nlh);
	ifm->ifi_flags = IFF_UP;
	ifm->ifi_change = IFF_UP;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	linkinfo = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "ifb");
	mnl_attr_nest_end(nlh, linkinfo);
	err = nlreq_run(nlh, NULL, NULL);
	if (err)
		return err;

	index = if_nametoindex(name);
	if (!index) {
		err = -errno;
		link_delete_by_name(name);
		return err;
	}
	*ifindex = (int)index;
	return 0;
}

struct kind_query {
	char kind[IFNAMSIZ];
	bool found;
};

static int linkinfo_cb(const struct nlattr *attr, void *data)
{
	struct kind_query *q = data;

	if (mnl_attr_get_type(attr) == IFLA_INFO_KIND &&
	    mnl_attr_validate(attr, MNL_TYPE_STRING) == 0) {
		/* A string attribute: NUL-terminated or not, as its sender chose. */
		size_t len = mnl_attr_get_payload_len(attr);

		if (len >= sizeof(q->kind))
			len = sizeof(q->kind) - 1;
		memcpy(q->kind, mnl_attr_get_payload(attr), len);
		q->kind[len] = '\0';
	}
	return MNL_CB_OK;
}

static int link_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *attr;

	if (nlh->nlmsg_type != RTM_NEWLINK)
		return MNL_CB_OK;
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(struct ifinfomsg)) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	((struct kind_query *)data)->found = true;
	mnl_attr_for_each(attr, nlh, sizeof(struct ifinfomsg)) {
		if (mnl_attr_get_type(attr) == IFLA_LINKINFO &&
		    mnl_attr_validate(attr, MNL_TYPE_NESTED) == 0)
			mnl_attr_parse_nested(attr, linkinfo_cb, data);
	}
	return MNL_CB_OK;
}

int ifb_kind_parse(const void *buf, size_t len, char kind[IFNAMSIZ], bool *found)
{
	struct kind_query q = {0};
	int ret = nlreq_parse(buf, len, 0, 0, link_cb, &q);

	memcpy(kind, q.kind, sizeof(q.kind));
	*found = q.found;
	return ret;
}

int ifb_delete(int ifindex)
{
	struct kind_query q = {0};
	char buf[IFB_MSG_SIZE];
	struct nlmsghdr *nlh;
	int err;

	if (ifindex <= 0)
		return -ENODEV;
	nlh = link_msg_start(buf, RTM_GETLINK, 0, ifindex);
	err = nlreq_run(nlh, link_cb, &q);
	if (err)
		return err;
	if (!q.found)
		return -ENODEV;
	if (strcmp(q.kind, "ifb"))
		return -EINVAL;
	nlh = link_msg_start(buf, RTM_DELLINK, 0, ifindex);
	return nlreq_run(nlh, NULL, NULL);
}
