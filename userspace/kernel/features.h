/* SPDX-License-Identifier: GPL-2.0-only */
/* What this kernel supports, asked of the kernel itself. */
#ifndef FAULTLINE_PROBE_H
#define FAULTLINE_PROBE_H

/*
 * 0 when qdisc kind can be created here, else -errno (-ENOENT: not built, or its module not
 * loadable). Tried in a child, in a new and empty network namespace: nothing else changes.
 */
int qdisc_supported(const char *kind);

/* 1 when an IFB passes on packets a tc program redirects to it, 0 when it drops them, or -errno. */
int ifb_redirect_supported(void);

/* The same for packets a cls_bpf filter's act_mirred redirects to it (netem/mirred.h). */
int ifb_mirred_supported(void);

/*
 * How packets that wait on a device's ingress reach its IFB: bpf_redirect() from the tc program,
 * or act_mirred on a second filter (where the IFB drops bpf_redirect()ed ones: Debian's 6.1).
 */
enum ifb_path {
	IFB_PATH_AUTO, /* redirect where ifb_redirect_supported(), else mirred if it works */
	IFB_PATH_REDIRECT,
	IFB_PATH_MIRRED,
};

/* FAULTLINE_IFB_PATH=auto|redirect|mirred (default auto); -EINVAL for another value. */
int ifb_path_from_env(enum ifb_path *path);

#endif /* FAULTLINE_PROBE_H */
