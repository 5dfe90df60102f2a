// analyze() turns counts into verdicts. A wrong "explained" hides a real
// deviation from the seeds, and a wrong "mismatch" cries wolf, so these tests
// build reports by hand for each situation checks.cpp claims to recognise
// and pin the exact verdict of every check.
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "analysis/checks.hpp"
#include "report/run_report.hpp"
#include "runs/session.hpp"

namespace zctrace {
namespace {

constexpr std::uint64_t kMiB = 1ULL << 20;
constexpr std::uint64_t kPayload = 64 * kMiB;
constexpr std::uint64_t kChunk = 1 * kMiB;
constexpr std::uint64_t kTransfers = kPayload / kChunk;  // 64
constexpr std::uint64_t kPages = kPayload / 4096;

const Check& check(const Report& report, std::string_view metric)
{
    for (const Check& c : report.checks)
        if (c.metric == metric)
            return c;
    ADD_FAILURE() << "no check named " << metric;
    static const Check missing;
    return missing;
}

std::string verdicts(const Report& report)
{
    std::string text;
    for (const Check& c : report.checks)
        text += c.metric + "=" + std::string(verdict_name(c.verdict)) + ": " + c.explanation + "\n";
    return text;
}

// Sets the syscall figures the way measurement.cpp derives them: every call
// one entry and one exit.
void set_calls(Report& report, std::initializer_list<std::pair<const char*, std::uint64_t>> calls)
{
    Measured& m = report.measured;
    m.syscalls.by_name.clear();
    m.syscalls.total = 0;
    for (const auto& [name, count] : calls) {
        m.syscalls.by_name[name] = count;
        m.syscalls.total += count;
    }
    report.workload.calls = m.syscalls.by_name;
    m.syscalls_per_transfer = static_cast<double>(m.syscalls.total) / static_cast<double>(kTransfers);
    m.mode_switch_detail = {m.syscalls.total, m.syscalls.total};
    m.mode_switches = 2 * m.syscalls.total;
    m.mode_switches_per_transfer = static_cast<double>(m.mode_switches) / static_cast<double>(kTransfers);
}

void set_copies(Report& report, CopyBytes copies)
{
    copies.total = copies.file_to_user + copies.user_to_socket + copies.page_cache_to_socket +
                   copies.kernel_to_socket + copies.device_linearize;
    report.measured.cpu_copy_bytes = copies;
    report.measured.cpu_copies = static_cast<double>(copies.total) / static_cast<double>(kPayload);
}

void set_dma(Report& report, DmaBytes dma)
{
    dma.total = dma.disk_read + dma.disk_write + dma.nic_tx;
    report.measured.dma_bytes = dma;
    report.measured.dma_copies = static_cast<double>(dma.total) / static_cast<double>(kPayload);
}

// A 64 MiB file sent over loopback in 1 MiB chunks with a warm page cache:
// the situation `zctrace run` measures by default. Copies and calls are left
// for each test to fill.
Report loopback_report(std::string technique)
{
    Report report;
    report.tool = "zctrace 0.1.0";
    report.created_at = "2025-11-23T11:17:00Z";
    report.technique = std::move(technique);

    WorkloadSummary& w = report.workload;
    w.bytes = kPayload;
    w.chunk_bytes = kChunk;
    w.transfers = kTransfers;
    w.integrity = {"receiver", kPayload, kPayload, "9a3c11e0", "9a3c11e0", true, true};
    w.wall_seconds = 0.05;
    w.cpu_seconds = 0.04;

    Environment& env = report.environment;
    env.transport = "tcp";
    env.network = "loopback";
    env.device = "lo";
    env.device_sg = true;
    env.cache = "warm";
    env.file_pages = kPages;
    env.cache_resident_pages_before = kPages;

    Measured& m = report.measured;
    m.page_cache.accessed_pages = kPages;
    m.page_cache.hits = kPages;
    m.page_cache.hit_ratio = 1.0;
    m.socket.devices = {{"lo", 1, true, false, true, 1200, kPayload + 1200 * 66, kPayload}};
    m.socket.bytes = kPayload + 1200 * 66;
    m.socket.skbs = 1200;
    m.receiver = {kPayload, 2100, 2100};
    set_dma(report, {});
    return report;
}

Report sendfile_gathered()
{
    Report report = loopback_report("sendfile");
    // A few pages' worth of payload rode in linear space with the headers:
    // "about the payload" left as shared frags, as real runs show.
    report.measured.socket.shared_frag_bytes = kPayload - 8192;
    report.measured.socket.linear_payload_bytes = 8192;
    report.measured.socket.frag_bytes = kPayload - 8192;
    set_copies(report, {});
    set_calls(report, {{"sendfile", kTransfers}});
    return report;
}

Report sendfile_linearized()
{
    Report report = loopback_report("sendfile");
    // lo with scatter-gather turned off: validate_xmit_skb linearizes each skb.
    report.environment.device_sg = false;
    report.measured.socket.devices.front().sg = false;
    report.measured.socket.linear_payload_bytes = kPayload;
    set_copies(report, {.device_linearize = kPayload - 4096});
    set_calls(report, {{"sendfile", kTransfers}});
    return report;
}

Report splice_report()
{
    Report report = loopback_report("splice");
    report.measured.socket.shared_frag_bytes = kPayload;
    report.measured.socket.frag_bytes = kPayload;
    set_copies(report, {});
    set_calls(report, {{"splice", 2 * kTransfers}});
    return report;
}

Report mmap_write_report()
{
    Report report = loopback_report("mmap_write");
    report.measured.socket.copied_frag_bytes = kPayload;
    report.measured.page_faults.kernel = 300;
    report.measured.page_cache.mapped_pages = kPages;
    report.measured.page_cache.fault_around_calls = 300;
    report.measured.page_cache.fault_around_pages = 4800;
    report.measured.page_cache.mmap_faults = 10;
    set_copies(report, {.user_to_socket = kPayload});
    set_calls(report, {{"mmap", 1}, {"munmap", 1}, {"write", kTransfers}});
    return report;
}

Report read_write_report()
{
    Report report = loopback_report("read_write");
    report.measured.socket.copied_frag_bytes = kPayload;
    set_copies(report, {.file_to_user = kPayload, .user_to_socket = kPayload});
    set_calls(report, {{"read", kTransfers}, {"write", kTransfers}});
    return report;
}

void expect_well_formed(const Report& report)
{
    // Every check states why, whatever its verdict: the report is read by
    // people who were not there.
    ASSERT_EQ(report.checks.size(), 5u) << verdicts(report);
    const char* metrics[] = {"integrity", "cpu_copies", "dma_copies", "syscalls_per_transfer",
                             "mode_switches_per_transfer"};
    for (std::size_t i = 0; i < report.checks.size(); ++i) {
        EXPECT_EQ(report.checks[i].metric, metrics[i]);
        EXPECT_FALSE(report.checks[i].explanation.empty()) << report.checks[i].metric;
    }
    EXPECT_EQ(report.theory_row, report.theory.name);
    EXPECT_FALSE(report.theory_row_selection.reason.empty());
    EXPECT_FALSE(report.findings.empty());
    EXPECT_EQ(report.verdict, overall_verdict(report.checks));
}

TEST(Judge, ToleranceBoundaries)
{
    EXPECT_EQ(judge(1, 1, 0), Verdict::match);
    EXPECT_EQ(judge(0, 0, 0), Verdict::match);
    // 1.02 - 1 is 0.020000000000000018 in doubles: a value on the boundary
    // must not fail because of representation error.
    EXPECT_EQ(judge(1, 1.02, 0.02), Verdict::match);
    EXPECT_EQ(judge(1, 0.98, 0.02), Verdict::match);
    EXPECT_EQ(judge(2, 2.04, 0.04), Verdict::match);
    EXPECT_EQ(judge(1, 1.0201, 0.02), Verdict::mismatch);
    EXPECT_EQ(judge(1, 0.9799, 0.02), Verdict::mismatch);
    EXPECT_EQ(judge(1, 1.03, 0.02), Verdict::mismatch);
    // The slack for representation error is far below anything measurable.
    EXPECT_EQ(judge(2, 2.000001, 0), Verdict::mismatch);
    EXPECT_EQ(judge(2, 2 + 1e-12, 0), Verdict::match);
    EXPECT_EQ(judge(0, 1, 0.5), Verdict::mismatch);
    EXPECT_EQ(judge(4, 2.0625, kPerTransferTolerance), Verdict::mismatch);
}

TEST(OverallVerdict, WorstVerdictWins)
{
    auto with = [](std::initializer_list<Verdict> verdicts) {
        std::vector<Check> checks;
        for (Verdict v : verdicts) {
            Check c;
            c.verdict = v;
            checks.push_back(c);
        }
        return overall_verdict(checks);
    };
    EXPECT_EQ(with({}), Verdict::match);
    EXPECT_EQ(with({Verdict::match}), Verdict::match);
    EXPECT_EQ(with({Verdict::match, Verdict::match}), Verdict::match);
    EXPECT_EQ(with({Verdict::match, Verdict::explained}), Verdict::explained);
    EXPECT_EQ(with({Verdict::explained, Verdict::match}), Verdict::explained);
    EXPECT_EQ(with({Verdict::explained, Verdict::mismatch}), Verdict::mismatch);
    EXPECT_EQ(with({Verdict::mismatch, Verdict::explained, Verdict::match}), Verdict::mismatch);
    EXPECT_EQ(with({Verdict::match, Verdict::match, Verdict::mismatch}), Verdict::mismatch);
}

TEST(Analyze, SendfileWithSharedFragsIsDmaGather)
{
    Report report = sendfile_gathered();
    analyze(report);
    expect_well_formed(report);
    EXPECT_EQ(report.theory_row, "sendfile + DMA gather");
    EXPECT_EQ(report.theory.id, "sendfile_dma_gather");
    EXPECT_EQ(report.theory_row_selection.candidates, (std::vector<std::string>{"sendfile", "sendfile_dma_gather"}));
    EXPECT_NE(report.theory_row_selection.reason.find("SKBFL_SHARED_FRAG"), std::string::npos);
    EXPECT_NE(report.theory_row_selection.reason.find("so \"sendfile + DMA gather\""), std::string::npos)
        << report.theory_row_selection.reason;
    EXPECT_EQ(check(report, "integrity").verdict, Verdict::match);
    EXPECT_EQ(check(report, "cpu_copies").verdict, Verdict::match) << verdicts(report);
    EXPECT_EQ(check(report, "cpu_copies").theory, 0.0);
    EXPECT_EQ(check(report, "dma_copies").verdict, Verdict::explained) << verdicts(report);
    EXPECT_EQ(check(report, "syscalls_per_transfer").verdict, Verdict::match) << verdicts(report);
    EXPECT_EQ(check(report, "mode_switches_per_transfer").verdict, Verdict::match) << verdicts(report);
    EXPECT_EQ(report.verdict, Verdict::explained);
}

TEST(Analyze, SendfileLinearizedAtXmitIsPlainSendfile)
{
    Report report = sendfile_linearized();
    analyze(report);
    expect_well_formed(report);
    EXPECT_EQ(report.theory_row, "sendfile");
    EXPECT_EQ(report.theory.id, "sendfile");
    EXPECT_NE(report.theory_row_selection.reason.find("so \"sendfile\""), std::string::npos)
        << report.theory_row_selection.reason;
    // The row's one CPU copy is the linearization: it matches, not "explained".
    EXPECT_EQ(check(report, "cpu_copies").theory, 1.0);
    EXPECT_EQ(check(report, "cpu_copies").verdict, Verdict::match) << verdicts(report);
    EXPECT_NE(check(report, "cpu_copies").explanation.find("linearized at xmit"), std::string::npos);
    EXPECT_EQ(check(report, "dma_copies").verdict, Verdict::explained) << verdicts(report);
    EXPECT_EQ(check(report, "syscalls_per_transfer").verdict, Verdict::match);
    EXPECT_EQ(report.verdict, Verdict::explained);
}

TEST(Analyze, PayloadTheXmitProbeNeverSawIsAFinding)
{
    auto has_finding = [](const Report& report) {
        for (const std::string& finding : report.findings)
            if (finding.find("never passed net_dev_start_xmit") != std::string::npos)
                return true;
        return false;
    };
    Report complete = read_write_report();
    complete.measured.socket.skbs = 1100;
    complete.measured.socket.frag_bytes = kPayload;
    analyze(complete);
    EXPECT_FALSE(has_finding(complete));

    Report short_by_one_skb = read_write_report();
    short_by_one_skb.measured.socket.skbs = 1100;
    short_by_one_skb.measured.socket.frag_bytes = kPayload - 65160;
    analyze(short_by_one_skb);
    EXPECT_TRUE(has_finding(short_by_one_skb));
}

TEST(Analyze, SendfileCopiedAtTransmitSaysTheCopyMoved)
{
    // What veth with SG off shows: tcp_sendmsg spliced every page (the route
    // keeps SG for GSO) and the copy happened at xmit; TCP also resent 8 KiB,
    // linearized again.
    Report report = sendfile_linearized();
    report.measured.socket.sendmsg.spliced_bytes = kPayload;
    report.measured.socket.sendmsg.spliced_copied_bytes = 0;
    set_copies(report, {.device_linearize = kPayload, .retransmit_relinearize = 8192});
    report.measured.socket.resent_payload_bytes = 8192;
    report.measured.socket.resent_linear_payload_bytes = 8192;
    report.measured.socket.retransmit_skbs = 2;
    report.measured.socket.retransmit_bytes = 8192;
    analyze(report);
    const Check& copies = check(report, "cpu_copies");
    EXPECT_EQ(copies.verdict, Verdict::match) << verdicts(report);
    EXPECT_NE(copies.explanation.find("The copy is not where the seeds put it"), std::string::npos)
        << copies.explanation;
    EXPECT_NE(copies.explanation.find("8 KiB was TCP resending"), std::string::npos) << copies.explanation;
    bool resend_finding = false;
    for (const std::string& finding : report.findings)
        resend_finding = resend_finding || finding.find("TCP retransmitted 2 skbs") != std::string::npos;
    EXPECT_TRUE(resend_finding);
}

// What the socket copied decides, even when xmit also reports shared frags:
// a copy with shared frags beside it is still a copy.
TEST(Analyze, SendfileCopiesOutweighSharedFrags)
{
    Report report = sendfile_linearized();
    report.measured.socket.shared_frag_bytes = kPayload;
    analyze(report);
    EXPECT_EQ(report.theory_row, "sendfile");

    report = sendfile_gathered();
    report.measured.socket.copied_frag_bytes = kPayload;
    analyze(report);
    EXPECT_EQ(report.theory_row, "sendfile");
}

TEST(Analyze, SendfileRowSelectionBoundary)
{
    // Half the payload as shared frags is the threshold for "gathered".
    Report report = sendfile_gathered();
    report.measured.socket.shared_frag_bytes = kPayload / 2;
    analyze(report);
    EXPECT_EQ(report.theory_row, "sendfile + DMA gather");

    report.measured.socket.shared_frag_bytes = kPayload / 2 - 1;
    analyze(report);
    EXPECT_EQ(report.theory_row, "sendfile");
    // Nothing was copied and nothing gathered: the "sendfile" row's copy is
    // nowhere to be seen, and no probe says why.
    EXPECT_EQ(check(report, "cpu_copies").verdict, Verdict::mismatch) << verdicts(report);
    EXPECT_NE(check(report, "cpu_copies").explanation.find("No probe shows why"), std::string::npos);
    EXPECT_EQ(report.verdict, Verdict::mismatch);
}

TEST(Analyze, SpliceTwoCallsPerTransferIsExplained)
{
    Report report = splice_report();
    analyze(report);
    expect_well_formed(report);
    EXPECT_EQ(report.theory_row, "splice");
    EXPECT_EQ(report.theory_row_selection.candidates, (std::vector<std::string>{"splice"}));
    EXPECT_DOUBLE_EQ(report.measured.syscalls_per_transfer, 2.0);
    const Check& syscalls = check(report, "syscalls_per_transfer");
    EXPECT_EQ(syscalls.theory, 1.0);
    EXPECT_EQ(syscalls.verdict, Verdict::explained) << verdicts(report);
    EXPECT_NE(syscalls.explanation.find("file->pipe and pipe->socket"), std::string::npos) << syscalls.explanation;
    // Four switches per transfer follow from two calls per transfer.
    EXPECT_EQ(check(report, "mode_switches_per_transfer").verdict, Verdict::explained) << verdicts(report);
    EXPECT_EQ(check(report, "cpu_copies").verdict, Verdict::match);
    EXPECT_EQ(check(report, "dma_copies").verdict, Verdict::explained);
    EXPECT_EQ(report.verdict, Verdict::explained);
}

TEST(Analyze, SpliceCallsThatDoNotAddUpAreAMismatch)
{
    // Two splice calls too many: not two per transfer.
    Report report = splice_report();
    set_calls(report, {{"splice", 2 * kTransfers + 2}});
    analyze(report);
    expect_well_formed(report);
    EXPECT_EQ(check(report, "syscalls_per_transfer").verdict, Verdict::mismatch) << verdicts(report);
    EXPECT_EQ(check(report, "mode_switches_per_transfer").verdict, Verdict::mismatch) << verdicts(report);
    EXPECT_EQ(report.verdict, Verdict::mismatch);

    // Two per transfer, but other calls in the window that nothing accounts for.
    report = splice_report();
    set_calls(report, {{"splice", 2 * kTransfers}, {"fcntl", 3}});
    analyze(report);
    EXPECT_EQ(check(report, "syscalls_per_transfer").verdict, Verdict::mismatch) << verdicts(report);
    EXPECT_NE(check(report, "syscalls_per_transfer").explanation.find("No workload detail explains"),
              std::string::npos);
    EXPECT_EQ(report.verdict, Verdict::mismatch);

    // One splice per transfer matches the seeds' figure outright.
    report = splice_report();
    set_calls(report, {{"splice", kTransfers}});
    analyze(report);
    EXPECT_EQ(check(report, "syscalls_per_transfer").verdict, Verdict::match) << verdicts(report);
    EXPECT_EQ(check(report, "mode_switches_per_transfer").verdict, Verdict::match) << verdicts(report);
}

TEST(Analyze, MmapWriteAmortizedSyscallsAreExplained)
{
    Report report = mmap_write_report();
    analyze(report);
    expect_well_formed(report);
    EXPECT_EQ(report.theory_row, "mmap + write");
    const Check& syscalls = check(report, "syscalls_per_transfer");
    EXPECT_EQ(syscalls.theory, 2.0);
    EXPECT_DOUBLE_EQ(syscalls.measured, 66.0 / 64.0);
    EXPECT_EQ(syscalls.verdict, Verdict::explained) << verdicts(report);
    EXPECT_NE(syscalls.explanation.find("(64 write + 1 mmap + 1 munmap) / 64 = 1.031"), std::string::npos)
        << syscalls.explanation;
    EXPECT_EQ(check(report, "mode_switches_per_transfer").verdict, Verdict::explained) << verdicts(report);
    EXPECT_EQ(check(report, "cpu_copies").verdict, Verdict::match) << verdicts(report);
    EXPECT_EQ(report.verdict, Verdict::explained);

    // Anything but one mapping, one unmapping and one write per chunk is not
    // the workload's pattern and must not be excused.
    set_calls(report, {{"mmap", 2}, {"munmap", 2}, {"write", kTransfers}});
    analyze(report);
    EXPECT_EQ(check(report, "syscalls_per_transfer").verdict, Verdict::mismatch) << verdicts(report);
    EXPECT_EQ(check(report, "mode_switches_per_transfer").verdict, Verdict::mismatch);
    EXPECT_EQ(report.verdict, Verdict::mismatch);

    set_calls(report, {{"mmap", 2}, {"munmap", 1}, {"write", kTransfers}});
    analyze(report);
    EXPECT_EQ(check(report, "syscalls_per_transfer").verdict, Verdict::mismatch) << verdicts(report);

    set_calls(report, {{"mmap", 1}, {"write", kTransfers}});
    analyze(report);
    EXPECT_EQ(check(report, "syscalls_per_transfer").verdict, Verdict::mismatch) << verdicts(report);

    set_calls(report, {{"fstat", 1}, {"mmap", 1}, {"munmap", 1}, {"write", kTransfers}});
    analyze(report);
    EXPECT_EQ(check(report, "syscalls_per_transfer").verdict, Verdict::mismatch) << verdicts(report);

    set_calls(report, {{"mmap", 1}, {"munmap", 1}, {"write", kTransfers - 1}});
    analyze(report);
    EXPECT_EQ(check(report, "syscalls_per_transfer").verdict, Verdict::mismatch) << verdicts(report);
}

TEST(Analyze, ReadWriteMatchesAndShortWritesAreExplained)
{
    Report report = read_write_report();
    analyze(report);
    expect_well_formed(report);
    EXPECT_EQ(report.theory_row, "read + write");
    EXPECT_EQ(check(report, "cpu_copies").verdict, Verdict::match) << verdicts(report);
    EXPECT_EQ(check(report, "syscalls_per_transfer").verdict, Verdict::match);
    EXPECT_EQ(check(report, "mode_switches_per_transfer").verdict, Verdict::match);
    EXPECT_EQ(report.verdict, Verdict::explained);  // DMA on loopback, warm cache

    set_calls(report, {{"read", kTransfers}, {"write", kTransfers + 6}});
    analyze(report);
    EXPECT_EQ(check(report, "syscalls_per_transfer").verdict, Verdict::explained) << verdicts(report);
    EXPECT_NE(check(report, "syscalls_per_transfer").explanation.find("6 write() calls were short"),
              std::string::npos);
    EXPECT_EQ(check(report, "mode_switches_per_transfer").verdict, Verdict::explained);

    // Short writes explain extra writes, not calls of another kind beside them.
    set_calls(report, {{"read", kTransfers}, {"write", kTransfers + 6}, {"fcntl", 1}});
    analyze(report);
    EXPECT_EQ(check(report, "syscalls_per_transfer").verdict, Verdict::mismatch) << verdicts(report);
    EXPECT_EQ(check(report, "mode_switches_per_transfer").verdict, Verdict::mismatch);
}

TEST(Analyze, CpuCopyCauses)
{
    // splice over a route without SG: tcp_sendmsg copied the spliced pages.
    Report report = splice_report();
    report.measured.socket.shared_frag_bytes = 0;
    report.measured.socket.copied_frag_bytes = kPayload;
    set_copies(report, {.page_cache_to_socket = kPayload});
    analyze(report);
    EXPECT_EQ(check(report, "cpu_copies").verdict, Verdict::explained) << verdicts(report);
    EXPECT_NE(check(report, "cpu_copies").explanation.find("NETIF_F_SG"), std::string::npos);

    // An extra copy that no probe attributes stays a mismatch.
    report = splice_report();
    set_copies(report, {.kernel_to_socket = kPayload});
    analyze(report);
    EXPECT_EQ(check(report, "cpu_copies").verdict, Verdict::mismatch) << verdicts(report);
    EXPECT_EQ(report.verdict, Verdict::mismatch);
}

TEST(Analyze, DmaOnLoopbackWithWarmCacheIsExplained)
{
    Report report = splice_report();
    analyze(report);
    const Check& dma = check(report, "dma_copies");
    EXPECT_EQ(dma.theory, 2.0);
    EXPECT_EQ(dma.measured, 0.0);
    EXPECT_EQ(dma.verdict, Verdict::explained) << dma.explanation;
    EXPECT_NE(dma.explanation.find("cache was warm"), std::string::npos) << dma.explanation;
    EXPECT_NE(dma.explanation.find("software device with no DMA engine"), std::string::npos) << dma.explanation;

    // At the boundary of "warm": a 0.99 hit ratio with no page added to the
    // cache still accounts for the disk half.
    report = splice_report();
    report.measured.page_cache.hit_ratio = 0.99;
    analyze(report);
    EXPECT_EQ(check(report, "dma_copies").verdict, Verdict::explained) << verdicts(report);
}

TEST(Analyze, DmaWithUnexplainedDiskBytesIsAMismatch)
{
    // Warm cache, every page a hit, yet the disk read half the file: nothing
    // measured says where those bytes went.
    Report report = splice_report();
    set_dma(report, {.disk_read = kPayload / 2});
    analyze(report);
    EXPECT_EQ(check(report, "dma_copies").verdict, Verdict::mismatch) << verdicts(report);
    EXPECT_EQ(report.verdict, Verdict::mismatch);

    // No disk reads, but the cache was not warm enough to account for them.
    report = splice_report();
    report.measured.page_cache.hits = kPages / 2;
    report.measured.page_cache.misses = kPages / 2;
    report.measured.page_cache.hit_ratio = 0.5;
    analyze(report);
    EXPECT_EQ(check(report, "dma_copies").verdict, Verdict::mismatch) << verdicts(report);

    report = splice_report();
    report.measured.page_cache.hit_ratio = 0.98;
    analyze(report);
    EXPECT_EQ(check(report, "dma_copies").verdict, Verdict::mismatch) << verdicts(report);

    // One page added to the cache means the disk was read, even if block_bio_queue
    // saw nothing (e.g. a bio merged before the probe): not "warm".
    report = splice_report();
    report.measured.page_cache.hits = kPages - 1;
    report.measured.page_cache.misses = 1;
    report.measured.page_cache.hit_ratio = static_cast<double>(kPages - 1) / static_cast<double>(kPages);
    analyze(report);
    EXPECT_EQ(check(report, "dma_copies").verdict, Verdict::mismatch) << verdicts(report);
    EXPECT_NE(check(report, "dma_copies").explanation.find("1 pages added to the page cache"), std::string::npos)
        << check(report, "dma_copies").explanation;

    // No pages accessed means no hit ratio, and nothing to excuse the disk half.
    report = splice_report();
    report.measured.page_cache.hit_ratio.reset();
    analyze(report);
    EXPECT_EQ(check(report, "dma_copies").verdict, Verdict::mismatch) << verdicts(report);

    // A "cold" run that read nothing from disk is not explained by the cache.
    report = splice_report();
    report.environment.cache = "cold";
    analyze(report);
    EXPECT_EQ(check(report, "dma_copies").verdict, Verdict::mismatch) << verdicts(report);
}

// A splice run whose every page was a miss: the file came from disk.
Report cold_splice_report()
{
    Report report = splice_report();
    report.environment.cache = "cold";
    report.environment.cache_resident_pages_before = 0;
    report.measured.page_cache.hits = 0;
    report.measured.page_cache.misses = kPages;
    report.measured.page_cache.hit_ratio = 0.0;
    return report;
}

TEST(Analyze, DmaWithColdCacheReadingTheFileIsExplained)
{
    // Cold cache: the disk half happened (one payload read), only the NIC half is missing.
    Report report = cold_splice_report();
    set_dma(report, {.disk_read = kPayload});
    analyze(report);
    const Check& dma = check(report, "dma_copies");
    EXPECT_EQ(dma.measured, 1.0);
    EXPECT_EQ(dma.verdict, Verdict::explained) << dma.explanation;
    EXPECT_NE(dma.explanation.find("disk: 64 MiB read, 0 B written (block_bio_queue, submitted by the sender), 16384 "
                                   "pages added to the page cache (1.00 x payload): the cache was cold"),
              std::string::npos)
        << dma.explanation;

    // Half the file again from disk is more than the missing NIC half accounts for.
    set_dma(report, {.disk_read = kPayload + kPayload / 2});
    analyze(report);
    EXPECT_EQ(check(report, "dma_copies").verdict, Verdict::mismatch) << verdicts(report);
}

TEST(Analyze, DmaHalvesAreJudgedSeparately)
{
    // Two disk reads and nothing to a NIC add up to the row's 2, but neither
    // half is what the row describes.
    Report report = cold_splice_report();
    set_dma(report, {.disk_read = 2 * kPayload});
    analyze(report);
    const Check& dma = check(report, "dma_copies");
    EXPECT_EQ(dma.measured, 2.0);
    EXPECT_EQ(dma.verdict, Verdict::mismatch) << dma.explanation;

    // One disk read and one NIC transfer is the row exactly.
    set_dma(report, {.disk_read = kPayload, .nic_tx = kPayload});
    analyze(report);
    EXPECT_EQ(check(report, "dma_copies").verdict, Verdict::match) << verdicts(report);
}

TEST(Analyze, IntegrityFailureIsAMismatch)
{
    Report report = sendfile_gathered();
    report.workload.integrity.bytes_received = kPayload - 4096;
    report.workload.integrity.checksum_received = "0badf00d";
    report.workload.integrity.checksum_match = false;
    report.workload.integrity.ok = false;
    analyze(report);
    expect_well_formed(report);
    const Check& integrity = check(report, "integrity");
    EXPECT_EQ(integrity.verdict, Verdict::mismatch);
    EXPECT_EQ(integrity.measured, 0.0);
    EXPECT_NE(integrity.explanation.find("0badf00d (expected 9a3c11e0)"), std::string::npos)
        << integrity.explanation;
    // Every other check is as in the good run; integrity alone decides.
    EXPECT_EQ(check(report, "cpu_copies").verdict, Verdict::match);
    EXPECT_EQ(check(report, "syscalls_per_transfer").verdict, Verdict::match);
    EXPECT_EQ(report.verdict, Verdict::mismatch);
}

TEST(Analyze, EveryCheckExplainsItself)
{
    Report reports[] = {sendfile_gathered(), sendfile_linearized(), splice_report(), mmap_write_report(),
                        read_write_report()};
    for (Report& report : reports) {
        SCOPED_TRACE(report.technique);
        analyze(report);
        expect_well_formed(report);
        // Explanations cite this run's numbers, not only prose.
        EXPECT_NE(check(report, "syscalls_per_transfer").explanation.find("for 64 transfers"), std::string::npos)
            << check(report, "syscalls_per_transfer").explanation;
        EXPECT_NE(check(report, "mode_switches_per_transfer").explanation.find("over 64 transfers"),
                  std::string::npos);
        EXPECT_NE(report.findings.front().find("recv() copied 64 MiB"), std::string::npos) << report.findings.front();
    }
}

TEST(Analyze, RunningTwiceGivesTheSameReport)
{
    Report report = mmap_write_report();
    analyze(report);
    const nlohmann::json first = report;
    analyze(report);
    EXPECT_EQ(nlohmann::json(report), first);
}

// A window the marker never opened would give a report of zeros; the run
// must fail instead (a seccomp filter denying unknown syscalls does this).
TEST(Window, OnlyOneOpenAndOneCloseMakeARun)
{
    RawCounters counters;
    EXPECT_FALSE(check_window(counters));
    counters.syscalls.window_opens = 1;
    EXPECT_FALSE(check_window(counters));
    counters.syscalls.window_closes = 1;
    EXPECT_TRUE(check_window(counters));
    counters.syscalls.window_opens = 2;
    const auto twice = check_window(counters);
    ASSERT_FALSE(twice);
    EXPECT_NE(twice.error().message.find("seccomp"), std::string::npos) << twice.error().message;
}

}  // namespace
}  // namespace zctrace
