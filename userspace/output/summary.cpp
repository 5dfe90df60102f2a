// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "output/summary.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <set>
#include <span>

#include "base/units.hpp"
#include "output/files.hpp"
#include "output/html_report.hpp"
#include "output/json_schema.hpp"

namespace zctrace {
namespace {

// Where a technique comes in `run all`; the techniques it does not run
// (the internal baseline, a later zctrace's) come after it.
std::size_t run_all_position(std::string_view technique)
{
    return static_cast<std::size_t>(std::find(kRunAllOrder.begin(), kRunAllOrder.end(), technique) -
                                    kRunAllOrder.begin());
}

// Orders rows of one technique: a rank (the familiar case first) or a
// number (a size), then text.
using OrderKey = std::pair<std::uint64_t, std::string>;

// One way two runs of a technique can differ: how rows are ordered by it,
// and how a label names it.
struct Distinction {
    OrderKey (*order)(const Report&);
    std::string (*qualifier)(const Report&);
};

std::string sg_qualifier(const std::optional<bool>& sg)
{
    return !sg ? "SG unknown" : *sg ? "SG on" : "SG off";
}

// In the order rows are sorted by them and labels name them.
constexpr Distinction kDistinctions[] = {
    {[](const Report& r) { return OrderKey{r.environment.network != "loopback", r.environment.network}; },
     [](const Report& r) { return r.environment.network; }},
    {[](const Report& r) {
         const auto& sg = r.environment.device_sg;
         return OrderKey{!sg ? 2u : *sg ? 0u : 1u, ""};
     },
     [](const Report& r) { return sg_qualifier(r.environment.device_sg); }},
    {[](const Report& r) { return OrderKey{r.environment.cache != "warm", r.environment.cache}; },
     [](const Report& r) { return r.environment.cache + " cache"; }},
    {[](const Report& r) { return OrderKey{0, r.environment.filesystem}; },
     [](const Report& r) {
         return "on " + (r.environment.filesystem.empty() ? "an unknown filesystem" : r.environment.filesystem);
     }},
    {[](const Report& r) { return OrderKey{r.workload.bytes, ""}; },
     [](const Report& r) { return format_bytes(r.workload.bytes); }},
    {[](const Report& r) { return OrderKey{r.workload.chunk_bytes, ""}; },
     [](const Report& r) { return format_bytes(r.workload.chunk_bytes) + " chunks"; }},
    // The release ("6.18.0"): the build string after it rarely tells runs apart.
    {[](const Report& r) { return OrderKey{0, r.environment.kernel}; },
     [](const Report& r) { return "kernel " + r.environment.kernel.substr(0, r.environment.kernel.find(' ')); }},
};

// run all's order, then each distinction's, then the oldest report first.
bool comes_before(const Report& a, const Report& b)
{
    const auto position_a = run_all_position(a.technique), position_b = run_all_position(b.technique);
    if (position_a != position_b)
        return position_a < position_b;
    if (a.technique != b.technique)
        return a.technique < b.technique;
    for (const Distinction& distinction : kDistinctions)
        if (const auto order_a = distinction.order(a), order_b = distinction.order(b); order_a != order_b)
            return order_a < order_b;
    return a.created_at < b.created_at;  // ISO 8601 sorts as text
}

// Labels that are alike get " #1", " #2", ... in the order given; a label
// of its own is left bare.
void number_repeated_labels(const std::vector<std::string*>& labels)
{
    std::map<std::string, int> repeats;
    for (const std::string* label : labels)
        ++repeats[*label];
    std::map<std::string, int> numbered;
    for (std::string* label : labels)
        if (repeats[*label] > 1)
            *label += " #" + std::to_string(++numbered[*label]);
}

// Each row's label: its technique, then what differs among the rows of that
// technique; rows alike in all of it are repeats, numbered in row order
// (oldest first).
void label_rows(Summary& summary, const std::vector<Report>& reports)
{
    std::map<std::string, std::vector<SummaryRow*>> by_technique;
    for (SummaryRow& row : summary.rows)
        by_technique[row.technique].push_back(&row);
    for (auto& [technique, rows] : by_technique) {
        std::vector<std::vector<std::string>> qualifiers(rows.size());
        for (const Distinction& distinction : kDistinctions) {
            std::set<std::string> seen;
            for (const SummaryRow* row : rows)
                seen.insert(distinction.qualifier(reports[row->report_index]));
            if (seen.size() > 1)
                for (std::size_t i = 0; i < rows.size(); ++i)
                    qualifiers[i].push_back(distinction.qualifier(reports[rows[i]->report_index]));
        }
        for (std::size_t i = 0; i < rows.size(); ++i) {
            std::string label = technique;
            for (std::size_t q = 0; q < qualifiers[i].size(); ++q)
                label += (q ? ", " : " (") + qualifiers[i][q];
            if (!qualifiers[i].empty())
                label += ")";
            rows[i]->label = std::move(label);
        }
    }
    // Rows of different techniques never share a label, so numbering across
    // all rows numbers each technique's repeats alone.
    std::vector<std::string*> labels;
    for (SummaryRow& row : summary.rows)
        labels.push_back(&row.label);
    number_repeated_labels(labels);
}

SummaryTrace trace_row(const TraceReport& trace)
{
    SummaryTrace row;
    row.label = trace.target.label;
    row.headline = trace.headline;
    row.target_kind = trace.target.kind;
    row.seconds = trace.seconds;
    row.ended_by = trace.ended_by;
    row.verdict = trace.verdict;
    const TraceFigures& totals = trace.totals;
    row.bytes_sent = totals.bytes_sent;
    row.cpu_copy_bytes = totals.cpu_copy_bytes.total;
    row.cpu_copies = totals.cpu_copies;
    row.receive_copy_bytes = totals.receive_copy_bytes;
    row.syscalls = totals.syscalls;
    row.syscalls_per_mib_sent = totals.syscalls_per_mib_sent;
    row.page_cache_lookup_pages = totals.page_cache.lookup_pages;
    row.page_cache_misses = totals.page_cache.misses;
    row.hit_ratio = totals.page_cache.hit_ratio;
    row.cpu_seconds_per_gib_sent = totals.cpu_seconds_per_gib_sent;
    for (const TraceFlow& flow : trace.flows)
        row.flows.push_back({flow.technique, flow.theory_row, flow.bytes, flow.measured_cpu_copies,
                             flow.expected_cpu_copies, flow.verdict});
    row.processes = trace.processes.size();
    row.report_created_at = trace.created_at;
    return row;
}

// Report verdicts from best to worst.
int report_rank(Verdict verdict)
{
    switch (as_report_verdict(verdict)) {
    case Verdict::match: return 0;
    case Verdict::explained: return 1;
    case Verdict::mismatch: return 2;
    case Verdict::invalid: return 3;
    case Verdict::environment:
    case Verdict::no_theory: break;  // as_report_verdict made them match
    }
    return 0;
}

}  // namespace

namespace {

template <typename Counts>
auto& count_of(Counts& counts, Verdict verdict)
{
    switch (verdict) {
    case Verdict::match: return counts.match;
    case Verdict::environment: return counts.environment;
    case Verdict::explained: return counts.explained;
    case Verdict::no_theory: return counts.no_theory;
    case Verdict::invalid: return counts.invalid;
    case Verdict::mismatch: return counts.mismatch;
    }
    return counts.mismatch;
}

}  // namespace

int& CheckVerdictCounts::operator[](Verdict verdict)
{
    return count_of(*this, verdict);
}

int CheckVerdictCounts::operator[](Verdict verdict) const
{
    return count_of(*this, verdict);
}

int CheckVerdictCounts::total() const
{
    return match + environment + explained + no_theory + invalid + mismatch;
}

VerdictStanding verdict_standing(Verdict verdict)
{
    switch (verdict) {
    case Verdict::match:
    case Verdict::environment:
    case Verdict::no_theory: return VerdictStanding::passes;
    case Verdict::explained: return VerdictStanding::explained;
    case Verdict::invalid:
    case Verdict::mismatch: return VerdictStanding::fails;
    }
    return VerdictStanding::fails;
}

Verdict as_report_verdict(Verdict verdict)
{
    switch (verdict) {
    case Verdict::environment:
    case Verdict::no_theory: return Verdict::match;
    case Verdict::match:
    case Verdict::explained:
    case Verdict::invalid:
    case Verdict::mismatch: return verdict;
    }
    return verdict;
}

Verdict worse_report_verdict(Verdict a, Verdict b)
{
    return report_rank(b) > report_rank(a) ? as_report_verdict(b) : as_report_verdict(a);
}

std::string format_summary_cell(double measured, std::optional<double> theory)
{
    return format_figure(measured) + " / " + format_theory(theory);
}

std::string headline_text(const SummaryRow& row)
{
    if (row.headline.empty())
        return "no headline (a version 1 report): CPU copies " +
               format_summary_cell(row.cpu_copies, row.theory_cpu_copies) + ", DMA copies " +
               format_summary_cell(row.dma_copies, row.theory_dma_copies) + " (measured / \"" + row.theory_row +
               "\")";
    const std::string prefix = row.technique + ": ";
    if (row.headline.size() > prefix.size() && row.headline.compare(0, prefix.size(), prefix) == 0)
        return row.headline.substr(prefix.size());
    return row.headline;
}

Summary summarize(const std::vector<Report>& reports, const std::vector<TraceReport>& traces)
{
    Summary summary;
    summary.tool = std::string("zctrace ") + ZCTRACE_VERSION;
    std::vector<std::size_t> order(reports.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return comes_before(reports[a], reports[b]); });
    for (const std::size_t index : order) {
        const Report& report = reports[index];
        SummaryRow row;
        row.headline = report.headline;
        row.technique = report.technique;
        // A row from the kernel's documentation says so wherever it is shown.
        row.theory_row = report.theory_row + (report.theory.beyond_seeds ? " (beyond the seeds)" : "");
        row.network = report.environment.network;
        row.cache = report.environment.cache;
        row.device_sg = report.environment.device_sg;
        row.bytes = report.workload.bytes;
        row.cpu_copies = report.measured.cpu_copies;
        row.theory_cpu_copies = report.theory.cpu_copies;
        row.dma_copies = report.measured.dma_copies;
        row.theory_dma_copies = report.theory.dma_copies;
        row.syscalls_per_transfer = report.measured.syscalls_per_transfer;
        row.theory_syscalls_per_transfer = report.theory.syscalls_per_transfer;
        row.mode_switches_per_transfer = report.measured.mode_switches_per_transfer;
        row.theory_mode_switches_per_transfer = report.theory.mode_switches_per_transfer;
        row.cpu_seconds_per_gib = report.workload.cpu_seconds_per_gib;
        row.mib_per_second = report.workload.mib_per_second;
        row.hit_ratio = report.measured.page_cache.hit_ratio;
        row.verdict = as_report_verdict(report.verdict);
        for (const Check& check : report.checks)
            ++row.check_verdicts[check.verdict];
        row.integrity_ok = report.workload.integrity.ok;
        row.overhead_share = report.overhead.share_of_workload_cpu;
        const double gib = static_cast<double>(report.workload.bytes) / static_cast<double>(1ull << 30);
        if (report.cost) {
            row.cost_seconds_per_gib.emplace();
            for (const CostPart& part : report.cost->parts)
                (*row.cost_seconds_per_gib)[part.part] = gib > 0 ? part.seconds / gib : 0;
            if (const auto& receiver = report.cost->receiver; receiver && gib > 0) {
                (*row.cost_seconds_per_gib)["receiver"] = receiver->measured_seconds / gib;
                (*row.cost_seconds_per_gib)["receiver_copies"] = receiver->parts.front().seconds / gib;
            }
        }
        row.chunk_bytes = report.workload.chunk_bytes;
        row.syscalls_per_gib = gib > 0 ? static_cast<double>(report.measured.syscalls.total) / gib : 0;
        row.mode_switches_per_gib = gib > 0 ? static_cast<double>(report.measured.mode_switches) / gib : 0;
        row.report_created_at = report.created_at;
        row.report_index = index;
        summary.rows.push_back(std::move(row));

        if (std::find(summary.kernels.begin(), summary.kernels.end(), report.environment.kernel) ==
            summary.kernels.end())
            summary.kernels.push_back(report.environment.kernel);
        summary.created_at = std::max(summary.created_at, report.created_at);  // ISO 8601 sorts as text
        summary.verdict = worse_report_verdict(summary.verdict, report.verdict);
    }
    label_rows(summary, reports);

