// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "analysis/build_report.hpp"

#include <cstdio>

#include "analysis/checks.hpp"
#include "analysis/cost_model.hpp"
#include "analysis/measurement.hpp"
#include "base/units.hpp"
#include "runs/techniques.hpp"

namespace zctrace {
namespace {

ReadPathFigures read_path_figures(const Report& report)
{
    const double gib = static_cast<double>(report.workload.bytes) / (1u << 30);
    const Measured& m = report.measured;
    ReadPathFigures figures;
    figures.technique = report.technique;
    figures.bytes = report.workload.bytes;
    figures.page_cache_pages_added = m.page_cache.misses;
    figures.resident_pages_after = report.environment.cache_resident_pages_after;
    figures.disk_read_bytes = m.dma_bytes.disk_read;
    figures.cpu_copies = m.cpu_copies;
    figures.cpu_seconds_per_gib = report.workload.cpu_seconds_per_gib;
    figures.user_seconds_per_gib = ratio(report.workload.user_seconds, gib);
    figures.system_seconds_per_gib = ratio(report.workload.system_seconds, gib);
    figures.syscalls_per_gib = ratio(m.syscalls.total, gib);
    figures.mode_switches_per_gib = ratio(m.mode_switches, gib);
    figures.mib_per_second = report.workload.mib_per_second;
    return figures;
}

}  // namespace

Comparison compare_read_paths(const Report& direct, const Report& buffered)
{
    Comparison comparison;
    comparison.measured = read_path_figures(direct);
    comparison.baseline = read_path_figures(buffered);
    const ReadPathFigures& a = comparison.measured;
    const ReadPathFigures& b = comparison.baseline;
    if (b.page_cache_pages_added)
        comparison.pollution_ratio = ratio(a.page_cache_pages_added, b.page_cache_pages_added);
    comparison.summary =
        "from a cold cache, " + a.technique + " added " + std::to_string(a.page_cache_pages_added) +
        " pages to the page cache (" + std::to_string(a.resident_pages_after) + " resident after) and a buffered "
        "read() of the same file added " + std::to_string(b.page_cache_pages_added) + " (" +
        std::to_string(b.resident_pages_after) + " resident after); CPU " + format_fixed(a.cpu_seconds_per_gib, 3) +
        " vs " + format_fixed(b.cpu_seconds_per_gib, 3) + " s/GiB (system " + format_fixed(a.system_seconds_per_gib, 3) +
        " vs " + format_fixed(b.system_seconds_per_gib, 3) + "), " + format_fixed(a.syscalls_per_gib, 1) + " vs " +
        format_fixed(b.syscalls_per_gib, 1) + " syscalls/GiB, " + format_fixed(a.mode_switches_per_gib, 1) + " vs " +
        format_fixed(b.mode_switches_per_gib, 1) + " mode switches/GiB, CPU copies " + format_fixed(a.cpu_copies) +
        " vs " + format_fixed(b.cpu_copies);
    return comparison;
}

Report build_report(const RunObservation& observation, const HostFacts& host)
{
    Report report;
    report.tool = std::string("zctrace ") + ZCTRACE_VERSION;
    report.created_at = utc_now();
    report.technique = std::string(technique_name(observation.spec.technique));

    const workload::SenderReport& sender = observation.sender;
    const workload::ReceiverReport& receiver = observation.receiver;
    WorkloadSummary& w = report.workload;
    w.bytes = workload::payload_bytes(sender, observation.spec.technique);
    w.chunk_bytes = observation.spec.chunk;
    w.transfers = sender.transfers;
    w.transfer_unit = std::string(technique_info(observation.spec.technique).transfer_unit);
    for (const auto& [name, count] : sender.calls.by_name())
        w.calls[name] = count;
    for (const auto& [name, count] : sender.repeats.by_name())
        w.repeated_calls[name] = count;
    if (sender.pipe_bytes)
        w.pipe_bytes = sender.pipe_bytes;
    if (pins_user_pages(observation.spec.technique))
        w.zerocopy_completions = ZerocopyCompletions{sender.zerocopy_sends, sender.zerocopy_sends_completed,
                                                     sender.zerocopy_sends_copied, sender.zerocopy_notifications};
    if (copies_to_file(observation.spec.technique))
        w.copy_file = CopyFileOutcome{observation.file.filesystem, observation.filesystem_shares_extents,
                                      observation.shares_extents_why, sender.copy_extents,
                                      sender.copy_shared_extents};
    if (observation.spec.receive == workload::ReceiveMode::zerocopy && sends_over_network(observation.spec.technique))
        w.receiver_zerocopy = ReceiverZerocopy{receiver.zerocopy_calls, receiver.mapped_bytes, receiver.copybuf_bytes,
                                               receiver.recv_bytes};
    if (vmsplices(observation.spec.technique))
        w.buffer_release = BufferRelease{sender.unacked_at_end_bytes, static_cast<double>(sender.until_acked_ns) / 1e9,
                                         std::nullopt};
    if (observation.spec.technique == Technique::vmsplice_gift)
        w.buffer_release->gift = GiftedPages{sender.gift_pages, sender.gift_pages_same_frame,
                                             sender.gift_frames_readable};
    const bool networked = sends_over_network(observation.spec.technique);
    const std::uint32_t crc_seen = networked ? receiver.crc32 : sender.consumed_crc32;
    const std::uint64_t bytes_seen = networked ? receiver.bytes_received : sender.consumed_bytes;
    char crc[16];
    std::snprintf(crc, sizeof crc, "%08x", observation.file.crc32);
    w.integrity.checksum_expected = crc;
    std::snprintf(crc, sizeof crc, "%08x", crc_seen);
    w.integrity.checksum_received = crc;
    w.integrity.verified_by = networked ? "receiver" : "sender";
    w.integrity.bytes_expected = observation.file.size;
    w.integrity.bytes_received = bytes_seen;
    w.integrity.checksum_match = crc_seen == observation.file.crc32;
    w.integrity.ok = w.integrity.checksum_match && bytes_seen == observation.file.size &&
                     (networked ? sender.bytes_sent == observation.file.size : receiver.bytes_received == 0);
    if (observation.spec.technique == Technique::cow)
        w.integrity.ok = w.integrity.ok && sender.cow.parent_crc32_after == observation.file.crc32;
    // tee's second output, the file, read back by the sender after the window.
    if (networked && copies_to_file(observation.spec.technique)) {
        w.integrity.verified_by = "receiver and sender";
        w.integrity.ok = w.integrity.ok && sender.consumed_bytes == observation.file.size &&
                         sender.consumed_crc32 == observation.file.crc32;
    }
    w.wall_seconds = static_cast<double>(sender.window_ns) / 1e9;
    w.user_seconds = static_cast<double>(sender.kernel.user_ns) / 1e9;
    w.system_seconds = static_cast<double>(sender.kernel.system_ns) / 1e9;
    w.cpu_seconds = w.user_seconds + w.system_seconds;
    const double gib = static_cast<double>(w.bytes) / (1u << 30);
    w.mib_per_second = ratio(static_cast<double>(w.bytes) / (1u << 20), w.wall_seconds);
    w.cpu_seconds_per_gib = ratio(w.cpu_seconds, gib);
    w.receiver_cpu_seconds = static_cast<double>(receiver.user_ns + receiver.system_ns) / 1e9;

    report.measured = measure(observation);
    report.overhead = measure_overhead(observation);

    Environment& env = report.environment;
    env.kernel = host.kernel;
    env.machine = host.machine;
    env.lockdown = host.lockdown;
    env.cpus = host.cpus;
    for (const AttachedProbe& probe : observation.probes)
        env.probes.push_back({probe.group, probe.program, probe.hook, probe.attach_type});
    env.transport = "tcp";
    env.network = std::string(transport_name(observation.spec.transport));
    if (observation.spec.transport == Transport::veth) {
        env.sg_requested = observation.spec.scatter_gather;
        env.sender_link = observation.sender_link;
    }
    for (const DeviceStats& device : report.measured.socket.devices)
        env.device += (env.device.empty() ? "" : ",") + device.name;
    if (report.measured.socket.devices.size() == 1)
        env.device_sg = report.measured.socket.devices.front().sg;
    if (networked) {
        env.egress.name = observation.egress_device;
        env.egress.sg = observation.egress_offloads.scatter_gather;
        env.egress.tx_checksum = observation.egress_offloads.tx_checksum;
        env.egress.read_by = "ethtool before the run";
    }
    env.cache = observation.spec.cache == CacheState::warm ? "warm" : "cold";
    env.file_pages = observation.file.pages();
    env.cache_resident_pages_before = observation.resident_pages_before;
    env.cache_resident_pages_after = observation.resident_pages_after;
    env.work_dir = observation.file.path.parent_path().string();
    env.filesystem = observation.file.filesystem;
    env.block_device = observation.file.block_device;

    if (observation.baseline) {
        const Report baseline = build_report(*observation.baseline, host);
        report.comparison = compare_read_paths(report, baseline);
    }
    analyze(report);
    report.cost = cost_model(report, observation.machine);
    return report;
}

}  // namespace zctrace
