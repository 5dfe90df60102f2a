/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * What zctrace's own programs cost, without bpf_stats. Shared by every probe
 * group and by userspace.
 *
 * bpf_stats times every run of every BPF program on the host with two
 * sched_clock() reads, which cost more than most of zctrace's programs
 * (an empty program reads as ~47 ns a run with it on, on a host where
 * getppid() takes 166 ns). So each program counts its own runs in the
 * `probe_runs` array (an entry per CPU) and times one run in 127 with
 * bpf_ktime_get_ns() (`probe_timing`); userspace scales the timed runs up to all runs and
 * takes off the clock's own share, which it calibrates before attaching
 * (the `calibrate_clock` program).
 */
#ifndef ZCTRACE_BPF_PROBE_COST_H
#define ZCTRACE_BPF_PROBE_COST_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* One run in this many is timed, counted down per CPU over every hook's
 * runs. A prime, so that a workload that repeats a short cycle of calls
 * (read_write's read, write, read, ...) is not timed on the same call of
 * the cycle every time, as a power of two would. Timing is rare because a
 * timed run costs far more than its clock reads show: beside bpf_stats,
 * timing one run in 17 on the non-syscall hooks cost them 10-18 ns a run
 * more on average than one in 127, about 280 ns per timed run against the
 * ~60 ns the reads themselves measure (what the first read does before its
 * clock stops on this host, kvm-clock under retpolines, is outside any
 * interval a program can time). At one in 127 the part left unseen is
 * ~2 ns a run, and the sampled estimate agreed with bpf_stats per hook
 * within 0.88-1.06 on all but three hooks. One countdown for all hooks,
 * in the first word of the CPU's entry, which every run touches anyway:
 * a per-hook countdown made the decision a cache miss before the clock
 * started, unseen too. */
#define ZC_PROBE_TIMED_EVERY 127

/* A timed run longer than this had an interrupt or a softirq inside it
 * (loopback's receive path runs for microseconds at a time): not the
 * program's time. Counted apart; the clean runs price it. */
#define ZC_PROBE_INTERRUPTED_NS 4000

/* Every hook a program of zctrace attaches to; a tp_btf program and its
 * raw_tp twin share their hook's slot. Userspace finds a program's slot by
 * its name less the _btf/_raw suffix. The hottest come first: their run
 * counters share the first cache line of a CPU's `probe_runs`. */
#define ZC_PROBE_HOOKS(X)            \
	X(sys_enter)                 \
	X(sys_exit)                  \
	X(tcp_sendmsg_locked)        \
	X(net_dev_start_xmit)        \
	X(netif_receive_skb)         \
	X(skb_copy_datagram_iovec)   \
	X(filemap_get_pages)         \
	X(sched_switch)              \
	X(page_fault_user)           \
	X(page_fault_kernel)         \
	X(filemap_fault)             \
	X(filemap_map_pages)         \
	X(filemap_add_to_page_cache) \
	X(rss_stat)                  \
	X(block_bio_queue)           \
	X(tcp_retransmit_skb)        \
	X(inet_sock_set_state)       \
	X(io_uring_complete)         \
	X(io_uring_cqe_overflow)     \
	X(process_fork)              \
	X(process_exit)              \
	X(writeback_dirty_folio)

#define ZC_PROBE_ENUM_ENTRY(hook) ZC_PROBE_##hook,
enum zc_probe_hook { ZC_PROBE_HOOKS(ZC_PROBE_ENUM_ENTRY) ZC_PROBE_HOOK_COUNT };
#undef ZC_PROBE_ENUM_ENTRY

/* Every program's runs on one CPU, whoever they were for: one value, so
 * that the counters every run touches stay in a few hot cache lines. Kept
 * in a plain array indexed by CPU, not a per-CPU map: a per-CPU lookup
 * loads the value's address from the map first, and after a kernel entry
 * that drops the TLB each of the two loads is a page walk, one after the
 * other (docs/tracing.md). Whole cache lines, so no two CPUs share one. */
struct zc_probe_runs {
	__u32 since_timed; /* runs of any hook since the last timed one */
	__u32 pad;
	/* The CPU's current task as the syscall hooks saw it (zctrace.bpf.h),
	 * here because most runs read it right after the countdown. */
	struct zc_cpu_task {
		__u64 regs;
		__u64 generation; /* task_generation when role was worked out */
		__u32 role;
		__u32 tid;
		__u32 tgid;
		__u32 current;
		/* trace: tgid's syscalls not yet added to its `procs` entry,
		 * which exists (proc_known): the entry is a hash lookup, a
		 * chain of page walks on some hosts, so a run of calls is
		 * added at once when the task leaves the CPU, or this entry
		 * is taken by another task; userspace adds what is pending
		 * when it reads. */
		__u32 pending_syscalls;
		__u32 proc_known;
	} task;
	__u64 runs[ZC_PROBE_HOOK_COUNT];
	/* to a whole number of cache lines (an alignment attribute would
	 * change how C++ passes the struct by value): 48 bytes above */
	__u64 pad_to_cache_line[(64 - (48 + 8 * ZC_PROBE_HOOK_COUNT) % 64) % 64 / 8];
};
#ifdef __cplusplus
static_assert(sizeof(struct zc_probe_runs) % 64 == 0, "zc_probe_runs fills whole cache lines");
#else
_Static_assert(sizeof(struct zc_probe_runs) % 64 == 0, "zc_probe_runs fills whole cache lines");
#endif

/* Per hook and CPU: the runs timed (the last of every ZC_PROBE_TIMED_EVERY
 * on the CPU) and their time, the clock's share still in. */
struct zc_probe_timing {
	__u64 timed_runs;
	__u64 timed_ns;
	/* The sum of each timed run's ns squared: with timed_ns and
	 * timed_runs, the spread of the sample, hence the estimate's
	 * standard error. A clean run is under ZC_PROBE_INTERRUPTED_NS, so
	 * 2^64 ns^2 holds over a trillion of them. */
	__u64 timed_ns_squared;
	__u64 interrupted_runs; /* timed, but longer than ZC_PROBE_INTERRUPTED_NS */
	/* From the clock read that ends a timed run to one more read after
	 * this entry is updated: the accounting's own work (and one clock
	 * read) on the runs it times, which the others do not pay. */
	__u64 accounting_ns;
};

/* calibrate_clock's result: what two back-to-back bpf_ktime_get_ns() calls
 * read as apart, the share of every timed run that is the clock's. */
struct zc_clock_calibration {
	__u64 best_round_ns; /* the fastest round's total */
	__u64 reads_per_round;
};

#endif /* ZCTRACE_BPF_PROBE_COST_H */