    for (const TraceReport& trace : traces) {
        summary.traces.push_back(trace_row(trace));
        if (std::find(summary.kernels.begin(), summary.kernels.end(), trace.kernel) == summary.kernels.end())
            summary.kernels.push_back(trace.kernel);
        summary.created_at = std::max(summary.created_at, trace.created_at);
        summary.verdict = worse_report_verdict(summary.verdict, trace.verdict);
    }
    std::vector<std::string*> trace_labels;
    for (SummaryTrace& trace : summary.traces)
        trace_labels.push_back(&trace.label);
    number_repeated_labels(trace_labels);
    return summary;
}

void to_json(nlohmann::json& json, const Summary& summary)
{
    json = {{"schema_version", summary.schema_version},
            {"kind", summary.kind},
            {"tool", summary.tool},
            {"created_at", summary.created_at},
            {"kernels", summary.kernels},
            {"rows", summary.rows},
            {"verdict", summary.verdict}};
    if (!summary.traces.empty())
        json["traces"] = summary.traces;
}

void from_json(const nlohmann::json& json, Summary& summary)
{
    const Summary defaults;
    summary.schema_version = json.value("schema_version", defaults.schema_version);
    summary.kind = json.value("kind", defaults.kind);
    summary.tool = json.value("tool", defaults.tool);
    summary.created_at = json.value("created_at", defaults.created_at);
    summary.kernels = json.value("kernels", defaults.kernels);
    summary.rows = json.value("rows", defaults.rows);
    summary.traces = json.value("traces", defaults.traces);
    summary.verdict = json.value("verdict", defaults.verdict);
}

