// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Page faults of the sender, and which pages of the workload file it used
 * from the page cache.
 *
 * Lookups (get_pages, fault, map_pages) are BTF-typed; additions to the page
 * cache and RSS changes use classic tracepoints, whose formats carry values
 * the kernel computes (folio order, an exact percpu_counter sum).
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
/* Per technique, so not read-only: one attach serves every technique of a
 * `run` (Tracer::retarget rewrites them between runs). Length of the payload
 * buffer at ZC_PAYLOAD_BUFFER_BASE; 0 when the technique has none. */
__u64 buffer_bytes = 0;
/* Techniques that copy into a file: the destination zctrace made, and the
 * bytes the copy fills in it; 0 for every other technique. */
__u64 copy_dest_ino = 0;
__u32 copy_dest_dev = 0;
__u64 copy_dest_bytes = 0;
const volatile __u32 page_size = 4096;

ZC_CPU_TOTALS(memory_totals, struct zc_memory_totals);

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
	if ((error_code & (ZC_PF_PROT | ZC_PF_WRITE)) == (ZC_PF_PROT | ZC_PF_WRITE))
		counts->present_write++;
}

static __always_inline void on_fault(bool user, unsigned long address, unsigned long error_code)
{
	struct zc_memory_totals *totals;

	if (!current_sender_in_window())
		return;
	totals = totals_of(&memory_totals);
	if (!totals)
		return;
	count_fault(user ? &totals->user_faults : &totals->kernel_faults, error_code);
	if (trace_mode) {
		struct zc_proc_stats *proc = current_proc();

		if (proc)
			ZC_PROC_ADD(proc, page_faults, 1);
		/* sys_exit clears it with the rest of the syscall's flags */
		if (!user)
			flag_syscall(ZC_INFLIGHT_KERNEL_FAULT);
	}
	if (address - ZC_PAYLOAD_BUFFER_BASE < buffer_bytes)
		count_fault(&totals->buffer_faults, error_code);
}

SEC("tp_btf/page_fault_user")
int BPF_PROG(page_fault_user_btf, unsigned long address, struct pt_regs *regs,
	     unsigned long error_code)
{
	ZC_TIMED(page_fault_user, on_fault(true, address, error_code));
	return 0;
}

SEC("raw_tp/page_fault_user")
int BPF_PROG(page_fault_user_raw, unsigned long address, struct pt_regs *regs,
	     unsigned long error_code)
{
	ZC_TIMED(page_fault_user, on_fault(true, address, error_code));
	return 0;
}

SEC("tp_btf/page_fault_kernel")
int BPF_PROG(page_fault_kernel_btf, unsigned long address, struct pt_regs *regs,
	     unsigned long error_code)
{
	ZC_TIMED(page_fault_kernel, on_fault(false, address, error_code));
	return 0;
}

SEC("raw_tp/page_fault_kernel")
int BPF_PROG(page_fault_kernel_raw, unsigned long address, struct pt_regs *regs,
	     unsigned long error_code)
{
	ZC_TIMED(page_fault_kernel, on_fault(false, address, error_code));
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

	/* trace mode follows every file, so it has no bitmap: a page looked up
	 * twice counts twice. */
	if (trace_mode)
		return last >= first ? last - first + 1 : 0;
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
	return trace_mode || (ino == target_ino && dev == target_dev);
}

/* Tells syscalls.bpf.c that the call in flight reads this file's page cache
 * (a read() copies out of it rather than out of a pipe or a socket). */
static __always_inline void flag_file_read(unsigned long ino, dev_t dev)
{
	struct zc_inflight *call = inflight_of(true);

	if (call) {
		call->flags |= ZC_INFLIGHT_READ_PAGE_CACHE;
		call->file_ino = ino;
		call->file_dev = dev;
	}
}

/* read() and splice() looked up pages [first, last] of a file. */
static __always_inline void on_get_pages(unsigned long ino, dev_t dev, __u64 first, __u64 last,
					 struct address_space *mapping)
{
	struct zc_memory_totals *totals;
	struct zc_proc_stats *proc;
	struct zc_file_figures *file;
	__u64 pages;

	flag_file_read(ino, dev);
	if (!is_target(ino, dev))
		return;
	totals = totals_of(&memory_totals);
	if (!totals)
		return;
	totals->get_pages_calls++;
	pages = mark_pages(totals, first, last, false);
	totals->get_pages_pages += pages;
	proc = current_proc();
	if (proc)
		ZC_PROC_ADD(proc, page_cache_lookup_pages, pages);
	file = file_figures_for(ino, dev, mapping);
	if (file)
		ZC_PROC_ADD(file, lookup_pages, pages);
}

/* An mmap fault read page `index` through filemap_fault. */
static __always_inline void on_filemap_fault(unsigned long ino, dev_t dev, __u64 index,
					     struct address_space *mapping)
{
	struct zc_memory_totals *totals;
	struct zc_proc_stats *proc;
	struct zc_file_figures *file;

