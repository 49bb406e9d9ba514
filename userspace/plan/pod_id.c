// SPDX-License-Identifier: GPL-2.0-only
/* Pod ids of a plan: UID, NAMESPACE/NAME, NAMESPACE/GLOB (plan/pod_id.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "plan/pod_id.h"
#include "plan/values.h"

/* Reasons that quote the input; one buffer per thread, as values.c's. */
static __thread char why_buf[2 * QUOTE_VALUE_LEN + 200];

static int fail(const char **why, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(const char **why, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why_buf, sizeof(why_buf), fmt, ap);
	va_end(ap);
	*why = why_buf;
	return err;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || is_digit(c);
}

bool dns1123_label(const char *s, size_t len)
{
	size_t i;

	if (!len || len > DNS1123_LABEL_MAX || !is_lower_alnum(s[0]) ||
	    !is_lower_alnum(s[len - 1]))
		return false;
	for (i = 0; i < len; i++)
		if (!is_lower_alnum(s[i]) && s[i] != '-')
			return false;
	return true;
}

bool dns1123_subdomain(const char *s, size_t len)
{
	size_t start = 0, i;

	if (!len || len > DNS1123_SUBDOMAIN_MAX)
		return false;
	for (i = 0; i <= len; i++) {
		if (i < len && s[i] != '.')
			continue;
		/* each dot-separated part is a label; only the whole has the 253 limit */
		if (i == start || !is_lower_alnum(s[start]) || !is_lower_alnum(s[i - 1]) ||
		    strspn(s + start, "abcdefghijklmnopqrstuvwxyz0123456789-") < i - start)
			return false;
		start = i + 1;
	}
	return true;
}

bool pod_glob(const char *s)
{
	return strpbrk(s, "*?[]") != NULL;
}

/* The name part of NAMESPACE/GLOB: a pod name's characters and fnmatch(3)'s * ? [...] [!...]. */
static int check_pod_glob(const char *id, const char *glob, const char **why)
{
	char quoted[QUOTE_VALUE_LEN];
	bool in_set = false;
	size_t i;

	for (i = 0; glob[i]; i++) {
		char c = glob[i];

		if (c == '[' && !in_set) {
			in_set = true;
			if (glob[i + 1] == '!' || glob[i + 1] == '^')
				i++;
			continue;
		}
		if (c == ']' && in_set) {
			in_set = false;
			continue;
		}
		if (c == ']')
			return fail(why, -EINVAL, "%s: ']' without its '['",
				    quote_value(id, quoted, sizeof(quoted)));
		if (c == '*' || c == '?' || c == '.' || c == '-' || is_lower_alnum(c))
			continue;
		return fail(why, -EINVAL,
			    "%s: the name is not a glob of a pod name: use a-z, 0-9, '-', '.' and "
			    "* ? [ ]",
			    quote_value(id, quoted, sizeof(quoted)));
	}
	if (in_set)
		return fail(why, -EINVAL, "%s: '[' without its ']'",
			    quote_value(id, quoted, sizeof(quoted)));
	return 0;
}

int check_pod_id(const char *s, const char **why)
{
	const char *slash = strchr(s, '/');
	char quoted[QUOTE_VALUE_LEN];
	size_t ns_len;

	if (!slash) {
		/* hex digits and dashes: meant as a UID, said as check_pod_uid says it */
		if (*s && strspn(s, "0123456789abcdefABCDEF-") == strlen(s))
			return check_pod_uid(s, why);
		return fail(why, -EINVAL,
			    "%s is not a pod: expected a pod uid, NAMESPACE/NAME or NAMESPACE/GLOB%s%s",
			    quote_value(s, quoted, sizeof(quoted)),
			    dns1123_subdomain(s, strlen(s)) ? ", e.g. default/" : "",
			    dns1123_subdomain(s, strlen(s)) ? s : "");
	}
	ns_len = (size_t)(slash - s);
	if (strchr(slash + 1, '/'))
		return fail(why, -EINVAL,
			    "%s is not a pod: expected a pod uid, NAMESPACE/NAME or NAMESPACE/GLOB, "
			    "with one '/'",
			    quote_value(s, quoted, sizeof(quoted)));
	if (!dns1123_label(s, ns_len))
		return fail(why, -EINVAL,
			    "%s: the namespace is not a DNS-1123 label (a-z, 0-9 and '-', at most %d "
			    "characters)%s",
			    quote_value(s, quoted, sizeof(quoted)), DNS1123_LABEL_MAX,
			    strcspn(s, "*?[]") < ns_len ? ": globs match pod names, not namespaces"
							: "");
	if (!slash[1])
		return fail(why, -EINVAL,
			    "%s: no pod name after '/': expected NAMESPACE/NAME or NAMESPACE/GLOB",
			    quote_value(s, quoted, sizeof(quoted)));
	if (pod_glob(slash + 1))
		return check_pod_glob(s, slash + 1, why);
	if (!dns1123_subdomain(slash + 1, strlen(slash + 1)))
		return fail(why, -EINVAL,
			    "%s: the name is not a DNS-1123 subdomain (a-z, 0-9, '-' and '.', at "
			    "most %d characters)",
			    quote_value(s, quoted, sizeof(quoted)), DNS1123_SUBDOMAIN_MAX);
	return 0;
}

