// `zctrace validate FILE...`: are these zctrace documents that this zctrace
// can read? For pipelines that store reports or stream `run --format ndjson`.
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>

#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "common.hpp"
#include "output/documents.hpp"
#include "output/json_schema.hpp"
#include "report/interval_sample.hpp"

namespace zctrace::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Bad NDJSON lines listed per file; a file that is wrong throughout would
// otherwise bury every other file's result.
constexpr std::size_t kBadLinesShown = 20;
constexpr std::size_t kSchemaProblemsShown = 3;

struct ValidateOptions {
    std::vector<std::string> files;
    std::string format = "text";
    bool quiet = false;
};

struct FileResult {
    std::string file;
    bool readable = true;
    bool ok = false;
    std::string kind;    // report, gather, summary, diff, ndjson; empty when not known
    std::string detail;  // what an ok file holds, e.g. "report v1: sendfile"
    std::string problem;  // why the file as a whole is not ok
    std::vector<std::pair<std::size_t, std::string>> bad_lines;  // NDJSON: line number, why
    std::size_t bad_line_count = 0;
};

// identify_document() names the source at the start of its messages; the
// output names it already.
std::string without_source(const std::string& message, const std::string& source)
{
    const std::string prefix = source + ": ";
    return message.compare(0, prefix.size(), prefix) == 0 ? message.substr(prefix.size()) : message;
}

std::string parse_problem(const json::parse_error& error)
{
    return "not JSON: " + describe_parse_error(error);
}

std::string describe(const Document& document)
{
    std::string text = std::string(document_kind_name(document.kind)) + " v" +
                       std::to_string(document.json.value("schema_version", 0));
    switch (document.kind) {
    case DocumentKind::report: return text + ": " + document.json.value("technique", std::string());
    case DocumentKind::summary: {
        text += ": " + std::to_string(document.json.at("rows").size()) + " rows";
        // Version 3 and later: traces, when there are any.
        if (const auto traces = document.json.find("traces"); traces != document.json.end())
            text += ", " + std::to_string(traces->size()) + " traces";
        return text;
    }
    case DocumentKind::diff:
        return text + ": " + document.json.at("a").value("technique", std::string()) + " vs " +
               document.json.at("b").value("technique", std::string());
    case DocumentKind::trace:
        return text + ": " + document.json.at("target").value("kind", std::string()) + ", " +
               std::to_string(document.json.at("processes").size()) + " processes";
    case DocumentKind::gather: break;
    }
    return text;
}

std::string schema_problems(const std::vector<std::string>& problems)
{
    return join_schema_problems(problems, kSchemaProblemsShown);
}

// The NDJSON schema is a oneOf over the line types, and a oneOf that fails
// says only "matches 0 of oneOf". Checked against the branch for the line's
// own type, the message names the field that is wrong. Empty when the
// schema is not laid out that way; the whole schema is checked then.
std::map<std::string, JsonSchema> branches_of(int version)
{
    std::map<std::string, JsonSchema> out;
    const json root = json::parse(find_schema_text("ndjson", version), nullptr, false);
    if (!root.is_object() || !root.contains("oneOf") || !root["oneOf"].is_array())
        return out;
    for (json branch : root["oneOf"]) {
        const json::json_pointer type_pointer("/properties/type/const");
        if (!branch.contains(type_pointer) || !branch[type_pointer].is_string())
            continue;
        const std::string type = branch[type_pointer].get<std::string>();
        // So that the branch's "$ref"s into the root still resolve.
        branch["definitions"] = root.value("definitions", json::object());
        if (auto schema = JsonSchema::parse(std::move(branch)))
            out.emplace(type, std::move(*schema));
    }
    return out;
}

// Per NDJSON schema version: samples say which one they follow.
const std::map<std::string, JsonSchema>& ndjson_branches(int version)
{
    static std::map<int, std::map<std::string, JsonSchema>> cache;
    auto found = cache.find(version);
    if (found == cache.end())
        found = cache.emplace(version, branches_of(version)).first;
    return found->second;
}

