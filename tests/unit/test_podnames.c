// SPDX-License-Identifier: GPL-2.0-only
/*
 * Pods by name (kernel/podnames.c): kubelet's folder names NAMESPACE_NAME_UID split and checked,
 * and the lookups over a folder of such names made in a temporary directory, named by
 * $FAULTLINE_POD_LOG_DIR. Needs no privileges.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/error.h"
#include "kernel/podnames.h"

#define UID_A "0b1e6f0a-5c1d-4f5e-9a7b-2c3d4e5f6a7b"
#define UID_B "1b1e6f0a-5c1d-4f5e-9a7b-2c3d4e5f6a7b"
#define UID_C "2b1e6f0a-5c1d-4f5e-9a7b-2c3d4e5f6a7b"
#define UID_D "3b1e6f0a-5c1d-4f5e-9a7b-2c3d4e5f6a7b"
#define UID_STATIC "6b2d1c0e9f8a7b6c5d4e3f2a1b0c9d8e"

static void parses(void **state)
{
	struct pod_name p;

	(void)state;
	assert_int_equal(pod_name_parse("shop_checkout-1_" UID_A, &p), 0);
	assert_string_equal(p.ns, "shop");
	assert_string_equal(p.name, "checkout-1");
	assert_string_equal(p.uid, UID_A);

	/* a name is a subdomain: dots allowed */
	assert_int_equal(pod_name_parse("kube-system_etcd.node-1.example_" UID_STATIC, &p), 0);
	assert_string_equal(p.ns, "kube-system");
	assert_string_equal(p.name, "etcd.node-1.example");
	assert_string_equal(p.uid, UID_STATIC);

	/* the longest namespace (63) and name (253) */
	{
		char ns[64], name[254], dir[512];

		memset(ns, 'a', 63);
		ns[63] = '\0';
		memset(name, 'b', 253);
		name[253] = '\0';
		snprintf(dir, sizeof(dir), "%s_%s_%s", ns, name, UID_A);
		assert_int_equal(pod_name_parse(dir, &p), 0);
		assert_int_equal(strlen(p.ns), 63);
		assert_int_equal(strlen(p.name), 253);
		snprintf(dir, sizeof(dir), "%sa_%s_%s", ns, name, UID_A);
		assert_int_equal(pod_name_parse(dir, &p), -EINVAL);
		snprintf(dir, sizeof(dir), "%s_%sb_%s", ns, name, UID_A);
		assert_int_equal(pod_name_parse(dir, &p), -EINVAL);
	}
}

static void refuses(void **state)
{
	static const char *const bad[] = {
		"",
		"shop",
		"shop_checkout",
		"shop_checkout_",
		"_checkout_" UID_A,
		"shop__" UID_A,
		"shop_checkout_" UID_A "_x",		/* four parts */
		"shop_check_out_" UID_A,		/* '_' in a name */
		"Shop_checkout_" UID_A,			/* upper case */
		"shop_Checkout_" UID_A,
		"shop_checkout_0B1E6F0A-5C1D-4F5E-9A7B-2C3D4E5F6A7B",
		"shop_checkout_0b1e6f0a5c1d-4f5e-9a7b-2c3d4e5f6a7b0", /* dash misplaced */
		"shop_checkout_0b1e6f0a-5c1d-4f5e-9a7b-2c3d4e5f6a7",   /* short */
		"shop_checkout_0b1e6f0g-5c1d-4f5e-9a7b-2c3d4e5f6a7b",  /* not hex */
		"-shop_checkout_" UID_A,		/* label starts with '-' */
		"shop-_checkout_" UID_A,
		"shop_checkout-_" UID_A,
		"shop_-checkout_" UID_A,
		"sh.op_checkout_" UID_A,		/* a namespace is a label: no dots */
		"shop_check..out_" UID_A,		/* empty label */
		"shop_.checkout_" UID_A,
		"shop_checkout._" UID_A,
		"sh*p_checkout_" UID_A,
		"..data",
		".",
	};
	struct pod_name p;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (pod_name_parse(bad[i], &p) != -EINVAL)
			fail_msg("accepted \"%s\"", bad[i]);
	}
}

static char tmpdir[PATH_MAX];

static void make_dir(const char *name)
{
	char path[PATH_MAX * 2];

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	assert_int_equal(mkdir(path, 0755), 0);
}

static int log_dir_setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "%s/faultline-podnames-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(tmpdir))
		return -1;
	setenv("FAULTLINE_POD_LOG_DIR", tmpdir, 1);
	make_dir("shop_checkout-2_" UID_B);
	make_dir("shop_checkout-1_" UID_A);
	make_dir("shop_cart-1_" UID_C);
	make_dir("other_checkout-1_" UID_D);
	make_dir("not-a-pod");
	make_dir("shop_broken");
	return 0;
}

