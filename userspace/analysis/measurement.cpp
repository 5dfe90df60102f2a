// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "analysis/measurement.hpp"

#include <net/if.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>

#include "base/system.hpp"
#include "base/units.hpp"
#include "tracing/syscall_names.hpp"

namespace zctrace {
namespace {

// A bus (parent) device moves the payload by DMA; lo and veth copy in software.
bool dma_capable(const DeviceTraffic& device)
{
    return device.has_parent && (device.flags & IFF_LOOPBACK) == 0;
}

// The sample variance of n values from their sum and sum of squares; 0 under two.
double sample_variance(std::uint64_t n, double sum, double squares)
{
    if (n < 2)
        return 0;
    const double count = static_cast<double>(n);
    return std::max(0.0, (squares - sum * sum / count) / (count - 1));
}

}  // namespace

SocketStats socket_stats(const RawCounters& raw)
{
    const zc_net_totals& net = raw.net;
    SocketStats socket;
    socket.skbs = net.xmit_skbs;
    socket.bytes = net.xmit_bytes;
    socket.header_bytes = net.xmit_header_bytes;
    socket.linear_payload_bytes = net.xmit_linear_payload_bytes;
    socket.linear_bytes = net.xmit_header_bytes + net.xmit_linear_payload_bytes;
    socket.shared_frag_bytes = net.xmit_shared_frag_bytes;
    socket.copied_frag_bytes = net.xmit_copied_frag_bytes;
    socket.zerocopy_frag_bytes = net.xmit_zerocopy_frag_bytes;
    socket.frag_bytes = socket.shared_frag_bytes + socket.copied_frag_bytes + socket.zerocopy_frag_bytes;
    socket.retransmit_skbs = net.retransmit_skbs;
    socket.retransmit_bytes = net.retransmit_bytes;
    socket.resent_payload_bytes = net.xmit_retransmit_payload_bytes;
    socket.resent_linear_payload_bytes = net.xmit_retransmit_linear_payload_bytes;
    socket.ownerless_skbs = net.xmit_flow_matched_skbs;
    socket.unattributed_device_bytes = net.xmit_unattributed_device_bytes;

    const zc_syscall_totals& sys = raw.syscalls;
    SendmsgStats& send = socket.sendmsg;
    send.syscalls = sys.send_syscalls;
    send.bytes = sys.send_bytes;
    send.user_copy_bytes = sys.user_copy_bytes;
    send.kernel_copy_bytes = sys.kernel_copy_bytes;
    send.spliced_bytes = sys.spliced_bytes;
    send.spliced_copied_bytes = sys.spliced_copied_bytes;
    send.zerocopy_bytes = sys.zerocopy_bytes;
    send.uring_cqe_overflows = sys.uring_cqe_overflows;
    if (sys.uring_zc_notifs)
        send.uring_notifications = UringNotifications{sys.uring_zc_notifs, sys.uring_zc_notifs_copied,
                                                      sys.uring_zc_copied_reported, sys.uring_zc_copied_unused,
                                                      sys.uring_zc_copied_unused_linked};
    send.user_iter_steps = net.iter_user;
    send.bvec_iter_steps = net.iter_bvec;
    send.kvec_iter_steps = net.iter_kvec;
    send.other_iter_steps = net.iter_other;

    for (const DeviceTraffic& device : raw.devices) {
        DeviceStats stats;
        stats.name = device.name;
        stats.ifindex = device.ifindex;
        stats.loopback = (device.flags & IFF_LOOPBACK) != 0;
        stats.dma_capable = dma_capable(device);
        stats.sg = device.sg;
        stats.skbs = device.skbs;
        stats.bytes = device.bytes;
        stats.payload_bytes = device.payload_bytes;
        stats.header_bytes = device.header_bytes;
        stats.linear_payload_bytes = device.linear_payload_bytes;
        stats.shared_frag_bytes = device.shared_frag_bytes;
        stats.zerocopy_frag_bytes = device.zerocopy_frag_bytes;
        stats.copied_frag_bytes = device.copied_frag_bytes;
        socket.devices.push_back(std::move(stats));
    }
    return socket;
}

CopyBytes copy_bytes(const RawCounters& raw, Technique technique)
{
    CopyBytes copies;
    copies.file_to_user = raw.syscalls.file_to_user_bytes;
    copies.user_to_socket = raw.syscalls.user_copy_bytes;
    copies.page_cache_to_socket = raw.syscalls.spliced_copied_bytes;
    copies.kernel_to_socket = raw.syscalls.kernel_copy_bytes;
    copies.retransmit_relinearize = raw.net.xmit_retransmit_linear_payload_bytes;
    copies.device_linearize = raw.net.xmit_linear_payload_bytes - copies.retransmit_relinearize;
    // A write fault on a present page of the buffer is wp_page_copy(): one
    // page copied. Only cow has a second process sharing the buffer.
    if (technique == Technique::cow)
        copies.copy_on_write = raw.memory.buffer_faults.present_write * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
    // Only a run's own MSG_ZEROCOPY sender: trace keeps the receiver's copy
    // apart from the sender's (zerocopy_copied_at_receiver_bytes).
    if (pins_user_pages(technique))
        copies.zerocopy_deferred = raw.net.rx_zerocopy_copied_bytes;
    if (copies_to_file(technique))
        copies.page_cache_to_page_cache = raw.memory.copy_dest_bytes;
    copies.total = copies.sum_of_parts();
    return copies;
}

DmaBytes dma_bytes(const RawCounters& raw)
{
    DmaBytes dma;
    dma.disk_read = raw.block.read_bytes;
    dma.disk_write = raw.block.write_bytes;
    for (const DeviceTraffic& device : raw.devices)
        if (dma_capable(device))
            dma.nic_tx += device.payload_bytes;
    dma.total = dma.disk_read + dma.disk_write + dma.nic_tx;
    dma.other_device = raw.block.other_device_bytes;
    return dma;
}

IntervalSample sample_counters(const RawCounters& raw, Technique technique)
{
    IntervalSample sample;
    sample.technique = std::string(technique_name(technique));
    sample.cpu_copy_bytes = copy_bytes(raw, technique);
    sample.dma_bytes = dma_bytes(raw);
    sample.syscalls = raw.syscall_entries;
    sample.mode_switches = raw.syscall_entries + raw.syscalls.exits;
    sample.context_switches = {raw.sched.voluntary, raw.sched.involuntary};
    sample.page_faults = raw.memory.user_faults.total + raw.memory.kernel_faults.total;
    sample.page_cache_hits = raw.pages.hits;
    sample.page_cache_misses = raw.pages.added;
    sample.shared_frag_bytes = raw.net.xmit_shared_frag_bytes;
    sample.copied_frag_bytes = raw.net.xmit_copied_frag_bytes;
    sample.linear_payload_bytes = raw.net.xmit_linear_payload_bytes;
    return sample;
}

Measured measure(const RunObservation& observation)
{
    const RawCounters& raw = observation.counters;
    const double payload = static_cast<double>(workload::payload_bytes(observation.sender, observation.spec.technique));
    const double transfers = static_cast<double>(observation.sender.transfers);
    Measured m;

    m.socket = socket_stats(raw);
    if (pins_user_pages(observation.spec.technique))
        m.socket.sendmsg.pinned_at_local_receiver = PinnedAtLocalReceiver{
            raw.net.rx_zerocopy_skbs, raw.net.rx_zerocopy_copied_bytes, raw.net.rx_zerocopy_linear_skbs};

    m.cpu_copy_bytes = copy_bytes(raw, observation.spec.technique);
    m.cpu_copies = ratio(m.cpu_copy_bytes.total, payload);
    m.dma_bytes = dma_bytes(raw);
    m.dma_copies = ratio(m.dma_bytes.total, payload);

    for (const auto& [nr, count] : raw.syscall_counts) {
        m.syscalls.by_name[syscall_name(nr)] += count;
        m.syscalls.total += count;
    }
    m.syscalls_per_transfer = ratio(m.syscalls.total, transfers);
    m.mode_switch_detail = {raw.syscall_entries, raw.syscalls.exits, raw.syscalls.forks_followed};
    m.mode_switches = raw.syscall_entries + raw.syscalls.exits;
    m.mode_switches_per_transfer = ratio(m.mode_switches, transfers);

    m.context_switches = {raw.sched.voluntary, raw.sched.involuntary};

    const auto page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
    const zc_memory_totals& mem = raw.memory;
    const workload::KernelCounters& k = observation.sender.kernel;
    m.page_faults = {mem.user_faults.total,   mem.kernel_faults.total,   mem.user_faults.write,
                     mem.kernel_faults.write, mem.user_faults.present,   mem.kernel_faults.present,
                     k.major_faults,          k.minor_faults,            mem.buffer_faults.total,
                     mem.buffer_faults.present_write};

    PageCacheStats& cache = m.page_cache;
    cache.accessed_pages = raw.pages.accessed;
    cache.hits = raw.pages.hits;
    cache.misses = raw.pages.added;
    if (cache.accessed_pages)
        cache.hit_ratio = ratio(cache.hits, cache.accessed_pages);
    cache.lookups = mem.get_pages_calls;
    cache.lookup_pages = mem.get_pages_pages;
    cache.mmap_faults = mem.filemap_faults;
    cache.fault_around_calls = mem.map_pages_calls;
    cache.fault_around_pages = mem.map_pages_pages;
    cache.mapped_pages = mem.file_mapped_bytes / page;
    cache.unmapped_pages = mem.file_unmapped_bytes / page;
    cache.out_of_range_events = mem.out_of_range;

    m.receiver = {raw.net.receiver_copy_bytes, raw.net.receiver_copy_calls, observation.receiver.recv_calls};
    m.tcp_counters = observation.tcp_counters;
    if (observation.egress_sent)
        m.egress_device_sent = EgressDeviceCounters{observation.egress_sent->tx_packets, observation.egress_sent->tx_bytes};

    m.kernel_counters = {k.voluntary_switches, k.involuntary_switches, k.minor_faults, k.major_faults,
                         k.read_syscalls,      k.write_syscalls,       k.read_chars,   k.write_chars};

    if (observation.spec.technique == Technique::mmap_write) {
        MmapStats mmap;
        mmap.file_bytes = observation.file.size;
        mmap.mapped_bytes = mem.file_mapped_bytes;
        mmap.rounding_waste_bytes = mmap.mapped_bytes > mmap.file_bytes ? mmap.mapped_bytes - mmap.file_bytes : 0;
        mmap.user_read_faults = mem.user_faults.total - mem.user_faults.write;
        mmap.user_write_faults = mem.user_faults.write;
        mmap.kernel_read_faults = mem.kernel_faults.total - mem.kernel_faults.write;
        mmap.kernel_write_faults = mem.kernel_faults.write;
        mmap.major_faults = k.major_faults;
        mmap.minor_faults = k.minor_faults;
        mmap.filemap_faults = mem.filemap_faults;
        mmap.fault_around_calls = mem.map_pages_calls;
        mmap.fault_around_pages = mem.map_pages_pages;
        const std::uint64_t named = mem.map_pages_pages + mem.filemap_faults;
        mmap.pages_mapped_without_event = cache.mapped_pages > named ? cache.mapped_pages - named : 0;
        m.mmap = mmap;
    }
    if (observation.spec.technique == Technique::cow) {
        const workload::CowOutcome& outcome = observation.sender.cow;
        CowStats cow;
        cow.buffer_pages = observation.sender.buffer_bytes / page;
        cow.pages_written_by_child = outcome.child_pages_written;
        cow.pages_copied = mem.buffer_faults.present_write;
        cow.copy_bytes = m.cpu_copy_bytes.copy_on_write;
        cow.faults_on_buffer = mem.buffer_faults.total;
        if (outcome.smaps_found) {
            cow.pages_shared = outcome.shared_kib * 1024 / page;
            cow.pages_private = outcome.private_kib * 1024 / page;
        }
        cow.child_read_intact = outcome.child_crc32 == observation.file.crc32;
        cow.parent_buffer_intact = outcome.parent_crc32_after == observation.file.crc32;
        m.cow = cow;
    }
    return m;
}

Overhead probe_overhead(const std::vector<ProgramStats>& programs, double attach_seconds, const ProbeClock& clock)
{
    Overhead overhead;
    overhead.attach_seconds = attach_seconds;
    overhead.zctrace_peak_rss_bytes = peak_rss_bytes();
    // Each program's timed runs, less the clock's share of each, scaled up
    // to all its runs. A program that ran too rarely to be timed (under one
    // period on every CPU) is priced at the mean of those that were. Then
    // what the timing itself costs the runs it times, once each: the clock
    // read that starts a run (outside what it times) and the bookkeeping
    // after the run (accounting_ns, measured with one more clock read).
    overhead.accounting = kSampledAccounting;
    overhead.clock_ns_per_timed_event = clock.timed_run_ns;
    const auto timed_cost = [&](const ProgramStats& program) {
        return std::max(0.0, static_cast<double>(program.timed_ns) -
                                 static_cast<double>(program.timed_runs) * clock.timed_run_ns);
    };
    double all_timed_ns = 0, all_raw_ns = 0, all_raw_squares = 0;
    for (const ProgramStats& program : programs) {
        all_timed_ns += timed_cost(program);
        all_raw_ns += static_cast<double>(program.timed_ns);
        all_raw_squares += static_cast<double>(program.timed_ns_squared);
        overhead.timed_events += program.timed_runs;
        overhead.interrupted_events += program.interrupted_runs;
    }
    const double mean_timed_ns = ratio(all_timed_ns, overhead.timed_events);
    // How far each program's price a run can be off, from the spread of
    // its timed runs (the clock's share is the same in each, so it does
    // not spread them). A program timed fewer than twice is priced at the
    // mean of all timed runs, and its uncertainty is the spread of one run
    // of all of them, with no credit for sample size.
    const double all_runs_variance = sample_variance(overhead.timed_events, all_raw_ns, all_raw_squares);
    const auto per_run_standard_error = [&](const ProgramStats& program) {
        if (program.timed_runs < 2)
            return std::sqrt(all_runs_variance);
        const double timed = static_cast<double>(program.timed_runs);
        const double counted = static_cast<double>(std::max(program.counted_runs, program.timed_runs));
        // A sample of counted runs, not of an endless supply: the finite-population correction.
        return std::sqrt(sample_variance(program.timed_runs, static_cast<double>(program.timed_ns),
                                         static_cast<double>(program.timed_ns_squared)) /
                         timed * (1 - timed / counted));
    };
    double run_ns_variance = 0, stats_runs_variance = 0;
    BpfStatsCheck stats;
    // The sampled price of the runs bpf_stats timed, which are fewer than
    // the programs counted when bpf_stats was on in windows only.
    double sampled_for_stats_runs = 0;
    double stats_clock_ns = 0;
    std::uint64_t runs_priced_beside = 0;
    for (const ProgramStats& program : programs) {
        const double per_run =
            program.timed_runs ? timed_cost(program) / static_cast<double>(program.timed_runs) : mean_timed_ns;
        ProgramOverhead entry{program.group, program.program};
        entry.events = program.counted_runs;
        entry.timed_events = program.timed_runs;
        entry.interrupted_events = program.interrupted_runs;
        const double accounting_ns = static_cast<double>(program.timed_runs + program.interrupted_runs) *
                                         clock.timed_run_ns +
                                     static_cast<double>(program.accounting_ns);
        overhead.accounting_ns += static_cast<std::uint64_t>(std::llround(accounting_ns));
        entry.run_ns = static_cast<std::uint64_t>(
            std::llround(per_run * static_cast<double>(program.counted_runs) + accounting_ns));
        const double per_run_error = per_run_standard_error(program);
        const double run_ns_error = per_run_error * static_cast<double>(program.counted_runs);
        entry.run_ns_standard_error = static_cast<std::uint64_t>(std::llround(run_ns_error));
        run_ns_variance += run_ns_error * run_ns_error;
        stats_runs_variance += std::pow(per_run_error * static_cast<double>(program.run_count), 2);
        entry.missed_events = program.recursion_misses;
        entry.bpf_stats_run_ns = program.run_ns;
        entry.bpf_stats_events = program.run_count;
        // bpf_stats' share of this program's runs: what it read for the
        // empty program on the same hook over the same interval, or the
        // test-run figure where none ran there.
        const bool beside = program.clock_run_count > 0;
        const double clock_per_run = beside ? static_cast<double>(program.clock_run_ns) /
                                                  static_cast<double>(program.clock_run_count)
                                            : clock.bpf_stats_run_ns;
        entry.bpf_stats_clock_ns =
            static_cast<std::uint64_t>(std::llround(clock_per_run * static_cast<double>(program.run_count)));
        if (beside)
            runs_priced_beside += program.run_count;
        overhead.bpf_run_ns += entry.run_ns;
        overhead.events += entry.events;
        overhead.missed_events += entry.missed_events;
        stats.run_ns += program.run_ns;
        stats.events += program.run_count;
        stats_clock_ns += static_cast<double>(entry.bpf_stats_clock_ns);
        sampled_for_stats_runs +=
            per_run * static_cast<double>(program.run_count) +
            accounting_ns * std::min(1.0, ratio(static_cast<double>(program.run_count),
                                                static_cast<double>(program.counted_runs)));
        overhead.programs.push_back(std::move(entry));
    }
    overhead.ns_per_event = ratio(overhead.bpf_run_ns, overhead.events);
    // The programs' samples are drawn apart, so their variances add.
    overhead.bpf_run_ns_standard_error = static_cast<std::uint64_t>(std::llround(std::sqrt(run_ns_variance)));
    overhead.ns_per_event_standard_error = ratio(std::sqrt(run_ns_variance), static_cast<double>(overhead.events));
    overhead.host_drops_kernel_tlb = clock.kernel_tlb_dropped_at_entry;
    overhead.bystander_filter = bystander_filter_name(clock.bystander_filter);
    if (stats.events && (clock.bpf_stats_run_ns > 0 || runs_priced_beside == stats.events)) {
        stats.clock_ns_per_event = ratio(stats_clock_ns, stats.events);
        stats.clock_source = runs_priced_beside == stats.events ? kClockBeside
                             : runs_priced_beside == 0          ? kClockTestRun
                                                                : kClockBesideAndTestRun;
        stats.run_ns_less_clock = static_cast<std::uint64_t>(
            std::max(0.0, static_cast<double>(stats.run_ns) - stats_clock_ns));
        stats.estimate_ratio = ratio(sampled_for_stats_runs, stats.run_ns_less_clock);
        stats.estimate_ratio_standard_error =
            ratio(std::sqrt(stats_runs_variance), static_cast<double>(stats.run_ns_less_clock));
        const double mean_stats_price = ratio(static_cast<double>(stats.run_ns_less_clock), stats.events);
        double estimated = 0;
        for (const ProgramOverhead& program : overhead.programs) {
            const double price =
                program.bpf_stats_events
                    ? std::max(0.0, static_cast<double>(program.bpf_stats_run_ns) -
                                        static_cast<double>(program.bpf_stats_clock_ns)) /
                          static_cast<double>(program.bpf_stats_events)
                    : mean_stats_price;
            estimated += price * static_cast<double>(program.events);
        }
        stats.estimated_run_ns = static_cast<std::uint64_t>(std::llround(estimated));
        stats.estimated_ns_per_event = ratio(estimated, static_cast<double>(overhead.events));
        stats.runs_timed_share = ratio(static_cast<double>(stats.events), static_cast<double>(overhead.events));
        overhead.bpf_stats = stats;
    }
    return overhead;
}

Overhead measure_overhead(const RunObservation& observation)
{
    Overhead overhead = probe_overhead(observation.program_stats, observation.attach_seconds, observation.probe_clock);
    overhead.interval = observation.spec.bpf_stats == BpfStatsMode::always ? "run" : "window";
    const workload::KernelCounters& sender = observation.sender.kernel;
    const double sender_ns = static_cast<double>(sender.user_ns + sender.system_ns);
    const double receiver_ns = static_cast<double>(observation.receiver.user_ns + observation.receiver.system_ns);
    overhead.share_of_sender_cpu = ratio(overhead.bpf_run_ns, sender_ns);
    overhead.share_of_workload_cpu = ratio(overhead.bpf_run_ns, sender_ns + receiver_ns);
    if (overhead.bpf_stats) {
        BpfStatsCheck& stats = *overhead.bpf_stats;
        stats.estimated_share_of_workload_cpu = ratio(static_cast<double>(stats.estimated_run_ns), sender_ns + receiver_ns);
        if (observation.spec.bpf_stats == BpfStatsMode::windows) {
            stats.mode = "windows";
            stats.windows = observation.bpf_stats_windows;
            stats.seconds_on = observation.bpf_stats_seconds;
        }
    }
    overhead.interval_samples = observation.interval_samples;
    // A syscall whose thread found no free inflight slot had its bytes left
    // unattributed: as good as a skipped run.
    overhead.missed_events += observation.counters.tracking.inflight_slots_busy;
    return overhead;
}

}  // namespace zctrace
