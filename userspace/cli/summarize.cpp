// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// `zctrace summarize REPORTS...`: the summary that `run all` writes
// (summary.json, summary.md, summary.html), from reports already on disk:
// run reports, trace reports (`zctrace trace`), or both.
#include <iostream>
#include <memory>

#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "common.hpp"
#include "output/documents.hpp"
#include "output/files.hpp"
#include "output/summary.hpp"

namespace zctrace::cli {
namespace {

struct SummarizeOptions {
    std::vector<std::string> reports;
    std::string out;  // empty: next to the reports (directory_of_reports)
    std::string format = "text";
};

int run_summarize(const SummarizeOptions& options)
{
    std::vector<std::string> skipped;
    auto reports = load_run_and_trace_reports({options.reports.begin(), options.reports.end()}, &skipped);
    for (const std::string& note : skipped)
        std::cerr << command_label() << ": skipped " << note << "\n";
    if (!reports)
        return fail(reports.error());
    const auto out = options.out.empty() ? directory_of_reports({options.reports.begin(), options.reports.end()})
                                         : std::optional<std::filesystem::path>(options.out);
    if (!out)
        return fail(Error{0, "the reports are in more than one directory: say where the summary goes with --out DIR"}
                        .as(ErrorKind::bad_input));
    if (auto writable = check_output_dir(*out); !writable)
        return fail(Error(writable.error()).as(ErrorKind::bad_input));
    const Summary summary = summarize(reports->runs, reports->traces);
    auto files = write_summary_files(summary, reports->runs, *out);
    if (!files)
        return fail(files.error());
    if (options.format == "json")
        std::cout << nlohmann::json(summary).dump(2) << "\n";
    tables_stream(options.format) << describe_summary(summary, *files);
    return kExitOk;
}

}  // namespace

void setup_summarize(CLI::App& app, int& exit_code)
{
    auto options = std::make_shared<SummarizeOptions>();
    CLI::App* summarize = app.add_subcommand(
        "summarize", "Write summary.json, summary.md and summary.html for reports that `zctrace run` and "
                     "`zctrace trace` wrote");
    add_report_paths(*summarize, options->reports);
    summarize->add_option("-o,--out", options->out,
                          "directory for the summary files (default next to the reports: in the directory given, or "
                          "the one its files are in; reports from several directories need --out)")
        ->option_text("DIR");
    add_format_options(*summarize, options->format,
                       "what stdout shows: text (the table and the files written), or json (summary.json; the "
                       "table then goes to stderr)");
    summarize->footer("Run reports come in `run all`'s order; trace reports in the order given, after them, in a "
                      "Traces section of their own. Other zctrace documents named (summary.json, gather and diff "
                      "reports) are skipped with a note on stderr.\n"
                      "Exit status: 0 when the summary was written; 2 when no report is left, a file cannot be read "
                      "or is not a zctrace document, a report comes from a newer zctrace, or --out cannot be "
                      "written, or is missing for reports from several directories. The last line says where the "
                      "files went.");
    summarize->callback([options, &exit_code] { exit_code = run_uninterrupted([&] { return run_summarize(*options); }); });
}

}  // namespace zctrace::cli
