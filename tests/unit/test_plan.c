// SPDX-License-Identifier: GPL-2.0-only
/*
 * Fault plans (userspace/plan/): every field into struct plan, defaults, JSON, limits, errors
 * as struct flt_error (kind, position, field), and the corpora: tests/plans/bad/NAME.{yaml,json}
 * must fail with exactly NAME.err's message (the message as printed for the path
 * tests/plans/bad/NAME.yaml, from the repository root); tests/plans/good/ and examples/ must
 * parse.
 *
 * The repository root is $FAULTLINE_SRCDIR, else three levels above this binary
 * (build/tests/unit/), else the current directory.
 */
#include <arpa/inet.h>
#include <dirent.h>
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
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/error.h"
#include "fault.h"
#include "plan/plan.h"
#include "plan/values.h"
#include "plan_test.h"

#define POD_B "0b1e6f0a-5c1d-4f5e-9a7b-2c3d4e5f6a7b"

static bool has_plans_dir(const char *root)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s/tests/plans/bad", root);
	return !stat(path, &st) && S_ISDIR(st.st_mode);
}

/* Move to the repository root, where the .err files' paths start. */
static int enter_srcdir(void **state)
{
	const char *env = getenv("FAULTLINE_SRCDIR");
	char exe[PATH_MAX];
	ssize_t n;
	int up;

	(void)state;
	if (env && *env) {
		if (chdir(env)) {
			fprintf(stderr, "cannot enter FAULTLINE_SRCDIR %s: %s\n", env,
				strerror(errno));
			return -1;
		}
		return 0;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		for (up = 0; up < 4; up++) { /* test_plan, unit, tests, build */
			char *slash = strrchr(exe, '/');

			if (!slash)
				break;
			*slash = '\0';
		}
		if (up == 4 && *exe && has_plans_dir(exe) && chdir(exe))
			return -1;
	}
	if (!has_plans_dir(".")) {
		fprintf(stderr,
			"tests/plans not found: run from the repository root or set FAULTLINE_SRCDIR\n");
		return -1;
	}
	return 0;
}

/* cidr is text ("10.0.0.0/8"), parsed as it must have been */
static void assert_cidr(const struct plan_cidr *cidr, const char *text)
{
	char addr[INET6_ADDRSTRLEN];
	const char *slash = strchr(text, '/');
	uint8_t want[16] = {0};

	assert_non_null(slash);
	snprintf(addr, sizeof(addr), "%.*s", (int)(slash - text), text);
	assert_int_equal(inet_pton(cidr->family, addr, want), 1);
	assert_memory_equal(cidr->addr, want, sizeof(want));
	assert_int_equal(cidr->prefix_len, atoi(slash + 1));
}

static void assert_range(const struct plan_port_range *range, unsigned int first, unsigned int last)
{
	assert_int_equal(range->first, first);
	assert_int_equal(range->last, last);
}

static bool is_zero(const void *p, size_t len)
{
	const unsigned char *b = p;

	while (len--)
		if (*b++)
			return false;
	return true;
}

/* ---- fields ------------------------------------------------------------------------------- */

static void test_full_example_every_field(void **state)
{
	const struct plan_fault *f;
	struct plan plan;
	struct flt_error err;
	int ret;

	(void)state;
	ret = plan_parse_file("examples/full.yaml", MAX_MS, &plan, &err);
	if (ret)
		print_error("%s\n", err.message);
	assert_int_equal(ret, 0);
	assert_string_equal(plan.file, "examples/full.yaml");
	assert_string_equal(plan.name, "checkout-deps");
	assert_true(plan.duration_ms == 10 * 60 * 1000);

	assert_int_equal(plan.ntargets, 4);
	assert_string_equal(plan.targets[0].name, "checkout");
	assert_int_equal(plan.targets[0].nids, 2);
	assert_string_equal(plan.targets[0].ids[0].id, POD_A);
	assert_string_equal(plan.targets[0].ids[1].id, POD_B);
	assert_int_equal(plan.targets[0].ids[0].kind, TARGET_POD);
	assert_int_equal(plan.targets[0].ids[1].kind, TARGET_POD);
	assert_string_equal(plan.targets[1].name, "batch");
	assert_int_equal(plan.targets[1].nids, 1);
	assert_int_equal(plan.targets[1].ids[0].kind, TARGET_CGROUP);
	assert_string_equal(plan.targets[1].ids[0].id, "/system.slice/batch.service");
	assert_string_equal(plan.targets[2].name, "lab");
	assert_int_equal(plan.targets[2].ids[0].kind, TARGET_NETNS);
	assert_string_equal(plan.targets[2].ids[0].id, "/run/netns/lab");
	assert_string_equal(plan.targets[3].name, "edge");
	assert_int_equal(plan.targets[3].ids[0].kind, TARGET_INTERFACE);
	assert_string_equal(plan.targets[3].ids[0].id, "veth1a2b");

	assert_int_equal(plan.nfaults, 10);
	f = &plan.faults[0];
	assert_string_equal(f->name, "payments-down");
	assert_int_equal(f->target, 0);
	assert_int_equal(f->direction, FLT_DIR_EGRESS);
	assert_int_equal(f->protocol, FLT_PROTO_TCP);
	assert_int_equal(f->ncidrs, 3);
	assert_int_equal(f->cidrs[0].family, AF_INET);
	assert_cidr(&f->cidrs[0], "203.0.113.0/24");
	assert_int_equal(f->cidrs[1].family, AF_INET6);
	assert_cidr(&f->cidrs[1], "2001:db8::/32");
	assert_cidr(&f->cidrs[2], "198.51.100.7/32");
	assert_int_equal(f->nports, 2);
	assert_range(&f->ports[0], 443, 443);
	assert_range(&f->ports[1], 8000, 8100);
	assert_int_equal(f->nlocal_ports, 1);
	assert_range(&f->local_ports[0], 8080, 8080);
	assert_int_equal(f->actions, FLT_ACT_BLACKHOLE);

	f = &plan.faults[1];
	assert_string_equal(f->name, "db-refused");
	assert_int_equal(f->target, 0);
	assert_int_equal(f->actions, FLT_ACT_REJECT);
	assert_int_equal(f->reject_errno, ECONNREFUSED);
	assert_int_equal(f->ncidrs, 1);
	assert_cidr(&f->cidrs[0], "10.96.0.10/32");
	assert_range(&f->ports[0], 5432, 5432);

	f = &plan.faults[2];
	assert_string_equal(f->name, "flaky");
	assert_int_equal(f->direction, FLT_DIR_BOTH);
	assert_int_equal(f->protocol, FLT_PROTO_ANY);
	assert_int_equal(f->actions, FLT_ACT_LOSS);
	assert_true(f->loss_percent == 5);
	assert_int_equal(f->ncidrs + f->nports + f->nlocal_ports, 0);

	f = &plan.faults[3];
	assert_string_equal(f->name, "batch-dns-timeout");
	assert_int_equal(f->target, 1);
	assert_int_equal(f->protocol, FLT_PROTO_UDP);
	assert_int_equal(f->actions, FLT_ACT_REJECT | FLT_ACT_LOSS);
	assert_int_equal(f->reject_errno, ETIMEDOUT);
	assert_true(f->loss_percent == 50);

	f = &plan.faults[4];
	assert_int_equal(f->target, 2);
	assert_int_equal(f->direction, FLT_DIR_INGRESS);
	assert_int_equal(f->protocol, FLT_PROTO_ICMP);

	f = &plan.faults[5];
	assert_int_equal(f->target, 3);
	assert_int_equal(f->nports, 0);
	assert_range(&f->local_ports[0], 4789, 4789);
	assert_true(f->loss_percent == 0.5);

	/* none of the faults above shapes anything */
	for (size_t i = 0; i < 6; i++) {
		f = &plan.faults[i];
		assert_int_equal(f->backend, PLAN_BACKEND_AUTO);
		assert_int_equal(f->actions & (FLT_ACT_DELAY | FLT_ACT_RATE), 0);
		assert_int_equal(f->netem_effects, 0);
		assert_true(f->delay_ns == 0 && f->rate_bytes_per_sec == 0);
	}

	f = &plan.faults[6];
	assert_string_equal(f->name, "db-slow");
	assert_int_equal(f->target, 0);
	assert_int_equal(f->backend, PLAN_BACKEND_AUTO);
	assert_int_equal(f->actions, FLT_ACT_DELAY);
	assert_true(f->delay_ns == 100000000ULL);
	assert_true(f->jitter_ns == 10000000ULL);
	assert_int_equal(f->distribution, FLT_DIST_NORMAL);
	assert_true(f->delay_correlation == 25);
	assert_int_equal(f->netem_effects, 0);
	assert_range(&f->ports[0], 5432, 5432);

	f = &plan.faults[7];
	assert_string_equal(f->name, "thin-pipe");
	assert_int_equal(f->direction, FLT_DIR_BOTH);
	assert_int_equal(f->actions, FLT_ACT_RATE);
	assert_true(f->rate_bytes_per_sec == 1250000);
	assert_true(f->delay_ns == 0);

	f = &plan.faults[8];
	assert_string_equal(f->name, "lab-slow-lossy");
	assert_int_equal(f->target, 2);
	assert_int_equal(f->direction, FLT_DIR_INGRESS);
	assert_int_equal(f->backend, PLAN_BACKEND_EDT);
	assert_int_equal(f->actions, FLT_ACT_DELAY | FLT_ACT_RATE | FLT_ACT_LOSS);
	assert_true(f->delay_ns == 1500000);
	assert_true(f->jitter_ns == 500000);
	assert_int_equal(f->distribution, FLT_DIST_UNIFORM);
	assert_true(f->rate_bytes_per_sec == 500000);
	assert_true(f->loss_percent == 1);

	f = &plan.faults[9];
	assert_string_equal(f->name, "edge-messy");
	assert_int_equal(f->target, 3);
	assert_int_equal(f->backend, PLAN_BACKEND_NETEM);
	assert_int_equal(f->actions, FLT_ACT_DELAY); /* the GE loss is netem's, not FLT_ACT_LOSS */
	assert_int_equal(f->netem_effects, PLAN_NETEM_DUPLICATE | PLAN_NETEM_CORRUPT |
						   PLAN_NETEM_REORDER | PLAN_NETEM_LOSS_GE);
	assert_true(f->delay_ns == 20000000);
	assert_true(f->duplicate_percent == 1);
	assert_true(f->corrupt_percent == 0.1);
	assert_true(f->reorder_percent == 25);
	assert_true(f->reorder_correlation == 50);
	assert_true(f->ge_p == 1 && f->ge_r == 10 && f->ge_h == 0 && f->ge_k == 100);
	assert_true(f->loss_percent == 0);
	plan_free(&plan);
}

