/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
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

#define ZC_MAX_PROCS 64 /* `zctrace trace` sizes the maps for its --max-procs */
/* A power of two: a tid's inflight slots are its low bits and the top bits
 * of a multiplicative hash of it. */
#define ZC_MAX_THREADS_LOG2 12
#define ZC_MAX_THREADS (1 << ZC_MAX_THREADS_LOG2)

enum zc_role {
	ZC_ROLE_SENDER = 1,
	ZC_ROLE_RECEIVER = 2,
};

struct zc_tracking {
	__u32 sender_tgid;
	__u32 receiver_tgid;
	__u32 window_open; /* written by the marker syscall, never by userspace */
	__u32 children;    /* entries in the children hash */
	/* Moves on at every fork on the host and whenever userspace changes
	 * who is tracked, and never goes back: what the probes remember of a
	 * CPU's task holds while it stands (zctrace.bpf.h). Beside the tgids,
	 * in the one line every probe reads. */
	__u64 task_generation;
	/* `zctrace trace`: processes that could not be followed because the
	 * children or procs map was full (the --max-procs cap). */
	__u64 forks_not_followed;
	__u64 procs_not_counted;
	__u64 sockets_not_listed; /* socket_figures was full */
	__u64 sockets_closed;     /* entries moved to closed keys so far */
	__u64 files_not_listed;   /* file_figures was full */
	/* Probe runs that found both of their thread's inflight slots held
	 * by other threads mid-call: what that call moved went unattributed. */
	__u64 inflight_slots_busy;
	/* Sends whose socket did not fit in the sender-socket table (trace
	 * --max-sockets): what they put on the wire is not in the xmit figures. */
	__u64 sends_on_untracked_sockets;
};

/*
 * `zctrace trace`: what one traced process did, kept per tgid in the `procs`
 * hash while the trace runs (run mode leaves it empty). Totals are still
 * kept in each group's per-CPU array; these are the per-process split, added
 * atomically because a process's threads run on every CPU.
 */
