/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A pod's namespace and name without the API server: kubelet keeps
 * /var/log/pods/NAMESPACE_NAME_UID/ for every pod of the node (the CRI log layout; namespaces
 * and names are DNS-1123, without '_', so the folder's name splits unambiguously). The folder
 * is $FAULTLINE_POD_LOG_DIR when set (tests), else /var/log/pods.
 */
#ifndef FAULTLINE_PODNAMES_H
#define FAULTLINE_PODNAMES_H

#include <stddef.h>

#include "common/error.h"

#define POD_UID_MAX 40	 /* 36 characters and the NUL */
#define POD_NS_MAX 64	 /* a DNS-1123 label: 63 characters */
#define POD_NAME_MAX 254 /* a DNS-1123 subdomain: 253 characters */

struct pod_name {
	char uid[POD_UID_MAX];
	char ns[POD_NS_MAX];
	char name[POD_NAME_MAX];
};

/* The folder read: $FAULTLINE_POD_LOG_DIR or /var/log/pods. */
const char *pod_log_dir(void);

/*
 * Split one folder name NAMESPACE_NAME_UID into out. 0, or -EINVAL for a name that is not of
 * that form (a namespace or name that is not DNS-1123, a malformed UID).
 */
int pod_name_parse(const char *dirname, struct pod_name *out);

/* The namespace and name of pod uid: 0, -ENOENT when no folder names it. */
int pod_name_of(const char *uid, struct pod_name *out);

/*
 * The pods of namespace ns whose name matches glob (fnmatch(3), no flags; a plain name matches
 * itself), sorted by namespace then name; *out malloc'ed (NULL and 0 when none matches). 0, or
 * -errno with err set (FLT_ERR_SYSTEM: the folder cannot be read; a missing folder is no pods).
 */
int pod_names_match(const char *ns, const char *glob, struct pod_name **out, size_t *n,
		    struct flt_error *err);

#endif /* FAULTLINE_PODNAMES_H */
