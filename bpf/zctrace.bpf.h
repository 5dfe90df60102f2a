/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Helpers and shared maps for every zctrace probe group (BPF side only).
 *
 * Each group is its own skeleton. The syscalls group creates `tracking`,
 * `children`, `inflight` and `procs`; userspace hands their fds to the other
 * groups with bpf_map__reuse_fd() before they load, so all groups share them.
 *
 * Two modes, fixed before load: `zctrace run` counts its own sender between
 * two marker calls (see tracking.h); `zctrace trace` (trace_mode) counts the
 * whole life of the processes it follows, or of every task in one cgroup,
 * and also keeps a per-process split in `procs`.
 */
#ifndef ZCTRACE_BPF_COMMON_H
#define ZCTRACE_BPF_COMMON_H

#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "tracking.h"
#include "probe_cost.h"

/* The syscall number as the exit tracepoint (and any probe, through bpf_task_pt_regs) sees it, in pt_regs. */
#if defined(__TARGET_ARCH_x86)
#define PT_REGS_SYSCALL_NR_FIELD orig_ax
#elif defined(__TARGET_ARCH_arm64)
#define PT_REGS_SYSCALL_NR_FIELD syscallno
#endif
#define PT_REGS_SYSCALL_NR(regs) ((regs)->PT_REGS_SYSCALL_NR_FIELD)

/* kfunc: an untrusted, read-only typed view of a kernel address */
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym;

/* Mapped by userspace too, which sets the tgids and moves the generation on
 * with atomics beside the probes'. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct zc_tracking);
} tracking SEC(".maps");

/* Descendants of the tracked processes: tgid -> enum zc_role. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, ZC_MAX_PROCS);
	__type(key, __u32);
	__type(value, __u32);
} children SEC(".maps");

/* What the syscall in flight on each thread did so far (struct
 * zc_inflight). Each tid has two slots it may hold: tid's low bits, and a
 * hash of it in the second half. An array, not a hash or task-local
 * storage, because three or four probes look the entry up in every
 * syscall the sender makes: an array lookup is inlined, a hash lookup
 * hashes and walks a bucket (~40 ns a time in a sendfile loop here), and
 * bpf_task_storage_get() from a tracing program measured slower still. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2 * ZC_MAX_THREADS);
	__type(key, __u32);
	__type(value, struct zc_inflight);
} inflight SEC(".maps");

/* trace mode: one bit per tgid that is followed, so that the filter every
 * syscall of every task on the host goes through is an array access and a
 * bit test, not a hash lookup. Sized from pid_max by userspace, which sets
 * bits through a mapping of it (BPF_F_MMAPABLE) with atomic ORs. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, __u64);
} followed SEC(".maps");

/* The word of `followed` that holds tgid's bit, and the bit. */
static __always_inline __u64 *followed_word(__u32 tgid)
{
	__u32 word = tgid / 64;

	return bpf_map_lookup_elem(&followed, &word);
}

static __always_inline __u64 followed_bit(__u32 tgid)
{
	return 1ULL << (tgid & 63);
}

/* trace mode: tgid -> what that process did. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, ZC_MAX_PROCS);
	__type(key, __u32);
	__type(value, struct zc_proc_stats);
} procs SEC(".maps");

/* trace mode: per TCP socket (see struct zc_socket_figures). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1); /* trace sizes it */
	__type(key, __u64);
	__type(value, struct zc_socket_figures);
} socket_figures SEC(".maps");

/* trace mode: per file (see struct zc_file_figures). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1); /* trace sizes it */
	__type(key, struct zc_file_key);
	__type(value, struct zc_file_figures);
} file_figures SEC(".maps");

/* Runs and a timed sample of them, per hook (see probe_cost.h). probe_runs
 * has one entry per possible CPU, sized by userspace before load. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct zc_probe_runs);
} probe_runs SEC(".maps");

/* This CPU's probe_runs entry. bpf_get_smp_processor_id() is inlined (a
 * %gs-relative load from a page the kernel entry has touched), and the
 * entry's address needs no load from the map: one page walk at most. */
static __always_inline struct zc_probe_runs *cpu_probe_runs(void)
{
	__u32 cpu = bpf_get_smp_processor_id();

	return bpf_map_lookup_elem(&probe_runs, &cpu);
}

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, ZC_PROBE_HOOK_COUNT);
	__type(key, __u32);
	__type(value, struct zc_probe_timing);
} probe_timing SEC(".maps");

