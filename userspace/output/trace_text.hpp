// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// `zctrace trace` for people: the answer first (the flows and what they
// cost), then the findings, the per-process table, the counts, and what the
// trace could not attribute.
#pragma once

#include <cstddef>
#include <string>

#include "report/trace_report.hpp"

namespace zctrace {

std::string render_trace(const TraceReport& report, std::size_t width);

}  // namespace zctrace
