// One run of one technique: attach the probes, start the receiver and the
// sender, wait, and collect everything that was measured.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "error.hpp"
#include "probes.hpp"
#include "technique.hpp"
#include "workload.hpp"
#include "workload_file.hpp"

namespace zctrace {

enum class CacheState { warm, cold };

struct RunSpec {
    Technique technique = Technique::sendfile;
    std::uint64_t chunk = 64 * 1024;
    CacheState cache = CacheState::warm;
    ProbeFlavor probes = ProbeFlavor::typed;
};

struct SessionHooks {
    // Called once the probes are attached and before the workload starts.
    std::function<void(const Tracer&)> on_attached;
    // Called about every 100 ms while the workload runs.
    std::function<void(std::uint64_t received, std::uint64_t total, double seconds)> on_progress;
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
};

Result<RunObservation> run_technique(const RunSpec& spec, const WorkloadFile& file, const SessionHooks& hooks);

// A run counts only if the sender's marker opened and closed its window
// exactly once; otherwise every figure would be a silent zero.
Result<void> check_window(const RawCounters& counters);

}  // namespace zctrace
