// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// `run --repeat N`: one report from N runs of the same technique. Timed
// figures are noisy, so the report carries their medians and spread; counts
// are the technique's and should not move, so any that did is named.
#pragma once

#include <vector>

#include "report/run_report.hpp"

namespace zctrace {

// The first run's counts, every timed figure's median (its min and max in
// workload.repeats), each run's verdict, and the counts that differed; then
// judged again. `runs` holds at least one analyzed report of one technique.
Report combine_repeats(std::vector<Report> runs);

}  // namespace zctrace
