// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// The probes: load every group (bpf/<group>.bpf.c), attach them, hand the
// workload's processes to them, and read back their counters.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/error.hpp"
#include "bpf/block.h"
#include "bpf/memory.h"
#include "bpf/net.h"
#include "bpf/probe_cost.h"
#include "bpf/sched.h"
#include "bpf/syscalls.h"
#include "bpf/tracking.h"

namespace zctrace {

// How the typed syscall hooks let go of the tasks zctrace does not trace,
// before any other work (ZC_LET_UNTRACKED_TASKS_GO in bpf/syscalls.bpf.c): by
// a test of the task's storage pointer, which calls a helper, or by the role
// each CPU remembers for its last task, which touches per-CPU maps instead.
// `automatic` takes the storage test where the kernel's TLB is empty after
// every entry (page-table isolation without PCID: a map's first touch is a
// miss) and the remembered role elsewhere; trace --cgroup, and a kernel that
// opens no pidfd for a thread, always get the remembered role, which needs
// no marks. `none`: no filter was loaded (the *_every_task variants, under
// bpf_stats), or no syscall hook at all.
enum class BystanderFilter { automatic, task_storage, cpu_cache, none };
[[nodiscard]] std::string_view bystander_filter_name(BystanderFilter filter);
// The filter a name of bystander_filter_name's stands for ("auto" too).
[[nodiscard]] std::optional<BystanderFilter> bystander_filter_named(std::string_view name);
// What `automatic` takes on this host.
[[nodiscard]] BystanderFilter automatic_bystander_filter();
// The typed program a filter loads on a syscall hook ("sys_enter" or
// "sys_exit"): sys_exit_btf, sys_exit_cpu_cache_btf, sys_exit_every_task_btf.
[[nodiscard]] std::string typed_syscall_program(std::string_view hook, BystanderFilter filter);

// What the probes filter on; fixed before load (const volatile globals).
struct ProbeTarget {
    std::uint64_t file_ino = 0;
    std::uint32_t file_dev = 0;  // kernel dev_t encoding (major << 20 | minor)
    std::uint64_t file_pages = 0;
    std::uint64_t marker_cookie = 0;
    std::uint64_t buffer_bytes = 0;  // the payload buffer at ZC_PAYLOAD_BUFFER_BASE, 0 if none
    bool uring_sends = false;  // the workload sends with io_uring: attribute its requests' completions
    // copy_file_range: the destination file, whose new page-cache pages are
    // the copy's, and the bytes the copy may fill.
    std::uint64_t copy_ino = 0;
    std::uint32_t copy_dev = 0;
    std::uint64_t copy_bytes = 0;
    // Time every program run with bpf_stats as well as by the programs' own
    // sample (probe_cost.h): exact, at two clock reads per run of every
    // BPF program on the host.
    bool bpf_stats = false;
    BystanderFilter bystander_filter = BystanderFilter::automatic;
};

// When bpf_stats times the probes' runs as well as their own sample: never,
// in short windows (its cost paid a fraction of the time, its figure
// scaled to every run), or all the time (paid by every program run on the
// host). Either of the last two loads the programs as bpf_stats needs them
// (ProbeTarget::bpf_stats).
enum class BpfStatsMode { off, windows, always };

// `zctrace trace`: count the whole life of the followed processes (or of a
// cgroup's tasks), any file, any device, with a per-process split.
struct TraceTarget {
    std::uint64_t cgroup_id = 0;     // 0: follow the pids given to Tracer::follow() and their forks
    std::uint32_t cgroup_level = 0;  // the cgroup's depth below the root
    std::uint32_t max_procs = 4096;  // processes followed and counted at most
    std::uint32_t max_sockets = 16384;
    std::uint32_t max_files = 4096;
    // Leave out every hook that fires per syscall, page fault, context
    // switch, page-cache lookup or bio: each of those costs every task on
    // the host (a syscall tracepoint alone sends every task down the slow
    // syscall path). What is left sees each socket's skbs and the
    // processes' forks and exits.
    bool light = false;
    bool bpf_stats = false;  // on from the start (trace then switches it as its --bpf-stats says)
    BystanderFilter bystander_filter = BystanderFilter::automatic;
};

// Which twin of each hook to load: tp_btf with its typed direct reads, or
// raw_tp with CO-RE reads. `typed` falls back to raw_tp when tp_btf fails to
// load; `raw` loads the raw_tp twins only (what a kernel without tp_btf gets,
// kept reachable so the tests exercise it).
enum class ProbeFlavor { typed, raw };

// One attached program, and how it was attached (tp_btf, raw_tp, tracepoint).
struct AttachedProbe {
    std::string group;
    std::string program;
    std::string hook;
    std::string attach_type;
};

// One program's cost since it was loaded: its own count of its runs and
// its timed sample (bpf/probe_cost.h), and bpf_stats while that was on.
struct ProgramStats {
    std::string group;
    std::string program;
    std::uint64_t run_ns = 0;     // bpf_stats
    std::uint64_t run_count = 0;  // bpf_stats
    std::uint64_t recursion_misses = 0;  // runs skipped because the program was busy on that CPU
    std::uint64_t counted_runs = 0;  // counted by the program itself, stats or not
    std::uint64_t timed_runs = 0;
    std::uint64_t timed_ns = 0;  // the clock's share still in
    std::uint64_t timed_ns_squared = 0;  // each timed run's ns, squared: the sample's spread
    std::uint64_t interrupted_runs = 0;  // timed, but an interrupt ran inside: left out
    std::uint64_t accounting_ns = 0;  // the timed runs' own bookkeeping, one clock read in
    // bpf_stats of the empty program beside it on the same hook (attached
    // while bpf_stats is on; 0 without one)
    std::uint64_t clock_run_ns = 0;
    std::uint64_t clock_run_count = 0;
};

// What the clocks add to what they time, calibrated on this host.
struct ProbeClock {
    // Two back-to-back bpf_ktime_get_ns() calls, as far apart as they read:
    // taken off each timed run.
    double timed_run_ns = 0;
    // What bpf_stats reads for an empty program; 0 until bpf_stats was on.
    double bpf_stats_run_ns = 0;
    // Page-table isolation without PCID: what a timed run cannot see
    // (Overhead::host_drops_kernel_tlb).
    bool kernel_tlb_dropped_at_entry = false;
    // The filter the syscall hooks were loaded with, never `automatic`.
    BystanderFilter bystander_filter = BystanderFilter::none;
};

struct DeviceTraffic {
    std::uint32_t ifindex = 0;
    std::uint32_t netns = 0;  // inode of its network namespace
    std::string name;
    std::uint32_t flags = 0;  // IFF_*
    bool has_parent = false;  // a bus device behind it: hardware that can DMA
    bool sg = false;          // NETIF_F_SG when the sender's skbs went through
    std::uint64_t skbs = 0;
    std::uint64_t bytes = 0;
    std::uint64_t payload_bytes = 0;
    std::uint64_t header_bytes = 0;
    std::uint64_t linear_payload_bytes = 0;
    std::uint64_t shared_frag_bytes = 0;
    std::uint64_t zerocopy_frag_bytes = 0;
    std::uint64_t copied_frag_bytes = 0;
};

// Distinct pages of the workload file, from the two page bitmaps.
struct PageSummary {
    std::uint64_t accessed = 0;
    std::uint64_t added = 0;
    std::uint64_t hits = 0;  // accessed and not added during the window
};

// trace mode: one process's figures (bpf/tracking.h), by tgid.
struct ProcessCounters {
    std::uint32_t tgid = 0;
    zc_proc_stats stats{};
};

// trace mode: one TCP socket's figures (bpf/tracking.h); key is its struct
// sock * while open, ZC_CLOSED_SOCKET_KEY | n once closed.
struct SocketCounters {
    std::uint64_t key = 0;
    zc_socket_figures figures{};
};

// trace mode: one file's figures, by device and inode.
struct FileCounters {
    zc_file_key key{};
    zc_file_figures figures{};
};

// Every counter the probes keep, summed over CPUs.
struct RawCounters {
    zc_syscall_totals syscalls{};
    std::vector<std::pair<std::uint32_t, std::uint64_t>> syscall_counts;  // nr, count (non-zero)
    std::uint64_t syscall_entries = 0;  // their sum
    // Bytes by the syscall that moved them and how (enum zc_byte_kind): nr, kind, bytes (non-zero).
    struct SyscallBytes {
        std::uint32_t nr = 0;
        zc_byte_kind kind = ZC_BYTES_FILE_TO_USER;
        std::uint64_t bytes = 0;
    };
    std::vector<SyscallBytes> syscall_bytes;
    // trace mode: io_uring requests completed (opcode, count) and their
    // bytes, by opcode in `nr` (bpf/syscalls.h ZC_URING_OPS).
    std::vector<std::pair<std::uint32_t, std::uint64_t>> uring_requests;
    std::vector<SyscallBytes> uring_bytes;
    zc_sched_totals sched{};
    zc_memory_totals memory{};
    PageSummary pages;
    zc_net_totals net{};
    std::vector<DeviceTraffic> devices;
    zc_block_totals block{};
    zc_tracking tracking{};
    std::vector<ProcessCounters> processes;  // trace mode only
    std::vector<SocketCounters> sockets;     // trace mode only
    std::vector<FileCounters> files;         // trace mode only
};

class Tracer {
public:
    // Opens, loads and attaches every group. Prefers tp_btf and falls back to
    // raw_tp where a group has twins; records what it used.
    static Result<std::unique_ptr<Tracer>> attach(const ProbeTarget& target,
                                                  ProbeFlavor flavor = ProbeFlavor::typed);
    // trace mode: nothing counts until follow() names a process, unless the
    // target is a cgroup.
    static Result<std::unique_ptr<Tracer>> attach_trace(const TraceTarget& target);
    ~Tracer();
    Tracer(const Tracer&) = delete;
    Tracer& operator=(const Tracer&) = delete;

