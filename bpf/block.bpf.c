// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Disk transfers (DMA between the device and memory) that the sender caused.
 *
 * block_bio_queue runs in the submitting task, so the pid filter works, and
 * it fires once per bio at each layer of a stacked device. Counting only
 * bios addressed to the workload file's own device (st_dev, the top layer)
 * counts each byte once; a partition is its own bdev, so that matches too.
 */
#include "zctrace.bpf.h"
#include "block.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* include/linux/blk_types.h: the op is the low REQ_OP_BITS (8) bits. */
#define ZC_REQ_OP_MASK 0xffu

const volatile __u32 target_dev = 0; /* kernel dev_t encoding */

ZC_CPU_TOTALS(block_totals, struct zc_block_totals);

/* trace mode: the file whose page cache a bio reads or writes, from its
 * first page's mapping (the head page's: a tail page of a large folio has
 * none). Direct I/O bios carry user pages, anonymous or not a file's, and
 * stay with the process only. */
static __always_inline struct zc_file_figures *file_of_bio(const struct bio *bio)
{
	struct address_space *mapping;
	struct page *page;
	unsigned long head;

	if (!bio->bi_vcnt)
		return NULL;
	page = bio->bi_io_vec->bv_page;
	if (!page)
		return NULL;
	/* probe reads: compound_head shares its word with lru's pointer */
	head = BPF_CORE_READ(page, compound_head);
	if (head & 1)
		page = (struct page *)(head - 1);
	mapping = BPF_CORE_READ(page, mapping);
	/* the low bits tag anonymous and movable mappings */
	if (!mapping || ((unsigned long)mapping & 3))
		return NULL;
	return file_figures_for(BPF_CORE_READ(mapping, host, i_ino), BPF_CORE_READ(mapping, host, i_sb, s_dev), mapping);
}

static __always_inline void on_bio_queue(struct bio *bio)
{
	struct zc_block_totals *totals;
	struct zc_proc_stats *proc;
	struct zc_file_figures *file;
	__u32 bytes, op;

	if (!current_sender_in_window())
		return;
	totals = totals_of(&block_totals);
	if (!totals)
		return;
	bytes = bio->bi_iter.bi_size;
	/* trace mode has no workload file: every device the program reads or
	 * writes counts (a stacked device's layers each see the bio). */
	if (!trace_mode && bio->bi_bdev->bd_dev != target_dev) {
		totals->other_device_bytes += bytes;
		return;
	}
	proc = current_proc();
	file = trace_mode ? file_of_bio(bio) : NULL;
	op = bio->bi_opf & ZC_REQ_OP_MASK;
	if (op == REQ_OP_READ) {
		totals->read_bios++;
		totals->read_bytes += bytes;
		if (proc)
			ZC_PROC_ADD(proc, disk_read_bytes, bytes);
		if (file)
			ZC_PROC_ADD(file, disk_read_bytes, bytes);
	} else if (op == REQ_OP_WRITE) {
		totals->write_bios++;
		totals->write_bytes += bytes;
		if (proc)
			ZC_PROC_ADD(proc, disk_write_bytes, bytes);
		if (file)
			ZC_PROC_ADD(file, disk_write_bytes, bytes);
	}
	return;
}

SEC("tp_btf/block_bio_queue")
int BPF_PROG(block_bio_queue, struct bio *bio)
{
	ZC_TIMED(block_bio_queue, on_bio_queue(bio));
	return 0;
}