static void test_defaults_and_null_actions(void **state)
{
	struct plan plan;

	(void)state;
	parse_ok("apiVersion: faultline/v1\nkind: FaultPlan\nmetadata: {name: d}\n"
		 "spec:\n  duration: 1m\n  targets: {t: {cgroups: [a/b]}}\n"
		 "  faults:\n"
		 "    - name: a\n      target: t\n      blackhole:\n"
		 "    - name: b\n      target: t\n      match:\n      reject:\n"
		 "    - {name: c, target: t, reject: {}, loss: {percent: 1}}\n",
		 &plan);
	assert_int_equal(plan.nfaults, 3);
	for (size_t i = 0; i < plan.nfaults; i++) {
		const struct plan_fault *f = &plan.faults[i];

		assert_int_equal(f->direction, FLT_DIR_EGRESS);
		assert_int_equal(f->protocol, FLT_PROTO_ANY);
		assert_int_equal(f->ncidrs, 0);
		assert_null(f->cidrs);
		assert_int_equal(f->nports, 0);
		assert_int_equal(f->nlocal_ports, 0);
		assert_int_equal(f->target, 0);
	}
	assert_int_equal(plan.faults[0].actions, FLT_ACT_BLACKHOLE);
	assert_int_equal(plan.faults[1].actions, FLT_ACT_REJECT);
	assert_int_equal(plan.faults[1].reject_errno, ECONNREFUSED);
	assert_int_equal(plan.faults[2].actions, FLT_ACT_REJECT | FLT_ACT_LOSS);
	assert_int_equal(plan.faults[2].reject_errno, ECONNREFUSED);
	assert_true(plan.faults[2].loss_percent == 1);
	assert_int_equal(plan.faults[0].reject_errno, 0);
	plan_free(&plan);
}

static void test_loss_percent_forms(void **state)
{
	static const struct {
		const char *yaml;
		double want;
	} cases[] = {
		{"5", 5}, {"\"5\"", 5}, {"5.5", 5.5}, {"\"5%\"", 5}, {"5%", 5}, {"100", 100},
	};
	char text[512];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct plan plan;

		snprintf(text, sizeof(text),
			 "apiVersion: faultline/v1\nkind: FaultPlan\nmetadata: {name: d}\n"
			 "spec: {duration: 1m, targets: {t: {pods: [" POD_A "]}},\n"
			 "  faults: [{name: l, target: t, loss: {percent: %s}}]}\n",
			 cases[i].yaml);
		parse_ok(text, &plan);
		assert_true(plan.faults[0].loss_percent == cases[i].want);
		plan_free(&plan);
	}
}

static void test_positions_are_one_based(void **state)
{
	struct plan plan;

	(void)state;
	parse_ok("apiVersion: faultline/v1\n"
		 "kind: FaultPlan\n"
		 "metadata: {name: p}\n"
		 "spec:\n"
		 "  duration: 1m\n"
		 "  targets:\n"
		 "    web:\n"
		 "      pods:\n"
		 "        - " POD_A "\n"
		 "  faults:\n"
		 "    - name: f\n"
		 "      target: web\n"
		 "      blackhole: {}\n",
		 &plan);
	assert_int_equal(plan.targets[0].pos.line, 7);
	assert_int_equal(plan.targets[0].pos.col, 5);
	assert_int_equal(plan.targets[0].ids[0].pos.line, 9);
	assert_int_equal(plan.targets[0].ids[0].pos.col, 11);
	assert_int_equal(plan.faults[0].pos.line, 11);
	assert_int_equal(plan.faults[0].pos.col, 7);
	plan_free(&plan);
}

static void test_unused_target_is_fine(void **state)
{
	struct plan plan;

	(void)state;
	parse_ok("apiVersion: faultline/v1\nkind: FaultPlan\nmetadata: {name: u}\n"
		 "spec:\n  duration: 1m\n"
		 "  targets: {used: {pods: [" POD_A "]}, spare: {interfaces: [eth9]}}\n"
		 "  faults: [{name: f, target: used, blackhole: {}}]\n",
		 &plan);
	assert_int_equal(plan.ntargets, 2);
	assert_string_equal(plan.targets[1].name, "spare");
	plan_free(&plan);
}

/* ---- JSON --------------------------------------------------------------------------------- */

static void assert_plans_equal(const struct plan *a, const struct plan *b)
{
	assert_string_equal(a->name, b->name);
	assert_true(a->duration_ms == b->duration_ms);
	assert_int_equal(a->ntargets, b->ntargets);
	for (size_t t = 0; t < a->ntargets; t++) {
		assert_string_equal(a->targets[t].name, b->targets[t].name);
		assert_int_equal(a->targets[t].nids, b->targets[t].nids);
		for (size_t i = 0; i < a->targets[t].nids; i++) {
			assert_string_equal(a->targets[t].ids[i].id, b->targets[t].ids[i].id);
			assert_int_equal(a->targets[t].ids[i].kind, b->targets[t].ids[i].kind);
		}
	}
	assert_int_equal(a->nfaults, b->nfaults);
	for (size_t i = 0; i < a->nfaults; i++) {
		const struct plan_fault *x = &a->faults[i], *y = &b->faults[i];

		assert_string_equal(x->name, y->name);
		assert_int_equal(x->target, y->target);
		assert_int_equal(x->direction, y->direction);
		assert_int_equal(x->protocol, y->protocol);
		assert_int_equal(x->actions, y->actions);
		assert_true(x->loss_percent == y->loss_percent);
		assert_int_equal(x->reject_errno, y->reject_errno);
		assert_int_equal(x->backend, y->backend);
		assert_true(x->delay_ns == y->delay_ns);
		assert_true(x->jitter_ns == y->jitter_ns);
		assert_int_equal(x->distribution, y->distribution);
		assert_true(x->delay_correlation == y->delay_correlation);
		assert_true(x->rate_bytes_per_sec == y->rate_bytes_per_sec);
		assert_int_equal(x->netem_effects, y->netem_effects);
		assert_true(x->duplicate_percent == y->duplicate_percent);
		assert_true(x->corrupt_percent == y->corrupt_percent);
		assert_true(x->reorder_percent == y->reorder_percent);
		assert_true(x->reorder_correlation == y->reorder_correlation);
		assert_true(x->ge_p == y->ge_p && x->ge_r == y->ge_r);
		assert_true(x->ge_h == y->ge_h && x->ge_k == y->ge_k);
		assert_int_equal(x->ncidrs, y->ncidrs);
		if (x->ncidrs)
			assert_memory_equal(x->cidrs, y->cidrs, x->ncidrs * sizeof(*x->cidrs));
		assert_int_equal(x->nports, y->nports);
		if (x->nports)
			assert_memory_equal(x->ports, y->ports, x->nports * sizeof(*x->ports));
		assert_int_equal(x->nlocal_ports, y->nlocal_ports);
		if (x->nlocal_ports)
			assert_memory_equal(x->local_ports, y->local_ports,
					    x->nlocal_ports * sizeof(*x->local_ports));
	}
}

