/* SPDX-License-Identifier: GPL-2.0-only */
/* Logging: warnings always, info unless quiet, debug (and libbpf's own output) only with -d. */
#ifndef FAULTLINE_LOG_H
#define FAULTLINE_LOG_H

#include <stdbool.h>

enum log_level { LOG_WARN, LOG_INFO, LOG_DEBUG };

void log_setup(bool debug); /* also routes libbpf's messages, demoted one level */
void log_print(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define pr_warn(...) log_print(LOG_WARN, __VA_ARGS__)
#define pr_info(...) log_print(LOG_INFO, __VA_ARGS__)
#define pr_debug(...) log_print(LOG_DEBUG, __VA_ARGS__)

#endif /* FAULTLINE_LOG_H */
