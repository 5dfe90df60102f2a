// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// What `zctrace trace` writes (trace.json, kind "zctrace.trace",
// reports/schema/trace.v1.schema.json): what a program zctrace did not write
// moved, how many times the CPU copied it, which technique that is, and how
// it compares with the theory table.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "report/json_optional.hpp"
#include "report/run_report.hpp"

namespace zctrace {

inline constexpr int kTraceSchemaVersion = 1;
inline constexpr char kTraceKind[] = "zctrace.trace";

struct TraceTargetInfo {
    std::string kind;                  // "command", "pids" or "cgroup"
    std::string label;                 // as people name it: the command, the first pid's comm, the cgroup
    std::vector<std::string> command;  // kind command
    std::vector<std::int64_t> pids;    // kind pids: host pids as given
    std::string cgroup;                // kind cgroup: the directory
    std::uint64_t cgroup_id = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(TraceTargetInfo, kind, label, command, pids, cgroup, cgroup_id)

// How the command zctrace started ended (kind command only).
struct CommandExit {
    std::optional<int> exit_code;
    std::optional<int> signal;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(CommandExit, exit_code, signal)

// Bytes that one syscall returned, by how they moved (bpf/syscalls.h).
struct SyscallBytes {
    std::string syscall;
    std::string moved;  // file_to_user, user_copy, kernel_copy, spliced, spliced_copied, zerocopy
    std::uint64_t bytes = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(SyscallBytes, syscall, moved, bytes)

struct TracePageCache {
    std::uint64_t lookup_pages = 0;  // pages read, spliced or mapped through the page cache (repeats count)
    std::uint64_t misses = 0;        // pages added to the page cache: read from the disk
    std::uint64_t hits = 0;          // lookups minus misses
    std::optional<double> hit_ratio;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(TracePageCache, lookup_pages, misses, hits, hit_ratio)

// trace --hooks light: what left the traced sockets at the device, and how,
// the only send-side figures those hooks give (no syscall returns them).
struct LightHooksSummary {
    std::uint64_t payload_bytes = 0;          // what left the traced sockets (resends included)
    std::uint64_t page_cache_frag_bytes = 0;  // as page references: sendfile, splice
    std::uint64_t zerocopy_frag_bytes = 0;    // pinned user pages: MSG_ZEROCOPY, send_zc
    std::uint64_t copied_bytes = 0;           // copied into the socket (frags holding a copy, or linear)
    std::optional<double> cpu_copies_on_send; // copied_bytes / payload_bytes
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(LightHooksSummary, payload_bytes, page_cache_frag_bytes,
                                                zerocopy_frag_bytes, copied_bytes, cpu_copies_on_send)

// The figures of the whole trace, or of one process.
// CPU copies into files, which are not passes over what was sent.
struct FileCopyBytes {
    std::uint64_t user_to_page_cache = 0;        // write() family into a regular file (not O_DIRECT)
    std::uint64_t page_cache_to_page_cache = 0;  // copy_file_range, sendfile to a file: pages new to the destination
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(FileCopyBytes, user_to_page_cache, page_cache_to_page_cache)

struct TraceFigures {
    std::uint64_t bytes_sent = 0;      // returned by syscalls that sent on TCP
    std::uint64_t payload_at_device = 0;  // payload of its sockets' skbs at the device (resends included)
    CopyBytes cpu_copy_bytes;
    FileCopyBytes file_copy_bytes;
    std::optional<double> cpu_copies;  // copied bytes / bytes sent: passes over what was served
    std::uint64_t receive_copy_bytes = 0;  // socket -> user memory
    // Pages the program pinned (MSG_ZEROCOPY, io_uring send_zc) that the
    // kernel copied when they reached a socket on this host: not in
    // cpu_copy_bytes, which are the sender's.
    std::uint64_t zerocopy_copied_at_receiver_bytes = 0;
    std::uint64_t syscalls = 0;
    std::map<std::string, std::uint64_t> syscalls_by_name;  // totals only
    std::optional<double> syscalls_per_mib_sent;
    std::uint64_t mode_switches = 0;
    ContextSwitches context_switches;
    std::uint64_t page_faults = 0;
    TracePageCache page_cache;
    std::uint64_t disk_read_bytes = 0;
    std::uint64_t disk_write_bytes = 0;
    std::optional<double> cpu_seconds;
    std::optional<double> cpu_seconds_per_gib_sent;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(TraceFigures, bytes_sent, payload_at_device, cpu_copy_bytes,
                                                file_copy_bytes, cpu_copies,
                                                receive_copy_bytes, zerocopy_copied_at_receiver_bytes, syscalls,
                                                syscalls_by_name, syscalls_per_mib_sent,
                                                mode_switches, context_switches, page_faults, page_cache,
                                                disk_read_bytes, disk_write_bytes, cpu_seconds,
                                                cpu_seconds_per_gib_sent)

struct TraceProcess {
    std::uint32_t pid = 0;                // host pid (tgid)
    std::vector<std::int64_t> ns_pids;    // NSpid: host first, then each nested pid namespace
    std::string comm;
    std::vector<std::string> cmdline;     // empty when it exited before zctrace read it
    std::uint32_t ppid = 0;
    bool exited = false;
    TraceFigures figures;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(TraceProcess, pid, ns_pids, comm, cmdline, ppid, exited, figures)

// One way the program moved bytes to its sockets, told by the syscalls that
// returned them, matched to the theory row that fits.
struct TraceFlow {
    std::string technique;    // sendfile, splice, read_write, mmap_write, user_memory, msg_zerocopy, kernel_buffer
    std::string description;  // e.g. "file -> socket by sendfile(), as page references"
    std::vector<std::string> syscalls;
    std::uint64_t bytes = 0;
    std::string theory_row;   // id; empty where the seeds have no row
    std::optional<double> theory_cpu_copies;
    double expected_cpu_copies = 0;  // what the flow is held to: the row, or the kernel's code where there is none
    std::string expected_from;       // "theory" or "kernel code"
    std::uint64_t measured_copy_bytes = 0;
    double measured_cpu_copies = 0;
    Verdict verdict = Verdict::mismatch;
    std::string reason;
    // Zerocopy flows: the share of their pinned pages the kernel copied at
    // a local receiver (skb_copy_ubufs before delivery).
    std::optional<std::uint64_t> copied_at_local_receiver_bytes;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(TraceFlow, technique, description, syscalls, bytes, theory_row,
                                                theory_cpu_copies, expected_cpu_copies, expected_from,
                                                measured_copy_bytes, measured_cpu_copies, verdict, reason,
                                                copied_at_local_receiver_bytes)

// Work the probes saw but could not give to a traced process, or work the
// trace cannot see at all, with its size where it has one.
struct Unattributed {
    std::string what;
    std::optional<std::uint64_t> bytes;
    std::string why;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Unattributed, what, bytes, why)

struct TraceLimits {
    std::uint32_t max_procs = 0;
    std::uint64_t forks_not_followed = 0;  // the cap was hit: these children were not traced
    std::uint64_t procs_not_counted = 0;   // processes past the cap: in the totals, not in `processes`
    std::uint64_t sockets_not_listed = 0;  // the socket table was full: in the totals, not in `connections`
    std::uint32_t max_sockets = 0;         // the sender-socket table's size (--max-sockets)
    // Sends on sockets that did not fit in it: their bytes are in the send
    // totals, but what they put on the wire is not in the xmit figures.
    std::uint64_t sends_on_untracked_sockets = 0;
    std::uint64_t connections_left_out = 0;  // listed by the probes, beyond the report's kMaxConnections
    std::uint64_t files_not_listed = 0;      // the file table was full
    std::uint64_t files_left_out = 0;        // beyond the report's kMaxFiles
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(TraceLimits, max_procs, forks_not_followed, procs_not_counted,
                                                sockets_not_listed, connections_left_out, files_not_listed,
                                                files_left_out, max_sockets, sends_on_untracked_sockets)

// How the bytes sent on one socket were taken by tcp_sendmsg (bytes the
// calls returned), and how they left at the device.
struct ConnectionSent {
    std::uint64_t user_copy = 0;
    std::uint64_t kernel_copy = 0;
    std::uint64_t spliced = 0;
    std::uint64_t spliced_copied = 0;
    std::uint64_t zerocopy = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ConnectionSent, user_copy, kernel_copy, spliced, spliced_copied,
                                                zerocopy)

struct ConnectionAtDevice {
    std::uint64_t payload_bytes = 0;
    std::uint64_t page_cache_frag_bytes = 0;
    std::uint64_t zerocopy_frag_bytes = 0;
    std::uint64_t copied_frag_bytes = 0;
    std::uint64_t linear_payload_bytes = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ConnectionAtDevice, payload_bytes, page_cache_frag_bytes,
                                                zerocopy_frag_bytes, copied_frag_bytes, linear_payload_bytes)

// One file whose page cache the traced processes used.
struct TraceFile {
    std::string path;    // from the dentry and the mount point; "" when the probes saw no name
    std::string device;  // "major:minor"
    std::uint64_t inode = 0;
    std::uint32_t pid = 0;  // the process that first used it
    std::string comm;
    std::uint64_t read_bytes = 0;               // read() family: copied into user memory
    std::uint64_t sent_by_reference_bytes = 0;  // sendfile/splice to a socket, as page references
    std::uint64_t sent_copied_bytes = 0;        // ... copied: no SG on the route
    std::uint64_t other_bytes = 0;              // splice to a pipe, sendfile to a file
    std::uint64_t written_bytes = 0;            // write() family: copied from user memory into its page cache
    TracePageCache page_cache;
    std::uint64_t disk_read_pages = 0;  // misses: pages the kernel read from the disk into the cache
    std::uint64_t disk_read_bytes = 0;   // bios queued for its pages (block_bio_queue) by the traced tasks
    std::uint64_t disk_write_bytes = 0;  // ... to write them; writeback by kworkers is not theirs
    std::uint64_t written_pages = 0;    // pages a copy into it (copy_file_range) added to its cache
    std::uint64_t mmap_faults = 0;
    std::uint64_t mapped_pages = 0;     // fault-around
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(TraceFile, path, device, inode, pid, comm, read_bytes,
                                                sent_by_reference_bytes, sent_copied_bytes, other_bytes, written_bytes,
                                                page_cache,
                                                disk_read_pages, disk_read_bytes, disk_write_bytes, written_pages,
                                                mmap_faults, mapped_pages)

// One TCP socket of the traced processes.
struct TraceConnection {
    std::uint32_t pid = 0;  // the process that first sent or received on it
    std::string comm;
    std::string local;   // "127.0.0.1:8080"; "[ipv6]" where the socket is IPv6
    std::string remote;
    bool closed = false;
    std::uint64_t send_calls = 0;  // syscalls and io_uring requests
    std::uint64_t bytes_sent = 0;
    ConnectionSent sent;
    std::uint64_t cpu_copy_bytes = 0;  // copied on the way out: by tcp_sendmsg, and into the linear area at the device
    ConnectionAtDevice at_device;
    std::uint64_t resent_bytes = 0;
    std::uint64_t receive_copy_bytes = 0;
    std::uint64_t zerocopy_copied_at_receiver_bytes = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(TraceConnection, pid, comm, local, remote, closed, send_calls,
                                                bytes_sent, sent, cpu_copy_bytes, at_device, resent_bytes,
                                                receive_copy_bytes, zerocopy_copied_at_receiver_bytes)

// io_uring requests of the traced tasks (their bytes are in syscall_bytes,
// named "io_uring:<op>").
struct TraceUring {
    std::uint64_t completions = 0;
    std::map<std::string, std::uint64_t> requests_by_op;  // "io_uring:send" -> completed requests
    // send_zc's notifications, and how many said the kernel copied the
    // pages after all (IORING_NOTIF_USAGE_ZC_COPIED; only with
    // IORING_SEND_ZC_REPORT_USAGE): the kernel's own verdict.
    std::uint64_t zc_notifications = 0;
    std::uint64_t zc_notifications_copied = 0;
    // CQEs that found the ring full (io_uring_cqe_overflow): the kernel
    // posts them later without io_uring_complete, so their bytes are not in
    // the figures.
    std::uint64_t cqe_overflows = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(TraceUring, completions, requests_by_op, zc_notifications,
                                                zc_notifications_copied, cqe_overflows)

struct TraceDevice {
    std::string name;
    bool sg = false;
    bool dma_capable = false;
    std::uint64_t payload_bytes = 0;
    std::uint64_t shared_frag_bytes = 0;
    std::uint64_t zerocopy_frag_bytes = 0;
    std::uint64_t copied_frag_bytes = 0;
    std::uint64_t linear_payload_bytes = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(TraceDevice, name, sg, dma_capable, payload_bytes, shared_frag_bytes,
                                                zerocopy_frag_bytes, copied_frag_bytes, linear_payload_bytes)

// `trace --interval`: the counters so far, every interval (an NDJSON
// "trace_sample" line, or a line of the live text table).
struct TraceSample {
    int schema_version = 3;  // of the NDJSON line (kNdjsonSchemaVersion)
    std::uint64_t seq = 0;
    std::string time;  // UTC, milliseconds
    double elapsed_seconds = 0;
    double interval_seconds = 0;
    std::uint64_t bytes_sent = 0;
    std::uint64_t receive_copy_bytes = 0;
    CopyBytes cpu_copy_bytes;
    std::optional<double> cpu_copies;
    std::uint64_t spliced_bytes = 0;  // sent as page references so far
    std::uint64_t syscalls = 0;
    std::uint64_t page_cache_lookup_pages = 0;
    std::uint64_t page_cache_misses = 0;
    std::uint64_t processes = 0;
    // over the last interval
    double bytes_sent_per_second = 0;
    double cpu_copy_bytes_per_second = 0;
    double syscalls_per_second = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(TraceSample, schema_version, seq, time, elapsed_seconds,
                                                interval_seconds, bytes_sent, receive_copy_bytes, cpu_copy_bytes,
                                                cpu_copies, spliced_bytes, syscalls, page_cache_lookup_pages,
                                                page_cache_misses, processes, bytes_sent_per_second,
                                                cpu_copy_bytes_per_second, syscalls_per_second)

// trace --bpf-stats windows|always: what bpf_stats read in its windows,
// scaled to the whole trace. zctrace's own figure (overhead) comes from the
// programs' count and sample, over the whole trace; without bpf_stats these
// stay 0 (sampled_fraction 1).
struct OverheadSampling {
    double bpf_stats_seconds = 0;  // how long bpf_stats was on
    double traced_seconds = 0;
    double sampled_fraction = 1;   // the first over the second
    std::uint64_t estimated_bpf_run_ns = 0;  // overhead.bpf_stats.run_ns / sampled_fraction
    std::uint64_t estimated_events = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(OverheadSampling, bpf_stats_seconds, traced_seconds, sampled_fraction,
                                                estimated_bpf_run_ns, estimated_events)

struct TraceReport {
    std::string kind = kTraceKind;
    int schema_version = kTraceSchemaVersion;
    std::string tool;
    std::string created_at;
    std::string kernel;
    TraceTargetInfo target;
    double seconds = 0;
    std::string ended_by;  // command_exited, targets_exited, duration, interrupted
    std::optional<CommandExit> command_exit;
    std::string hooks = "full";  // or "light" (--hooks)
    std::optional<LightHooksSummary> light;
    std::string headline;
    Verdict verdict = Verdict::mismatch;  // the worst of the flows'
    std::vector<TraceFlow> flows;
    std::vector<std::string> findings;
    std::vector<Unattributed> unattributed;
    TraceFigures totals;
    std::vector<SyscallBytes> syscall_bytes;
    std::optional<TraceUring> io_uring;  // when the traced tasks completed io_uring requests
    std::vector<TraceDevice> devices;
    SocketStats sockets;
    std::map<std::string, std::int64_t> tcp_counters;
    std::vector<TraceProcess> processes;
    std::vector<TraceConnection> connections;  // the busiest first
    std::vector<TraceFile> files;              // the busiest first
    TraceLimits limits;
    std::string cpu_seconds_from;
    std::vector<ProbeUse> probes;
    Overhead overhead;  // as bpf_stats measured it, in its windows
    OverheadSampling overhead_sampling;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(TraceReport, kind, schema_version, tool, created_at, kernel, target,
                                                seconds, ended_by, command_exit, hooks, light, headline, verdict, flows, findings,
                                                unattributed, totals, syscall_bytes, io_uring, devices, sockets, tcp_counters,
                                                processes, connections, files, limits, cpu_seconds_from, probes, overhead,
                                                overhead_sampling)

}  // namespace zctrace
