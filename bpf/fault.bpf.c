// SPDX-License-Identifier: GPL-2.0-only
/*
 * Where faultline decides drops, rejects and departure times: tc programs on a target's
 * interfaces, cgroup_skb programs on its cgroup (packet loss and blackholes), cgroup sock_addr
 * programs (rejected connects and unconnected UDP sends). Every hook finds its target, builds a
 * flt_flow (peer address and ports relative to the target) and runs the same rule match,
 * flt_rule_matches(). Only the tc programs shape: delay and rate (the edt backend: they set the
 * departure time that fq on the device honours) and the steering of packets to a netem leaf
 * (the netem backend). The cgroup programs ignore those actions.
 *
 * The parts another object can share are in headers: flow parsing and the per-field matches in
 * flow.bpf.h, the rule match and the verdicts with their counters in rules.bpf.h, the edt
 * arithmetic in edt.bpf.h. This file keeps the maps, the programs and the glue that binds them.
 *
 * Plain UAPI headers and no CO-RE: tc and cgroup programs need no kernel types, and the object
 * must load unchanged on every kernel from 6.1 on (bpf_skb_set_tstamp() and
 * __sk_buff.tstamp_type need 5.18).
 *
 * The map contract. Userspace sets max_entries before load where the table says "set", loads
 * one tc instance per network namespace and makes every instance reuse the first one's maps
 * (all of them: a rate is shared by a target's interfaces whatever their netns).
 *
 *   map            type, key -> value                                 size      written by
 *   flt_rules      ARRAY, target slot -> flt_target_rules             set       userspace
 *   flt_ifaces     HASH, flt_iface_key -> flt_iface                   set       userspace
 *   flt_counters   PERCPU_ARRAY, slot * FLT_MAX_RULES + rule          set       programs
 *                  -> flt_counters
 *   flt_cg         CGROUP_STORAGE -> flt_cg_target                    -         userspace
 *   flt_rate       ARRAY, (slot * FLT_MAX_RULES + rule) * 2           set       programs
 *                  + (target-relative direction == ingress)
 *                  -> flt_rate_state: next_ns, when the rule's rate lets the next packet leave
 *   flt_flows      LRU_HASH, flt_flow_key -> __u64 last departure     65536,    programs
 *                  (ns) of the flow                                   may set
 *   flt_dist       ARRAY, FLT_DIST_* -> flt_dist_table                fixed     userspace
 *   flt_delay_rnd  ARRAY, slot * FLT_MAX_RULES + rule                 set       programs
 *                  -> __u32: the rule's last correlated random number (netem's crndstate)
 *
 * Userspace's duties beyond filling the tables:
 * - flt_rules: each element's summary describes its rules (rule_summarize()); a packet the
 *   summary rules out is never matched against the rules, so a summary that misses what a rule
 *   matches disables that rule.
 * - flt_rate: zero a rule's two entries whenever it writes a new rule at that index (a stale
 *   next_ns in the future would hold the new rule's first packets until then).
 * - flt_flows and flt_delay_rnd need no reset, and flt_flows should get none while a target
 *   keeps its rules: a flow's last departure is at most the old delay ahead, and holding the
 *   flow's next packets behind it is what keeps a lowered delay from reordering the flow.
 * - flt_dist: fill FLT_DIST_NORMAL, _PARETO and _PARETONORMAL from iproute2's tables (sorted
 *   inverse CDFs, 4096 values) before a rule uses them; an unfilled table gives a constant
 *   delay. FLT_DIST_UNIFORM's entry is unused: uniform jitter is computed.
 * - jitter_ns is capped at 2^31 - 1 ns here as netem caps it (sch_netem.c, INT_MAX).
 * - ifb_ifindex: an IFB in the same network namespace as the interface (the IFB finds the
 *   interface to re-inject into by skb->skb_iif in its own netns, drivers/net/ifb.c), whose root
 *   is fq for delay and rate, faultline's prio for netem. With 0, nothing arriving on that
 *   interface is shaped (not even stamped).
 * - netem_classid: TC_H_MAKE(FLT_PRIO_HANDLE << 16, band) of the band whose leaf is that
 *   fault's netem; loss for netem-backed faults is netem's, so no FLT_ACT_LOSS on them.
 */
#include <stdbool.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

#include "fault.h"
#include "flow.bpf.h"
#include "rules.bpf.h"
#include "edt.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/*
 * The network namespace this tc program instance serves: ifindex is unique only within a netns,
 * so userspace loads one instance per netns and keys flt_ifaces by (ifindex, slot).
 */
