// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Page faults of the sender, and which pages of the workload file it used
 * from the page cache.
 *
 * The filemap events use classic tracepoints on purpose: their formats give
 * inode, device, page index and folio order computed by the kernel, which
 * would otherwise mean chasing folio internals that change between releases.
 *
 * Pages are kept in two bitmaps (one bit per page of the file), because read
 * and splice look up overlapping ranges: a page looked up twice is still one
 * page accessed. Userspace derives hits = accessed & ~added.
 */
#include "zctrace.bpf.h"
#include "memory.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* The workload file, set before load. dev is the kernel's dev_t encoding. */
const volatile __u64 target_ino = 0;
const volatile __u32 target_dev = 0;
const volatile __u64 target_pages = 0;

ZC_PERCPU_TOTALS(memory_totals, struct zc_memory_totals);

/* One bit per file page; max_entries is set from the file size before load. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} accessed_pages SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} added_pages SEC(".maps");

/* MM_FILEPAGES is in an anonymous enum, out of reach of CO-RE; the tracepoint
 * format prints it as member 0 too. */
#define ZC_MM_FILEPAGES 0

/* Last file-RSS size seen per tracked process, to turn sizes into deltas. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, ZC_MAX_PROCS);
	__type(key, __u32);
	__type(value, __s64);
} file_rss SEC(".maps");

/* ---- page faults ---- */

static __always_inline void count_fault(struct zc_fault_counts *counts, unsigned long error_code)
{
	counts->total++;
	if (error_code & ZC_PF_WRITE)
		counts->write++;
	if (error_code & ZC_PF_PROT)
		counts->present++;
}

static __always_inline void on_fault(bool user, unsigned long error_code)
{
	struct zc_memory_totals *totals;

	if (!current_sender_in_window())
		return;
	totals = totals_of(&memory_totals);
	if (totals)
		count_fault(user ? &totals->user_faults : &totals->kernel_faults, error_code);
}

SEC("tp_btf/page_fault_user")
int BPF_PROG(page_fault_user_btf, unsigned long address, struct pt_regs *regs,
	     unsigned long error_code)
{
	on_fault(true, error_code);
	return 0;
}

SEC("raw_tp/page_fault_user")
int BPF_PROG(page_fault_user_raw, unsigned long address, struct pt_regs *regs,
	     unsigned long error_code)
{
	on_fault(true, error_code);
	return 0;
}

SEC("tp_btf/page_fault_kernel")
int BPF_PROG(page_fault_kernel_btf, unsigned long address, struct pt_regs *regs,
	     unsigned long error_code)
{
	on_fault(false, error_code);
	return 0;
}

SEC("raw_tp/page_fault_kernel")
int BPF_PROG(page_fault_kernel_raw, unsigned long address, struct pt_regs *regs,
	     unsigned long error_code)
{
	on_fault(false, error_code);
	return 0;
}

/* ---- page cache ---- */

struct page_range {
	__u64 first;
	__u64 last;
	bool added; /* which bitmap */
};

static long set_bitmap_word(__u32 i, struct page_range *range)
{
	__u64 word = range->first / 64 + i;
	__u64 low, high, mask;
	__u32 key = (__u32)word;
	__u64 *bits;

	if (word > range->last / 64)
		return 1;
	low = word == range->first / 64 ? range->first % 64 : 0;
	high = word == range->last / 64 ? range->last % 64 : 63;
	mask = (high == 63 ? ~0ULL : (1ULL << (high + 1)) - 1) & ~((1ULL << low) - 1);
	bits = range->added ? bpf_map_lookup_elem(&added_pages, &key)
			    : bpf_map_lookup_elem(&accessed_pages, &key);
	if (!bits)
		return 1;
	__sync_fetch_and_or(bits, mask);
	return 0;
}

/* Marks pages [first, last] of the workload file; returns pages marked. */
static __always_inline __u64 mark_pages(struct zc_memory_totals *totals, __u64 first,
					__u64 last, bool added)
{
	struct page_range range = { .first = first, .last = last, .added = added };

	if (first >= target_pages || last < first) {
		totals->out_of_range++;
		return 0;
	}
	if (range.last >= target_pages)
		range.last = target_pages - 1;
	/* Most lookups (16 pages of a 64 KiB read) fit in one word. */
	if (range.first / 64 == range.last / 64)
		set_bitmap_word(0, &range);
	else
		bpf_loop(range.last / 64 - range.first / 64 + 1, set_bitmap_word, &range, 0);
	return range.last - range.first + 1;
}