struct zc_proc_stats {
	char comm[16];          /* at the process's first event */
	__u32 ns_pid;           /* its pid in its own pid namespace */
	__u32 exited;           /* the whole thread group exited during the trace */
	__u64 syscalls;
	__u64 file_to_user_bytes;   /* read() family from the page cache */
	__u64 user_to_page_cache_bytes; /* write() family into a regular file's page cache */
	__u64 send_syscalls;
	__u64 send_bytes;           /* returned by calls that sent on TCP */
	__u64 user_copy_bytes;      /* ... taken from user memory: copied */
	__u64 kernel_copy_bytes;    /* ... from a kernel buffer: copied */
	__u64 spliced_bytes;        /* ... as page references (sendfile, splice) */
	__u64 spliced_copied_bytes; /* ... spliced, but copied: no SG on the route */
	__u64 zerocopy_bytes;       /* ... MSG_ZEROCOPY */
	__u64 receive_copy_bytes;   /* skb_copy_datagram_iovec: socket -> user */
	__u64 xmit_payload_bytes;   /* what left its sockets at a device */
	__u64 xmit_shared_frag_bytes;
	__u64 xmit_zerocopy_frag_bytes;
	__u64 xmit_copied_frag_bytes;
	__u64 xmit_linear_payload_bytes;
	__u64 zerocopy_copied_at_receive_bytes; /* its pinned pages, copied for a local socket */
	__u64 voluntary_switches;
	__u64 involuntary_switches;
	__u64 page_faults;
	__u64 page_cache_lookup_pages;
	__u64 page_cache_added_pages;
	__u64 disk_read_bytes;
	__u64 disk_write_bytes;
	__u64 file_mapped_bytes;    /* kmem:rss_stat: file pages mapped into it */
	/* ... of which inside a syscall that faulted in kernel mode: a write()
	 * copying from a mapping of a file, not the loader mapping libraries */
	__u64 file_mapped_in_syscalls_bytes;
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
#define ZC_INFLIGHT_KERNEL_FAULT 0x40u     /* trace: it faulted in kernel mode, e.g. copying from a mapping */

struct zc_inflight {
	__u32 tid;      /* the thread that holds this slot */
	__u32 pad;
	__u32 flags;
	__u32 file_dev; /* trace: the file whose page cache it read (last one) */
	__u64 file_ino;
	__u64 sk;       /* trace: the socket tcp_sendmsg took the bytes for */
	/* trace: pages added to the page cache of another file than file_ino
	 * during the call: written, i.e. copied into, by copy_file_range or
	 * sendfile to a file (generic_perform_write allocates each one). */
	__u64 other_file_pages_added;
};

/*
 * `zctrace trace`: one file whose page cache a traced process used, in the
 * `file_figures` hash, by device and inode.
 */
#define ZC_PATH_PARTS 8
#define ZC_PATH_PART_LEN 32

struct zc_file_key {
	__u64 ino;
	__u32 dev; /* the kernel's dev_t: major << 20 | minor */
	__u32 pad;
};

struct zc_file_figures {
	__u32 tgid;     /* the process that first used it */
	__u32 has_path;
	__u64 lookup_pages;  /* read, spliced or mapped through the page cache */
	__u64 added_pages;   /* misses: pages read from the disk into the cache */
	__u64 written_pages; /* pages added by a copy into it (copy_file_range), not misses */
	__u64 mmap_faults;   /* filemap_fault: one page each */
	__u64 mapped_pages;  /* fault-around */
	__u64 read_bytes;    /* returned by read() family calls: copied to user memory */
	__u64 sent_by_reference_bytes; /* sendfile/splice to a socket, as page references */
	__u64 sent_copied_bytes;       /* ... copied: no SG on the route */
	__u64 other_bytes;   /* returned by other calls that read its pages: splice to a pipe, sendfile to a file */
	__u64 written_bytes;    /* write() family from user memory into its page cache */
	__u64 disk_read_bytes;  /* bios queued to read its pages (block_bio_queue) */
	__u64 disk_write_bytes; /* ... and to write them, by the traced tasks themselves */
	/* The dentry's name, then its parents' up to the filesystem's root
	 * ("/"), as far as ZC_PATH_PARTS reach. */
	char path[ZC_PATH_PARTS][ZC_PATH_PART_LEN];
};

/*
 * `zctrace trace`: one TCP socket of a traced process, in the
 * `socket_figures` hash: keyed by its struct sock * while it is open, and
 * moved to ZC_CLOSED_SOCKET_KEY | n when it reaches TCP_CLOSE, because the
 * kernel reuses the address for the next socket.
 */
#define ZC_CLOSED_SOCKET_KEY (1ULL << 62) /* below every kernel address */

struct zc_socket_figures {
	__u32 tgid;  /* the process that first sent or received on it */
	__u32 closed;
	__u32 saddr; /* IPv4, network order; 0 for IPv6 */
	__u32 daddr;
	__u16 sport; /* network order */
	__u16 dport;
	__u16 family;
	__u16 pad;
	__u64 send_calls;           /* syscalls and io_uring requests that sent on it */
	__u64 user_copy_bytes;      /* returned by them, by how tcp_sendmsg took them */
	__u64 kernel_copy_bytes;
	__u64 spliced_bytes;
	__u64 spliced_copied_bytes;
	__u64 zerocopy_bytes;
	__u64 xmit_payload_bytes;   /* what left it at a device, and how */
	__u64 xmit_shared_frag_bytes;
	__u64 xmit_zerocopy_frag_bytes;
	__u64 xmit_copied_frag_bytes;
	__u64 xmit_linear_payload_bytes;
	__u64 resent_bytes;
	__u64 receive_copy_bytes;   /* socket -> user memory */
	__u64 zerocopy_copied_at_receive_bytes;
};

#endif /* ZCTRACE_BPF_TRACKING_H */
