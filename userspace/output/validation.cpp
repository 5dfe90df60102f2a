// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// Whether a file's text is a zctrace document or NDJSON stream this zctrace
// reads: what `zctrace validate` reports, kept apart from the files.
#include "validation.hpp"

#include <cstdint>
#include <map>
#include <sstream>

#include "documents.hpp"
#include "json_schema.hpp"
#include "report/interval_sample.hpp"

namespace zctrace {
namespace {

using nlohmann::json;

// Bad NDJSON lines listed per file; a file that is wrong throughout would
// otherwise bury every other file's result.
constexpr std::size_t kBadLinesShown = 20;
constexpr std::size_t kSchemaProblemsShown = 3;

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

void check_ndjson(const std::string& text, const std::string& name, TextCheck& result)
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
        const std::string source = name + ":" + std::to_string(number);
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

}  // namespace

TextCheck check_document_text(const std::string& text, const std::string& name, bool ndjson_by_name)
{
    TextCheck result;
    if (text.find_first_not_of(" \t\r\n") == std::string::npos) {
        result.problem = "an empty file";
        return result;
    }
    if (ndjson_by_name) {
        check_ndjson(text, name, result);
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
            check_ndjson(text, name, result);
            return result;
        }
        result.problem = parse_problem(error);
        return result;
    }
    // A one-line NDJSON stream parses as a single document too.
    if (ndjson_envelope(value)) {
        check_ndjson(text, name, result);
        return result;
    }
    auto document = identify_document(std::move(value), name);
    if (!document) {
        result.problem = without_source(document.error().message, name);
        return result;
    }
    result.ok = true;
    result.kind = std::string(document_kind_name(document->kind));
    if (document->kind == DocumentKind::gather)
        result.kind = "gather";
    result.detail = describe(*document);
    return result;
}

}  // namespace zctrace