static void test_json_plan_equals_yaml_plan(void **state)
{
	struct plan from_yaml, from_json;

	(void)state;
	parse_ok("apiVersion: faultline/v1\n"
		 "kind: FaultPlan\n"
		 "metadata:\n  name: same\n"
		 "spec:\n"
		 "  duration: 1h\n"
		 "  targets:\n"
		 "    checkout: {pods: [" POD_A "]}\n"
		 "    batch: {cgroups: [/system.slice/batch.service]}\n"
		 "  faults:\n"
		 "    - name: down\n"
		 "      target: checkout\n"
		 "      direction: both\n"
		 "      match:\n"
		 "        cidrs: [203.0.113.0/24, 2001:db8::/32]\n"
		 "        protocol: tcp\n"
		 "        ports: [443, 8000-8100]\n"
		 "        localPorts: [8080]\n"
		 "      blackhole: {}\n"
		 "    - name: refused\n"
		 "      target: batch\n"
		 "      match: {ports: [5432]}\n"
		 "      reject: {errno: EHOSTUNREACH}\n"
		 "    - name: flaky\n"
		 "      target: checkout\n"
		 "      loss: {percent: 12.5}\n",
		 &from_yaml);
	/* tabs, no spaces after colons, numbers and strings mixed: still JSON */
	parse_ok(
		"{\"apiVersion\":\"faultline/v1\",\"kind\":\"FaultPlan\",\n"
		"\t\"metadata\":{\"name\":\"same\"},\n"
		"\t\"spec\":{\"duration\":\"1h\",\n"
		"\t\t\"targets\":{\"checkout\":{\"pods\":[\"" POD_A "\"]},\n"
		"\t\t\t\"batch\":{\"cgroups\":[\"/system.slice/batch.service\"]}},\n"
		"\t\t\"faults\":[\n"
		"\t\t\t{\"name\":\"down\",\"target\":\"checkout\",\"direction\":\"both\",\n"
		"\t\t\t \"match\":{\"cidrs\":[\"203.0.113.0/24\",\"2001:db8::/32\"],\"protocol\":\"tcp\",\n"
		"\t\t\t\t\"ports\":[443,\"8000-8100\"],\"localPorts\":[8080]},\n"
		"\t\t\t \"blackhole\":{}},\n"
		"\t\t\t{\"name\":\"refused\",\"target\":\"batch\",\"match\":{\"ports\":[5432]},\n"
		"\t\t\t \"reject\":{\"errno\":\"EHOSTUNREACH\"}},\n"
		"\t\t\t{\"name\":\"flaky\",\"target\":\"checkout\",\"loss\":{\"percent\":12.5}}]}}\n",
		&from_json);
	assert_plans_equal(&from_yaml, &from_json);
	assert_int_equal(from_json.faults[1].reject_errno, EHOSTUNREACH);
	assert_range(&from_json.faults[0].ports[1], 8000, 8100);
	plan_free(&from_yaml);
	plan_free(&from_json);
}

static void test_json_file(void **state)
{
	struct plan plan;
	struct flt_error err;
	int ret;

	(void)state;
	ret = plan_parse_file("tests/plans/good/plan.json", MAX_MS, &plan, &err);
	if (ret)
		print_error("%s\n", err.message);
	assert_int_equal(ret, 0);
	assert_string_equal(plan.name, "json-plan");
	assert_int_equal(plan.nfaults, 3);
	assert_int_equal(plan.faults[1].target, 1);
	assert_int_equal(plan.faults[1].reject_errno, EHOSTUNREACH);
	assert_true(plan.faults[2].loss_percent == 12.5);
	plan_free(&plan);
}

static void test_json_error_position(void **state)
{
	(void)state;
	assert_parse_error(
		"{\"apiVersion\": \"faultline/v1\", \"kind\": \"FaultPlan\",\n"
		" \"metadata\": {\"name\": \"j\"},\n"
		" \"spec\": {\"duration\": \"1m\", \"targets\": {\"w\": {\"pods\": [\"" POD_A
		"\"]}},\n"
		"  \"faults\": [{\"name\": \"f\", \"target\": \"w\", \"loss\": {\"percent\": 101}}]}}\n",
		"t.yaml:4:63: spec.faults[0].loss.percent: \"101\" is over 100");
}

/* ---- latency and shaping ------------------------------------------------------------------ */

/* A plan with one fault on a pods target (or a cgroups one), the fault's fields given inline. */
static const char shaping_plan_fmt[] =
	"apiVersion: faultline/v1\nkind: FaultPlan\nmetadata: {name: d}\n"
	"spec:\n  duration: 1m\n"
	"  targets: {p: {pods: [" POD_A "]}, n: {netns: [/run/netns/x]},\n"
	"            i: {interfaces: [eth9]}, c: {cgroups: [/x.slice]}}\n"
	"  faults:\n    - {name: f, target: %s, %s}\n";

static int parse_fault_text(const char *target, const char *fields, struct plan *plan,
			    struct flt_error *err)
{
	char text[2048];

	snprintf(text, sizeof(text), shaping_plan_fmt, target, fields);
	return parse(text, MAX_MS, plan, err);
}

/* The one fault of a plan that must parse; free with plan_free(plan). */
static const struct plan_fault *fault_ok(const char *fields, struct plan *plan)
{
	struct flt_error err;
	int ret = parse_fault_text("p", fields, plan, &err);

	if (ret)
		print_error("%s: unexpected error: %s\n", fields, err.message);
	assert_int_equal(ret, 0);
	assert_int_equal(plan->nfaults, 1);
	return &plan->faults[0];
}

/* The message of the one fault that must not parse, from "spec.faults[0]" on. */
static void assert_fault_error(const char *target, const char *fields, const char *want)
{
	struct plan plan;
	struct flt_error err;
	const char *field;

	if (parse_fault_text(target, fields, &plan, &err) != -EINVAL) {
		print_error("%s: parsed, want ...%s\n", fields, want);
		plan_free(&plan);
		fail();
	}
	field = strstr(err.message, "spec.faults[0]");
	if (!field || strcmp(field, want))
		print_error("%s:\n  want ...%s\n  got  %s\n", fields, want, err.message);
	assert_non_null(field);
	assert_string_equal(field, want);
	assert_null(plan.faults);
}

static void test_delay_time_only_has_defaults(void **state)
{
	const struct plan_fault *f;
	struct plan plan;

	(void)state;
	f = fault_ok("delay: {time: 100ms}", &plan);
	assert_int_equal(f->actions, FLT_ACT_DELAY);
	assert_true(f->delay_ns == 100000000ULL);
	assert_true(f->jitter_ns == 0);
	assert_int_equal(f->distribution, FLT_DIST_UNIFORM);
	assert_true(f->delay_correlation == 0);
	assert_int_equal(f->backend, PLAN_BACKEND_AUTO);
	assert_int_equal(f->netem_effects, 0);
	assert_true(f->rate_bytes_per_sec == 0);
	plan_free(&plan);
}

static void test_delay_every_field(void **state)
{
	static const struct {
		const char *fields;
		uint64_t delay_ns, jitter_ns;
		uint8_t distribution;
		double correlation;
	} cases[] = {
		{"delay: {time: 100ms, jitter: 10ms, distribution: normal, correlation: 25%}",
		 100000000ULL, 10000000ULL, FLT_DIST_NORMAL, 25},
		{"delay: {time: 1.5ms, jitter: 250us, distribution: pareto}", 1500000ULL, 250000ULL,
		 FLT_DIST_PARETO, 0},
		{"delay: {time: 2s, jitter: \"0.5s\", distribution: paretonormal, correlation: "
		 "0.5}",
		 2000000000ULL, 500000000ULL, FLT_DIST_PARETONORMAL, 0.5},
		{"delay: {time: 500us, jitter: 1ms, distribution: uniform, correlation: 100}",
		 500000ULL, 1000000ULL, FLT_DIST_UNIFORM, 100},
		/* the defaults written out: uniform and 0% need no jitter */
		{"delay: {time: 10ms, jitter: 0ms, distribution: uniform, correlation: 0%}",
		 10000000ULL, 0, FLT_DIST_UNIFORM, 0},
		/* the limits: 60s and 2s */
		{"delay: {time: 60s, jitter: 2s}", 60000000000ULL, 2000000000ULL, FLT_DIST_UNIFORM,
		 0},
		{"delay: {time: 0.001us}", 1, 0, FLT_DIST_UNIFORM, 0},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct plan_fault *f;
		struct plan plan;

		f = fault_ok(cases[i].fields, &plan);
		assert_int_equal(f->actions, FLT_ACT_DELAY);
		assert_true(f->delay_ns == cases[i].delay_ns);
		assert_true(f->jitter_ns == cases[i].jitter_ns);
		assert_int_equal(f->distribution, cases[i].distribution);
		assert_true(f->delay_correlation == cases[i].correlation);
		plan_free(&plan);
	}
}

static void test_delay_limits(void **state)
{
	(void)state;
	assert_fault_error("p", "delay: {time: 60.000000001s}",
			   "spec.faults[0].delay.time: \"60.000000001s\" is over the limit of 60s");
	assert_fault_error("p", "delay: {time: 60001ms}",
			   "spec.faults[0].delay.time: \"60001ms\" is over the limit of 60s");
	assert_fault_error("p", "delay: {time: 1s, jitter: 2000001us}",
			   "spec.faults[0].delay.jitter: \"2000001us\" is over the limit of 2s: "
			   "netem cannot jitter by more than 2.147s");
	assert_fault_error(
		"p", "delay: {time: 0s}",
		"spec.faults[0].delay.time: \"0s\" is zero: a delay must be greater than 0");
	assert_fault_error("p", "delay: {time: 0.0000000001s}",
			   "spec.faults[0].delay.time: \"0.0000000001s\" is finer than a "
			   "nanosecond");
}

static void test_delay_jitter_shapes_need_a_jitter(void **state)
{
	(void)state;
	assert_fault_error("p", "delay: {time: 10ms, distribution: pareto}",
			   "spec.faults[0].delay.distribution: distribution pareto needs a jitter "
			   "greater than 0: without one every packet gets exactly the delay");
	assert_fault_error("p", "delay: {time: 10ms, correlation: 1}",
			   "spec.faults[0].delay.correlation: correlation needs a jitter greater "
			   "than 0: it correlates the random part of successive delays");
	/* both: the first one written is reported */
	assert_fault_error("p", "delay: {correlation: 5%, time: 10ms, distribution: normal}",
			   "spec.faults[0].delay.correlation: correlation needs a jitter greater "
			   "than 0: it correlates the random part of successive delays");
	assert_fault_error("p", "delay: {distribution: normal, correlation: 5%, time: 10ms}",
			   "spec.faults[0].delay.distribution: distribution normal needs a jitter "
			   "greater than 0: without one every packet gets exactly the delay");
}

