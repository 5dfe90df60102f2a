// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// TraceObservation (what the probes counted on a program zctrace did not
// write) -> TraceReport: its figures, the flows its bytes took (told by the
// syscalls that returned them), each matched to the theory row that fits and
// judged against it in bytes.
#pragma once

#include "base/system.hpp"
#include "report/trace_report.hpp"
#include "runs/trace_session.hpp"

namespace zctrace {

TraceReport build_trace_report(const TraceObservation& observation, const HostFacts& host);

// The counters so far as a sample; rates are over the time since `previous`
// (none for the first). The caller sets seq and time.
TraceSample sample_trace(const RawCounters& counters, double elapsed_seconds, const TraceSample* previous);

// The flows and their verdicts from the figures alone, so the rules can be
// tested on numbers that must pass and numbers that must fail.
struct FlowInputs {
    std::vector<SyscallBytes> syscall_bytes;
    std::uint64_t device_linearize = 0;  // payload copied at xmit
    std::optional<bool> device_sg;       // of the device most of the payload left through
    std::string device;
    // Per process: a read and a write pair up only within one process, so a
    // loader's reads in one process are not taken for the source of another's
    // writes. Without processes (past --max-procs), the totals pair up.
    struct ProcessBytes {
        std::uint64_t file_to_user = 0;
        std::uint64_t user_copy = 0;
        std::uint64_t file_mapped = 0;  // file pages mapped into it inside syscalls that faulted (rss_stat)
        std::uint64_t user_to_page_cache = 0;  // written by write() calls into regular files
    };
    std::vector<ProcessBytes> processes;
    // The filesystem copy_file_range's source lives on (e.g. "ext4"), to
    // know whether it can share extents instead of copying.
    std::string copy_filesystem;
};
std::vector<TraceFlow> classify_flows(const FlowInputs& inputs);
Verdict overall_verdict(const std::vector<TraceFlow>& flows);

}  // namespace zctrace
