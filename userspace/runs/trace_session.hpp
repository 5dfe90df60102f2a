// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// `zctrace trace`: the probes on a program zctrace did not write, named by a
// command to start, running pids, or a cgroup v2 directory. Attach first,
// then follow the targets, so no byte they move after the start is missed.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "base/netns.hpp"
#include "tracing/probes.hpp"

namespace zctrace {

struct TraceSpec {
    std::vector<std::string> command;  // start this and follow it, or
    std::vector<pid_t> pids;           // follow these (host pids) and their descendants, or
    std::string cgroup;                // every task in this cgroup v2 directory and below
    double duration_seconds = 0;       // 0: until the command or the pids exit, or Ctrl-C
    std::uint32_t max_procs = 4096;
    std::uint32_t max_sockets = 16384;  // sockets followed to the device at most
    // bpf_stats as well as the programs' own sampled timing: never (the
    // default), in windows, or for the whole trace (paid by every process
    // on the host).
    BpfStatsMode bpf_stats = BpfStatsMode::off;
    BystanderFilter bystander_filter = BystanderFilter::automatic;
    // Only the hooks that fire per skb or per process lifetime: no syscall,
    // page-fault, scheduler, page-cache or block hook (TraceTarget::light).
    bool light_hooks = false;
};

// A cgroup v2 directory, resolved before anything is attached.
struct CgroupTarget {
    std::string path;        // absolute, under the cgroup2 mount
    std::uint64_t id = 0;    // what bpf_get_current_cgroup_id() returns for it
    std::uint32_t level = 0; // depth below the cgroup2 root
};

// What /proc said about a traced process while it was alive.
struct ProcessIdentity {
    std::string comm;
    std::vector<std::string> cmdline;
    std::vector<pid_t> ns_pids;  // NSpid: host pid first, then one per nested pid namespace
    pid_t ppid = 0;
    double cpu_seconds = 0;  // utime + stime so far (its own threads, not its children)
};

enum class TraceEnd { command_exited, targets_exited, duration, interrupted };
std::string_view trace_end_name(TraceEnd end);

struct TraceObservation {
    TraceSpec spec;
    std::optional<CgroupTarget> cgroup;
    RawCounters counters;
    std::map<std::uint32_t, ProcessIdentity> identities;  // by tgid, as last read
    // --pid: each process's CPU time when the trace first saw it (0 for those
    // born during it), so that what it used before does not count.
    std::map<std::uint32_t, double> cpu_at_start;
    std::vector<AttachedProbe> probes;
    std::vector<ProgramStats> program_stats;
    double attach_seconds = 0;
    ProbeClock probe_clock;
    double seconds = 0;  // from the first followed target to the end
    TraceEnd end = TraceEnd::interrupted;
    pid_t command_pid = 0;
    int command_wait_status = 0;  // waitpid()'s status for the command
    // CPU time of what was traced, from the kernel's own accounting: the
    // command's whole tree (wait4), the pids' /proc stat (with their waited
    // children), or the cgroup's cpu.stat. Null when it cannot be known.
    std::optional<double> cpu_seconds;
    std::string cpu_seconds_from;
    // How the host's TCP counters changed (every socket of this namespace).
    TcpCounters tcp_counters;
    // Where each device's filesystem is mounted ("major:minor" -> mount
    // point of its root), to put a path to the files the probes named
    // relative to their filesystem.
    std::map<std::string, std::string> mount_points;
    std::map<std::string, std::string> filesystems;  // "major:minor" -> type, e.g. "ext4"
    // How long bpf_stats was on: the whole trace when it is short, else the
    // first 250 ms and then a window of 50 ms in every second.
    double bpf_stats_seconds = 0;
};

struct TraceHooks {
    std::function<void(const Tracer&)> on_attached;
    // Every sample_interval_seconds while the trace runs, with the counters
    // read from the maps at that moment.
    std::function<void(const RawCounters& counters, double seconds)> on_sample;
    double sample_interval_seconds = 0;  // 0: no samples
};

// Checks the targets before anything is attached: pids that exist, are not
// kernel threads and are not zctrace; a cgroup v2 directory.
Result<void> check_pids(const std::vector<pid_t>& pids);
Result<CgroupTarget> resolve_cgroup(const std::string& path);

// Runs the trace to its end. A command that cannot be executed is an error
// of kind `not_found` (the CLI exits 127, as shells do).
Result<TraceObservation> trace_program(const TraceSpec& spec, const TraceHooks& hooks);

// What a process's /proc says now; nullopt once it is gone.
std::optional<ProcessIdentity> read_identity(pid_t pid);

}  // namespace zctrace