const volatile __u32 flt_netns_slot = 0;

/*
 * The node policy's protected CIDRs (rules.bpf.h, flt_protected()), set before load like the
 * slot: a policy changes only with a new apply, which loads new programs. Kept as rodata, not
 * in a map, so that with none the verifier drops the check altogether.
 */
const volatile __u32 flt_nprotect = 0;
const volatile struct flt_cidr flt_protect_cidrs[FLT_MAX_PROTECT] = {};

static __always_inline struct flt_protect flt_protect_list(void)
{
	struct flt_protect protect = {
		/* rodata is never written after load: volatile only keeps clang from folding it */
		.cidrs = (const struct flt_cidr *)flt_protect_cidrs,
		.n = flt_nprotect,
	};

	return protect;
}

/* Userspace sets every max_entries below before load (or reuses another instance's fds). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32); /* target slot */
	__type(value, struct flt_target_rules);
} flt_rules SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__type(key, struct flt_iface_key);
	__type(value, struct flt_iface);
} flt_ifaces SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FLT_MAX_RULES);
	__type(key, __u32); /* target slot * FLT_MAX_RULES + rule index */
	__type(value, struct flt_counters);
} flt_counters SEC(".maps");

/*
 * One storage per (cgroup, attach type), shared by all our programs attached there (kernel >= 5.9,
 * commit 7d9c3427894f): userspace writes the target slot into it after attaching.
 */
struct {
	__uint(type, BPF_MAP_TYPE_CGROUP_STORAGE);
	__type(key, struct bpf_cgroup_storage_key);
	__type(value, struct flt_cg_target);
} flt_cg SEC(".maps");

/* Defaults of the shaping maps serve one target slot; userspace sizes them for its slots. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, FLT_MAX_RULES * 2);
	__type(key, __u32); /* (slot * FLT_MAX_RULES + rule) * 2 + (direction == ingress) */
	__type(value, struct flt_rate_state);
} flt_rate SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct flt_flow_key);
	__type(value, __u64); /* the flow's last departure time, ns */
} flt_flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, FLT_DIST_COUNT);
	__type(key, __u32); /* FLT_DIST_* */
	__type(value, struct flt_dist_table);
} flt_dist SEC(".maps");

/*
 * One number per rule, as netem keeps one per qdisc: the correlation holds between the rule's
 * successive packets whichever CPU handles them. Per CPU, it held only between the packets one
 * CPU handled, and a sender that the scheduler moved between CPUs (as in a 2-CPU VM) saw a lag-1
 * autocorrelation of 0.3 for a 70% correlation. No lock: the word is read and written whole, and
 * two CPUs drawing for one rule at the same instant only continue one chain from the same number.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, FLT_MAX_RULES);
	__type(key, __u32); /* slot * FLT_MAX_RULES + rule */
	__type(value, __u32);
} flt_delay_rnd SEC(".maps");

/*
 * Scratch memory for one packet: the mask of its matching shaping rules. In a map, not on the
 * stack: the verifier does not track what map memory holds, while a mask on the stack would be a
 * known constant on every path through the rule scan. Kernel 6.1 cannot follow precision
 * through the call of flt_rule_matches() and marks every scalar precise, so a stack mask made it
 * tell apart every subset of 16 rules and give up at 1M instructions.
 */
struct flt_scratch {
	__u32 shaping_rules;
	/* the ifindex whose packet flt_tc_mirred is to hand to the IFB now (FLT_IFACE_MIRRED) */
	__u32 mirred_ifindex;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct flt_scratch);
} flt_scratch SEC(".maps");

static __always_inline struct flt_scratch *flt_scratch_get(void)
{
	__u32 zero = 0;
	struct flt_scratch *scratch = bpf_map_lookup_elem(&flt_scratch, &zero);

	if (scratch)
		scratch->shaping_rules = 0;
	return scratch;
}

/* Verdicts of cgroup_skb programs (include/uapi/linux/bpf.h, BPF_PROG_TYPE_CGROUP_SKB). */
#define FLT_CG_DROP 0
#define FLT_CG_PASS 1
#define FLT_CG_DROP_CN 2 /* egress only: drop and notify congestion */

/* Verdicts of cgroup sock_addr programs. */
#define FLT_SOCK_REJECT 0
#define FLT_SOCK_ALLOW 1

