/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * report.html from a report.json (docs/report.md): one self-contained page, the report embedded
 * as data, Chart.js and the page's own script and style inlined, nothing fetched. The page is
 * drawn in the browser from the data alone, so that one report.json always gives the same page.
 */
#ifndef FAULTLINE_REPORT_HTML_H
#define FAULTLINE_REPORT_HTML_H

#include "common/error.h"

/* The report_version this faultline reads and draws. */
#define REPORT_VERSION 1

/*
 * Read json_path, check it is a faultline report (a JSON object with "report_version": 1),
 * and write the page to html_path atomically: a temporary file in the same folder, renamed over
 * html_path once complete. 0, or a negative errno with err filled: FLT_ERR_INPUT when the report
 * cannot be read or is not a report, FLT_ERR_SYSTEM when the page cannot be written.
 */
int report_html_file(const char *json_path, const char *html_path, struct flt_error *err);

#endif /* FAULTLINE_REPORT_HTML_H */
