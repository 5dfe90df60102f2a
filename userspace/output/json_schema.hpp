// A JSON Schema (draft-07) validator for zctrace's own schemas: Debian ships
// no C++ one. It covers every draft-07 assertion except "format", remote
// "$ref"s and "$id"-based resolution; tests/output/json_schema_test.cpp runs it
// against the official JSON-Schema-Test-Suite.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.hpp"

namespace zctrace {

class JsonSchema {
public:
    static Result<JsonSchema> parse(nlohmann::json schema);
    // Empty when the instance is valid; otherwise "<json pointer>: <problem>" lines.
    [[nodiscard]] std::vector<std::string> validate(const nlohmann::json& instance) const;

private:
    explicit JsonSchema(nlohmann::json root) : root_(std::move(root)) {}
    nlohmann::json root_;
};

// The report schema (reports/schema/report.v2.schema.json), compiled in.
const JsonSchema& report_schema();
const std::string& report_schema_text();
// Version 1 (reports/schema/report.v1.schema.json), for reports written by
// earlier zctraces.
const JsonSchema& report_v1_schema();
const std::string& report_v1_schema_text();
// The gather report schema (reports/schema/gather.v1.schema.json), compiled in.
const JsonSchema& gather_schema();
const std::string& gather_schema_text();
// summary.json (`run` with several techniques, `summarize`):
// reports/schema/summary.v2.schema.json, compiled in.
const JsonSchema& summary_schema();
const std::string& summary_schema_text();
// Version 1 (reports/schema/summary.v1.schema.json), for summaries written by
// earlier zctraces.
const JsonSchema& summary_v1_schema();
const std::string& summary_v1_schema_text();
// `diff --format json`: reports/schema/diff.v2.schema.json, compiled in.
const JsonSchema& diff_schema();
const std::string& diff_schema_text();
// Version 1 (reports/schema/diff.v1.schema.json), for diffs written by
// earlier zctraces.
const JsonSchema& diff_v1_schema();
const std::string& diff_v1_schema_text();
// One line of `run --format ndjson`: the envelope and the interval sample.
const JsonSchema& ndjson_schema();
const std::string& ndjson_schema_text();

}  // namespace zctrace
