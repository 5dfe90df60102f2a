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
/* execve and execveat, from userspace's <sys/syscall.h>: a traced process
 * that execs takes the new program's name. */
const volatile __s64 exec_syscall_nrs[2] = { -1, -1 };
const volatile __s64 read_syscall_nrs[ZC_READ_SYSCALLS] = { -1, -1, -1, -1, -1 };

ZC_PERCPU_TOTALS(syscall_totals, struct zc_syscall_totals);

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, ZC_SYSCALL_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} syscall_counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, ZC_SYSCALL_SLOTS * ZC_BYTE_KINDS);
	__type(key, __u32);
	__type(value, __u64);
} syscall_bytes SEC(".maps");

/* Syscall numbers at or above ZC_SYSCALL_SLOTS share the last slot. */
static __always_inline __u32 syscall_slot(long nr)
{
	return nr >= 0 && nr < ZC_SYSCALL_SLOTS ? nr : ZC_SYSCALL_SLOTS - 1;
}

static __always_inline void count_syscall(long nr)
{
	__u32 slot = syscall_slot(nr);
	__u64 *count = bpf_map_lookup_elem(&syscall_counts, &slot);

	if (count)
		(*count)++;
}

static __always_inline void add_syscall_bytes(long nr, enum zc_byte_kind kind, long bytes)
{
	__u32 slot = syscall_slot(nr) * ZC_BYTE_KINDS + kind;
	__u64 *total = bpf_map_lookup_elem(&syscall_bytes, &slot);

	if (total)
		*total += bytes;
}

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
	/* A traced program knows nothing of markers: there, one is a syscall. */
	if (id == ZC_MARKER_SYSCALL_NR && !trace_mode)
		return state;
	if (!window_is_open(state) || current_role(state) != ZC_ROLE_SENDER)
		return NULL;

	/* The hottest program of all: it only counts. Entries are not
	 * totalled separately; userspace sums syscall_counts. */
	count_syscall(id);
	return NULL;
}

/* Adds one syscall's bytes to the totals and (trace mode) to its process. */
#define ZC_ATTRIBUTE(field, value)                                 \
	do {                                                       \
		totals->field += (value);                          \
		if (proc)                                          \
			ZC_PROC_ADD(proc, field, (value));         \
	} while (0)

static __always_inline void attribute_return(struct zc_syscall_totals *totals, struct zc_proc_stats *proc,
					     __u32 flags, long nr, long ret)
{
	if ((flags & ZC_INFLIGHT_READ_PAGE_CACHE) && is_read_syscall(nr)) {
		ZC_ATTRIBUTE(file_to_user_bytes, ret);
		totals->file_reads++;
		add_syscall_bytes(nr, ZC_BYTES_FILE_TO_USER, ret);
	}
	if (!(flags & ZC_INFLIGHT_SEND_MASK))
		return;
	ZC_ATTRIBUTE(send_syscalls, 1);
	ZC_ATTRIBUTE(send_bytes, ret);
	/* One syscall moves its bytes one way; the flags are checked from the
	 * least to the most common. MSG_ZEROCOPY can still fall back to copying,
	 * which only the skb flags at xmit reveal. */
	if (flags & ZC_INFLIGHT_SEND_ZEROCOPY) {
		ZC_ATTRIBUTE(zerocopy_bytes, ret);
		add_syscall_bytes(nr, ZC_BYTES_ZEROCOPY, ret);
	} else if (flags & ZC_INFLIGHT_SEND_SPLICE_COPY) {
		ZC_ATTRIBUTE(spliced_copied_bytes, ret);
		add_syscall_bytes(nr, ZC_BYTES_SPLICED_COPIED, ret);
	} else if (flags & ZC_INFLIGHT_SEND_SPLICED) {
		ZC_ATTRIBUTE(spliced_bytes, ret);
		add_syscall_bytes(nr, ZC_BYTES_SPLICED, ret);
	} else if (flags & ZC_INFLIGHT_SEND_USER) {
		ZC_ATTRIBUTE(user_copy_bytes, ret);
		add_syscall_bytes(nr, ZC_BYTES_USER_COPY, ret);
	} else {
		ZC_ATTRIBUTE(kernel_copy_bytes, ret);
		add_syscall_bytes(nr, ZC_BYTES_KERNEL_COPY, ret);
	}
}