/*
 * The task current on each CPU, as the syscall hooks last saw it, so that the
 * probes learn who is running without asking the kernel. Every process on
 * the host passes through the syscall hooks, and the first helper call in a
 * syscall costs ~20 ns on this class of host (retpolines, Safe RET): for an
 * untracked task, as much as the rest of its early exit. The pt_regs the
 * syscall tracepoints get sit at the top of the task's kernel stack, so the
 * pointer names the task for as long as it lives. `current` says it has not
 * been switched out since: sched_switch clears it, and until then every
 * probe on that CPU, softirqs on top of the task included, may take its ids
 * from here. Its role holds while the tracking entry's task_generation
 * stands: every fork on the host moves it on (a new task may get a dead
 * one's stack), and so does userspace whenever it changes who is tracked.
 * It only ever grows, or an old entry could match again. The entry is
 * `task` in the CPU's probe_runs entry (probe_cost.h).
 */
static __always_inline struct zc_cpu_task *cpu_task_entry(void)
{
	struct zc_probe_runs *runs = cpu_probe_runs();

	return runs ? &runs->task : NULL;
}

/* The generation now, read once: a fork meanwhile must void what is
 * worked out from it. */
static __always_inline __u64 task_generation_of(const struct zc_tracking *state)
{
	return *(volatile const __u64 *)&state->task_generation;
}

/* The CPU's task, if the syscall hooks saw it and it was not switched out since. */
static __always_inline struct zc_cpu_task *known_current(void)
{
	struct zc_cpu_task *task = cpu_task_entry();

	return task && task->current ? task : NULL;
}

/* `zctrace run` counts the runs inside the sender's measurement window,
 * whoever they are for, which is what the workload's CPU time covers too:
 * the sender's setup (a 64 MiB buffer faulted in) and teardown are not the
 * workload's. The typed syscall hooks' runs for tasks zctrace did not mark
 * are not counted at all (tracked_tasks, syscalls.bpf.c). With bpf_stats on
 * as well, every run since the counters were read counts, the interval
 * bpf_stats covers. */
const volatile bool count_outside_window = false;

/* Does `work` (a call) for the program on `hook`, counting the run and
 * timing one run in ZC_PROBE_TIMED_EVERY: the count is an inlined
 * array access, so a run that is not timed costs a few
 * instructions. The last run of each period is timed, not the first: the
 * first run after the counters are cleared is the coldest, and with one
 * run in 127 timed it would weigh on the estimate out of all proportion. */
#define ZC_TIMED(hook, work) ZC_TIMED_BEHIND_FILTER(hook, false, work)

/* The same for a program that let untracked tasks go before it (syscalls.bpf.c):
 * the filter ran before the clock could, since the clock's countdown is a map
 * access the filter is there to spare untracked tasks. A tracked task pays
 * the filter on every run too, so a timed run runs it again inside the clock
 * (`untracked`, which must be true only for a task the filter lets go): the
 * sample then holds its price, warm, where it would otherwise be nobody's. */
