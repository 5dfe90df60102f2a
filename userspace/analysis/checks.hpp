// Holds a measured report against the theory table: picks the theory row,
// checks each count, and explains every deviation from measured evidence.
#pragma once

#include <cstdint>
#include <vector>

#include "report/run_report.hpp"

namespace zctrace {

// Tolerances: copies are byte ratios; per-transfer counts are call ratios.
inline constexpr double kCopyTolerance = 0.02;
inline constexpr double kPerTransferTolerance = 0.02;

// Payload the CPU copied between the page cache and the device for a
// page-cache technique: in sendmsg, at xmit, or into socket-owned frags.
// What tells the two sendfile rows apart.
std::uint64_t copied_on_the_way_out(const Measured& measured);

// Fills theory_row, theory_row_selection, theory, checks, verdict and
// findings from technique, measured, workload and environment.
void analyze(Report& report);

Verdict judge(double theory, double measured, double tolerance);
Verdict overall_verdict(const std::vector<Check>& checks);

}  // namespace zctrace
