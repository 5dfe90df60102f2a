// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// Several run reports side by side: one row per report with its headline
// figures against the theory row (summary.json, summary.md, the terminal
// table), plus what the HTML report draws from; and trace reports (`zctrace
// trace`) beside them, one row each with the figures the trace gives.
#pragma once

#include <array>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.hpp"
#include "report/run_report.hpp"
#include "report/trace_report.hpp"

namespace zctrace {

// 2: each row's headline, and its checks counted by each of the six check
// verdicts (version 1 counted match, explained and mismatch).
// 3: trace reports as `traces`, left out when there are none, so that a
// summary of run reports alone reads as version 2 did but for its number;
// `rows` may be empty when there are traces.
// Versions 1 and 2 still validate (reports/schema/summary.v<N>.schema.json).
inline constexpr int kSummarySchemaVersion = 3;

// How many of a report's checks got each verdict; the JSON keys are the
// verdicts' names.
struct CheckVerdictCounts {
    int match = 0;
    int environment = 0;
    int explained = 0;
    int no_theory = 0;
    int invalid = 0;
    int mismatch = 0;

    int& operator[](Verdict verdict);
    int operator[](Verdict verdict) const;
    [[nodiscard]] int total() const;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(CheckVerdictCounts, match, environment, explained, no_theory, invalid, mismatch)

// A check verdict's standing: match, environment and no_theory pass (the run
// is what it should be, on this machine or by the workload's design);
// explained deviates for causes that were measured; invalid and mismatch fail.
enum class VerdictStanding { passes, explained, fails };
VerdictStanding verdict_standing(Verdict verdict);

// What a whole report's verdict can be (kReportVerdicts): a check verdict
// that leaves a run a match (environment, no_theory) reads as match.
Verdict as_report_verdict(Verdict verdict);
// The worse of two report verdicts: invalid, then mismatch, then explained,
// then match (an invalid run cannot be compared with anything).
Verdict worse_report_verdict(Verdict a, Verdict b);

// The techniques in the order `zctrace run all` runs them: kAllTechniques
// (workloads/technique.hpp), which this room may not see; a test holds the
// two equal. Rows follow it, whatever order the reports were read in.
inline constexpr std::array<std::string_view, 8> kRunAllOrder = {
    "read_write", "mmap_write", "sendfile", "splice", "direct_io", "direct_io_send", "cow", "large_file_async_direct"};

// The sender's cost parts as the report's cost model names them, in the
// order the summary and the HTML show them; the last is the residual.
inline constexpr std::array<const char*, 4> kSenderCostParts = {"copies", "mode_switches", "page_faults", "residual"};

struct SummaryRow {
    // The technique, and what tells the row apart from the other rows of the
    // same technique, in this order: network, SG, cache, filesystem, payload
    // size, chunk size, kernel; only the fields that differ among them, e.g.
    // "sendfile (veth, SG off)". Rows alike in all of these are repeats of
    // one run, numbered oldest first: "read_write #2".
    std::string label;
    // The report's own one-line answer; empty for a version 1 report, which has none.
    std::string headline;
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
    Verdict verdict = Verdict::mismatch;  // the report's: one of kReportVerdicts
    CheckVerdictCounts check_verdicts;
    bool integrity_ok = false;
    double overhead_share = 0;  // bpf_stats run time / the workload's CPU
    // The cost model's parts in CPU seconds per GiB, by part (kSenderCostParts,
    // then the receiver's whole time and its copy); empty for a report
    // without one.
    std::optional<std::map<std::string, double>> cost_seconds_per_gib;
    // For a chunk-size sweep: how the cost grows per GiB as chunks shrink.
    std::uint64_t chunk_bytes = 0;
    double syscalls_per_gib = 0;
    double mode_switches_per_gib = 0;
    std::string report_created_at;
    // Which of the reports given to summarize() the row shows; not in
    // summary.json, whose rows stand on their own.
    std::size_t report_index = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(SummaryRow, label, headline, technique, theory_row, network, cache, device_sg, bytes, cpu_copies, theory_cpu_copies, dma_copies, theory_dma_copies, syscalls_per_transfer, theory_syscalls_per_transfer, mode_switches_per_transfer, theory_mode_switches_per_transfer, cpu_seconds_per_gib, mib_per_second, hit_ratio, verdict, check_verdicts, integrity_ok, overhead_share, cost_seconds_per_gib, chunk_bytes, syscalls_per_gib, mode_switches_per_gib, report_created_at)

// One way a traced program moved bytes to its sockets (a TraceFlow), as its
// trace's row shows it.
struct SummaryTraceFlow {
    std::string technique;
    std::string theory_row;  // the row's id; empty where the seeds have none
    std::uint64_t bytes = 0;
    double measured_cpu_copies = 0;
    double expected_cpu_copies = 0;  // the theory row's, or the kernel code's where there is no row
    Verdict verdict = Verdict::mismatch;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(SummaryTraceFlow, technique, theory_row, bytes, measured_cpu_copies,
                                                expected_cpu_copies, verdict)

// One trace report. Every figure is the report's own; what the report leaves
// null (nothing sent, no CPU time read) stays null here.
struct SummaryTrace {
    // The target's label; traces that share one are numbered in the order
    // given, as repeated runs are: "nginx #1", "nginx #2".
    std::string label;
    std::string headline;
    std::string target_kind;  // command | pids | cgroup
    double seconds = 0;
    std::string ended_by;
    // The trace's own: the worst of its flows', no_theory when it had none.
    Verdict verdict = Verdict::mismatch;
    std::uint64_t bytes_sent = 0;
    std::uint64_t cpu_copy_bytes = 0;  // the total of the report's cpu_copy_bytes
    std::optional<double> cpu_copies;
    std::uint64_t receive_copy_bytes = 0;
    std::uint64_t syscalls = 0;
    std::optional<double> syscalls_per_mib_sent;
    std::uint64_t page_cache_lookup_pages = 0;
    std::uint64_t page_cache_misses = 0;
    std::optional<double> hit_ratio;
    std::optional<double> cpu_seconds_per_gib_sent;
    std::vector<SummaryTraceFlow> flows;
    // The processes the report lists; those past --max-procs are only in its
    // totals (the report's limits count them).
    std::uint64_t processes = 0;
    std::string report_created_at;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(SummaryTrace, label, headline, target_kind, seconds, ended_by, verdict,
                                                bytes_sent, cpu_copy_bytes, cpu_copies, receive_copy_bytes, syscalls,
                                                syscalls_per_mib_sent, page_cache_lookup_pages, page_cache_misses,
                                                hit_ratio, cpu_seconds_per_gib_sent, flows, processes,
                                                report_created_at)

struct Summary {
    int schema_version = kSummarySchemaVersion;
    std::string kind = "zctrace.summary";
    std::string tool;
    std::string created_at;  // the newest report's: a summary of the same reports is the same file
    std::vector<std::string> kernels;  // distinct, in row order, then the traces'
    std::vector<SummaryRow> rows;
    std::vector<SummaryTrace> traces;  // in the order given
    // The worst row's or trace's (worse_report_verdict).
    Verdict verdict = Verdict::match;
};
// By hand rather than by macro: `traces` is left out when empty (version 3).
void to_json(nlohmann::json& json, const Summary& summary);
void from_json(const nlohmann::json& json, Summary& summary);

// One row per run report, in kRunAllOrder (techniques it does not name come
// after it, by name); rows of one technique by network (loopback first), SG
// (on, off, unknown), cache (warm first), filesystem, payload size, chunk
// size, kernel, then the oldest report first. One trace row per trace
// report, in the order given.
Summary summarize(const std::vector<Report>& reports, const std::vector<TraceReport>& traces = {});
// The report a row was made from, given the reports summarize() was given;
// nullptr when the report at the row's index is not the row's (other reports).
const Report* report_of(const SummaryRow& row, const std::vector<Report>& reports);

// A figure cell: "2.00 / 2", "0.0006 / 0", "3.00 / —" (no theory figure).
std::string format_summary_cell(double measured, std::optional<double> theory);

// What the headlines of summary.md and summary.html say after a row's label:
// the report's headline without its leading "<technique>: " (the label says
// it, qualified), or for a version 1 report, which has no headline, its
// copies against the theory row.
std::string headline_text(const SummaryRow& row);

// A table as text cells: summary.md, the terminal and summary.html show the
// same cells. A figure column is right-aligned.
struct TextTable {
    std::vector<std::string> header;
    std::vector<bool> figure_column;
    std::vector<std::vector<std::string>> rows;
};
// As Markdown with padded columns.
std::string render_markdown_table(const TextTable& table);

// One row per trace: what it moved and how, its verdict last.
TextTable trace_table(const Summary& summary);
// One row per flow of each trace, in trace order: its copies measured /
// expected, its verdict last.
TextTable trace_flow_table(const Summary& summary);

// The tables, as Markdown with padded columns: summary.md's and what `run`
// and `summarize` print to the terminal. The run table, then, when there are
// traces, a "Traces" section with the trace and flow tables.
std::string render_summary_table(const Summary& summary);
// summary.md: a heading, one headline per report, the run table, every check
// that did not simply match and why, then the traces.
std::string render_summary_markdown(const Summary& summary, const std::vector<Report>& reports);

struct SummaryFiles {
    std::filesystem::path json;
    std::filesystem::path markdown;
    std::filesystem::path html;
};
// Where `zctrace summarize` writes without --out: next to the reports, in
// the one directory they come from (the directory given, or the directory
// its files share). Empty when they come from several directories.
std::optional<std::filesystem::path> directory_of_reports(const std::vector<std::filesystem::path>& inputs);
// Writes summary.json, summary.md and summary.html into dir, each whole or
// not at all (temp file, then rename).
Result<SummaryFiles> write_summary_files(const Summary& summary, const std::vector<Report>& reports,
                                         const std::filesystem::path& dir);
// A chunk-size sweep's rows: those of techniques run at more than one chunk
// size, by technique in the summary's order, then by chunk size.
std::vector<const SummaryRow*> swept_rows(const Summary& summary);
// Removes the summary files in dir (a run is about to replace reports they
// describe); true if there were any.
bool remove_summary_files(const std::filesystem::path& dir);
// The table and where the files went, as `run` and `summarize` print them.
std::string describe_summary(const Summary& summary, const SummaryFiles& files);

}  // namespace zctrace
