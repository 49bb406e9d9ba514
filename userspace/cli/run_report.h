/* SPDX-License-Identifier: GPL-2.0-only */
/* report.json of `faultline run`: the format is docs/report.md's. */
#ifndef FAULTLINE_RUN_REPORT_H
#define FAULTLINE_RUN_REPORT_H

#include <stdio.h>

#include "common/error.h"
#include "experiment/run.h"

/* The report as JSON on f: 0, or a negative errno. */
int run_report_print(FILE *f, const struct experiment_result *r);

/* The report into path, whole or not at all (a temporary file renamed): 0 or -errno, err. */
int run_report_file(const char *path, const struct experiment_result *r, struct flt_error *err);

#endif /* FAULTLINE_RUN_REPORT_H */