static __always_inline bool is_target(unsigned long ino, dev_t dev)
{
	return ino == target_ino && dev == target_dev;
}

static __always_inline struct zc_memory_totals *target_event(unsigned long ino, dev_t dev)
{
	if (!is_target(ino, dev) || !current_sender_in_window())
		return NULL;
	return totals_of(&memory_totals);
}

SEC("tracepoint/filemap/mm_filemap_get_pages")
int filemap_get_pages(struct trace_event_raw_mm_filemap_op_page_cache_range *ctx)
{
	struct zc_memory_totals *totals;
	__u32 tid;
	struct zc_inflight *call;

	if (!current_sender_in_window())
		return 0;
	/* Any file: this tells syscalls.bpf.c that the read() in flight copies
	 * out of the page cache rather than from a pipe or a socket. */
	tid = current_tid();
	call = bpf_map_lookup_elem(&inflight, &tid);
	if (call) {
		call->flags |= ZC_INFLIGHT_READ_PAGE_CACHE;
	} else {
		struct zc_inflight fresh = { .flags = ZC_INFLIGHT_READ_PAGE_CACHE };

		bpf_map_update_elem(&inflight, &tid, &fresh, BPF_ANY);
	}

	totals = target_event(ctx->i_ino, ctx->s_dev);
	if (!totals)
		return 0;
	totals->get_pages_calls++;
	totals->get_pages_pages += mark_pages(totals, ctx->index, ctx->last_index, false);
	return 0;
}

SEC("tracepoint/filemap/mm_filemap_fault")
int filemap_fault(struct trace_event_raw_mm_filemap_fault *ctx)
{
	struct zc_memory_totals *totals = target_event(ctx->i_ino, ctx->s_dev);

	if (!totals)
		return 0;
	totals->filemap_faults++;
	mark_pages(totals, ctx->index, ctx->index, false);
	return 0;
}

SEC("tracepoint/filemap/mm_filemap_map_pages")
int filemap_map_pages(struct trace_event_raw_mm_filemap_op_page_cache_range *ctx)
{
	struct zc_memory_totals *totals = target_event(ctx->i_ino, ctx->s_dev);

	if (!totals)
		return 0;
	totals->map_pages_calls++;
	totals->map_pages_pages += mark_pages(totals, ctx->index, ctx->last_index, false);
	return 0;
}

SEC("tracepoint/filemap/mm_filemap_add_to_page_cache")
int filemap_add_to_page_cache(struct trace_event_raw_mm_filemap_op_page_cache *ctx)
{
	struct zc_memory_totals *totals = target_event(ctx->i_ino, ctx->s_dev);
	__u64 pages;

	if (!totals)
		return 0;
	pages = 1ULL << (ctx->order & 31);
	totals->added_folios++;
	totals->added_pages += pages;
	mark_pages(totals, ctx->index, ctx->index + pages - 1, true);
	return 0;
}

/* The size field is percpu_counter_sum() of the counter, computed by the
 * kernel, so the deltas are exact. Events before the window only set the
 * baseline: the forked sender maps plenty of file pages before it. */
SEC("tracepoint/kmem/rss_stat")
int rss_stat(struct trace_event_raw_rss_stat *ctx)
{
	struct zc_memory_totals *totals;
	struct zc_tracking *state;
	__u32 tgid;
	__s64 *last, size = ctx->size;

	if (ctx->member != ZC_MM_FILEPAGES || !ctx->curr)
		return 0;
	state = tracking_state();
	tgid = current_tgid();
	if (!state || role_of(state, tgid) != ZC_ROLE_SENDER)
		return 0;
	last = bpf_map_lookup_elem(&file_rss, &tgid);
	if (!last) {
		bpf_map_update_elem(&file_rss, &tgid, &size, BPF_ANY);
		return 0;
	}
	totals = state->window_open ? totals_of(&memory_totals) : NULL;
	if (totals) {
		if (size > *last)
			totals->file_mapped_bytes += size - *last;
		else
			totals->file_unmapped_bytes += *last - size;
	}
	*last = size;
	return 0;
}