	if (!is_target(ino, dev) || !(totals = totals_of(&memory_totals)))
		return;
	totals->filemap_faults++;
	mark_pages(totals, index, index, false);
	proc = current_proc();
	if (proc)
		ZC_PROC_ADD(proc, page_cache_lookup_pages, 1);
	file = file_figures_for(ino, dev, mapping);
	if (file) {
		ZC_PROC_ADD(file, lookup_pages, 1);
		ZC_PROC_ADD(file, mmap_faults, 1);
	}
}

/* Fault-around mapped the cached pages of [first, last]. */
static __always_inline void on_map_pages(unsigned long ino, dev_t dev, __u64 first, __u64 last,
					 struct address_space *mapping)
{
	struct zc_memory_totals *totals;
	struct zc_proc_stats *proc;
	struct zc_file_figures *file;
	__u64 pages;

	if (!is_target(ino, dev) || !(totals = totals_of(&memory_totals)))
		return;
	totals->map_pages_calls++;
	pages = mark_pages(totals, first, last, false);
	totals->map_pages_pages += pages;
	proc = current_proc();
	if (proc)
		ZC_PROC_ADD(proc, page_cache_lookup_pages, pages);
	file = file_figures_for(ino, dev, mapping);
	if (file) {
		ZC_PROC_ADD(file, lookup_pages, pages);
		ZC_PROC_ADD(file, mapped_pages, pages);
	}
}

/* These three fire once per read, splice or fault, so they are BTF-typed
 * (classic tracepoints also fill a trace record on every hit, a cost
 * bpf_stats never sees). The mapping's inode gives the file. */
#define FILE_OF_BTF(mapping) (mapping)->host->i_ino, (mapping)->host->i_sb->s_dev
#define FILE_OF_CORE(mapping) BPF_CORE_READ(mapping, host, i_ino), BPF_CORE_READ(mapping, host, i_sb, s_dev)

SEC("tp_btf/mm_filemap_get_pages")
int BPF_PROG(filemap_get_pages_btf, struct address_space *mapping, unsigned long index, unsigned long last_index)
{
	ZC_TIMED(filemap_get_pages, if (current_sender_in_window()) on_get_pages(FILE_OF_BTF(mapping), index, last_index, mapping));
	return 0;
}

SEC("raw_tp/mm_filemap_get_pages")
int BPF_PROG(filemap_get_pages_raw, struct address_space *mapping, unsigned long index, unsigned long last_index)
{
	ZC_TIMED(filemap_get_pages, if (current_sender_in_window()) on_get_pages(FILE_OF_CORE(mapping), index, last_index, mapping));
	return 0;
}

SEC("tp_btf/mm_filemap_fault")
int BPF_PROG(filemap_fault_btf, struct address_space *mapping, unsigned long index)
{
	ZC_TIMED(filemap_fault, if (current_sender_in_window()) on_filemap_fault(FILE_OF_BTF(mapping), index, mapping));
	return 0;
}

SEC("raw_tp/mm_filemap_fault")
int BPF_PROG(filemap_fault_raw, struct address_space *mapping, unsigned long index)
{
	ZC_TIMED(filemap_fault, if (current_sender_in_window()) on_filemap_fault(FILE_OF_CORE(mapping), index, mapping));
	return 0;
}

SEC("tp_btf/mm_filemap_map_pages")
int BPF_PROG(filemap_map_pages_btf, struct address_space *mapping, unsigned long start, unsigned long end)
{
	ZC_TIMED(filemap_map_pages, if (current_sender_in_window()) on_map_pages(FILE_OF_BTF(mapping), start, end, mapping));
	return 0;
}

SEC("raw_tp/mm_filemap_map_pages")
int BPF_PROG(filemap_map_pages_raw, struct address_space *mapping, unsigned long start, unsigned long end)
{
	ZC_TIMED(filemap_map_pages, if (current_sender_in_window()) on_map_pages(FILE_OF_CORE(mapping), start, end, mapping));
	return 0;
}

/* A write that reaches a page not in the cache adds it (a partial page is
 * read first, and its bio is the file's disk_read_bytes). */
static __always_inline bool in_write_syscall(void)
{
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());

	return is_write_syscall(BPF_CORE_READ(regs, PT_REGS_SYSCALL_NR_FIELD));
}

/* Misses are rare, and the classic format gives the folio's order, which
 * would otherwise mean reading folio internals that change between releases. */
