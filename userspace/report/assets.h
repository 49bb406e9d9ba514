/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What report.html inlines, put into the binary at build time (assets.c): Chart.js from
 * Debian's libjs-chart.js, and the page's own script and style from this folder.
 */
#ifndef FAULTLINE_REPORT_ASSETS_H
#define FAULTLINE_REPORT_ASSETS_H

#include <stddef.h>

struct report_asset {
	const char *start;
	const char *end; /* one past the last byte */
};

extern const struct report_asset report_chartjs; /* the UMD build: the global Chart */
extern const struct report_asset report_js;
extern const struct report_asset report_css;

static inline size_t report_asset_len(const struct report_asset *a)
{
	return (size_t)(a->end - a->start);
}

#endif /* FAULTLINE_REPORT_ASSETS_H */