static void test_rate_bandwidths(void **state)
{
	static const struct {
		const char *bandwidth;
		uint64_t bytes_per_sec;
	} cases[] = {
		{"10mbit", 1250000},
		{"1gbit", 125000000},
		{"800kbit", 100000},
		{"1bit", 1},
		{"9bit", 2},
		{"500kBps", 500000},
		{"2MBps", 2000000},
		{"1GBps", 1000000000},
		{"1Bps", 1},
		{"1.5mbit", 187500},
		{"\"100kbit\"", 12500},
	};
	char fields[128];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct plan_fault *f;
		struct plan plan;

		snprintf(fields, sizeof(fields), "rate: {bandwidth: %s}", cases[i].bandwidth);
		f = fault_ok(fields, &plan);
		assert_int_equal(f->actions, FLT_ACT_RATE);
		assert_true(f->rate_bytes_per_sec == cases[i].bytes_per_sec);
		assert_int_equal(f->netem_effects, 0);
		plan_free(&plan);
	}
	assert_fault_error("p", "rate: {bandwidth: 10mbps}",
			   "spec.faults[0].rate.bandwidth: \"10mbps\" is ambiguous: write 10mbit "
			   "for bits or 10MBps for bytes per second");
	assert_fault_error(
		"p", "rate: {bandwidth: 10000000}",
		"spec.faults[0].rate.bandwidth: \"10000000\" has no unit: use bit, kbit, "
		"mbit, gbit (bits/s) or Bps, kBps, MBps, GBps (bytes/s)");
	assert_fault_error("p", "rate: 10mbit",
			   "spec.faults[0].rate: expected a mapping such as {bandwidth: 10mbit}, "
			   "got a string");
}

static void test_netem_effects_set_their_bits_not_actions(void **state)
{
	const struct plan_fault *f;
	struct plan plan;

	(void)state;
	f = fault_ok("duplicate: {percent: 1}", &plan);
	assert_int_equal(f->actions, 0);
	assert_int_equal(f->netem_effects, PLAN_NETEM_DUPLICATE);
	assert_true(f->duplicate_percent == 1);
	plan_free(&plan);

	f = fault_ok("corrupt: {percent: 0.1}", &plan);
	assert_int_equal(f->actions, 0);
	assert_int_equal(f->netem_effects, PLAN_NETEM_CORRUPT);
	assert_true(f->corrupt_percent == 0.1);
	plan_free(&plan);

	f = fault_ok("delay: {time: 10ms}, reorder: {percent: 25, correlation: 50%}", &plan);
	assert_int_equal(f->actions, FLT_ACT_DELAY);
	assert_int_equal(f->netem_effects, PLAN_NETEM_REORDER);
	assert_true(f->reorder_percent == 25);
	assert_true(f->reorder_correlation == 50);
	plan_free(&plan);

	f = fault_ok("reorder: {percent: 5}, delay: {time: 10ms}", &plan); /* any order */
	assert_int_equal(f->netem_effects, PLAN_NETEM_REORDER);
	assert_true(f->reorder_correlation == 0);
	plan_free(&plan);
}

static void test_netem_percent_forms(void **state)
{
	static const struct {
		const char *yaml;
		double want;
	} cases[] = {
		{"1", 1}, {"\"1%\"", 1}, {"1%", 1}, {"\"0.1\"", 0.1}, {"0.1", 0.1}, {"100", 100},
	};
	char fields[256];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct plan_fault *f;
		struct plan plan;

		snprintf(fields, sizeof(fields),
			 "delay: {time: 1ms}, duplicate: {percent: %s}, corrupt: {percent: %s}, "
			 "reorder: {percent: %s, correlation: %s}",
			 cases[i].yaml, cases[i].yaml, cases[i].yaml, cases[i].yaml);
		f = fault_ok(fields, &plan);
		assert_true(f->duplicate_percent == cases[i].want);
		assert_true(f->corrupt_percent == cases[i].want);
		assert_true(f->reorder_percent == cases[i].want);
		assert_true(f->reorder_correlation == cases[i].want);
		plan_free(&plan);
	}
	assert_fault_error("p", "corrupt: {percent: 0%}",
			   "spec.faults[0].corrupt.percent: \"0%\" is out of range: use more than "
			   "0 and at most 100");
	assert_fault_error("p", "delay: {time: 1ms}, reorder: {percent: 5, correlation: 100.5}",
			   "spec.faults[0].reorder.correlation: \"100.5\" is over 100");
}

static void test_gilbert_elliott_loss(void **state)
{
	const struct plan_fault *f;
	struct plan plan;

	(void)state;
	f = fault_ok("loss: {model: gilbert-elliott, p: 1%, r: 10%, h: 0%, k: 100%}", &plan);
	assert_int_equal(f->actions, 0); /* not FLT_ACT_LOSS: the eBPF side must not drop too */
	assert_int_equal(f->netem_effects, PLAN_NETEM_LOSS_GE);
	assert_true(f->ge_p == 1 && f->ge_r == 10 && f->ge_h == 0 && f->ge_k == 100);
	assert_true(f->loss_percent == 0);
	plan_free(&plan);

	/* h and k as written, and their defaults (0% and 100%) */
	f = fault_ok("loss: {r: \"20\", model: gilbert-elliott, p: 0.5, k: 99.5%, h: 30}", &plan);
	assert_true(f->ge_p == 0.5 && f->ge_r == 20 && f->ge_h == 30 && f->ge_k == 99.5);
	plan_free(&plan);
	f = fault_ok("loss: {model: gilbert-elliott, p: 1, r: 2}", &plan);
	assert_true(f->ge_h == 0 && f->ge_k == 100);
	plan_free(&plan);
	/* h 100% loses nothing in the bad state; k 50% loses half in the good one */
	f = fault_ok("loss: {model: gilbert-elliott, p: 1, r: 2, h: 100, k: 50}", &plan);
	assert_true(f->ge_h == 100 && f->ge_k == 50);
	plan_free(&plan);
	assert_fault_error("p", "loss: {model: gilbert-elliott, p: 1, r: 2, k: 100%, h: 100%}",
			   "spec.faults[0].loss.h: h and k are both 100%: this model never loses "
			   "a packet");
}

static void test_plain_loss_still_sets_the_loss_action(void **state)
{
	const struct plan_fault *f;
	struct plan plan;

	(void)state;
	f = fault_ok("loss: {percent: 5}", &plan);
	assert_int_equal(f->actions, FLT_ACT_LOSS);
	assert_int_equal(f->netem_effects, 0);
	plan_free(&plan);
	f = fault_ok("loss: {model: random, percent: 5}", &plan);
	assert_int_equal(f->actions, FLT_ACT_LOSS);
	assert_int_equal(f->netem_effects, 0);
	assert_true(f->loss_percent == 5);
	plan_free(&plan);
	assert_fault_error("p", "loss: {model: random}",
			   "spec.faults[0].loss: missing required field \"percent\"");
	assert_fault_error("p", "loss: {model: gilbert-elliott, r: 5}",
			   "spec.faults[0].loss: missing required field \"p\": model "
			   "gilbert-elliott needs p and r");
	assert_fault_error("p", "loss: {model: random, percent: 1, k: 5}",
			   "spec.faults[0].loss.k: k is a parameter of model gilbert-elliott: add "
			   "model: gilbert-elliott, or use percent alone");
}

static void test_backend_choices(void **state)
{
	const struct plan_fault *f;
	struct plan plan;

	(void)state;
	f = fault_ok("backend: edt, delay: {time: 5ms}, rate: {bandwidth: 1mbit}", &plan);
	assert_int_equal(f->backend, PLAN_BACKEND_EDT);
	assert_int_equal(f->actions, FLT_ACT_DELAY | FLT_ACT_RATE);
	plan_free(&plan);
	/* edt with an eBPF loss beside the delay */
	f = fault_ok("backend: edt, delay: {time: 5ms}, loss: {percent: 1}", &plan);
	assert_int_equal(f->actions, FLT_ACT_DELAY | FLT_ACT_LOSS);
	plan_free(&plan);
	f = fault_ok("backend: netem, delay: {time: 5ms}", &plan);
	assert_int_equal(f->backend, PLAN_BACKEND_NETEM);
	plan_free(&plan);
	/* netem can draw a plain loss by itself */
	f = fault_ok("backend: netem, loss: {percent: 2}", &plan);
	assert_int_equal(f->actions, FLT_ACT_LOSS);
	plan_free(&plan);
	/* auto with netem's effects: the backend is chosen when applied */
	f = fault_ok("backend: auto, duplicate: {percent: 2}, reject: {}", &plan);
	assert_int_equal(f->backend, PLAN_BACKEND_AUTO);
	assert_int_equal(f->actions, FLT_ACT_REJECT);
	assert_int_equal(f->netem_effects, PLAN_NETEM_DUPLICATE);
	plan_free(&plan);

	assert_fault_error(
		"p", "backend: edt, delay: {time: 5ms}, reorder: {percent: 5}",
		"spec.faults[0].backend: reorder needs backend netem: edt can only delay "
		"and pace packets");
	/* several: the first one written is named */
	assert_fault_error(
		"p", "corrupt: {percent: 1}, duplicate: {percent: 1}, backend: edt",
		"spec.faults[0].backend: corrupt needs backend netem: edt can only delay "
		"and pace packets");
	assert_fault_error("p", "backend: edt, reject: {}",
			   "spec.faults[0].backend: backend edt has nothing to do here: it serves "
			   "delay and rate");
	assert_fault_error(
		"p", "backend: netem, reject: {}",
		"spec.faults[0].backend: backend netem has nothing to do here: it serves "
		"delay, rate, loss, duplicate, corrupt and reorder");
	assert_fault_error(
		"p", "backend: fq, delay: {time: 5ms}",
		"spec.faults[0].backend: unknown backend \"fq\": use auto, edt or netem");
}

