// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// Whether a run's measurement can be trusted: the probes saw all of the
// workload (every call it tallied, every payload byte at sendmsg and at the
// device, no skipped probe runs), independent counters agree with them
// (getrusage, /proc/self/io, the child's smaps, sendmsg against xmit), and
// the report's figures agree with each other. Each is a check whose verdict
// is match or invalid.
#pragma once

#include <vector>

#include "report/run_report.hpp"

namespace zctrace {

std::vector<Check> cross_checks(const Report& report);

}  // namespace zctrace
