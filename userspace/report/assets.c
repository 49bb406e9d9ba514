// SPDX-License-Identifier: GPL-2.0-only
/*
 * The report page's assets, embedded with the assembler's .incbin: the files' bytes as they are,
 * with no generated C array to keep in step. REPORT_CHARTJS is Chart.js's path, given by the
 * Makefile (Debian's libjs-chart.js); the page's own files are named from the top of the tree,
 * where make runs. The Makefile rebuilds this object when any of them changes.
 */
#include "report/assets.h"

#ifndef REPORT_CHARTJS
#error "REPORT_CHARTJS (the path of chart.min.js) must be set by the Makefile"
#endif

/* NAME_start and NAME_end around FILE's bytes, in .rodata, hidden outside the binary. */
#define REPORT_INCBIN(name, file)                                                                 \
	__asm__(".pushsection .rodata\n"                                                          \
		".global " #name "_start\n"                                                       \
		".hidden " #name "_start\n"                                                       \
		".type " #name "_start, @object\n" #name "_start:\n"                              \
		".incbin \"" file "\"\n"                                                          \
		".global " #name "_end\n"                                                         \
		".hidden " #name "_end\n" #name "_end:\n"                                         \
		".byte 0\n"                                                                       \
		".popsection\n");                                                                 \
	extern const char name##_start[] __attribute__((visibility("hidden")));                   \
	extern const char name##_end[] __attribute__((visibility("hidden")))

REPORT_INCBIN(report_chartjs_bytes, REPORT_CHARTJS);
REPORT_INCBIN(report_js_bytes, "userspace/report/report.js");
REPORT_INCBIN(report_css_bytes, "userspace/report/report.css");

const struct report_asset report_chartjs = { report_chartjs_bytes_start, report_chartjs_bytes_end };
const struct report_asset report_js = { report_js_bytes_start, report_js_bytes_end };
const struct report_asset report_css = { report_css_bytes_start, report_css_bytes_end };
