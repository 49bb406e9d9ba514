// SPDX-License-Identifier: GPL-2.0-only
/*
 * Pods by name from kubelet's log folders (/var/log/pods/NAMESPACE_NAME_UID/): the CRI log
 * layout that kubelet keeps for every pod of the node (kuberuntime's BuildPodLogsDirectory).
 * Namespaces and names are DNS-1123, which has no '_': a folder name splits in exactly three.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/podnames.h"
#include "plan/pod_id.h"

#define UUID_LEN 36
#define STATIC_UID_LEN 32 /* a static pod's UID: an MD5 hash of its manifest */

const char *pod_log_dir(void)
{
	const char *d = getenv("FAULTLINE_POD_LOG_DIR");

	return d && *d ? d : "/var/log/pods";
}

static bool is_lower_hex(char c)
{
	return (c >= 'a' && c <= 'f') || (c >= '0' && c <= '9');
}

/*
 * A UID as kubelet writes it in the folder name (the API server's, lower case): a UUID, or a
 * static pod's 32 hex digits; the forms kernel/pods.c finds cgroups by.
 */
static bool pod_uid_ok(const char *s, size_t len)
{
	size_t i;

	if (len == STATIC_UID_LEN) {
		for (i = 0; i < len; i++)
			if (!is_lower_hex(s[i]))
				return false;
		return true;
	}
	if (len != UUID_LEN)
		return false;
	for (i = 0; i < len; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? s[i] != '-' : !is_lower_hex(s[i]))
			return false;
	}
	return true;
}

int pod_name_parse(const char *dirname, struct pod_name *out)
{
	const char *first = strchr(dirname, '_');
	const char *second = first ? strchr(first + 1, '_') : NULL;
	size_t ns_len, name_len, uid_len;

	if (!second || strchr(second + 1, '_'))
		return -EINVAL;
	ns_len = (size_t)(first - dirname);
	name_len = (size_t)(second - first - 1);
	uid_len = strlen(second + 1);
	if (!dns1123_label(dirname, ns_len) || !dns1123_subdomain(first + 1, name_len) ||
	    !pod_uid_ok(second + 1, uid_len))
		return -EINVAL;
	memcpy(out->ns, dirname, ns_len);
	out->ns[ns_len] = '\0';
	memcpy(out->name, first + 1, name_len);
	out->name[name_len] = '\0';
	memcpy(out->uid, second + 1, uid_len + 1);
	return 0;
}

typedef bool (*pod_name_want)(const struct pod_name *pod, const void *arg);

/*
 * The folders of pod_log_dir() that want() takes, appended to *out. A folder that is missing
 * is no pods (a node without kubelet); any other failure to read it is -errno.
 */
static int scan(pod_name_want want, const void *arg, struct pod_name **out, size_t *n)
{
	struct pod_name pod, *grown;
	struct dirent *de;
	size_t cap = *n;
	DIR *dir;
	int ret = 0;

	dir = opendir(pod_log_dir());
	if (!dir)
		return errno == ENOENT ? 0 : -errno;
	for (errno = 0; (de = readdir(dir)); errno = 0) {
		if (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN && de->d_type != DT_LNK)
			continue;
		if (pod_name_parse(de->d_name, &pod) || !want(&pod, arg))
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 8;
			grown = realloc(*out, cap * sizeof(*grown));
			if (!grown) {
				ret = -ENOMEM;
				break;
			}
			*out = grown;
		}
		(*out)[(*n)++] = pod;
	}
	if (!ret && errno)
		ret = -errno;
	closedir(dir);
	return ret;
}

static bool same_uid(const struct pod_name *pod, const void *arg)
{
	return !strcmp(pod->uid, arg);
}

int pod_name_of(const char *uid, struct pod_name *out)
{
	struct pod_name *found = NULL;
	char lower[POD_UID_MAX];
	size_t n = 0, i;
	int ret;

	/* kernel/pods.c takes a UID in either case; the folder has it in lower case */
	for (i = 0; uid && uid[i] && i < sizeof(lower) - 1; i++)
		lower[i] = (char)tolower((unsigned char)uid[i]);
	if (!uid || uid[i] || !pod_uid_ok(lower, i))
		return -ENOENT;
	lower[i] = '\0';
	ret = scan(same_uid, lower, &found, &n);
	if (!ret && !n)
		ret = -ENOENT;
	if (!ret)
		*out = found[0];
	free(found);
	return ret;
}

struct name_glob {
	const char *ns;
	const char *glob;
};

static bool matches(const struct pod_name *pod, const void *arg)
{
	const struct name_glob *g = arg;

	return !strcmp(pod->ns, g->ns) && !fnmatch(g->glob, pod->name, 0);
}

static int by_name(const void *a, const void *b)
{
	const struct pod_name *x = a, *y = b;
	int c = strcmp(x->ns, y->ns);

	c = c ?: strcmp(x->name, y->name);
	/* a pod deleted and made again under its name: two folders until kubelet's cleanup */
	return c ?: strcmp(x->uid, y->uid);
}

int pod_names_match(const char *ns, const char *glob, struct pod_name **out, size_t *n,
		    struct flt_error *err)
{
	struct name_glob g = { .ns = ns, .glob = glob };
	int ret;

	*out = NULL;
	*n = 0;
	ret = scan(matches, &g, out, n);
	if (ret) {
		free(*out);
		*out = NULL;
		*n = 0;
		return flt_fail(err, FLT_ERR_SYSTEM, -ret, "pod log folder %s: cannot read it: %s",
				pod_log_dir(), strerror(-ret));
	}
	if (*n > 1)
		qsort(*out, *n, sizeof(**out), by_name);
	return 0;
}
