// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// A JSON Schema (draft-07) validator for zctrace's own schemas: Debian ships
// no C++ one. It covers every draft-07 assertion except "format", remote
// "$ref"s and "$id"-based resolution; tests/output/json_schema_test.cpp runs it
// against the official JSON-Schema-Test-Suite.
#pragma once

#include <string>
#include <string_view>
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

// The JSON Schemas in reports/schema/, compiled in so an installed zctrace
// can validate what it reads: <name>.v<version>.schema.json.
struct CompiledSchema {
    std::string_view name;  // "report", "gather", "summary", "diff", "ndjson"
    int version = 0;
    std::string_view text;
};
const std::vector<CompiledSchema>& compiled_schemas();
// That schema, parsed; null when this zctrace has no such version.
const JsonSchema* find_schema(std::string_view name, int version);
// Its text; empty when this zctrace has no such version.
std::string_view find_schema_text(std::string_view name, int version);

// The newest of each: what this zctrace writes.
const JsonSchema& report_schema();   // a run's report
const JsonSchema& gather_schema();   // `zctrace gather`
const JsonSchema& summary_schema();  // `run` with several techniques, `summarize`
const JsonSchema& diff_schema();     // `diff --format json`
const JsonSchema& ndjson_schema();   // one line of `run --format ndjson`

}  // namespace zctrace
