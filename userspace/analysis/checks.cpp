// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "analysis/checks.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "analysis/cross_checks.hpp"
#include "analysis/wording.hpp"
#include "analysis/workload_design.hpp"
#include "base/units.hpp"

namespace zctrace {
namespace {

// The page size the kernel counts pages in on this host.
std::uint64_t page_bytes()
{
    return static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
}

double sum_of(const std::vector<Cause>& causes)
{
    return std::accumulate(causes.begin(), causes.end(), 0.0,
                           [](double sum, const Cause& cause) { return sum + cause.contribution; });
}

std::string describe_causes(const std::vector<Cause>& causes)
{
    std::string text;
    for (const Cause& cause : causes)
        text += (text.empty() ? "" : "; ") + cause.evidence + " (" + (cause.contribution >= 0 ? "+" : "") +
                format_figure(cause.contribution, 3) + ")";
    return text;
}

// A check against an expected figure, judged with the causes found.
Check judged(std::string metric, std::optional<double> theory, double expected, std::string expected_from,
             double measured, double tolerance, std::vector<Cause> causes)
{
    Check check;
    check.metric = std::move(metric);
    check.theory = theory;
    check.expected = expected;
    check.expected_from = std::move(expected_from);
    check.measured = measured;
    check.tolerance = tolerance;
    check.verdict = judge_deviation(expected, measured, tolerance, causes, check.expected_from == "theory");
    // Within the tolerance, causes are listed only when they account for the
    // small difference exactly (cow's written pages): a row's own copy, found
    // where it belongs, is no cause.
    if ((check.verdict == Verdict::match || check.verdict == Verdict::no_theory) &&
        (measured == expected || judge_deviation(expected, measured, 0, causes, true) == Verdict::mismatch))
        causes.clear();
    check.causes = std::move(causes);
    return check;
}

// What the verdict adds to a check's evidence.
std::string verdict_clause(const Check& check, const std::string& unit)
{
    const std::string expected = format_figure(check.expected, 3) + unit;
    switch (check.verdict) {
    case Verdict::match:
    case Verdict::no_theory: return "";
    case Verdict::environment:
    case Verdict::explained:
        return ". Against the expected " + expected + ", these account for all of the difference: " +
               describe_causes(check.causes);
    case Verdict::invalid:
    case Verdict::mismatch:
        break;
    }
    if (check.causes.empty())
        return ". Nothing measured accounts for the difference from the expected " + expected;
    return ". Against the expected " + expected + ", the measured causes (" + describe_causes(check.causes) +
           ") add up to " + format_figure(sum_of(check.causes), 3) + " of the " +
           format_figure(check.measured - check.expected, 3) + " difference";
}

// "1 DMA copy", "0.25 mode switches per transfer": three decimals at most.
std::string amount(double value, const std::string& singular, const std::string& plural)
{
    const double rounded = std::round(value * 1000) / 1000;
    return format_number(rounded) + " " + (rounded == 1 ? singular : plural);
}

// ---- the expected row, from the environment alone ----

// Whether the egress device can send page-cache pages without a CPU copy:
// scatter-gather and a TX checksum offload (the kernel drops SG without one).
// Version 1 reports know only what the xmit probe saw.
struct EgressCapability {
    bool gather = false;
    std::string why;
};

EgressCapability egress_capability(const Report& report)
{
    const Environment& env = report.environment;
    const EgressDevice& egress = env.egress;
    if (!egress.name.empty()) {
        if (!egress.sg)
            return {false, egress.name + " reports no scatter-gather feature"};
        if (!*egress.sg)
            return {false, egress.name + " has SG off"};
        if (!egress.tx_checksum.value_or(false))
            return {false, egress.name + " has SG but no TX checksum offload, so the kernel drops SG"};
        return {true, egress.name + " has SG and TX checksum offload"};
    }
    if (env.device_sg)
        return {*env.device_sg, env.device + " had SG " + (*env.device_sg ? "on" : "off") +
                                    " at net_dev_start_xmit (a report without features read before the run)"};
    return {false, "the egress device's scatter-gather is unknown"};
}

// ---- CPU copies ----

std::string copy_breakdown(const CopyBytes& copies)
{
    std::string text;
    const std::pair<const char*, std::uint64_t> paths[] = {
        {"file->user (read)", copies.file_to_user},
        {"user->socket (write)", copies.user_to_socket},
        {"page cache->socket (spliced pages copied at sendmsg)", copies.page_cache_to_socket},
        {"kernel buffer->socket", copies.kernel_to_socket},
        {"linearized at xmit", copies.device_linearize},
        {"copy-on-write", copies.copy_on_write},
        {"pinned pages copied for a local receiver (skb_copy_ubufs)", copies.zerocopy_deferred}};
    for (const auto& [path, amount] : paths)
        if (amount)
            text += (text.empty() ? "" : " + ") + std::string(path) + " " + format_bytes(amount);
    return text.empty() ? "nothing" : text;
}

// Copies the row does not count, each legitimate only where the environment
// or the workload predicts it.
std::vector<Cause> copy_causes(const Report& report, const EgressCapability& egress)
{
    const Measured& m = report.measured;
    const CopyBytes& c = m.cpu_copy_bytes;
    const double payload = static_cast<double>(report.workload.bytes);
    std::vector<Cause> causes;
    if (c.device_linearize && !egress.gather)
        causes.push_back({"device_without_sg", CauseKind::environment, c.device_linearize, std::nullopt,
                          ratio(c.device_linearize, payload),
                          "the egress device cannot gather (" + egress.why + "), so validate_xmit_skb copied " +
                              format_bytes(c.device_linearize) + " of payload into linear buffers"});
    if (c.page_cache_to_socket && !egress.gather)
        causes.push_back({"route_without_sg", CauseKind::environment, c.page_cache_to_socket, std::nullopt,
                          ratio(c.page_cache_to_socket, payload),
                          "the route lacks scatter-gather (" + egress.why + "), so tcp_sendmsg copied " +
                              format_bytes(c.page_cache_to_socket) + " of spliced page-cache pages"});
    if (c.user_to_socket && technique_of(report) == Technique::direct_io_send)
        causes.push_back({"write_after_direct_read", CauseKind::workload, c.user_to_socket, std::nullopt,
                          ratio(c.user_to_socket, payload),
                          "O_DIRECT put the file in user memory with no CPU copy, as the row says, and the row stops "
                          "there; sending it with write() copied " +
                              format_bytes(c.user_to_socket) + " into the socket buffer"});
    if (c.zerocopy_deferred)
        causes.push_back({"deferred_copy_local_receiver", CauseKind::environment, c.zerocopy_deferred, std::nullopt,
                          ratio(c.zerocopy_deferred, payload),
                          "the receiver is on this host: pinned pages (MSG_ZEROCOPY, io_uring send_zc) looped to a "
                          "local socket get a deferred copy (Documentation/networking/msg_zerocopy.rst, Loopback), "
                          "and skb_copy_ubufs copied " + format_bytes(c.zerocopy_deferred) +
                              " of pinned pages before delivery (net:netif_receive_skb)"});
    // tee's second output: a pipe spliced into a file is written into that
    // file's page cache (iter_file_splice_write), a copy of every byte. The
    // row is about tee itself, which copies nothing.
    if (c.page_cache_to_page_cache && technique_of(report) == Technique::tee)
        causes.push_back({"second_output_written", CauseKind::workload, c.page_cache_to_page_cache, std::nullopt,
                          ratio(c.page_cache_to_page_cache, payload),
                          "the workload's second output is a file: splicing the tee'd pipe into it copied " +
                              format_bytes(c.page_cache_to_page_cache) +
                              " into the file's page cache (pages new to it, filemap:mm_filemap_add_to_page_cache); "
                              "tee() and the socket's splice copied nothing"});
    if (c.copy_on_write && m.cow) {
        // Only what the child wrote may be copied; the page is the unit.
        const std::uint64_t page = page_bytes();
        const std::uint64_t written = std::min(c.copy_on_write, m.cow->pages_written_by_child * page);
        if (written)
            causes.push_back({"pages_written", CauseKind::workload, written, std::nullopt, ratio(written, payload),
                              "the child wrote " + std::to_string(m.cow->pages_written_by_child) +
                                  " pages, and a write copies the whole page: " + format_bytes(written)});
    }
    return causes;
}

Check check_cpu_copies(const Report& report, const TheoryRow& row, const EgressCapability& egress)
{
    const Measured& m = report.measured;
    const CopyBytes& c = m.cpu_copy_bytes;
    Check check = judged("cpu_copies", row.cpu_copies, row.cpu_copies, "theory", m.cpu_copies, kCopyTolerance,
                         copy_causes(report, egress));
    std::string text = "the CPU copied " + copy_breakdown(c) + ": " + format_bytes(c.total) + " in all for a " +
                       format_bytes(report.workload.bytes) + " payload (" + format_figure(m.cpu_copies, 3) + " passes)";
    if (sends(report)) {
        text += "; at xmit " + format_bytes(m.socket.shared_frag_bytes) + " left as shared page-cache frags, " +
                format_bytes(m.socket.zerocopy_frag_bytes) + " as pinned user pages, " +
                format_bytes(m.socket.copied_frag_bytes) + " in copied frags, " +
                format_bytes(m.socket.linear_payload_bytes) + " linear";
        if (c.retransmit_relinearize)
            text += " (of which " + format_bytes(c.retransmit_relinearize) +
                    " were TCP resends linearized again: a real copy, but not a pass over the payload)";
    }
    check.explanation = text + verdict_clause(check, " copies");
    const std::string figure = copies_word(m.cpu_copies) + " (" + format_bytes(c.total) + ")";
    const std::string row_says = "\"" + row.name + "\" says " + format_theory(row.cpu_copies);
    switch (check.verdict) {
    case Verdict::match:
    case Verdict::no_theory:
        check.summary = figure + ", as \"" + row.name + "\" says";
        break;
    case Verdict::environment:
    case Verdict::explained:
        check.summary = figure + " where " + row_says + ": " + cause_phrases(check.causes, report);
        break;
    case Verdict::invalid:
    case Verdict::mismatch:
        check.summary = "the CPU copied " + format_bytes(c.total) + " of " + format_bytes(report.workload.bytes) +
                        " (" + copies_word(m.cpu_copies) + ") where " + row_says +
                        (sends(report) ? " (" + egress.why + ")" : "") + ": " + copy_breakdown(c);
        break;
    }
    return check;
}

// ---- DMA copies ----

// Every row's DMA copies are one disk transfer (into the page cache, or into
// user memory for direct I/O) plus, except for direct I/O, one memory -> NIC
// transfer. The environment can remove either step; each removal is a cause
// only when the measurement shows that step did not happen at all.
Check check_dma_copies(const Report& report, const TheoryRow& row)
{
    const Measured& m = report.measured;
    const Environment& env = report.environment;
    const double payload = static_cast<double>(report.workload.bytes);
    const double disk_theory = row.starts_in_memory ? 0.0 : std::min(1.0, row.dma_copies);
    const double nic_theory = row.dma_copies - disk_theory;
    const std::uint64_t disk_bytes = m.dma_bytes.disk_read + m.dma_bytes.disk_write;
    std::vector<Cause> causes;

    // Warm: every page resident before the run (mincore), none added to the
    // page cache during it, no block I/O. mmap can map whole large folios
    // without a filemap event, so the hit count may see only some pages.
    const bool all_resident = env.file_pages > 0 && env.cache_resident_pages_before == env.file_pages;
    if (disk_theory > 0 && disk_bytes == 0 && env.cache == "warm" && all_resident && m.page_cache.misses == 0 &&
        !reads_direct(technique_of(report)))
        causes.push_back({"warm_cache", CauseKind::environment, std::nullopt, m.page_cache.hits, -disk_theory,
                          "the cache was warm: all " + std::to_string(env.file_pages) +
                              " file pages were resident before the run, none was added to the page cache during "
                              "it and the " + std::to_string(m.page_cache.accessed_pages) +
                              " pages the filemap events saw were hits, so the disk->page-cache DMA never happened"});

    // A row for a copy between files in memory (copy_file_range, sendfile to
    // a file) counts no disk transfer; a cold cache adds the file's read.
    if (disk_theory == 0 && !row.starts_in_memory && env.cache == "cold" && m.dma_bytes.disk_read &&
        !reads_direct(technique_of(report)))
        causes.push_back({"cold_cache", CauseKind::environment, m.dma_bytes.disk_read, std::nullopt,
                          ratio(m.dma_bytes.disk_read, payload),
                          "the cache was cold: " + format_bytes(m.dma_bytes.disk_read) +
                              " came from the disk into the page cache before the copy, a transfer the row, "
                              "which copies between files in memory, does not count"});

    // Warmed, yet some pages were read from the disk again: reclaim took
    // them back between the warming and the copy. Accounted for only when
    // the disk read is exactly the pages the probes saw added.
    if (disk_theory == 0 && !row.starts_in_memory && env.cache == "warm" && m.dma_bytes.disk_read &&
        m.page_cache.misses && m.dma_bytes.disk_read == m.page_cache.misses * page_bytes() &&
        !reads_direct(technique_of(report)))
        causes.push_back({"reclaimed_pages", CauseKind::environment, m.dma_bytes.disk_read, std::nullopt,
                          ratio(m.dma_bytes.disk_read, payload),
                          "the cache was warmed, yet " + std::to_string(m.page_cache.misses) +
                              " pages were added to it during the run and the disk read exactly those " +
                              format_bytes(m.dma_bytes.disk_read) + " (" + std::to_string(env.cache_resident_pages_before) +
                              " of " + std::to_string(env.file_pages) +
                              " pages resident before the run): reclaim took them back after the warming"});

    bool any_dma_device = false;
    std::string software;
    for (const DeviceStats& device : m.socket.devices) {
        any_dma_device = any_dma_device || device.dma_capable;
        if (!device.dma_capable)
            software += (software.empty() ? "" : ", ") + device.name;
    }
    if (nic_theory > 0 && m.dma_bytes.nic_tx == 0 && !m.socket.devices.empty() && !any_dma_device)
        causes.push_back({"software_device", CauseKind::environment, m.socket.bytes, std::nullopt, -nic_theory,
                          "the payload left through " + software +
                              ", a software device with no DMA engine (no bus device behind it), so the "
                              "memory->NIC DMA does not exist here"});
    if (nic_theory == 0 && m.dma_bytes.nic_tx && technique_of(report) == Technique::direct_io_send)
        causes.push_back({"send_after_direct_read", CauseKind::workload, m.dma_bytes.nic_tx, std::nullopt,
                          ratio(m.dma_bytes.nic_tx, payload),
                          "the workload sends what the row only reads: " + format_bytes(m.dma_bytes.nic_tx) +
                              " handed to a NIC by DMA"});

    Check check = judged("dma_copies", row.dma_copies, row.dma_copies, "theory", m.dma_copies, kCopyTolerance,
                         std::move(causes));
    std::string text = "disk: " + format_bytes(m.dma_bytes.disk_read) + " read, " +
                       format_bytes(m.dma_bytes.disk_write) + " written (block_bio_queue, submitted by the sender), " +
                       std::to_string(m.page_cache.misses) + " pages added to the page cache";
    if (reads_direct(technique_of(report)) && m.dma_bytes.disk_read)
        text += "; O_DIRECT read the disk straight into user memory";
    else if (env.cache == "cold" && m.dma_bytes.disk_read)
        text += "; the cache was cold, so the pages came from the disk by DMA into the page cache";
    text += "; NIC: " + format_bytes(m.dma_bytes.nic_tx) + " handed to DMA-capable devices";
    check.explanation = text + verdict_clause(check, " DMA copies");
    const std::string figure = amount(m.dma_copies, "DMA copy", "DMA copies");
    const std::string row_says = "\"" + row.name + "\" says " + format_theory(row.dma_copies);
    switch (check.verdict) {
    case Verdict::match:
    case Verdict::no_theory: check.summary = figure + ", as \"" + row.name + "\" says"; break;
    case Verdict::environment:
    case Verdict::explained: check.summary = figure + " where " + row_says + ": " + cause_phrases(check.causes, report); break;
    case Verdict::invalid:
    case Verdict::mismatch:
        check.summary = figure + " (disk " + format_bytes(m.dma_bytes.disk_read + m.dma_bytes.disk_write) + ", NIC " +
                        format_bytes(m.dma_bytes.nic_tx) + ") where " + row_says +
                        ", and nothing measured accounts for it";
        break;
    }
    return check;
}

// ---- syscalls and mode switches ----

std::string describe_calls(const CallCounts& calls)
{
    std::string text;
    for (const auto& [name, count] : calls)
        if (count)
            text += (text.empty() ? "" : ", ") + name + " " + std::to_string(count);
    return text.empty() ? "none" : text;
}

CallCounts nonzero(const CallCounts& calls)
{
    CallCounts out;
    for (const auto& [name, count] : calls)
        if (count)
            out[name] = count;
    return out;
}

struct CallFacts {
    Technique technique;
    std::uint64_t transfers;
    CallCounts repeats;
    DesignedCalls design;
    CallCounts seen;
    bool as_designed;  // the probes' counts are the workload's design, name for name
};

CallFacts call_facts(const Report& report)
{
    CallFacts facts{technique_of(report), report.workload.transfers, nonzero(report.workload.repeated_calls), {}, {},
                    false};
    facts.design = designed_calls(facts.technique, facts.transfers, facts.repeats);
    facts.seen = nonzero(report.measured.syscalls.by_name);
    facts.as_designed = facts.seen == nonzero(facts.design.calls);
    return facts;
}

std::string design_clause(const CallFacts& facts)
{
    if (facts.as_designed)
        return "; the workload's design (" + facts.design.how + ") makes exactly these";
    return "; the workload's design (" + facts.design.how + ") makes " + describe_calls(facts.design.calls) +
           " for " + quantity(facts.transfers, "transfer", "transfers") +
           (facts.repeats.empty() ? "" : " and the repeats it counted (" + describe_calls(facts.repeats) + ")");
}

// "2 syscalls per transfer where "splice" says 1: splice needs a pipe ...".
std::string calls_summary(const Check& check, const std::string& singular, const std::string& plural,
                          const std::string& row_name, const Report& report, const CallFacts& facts)
{
    const std::string figure = amount(check.measured, singular, plural);
    const std::string held_to = check.theory ? "\"" + row_name + "\" says " + format_theory(check.theory)
                                             : "the workload's design makes " +
                                                   format_number(std::round(check.expected * 1000) / 1000);
    switch (check.verdict) {
    case Verdict::match: return figure + ", as \"" + row_name + "\" says";
    case Verdict::no_theory: return figure + ", as the workload's design makes (the seeds give no figure)";
    case Verdict::environment:
    case Verdict::explained: return figure + " where " + held_to + ": " + cause_phrases(check.causes, report);
    case Verdict::invalid:
    case Verdict::mismatch: break;
    }
    return figure + " (" + describe_calls(facts.seen) + ") where " + held_to + " (" +
           describe_calls(facts.design.calls) + ")";
}

Check check_syscalls(const Report& report, const TheoryRow& row)
{
    const Measured& m = report.measured;
    const CallFacts facts = call_facts(report);
    const double transfers = static_cast<double>(facts.transfers);
    const std::string counted = quantity(m.syscalls.total, "syscall", "syscalls") + " (" +
                                describe_calls(facts.seen) + ") for " +
                                quantity(facts.transfers, "transfer", "transfers");
    Check check;
    if (row.syscalls_per_transfer) {
        std::vector<Cause> causes;
        if (facts.as_designed)
            causes = call_causes(facts.technique, facts.transfers, facts.repeats, *row.syscalls_per_transfer, 1.0);
        check = judged("syscalls_per_transfer", row.syscalls_per_transfer, *row.syscalls_per_transfer, "theory",
                       m.syscalls_per_transfer, kCallTolerance, std::move(causes));
        check.explanation = counted + design_clause(facts) + verdict_clause(check, " per transfer");
    } else {
        // The seeds give no figure ("特定接口"): hold the run to the design.
        const double designed = ratio(total_calls(facts.design.calls), transfers);
        check = judged("syscalls_per_transfer", std::nullopt, designed, "workload", m.syscalls_per_transfer,
                       kCallTolerance, {});
        if (!facts.as_designed)
            check.verdict = Verdict::mismatch;
        check.explanation = counted + "; the seeds give no count for \"" + row.syscalls + "\"" + design_clause(facts);
    }
    check.summary = calls_summary(check, "syscall per transfer", "syscalls per transfer", row.name, report, facts);
    return check;
}

// Every syscall is one user->kernel and one kernel->user switch; a fork also
// returns in the child, which leaves the kernel without entering it. Judged
// on its own figure, never taken from the syscall check.
Check check_mode_switches(const Report& report, const TheoryRow& row)
{
    const Measured& m = report.measured;
    const ModeSwitchDetail& detail = m.mode_switch_detail;
    const CallFacts facts = call_facts(report);
    const double transfers = static_cast<double>(facts.transfers);
    const bool paired =
        detail.syscall_entries == m.syscalls.total && detail.syscall_exits == m.syscalls.total + detail.fork_returns;
    const std::uint64_t forks = facts.design.calls.count("clone") ? facts.design.calls.at("clone") : 0;
    const bool consistent = paired && facts.as_designed && detail.fork_returns == forks;
    std::string counted = quantity(detail.syscall_entries, "syscall entry", "syscall entries") + " + " +
                          quantity(detail.syscall_exits, "exit", "exits") + " = " +
                          quantity(m.mode_switches, "mode switch", "mode switches") + " over " +
                          quantity(facts.transfers, "transfer", "transfers");
    if (detail.fork_returns)
        counted += "; " + std::string(detail.fork_returns == 1 ? "one exit is" : std::to_string(detail.fork_returns) + " exits are") +
                   " a fork returning in the child, which leaves the kernel without entering it";
    if (!paired)
        counted += "; entries and exits do not pair up with the " + std::to_string(m.syscalls.total) + " syscalls";
    if (m.page_faults.user)
        counted += " (plus " + quantity(m.page_faults.user, "user page fault", "user page faults") +
                   ", which also enter the kernel but are not syscalls)";
    Check check;
    if (row.mode_switches) {
        std::vector<Cause> causes;
        if (consistent)
            causes = call_causes(facts.technique, facts.transfers, facts.repeats, *row.mode_switches / 2, 2.0);
        check = judged("mode_switches_per_transfer", row.mode_switches, *row.mode_switches, "theory",
                       m.mode_switches_per_transfer, kCallTolerance, std::move(causes));
        check.explanation = counted + design_clause(facts) + verdict_clause(check, " per transfer");
    } else {
        const double designed = ratio(2 * total_calls(facts.design.calls) + forks, transfers);
        check = judged("mode_switches_per_transfer", std::nullopt, designed, "workload", m.mode_switches_per_transfer,
                       kCallTolerance, {});
        if (!consistent)
            check.verdict = Verdict::mismatch;
        check.explanation = counted + "; the seeds give no figure for \"" + row.name +
                            "\"; the workload's design makes 2 switches per call" +
                            (forks ? " and one more per fork" : "") + ": " + format_figure(designed, 3) +
                            " per transfer" + design_clause(facts);
    }
    check.summary = calls_summary(check, "mode switch per transfer", "mode switches per transfer", row.name, report,
                                  facts);
    return check;
}

// ---- what the seeds claim beyond the table ----

Check check_integrity(const Report& report)
{
    const Integrity& integrity = report.workload.integrity;
    Check check = judged("integrity", 1.0, 1.0, "workload", integrity.ok ? 1.0 : 0.0, 0.0, {});
    check.verdict = integrity.ok ? Verdict::match : Verdict::mismatch;
    check.summary = integrity.ok ? "integrity ok" : "the data arrived damaged or incomplete";
    check.explanation =
        integrity.ok ? "the " + integrity.verified_by + " got all " + format_bytes(integrity.bytes_received) +
                           " with crc32 " + integrity.checksum_received
                     : "the " + integrity.verified_by + " got " + format_bytes(integrity.bytes_received) + " of " +
                           format_bytes(integrity.bytes_expected) + ", crc32 " + integrity.checksum_received +
                           " (expected " + integrity.checksum_expected + "): the run lost or corrupted data";
    return check;
}

// cow: the seed's claim is that only modified data is copied. The kernel
// copies in pages, so the child writes one byte in each of K pages and the
// claim becomes "exactly K pages".
Check check_cow_pages(const Report& report)
{
    const CowStats& cow = *report.measured.cow;
    const double written = static_cast<double>(cow.pages_written_by_child);
    Check check = judged("cow_copied_pages", written, written, "theory", static_cast<double>(cow.pages_copied), 0.0,
                         {});
    check.verdict = judge(written, check.measured, 0.0);
    check.summary = "the child wrote " + quantity(cow.pages_written_by_child, "page", "pages") +
                    " and the kernel copied " + std::to_string(cow.pages_copied);
    check.explanation = std::to_string(cow.pages_copied) + " write faults on present pages of the " +
                        std::to_string(cow.buffer_pages) +
                        "-page buffer (exceptions:page_fault_user, error code PROT|WRITE: wp_page_copy), " +
                        format_bytes(cow.copy_bytes) + " copied, after the child read all " +
                        format_bytes(report.workload.bytes) + " (" + std::to_string(cow.faults_on_buffer) +
                        " faults on the buffer in all); the parent's buffer " +
                        (cow.parent_buffer_intact ? "still matched the file afterwards, so the writes went to the copies"
                                                  : "no longer matched the file");
    return check;
}

// Seed 002: "内存映射总是要对齐页边界，最小单位是 4 KB，一个 5 KB 的文件将会映射占用
// 8 KB 内存" (mappings are page-aligned; a 5 KB file occupies 8 KB). The
// claim is the rounding to whole pages; rss_stat shows what was mapped.
Check check_mmap_rounding(const Report& report)
{
    const MmapStats& mmap = *report.measured.mmap;
    const std::uint64_t page = page_bytes();
    const std::uint64_t rounded = (mmap.file_bytes + page - 1) / page * page;
    const double waste = static_cast<double>(rounded - mmap.file_bytes);
    Check check = judged("mmap_rounding_waste_bytes", waste, waste, "theory",
                         static_cast<double>(mmap.rounding_waste_bytes), 0.0, {});
    check.verdict = judge(waste, check.measured, 0.0);
    check.summary = format_bytes(mmap.mapped_bytes) + " mapped for a " + format_bytes(mmap.file_bytes) + " file, " +
                    format_bytes(mmap.rounding_waste_bytes) + " past its end";
    check.explanation = "a " + format_bytes(mmap.file_bytes) + " file; kmem:rss_stat saw " +
                        format_bytes(mmap.mapped_bytes) + " of file pages mapped into the sender, " +
                        format_bytes(mmap.rounding_waste_bytes) +
                        " beyond the file's last byte (the seeds: mappings cover whole " + format_bytes(page) +
                        " pages, so " + format_bytes(rounded) + " for this file)";
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
    Check check = judged("page_cache_pollution_vs_buffered", 0.0, 0.0, "theory",
                         comparison.pollution_ratio.value_or(0.0), 0.01, {});
    check.verdict = judge(0.0, check.measured, 0.01);
    check.summary = std::to_string(comparison.measured.page_cache_pages_added) + " pages added to the page cache, " +
                    std::to_string(comparison.baseline.page_cache_pages_added) + " by a buffered read";
    check.explanation = comparison.summary;
    if (!comparison.pollution_ratio) {
        check.verdict = Verdict::invalid;
        check.explanation += "; the buffered run added no pages, so there is nothing to compare with (was the "
                             "cache warm?)";
    }
    return check;
}

}  // namespace

std::uint64_t copied_on_the_way_out(const Measured& measured)
{
    return measured.cpu_copy_bytes.page_cache_to_socket + measured.cpu_copy_bytes.device_linearize +
           measured.socket.copied_frag_bytes;
}

ExpectedRow expected_row(const Report& report)
{
    const Technique technique = technique_of(report);
    const TechniqueRows& rows = theory_rows_for(technique);
    ExpectedRow expected;
    expected.candidates.assign(rows.ids.begin(), rows.ids.end());
    if (rows.ids.size() == 1) {
        expected.row = find_theory_row(rows.ids.front());
        expected.reason = "the only row for " + std::string(technique_name(technique));
        return expected;
    }
    // copy_file_range: the two rows differ in whether the filesystem shares
    // blocks between files, which it said when asked before the run.
    if (technique == Technique::copy_file_range) {
        const auto& copy = report.workload.copy_file;
        const bool shares = copy && copy->filesystem_shares_extents.value_or(false);
        expected.row = find_theory_row(shares ? "copy_file_range_reflink" : "copy_file_range");
        expected.reason = (copy ? copy->shares_extents_why : std::string("no probe of the filesystem")) +
                          (shares ? ", so nothing should be copied: \"copy_file_range with reflinks\""
                                  : ", so the kernel must copy the bytes: \"copy_file_range\"");
        return expected;
    }
    // sendfile: the seeds' two rows differ only in whether the device
    // gathers the payload from the page cache. That is the device's to say,
    // before anything is measured.
    const EgressCapability egress = egress_capability(report);
    expected.row = find_theory_row(egress.gather ? "sendfile_dma_gather" : "sendfile");
    const std::string& read_by = report.environment.egress.read_by;
    expected.reason = egress.why + (read_by.empty() ? "" : " (" + read_by + ")") +
                      (egress.gather ? ", so the payload should leave uncopied: \"sendfile + DMA gather\""
                                     : ", so the kernel must copy the payload: \"sendfile\"");
    return expected;
}

Verdict judge(double expected, double measured, double tolerance)
{
    return std::fabs(expected - measured) <= tolerance + 1e-9 ? Verdict::match : Verdict::mismatch;
}

Verdict judge_deviation(double expected, double measured, double tolerance, const std::vector<Cause>& causes,
                        bool from_theory)
{
    if (judge(expected, measured, tolerance) == Verdict::match)
        return from_theory ? Verdict::match : Verdict::no_theory;
    const double deviation = measured - expected;
    const double accounted = sum_of(causes);
    const bool same_sign = (deviation > 0) == (accounted > 0) && accounted != 0;
    if (causes.empty() || !same_sign || std::fabs(deviation - accounted) > tolerance + 1e-9)
        return Verdict::mismatch;
    const bool environment_only = std::all_of(causes.begin(), causes.end(),
                                              [](const Cause& cause) { return cause.kind == CauseKind::environment; });
    return environment_only ? Verdict::environment : Verdict::explained;
}

Verdict overall_verdict(const std::vector<Check>& checks)
{
    for (Verdict worse : {Verdict::invalid, Verdict::mismatch, Verdict::explained})
        if (std::any_of(checks.begin(), checks.end(), [&](const Check& check) { return check.verdict == worse; }))
            return worse;
    return Verdict::match;
}

void analyze(Report& report)
{
    const ExpectedRow expected = expected_row(report);
    const TheoryRow& row = *expected.row;
    const EgressCapability egress = egress_capability(report);
    report.theory_row = row.name;
    report.theory_row_selection.candidates = expected.candidates;
    report.theory_row_selection.expected = row.id;
    report.theory_row_selection.reason = expected.reason;
    report.theory = {row.id,       row.name,  row.name_zh,    row.cpu_copies, row.dma_copies,
                     row.syscalls, row.syscalls_per_transfer,  row.mode_switches, row.remark, row.source,
                     cite(row.source), row.beyond_seeds};

    EgressDevice& egress_device = report.environment.egress;
    if (!egress_device.name.empty()) {
        const auto& devices = report.measured.socket.devices;
        if (devices.empty())
            egress_device.confirmed_at_xmit.reset();
        else
            egress_device.confirmed_at_xmit = devices.size() == 1 && devices.front().name == egress_device.name &&
                                              std::optional<bool>(devices.front().sg) == egress_device.sg;
    }

    report.checks.clear();
    report.checks.push_back(check_integrity(report));
    report.checks.push_back(check_cpu_copies(report, row, egress));
    report.checks.push_back(check_dma_copies(report, row));
    report.checks.push_back(check_syscalls(report, row));
    report.checks.push_back(check_mode_switches(report, row));
    if (report.measured.cow)
        report.checks.push_back(check_cow_pages(report));
    if (report.measured.mmap)
        report.checks.push_back(check_mmap_rounding(report));
    if (report.comparison)
        report.checks.push_back(check_pollution(report));
    for (Check& check : cross_checks(report))
        report.checks.push_back(std::move(check));
    report.verdict = overall_verdict(report.checks);

    // Which candidate the copies match, whatever was expected.
    report.theory_row_selection.measured.reset();
    for (const std::string& id : expected.candidates)
        if (const TheoryRow* candidate = find_theory_row(id);
            candidate && judge(candidate->cpu_copies, report.measured.cpu_copies, kCopyTolerance) == Verdict::match) {
            report.theory_row_selection.measured = id;
            break;
        }
    report.findings = findings(report);
    report.headline = headline(report);
}

}  // namespace zctrace
