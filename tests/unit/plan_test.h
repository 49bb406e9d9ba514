/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the plan format's unit tests share (test_plan, test_plan_experiment): text parsed as
 * "t.yaml" that must parse, or must fail with exactly one message and leave the plan empty.
 * Static functions: each test program includes this once.
 */
#ifndef FAULTLINE_TESTS_PLAN_TEST_H
#define FAULTLINE_TESTS_PLAN_TEST_H

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/error.h"
#include "plan/plan.h"

#define MAX_MS PLAN_DEFAULT_MAX_DURATION_MS
#define POD_A "9ac48755-3968-48e4-b9dc-6d4b69f3bb42"

static int parse(const char *text, uint64_t max_ms, struct plan *plan, struct flt_error *err)
{
	return plan_parse_string("t.yaml", text, strlen(text), max_ms, plan, err);
}

/* Parse text that must be valid; fail the test with the message if not. */
static void parse_ok(const char *text, struct plan *plan)
{
	struct flt_error err;
	int ret = parse(text, MAX_MS, plan, &err);

	if (ret)
		print_error("unexpected error: %s\n", err.message);
	assert_int_equal(ret, 0);
}

/* Parse text that must fail with the message want, as an input error, nothing kept. */
static void assert_parse_error(const char *text, const char *want)
{
	struct plan plan;
	struct flt_error err;

	assert_int_equal(parse(text, MAX_MS, &plan, &err), -EINVAL);
	assert_string_equal(err.message, want);
	assert_int_equal(err.kind, FLT_ERR_INPUT);
	assert_int_equal(flt_exit_status(&err), 2);
	assert_null(plan.faults);
	assert_null(plan.targets);
	assert_null(plan.observed);
	assert_null(plan.conditions);
}

#endif /* FAULTLINE_TESTS_PLAN_TEST_H */
