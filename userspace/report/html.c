// SPDX-License-Identifier: GPL-2.0-only
/*
 * report.html: the page skeleton around the embedded report, Chart.js and the page's own script
 * and style. The report is parsed (to tell a report from anything else) and written again with
 * json-c, every '<' as \u003c: the embedded text can then never end its <script> element early,
 * whatever the strings of the report hold.
 */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report/assets.h"
#include "report/html.h"

/* A report of a long run with many pods is some MB; far above that is no report. */
#define REPORT_JSON_MAX_BYTES (256u << 20)
#define REPORT_READ_CHUNK 65536
#define REPORT_TMP_TRIES 100

/* Where in the report a parse stopped, for the message. */
struct text_pos {
	unsigned int line;
	unsigned int column;
};

static void text_pos_advance(struct text_pos *pos, const char *text, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (text[i] == '\n') {
			pos->line++;
			pos->column = 1;
		} else {
			pos->column++;
		}
	}
}

static bool only_space(const char *text, size_t len, size_t *first)
{
	for (*first = 0; *first < len; (*first)++)
		if (!strchr(" \t\r\n", text[*first]) || !text[*first])
			return false;
	return true;
}

static int not_a_report(struct flt_error *err, const char *path, const char *why,
			const struct text_pos *pos)
{
	if (pos)
		return flt_fail(err, FLT_ERR_INPUT, EINVAL,
				"%s: not a faultline report: %s at line %u, column %u", path, why,
				pos->line, pos->column);
	return flt_fail(err, FLT_ERR_INPUT, EINVAL, "%s: not a faultline report: %s", path, why);
}

/* Feed one chunk to the tokener; *doc once the document is complete. 0, or an error. */
static int parse_chunk(struct json_tokener *tok, const char *path, const char *buf, size_t len,
		       struct text_pos *pos, struct json_object **doc, struct flt_error *err)
{
	enum json_tokener_error jerr;
	size_t used, first;

	if (*doc) {
		/* after the document: white space only */
		if (!only_space(buf, len, &first)) {
			text_pos_advance(pos, buf, first);
			return not_a_report(err, path, "not JSON: text after the document", pos);
		}
		text_pos_advance(pos, buf, len);
		return 0;
	}
	*doc = json_tokener_parse_ex(tok, buf, (int)len);
	jerr = json_tokener_get_error(tok);
	used = json_tokener_get_parse_end(tok);
	if (jerr != json_tokener_success && jerr != json_tokener_continue) {
		char why[160];

		text_pos_advance(pos, buf, used < len ? used : len);
		snprintf(why, sizeof(why), "not JSON: %s", json_tokener_error_desc(jerr));
		return not_a_report(err, path, why, pos);
	}
	text_pos_advance(pos, buf, used);
	return *doc && used < len ? parse_chunk(tok, path, buf + used, len - used, pos, doc, err) : 0;
}

/* The whole file through the tokener, chunk by chunk: *doc, or an error naming the file. */
static int read_report(const char *path, struct json_object **doc, struct flt_error *err)
{
	struct text_pos pos = { 1, 1 };
	struct json_tokener *tok;
	size_t total = 0;
	char *buf;
	int fd, ret = 0;

	*doc = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return flt_fail(err, FLT_ERR_INPUT, errno, "%s: cannot read the report: %s", path,
				strerror(errno));
	buf = malloc(REPORT_READ_CHUNK);
	tok = json_tokener_new();
	if (!buf || !tok) {
		ret = flt_fail(err, FLT_ERR_SYSTEM, ENOMEM, "%s: out of memory reading the report",
			       path);
		goto cleanup;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	for (;;) {
		ssize_t n = read(fd, buf, REPORT_READ_CHUNK);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = flt_fail(err, FLT_ERR_INPUT, errno, "%s: cannot read the report: %s",
				       path, strerror(errno));
			goto cleanup;
		}
		if (!n)
			break;
		total += (size_t)n;
		if (total > REPORT_JSON_MAX_BYTES) {
			ret = flt_fail(err, FLT_ERR_INPUT, EFBIG,
				       "%s: not a faultline report: larger than %u bytes", path,
				       REPORT_JSON_MAX_BYTES);
			goto cleanup;
		}
		ret = parse_chunk(tok, path, buf, (size_t)n, &pos, doc, err);
		if (ret)
			goto cleanup;
	}
	/* the end of the input: a lone number or literal is complete only with the final '\0' */
	if (!*doc && total) {
		*doc = json_tokener_parse_ex(tok, "", 1);
		if (!*doc && json_tokener_get_error(tok) != json_tokener_continue)
			ret = not_a_report(err, path, "not JSON: the file ends inside the document",
					   NULL);
	}
	if (!ret && !*doc)
		ret = not_a_report(err, path, total ? "not JSON: the file ends inside the document"
						    : "the file is empty",
				   NULL);
cleanup:
	if (ret && *doc) {
		json_object_put(*doc);
		*doc = NULL;
	}
	json_tokener_free(tok);
	free(buf);
	close(fd);
	return ret;
}