    // Ready for another run of the same file without attaching again: every
    // counter and map back to empty, the globals back to how they loaded,
    // and this run's cookie, buffer and copy destination set. The probes
    // stay attached throughout; attach_seconds() becomes this reset's time.
    Result<void> retarget(const ProbeTarget& run);
    [[nodiscard]] bool retargeted() const;

    Result<void> track(pid_t pid, zc_role role);
    // trace mode: count this process, and the processes it forks from now on.
    Result<void> follow(pid_t pid);
    // trace mode: the processes followed and still alive (an exit leaves the
    // map), and every process that has figures so far.
    [[nodiscard]] Result<std::size_t> followed_count() const;
    [[nodiscard]] Result<std::vector<ProcessCounters>> processes() const;
    [[nodiscard]] Result<RawCounters> read() const;
    // The sockets the net group holds as the sender's: registered at their
    // first send in the window, dropped when they reach TCP_CLOSE.
    [[nodiscard]] Result<std::size_t> sender_sockets() const;
    [[nodiscard]] std::vector<ProgramStats> program_stats() const;
    [[nodiscard]] const std::vector<AttachedProbe>& probes() const;
    [[nodiscard]] double attach_seconds() const;
    // bpf_stats times every BPF program run on the host while it is on,
    // which every process pays for. A long trace keeps it on in windows
    // only (program_stats() then covers the windows).
    Result<void> set_bpf_stats(bool on);
    [[nodiscard]] bool bpf_stats_on() const;
    [[nodiscard]] ProbeClock clock() const;

private:
    struct Impl;
    explicit Tracer(std::unique_ptr<Impl> impl);
    static Result<std::unique_ptr<Tracer>> attach_all_groups(const ProbeTarget& target, const TraceTarget* trace,
                                                             ProbeFlavor flavor);
    std::unique_ptr<Impl> impl_;
};

// `zctrace gather --observe`: the net group's xmit probe alone, counting the
// skbs of every device system-wide by how their payload is held.
class XmitObserver {
public:
    static Result<std::unique_ptr<XmitObserver>> attach();
    ~XmitObserver();
    XmitObserver(const XmitObserver&) = delete;
    XmitObserver& operator=(const XmitObserver&) = delete;

