// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// A run report with every field set to a value that differs from its
// default, shared by the tests of the report's JSON, its schema and the
// files it is written to.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "report/run_report.hpp"

namespace zctrace::test {

inline constexpr std::uint64_t kMiB = 1ULL << 20;

// Every field set to a value that differs from its default (no 0, no "",
// no false, no empty list, no empty optional), so a field that to_json or
// from_json forgets shows up as a difference after the round trip. Values
// stay plausible enough for the schema.
inline Report full_report()
{
    Report r;
    r.tool = "zctrace 0.1.0";
    r.created_at = "2025-11-23T11:17:42Z";
    r.technique = "sendfile";
    r.theory_row = "sendfile";
    r.headline = "sendfile: 1 copy — 64 MiB copied for 64 MiB, as \"sendfile\" says (expected: zc1234t has SG off)";
    r.theory_row_selection = {{"sendfile", "sendfile_dma_gather"},
                              "sendfile",
                              "zc1234t has SG off (ethtool before the run), so the kernel must copy the payload",
                              "sendfile"};

    Environment& e = r.environment;
    e.kernel = "6.12.48+deb13-amd64 #1 SMP PREEMPT_DYNAMIC Debian 6.12.48-1";
    e.machine = "x86_64";
    e.lockdown = "none";
    e.cpus = 8;
    e.probes = {{"syscalls", "sys_enter", "raw_syscalls:sys_enter", "tp_btf"},
                {"net", "xmit", "net:net_dev_start_xmit", "raw_tp"}};
    e.transport = "tcp";
    e.network = "veth";
    e.device = "zc1234t";
    e.device_sg = true;
    e.sg_requested = true;
    e.sender_link = "zc1234t";
    e.cache = "warm";
    e.file_pages = 16384;
    e.cache_resident_pages_before = 16380;
    e.cache_resident_pages_after = 16384;
    e.work_dir = "/var/tmp/zctrace-1234-abcdef";
    e.filesystem = "ext4";
    e.block_device = "nvme0n1p2";
    e.egress = {"zc1234t", true, true, "ethtool before the run", true};

    WorkloadSummary& w = r.workload;
    w.bytes = 64 * kMiB;
    w.chunk_bytes = kMiB;
    w.transfers = 64;
    w.transfer_unit = "one chunk: sendfile(socket, file)";
    w.calls = {{"sendfile", 64}, {"close", 2}};
    w.repeated_calls = {{"sendfile", 1}};
    w.repeats = RepeatStats{3, {{"workload.wall_seconds", {0.0375, 0.0371, 0.0402}}}, {"a count that moved"},
                            {Verdict::explained, Verdict::match, Verdict::explained}};
    w.integrity = {"receiver", 64 * kMiB, 64 * kMiB, "9a3c11e0", "9a3c11e0", true, true};
    w.wall_seconds = 0.0375;
    w.cpu_seconds = 0.0214;
    w.user_seconds = 0.0011;
    w.system_seconds = 0.0203;
    w.mib_per_second = 1706.6666666666667;
    w.cpu_seconds_per_gib = 0.3424;
    w.receiver_cpu_seconds = 0.031;
    w.pipe_bytes = 65536;
    w.zerocopy_completions = ZerocopyCompletions{64, 64, 64, 1};
    w.copy_file = CopyFileOutcome{"xfs", true, "xfs shared a block between two files (FICLONE)", 1, 1};
    w.receiver_zerocopy = ReceiverZerocopy{266, 15622144, 1074634, 80438};
    w.buffer_release = BufferRelease{2359296, 0.000412, GiftedPages{4096, 4096, true}};

    Measured& m = r.measured;
    m.cpu_copies = 0.015625;
    m.cpu_copy_bytes = {4096, 8192, 12288, 16384, 20480, 4096, 1448, 65536, 512};
    m.dma_copies = 0.1;
    m.dma_bytes = {4096, 512, 6710886, 6715494, 8192};
    m.syscalls = {66, {{"sendfile", 64}, {"close", 2}}};
    m.syscalls_per_transfer = 1.03125;
    m.mode_switches = 132;
    m.mode_switches_per_transfer = 2.0625;
    m.mode_switch_detail = {66, 67, 1};
    m.context_switches = {12, 3};
    m.page_faults = {7, 5, 3, 2, 1, 4, 1, 11, 6, 2};
    m.page_cache = {16384, 16383, 1, 0.99993896484375, 64, 16384, 9, 3, 48, 57, 57, 2};
    m.socket.skbs = 1100;
    m.socket.bytes = 67181824;
    m.socket.header_bytes = 72600;
    m.socket.linear_bytes = 80792;
    m.socket.linear_payload_bytes = 8192;
    m.socket.frag_bytes = 67100672;
    m.socket.shared_frag_bytes = 67100000;
    m.socket.copied_frag_bytes = 672;
    m.socket.zerocopy_frag_bytes = 1;
    m.socket.retransmit_skbs = 2;
    m.socket.retransmit_bytes = 131072;
    m.socket.resent_payload_bytes = 131072;
    m.socket.resent_linear_payload_bytes = 1448;
    m.socket.ownerless_skbs = 45;
    m.socket.unattributed_device_bytes = 1500;
    m.socket.sendmsg = {64, 64 * kMiB, 100, 200, 67108000, 300, 400, 5, 64, 6, 7};
    m.socket.devices = {{"lo", 1, true, true, true, 1100, 67181824, 64 * kMiB, 72600, 8192, 67100000, 1, 672}};
    m.receiver = {64 * kMiB, 2048, 2050};
    m.kernel_counters = {11, 2, 40, 1, 3, 66, 4096, 67108864};
    m.mmap = MmapStats{5120, 8192, 3072, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    m.cow = CowStats{16384, 10, 10, 40960, 12, 16374, 10, true, true};
    m.tcp_counters = std::map<std::string, std::int64_t>{{"RetransSegs", 2}, {"TCPSACKReorder", 4}};
    m.egress_device_sent = EgressDeviceCounters{11601, 17543000};

    ReadPathFigures direct{"large_file_async_direct", 64 * kMiB, 1, 2, 64 * kMiB, 0.5, 0.16, 0.01, 0.15, 2048, 4096, 1208};
    ReadPathFigures buffered{"large_file_buffered", 64 * kMiB, 16384, 16384, 64 * kMiB, 1, 0.98, 0.02, 0.96, 16384, 32768, 1036};
    r.comparison = Comparison{direct, buffered, 0.00006, "from a cold cache, ..."};

    r.theory = {"sendfile", "sendfile", "sendfile", 1, 2, "sendfile", 1, 2,
                "efficient, data cannot be modified (高效但不可改数据)", "seed 000 §3.3; seed 002 §6.3",
                "\"零拷贝技术详解\" (zero-copy explained) §3.3", true};
    Check check;
    check.metric = "dma_copies";
    check.theory = 2;
    check.expected = 2;
    check.expected_from = "theory";
    check.measured = 0.1;
    check.tolerance = 0.02;
    check.verdict = Verdict::explained;
    check.causes = {{"warm_cache", CauseKind::environment, 4096, 16383, -1.0, "the cache was warm"},
                    {"half_the_nic", CauseKind::kernel, 6710886, 4635, -0.9, "made up for the test"}};
    check.summary = "0.1 DMA copies where \"sendfile\" says 2";
    check.explanation = "disk: 4 KiB read; NIC: 6.40 MiB handed to DMA-capable devices";
    r.checks = {check};
    r.verdict = Verdict::explained;
    r.findings = {"receiver: recv() copied 64 MiB", "2 skbs were retransmitted"};

    Overhead& o = r.overhead;
    o.bpf_run_ns = 1234567;
    o.events = 54321;
    o.missed_events = 3;
    o.ns_per_event = 22.73;
    o.share_of_workload_cpu = 0.0235;
    o.share_of_sender_cpu = 0.0577;
    o.attach_seconds = 0.412;
    o.zctrace_peak_rss_bytes = 48 * kMiB;
    o.interval_samples = 12;
    o.programs = {{"syscalls", "sys_enter", 800000, 40000, 3, 2500, 2, 950000, 40002, 2400000, 41200}};
    o.accounting = kSampledAccounting;
    o.interval = "window";
    o.timed_events = 3400;
    o.interrupted_events = 2;
    o.clock_ns_per_timed_event = 30.6;
    o.accounting_ns = 151000;
    o.bpf_run_ns_standard_error = 52000;
    o.ns_per_event_standard_error = 0.96;
    o.host_drops_kernel_tlb = true;
    o.bystander_filter = "task-storage";
    o.bpf_stats = BpfStatsCheck{2900000, 54330, 45.8, kClockBeside, 411689, 2.99, 0.13};
    o.bpf_stats->mode = "windows";
    o.bpf_stats->windows = 3;
    o.bpf_stats->seconds_on = 0.0161;
    o.bpf_stats->runs_timed_share = 0.124;
    o.bpf_stats->estimated_run_ns = 3320112;
    o.bpf_stats->estimated_ns_per_event = 7.58;
    o.bpf_stats->estimated_share_of_workload_cpu = 0.0123;

    CostModel cost;
    cost.machine = {16.7e9, 174, 1612, "02b5bf62-b98f-4dc6-954b-5ceaa020cc2e", "2026-11-30T03:38:23Z", true};
    cost.measured_seconds = 0.02;
    cost.parts = {{"copies", 0.008, 0.4, "128 MiB copied by the CPU at 15.6 GiB/s (memcpy)"},
                  {"mode_switches", 0.0004, 0.02, "2048 syscalls × 174 ns"},
                  {"page_faults", 0.0000032, 0.00016, "2 page faults × 1612 ns"},
                  {"residual", 0.0116, 0.58, "the rest"}};
    cost.predicted_seconds = 0.0084;
    cost.residual_seconds = 0.0116;
    cost.receiver = ReceiverCost{0.025, 0.0042, 0.0208,
                                 {{"copies", 0.004, 0.16, "64 MiB copied by the CPU at 15.6 GiB/s (memcpy)"},
                                  {"mode_switches", 0.0002, 0.008, "1024 syscalls × 174 ns"},
                                  {"residual", 0.0208, 0.832, "the rest"}}};
    r.cost = cost;
    return r;
}

// full_report() with every optional empty, as a run that measured no mmap,
// cow or comparison and a theory row without figures would leave it.
inline Report report_with_empty_optionals()
{
    Report report = full_report();
    report.measured.page_cache.hit_ratio.reset();
    report.environment.device_sg.reset();
    report.theory.syscalls_per_transfer.reset();
    report.theory.mode_switches_per_transfer.reset();
    report.measured.mmap.reset();
    report.measured.cow.reset();
    report.comparison.reset();
    report.cost.reset();
    report.checks.front().theory.reset();
    return report;
}

// Problems or paths, one per line, for a failure message.
inline std::string joined(const std::vector<std::string>& lines)
{
    std::string text;
    for (const std::string& line : lines)
        text += line + "\n";
    return text;
}

}  // namespace zctrace::test
