// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * One trivial program per attach type, for `zctrace doctor`: each is loaded
 * and attached on its own, so the report says what the kernel accepted, not
 * what a feature probe guessed (bpftool's probe says "tracing NOT available"
 * on kernels where tp_btf loads fine but fentry does not).
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

__u64 hits = 0;

SEC("tracepoint/raw_syscalls/sys_enter")
int probe_tracepoint(void *ctx)
{
	__sync_fetch_and_add(&hits, 1);
	return 0;
}

SEC("raw_tp/sys_enter")
int BPF_PROG(probe_raw_tp, struct pt_regs *regs, long id)
{
	__sync_fetch_and_add(&hits, 1);
	return 0;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(probe_tp_btf, struct pt_regs *regs, long id)
{
	__sync_fetch_and_add(&hits, 1);
	return 0;
}

SEC("fentry/do_sys_openat2")
int BPF_PROG(probe_fentry)
{
	__sync_fetch_and_add(&hits, 1);
	return 0;
}

SEC("kprobe/do_sys_openat2")
int BPF_KPROBE(probe_kprobe)
{
	__sync_fetch_and_add(&hits, 1);
	return 0;
}

/* bpf_rdonly_cast is how net.bpf.c reads skb_shared_info and TCP headers. */
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym;

SEC("tp_btf/net_dev_start_xmit")
int BPF_PROG(probe_rdonly_cast, const struct sk_buff *skb, const struct net_device *dev)
{
	struct skb_shared_info *shinfo =
		bpf_rdonly_cast(skb->head + skb->end, bpf_core_type_id_kernel(struct skb_shared_info));

	hits += shinfo->nr_frags;
	return 0;
}
