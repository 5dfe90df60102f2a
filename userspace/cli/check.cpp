// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// `zctrace check REPORT... [--strict] [--json]`: judge stored reports again
// with this zctrace's rules, and say what changed against their stored
// verdicts. The figures are not measured again; only the judgement is redone.
#include <unistd.h>

#include <iostream>
#include <memory>

#include "analysis/rejudge.hpp"
#include "base/units.hpp"
#include "commands.hpp"
#include "common.hpp"
#include "output/documents.hpp"
#include "output/terminal.hpp"

namespace zctrace::cli {
namespace {

struct CheckOptions {
    std::vector<std::string> reports;
    bool strict = false;
    std::string format = "text";
};

std::string verdict_or_dash(const std::optional<Verdict>& verdict)
{
    return verdict ? std::string(verdict_name(*verdict)) : std::string(kNoFigure);
}

nlohmann::json verdict_or_null(const std::optional<Verdict>& verdict)
{
    return verdict ? nlohmann::json(*verdict) : nlohmann::json(nullptr);
}

std::string render(const std::string& path, const Rejudgement& judged, std::size_t width)
{
    const Report& now = judged.report;
    std::string out = wrap(path + ": " + now.headline, width, 0, 2);
    out += "  verdict: " + std::string(verdict_name(now.verdict));
    if (judged.stored_verdict != now.verdict)
        out += " (stored: " + std::string(verdict_name(judged.stored_verdict)) + ")";
    out += judged.changed() ? "\n" : "; every check as stored\n";
    if (judged.stored_schema_version != kReportSchemaVersion)
        out += "  stored with schema_version " + std::to_string(judged.stored_schema_version) +
               ", judged by version " + std::to_string(kReportSchemaVersion) + "'s rules\n";
    if (!judged.changed())
        return out;
    out += "  " + pad_to("check", 28) + pad_to("stored", 13) + "now\n";
    for (const CheckChange& check : judged.checks)
        if (check.changed())
            out += "  " + pad_to(check.metric, 28) + pad_to(verdict_or_dash(check.stored), 13) +
                   verdict_or_dash(check.now) + "\n";
    for (const Check& check : now.checks)
        if (check.verdict == Verdict::mismatch || check.verdict == Verdict::invalid)
            out += wrap("- " + metric_words(check.metric) + " (" + std::string(verdict_name(check.verdict)) +
                            "): " + check.explanation,
                        width, 2, 4);
    return out;
}

nlohmann::json to_json(const std::string& path, const Rejudgement& judged)
{
    nlohmann::json checks = nlohmann::json::array();
    for (const CheckChange& change : judged.checks) {
        nlohmann::json entry = {{"metric", change.metric},
                                {"stored", verdict_or_null(change.stored)},
                                {"verdict", verdict_or_null(change.now)},
                                {"changed", change.changed()}};
        for (const Check& check : judged.report.checks)
            if (check.metric == change.metric)
                entry["summary"] = check.summary;
        checks.push_back(std::move(entry));
    }
    return {{"path", path},
            {"technique", judged.report.technique},
            {"stored_schema_version", judged.stored_schema_version},
            {"stored_verdict", judged.stored_verdict},
            {"verdict", judged.report.verdict},
            {"changed", judged.changed()},
            {"headline", judged.report.headline},
            {"checks", std::move(checks)}};
}

int run_check(const CheckOptions& options)
{
    auto loaded = load_report_files({options.reports.begin(), options.reports.end()});
    if (!loaded)
        return fail(loaded.error());
    nlohmann::json out = nlohmann::json::array();
    std::vector<std::string> failing;
    for (const LoadedReport& each : *loaded) {
        const Rejudgement judged = rejudge(each.report);
        const std::string path = each.path.string();
        if (options.format == "json")
            out.push_back(to_json(path, judged));
        else
            std::cout << render(path, judged, text_width(STDOUT_FILENO)) << "\n";
        if (judged.report.verdict == Verdict::mismatch || judged.report.verdict == Verdict::invalid)
            failing.push_back(path + " (" + std::string(verdict_name(judged.report.verdict)) + ")");
    }
    if (options.format == "json")
        std::cout << out.dump(2) << "\n";
    if (options.strict && !failing.empty())
        return fail(kExitFailed, "--strict: " + join(failing));
    return kExitOk;
}

}  // namespace

void setup_check(CLI::App& app, int& exit_code)
{
    auto options = std::make_shared<CheckOptions>();
    CLI::App* check = app.add_subcommand(
        "check", "Judge stored reports again with this zctrace's rules and show what changed");
    add_report_paths(*check, options->reports);
    check->add_flag("--strict", options->strict, "exit 1 when a report comes out mismatch or invalid");
    add_format_options(*check, options->format,
                       "text (per report: its headline, verdict and the checks that changed), or json: an array with, "
                       "per report, path, stored and new verdict, headline, and every check's stored and new verdict");
    check->footer("Every check is recomputed from the report's measured, workload and environment members; a "
                  "report whose figures contradict each other (cpu_copies that is not the copied bytes over the "
                  "payload, ...) is invalid. Exit status: 0; 1 with --strict when a report is mismatch or invalid; "
                  "2 when a file cannot be read or is not a run report.");
    check->callback([options, &exit_code] { exit_code = run_check(*options); });
}

}  // namespace zctrace::cli
