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

#endif /* FAULTLINE_PROBE_H */
