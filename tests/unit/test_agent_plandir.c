// SPDX-License-Identifier: GPL-2.0-only
/*
 * The agent's pure parts: which directory entries are plans, the content key, a ConfigMap
 * volume's layout listed (..data symlink swaps), and the event log's lines.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "agent/events.h"
#include "agent/plandir.h"

static void test_plan_names(void **state)
{
	(void)state;
	assert_true(plandir_is_plan_name("a.yaml"));
	assert_true(plandir_is_plan_name("a.yml"));
	assert_true(plandir_is_plan_name("plan.v2.json"));
	assert_false(plandir_is_plan_name(".a.yaml"));
	assert_false(plandir_is_plan_name("..data"));
	assert_false(plandir_is_plan_name("..2026_12_02_10_00_00.123"));
	assert_false(plandir_is_plan_name(".yaml"));
	assert_false(plandir_is_plan_name("yaml"));
	assert_false(plandir_is_plan_name("a.yaml~"));
	assert_false(plandir_is_plan_name("a.txt"));
	assert_false(plandir_is_plan_name("a.YAML"));
}

static void test_key(void **state)
{
	(void)state;
	/* FNV-1a 64 of the empty input is its offset basis; of "a" a known value */
	assert_true(plandir_key("", "", 0) == 0xaf63bd4c8601b7dfULL); /* one NUL byte */
	assert_true(plandir_key("a.yaml", "x", 1) == plandir_key("a.yaml", "x", 1));
	assert_true(plandir_key("a.yaml", "x", 1) != plandir_key("b.yaml", "x", 1));
	assert_true(plandir_key("a.yaml", "x", 1) != plandir_key("a.yaml", "y", 1));
	/* the name's end is part of the key: a name's tail moved into the content differs */
	assert_true(plandir_key("a.yamlx", "", 0) != plandir_key("a.yaml", "x", 1));
}

static char tmp[PATH_MAX];

static void put(const char *rel, const char *text)
{
	char path[PATH_MAX + 64];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmp, rel);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void in_tmp(const char *rel, char *path, size_t size)
{
	snprintf(path, size, "%s/%s", tmp, rel);
}

static void test_configmap_layout(void **state)
{
	char a[PATH_MAX + 64], b[PATH_MAX + 64];
	struct plandir_list l;
	struct flt_error err;
	uint64_t key_before;

	(void)state;
	snprintf(tmp, sizeof(tmp), "/tmp/test_agent_plandir.XXXXXX");
	assert_non_null(mkdtemp(tmp));
	in_tmp("..2026_01_01", a, sizeof(a));
	assert_int_equal(mkdir(a, 0755), 0);
	put("..2026_01_01/web.yaml", "one");
	put("..2026_01_01/notes.txt", "not a plan");
	in_tmp("..data", a, sizeof(a));
	assert_int_equal(symlink("..2026_01_01", a), 0);
	in_tmp("web.yaml", a, sizeof(a));
	assert_int_equal(symlink("..data/web.yaml", a), 0);
	in_tmp("notes.txt", a, sizeof(a));
	assert_int_equal(symlink("..data/notes.txt", a), 0);
	in_tmp("dangling.yaml", a, sizeof(a));
	assert_int_equal(symlink("..data/none.yaml", a), 0);
	in_tmp("dir.json", a, sizeof(a));
	assert_int_equal(mkdir(a, 0755), 0);
	put("plain.json", "{}");

	assert_int_equal(plandir_list(tmp, &l, &err), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.files[0].name, "plain.json");
	assert_string_equal(l.files[1].name, "web.yaml");
	assert_string_equal(l.files[1].text, "one");
	assert_int_equal(l.files[1].len, 3);
	assert_true(l.files[1].key == plandir_key("web.yaml", "one", 3));
	key_before = l.files[1].key;
	plandir_list_free(&l);

	/* kubelet's swap: a new folder, ..data renamed over, the old folder removed */
	in_tmp("..2026_01_02", a, sizeof(a));
	assert_int_equal(mkdir(a, 0755), 0);
	put("..2026_01_02/web.yaml", "two");
	in_tmp("..data_tmp", a, sizeof(a));
	assert_int_equal(symlink("..2026_01_02", a), 0);
	in_tmp("..data", b, sizeof(b));
	assert_int_equal(rename(a, b), 0);
	assert_int_equal(plandir_list(tmp, &l, &err), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.files[1].text, "two");
	assert_true(l.files[1].key != key_before);
	plandir_list_free(&l);

	in_tmp("missing", a, sizeof(a));
	assert_int_not_equal(plandir_list(a, &l, &err), 0);
	assert_int_equal(err.kind, FLT_ERR_INPUT);
	assert_non_null(strstr(err.message, "plans directory"));

	snprintf(a, sizeof(a), "rm -rf '%s'", tmp);
	assert_int_equal(system(a), 0);
}