static void test_shaping_needs_network_interfaces(void **state)
{
	static const char *const targets[] = {"p", "n", "i"};
	static const char fields[] =
		"delay: {time: 5ms}, rate: {bandwidth: 1mbit}, duplicate: {percent: 1}";
	struct flt_error err;

	(void)state;
	for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
		struct plan plan;
		int ret = parse_fault_text(targets[i], fields, &plan, &err);

		if (ret)
			print_error("target %s: %s\n", targets[i], err.message);
		assert_int_equal(ret, 0);
		plan_free(&plan);
	}
	/* the first effect written is named */
	assert_fault_error(
		"c", "rate: {bandwidth: 1mbit}, delay: {time: 5ms}",
		"spec.faults[0].rate: rate needs a target with network interfaces: "
		"target \"c\" is a cgroups target, use a pods, netns or interfaces target");
	assert_fault_error(
		"c", "reject: {}, reorder: {percent: 1}, delay: {time: 5ms}",
		"spec.faults[0].reorder: reorder needs a target with network interfaces: "
		"target \"c\" is a cgroups target, use a pods, netns or interfaces target");
	assert_fault_error(
		"c", "corrupt: {percent: 1}",
		"spec.faults[0].corrupt: corrupt needs a target with network interfaces: "
		"target \"c\" is a cgroups target, use a pods, netns or interfaces target");
	/* a plain loss is not shaping: cgroup_skb drops it */
	{
		struct plan plan;

		assert_int_equal(parse_fault_text("c", "loss: {percent: 5}", &plan, &err), 0);
		plan_free(&plan);
	}
}

static void test_shaping_alongside_old_actions(void **state)
{
	const struct plan_fault *f;
	struct plan plan;

	(void)state;
	f = fault_ok("direction: ingress, match: {protocol: udp, ports: [53]}, "
		     "delay: {time: 30ms}, rate: {bandwidth: 64kbit}, loss: {percent: 10}",
		     &plan);
	assert_int_equal(f->direction, FLT_DIR_INGRESS);
	assert_int_equal(f->actions, FLT_ACT_DELAY | FLT_ACT_RATE | FLT_ACT_LOSS);
	assert_true(f->rate_bytes_per_sec == 8000);
	assert_range(&f->ports[0], 53, 53);
	plan_free(&plan);
	assert_fault_error("p", "match: {protocol: tcp}",
			   "spec.faults[0]: no action: give at least one of blackhole, reject, "
			   "loss, delay, rate, duplicate, corrupt or reorder");
	assert_fault_error("p", "dealy: {time: 5ms}",
			   "spec.faults[0]: unknown field \"dealy\": did you mean \"delay\"?");
	assert_fault_error(
		"p", "Rate: {bandwidth: 1mbit}",
		"spec.faults[0]: unknown field \"Rate\": keys are case-sensitive, did you "
		"mean \"rate\"?");
}

static void test_json_shaping_plan_equals_yaml_plan(void **state)
{
	struct plan from_yaml, from_json;

	(void)state;
	parse_ok("apiVersion: faultline/v1\nkind: FaultPlan\nmetadata: {name: s}\n"
		 "spec:\n  duration: 1m\n  targets: {w: {pods: [" POD_A "]}}\n"
		 "  faults:\n"
		 "    - name: slow\n      target: w\n      backend: edt\n"
		 "      delay: {time: 1.5ms, jitter: 500us, distribution: normal, correlation: "
		 "10%}\n"
		 "      rate: {bandwidth: 2.5mbit}\n"
		 "    - name: messy\n      target: w\n      backend: netem\n"
		 "      delay: {time: 20ms}\n"
		 "      duplicate: {percent: 1}\n      corrupt: {percent: 0.1}\n"
		 "      reorder: {percent: 25, correlation: 50%}\n"
		 "      loss: {model: gilbert-elliott, p: 1%, r: 10%, h: 5%, k: 99%}\n",
		 &from_yaml);
	parse_ok("{\"apiVersion\": \"faultline/v1\", \"kind\": \"FaultPlan\",\n"
		 " \"metadata\": {\"name\": \"s\"},\n"
		 " \"spec\": {\"duration\": \"1m\", \"targets\": {\"w\": {\"pods\": [\"" POD_A
		 "\"]}},\n"
		 "  \"faults\": [\n"
		 "   {\"name\": \"slow\", \"target\": \"w\", \"backend\": \"edt\",\n"
		 "    \"delay\": {\"time\": \"1.5ms\", \"jitter\": \"500us\", \"distribution\": "
		 "\"normal\", \"correlation\": 10},\n"
		 "    \"rate\": {\"bandwidth\": \"2.5mbit\"}},\n"
		 "   {\"name\": \"messy\", \"target\": \"w\", \"backend\": \"netem\",\n"
		 "    \"delay\": {\"time\": \"20ms\"}, \"duplicate\": {\"percent\": 1},\n"
		 "    \"corrupt\": {\"percent\": 0.1}, \"reorder\": {\"percent\": 25, "
		 "\"correlation\": \"50%\"},\n"
		 "    \"loss\": {\"model\": \"gilbert-elliott\", \"p\": 1, \"r\": 10, \"h\": "
		 "\"5%\", "
		 "\"k\": 99}}]}}\n",
		 &from_json);
	assert_plans_equal(&from_yaml, &from_json);
	assert_true(from_json.faults[0].rate_bytes_per_sec == 312500);
	assert_true(from_json.faults[1].ge_h == 5);
	plan_free(&from_yaml);
	plan_free(&from_json);
}

/* ---- what combines (docs/plan.md): accepted only where the kernel side has an effect ------ */

static void test_reject_never_sees_local_ports(void **state)
{
	static const char *const targets[] = {"p", "c"};
	static const char want[] =
		"spec.faults[0].match.localPorts: reject works at connect() time, before the "
		"kernel picks the local port: match on ports (the peer's) or use blackhole";

	(void)state;
	for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
		assert_fault_error(targets[i], "match: {localPorts: [8080]}, reject: {}", want);
		assert_fault_error(targets[i],
				   "reject: {errno: ETIMEDOUT}, match: {protocol: udp, localPorts: "
				   "[53], ports: [53]}",
				   want);
		/* beside a loss that would match, the reject still never would */
		assert_fault_error(targets[i],
				   "loss: {percent: 5}, match: {localPorts: [1-65535]}, reject: {}",
				   want);
	}
	/* the direction is checked first, as before */
	assert_fault_error("p", "direction: both, match: {localPorts: [80]}, reject: {}",
			   "spec.faults[0].direction: reject needs direction egress: it fails the "
			   "target's own outgoing connects");
}

static void test_nothing_beside_a_blackhole(void **state)
{
	static const struct {
		const char *fields, *want;
	} cases[] = {
		{"blackhole: {}, loss: {percent: 50}", "loss"},
		{"loss: {percent: 50}, blackhole: {}", "loss"},
		{"blackhole: {}, delay: {time: 10ms}", "delay"},
		{"blackhole: {}, rate: {bandwidth: 1mbit}", "rate"},
		{"blackhole: {}, duplicate: {percent: 1}", "duplicate"},
		{"blackhole: {}, corrupt: {percent: 1}", "corrupt"},
		{"blackhole: {}, delay: {time: 10ms}, reorder: {percent: 1}", "delay"},
		{"blackhole: {}, loss: {model: gilbert-elliott, p: 1, r: 2}", "loss"},
		/* the first one written is named */
		{"blackhole: {}, rate: {bandwidth: 1mbit}, delay: {time: 1ms}", "rate"},
	};
	char want[512];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(want, sizeof(want),
			 "spec.faults[0].%s: %s has no effect beside blackhole: blackhole drops "
			 "every packet this fault matches, so remove one of the two",
			 cases[i].want, cases[i].want);
		assert_fault_error("i", cases[i].fields, want);
	}
}

static void test_loopback_cidrs_need_a_cgroup_hook(void **state)
{
	static const char pod_want[] =
		"spec.faults[0].match.cidrs[1]: \"127.0.0.0/8\" is a loopback address: that "
		"traffic stays on the pod's lo device, and faultline works on its veth; a cgroups "
		"target with the pod's cgroup sees it";
	static const char netns_want[] =
		"spec.faults[0].match.cidrs[0]: \"::1\" is a loopback address: that traffic stays "
		"on the lo device, which a netns target leaves out; a cgroups target sees it";

	(void)state;
	assert_fault_error("p", "match: {cidrs: [10.0.0.0/8, 127.0.0.0/8]}, blackhole: {}",
			   pod_want);
	assert_fault_error("p", "match: {cidrs: [10.0.0.0/8, 127.0.0.0/8]}, delay: {time: 1ms}",
			   pod_want);
	assert_fault_error("n", "match: {cidrs: [\"::1\"]}, loss: {percent: 1}", netns_want);
	assert_fault_error(
		"c", "match: {cidrs: [\"::ffff:127.0.0.1\"]}, blackhole: {}",
		"spec.faults[0].match.cidrs[0]: \"::ffff:127.0.0.1\" is an ipv4-mapped ipv6 "
		"address, which no packet carries: write 127.0.0.1/32");
}

