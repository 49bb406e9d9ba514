// SPDX-License-Identifier: GPL-2.0-only
/*
 * Loading a fault plan: the file read whole (bounded), libyaml's document API building the
 * node tree (JSON reads as YAML flow style), then schema.c's walk of it. The first problem
 * found stops everything and becomes the one error: FILE:LINE:COL: FIELD: what is wrong.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <yaml.h>

#include "common/error.h"
#include "plan/plan.h"
#include "plan/schema.h"
#include "plan/walk.h"

#define PLAN_FILE_MAX_BYTES (1 << 20) /* far above any real plan; bounds what we read */

/* Line and column of a byte offset, for libyaml's reader errors, which carry only the offset. */
static yaml_mark_t mark_of_offset(const char *text, size_t len, size_t offset)
{
	yaml_mark_t mark = {};
	size_t i;

	for (i = 0; i < offset && i < len; i++) {
		if (text[i] == '\n') {
			mark.line++;
			mark.column = 0;
		} else if (((unsigned char)text[i] & 0xc0) != 0x80) {
			mark.column++;
		}
	}
	return mark;
}

/* The byte at a mark (whose column counts characters, not bytes); -1 past the end. */
static int char_at_mark(const char *text, size_t len, yaml_mark_t mark)
{
	size_t i = 0, line = 0, column = 0;

	for (; i < len && line < mark.line; i++)
		line += text[i] == '\n';
	for (; i < len && text[i] != '\n'; i++) {
		if (((unsigned char)text[i] & 0xc0) == 0x80)
			continue;
		if (column++ == mark.column)
			return (unsigned char)text[i];
	}
	return -1;
}

static int report_yaml_error(struct parser *p, const yaml_parser_t *yp, const char *text,
			     size_t len)
{
	const char *problem = yp->problem ? yp->problem : "cannot parse";
	yaml_mark_t mark = yp->problem_mark;
	char context[128] = "", detail[64] = "";

	if (yp->error == YAML_MEMORY_ERROR)
		return fail_out_of_memory(p);
	if (yp->error == YAML_READER_ERROR) {
		mark = mark_of_offset(text, len, yp->problem_offset);
		if (yp->problem_value != -1)
			snprintf(detail, sizeof(detail), " (byte 0x%02x)",
				 yp->problem_value & 0xff);
	} else if (char_at_mark(text, len, mark) == '\t') {
		snprintf(detail, sizeof(detail), ": tabs cannot indent yaml, use spaces");
	}
	if (yp->context &&
	    (yp->context_mark.line != mark.line || yp->context_mark.column != mark.column))
		snprintf(context, sizeof(context), " %s that started at line %zu", yp->context,
			 yp->context_mark.line + 1);
	return report_at(p, mark, "yaml", "%s%s%s", problem, context, detail);
}

void plan_free(struct plan *plan)
{
	size_t i, j;

	if (!plan)
		return;
	for (i = 0; i < plan->ntargets; i++) {
		for (j = 0; j < plan->targets[i].nids; j++) {
			free(plan->targets[i].ids[j].id);
			free(plan->targets[i].ids[j].pattern);
		}
		free(plan->targets[i].ids);
		free(plan->targets[i].name);
	}
	/* targets beyond ntargets are zeroed by calloc, except the one that failed mid-way */
	free(plan->targets);
	for (i = 0; i < plan->nfaults; i++) {
		free(plan->faults[i].name);
		free(plan->faults[i].cidrs);
		free(plan->faults[i].ports);
		free(plan->faults[i].local_ports);
	}
	free(plan->faults);
	for (i = 0; i < plan->nobserved; i++) {
		free(plan->observed[i].id);
		free(plan->observed[i].pattern);
	}
	free(plan->observed);
	for (i = 0; i < plan->nconditions; i++)
		free(plan->conditions[i].metric_name);
	free(plan->conditions);
	free(plan->name);
	free(plan->file);
	memset(plan, 0, sizeof(*plan));
}

/* One document, the only one: a second would be ignored silently, so it is refused. */
static int load_document(struct parser *p, yaml_parser_t *yp, yaml_document_t *doc,
			 const char *text, size_t len, const char *what)
{
	yaml_document_t extra;
	int ret = 0;

	if (!yaml_parser_load(yp, doc))
		return report_yaml_error(p, yp, text, len);
	if (!yaml_document_get_root_node(doc))
		return 0;
	if (!yaml_parser_load(yp, &extra)) {
		ret = report_yaml_error(p, yp, text, len);
	} else {
		if (yaml_document_get_root_node(&extra))
			ret = report_at(p, extra.start_mark, "yaml",
					"a %s is one yaml document: this file has more", what);
		yaml_document_delete(&extra);
	}
	if (ret)
		yaml_document_delete(doc);
	return ret;
}