static int log_dir_teardown(void **state)
{
	char cmd[PATH_MAX + 16];

	(void)state;
	unsetenv("FAULTLINE_POD_LOG_DIR");
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) ? -1 : 0;
}

static void log_dir_env(void **state)
{
	(void)state;
	assert_string_equal(pod_log_dir(), tmpdir);
	setenv("FAULTLINE_POD_LOG_DIR", "", 1);
	assert_string_equal(pod_log_dir(), "/var/log/pods");
	setenv("FAULTLINE_POD_LOG_DIR", tmpdir, 1);
}

static void name_of(void **state)
{
	struct pod_name p;

	(void)state;
	assert_int_equal(pod_name_of(UID_C, &p), 0);
	assert_string_equal(p.ns, "shop");
	assert_string_equal(p.name, "cart-1");
	/* the tracer takes UIDs in either case */
	assert_int_equal(pod_name_of("0B1E6F0A-5C1D-4F5E-9A7B-2C3D4E5F6A7B", &p), 0);
	assert_string_equal(p.name, "checkout-1");
	assert_string_equal(p.uid, UID_A);
	assert_int_equal(pod_name_of("9b1e6f0a-5c1d-4f5e-9a7b-2c3d4e5f6a7b", &p), -ENOENT);
	assert_int_equal(pod_name_of("shop_broken", &p), -ENOENT);
	assert_int_equal(pod_name_of("", &p), -ENOENT);
}

static void match(void **state)
{
	struct pod_name *pods;
	struct flt_error err;
	size_t n;

	(void)state;
	assert_int_equal(pod_names_match("shop", "checkout-*", &pods, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(pods[0].name, "checkout-1"); /* sorted by name */
	assert_string_equal(pods[0].uid, UID_A);
	assert_string_equal(pods[1].name, "checkout-2");
	assert_string_equal(pods[1].uid, UID_B);
	free(pods);

	assert_int_equal(pod_names_match("shop", "cart-1", &pods, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(pods[0].uid, UID_C);
	free(pods);

	assert_int_equal(pod_names_match("shop", "*", &pods, &n, &err), 0);
	assert_int_equal(n, 3);
	assert_string_equal(pods[0].name, "cart-1");
	free(pods);

	assert_int_equal(pod_names_match("shop", "checkout-[2-9]", &pods, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(pods[0].uid, UID_B);
	free(pods);

	assert_int_equal(pod_names_match("shop", "checkout-?", &pods, &n, &err), 0);
	assert_int_equal(n, 2);
	free(pods);

	/* the namespace is exact */
	assert_int_equal(pod_names_match("other", "checkout-*", &pods, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(pods[0].uid, UID_D);
	free(pods);

	assert_int_equal(pod_names_match("shop", "nothing-*", &pods, &n, &err), 0);
	assert_int_equal(n, 0);
	assert_null(pods);
	assert_int_equal(pod_names_match("sho", "checkout-1", &pods, &n, &err), 0);
	assert_int_equal(n, 0);
}

static void missing_dir(void **state)
{
	char gone[PATH_MAX + 8];
	struct pod_name *pods, p;
	struct flt_error err;
	size_t n;

	(void)state;
	snprintf(gone, sizeof(gone), "%s/nope", tmpdir);
	setenv("FAULTLINE_POD_LOG_DIR", gone, 1);
	assert_int_equal(pod_names_match("shop", "*", &pods, &n, &err), 0);
	assert_int_equal(n, 0);
	assert_int_equal(pod_name_of(UID_A, &p), -ENOENT);
	/* a file where the folder should be: an error, not "no pods" */
	{
		char file[PATH_MAX + 8];
		FILE *f;

		snprintf(file, sizeof(file), "%s/file", tmpdir);
		f = fopen(file, "w");
		assert_non_null(f);
		fclose(f);
		setenv("FAULTLINE_POD_LOG_DIR", file, 1);
		assert_int_equal(pod_names_match("shop", "*", &pods, &n, &err), -ENOTDIR);
		assert_int_equal(err.kind, FLT_ERR_SYSTEM);
		assert_non_null(strstr(err.message, "pod log folder"));
		unlink(file);
	}
	setenv("FAULTLINE_POD_LOG_DIR", tmpdir, 1);
}

int main(void)
{
	const struct CMUnitTest parse_tests[] = {
		cmocka_unit_test(parses),
		cmocka_unit_test(refuses),
	};
	const struct CMUnitTest dir_tests[] = {
		cmocka_unit_test(log_dir_env),
		cmocka_unit_test(name_of),
		cmocka_unit_test(match),
		cmocka_unit_test(missing_dir),
	};
	int failed = cmocka_run_group_tests_name("pod folder names", parse_tests, NULL, NULL);

	failed += cmocka_run_group_tests_name("pods by name", dir_tests, log_dir_setup,
					      log_dir_teardown);
	return failed;
}
