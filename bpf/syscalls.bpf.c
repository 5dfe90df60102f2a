// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
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

/* Per run, so not read-only: Tracer::retarget rewrites them between runs. */
__u64 marker_cookie = 0;
/* This run sends with io_uring, so its completions carry the bytes sent.
 * In a `run` whose probes serve several techniques, the others' completions
 * (large_file_async_direct's reads) are not looked at. */
bool attribute_uring = false;
/* execve and execveat, from userspace's <sys/syscall.h>: a traced process
 * that execs takes the new program's name. */
const volatile __s64 exec_syscall_nrs[2] = { -1, -1 };
const volatile __s64 read_syscall_nrs[ZC_READ_SYSCALLS] = { -1, -1, -1, -1, -1 };
const volatile __s64 returned_syscall_nrs[ZC_RETURNED_SYSCALLS] = { -1, -1, -1, -1 };

ZC_CPU_TOTALS(syscall_totals, struct zc_syscall_totals);

/*
 * Every task zctrace tracks or follows holds an entry here: userspace gives
 * one to each thread it tracks (through a pidfd), and a fork by a task that
 * holds one gives one to the child, thread or process. So a task with no
 * entry is none of zctrace's, and the typed syscall hooks let it go before
 * anything else (ZC_LET_UNTRACKED_TASKS_GO below). By bpf_stats, a getppid() loop
 * that zctrace did not trace paid 114-135 ns a run for trace's sys_exit
 * with the usual checks, on a host with page-table isolation, 75-81 with a
 * test of its task_struct's storage pointer, against 62 for an empty
 * program first on the
 * hook. Those runs are not counted in `overhead`: they are not the
 * workload's. The *_every_task_btf variants test every task as
 * before, for trace --cgroup (a task that joins the cgroup later cannot be
 * marked before its first syscall) and under bpf_stats (which times every
 * run: the programs must count the runs it counts); so do the raw_tp twins.
 */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u8);
} tracked_tasks SEC(".maps");

/* Calls by number, an entry per possible CPU like the totals (zctrace.bpf.h). */
_Static_assert((ZC_SYSCALL_SLOTS & (ZC_SYSCALL_SLOTS - 1)) == 0, "a mask bounds the slot");
struct zc_syscall_calls {
	__u64 calls[ZC_SYSCALL_SLOTS];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct zc_syscall_calls);
} syscall_counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, ZC_SYSCALL_SLOTS * ZC_BYTE_KINDS);
	__type(key, __u32);
	__type(value, __u64);
} syscall_bytes SEC(".maps");

/* trace mode: io_uring requests completed, by opcode, and their bytes by
 * opcode and how they moved (like syscall_bytes). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, ZC_URING_OPS);
	__type(key, __u32);
	__type(value, __u64);
} uring_requests SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, ZC_URING_OPS * ZC_BYTE_KINDS);
	__type(key, __u32);
	__type(value, __u64);
} uring_bytes SEC(".maps");

/* O_DIRECT differs between architectures: userspace's <fcntl.h> says. */
const volatile __u32 o_direct_flag = 0;

/* The base page size, from userspace's sysconf(): the page-cache events
 * count pages (a large folio, all of its pages). */
const volatile __u32 page_size = 4096;

/* The role of the task whose syscall this is, regs being its pt_regs: from
 * the CPU's entry (see cpu_task in zctrace.bpf.h) when it is this task's and
 * no fork or change of who is tracked came since; otherwise asked of the
 * kernel once, and remembered. refresh asks anyway: an execve() by a thread
 * of a multi-threaded process gives it the leader's tid. */
static __always_inline __u32 syscall_task_role(const struct zc_tracking *state, const void *regs, bool refresh)
{
	struct zc_cpu_task *task = cpu_task_entry();
	__u64 now, id;
	__u32 role;

	/* trace --cgroup asks the kernel every time: a task changes cgroups without a fork */
	if (!task || target_cgroup_id)
		return current_role_asked(state);
	/* read before the role is worked out: a fork meanwhile voids it */
	now = task_generation_of(state);
	if (task->regs == (__u64)regs && task->generation == now && !refresh) {
		task->current = 1;
		return task->role;
	}
	id = bpf_get_current_pid_tgid();
	/* the entry may be about to name another task: its pending calls first */
	flush_pending_syscalls(task);
	task->proc_known = 0;
	task->regs = (__u64)regs;
	task->tid = (__u32)id;
	task->tgid = id >> 32;
	task->current = 1;
	role = current_role_asked(state);
	task->generation = now;
	task->role = role;
	return role;
}

