// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// The workload design is what a run is held to where the seeds are silent,
// and its differences from a row are the causes of a deviation. Those causes
// must add up to the whole difference, for every technique, or an
// "explained" could hide a count nobody accounts for.
#include <gtest/gtest.h>

#include <string>

#include "analysis/theory.hpp"
#include "analysis/workload_design.hpp"

namespace zctrace {
namespace {

double sum(const std::vector<Cause>& causes)
{
    double total = 0;
    for (const Cause& cause : causes)
        total += cause.contribution;
    return total;
}

TEST(WorkloadDesign, CausesAddUpToTheDifferenceFromEveryRow)
{
    const CallCounts repeat_sets[] = {{}, {{"write", 3}}, {{"read", 1}, {"splice", 2}}};
    for (Technique technique : {Technique::read_write, Technique::mmap_write, Technique::sendfile, Technique::splice,
                                Technique::direct_io, Technique::direct_io_send, Technique::large_file_async_direct,
                                Technique::large_file_buffered}) {
        for (const std::string_view id : theory_rows_for(technique).ids) {
            const TheoryRow& row = *find_theory_row(id);
            const double row_calls = row.syscalls_per_transfer ? *row.syscalls_per_transfer : *row.mode_switches / 2;
            for (std::uint64_t transfers : {1u, 64u, 1000u})
                for (const CallCounts& repeats : repeat_sets) {
                    SCOPED_TRACE(std::string(technique_name(technique)) + " against " + row.id + ", " +
                                 std::to_string(transfers) + " transfers");
                    // Only the repeats a technique's loop can make.
                    CallCounts own;
                    const DesignedCalls plain = designed_calls(technique, transfers, {});
                    for (const auto& [name, count] : repeats)
                        if (plain.calls.count(name))
                            own[name] = count;
                    const DesignedCalls design = designed_calls(technique, transfers, own);
                    const double per_transfer =
                        static_cast<double>(total_calls(design.calls)) / static_cast<double>(transfers);
                    for (double scale : {1.0, 2.0})
                        EXPECT_NEAR(sum(call_causes(technique, transfers, own, row_calls, scale)),
                                    scale * (per_transfer - row_calls), 1e-9)
                            << "scale " << scale;
                }
        }
    }
}

TEST(WorkloadDesign, RepeatsAreCalledAgainOnTheirOwnSyscall)
{
    const DesignedCalls design = designed_calls(Technique::read_write, 64, {{"write", 3}});
    EXPECT_EQ(design.calls, (CallCounts{{"read", 64}, {"write", 67}}));
    EXPECT_EQ(designed_calls(Technique::large_file_async_direct, 1024, {}).calls,
              (CallCounts{{"io_uring_enter", 128}}));
    EXPECT_EQ(designed_calls(Technique::large_file_async_direct, 1025, {}).calls,
              (CallCounts{{"io_uring_enter", 129}}));
    EXPECT_EQ(designed_calls(Technique::splice, 10, {}).calls, (CallCounts{{"splice", 20}}));
    EXPECT_EQ(designed_calls(Technique::cow, 1, {}).calls, (CallCounts{{"clone", 1}, {"read", 1}, {"write", 1}}));
}

}  // namespace
}  // namespace zctrace
