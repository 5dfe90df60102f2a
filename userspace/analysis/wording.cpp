// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "analysis/wording.hpp"

#include <cmath>

#include "base/units.hpp"
#include "workloads/technique.hpp"

namespace zctrace {

Technique technique_of(const Report& report)
{
    return technique_from_name(report.technique).value_or(Technique::read_write);
}

bool sends(const Report& report)
{
    return sends_over_network(technique_of(report));
}

namespace {

const Check* find_check(const Report& report, const std::string& metric)
{
    for (const Check& check : report.checks)
        if (check.metric == metric)
            return &check;
    return nullptr;
}

// The worst check, the first of its verdict.
const Check* worst_check(const Report& report)
{
    for (Verdict wanted : {Verdict::invalid, Verdict::mismatch})
        for (const Check& check : report.checks)
            if (check.verdict == wanted)
                return &check;
    return nullptr;
}

// "1", "0.5", "1.02": a multiple of the payload.
std::string times(double value)
{
    return format_number(std::round(value * 100) / 100) + "×";
}

std::string device_names(const Report& report)
{
    std::string names;
    for (const DeviceStats& device : report.measured.socket.devices)
        names += (names.empty() ? "" : ", ") + device.name;
    return names.empty() ? report.environment.device : names;
}

std::string calls_word(std::uint64_t count)
{
    return quantity(count, "call", "calls");
}

// ---- findings ----

std::string receiver_finding(const Report& report)
{
    const ReceiverStats& receiver = report.measured.receiver;
    if (const auto& z = report.workload.receiver_zerocopy)
        return "the receiver took the stream with TCP_ZEROCOPY_RECEIVE: " + format_bytes(z->mapped_bytes) + " (" +
               times(ratio(z->mapped_bytes, report.workload.bytes)) +
               " the payload) mapped into its memory without a copy, and it copied " +
               format_bytes(receiver.copy_bytes) + " (skb_copy_datagram_iovec: the copy buffer " +
               format_bytes(z->copybuf_bytes) + ", recv() " + format_bytes(z->recv_bytes) +
               "), the bytes that were not whole page-aligned pages in the receive queue" +
               (z->mapped_bytes == 0 && z->calls
                    ? ": nothing was mapped, since tcp_zerocopy_receive maps only whole order-0 pages that belong "
                      "to no file or process (can_map_frag), and these skbs carried the sender's own pages "
                      "(page cache, its buffer, or a compound page)"
                    : "");
    return "the receiver copied " + format_bytes(receiver.copy_bytes) + " (" +
           times(ratio(receiver.copy_bytes, report.workload.bytes)) +
           " the payload) from socket buffers into its memory (recv, skb_copy_datagram_iovec); the theory table "
           "stops at the sender's NIC and leaves this copy out";
}

std::string fault_finding(const Report& report)
{
    const Measured& m = report.measured;
    const PageFaults& faults = m.page_faults;
    if (technique_of(report) == Technique::mmap_write) {
        const PageCacheStats& cache = m.page_cache;
        std::string text = "write() from the mapping took " + quantity(faults.kernel, "page fault", "page faults") +
                           " in kernel mode (its copy touching pages not mapped yet) and " +
                           std::to_string(faults.user) + " in user mode; they mapped " +
                           quantity(cache.mapped_pages, "file page", "file pages") + " (kmem:rss_stat): " +
                           std::to_string(cache.fault_around_pages) + " through " +
                           quantity(cache.fault_around_calls, "fault-around", "fault-arounds") + ", " +
                           std::to_string(cache.mmap_faults) + " through single-page filemap faults";
        if (cache.mapped_pages > cache.fault_around_pages + cache.mmap_faults)
            text += ", and " + std::to_string(cache.mapped_pages - cache.fault_around_pages - cache.mmap_faults) +
                    " beyond the windows those events name: the kernel mapped whole large folios at once, "
                    "which no filemap event reports";
        return text;
    }
    if (m.cow)
        return "the parent and the child took " + quantity(faults.user, "page fault", "page faults") +
               " in user mode and " + std::to_string(faults.kernel) + " in kernel mode; " +
               quantity(m.cow->faults_on_buffer, "was", "were") + " on the buffer";
    return "the sender took " + quantity(faults.user, "page fault", "page faults") + " in user mode and " +
           std::to_string(faults.kernel) + " in kernel mode";
}

std::int64_t counter(const Report& report, const char* name)
{
    const auto& counters = *report.measured.tcp_counters;
    const auto found = counters.find(name);
    return found == counters.end() ? 0 : found->second;
}

// TCP resends, and what the kernel's own counters say caused them.
std::string resend_finding(const Report& report)
{
    const SocketStats& socket = report.measured.socket;
    // A resent segment's payload is copied again only where it sits in the linear area.
    const std::string copied_again =
        socket.resent_linear_payload_bytes == 0
            ? "none of it copied again (no linear payload)"
            : format_bytes(socket.resent_linear_payload_bytes) + " of it in the linear area, i.e. copied again";
    // tcp_retransmit_skb fires once per buffer; RetransSegs counts the MSS-sized
    // segments in it, so the two differ wherever TSO/GSO buffers are resent.
    std::string text = "TCP resent " + format_bytes(socket.retransmit_bytes) + " in " +
                       quantity(socket.retransmit_skbs, "socket buffer", "socket buffers") + "; xmit saw " +
                       format_bytes(socket.resent_payload_bytes) + " of payload leave a second time, " + copied_again;
    if (!report.measured.tcp_counters)
        return text + "; this report predates the TCP counters that tell why";
    const std::int64_t reordering = counter(report, "TCPSACKReorder") + counter(report, "TCPTSReorder") +
                                    counter(report, "TCPRenoReorder") + counter(report, "TCPDSACKUndo");
    const std::int64_t loss = counter(report, "TCPLostRetransmit") + counter(report, "TCPTimeouts");
    std::string counted;
    for (const auto& [name, value] : *report.measured.tcp_counters)
        counted += (counted.empty() ? "" : ", ") + name + " " + std::to_string(value);
    const std::string where = report.environment.network == "veth" ? "the sender's private namespace"
                                                                     : "this namespace (lo shares it with the host)";
    if (counted.empty())
        return text + ". The kernel's TCP counters in " + where + " did not change, so they name no cause";
    text += ". The kernel's TCP counters in " + where + " changed by " + counted;
    if (reordering > 0 && loss == 0)
        return text + ": segments arrived out of order and TCP took it for loss (its DSACK and reordering "
                      "counters say so), so these resends were spurious, not losses";
    if (loss > 0)
        return text + ": timeouts or lost retransmissions, so segments were lost";
    return text + ": none of them tells reordering from loss";
}

// Copies within the tolerance that no cause names: 2% of 64 MiB is 1.3 MiB,
// too much to pass in silence.
std::optional<std::string> unattributed_copy_finding(const Report& report)
{
    const Check* cpu = find_check(report, "cpu_copies");
    if (!cpu || cpu->verdict == Verdict::mismatch || cpu->verdict == Verdict::invalid)
        return std::nullopt;
    const double payload = static_cast<double>(report.workload.bytes);
    double named = cpu->expected * payload;
    for (const Cause& cause : cpu->causes)
        named += cause.contribution * payload;
    const double left = static_cast<double>(report.measured.cpu_copy_bytes.total) - named;
    if (std::fabs(left) < 0.5)
        return std::nullopt;
    const auto size = static_cast<std::uint64_t>(std::llround(std::fabs(left)));
    return format_bytes(size) + (left > 0 ? " more" : " fewer") + " than the " + copies_word(cpu->expected) +
           " expected were copied by the CPU, and no cause names " + (left > 0 ? "them" : "the missing ones") +
           ": within the tolerance of " + format_figure(cpu->tolerance) + " copies (" +
           format_bytes(static_cast<std::uint64_t>(cpu->tolerance * payload)) + "), but measured";
}

std::optional<std::string> noise_finding(const Report& report)
{
    const WorkloadSummary& w = report.workload;
    if (!w.timings_are_noise())
        return std::nullopt;
    return "the timings are noise: the window lasted " + format_figure(w.wall_seconds * 1000, 1) + " ms for " +
           format_bytes(w.bytes) + "; below " + format_number(kShortestTimedWindowSeconds * 1000) + " ms or " +
           format_bytes(kSmallestTimedPayload) +
           " a run times its own start-up more than the technique; a larger --size gives timings to trust";
}

}  // namespace

std::string copies_word(double copies)
{
    const double whole = std::round(copies);
    const bool round = std::fabs(copies - whole) < 0.005 && (whole != 0 || copies == 0);
    if (round)
        return quantity(static_cast<std::uint64_t>(whole), "copy", "copies");
    return format_figure(copies, 2) + " copies";
}

std::string cause_phrase(const Cause& cause, const Report& report)
{
    const std::string& id = cause.cause;
    if (id == "warm_cache")
        return "warm cache: no disk read";
    if (id == "software_device")
        return device_names(report) + " has no DMA engine";
    if (id == "cold_cache")
        return "cold cache: the file came from the disk first";
    if (id == "reclaimed_pages")
        return "reclaim took " + std::to_string(report.measured.page_cache.misses) +
               " pages back after the warming, and the disk read them again";
    if (id == "device_without_sg")
        return report.environment.egress.name.empty() ? "the device cannot gather, so the kernel made the payload linear"
                                                      : report.environment.egress.name +
                                                            " cannot gather, so the kernel made the payload linear";
    if (id == "route_without_sg")
        return "the route cannot gather, so sendmsg copied the pages";
    if (id == "write_after_direct_read")
        return "the workload also write()s each chunk to the socket, where the row stops";
    if (id == "send_after_direct_read")
        return "the workload also sends the data to a NIC";
    if (id == "pages_written")
        return "a write copies the whole page";
    if (id == "deferred_copy_local_receiver")
        return "the receiver is on this host, so the pinned pages were copied before delivery (msg_zerocopy.rst, "
               "Loopback)";
    if (id == "second_output_written")
        return "the second output, a file, is written by copying";
    if (id == "splices_around_tee")
        return "three splices per chunk around the tee";
    if (id == "pipe_in_between")
        return "splice needs a pipe: two calls per chunk";
    if (id == "one_mapping")
        return "one mmap for the whole file, not one per chunk";
    if (id == "batched_submission")
        return "io_uring submits 8 reads per call";
    if (id == "repeated_calls")
        return calls_word(cause.count.value_or(0)) + " repeated after a short return";
    if (id == "row_calls")
        return "the row counts a different number of calls";
    return id;
}

std::string cause_phrases(const std::vector<Cause>& causes, const Report& report)
{
    std::string text;
    for (const Cause& cause : causes)
        text += (text.empty() ? "" : "; ") + cause_phrase(cause, report);
    return text;
}

std::string run_subject(const Report& report)
{
    const Environment& env = report.environment;
    const Technique technique = technique_of(report);
    const std::string size = format_bytes(report.workload.bytes);
    if (technique == Technique::cow)
        return report.technique + ", a " + size + " buffer";
    std::string subject = report.technique + ", " + size;
    if (sends(report)) {
        const std::optional<bool> sg = env.egress.sg ? env.egress.sg : env.device_sg;
        subject += env.network == "veth" ? std::string(" over veth") + (sg ? (*sg ? " (SG on)" : " (SG off)") : "")
                                         : " over lo";
    } else {
        subject += " from " + (env.filesystem.empty() ? std::string("disk") : env.filesystem);
    }
    // O_DIRECT reads the disk whatever the cache holds.
    if (env.cache == "cold" && !reads_direct(technique))
        subject += ", cold cache";
    return subject;
}

std::string headline(const Report& report)
{
    const Measured& m = report.measured;
    std::string text = run_subject(report) + ": ";
    if (report.verdict == Verdict::invalid)
        return text + "INVALID — " + worst_check(report)->summary + "; no figure of this run can be trusted";
    if (report.verdict == Verdict::mismatch) {
        text += "NOT AS THE TABLE SAYS — " + worst_check(report)->summary;
    } else {
        const std::uint64_t copied = m.cpu_copy_bytes.total;
        if (copied == 0)
            text += sends(report) ? "ZERO-COPY on send (0 B copied by the CPU)" : "ZERO-COPY (0 B copied by the CPU)";
        else if (m.cow)
            text += format_bytes(copied) + " copied by the CPU, for the " +
                    quantity(m.cow->pages_written_by_child, "page", "pages") + " the child wrote";
        else
            text += copies_word(m.cpu_copies) + " by the CPU (" + format_bytes(copied) + ")";
        const Check* cpu = find_check(report, "cpu_copies");
        if (cpu && (cpu->verdict == Verdict::explained || cpu->verdict == Verdict::environment))
            text += "; \"" + report.theory_row + "\" says " + format_theory(report.theory.cpu_copies) + ": " +
                    cause_phrases(cpu->causes, report);
        else
            text += ", as \"" + report.theory_row + "\" says";
    }
    if (sends(report))
        text += "; the receiver copied " + format_bytes(m.receiver.copy_bytes) + " (" +
                times(ratio(m.receiver.copy_bytes, report.workload.bytes)) + ")";
    text += "; " + quantity(m.syscalls.total, "syscall", "syscalls") + "; " +
            format_fixed(report.workload.cpu_seconds_per_gib) + " CPU-s/GiB, " +
            format_fixed(report.workload.mib_per_second, 0) + " MiB/s";
    return text;
}

std::vector<std::string> findings(const Report& report)
{
    std::vector<std::string> out;
    const Measured& m = report.measured;
    if (sends(report))
        out.push_back(receiver_finding(report));

    // The textbook's sendfile copies page cache -> socket buffer. Where the
    // route keeps SG (TCP's is always set when GSO is), the socket buffer
    // holds the page-cache pages and the copy moves to the device.
    const CopyBytes& c = m.cpu_copy_bytes;
    // The COPIED flag of a MSG_ZEROCOPY completion covers sendmsg's fallback
    // and skb_copy_ubufs; a device that cannot gather copies the pinned
    // pages at transmit, and the completion may still say zero-copy.
    if (const auto& z = report.workload.zerocopy_completions; z && c.device_linearize && z->copied < z->sends)
        out.push_back(
            "the kernel's completions said " + std::to_string(z->sends - z->copied) + " of " +
            std::to_string(z->sends) + " zerocopy sends were not copied, yet the device copied " +
            format_bytes(c.device_linearize) +
            " of their pinned pages into linear buffers at transmit (validate_xmit_skb, no SG): " +
            (report.technique == "io_uring_send_zc" ? "IORING_NOTIF_USAGE_ZC_COPIED" : "SO_EE_CODE_ZEROCOPY_COPIED") +
            " does not report copies made at the device");
    // The kernel merges completions queued back to back, and the merged
    // notification keeps its first range's code: skb_zerocopy_notify_extend
    // extends the range without comparing ee_code. One send completed as a
    // failed zerocopy marks every send merged after it, and one that did not
    // hides the copied ones after it.
    if (const auto& z = report.workload.zerocopy_completions;
        z && report.technique == "msg_zerocopy" && z->copied && z->notifications < z->completed &&
        !c.user_to_socket && !c.zerocopy_deferred)
        out.push_back("the kernel's completions flagged " + std::to_string(z->copied) + " of " +
                      std::to_string(z->sends) +
                      " sends SO_EE_CODE_ZEROCOPY_COPIED, yet the probes saw no copy where that flag is documented "
                      "to come from (sendmsg's fallback: 0 B; skb_copy_ubufs before local delivery: 0 B); the kernel "
                      "merged the " + std::to_string(z->completed) + " completions into " +
                      quantity(z->notifications, "notification", "notifications") +
                      ", and a merged notification keeps the code of its first range (skb_zerocopy_notify_extend "
                      "does not compare ee_code): the COPIED count is a count of merged ranges, not of copied sends");
    if (const auto& release = report.workload.buffer_release)
        out.push_back("vmsplice(2)'s hazard: when the last splice returned, " +
                      format_bytes(release->unacked_at_end_bytes) +
                      " of the buffer's bytes were sent but not yet acknowledged (SIOCOUTQ), and TCP took " +
                      format_figure(release->seconds_until_acked * 1e6) +
                      " µs more to acknowledge them all: the sender may not write the buffer before then, and a "
                      "receiver on this host may hold its pages until it reads them");
    // vmsplice(2) promises SPLICE_F_MOVE a move for gifted pages and a copy
    // for the rest; the socket takes pipe pages by reference either way
    // (MSG_SPLICE_PAGES), and only FUSE's splice write ever takes a gift.
    if (report.technique == "vmsplice" && !c.user_to_socket)
        out.push_back("vmsplice(2) says that without SPLICE_F_GIFT a later splice(SPLICE_F_MOVE) must copy the "
                      "pages; here splice(SPLICE_F_MOVE) into the socket copied 0 B of them (user memory -> socket "
                      "buffer): the socket references pipe pages whether or not they were gifted");
    if (const auto& release = report.workload.buffer_release; release && release->gift) {
        const GiftedPages& gift = *release->gift;
        if (!gift.frames_readable)
            out.push_back("SPLICE_F_GIFT: /proc/self/pagemap gave no frame numbers (they need CAP_SYS_ADMIN), so "
                          "whether the kernel took the gifted pages was not measured");
        else if (gift.same_frame_after == gift.pages && !c.user_to_socket)
            out.push_back("SPLICE_F_GIFT bought nothing: all " + std::to_string(gift.pages) +
                          " gifted pages were still mapped in the buffer at their own frames once TCP had "
                          "acknowledged them (pagemap), and the splice into the socket copied 0 B: the socket "
                          "referenced them, as it references pages that were not gifted; in this kernel only "
                          "FUSE's splice write to /dev/fuse moves a gifted page (fuse_try_move_folio), and the "
                          "gift still forbids writing the buffer ever");
        else
            out.push_back("SPLICE_F_GIFT: " + std::to_string(gift.pages - gift.same_frame_after) + " of " +
                          std::to_string(gift.pages) +
                          " gifted pages were no longer mapped at their own frames once TCP had acknowledged them "
                          "(pagemap), and the splice into the socket copied " +
                          format_bytes(c.user_to_socket));
    }
    // io_uring's COPIED means "a callback reported a failed zerocopy, or
    // none reported a use with an skb"; the probes read which, per
    // notification, off io_notif_data.
    if (const auto& n = m.socket.sendmsg.uring_notifications) {
        if (n->unused_linked)
            out.push_back(std::to_string(n->unused_linked) + " of " + std::to_string(n->seen) +
                          " io_uring notifications were flagged IORING_NOTIF_USAGE_ZC_COPIED with no copy reported: "
                          "their pages rode in an skb an earlier send_zc had begun (io_link_skb), whose callbacks "
                          "carry the first request's notification, so io_tx_ubuf_complete never marks them used; "
                          "the flag there means 'not seen in an skb of its own', not 'copied'");
        const auto& local = m.socket.sendmsg.pinned_at_local_receiver;
        if (n->copy_reported && c.device_linearize && local && !local->skbs && !local->linear_skbs)
            out.push_back("the kernel reported a failed zerocopy for " + std::to_string(n->copy_reported) + " of " +
                          std::to_string(n->seen) +
                          " io_uring notifications (zc_copied), yet no skb with pinned pages reached a socket on this "
                          "host and none left the device with pinned frags: the copy the probes saw is the device's "
                          "linearize (" + format_bytes(c.device_linearize) +
                          "), and the callback that reported the failure runs on a path with no tracepoint "
                          "(skb_copy_ubufs outside local delivery)");
    }
    if (c.device_linearize && !c.page_cache_to_socket && m.socket.sendmsg.spliced_bytes &&
        !m.socket.sendmsg.spliced_copied_bytes) {
        const bool user_pages = report.technique == "vmsplice" || report.technique == "vmsplice_gift";
        out.push_back(std::string(user_pages ? "the copy is the device's: tcp_sendmsg queued all "
                                             : "the copy is not where the seeds put it (page cache -> socket "
                                               "buffer): tcp_sendmsg queued all ") +
                      format_bytes(m.socket.sendmsg.spliced_bytes) + " as references to " +
                      (user_pages ? "the user buffer's pages" : "page-cache pages") +
                      ", and the payload was copied only at transmit, when the device without scatter-gather "
                      "needed it linear");
    }
    if (auto unattributed = unattributed_copy_finding(report))
        out.push_back(*unattributed);
    if (m.page_faults.kernel || m.page_faults.user || m.page_cache.mapped_pages)
        out.push_back(fault_finding(report));
    if (m.socket.retransmit_skbs)
        out.push_back(resend_finding(report));
    if (m.page_cache.out_of_range_events)
        out.push_back(quantity(m.page_cache.out_of_range_events, "page-cache event", "page-cache events") +
                      " named pages past the end of the workload file and " +
                      (m.page_cache.out_of_range_events == 1 ? "was" : "were") + " not counted");
    if (m.socket.unattributed_device_bytes)
        out.push_back(format_bytes(m.socket.unattributed_device_bytes) +
                      " left through a device whose counter slot another device held; they are in the socket "
                      "totals but not in any device's");
    if (m.dma_bytes.other_device)
        out.push_back("the sender also did " + format_bytes(m.dma_bytes.other_device) +
                      " of block I/O to other devices than the workload file's");
    if (m.socket.ownerless_skbs)
        out.push_back(quantity(m.socket.ownerless_skbs, "skb", "skbs") +
                      " reached the device with no owning socket (skb->sk NULL: software GSO gives segments "
                      "an owner only when the original skb had TCP's tcp_wfree destructor); they were matched to "
                      "the sender's connection by their TCP/IPv4 4-tuple and counted");
    if (auto noise = noise_finding(report))
        out.push_back(*noise);
    return out;
}

}  // namespace zctrace
