// Several run reports side by side: one row per report with its headline
// figures against the theory row (summary.json, summary.md, the terminal
// table), plus what the HTML report draws from.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.hpp"
#include "report/run_report.hpp"

namespace zctrace {

inline constexpr int kSummarySchemaVersion = 1;

struct SummaryRow {
    std::string label;  // technique, qualified when not warm loopback, e.g. "sendfile (veth, SG off)"
    std::string technique;
    std::string theory_row;
    std::string network;  // loopback | veth
    std::string cache;    // warm | cold
    std::optional<bool> device_sg;
    std::uint64_t bytes = 0;
    double cpu_copies = 0;
    double theory_cpu_copies = 0;
    double dma_copies = 0;
    double theory_dma_copies = 0;
    double syscalls_per_transfer = 0;
    std::optional<double> theory_syscalls_per_transfer;
    double mode_switches_per_transfer = 0;
    std::optional<double> theory_mode_switches_per_transfer;
    double cpu_seconds_per_gib = 0;
    double mib_per_second = 0;
    std::optional<double> hit_ratio;
    Verdict verdict = Verdict::mismatch;
    int checks_matched = 0;
    int checks_explained = 0;
    int checks_mismatched = 0;
    bool integrity_ok = false;
    double overhead_share = 0;  // bpf_stats run time / the workload's CPU
    std::string report_created_at;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(SummaryRow, label, technique, theory_row, network, cache, device_sg, bytes, cpu_copies, theory_cpu_copies, dma_copies, theory_dma_copies, syscalls_per_transfer, theory_syscalls_per_transfer, mode_switches_per_transfer, theory_mode_switches_per_transfer, cpu_seconds_per_gib, mib_per_second, hit_ratio, verdict, checks_matched, checks_explained, checks_mismatched, integrity_ok, overhead_share, report_created_at)

struct Summary {
    int schema_version = kSummarySchemaVersion;
    std::string kind = "zctrace.summary";
    std::string tool;
    std::string created_at;  // the newest report's: a summary of the same reports is the same file
    std::vector<std::string> kernels;  // distinct, in row order
    std::vector<SummaryRow> rows;
    Verdict verdict = Verdict::match;  // the worst row's
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Summary, schema_version, kind, tool, created_at, kernels, rows, verdict)

Summary summarize(const std::vector<Report>& reports);

// A figure cell: "2.00 / 2", "0.0006 / 0", "3.00 / —" (no theory figure).
std::string format_summary_cell(double measured, std::optional<double> theory);

// The table, as Markdown with padded columns: summary.md's body and what
// `run` prints to the terminal.
std::string render_summary_table(const Summary& summary);
// summary.md: a heading, the table, then every deviation and why.
std::string render_summary_markdown(const Summary& summary, const std::vector<Report>& reports);

struct SummaryFiles {
    std::filesystem::path json;
    std::filesystem::path markdown;
    std::filesystem::path html;
};
// Writes summary.json, summary.md and summary.html into dir, each whole or
// not at all (temp file, then rename).
Result<SummaryFiles> write_summary_files(const Summary& summary, const std::vector<Report>& reports,
                                         const std::filesystem::path& dir);
// Removes the summary files in dir (a run is about to replace reports they
// describe); true if there were any.
bool remove_summary_files(const std::filesystem::path& dir);
// The table and where the files went, as `run` and `summarize` print them.
std::string describe_summary(const Summary& summary, const SummaryFiles& files);

}  // namespace zctrace
