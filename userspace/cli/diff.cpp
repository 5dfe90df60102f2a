// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// `zctrace diff A.json B.json`: two run reports compared metric by metric,
// as a table for people or JSON (diff.v3) for pipelines.
#include <cerrno>
#include <filesystem>
#include <iostream>
#include <memory>

#include "commands.hpp"
#include "common.hpp"
#include "output/documents.hpp"
#include "output/files.hpp"
#include "output/json_schema.hpp"
#include "output/report_diff.hpp"
#include "report/run_report.hpp"

namespace zctrace::cli {
namespace {

struct DiffOptions {
    std::string a;
    std::string b;
    std::string format = "text";
    bool all = false;
    std::string output;  // a file; empty: stdout
};

bool same_file(const std::filesystem::path& x, const std::filesystem::path& y)
{
    std::error_code ec;
    return std::filesystem::equivalent(x, y, ec) && !ec;
}

int run_diff(const DiffOptions& options)
{
    if (!options.output.empty()) {
        // Checked before any work, so a typo costs nothing; and a diff written
        // over one of its own inputs would destroy a report.
        std::error_code ec;
        if (std::filesystem::is_directory(options.output, ec))
            return fail(kExitUsage, "--output " + options.output + " is a directory; name the file to write, e.g. " +
                                        (std::filesystem::path(options.output) / "diff.json").string());
        if (same_file(options.output, options.a) || same_file(options.output, options.b))
            return fail(kExitUsage, "--output " + options.output +
                                        " is one of the reports being compared; name another file");
    }
    // Two trace reports compare as traces; otherwise both must be run reports.
    auto a_document = load_document(options.a);
    auto b_document = load_document(options.b);
    const bool traces = a_document && b_document && a_document->kind == DocumentKind::trace &&
                        b_document->kind == DocumentKind::trace;
    ReportDiff diff;
    if (traces) {
        diff = diff_traces(a_document->json.get<TraceReport>(), b_document->json.get<TraceReport>(), options.a,
                           options.b);
    } else {
        auto a = load_report(options.a);
        if (!a)
            return fail(a.error());
        auto b = load_report(options.b);
        if (!b)
            return fail(b.error());
        diff = diff_reports(*a, *b, options.a, options.b);
    }
    std::string text;
    if (options.format == "json") {
        const nlohmann::json document = diff_to_json(diff, options.all);
        if (const auto problems = diff_schema().validate(document); !problems.empty())
            return fail(kExitFailed, "internal error: the diff does not match its schema: " + problems.front());
        text = document.dump(2) + "\n";
    } else {
        text = render_diff_table(diff, options.all);
    }
    if (options.output.empty()) {
        std::cout << text;
        return kExitOk;
    }
    if (auto written = write_text_atomically(text, options.output, "choose a writable file with --output"); !written)
        return fail(Error(written.error()).as(ErrorKind::bad_input), "--output");
    return kExitOk;
}

}  // namespace

void setup_diff(CLI::App& app, int& exit_code)
{
    auto options = std::make_shared<DiffOptions>();
    CLI::App* diff = app.add_subcommand(
        "diff", "Compare two run reports metric by metric (SG on against off, two kernels, two machines)");
    diff->footer(
        "By default the table shows the headline metrics (copies, copy bytes by path, DMA, syscalls, mode and "
        "context switches, faults, page cache, socket frags, time, probe overhead) unless zero in both, plus every "
        "other measured or workload metric that changed; --all shows every metric. Also shown: the theory row and "
        "verdict of each report, the checks that changed and the environment that differs.\n"
        "Exit status: 0 when the reports were compared (a difference is not an error); 2 when a report cannot be "
        "read, is not a run report (gather, summary, diff, foreign JSON), comes from a newer zctrace, or --output "
        "cannot be written.");
    diff->add_option("a", options->a, "report A (a <technique>.json written by `zctrace run`)")
        ->required()
        ->option_text("A");
    diff->add_option("b", options->b, "report B, compared against A")->required()->option_text("B");
    add_format_options(*diff, options->format,
                       "text (a table), or json (schema reports/schema/diff.v3.schema.json)");
    diff->add_flag("--all", options->all, "every numeric metric of the reports, changed or not");
    diff->add_option("--output", options->output,
                     "write the diff to FILE (atomically) instead of stdout (default none: stdout)")
        ->option_text("FILE");
    // --out names a directory in every other command; a file here would make it mean two things.
    add_renamed_option(*diff, "--out",
                       "renamed to --output FILE: --out names a directory in every command, and diff writes one "
                       "file");
    diff->callback([options, &exit_code] { exit_code = run_uninterrupted([&] { return run_diff(*options); }); });
}

}  // namespace zctrace::cli
