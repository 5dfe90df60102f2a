// summary.html: the summary and its charts in one self-contained page
// (inline SVG and CSS, nothing fetched).
#pragma once

#include <string>
#include <vector>

#include "output/summary.hpp"
#include "report/run_report.hpp"

namespace zctrace {

std::string render_summary_html(const Summary& summary, const std::vector<Report>& reports);

}  // namespace zctrace