/* What looks odd but has its effect: accepted. */
static void test_combinations_that_have_an_effect(void **state)
{
	static const struct {
		const char *target, *fields;
	} cases[] = {
		/* connect() of an ICMP datagram ("ping") socket runs cgroup/connect4|6 */
		{"p", "match: {protocol: icmp}, reject: {}"},
		{"c", "match: {protocol: icmp, cidrs: [10.0.0.1]}, reject: {errno: EHOSTUNREACH}"},
		/* the connect hooks see a pod's connects to its own loopback */
		{"p", "match: {cidrs: [127.0.0.1]}, reject: {}"},
		{"p", "match: {cidrs: [127.0.0.1]}, reject: {}, loss: {percent: 5}"},
		/* cgroup_skb sees loopback traffic; an interfaces target may be lo itself */
		{"c", "match: {cidrs: [127.0.0.0/8, \"::1\"]}, blackhole: {}"},
		{"i", "match: {cidrs: [127.0.0.1]}, loss: {percent: 5}"},
		/* a reject fails new connects; the blackhole drops what still flows */
		{"p", "blackhole: {}, reject: {}"},
		/* localPorts without reject: the packet hooks read both ports */
		{"c", "direction: ingress, match: {localPorts: [8080]}, loss: {percent: 5}"},
		{"n", "direction: both, match: {localPorts: [8080]}, delay: {time: 1ms}"},
		/* ports with a reject: the peer's port, which connect() names */
		{"c", "match: {protocol: udp, ports: [53]}, reject: {}"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct flt_error err;
		struct plan plan;

		if (parse_fault_text(cases[i].target, cases[i].fields, &plan, &err))
			print_error("target %s, %s: %s\n", cases[i].target, cases[i].fields,
				    err.message);
		assert_int_equal(err.kind, FLT_ERR_NONE);
		assert_int_equal(plan.nfaults, 1);
		plan_free(&plan);
	}
}

/* ---- limits and cross-checks -------------------------------------------------------------- */

static const char duration_plan_fmt[] =
	"apiVersion: faultline/v1\nkind: FaultPlan\nmetadata: {name: d}\n"
	"spec:\n  duration: %s\n  targets: {t: {pods: [" POD_A "]}}\n"
	"  faults: [{name: f, target: t, blackhole: {}}]\n";

static int parse_duration_plan(const char *duration, uint64_t max_ms, uint64_t *got,
			       struct flt_error *err)
{
	struct plan plan;
	char text[512];
	int ret;

	snprintf(text, sizeof(text), duration_plan_fmt, duration);
	ret = parse(text, max_ms, &plan, err);
	*got = plan.duration_ms;
	plan_free(&plan);
	return ret;
}

static void test_duration_limit_and_max_duration(void **state)
{
	struct flt_error err;
	uint64_t ms;

	(void)state;
	assert_int_equal(parse_duration_plan("1h", MAX_MS, &ms, &err), 0);
	assert_true(ms == MAX_MS);
	assert_int_equal(parse_duration_plan("3600001ms", MAX_MS, &ms, &err), -EINVAL);
	assert_string_equal(err.message,
			    "t.yaml:5:13: spec.duration: \"3600001ms\" is over the limit "
			    "of 1h: --max-duration raises it");
	/* --max-duration 3h */
	assert_int_equal(parse_duration_plan("2h30m", 3 * MAX_MS, &ms, &err), 0);
	assert_true(ms == 150 * 60 * 1000);
	assert_int_equal(parse_duration_plan("3h1ms", 3 * MAX_MS, &ms, &err), -EINVAL);
	assert_non_null(strstr(err.message, "over the limit of 3h: --max-duration raises it"));
	assert_int_equal(parse_duration_plan("90m", 90 * 60 * 1000 + 500, &ms, &err), 0);
	assert_int_equal(parse_duration_plan("2h", 90 * 60 * 1000 + 500, &ms, &err), -EINVAL);
	assert_non_null(strstr(err.message, "over the limit of 1h30m500ms"));
	assert_int_equal(parse_duration_plan("0ms", MAX_MS, &ms, &err), -EINVAL);
	assert_string_equal(err.message,
			    "t.yaml:5:13: spec.duration: \"0ms\" is zero: the duration "
			    "must be greater than 0");
	assert_int_equal(parse_duration_plan("1ms", MAX_MS, &ms, &err), 0);
	assert_true(ms == 1);
}

static void test_equivalent_cgroup_paths_are_one_target_id(void **state)
{
	(void)state;
	assert_parse_error("apiVersion: faultline/v1\nkind: FaultPlan\nmetadata: {name: d}\n"
			   "spec:\n  duration: 1m\n"
			   "  targets:\n    a: {cgroups: [/system.slice/x.service]}\n"
			   "    b: {cgroups: [system.slice//x.service/]}\n"
			   "  faults: [{name: f, target: a, blackhole: {}}]\n",
			   "t.yaml:8:19: spec.targets.b.cgroups[0]: cgroup "
			   "\"system.slice//x.service/\" is already listed at line 7");
	assert_parse_error("apiVersion: faultline/v1\nkind: FaultPlan\nmetadata: {name: d}\n"
			   "spec:\n  duration: 1m\n"
			   "  targets:\n    a: {netns: [/run/netns/x, //run/netns/x]}\n"
			   "  faults: [{name: f, target: a, blackhole: {}}]\n",
			   "t.yaml:7:31: spec.targets.a.netns[1]: netns \"//run/netns/x\" is "
			   "already listed at line 7");
}

static void test_same_id_of_another_kind_is_not_a_repeat(void **state)
{
	struct plan plan;

	(void)state;
	/* "eth0" the interface and "eth0" the cgroup directory are different things */
	parse_ok(
		"apiVersion: faultline/v1\nkind: FaultPlan\nmetadata: {name: d}\n"
		"spec:\n  duration: 1m\n"
		"  targets: {a: {cgroups: [eth0]}, b: {interfaces: [eth0]}}\n"
		"  faults: [{name: f, target: a, blackhole: {}}, {name: g, target: b, blackhole: {}}]\n",
		&plan);
	plan_free(&plan);
}

static void test_sixteen_faults_per_target_across_targets(void **state)
{
	char text[8192], *p = text;
	struct plan plan;
	int i;

	(void)state;
	/* 16 on each of two targets, interleaved: the limit is per target, not per plan */
	p += sprintf(p, "apiVersion: faultline/v1\nkind: FaultPlan\nmetadata: {name: d}\n"
			"spec:\n  duration: 1m\n"
			"  targets: {a: {pods: [" POD_A "]}, b: {pods: [" POD_B "]}}\n"
			"  faults:\n");
	for (i = 0; i < 32; i++)
		p += sprintf(p, "    - {name: f%d, target: %c, blackhole: {}}\n", i, "ab"[i % 2]);
	parse_ok(text, &plan);
	assert_int_equal(plan.nfaults, 32);
	assert_int_equal(plan.faults[31].target, 1);
	plan_free(&plan);
}

/* A pod by UID, NAMESPACE/NAME or NAMESPACE/GLOB: kept as written, for the engine to expand. */
static void test_pod_names_and_globs(void **state)
{
	static const char *const ok[] = {
		"shop/checkout-1", "shop/checkout-*", "kube-system/etcd.node-1", "a/b",
		"shop/checkout-[12]", "shop/checkout-[!3]", "shop/c?rt-*", "shop/*",
	};
	char text[1024];
	struct plan plan;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		snprintf(text, sizeof(text),
			 "apiVersion: faultline/v1\nkind: FaultPlan\nmetadata: {name: d}\n"
			 "spec:\n  duration: 1m\n"
			 "  targets: {a: {pods: [" POD_A ", \"%s\"]}}\n"
			 "  faults: [{name: f, target: a, blackhole: {}}]\n",
			 ok[i]);
		parse_ok(text, &plan);
		assert_int_equal(plan.targets[0].nids, 2);
		assert_string_equal(plan.targets[0].ids[1].id, ok[i]);
		assert_null(plan.targets[0].ids[0].pattern);
		assert_null(plan.targets[0].ids[1].pattern);
		plan_free(&plan);
	}
	assert_parse_error("apiVersion: faultline/v1\nkind: FaultPlan\nmetadata: {name: d}\n"
			   "spec:\n  duration: 1m\n"
			   "  targets: {a: {pods: [shop/x]}, b: {pods: [shop/x]}}\n"
			   "  faults: [{name: f, target: a, blackhole: {}}]\n",
			   "t.yaml:6:45: spec.targets.b.pods[0]: pod \"shop/x\" is already listed "
			   "at line 6");
	assert_parse_error("apiVersion: faultline/v1\nkind: FaultPlan\nmetadata: {name: d}\n"
			   "spec:\n  duration: 1m\n"
			   "  targets: {a: {pods: [\"shop/a]b\"]}}\n"
			   "  faults: [{name: f, target: a, blackhole: {}}]\n",
			   "t.yaml:6:24: spec.targets.a.pods[0]: \"shop/a]b\": ']' without its '['");
}

