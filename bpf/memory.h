/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Page faults of the sender and page-cache use of the workload file. */
#ifndef ZCTRACE_BPF_MEMORY_H
#define ZCTRACE_BPF_MEMORY_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* Bits of the x86 page-fault error code (arch/x86/include/asm/trap_pf.h). */
#define ZC_PF_PROT 0x1u  /* the page was present: a protection fault, e.g. copy-on-write */
#define ZC_PF_WRITE 0x2u

struct zc_fault_counts {
	__u64 total;
	__u64 write;         /* ZC_PF_WRITE set */
	__u64 present;       /* ZC_PF_PROT set: the page was mapped already */
	__u64 present_write; /* both: a write to a write-protected page, e.g. copy-on-write */
};

/* Techniques that hold the whole payload in user memory (direct_io, cow,
 * large_file_*) map it here, so faults on it can be told from the stack's and
 * the heap's by address alone. Far below the mmap area, inside 47 bits. */
#define ZC_PAYLOAD_BUFFER_BASE 0x7a6300000000ULL

struct zc_memory_totals {
	struct zc_fault_counts user_faults;   /* exceptions:page_fault_user */
	struct zc_fault_counts kernel_faults; /* exceptions:page_fault_kernel, e.g. copy_from_user */
	/* Faults in either mode on the payload buffer (ZC_PAYLOAD_BUFFER_BASE):
	 * write faults on present pages there are copy-on-write copies. */
	struct zc_fault_counts buffer_faults;

	/* Page-cache events for the workload file, in the sender's window. */
	__u64 get_pages_calls;   /* filemap:mm_filemap_get_pages (read, splice) */
	__u64 get_pages_pages;   /* pages in those ranges, overlaps included */
	__u64 filemap_faults;    /* filemap:mm_filemap_fault (mmap fault on one page) */
	__u64 map_pages_calls;   /* filemap:mm_filemap_map_pages (mmap fault-around) */
	__u64 map_pages_pages;
	__u64 added_folios;      /* filemap:mm_filemap_add_to_page_cache: misses */
	__u64 added_pages;
	/* run copy_file_range: pages added to the copy's destination, and the
	 * bytes of them the copy filled (page cache -> page cache) */
	__u64 copy_dest_pages;
	__u64 copy_dest_bytes;
	__u64 out_of_range;      /* page indexes beyond the bitmap (file grew?) */

	/* kmem:rss_stat for the sender's file-backed RSS: pages any file mapped
	 * into it, however the kernel did it (fault-around, or whole large
	 * folios at once, which the filemap events do not show). */
	__u64 file_mapped_bytes;
	__u64 file_unmapped_bytes;
};

#endif /* ZCTRACE_BPF_MEMORY_H */
