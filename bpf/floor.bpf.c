// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Empty programs, one per hook zctrace attaches to, with the same attach
 * types: what any tracer on these hooks costs before it does any work.
 * Two users:
 * - the overhead benchmark (tests/bench/) attaches those of `zctrace trace`'s
 *   hooks (sys_exit, not sys_enter: trace counts calls on their way out) and
 *   measures zctrace's filter against them. Enabling a syscall tracepoint
 *   alone sends every task down the slow syscall path, so this floor is not
 *   zero.
 * - `--bpf-stats` attaches one beside each of zctrace's programs: what
 *   bpf_stats reads for an empty program on the same hook, in the same run,
 *   is bpf_stats' own share (its clock, the call, a cold entry), taken off
 *   zctrace's programs' figures before they are compared with the sampled
 *   estimate.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Named floor_<hook>, the hook's slot in bpf/probe_cost.h, so that
 * `--bpf-stats` can pair each with zctrace's program on the same hook. */
#define ZC_EMPTY(type, tracepoint, hook)  \
	SEC(type "/" #tracepoint)         \
	int floor_##hook(void *ctx)       \
	{                                 \
		return 0;                 \
	}

ZC_EMPTY("tp_btf", sys_enter, sys_enter) /* run's, not trace's: EmptyHooks says */
ZC_EMPTY("tp_btf", sys_exit, sys_exit)
ZC_EMPTY("tp_btf", sched_process_fork, process_fork)
ZC_EMPTY("tp_btf", sched_process_exit, process_exit)
ZC_EMPTY("tp_btf", sched_switch, sched_switch)
ZC_EMPTY("tp_btf", page_fault_user, page_fault_user)
ZC_EMPTY("tp_btf", page_fault_kernel, page_fault_kernel)
ZC_EMPTY("tp_btf", mm_filemap_get_pages, filemap_get_pages)
ZC_EMPTY("tp_btf", mm_filemap_fault, filemap_fault)
ZC_EMPTY("tp_btf", mm_filemap_map_pages, filemap_map_pages)
ZC_EMPTY("tp_btf", writeback_dirty_folio, writeback_dirty_folio)
ZC_EMPTY("tp_btf", tcp_sendmsg_locked, tcp_sendmsg_locked)
ZC_EMPTY("tp_btf", inet_sock_set_state, inet_sock_set_state)
ZC_EMPTY("tp_btf", net_dev_start_xmit, net_dev_start_xmit)
ZC_EMPTY("tp_btf", tcp_retransmit_skb, tcp_retransmit_skb)
ZC_EMPTY("tp_btf", skb_copy_datagram_iovec, skb_copy_datagram_iovec)
ZC_EMPTY("tp_btf", block_bio_queue, block_bio_queue)
ZC_EMPTY("tp_btf", netif_receive_skb, netif_receive_skb)
ZC_EMPTY("tp_btf", io_uring_complete, io_uring_complete)
ZC_EMPTY("tp_btf", io_uring_cqe_overflow, io_uring_cqe_overflow)
ZC_EMPTY("tracepoint", filemap/mm_filemap_add_to_page_cache, filemap_add_to_page_cache)
ZC_EMPTY("tracepoint", kmem/rss_stat, rss_stat)
