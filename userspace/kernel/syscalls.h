/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * System call names and numbers of this architecture (x86_64), from the UAPI header
 * <asm/unistd_64.h> at build time.
 */
#ifndef FAULTLINE_SYSCALLS_H
#define FAULTLINE_SYSCALLS_H

/* The name of syscall nr ("read"), or NULL when it has none. */
const char *syscall_name(int nr);

/* The number of syscall name, or -1 when this architecture has none of that name. */
int syscall_nr(const char *name);

#endif /* FAULTLINE_SYSCALLS_H */
