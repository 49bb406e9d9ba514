/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The one error type of faultline's engine. Every engine function that can fail fills a
 * struct flt_error and returns a negative errno; its kind, not the errno, decides the exit status
 * (flt_exit_status). The message is lower-case and names the object and the cause; an error in a
 * plan also carries its position (file, line, column, field), and its message then reads
 * "file:line:col: field: what is wrong".
 */
#ifndef FAULTLINE_ERROR_H
#define FAULTLINE_ERROR_H

#include <stdarg.h>
#include <stddef.h>

enum flt_err_kind {
	FLT_ERR_NONE,
	FLT_ERR_INPUT,	    /* something the user gave is wrong: exit 2, nothing changed */
	FLT_ERR_TARGET,	    /* a target the plan names is not on this node: exit 2 */
	FLT_ERR_NOT_ACTIVE, /* no active plan of that name: exit 1 (README: revert NAME) */
	FLT_ERR_SYSTEM,	    /* the system failed (kernel, memory, privileges): exit 1 */
};

#define FLT_ERR_MSG_MAX 1024

struct flt_error {
	enum flt_err_kind kind;
	int errnum; /* the errno behind it, positive; 0 if none */
	char message[FLT_ERR_MSG_MAX];
	/* where in a plan, when the error is about one; line 0: no position */
	char file[256];
	unsigned int line;
	unsigned int column;
	char field[128]; /* spec.faults[1].match.ports[0] */
};

/*
 * Fill err (which may be NULL) and return -errnum, or -EINVAL when errnum is 0: a caller writes
 * `return flt_fail(err, FLT_ERR_INPUT, EINVAL, "plan %s: ...", name);`. The position is cleared.
 */
int flt_fail(struct flt_error *err, enum flt_err_kind kind, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
int flt_vfail(struct flt_error *err, enum flt_err_kind kind, int errnum, const char *fmt,
	      va_list ap);

/* An error at a position of a plan: message "file:line:col: field: what". */
int flt_fail_at(struct flt_error *err, const char *file, unsigned int line, unsigned int column,
		const char *field, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

void flt_error_clear(struct flt_error *err);

/* 0 for FLT_ERR_NONE, 2 for input and missing targets, 1 otherwise. */
int flt_exit_status(const struct flt_error *err);

#endif /* FAULTLINE_ERROR_H */
