// Holds a measured report against the theory table: picks the theory row,
// checks each count, and explains every deviation from measured evidence.
#pragma once

#include "report.hpp"
#include "session.hpp"
#include "technique.hpp"

namespace zctrace {

// Tolerances: copies are byte ratios; per-transfer counts are call ratios.
inline constexpr double kCopyTolerance = 0.02;
inline constexpr double kPerTransferTolerance = 0.02;

// Facts about the host, gathered once per zctrace invocation.
struct HostFacts {
    std::string kernel;
    std::string machine;
    std::string lockdown;
    int cpus = 0;
};
HostFacts gather_host_facts();
// Payload the CPU copied between the page cache and the device for a
// page-cache technique: in sendmsg, at xmit, or into socket-owned frags.
// What tells the two sendfile rows apart.
std::uint64_t copied_on_the_way_out(const Measured& measured);

// Now, in UTC, ISO 8601: every report's created_at.
std::string utc_now();

// Builds the whole report for one run: measured figures, then analyze().
Report build_report(const RunObservation& observation, const HostFacts& host);

// large_file_async_direct's figures beside its buffered baseline's.
Comparison compare_read_paths(const Report& direct, const Report& buffered);

// Fills theory_row, theory_row_selection, theory, checks, verdict and
// findings from technique, measured, workload and environment.
void analyze(Report& report);

Verdict judge(double theory, double measured, double tolerance);
Verdict overall_verdict(const std::vector<Check>& checks);

}  // namespace zctrace