/*
 * Whether the task whose syscall this is (regs, its pt_regs) is none of
 * zctrace's, asked before anything else. Two ways, each dear where the
 * other is cheap, in two programs per hook (userspace loads one): a
 * const volatile choice would cost a load from .rodata first, and that
 * alone is the dearer way's price on a host that drops the kernel's TLB.
 */

/* The task_struct's storage pointer: no map touched, but
 * bpf_get_current_task_btf() is a real call on x86-64 up to 6.18 at least.
 * On a host with page-table isolation and no PCID the kernel's TLB is empty
 * after every entry, and the first touch of a map costs more than the whole
 * test (the overhead benchmark); the task_struct the entry code has just
 * used is at hand. A task that holds storage of other BPF programs goes on
 * to the usual checks. */
static __always_inline bool untracked_by_task_storage(const void *regs)
{
	return !bpf_get_current_task_btf()->bpf_storage;
}

/* The role the syscall hooks remember for this CPU's last task
 * (syscall_task_role, cpu_task), keyed by its pt_regs, which sit at the top
 * of the task's kernel stack and so name it while it lives: no call, where
 * a call and its return are dear (SRSO's Safe RET). It stands while
 * task_generation does, which every fork on the host (a new task may get a
 * dead one's stack) and every change userspace makes to who is tracked
 * move on. A tracked task's own calls then find their role where the
 * program's work looks for it, so the test costs them no call either. */
static __always_inline bool untracked_by_cpu_cache(const void *regs)
{
	struct zc_tracking *state = tracking_state();

	return state && syscall_task_role(state, regs, false) == 0;
}

