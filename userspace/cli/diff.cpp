// `zctrace diff A.json B.json`: two run reports compared metric by metric,
// as a table for people or JSON (diff.v1) for pipelines.
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
    std::string format = "table";
    bool all = false;
    std::string out;  // empty: stdout
};

bool same_file(const std::filesystem::path& x, const std::filesystem::path& y)
{
    std::error_code ec;
    return std::filesystem::equivalent(x, y, ec) && !ec;
}

int run_diff(const DiffOptions& options)
{
    if (!options.out.empty()) {
        // Checked before any work, so a typo costs nothing; and a diff written
        // over one of its own inputs would destroy a report.
        std::error_code ec;
        if (std::filesystem::is_directory(options.out, ec))
            return fail(kExitUsage, "--out " + options.out + " is a directory; name the file to write, e.g. " +
                                        (std::filesystem::path(options.out) / "diff.json").string());
        if (same_file(options.out, options.a) || same_file(options.out, options.b))
            return fail(kExitUsage, "--out " + options.out + " is one of the reports being compared; name another "
                                    "file");
    }
    auto a = load_report(options.a);
    if (!a)
        return fail(a.error(), "diff");
    auto b = load_report(options.b);
    if (!b)
        return fail(b.error(), "diff");

    const ReportDiff diff = diff_reports(*a, *b, options.a, options.b);
    std::string text;
    if (options.format == "json") {
        const nlohmann::json document = diff_to_json(diff, options.all);
        if (const auto problems = diff_schema().validate(document); !problems.empty())
            return fail(kExitFailed, "internal error: the diff does not match its schema: " + problems.front());
        text = document.dump(2) + "\n";
    } else {
        text = render_diff_table(diff, options.all);
    }
    if (options.out.empty()) {
        std::cout << text << std::flush;
        return kExitOk;
    }
    if (auto written = write_text_atomically(text, options.out, "choose a writable file with --out"); !written)
        return fail(Error(written.error()).as(ErrorKind::bad_input), "diff --out");
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
        "read, is not a run report (gather, summary, diff, foreign JSON), comes from a newer zctrace, or --out "
        "cannot be written.");
    diff->add_option("a", options->a, "Report A (a <technique>.json written by `zctrace run`)")->required();
    diff->add_option("b", options->b, "Report B, compared against A")->required();
    diff->add_option("--format", options->format, "table, or json (schema reports/schema/diff.v1.schema.json)")
        ->capture_default_str()
        ->check(CLI::IsMember({"table", "json"}));
    diff->add_flag("--all", options->all, "Every numeric metric of the reports, changed or not");
    diff->add_option("--out", options->out, "Write to this file (atomically) instead of stdout");
    diff->callback([options, &exit_code] { exit_code = run_uninterrupted([&] { return run_diff(*options); }); });
}

}  // namespace zctrace::cli
