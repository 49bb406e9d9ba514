// SPDX-License-Identifier: GPL-2.0-only
/* The logging layer: faultline's messages and libbpf's, demoted one level. */
#include <stdarg.h>
#include <stdio.h>

#include <bpf/libbpf.h>

#include "common/log.h"

static bool log_debug_enabled;

void log_print(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	if (level == LOG_DEBUG && !log_debug_enabled)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

/*
 * libbpf warns about things faultline handles itself (a probe that fails on an old kernel, the
 * verifier log of a program it then reports): its output is shown only with -d.
 */
static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	if (!log_debug_enabled)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

void log_setup(bool debug)
{
	log_debug_enabled = debug;
	libbpf_set_print(libbpf_print);
}
