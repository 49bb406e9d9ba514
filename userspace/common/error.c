// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/error.h"

void flt_error_clear(struct flt_error *err)
{
	if (err)
		memset(err, 0, sizeof(*err));
}

int flt_vfail(struct flt_error *err, enum flt_err_kind kind, int errnum, const char *fmt,
	      va_list ap)
{
	if (errnum < 0)
		errnum = -errnum;
	if (!errnum)
		errnum = EINVAL;
	if (err) {
		flt_error_clear(err);
		err->kind = kind;
		err->errnum = errnum;
		vsnprintf(err->message, sizeof(err->message), fmt, ap);
	}
	return -errnum;
}

int flt_fail(struct flt_error *err, enum flt_err_kind kind, int errnum, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = flt_vfail(err, kind, errnum, fmt, ap);
	va_end(ap);
	return ret;
}

int flt_fail_at(struct flt_error *err, const char *file, unsigned int line, unsigned int column,
		const char *field, const char *fmt, ...)
{
	char what[FLT_ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (!err)
		return -EINVAL;
	flt_error_clear(err);
	err->kind = FLT_ERR_INPUT;
	err->errnum = EINVAL;
	snprintf(err->file, sizeof(err->file), "%s", file ? file : "");
	err->line = line;
	err->column = column;
	snprintf(err->field, sizeof(err->field), "%s", field ? field : "");
	if (field && *field)
		snprintf(err->message, sizeof(err->message), "%s:%u:%u: %s: %s", err->file, line,
			 column, field, what);
	else
		snprintf(err->message, sizeof(err->message), "%s:%u:%u: %s", err->file, line,
			 column, what);
	return -EINVAL;
}

int flt_exit_status(const struct flt_error *err)
{
	switch (err->kind) {
	case FLT_ERR_NONE:
		return 0;
	case FLT_ERR_INPUT:
	case FLT_ERR_TARGET:
		return 2;
	default:
		return 1;
	}
}
