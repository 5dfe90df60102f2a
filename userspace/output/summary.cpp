#include "output/summary.hpp"

#include <algorithm>
#include <cmath>
#include <map>

#include "base/units.hpp"
#include "output/files.hpp"
#include "output/html_report.hpp"
#include "output/json_schema.hpp"

namespace zctrace {
namespace {

std::string qualified_label(const Report& report)
{
    std::vector<std::string> qualifiers;
    if (report.environment.network != "loopback") {
        std::string network = report.environment.network;
        if (report.environment.device_sg)
            network += *report.environment.device_sg ? ", SG on" : ", SG off";
        qualifiers.push_back(network);
    }
    if (report.environment.cache != "warm")
        qualifiers.push_back(report.environment.cache + " cache");
    std::string label = report.technique;
    for (std::size_t i = 0; i < qualifiers.size(); ++i)
        label += (i ? ", " : " (") + qualifiers[i];
    return qualifiers.empty() ? label : label + ")";
}

// Reports from two kernels or machines can share a label; the rows must
// still tell apart in the table, the charts and the dashboard's eye.
void make_labels_unique(Summary& summary, const std::vector<Report>& reports)
{
    auto count = [&](const std::string& label) {
        return std::count_if(summary.rows.begin(), summary.rows.end(),
                             [&](const SummaryRow& row) { return row.label == label; });
    };
    std::vector<bool> shared(summary.rows.size());
    for (std::size_t i = 0; i < summary.rows.size(); ++i)
        shared[i] = count(summary.rows[i].label) > 1;
    for (std::size_t i = 0; i < summary.rows.size(); ++i)
        if (shared[i] && summary.kernels.size() > 1)
            summary.rows[i].label += " [" + reports[i].environment.kernel.substr(0, reports[i].environment.kernel.find(' ')) + "]";
    std::map<std::string, int> seen;
    for (SummaryRow& row : summary.rows)
        if (count(row.label) > 1)
            row.label += " #" + std::to_string(++seen[row.label]);
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

Summary summarize(const std::vector<Report>& reports)
{
    Summary summary;
    summary.tool = std::string("zctrace ") + ZCTRACE_VERSION;
    for (const Report& report : reports) {
        SummaryRow row;
        row.label = qualified_label(report);
        row.headline = report.headline;
        row.technique = report.technique;
        row.theory_row = report.theory_row;
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
        row.report_created_at = report.created_at;
        summary.rows.push_back(std::move(row));

        if (std::find(summary.kernels.begin(), summary.kernels.end(), report.environment.kernel) ==
            summary.kernels.end())
            summary.kernels.push_back(report.environment.kernel);
        summary.created_at = std::max(summary.created_at, report.created_at);  // ISO 8601 sorts as text
        summary.verdict = worse_report_verdict(summary.verdict, report.verdict);
    }
    make_labels_unique(summary, reports);
    return summary;
}

std::string render_summary_table(const Summary& summary)
{
    const std::vector<std::string> header = {"technique",          "theory row", "CPU copies", "DMA copies",
                                             "syscalls/transfer",  "mode switches/transfer",
                                             "CPU s/GiB",          "MiB/s",      "hit ratio",  "verdict"};
    // Left-aligned text columns, right-aligned figures.
    const std::vector<bool> right = {false, false, true, true, true, true, true, true, true, false};
    std::vector<std::vector<std::string>> cells;
    for (const SummaryRow& row : summary.rows)
        cells.push_back({row.label, row.theory_row, format_summary_cell(row.cpu_copies, row.theory_cpu_copies),
                         format_summary_cell(row.dma_copies, row.theory_dma_copies),
                         format_summary_cell(row.syscalls_per_transfer, row.theory_syscalls_per_transfer),
                         format_summary_cell(row.mode_switches_per_transfer, row.theory_mode_switches_per_transfer),
                         format_fixed(row.cpu_seconds_per_gib, 3), format_fixed(row.mib_per_second, 0),
                         row.hit_ratio ? format_fixed(*row.hit_ratio, 3) : std::string(kNoFigure),
                         std::string(verdict_name(row.verdict)) + (row.integrity_ok ? "" : ", integrity FAILED")});
    std::vector<std::size_t> widths(header.size());
    for (std::size_t c = 0; c < header.size(); ++c) {
        widths[c] = std::max<std::size_t>(3, display_width(header[c]));
        for (const auto& line : cells)
            widths[c] = std::max(widths[c], display_width(line[c]));
    }
    auto line = [&](const std::vector<std::string>& values) {
        std::string out = "|";
        for (std::size_t c = 0; c < values.size(); ++c)
            out += " " + pad_to(values[c], widths[c], right[c]) + " |";
        return out + "\n";
    };
    std::string out = line(header) + "|";
    for (std::size_t c = 0; c < header.size(); ++c)
        out += right[c] ? std::string(widths[c] + 1, '-') + ":|" : ":" + std::string(widths[c] + 1, '-') + "|";
    out += "\n";
    for (const auto& values : cells)
        out += line(values);
    return out;
}

std::string render_summary_markdown(const Summary& summary, const std::vector<Report>& reports)
{
    std::string out = "# zctrace summary\n\n";
    // First what each run showed, one line each; then where and how.
    for (const SummaryRow& row : summary.rows)
        out += "- **" + row.label + "** (" + std::string(verdict_name(row.verdict)) + "): " + headline_text(row) +
               "\n";
    if (!summary.rows.empty())
        out += "\n";
    out += "Kernel ";
    for (std::size_t i = 0; i < summary.kernels.size(); ++i)
        out += (i ? ", " : "") + summary.kernels[i];
    out += "; newest report " + summary.created_at + "; " + summary.tool + ".\n\n";
    out += "Each figure cell reads measured / theory. Copies are passes over the payload; syscalls and mode "
           "switches are per transfer; " + std::string(kNoFigure) + " where the seeds give no figure.\n\n";
    out += render_summary_table(summary);
    out += "\n## Checks that are not a plain match\n";
    bool any = false;
    for (std::size_t i = 0; i < reports.size() && i < summary.rows.size(); ++i)
        for (const Check& check : reports[i].checks)
            if (check.verdict != Verdict::match) {
                out += "\n- **" + summary.rows[i].label + "**, " + check.metric + " (" +
                       std::string(verdict_name(check.verdict)) + "): " + check.explanation + "\n";
                any = true;
            }
    if (!any)
        out += "\nNone: every check matched.\n";
    return out;
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
    return render_summary_table(summary) + "summary: " + files.json.string() + ", " + files.markdown.string() +
           ", " + files.html.string() + "\n";
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