#define ZC_TIMED_BEHIND_FILTER(hook, untracked, work)                                             \
	do {                                                                                      \
		__u32 slot_ = ZC_PROBE_##hook;                                                    \
		struct zc_probe_runs *runs_ = cpu_probe_runs();                                   \
		struct zc_probe_timing *timing_;                                                  \
		struct zc_tracking *window_;                                                      \
		__u64 start_ = 0, ns_;                                                            \
                                                                                                  \
		if (runs_) {                                                                      \
			/* the clock starts before the window is checked, so that */             \
			/* reading the tracking entry (a cache miss, often) is timed */           \
			if (++runs_->since_timed >= ZC_PROBE_TIMED_EVERY) {                       \
				runs_->since_timed = 0;                                           \
				start_ = bpf_ktime_get_ns();                                      \
			}                                                                         \
			if (!trace_mode && !count_outside_window &&                               \
			    (!(window_ = tracking_state()) || !window_->window_open))             \
				start_ = 0;                                                       \
			else                                                                      \
				runs_->runs[ZC_PROBE_##hook]++;                                   \
		}                                                                                 \
		if (start_ && (untracked))                                                        \
			start_ = 0;                                                               \
		work;                                                                             \
		if (start_) {                                                                     \
			__u64 stop_ = bpf_ktime_get_ns();                                         \
                                                                                                  \
			ns_ = stop_ - start_;                                                     \
			timing_ = bpf_map_lookup_elem(&probe_timing, &slot_);                     \
			if (timing_ && ns_ < ZC_PROBE_INTERRUPTED_NS) {                           \
				timing_->timed_ns += ns_;                                         \
				timing_->timed_ns_squared += ns_ * ns_;                           \
				timing_->timed_runs++;                                            \
			} else if (timing_) {                                                     \
				timing_->interrupted_runs++;                                      \
			}                                                                         \
			/* the timed run's own bookkeeping, which no other run does:  */     \
			/* priced once per timed run, not scaled up to all runs */             \
			if (timing_ && (ns_ = bpf_ktime_get_ns() - stop_) < ZC_PROBE_INTERRUPTED_NS) \
				timing_->accounting_ns += ns_;                                    \
		}                                                                                 \
	} while (0)

#define ZC_E2BIG 7 /* the map is full */

/* NETIF_F_SG_BIT lives in an anonymous enum, out of reach of CO-RE; it has been 0 since the bit was named. */
#define ZC_NETIF_F_SG_BIT 0

const volatile bool trace_mode = false;
/* trace --hooks light: no syscall hook, so nothing meets a process at its
 * syscalls; the send and receive probes create its entry instead. */
const volatile bool light_hooks = false;
/* trace: the write() family (write, pwrite64, writev, pwritev, pwritev2),
 * from userspace's <sys/syscall.h>. */
const volatile __s64 write_syscall_nrs[5] = { -1, -1, -1, -1, -1 };

/* Whether value is one of the entries of `array`, a const volatile list
 * userspace fills before load (syscall numbers, filesystem magics). */
#define ZC_ONE_OF(array, value)                                                  \
	({                                                                       \
		bool found_ = false;                                             \
		for (int i_ = 0; i_ < (int)(sizeof(array) / sizeof((array)[0])); i_++) \
			found_ = found_ || (array)[i_] == (value);               \
		found_;                                                          \
	})

static __always_inline bool is_write_syscall(long nr)
{
	return ZC_ONE_OF(write_syscall_nrs, nr);
}

/* trace mode: processes followed at fork, at most (--max-procs). */
const volatile __u32 max_followed = 0;
/* trace --cgroup: the directory's id (its inode on cgroup v2) and depth, so
 * that tasks in it and in any cgroup below it match, however they got there. */
const volatile __u64 target_cgroup_id = 0;
const volatile __u32 target_cgroup_level = 0;

static __always_inline __u32 current_tgid(void)
{
	struct zc_cpu_task *task = known_current();

	return task ? task->tgid : bpf_get_current_pid_tgid() >> 32;
}

static __always_inline __u32 current_tid(void)
{
	struct zc_cpu_task *task = known_current();

	return task ? task->tid : (__u32)bpf_get_current_pid_tgid();
}

/* The slots tid may hold. */
static __always_inline __u32 inflight_slot(__u32 tid, int which)
{
	return which == 0 ? tid & (ZC_MAX_THREADS - 1) : ZC_MAX_THREADS + ((tid * 2654435761u) >> (32 - ZC_MAX_THREADS_LOG2));
}

/* A slot whose thread has nothing pending can change hands. */
static __always_inline bool inflight_idle(const struct zc_inflight *call)
{
	return !call->flags && !call->file_ino && !call->sk && !call->other_file_pages_added;
}

/* The syscall is over: nothing pending, so inflight_idle() holds. */
static __always_inline void inflight_settle(struct zc_inflight *call)
{
	call->flags = 0;
	call->file_ino = 0;
	call->sk = 0;
	call->other_file_pages_added = 0;
}

static __always_inline struct zc_tracking *tracking_state(void);

/* The current thread's entry; with create, it takes a free slot if it has
 * none (NULL, counted, when both are held by threads mid-call). */
static __always_inline struct zc_inflight *inflight_of(bool create)
{
	__u32 tid = current_tid();
	struct zc_tracking *state;

	for (int which = 0; which < 2; which++) {
		__u32 slot = inflight_slot(tid, which);
		struct zc_inflight *call = bpf_map_lookup_elem(&inflight, &slot);

		if (call && call->tid == tid)
			return call;
	}
	if (!create)
		return NULL;
	for (int which = 0; which < 2; which++) {
		__u32 slot = inflight_slot(tid, which);
		struct zc_inflight *call = bpf_map_lookup_elem(&inflight, &slot);
		__u32 holder;

		if (!call || !inflight_idle(call))
			continue;
		holder = call->tid;
		if (__sync_val_compare_and_swap(&call->tid, holder, tid) == holder)
			return call;
	}
	if ((state = tracking_state()))
		__sync_fetch_and_add(&state->inflight_slots_busy, 1);
	return NULL;
}

/* Marks the syscall in flight on this thread (its exit reads the flags),
 * creating the thread's entry the first time. */
static __always_inline void flag_syscall(__u32 flags)
{
	struct zc_inflight *call = inflight_of(true);

	if (call)
		call->flags |= flags;
}

static __always_inline struct zc_tracking *tracking_state(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&tracking, &zero);
}

