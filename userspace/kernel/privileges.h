/* SPDX-License-Identifier: GPL-2.0-only */
/* The capabilities faultline needs, checked before it touches anything. */
#ifndef FAULTLINE_PRIVILEGES_H
#define FAULTLINE_PRIVILEGES_H

#include <stddef.h>

/*
 * 1 when this process lacks CAP_BPF, CAP_NET_ADMIN, CAP_SYS_ADMIN or CAP_SYS_PTRACE, with
 * missing listing them and what each is for ("CAP_BPF (to load programs and maps), ..."); else 0.
 */
int privileges_missing(char *missing, size_t len);

#endif /* FAULTLINE_PRIVILEGES_H */
