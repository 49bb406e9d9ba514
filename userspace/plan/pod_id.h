/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A pod as a plan (or a trace TARGET) names it: a UID, NAMESPACE/NAME or NAMESPACE/GLOB, with
 * Kubernetes' name rules. The engine turns names into UIDs (engine_expand_pods); the kernel
 * layer's kubelet folder names (kernel/podnames.c) follow the same rules.
 */
#ifndef FAULTLINE_POD_ID_H
#define FAULTLINE_POD_ID_H

#include <stdbool.h>
#include <stddef.h>

#define DNS1123_LABEL_MAX 63	  /* a namespace */
#define DNS1123_SUBDOMAIN_MAX 253 /* a pod name */

/*
 * A UID (check_pod_uid), NAMESPACE/NAME, or NAMESPACE/GLOB (the name as fnmatch(3) takes it:
 * * ? [...] [!...]). 0 or -EINVAL with *why (a reason quoting s, valid until the next check).
 */
int check_pod_id(const char *s, const char **why);

/* Whether a pod id's name is a glob (has * ? [ or ]). */
bool pod_glob(const char *s);

/* Kubernetes' DNS-1123 label and subdomain, of len characters of s. */
bool dns1123_label(const char *s, size_t len);
bool dns1123_subdomain(const char *s, size_t len);

#endif /* FAULTLINE_POD_ID_H */