#define ZC_LET_UNTRACKED_TASKS_GO(test, regs)    \
	do {                                     \
		if (untracked_by_##test(regs))   \
			return 0;                \
	} while (0)

/* Syscall numbers at or above ZC_SYSCALL_SLOTS share the last slot. */
static __always_inline __u32 syscall_slot(long nr)
{
	return nr >= 0 && nr < ZC_SYSCALL_SLOTS ? nr : ZC_SYSCALL_SLOTS - 1;
}

static __always_inline void count_syscall(long nr)
{
	__u32 cpu = bpf_get_smp_processor_id();
	struct zc_syscall_calls *counts = bpf_map_lookup_elem(&syscall_counts, &cpu);

	if (counts)
		counts->calls[syscall_slot(nr) & (ZC_SYSCALL_SLOTS - 1)]++;
}

/* Bytes by what moved them (a syscall, or an io_uring opcode) and how:
 * map[mover * ZC_BYTE_KINDS + kind]. */
static __always_inline void add_bytes(void *map, __u32 mover, enum zc_byte_kind kind, long bytes)
{
	__u32 slot = mover * ZC_BYTE_KINDS + kind;
	__u64 *total = bpf_map_lookup_elem(map, &slot);

	if (total)
		*total += bytes;
}

static __always_inline bool is_read_syscall(__u32 nr)
{
	return ZC_ONE_OF(read_syscall_nrs, nr);
}

static __always_inline bool is_returned_syscall(long nr)
{
	return ZC_ONE_OF(returned_syscall_nrs, nr);
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
static __always_inline struct zc_tracking *on_sys_enter(const struct pt_regs *regs, long id)
{
	struct zc_tracking *state = tracking_state();

	if (!state)
		return NULL;
	/* A traced program knows nothing of markers: there, one is a syscall. */
	if (id == ZC_MARKER_SYSCALL_NR && !trace_mode)
		return state;
	if (!window_is_open(state) || syscall_task_role(state, regs, false) != ZC_ROLE_SENDER)
		return NULL;

	/* The hottest program of all: it only counts. Entries are not
	 * totalled separately; userspace sums syscall_counts. */
	count_syscall(id);
	return NULL;
}

/* Adds one syscall's bytes to the totals and (trace mode) to its process
 * and its socket. */
#define ZC_ATTRIBUTE(field, value)                                 \
	do {                                                       \
		totals->field += (value);                          \
		if (proc)                                          \
			ZC_PROC_ADD(proc, field, (value));         \
	} while (0)
#define ZC_ATTRIBUTE_SENT(field, kind)                              \
	do {                                                        \
		ZC_ATTRIBUTE(field, ret);                           \
		if (figures)                                        \
			ZC_PROC_ADD(figures, field, ret);           \
		add_bytes(bytes_map, mover, kind, ret);             \
	} while (0)
#define ZC_FILE_ADD(field)                                          \
	do {                                                        \
		if (from_file)                                      \
			ZC_PROC_ADD(from_file, field, ret);         \
	} while (0)

/* Attributes the bytes one syscall (or one io_uring request) returned:
 * file_read says they were read from the page cache into user memory, flags
 * (ZC_INFLIGHT_SEND_*) how tcp_sendmsg took them for socket sk when they
 * were sent; file is the file whose page cache the call read, if any. */
static __always_inline void attribute_return(struct zc_syscall_totals *totals, struct zc_proc_stats *proc,
					     bool file_read, __u32 flags, __u64 sk,
					     const struct zc_file_key *file, void *bytes_map, __u32 mover,
					     long ret)
{
	struct zc_file_figures *from_file = file_figures_of(file);
	struct zc_socket_figures *figures;

	if (file_read) {
		ZC_ATTRIBUTE(file_to_user_bytes, ret);
		totals->file_reads++;
		add_bytes(bytes_map, mover, ZC_BYTES_FILE_TO_USER, ret);
		ZC_FILE_ADD(read_bytes);
	}
	if (!(flags & ZC_INFLIGHT_SEND_MASK)) {
		if (!file_read)
			ZC_FILE_ADD(other_bytes);
		return;
	}
	if (flags & ZC_INFLIGHT_SEND_SPLICE_COPY)
		ZC_FILE_ADD(sent_copied_bytes);
	else if (flags & ZC_INFLIGHT_SEND_SPLICED)
		ZC_FILE_ADD(sent_by_reference_bytes);
	figures = socket_figures_of(sk);
	ZC_ATTRIBUTE(send_syscalls, 1);
	ZC_ATTRIBUTE(send_bytes, ret);
	if (figures)
		ZC_PROC_ADD(figures, send_calls, 1);
	/* One syscall moves its bytes one way; the flags are checked from the
	 * least to the most common. MSG_ZEROCOPY can still fall back to copying,
	 * which only the skb flags at xmit reveal. */
	if (flags & ZC_INFLIGHT_SEND_ZEROCOPY)
		ZC_ATTRIBUTE_SENT(zerocopy_bytes, ZC_BYTES_ZEROCOPY);
	else if (flags & ZC_INFLIGHT_SEND_SPLICE_COPY)
		ZC_ATTRIBUTE_SENT(spliced_copied_bytes, ZC_BYTES_SPLICED_COPIED);
	else if (flags & ZC_INFLIGHT_SEND_SPLICED)
		ZC_ATTRIBUTE_SENT(spliced_bytes, ZC_BYTES_SPLICED);
	else if (flags & ZC_INFLIGHT_SEND_USER)
		ZC_ATTRIBUTE_SENT(user_copy_bytes, ZC_BYTES_USER_COPY);
	else
		ZC_ATTRIBUTE_SENT(kernel_copy_bytes, ZC_BYTES_KERNEL_COPY);
}

#define ZC_S_IFMT 0170000
#define ZC_S_IFSOCK 0140000
#define ZC_S_IFREG 0100000

/* trace: filesystems whose regular files have no page cache behind a write
 * (proc, sysfs, cgroup, debugfs, ...), by s_magic from <linux/magic.h>:
 * a write there is a command to the kernel, not a copy into a file. */
const volatile __u64 pseudo_fs_magics[ZC_PSEUDO_FS_MAGICS] = {};

static __always_inline bool is_pseudo_fs(__u64 magic)
{
	return ZC_ONE_OF(pseudo_fs_magics, magic);
}

/* trace: copy_file_range's number, from userspace's <sys/syscall.h>. */
const volatile __s64 copy_file_range_nr = -1;

/* The current task's open file `fd`, or NULL. */
static __always_inline struct file *file_of_fd(__u64 fd)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	struct file **fds, *file = NULL;

	if (!fdt || fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	fds = BPF_CORE_READ(fdt, fd);
	bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]);
	return file;
}

