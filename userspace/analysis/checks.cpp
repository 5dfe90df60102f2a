#include "analysis/checks.hpp"

#include <unistd.h>

#include <cmath>

#include "analysis/theory.hpp"
#include "base/units.hpp"

namespace zctrace {
namespace {

std::string bytes(std::uint64_t value)
{
    return format_bytes(value);
}

std::uint64_t call_count(const std::map<std::string, std::uint64_t>& calls, const std::string& name)
{
    const auto it = calls.find(name);
    return it == calls.end() ? 0 : it->second;
}

// ---- theory row selection ----

const TheoryRow& select_row(Report& report)
{
    const Technique technique = *technique_from_name(report.technique);
    const TechniqueRows& rows = theory_rows_for(technique);
    RowSelection& selection = report.theory_row_selection;
    selection.candidates.assign(rows.ids.begin(), rows.ids.end());
    if (rows.ids.size() == 1) {
        selection.reason = "the only row for " + std::string(technique_name(technique));
        return *find_theory_row(rows.ids.front());
    }

    // sendfile: the seeds' two rows differ only in whether the socket buffer
    // holds a copy or references to page-cache pages. The xmit probe tells.
    const Measured& m = report.measured;
    const std::uint64_t payload = report.workload.bytes;
    const std::uint64_t copied_at_socket = copied_on_the_way_out(m);
    const bool gathered = m.socket.shared_frag_bytes * 2 >= payload && copied_at_socket * 2 < payload;
    selection.reason = "net_dev_start_xmit saw " + bytes(m.socket.shared_frag_bytes) + " of the " +
                       bytes(payload) + " payload leave as shared page-cache frags (SKBFL_SHARED_FRAG) and " +
                       bytes(copied_at_socket) + " copied (" + bytes(m.cpu_copy_bytes.page_cache_to_socket) +
                       " at sendmsg, " + bytes(m.cpu_copy_bytes.device_linearize) + " linearized at xmit, " +
                       bytes(m.socket.copied_frag_bytes) + " in copied frags): " +
                       (gathered ? "the device gathered from the page cache, so \"sendfile + DMA gather\""
                                 : "the kernel copied the payload, so \"sendfile\"");
    return *find_theory_row(gathered ? "sendfile_dma_gather" : "sendfile");
}

// ---- checks ----

Check make_check(std::string metric, std::optional<double> theory, double measured, double tolerance)
{
    Check check;
    check.metric = std::move(metric);
    check.theory = theory;
    check.measured = measured;
    check.tolerance = tolerance;
    check.verdict = theory ? judge(*theory, measured, tolerance) : Verdict::explained;
    return check;
}

Check check_integrity(const Report& report)
{
    const Integrity& integrity = report.workload.integrity;
    Check check = make_check("integrity", 1.0, integrity.ok ? 1.0 : 0.0, 0.0);
    check.explanation = integrity.ok
        ? "the receiver got all " + bytes(integrity.bytes_received) + " with crc32 " + integrity.checksum_received
        : "the receiver got " + bytes(integrity.bytes_received) + " of " + bytes(integrity.bytes_expected) +
              ", crc32 " + integrity.checksum_received + " (expected " + integrity.checksum_expected +
              "): the run lost or corrupted data, so no other figure can be trusted";
    return check;
}

std::string copy_breakdown(const CopyBytes& copies)
{
    std::string text;
    const std::pair<const char*, std::uint64_t> paths[] = {
        {"file->user (read)", copies.file_to_user},
        {"user->socket (write)", copies.user_to_socket},
        {"page cache->socket (spliced pages copied, no SG on the route)", copies.page_cache_to_socket},
        {"kernel buffer->socket", copies.kernel_to_socket},
        {"linearized at xmit (device without SG)", copies.device_linearize},
        {"copy-on-write (pages the kernel copied on write faults)", copies.copy_on_write}};
    for (const auto& [path, amount] : paths)
        if (amount)
            text += (text.empty() ? "" : " + ") + std::string(path) + " " + bytes(amount);
    return text.empty() ? "no byte of payload was copied by the CPU on the sending side" : text;
}

Check check_cpu_copies(const Report& report, const TheoryRow& row)
{
    const Measured& m = report.measured;
    Check check = make_check("cpu_copies", row.cpu_copies, m.cpu_copies, kCopyTolerance);
    const std::string breakdown = copy_breakdown(m.cpu_copy_bytes) + " = " + bytes(m.cpu_copy_bytes.total) +
                                  " for a " + bytes(report.workload.bytes) + " payload (" +
                                  format_fixed(m.cpu_copies) + " passes)";
    std::string socket = "; at xmit " + bytes(m.socket.shared_frag_bytes) + " shared page-cache frags, " +
                         bytes(m.socket.copied_frag_bytes) + " copied frags, " +
                         bytes(m.socket.linear_payload_bytes) + " linear payload";
    if (m.cpu_copy_bytes.retransmit_relinearize)
        socket += " (of which " + bytes(m.cpu_copy_bytes.retransmit_relinearize) +
                  " was TCP resending data that had left once, linearized again; that copy is real but is not a "
                  "pass over the payload, so it is not in the count)";
    // The textbook's sendfile copies page cache -> socket buffer. Where the
    // route keeps SG (TCP's is always set when GSO is), the socket buffer
    // holds the page-cache pages and the copy moves to the device.
    if (m.cpu_copy_bytes.device_linearize && !m.cpu_copy_bytes.page_cache_to_socket &&
        m.socket.sendmsg.spliced_bytes && !m.socket.sendmsg.spliced_copied_bytes)
        socket += ". The copy is not where the seeds put it (page cache -> socket buffer): tcp_sendmsg queued all " +
                  bytes(m.socket.sendmsg.spliced_bytes) +
                  " as references to page-cache pages, and the payload was copied only at transmit, when the "
                  "device without scatter-gather needed it linear";
    if (check.verdict == Verdict::match) {
        check.explanation = breakdown + socket;
        return check;
    }
    // More copies than the row: find where they came from.
    std::string cause;
    if (report.technique == "direct_io_send" && m.cpu_copy_bytes.file_to_user == 0 &&
        m.cpu_copy_bytes.user_to_socket)
        cause = "O_DIRECT put the file in user memory with no CPU copy (file->user 0 B), as the row says; the "
                "row stops there. Sending it with write() copies it into the socket buffer (" +
                bytes(m.cpu_copy_bytes.user_to_socket) + "): that is where the one copy comes back";
    else if (m.cpu_copy_bytes.device_linearize)
        cause = "the device lacks scatter-gather, so validate_xmit_skb copied " +
                bytes(m.cpu_copy_bytes.device_linearize) + " of payload into linear buffers";
    else if (m.cpu_copy_bytes.page_cache_to_socket)
        cause = "the route's capabilities lack NETIF_F_SG, so tcp_sendmsg copied " +
                bytes(m.cpu_copy_bytes.page_cache_to_socket) + " of spliced page-cache pages";
    if (!cause.empty()) {
        check.verdict = Verdict::explained;
        check.explanation = breakdown + socket + ". " + cause + ", a copy the row does not count";
    } else {
        check.explanation = breakdown + socket + ". No probe shows why this differs from the row's " +
                            format_fixed(row.cpu_copies, 0);
    }
    return check;
}

// One half of the DMA count: what the row implies, what was measured, and
// the verdict on that half alone.
struct DmaPart {
    double theory = 0;
    double measured = 0;
    Verdict verdict = Verdict::match;
    std::string text;
};

// Every row's DMA copies are one disk transfer (into the page cache, or into
// user memory for direct I/O) plus, except for direct I/O, one memory -> NIC
// transfer. Each half is judged on its own, so that for instance two disk
// reads and no NIC transfer cannot pass for the row's 2.
Check check_dma_copies(const Report& report, const TheoryRow& row)
{
    const Measured& m = report.measured;
    const Environment& env = report.environment;
    const double payload = static_cast<double>(report.workload.bytes);
    Check check = make_check("dma_copies", row.dma_copies, m.dma_copies, kCopyTolerance);

    // Rows with DMA copies start with the disk transfer; cow has none.
    DmaPart disk{std::min(1.0, row.dma_copies), ratio(m.dma_bytes.disk_read + m.dma_bytes.disk_write, payload)};
    disk.verdict = judge(disk.theory, disk.measured, kCopyTolerance);
    disk.text = "disk: " + bytes(m.dma_bytes.disk_read) + " read, " + bytes(m.dma_bytes.disk_write) +
                " written (block_bio_queue, submitted by the sender), " + std::to_string(m.page_cache.misses) +
                " pages added to the page cache (" + format_fixed(disk.measured) + " x payload)";
    if (reads_direct(*technique_from_name(report.technique)) && m.dma_bytes.disk_read)
        disk.text += ": O_DIRECT read the disk straight into user memory; " +
                     std::to_string(m.page_cache.misses) + " pages went through the page cache";
    else if (env.cache == "cold" && m.dma_bytes.disk_read)
        disk.text += ": the cache was cold (" + std::to_string(env.cache_resident_pages_before) + " of " +
                     std::to_string(env.file_pages) + " file pages resident after POSIX_FADV_DONTNEED), so the "
                     "pages came from the disk by DMA into the page cache, " + std::to_string(m.page_cache.hits) +
                     " hits";
    if (disk.verdict == Verdict::mismatch && disk.measured == 0 && m.page_cache.misses == 0 &&
        env.cache == "warm" && m.page_cache.hit_ratio && *m.page_cache.hit_ratio >= 0.99) {
        disk.verdict = Verdict::explained;
        disk.text += ": the cache was warm, " + std::to_string(env.cache_resident_pages_before) + " of " +
                     std::to_string(env.file_pages) + " file pages were resident before the run and the " +
                     std::to_string(m.page_cache.accessed_pages) +
                     " pages the filemap events saw were all hits (hit ratio " + format_fixed(*m.page_cache.hit_ratio, 4) +
                     "), so the disk->page-cache DMA copy never happened";
    }

    DmaPart nic{row.dma_copies - disk.theory, ratio(m.dma_bytes.nic_tx, payload)};
    nic.verdict = judge(nic.theory, nic.measured, kCopyTolerance);
    bool any_dma_device = false;
    std::string software_devices;
    for (const DeviceStats& device : m.socket.devices) {
        any_dma_device = any_dma_device || device.dma_capable;
        if (!device.dma_capable)
            software_devices += (software_devices.empty() ? "" : ", ") + device.name + " (" +
                                bytes(device.payload_bytes) + " payload)";
    }
    nic.text = "NIC: " + bytes(m.dma_bytes.nic_tx) + " handed to DMA-capable devices (" + format_fixed(nic.measured) +
               " x payload)";
    if (nic.verdict == Verdict::mismatch && nic.measured == 0 && !m.socket.devices.empty() && !any_dma_device) {
        nic.verdict = Verdict::explained;
        nic.text += ": the payload left through " + software_devices +
                    ", a software device with no DMA engine (no bus device behind it), so the memory->NIC DMA "
                    "copy does not exist here";
    }

    check.explanation = disk.text + "; " + nic.text;
    check.verdict = overall_verdict({Check{"", {}, 0, 0, disk.verdict, ""}, Check{"", {}, 0, 0, nic.verdict, ""}});
    return check;
}

Check check_syscalls(const Report& report, const TheoryRow& row)
{
    const Measured& m = report.measured;
    const auto& calls = m.syscalls.by_name;
    const std::uint64_t transfers = report.workload.transfers;
    Check check = make_check("syscalls_per_transfer", row.syscalls_per_transfer, m.syscalls_per_transfer,
                             kPerTransferTolerance);
    std::string counted;
    for (const auto& [name, count] : calls)
        counted += (counted.empty() ? "" : ", ") + name + " " + std::to_string(count);
    counted = std::to_string(m.syscalls.total) + " syscalls (" + counted + ") for " + std::to_string(transfers) +
              " transfers";
    if (!row.syscalls_per_transfer) {
        check.explanation = counted + "; the seeds give no count for \"" + row.syscalls + "\"";
        return check;
    }
    if (check.verdict == Verdict::match) {
        check.explanation = counted;
        return check;
    }

    const std::string technique = report.technique;
    const std::uint64_t splices = call_count(calls, "splice");
    const std::uint64_t writes = call_count(calls, "write");
    // Each pipe fill is one splice in and one splice out; a chunk larger
    // than the pipe takes several fills.
    const std::uint64_t pipe = report.workload.pipe_bytes.value_or(0);
    const std::uint64_t fills_per_chunk = pipe ? (report.workload.chunk_bytes + pipe - 1) / pipe : 1;
    if (technique == "splice" && m.syscalls.total == splices && splices == 2 * transfers * fills_per_chunk) {
        check.verdict = Verdict::explained;
        check.explanation = counted + ". splice() needs a pipe on one side, so moving a file to a socket "
                            "takes two calls per pipe fill: file->pipe and pipe->socket (seed 000 §3.1 shows "
                            "both, its table counts one)";
        if (fills_per_chunk > 1)
            check.explanation += "; the pipe holds " + bytes(pipe) + ", so each " +
                                 bytes(report.workload.chunk_bytes) + " chunk took " +
                                 std::to_string(fills_per_chunk) + " fills";
    } else if (technique == "mmap_write" && writes == transfers && call_count(calls, "mmap") == 1 &&
               call_count(calls, "munmap") == 1 && m.syscalls.total == writes + 2) {
        check.verdict = Verdict::explained;
        check.explanation = counted + ". The seeds count one mmap and one write per transfer; the workload "
                            "maps the file once and writes it in " + std::to_string(transfers) +
                            " chunks, so (" + std::to_string(writes) + " write + 1 mmap + 1 munmap) / " +
                            std::to_string(transfers) + " = " + format_fixed(m.syscalls_per_transfer, 3);
    } else if (writes > transfers && m.syscalls.total == writes + call_count(calls, "read")) {
        check.verdict = Verdict::explained;
        check.explanation = counted + ". " + std::to_string(writes - transfers) +
                            " write() calls were short and had to be repeated";
    } else {
        check.explanation = counted + ". No workload detail explains the difference from the seeds' " +
                            format_fixed(*row.syscalls_per_transfer, 0) + " (" + row.syscalls + ")";
    }
    return check;
}

Check check_mode_switches(const Report& report, const TheoryRow& row, const Check& syscalls)
{
    const Measured& m = report.measured;
    Check check = make_check("mode_switches_per_transfer", row.mode_switches, m.mode_switches_per_transfer,
                             2 * kPerTransferTolerance);
    const std::uint64_t fork_returns = m.mode_switch_detail.fork_returns;
    const bool two_per_call = m.mode_switch_detail.syscall_entries == m.syscalls.total &&
                              m.mode_switch_detail.syscall_exits == m.syscalls.total + fork_returns;
    std::string counted = std::to_string(m.mode_switch_detail.syscall_entries) + " syscall entries + " +
                          std::to_string(m.mode_switch_detail.syscall_exits) + " exits = " +
                          std::to_string(m.mode_switches) + " mode switches over " +
                          std::to_string(report.workload.transfers) + " transfers";
    if (fork_returns)
        counted += "; " + std::to_string(fork_returns) + " of the exits are a fork returning in the child, which "
                   "leaves the kernel without having entered it";
    if (m.page_faults.user)
        counted += " (plus " + std::to_string(m.page_faults.user) +
                   " user page faults, which also enter the kernel but are not syscalls)";
    if (!row.mode_switches) {
        check.explanation = counted + "; the seeds give no figure for \"" + row.name + "\"";
        return check;
    }
    if (check.verdict == Verdict::match) {
        check.explanation = counted;
        return check;
    }
    if (two_per_call && syscalls.verdict != Verdict::mismatch) {
        check.verdict = Verdict::explained;
        check.explanation = counted + ". Every syscall is one user->kernel and one kernel->user switch, so this "
                            "is 2 x " + format_fixed(m.syscalls_per_transfer, 3) +
                            " syscalls per transfer; see syscalls_per_transfer for why that differs";
    } else if (two_per_call) {
        check.explanation = counted + ". Each syscall is 2 switches, as it should be; it is the syscall count "
                            "that the seeds do not explain (see syscalls_per_transfer)";
    } else {
        check.explanation = counted + ". Entries and exits do not pair up with the syscalls counted";
    }
    return check;
}

// cow: the seed's claim is that only modified data is copied. The kernel
// copies in pages, so the child writes one byte in each of K pages and the
// claim becomes "exactly K pages".
Check check_cow_pages(const Report& report)
{
    const CowStats& cow = *report.measured.cow;
    Check check = make_check("cow_copied_pages", static_cast<double>(cow.pages_written_by_child),
                             static_cast<double>(cow.pages_copied), 0.0);
    std::string evidence = std::to_string(cow.pages_copied) + " write faults on present pages of the " +
                           std::to_string(cow.buffer_pages) + "-page buffer (exceptions:page_fault_user, "
                           "error code PROT|WRITE: wp_page_copy), " + bytes(cow.copy_bytes) + " copied, after the "
                           "child read all " + bytes(report.workload.bytes) + " (" +
                           std::to_string(cow.faults_on_buffer) + " faults on the buffer in all)";
    if (cow.pages_shared && cow.pages_private)
        evidence += "; the child's smaps for the buffer: " + std::to_string(*cow.pages_shared) +
                    " pages still shared with the parent, " + std::to_string(*cow.pages_private) + " its own";
    else
        evidence += "; the child's smaps could not be read";
    evidence += std::string("; the parent's buffer ") +
                (cow.parent_buffer_intact ? "still matched the file afterwards, so the writes went to the copies"
                                          : "no longer matched the file");
    check.explanation = (check.verdict == Verdict::match
                             ? "the child wrote " + std::to_string(cow.pages_written_by_child) +
                                   " pages and the kernel copied exactly those: "
                             : "the child wrote " + std::to_string(cow.pages_written_by_child) +
                                   " pages but the kernel copied a different number: ") +
                        evidence;
    return check;
}

// Seed 002: "内存映射总是要对齐页边界，最小单位是 4 KB，一个 5 KB 的文件将会映射占用
// 8 KB 内存" (mappings are page-aligned; a 5 KB file occupies 8 KB). The
// claim is the rounding to whole pages; rss_stat shows what was mapped.
Check check_mmap_rounding(const Report& report)
{
    const MmapStats& mmap = *report.measured.mmap;
    const auto page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
    const std::uint64_t rounded = (mmap.file_bytes + page - 1) / page * page;
    Check check = make_check("mmap_rounding_waste_bytes", static_cast<double>(rounded - mmap.file_bytes),
                             static_cast<double>(mmap.rounding_waste_bytes), 0.0);
    check.explanation = "a " + bytes(mmap.file_bytes) + " file; kmem:rss_stat saw " + bytes(mmap.mapped_bytes) +
                        " of file pages mapped into the sender, " + bytes(mmap.rounding_waste_bytes) +
                        " beyond the file's last byte (the seeds: mappings cover whole " + bytes(page) +
                        " pages, so " + bytes(rounded) + " for this file)";
    if (check.verdict != Verdict::match && mmap.mapped_bytes < rounded)
        check.explanation += "; not every page was mapped during the window, so the rounding could not show in full";
    return check;
}

// Seed 003: large files should bypass the page cache. Pollution is the pages
// a run added to the page cache; direct I/O should add none of what a
// buffered read of the same file adds.
Check check_pollution(const Report& report)
{
    const Comparison& comparison = *report.comparison;
    const double measured = comparison.pollution_ratio.value_or(0.0);
    Check check = make_check("page_cache_pollution_vs_buffered", 0.0, measured, 0.01);
    check.explanation = comparison.summary;
    if (!comparison.pollution_ratio) {
        check.verdict = Verdict::mismatch;
        check.explanation += "; the buffered run added no pages, so there is nothing to compare with (was the "
                             "cache warm?)";
    }
    return check;
}

// ---- findings: what the run shows that the table does not ask about ----

std::vector<std::string> findings(const Report& report)
{
    std::vector<std::string> out;
    const Measured& m = report.measured;
    const double payload = static_cast<double>(report.workload.bytes);

    out.push_back("receiver: recv() copied " + bytes(m.receiver.copy_bytes) + " (" +
                  format_fixed(ratio(m.receiver.copy_bytes, payload)) +
                  " x payload) from socket buffers into user memory (skb_copy_datagram_iovec); "
                  "the theory table stops at the sender's NIC and leaves this copy out");

    if (m.page_faults.kernel || m.page_cache.mapped_pages) {
        const PageCacheStats& cache = m.page_cache;
        std::string text = "the sender took " + std::to_string(m.page_faults.kernel) +
                           " page faults in kernel mode (the copy in write() touching a fresh mapping) and " +
                           std::to_string(m.page_faults.user) + " in user mode; they mapped " +
                           std::to_string(cache.mapped_pages) + " file pages (kmem:rss_stat): " +
                           std::to_string(cache.fault_around_pages) + " through " +
                           std::to_string(cache.fault_around_calls) + " fault-arounds, " +
                           std::to_string(cache.mmap_faults) + " through single-page filemap faults";
        if (cache.mapped_pages > cache.fault_around_pages + cache.mmap_faults)
            text += ", and " + std::to_string(cache.mapped_pages - cache.fault_around_pages - cache.mmap_faults) +
                    " beyond the windows those events name: the kernel mapped whole large folios at once, "
                    "which no filemap event reports";
        out.push_back(text);
    }

    if (m.cpu_copy_bytes.user_to_socket)
        out.push_back("two probes agree on the user->socket copy: sendmsg copied " +
                      bytes(m.cpu_copy_bytes.user_to_socket) + " from user memory, and " +
                      bytes(m.socket.copied_frag_bytes) + " left the device in copied frags");

    const KernelCounterStats& k = m.kernel_counters;
    out.push_back("cross-check with the kernel's own counters for the sender: sched_switch saw " +
                  std::to_string(m.context_switches.voluntary) + " voluntary and " +
                  std::to_string(m.context_switches.involuntary) + " involuntary switches, getrusage " +
                  std::to_string(k.voluntary_switches) + " and " + std::to_string(k.involuntary_switches) +
                  "; page faults: probes " + std::to_string(m.page_faults.user + m.page_faults.kernel) +
                  ", getrusage " + std::to_string(k.minor_faults + k.major_faults));

    std::uint64_t tally = 0;
    for (const auto& [name, count] : report.workload.calls)
        tally += count;
    if (m.syscalls.total != tally)
        out.push_back("the probes counted " + std::to_string(m.syscalls.total) + " syscalls in the window but the "
                      "workload made " + std::to_string(tally) + ": the syscall figures are incomplete");
    if (m.page_cache.out_of_range_events)
        out.push_back(std::to_string(m.page_cache.out_of_range_events) +
                      " page-cache events named pages past the end of the workload file and were not counted");
    if (m.socket.unattributed_device_bytes)
        out.push_back(bytes(m.socket.unattributed_device_bytes) +
                      " left through a device whose counter slot another device held; they are in the socket "
                      "totals but not in any device's");
    if (m.dma_bytes.other_device)
        out.push_back("the sender also did " + bytes(m.dma_bytes.other_device) +
                      " of block I/O to other devices than the workload file's");
    if (m.socket.retransmit_skbs)
        out.push_back("TCP retransmitted " + std::to_string(m.socket.retransmit_skbs) + " skbs (" +
                      bytes(m.socket.retransmit_bytes) + "); xmit saw " + bytes(m.socket.resent_payload_bytes) +
                      " of payload a second time, " + bytes(m.socket.resent_linear_payload_bytes) +
                      " of it linear, i.e. copied again");
    // Every payload byte leaves through the device at least once; what the
    // xmit probe did not see, it could not classify.
    const std::uint64_t seen_first = m.socket.linear_payload_bytes + m.socket.frag_bytes - m.socket.resent_payload_bytes;
    if (m.socket.skbs && seen_first < report.workload.bytes)
        out.push_back(bytes(report.workload.bytes - seen_first) + " of the payload never passed net_dev_start_xmit "
                      "on the sender's connection (" + bytes(seen_first) + " seen, resends excluded): copies made "
                      "at transmit for those bytes are not counted, so cpu_copies may be low by up to " +
                      format_fixed(static_cast<double>(report.workload.bytes - seen_first) /
                                       static_cast<double>(report.workload.bytes), 3));
    if (m.socket.ownerless_skbs)
        out.push_back(std::to_string(m.socket.ownerless_skbs) +
                      " skbs reached the device with no owning socket (skb->sk NULL: software GSO gives segments "
                      "an owner only when the original skb had TCP's tcp_wfree destructor); they were matched to "
                      "the sender's connection by their TCP/IPv4 4-tuple and counted");
    if (report.overhead.missed_events)
        out.push_back(std::to_string(report.overhead.missed_events) +
                      " probe runs were skipped by the kernel (bpf recursion_misses): counts may be low");
    return out;
}

}  // namespace

std::uint64_t copied_on_the_way_out(const Measured& measured)
{
    return measured.cpu_copy_bytes.page_cache_to_socket + measured.cpu_copy_bytes.device_linearize +
           measured.socket.copied_frag_bytes;
}

Verdict judge(double theory, double measured, double tolerance)
{
    return std::fabs(theory - measured) <= tolerance + 1e-9 ? Verdict::match : Verdict::mismatch;
}

Verdict overall_verdict(const std::vector<Check>& checks)
{
    Verdict verdict = Verdict::match;
    for (const Check& check : checks) {
        if (check.verdict == Verdict::mismatch)
            return Verdict::mismatch;
        if (check.verdict == Verdict::explained)
            verdict = Verdict::explained;
    }
    return verdict;
}

void analyze(Report& report)
{
    const TheoryRow& row = select_row(report);
    report.theory_row = row.name;
    report.theory = {row.id,         row.name,  row.name_zh,      row.cpu_copies, row.dma_copies,
                     row.syscalls,   row.syscalls_per_transfer, row.mode_switches, row.remark, row.source};

    report.checks.clear();
    report.checks.push_back(check_integrity(report));
    report.checks.push_back(check_cpu_copies(report, row));
    report.checks.push_back(check_dma_copies(report, row));
    const Check syscalls = check_syscalls(report, row);
    report.checks.push_back(syscalls);
    report.checks.push_back(check_mode_switches(report, row, syscalls));
    if (report.measured.cow)
        report.checks.push_back(check_cow_pages(report));
    if (report.measured.mmap)
        report.checks.push_back(check_mmap_rounding(report));
    if (report.comparison)
        report.checks.push_back(check_pollution(report));
    report.verdict = overall_verdict(report.checks);
    report.findings = findings(report);
}

}  // namespace zctrace
