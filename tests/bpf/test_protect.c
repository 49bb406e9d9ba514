// SPDX-License-Identifier: GPL-2.0-only
/*
 * The node policy's protected CIDRs in bpf/fault.bpf.c (flt_protect_cidrs, rodata set before
 * load): a blackhole of 0.0.0.0/0 and ::/0 passes, and does not count, traffic whose peer is
 * protected, in both directions, IPv4 and IPv6 (BPF_PROG_TEST_RUN on crafted frames); a reject
 * of every IPv4 peer lets a connect() to a protected address through (connect4 attached to a
 * cgroup of its own, the call made from a child moved into it). Needs root and BPF.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <mntent.h>
#include <netinet/in.h>
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
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/pkt_cls.h>
#include <linux/udp.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "engine/rules.h"
#include "fault.h"
#include "frame.h"
#include "fault.skel.h"

#define LO_IFINDEX 1
#define TARGET4 "192.0.2.10"
#define PEER4 "198.51.100.7"	 /* not protected */
#define PROTECTED4 "203.0.113.5" /* protected: /32 */
#define TARGET6 "2001:db8:aaaa::10"
#define PEER6 "2001:db8:bbbb::7"      /* not protected */
#define PROTECTED6 "2001:db8:cccc::9" /* protected: inside 2001:db8:cccc::/48 */
#define LOCAL_PROTECTED4 "127.0.0.2"  /* connect4: protected, nothing listens */
#define LOCAL_PEER4 "127.0.0.1"	      /* connect4: not protected */
#define REJECT_ERRNO EHOSTUNREACH
#define CONNECT_PORT 9 /* discard: nothing listens in the test */

static struct fault_bpf *skel;
static int ncpus;

/* c = addr/prefix_len as the programs compare it; false for an address inet_pton refuses. */
static bool cidr_set(struct flt_cidr *c, const char *addr, int prefix_len)
{
	int family = strchr(addr, ':') ? AF_INET6 : AF_INET;
	int words = family == AF_INET ? 1 : 4, i, bits;

	memset(c, 0, sizeof(*c));
	if (inet_pton(family, addr, c->addr) != 1)
		return false;
	c->family = family == AF_INET ? FLT_AF_INET : FLT_AF_INET6;
	for (i = 0; i < words; i++) {
		bits = prefix_len - 32 * i;
		bits = bits < 0 ? 0 : bits > 32 ? 32 : bits;
		c->mask[i] = bits ? htonl(~0U << (32 - bits)) : 0;
		c->addr[i] &= c->mask[i];
	}
	return true;
}

/* One rule for target slot 0 on every peer of both families, both directions. */
static void set_rule(__u8 actions)
{
	struct flt_target_rules tr;
	struct flt_rule *r = &tr.rules[0];
	struct timespec ts;
	__u32 slot = 0;

	memset(&tr, 0, sizeof(tr));
	clock_gettime(CLOCK_MONOTONIC, &ts);
	tr.nrules = 1;
	r->deadline_ns = (__u64)(ts.tv_sec + 3600) * 1000000000ULL;
	r->actions = actions;
	r->reject_errno = REJECT_ERRNO;
	r->direction = FLT_DIR_BOTH;
	r->ncidrs = 2;
	assert_true(cidr_set(&r->cidrs[0], "0.0.0.0", 0));
	assert_true(cidr_set(&r->cidrs[1], "::", 0));
	rule_summarize(&tr);
	assert_int_equal(bpf_map_update_elem(bpf_map__fd(skel->maps.flt_rules), &slot, &tr, 0), 0);
}

static struct flt_counters counters(void)
{
	struct flt_counters sum = {0}, percpu[ncpus];
	__u32 key = 0;
	int i;

	assert_int_equal(bpf_map_lookup_elem(bpf_map__fd(skel->maps.flt_counters), &key, percpu),
			 0);
	for (i = 0; i < ncpus; i++) {
		sum.matched_packets += percpu[i].matched_packets;
		sum.dropped_packets += percpu[i].dropped_packets;
		sum.rejected_connects += percpu[i].rejected_connects;
	}
	return sum;
}

static int reset(void **state)
{
	struct flt_counters *zeros = calloc((size_t)ncpus, sizeof(*zeros));
	struct flt_iface_key key = {.ifindex = LO_IFINDEX, .netns_slot = 0};
	struct flt_iface iface = {.target_slot = 0};
	__u32 i;
	int err = 0;

	(void)state;
	if (!zeros)
		return -1;
	for (i = 0; i < FLT_MAX_RULES && !err; i++)
		err = bpf_map_update_elem(bpf_map__fd(skel->maps.flt_counters), &i, zeros, 0);
	free(zeros);
	err = err ?: bpf_map_update_elem(bpf_map__fd(skel->maps.flt_ifaces), &key, &iface, 0);
	return err ? -1 : 0;
}