/* trace mode: whether tgid is followed. 0 is the idle task. */
static __always_inline bool is_followed(__u32 tgid)
{
	__u64 *bits = followed_word(tgid);

	return tgid && bits && (*bits & followed_bit(tgid));
}

/* enum zc_role of a process, or 0 when zctrace does not track it. */
static __always_inline __u32 role_of(const struct zc_tracking *state, __u32 tgid)
{
	__u32 *role;

	/* 0 is the idle task */
	if (!tgid)
		return 0;
	if (trace_mode)
		return is_followed(tgid) ? ZC_ROLE_SENDER : 0;
	if (tgid == state->sender_tgid)
		return ZC_ROLE_SENDER;
	if (tgid == state->receiver_tgid)
		return ZC_ROLE_RECEIVER;
	if (!state->children)
		return 0;
	role = bpf_map_lookup_elem(&children, &tgid);
	return role ? *role : 0;
}

/* trace mode: whether the current task is traced. trace --cgroup follows
 * the cgroup instead of forks: a task that joins it later counts from then
 * on. It needs no tracking state, so the hooks that fire for every task on
 * the host ask it first. */
static __always_inline bool current_traced(void)
{
	if (target_cgroup_id)
		return bpf_get_current_ancestor_cgroup_id(target_cgroup_level) == target_cgroup_id;
	return is_followed(current_tgid());
}

/* The role of the current task, whose tgid is given. */
static __always_inline __u32 current_role_of(const struct zc_tracking *state, __u32 tgid)
{
	if (trace_mode && target_cgroup_id)
		return current_traced() ? ZC_ROLE_SENDER : 0;
	return role_of(state, tgid);
}

/* The current task's role, worked out. */
static __always_inline __u32 current_role_asked(const struct zc_tracking *state)
{
	return current_role_of(state, current_tgid());
}

/* The current task's role: the syscall hooks' if it still holds. */
static __always_inline __u32 current_role(const struct zc_tracking *state)
{
	struct zc_cpu_task *task = known_current();

	if (task && !target_cgroup_id && task->generation == task_generation_of(state))
		return task->role;
	return current_role_asked(state);
}

static __always_inline bool window_is_open(const struct zc_tracking *state)
{
	return trace_mode || state->window_open;
}

/* The current task if it is the sender (or a child of it) inside the window;
 * in trace mode, any traced task. */
static __always_inline bool current_sender_in_window(void)
{
	struct zc_tracking *state = tracking_state();

	return state && window_is_open(state) && current_role(state) == ZC_ROLE_SENDER;
}

static __always_inline bool current_is_receiver(void)
{
	struct zc_tracking *state = tracking_state();

	if (!state)
		return false;
	/* A traced program sends and receives; its receive copies are its own. */
	if (trace_mode)
		return current_role(state) != 0;
	return state->receiver_tgid && role_of(state, current_tgid()) == ZC_ROLE_RECEIVER;
}

/* trace mode: the per-process entry of tgid, created at its first event
 * (the caller has checked that the current task is traced). NULL in run
 * mode, or when --max-procs entries exist already. */
/* trace mode: inserts fresh under key unless an entry is there already, and
 * returns the entry. A full map (--max-procs, the socket or file table) is
 * counted in the tracking field at not_listed (an offsetof), so the report
 * can say what was left out. */
static __always_inline void *insert_counted(void *map, const void *key, const void *fresh, __u32 not_listed)
{
	struct zc_tracking *state;

	if (bpf_map_update_elem(map, key, fresh, BPF_NOEXIST) == -ZC_E2BIG && (state = tracking_state()))
		__sync_fetch_and_add((__u64 *)((char *)state + not_listed), 1);
	return bpf_map_lookup_elem(map, key);
}

