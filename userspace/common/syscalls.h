/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * System call names and numbers of this architecture (x86_64), from the UAPI header
 * <asm/unistd_64.h> at build time. In common/ because both the tracer's side (engine, cli) and
 * the plan format (abortWhen's syscall.NAME.p99) name syscalls.
 */
#ifndef FAULTLINE_SYSCALLS_H
#define FAULTLINE_SYSCALLS_H

/* The name of syscall nr ("read"), or NULL when it has none. */
const char *syscall_name(int nr);

/* The number of syscall name, or -1 when this architecture has none of that name. */
int syscall_nr(const char *name);

/* One past the highest number the table names: syscall_name() is NULL from there on. */
int syscall_nr_end(void);

#endif /* FAULTLINE_SYSCALLS_H */
