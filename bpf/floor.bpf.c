// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Empty programs on every hook `zctrace trace` attaches (sys_exit, not
 * sys_enter: trace counts calls on their way out), with the same attach
 * types: what any tracer on these hooks costs before it does any work.
 * Enabling a syscall tracepoint alone sends every task down the slow
 * syscall path, so this floor is not zero; the overhead benchmark
 * (tests/bench/) measures zctrace's filter against it.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define ZC_EMPTY(type, hook)              \
	SEC(type "/" #hook)               \
	int floor_##hook(void *ctx)       \
	{                                 \
		return 0;                 \
	}

ZC_EMPTY("tp_btf", sys_exit)
ZC_EMPTY("tp_btf", sched_process_fork)
ZC_EMPTY("tp_btf", sched_process_exit)
ZC_EMPTY("tp_btf", sched_switch)
ZC_EMPTY("tp_btf", page_fault_user)
ZC_EMPTY("tp_btf", page_fault_kernel)
ZC_EMPTY("tp_btf", mm_filemap_get_pages)
ZC_EMPTY("tp_btf", mm_filemap_fault)
ZC_EMPTY("tp_btf", mm_filemap_map_pages)
ZC_EMPTY("tp_btf", tcp_sendmsg_locked)
ZC_EMPTY("tp_btf", inet_sock_set_state)
ZC_EMPTY("tp_btf", net_dev_start_xmit)
ZC_EMPTY("tp_btf", tcp_retransmit_skb)
ZC_EMPTY("tp_btf", skb_copy_datagram_iovec)
ZC_EMPTY("tp_btf", block_bio_queue)
ZC_EMPTY("tp_btf", netif_receive_skb)
ZC_EMPTY("tp_btf", io_uring_complete)

SEC("tracepoint/filemap/mm_filemap_add_to_page_cache")
int floor_add_to_page_cache(void *ctx)
{
	return 0;
}

SEC("tracepoint/kmem/rss_stat")
int floor_rss_stat(void *ctx)
{
	return 0;
}
