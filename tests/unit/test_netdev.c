// SPDX-License-Identifier: GPL-2.0-only
/*
 * netdev.c against real interfaces and namespaces: a veth pair in the test's namespace, a "pod"
 * process in a namespace of its own whose eth0 is a veth to the test's, and a third namespace
 * whose veth peer has the pod's eth0's ifindex, to prove namespaces are compared, not numbers.
 * Needs root; runs in a network namespace of its own.
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <setjmp.h>
#include <cmocka.h>

#include "kernel/netdev.h"

/* An ifindex no test-made link takes by chance: the decoy below asks for it explicitly. */
#define DECOY_IFINDEX 4000

static struct {
	pid_t pod;		      /* in its own netns, eth0 <-> "flhost" here */
	pid_t third;		      /* in its own netns, "fldecoy" here <-> "flthird" there */
	int pod_fd, third_fd, own_fd; /* their netns, and the test's */
	int pod_eth0;		      /* eth0's ifindex in the pod netns */
} t = {.pod_fd = -1, .third_fd = -1, .own_fd = -1};

static int run(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	int status;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	status = system(cmd);
	if (status)
		fprintf(stderr, "command failed (status %d): %s\n", status, cmd);
	return status ? -1 : 0;
}

/* A process alone in a new netns, waiting to be killed; its parent's death kills it too. */
static pid_t spawn_netns(void)
{
	char status = 0;
	int ready[2];
	pid_t pid;

	if (pipe2(ready, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (unshare(CLONE_NEWNET))
			status = 1;
		if (write(ready[1], &status, 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(ready[1]);
	if (pid < 0 || read(ready[0], &status, 1) != 1 || status)
		pid = -1;
	close(ready[0]);
	return pid;
}

static int open_netns(pid_t pid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	return open(path, O_RDONLY | O_CLOEXEC);
}

static uint64_t netns_inode(const char *path)
{
	struct stat st;

	return stat(path, &st) ? 0 : st.st_ino;
}

/* ifindex of name inside fd's netns, found with raw setns and if_nametoindex, not netdev.c. */
static int ifindex_in(int fd, const char *name)
{
	int back = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC), ifindex;

	if (back < 0 || setns(fd, CLONE_NEWNET))
		return -1;
	ifindex = (int)if_nametoindex(name);
	if (setns(back, CLONE_NEWNET))
		abort(); /* stranded in another namespace: nothing after this could be trusted */
	close(back);
	return ifindex;
}

static int group_setup(void **state)
{
	(void)state;
	t.own_fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	t.pod = spawn_netns();
	t.third = spawn_netns();
	if (t.own_fd < 0 || t.pod < 0 || t.third < 0)
		return -1;
	t.pod_fd = open_netns(t.pod);
	t.third_fd = open_netns(t.third);
	if (t.pod_fd < 0 || t.third_fd < 0)
		return -1;
	if (run("ip link add name fla type veth peer name flb") ||
	    run("ip link add name flhost type veth peer name eth0 netns %d", t.pod))
		return -1;
	t.pod_eth0 = ifindex_in(t.pod_fd, "eth0");
	/* A veth here whose peer, elsewhere, has the very ifindex of the pod's eth0. */
	if (t.pod_eth0 <= 0 ||
	    run("ip link add name fldecoy index %d type veth peer name flthird index %d netns %d",
		DECOY_IFINDEX, t.pod_eth0, t.third))
		return -1;
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	/* Deleting one end deletes the pair; the peers' namespaces die with their processes. */
	run("ip link del fla; ip link del flhost; ip link del fldecoy");
	if (t.pod > 0)
		kill(t.pod, SIGKILL), waitpid(t.pod, NULL, 0);
	if (t.third > 0)
		kill(t.third, SIGKILL), waitpid(t.third, NULL, 0);
	close(t.pod_fd);
	close(t.third_fd);
	close(t.own_fd);
	return 0;
}

static void test_netns_enter_and_leave_move_the_thread(void **state)
{
	uint64_t own = netns_inode("/proc/thread-self/ns/net");
	char pod_ns[64];
	int saved = -1;

	(void)state;
	assert_int_equal(netns_enter(t.pod_fd, &saved), 0);
	assert_true(saved >= 0);
	snprintf(pod_ns, sizeof(pod_ns), "/proc/%d/ns/net", (int)t.pod);
	assert_int_equal(netns_inode("/proc/thread-self/ns/net"), netns_inode(pod_ns));
	assert_int_not_equal(if_nametoindex("eth0"), 0); /* only the pod netns has eth0 */
	assert_int_equal(netns_leave(saved), 0);
	assert_int_equal(netns_inode("/proc/thread-self/ns/net"), own);
	assert_int_equal(if_nametoindex("eth0"), 0);
}

static void test_netns_enter_refuses_what_is_no_netns(void **state)
{
	uint64_t own = netns_inode("/proc/thread-self/ns/net");
	int saved = -1, fd;

	(void)state;
	assert_int_equal(netns_enter(-1, &saved), -EBADF);
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(netns_enter(fd, &saved), -EINVAL);
	close(fd);
	assert_int_equal(saved, -1);
	assert_int_equal(netns_inode("/proc/thread-self/ns/net"), own);
}

static void test_link_ifindex_here_and_in_a_netns(void **state)
{
	int ifindex = 0;

	(void)state;
	assert_int_equal(netdev_ifindex(-1, "fla", &ifindex), 0);
	assert_int_equal(ifindex, if_nametoindex("fla"));
	assert_int_equal(netdev_ifindex(t.pod_fd, "eth0", &ifindex), 0);
	assert_int_equal(ifindex, t.pod_eth0);
	assert_int_equal(netdev_ifindex(-1, "eth0", &ifindex), -ENODEV);
	assert_int_equal(netdev_ifindex(t.pod_fd, "fla", &ifindex), -ENODEV);
	assert_int_equal(netdev_ifindex(-1, "a-name-longer-than-ifnamsiz", &ifindex), -EINVAL);
}

static void test_link_veth_peer_gives_the_peers_ifindex(void **state)
{
	int peer = 0;

	(void)state;
	assert_int_equal(netdev_veth_peer(-1, "fla", &peer), 0);
	assert_int_equal(peer, if_nametoindex("flb"));
	assert_int_equal(netdev_veth_peer(t.pod_fd, "eth0", &peer), 0);
	assert_int_equal(peer, if_nametoindex("flhost"));
	assert_int_equal(netdev_veth_peer(-1, "flhost", &peer), 0);
	assert_int_equal(peer, t.pod_eth0);
	assert_int_equal(netdev_veth_peer(-1, "lo", &peer), -EINVAL);
	assert_int_equal(netdev_veth_peer(-1, "nosuch0", &peer), -ENODEV);
}

static void test_link_is_veth_peer_in_compares_namespaces(void **state)
{
	int host = (int)if_nametoindex("flhost");
	char name[IF_NAMESIZE] = "";

	(void)state;
	assert_int_equal(netdev_is_veth_peer_in(host, t.pod_fd, t.pod_eth0, name), 1);
	assert_string_equal(name, "flhost");

	/* the decoy's peer has eth0's ifindex, in another namespace: IFLA_LINK alone is fooled */
	assert_int_equal(netdev_is_veth_peer_in(DECOY_IFINDEX, -1, t.pod_eth0, NULL), 1);
	assert_int_equal(netdev_is_veth_peer_in(DECOY_IFINDEX, t.pod_fd, t.pod_eth0, NULL), 0);
	assert_int_equal(netdev_is_veth_peer_in(DECOY_IFINDEX, t.third_fd, t.pod_eth0, name), 1);
	assert_string_equal(name, "fldecoy");

	/* both ends here */
	assert_int_equal(netdev_is_veth_peer_in((int)if_nametoindex("fla"), t.own_fd,
					      (int)if_nametoindex("flb"), NULL),
			 1);
	assert_int_equal(netdev_is_veth_peer_in((int)if_nametoindex("fla"), t.pod_fd,
					      (int)if_nametoindex("flb"), NULL),
			 0);
}

static bool listed(const struct netdev_entry *links, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(links[i].name, name))
			return true;
	return false;
}

static void test_link_list_has_everything_but_loopback(void **state)
{
	struct if_nameindex *all = if_nameindex(), *i;
	struct netdev_entry *links = NULL;
	size_t n = 0, want = 0, k;

	(void)state;
	assert_non_null(all);
	assert_int_equal(netdev_list(-1, &links, &n), 0);
	for (i = all; i->if_index; i++) {
		if (!strcmp(i->if_name, "lo"))
			continue;
		want++;
		assert_true(listed(links, n, i->if_name));
	}
	if_freenameindex(all);
	assert_int_equal(n, want);
	for (k = 0; k < n; k++) {
		assert_string_not_equal(links[k].name, "lo");
		assert_int_equal(links[k].ifindex, if_nametoindex(links[k].name));
	}
	free(links);

	assert_int_equal(netdev_list(t.pod_fd, &links, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(links[0].name, "eth0");
	assert_int_equal(links[0].ifindex, t.pod_eth0);
	free(links);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_netns_enter_and_leave_move_the_thread),
		cmocka_unit_test(test_netns_enter_refuses_what_is_no_netns),
		cmocka_unit_test(test_link_ifindex_here_and_in_a_netns),
		cmocka_unit_test(test_link_veth_peer_gives_the_peers_ifindex),
		cmocka_unit_test(test_link_is_veth_peer_in_compares_namespaces),
		cmocka_unit_test(test_link_list_has_everything_but_loopback),
	};

	if (geteuid() != 0) {
		printf("SKIP: needs root to create network namespaces and veths\n");
		return 77;
	}
	/* Everything this test makes hangs off a network namespace of its own, never the host's. */
	if (unshare(CLONE_NEWNET)) {
		printf("SKIP: cannot create a network namespace: %s\n", strerror(errno));
		return 77;
	}
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
