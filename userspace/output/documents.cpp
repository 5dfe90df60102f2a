// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "output/documents.hpp"

#include <algorithm>
#include <fstream>
#include <functional>
#include <sstream>

#include "report/gather_report.hpp"
#include "report/trace_report.hpp"
#include "output/json_schema.hpp"
#include "output/report_diff.hpp"
#include "output/summary.hpp"

namespace zctrace {
namespace {

// The name of a kind's schema files, reports/schema/<name>.v<N>.schema.json.
std::string_view schema_name(DocumentKind kind)
{
    switch (kind) {
    case DocumentKind::report: return "report";
    case DocumentKind::gather: return "gather";
    case DocumentKind::summary: return "summary";
    case DocumentKind::diff: return "diff";
    case DocumentKind::trace: return "trace";
    }
    return "report";
}

// Summaries and diffs say what they are; reports and gather reports predate
// the "kind" field and are told apart by their required members.
Result<DocumentKind> kind_of(const nlohmann::json& json, const std::string& source)
{
    if (auto kind = json.find("kind"); kind != json.end() && kind->is_string()) {
        if (*kind == "zctrace.summary")
            return DocumentKind::summary;
        if (*kind == "zctrace.diff")
            return DocumentKind::diff;
        if (*kind == kTraceKind)
            return DocumentKind::trace;
        return Error::bad_input(source + ": unknown zctrace document kind " + kind->dump() +
                                "; it may come from a newer zctrace, so upgrade zctrace to read it");
    }
    if (json.contains("technique") && json.contains("measured"))
        return DocumentKind::report;
    if (json.contains("interfaces") && json.contains("self_test"))
        return DocumentKind::gather;
    return Error::bad_input(source + ": a zctrace document, but not one this version knows (no \"technique\", "
                                     "\"interfaces\" or \"kind\" member)");
}

}  // namespace

std::string_view document_kind_name(DocumentKind kind)
{
    switch (kind) {
    case DocumentKind::report: return "report";
    case DocumentKind::gather: return "gather report";
    case DocumentKind::summary: return "summary";
    case DocumentKind::diff: return "diff";
    case DocumentKind::trace: return "trace report";
    }
    return "report";
}

int supported_schema_version(DocumentKind kind)
{
    switch (kind) {
    case DocumentKind::report: return kReportSchemaVersion;
    case DocumentKind::gather: return kGatherSchemaVersion;
    case DocumentKind::summary: return kSummarySchemaVersion;
    case DocumentKind::diff: return kDiffSchemaVersion;
    case DocumentKind::trace: return kTraceSchemaVersion;
    }
    return 1;
}

Result<Document> identify_document(nlohmann::json json, const std::string& source)
{
    if (!json.is_object())
        return Error::bad_input(source + ": not a zctrace document: its top level is " + std::string(json.type_name()) +
                                ", not an object. zctrace reads the JSON files that `zctrace run`, `gather`, "
                                "`summarize` and `diff --format json` write");
    const auto tool = json.find("tool");
    if (tool == json.end() || !tool->is_string() || tool->get<std::string>().rfind("zctrace", 0) != 0)
        return Error::bad_input(source +
                                ": not a zctrace document (no \"tool\": \"zctrace ...\" member). zctrace reads "
                                "the JSON files that `zctrace run`, `gather`, `summarize` and `diff --format json` "
                                "write");
    auto kind = kind_of(json, source);
    if (!kind)
        return kind.error();
    const auto version = json.find("schema_version");
    if (version == json.end() || !version->is_number_integer())
        return Error::bad_input(source + ": its schema_version is missing or not an integer, so it cannot be read");
    const auto number = version->get<std::int64_t>();
    const int supported = supported_schema_version(*kind);
    if (number > supported)
        return Error::bad_input(source + ": written by " + tool->get<std::string>() + " with " +
                                std::string(document_kind_name(*kind)) + " schema_version " + std::to_string(number) +
                                ", but this zctrace (" + ZCTRACE_VERSION + ") reads schema_version " +
                                std::to_string(supported) + " at most; upgrade zctrace to read it");
    if (number < 1)
        return Error::bad_input(source + ": schema_version " + std::to_string(number) + " is not a valid version");
    const JsonSchema* schema = find_schema(schema_name(*kind), static_cast<int>(number));
    if (!schema)
        return Error::bad_input(source + ": " + std::string(document_kind_name(*kind)) + " schema_version " +
                                std::to_string(number) + " is not one this zctrace reads");
    const auto problems = schema->validate(json);
    if (!problems.empty())
        return Error::bad_input(source + ": does not match the " + std::string(document_kind_name(*kind)) +
                                " schema (v" + std::to_string(number) + "): " + join_schema_problems(problems));
    return Document{source, *kind, std::move(json)};
}

Result<Document> load_document(const std::filesystem::path& path)
{
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec))
        return Error::bad_input(path.string() + " is a directory; name a JSON file");
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return Error::from_errno("cannot read " + path.string()).as(ErrorKind::bad_input);
    std::ostringstream text;
    text << in.rdbuf();
    nlohmann::json json;
    try {
        json = nlohmann::json::parse(text.str());
    } catch (const nlohmann::json::parse_error& error) {
        return Error::bad_input(path.string() + " is not JSON: " + describe_parse_error(error));
    }
    return identify_document(std::move(json), path.string());
}

