// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// Two run reports (or two trace reports) compared metric by metric (`zctrace diff`): SG on against
// off, one kernel against another, one machine against another. The JSON
// form is schema_version 3, reports/schema/diff.v3.schema.json.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "report/run_report.hpp"
#include "report/trace_report.hpp"

namespace zctrace {

// 2: the finer verdicts of version 2 reports; each side's headline, expected
// and measured row; each check's expected value. 3: diffs of trace reports
// (metrics under totals, flows, seconds). Older diffs still validate.
inline constexpr int kDiffSchemaVersion = 3;

// Who A and B are.
struct DiffSide {
    std::string path;
    std::string tool;
    std::string created_at;
    int report_schema_version = kReportSchemaVersion;  // 1: no headline, no expected row, three verdicts
    std::string technique;
    std::string headline;  // empty for a version 1 report
    std::string theory_id;
    std::string theory_row;
    std::string expected_row;  // the row id chosen before the run; empty for a version 1 report
    std::optional<std::string> measured_row;  // the candidate the CPU copies match; none, or a version 1 report
    std::string theory_row_reason;  // why this row
    Verdict verdict = Verdict::mismatch;
};

// A setting of the run that differs between A and B and may explain the
// metrics that moved (kernel, device_sg, payload_bytes, ...). Values are
// JSON scalars; null where the report does not know.
struct EnvironmentDifference {
    std::string field;
    nlohmann::json a;
    nlohmann::json b;
};

// One numeric leaf of the reports, by dotted path ("measured.cpu_copies",
// "measured.socket.devices[egress].bytes"). Null on a side that lacks it.
struct MetricDiff {
    std::string metric;
    nlohmann::json a;
    nlohmann::json b;
    nlohmann::json delta;  // b - a: an integer when both are, null unless both are numbers
    nlohmann::json ratio;  // b / a, null when a is 0 or missing
    bool headline = false;
    // A timed figure whose difference is within the noise: one side's run was
    // too short or too small to time, or with --repeat the difference is
    // within the two runs' spread.
    bool within_noise = false;
    [[nodiscard]] bool changed() const { return a != b; }
};

struct CheckDiff {
    std::string metric;
    std::optional<Check> a;  // empty when that report has no such check
    std::optional<Check> b;
    [[nodiscard]] bool changed() const;
};

struct ReportDiff {
    DiffSide a;
    DiffSide b;
    std::vector<EnvironmentDifference> environment;  // only what differs
    std::vector<MetricDiff> metrics;  // every metric: headline ones first, then by path
    std::vector<CheckDiff> checks;    // every check, in A's order, then B's extras
    std::vector<std::string> notes;   // what the numbers alone do not say
};

// `a_path` and `b_path` are how the diff names the reports.
ReportDiff diff_reports(const Report& a, const Report& b, std::string a_path, std::string b_path);
// Two `zctrace trace` reports (nginx with sendfile on and off, before and
// after an upgrade): totals, flows and overhead by path, and each flow as a
// check against its row. The same table and diff.v2 JSON as run reports.
ReportDiff diff_traces(const TraceReport& a, const TraceReport& b, std::string a_path, std::string b_path);

// What the table and the JSON show: by default the headline metrics (unless
// zero on both sides) and whatever else in measured, workload or comparison
// changed; with `all`, every metric. Overhead detail (per-program run times)
// moves from run to run and is left to `all`.
bool metric_shown(const MetricDiff& metric, bool all);

nlohmann::json diff_to_json(const ReportDiff& diff, bool all);
// For people: who A and B are, the environment that differs, the checks that
// changed, the metrics, and notes.
std::string render_diff_table(const ReportDiff& diff, bool all);

}  // namespace zctrace