const Report* report_of(const SummaryRow& row, const std::vector<Report>& reports)
{
    if (row.report_index >= reports.size())
        return nullptr;
    const Report& report = reports[row.report_index];
    return report.technique == row.technique && report.created_at == row.report_created_at ? &report : nullptr;
}

namespace {

// Figures a report may leave null show as the dash.
std::string figure_or_dash(const std::optional<double>& value)
{
    return value ? format_figure(*value) : std::string(kNoFigure);
}

std::string fixed_or_dash(const std::optional<double>& value, int digits)
{
    return value ? format_fixed(*value, digits) : std::string(kNoFigure);
}

TextTable run_table(const Summary& summary)
{
    TextTable table{{"technique", "theory row", "CPU copies", "DMA copies", "syscalls/transfer",
                     "mode switches/transfer", "CPU s/GiB", "MiB/s", "hit ratio", "verdict"},
                    {false, false, true, true, true, true, true, true, true, false},
                    {}};
    for (const SummaryRow& row : summary.rows)
        table.rows.push_back(
            {row.label, row.theory_row, format_summary_cell(row.cpu_copies, row.theory_cpu_copies),
             format_summary_cell(row.dma_copies, row.theory_dma_copies),
             format_summary_cell(row.syscalls_per_transfer, row.theory_syscalls_per_transfer),
             format_summary_cell(row.mode_switches_per_transfer, row.theory_mode_switches_per_transfer),
             format_fixed(row.cpu_seconds_per_gib, 3), format_fixed(row.mib_per_second, 0),
             fixed_or_dash(row.hit_ratio, 3),
             std::string(verdict_name(row.verdict)) + (row.integrity_ok ? "" : ", integrity FAILED")});
    return table;
}

// Where each run's sender CPU time went, from its report's cost model:
// CPU-s/GiB per part, with its share of the whole. Rows without a model
// (reports from before it) are left out.
TextTable cost_table(const Summary& summary)
{
    TextTable table{{"technique", "CPU s/GiB", "copies", "mode switches", "page faults", "the rest",
                     "receiver CPU s/GiB", "its copy"},
                    {false, true, true, true, true, true, true, true},
                    {}};
    for (const SummaryRow& row : summary.rows) {
        if (!row.cost_seconds_per_gib)
            continue;
        std::vector<std::string> cells{row.label, format_fixed(row.cpu_seconds_per_gib, 3)};
        for (const char* part : kSenderCostParts) {
            const auto found = row.cost_seconds_per_gib->find(part);
            const double value = found == row.cost_seconds_per_gib->end() ? 0 : found->second;
            cells.push_back(format_fixed(value, 3) +
                            (row.cpu_seconds_per_gib > 0
                                 ? " (" + format_fixed(100 * value / row.cpu_seconds_per_gib, 0) + "%)"
                                 : std::string()));
        }
        const auto& cost = *row.cost_seconds_per_gib;
        const auto receiver = cost.find("receiver"), copies = cost.find("receiver_copies");
        const bool received = receiver != cost.end() && copies != cost.end();
        cells.push_back(received ? format_fixed(receiver->second, 3) : std::string(kNoFigure));
        cells.push_back(received ? format_fixed(copies->second, 3) +
                                       (receiver->second > 0
                                            ? " (" + format_fixed(100 * copies->second / receiver->second, 0) + "%)"
                                            : std::string())
                                 : std::string(kNoFigure));
        table.rows.push_back(std::move(cells));
    }
    return table;
}

// A chunk-size sweep, with the figures that change with the chunk.
TextTable sweep_table(const Summary& summary)
{
    TextTable table{{"technique", "chunk", "syscalls/GiB", "mode switches/GiB", "CPU s/GiB", "copies per byte"},
                    {false, true, true, true, true, true},
                    {}};
    for (const SummaryRow* row : swept_rows(summary))
        table.rows.push_back({row->technique, format_bytes(row->chunk_bytes), format_fixed(row->syscalls_per_gib, 0),
                              format_fixed(row->mode_switches_per_gib, 0), format_fixed(row->cpu_seconds_per_gib, 3),
                              format_fixed(row->cpu_copies, 2)});
    return table;
}

// Whether the cost model orders the runs as their measured CPU time does,
// and which differences the runs' own spread (with --repeat) cannot tell
// from noise. Published as found: a residual that reorders runs says so.
std::string cost_ranking_text(const Summary& summary, const std::vector<Report>& reports)
{
    struct Ranked {
        std::string label;
        double measured = 0;
        double predicted = 0;
        std::optional<Spread> spread;  // CPU s/GiB over the repeats
    };
    std::vector<Ranked> runs;
    for (const SummaryRow& row : summary.rows) {
        if (!row.cost_seconds_per_gib)
            continue;
        Ranked ranked{row.label, row.cpu_seconds_per_gib, 0, std::nullopt};
        // What the model prices: every part but the residual.
        for (const char* part : std::span(kSenderCostParts).first(kSenderCostParts.size() - 1))
            if (const auto found = row.cost_seconds_per_gib->find(part); found != row.cost_seconds_per_gib->end())
                ranked.predicted += found->second;
        if (const Report* report = report_of(row, reports); report && report->workload.repeats)
            if (const auto found = report->workload.repeats->timed.find("workload.cpu_seconds_per_gib");
                found != report->workload.repeats->timed.end())
                ranked.spread = found->second;
        runs.push_back(std::move(ranked));
    }
    if (runs.size() < 2)
        return "";
    auto order = [&](double Ranked::*figure) {
        std::vector<std::string> labels;
        std::vector<const Ranked*> sorted;
        for (const Ranked& run : runs)
            sorted.push_back(&run);
        std::stable_sort(sorted.begin(), sorted.end(),
                         [&](const Ranked* a, const Ranked* b) { return a->*figure > b->*figure; });
        for (const Ranked* run : sorted)
            labels.push_back(run->label);
        return labels;
    };
    auto joined = [](const std::vector<std::string>& labels) {
        std::string text;
        for (const std::string& label : labels)
            text += (text.empty() ? "" : " > ") + label;
        return text;
    };
    const std::vector<std::string> measured = order(&Ranked::measured), predicted = order(&Ranked::predicted);
    auto overlaps = [](const Ranked& a, const Ranked& b) {
        return a.spread && b.spread && a.spread->min <= b.spread->max && b.spread->min <= a.spread->max;
    };
    // Pairs the model puts the other way round, and whether the runs' own
    // spread can tell them apart at all.
    std::size_t inverted = 0, inverted_within_noise = 0;
    for (std::size_t i = 0; i < runs.size(); ++i)
        for (std::size_t j = i + 1; j < runs.size(); ++j) {
            const Ranked &a = runs[i], &b = runs[j];
            if ((a.measured > b.measured) != (a.predicted > b.predicted) && a.measured != b.measured &&
                a.predicted != b.predicted) {
                ++inverted;
                inverted_within_noise += overlaps(a, b);
            }
        }
    std::string out = "\nMost CPU first, measured: " + joined(measured) + ". ";
    if (measured == predicted)
        out += "The model (copies + mode switches + page faults) ranks them the same.";
    else if (inverted && inverted == inverted_within_noise)
        out += "The model (copies + mode switches + page faults) ranks them " + joined(predicted) +
               ": it differs only on pairs the repeats cannot tell apart.";
    else
        out += "The model (copies + mode switches + page faults) ranks them " + joined(predicted) +
               ": the residual, which it does not price, reorders " + std::to_string(inverted - inverted_within_noise) +
               " pair(s) by more than the run-to-run noise.";
    out += "\n";
    bool repeated = false;
    std::string noise;
    for (std::size_t i = 0; i < runs.size(); ++i)
        for (std::size_t j = i + 1; j < runs.size(); ++j) {
            const auto& a = runs[i].spread;
            const auto& b = runs[j].spread;
            if (!a || !b)
                continue;
            repeated = true;
            if (a->min <= b->max && b->min <= a->max)
                noise += "\n- " + runs[i].label + " (" + format_fixed(a->min, 3) + " to " + format_fixed(a->max, 3) +
                         ") and " + runs[j].label + " (" + format_fixed(b->min, 3) + " to " + format_fixed(b->max, 3) +
                         ") differ by less than the run-to-run noise";
        }
    if (!repeated)
        out += "\nSingle runs: `--repeat N` gives each figure's spread and names the differences within it.\n";
    else if (noise.empty())
        out += "\nEvery pair's CPU s/GiB ranges over the repeats are apart: the ranking is above the noise.\n";
    else
        out += "\nCPU s/GiB over the repeats, min to max:\n" + noise + "\n";
    return out;
}

// What the Traces section says before its tables.
constexpr char kTracesPreamble[] =
    "What each traced program sent over TCP and how many times the CPU copied it, then each way it moved bytes "
    "to its sockets (a flow). A flow's CPU copies read measured / expected: its theory row's figure, or the "
    "kernel code's where the seeds have no row.";

// The trace and flow tables; a trace that sent nothing has no flow, so the
// flow table may have no rows and is then left out.
std::string render_trace_tables(const Summary& summary)
{
    const TextTable flows = trace_flow_table(summary);
    return render_markdown_table(trace_table(summary)) +
           (flows.rows.empty() ? "" : "\n" + render_markdown_table(flows));
}

// Whether there is a run table: with no traces, always, so that a summary
// of nothing still shows the (empty) table it did before traces.
bool has_run_table(const Summary& summary)
{
    return !summary.rows.empty() || summary.traces.empty();
}

}  // namespace

