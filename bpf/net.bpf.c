// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The sender's sockets, from sendmsg to the device.
 *
 * tcp_sendmsg_locked runs in the sender before the first byte is queued, so
 * it is where a socket becomes "the sender's". From then on xmit events are
 * matched by skb->sk, because they fire in softirq and other tasks' context.
 * It also tells the syscall in flight how its bytes are taken; the syscall's
 * exit (syscalls.bpf.c) then attributes its return value, which saves a
 * probe on sock_send_length for every send.
 *
 * A byte can be copied at two places on the way out: in sendmsg (from user
 * memory, or from page-cache pages when the route has no scatter-gather) and
 * in validate_xmit_skb (linearized or software-segmented because the device
 * lacks SG). TCP always queues payload in frags, so payload found in the
 * linear area at xmit was copied there.
 */
#include "zctrace.bpf.h"
#include <bpf/bpf_endian.h>
#include "net.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";


ZC_CPU_TOTALS(net_totals, struct zc_net_totals);

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, ZC_MAX_SOCKETS);
	__type(key, __u64); /* struct sock * */
	__type(value, struct zc_socket_state);
} sockets SEC(".maps");

/* Per transmitting device, in slot ifindex % ZC_MAX_DEVICES: an array, not a
 * hash, because this is on the xmit path of every skb; per-CPU because xmit
 * runs on every CPU at once. Userspace sums the CPUs. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, ZC_MAX_DEVICES);
	__type(key, __u32);
	__type(value, struct zc_device_xmit);
} devices SEC(".maps");

/* The sender's sockets by 4-tuple, for skbs that reach the device without
 * skb->sk. Value: the struct sock * (the key of `sockets`). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, ZC_MAX_SOCKETS);
	__type(key, struct zc_flow);
	__type(value, __u64);
} flows SEC(".maps");

/* `zctrace gather --observe`: count every skb any device transmits, not just
 * the workload's. Set before load, so the verifier drops the unused path. */
const volatile bool observe_all = false;

/* The sender's first socket, so that xmit can match it without a hash
 * lookup; the `sockets` hash is only searched when there have been more.
 * socket_count counts the sockets ever registered, closed ones included. */
__u64 first_socket = 0;
__u32 socket_count = 0;
struct zc_socket_state first_socket_state = { .role = ZC_ROLE_SENDER };
/* ... and its 4-tuple, so that an ownerless skb of it (what arrives at
 * netif_receive_skb has no sk yet) needs no `flows` hash lookup either:
 * a hash lookup cost msg_zerocopy's receive probe most of its run time. */
struct zc_flow first_flow = {};

static __always_inline struct zc_socket_state *sender_socket(__u64 sk)
{
	if (!sk)
		return NULL;
	if (sk == first_socket)
		return &first_socket_state;
	if (socket_count > 1)
		return bpf_map_lookup_elem(&sockets, &sk);
	return NULL;
}

/* An ownerless IPv4 TCP skb of one of the sender's connections. */
static __always_inline struct zc_socket_state *sender_flow(const struct sk_buff *skb, __u64 *sk)
{
	unsigned char *head = skb->head;
	struct zc_flow flow;
	struct iphdr *ip;
	struct tcphdr *tcp;
	__u64 *owner;

	if (skb->protocol != bpf_htons(0x0800 /* ETH_P_IP */) || skb->transport_header == (__u16)~0U)
		return NULL;
	ip = bpf_rdonly_cast(head + skb->network_header, bpf_core_type_id_kernel(struct iphdr));
	if (ip->protocol != 6 /* IPPROTO_TCP */)
		return NULL;
	tcp = bpf_rdonly_cast(head + skb->transport_header, bpf_core_type_id_kernel(struct tcphdr));
	flow.saddr = ip->saddr;
	flow.daddr = ip->daddr;
	flow.sport = tcp->source;
	flow.dport = tcp->dest;
	if (first_socket && flow.saddr == first_flow.saddr && flow.daddr == first_flow.daddr &&
	    flow.sport == first_flow.sport && flow.dport == first_flow.dport) {
		*sk = first_socket;
		return &first_socket_state;
	}
	owner = bpf_map_lookup_elem(&flows, &flow);
	if (!owner)
		return NULL;
	*sk = *owner;
	return sender_socket(*sk);
}

