// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// summary.html: one headline per report first, then the summary table, its
// charts and each report's checks, in one self-contained page (inline SVG
// and CSS, nothing fetched). Each of the six check verdicts has a style of
// its own.
#pragma once

#include <string>
#include <vector>

#include "output/summary.hpp"
#include "report/run_report.hpp"

namespace zctrace {

std::string render_summary_html(const Summary& summary, const std::vector<Report>& reports);

}  // namespace zctrace
