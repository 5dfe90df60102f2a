// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Syscalls and user<->kernel mode switches of the sender, counted between
 * its two marker calls (see tracking.h), and fork following.
 *
 * Every hook has a tp_btf entry (typed, direct reads) and a raw_tp twin
 * (CO-RE reads) for kernels without BTF-typed tracepoints. Userspace loads
 * one of each pair and records which. Both twins extract what they need and
 * call one shared body.
 */
#include "zctrace.bpf.h"
#include "syscalls.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* The syscall number as the exit tracepoint sees it, in pt_regs. */
#if defined(__TARGET_ARCH_x86)
#define PT_REGS_SYSCALL_NR_FIELD orig_ax
#elif defined(__TARGET_ARCH_arm64)
#define PT_REGS_SYSCALL_NR_FIELD syscallno
#endif
#define PT_REGS_SYSCALL_NR(regs) ((regs)->PT_REGS_SYSCALL_NR_FIELD)

const volatile __u64 marker_cookie = 0;
const volatile __s64 read_syscall_nrs[ZC_READ_SYSCALLS] = { -1, -1, -1, -1, -1 };

ZC_PERCPU_TOTALS(syscall_totals, struct zc_syscall_totals);

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, ZC_SYSCALL_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} syscall_counts SEC(".maps");

static __always_inline bool is_read_syscall(__u32 nr)
{
	for (int i = 0; i < ZC_READ_SYSCALLS; i++)
		if (read_syscall_nrs[i] == nr)
			return true;
	return false;
}

static __always_inline void handle_marker(struct zc_tracking *state, __u64 op, __u64 cookie)
{
	struct zc_syscall_totals *totals = totals_of(&syscall_totals);

	if (cookie != marker_cookie || role_of(state, current_tgid()) != ZC_ROLE_SENDER || !totals)
		return;
	/* The marker itself is not counted: its entry returns before counting
	 * and its exit is recognised by number. */
	if (op == ZC_MARKER_BEGIN) {
		state->window_open = 1;
		totals->window_opens++;
	} else if (op == ZC_MARKER_END) {
		state->window_open = 0;
		totals->window_closes++;
	}
}

/* Returns the tracking state when the caller must read the marker's arguments. */
static __always_inline struct zc_tracking *on_sys_enter(long id)
{
	struct zc_tracking *state = tracking_state();

	if (!state)
		return NULL;
	if (id == ZC_MARKER_SYSCALL_NR)
		return state;
	if (!state->window_open || role_of(state, current_tgid()) != ZC_ROLE_SENDER)
		return NULL;

	/* The hottest program of all: it only counts. Entries are not
	 * totalled separately; userspace sums syscall_counts. */
	__u32 slot = id >= 0 && id < ZC_SYSCALL_SLOTS ? id : ZC_SYSCALL_SLOTS - 1;
	__u64 *count = bpf_map_lookup_elem(&syscall_counts, &slot);

	if (count)
		(*count)++;
	return NULL;
}

static __always_inline void attribute_return(struct zc_syscall_totals *totals, __u32 flags, long nr,
					     long ret)
{
	if ((flags & ZC_INFLIGHT_READ_PAGE_CACHE) && is_read_syscall(nr)) {
		totals->file_to_user_bytes += ret;
		totals->file_reads++;
	}
	if (!(flags & ZC_INFLIGHT_SEND_MASK))
		return;
	totals->send_syscalls++;
	totals->send_bytes += ret;
	/* One syscall moves its bytes one way; the flags are checked from the
	 * least to the most common. MSG_ZEROCOPY can still fall back to copying,
	 * which only the skb flags at xmit reveal. */
	if (flags & ZC_INFLIGHT_SEND_ZEROCOPY)
		totals->zerocopy_bytes += ret;
	else if (flags & ZC_INFLIGHT_SEND_SPLICE_COPY)
		totals->spliced_copied_bytes += ret;
	else if (flags & ZC_INFLIGHT_SEND_SPLICED)
		totals->spliced_bytes += ret;
	else if (flags & ZC_INFLIGHT_SEND_USER)
		totals->user_copy_bytes += ret;
	else
		totals->kernel_copy_bytes += ret;
}

/* nr comes from the saved registers, so the entry probe need not store it. */
static __always_inline void on_sys_exit(long nr, long ret)
{
	struct zc_tracking *state = tracking_state();
	struct zc_syscall_totals *totals;
	struct zc_inflight *entry;
	__u32 tid;

	if (!state || !state->window_open || nr == ZC_MARKER_SYSCALL_NR ||
	    role_of(state, current_tgid()) != ZC_ROLE_SENDER)
		return;
	totals = totals_of(&syscall_totals);
	if (!totals)
		return;
	totals->exits++;
	tid = current_tid();
	entry = bpf_map_lookup_elem(&inflight, &tid);
	if (!entry || !entry->flags)
		return;
	if (ret > 0)
		attribute_return(totals, entry->flags, nr, ret);
	entry->flags = 0;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(sys_enter_btf, struct pt_regs *regs, long id)
{
	struct zc_tracking *marker_state = on_sys_enter(id);

	if (marker_state)
		handle_marker(marker_state, PT_REGS_PARM1_SYSCALL(regs), PT_REGS_PARM2_SYSCALL(regs));
	return 0;
}

SEC("raw_tp/sys_enter")
int BPF_PROG(sys_enter_raw, struct pt_regs *regs, long id)
{
	struct zc_tracking *marker_state = on_sys_enter(id);

	if (marker_state)
		handle_marker(marker_state, PT_REGS_PARM1_CORE_SYSCALL(regs),
			      PT_REGS_PARM2_CORE_SYSCALL(regs));
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(sys_exit_btf, struct pt_regs *regs, long ret)
{
	on_sys_exit(PT_REGS_SYSCALL_NR(regs), ret);
	return 0;
}

SEC("raw_tp/sys_exit")
int BPF_PROG(sys_exit_raw, struct pt_regs *regs, long ret)
{
	on_sys_exit(BPF_CORE_READ(regs, PT_REGS_SYSCALL_NR_FIELD), ret);
	return 0;
}

/* A child process of a tracked process is tracked too, in the same role;
 * threads share their tgid and need nothing. */
static __always_inline void on_fork(__u32 parent_tgid, __u32 child_tgid)
{
	struct zc_tracking *state = tracking_state();
	struct zc_syscall_totals *totals;
	__u32 role;

	if (!state || parent_tgid == child_tgid)
		return;
	role = role_of(state, parent_tgid);
	if (!role || bpf_map_update_elem(&children, &child_tgid, &role, BPF_NOEXIST))
		return;
	__sync_fetch_and_add(&state->children, 1);
	totals = totals_of(&syscall_totals);
	if (totals)
		totals->forks_followed++;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(process_fork_btf, struct task_struct *parent, struct task_struct *child)
{
	on_fork(parent->tgid, child->tgid);
	return 0;
}

SEC("raw_tp/sched_process_fork")
int BPF_PROG(process_fork_raw, struct task_struct *parent, struct task_struct *child)
{
	on_fork(BPF_CORE_READ(parent, tgid), BPF_CORE_READ(child, tgid));
	return 0;
}