/* Ethernet + IP + UDP + 32 bytes, from saddr to daddr; the frame's length. */
static size_t build_udp(const char *saddr, const char *daddr, __u8 *buf, size_t size)
{
	struct ethhdr *eth = (struct ethhdr *)buf;
	__u8 *p = buf + sizeof(*eth);
	struct udphdr *udp;
	size_t l3_len;

	assert_true(size >= 128);
	memset(buf, 0, size);
	if (!strchr(saddr, ':')) {
		struct iphdr *ip = (struct iphdr *)p;

		eth->h_proto = htons(ETH_P_IP);
		ip->version = 4;
		ip->ihl = 5;
		ip->ttl = 64;
		ip->protocol = IPPROTO_UDP;
		assert_int_equal(inet_pton(AF_INET, saddr, &ip->saddr), 1);
		assert_int_equal(inet_pton(AF_INET, daddr, &ip->daddr), 1);
		l3_len = sizeof(*ip) + sizeof(*udp) + 32;
		ip->tot_len = htons((__u16)l3_len);
		udp = (struct udphdr *)(p + sizeof(*ip));
	} else {
		struct ipv6hdr *ip6 = (struct ipv6hdr *)p;

		eth->h_proto = htons(ETH_P_IPV6);
		ip6->version = 6;
		ip6->hop_limit = 64;
		ip6->nexthdr = IPPROTO_UDP;
		assert_int_equal(inet_pton(AF_INET6, saddr, &ip6->saddr), 1);
		assert_int_equal(inet_pton(AF_INET6, daddr, &ip6->daddr), 1);
		ip6->payload_len = htons(sizeof(*udp) + 32);
		l3_len = sizeof(*ip6) + sizeof(*udp) + 32;
		udp = (struct udphdr *)(p + sizeof(*ip6));
	}
	udp->source = htons(40000);
	udp->dest = htons(53);
	udp->len = htons(sizeof(*udp) + 32);
	return sizeof(*eth) + l3_len;
}

static int run(struct bpf_program *prog, const char *saddr, const char *daddr)
{
	struct __sk_buff ctx = {.ifindex = LO_IFINDEX};
	struct test_frame frame;
	__u8 *buf = frame.data;
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = buf, .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx));

	opts.data_size_in = (__u32)build_udp(saddr, daddr, buf, sizeof(frame.data));
	assert_int_equal(bpf_prog_test_run_opts(bpf_program__fd(prog), &opts), 0);
	return (int)opts.retval;
}

/* Egress to and ingress from a protected peer pass uncounted; an unprotected one is dropped. */
static void check_blackhole(const char *target, const char *peer, const char *protected_peer)
{
	struct flt_counters c;

	set_rule(FLT_ACT_BLACKHOLE);
	assert_int_equal(run(skel->progs.flt_tc_egress, target, protected_peer), TC_ACT_UNSPEC);
	assert_int_equal(run(skel->progs.flt_tc_ingress, protected_peer, target), TC_ACT_UNSPEC);
	c = counters();
	assert_int_equal(c.matched_packets, 0);
	assert_int_equal(c.dropped_packets, 0);
	assert_int_equal(run(skel->progs.flt_tc_egress, target, peer), TC_ACT_SHOT);
	assert_int_equal(run(skel->progs.flt_tc_ingress, peer, target), TC_ACT_SHOT);
	c = counters();
	assert_int_equal(c.matched_packets, 2);
	assert_int_equal(c.dropped_packets, 2);
}

static void test_ipv4_protected_peer_passes_a_blackhole_of_everything(void **state)
{
	(void)state;
	check_blackhole(TARGET4, PEER4, PROTECTED4);
}

static void test_ipv6_protected_prefix_passes_a_blackhole_of_everything(void **state)
{
	(void)state;
	check_blackhole(TARGET6, PEER6, PROTECTED6);
}

/* ---- connect4 --------------------------------------------------------------------------- */

static char cg_dir[PATH_MAX];
static struct bpf_link *cg_link;

static int cg_remove(void **state)
{
	(void)state;
	bpf_link__destroy(cg_link);
	cg_link = NULL;
	if (cg_dir[0] && rmdir(cg_dir))
		return -1;
	cg_dir[0] = '\0';
	return 0;
}