/* nr comes from the saved registers, so the entry probe need not store it. */
static __always_inline void on_sys_exit(long nr, long ret)
{
	struct zc_tracking *state = tracking_state();
	struct zc_syscall_totals *totals;
	struct zc_proc_stats *proc = NULL;
	struct zc_inflight *entry;
	__u32 tid;

	if (!state || !window_is_open(state) || (nr == ZC_MARKER_SYSCALL_NR && !trace_mode) ||
	    current_role(state) != ZC_ROLE_SENDER)
		return;
	totals = totals_of(&syscall_totals);
	if (!totals)
		return;
	totals->exits++;
	/* trace mode attaches no sys_enter program, to keep the cost every
	 * task on the host pays to one program per syscall: calls are counted
	 * on their way out (an exit_group, which never returns, is not). */
	if (trace_mode) {
		count_syscall(nr);
		proc = current_proc();
		if (proc)
			ZC_PROC_ADD(proc, syscalls, 1);
		if (proc && ret == 0 && (nr == exec_syscall_nrs[0] || nr == exec_syscall_nrs[1]))
			bpf_get_current_comm(proc->comm, sizeof(proc->comm));
	}
	tid = current_tid();
	entry = bpf_map_lookup_elem(&inflight, &tid);
	if (!entry || !entry->flags)
		return;
	/* io_uring_enter returns requests, not bytes: its sends are not
	 * attributed here (426 on every architecture since 5.1). */
	if (ret > 0 && nr != 426)
		attribute_return(totals, proc, entry->flags, nr, ret);
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

	/* trace --cgroup needs no following: the child starts in the cgroup. */
	if (!state || parent_tgid == child_tgid || (trace_mode && target_cgroup_id))
		return;
	role = role_of(state, parent_tgid);
	if (!role)
		return;
	if (trace_mode) {
		__u64 *bits = followed_word(child_tgid);

		if (!bits || state->children >= max_followed) {
			__sync_fetch_and_add(&state->forks_not_followed, 1);
			return;
		}
		__sync_fetch_and_or(bits, followed_bit(child_tgid));
		__sync_fetch_and_add(&state->children, 1);
		totals = totals_of(&syscall_totals);
		if (totals)
			totals->forks_followed++;
		return;
	}
	if (bpf_map_update_elem(&children, &child_tgid, &role, BPF_NOEXIST)) {
		__sync_fetch_and_add(&state->forks_not_followed, 1);
		return;
	}
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

/* A followed process whose last thread exits leaves `children`, so that its
 * pid, once reused by an unrelated process, is not followed; its per-process
 * figures stay, marked exited. */
static __always_inline void on_exit(__u32 tgid, bool group_dead)
{
	struct zc_tracking *state = tracking_state();
	struct zc_proc_stats *proc;

	if (!group_dead || !state)
		return;
	proc = proc_of(tgid, false);
	if (proc)
		proc->exited = 1;
	if (trace_mode) {
		__u64 *bits = followed_word(tgid);
		__u64 bit = followed_bit(tgid);

		if (bits && (__sync_fetch_and_and(bits, ~bit) & bit) && state->children)
			__sync_fetch_and_add(&state->children, -1);
		return;
	}
	if (!bpf_map_delete_elem(&children, &tgid) && state->children)
		__sync_fetch_and_add(&state->children, -1);
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(process_exit_btf, struct task_struct *task, bool group_dead)
{
	on_exit(task->tgid, group_dead);
	return 0;
}

SEC("raw_tp/sched_process_exit")
int BPF_PROG(process_exit_raw, struct task_struct *task, bool group_dead)
{
	on_exit(BPF_CORE_READ(task, tgid), group_dead);
	return 0;
}
