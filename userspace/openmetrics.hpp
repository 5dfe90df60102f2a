// Run reports as OpenMetrics text, for Prometheus (node_exporter's textfile
// collector) and the Grafana dashboard in dashboards/zctrace.json.
#pragma once

#include <string>
#include <vector>

#include "error.hpp"
#include "report.hpp"

namespace zctrace {

// Fails (bad input) when two reports would give the same series.
Result<std::string> render_openmetrics(const std::vector<Report>& reports);

}  // namespace zctrace