// One line of `run --format ndjson`: empty when it is valid, else why not.
// `counts` tallies the valid lines by type.
std::string check_ndjson_line(const std::string& line, const std::string& source, std::map<std::string, int>& counts)
{
    json value;
    try {
        value = json::parse(line);
    } catch (const json::parse_error& error) {
        return parse_problem(error);
    }
    // Checked here as well as by the schema, so the message says what an
    // NDJSON line should be rather than which keyword failed.
    if (!value.is_object() || !value.contains("type") || !value.contains("data"))
        return "not a zctrace NDJSON line: expected {\"type\": \"sample\" | \"report\" | \"summary\" | "
               "\"trace_sample\" | \"trace\", \"data\": {...}}";
    const json& type = value["type"];
    const bool is_sample = type == "sample" || type == "trace_sample";
    if (!type.is_string() || (!is_sample && type != "report" && type != "summary" && type != "trace"))
        return "unknown NDJSON line type " + type.dump() +
               " (expected \"sample\", \"report\", \"summary\", \"trace_sample\" or \"trace\")";
    const std::string kind = type.get<std::string>();
    // A report, summary or trace first as the document it is: its own
    // schema says more than the envelope's.
    if (!is_sample) {
        auto document = identify_document(value["data"], source);
        if (!document)
            return "its " + kind + ": " + without_source(document.error().message, source);
        const std::string found(document_kind_name(document->kind));
        if (found != kind && !(kind == "trace" && document->kind == DocumentKind::trace))
            return "the line says \"type\": \"" + kind + "\" but its data is a zctrace " + found;
    }
    // A sample follows the NDJSON schema of its own version; reports and
    // summaries carry theirs inside and were checked above.
    int version = kNdjsonSchemaVersion;
    if (is_sample && value["data"].is_object()) {
        const json stated = value["data"].value("schema_version", json());
        if (stated.is_number_integer() && stated.get<std::int64_t>() > kNdjsonSchemaVersion)
            return "its sample has schema_version " + stated.dump() + ", but this zctrace reads sample schema_version " +
                   std::to_string(kNdjsonSchemaVersion) + " at most; upgrade zctrace to read it";
        if (stated.is_number_integer() && stated.get<std::int64_t>() >= 1)
            version = static_cast<int>(stated.get<std::int64_t>());
    }
    const JsonSchema* schema = find_schema("ndjson", version);
    if (!schema)
        return "its sample has schema_version " + std::to_string(version) + ", which no zctrace wrote";
    const std::string named = " line schema (v" + std::to_string(version) + "): ";
    const auto& branches = ndjson_branches(version);
    if (const auto branch = branches.find(kind); branch != branches.end())
        if (const auto problems = branch->second.validate(value); !problems.empty())
            return "does not match the NDJSON " + kind + named + schema_problems(problems);
    if (const auto problems = schema->validate(value); !problems.empty())
        return "does not match the NDJSON" + named + schema_problems(problems);
    ++counts[kind];
    return {};
}

void check_ndjson(const std::string& text, FileResult& result)
{
    result.kind = "ndjson";
    std::map<std::string, int> counts;
    std::istringstream lines(text);
    std::string line;
    std::size_t number = 0;
    std::size_t non_empty = 0;
    while (std::getline(lines, line)) {
        ++number;
        if (line.find_first_not_of(" \t\r") == std::string::npos)
            continue;
        ++non_empty;
        const std::string source = result.file + ":" + std::to_string(number);
        if (std::string problem = check_ndjson_line(line, source, counts); !problem.empty()) {
            ++result.bad_line_count;
            if (result.bad_lines.size() < kBadLinesShown)
                result.bad_lines.emplace_back(number, std::move(problem));
        }
    }
    if (non_empty == 0) {
        result.problem = "an empty NDJSON file: no lines";
        return;
    }
    if (result.bad_line_count) {
        result.problem = std::to_string(result.bad_line_count) + " of " + std::to_string(non_empty) +
                         " NDJSON lines are bad";
        return;
    }
    result.ok = true;
    result.detail = "ndjson: " + std::to_string(non_empty) + (non_empty == 1 ? " line" : " lines");
    std::string separator = ": ";
    for (const auto& [type, count] : counts) {
        result.detail += separator + std::to_string(count) + " " + type;
        separator = ", ";
    }
}

bool ndjson_envelope(const json& value)
{
    return value.is_object() && value.contains("type") && value.contains("data") && !value.contains("tool");
}

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
    const std::string text = buffer.str();
    if (in.bad()) {
        result.readable = false;
        result.problem = std::strerror(errno);
        return result;
    }
    if (text.find_first_not_of(" \t\r\n") == std::string::npos) {
        result.problem = "an empty file";
        return result;
    }
    if (path.extension() == ".ndjson") {
        check_ndjson(text, result);
        return result;
    }
    json value;
    try {
        value = json::parse(text);
    } catch (const json::parse_error& error) {
        // Not one document: NDJSON if its first line is a JSON object (a
        // stream cut short shows up as its last line), else broken JSON.
        std::istringstream lines(text);
        std::string first;
        while (std::getline(lines, first) && first.find_first_not_of(" \t\r") == std::string::npos) {
        }
        const json head = json::parse(first, nullptr, false);
        if (!head.is_discarded() && head.is_object()) {
            check_ndjson(text, result);
            return result;
        }
        result.problem = parse_problem(error);
        return result;
    }
    // A one-line NDJSON stream parses as a single document too.
    if (ndjson_envelope(value)) {
        check_ndjson(text, result);
        return result;
    }
    auto document = identify_document(std::move(value), result.file);
    if (!document) {
        result.problem = without_source(document.error().message, result.file);
        return result;
    }
    result.ok = true;
    result.kind = std::string(document_kind_name(document->kind));
    if (document->kind == DocumentKind::gather)
        result.kind = "gather";
    result.detail = describe(*document);
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
