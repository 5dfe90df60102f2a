// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// Holds a measured report against the theory table. The row is chosen before
// looking at the copies, from what the egress device can do; every count is
// then judged against it, and a deviation is explained only by measured
// causes that account for all of it. Coverage and cross-checks make a run
// whose measurement is incomplete invalid instead of quietly low.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "analysis/theory.hpp"
#include "report/run_report.hpp"

namespace zctrace {

// Copies are byte ratios: 2% of the payload is a few headers' worth of
// segments riding in linear space. Calls are counted exactly.
inline constexpr double kCopyTolerance = 0.02;
inline constexpr double kCallTolerance = 0.0;

// Payload the CPU copied between the page cache and the device for a
// page-cache technique: in sendmsg, at xmit, or into socket-owned frags.
std::uint64_t copied_on_the_way_out(const Measured& measured);

// The row a run is held to, decided from the environment alone.
struct ExpectedRow {
    const TheoryRow* row = nullptr;
    std::vector<std::string> candidates;
    std::string reason;
};
ExpectedRow expected_row(const Report& report);

// Fills theory_row, theory_row_selection, theory, checks, verdict, findings
// and headline from technique, measured, workload and environment. It reads
// nothing else, so a stored report can be judged again (`zctrace check`).
void analyze(Report& report);

// match within the tolerance, else mismatch.
Verdict judge(double expected, double measured, double tolerance);
// match (no_theory where the seeds give no figure) within the tolerance;
// otherwise environment or explained when the causes account for the whole
// deviation (same sign, and |measured - expected - sum| <= tolerance),
// environment only when every cause is; otherwise mismatch.
Verdict judge_deviation(double expected, double measured, double tolerance, const std::vector<Cause>& causes,
                        bool from_theory);
// invalid, else mismatch, else explained, else match.
Verdict overall_verdict(const std::vector<Check>& checks);

}  // namespace zctrace