/* Which sides a tc program shapes on, for flt_tc_shape(). */
#define FLT_SIDE_HOOK_INGRESS 1	  /* the device's ingress (else its egress) */
#define FLT_SIDE_TARGET_INGRESS 2 /* traffic entering the target (else leaving it) */
#define FLT_SIDE_MIRRED 4	  /* its IFB is reached by flt_tc_mirred (FLT_IFACE_MIRRED) */

/* flt_tc_shape()'s answer for a packet that flt_tc_mirred is to redirect: not a TC_ACT_*. */
#define FLT_TC_TO_MIRRED 0x7f

/*
 * One edt rule's effect on a departure time, flt_edt_departure() on this object's maps. A global
 * function, checked once by the verifier rather than once per rule.
 */
__noinline __u64 flt_edt_rule(const struct flt_rule *rule, __u32 rule_key, __u32 ingress /* 0, 1 */,
			      __u32 bytes, __u64 departure)
{
	if (!rule)
		return departure;
	return flt_edt_departure(&flt_rate, &flt_dist, &flt_delay_rnd, rule, rule_key, ingress,
				 bytes, departure);
}

/*
 * Shapes a packet that no rule dropped, with the matching rules in shaping_rules, in rule order:
 * edt rules add up into one departure time, and the first netem rule names the netem leaf.
 *
 * The departure is then kept monotonic per flow (flt_flow_departure()).
 *
 * Where the packet waits:
 * - on the device's egress, in the root qdisc of the device: fq holds the packet until
 *   skb->tstamp; prio hands it to the band skb->priority names (its major is prio's handle).
 * - on the device's ingress there is no qdisc to wait in: the packet goes to the egress of the
 *   interface's IFB, whose root is fq or prio, stamped as a delivery time (CLOCK_MONOTONIC),
 *   which bpf_redirect() keeps where it clears other stamps (skb_clear_tstamp() in
 *   __bpf_tx_skb(), filter.c) and which fq reads correctly. The IFB re-injects the packet into
 *   this device's ingress with skb->tc_skip_classify set (ifb_ri_tasklet()), and
 *   __netif_receive_skb_core() then skips sch_handle_ingress() altogether, tcx included
 *   (net/core/dev.c, the same from 6.1 to 6.18; seen on 6.18 with clsact and tcx): our
 *   program does not see the packet a second time. The stamp is cleared on local delivery
 *   (ip_local_deliver_finish(), kernel >= 5.18).
 */
__noinline int flt_tc_shape(struct __sk_buff *skb, __u32 slot, __u32 ifb_ifindex, __u32 sides,
			    __u32 shaping_rules)
{
	bool at_ingress = sides & FLT_SIDE_HOOK_INGRESS;
	__u32 ingress = !!(sides & FLT_SIDE_TARGET_INGRESS);
	__u32 netem_classid = 0;
	bool edt = false;
	const struct flt_target_rules *target;
	const struct flt_rule *rule;
	__u64 departure;
	__u32 bytes, i;

	if (!skb || !shaping_rules)
		return TC_ACT_UNSPEC;
	/* What arrives with no IFB to wait in is not shaped, not even stamped. */
	if (at_ingress && !ifb_ifindex)
		return TC_ACT_UNSPEC;
	target = bpf_map_lookup_elem(&flt_rules, &slot);
	if (!target)
		return TC_ACT_UNSPEC;
	/*
	 * On egress a GSO packet's wire length counts each segment's headers
	 * (qdisc_pkt_len_init()); at ingress it is skb->len less the Ethernet header, which
	 * skb->len has here, so the larger counts.
	 */
	bytes = skb->len;
	if (skb->wire_len > bytes)
		bytes = skb->wire_len;
	departure = flt_departure_base(skb, at_ingress, bpf_ktime_get_ns());
	for (i = 0; i < FLT_MAX_RULES; i++) {
		if (!(shaping_rules & (1U << i)))
			continue;
		rule = &target->rules[i];
		if ((rule->actions & FLT_ACT_NETEM) && !netem_classid)
			netem_classid = rule->netem_classid;
		if (!(rule->actions & FLT_EDT_ACTS))
			continue;
		/*
		 * A bool, not a mask of the edt rules: a mask would make the 6.1 verifier tell apart
		 * every subset of rules (it ran out of its 1M instructions), a bool two states.
		 */
		edt = true;
		departure = flt_edt_rule(rule, slot * FLT_MAX_RULES + i, ingress, bytes, departure);
	}
	if (edt) {
		departure = flt_flow_departure(&flt_flows, skb, slot, ingress, departure);
		flt_set_departure(skb, at_ingress, departure);
	}
	if (netem_classid)
		skb->priority = netem_classid;
	if (at_ingress && (sides & FLT_SIDE_MIRRED))
		return FLT_TC_TO_MIRRED;
	if (at_ingress)
		return bpf_redirect(ifb_ifindex, 0);
	return TC_ACT_UNSPEC;
}