std::string render_markdown_table(const TextTable& table)
{
    const std::size_t columns = table.header.size();
    std::vector<std::size_t> widths(columns);
    for (std::size_t c = 0; c < columns; ++c) {
        widths[c] = std::max<std::size_t>(3, display_width(table.header[c]));
        for (const auto& row : table.rows)
            widths[c] = std::max(widths[c], display_width(row[c]));
    }
    auto line = [&](const std::vector<std::string>& values) {
        std::string out = "|";
        for (std::size_t c = 0; c < values.size(); ++c)
            out += " " + pad_to(values[c], widths[c], table.figure_column[c]) + " |";
        return out + "\n";
    };
    std::string out = line(table.header) + "|";
    for (std::size_t c = 0; c < columns; ++c)
        out += table.figure_column[c] ? std::string(widths[c] + 1, '-') + ":|"
                                      : ":" + std::string(widths[c] + 1, '-') + "|";
    out += "\n";
    for (const auto& row : table.rows)
        out += line(row);
    return out;
}

TextTable trace_table(const Summary& summary)
{
    TextTable table{{"trace", "target", "seconds", "ended by", "sent", "CPU copied", "CPU copies", "receive copied",
                     "syscalls", "syscalls/MiB sent", "page-cache lookups", "page-cache misses", "hit ratio",
                     "CPU s/GiB sent", "processes", "verdict"},
                    {false, false, true, false, true, true, true, true, true, true, true, true, true, true, true, false},
                    {}};
    for (const SummaryTrace& trace : summary.traces)
        table.rows.push_back({trace.label, trace.target_kind, format_fixed(trace.seconds, 2), trace.ended_by,
                              format_bytes(trace.bytes_sent), format_bytes(trace.cpu_copy_bytes),
                              figure_or_dash(trace.cpu_copies),
                              format_bytes(trace.receive_copy_bytes), std::to_string(trace.syscalls),
                              figure_or_dash(trace.syscalls_per_mib_sent),
                              std::to_string(trace.page_cache_lookup_pages), std::to_string(trace.page_cache_misses),
                              fixed_or_dash(trace.hit_ratio, 3), fixed_or_dash(trace.cpu_seconds_per_gib_sent, 3),
                              std::to_string(trace.processes), std::string(verdict_name(trace.verdict))});
    return table;
}

