/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* The sender's sockets: how tcp_sendmsg took the bytes, and what left at the device. */
#ifndef ZCTRACE_BPF_NET_H
#define ZCTRACE_BPF_NET_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define ZC_MAX_SOCKETS 256 /* `zctrace trace` sizes the maps for a server's */
#define ZC_MAX_DEVICES 64
#define ZC_IFNAMSIZ 16

/* include/linux/socket.h; not in BTF because they are macros. */
#define ZC_MSG_ZEROCOPY 0x4000000u
#define ZC_MSG_SPLICE_PAGES 0x8000000u

struct zc_net_totals {
	/* tcp:tcp_sendmsg_locked steps (several per sendmsg) by msg_iter type;
	 * the bytes are attributed at sys_exit (syscalls.h) */
	__u64 iter_user;
	__u64 iter_bvec;
	__u64 iter_kvec;
	__u64 iter_other;

	/* net:net_dev_start_xmit, for skbs whose skb->sk is the sender's */
	__u64 xmit_skbs;
	__u64 xmit_bytes;               /* skb->len */
	__u64 xmit_header_bytes;        /* MAC + IP + TCP headers in the linear area */
	__u64 xmit_linear_payload_bytes;/* payload in the linear area: copied during validation */
	__u64 xmit_shared_frag_bytes;   /* frags still pointing at page-cache pages */
	__u64 xmit_zerocopy_frag_bytes; /* frags pinning user pages (MSG_ZEROCOPY) */
	__u64 xmit_copied_frag_bytes;   /* frags holding a copy (socket page_frag) */
	__u64 xmit_unattributed_device_bytes; /* two devices shared a device slot */
	/* payload whose TCP sequence range had already left once: retransmitted */
	__u64 xmit_retransmit_payload_bytes;
	__u64 xmit_retransmit_linear_payload_bytes; /* of which linear: copied again */
	/* skbs with no skb->sk, matched to a sender socket by their TCP/IPv4
	 * 4-tuple: software GSO leaves segments without an owner when the
	 * original skb had no tcp_wfree destructor */
	__u64 xmit_flow_matched_skbs;

	__u64 retransmit_skbs;          /* tcp:tcp_retransmit_skb on the sender's sockets */
	__u64 retransmit_bytes;

	/* net:netif_receive_skb: the sender's zerocopy skbs (user pages
	 * pinned) arriving at a local receive path, where the kernel copies
	 * the pages before delivery (skb_orphan_frags_rx -> skb_copy_ubufs) */
	__u64 rx_zerocopy_skbs;
	__u64 rx_zerocopy_copied_bytes;
	__u64 rx_zerocopy_linear_skbs; /* flagged, but linear: nothing to copy */

	/* skb:skb_copy_datagram_iovec in the receiver */
	__u64 receiver_copy_calls;
	__u64 receiver_copy_bytes;
};

/* Per transmitting device (see `devices` in net.bpf.c). */
struct zc_device_xmit {
	char name[ZC_IFNAMSIZ];
	__u32 ifindex;      /* 0: slot unused */
	__u32 flags;        /* net_device->flags (IFF_*) */
	__u32 has_parent;   /* bound to a bus device: real hardware that can DMA */
	__u32 sg;           /* NETIF_F_SG in dev->features when last seen */
	__u32 netns;        /* inode of the device's network namespace, to show */
	__u32 pad;
	__u64 netns_cookie; /* and its cookie, to tell namespaces apart: inodes are reused */
	__u64 skbs;
	__u64 bytes;
	__u64 payload_bytes;
	__u64 header_bytes;
	__u64 linear_payload_bytes;
	__u64 shared_frag_bytes;
	__u64 zerocopy_frag_bytes;
	__u64 copied_frag_bytes;
};

/* A sender socket's IPv4 TCP 4-tuple, as it appears in its packets. */
struct zc_flow {
	__u32 saddr;   /* network order */
	__u32 daddr;
	__u16 sport;   /* network order */
	__u16 dport;
};

/* Where a socket's sequence space has reached at xmit. */
struct zc_socket_state {
	__u32 role;      /* enum zc_role */
	__u32 sent;      /* seq_end is valid */
	__u32 seq_end;   /* highest sequence number + 1 seen leaving */
	__u32 tgid;      /* the process that first sent on it */
};

#endif /* ZCTRACE_BPF_NET_H */