/*
 * Both tc programs return TC_ACT_UNSPEC, never TC_ACT_OK, for what they neither drop nor
 * redirect: TC_ACT_UNSPEC is TCX_NEXT for tcx links and "continue with the next filter" for
 * cls_bpf in direct-action mode, so other tools' programs attached after ours still see the
 * packet. A shaped packet on ingress is TC_ACT_REDIRECT (to the IFB), or, with
 * FLT_IFACE_MIRRED, TC_ACT_UNSPEC with its ifindex in the per-CPU scratch for flt_tc_mirred.
 */
static __always_inline int flt_tc(struct __sk_buff *skb, __u8 hook_dir)
{
	struct flt_iface_key key = {
		.ifindex = skb->ifindex,
		.netns_slot = flt_netns_slot,
	};
	const struct flt_iface *iface;
	struct flt_protect protect = flt_protect_list();
	struct flt_scratch *scratch;
	__u8 dir = hook_dir;
	int ret;

	/* first: no packet that this program saw leaves an earlier packet's word to flt_tc_mirred */
	scratch = flt_scratch_get();
	if (!scratch)
		return TC_ACT_UNSPEC;
	scratch->mirred_ifindex = 0;
	iface = bpf_map_lookup_elem(&flt_ifaces, &key);
	if (!iface)
		return TC_ACT_UNSPEC;
	/* The host end of a pod's veth receives what the pod sends. */
	if (iface->flags & FLT_IFACE_SWAP)
		dir = hook_dir == FLT_DIR_EGRESS ? FLT_DIR_INGRESS : FLT_DIR_EGRESS;
	if (flt_packet_drops(&flt_rules, &flt_counters, &protect, skb, ETH_HLEN,
			     iface->target_slot, dir, &scratch->shaping_rules))
		return TC_ACT_SHOT;
	/*
	 * No test of shaping_rules here: a branch on it would make the verifier tell apart every
	 * value the scan can leave in it (2^16), where the global function sees any value once.
	 * Each tc program verifies in 30k instructions on 6.18 (16.5k before shaping), and the
	 * call costs ~5 ns a packet that nothing shapes.
	 */
	ret = flt_tc_shape(skb, iface->target_slot, iface->ifb_ifindex,
			   (hook_dir == FLT_DIR_INGRESS ? FLT_SIDE_HOOK_INGRESS : 0) |
				   (dir == FLT_DIR_INGRESS ? FLT_SIDE_TARGET_INGRESS : 0) |
				   (iface->flags & FLT_IFACE_MIRRED ? FLT_SIDE_MIRRED : 0),
			   scratch->shaping_rules);
	if (ret != FLT_TC_TO_MIRRED)
		return ret;
	scratch->mirred_ifindex = skb->ifindex;
	return TC_ACT_UNSPEC;
}

SEC("tc")
int flt_tc_ingress(struct __sk_buff *skb)
{
	return flt_tc(skb, FLT_DIR_INGRESS);
}

SEC("tc")
int flt_tc_egress(struct __sk_buff *skb)
{
	return flt_tc(skb, FLT_DIR_EGRESS);
}

/*
 * The second filter on a device's clsact ingress where the IFB takes only act_mirred's packets
 * (FLT_IFACE_MIRRED): a cls_bpf filter without direct-action, after flt_tc_ingress (its
 * priority + 1, or in clsact after flt_tc_ingress's tcx link), whose one action is mirred egress
 * redirect to the interface's IFB. It matches (-1: the filter's actions run) the packet that
 * flt_tc_ingress just left to it, in this CPU's scratch: tc runs a packet's filters one after
 * the other on one CPU, and flt_tc_ingress clears the word for every packet first. The packet
 * itself carries no signal (no mark, no cb): nothing after this hook can see one. 0: no match,
 * the next filter sees the packet.
 */