namespace {

// The document read as T, or why it cannot be.
template <typename T>
Result<T> read_as(const Document& document, std::string_view what)
{
    try {
        return document.json.get<T>();
    } catch (const nlohmann::json::exception& error) {
        return Error::bad_input(document.source + ": cannot read the " + std::string(what) + ": " + error.what());
    }
}

Result<Report> report_from(const Document& document)
{
    if (document.kind != DocumentKind::report)
        return Error::bad_input(document.source + " is a zctrace " + std::string(document_kind_name(document.kind)) +
                                ", not a run report; name the <technique>.json files that `zctrace run` writes");
    return read_as<Report>(document, "report");
}

using TakeDocument = std::function<Result<void>(const std::filesystem::path&, const Document&)>;

// Each document named on a command line, in order, to `take`, which may
// refuse it. A file is taken whatever it is; a directory stands for its
// *.json files, sorted, of which only those `listed` keeps are taken: the
// documents that share a directory with reports are skipped.
Result<void> take_named_documents(const std::vector<std::filesystem::path>& paths, bool (*listed)(DocumentKind),
                                  const TakeDocument& take, std::vector<std::string>* skipped)
{
    for (const std::filesystem::path& path : paths) {
        std::error_code ec;
        if (!std::filesystem::is_directory(path, ec)) {
            auto document = load_document(path);
            if (!document)
                return document.error();
            if (skipped && !listed(document->kind)) {
                skipped->push_back(not_a_report_note(path, document->kind));
                continue;
            }
            if (auto taken = take(path, *document); !taken)
                return taken.error();
            continue;
        }
        std::vector<std::filesystem::path> files;
        for (const auto& entry : std::filesystem::directory_iterator(path, ec))
            if (entry.path().extension() == ".json" && entry.path().filename().string().front() != '.')
                files.push_back(entry.path());
        if (ec)
            return Error{ec.value(), "cannot list " + path.string(), ErrorKind::bad_input};
        std::sort(files.begin(), files.end());
        for (const auto& file : files) {
            auto document = load_document(file);
            if (!document)
                return document.error();
            if (!listed(document->kind))
                continue;
            if (auto taken = take(file, *document); !taken)
                return taken.error();
        }
    }
    return {};
}

std::string where_named(const std::vector<std::filesystem::path>& paths)
{
    return paths.size() == 1 ? paths.front().string() : "the paths given";
}

}  // namespace

std::string not_a_report_note(const std::filesystem::path& path, DocumentKind kind)
{
    return path.string() + " is a zctrace " + std::string(document_kind_name(kind)) + ", not a run or trace report";
}

Result<Report> load_report(const std::filesystem::path& path)
{
    auto document = load_document(path);
    if (!document)
        return document.error();
    return report_from(*document);
}

Result<std::vector<LoadedReport>> load_report_files(const std::vector<std::filesystem::path>& paths)
{
    std::vector<LoadedReport> reports;
    auto taken = take_named_documents(
        paths, [](DocumentKind kind) { return kind == DocumentKind::report; },
        [&](const std::filesystem::path& path, const Document& document) -> Result<void> {
            auto report = report_from(document);
            if (!report)
                return report.error();
            reports.push_back({path, std::move(*report)});
            return {};
        },
        nullptr);
    if (!taken)
        return taken.error();
    if (reports.empty())
        return Error::bad_input("no reports found in " + where_named(paths) +
                                "; run `zctrace run all --out DIR` first");
    return reports;
}

Result<RunAndTraceReports> load_run_and_trace_reports(const std::vector<std::filesystem::path>& paths,
                                                      std::vector<std::string>* skipped)
{
    RunAndTraceReports loaded;
    auto taken = take_named_documents(
        paths, [](DocumentKind kind) { return kind == DocumentKind::report || kind == DocumentKind::trace; },
        [&](const std::filesystem::path&, const Document& document) -> Result<void> {
            if (document.kind == DocumentKind::trace) {
                auto trace = read_as<TraceReport>(document, "trace report");
                if (!trace)
                    return trace.error();
                loaded.traces.push_back(std::move(*trace));
                return {};
            }
            if (document.kind != DocumentKind::report)
                return Error::bad_input(
                    document.source + " is a zctrace " + std::string(document_kind_name(document.kind)) +
                    ", not a run or trace report; name the <technique>.json files that `zctrace run` "
                    "writes or the trace.json that `zctrace trace` writes");
            auto report = report_from(document);
            if (!report)
                return report.error();
            loaded.runs.push_back(std::move(*report));
            return {};
        },
        skipped);
    if (!taken)
        return taken.error();
    if (loaded.runs.empty() && loaded.traces.empty())
        return Error::bad_input("no reports found in " + where_named(paths) +
                                "; run `zctrace run all --out DIR` or `zctrace trace --out DIR` first");
    return loaded;
}

Result<std::vector<Report>> load_reports(const std::vector<std::filesystem::path>& paths)
{
    auto loaded = load_report_files(paths);
    if (!loaded)
        return loaded.error();
    std::vector<Report> reports;
    for (LoadedReport& each : *loaded)
        reports.push_back(std::move(each.report));
    return reports;
}

std::string describe_parse_error(const nlohmann::json::parse_error& error)
{
    std::string what = error.what();
    if (const auto tag_end = what.find("] "); what.rfind("[json.exception.", 0) == 0 && tag_end != std::string::npos)
        what.erase(0, tag_end + 2);
    return what;
}

std::string join_schema_problems(const std::vector<std::string>& problems, std::size_t shown)
{
    std::string text;
    for (std::size_t i = 0; i < problems.size() && i < shown; ++i)
        text += (i ? "; " : "") + problems[i];
    if (problems.size() > shown)
        text += "; and " + std::to_string(problems.size() - shown) + " more";
    return text;
}

}  // namespace zctrace