/* trace: a copy_file_range that read no page cache (a filesystem that
 * shared the blocks instead) still names its source file, by fd_in. */
static __always_inline void attribute_unread_source(__u64 fd, long ret)
{
	struct file *file = file_of_fd(fd);
	struct zc_file_figures *figures;
	struct inode *inode;

	if (!file)
		return;
	inode = BPF_CORE_READ(file, f_inode);
	figures = file_figures_for(BPF_CORE_READ(inode, i_ino), BPF_CORE_READ(inode, i_sb, s_dev),
				   BPF_CORE_READ(file, f_mapping));
	if (figures)
		ZC_PROC_ADD(figures, other_bytes, ret);
}

/* trace: a write() family call into a regular file, not O_DIRECT, copied
 * its bytes from user memory into the file's page cache. The fd is the
 * call's first argument, still in the saved registers at exit. */
static __always_inline void attribute_file_write(struct zc_syscall_totals *totals, struct zc_proc_stats *proc,
						 long nr, __u64 fd, long ret)
{
	struct file *file = file_of_fd(fd);
	struct zc_file_figures *figures;
	struct inode *inode;
	umode_t mode;

	if (!file)
		return;
	inode = BPF_CORE_READ(file, f_inode);
	mode = BPF_CORE_READ(inode, i_mode);
	if ((mode & ZC_S_IFMT) != ZC_S_IFREG || (BPF_CORE_READ(file, f_flags) & o_direct_flag) ||
	    is_pseudo_fs(BPF_CORE_READ(inode, i_sb, s_magic)))
		return;
	ZC_ATTRIBUTE(user_to_page_cache_bytes, ret);
	totals->file_writes++;
	add_bytes(&syscall_bytes, syscall_slot(nr), ZC_BYTES_USER_TO_PAGE_CACHE, ret);
	figures = file_figures_for(BPF_CORE_READ(inode, i_ino), BPF_CORE_READ(inode, i_sb, s_dev),
				   BPF_CORE_READ(file, f_mapping));
	if (figures)
		ZC_PROC_ADD(figures, written_bytes, ret);
}

/* nr comes from the saved registers, so the entry probe need not store it;
 * fd is the first argument, read only for a write() into a file. */