static __always_inline void on_add_to_page_cache(struct trace_event_raw_mm_filemap_op_page_cache *ctx)
{
	struct zc_memory_totals *totals;
	struct zc_proc_stats *proc;
	struct zc_file_figures *file;
	struct zc_inflight *call;
	bool written;
	__u64 pages;

	if (!current_sender_in_window())
		return;
	pages = 1ULL << (ctx->order & 31);
	/* A page new to the copy's destination is filled by the copy: its
	 * bytes, up to the end of the copy, were copied page cache to page
	 * cache. */
	if (copy_dest_ino && ctx->i_ino == copy_dest_ino && ctx->s_dev == copy_dest_dev) {
		__u64 first = ctx->index * page_size, end = (ctx->index + pages) * page_size;

		if ((totals = totals_of(&memory_totals))) {
			totals->copy_dest_pages += pages;
			if (first < copy_dest_bytes)
				totals->copy_dest_bytes += (end < copy_dest_bytes ? end : copy_dest_bytes) - first;
		}
		return;
	}
	if (!is_target(ctx->i_ino, ctx->s_dev) || !(totals = totals_of(&memory_totals)))
		return;
	/* Inside a call that read another file's page cache, a page added here
	 * is one the call writes: a copy's destination, not a miss. */
	call = trace_mode ? inflight_of(false) : NULL;
	written = call && call->file_ino && (call->file_ino != ctx->i_ino || call->file_dev != ctx->s_dev);
	if (written)
		call->other_file_pages_added += pages;
	else if (trace_mode)
		written = in_write_syscall();
	if (!written) {
		totals->added_folios++;
		totals->added_pages += pages;
		mark_pages(totals, ctx->index, ctx->index + pages - 1, true);
	}
	proc = current_proc();
	if (proc && !written)
		ZC_PROC_ADD(proc, page_cache_added_pages, pages);
	file = file_figures_for(ctx->i_ino, ctx->s_dev, NULL);
	if (file && written)
		ZC_PROC_ADD(file, written_pages, pages);
	else if (file)
		ZC_PROC_ADD(file, added_pages, pages);
	return;
}

SEC("tracepoint/filemap/mm_filemap_add_to_page_cache")
int filemap_add_to_page_cache(struct trace_event_raw_mm_filemap_op_page_cache *ctx)
{
	ZC_TIMED(filemap_add_to_page_cache, on_add_to_page_cache(ctx));
	return 0;
}

/* The size field is percpu_counter_sum() of the counter, computed by the
 * kernel, so the deltas are exact. Events before the window only set the
 * baseline: the forked sender maps plenty of file pages before it. */
/* trace: a file entry made where no mapping was at hand (a page added to
 * a copy's destination) gets its path when the traced task dirties it.
 * Only `trace` loads this. */
static __always_inline void on_dirty_folio(struct address_space *mapping)
{
	struct zc_file_key key;
	struct zc_file_figures *file;

	if (!trace_mode || !current_sender_in_window() || !mapping)
		return;
	key.ino = mapping->host->i_ino;
	key.dev = mapping->host->i_sb->s_dev;
	key.pad = 0;
	file = bpf_map_lookup_elem(&file_figures, &key);
	if (file && !file->has_path)
		read_path(file, mapping);
	return;
}

SEC("tp_btf/writeback_dirty_folio")
int BPF_PROG(writeback_dirty_folio_btf, struct folio *folio, struct address_space *mapping)
{
	ZC_TIMED(writeback_dirty_folio, on_dirty_folio(mapping));
	return 0;
}

static __always_inline void on_rss_stat(struct trace_event_raw_rss_stat *ctx)
{
	struct zc_memory_totals *totals;
	struct zc_tracking *state;
	__u32 tgid;
	__s64 *last, size = ctx->size;

	if (ctx->member != ZC_MM_FILEPAGES || !ctx->curr)
		return;
	state = tracking_state();
	tgid = current_tgid();
	/* The sender alone: a forked child (cow) starts with a copy of its
	 * counters, which are not pages it mapped. */
	if (!state || (trace_mode ? !current_role(state) : tgid != state->sender_tgid))
		return;
	last = bpf_map_lookup_elem(&file_rss, &tgid);
	if (!last) {
		bpf_map_update_elem(&file_rss, &tgid, &size, BPF_ANY);
		return;
	}
	totals = window_is_open(state) ? totals_of(&memory_totals) : NULL;
	if (totals) {
		if (size > *last)
			totals->file_mapped_bytes += size - *last;
		else
			totals->file_unmapped_bytes += *last - size;
	}
	if (trace_mode && size > *last) {
		struct zc_proc_stats *proc = current_proc();
		struct zc_inflight *call = inflight_of(false);

		if (proc)
			ZC_PROC_ADD(proc, file_mapped_bytes, size - *last);
		if (proc && call && (call->flags & ZC_INFLIGHT_KERNEL_FAULT))
			ZC_PROC_ADD(proc, file_mapped_in_syscalls_bytes, size - *last);
	}
	*last = size;
	return;
}

SEC("tracepoint/kmem/rss_stat")
int rss_stat(struct trace_event_raw_rss_stat *ctx)
{
	ZC_TIMED(rss_stat, on_rss_stat(ctx));
	return 0;
}