SEC("tc")
int flt_tc_mirred(struct __sk_buff *skb)
{
	__u32 zero = 0;
	struct flt_scratch *scratch = bpf_map_lookup_elem(&flt_scratch, &zero);

	if (!scratch || !scratch->mirred_ifindex || scratch->mirred_ifindex != skb->ifindex)
		return 0;
	scratch->mirred_ifindex = 0;
	return -1;
}

/* The target of a cgroup attachment plus one; 0 until userspace configured it. */
static __always_inline __u32 flt_cg_slot_plus1(void)
{
	const struct flt_cg_target *cg = bpf_get_local_storage(&flt_cg, 0);

	return cg->target_slot_plus1;
}

/*
 * Egress drops return 2, drop with congestion notification: the kernel turns it into
 * NET_XMIT_DROP, so TCP enters CWR and keeps the segment for retransmission, and UDP's sendmsg
 * succeeds unless IP_RECVERR is set (udp_send_skb()); 0 would fail every send with EPERM, which
 * no real loss does.
 */
SEC("cgroup_skb/egress")
int flt_cg_egress(struct __sk_buff *skb)
{
	struct flt_protect protect = flt_protect_list();
	__u32 slot_plus1 = flt_cg_slot_plus1();
	struct flt_scratch *scratch = flt_scratch_get(); /* its mask unused: shaping is tc's */

	if (!slot_plus1 || !scratch)
		return FLT_CG_PASS;
	if (flt_packet_drops(&flt_rules, &flt_counters, &protect, skb, 0, slot_plus1 - 1,
			     FLT_DIR_EGRESS, &scratch->shaping_rules))
		return FLT_CG_DROP_CN;
	return FLT_CG_PASS;
}

/* Ingress drops are silent, as real loss is. */
SEC("cgroup_skb/ingress")
int flt_cg_ingress(struct __sk_buff *skb)
{
	struct flt_protect protect = flt_protect_list();
	__u32 slot_plus1 = flt_cg_slot_plus1();
	struct flt_scratch *scratch = flt_scratch_get(); /* its mask unused: shaping is tc's */

	if (!slot_plus1 || !scratch)
		return FLT_CG_PASS;
	if (flt_packet_drops(&flt_rules, &flt_counters, &protect, skb, 0, slot_plus1 - 1,
			     FLT_DIR_INGRESS, &scratch->shaping_rules))
		return FLT_CG_DROP;
	return FLT_CG_PASS;
}

/*
 * Rejects with errno: bpf_set_retval() (kernel >= 5.18) replaces the default EPERM. send: an
 * unconnected UDP sendmsg(), counted as rejected_sends; else a connect(), rejected_connects.
 */
static __always_inline int flt_sock_addr(struct bpf_sock_addr *ctx, struct flt_flow *flow,
					 bool send)
{
	struct flt_protect protect = flt_protect_list();
	__u32 slot_plus1 = flt_cg_slot_plus1();
	int err;

	if (!slot_plus1)
		return FLT_SOCK_ALLOW;
	flt_parse_sock_addr_port(ctx, flow);
	err = flt_connect_errno(&flt_rules, &flt_counters, &protect, slot_plus1 - 1, flow, send);
	if (!err)
		return FLT_SOCK_ALLOW;
	bpf_set_retval(-err);
	return FLT_SOCK_REJECT;
}

static __always_inline int flt_sock_addr4(struct bpf_sock_addr *ctx, bool send)
{
	struct flt_flow flow = {};

	flt_parse_sock_addr4(ctx, &flow);
	return flt_sock_addr(ctx, &flow, send);
}

static __always_inline int flt_sock_addr6(struct bpf_sock_addr *ctx, bool send)
{
	struct flt_flow flow = {};

	flt_parse_sock_addr6(ctx, &flow);
	return flt_sock_addr(ctx, &flow, send);
}

SEC("cgroup/connect4")
int flt_cg_connect4(struct bpf_sock_addr *ctx)
{
	return flt_sock_addr4(ctx, false);
}

SEC("cgroup/connect6")
int flt_cg_connect6(struct bpf_sock_addr *ctx)
{
	return flt_sock_addr6(ctx, false);
}

/* Unconnected UDP sends only; connected UDP sockets went through connect4/6. */
SEC("cgroup/sendmsg4")
int flt_cg_sendmsg4(struct bpf_sock_addr *ctx)
{
	return flt_sock_addr4(ctx, true);
}

SEC("cgroup/sendmsg6")
int flt_cg_sendmsg6(struct bpf_sock_addr *ctx)
{
	return flt_sock_addr6(ctx, true);
}
