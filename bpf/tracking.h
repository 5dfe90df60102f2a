/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Which processes zctrace counts, and when. Shared by every probe group and
 * by userspace.
 *
 * zctrace starts the workload itself, so it knows the sender's and the
 * receiver's tgids before they move a byte and writes them into the one-entry
 * `tracking` array, which every probe reads first: an array lookup is cheap,
 * and most events (other processes, or outside the window) stop right there.
 * Processes forked by a tracked one go into the `children` hash (see
 * syscalls.bpf.c), which is only searched once there are any.
 *
 * The sender opens and closes its measurement window with a marker: a call
 * to a syscall number that does not exist. The kernel answers it with
 * ENOSYS and does nothing else, but raw_syscalls:sys_enter sees it, so the
 * window starts and ends exactly between two real syscalls of the workload.
 * This is what lets the tests compare syscall counts exactly with the
 * workload's own tally.
 */
#ifndef ZCTRACE_BPF_TRACKING_H
#define ZCTRACE_BPF_TRACKING_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define ZC_MAX_PROCS 64
#define ZC_MAX_THREADS 4096

enum zc_role {
	ZC_ROLE_SENDER = 1,
	ZC_ROLE_RECEIVER = 2,
};

struct zc_tracking {
	__u32 sender_tgid;
	__u32 receiver_tgid;
	__u32 window_open; /* written by the marker syscall, never by userspace */
	__u32 children;    /* entries in the children hash */
};

/* 'zc': far above any real syscall number on every architecture. */
#define ZC_MARKER_SYSCALL_NR 0x7a63

enum zc_marker_op {
	ZC_MARKER_BEGIN = 1,
	ZC_MARKER_END = 2,
};

/* What the syscall in flight on a sender thread did so far, set by the
 * probes that fire inside it and read (then cleared) by its exit, which
 * attributes the syscall's return value: bytes read from the page cache,
 * bytes sent and how. Entries are per thread and reused. */
#define ZC_INFLIGHT_READ_PAGE_CACHE 0x1u   /* filemap_get_pages ran inside it */
#define ZC_INFLIGHT_SEND_USER 0x2u         /* tcp_sendmsg from a user iovec: copy */
#define ZC_INFLIGHT_SEND_KERNEL 0x4u       /* from a kernel buffer (kvec): copy */
#define ZC_INFLIGHT_SEND_SPLICED 0x8u      /* MSG_SPLICE_PAGES, route has SG: page refs */
#define ZC_INFLIGHT_SEND_SPLICE_COPY 0x10u /* MSG_SPLICE_PAGES, no SG: copied */
#define ZC_INFLIGHT_SEND_ZEROCOPY 0x20u    /* MSG_ZEROCOPY: user pages pinned */
#define ZC_INFLIGHT_SEND_MASK 0x3eu

struct zc_inflight {
	__u32 flags;
	__u32 pad;
};

#endif /* ZCTRACE_BPF_TRACKING_H */
