// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// `run --repeat N` combines N runs: timed figures become medians with their
// spread, counts that moved are named, and a failing run is never outvoted.
#include <gtest/gtest.h>

#include <optional>

#include "analysis/checks.hpp"
#include "analysis/repeats.hpp"
#include "output/documents.hpp"

namespace zctrace {
namespace {

// A real sendfile run (the committed fixture), judged, with the wall time
// and the sendfile count given.
Report run(double wall_seconds, std::optional<std::uint64_t> sendfiles = std::nullopt)
{
    static const Report fixture = [] {
        auto loaded = load_report(std::string(ZCTRACE_SOURCE_DIR) + "/tests/data/reports/loopback/sendfile.json");
        if (!loaded)
            throw std::runtime_error(loaded.error().describe());
        return *loaded;
    }();
    Report report = fixture;
    report.workload.wall_seconds = wall_seconds;
    report.workload.mib_per_second = 256 / wall_seconds;
    if (sendfiles)
        report.measured.syscalls.by_name["sendfile"] = *sendfiles;
    analyze(report);
    return report;
}

TEST(Repeats, TimedFiguresAreMediansWithTheirSpread)
{
    const Report combined = combine_repeats({run(0.30), run(0.10), run(0.20)});
    ASSERT_TRUE(combined.workload.repeats);
    EXPECT_EQ(combined.verdict, Verdict::match) << combined.headline;
    const RepeatStats& stats = *combined.workload.repeats;
    EXPECT_EQ(stats.runs, 3u);
    const Spread& wall = stats.timed.at("workload.wall_seconds");
    EXPECT_DOUBLE_EQ(wall.median, 0.20);
    EXPECT_DOUBLE_EQ(wall.min, 0.10);
    EXPECT_DOUBLE_EQ(wall.max, 0.30);
    EXPECT_DOUBLE_EQ(combined.workload.wall_seconds, 0.20);
    EXPECT_DOUBLE_EQ(combined.workload.mib_per_second, 256 / 0.20);
    EXPECT_TRUE(stats.count_differences.empty());
    EXPECT_EQ(stats.verdicts.size(), 3u);
}

TEST(Repeats, CountsThatMoveAreNamed)
{
    const Report combined = combine_repeats({run(0.1), run(0.1, 4096), run(0.1, 4099)});
    const RepeatStats& stats = *combined.workload.repeats;
    ASSERT_EQ(stats.count_differences.size(), 1u);
    EXPECT_EQ(stats.count_differences.front(), "measured.syscalls.by_name.sendfile: 4096, 4096, 4099");
    bool named = false;
    for (const std::string& finding : combined.findings)
        named = named || finding.find("counts moved between the 3 runs") != std::string::npos;
    EXPECT_TRUE(named);
}

TEST(Repeats, AFailingRunIsNotOutvoted)
{
    Report failed = run(0.1);
    failed.verdict = Verdict::mismatch;
    failed.headline = "sendfile: NOT AS THE TABLE SAYS";
    const Report combined = combine_repeats({run(0.1), failed, run(0.1)});
    EXPECT_EQ(combined.verdict, Verdict::mismatch);
    bool named = false;
    for (const std::string& finding : combined.findings)
        named = named || finding.find("run 2 of 3 was mismatch") != std::string::npos;
    EXPECT_TRUE(named);
}

}  // namespace
}  // namespace zctrace