static __always_inline void on_sys_exit(long nr, long ret, const struct pt_regs *regs, bool typed)
{
	struct zc_tracking *state;
	struct zc_syscall_totals *totals;
	struct zc_proc_stats *proc = NULL;
	struct zc_inflight *entry;

	state = tracking_state();
	if (!state || !window_is_open(state) || (nr == ZC_MARKER_SYSCALL_NR && !trace_mode) ||
	    syscall_task_role(state, regs, ret == 0 && (nr == exec_syscall_nrs[0] || nr == exec_syscall_nrs[1])) !=
		    ZC_ROLE_SENDER)
		return;
	/* trace mode attaches no sys_enter program, to keep the cost every
	 * task on the host pays to one program per syscall: calls are counted
	 * on their way out (an exit_group, which never returns, is not), so
	 * the exits are the calls counted and need no total of their own. */
	if (!trace_mode) {
		totals = totals_of(&syscall_totals);
		if (totals)
			totals->exits++;
	} else {
		/* The CPU's entry names this task (syscall_task_role, unless
		 * trace --cgroup asked the kernel instead): once its process's
		 * entry is known to exist, calls wait there to be added in one
		 * go, sparing each call the hash lookup. */
		struct zc_cpu_task *task = target_cgroup_id ? NULL : known_current();

		count_syscall(nr);
		if (task && task->proc_known) {
			task->pending_syscalls++;
		} else if ((proc = current_proc())) {
			ZC_PROC_ADD(proc, syscalls, 1);
			if (task)
				task->proc_known = 1;
		}
		if (ret == 0 && (nr == exec_syscall_nrs[0] || nr == exec_syscall_nrs[1]) && (proc || (proc = current_proc())))
			bpf_get_current_comm(proc->comm, sizeof(proc->comm));
		/* Pages put into or taken from pipes, or files copied, without
		 * a socket or a read(): no probe flags these calls. sendfile's
		 * total less what it sent on sockets went to files. */
		if (ret > 0 && is_returned_syscall(nr))
			add_bytes(&syscall_bytes, syscall_slot(nr), ZC_BYTES_RETURNED, ret);
		if (ret > 0 && is_write_syscall(nr) && (totals = totals_of(&syscall_totals)))
			attribute_file_write(totals, proc ? proc : current_proc(), nr,
					     typed ? PT_REGS_PARM1_SYSCALL(regs) : PT_REGS_PARM1_CORE_SYSCALL(regs), ret);
	}
	entry = inflight_of(false);
	/* ...where no page-cache read named the source (a fault inside the
	 * call may still have set flags). */
	if (trace_mode && ret > 0 && nr == copy_file_range_nr && (!entry || !entry->file_ino))
		attribute_unread_source(typed ? PT_REGS_PARM1_SYSCALL(regs) : PT_REGS_PARM1_CORE_SYSCALL(regs), ret);
	if (!entry || !entry->flags)
		return;
	totals = totals_of(&syscall_totals);
	if (trace_mode && !proc)
		proc = current_proc();
	/* io_uring_enter returns requests, not bytes: its sends are not
	 * attributed here (426 on every architecture since 5.1). */
	if (totals && ret > 0 && nr != 426) {
		struct zc_file_key file = { .ino = entry->file_ino, .dev = entry->file_dev };

		attribute_return(totals, proc,
				 (entry->flags & ZC_INFLIGHT_READ_PAGE_CACHE) && is_read_syscall(nr),
				 entry->flags, entry->sk, &file, &syscall_bytes, syscall_slot(nr), ret);
	}
	if (trace_mode && entry->other_file_pages_added && ret > 0) {
		__u64 written = entry->other_file_pages_added * page_size;

		add_bytes(&syscall_bytes, syscall_slot(nr), ZC_BYTES_PAGE_CACHE_COPY,
			  written < (__u64)ret ? written : ret);
	}
	inflight_settle(entry);
}

static __always_inline void sys_enter_typed(struct pt_regs *regs, long id)
{
	struct zc_tracking *marker_state = on_sys_enter(regs, id);

	if (marker_state)
		handle_marker(marker_state, PT_REGS_PARM1_SYSCALL(regs), PT_REGS_PARM2_SYSCALL(regs));
}

static __always_inline void sys_enter_core(struct pt_regs *regs, long id)
{
	struct zc_tracking *marker_state = on_sys_enter(regs, id);

	if (marker_state)
		handle_marker(marker_state, PT_REGS_PARM1_CORE_SYSCALL(regs), PT_REGS_PARM2_CORE_SYSCALL(regs));
}

