// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// Run reports as OpenMetrics text, for Prometheus (node_exporter's textfile
// collector) and the Grafana dashboard in dashboards/zctrace.json.
//
// Every family is a gauge: a report holds the results of a finished run, not
// a count that keeps growing. Every per-report series carries the labels
// technique, theory_row, network (loopback|veth), sg (on|off|unknown: the
// payload device's scatter-gather) and cache (warm|cold); the output does not
// depend on the order of the reports.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "report/run_report.hpp"
#include "report/trace_report.hpp"

namespace zctrace {

// Fails (bad input) when two reports would give the same series.
Result<std::string> render_openmetrics(const std::vector<Report>& reports);
// The same; `sources` (the reports' files, parallel to `reports`, or empty)
// name the reports in errors.
Result<std::string> render_openmetrics(const std::vector<Report>& reports, const std::vector<std::string>& sources);
// Run reports and trace reports in one exposition (the run families only
// when there are run reports).
Result<std::string> render_openmetrics(const std::vector<Report>& reports, const std::vector<std::string>& sources,
                                       const std::vector<TraceReport>& traces,
                                       const std::vector<std::string>& trace_sources);

// A sample value as OpenMetrics text: integers in full, doubles in the
// shortest form that reads back to the same double.
std::string openmetrics_number(std::uint64_t value);
std::string openmetrics_number(std::int64_t value);
std::string openmetrics_number(double value);

// A label value between its quotes: backslash, double quote and newline escaped.
std::string openmetrics_escape(const std::string& value);

// Seconds since the epoch for a report's created_at (YYYY-MM-DDTHH:MM:SSZ).
Result<std::int64_t> parse_created_at(const std::string& created_at);

}  // namespace zctrace