static void test_too_big(void **state)
{
	struct plandir_list l;
	struct flt_error err;
	char path[PATH_MAX + 64];
	FILE *f;
	int i;

	(void)state;
	snprintf(tmp, sizeof(tmp), "/tmp/test_agent_plandir.XXXXXX");
	assert_non_null(mkdtemp(tmp));
	in_tmp("big.yaml", path, sizeof(path));
	f = fopen(path, "w");
	assert_non_null(f);
	for (i = 0; i <= PLANDIR_MAX_BYTES; i++) /* one byte over */
		fputc(i % 64 ? '#' : '\n', f);
	fclose(f);
	assert_int_equal(plandir_list(tmp, &l, &err), 0);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.files[0].read_errno, EFBIG);
	assert_null(l.files[0].text);
	plandir_list_free(&l);
	unlink(path);
	rmdir(tmp);
}

static void test_event_lines(void **state)
{
	struct agent_event_info info = { .file = "/plans/a.yaml", .plan = "web",
					 .reason = "say \"why\"" };
	struct json_object *obj, *v;
	char line[1024];

	(void)state;
	assert_int_equal(agent_event_format(line, sizeof(line), false, 0, AGENT_EV_APPLIED, &info),
			 0);
	assert_string_equal(line, "agent: plan web applied from /plans/a.yaml");
	assert_int_equal(agent_event_format(line, sizeof(line), false, 0, AGENT_EV_INVALID, &info),
			 0);
	assert_string_equal(line, "agent: /plans/a.yaml: not applied (invalid): say \"why\"");

	/* 2026-12-02T10:04:05.123Z */
	assert_int_equal(agent_event_format(line, sizeof(line), true, 1796205845123ULL,
					    AGENT_EV_REFUSED, &info),
			 0);
	assert_null(strchr(line, '\n'));
	obj = json_tokener_parse(line);
	assert_non_null(obj);
	assert_true(json_object_object_get_ex(obj, "time", &v));
	assert_string_equal(json_object_get_string(v), "2026-12-02T10:04:05.123Z");
	assert_true(json_object_object_get_ex(obj, "event", &v));
	assert_string_equal(json_object_get_string(v), "refused");
	assert_true(json_object_object_get_ex(obj, "file", &v));
	assert_string_equal(json_object_get_string(v), "/plans/a.yaml");
	assert_true(json_object_object_get_ex(obj, "reason", &v));
	assert_string_equal(json_object_get_string(v), "say \"why\"");
	assert_false(json_object_object_get_ex(obj, "by", &v));
	json_object_put(obj);
	assert_string_equal(agent_event_name(AGENT_EV_NOT_FOR_NODE), "not-for-node");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plan_names),
		cmocka_unit_test(test_key),
		cmocka_unit_test(test_configmap_layout),
		cmocka_unit_test(test_too_big),
		cmocka_unit_test(test_event_lines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