static __always_inline bool is_sender_socket(__u64 sk)
{
	return sender_socket(sk) != NULL;
}

static __always_inline struct zc_flow flow_of(const struct sock *sk)
{
	struct zc_flow flow = {
		.saddr = sk->__sk_common.skc_rcv_saddr,
		.daddr = sk->__sk_common.skc_daddr,
		.sport = bpf_htons(sk->__sk_common.skc_num),
		.dport = sk->__sk_common.skc_dport,
	};

	return flow;
}

/* trace mode: the figures of a traced process's socket, created at its
 * first send or receive. */
static __always_inline struct zc_socket_figures *socket_figures_for(const struct sock *sk)
{
	__u64 key = (__u64)sk;
	struct zc_socket_figures *figures;

	if (!trace_mode)
		return NULL;
	figures = bpf_map_lookup_elem(&socket_figures, &key);
	if (figures)
		return figures;
	{
		struct zc_flow flow = flow_of(sk);
		struct zc_socket_figures fresh = {
			.tgid = current_tgid(),
			.family = sk->__sk_common.skc_family,
			.saddr = flow.saddr,
			.daddr = flow.daddr,
			.sport = flow.sport,
			.dport = flow.dport,
		};

		return insert_counted(&socket_figures, &key, &fresh, offsetof(struct zc_tracking, sockets_not_listed));
	}
}

static __always_inline bool is_user_iter(__u8 type)
{
	return type == bpf_core_enum_value(enum iter_type, ITER_UBUF) ||
	       type == bpf_core_enum_value(enum iter_type, ITER_IOVEC);
}

/* How tcp_sendmsg will take the bytes of this call, by the tests the kernel
 * makes in net/ipv4/tcp.c: MSG_ZEROCOPY pins user pages only on a socket with
 * SO_ZEROCOPY set (or with a ubuf from io_uring), and both zerocopy and
 * spliced pages need NETIF_F_SG in the route's caps; otherwise the bytes are
 * copied like any other data. */
static __always_inline __u32 send_mode(const struct sock *sk, const struct msghdr *msg, __u8 iter_type)
{
	const bool route_sg = (sk->sk_route_caps >> ZC_NETIF_F_SG_BIT) & 1;
	const __u32 msg_flags = msg->msg_flags;
	const bool sock_zerocopy = (sk->__sk_common.skc_flags >> bpf_core_enum_value(enum sock_flags, SOCK_ZEROCOPY)) & 1;
	bool has_ubuf = false;

	if (bpf_core_field_exists(msg->msg_ubuf))
		has_ubuf = msg->msg_ubuf != NULL;
	if (((msg_flags & ZC_MSG_ZEROCOPY) && sock_zerocopy) || has_ubuf)
		return route_sg ? ZC_INFLIGHT_SEND_ZEROCOPY : ZC_INFLIGHT_SEND_USER;
	if (msg_flags & ZC_MSG_SPLICE_PAGES)
		return route_sg ? ZC_INFLIGHT_SEND_SPLICED : ZC_INFLIGHT_SEND_SPLICE_COPY;
	return is_user_iter(iter_type) ? ZC_INFLIGHT_SEND_USER : ZC_INFLIGHT_SEND_KERNEL;
}