int load_yaml_document(struct parser *p, const char *text, size_t len, const char *what,
		       yaml_document_t *doc)
{
	yaml_parser_t yp;
	int ret;

	if (!yaml_parser_initialize(&yp))
		return fail_out_of_memory(p);
	yaml_parser_set_input_string(&yp, (const unsigned char *)text, len);
	ret = load_document(p, &yp, doc, text, len, what);
	yaml_parser_delete(&yp);
	return ret;
}

int plan_parse_string(const char *file, const char *text, size_t len, uint64_t max_duration_ms,
		      struct plan *plan, struct flt_error *err)
{
	struct parser p = {
		.file = file,
		.plan = plan,
		.max_duration_ms = max_duration_ms,
		.err = err,
	};
	yaml_document_t doc;
	int ret;

	memset(plan, 0, sizeof(*plan));
	flt_error_clear(err);
	ret = load_yaml_document(&p, text, len, "plan", &doc);
	if (ret)
		return ret;

	p.doc = &doc;
	plan->file = strdup(file);
	ret = plan->file ? parse_document(&p, yaml_document_get_root_node(&doc))
			 : fail_out_of_memory(&p);
	free(p.refs);
	yaml_document_delete(&doc);
	if (ret)
		plan_free(plan);
	return ret;
}

/*
 * Why the plan (or policy: what) file could not be opened or read: what the user gave (no such
 * file, a directory, a socket...) is an input error, exit 2; the rest is the system's.
 */
static int file_error(struct flt_error *err, const char *name, const char *what,
		      const char *doing, int errnum)
{
	enum flt_err_kind kind;

	switch (errnum) {
	case ENOENT:
	case ENOTDIR:
	case EISDIR:
	case ENAMETOOLONG:
	case ELOOP:
	case ENXIO: /* a socket, or a device without its driver */
	case ENODEV:
		kind = FLT_ERR_INPUT;
		break;
	default:
		kind = FLT_ERR_SYSTEM;
	}
	return flt_fail(err, kind, errnum, "%s: cannot %s the %s: %s", name, doing, what,
			strerror(errnum));
}

/* The whole of fd into *text (malloc'ed, *len bytes), at most PLAN_FILE_MAX_BYTES. */
static int read_text(int fd, const char *name, const char *what, char **text, size_t *len,
		     struct flt_error *err)
{
	size_t cap = 4096;
	char *grown;

	*len = 0;
	*text = NULL;
	for (;;) {
		ssize_t n;

		if (!*text || *len == cap) {
			if (*text)
				cap *= 2;
			grown = realloc(*text, cap);
			if (!grown)
				return flt_fail(err, FLT_ERR_SYSTEM, ENOMEM,
						"%s: out of memory reading the %s", name, what);
			*text = grown;
		}
		n = read(fd, *text + *len, cap - *len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return file_error(err, name, what, "read", errno);
		if (!n)
			return 0;
		*len += n;
		if (*len > PLAN_FILE_MAX_BYTES)
			return flt_fail(err, FLT_ERR_INPUT, EFBIG,
					"%s: the %s is larger than %d bytes", name, what,
					PLAN_FILE_MAX_BYTES);
	}
}

int read_whole_file(const char *path, const char *what, char **text, size_t *len,
		    struct flt_error *err)
{
	bool is_stdin = !strcmp(path, "-");
	const char *name = is_stdin ? "<stdin>" : path;
	int fd, ret;

	*text = NULL;
	*len = 0;
	fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return file_error(err, name, what, "open", errno);
	ret = read_text(fd, name, what, text, len, err);
	if (!is_stdin)
		close(fd);
	if (ret) {
		free(*text);
		*text = NULL;
	}
	return ret;
}

int plan_parse_file(const char *path, uint64_t max_duration_ms, struct plan *plan,
		    struct flt_error *err)
{
	const char *name = strcmp(path, "-") ? path : "<stdin>";
	size_t len;
	char *text;
	int ret;

	memset(plan, 0, sizeof(*plan));
	flt_error_clear(err);
	ret = read_whole_file(path, "plan", &text, &len, err);
	if (!ret)
		ret = plan_parse_string(name, text, len, max_duration_ms, plan, err);
	free(text);
	return ret;
}
