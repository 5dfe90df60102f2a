// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// The storage side of the seeds' claims, end to end with real probes: the
// page cache cold and warm, disk DMA, direct I/O, copy-on-write, large files
// read with io_uring and O_DIRECT, and mmap's page rounding.
#include <unistd.h>

#include "support.hpp"

namespace zctrace::test {
namespace {

std::uint64_t page_size()
{
    return static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
}

Outcome run_cold(Technique technique)
{
    RunSpec spec{technique};
    spec.cache = CacheState::cold;
    return run_spec(spec, kPayload);
}

void expect_sound(const Outcome& outcome)
{
    const Report& r = outcome.report;
    const auto problems = report_schema().validate(outcome.json);
    EXPECT_TRUE(problems.empty()) << problems.front();
    EXPECT_TRUE(r.workload.integrity.ok) << r.workload.integrity.checksum_received;
    EXPECT_EQ(r.workload.integrity.bytes_received, r.workload.bytes);
    // The probes' syscall counts are the workload's own tally, call for call.
    EXPECT_EQ(r.measured.syscalls.by_name, r.workload.calls);
    EXPECT_EQ(r.environment.filesystem.empty(), false);
    EXPECT_EQ(r.environment.block_device.empty(), false);
    EXPECT_NE(r.verdict, Verdict::mismatch) << describe_checks(r);
    EXPECT_NE(r.verdict, Verdict::invalid) << describe_checks(r);
}

// ---- the page cache, cold and warm ----

class ColdCacheTest : public ::testing::TestWithParam<Technique> {};

TEST_P(ColdCacheTest, EveryPageComesFromTheDisk)
{
    ZC_REQUIRE_BPF();
    const Outcome outcome = run_cold(GetParam());
    const Report& r = outcome.report;
    expect_sound(outcome);
    const std::uint64_t pages = kPayload / page_size();
    EXPECT_EQ(r.environment.cache, "cold");
    EXPECT_EQ(r.environment.cache_resident_pages_before, 0u);
    // Disk DMA into the page cache, submitted by the sender (block_bio_queue).
    EXPECT_GE(r.measured.dma_bytes.disk_read, kPayload * 95 / 100);
    EXPECT_LE(r.measured.dma_bytes.disk_read, kPayload + 2 * kMiB);
    EXPECT_GE(r.measured.page_cache.misses, pages * 95 / 100);
    ASSERT_TRUE(r.measured.page_cache.hit_ratio.has_value());
    EXPECT_LE(*r.measured.page_cache.hit_ratio, 0.05);
    const Check& dma = check_named(r, "dma_copies");
    EXPECT_NE(dma.explanation.find("the cache was cold"), std::string::npos) << dma.explanation;
    // The disk half of the seeds' DMA copies is there; only lo's missing NIC DMA is explained away.
    EXPECT_NEAR(r.measured.dma_copies, 1.0, 0.05);
}

INSTANTIATE_TEST_SUITE_P(NetworkTechniques, ColdCacheTest,
                         ::testing::Values(Technique::read_write, Technique::mmap_write, Technique::sendfile,
                                           Technique::splice),
                         [](const auto& info) { return std::string(technique_name(info.param)); });

TEST(WarmCache, NoDiskAndEveryPageAHit)
{
    ZC_REQUIRE_BPF();
    const Outcome outcome = run_spec(RunSpec{Technique::read_write}, kPayload);
    const Report& r = outcome.report;
    expect_sound(outcome);
    EXPECT_EQ(r.measured.dma_bytes.disk_read, 0u);
    ASSERT_TRUE(r.measured.page_cache.hit_ratio.has_value());
    EXPECT_GE(*r.measured.page_cache.hit_ratio, 0.99);
    const Check& dma = check_named(r, "dma_copies");
    EXPECT_NE(dma.explanation.find("the cache was warm"), std::string::npos) << dma.explanation;
}

// ---- direct I/O ----

TEST(DirectIo, BypassesThePageCacheWithoutACopy)
{
    ZC_REQUIRE_BPF();
    for (CacheState cache : {CacheState::warm, CacheState::cold}) {
        SCOPED_TRACE(cache == CacheState::warm ? "warm" : "cold");
        RunSpec spec{Technique::direct_io};
        spec.cache = cache;
        const Outcome outcome = run_spec(spec, kPayload);
        const Report& r = outcome.report;
        expect_sound(outcome);
        EXPECT_EQ(r.workload.integrity.verified_by, "sender");
        EXPECT_EQ(r.theory_row, "user-space direct I/O");
        EXPECT_EQ(r.measured.page_cache.misses, 0u);
        EXPECT_EQ(r.measured.page_cache.accessed_pages, 0u);
        EXPECT_EQ(r.measured.cpu_copy_bytes.total, 0u);
        EXPECT_EQ(r.measured.cpu_copies, 0.0);
        // O_DIRECT reads the disk even when the pages are cached.
        EXPECT_EQ(r.measured.dma_bytes.disk_read, kPayload);
        EXPECT_EQ(check_named(r, "dma_copies").verdict, Verdict::match);
        EXPECT_EQ(check_named(r, "cpu_copies").verdict, Verdict::match);
        EXPECT_EQ(r.measured.syscalls.by_name.at("read"), kPayload / (64 * 1024));
        EXPECT_EQ(r.measured.mode_switches, 2 * r.measured.syscalls.total);
        // Prefaulted before the window: the buffer costs no fault in it.
        EXPECT_EQ(r.measured.page_faults.on_payload_buffer, 0u);
    }
}

TEST(DirectIo, SendingItBringsOneCopyBack)
{
    ZC_REQUIRE_BPF();
    const Outcome outcome = run_spec(RunSpec{Technique::direct_io_send}, kPayload);
    const Report& r = outcome.report;
    expect_sound(outcome);
    EXPECT_EQ(r.workload.integrity.verified_by, "receiver");
    EXPECT_EQ(r.measured.cpu_copy_bytes.file_to_user, 0u);
    EXPECT_EQ(r.measured.cpu_copy_bytes.user_to_socket, kPayload);
    EXPECT_EQ(r.measured.cpu_copy_bytes.total, kPayload);
    EXPECT_EQ(r.measured.cpu_copies, 1.0);
    EXPECT_EQ(r.measured.page_cache.misses, 0u);
    EXPECT_EQ(r.measured.dma_bytes.disk_read, kPayload);
    const Check& copies = check_named(r, "cpu_copies");
    EXPECT_EQ(copies.verdict, Verdict::explained) << copies.explanation;
    ASSERT_EQ(copies.causes.size(), 1u);
    EXPECT_EQ(copies.causes.front().cause, "write_after_direct_read");
    EXPECT_EQ(copies.causes.front().bytes, kPayload);
}

// ---- copy-on-write ----

Outcome run_cow(std::uint64_t write_pages)
{
    RunSpec spec{Technique::cow};
    spec.write_pages = write_pages;
    return run_spec(spec, kPayload);
}

TEST(CopyOnWrite, WritingTenPagesCopiesExactlyTen)
{
    ZC_REQUIRE_BPF();
    const Outcome outcome = run_cow(10);
    const Report& r = outcome.report;
    expect_sound(outcome);
    ASSERT_TRUE(r.measured.cow.has_value());
    const CowStats& cow = *r.measured.cow;
    EXPECT_EQ(cow.buffer_pages, kPayload / page_size());
    EXPECT_EQ(cow.pages_written_by_child, 10u);
    EXPECT_EQ(cow.pages_copied, 10u);
    EXPECT_EQ(cow.copy_bytes, 10 * page_size());
    EXPECT_EQ(r.measured.cpu_copy_bytes.copy_on_write, 10 * page_size());
    // The kernel's own account of the child's buffer agrees.
    ASSERT_TRUE(cow.pages_private && cow.pages_shared);
    EXPECT_EQ(*cow.pages_private, 10u);
    EXPECT_EQ(*cow.pages_shared, cow.buffer_pages - 10);
    EXPECT_TRUE(cow.child_read_intact);
    EXPECT_TRUE(cow.parent_buffer_intact);
    EXPECT_EQ(check_named(r, "cow_copied_pages").verdict, Verdict::match);
    EXPECT_EQ(r.theory_row, "copy-on-write");
    // clone, the child's write to the pipe, the parent's read; the fork
    // returns twice.
    EXPECT_EQ(r.measured.syscalls.total, 3u);
    EXPECT_EQ(r.measured.mode_switch_detail.fork_returns, 1u);
    EXPECT_EQ(r.measured.mode_switch_detail.syscall_exits, 4u);
}

TEST(CopyOnWrite, ReadingCopiesNothing)
{
    ZC_REQUIRE_BPF();
    const Outcome outcome = run_cow(0);
    const Report& r = outcome.report;
    expect_sound(outcome);
    ASSERT_TRUE(r.measured.cow.has_value());
    const CowStats& cow = *r.measured.cow;
    EXPECT_EQ(cow.pages_written_by_child, 0u);
    EXPECT_EQ(cow.pages_copied, 0u);
    EXPECT_EQ(cow.faults_on_buffer, 0u);
    EXPECT_EQ(r.measured.cpu_copy_bytes.total, 0u);
    ASSERT_TRUE(cow.pages_private && cow.pages_shared);
    EXPECT_EQ(*cow.pages_private, 0u);
    EXPECT_EQ(*cow.pages_shared, cow.buffer_pages);
    EXPECT_TRUE(cow.child_read_intact);
}

// ---- large files: io_uring + O_DIRECT against a buffered read ----

TEST(LargeFile, AsyncDirectLeavesThePageCacheAlone)
{
    ZC_REQUIRE_BPF();
    const Outcome outcome = run_spec(RunSpec{Technique::large_file_async_direct}, kPayload);
    const Report& r = outcome.report;
    expect_sound(outcome);
    ASSERT_TRUE(r.comparison.has_value());
    const Comparison& c = *r.comparison;
    EXPECT_EQ(c.baseline.technique, "large_file_buffered");
    const std::uint64_t pages = kPayload / page_size();
    EXPECT_GE(c.baseline.page_cache_pages_added, pages * 95 / 100);
    EXPECT_GE(c.baseline.resident_pages_after, pages * 95 / 100);
    EXPECT_LT(c.measured.page_cache_pages_added, c.baseline.page_cache_pages_added / 100);
    ASSERT_TRUE(c.pollution_ratio.has_value());
    EXPECT_LT(*c.pollution_ratio, 0.01);
    EXPECT_EQ(c.measured.disk_read_bytes, kPayload);
    EXPECT_GE(c.baseline.disk_read_bytes, kPayload * 95 / 100);
    EXPECT_EQ(c.measured.cpu_copies, 0.0);
    EXPECT_NEAR(c.baseline.cpu_copies, 1.0, 0.001);
    // kUringQueueDepth requests per io_uring_enter at most, against one read() per chunk.
    EXPECT_LT(c.measured.syscalls_per_gib, c.baseline.syscalls_per_gib);
    EXPECT_EQ(r.measured.syscalls.by_name.at("io_uring_enter"), r.workload.calls.at("io_uring_enter"));
    EXPECT_EQ(check_named(r, "page_cache_pollution_vs_buffered").verdict, Verdict::match);
    EXPECT_EQ(r.environment.cache, "cold");
}

// ---- mmap: page rounding for small files (seed 002) ----

TEST(Mmap, AFiveKibFileMapsEightKib)
{
    ZC_REQUIRE_BPF();
    if (page_size() != 4096)
        GTEST_SKIP() << "the seed's 5 KiB -> 8 KiB example assumes 4 KiB pages; this machine has " << page_size();
    const Outcome outcome = run_spec(RunSpec{Technique::mmap_write}, 5 * 1024);
    const Report& r = outcome.report;
    expect_sound(outcome);
    ASSERT_TRUE(r.measured.mmap.has_value());
    EXPECT_EQ(r.measured.mmap->file_bytes, 5u * 1024);
    EXPECT_EQ(r.measured.mmap->mapped_bytes, 8u * 1024);
    EXPECT_EQ(r.measured.mmap->rounding_waste_bytes, 3u * 1024);
    EXPECT_EQ(check_named(r, "mmap_rounding_waste_bytes").verdict, Verdict::match);
    // write() read the mapping in kernel mode; fault-around mapped both pages.
    EXPECT_GE(r.measured.mmap->kernel_read_faults, 1u);
}

}  // namespace
}  // namespace zctrace::test