static __always_inline void on_sendmsg(const struct sock *sk, const struct msghdr *msg)
{
	struct zc_net_totals *totals;
	struct zc_inflight *call;
	__u64 key = (__u64)sk;
	struct zc_socket_state fresh_socket = { .role = ZC_ROLE_SENDER, .tgid = current_tgid() };
	__u8 iter_type;

	if (!current_sender_in_window())
		return;
	totals = totals_of(&net_totals);
	if (!totals)
		return;
	iter_type = msg->msg_iter.iter_type;
	if (is_user_iter(iter_type))
		totals->iter_user++;
	else if (iter_type == bpf_core_enum_value(enum iter_type, ITER_BVEC))
		totals->iter_bvec++;
	else if (iter_type == bpf_core_enum_value(enum iter_type, ITER_KVEC))
		totals->iter_kvec++;
	else
		totals->iter_other++;

	/* This fires once per skb-building step, several times per sendmsg;
	 * the mode and the socket only need recording once per syscall. With
	 * trace --hooks light no sys_exit clears the entry, so a send on
	 * another socket must still get through, and so must one on a new
	 * socket at a closed one's address (the slab reuses it at once). */
	call = inflight_of(true);
	if (!call)
		return;
	if ((call->flags & ZC_INFLIGHT_SEND_MASK) && call->sk == key &&
	    (!light_hooks || key == first_socket || bpf_map_lookup_elem(&sockets, &key)))
		return;
	call->flags |= send_mode(sk, msg, iter_type);
	call->sk = key;
	socket_figures_for(sk);
	if (light_hooks)
		current_proc();
	if (key != first_socket && !bpf_map_lookup_elem(&sockets, &key)) {
		long inserted = bpf_map_update_elem(&sockets, &key, &fresh_socket, BPF_NOEXIST);
		struct zc_tracking *state;
		struct zc_flow flow;

		if (inserted == -ZC_E2BIG && (state = tracking_state())) {
			/* Counted per send, since each one tries again. */
			__sync_fetch_and_add(&state->sends_on_untracked_sockets, 1);
			return;
		}
		if (inserted)
			return;
		flow = flow_of(sk);
		bpf_map_update_elem(&flows, &flow, &key, BPF_ANY);
		if (__sync_fetch_and_add(&socket_count, 1) == 0) {
			first_socket_state.tgid = fresh_socket.tgid;
			first_flow = flow; /* before first_socket, which makes it count */
			first_socket = key;
		}
	}
	return;
}

SEC("tp_btf/tcp_sendmsg_locked")
int BPF_PROG(tcp_sendmsg_locked, const struct sock *sk, const struct msghdr *msg,
	     const struct sk_buff *skb, int size_goal)
{
	ZC_TIMED(tcp_sendmsg_locked, on_sendmsg(sk, msg));
	return 0;
}

/* A closed socket's figures move to a key no live socket can have. */
static __always_inline void keep_closed_socket_figures(__u64 key)
{
	struct zc_socket_figures *figures = bpf_map_lookup_elem(&socket_figures, &key);
	struct zc_socket_figures closed;
	struct zc_tracking *state;
	__u64 closed_key;

	if (!figures || !(state = tracking_state()))
		return;
	closed = *figures;
	closed.closed = 1;
	closed_key = ZC_CLOSED_SOCKET_KEY | __sync_fetch_and_add(&state->sockets_closed, 1);
	bpf_map_delete_elem(&socket_figures, &key);
	bpf_map_update_elem(&socket_figures, &closed_key, &closed, BPF_NOEXIST);
}

/* A sender socket leaves the maps when it reaches TCP_CLOSE. By then TCP has
 * nothing left to send on it, and the kernel may hand its address to a new
 * socket that is not the sender's. */
