// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// The sender's CPU time, split by what it did: copies at this machine's
// memcpy bandwidth, syscalls at its null-syscall round trip, page faults at
// its fresh-page fault cost, and the residual nothing here prices.
#pragma once

#include "report/run_report.hpp"

namespace zctrace {

// From the report's measured counts and the sender's measured CPU time; the
// prices are the machine's own. The parts add up to the measured time.
CostModel cost_model(const Report& report, const MachineCosts& machine);

}  // namespace zctrace