TextTable trace_flow_table(const Summary& summary)
{
    TextTable table{{"trace", "flow", "theory row", "bytes", "CPU copies (measured / expected)", "verdict"},
                    {false, false, false, true, true, false},
                    {}};
    for (const SummaryTrace& trace : summary.traces)
        for (const SummaryTraceFlow& flow : trace.flows)
            table.rows.push_back({trace.label, flow.technique,
                                  flow.theory_row.empty() ? std::string(kNoFigure) : flow.theory_row,
                                  format_bytes(flow.bytes),
                                  format_summary_cell(flow.measured_cpu_copies, flow.expected_cpu_copies),
                                  std::string(verdict_name(flow.verdict))});
    return table;
}

std::string render_summary_table(const Summary& summary)
{
    std::string out = has_run_table(summary) ? render_markdown_table(run_table(summary)) : "";
    if (!summary.traces.empty())
        out += (out.empty() ? "" : "\n") + std::string("## Traces\n\n") + render_trace_tables(summary);
    return out;
}

std::string render_summary_markdown(const Summary& summary, const std::vector<Report>& reports)
{
    std::string out = "# zctrace summary\n\n";
    // First what each run and trace showed, one line each; then where and how.
    for (const SummaryRow& row : summary.rows)
        out += "- **" + row.label + "** (" + std::string(verdict_name(row.verdict)) + "): " + headline_text(row) +
               "\n";
    for (const SummaryTrace& trace : summary.traces)
        out += "- **" + trace.label + "** (" + std::string(verdict_name(trace.verdict)) + "): " + trace.headline +
               "\n";
    if (!summary.rows.empty() || !summary.traces.empty())
        out += "\n";
    out += "Kernel ";
    for (std::size_t i = 0; i < summary.kernels.size(); ++i)
        out += (i ? ", " : "") + summary.kernels[i];
    out += "; newest report " + summary.created_at + "; " + summary.tool + ".\n\n";
    if (has_run_table(summary)) {
        out += "Each figure cell reads measured / theory. Copies are passes over the payload; syscalls and mode "
               "switches are per transfer; " + std::string(kNoFigure) + " where the seeds give no figure.\n\n";
        out += render_markdown_table(run_table(summary));
        out += "\n## Checks that are not a plain match\n";
        bool any = false;
        for (const SummaryRow& row : summary.rows) {
            const Report* report = report_of(row, reports);
            if (!report)
                continue;
            for (const Check& check : report->checks)
                if (check.verdict != Verdict::match) {
                    out += "\n- **" + row.label + "**, " + check.metric + " (" +
                           std::string(verdict_name(check.verdict)) + "): " + check.explanation + "\n";
                    any = true;
                }
        }
        if (!any)
            out += "\nNone: every check matched.\n";
        if (const TextTable sweep = sweep_table(summary); !sweep.rows.empty())
            out += "\n## How the cost grows as chunks shrink\n\nEach technique run at several chunk sizes (`--chunk "
                   "4K,64K,...`), per GiB of payload. Copies per byte should stay flat while calls fall with larger chunks: "
                   "where CPU s/GiB stops falling, fewer mode switches stop mattering.\n\n" +
                   render_markdown_table(sweep);
        if (const TextTable costs = cost_table(summary); !costs.rows.empty())
            out += "\n## Where the sender's CPU time went\n\nCPU seconds per GiB of payload, priced at this "
                   "machine's own rates (each report's `cost`): copies at memcpy bandwidth, syscalls at a null "
                   "syscall's round trip, faults at a fresh page's fault; the rest is the network stack, the "
                   "page-cache walk, locking and the probes. The receiver's time is its whole life (getrusage); over "
                   "lo most of the receiving TCP stack runs in the sender's.\n\n" +
                   render_markdown_table(costs) + cost_ranking_text(summary, reports);
    }
    if (!summary.traces.empty())
        out += (has_run_table(summary) ? "\n" : "") + std::string("## Traces\n\n") + kTracesPreamble + "\n\n" +
               render_trace_tables(summary);
    return out;
}

