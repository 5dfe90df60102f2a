// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// The validator in json_schema.cpp is written in-house, so it is held to the
// official JSON-Schema-Test-Suite (Debian: json-schema-test-suite), one test
// per draft-07 keyword file. Skipped are only what the validator documents it
// does not do: "format", remote $refs and "$id"-based resolution. Every
// skipped case is printed, so a skip can never hide silently.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "output/json_schema.hpp"

namespace zctrace {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const fs::path kSuiteDir = JSON_SCHEMA_TEST_SUITE_DIR;
const std::string kInstallHint = "the official JSON Schema test suite is not installed at " + kSuiteDir.string() +
                                 "; install it with: apt-get install -y json-schema-test-suite";
// Stands in for the keyword files when the suite is missing, so that the
// parameterized test fails instead of vanishing.
const std::string kSuiteMissing = "suite_missing";

// format: the validator does not check formats. refRemote: needs a server
// on localhost:1234. definitions: validates against the remote metaschema.
const std::set<std::string> kExcludedFiles = {"format.json", "refRemote.json", "definitions.json"};

std::vector<std::string> keyword_files()
{
    std::vector<std::string> files;
    std::error_code ec;
    // Only the top level: "optional/" is not part of draft-07 conformance.
    for (const auto& entry : fs::directory_iterator(kSuiteDir, ec)) {
        const std::string name = entry.path().filename().string();
        if (entry.is_regular_file() && entry.path().extension() == ".json" && !kExcludedFiles.contains(name))
            files.push_back(name);
    }
    std::sort(files.begin(), files.end());
    if (files.empty())
        files.push_back(kSuiteMissing);
    return files;
}

// Why a schema is out of the validator's scope, or nothing. Walks every place
// a subschema can sit; the names in "properties" and the values of "enum",
// "const" and the like are data, so a property called "$ref" is not a $ref.
void find_unsupported(const json& schema, std::set<std::string>& reasons)
{
    if (!schema.is_object())
        return;
    if (auto id = schema.find("$id"); id != schema.end() && id->is_string())
        reasons.insert("uses \"$id\": " + id->dump());
    if (auto ref = schema.find("$ref"); ref != schema.end() && ref->is_string()) {
        const std::string& target = ref->get_ref<const std::string&>();
        if (target.empty() || target[0] != '#')
            reasons.insert("uses the non-local \"$ref\": " + ref->dump());
    }
    static const std::set<std::string> data_keywords = {"enum", "const", "default", "examples", "required"};
    static const std::set<std::string> schema_maps = {"properties", "patternProperties", "definitions",
                                                      "dependencies"};
    for (auto it = schema.begin(); it != schema.end(); ++it) {
        if (data_keywords.contains(it.key()))
            continue;
        if (schema_maps.contains(it.key()) && it->is_object()) {
            for (const auto& member : *it)
                find_unsupported(member, reasons);
        } else if (it->is_array()) {
            for (const auto& element : *it)
                find_unsupported(element, reasons);
        } else {
            // Unknown keywords too: a "$ref" may point into them.
            find_unsupported(*it, reasons);
        }
    }
}

std::string test_name(const testing::TestParamInfo<std::string>& info)
{
    std::string name = fs::path(info.param).stem().string();
    std::replace_if(name.begin(), name.end(), [](char c) { return !std::isalnum(static_cast<unsigned char>(c)); },
                    '_');
    return name;
}

TEST(JsonSchemaTestSuite, IsInstalled)
{
    ASSERT_TRUE(fs::is_directory(kSuiteDir)) << kInstallHint;
    // A wrong directory with a few stray .json files must not pass as the suite.
    for (const char* core : {"type.json", "properties.json", "items.json", "ref.json", "allOf.json", "enum.json",
                             "required.json", "additionalProperties.json", "if-then-else.json"})
        EXPECT_TRUE(fs::is_regular_file(kSuiteDir / core)) << core << " is missing from " << kSuiteDir;
}

class OfficialSuite : public testing::TestWithParam<std::string> {};

TEST_P(OfficialSuite, KeywordFile)
{
    const std::string file = GetParam();
    if (file == kSuiteMissing)
        FAIL() << kInstallHint;

    std::ifstream in(kSuiteDir / file);
    ASSERT_TRUE(in) << "cannot open " << (kSuiteDir / file);
    json groups;
    try {
        groups = json::parse(in);
    } catch (const std::exception& e) {
        FAIL() << "cannot parse " << file << ": " << e.what();
    }
    ASSERT_TRUE(groups.is_array()) << file;

    int passed = 0;
    int failed = 0;
    int skipped = 0;
    for (const json& group : groups) {
        const std::string group_description = group.at("description").get<std::string>();
        const json& schema = group.at("schema");
        const json& tests = group.at("tests");

        std::set<std::string> reasons;
        find_unsupported(schema, reasons);
        if (!reasons.empty()) {
            std::string why;
            for (const std::string& reason : reasons)
                why += (why.empty() ? "" : "; ") + reason;
            for (const json& test : tests) {
                std::cout << "[ skipped case ] " << file << ": \"" << group_description << "\" / \""
                          << test.at("description").get<std::string>() << "\" (schema " << why << ")\n";
                ++skipped;
            }
            continue;
        }

        const Result<JsonSchema> parsed = JsonSchema::parse(schema);
        for (const json& test : tests) {
            const std::string description = test.at("description").get<std::string>();
            const bool expected = test.at("valid").get<bool>();
            const std::string where = file + ": \"" + group_description + "\" / \"" + description + "\"";
            if (!parsed.ok()) {
                ADD_FAILURE() << where << ": JsonSchema::parse rejected the schema: " << parsed.error().message
                              << "\n  schema: " << schema.dump();
                ++failed;
                continue;
            }
            std::vector<std::string> errors;
            try {
                errors = parsed->validate(test.at("data"));
            } catch (const std::exception& e) {
                ADD_FAILURE() << where << ": validate() threw " << e.what() << "\n  schema: " << schema.dump()
                              << "\n  data: " << test.at("data").dump();
                ++failed;
                continue;
            }
            const bool valid = errors.empty();
            if (valid == expected) {
                ++passed;
                continue;
            }
            ++failed;
            std::string said;
            for (const std::string& error : errors)
                said += "\n    " + error;
            ADD_FAILURE() << where << ": expected " << (expected ? "valid" : "invalid") << ", the validator said "
                          << (valid ? "valid" : "invalid:" + said) << "\n  schema: " << schema.dump()
                          << "\n  data: " << test.at("data").dump();
        }
    }
    std::cout << file << ": " << passed << " passed, " << failed << " failed, " << skipped << " skipped\n";
    // A file whose every case was skipped tested nothing.
    EXPECT_GT(passed + failed, 0) << file << " ran no case";
}

INSTANTIATE_TEST_SUITE_P(Draft7, OfficialSuite, testing::ValuesIn(keyword_files()), test_name);

// What the suite does not cover: the validator's own API and messages.

TEST(JsonSchema, ParseAcceptsOnlyObjectsAndBooleans)
{
    EXPECT_TRUE(JsonSchema::parse(json::object()).ok());
    EXPECT_TRUE(JsonSchema::parse(json(true)).ok());
    EXPECT_TRUE(JsonSchema::parse(json(false)).ok());
    for (const json& bad : {json(42), json("object"), json::array(), json(nullptr)}) {
        const Result<JsonSchema> parsed = JsonSchema::parse(bad);
        ASSERT_FALSE(parsed.ok()) << bad.dump();
        EXPECT_EQ(parsed.error().message, "a JSON Schema must be an object or a boolean");
    }
}

TEST(JsonSchema, ErrorsPointAtTheValue)
{
    const JsonSchema schema = *JsonSchema::parse(json::parse(R"({
        "properties": {
            "list": {"items": {"type": "integer"}},
            "a/b~c": {"minimum": 3}
        }
    })"));
    // The order of errors is not part of the contract.
    std::vector<std::string> errors = schema.validate(json::parse(R"({"list": [1, "two"], "a/b~c": 1})"));
    std::sort(errors.begin(), errors.end());
    EXPECT_EQ(errors, (std::vector<std::string>{"/a~1b~0c: 1 is below the minimum 3",
                                                "/list/1: expected type \"integer\", got string"}));
    EXPECT_TRUE(schema.validate(json::parse(R"({"list": [1, 2], "a/b~c": 3})")).empty());
}

TEST(JsonSchema, RefCyclesAndDanglingRefsFailCleanly)
{
    // A schema that only refers to itself must end in an error, not a stack overflow.
    const JsonSchema cycle = *JsonSchema::parse(json::parse(R"({"$ref": "#"})"));
    const std::vector<std::string> errors = cycle.validate(json(1));
    ASSERT_FALSE(errors.empty());
    EXPECT_NE(errors.front().find("schema nesting too deep"), std::string::npos) << errors.front();

    const JsonSchema dangling = *JsonSchema::parse(json::parse(R"({"$ref": "#/definitions/missing"})"));
    EXPECT_EQ(dangling.validate(json(1)), std::vector<std::string>{"/: unresolvable $ref #/definitions/missing"});
}

}  // namespace
}  // namespace zctrace