static void test_first_error_in_document_order(void **state)
{
	(void)state;
	/* two errors: the one on line 6 is reported, not the one on line 9 */
	assert_parse_error(
		"apiVersion: faultline/v1\nkind: FaultPlan\nmetadata: {name: d}\n"
		"spec:\n"
		"  targets: {t: {pods: [" POD_A "]}}\n"
		"  duration: 10x\n"
		"  faults:\n"
		"    - name: f\n"
		"      target: t\n"
		"      loss: {percent: 0}\n",
		"t.yaml:6:13: spec.duration: unknown unit \"x\" in \"10x\": use ms, s, m or h");
}

static void test_fault_plan_check_comes_first(void **state)
{
	(void)state;
	/* a Deployment given by mistake is named as such, not by its first unknown field */
	assert_parse_error(
		"metadata: {name: web}\nspec: {replicas: 3}\napiVersion: apps/v1\n"
		"kind: Deployment\n",
		"t.yaml:3:13: apiVersion: \"apps/v1\" is not supported: use faultline/v1");
}

static void test_alias_error_points_at_the_anchor(void **state)
{
	(void)state;
	/* ingress is fine for the blackhole on line 8, not for the reject that reuses it */
	assert_parse_error(
		"apiVersion: faultline/v1\nkind: FaultPlan\nmetadata: {name: d}\n"
		"spec:\n  duration: 1m\n"
		"  targets: {t: {pods: [" POD_A "]}}\n"
		"  faults:\n"
		"    - {name: a, target: t, direction: &in ingress, blackhole: {}}\n"
		"    - {name: b, target: t, direction: *in, reject: {}}\n",
		"t.yaml:8:39: spec.faults[1].direction: reject needs direction egress: it "
		"fails the target's own outgoing connects");
}

/* ---- the corpora -------------------------------------------------------------------------- */

static bool is_plan_file(const char *name)
{
	size_t len = strlen(name);

	return (len > 5 && !strcmp(name + len - 5, ".yaml")) ||
	       (len > 5 && !strcmp(name + len - 5, ".json"));
}

