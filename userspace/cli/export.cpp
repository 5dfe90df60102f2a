// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// `zctrace export [--openmetrics] [--textfile-dir DIR] REPORTS...`: run
// reports as OpenMetrics text, on stdout or as a file for node_exporter's
// textfile collector.
#include <algorithm>
#include <filesystem>
#include <iostream>
#include <memory>

#include "base/units.hpp"
#include "commands.hpp"
#include "common.hpp"
#include "output/documents.hpp"
#include "output/files.hpp"
#include "output/openmetrics.hpp"
#include "report/run_report.hpp"
#include "report/trace_report.hpp"

namespace zctrace::cli {
namespace {

namespace fs = std::filesystem;

struct ExportOptions {
    std::vector<std::string> reports;
    bool openmetrics = false;  // the only format; accepted so scripts can say what they expect
    std::string textfile_dir;  // empty: stdout
    std::string name = "zctrace.prom";
};

std::string validate_prom_name(const std::string& name)
{
    // The textfile collector reads *.prom; a hidden name would look like a
    // temp file, and a path would escape --textfile-dir.
    if (name.size() <= 5 || !name.ends_with(".prom") || name.front() == '.' ||
        name.find('/') != std::string::npos)
        return quote_input(name) + " must be a plain file name ending in .prom, e.g. zctrace.prom";
    return {};
}

Result<void> check_textfile_dir(const fs::path& dir)
{
    std::error_code ec;
    const fs::file_status status = fs::status(dir, ec);
    if (status.type() == fs::file_type::none)
        return Error{ec.value(), "cannot access the textfile directory " + dir.string(), ErrorKind::bad_input};
    // Known states get a message of their own, with no errno text trailing it.
    if (!fs::exists(status))
        return Error::bad_input(
            "the textfile directory " + dir.string() +
            " does not exist; create it, or pass the directory node_exporter's --collector.textfile.directory names");
    if (!fs::is_directory(status))
        return Error::bad_input(
            "--textfile-dir " + dir.string() +
            " is not a directory; pass the directory node_exporter's --collector.textfile.directory names");
    return {};
}

std::string describe_export(std::size_t reports, const std::string& text)
{
    std::size_t samples = 0;
    for (std::size_t start = 0; start < text.size();) {
        const std::size_t end = std::min(text.find('\n', start), text.size());
        if (text[start] != '#')
            ++samples;
        start = end + 1;
    }
    return std::to_string(reports) + (reports == 1 ? " report" : " reports") + " as " + std::to_string(samples) +
           " OpenMetrics samples";
}

int run_export(const ExportOptions& options)
{
    fs::path target;
    if (!options.textfile_dir.empty()) {
        if (auto usable = check_textfile_dir(options.textfile_dir); !usable)
            return fail(usable.error());
        target = fs::path(options.textfile_dir) / options.name;
    }
    // Trace reports (trace.json) go their own way; the rest must be run
    // reports. With each file, so that two colliding reports can be named.
    std::vector<TraceReport> traces;
    std::vector<std::string> trace_sources;
    std::vector<fs::path> report_paths;
    for (const std::string& argument : options.reports) {
        std::error_code ec;
        const bool directory = fs::is_directory(argument, ec);
        std::vector<fs::path> files;
        if (directory) {
            for (const auto& entry : fs::directory_iterator(argument, ec))
                if (entry.path().extension() == ".json" && entry.path().filename().string().front() != '.')
                    files.push_back(entry.path());
            std::sort(files.begin(), files.end());
        } else {
            files.push_back(argument);
        }
        bool has_reports = !directory;
        for (const fs::path& file : files) {
            auto document = load_document(file);
            // A glob of reports/ names summary.json too: another zctrace
            // document is left out with a note, foreign JSON still fails.
            if (!directory && document && document->kind != DocumentKind::report &&
                document->kind != DocumentKind::trace) {
                std::cerr << command_label() << ": skipped " << not_a_report_note(file, document->kind) << "\n";
                has_reports = false;
                continue;
            }
            if (document && document->kind == DocumentKind::trace) {
                traces.push_back(document->json.get<TraceReport>());
                trace_sources.push_back(file.string());
                if (!directory)
                    has_reports = false;
            } else if (directory && document && document->kind == DocumentKind::report) {
                has_reports = true;
            }
        }
        if (has_reports || (directory && traces.empty()))
            report_paths.push_back(argument);
    }
    std::vector<Report> reports;
    std::vector<std::string> sources;
    if (!report_paths.empty() || traces.empty()) {
        auto loaded = load_report_files(report_paths);
        if (!loaded)
            return fail(loaded.error());
        for (LoadedReport& each : *loaded) {
            reports.push_back(std::move(each.report));
            sources.push_back(each.path.string());
        }
    }
    auto text = render_openmetrics(reports, sources, traces, trace_sources);
    if (!text)
        return fail(text.error());
    const std::string what = describe_export(reports.size() + traces.size(), *text);

    if (target.empty()) {
        std::cout << *text;
        if (!flush_stdout())
            return finish_stdout(kExitOk);
        std::cerr << "zctrace: exported " << what << "\n";
        return kExitOk;
    }
    // Whole or not at all: the collector may read the file at any moment.
    if (auto written = write_text_atomically(*text, target, "choose a writable directory with --textfile-dir"); !written)
        return fail(written.error());
    std::cerr << "zctrace: wrote " << what << " to " << target.string() << "\n";
    return kExitOk;
}

}  // namespace

void setup_export(CLI::App& app, int& exit_code)
{
    auto options = std::make_shared<ExportOptions>();
    CLI::App* command = app.add_subcommand(
        "export", "Export run reports as OpenMetrics text for Prometheus: on stdout, or (--textfile-dir) as a file "
                  "for node_exporter's textfile collector, replaced atomically");
    add_report_paths(*command, options->reports);
    command->add_flag("--openmetrics", options->openmetrics,
                      "OpenMetrics text: the default and only format, accepted so that scripts can say what they "
                      "expect");
    CLI::Option* textfile_dir =
        command
            ->add_option("--textfile-dir", options->textfile_dir,
                         "write DIR/NAME (see --name) instead of stdout: the directory node_exporter's "
                         "--collector.textfile.directory reads (default none: stdout)")
            ->option_text("DIR")
            ->check(CLI::Validator(
                [](const std::string& dir) {
                    return dir.empty() ? std::string("must name a directory, e.g. /var/lib/prometheus/node-exporter")
                                       : "";
                },
                ""));
    command->add_option("--name", options->name,
                        "file name in --textfile-dir; must end in .prom (default " + options->name + ")")
        ->option_text("NAME")
        ->needs(textfile_dir)
        ->check(CLI::Validator(validate_prom_name, ""));
    command->footer("OpenMetrics is export's only format, so it has no --format or --json. Other zctrace documents "
                    "named (summary.json, gather and diff reports, as `reports/*.json` names them) are skipped with "
                    "a note on stderr.\n"
                    "Exit status: 0 when exported; 2 when no report is left to export, a file cannot be read or is "
                    "not a zctrace document, a report comes from a newer zctrace, two reports would give the same "
                    "series, or --textfile-dir is missing or unwritable.");
    command->callback([options, &exit_code] { exit_code = run_uninterrupted([&] { return run_export(*options); }); });
}

}  // namespace zctrace::cli