std::vector<const SummaryRow*> swept_rows(const Summary& summary)
{
    std::map<std::string, std::set<std::uint64_t>> chunks;
    for (const SummaryRow& row : summary.rows)
        chunks[row.technique].insert(row.chunk_bytes);
    std::vector<const SummaryRow*> swept;
    for (const SummaryRow& row : summary.rows)
        if (chunks[row.technique].size() > 1)
            swept.push_back(&row);
    std::map<std::string, std::size_t> first_seen;
    for (const SummaryRow* row : swept)
        first_seen.emplace(row->technique, first_seen.size());
    std::stable_sort(swept.begin(), swept.end(), [&](const SummaryRow* a, const SummaryRow* b) {
        return std::pair(first_seen[a->technique], a->chunk_bytes) < std::pair(first_seen[b->technique], b->chunk_bytes);
    });
    return swept;
}

bool remove_summary_files(const std::filesystem::path& dir)
{
    bool removed = false;
    for (const char* name : {"summary.json", "summary.md", "summary.html"}) {
        std::error_code ec;
        removed = std::filesystem::remove(dir / name, ec) || removed;
    }
    return removed;
}

std::string describe_summary(const Summary& summary, const SummaryFiles& files)
{
    return render_summary_table(summary) + "summary written to " + files.json.parent_path().string() + ": " +
           files.json.filename().string() + ", " + files.markdown.filename().string() + ", " +
           files.html.filename().string() + "\n";
}

