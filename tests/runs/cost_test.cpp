// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// The cost model against real runs: this machine's prices, measured by
// zctrace, and the sender's CPU time split by them.
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "support.hpp"
#include "analysis/cost_model.hpp"
#include "runs/machine_costs.hpp"

namespace zctrace::test {
namespace {

// The prices are measured, not assumed: each within what any machine zctrace
// runs on can show (a null syscall 50 ns to 20 µs, memcpy 0.5 to 500 GB/s, a
// fresh page's fault 100 ns to 100 µs).
TEST(MachineCosts, AreMeasuredAndPlausible)
{
    const auto costs = measure_machine_costs();
    ASSERT_TRUE(costs) << costs.error().describe();
    EXPECT_GT(costs->memcpy_bytes_per_second, 0.5e9);
    EXPECT_LT(costs->memcpy_bytes_per_second, 500e9);
    EXPECT_GT(costs->syscall_round_trip_ns, 50);
    EXPECT_LT(costs->syscall_round_trip_ns, 20000);
    EXPECT_GT(costs->page_fault_ns, 100);
    EXPECT_LT(costs->page_fault_ns, 100000);
    EXPECT_FALSE(costs->boot_id.empty());
    EXPECT_FALSE(costs->from_cache);
}

// This boot's figures come back from the cache; another boot's, or a file
// that is not whole, are measured again.
TEST(MachineCosts, TheCacheHoldsOnlyThisBootsFigures)
{
    char scratch[] = "/tmp/zctrace-costs-XXXXXX";
    ASSERT_NE(::mkdtemp(scratch), nullptr);
    struct Cleanup {
        std::filesystem::path dir;
        ~Cleanup() { std::filesystem::remove_all(dir); }
    } cleanup{scratch};
    const auto cache = cleanup.dir / "zctrace" / "machine-costs.json";
    EXPECT_FALSE(read_cached_machine_costs(cache)) << "no file yet";
    auto costs = measure_machine_costs();
    ASSERT_TRUE(costs);
    cache_machine_costs(cache, *costs);
    const auto cached = read_cached_machine_costs(cache);
    ASSERT_TRUE(cached);
    EXPECT_TRUE(cached->from_cache);
    EXPECT_DOUBLE_EQ(cached->memcpy_bytes_per_second, costs->memcpy_bytes_per_second);
    EXPECT_DOUBLE_EQ(cached->syscall_round_trip_ns, costs->syscall_round_trip_ns);
    EXPECT_DOUBLE_EQ(cached->page_fault_ns, costs->page_fault_ns);
    EXPECT_EQ(cached->measured_at, costs->measured_at);
    EXPECT_EQ(std::distance(std::filesystem::directory_iterator(cache.parent_path()),
                            std::filesystem::directory_iterator()),
              1)
        << "no temp file left beside it";

    MachineCosts other_boot = *costs;
    other_boot.boot_id = "00000000-0000-0000-0000-000000000000";
    cache_machine_costs(cache, other_boot);
    EXPECT_FALSE(read_cached_machine_costs(cache));

    for (const char* broken : {"{\"boot_id\": 7}", "{", "[]"}) {
        std::ofstream(cache) << broken;
        EXPECT_FALSE(read_cached_machine_costs(cache)) << broken;
    }
    MachineCosts zero = *costs;
    zero.syscall_round_trip_ns = 0;
    cache_machine_costs(cache, zero);
    EXPECT_FALSE(read_cached_machine_costs(cache)) << "a price of 0 is not a measurement";
}

// Every run's report splits the sender's measured CPU time: the parts are
// the probes' counts times the machine's prices, and they add up.
void expect_cost_adds_up(const Report& r)
{
    ASSERT_TRUE(r.cost) << r.technique;
    const CostModel& cost = *r.cost;
    EXPECT_EQ(cost.measured_seconds, r.workload.cpu_seconds);
    ASSERT_EQ(cost.parts.size(), 4u);
    EXPECT_EQ(cost.parts[0].part, "copies");
    EXPECT_DOUBLE_EQ(cost.parts[0].seconds,
                     static_cast<double>(r.measured.cpu_copy_bytes.total - r.measured.cpu_copy_bytes.copy_on_write) /
                         cost.machine.memcpy_bytes_per_second);
    EXPECT_EQ(cost.parts[1].part, "mode_switches");
    EXPECT_DOUBLE_EQ(cost.parts[1].seconds,
                     static_cast<double>(r.measured.syscalls.total) * cost.machine.syscall_round_trip_ns / 1e9);
    EXPECT_EQ(cost.parts[2].part, "page_faults");
    EXPECT_EQ(cost.parts[3].part, "residual");
    double sum = 0;
    for (const CostPart& part : cost.parts)
        sum += part.seconds;
    EXPECT_NEAR(sum, cost.measured_seconds, 1e-12);
    EXPECT_NEAR(cost.predicted_seconds + cost.residual_seconds, cost.measured_seconds, 1e-12);

    // Both processes: the receiver's copy out of the socket, priced alike.
    ASSERT_TRUE(cost.receiver) << r.technique;
    const ReceiverCost& receiver = *cost.receiver;
    EXPECT_EQ(receiver.measured_seconds, r.workload.receiver_cpu_seconds);
    ASSERT_EQ(receiver.parts.size(), 3u);
    EXPECT_DOUBLE_EQ(receiver.parts[0].seconds,
                     static_cast<double>(r.measured.receiver.copy_bytes) / cost.machine.memcpy_bytes_per_second);
    EXPECT_NEAR(receiver.predicted_seconds + receiver.residual_seconds, receiver.measured_seconds, 1e-12);
}

TEST(CostModel, ReadWritesCopiesCostTimeSendfilesDoNot)
{
    ZC_REQUIRE_BPF();
    const Outcome read_write = run_report(Technique::read_write);
    expect_cost_adds_up(read_write.report);
    EXPECT_TRUE(report_schema().validate(read_write.json).empty());
    // 16 MiB read into user memory and written to the socket: 32 MiB.
    EXPECT_EQ(read_write.report.measured.cpu_copy_bytes.total, 2 * 16 * kMiB);
    EXPECT_EQ(read_write.report.measured.receiver.copy_bytes, 16 * kMiB);
    EXPECT_GT(read_write.report.cost->parts[0].seconds, 0);

    const Outcome sendfile = run_report(Technique::sendfile);
    expect_cost_adds_up(sendfile.report);
    EXPECT_EQ(sendfile.report.cost->parts[0].seconds, 0) << "sendfile over lo copies nothing";
    EXPECT_EQ(sendfile.report.cost->machine.memcpy_bytes_per_second,
              read_write.report.cost->machine.memcpy_bytes_per_second)
        << "one process prices every run alike";
}

}  // namespace
}  // namespace zctrace::test
