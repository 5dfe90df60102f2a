// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// One run's observation becomes its report: the workload's own figures, the
// environment, the measured counts (measurement.hpp), and then the checks
// against the theory table (checks.hpp).
#pragma once

#include "base/system.hpp"
#include "report/run_report.hpp"
#include "runs/session.hpp"

namespace zctrace {

// Builds the whole report for one run: measured figures, then analyze().
Report build_report(const RunObservation& observation, const HostFacts& host);

// large_file_async_direct's figures beside its buffered baseline's.
Comparison compare_read_paths(const Report& direct, const Report& buffered);

}  // namespace zctrace