static __always_inline void on_set_state(const struct sock *sk, const int newstate)
{
	__u64 key = (__u64)sk;
	struct zc_flow flow;

	if (newstate != 7 /* TCP_CLOSE */)
		return;
	if (trace_mode)
		keep_closed_socket_figures(key);
	if (!socket_count)
		return;
	if (key == first_socket)
		first_socket = 0;
	if (bpf_map_delete_elem(&sockets, &key))
		return;
	flow = flow_of(sk);
	bpf_map_delete_elem(&flows, &flow);
	return;
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(inet_sock_set_state, const struct sock *sk, const int oldstate, const int newstate)
{
	ZC_TIMED(inet_sock_set_state, on_set_state(sk, newstate));
	return 0;
}

/* The end of the L4 header as an offset from skb->head, or 0 when the skb
 * carries no TCP or UDP (then everything in the linear area is header). */
static __always_inline __u32 l4_header_end(const struct sk_buff *skb, struct tcphdr **tcp)
{
	unsigned char *head = skb->head;
	__u16 transport = skb->transport_header;
	__u8 protocol;

	*tcp = NULL;
	if (transport == (__u16)~0U)
		return 0;
	if (skb->protocol == bpf_htons(0x0800 /* ETH_P_IP */)) {
		struct iphdr *ip = bpf_rdonly_cast(head + skb->network_header,
						   bpf_core_type_id_kernel(struct iphdr));

		protocol = ip->protocol;
	} else if (skb->protocol == bpf_htons(0x86DD /* ETH_P_IPV6 */)) {
		struct ipv6hdr *ip6 = bpf_rdonly_cast(head + skb->network_header,
						      bpf_core_type_id_kernel(struct ipv6hdr));

		protocol = ip6->nexthdr; /* extension headers: counted as payload */
	} else {
		return 0;
	}
	if (protocol == 6 /* IPPROTO_TCP */) {
		*tcp = bpf_rdonly_cast(head + transport, bpf_core_type_id_kernel(struct tcphdr));
		return transport + (*tcp)->doff * 4;
	}
	if (protocol == 17 /* IPPROTO_UDP */)
		return transport + 8;
	return transport; /* ICMP and the rest: their own header counts as payload */
}

static __always_inline __u32 header_bytes(const struct sk_buff *skb, __u32 linear, __u32 l4_end)
{
	__u32 data_offset = skb->data - skb->head;

	if (!l4_end)
		return linear;
	if (l4_end <= data_offset)
		return 0;
	return l4_end - data_offset > linear ? linear : l4_end - data_offset;
}

/* Payload bytes of this segment that already left once: TCP resends a range
 * of sequence space, so anything below the highest end seen is a resend.
 * Counting here rather than at tcp_retransmit_skb splits a resend's bytes by
 * how they left (linear: copied again, or frags). */
static __always_inline __u32 resent_bytes(struct zc_socket_state *state, const struct tcphdr *tcp,
					  __u32 payload)
{
	__u32 seq, end, resent = 0;

	if (!tcp || !payload)
		return 0;
	seq = bpf_ntohl(tcp->seq);
	end = seq + payload;
	if (state->sent && (__s32)(state->seq_end - seq) > 0)
		resent = (__s32)(state->seq_end - end) >= 0 ? payload : state->seq_end - seq;
	if (!state->sent || (__s32)(end - state->seq_end) > 0) {
		state->seq_end = end;
		state->sent = 1;
	}
	return resent;
}

struct zc_xmit_split {
	__u32 len;
	__u32 headers;
	__u32 linear_payload;
	__u32 shared;
	__u32 zerocopy;
	__u32 copied;
};

static __always_inline void count_device(struct zc_net_totals *totals, const struct net_device *dev,
					 const struct zc_xmit_split *split)
{
	__u32 ifindex = dev->ifindex;
	/* ifindexes repeat across namespaces (every one has its lo at 1) */
	const struct net *net = dev->nd_net.net;
	__u64 cookie = net->net_cookie;
	__u32 slot = (ifindex ^ (__u32)cookie) % ZC_MAX_DEVICES;
	struct zc_device_xmit *entry = bpf_map_lookup_elem(&devices, &slot);

	if (!entry)
		return;
	if (entry->ifindex != ifindex || entry->netns_cookie != cookie) {
		if (entry->ifindex) {
			totals->xmit_unattributed_device_bytes += split->len;
			return;
		}
		entry->ifindex = ifindex;
		entry->netns_cookie = cookie;
		entry->netns = net->ns.inum;
		bpf_probe_read_kernel_str(entry->name, sizeof(entry->name), dev->name);
	}
	entry->flags = dev->flags;
	entry->has_parent = dev->dev.parent != NULL;
	entry->sg = (dev->features >> ZC_NETIF_F_SG_BIT) & 1;
	entry->skbs++;
	entry->bytes += split->len;
	entry->payload_bytes += split->len - split->headers;
	entry->header_bytes += split->headers;
	entry->linear_payload_bytes += split->linear_payload;
	entry->shared_frag_bytes += split->shared;
	entry->zerocopy_frag_bytes += split->zerocopy;
	entry->copied_frag_bytes += split->copied;
}

static __always_inline void on_xmit(const struct sk_buff *skb, const struct net_device *dev)
{
	struct zc_socket_state *state = NULL;
	struct zc_net_totals *totals;
	struct skb_shared_info *shinfo;
	struct zc_xmit_split split = {};
	struct tcphdr *tcp;
	__u32 data_len, linear, resent;
	bool by_flow = false;
	__u64 owner = 0;

	if (!observe_all) {
		owner = (__u64)skb->sk;
		state = sender_socket(owner);
		if (!state && !owner && socket_count) {
			state = sender_flow(skb, &owner);
			by_flow = state != NULL;
		}
		if (!state)
			return;
	}

	split.len = skb->len;
	data_len = skb->data_len;
	linear = split.len - data_len;
	split.headers = header_bytes(skb, linear, l4_header_end(skb, &tcp));
	split.linear_payload = linear - split.headers;
	shinfo = bpf_rdonly_cast(skb->head + skb->end, bpf_core_type_id_kernel(struct skb_shared_info));
	/* MSG_ZEROCOPY sets both flags, so test it first. */
	if (shinfo->flags & SKBFL_ZEROCOPY_ENABLE)
		split.zerocopy = data_len;
	else if (shinfo->flags & SKBFL_SHARED_FRAG)
		split.shared = data_len;
	else
		split.copied = data_len;

	totals = totals_of(&net_totals);
	if (!totals)
		return;
	if (observe_all) {
		count_device(totals, dev, &split);
		return;
	}
	totals->xmit_skbs++;
	totals->xmit_flow_matched_skbs += by_flow;
	totals->xmit_bytes += split.len;
	totals->xmit_header_bytes += split.headers;
	totals->xmit_linear_payload_bytes += split.linear_payload;
	totals->xmit_zerocopy_frag_bytes += split.zerocopy;
	totals->xmit_shared_frag_bytes += split.shared;
	totals->xmit_copied_frag_bytes += split.copied;
	/* The linear area comes first, so a resent prefix is linear first. */
	resent = resent_bytes(state, tcp, split.len - split.headers);
	if (resent) {
		totals->xmit_retransmit_payload_bytes += resent;
		totals->xmit_retransmit_linear_payload_bytes +=
			resent < split.linear_payload ? resent : split.linear_payload;
	}
	count_device(totals, dev, &split);
	if (trace_mode) {
		struct zc_proc_stats *proc = proc_of(state->tgid, false);
		struct zc_socket_figures *figures = socket_figures_of(owner);

		/* the process and the socket keep the same xmit fields */
#define ZC_ADD_XMIT(target)                                                              \
	do {                                                                             \
		ZC_PROC_ADD(target, xmit_payload_bytes, split.len - split.headers);      \
		ZC_PROC_ADD(target, xmit_linear_payload_bytes, split.linear_payload);    \
		ZC_PROC_ADD(target, xmit_shared_frag_bytes, split.shared);               \
		ZC_PROC_ADD(target, xmit_zerocopy_frag_bytes, split.zerocopy);           \
		ZC_PROC_ADD(target, xmit_copied_frag_bytes, split.copied);               \
	} while (0)
		if (figures) {
			ZC_ADD_XMIT(figures);
			if (resent)
				ZC_PROC_ADD(figures, resent_bytes, resent);
		}
		if (proc)
			ZC_ADD_XMIT(proc);
#undef ZC_ADD_XMIT
	}
	return;
}

SEC("tp_btf/net_dev_start_xmit")
int BPF_PROG(net_dev_start_xmit, const struct sk_buff *skb, const struct net_device *dev)
{
	ZC_TIMED(net_dev_start_xmit, on_xmit(skb, dev));
	return 0;
}

/*
 * Pinned user pages cannot be handed to a socket on this host: before local
 * delivery, ip_local_deliver_finish() and ip6_input_finish() call
 * skb_orphan_frags_rx(), which copies every frag of a zerocopy skb
 * (skb_copy_ubufs) and makes the sender's completion say COPIED. This is
 * where MSG_ZEROCOPY and io_uring send_zc to a local receiver copy after
 * all; the skb still carries SKBFL_ZEROCOPY_ENABLE when it arrives here.
 */
static __always_inline void on_receive_skb(struct sk_buff *skb)
{
	struct zc_socket_state *state;
	struct skb_shared_info *shinfo;
	struct zc_net_totals *totals;
	__u64 owner = 0;

	if (!socket_count)
		return;
	shinfo = bpf_rdonly_cast(skb->head + skb->end, bpf_core_type_id_kernel(struct skb_shared_info));
	if (!(shinfo->flags & SKBFL_ZEROCOPY_ENABLE))
		return;
	state = sender_flow(skb, &owner);
	if (!state)
		return;
	totals = totals_of(&net_totals);
	if (!totals)
		return;
	/* A device without SG linearized it: still flagged, nothing left to
	 * copy, yet skb_copy_ubufs completes it as a failed zerocopy. */
	if (!skb->data_len) {
		totals->rx_zerocopy_linear_skbs++;
		return;
	}
	totals->rx_zerocopy_skbs++;
	totals->rx_zerocopy_copied_bytes += skb->data_len;
	if (trace_mode) {
		struct zc_proc_stats *proc = proc_of(state->tgid, false);
		struct zc_socket_figures *figures = socket_figures_of(owner);

		if (proc)
			ZC_PROC_ADD(proc, zerocopy_copied_at_receive_bytes, skb->data_len);
		if (figures)
			ZC_PROC_ADD(figures, zerocopy_copied_at_receive_bytes, skb->data_len);
	}
	return;
}

SEC("tp_btf/netif_receive_skb")
int BPF_PROG(netif_receive_skb, struct sk_buff *skb)
{
	ZC_TIMED(netif_receive_skb, on_receive_skb(skb));
	return 0;
}

static __always_inline void on_retransmit(const struct sock *sk, const struct sk_buff *skb, int err)
{
	struct zc_net_totals *totals;

	/* The tracepoint also reports attempts that failed (err != 0); those
	 * never reach the device. */
	if (err || !is_sender_socket((__u64)sk))
		return;
	totals = totals_of(&net_totals);
	if (!totals)
		return;
	totals->retransmit_skbs++;
	totals->retransmit_bytes += skb->len;
	return;
}

SEC("tp_btf/tcp_retransmit_skb")
int BPF_PROG(tcp_retransmit_skb, const struct sock *sk, const struct sk_buff *skb, int err)
{
	ZC_TIMED(tcp_retransmit_skb, on_retransmit(sk, skb, err));
	return 0;
}

static __always_inline void on_receive_copy(const struct sk_buff *skb, int len)
{
	struct zc_net_totals *totals;

	if (len <= 0 || !current_is_receiver())
		return;
	totals = totals_of(&net_totals);
	if (!totals)
		return;
	totals->receiver_copy_calls++;
	totals->receiver_copy_bytes += len;
	if (trace_mode) {
		struct zc_proc_stats *proc = current_proc();
		const struct sock *sk = skb->sk;
		struct zc_socket_figures *figures;

		if (proc)
			ZC_PROC_ADD(proc, receive_copy_bytes, len);
		/* TCP owns its receive queue's skbs (tcp_queue_rcv); others
		 * (UDP, unix) are not in the socket table */
		if (sk && sk->sk_protocol == 6 /* IPPROTO_TCP */ && (figures = socket_figures_for(sk)))
			ZC_PROC_ADD(figures, receive_copy_bytes, len);
	}
	return;
}

SEC("tp_btf/skb_copy_datagram_iovec")
int BPF_PROG(skb_copy_datagram_iovec, const struct sk_buff *skb, int len)
{
	ZC_TIMED(skb_copy_datagram_iovec, on_receive_copy(skb, len));
	return 0;
}