static int check_report(const char *path, struct json_object *doc, struct flt_error *err)
{
	struct json_object *version;
	char why[128];

	if (!json_object_is_type(doc, json_type_object)) {
		snprintf(why, sizeof(why), "a JSON %s, not an object",
			 json_type_to_name(json_object_get_type(doc)));
		return not_a_report(err, path, why, NULL);
	}
	if (!json_object_object_get_ex(doc, "report_version", &version))
		return not_a_report(err, path, "no report_version", NULL);
	if (!json_object_is_type(version, json_type_int) ||
	    json_object_get_int64(version) != REPORT_VERSION) {
		snprintf(why, sizeof(why), "report_version is %.32s, not %d",
			 json_object_to_json_string(version), REPORT_VERSION);
		return not_a_report(err, path, why, NULL);
	}
	return 0;
}

/* The page until the embedded report; scripts and styles are inline only (the policy says so). */
static const char page_start[] =
	"<!DOCTYPE html>\n"
	"<html lang=\"en\">\n"
	"<head>\n"
	"<meta charset=\"utf-8\">\n"
	"<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
	"script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:\">\n"
	"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	"<meta name=\"generator\" content=\"faultline " FAULTLINE_VERSION "\">\n"
	"<title>faultline report</title>\n"
	"<style>\n";
static const char page_body[] =
	"</style>\n"
	"</head>\n"
	"<body>\n"
	"<noscript><p class=\"noscript\">this report is drawn by its own script: open it in a "
	"browser with JavaScript on (it fetches nothing)</p></noscript>\n"
	"<main id=\"report\"></main>\n"
	"<script id=\"report-data\" type=\"application/json\">";
static const char page_chartjs[] = "</script>\n<script id=\"chartjs\">\n";
static const char page_script[] = "\n</script>\n<script id=\"report-script\">\n";
static const char page_end[] = "\n</script>\n</body>\n</html>\n";

static void put_asset(FILE *f, const struct report_asset *a)
{
	fwrite(a->start, 1, report_asset_len(a), f);
}

/* The report as JSON text, each '<' as the escape \u003c (the same string to JSON.parse). */
static void put_report(FILE *f, struct json_object *doc)
{
	const char *text = json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN |
								       JSON_C_TO_STRING_NOSLASHESCAPE);
	const char *lt;

	while ((lt = strchr(text, '<'))) {
		fwrite(text, 1, (size_t)(lt - text), f);
		fputs("\\u003c", f);
		text = lt + 1;
	}
	fputs(text, f);
}

static void put_page(FILE *f, struct json_object *doc)
{
	fputs(page_start, f);
	put_asset(f, &report_css);
	fputs(page_body, f);
	put_report(f, doc);
	fputs(page_chartjs, f);
	put_asset(f, &report_chartjs);
	fputs(page_script, f);
	put_asset(f, &report_js);
	fputs(page_end, f);
}

static int write_failed(struct flt_error *err, const char *path, const char *doing, int errnum)
{
	return flt_fail(err, FLT_ERR_SYSTEM, errnum, "%s: cannot %s: %s", path, doing,
			strerror(errnum));
}

/* A new file beside path, "PATH.PID.N.tmp", created with O_EXCL: its fd, or -errno. */
static int create_temporary(const char *path, char **tmp)
{
	unsigned int n;
	int fd = -EEXIST;

	for (n = 0; n < REPORT_TMP_TRIES && fd == -EEXIST; n++) {
		free(*tmp);
		if (asprintf(tmp, "%s.%ld.%u.tmp", path, (long)getpid(), n) < 0) {
			*tmp = NULL;
			return -ENOMEM;
		}
		fd = open(*tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0666);
		if (fd < 0)
			fd = -errno;
	}
	return fd;
}

static int write_page(const char *html_path, struct json_object *doc, struct flt_error *err)
{
	char *tmp = NULL;
	int fd, ret = 0;
	FILE *f;

	fd = create_temporary(html_path, &tmp);
	if (fd < 0) {
		ret = write_failed(err, html_path, "create the page", -fd);
		free(tmp);
		return ret;
	}
	f = fdopen(fd, "w");
	if (!f) {
		ret = write_failed(err, tmp, "write the page", errno);
		close(fd);
		goto cleanup;
	}
	put_page(f, doc);
	errno = 0;
	/* on disk before the rename, so that a crash leaves the old page or the new one */
	if (fflush(f) || ferror(f) || fsync(fileno(f)))
		ret = write_failed(err, tmp, "write the page", errno ? errno : EIO);
	if (fclose(f) && !ret)
		ret = write_failed(err, tmp, "write the page", errno);
	if (!ret && rename(tmp, html_path))
		ret = write_failed(err, html_path, "rename the page into place", errno);
cleanup:
	if (ret)
		unlink(tmp);
	free(tmp);
	return ret;
}

int report_html_file(const char *json_path, const char *html_path, struct flt_error *err)
{
	struct json_object *doc;
	int ret;

	flt_error_clear(err);
	ret = read_report(json_path, &doc, err);
	if (ret)
		return ret;
	ret = check_report(json_path, doc, err);
	if (!ret)
		ret = write_page(html_path, doc, err);
	json_object_put(doc);
	return ret;
}