    [[nodiscard]] Result<std::vector<DeviceTraffic>> read() const;
    // Bytes of devices whose counter slot another device held.
    [[nodiscard]] Result<std::uint64_t> unattributed_bytes() const;
    [[nodiscard]] std::vector<ProgramStats> program_stats() const;
    [[nodiscard]] const std::vector<AttachedProbe>& probes() const;
    [[nodiscard]] double attach_seconds() const;

private:
    struct Impl;
    explicit XmitObserver(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

// Empty programs on every hook `zctrace trace` uses (bpf/floor.bpf.c): the
// cost any tracer on those hooks has before its first instruction, which the
// overhead benchmark measures zctrace against.
// Whose hooks the empty programs go on: `trace`'s leave sys_enter out
// (trace counts calls at sys_exit), `run`'s count both ways.
enum class EmptyHooks { trace, run };

class EmptyProbes {
public:
    static Result<std::unique_ptr<EmptyProbes>> attach(EmptyHooks hooks = EmptyHooks::trace);
    ~EmptyProbes();
    EmptyProbes(const EmptyProbes&) = delete;
    EmptyProbes& operator=(const EmptyProbes&) = delete;
    [[nodiscard]] const std::vector<AttachedProbe>& probes() const;

private:
    struct Impl;
    explicit EmptyProbes(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};


// Kernel dev_t encoding of a userspace st_dev, as tracepoints print it.
std::uint32_t kernel_dev(dev_t dev);

}  // namespace zctrace
