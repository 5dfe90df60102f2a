// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "analysis/cross_checks.hpp"

#include <algorithm>
#include <cmath>
#include <set>
#include <string>

#include "base/units.hpp"
#include "workloads/technique.hpp"

namespace zctrace {
namespace {

std::uint64_t count_of(const std::map<std::string, std::uint64_t>& counts, const std::string& name)
{
    const auto found = counts.find(name);
    return found == counts.end() ? 0 : found->second;
}

// A check that is either fine or makes the run invalid.
Check coverage(std::string metric, double expected, std::string expected_from, double measured, double tolerance,
               bool ok, std::string summary, std::string explanation)
{
    Check check;
    check.metric = std::move(metric);
    check.expected = expected;
    check.expected_from = std::move(expected_from);
    check.measured = measured;
    check.tolerance = tolerance;
    check.verdict = ok ? Verdict::match : Verdict::invalid;
    check.summary = std::move(summary);
    check.explanation = std::move(explanation);
    return check;
}

bool same(double a, double b)
{
    return std::fabs(a - b) <= 1e-9 * std::max({1.0, std::fabs(a), std::fabs(b)});
}

// The identities measurement.cpp builds every report with. A report that
// breaks one was edited or corrupted, and its figures cannot be trusted.
Check report_consistency(const Report& report)
{
    const Measured& m = report.measured;
    const double payload = static_cast<double>(report.workload.bytes);
    const double transfers = static_cast<double>(report.workload.transfers);
    std::vector<std::string> broken;
    auto require = [&](bool holds, std::string what) {
        if (!holds)
            broken.push_back(std::move(what));
    };
    const CopyBytes& c = m.cpu_copy_bytes;
    const std::uint64_t copy_parts = c.sum_of_parts();
    require(c.total == copy_parts, "cpu_copy_bytes.total is " + std::to_string(c.total) + " but its parts add up to " +
                                       std::to_string(copy_parts));
    require(same(m.cpu_copies, ratio(c.total, payload)),
            "cpu_copies is " + format_number(m.cpu_copies) + " but cpu_copy_bytes.total / payload is " +
                format_number(ratio(c.total, payload)));
    const DmaBytes& d = m.dma_bytes;
    require(d.total == d.disk_read + d.disk_write + d.nic_tx,
            "dma_bytes.total is " + std::to_string(d.total) + " but disk_read + disk_write + nic_tx is " +
                std::to_string(d.disk_read + d.disk_write + d.nic_tx));
    require(same(m.dma_copies, ratio(d.total, payload)),
            "dma_copies is " + format_number(m.dma_copies) + " but dma_bytes.total / payload is " +
                format_number(ratio(d.total, payload)));
    std::uint64_t by_name = 0;
    for (const auto& [name, count] : m.syscalls.by_name)
        by_name += count;
    require(m.syscalls.total == by_name, "syscalls.total is " + std::to_string(m.syscalls.total) +
                                             " but syscalls.by_name adds up to " + std::to_string(by_name));
    require(same(m.syscalls_per_transfer, ratio(m.syscalls.total, transfers)),
            "syscalls_per_transfer is " + format_number(m.syscalls_per_transfer) + " but syscalls / transfers is " +
                format_number(ratio(m.syscalls.total, transfers)));
    const ModeSwitchDetail& detail = m.mode_switch_detail;
    require(m.mode_switches == detail.syscall_entries + detail.syscall_exits,
            "mode_switches is " + std::to_string(m.mode_switches) + " but syscall entries + exits is " +
                std::to_string(detail.syscall_entries + detail.syscall_exits));
    require(detail.syscall_entries == m.syscalls.total,
            "the probes counted " + std::to_string(detail.syscall_entries) + " syscall entries but " +
                std::to_string(m.syscalls.total) + " syscalls");
    require(same(m.mode_switches_per_transfer, ratio(m.mode_switches, transfers)),
            "mode_switches_per_transfer is " + format_number(m.mode_switches_per_transfer) +
                " but mode_switches / transfers is " + format_number(ratio(m.mode_switches, transfers)));
    std::string list;
    for (const std::string& what : broken)
        list += (list.empty() ? "" : "; ") + what;
    return coverage("report_consistency", 0, "report", static_cast<double>(broken.size()), 0, broken.empty(),
                    broken.empty() ? "the report's totals and ratios agree with their parts"
                                   : std::to_string(broken.size()) + " of the report's figures contradict each other",
                    broken.empty() ? "every total is the sum of its parts and every ratio its quotient"
                                   : list + ": the report was edited or corrupted, so none of its figures can be "
                                            "trusted");
}

Check syscalls_vs_tally(const Report& report)
{
    const auto& probes = report.measured.syscalls.by_name;
    const auto& tally = report.workload.calls;
    std::set<std::string> names;
    for (const auto* counts : {&probes, &tally})
        for (const auto& [name, count] : *counts)
            names.insert(name);
    std::string differences, counted;
    for (const std::string& name : names) {
        const std::uint64_t seen = count_of(probes, name), made = count_of(tally, name);
        counted += (counted.empty() ? "" : ", ") + name + " " + std::to_string(seen);
        if (seen != made)
            differences += (differences.empty() ? "" : ", ") + name + ": probes " + std::to_string(seen) +
                           ", workload " + std::to_string(made);
    }
    std::uint64_t made_total = 0;
    for (const auto& [name, count] : tally)
        made_total += count;
    const bool ok = differences.empty();
    return coverage("syscalls_vs_workload_tally", static_cast<double>(made_total), "workload",
                    static_cast<double>(report.measured.syscalls.total), 0, ok,
                    ok ? "the probes saw every call the workload made, and no other"
                       : "the probes' syscall counts differ from the workload's own tally (" + differences + ")",
                    ok ? "raw_syscalls:sys_enter in the window counted " + counted +
                             ", call for call what the workload tallied"
                       : "raw_syscalls:sys_enter in the window and the workload's own tally differ: " + differences +
                             ". Either the probes missed calls or the workload made calls it does not admit; the "
                             "per-transfer figures cannot be trusted");
}

Check missed_probe_runs(const Report& report)
{
    const std::uint64_t missed = report.overhead.missed_events;
    return coverage("missed_probe_runs", 0, "probes", static_cast<double>(missed), 0, missed == 0,
                    missed == 0 ? "no probe run was skipped"
                                : std::to_string(missed) + " probe runs were skipped by the kernel",
                    missed == 0 ? "the kernel's recursion_misses stayed 0 while the workload ran, and every "
                                  "syscall found a slot for its in-flight state"
                                : std::to_string(missed) +
                                      " probe runs were skipped (the kernel's recursion_misses) or found no slot for "
                                      "their syscall's in-flight state while the workload ran: those events were never "
                                      "counted, so any figure may be low");
}

Check sendmsg_bytes(const Report& report)
{
    const std::uint64_t payload = report.workload.bytes;
    const SendmsgStats& send = report.measured.socket.sendmsg;
    const bool ok = send.bytes == payload;
    return coverage("sendmsg_bytes", static_cast<double>(payload), "workload", static_cast<double>(send.bytes), 0, ok,
                    ok ? "tcp_sendmsg took the whole payload"
                       : "tcp_sendmsg was seen taking " + format_bytes(send.bytes) + " of the " +
                             format_bytes(payload) + " payload",
                    "the sender's " + std::to_string(send.syscalls) + " sending calls returned " +
                        format_bytes(send.bytes) + " through tcp_sendmsg_locked" +
                        (ok ? ", the whole payload"
                         : send.uring_cqe_overflows
                             ? "; the workload sent " + format_bytes(payload) + ", and " +
                                   std::to_string(send.uring_cqe_overflows) +
                                   " io_uring completions found the completion ring full: the kernel posted them "
                                   "later from its overflow list without io_uring_complete, so their bytes were never "
                                   "attributed"
                             : "; the workload sent " + format_bytes(payload) +
                                   ", so the socket was not registered for part of it and copies made there were not "
                                   "counted"));
}

// What TCP resent, by the kernel's own count where the tcp_retransmit_skb
// probe ran (zero when it saw none). The sequence-based count at xmit agrees
// with it whenever skbs leave in order, but two CPUs transmitting one
// socket's skbs out of order make a first pass look like a resend there,
// and the run would read as if the probe had missed that payload. It stands
// in only for reports whose probes did not include tcp_retransmit_skb.
std::uint64_t resent_payload(const Report& report)
{
    const SocketStats& socket = report.measured.socket;
    const auto& probes = report.environment.probes;
    const bool kernel_counted = std::any_of(probes.begin(), probes.end(),
                                            [](const ProbeUse& probe) { return probe.hook == "tcp_retransmit_skb"; });
    return kernel_counted || socket.retransmit_skbs ? socket.retransmit_bytes : socket.resent_payload_bytes;
}

// Payload that reached the device for the first time (resends excluded).
std::uint64_t first_pass_payload(const Report& report)
{
    const SocketStats& socket = report.measured.socket;
    const std::uint64_t left = socket.linear_payload_bytes + socket.frag_bytes;
    const std::uint64_t resent = resent_payload(report);
    return left > resent ? left - resent : 0;
}

// veth: what the sender's end counted against what the probe saw leave
// through it. The device also sent the handshake, ARP and neighbour
// discovery, which the probe does not count; megabytes more mean the probe
// did not run for frames that left.
std::string device_count(const Report& report)
{
    const auto& sent = report.measured.egress_device_sent;
    if (!sent)
        return "";
    std::uint64_t probe_bytes = 0, probe_skbs = 0;
    for (const DeviceStats& device : report.measured.socket.devices)
        if (device.name == report.environment.egress.name) {
            probe_bytes += device.bytes;
            probe_skbs += device.skbs;
        }
    return "; " + report.environment.egress.name + " counted " + format_bytes(sent->bytes) + " in " +
           quantity(sent->frames, "frame", "frames") + " sent (/proc/net/dev), the probe " + format_bytes(probe_bytes) +
           " in " + quantity(probe_skbs, "skb", "skbs") + " of the sender's";
}

Check xmit_payload_seen(const Report& report)
{
    const std::uint64_t payload = report.workload.bytes;
    const std::uint64_t seen = first_pass_payload(report);
    const bool ok = seen == payload;
    return coverage(
        "xmit_payload_seen", static_cast<double>(payload), "workload", static_cast<double>(seen), 0, ok,
        ok ? "net_dev_start_xmit saw every payload byte leave"
           : "net_dev_start_xmit saw " + format_bytes(seen) + " of the " + format_bytes(payload) + " payload leave",
        "net_dev_start_xmit saw " + format_bytes(seen) +
            " of payload leave on the sender's connection for the first time (" + format_bytes(resent_payload(report)) +
            " more were resends)" +
            (ok               ? ", the whole payload"
             : seen < payload ? ": " + format_bytes(payload - seen) +
                                    " never passed the probe, so copies made at transmit for those bytes are not "
                                    "counted"
                              : ": more than the workload sent, so xmit counted bytes of other connections") +
            device_count(report));
}

// sendmsg and xmit see the copy into socket memory from both ends. What
// sendmsg copied must reach the device in socket-owned memory (copied frags,
// or linear once a device without SG has linearized them), and copied frags
// sendmsg never counted mean it missed a copy. Resent frags cannot be told
// apart by kind, so they widen what counts as agreeing.
Check socket_copies_agree(const Report& report)
{
    const SocketStats& socket = report.measured.socket;
    const SendmsgStats& send = socket.sendmsg;
    const std::uint64_t copied_at_send = send.user_copy_bytes + send.kernel_copy_bytes + send.spliced_copied_bytes;
    const std::uint64_t resent_frags = socket.resent_payload_bytes - std::min(socket.resent_payload_bytes,
                                                                              socket.resent_linear_payload_bytes);
    const std::uint64_t linear_first = socket.linear_payload_bytes - std::min(socket.linear_payload_bytes,
                                                                              socket.resent_linear_payload_bytes);
    const std::uint64_t owned_at_xmit = socket.copied_frag_bytes + linear_first;
    const std::uint64_t uncounted_frags =
        socket.copied_frag_bytes - std::min(socket.copied_frag_bytes, resent_frags + copied_at_send);
    const std::uint64_t accounted = std::min(copied_at_send, owned_at_xmit);
    const std::uint64_t measured = accounted - std::min(accounted, uncounted_frags);
    const bool ok = copied_at_send <= owned_at_xmit && uncounted_frags == 0;
    std::string text = "sendmsg copied " + format_bytes(copied_at_send) + " into socket memory (user " +
                       format_bytes(send.user_copy_bytes) + ", kernel " + format_bytes(send.kernel_copy_bytes) +
                       ", spliced pages " + format_bytes(send.spliced_copied_bytes) + "); at xmit " +
                       format_bytes(socket.copied_frag_bytes) + " left in copied frags and " +
                       format_bytes(linear_first) + " in the linear area (first pass)";
    if (copied_at_send > owned_at_xmit)
        text += ": " + format_bytes(copied_at_send - owned_at_xmit) +
                " that sendmsg copied never reached the device in socket memory";
    if (uncounted_frags)
        text += ": " + format_bytes(uncounted_frags) + " of copied frags left that sendmsg never counted as a copy";
    return coverage("socket_copies_agree", static_cast<double>(copied_at_send), "probes",
                    static_cast<double>(measured), 0, ok,
                    ok ? "sendmsg and xmit agree on the copies into socket memory"
                       : "sendmsg and xmit disagree on the copies into socket memory",
                    text + (ok ? "" : "; one of the two probes missed bytes, so the copy count cannot be trusted"));
}

// The expected row was chosen from the egress device's features before the
// run; the device the payload actually left through has to be that one.
Check egress_confirmed(const Report& report)
{
    const EgressDevice& egress = report.environment.egress;
    const auto& devices = report.measured.socket.devices;
    std::string seen;
    for (const DeviceStats& device : devices)
        seen += (seen.empty() ? "" : ", ") + device.name + " (SG " + (device.sg ? "on" : "off") + ")";
    const bool ok = devices.size() == 1 && devices.front().name == egress.name &&
                    std::optional<bool>(devices.front().sg) == egress.sg;
    const std::string before = egress.name + " (SG " + (egress.sg ? (*egress.sg ? "on" : "off") : "unknown") + ")";
    return coverage("egress_confirmed", 1, "environment", ok ? 1 : 0, 0, ok,
                    ok ? "the payload left through " + before + ", as read before the run"
                       : "the payload left through " + (seen.empty() ? std::string("no device") : seen) +
                             ", not " + before + " as read before the run",
                    "read with ethtool before the run: " + before + "; seen at net_dev_start_xmit: " +
                        (seen.empty() ? std::string("nothing") : seen) +
                        (ok ? "" : ". The row was chosen for a device the payload did not take, so the verdicts on "
                                   "copies do not apply"));
}

// getrusage covers the window and the few instructions between its
// snapshots and the markers; a switch there counts only for getrusage.
constexpr std::int64_t kSwitchesAtTheEdges = 2;

Check kernel_context_switches(const Report& report)
{
    const ContextSwitches& probes = report.measured.context_switches;
    const KernelCounterStats& k = report.measured.kernel_counters;
    auto within = [](std::int64_t kernel, std::uint64_t seen) {
        const std::int64_t extra = kernel - static_cast<std::int64_t>(seen);
        return extra >= 0 && extra <= kSwitchesAtTheEdges;
    };
    const bool ok = within(k.voluntary_switches, probes.voluntary) && within(k.involuntary_switches, probes.involuntary);
    const std::string text = "sched_switch saw " + std::to_string(probes.voluntary) + " voluntary and " +
                             std::to_string(probes.involuntary) + " involuntary switches of the sender, getrusage " +
                             std::to_string(k.voluntary_switches) + " and " + std::to_string(k.involuntary_switches);
    return coverage("kernel_context_switches", static_cast<double>(k.voluntary_switches + k.involuntary_switches),
                    "kernel counters", static_cast<double>(probes.voluntary + probes.involuntary),
                    kSwitchesAtTheEdges, ok,
                    ok ? "sched_switch agrees with getrusage on the sender's context switches"
                       : "sched_switch and getrusage disagree on the sender's context switches",
                    text + (ok ? " (getrusage may count up to " + std::to_string(kSwitchesAtTheEdges) +
                                     " more of each kind: its snapshots sit just outside the window)"
                               : ": beyond the " + std::to_string(kSwitchesAtTheEdges) +
                                     " of each kind its snapshots may add, so the switch counts cannot be trusted"));
}

Check kernel_page_faults(const Report& report)
{
    const PageFaults& faults = report.measured.page_faults;
    const KernelCounterStats& k = report.measured.kernel_counters;
    const std::uint64_t seen = faults.user + faults.kernel;
    const std::int64_t kernel = k.minor_faults + k.major_faults;
    const bool ok = kernel >= 0 && static_cast<std::uint64_t>(kernel) == seen;
    return coverage("kernel_page_faults", static_cast<double>(kernel), "kernel counters", static_cast<double>(seen), 0,
                    ok,
                    ok ? "the fault probes agree with getrusage"
                       : "the fault probes counted " + std::to_string(seen) + " page faults, getrusage " +
                             std::to_string(kernel),
                    "exceptions:page_fault_user and page_fault_kernel saw " + std::to_string(faults.user) + " + " +
                        std::to_string(faults.kernel) + " faults of the sender; getrusage " +
                        std::to_string(k.minor_faults) + " minor + " + std::to_string(k.major_faults) + " major" +
                        (ok ? "" : ": the page-fault and page-cache figures cannot be trusted"));
}

// /proc/self/io counts read-family and write-family calls (syscr, syscw);
// sendfile counts in both, splice and io_uring in neither.
Check kernel_io_syscalls(const Report& report)
{
    const auto& calls = report.measured.syscalls.by_name;
    std::uint64_t reads = 0, writes = 0;
    for (const char* name : {"read", "pread64", "readv", "preadv", "preadv2", "sendfile", "copy_file_range"})
        reads += count_of(calls, name);
    for (const char* name : {"write", "pwrite64", "writev", "pwritev", "pwritev2", "sendfile", "copy_file_range"})
        writes += count_of(calls, name);
    const KernelCounterStats& k = report.measured.kernel_counters;
    const bool ok = k.read_syscalls == static_cast<std::int64_t>(reads) &&
                    k.write_syscalls == static_cast<std::int64_t>(writes);
    return coverage("kernel_io_syscalls", static_cast<double>(k.read_syscalls + k.write_syscalls), "kernel counters",
                    static_cast<double>(reads + writes), 0, ok,
                    ok ? "/proc/self/io agrees with the probes on read and write calls"
                       : "/proc/self/io and the probes disagree on read and write calls",
                    "the probes' calls make " + std::to_string(reads) + " reads and " + std::to_string(writes) +
                        " writes as /proc/self/io counts them; it counted " + std::to_string(k.read_syscalls) +
                        " (syscr) and " + std::to_string(k.write_syscalls) + " (syscw)" +
                        (ok ? "" : ": the syscall figures cannot be trusted"));
}

Check cow_smaps_private_pages(const Report& report)
{
    const CowStats& cow = *report.measured.cow;
    const bool readable = cow.pages_private.has_value();
    const bool ok = readable && *cow.pages_private == cow.pages_copied;
    return coverage(
        "cow_smaps_private_pages", static_cast<double>(cow.pages_copied), "probes",
        static_cast<double>(cow.pages_private.value_or(0)), 0, ok,
        !readable ? "the child's smaps could not be read"
        : ok      ? "the child's smaps show exactly the pages the probes saw copied"
                  : "the child's smaps show " + std::to_string(*cow.pages_private) + " private pages, the probes " +
                        std::to_string(cow.pages_copied) + " copies",
        readable ? "write faults on present buffer pages (the copies): " + std::to_string(cow.pages_copied) +
                       "; the child's smaps for the buffer: " + std::to_string(*cow.pages_private) + " private, " +
                       std::to_string(cow.pages_shared.value_or(0)) + " shared with the parent" +
                       (ok ? "" : ": the copy-on-write count cannot be trusted")
                 : "the buffer's mapping was not found in the child's smaps, so the copy count has no second witness");
}

}  // namespace

// msg_zerocopy: the kernel says, send by send, whether it copied after all
// (SO_EE_CODE_ZEROCOPY_COPIED). Its flag is set by the copies it documents,
// sendmsg's fallback and skb_copy_ubufs before local delivery, so the share
// of sends flagged is at least the share of the payload the probes saw
// copied there. It is not set by every copy (a device without SG linearizes
// pinned pages unflagged), and it may be set by copies no probe sees (a
// resend's), but a flagged send's bytes were copied somewhere: the share is
// at most that of every copy the probes saw, the device's included.
Check kernel_zerocopy_verdict(const Report& report)
{
    const ZerocopyCompletions& z = *report.workload.zerocopy_completions;
    const CopyBytes& c = report.measured.cpu_copy_bytes;
    const double payload = static_cast<double>(report.workload.bytes);
    const auto share = [payload](std::uint64_t bytes) {
        return payload > 0 ? std::min(1.0, static_cast<double>(bytes) / payload) : 0.0;
    };
    const std::uint64_t flagged_kind = c.zerocopy_deferred + c.user_to_socket;
    const std::uint64_t any_kind = flagged_kind + c.device_linearize;
    const double kernel_share = z.sends ? static_cast<double>(z.copied) / static_cast<double>(z.sends) : 0;
    constexpr double kTolerance = 0.02;  // sends are chunks; the last may be short
    const bool complete = z.completed == z.sends;
    const bool covers_documented = kernel_share + kTolerance >= share(flagged_kind);
    const bool seen_somewhere = kernel_share <= share(any_kind) + kTolerance;
    const bool ok = complete && covers_documented && seen_somewhere;
    const std::string kernel_says = std::to_string(z.copied) + " of " + std::to_string(z.sends) +
                                    " sends copied by the kernel's completions (" + std::to_string(z.notifications) +
                                    " notifications)";
    std::string explanation = kernel_says + "; the probes saw " + format_bytes(c.user_to_socket) + " copied at send, " +
                              format_bytes(c.zerocopy_deferred) + " for a local receiver and " +
                              format_bytes(c.device_linearize) + " linearized at the device, of the " +
                              format_bytes(report.workload.bytes) + " payload";
    if (!complete)
        explanation += "; only " + std::to_string(z.completed) + " sends were completed, so the kernel's account is "
                                                                  "partial";
    else if (!covers_documented)
        explanation += ": the kernel flags fewer sends than the probes saw copied where it must flag them";
    else if (!seen_somewhere)
        explanation += ": the kernel flags more sends than the probes saw copied anywhere";
    return coverage("kernel_zerocopy_verdict", kernel_share, "kernel counters", share(flagged_kind), kTolerance, ok,
                    ok ? "the kernel's completions and the probes agree on what was copied: " + kernel_says
                       : "the kernel's completions and the probes disagree: " + kernel_says,
                    explanation);
}

// --receiver zerocopy: what the receiver's TCP_ZEROCOPY_RECEIVE calls say
// they copied (copybuf, and what recv() read) is what skb_copy_datagram_iovec
// saw it copy, and mapped plus copied is the whole stream.
Check receiver_zerocopy_agrees(const Report& report)
{
    const ReceiverZerocopy& z = *report.workload.receiver_zerocopy;
    const std::uint64_t copied_by_kernel = z.copybuf_bytes + z.recv_bytes;
    const std::uint64_t seen = report.measured.receiver.copy_bytes;
    const bool whole = z.mapped_bytes + copied_by_kernel == report.workload.integrity.bytes_received;
    const bool ok = whole && seen == copied_by_kernel;
    const std::string account = format_bytes(z.mapped_bytes) + " mapped, " + format_bytes(z.copybuf_bytes) +
                                " copied into the copy buffer and " + format_bytes(z.recv_bytes) +
                                " read by recv() in " + std::to_string(z.calls) + " TCP_ZEROCOPY_RECEIVE calls";
    return coverage("receiver_zerocopy_agrees", static_cast<double>(copied_by_kernel), "kernel counters",
                    static_cast<double>(seen), 0, ok,
                    ok ? "the receiver's zerocopy calls and the probes agree on what it copied"
                       : "the receiver's zerocopy calls and the probes disagree on what it copied",
                    "the kernel answered " + account + "; skb_copy_datagram_iovec saw the receiver copy " +
                        format_bytes(seen) +
                        (!whole ? ": mapped and copied do not add up to the " +
                                      format_bytes(report.workload.integrity.bytes_received) + " received"
                         : ok   ? ""
                                : ", so one of the two missed a copy"));
}

std::vector<Check> cross_checks(const Report& report)
{
    std::vector<Check> checks;
    checks.push_back(report_consistency(report));
    checks.push_back(syscalls_vs_tally(report));
    checks.push_back(missed_probe_runs(report));
    const auto technique = technique_from_name(report.technique);
    if (technique && sends_over_network(*technique)) {
        checks.push_back(sendmsg_bytes(report));
        checks.push_back(xmit_payload_seen(report));
        checks.push_back(socket_copies_agree(report));
        if (report.environment.egress.read_by == "ethtool before the run")
            checks.push_back(egress_confirmed(report));
    }
    if (report.workload.zerocopy_completions)
        checks.push_back(kernel_zerocopy_verdict(report));
    if (report.workload.receiver_zerocopy)
        checks.push_back(receiver_zerocopy_agrees(report));
    if (report.measured.cow) {
        // The child's getrusage and /proc/<pid>/io cover its whole life, not
        // the window; its smaps are the witness instead.
        checks.push_back(cow_smaps_private_pages(report));
    } else {
        checks.push_back(kernel_context_switches(report));
        checks.push_back(kernel_page_faults(report));
        checks.push_back(kernel_io_syscalls(report));
    }
    return checks;
}

}  // namespace zctrace