static __always_inline struct zc_proc_stats *proc_of(__u32 tgid, bool create)
{
	struct zc_proc_stats *proc;

	if (!trace_mode)
		return NULL;
	proc = bpf_map_lookup_elem(&procs, &tgid);
	if (proc || !create)
		return proc;
	{
		struct zc_proc_stats fresh = {};
		struct task_struct *task = (struct task_struct *)bpf_get_current_task();
		struct pid *pid = BPF_CORE_READ(task, thread_pid);
		unsigned int level = BPF_CORE_READ(pid, level);

		bpf_get_current_comm(fresh.comm, sizeof(fresh.comm));
		/* numbers[] is a flexible array of level + 1 entries */
		bpf_core_read(&fresh.ns_pid, sizeof(fresh.ns_pid), &pid->numbers[level & 31].nr);
		return insert_counted(&procs, &tgid, &fresh, offsetof(struct zc_tracking, procs_not_counted));
	}
}

static __always_inline struct zc_proc_stats *current_proc(void)
{
	return proc_of(current_tgid(), true);
}

#define ZC_PROC_ADD(proc, field, value) __sync_fetch_and_add(&(proc)->field, (value))

/* trace: adds the syscalls the CPU's entry holds for its task to that
 * task's `procs` entry (probe_cost.h). The entry exists: the first call
 * after the CPU's entry named the task created it. */
static __always_inline void flush_pending_syscalls(struct zc_cpu_task *task)
{
	struct zc_proc_stats *proc;

	if (!task->pending_syscalls)
		return;
	proc = proc_of(task->tgid, false);
	if (proc)
		ZC_PROC_ADD(proc, syscalls, task->pending_syscalls);
	task->pending_syscalls = 0;
}

static __always_inline struct zc_file_figures *file_figures_of(const struct zc_file_key *file)
{
	return trace_mode && file && file->ino ? bpf_map_lookup_elem(&file_figures, file) : NULL;
}

/* The names from the file's dentry up to its filesystem's root: the path
 * inside that filesystem (userspace adds the mount point). */
static __always_inline void read_path(struct zc_file_figures *file, struct address_space *mapping)
{
	struct hlist_node *alias = BPF_CORE_READ(mapping, host, i_dentry.first);
	struct dentry *dentry, *parent;

	if (!alias)
		return;
	dentry = (void *)alias - bpf_core_field_offset(struct dentry, d_u.d_alias);
	for (int i = 0; i < ZC_PATH_PARTS; i++) {
		bpf_probe_read_kernel_str(file->path[i], ZC_PATH_PART_LEN, BPF_CORE_READ(dentry, d_name.name));
		parent = BPF_CORE_READ(dentry, d_parent);
		if (!parent || parent == dentry)
			break;
		dentry = parent;
	}
	file->has_path = 1;
}

/* trace mode: the figures of a file a traced task used, created at its
 * first event; its path is read once a mapping is at hand. */
static __always_inline struct zc_file_figures *file_figures_for(unsigned long ino, dev_t dev,
								struct address_space *mapping)
{
	struct zc_file_key key = { .ino = ino, .dev = dev };
	struct zc_file_figures *file;

	if (!trace_mode)
		return NULL;
	file = bpf_map_lookup_elem(&file_figures, &key);
	if (!file) {
		struct zc_file_figures fresh = { .tgid = current_tgid() };

		file = insert_counted(&file_figures, &key, &fresh, offsetof(struct zc_tracking, files_not_listed));
	}
	if (file && !file->has_path && mapping)
		read_path(file, mapping);
	return file;
}

static __always_inline struct zc_socket_figures *socket_figures_of(__u64 sk)
{
	return trace_mode && sk ? bpf_map_lookup_elem(&socket_figures, &sk) : NULL;
}

/* Every group keeps its totals in an array with an entry per possible CPU
 * (userspace sizes it before load), not a per-CPU map, for the reason
 * probe_runs is one (probe_cost.h): a per-CPU lookup is two page walks in
 * a row where the kernel's TLB is dropped at every entry. Each entry is
 * whole cache lines, so that no two CPUs write the same line. */
#define ZC_CPU_TOTALS(name, value_t)                                         \
	struct name##_entry {                                                   \
		value_t totals;                                                 \
	} __attribute__((aligned(64)));                                         \
	struct {                                                                \
		__uint(type, BPF_MAP_TYPE_ARRAY);                               \
		__uint(max_entries, 1);                                         \
		__type(key, __u32);                                             \
		__type(value, struct name##_entry);                             \
	} name SEC(".maps")

/* This CPU's totals (the entry's first member) in a ZC_CPU_TOTALS map. */
static __always_inline void *totals_of(void *map)
{
	__u32 cpu = bpf_get_smp_processor_id();

	return bpf_map_lookup_elem(map, &cpu);
}

#endif /* ZCTRACE_BPF_COMMON_H */
