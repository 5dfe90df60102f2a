// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// Each technique, end to end with real probes: a 16 MiB file over loopback
// TCP, and the report's counts held to what the workload itself did.
#include <unistd.h>

#include <cmath>
#include <map>

#include "base/system.hpp"
#include "support.hpp"

namespace zctrace::test {
namespace {

struct Expected {
    Technique technique;
    double cpu_copies;
    const char* theory_row;
    Verdict verdict;  // the whole report's
    Verdict syscalls;  // the syscalls_per_transfer check's
};

// What the kernel does on loopback with a warm cache (see kernel-facts.md):
// the copies are the rows'; mmap_write maps once and splice needs a pipe,
// which the workload design accounts for.
const Expected kExpected[] = {
    {Technique::read_write, 2.0, "read + write", Verdict::match, Verdict::match},
    {Technique::mmap_write, 1.0, "mmap + write", Verdict::explained, Verdict::explained},
    {Technique::sendfile, 0.0, "sendfile + DMA gather", Verdict::match, Verdict::match},
    {Technique::splice, 0.0, "splice", Verdict::explained, Verdict::explained},
};

class TechniqueTest : public ::testing::TestWithParam<Expected> {
protected:
    void SetUp() override { ZC_REQUIRE_BPF(); }

    // One run per technique, shared by the tests below. It is the second
    // run on probes attached once (as `run all` does): another technique ran
    // on them first, so a counter the reset missed would show here.
    static const Outcome& outcome(Technique technique)
    {
        static std::map<Technique, Outcome> runs;
        auto it = runs.find(technique);
        if (it == runs.end()) {
            const Technique first = technique == Technique::read_write ? Technique::sendfile : Technique::read_write;
            const RunSpec before{first, 64 * 1024, CacheState::warm, ProbeFlavor::typed};
            const RunSpec measured{technique, 64 * 1024, CacheState::warm, ProbeFlavor::typed};
            auto tracer = attach_for_runs({before, measured}, shared_file(16 * kMiB));
            if (!tracer)
                throw std::runtime_error(tracer.error().describe());
            run_spec(before, 16 * kMiB, {}, tracer->get());
            it = runs.emplace(technique, run_spec(measured, 16 * kMiB, {}, tracer->get())).first;
        }
        return it->second;
    }
    const Report& report() const { return outcome(GetParam().technique).report; }
};

TEST_P(TechniqueTest, ReportMatchesTheSchema)
{
    const auto problems = report_schema().validate(outcome(GetParam().technique).json);
    EXPECT_TRUE(problems.empty()) << problems.front();
}

TEST_P(TechniqueTest, EveryByteArrivesIntact)
{
    const Integrity& integrity = report().workload.integrity;
    EXPECT_TRUE(integrity.ok);
    EXPECT_TRUE(integrity.checksum_match);
    EXPECT_EQ(integrity.bytes_received, 16 * kMiB);
    EXPECT_EQ(report().workload.bytes, 16 * kMiB);
    EXPECT_EQ(report().workload.transfers, 16 * kMiB / (64 * 1024));
}

TEST_P(TechniqueTest, CpuCopiesAreWhatTheKernelDid)
{
    EXPECT_NEAR(report().measured.cpu_copies, GetParam().cpu_copies, 0.02);
    EXPECT_EQ(report().theory_row, GetParam().theory_row);
    // The receiver copies every byte into its buffer once, whatever the sender does.
    EXPECT_EQ(report().measured.receiver.copy_bytes, 16 * kMiB);
}

TEST_P(TechniqueTest, SyscallsEqualTheWorkloadsOwnTally)
{
    const Measured& m = report().measured;
    EXPECT_EQ(m.syscalls.by_name, report().workload.calls);
    std::uint64_t tally = 0;
    for (const auto& [name, count] : report().workload.calls)
        tally += count;
    EXPECT_EQ(m.syscalls.total, tally);
}

TEST_P(TechniqueTest, EverySyscallIsTwoModeSwitches)
{
    const Measured& m = report().measured;
    EXPECT_EQ(m.mode_switch_detail.syscall_entries, m.syscalls.total);
    EXPECT_EQ(m.mode_switch_detail.syscall_exits, m.syscalls.total);
    EXPECT_EQ(m.mode_switches, 2 * m.syscalls.total);
}

TEST_P(TechniqueTest, WarmCacheHitsEveryPage)
{
    const PageCacheStats& cache = report().measured.page_cache;
    ASSERT_TRUE(cache.hit_ratio.has_value());
    EXPECT_GE(*cache.hit_ratio, 0.99);
    EXPECT_EQ(cache.misses, 0u);
    EXPECT_EQ(report().measured.dma_bytes.disk_read, 0u);
    const std::uint64_t pages = report().environment.file_pages;
    EXPECT_EQ(report().environment.cache_resident_pages_before, pages);
    // Every page was used: looked up by read/splice, or mapped for mmap (whole
    // large folios are mapped without a filemap event, so rss_stat counts them).
    if (GetParam().technique == Technique::mmap_write)
        EXPECT_EQ(cache.mapped_pages, pages);
    else
        EXPECT_EQ(cache.accessed_pages, pages);
}

TEST_P(TechniqueTest, LoopbackHasNoDmaAndTheChecksSaySo)
{
    const Report& r = report();
    EXPECT_EQ(r.measured.dma_copies, 0.0);
    ASSERT_EQ(r.measured.socket.devices.size(), 1u);
    EXPECT_EQ(r.measured.socket.devices.front().name, "lo");
    EXPECT_TRUE(r.measured.socket.devices.front().loopback);
    EXPECT_FALSE(r.measured.socket.devices.front().dma_capable);
    const Check& dma = check_named(r, "dma_copies");
    EXPECT_EQ(dma.verdict, Verdict::environment) << dma.explanation;
    EXPECT_NE(dma.explanation.find("no DMA engine"), std::string::npos) << dma.explanation;
    EXPECT_NE(r.verdict, Verdict::mismatch) << describe_checks(r);
}

TEST_P(TechniqueTest, TheVerdictsAreTheRowsAndNothingIsInvalid)
{
    const Report& r = report();
    EXPECT_EQ(r.verdict, GetParam().verdict) << describe_checks(r);
    EXPECT_EQ(check_named(r, "cpu_copies").verdict, Verdict::match) << check_named(r, "cpu_copies").explanation;
    EXPECT_EQ(check_named(r, "syscalls_per_transfer").verdict, GetParam().syscalls);
    for (const Check& check : r.checks)
        EXPECT_NE(check.verdict, Verdict::invalid) << check.metric << ": " << check.explanation;
    // The expected row came from lo's offloads, read before the run, and the
    // payload left through lo as they said.
    EXPECT_EQ(r.environment.egress.name, "lo");
    EXPECT_EQ(r.environment.egress.sg, true);
    EXPECT_EQ(r.environment.egress.confirmed_at_xmit, true);
    EXPECT_EQ(r.theory_row_selection.expected, r.theory.id);
    EXPECT_EQ(r.headline.rfind(std::string(technique_name(GetParam().technique)) + ", 16 MiB over lo: ", 0), 0u)
        << r.headline;
}

TEST_P(TechniqueTest, KernelCountersAgreeWithTheProbes)
{
    // getrusage() brackets the window by a few instructions, so a switch or
    // fault landing exactly there may show up on one side only.
    const Measured& m = report().measured;
    EXPECT_NEAR(static_cast<double>(m.context_switches.voluntary),
                static_cast<double>(m.kernel_counters.voluntary_switches), 2);
    EXPECT_NEAR(static_cast<double>(m.context_switches.involuntary),
                static_cast<double>(m.kernel_counters.involuntary_switches), 2);
    EXPECT_NEAR(static_cast<double>(m.page_faults.user + m.page_faults.kernel),
                static_cast<double>(m.kernel_counters.minor_faults + m.kernel_counters.major_faults), 2);
}

// The programs count every run of theirs and time one in 127 on each CPU
// (bpf/probe_cost.h), with bpf_stats off.
TEST_P(TechniqueTest, OverheadIsCountedAndSampledByTheProgramsThemselves)
{
    const Overhead& o = report().overhead;
    EXPECT_EQ(o.accounting, kSampledAccounting);
    EXPECT_EQ(o.interval, "window");
    EXPECT_FALSE(o.bpf_stats);
    EXPECT_GT(o.events, 0u);
    EXPECT_GT(o.bpf_run_ns, 0u);
    EXPECT_GT(o.share_of_workload_cpu, 0.0);
    EXPECT_GT(o.clock_ns_per_timed_event, 0.0);
    EXPECT_LT(o.attach_seconds, 0.5);
    EXPECT_LT(o.zctrace_peak_rss_bytes, 64u * kMiB);
    EXPECT_EQ(o.missed_events, 0u);
    // One run in 127 of every hook's on each CPU, whatever the countdown
    // stood at when the window opened.
    const auto cpus = static_cast<std::uint64_t>(::sysconf(_SC_NPROCESSORS_CONF));
    const std::uint64_t timed = o.timed_events + o.interrupted_events;
    EXPECT_GE(timed + cpus, o.events / ZC_PROBE_TIMED_EVERY);
    EXPECT_LE(timed, o.events / ZC_PROBE_TIMED_EVERY + cpus);
    int sys_enter_programs = 0;
    for (const ProgramOverhead& program : o.programs) {
        EXPECT_LE(program.timed_events + program.interrupted_events, program.events) << program.program;
        EXPECT_EQ(program.bpf_stats_events, 0u) << program.program << ": bpf_stats was off";
        // sys_enter runs for every call the sender made in the window, at least.
        if (program.program == typed_syscall_program("sys_enter", BystanderFilter::task_storage) ||
            program.program == typed_syscall_program("sys_enter", BystanderFilter::cpu_cache)) {
            EXPECT_GE(program.events, report().measured.syscalls.total);
            ++sys_enter_programs;
        }
    }
    EXPECT_EQ(sys_enter_programs, 1) << "one typed sys_enter program, the bystander filter's (" << o.bystander_filter
                                     << ")";
    // The sample's own uncertainty, from the timed runs' spread: some,
    // since no two runs take the same time, and far less than the figure,
    // or the sample would say nothing. (A hook timed a few times over a
    // few hundred runs can round to 0 ns in all.)
    std::uint64_t squares = 0;
    for (const ProgramOverhead& program : o.programs) {
        squares += program.run_ns_standard_error * program.run_ns_standard_error;
        if (program.timed_events >= 10) {
            EXPECT_GT(program.run_ns_standard_error, 0u) << program.program;
        }
    }
    EXPECT_GT(o.bpf_run_ns_standard_error, 0u);
    EXPECT_LT(o.bpf_run_ns_standard_error, o.bpf_run_ns / 2);
    EXPECT_NEAR(static_cast<double>(o.bpf_run_ns_standard_error), std::sqrt(static_cast<double>(squares)),
                static_cast<double>(o.programs.size()));
    EXPECT_NEAR(o.ns_per_event_standard_error,
                static_cast<double>(o.bpf_run_ns_standard_error) / static_cast<double>(o.events), 0.01);
    EXPECT_EQ(o.host_drops_kernel_tlb, read_page_table_isolation().drops_kernel_tlb());
}

INSTANTIATE_TEST_SUITE_P(AllTechniques, TechniqueTest, ::testing::ValuesIn(kExpected),
                         [](const auto& info) { return std::string(technique_name(info.param.technique)); });

// --bpf-stats always: the kernel times every run as well, and the report
// sets the two side by side. Both count the same runs.
TEST(ProbeCost, BpfStatsCountsTheRunsTheProgramsCount)
{
    ZC_REQUIRE_BPF();
    RunSpec spec{Technique::sendfile, 64 * 1024, CacheState::warm, ProbeFlavor::typed};
    spec.bpf_stats = BpfStatsMode::always;
    const Report report = run_spec(spec, 16 * kMiB).report;
    const Overhead& o = report.overhead;
    ASSERT_TRUE(o.bpf_stats);
    EXPECT_EQ(o.interval, "run");
    EXPECT_GT(o.bpf_stats->clock_ns_per_event, 0.0);
    EXPECT_GT(o.bpf_stats->run_ns, o.bpf_stats->run_ns_less_clock);
    EXPECT_GT(o.bpf_stats->estimate_ratio, 0.0);
    // An empty program ran beside each of zctrace's, on its hook, and cost
    // bpf_stats less than zctrace's own did.
    EXPECT_EQ(o.bpf_stats->clock_source, kClockBeside);
    EXPECT_GE(o.accounting_ns, static_cast<std::uint64_t>(static_cast<double>(o.timed_events) * o.clock_ns_per_timed_event));
    EXPECT_LT(o.accounting_ns, o.bpf_run_ns);
    for (const ProgramOverhead& program : o.programs) {
        if (program.bpf_stats_events < 1000)
            continue;
        EXPECT_GT(program.bpf_stats_clock_ns, 0u) << program.program;
        EXPECT_LT(program.bpf_stats_clock_ns, program.bpf_stats_run_ns) << program.program;
    }
    for (const ProgramOverhead& program : o.programs) {
        // Under bpf_stats the syscall hooks test every task (syscalls.bpf.c).
        if (program.program != "sys_exit_every_task_btf" && program.program != "net_dev_start_xmit" &&
            program.program != "tcp_sendmsg_locked")
            continue;
        // The two are read one after the other; runs in between differ.
        EXPECT_NEAR(static_cast<double>(program.events), static_cast<double>(program.bpf_stats_events),
                    10 + 0.01 * static_cast<double>(program.events))
            << program.program;
    }
}

// --bpf-stats windows: bpf_stats on for 5 ms of every 50 ms, from the
// sender's start. It times a share of the runs well below all of them, and
// its price of them, scaled to every run the programs counted, is the
// report's estimate. Always (above) times them all: the share is 1.
TEST(ProbeCost, BpfStatsInWindowsTimesAShareAndPricesEveryRun)
{
    ZC_REQUIRE_BPF();
    RunSpec spec{Technique::sendfile, 64 * 1024, CacheState::warm, ProbeFlavor::typed};
    spec.bpf_stats = BpfStatsMode::windows;
    const Report report = run_spec(spec, 256 * kMiB).report;
    const Overhead& o = report.overhead;
    ASSERT_TRUE(o.bpf_stats);
    const BpfStatsCheck& stats = *o.bpf_stats;
    EXPECT_EQ(stats.mode, "windows");
    EXPECT_EQ(o.interval, "window");
    const double wall = report.workload.wall_seconds;
    std::cout << "windows " << stats.windows << ", on " << stats.seconds_on * 1000 << " ms of a " << wall * 1000
              << " ms run; " << stats.events << " of " << o.events << " runs timed (" << stats.runs_timed_share
              << "); " << stats.estimated_ns_per_event << " ns a run, " << stats.estimated_run_ns
              << " ns in all; sample/stats " << stats.estimate_ratio << "\n";
    // One window per 50 ms begun, each about 5 ms (a sleep overshoots).
    EXPECT_GE(stats.windows, 1u);
    EXPECT_LE(stats.windows, static_cast<std::uint64_t>(wall / 0.05) + 2);
    EXPECT_GT(stats.seconds_on, 0.0);
    EXPECT_LE(stats.seconds_on, static_cast<double>(stats.windows) * 0.005 + 0.03);
    if (wall > 0.1) {
        EXPECT_LT(stats.runs_timed_share, 0.6);
        EXPECT_LT(stats.events, o.events / 2);
    }
    EXPECT_GT(stats.events, 0u);
    EXPECT_GT(stats.estimated_run_ns, stats.run_ns_less_clock);
    EXPECT_GT(stats.estimated_ns_per_event, 0.0);
    EXPECT_GT(stats.estimated_share_of_workload_cpu, 0.0);
    EXPECT_LT(stats.estimated_share_of_workload_cpu, 0.5);

    spec.bpf_stats = BpfStatsMode::always;
    const Report always = run_spec(spec, 16 * kMiB).report;
    ASSERT_TRUE(always.overhead.bpf_stats);
    EXPECT_EQ(always.overhead.bpf_stats->mode, "always");
    EXPECT_EQ(always.overhead.bpf_stats->windows, 0u);
    EXPECT_GT(always.overhead.bpf_stats->runs_timed_share, 0.9);
}

// Probes attached for one file cannot count another: the file's inode and
// size are fixed when they load. Resetting them for it is refused.
TEST(SharedProbes, RefuseAnotherWorkloadFile)
{
    ZC_REQUIRE_BPF();
    const RunSpec spec{Technique::sendfile, 64 * 1024, CacheState::warm, ProbeFlavor::typed};
    auto tracer = attach_for_runs({spec}, shared_file(16 * kMiB));
    ASSERT_TRUE(tracer) << tracer.error().describe();
    auto other = run_technique(spec, shared_file(8 * kMiB), {}, tracer->get());
    ASSERT_FALSE(other);
    EXPECT_NE(other.error().message.find("attached for another workload file"), std::string::npos)
        << other.error().message;
    // The same file still runs on them, whole.
    const Report again = run_spec(spec, 16 * kMiB, {}, tracer->get()).report;
    EXPECT_TRUE(again.workload.integrity.ok);
    EXPECT_EQ(again.measured.syscalls.by_name, again.workload.calls);
}

// ---- what each technique's own path looks like ----

class PathTest : public ::testing::Test {
protected:
    void SetUp() override { ZC_REQUIRE_BPF(); }
};

TEST_F(PathTest, ReadWriteCopiesFileToUserAndUserToSocket)
{
    const Measured m = run_report(Technique::read_write).report.measured;
    EXPECT_EQ(m.cpu_copy_bytes.file_to_user, 16 * kMiB);
    EXPECT_EQ(m.cpu_copy_bytes.user_to_socket, 16 * kMiB);
    EXPECT_EQ(m.syscalls.by_name.at("read"), 256u);
    EXPECT_EQ(m.syscalls.by_name.at("write"), 256u);
    EXPECT_EQ(m.socket.shared_frag_bytes, 0u);
    // /proc/self/io counts the same read() calls.
    EXPECT_EQ(m.kernel_counters.read_syscalls, 256);
    EXPECT_EQ(m.kernel_counters.read_chars, static_cast<std::int64_t>(16 * kMiB));
}

TEST_F(PathTest, MmapWriteFaultsInTheKernelAndMapsTheWholeFile)
{
    const Report r = run_report(Technique::mmap_write).report;
    const Measured& m = r.measured;
    EXPECT_EQ(m.cpu_copy_bytes.file_to_user, 0u);
    EXPECT_EQ(m.cpu_copy_bytes.user_to_socket, 16 * kMiB);
    EXPECT_GT(m.page_faults.kernel, 0u);
    EXPECT_EQ(m.page_cache.mapped_pages, r.environment.file_pages);
    EXPECT_EQ(m.page_cache.unmapped_pages, r.environment.file_pages);
    EXPECT_EQ(m.syscalls.by_name.at("mmap"), 1u);
    EXPECT_EQ(m.syscalls.by_name.at("munmap"), 1u);
    EXPECT_EQ(m.syscalls.by_name.at("write"), 256u);
}

TEST_F(PathTest, SendfileAttachesPageCachePages)
{
    const Measured m = run_report(Technique::sendfile).report.measured;
    EXPECT_GE(m.socket.shared_frag_bytes, 16 * kMiB);
    EXPECT_EQ(m.socket.copied_frag_bytes, 0u);
    EXPECT_EQ(m.socket.linear_payload_bytes, 0u);
    EXPECT_EQ(m.socket.sendmsg.spliced_bytes, 16 * kMiB);
    EXPECT_EQ(m.syscalls.by_name.at("sendfile"), 256u);
    EXPECT_EQ(m.page_cache.accessed_pages, 16 * kMiB / 4096);
}

TEST_F(PathTest, SpliceGoesThroughAPipeInTwoCalls)
{
    const Report r = run_report(Technique::splice).report;
    const Measured& m = r.measured;
    EXPECT_EQ(m.syscalls.by_name.at("splice"), 2 * r.workload.transfers);
    EXPECT_GE(m.socket.shared_frag_bytes, 16 * kMiB);
    EXPECT_EQ(m.socket.sendmsg.spliced_bytes, 16 * kMiB);
    const Check& calls = check_named(r, "syscalls_per_transfer");
    EXPECT_EQ(calls.verdict, Verdict::explained) << calls.explanation;
    EXPECT_NEAR(calls.measured, 2.0, 1e-9);
}

// A chunk larger than the pipe (fs.pipe-max-size, 1 MiB without
// CAP_SYS_RESOURCE) takes several fills, each a pair of splices; the report
// must say so rather than call it a mismatch.
TEST_F(PathTest, SpliceChunksLargerThanThePipeTakeSeveralFills)
{
    const Report r = run_report(Technique::splice, 16 * kMiB, 4 * kMiB).report;
    ASSERT_TRUE(r.workload.pipe_bytes.has_value());
    const std::uint64_t pipe = *r.workload.pipe_bytes;
    ASSERT_GT(pipe, 0u);
    const std::uint64_t fills = (4 * kMiB + pipe - 1) / pipe;
    EXPECT_EQ(r.workload.transfers, 4u);
    EXPECT_EQ(r.measured.syscalls.by_name.at("splice"), 2 * 4 * fills);
    // The workload counted the extra fills as repeated splices.
    ASSERT_TRUE(r.workload.repeated_calls.count("splice"));
    EXPECT_EQ(r.workload.repeated_calls.at("splice"), 2 * 4 * fills - 2 * 4);
    for (const char* metric : {"syscalls_per_transfer", "mode_switches_per_transfer"}) {
        const Check& check = check_named(r, metric);
        EXPECT_EQ(check.verdict, Verdict::explained) << check.explanation;
    }
    EXPECT_NEAR(r.measured.cpu_copies, 0.0, 0.02);
}

// The raw_tp twins (CO-RE reads) are what a kernel without tp_btf would run;
// they must count exactly what the tp_btf programs count.
TEST_F(PathTest, RawTracepointFallbackCountsTheSame)
{
    for (Technique technique : {Technique::read_write, Technique::sendfile}) {
        SCOPED_TRACE(std::string(technique_name(technique)));
        const Outcome raw = run_report(technique, 16 * kMiB, 64 * 1024, ProbeFlavor::raw);
        const Outcome typed = run_report(technique);
        const Measured& a = typed.report.measured;
        const Measured& b = raw.report.measured;
        int raw_programs = 0;
        for (const ProbeUse& probe : raw.report.environment.probes) {
            EXPECT_NE(probe.program.find("_btf"), probe.program.size() - 4) << probe.program;
            raw_programs += probe.attach == "raw_tp";
        }
        EXPECT_GE(raw_programs, 8);
        EXPECT_EQ(b.syscalls.by_name, raw.report.workload.calls);
        EXPECT_EQ(b.mode_switches, 2 * b.syscalls.total);
        EXPECT_EQ(b.cpu_copy_bytes.total, a.cpu_copy_bytes.total);
        EXPECT_EQ(b.cpu_copy_bytes.file_to_user, a.cpu_copy_bytes.file_to_user);
        EXPECT_EQ(b.page_cache.accessed_pages, a.page_cache.accessed_pages);
        EXPECT_EQ(b.page_cache.hits, a.page_cache.hits);
        EXPECT_NEAR(static_cast<double>(b.context_switches.voluntary + b.context_switches.involuntary),
                    static_cast<double>(b.kernel_counters.voluntary_switches + b.kernel_counters.involuntary_switches),
                    2);
        EXPECT_TRUE(report_schema().validate(raw.json).empty());
    }
}

}  // namespace
}  // namespace zctrace::test