static char *read_text(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *text = NULL;
	long size;

	if (!f)
		return NULL;
	if (!fseek(f, 0, SEEK_END) && (size = ftell(f)) >= 0 && !fseek(f, 0, SEEK_SET)) {
		text = malloc(size + 1);
		if (text && fread(text, 1, size, f) != (size_t)size) {
			free(text);
			text = NULL;
		} else if (text) {
			text[size] = '\0';
			*len = size;
		}
	}
	fclose(f);
	return text;
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The plan files of dir, sorted; *n of them. */
static char **list_plans(const char *dir, size_t *n)
{
	char **names = NULL;
	struct dirent *de;
	DIR *d = opendir(dir);

	*n = 0;
	assert_non_null(d);
	while ((de = readdir(d))) {
		if (!is_plan_file(de->d_name))
			continue;
		names = realloc(names, (*n + 1) * sizeof(*names));
		assert_non_null(names);
		names[*n] = strdup(de->d_name);
		assert_non_null(names[*n]);
		(*n)++;
	}
	closedir(d);
	qsort(names, *n, sizeof(*names), compare_names);
	return names;
}

static void free_names(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

static void test_bad_corpus_exact_messages(void **state)
{
	static const char dir[] = "tests/plans/bad";
	size_t n, i, failures = 0;
	char **names = list_plans(dir, &n);

	(void)state;
	assert_true(n >= 25);
	for (i = 0; i < n; i++) {
		char path[PATH_MAX], err_path[PATH_MAX];
		struct flt_error err, err2;
		char *want, *text;
		size_t want_len, text_len;
		struct plan plan;
		int ret;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		snprintf(err_path, sizeof(err_path), "%s/%.*s.err", dir,
			 (int)(strlen(names[i]) - 5), names[i]);
		want = read_text(err_path, &want_len);
		if (!want) {
			print_error("%s: no expected message in %s\n", path, err_path);
			failures++;
			continue;
		}
		while (want_len && want[want_len - 1] == '\n')
			want[--want_len] = '\0';

		ret = plan_parse_file(path, MAX_MS, &plan, &err);
		if (ret != -EINVAL || strcmp(err.message, want)) {
			print_error("%s:\n  want %s\n  got  %s (%d)\n", path, want, err.message, ret);
			failures++;
		}
		if (plan.name || plan.file || plan.targets || plan.faults || plan.ntargets ||
		    plan.nfaults) {
			print_error("%s: the plan is not left empty after an error\n", path);
			failures++;
		}
		/* the same message from text in memory */
		text = read_text(path, &text_len);
		assert_non_null(text);
		ret = plan_parse_string(path, text, text_len, MAX_MS, &plan, &err2);
		if (ret != -EINVAL || strcmp(err2.message, want)) {
			print_error("%s (string):\n  want %s\n  got  %s\n", path, want, err2.message);
			failures++;
		}
		free(text);
		free(want);
	}
	print_message("bad plans checked: %zu\n", n);
	free_names(names, n);
	assert_int_equal(failures, 0);
}

static void test_bad_corpus_has_no_orphan_messages(void **state)
{
	static const char dir[] = "tests/plans/bad";
	struct dirent *de;
	DIR *d = opendir(dir);
	size_t orphans = 0;

	(void)state;
	assert_non_null(d);
	while ((de = readdir(d))) {
		char yaml[PATH_MAX], json[PATH_MAX];
		size_t len = strlen(de->d_name);

		if (len < 5 || strcmp(de->d_name + len - 4, ".err"))
			continue;
		snprintf(yaml, sizeof(yaml), "%s/%.*s.yaml", dir, (int)(len - 4), de->d_name);
		snprintf(json, sizeof(json), "%s/%.*s.json", dir, (int)(len - 4), de->d_name);
		if (access(yaml, F_OK) && access(json, F_OK)) {
			print_error("%s/%s has no plan beside it\n", dir, de->d_name);
			orphans++;
		}
	}
	closedir(d);
	assert_int_equal(orphans, 0);
}

static void test_good_corpus_parses(void **state)
{
	static const char dir[] = "tests/plans/good";
	size_t n, i, failures = 0;
	char **names = list_plans(dir, &n);

	(void)state;
	assert_true(n >= 3);
	for (i = 0; i < n; i++) {
		char path[PATH_MAX];
		struct flt_error err;
		struct plan plan;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (plan_parse_file(path, MAX_MS, &plan, &err)) {
			print_error("%s\n", err.message);
			failures++;
			continue;
		}
		if (!plan.nfaults || !plan.ntargets) {
			print_error("%s: parsed with no faults or no targets\n", path);
			failures++;
		}
		plan_free(&plan);
	}
	free_names(names, n);
	assert_int_equal(failures, 0);
}

/* text with every "from" replaced by "to" (malloc'ed) */
static char *replace_all(const char *text, const char *from, const char *to)
{
	size_t from_len = strlen(from), to_len = strlen(to), count = 0;
	const char *p;
	char *out, *o;

	for (p = text; (p = strstr(p, from)); p += from_len)
		count++;
	out = malloc(strlen(text) + count * to_len + 1);
	assert_non_null(out);
	for (o = out, p = text;;) {
		const char *hit = strstr(p, from);

		if (!hit) {
			strcpy(o, p);
			break;
		}
		memcpy(o, p, hit - p);
		o += hit - p;
		memcpy(o, to, to_len);
		o += to_len;
		p = hit + from_len;
	}
	return out;
}

static void test_examples_parse(void **state)
{
	static const char *const demos[] = {"blackhole.yaml", "reject.yaml", "loss.yaml",
					    "delay.yaml",     "rate.yaml",   "netem.yaml"};
	static const char *const peers[] = {"192.0.2.10", "2001:db8::10"};
	static const char dir[] = "examples";
	size_t n, i, failures = 0;
	char **names = list_plans(dir, &n);

	(void)state;
	assert_true(n >= 4);
	for (i = 0; i < n; i++) {
		char path[PATH_MAX];
		struct flt_error err;
		struct plan plan;
		char *text, *with_pod, *with_observed, *with_peer;
		size_t len, d, pi;
		bool is_demo = false;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		text = read_text(path, &len);
		assert_non_null(text);
		for (d = 0; d < sizeof(demos) / sizeof(demos[0]); d++)
			is_demo |= !strcmp(names[i], demos[d]);
		for (pi = 0; pi < sizeof(peers) / sizeof(peers[0]); pi++) {
			/* what the demo script does: put in real pod UIDs and a peer address */
			with_pod = replace_all(text, "POD_UID", POD_A);
			with_observed = replace_all(with_pod, "OBSERVED_UID", POD_B);
			with_peer = replace_all(with_observed, "PEER_IP", peers[pi]);
			if (plan_parse_string(path, with_peer, strlen(with_peer), MAX_MS, &plan,
					      &err)) {
				print_error("%s\n", err.message);
				failures++;
			} else if (is_demo) {
				char want[64];

				/* one target, one pod, one peer address */
				assert_int_equal(plan.ntargets, 1);
				assert_int_equal(plan.targets[0].nids, 1);
				assert_int_equal(plan.targets[0].ids[0].kind, TARGET_POD);
				assert_string_equal(plan.targets[0].ids[0].id, POD_A);
				assert_int_equal(plan.nfaults, 1);
				assert_int_equal(plan.faults[0].ncidrs, 1);
				snprintf(want, sizeof(want), "%s/%d", peers[pi], pi ? 128 : 32);
				assert_cidr(&plan.faults[0].cidrs[0], want);
			}
			plan_free(&plan);
			free(with_pod);
			free(with_observed);
			free(with_peer);
		}
		if (is_demo && (!strstr(text, "POD_UID") || !strstr(text, "PEER_IP"))) {
			print_error("%s: a demo plan needs the POD_UID and PEER_IP placeholders\n",
				    path);
			failures++;
		}
		free(text);
	}
	free_names(names, n);
	assert_int_equal(failures, 0);
}

/* ---- files and buffers -------------------------------------------------------------------- */

static void test_file_errors(void **state)
{
	char path[] = "/tmp/faultline-test-plan-XXXXXX";
	struct plan plan;
	struct flt_error err;
	FILE *f;
	int fd;

	(void)state;
	assert_int_equal(
		plan_parse_file("tests/plans/no-such-plan.yaml", MAX_MS, &plan, &err),
		-ENOENT);
	assert_string_equal(err.message, "tests/plans/no-such-plan.yaml: cannot open the plan: "
					 "No such file or directory");
	assert_int_equal(err.kind, FLT_ERR_INPUT); /* exit 2: the user named it */
	assert_int_equal(err.line, 0);		    /* no position */
	assert_null(plan.file);
	assert_int_equal(plan_parse_file("tests/plans", MAX_MS, &plan, &err), -EISDIR);
	assert_string_equal(err.message, "tests/plans: cannot read the plan: Is a directory");
	assert_int_equal(err.kind, FLT_ERR_INPUT);

	/* a file over the size bound is refused before parsing */
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	for (int i = 0; i < (1 << 20) / 64 + 1; i++)
		fprintf(f, "# %061d\n", i);
	fclose(f);
	assert_int_equal(plan_parse_file(path, MAX_MS, &plan, &err), -EFBIG);
	unlink(path);
	assert_non_null(strstr(err.message, ": the plan is larger than 1048576 bytes"));
	assert_int_equal(err.kind, FLT_ERR_INPUT);
	assert_int_equal(flt_exit_status(&err), 2);
}

static void test_length_bounds_the_text(void **state)
{
	static const char text[] =
		"apiVersion: faultline/v1\nkind: FaultPlan\nmetadata: {name: d}\n"
		"spec: {duration: 1m, targets: {t: {pods: [" POD_A "]}},\n"
		"  faults: [{name: f, target: t, blackhole: {}}]}\n"
		"junk: [";
	struct plan plan;
	struct flt_error err;

	(void)state;
	/* the text after len is never read */
	assert_int_equal(plan_parse_string("t.yaml", text, strlen(text) - strlen("junk: ["), MAX_MS,
					   &plan, &err),
			 0);
	plan_free(&plan);
	assert_int_equal(
		plan_parse_string("t.yaml", text, strlen(text), MAX_MS, &plan, &err),
		-EINVAL);
	assert_true(!strncmp(err.message, "t.yaml:7:", 9));
}

/* The error's parts, for front ends that print them apart (JSON): position and field path. */
static void test_error_has_position_and_field(void **state)
{
	static const struct {
		const char *fields;
		unsigned int line, column;
		const char *field;
	} cases[] = {
		/* the fault is on line 9: "    - {name: f, target: p, " then the fields */
		{"match: {ports: [80, 0]}, blackhole: {}", 9, 48, "spec.faults[0].match.ports[1]"},
		{"loss: {percent: 200}", 9, 44, "spec.faults[0].loss.percent"},
		{"match: {protocol: tcp}", 9, 7, "spec.faults[0]"},
		{"reject: {}, match: {localPorts: [80]}", 9, 48, "spec.faults[0].match.localPorts"},
		{"blackhole: {}, delay: {time: 5ms}", 9, 43, "spec.faults[0].delay"},
	};
	char text[2048];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct flt_error err;
		struct plan plan;
		char prefix[256];

		snprintf(text, sizeof(text), shaping_plan_fmt, "p", cases[i].fields);
		assert_int_equal(parse(text, MAX_MS, &plan, &err), -EINVAL);
		if (err.line != cases[i].line || err.column != cases[i].column ||
		    strcmp(err.field, cases[i].field))
			print_error("%s: got %u:%u %s (%s)\n", cases[i].fields, err.line,
				    err.column, err.field, err.message);
		assert_int_equal(err.kind, FLT_ERR_INPUT);
		assert_int_equal(err.errnum, EINVAL);
		assert_string_equal(err.file, "t.yaml");
		assert_int_equal(err.line, cases[i].line);
		assert_int_equal(err.column, cases[i].column);
		assert_string_equal(err.field, cases[i].field);
		/* the message says the same */
		snprintf(prefix, sizeof(prefix), "t.yaml:%u:%u: %s: ", cases[i].line,
			 cases[i].column, cases[i].field);
		assert_true(!strncmp(err.message, prefix, strlen(prefix)));
	}
}

/* The document itself and yaml syntax are named in the message, but are no field. */
static void test_error_of_the_document_has_no_field(void **state)
{
	struct flt_error err;
	struct plan plan;

	(void)state;
	assert_int_equal(plan_parse_string("t.yaml", "[", 1, MAX_MS, &plan, &err), -EINVAL);
	assert_int_equal(err.kind, FLT_ERR_INPUT);
	assert_string_equal(err.field, "");
	assert_int_equal(err.line, 2);
	assert_string_equal(err.message, "t.yaml:2:1: yaml: did not find expected node content");
	assert_int_equal(plan_parse_string("t.yaml", "", 0, MAX_MS, &plan, &err), -EINVAL);
	assert_string_equal(err.message, "t.yaml:1:1: (root): the plan is empty");
	assert_string_equal(err.field, "");
	/* and a NULL err is fine */
	assert_int_equal(plan_parse_string("t.yaml", "[", 1, MAX_MS, &plan, NULL), -EINVAL);
}

static void test_plan_free_is_safe_twice(void **state)
{
	struct plan plan;

	(void)state;
	memset(&plan, 0, sizeof(plan));
	plan_free(&plan);
	plan_free(NULL);
	parse_ok("apiVersion: faultline/v1\nkind: FaultPlan\nmetadata: {name: d}\n"
		 "spec: {duration: 1m, targets: {t: {pods: [" POD_A "]}},\n"
		 "  faults: [{name: f, target: t, match: {cidrs: [10.0.0.0/8]}, blackhole: {}}]}\n",
		 &plan);
	plan_free(&plan);
	assert_true(is_zero(&plan, sizeof(plan)));
	plan_free(&plan);
}

static void test_target_kind_names(void **state)
{
	(void)state;
	assert_string_equal(target_kind_name(TARGET_POD), "pod");
	assert_string_equal(target_kind_name(TARGET_CGROUP), "cgroup");
	assert_string_equal(target_kind_name(TARGET_NETNS), "netns");
	assert_string_equal(target_kind_name(TARGET_INTERFACE), "interface");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_example_every_field),
		cmocka_unit_test(test_defaults_and_null_actions),
		cmocka_unit_test(test_loss_percent_forms),
		cmocka_unit_test(test_positions_are_one_based),
		cmocka_unit_test(test_unused_target_is_fine),
		cmocka_unit_test(test_json_plan_equals_yaml_plan),
		cmocka_unit_test(test_json_file),
		cmocka_unit_test(test_json_error_position),
		cmocka_unit_test(test_delay_time_only_has_defaults),
		cmocka_unit_test(test_delay_every_field),
		cmocka_unit_test(test_delay_limits),
		cmocka_unit_test(test_delay_jitter_shapes_need_a_jitter),
		cmocka_unit_test(test_rate_bandwidths),
		cmocka_unit_test(test_netem_effects_set_their_bits_not_actions),
		cmocka_unit_test(test_netem_percent_forms),
		cmocka_unit_test(test_gilbert_elliott_loss),
		cmocka_unit_test(test_plain_loss_still_sets_the_loss_action),
		cmocka_unit_test(test_backend_choices),
		cmocka_unit_test(test_shaping_needs_network_interfaces),
		cmocka_unit_test(test_shaping_alongside_old_actions),
		cmocka_unit_test(test_json_shaping_plan_equals_yaml_plan),
		cmocka_unit_test(test_reject_never_sees_local_ports),
		cmocka_unit_test(test_nothing_beside_a_blackhole),
		cmocka_unit_test(test_loopback_cidrs_need_a_cgroup_hook),
		cmocka_unit_test(test_combinations_that_have_an_effect),
		cmocka_unit_test(test_duration_limit_and_max_duration),
		cmocka_unit_test(test_equivalent_cgroup_paths_are_one_target_id),
		cmocka_unit_test(test_same_id_of_another_kind_is_not_a_repeat),
		cmocka_unit_test(test_sixteen_faults_per_target_across_targets),
		cmocka_unit_test(test_first_error_in_document_order),
		cmocka_unit_test(test_fault_plan_check_comes_first),
		cmocka_unit_test(test_alias_error_points_at_the_anchor),
		cmocka_unit_test(test_bad_corpus_exact_messages),
		cmocka_unit_test(test_bad_corpus_has_no_orphan_messages),
		cmocka_unit_test(test_good_corpus_parses),
		cmocka_unit_test(test_examples_parse),
		cmocka_unit_test(test_file_errors),
		cmocka_unit_test(test_length_bounds_the_text),
		cmocka_unit_test(test_error_has_position_and_field),
		cmocka_unit_test(test_error_of_the_document_has_no_field),
		cmocka_unit_test(test_plan_free_is_safe_twice),
		cmocka_unit_test(test_target_kind_names),
		cmocka_unit_test(test_pod_names_and_globs),
	};

	return cmocka_run_group_tests(tests, enter_srcdir, NULL);
}
