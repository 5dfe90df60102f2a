// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// One run of one technique: attach the probes, start the receiver and the
// sender, wait, and collect everything that was measured.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "base/netns.hpp"
#include "runs/machine_costs.hpp"
#include "runs/workload_file.hpp"
#include "tracing/probes.hpp"
#include "workloads/technique.hpp"
#include "workloads/workload.hpp"

namespace zctrace {

enum class CacheState { warm, cold };

// How the bytes travel: over lo, or over a veth pair between two private
// network namespaces that zctrace creates for the run (sender in one,
// receiver in the other), with scatter-gather on or off at the sender's end.
enum class Transport { loopback, veth };

struct RunSpec {
    Technique technique = Technique::sendfile;
    std::uint64_t chunk = 64 * 1024;
    CacheState cache = CacheState::warm;
    ProbeFlavor probes = ProbeFlavor::typed;
    Transport transport = Transport::loopback;
    bool scatter_gather = true;  // veth only: the sender end's tx-scatter-gather
    std::uint64_t write_pages = 10;  // cow: pages the child writes (0: it only reads)
    workload::ReceiveMode receive = workload::ReceiveMode::copy;  // how the receiver takes the stream
    // bpf_stats times the probes' runs too: all of them (always), or those
    // in a 5 ms window of every 50 ms while the workload runs (windows).
    BpfStatsMode bpf_stats = BpfStatsMode::off;
    BystanderFilter bystander_filter = BystanderFilter::automatic;
};

// large_file_async_direct is judged against a buffered read of the same file;
// both start from a cold cache, since pollution is what they are compared on.
constexpr bool has_buffered_baseline(Technique technique)
{
    return technique == Technique::large_file_async_direct;
}

std::string_view transport_name(Transport transport);

struct SessionHooks {
    // Called once the probes are attached and before the workload starts.
    std::function<void(const Tracer&)> on_attached;
    // Called about every 100 ms while the workload runs.
    std::function<void(std::uint64_t received, std::uint64_t total, double seconds)> on_progress;
    // Called every sample_interval_seconds while the workload runs, with the
    // probes' counters read from their maps at that moment.
    // The technique is the one running: large_file_async_direct's buffered
    // baseline samples as large_file_buffered.
    std::function<void(Technique technique, const RawCounters& counters, std::uint64_t received, double seconds)>
        on_sample;
    double sample_interval_seconds = 0;  // 0: no samples
    // The sender process's body; empty: the bundled workload::run_sender.
    // Tests put senders here that do something other than what their
    // technique says, to show the verdicts catch them.
    std::function<int(const workload::SenderSpec& spec, int go_fd, int report_fd)> sender;
};

// Everything one run produced, before any analysis.
struct RunObservation {
    RunSpec spec;
    WorkloadFile file;
    std::uint64_t resident_pages_before = 0;
    workload::SenderReport sender;
    workload::ReceiverReport receiver;
    RawCounters counters;
    std::vector<AttachedProbe> probes;
    std::vector<ProgramStats> program_stats;  // accumulated while the workload ran
    double attach_seconds = 0;
    ProbeClock probe_clock;
    // veth: the sender end's features as read back after setting them.
    std::string sender_link;
    std::optional<bool> sender_link_sg;
    // The device the payload should leave through and its offloads, read
    // before the workload started (lo, or the sender's veth end).
    std::string egress_device;
    Offloads egress_offloads;
    // How the TCP counters of the sender's namespace changed while the
    // workload ran: every socket in it counts (lo: the host's too).
    TcpCounters tcp_counters;
    // veth: the frames and bytes the sender's end sent while the workload
    // ran, by the device's own count.
    std::optional<DeviceTxCounters> egress_sent;
    std::uint64_t resident_pages_after = 0;  // mincore() once the workload finished
    std::uint64_t interval_samples = 0;      // counter reads while the workload ran (--interval)
    // --bpf-stats windows: how many windows bpf_stats was switched on for,
    // and for how long in all, while the workload ran.
    std::uint64_t bpf_stats_windows = 0;
    double bpf_stats_seconds = 0;
    // copy_file_range: whether the workload directory's filesystem shared a
    // block between two files when asked (FICLONE before the run), and why
    // not when it did not.
    std::optional<bool> filesystem_shares_extents;
    std::string shares_extents_why;
    // large_file_async_direct: the traced buffered run it is compared with.
    std::shared_ptr<const RunObservation> baseline;
    // This machine's memcpy, syscall and fault costs, measured (or read from
    // this boot's cache) before the probes were attached: the cost model.
    MachineCosts machine;
};

// With `shared`, the run resets those probes (Tracer::retarget) instead of
// attaching its own: one attach serves every run of a file.
Result<RunObservation> run_technique(const RunSpec& spec, const WorkloadFile& file, const SessionHooks& hooks,
                                     Tracer* shared = nullptr);
// Probes for several runs of one file, attached once; this machine's costs
// are measured (or read from this boot's cache) first.
Result<std::unique_ptr<Tracer>> attach_for_runs(const std::vector<RunSpec>& specs, const WorkloadFile& file);

// A run counts only if the sender's marker opened and closed its window
// exactly once; otherwise every figure would be a silent zero.
Result<void> check_window(const RawCounters& counters);

}  // namespace zctrace