SEC("tp_btf/sys_enter")
int BPF_PROG(sys_enter_btf, struct pt_regs *regs, long id)
{
	ZC_LET_UNTRACKED_TASKS_GO(task_storage, regs);
	ZC_TIMED_BEHIND_FILTER(sys_enter, untracked_by_task_storage(regs), sys_enter_typed(regs, id));
	return 0;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(sys_enter_cpu_cache_btf, struct pt_regs *regs, long id)
{
	ZC_LET_UNTRACKED_TASKS_GO(cpu_cache, regs);
	ZC_TIMED_BEHIND_FILTER(sys_enter, untracked_by_cpu_cache(regs), sys_enter_typed(regs, id));
	return 0;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(sys_enter_every_task_btf, struct pt_regs *regs, long id)
{
	ZC_TIMED(sys_enter, sys_enter_typed(regs, id));
	return 0;
}

SEC("raw_tp/sys_enter")
int BPF_PROG(sys_enter_raw, struct pt_regs *regs, long id)
{
	ZC_TIMED(sys_enter, sys_enter_core(regs, id));
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(sys_exit_btf, struct pt_regs *regs, long ret)
{
	ZC_LET_UNTRACKED_TASKS_GO(task_storage, regs);
	ZC_TIMED_BEHIND_FILTER(sys_exit, untracked_by_task_storage(regs), on_sys_exit(PT_REGS_SYSCALL_NR(regs), ret, regs, true));
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(sys_exit_cpu_cache_btf, struct pt_regs *regs, long ret)
{
	ZC_LET_UNTRACKED_TASKS_GO(cpu_cache, regs);
	ZC_TIMED_BEHIND_FILTER(sys_exit, untracked_by_cpu_cache(regs), on_sys_exit(PT_REGS_SYSCALL_NR(regs), ret, regs, true));
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(sys_exit_every_task_btf, struct pt_regs *regs, long ret)
{
	ZC_TIMED(sys_exit, on_sys_exit(PT_REGS_SYSCALL_NR(regs), ret, regs, true));
	return 0;
}

SEC("raw_tp/sys_exit")
int BPF_PROG(sys_exit_raw, struct pt_regs *regs, long ret)
{
	ZC_TIMED(sys_exit, on_sys_exit(BPF_CORE_READ(regs, PT_REGS_SYSCALL_NR_FIELD), ret, regs, false));
	return 0;
}

/*
 * io_uring: a request's bytes are returned in its CQE, not by a syscall
 * (io_uring_enter returns a count of requests), and the request may run in
 * io_uring_enter, in task_work on the way back to user space, or on an io-wq
 * worker. Workers and the SQPOLL thread are threads of the ring owner's
 * process, so the tgid filter gives their work to the owner.
 *
 * How the bytes moved is read off the request the way tcp_sendmsg and the
 * read path decide it: its opcode, its file (a TCP socket, a regular file
 * opened with or without O_DIRECT) and the socket's route capabilities. The
 * per-thread flags the send and read probes set cannot tell requests of one
 * batch apart, so they are only cleared here: work done in task_work after
 * sys_exit must not be given to the thread's next syscall.
 */
#define ZC_IPPROTO_TCP 6
#define ZC_CQE_F_NOTIF (1U << 3)            /* IORING_CQE_F_NOTIF */
#define ZC_NOTIF_USAGE_ZC_COPIED (1U << 31) /* IORING_NOTIF_USAGE_ZC_COPIED */

#define ZC_URING_OP(name) bpf_core_enum_value(enum io_uring_op, name)

/* send_zc's notification state (io_uring/notif.h, 6.10+ for head), kept in
 * the notification request's cmd area. */
struct io_notif_data___zc {
	struct io_notif_data___zc *head;
	bool zc_used;
	bool zc_copied;
} __attribute__((preserve_access_index));

/* Why the kernel flagged a notification COPIED: io_notif_tw_complete sets
 * it when zc_copied, or when no callback ever passed an skb with success
 * (!zc_used). A notification linked into an earlier request's skb gets its
 * callbacks without an skb, so it is flagged however its pages went. */
static __always_inline void count_copied_notification(struct zc_syscall_totals *totals, struct io_kiocb *req)
{
	struct io_notif_data___zc *nd = (void *)req + bpf_core_field_offset(req->cmd);

	totals->uring_zc_notifs_copied++;
	if (!bpf_core_field_exists(nd->head))
		return;
	if (BPF_CORE_READ(nd, zc_copied))
		totals->uring_zc_copied_reported++;
	else if (BPF_CORE_READ(nd, head) != nd)
		totals->uring_zc_copied_unused_linked++;
	else
		totals->uring_zc_copied_unused++;
}

/* The ZC_INFLIGHT_SEND_* way a request's bytes went into a TCP socket, or 0
 * when the request did not send on TCP. */
static __always_inline __u32 uring_send_mode(__u8 op, struct file *file, umode_t mode, __u64 *socket)
{
	struct socket *sock;
	struct sock *sk;
	bool route_sg;

	if ((mode & ZC_S_IFMT) != ZC_S_IFSOCK)
		return 0;
	sock = bpf_rdonly_cast(file->private_data, bpf_core_type_id_kernel(struct socket));
	sk = sock->sk;
	*socket = (__u64)sk;
	if (!sk || sk->sk_protocol != ZC_IPPROTO_TCP)
		return 0;
	route_sg = (sk->sk_route_caps >> ZC_NETIF_F_SG_BIT) & 1;
	if (op == ZC_URING_OP(IORING_OP_SEND_ZC) || op == ZC_URING_OP(IORING_OP_SENDMSG_ZC))
		return route_sg ? ZC_INFLIGHT_SEND_ZEROCOPY : ZC_INFLIGHT_SEND_USER;
	if (op == ZC_URING_OP(IORING_OP_SPLICE) || op == ZC_URING_OP(IORING_OP_TEE))
		return route_sg ? ZC_INFLIGHT_SEND_SPLICED : ZC_INFLIGHT_SEND_SPLICE_COPY;
	if (op == ZC_URING_OP(IORING_OP_SEND) || op == ZC_URING_OP(IORING_OP_SENDMSG) ||
	    op == ZC_URING_OP(IORING_OP_WRITE) || op == ZC_URING_OP(IORING_OP_WRITEV) ||
	    op == ZC_URING_OP(IORING_OP_WRITE_FIXED))
		return ZC_INFLIGHT_SEND_USER;
	return 0;
}

/* A buffered read of a regular file: copied from the page cache. */
static __always_inline bool uring_file_read(__u8 op, struct file *file, umode_t mode)
{
	if ((mode & ZC_S_IFMT) != ZC_S_IFREG || (file->f_flags & o_direct_flag))
		return false;
	return op == ZC_URING_OP(IORING_OP_READ) || op == ZC_URING_OP(IORING_OP_READV) ||
	       op == ZC_URING_OP(IORING_OP_READ_FIXED);
}

static __always_inline void on_uring_complete(struct io_kiocb *req, struct io_uring_cqe *cqe)
{
	struct zc_syscall_totals *totals;
	struct zc_proc_stats *proc;
	struct zc_inflight *call;
	struct file *file;
	struct inode *inode;
	__u32 flags, slot;
	__u64 sk = 0;
	umode_t mode;
	__s32 res;
	__u64 *requests;
	__u8 op;

	/* aux CQEs (multishot, msg_ring) have no request */
	if ((!trace_mode && !attribute_uring) || !req || !current_sender_in_window())
		return;
	totals = totals_of(&syscall_totals);
	if (!totals)
		return;
	res = cqe->res;
	if (cqe->flags & ZC_CQE_F_NOTIF) {
		/* send_zc's second CQE: the pages are released; with
		 * IORING_SEND_ZC_REPORT_USAGE it says whether they were copied */
		totals->uring_zc_notifs++;
		if ((__u32)res & ZC_NOTIF_USAGE_ZC_COPIED)
			count_copied_notification(totals, req);
		return;
	}
	totals->uring_completions++;
	op = req->opcode;
	slot = op < ZC_URING_OPS ? op : ZC_URING_OPS - 1;
	requests = bpf_map_lookup_elem(&uring_requests, &slot);
	if (requests)
		(*requests)++;

	call = inflight_of(false);
	if (call) {
		call->flags = 0;
		call->sk = 0;
		call->file_ino = 0;
	}
	if (res <= 0)
		return;
	file = req->file;
	if (!file)
		return;
	inode = file->f_inode;
	mode = inode->i_mode;
	flags = uring_send_mode(op, file, mode, &sk);
	if (!flags && !uring_file_read(op, file, mode))
		return;
	proc = current_proc();
	if (!flags) {
		struct zc_file_key read_file = {
			.ino = inode->i_ino,
			.dev = inode->i_sb->s_dev,
		};

		attribute_return(totals, proc, true, 0, 0, &read_file, &uring_bytes, slot, res);
		return;
	}
	attribute_return(totals, proc, false, flags, sk, NULL, &uring_bytes, slot, res);
}

SEC("tp_btf/io_uring_complete")
int BPF_PROG(io_uring_complete, struct io_ring_ctx *ring, void *request, struct io_uring_cqe *cqe)
{
	/* The tracepoint passes the request untyped; typed, its fields are
	 * direct loads rather than a probe-read helper call each. */
	ZC_TIMED(io_uring_complete,
		 on_uring_complete(bpf_rdonly_cast(request, bpf_core_type_id_kernel(struct io_kiocb)), cqe));
	return 0;
}

static __always_inline void on_cqe_overflow(void)
{
	struct zc_syscall_totals *totals;

	if (!current_sender_in_window())
		return;
	totals = totals_of(&syscall_totals);
	if (totals)
		totals->uring_cqe_overflows++;
}

/* The tracepoint carries the CQE but not its request, so the bytes of a
 * result that overflowed cannot be told by opcode or file: counted, so the
 * report can say what it could not attribute. */
SEC("tp_btf/io_uring_cqe_overflow")
int BPF_PROG(io_uring_cqe_overflow, void *ring, unsigned long long user_data, s32 res, u32 cflags, void *ocqe)
{
	ZC_TIMED(io_uring_cqe_overflow, on_cqe_overflow());
	return 0;
}

/* A child process of a tracked process is tracked too, in the same role;
 * threads share their tgid (their tracked_tasks entry is on_fork_typed's). */
static __always_inline void on_fork(__u32 parent_tgid, __u32 child_tgid)
{
	struct zc_tracking *state = tracking_state();
	struct zc_syscall_totals *totals;
	__u32 role;

	/* first, whoever forks: the child may run on a dead task's stack */
	if (state)
		__sync_fetch_and_add(&state->task_generation, 1);
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

/* The typed hook also passes the parent's tracked_tasks entry on, thread or
 * process, before the child runs: none of its syscalls goes uncounted. */
static __always_inline void on_fork_typed(struct task_struct *parent, struct task_struct *child)
{
	struct zc_tracking *state;

	if (parent->bpf_storage && bpf_task_storage_get(&tracked_tasks, parent, 0, 0) &&
	    !bpf_task_storage_get(&tracked_tasks, child, 0, BPF_LOCAL_STORAGE_GET_F_CREATE) &&
	    (state = tracking_state()))
		__sync_fetch_and_add(&state->forks_not_followed, 1);
	on_fork(parent->tgid, child->tgid);
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(process_fork_btf, struct task_struct *parent, struct task_struct *child)
{
	ZC_TIMED(process_fork, on_fork_typed(parent, child));
	return 0;
}

SEC("raw_tp/sched_process_fork")
int BPF_PROG(process_fork_raw, struct task_struct *parent, struct task_struct *child)
{
	ZC_TIMED(process_fork, on_fork(BPF_CORE_READ(parent, tgid), BPF_CORE_READ(child, tgid)));
	return 0;
}

/* A followed process whose last thread exits leaves `children`, so that its
 * pid, once reused by an unrelated process, is not followed; its per-process
 * figures stay, marked exited. */
static __always_inline void on_exit(__u32 tgid, bool group_dead)
{
	struct zc_tracking *state = tracking_state();
	struct zc_proc_stats *proc;
	/* The exiting thread is current: its inflight slot, if it holds one,
	 * goes back. A thread that exits mid-send (trace --hooks light has no
	 * sys_exit to clear its state) would otherwise keep it for good. */
	struct zc_inflight *call = inflight_of(false);

	if (call) {
		inflight_settle(call);
		call->tid = 0;
	}
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
	ZC_TIMED(process_exit, on_exit(task->tgid, group_dead));
	return 0;
}

SEC("raw_tp/sched_process_exit")
int BPF_PROG(process_exit_raw, struct task_struct *task, bool group_dead)
{
	ZC_TIMED(process_exit, on_exit(BPF_CORE_READ(task, tgid), group_dead));
	return 0;
}

/*
 * Run by userspace (BPF_PROG_TEST_RUN) before it attaches, never attached:
 * the time two back-to-back bpf_ktime_get_ns() calls read as apart is the
 * share of every timed run that is the clock's, not the program's. The best
 * of several rounds, so that an interrupt in one does not count.
 */
#define ZC_CALIBRATION_ROUNDS 32
#define ZC_CALIBRATION_READS 16

struct zc_clock_calibration clock_calibration = {};

SEC("syscall")
int calibrate_clock(void *ctx)
{
	__u64 best = ~0ULL;

	for (int round = 0; round < ZC_CALIBRATION_ROUNDS; round++) {
		__u64 total = 0;

		for (int read = 0; read < ZC_CALIBRATION_READS; read++) {
			__u64 start = bpf_ktime_get_ns();

			total += bpf_ktime_get_ns() - start;
		}
		if (total < best)
			best = total;
	}
	clock_calibration.reads_per_round = ZC_CALIBRATION_READS;
	clock_calibration.best_round_ns = best;
	return 0;
}

/* An empty program for the same purpose with bpf_stats: what bpf_stats
 * reads for a program that does nothing is its own clock's share. */
SEC("syscall")
int stats_floor(void *ctx)
{
	return 0;
}
