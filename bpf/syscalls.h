/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Syscalls, user<->kernel mode switches and the measurement window. */
#ifndef ZCTRACE_BPF_SYSCALLS_H
#define ZCTRACE_BPF_SYSCALLS_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* Syscall numbers at or above this are counted in the last slot. */
#define ZC_SYSCALL_SLOTS 512

/* How a syscall's returned bytes moved, for the per-syscall byte split
 * (syscall_bytes[nr * ZC_BYTE_KINDS + kind]): what classifies a traced
 * program's technique by the calls that really moved its bytes. */
enum zc_byte_kind {
	ZC_BYTES_FILE_TO_USER = 0, /* a read() family call copied from the page cache */
	ZC_BYTES_USER_COPY,        /* sent from user memory: copied */
	ZC_BYTES_KERNEL_COPY,      /* sent from a kernel buffer: copied */
	ZC_BYTES_SPLICED,          /* sent as page references */
	ZC_BYTES_SPLICED_COPIED,   /* spliced, but copied: no SG on the route */
	ZC_BYTES_ZEROCOPY,         /* MSG_ZEROCOPY: user pages pinned */
	ZC_BYTES_RETURNED,         /* trace: what vmsplice, tee or copy_file_range returned */
	ZC_BYTES_PAGE_CACHE_COPY,  /* trace: ... of which written into new page-cache pages of another file: copied */
	ZC_BYTES_USER_TO_PAGE_CACHE, /* trace: written from user memory into a regular file's page cache */
	ZC_BYTE_KINDS = 9,
};

/* io_uring opcodes at or above this share the last slot (IORING_OP_LAST
 * is 60 in 6.18). */
#define ZC_URING_OPS 64

/* read(2)-family syscall numbers, filled in by userspace from <sys/syscall.h>. */
#define ZC_READ_SYSCALLS 5
/* trace: syscalls whose returned bytes are kept whatever moved them
 * (vmsplice, tee, copy_file_range, sendfile). */
#define ZC_RETURNED_SYSCALLS 4
/* trace: pseudo filesystems' magics, filled in by userspace */
#define ZC_PSEUDO_FS_MAGICS 16

struct zc_syscall_totals {
	__u64 exits;              /* kernel -> user, by syscall return; entries are
				   * the sum of syscall_counts */
	__u64 file_to_user_bytes; /* read() bytes that came from the page cache */
	__u64 file_reads;         /* read() calls that returned such bytes */
	/* trace: write() family bytes into a regular file (not O_DIRECT):
	 * copied from user memory into its page cache */
	__u64 user_to_page_cache_bytes;
	__u64 file_writes;

	/* Bytes returned by syscalls that sent on a TCP socket, by how
	 * tcp_sendmsg took them (see ZC_INFLIGHT_SEND_* in tracking.h). */
	__u64 send_syscalls;
	__u64 send_bytes;
	__u64 user_copy_bytes;
	__u64 kernel_copy_bytes;
	__u64 spliced_bytes;
	__u64 spliced_copied_bytes;
	__u64 zerocopy_bytes;
	/* io_uring: requests of traced tasks that completed,
	 * by opcode in uring_requests; send_zc notifications, and how many
	 * of them said the kernel copied after all
	 * (IORING_NOTIF_USAGE_ZC_COPIED). */
	__u64 uring_completions;
	__u64 uring_zc_notifs;
	__u64 uring_zc_notifs_copied;
	/* Why a notification said COPIED, read off its io_notif_data: a
	 * callback reported a failed zerocopy (zc_copied: skb_copy_ubufs or a
	 * downgrade), or none reported a success with an skb (!zc_used); of
	 * those, the ones linked into another request's skb (io_link_skb) only
	 * ever see their head's skbs, so they can never be marked used. */
	__u64 uring_zc_copied_reported;
	__u64 uring_zc_copied_unused;
	__u64 uring_zc_copied_unused_linked;
	/* CQEs that found the completion ring full: the kernel keeps them on
	 * its overflow list and posts them later without io_uring_complete, so
	 * their requests' bytes are not attributed. */
	__u64 uring_cqe_overflows;
	__u64 window_opens;
	__u64 window_closes;
	__u64 forks_followed;
};

#endif /* ZCTRACE_BPF_SYSCALLS_H */
