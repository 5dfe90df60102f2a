// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// `zctrace validate FILE...`: are these zctrace documents that this zctrace
// can read? For pipelines that store reports or stream `run --format ndjson`.
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "common.hpp"
#include "output/validation.hpp"

namespace zctrace::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct ValidateOptions {
    std::vector<std::string> files;
    std::string format = "text";
    bool quiet = false;
};

struct FileResult : TextCheck {
    std::string file;
    bool readable = true;
};

FileResult check_file(const fs::path& path)
{
    FileResult result;
    result.file = path.string();
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        result.readable = false;
        result.problem = std::strerror(errno);
        return result;
    }
    std::ostringstream buffer;
    buffer << in.rdbuf();
    if (in.bad()) {
        result.readable = false;
        result.problem = std::strerror(errno);
        return result;
    }
    static_cast<TextCheck&>(result) = check_document_text(buffer.str(), result.file, path.extension() == ".ndjson");
    return result;
}

// A directory stands for the documents in it, so `zctrace validate reports/`
// checks a whole `run all --out reports`.
std::vector<fs::path> expand(const std::string& argument, std::vector<FileResult>& unreadable)
{
    std::error_code ec;
    if (!fs::is_directory(argument, ec))
        return {argument};
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(argument, ec)) {
        const std::string name = entry.path().filename().string();
        const std::string extension = entry.path().extension().string();
        if (name.front() != '.' && (extension == ".json" || extension == ".ndjson") && entry.is_regular_file())
            files.push_back(entry.path());
    }
    if (ec || files.empty()) {
        FileResult result;
        result.file = argument;
        result.readable = false;
        result.problem = ec ? ec.message() : "a directory without .json or .ndjson files (subdirectories are not searched)";
        unreadable.push_back(std::move(result));
    }
    std::sort(files.begin(), files.end());
    return files;
}

json result_json(const FileResult& result)
{
    json problems = json::array();
    if (!result.ok)
        problems.push_back(result.problem);
    for (const auto& [line, problem] : result.bad_lines)
        problems.push_back("line " + std::to_string(line) + ": " + problem);
    if (result.bad_line_count > result.bad_lines.size())
        problems.push_back("and " + std::to_string(result.bad_line_count - result.bad_lines.size()) +
                           " more bad lines");
    return {{"file", result.file},
            {"ok", result.ok},
            {"readable", result.readable},
            {"kind", result.kind.empty() ? json(nullptr) : json(result.kind)},
            {"detail", result.ok ? json(result.detail) : json(nullptr)},
            {"problems", problems}};
}

std::string result_text(const FileResult& result)
{
    if (result.ok)
        return result.file + ": ok (" + result.detail + ")\n";
    std::string text;
    for (const auto& [line, problem] : result.bad_lines)
        text += result.file + ":" + std::to_string(line) + ": invalid: " + problem + "\n";
    if (result.bad_line_count > result.bad_lines.size())
        text += result.file + ": ... and " + std::to_string(result.bad_line_count - result.bad_lines.size()) +
                " more bad lines\n";
    return text + result.file + (result.readable ? ": invalid: " : ": cannot read: ") + result.problem + "\n";
}

int run_validate(const ValidateOptions& options)
{
    std::vector<FileResult> results;
    for (const std::string& argument : options.files) {
        std::vector<FileResult> unreadable;
        for (const fs::path& path : expand(argument, unreadable))
            results.push_back(check_file(path));
        for (FileResult& result : unreadable)
            results.push_back(std::move(result));
    }
    int status = kExitOk;
    for (const FileResult& result : results) {
        if (!result.readable)
            status = kExitUsage;
        else if (!result.ok && status == kExitOk)
            status = kExitFailed;
    }
    if (options.format == "json") {
        json out = json::array();
        for (const FileResult& result : results)
            if (!options.quiet || !result.ok)
                out.push_back(result_json(result));
        std::cout << out.dump(2) << "\n";
    } else {
        for (const FileResult& result : results)
            if (!options.quiet || !result.ok)
                std::cout << result_text(result);
    }
    return status;
}

}  // namespace

void setup_validate(CLI::App& app, int& exit_code)
{
    auto options = std::make_shared<ValidateOptions>();
    CLI::App* validate = app.add_subcommand(
        "validate", "Check zctrace JSON files (reports, gather reports, summaries, diffs, run --format ndjson "
                    "streams) against their JSON Schemas");
    validate->footer(
        "Each file must be a zctrace document of a schema_version this zctrace reads, and match its schema. A file "
        "ending in .ndjson, or one that is not a single JSON document but whose first line is a JSON object, is read "
        "as `run --format ndjson` output: every non-empty line must be a {\"type\", \"data\"} envelope whose report "
        "or summary is itself valid. A directory stands for its *.json and *.ndjson files.\n"
        "Prints one line per file (\"FILE: ok (report v1: sendfile)\" or \"FILE: invalid: why\") and one per bad "
        "NDJSON line (\"FILE:LINE: invalid: why\").\n"
        "Exit status: 0 when every file is valid; 1 when any file is invalid; 2 when a file cannot be read at all "
        "(missing, unreadable, an empty directory), which wins over 1.");
    validate->add_option("file", options->files, "JSON or NDJSON files, or directories of them")
        ->required()
        ->option_text("FILE...");
    add_format_options(*validate, options->format,
                       "text (a line per file), or json: an array of {file, ok, readable, kind, detail, problems}");
    validate->add_flag("-q,--quiet", options->quiet, "print only the files with problems");
    validate->callback([options, &exit_code] { exit_code = run_validate(*options); });
}

}  // namespace zctrace::cli