std::optional<std::filesystem::path> directory_of_reports(const std::vector<std::filesystem::path>& inputs)
{
    std::optional<std::filesystem::path> shared;
    std::filesystem::path shared_resolved;  // "reports", "reports/" and "./reports" are one directory
    for (const std::filesystem::path& input : inputs) {
        std::error_code ec;
        std::filesystem::path dir = std::filesystem::is_directory(input, ec) ? input : input.parent_path();
        if (dir.empty())
            dir = ".";
        const std::filesystem::path resolved = std::filesystem::weakly_canonical(dir, ec);
        if (!shared) {
            shared = dir.lexically_normal();
            shared_resolved = resolved;
        } else if (resolved != shared_resolved) {
            return std::nullopt;
        }
    }
    return shared;
}

Result<SummaryFiles> write_summary_files(const Summary& summary, const std::vector<Report>& reports,
                                         const std::filesystem::path& dir)
{
    const nlohmann::json document = summary;
    if (const auto problems = summary_schema().validate(document); !problems.empty())
        return Error{0, "internal error: the summary does not match its schema: " + problems.front()};
    SummaryFiles files{dir / "summary.json", dir / "summary.md", dir / "summary.html"};
    if (auto written = write_json_atomically(document, files.json); !written)
        return written.error();
    if (auto written = write_text_atomically(render_summary_markdown(summary, reports), files.markdown); !written)
        return written.error();
    if (auto written = write_text_atomically(render_summary_html(summary, reports), files.html); !written)
        return written.error();
    return files;
}

}  // namespace zctrace