static void cg_attach_connect4(void)
{
	struct flt_cg_target target = {.target_slot_plus1 = 1};
	struct bpf_cgroup_storage_key key;
	FILE *mounts = setmntent("/proc/self/mounts", "r");
	struct mntent *m;
	char root[PATH_MAX] = "";
	struct stat st;
	int fd;

	while (mounts && !root[0] && (m = getmntent(mounts)))
		if (!strcmp(m->mnt_type, "cgroup2"))
			snprintf(root, sizeof(root), "%s", m->mnt_dir);
	if (mounts)
		endmntent(mounts);
	if (!root[0]) {
		print_message("skipped: no cgroup2 mount for connect4\n");
		skip();
	}
	snprintf(cg_dir, sizeof(cg_dir), "%s/faultline-test-protect.%d", root, (int)getpid());
	assert_int_equal(mkdir(cg_dir, 0755), 0);
	fd = open(cg_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	cg_link = bpf_program__attach_cgroup(skel->progs.flt_cg_connect4, fd);
	close(fd);
	assert_non_null(cg_link);
	key = (struct bpf_cgroup_storage_key){.cgroup_inode_id = st.st_ino,
					      .attach_type = BPF_CGROUP_INET4_CONNECT};
	assert_int_equal(
		bpf_map_update_elem(bpf_map__fd(skel->maps.flt_cg), &key, &target, BPF_EXIST), 0);
}

/* connect() from a child in the cgroup: the errno it failed with, 0 if it succeeded. */
static int connect_in_cgroup(const char *addr)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(CONNECT_PORT)};
	char procs[PATH_MAX + 16], pid[16];
	int status, fd, n;
	pid_t child;

	snprintf(procs, sizeof(procs), "%s/cgroup.procs", cg_dir);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		n = snprintf(pid, sizeof(pid), "%d", (int)getpid());
		fd = open(procs, O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, pid, (size_t)n) != n)
			_exit(255);
		close(fd);
		inet_pton(AF_INET, addr, &sin.sin_addr);
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			_exit(254);
		_exit(connect(fd, (struct sockaddr *)&sin, sizeof(sin)) ? errno : 0);
	}
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static void test_connect4_to_a_protected_address_is_not_rejected(void **state)
{
	(void)state;
	set_rule(FLT_ACT_REJECT);
	cg_attach_connect4();
	/* nothing listens on 127.0.0.2: the kernel's own refusal, not the rule's errno */
	assert_int_equal(connect_in_cgroup(LOCAL_PROTECTED4), ECONNREFUSED);
	assert_int_equal(counters().rejected_connects, 0);
	assert_int_equal(connect_in_cgroup(LOCAL_PEER4), REJECT_ERRNO);
	assert_int_equal(counters().rejected_connects, 1);
}

static int silent_libbpf(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, args);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_ipv4_protected_peer_passes_a_blackhole_of_everything,
				       reset),
		cmocka_unit_test_setup(test_ipv6_protected_prefix_passes_a_blackhole_of_everything,
				       reset),
		cmocka_unit_test_setup_teardown(
			test_connect4_to_a_protected_address_is_not_rejected, reset, cg_remove),
	};
	const struct {
		const char *addr;
		int prefix_len;
	} protect[] = {{PROTECTED4, 32}, {"2001:db8:cccc::", 48}, {LOCAL_PROTECTED4, 32}};
	size_t i;
	int err, failed;

	if (geteuid() != 0) {
		printf("SKIP: BPF_PROG_TEST_RUN tests need root\n");
		return 77;
	}
	libbpf_set_print(silent_libbpf);
	ncpus = libbpf_num_possible_cpus();
	if (ncpus <= 0)
		return 1;
	skel = fault_bpf__open();
	if (!skel) {
		fprintf(stderr, "opening the fault_bpf skeleton failed: %s\n", strerror(errno));
		return 1;
	}
	/* as engine/apply.c sets them from the policy, between open and load */
	for (i = 0; i < sizeof(protect) / sizeof(protect[0]); i++) {
		struct flt_cidr c;

		if (!cidr_set(&c, protect[i].addr, protect[i].prefix_len))
			return 1;
		skel->rodata->flt_protect_cidrs[i] = c;
	}
	skel->rodata->flt_nprotect = (__u32)i;
	bpf_map__set_max_entries(skel->maps.flt_counters, FLT_MAX_RULES);
	bpf_map__set_max_entries(skel->maps.flt_ifaces, 1);
	err = fault_bpf__load(skel);
	if (err == -EPERM || err == -ENOSYS) {
		printf("SKIP: loading BPF programs failed: %s\n", strerror(-err));
		fault_bpf__destroy(skel);
		return 77;
	}
	if (err) {
		fprintf(stderr, "loading the fault_bpf skeleton failed: %s\n", strerror(-err));
		fault_bpf__destroy(skel);
		return 1;
	}
	failed = cmocka_run_group_tests_name("bpf_protect", tests, NULL, NULL);
	fault_bpf__destroy(skel);
	return failed ? 1 : 0;
}
