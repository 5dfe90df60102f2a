// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// The schema in reports/schema/ promises the report's shape: it accepts real
// reports and rejects broken ones.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "../cli/support.hpp"
#include "../report/full_report.hpp"
#include "analysis/checks.hpp"
#include "output/json_schema.hpp"
#include "report/run_report.hpp"

namespace zctrace {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using cli_test::read_text;
using test::full_report;
using test::joined;
using test::report_with_empty_optionals;

bool has_error(const std::vector<std::string>& errors, const std::string& wanted)
{
    for (const std::string& error : errors)
        if (error == wanted)
            return true;
    return false;
}

// interval_samples came after schema_version 1's first reports; those still
// validate and load, with 0 samples.
TEST(ReportJson, ReportsFromBeforeIntervalSamplesStillLoad)
{
    json document = full_report();
    document["overhead"].erase("interval_samples");
    EXPECT_EQ(report_schema().validate(document), std::vector<std::string>{});
    EXPECT_EQ(document.get<Report>().overhead.interval_samples, 0u);
}

// Every schema zctrace compiles in is the repository's file, the newest
// version of each kind and the older ones it still reads.
TEST(CompiledInSchemas, AreTheRepositoryFiles)
{
    std::set<std::string> files;
    for (const auto& entry : fs::directory_iterator(fs::path(ZCTRACE_SOURCE_DIR) / "reports/schema"))
        files.insert(entry.path().filename().string());
    std::set<std::string> compiled;
    for (const CompiledSchema& schema : compiled_schemas()) {
        const std::string name = std::string(schema.name) + ".v" + std::to_string(schema.version);
        compiled.insert(name + ".schema.json");
        const fs::path path = fs::path(ZCTRACE_SOURCE_DIR) / "reports/schema" / (name + ".schema.json");
        const std::string text = read_text(path);
        ASSERT_FALSE(text.empty()) << "cannot read " << path;
        const json file = json::parse(text);
        EXPECT_EQ(json::parse(schema.text), file) << name;
        EXPECT_NE(find_schema(schema.name, schema.version), nullptr) << name;
        // Each says which version it holds a document to.
        if (schema.name != "ndjson") {
            EXPECT_EQ(file["properties"]["schema_version"]["const"], schema.version) << name;
        }
        EXPECT_NE(file["$id"].get<std::string>().find(name + ".schema.json"), std::string::npos) << name;
    }
    EXPECT_EQ(compiled, files) << "every file in reports/schema/ is compiled in, and nothing else";
    for (const char* name : {"report", "summary", "diff"})
        EXPECT_NE(find_schema(name, 1), nullptr) << name << ": documents of version 1 must still be read";
    EXPECT_EQ(find_schema("report", 3), nullptr);
    EXPECT_TRUE(find_schema_text("report", 3).empty());
}

TEST(ReportSchema, AcceptsAFullReport)
{
    const std::vector<std::string> errors = report_schema().validate(json(full_report()));
    EXPECT_TRUE(errors.empty()) << joined(errors);

    // The same with every optional empty: null is allowed where the schema says so.
    const Report report = report_with_empty_optionals();
    const std::vector<std::string> with_nulls = report_schema().validate(json(report));
    EXPECT_TRUE(with_nulls.empty()) << joined(with_nulls);
}

TEST(ReportSchema, AcceptsWhatAnalyzeProduces)
{
    Report report = full_report();
    report.measured.cpu_copy_bytes = {};
    report.measured.cpu_copies = 0;
    analyze(report);
    // Five for every technique, and one for each of the fixture's cow, mmap
    // and comparison sections (and whatever cross-checks analysis adds).
    std::set<std::string> metrics;
    for (const Check& check : report.checks)
        metrics.insert(check.metric);
    for (const char* metric : {"integrity", "cpu_copies", "dma_copies", "syscalls_per_transfer",
                               "mode_switches_per_transfer", "cow_copied_pages", "mmap_rounding_waste_bytes",
                               "page_cache_pollution_vs_buffered"})
        EXPECT_TRUE(metrics.count(metric)) << metric << " is missing from " << json(report.checks).dump(1);
    const std::vector<std::string> errors = report_schema().validate(json(report));
    EXPECT_TRUE(errors.empty()) << joined(errors);
}

TEST(ReportSchema, RejectsAMissingRequiredKey)
{
    json j = full_report();
    j.erase("findings");
    const std::vector<std::string> errors = report_schema().validate(j);
    EXPECT_TRUE(has_error(errors, "/: missing required property \"findings\"")) << joined(errors);

    j = full_report();
    j["measured"]["page_cache"].erase("hit_ratio");
    const std::vector<std::string> nested = report_schema().validate(j);
    EXPECT_TRUE(has_error(nested, "/measured/page_cache: missing required property \"hit_ratio\"")) << joined(nested);
}

TEST(ReportSchema, RejectsAnUnknownKey)
{
    json j = full_report();
    j["colour"] = "blue";
    const std::vector<std::string> errors = report_schema().validate(j);
    EXPECT_TRUE(has_error(errors, "/colour: property \"colour\" is not allowed")) << joined(errors);

    j = full_report();
    j["environment"]["colour"] = "blue";
    const std::vector<std::string> nested = report_schema().validate(j);
    EXPECT_TRUE(has_error(nested, "/environment/colour: property \"colour\" is not allowed")) << joined(nested);

    j = full_report();
    j["checks"][0]["colour"] = "blue";
    const std::vector<std::string> in_definition = report_schema().validate(j);
    EXPECT_TRUE(has_error(in_definition, "/checks/0/colour: property \"colour\" is not allowed"))
        << joined(in_definition);
}

// Each schema holds a report to its own version: a version 2 report that
// claims version 1 (or 3) is rejected by the newest schema for its number.
TEST(ReportSchema, HoldsAReportToItsOwnVersion)
{
    json j = full_report();
    ASSERT_EQ(j["schema_version"], 2);
    j["schema_version"] = 1;
    std::vector<std::string> errors = report_schema().validate(j);
    ASSERT_EQ(errors.size(), 1u) << joined(errors);
    EXPECT_EQ(errors.front(), "/schema_version: expected 2");
    j["schema_version"] = 3;
    errors = report_schema().validate(j);
    ASSERT_EQ(errors.size(), 1u) << joined(errors);
    EXPECT_EQ(errors.front(), "/schema_version: expected 2");
    EXPECT_TRUE(has_error((*find_schema("report", 1)).validate(json(full_report())), "/schema_version: expected 1"));
}

TEST(ReportSchema, RejectsWrongTypesAndValues)
{
    json j = full_report();
    j["workload"]["bytes"] = "64M";
    EXPECT_FALSE(report_schema().validate(j).empty());

    j = full_report();
    j["verdict"] = "fine";
    EXPECT_FALSE(report_schema().validate(j).empty());

    j = full_report();
    j["workload"]["integrity"]["checksum_received"] = "9A3C11E0";
    EXPECT_FALSE(report_schema().validate(j).empty());

    j = full_report();
    j["measured"]["syscalls"]["by_name"]["Bad-Name"] = 1;
    EXPECT_FALSE(report_schema().validate(j).empty());

    j = full_report();
    j["measured"]["dma_bytes"]["total"] = -1;
    EXPECT_FALSE(report_schema().validate(j).empty());
}

}  // namespace
}  // namespace zctrace
