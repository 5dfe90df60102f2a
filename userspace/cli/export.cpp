// `zctrace export [--openmetrics] [--textfile-dir DIR] REPORTS...`: run
// reports as OpenMetrics text, on stdout or as a file for node_exporter's
// textfile collector.
#include <algorithm>
#include <filesystem>
#include <iostream>
#include <memory>

#include "commands.hpp"
#include "common.hpp"
#include "documents.hpp"
#include "openmetrics.hpp"
#include "report.hpp"

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
        return "'" + name + "' must be a plain file name ending in .prom, e.g. zctrace.prom";
    return {};
}

struct LoadedReports {
    std::vector<Report> reports;
    std::vector<std::string> sources;  // each report's file, for messages
};

// The reports named on the command line, each with its file. A directory
// stands for its reports, as load_reports reads it (summaries and diffs
// there are skipped), so that collisions can name files, not directories.
Result<LoadedReports> load_named_reports(const std::vector<std::string>& arguments)
{
    std::vector<fs::path> files;
    for (const std::string& argument : arguments) {
        std::error_code ec;
        if (!fs::is_directory(argument, ec)) {
            files.emplace_back(argument);
            continue;
        }
        std::vector<fs::path> entries;
        for (const auto& entry : fs::directory_iterator(argument, ec))
            if (entry.path().extension() == ".json" && entry.path().filename().string().front() != '.')
                entries.push_back(entry.path());
        if (ec)
            return Error{ec.value(), "cannot list " + argument, ErrorKind::bad_input};
        std::sort(entries.begin(), entries.end());
        for (const fs::path& entry : entries) {
            auto document = load_document(entry);
            if (!document)
                return document.error();
            if (document->kind != DocumentKind::summary && document->kind != DocumentKind::diff)
                files.push_back(entry);
        }
    }
    // load_reports says why when nothing was found, in its own words.
    auto reports = load_reports(files.empty() ? std::vector<fs::path>(arguments.begin(), arguments.end()) : files);
    if (!reports)
        return reports.error();
    LoadedReports loaded{std::move(*reports), {}};
    for (const fs::path& file : files)
        loaded.sources.push_back(file.string());
    return loaded;
}

Result<void> check_textfile_dir(const fs::path& dir)
{
    std::error_code ec;
    const fs::file_status status = fs::status(dir, ec);
    if (status.type() == fs::file_type::none)
        return Error{ec.value(), "cannot access the textfile directory " + dir.string(), ErrorKind::bad_input};
    if (!fs::exists(status))
        return Error{ENOENT,
                     "the textfile directory " + dir.string() +
                         " does not exist; create it, or pass the directory node_exporter's "
                         "--collector.textfile.directory names",
                     ErrorKind::bad_input};
    if (!fs::is_directory(status))
        return Error{ENOTDIR,
                     "--textfile-dir " + dir.string() +
                         " is not a directory; pass the directory node_exporter's --collector.textfile.directory names",
                     ErrorKind::bad_input};
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
            return fail(usable.error(), "export");
        target = fs::path(options.textfile_dir) / options.name;
    }
    auto loaded = load_named_reports(options.reports);
    if (!loaded)
        return fail(loaded.error(), "export");
    auto text = render_openmetrics(loaded->reports, loaded->sources);
    if (!text)
        return fail(text.error(), "export");
    const std::string what = describe_export(loaded->reports.size(), *text);

    if (target.empty()) {
        std::cout << *text << std::flush;
        if (!std::cout)
            return fail(kExitFailed, "export: cannot write to stdout");
        std::cerr << "zctrace: exported " << what << "\n";
        return kExitOk;
    }
    // Whole or not at all: the collector may read the file at any moment.
    if (auto written = write_text_atomically(*text, target); !written)
        return fail(written.error(), "export");
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
    command->add_option("reports", options->reports, "Report files, or directories holding them")
        ->required()
        ->type_name("REPORTS");
    command->add_flag("--openmetrics", options->openmetrics, "OpenMetrics text (the default and only format)");
    CLI::Option* textfile_dir =
        command
            ->add_option("--textfile-dir", options->textfile_dir,
                         "Write DIR/NAME (see --name) instead of stdout: the directory node_exporter's "
                         "--collector.textfile.directory reads")
            ->type_name("DIR")
            ->check(CLI::Validator(
                [](const std::string& dir) { return dir.empty() ? std::string("must name a directory") : ""; }, "",
                "directory"));
    command->add_option("--name", options->name, "File name in --textfile-dir; must end in .prom")
        ->type_name("NAME")
        ->capture_default_str()
        ->needs(textfile_dir)
        ->check(CLI::Validator(validate_prom_name, "", "prom file name"));
    command->callback([options, &exit_code] { exit_code = run_export(*options); });
}

}  // namespace zctrace::cli
