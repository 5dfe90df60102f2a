// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// The JSON report is zctrace's output contract: other tools read it. These
// tests check that no field is lost on the way through JSON, and that empty
// optionals stay null. tests/output/report_schema_test.cpp checks the schema
// that promises its shape, and files_test.cpp how it reaches the disk.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "full_report.hpp"
#include "report/run_report.hpp"

namespace zctrace {
namespace {

using nlohmann::json;
using test::full_report;
using test::joined;
using test::report_with_empty_optionals;

// Where a value is still at its default, as a JSON pointer; empty when none is.
void find_defaults(const json& value, const std::string& where, std::vector<std::string>& out)
{
    if (value.is_null() || (value.is_boolean() && !value.get<bool>()) ||
        (value.is_number() && value.get<double>() == 0) || (value.is_string() && value.get<std::string>().empty()) ||
        (value.is_structured() && value.empty())) {
        out.push_back(where.empty() ? "/" : where);
        return;
    }
    if (value.is_object())
        for (auto it = value.begin(); it != value.end(); ++it)
            find_defaults(it.value(), where + "/" + it.key(), out);
    if (value.is_array())
        for (std::size_t i = 0; i < value.size(); ++i)
            find_defaults(value[i], where + "/" + std::to_string(i), out);
}

TEST(ReportJson, FullReportIsFullyPopulated)
{
    // The round trip below only proves something if every field carries a value.
    std::vector<std::string> defaults;
    find_defaults(json(full_report()), "", defaults);
    EXPECT_TRUE(defaults.empty()) << "fields left at their defaults:\n" << joined(defaults);
}

TEST(ReportJson, RoundTripKeepsEveryField)
{
    const json first = full_report();
    const std::string text = first.dump(2);
    const Report back = json::parse(text).get<Report>();
    const json second = back;
    EXPECT_EQ(second, first);
    EXPECT_EQ(second.dump(2), text);
    // Spot checks that the typed side holds the values, not only the JSON.
    EXPECT_EQ(back.environment.device_sg, true);
    EXPECT_EQ(back.measured.page_cache.hit_ratio, 0.99993896484375);
    EXPECT_EQ(back.theory.syscalls_per_transfer, 1.0);
    EXPECT_EQ(back.verdict, Verdict::explained);
    EXPECT_EQ(back.measured.socket.devices.at(0).name, "lo");
    EXPECT_EQ(first["verdict"], "explained");
    EXPECT_EQ(first["checks"][0]["verdict"], "explained");
}

TEST(ReportJson, EmptyOptionalsAreNullAndComeBackEmpty)
{
    const Report report = report_with_empty_optionals();
    const json j = report;

    // Present and null: readers must not have to guess whether a key is missing.
    ASSERT_TRUE(j["measured"]["page_cache"].contains("hit_ratio"));
    EXPECT_TRUE(j["measured"]["page_cache"]["hit_ratio"].is_null());
    ASSERT_TRUE(j["environment"].contains("device_sg"));
    EXPECT_TRUE(j["environment"]["device_sg"].is_null());
    ASSERT_TRUE(j["theory"].contains("syscalls_per_transfer"));
    EXPECT_TRUE(j["theory"]["syscalls_per_transfer"].is_null());
    EXPECT_TRUE(j["checks"][0]["theory"].is_null());

    const Report back = json::parse(j.dump()).get<Report>();
    EXPECT_FALSE(back.measured.page_cache.hit_ratio.has_value());
    EXPECT_FALSE(back.environment.device_sg.has_value());
    EXPECT_FALSE(back.theory.syscalls_per_transfer.has_value());
    EXPECT_FALSE(back.checks.front().theory.has_value());
    EXPECT_EQ(json(back), j);
}

TEST(ReportJson, FalseAndZeroOptionalsAreNotNull)
{
    // "the device has no SG" and "no hits" are findings; null would erase them.
    Report report = full_report();
    report.environment.device_sg = false;
    report.measured.page_cache.hit_ratio = 0.0;
    report.theory.syscalls_per_transfer = 0.0;
    const json j = report;
    EXPECT_EQ(j["environment"]["device_sg"], json(false));
    EXPECT_EQ(j["measured"]["page_cache"]["hit_ratio"], json(0.0));
    EXPECT_EQ(j["theory"]["syscalls_per_transfer"], json(0.0));
    const Report back = j.get<Report>();
    EXPECT_EQ(back.environment.device_sg, false);
    EXPECT_EQ(back.measured.page_cache.hit_ratio, 0.0);
    EXPECT_EQ(back.theory.syscalls_per_transfer, 0.0);
}

}  // namespace
}  // namespace zctrace
