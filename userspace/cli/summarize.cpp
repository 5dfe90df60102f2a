// `zctrace summarize REPORTS...`: the summary that `run all` writes
// (summary.json, summary.md, summary.html), from reports already on disk.
#include <iostream>
#include <memory>

#include "commands.hpp"
#include "common.hpp"
#include "output/documents.hpp"
#include "output/files.hpp"
#include "output/summary.hpp"

namespace zctrace::cli {
namespace {

struct SummarizeOptions {
    std::vector<std::string> reports;
    std::string out = "reports";
};

int run_summarize(const SummarizeOptions& options)
{
    auto reports = load_reports({options.reports.begin(), options.reports.end()});
    if (!reports)
        return fail(reports.error());
    if (auto writable = check_output_dir(options.out); !writable)
        return fail(Error(writable.error()).as(ErrorKind::bad_input));
    const Summary summary = summarize(*reports);
    auto files = write_summary_files(summary, *reports, options.out);
    if (!files)
        return fail(files.error());
    std::cout << describe_summary(summary, *files);
    return kExitOk;
}

}  // namespace

void setup_summarize(CLI::App& app, int& exit_code)
{
    auto options = std::make_shared<SummarizeOptions>();
    CLI::App* summarize = app.add_subcommand(
        "summarize", "Write summary.json, summary.md and summary.html for reports that `zctrace run` wrote");
    add_report_paths(*summarize, options->reports);
    summarize->add_option("--out", options->out, "Directory for the summary files")->capture_default_str();
    summarize->footer("Exit status: 0 when the summary was written; 2 when a report cannot be read, is not a run "
                      "report, comes from a newer zctrace, or --out cannot be written.");
    summarize->callback([options, &exit_code] { exit_code = run_uninterrupted([&] { return run_summarize(*options); }); });
}

}  // namespace zctrace::cli
