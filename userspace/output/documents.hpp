// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// Reading zctrace's JSON documents back from files: reports, gather reports,
// summaries and diffs, each identified, version-checked and validated
// against its schema before anything else looks at it.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.hpp"
#include "report/run_report.hpp"
#include "report/trace_report.hpp"

namespace zctrace {

enum class DocumentKind { report, gather, summary, diff, trace };
std::string_view document_kind_name(DocumentKind kind);
// The newest schema_version of each kind that this zctrace reads and writes.
int supported_schema_version(DocumentKind kind);

struct Document {
    std::string source;  // the path, or "<path>:<line>" for an NDJSON line
    DocumentKind kind = DocumentKind::report;
    nlohmann::json json;
};

// Which zctrace document `json` is, checked against its schema. Fails (as
// bad input) for foreign JSON, a schema_version from the future, or a
// document its schema rejects; `source` names it in the message.
Result<Document> identify_document(nlohmann::json json, const std::string& source);

// Reads, parses and identifies one file.
Result<Document> load_document(const std::filesystem::path& path);

// One run report; any other document is bad input.
Result<Report> load_report(const std::filesystem::path& path);

struct LoadedReport {
    std::filesystem::path path;
    Report report;
};

// Run reports named on a command line. A directory stands for the reports
// in it (its *.json files, sorted; the gather reports, summaries and diffs
// that share `--out reports` with them are skipped). Fails on the first file
// that is not a report, or when none is found.
Result<std::vector<LoadedReport>> load_report_files(const std::vector<std::filesystem::path>& paths);
// The same, without the paths.
Result<std::vector<Report>> load_reports(const std::vector<std::filesystem::path>& paths);

struct RunAndTraceReports {
    std::vector<Report> runs;
    std::vector<TraceReport> traces;  // in the order named
};
// Run reports and trace reports named on a command line, read as
// load_report_files reads run reports: a directory stands for both kinds in
// it. Fails on the first file that is neither, or when none is found.
// With `skipped`, a file named on its own that is another zctrace document
// (summary.json, a gather report, a diff; a glob of reports/ names them) is
// left out with a line in `skipped` that says what it is; foreign or broken
// JSON still fails.
Result<RunAndTraceReports> load_run_and_trace_reports(const std::vector<std::filesystem::path>& paths,
                                                      std::vector<std::string>* skipped = nullptr);

// "reports/summary.json is a zctrace summary, not a run or trace report":
// why a document named among reports was left out.
std::string not_a_report_note(const std::filesystem::path& path, DocumentKind kind);

// nlohmann's parse error without its "[json.exception.parse_error.101] " tag.
std::string describe_parse_error(const nlohmann::json::parse_error& error);
// The first `shown` schema problems, "; "-joined, then "and N more".
std::string join_schema_problems(const std::vector<std::string>& problems, std::size_t shown = 3);

}  // namespace zctrace
