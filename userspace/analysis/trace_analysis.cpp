// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "analysis/trace_analysis.hpp"

#include <arpa/inet.h>
#include <net/if.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <set>

#include "analysis/measurement.hpp"
#include "analysis/theory.hpp"
#include "base/units.hpp"
#include "tracing/syscall_names.hpp"

namespace zctrace {
namespace {

constexpr double kMiB = 1024.0 * 1024.0;
constexpr double kGiB = kMiB * 1024.0;
// A flow's copies may differ from its row by this much before it is a
// finding: 64 KiB, or 0.1% of its bytes. Copies are judged in bytes, so a
// small ratio cannot hide megabytes.
constexpr std::uint64_t kToleranceBytes = 64 * 1024;

std::string_view byte_kind_name(zc_byte_kind kind)
{
    switch (kind) {
    case ZC_BYTES_FILE_TO_USER: return "file_to_user";
    case ZC_BYTES_USER_COPY: return "user_copy";
    case ZC_BYTES_KERNEL_COPY: return "kernel_copy";
    case ZC_BYTES_SPLICED: return "spliced";
    case ZC_BYTES_SPLICED_COPIED: return "spliced_copied";
    case ZC_BYTES_ZEROCOPY: return "zerocopy";
    case ZC_BYTES_RETURNED: return "returned";
    case ZC_BYTES_PAGE_CACHE_COPY: return "page_cache_copy";
    case ZC_BYTES_USER_TO_PAGE_CACHE: return "user_to_page_cache";
    default: return "other";
    }
}

bool is_sendfile(const std::string& name) { return name == "sendfile" || name == "sendfile64"; }
bool is_uring_request(const std::string& name) { return name.starts_with("io_uring:"); }

// Bytes of one kind, and the syscalls that moved them.
struct Moved {
    std::uint64_t bytes = 0;
    std::map<std::string, std::uint64_t> syscalls;
    void add(const SyscallBytes& entry)
    {
        bytes += entry.bytes;
        syscalls[entry.syscall] += entry.bytes;
    }
};

// The syscalls that moved at least 1% of a flow's bytes: a loader's few
// reads do not name a server's read path.
std::vector<std::string> names(std::uint64_t flow_bytes, const Moved& a, const Moved& b = {})
{
    std::map<std::string, std::uint64_t> all = a.syscalls;
    for (const auto& [name, bytes] : b.syscalls)
        all[name] += bytes;
    std::vector<std::string> named;
    for (const auto& [name, bytes] : all)
        if (bytes * 100 >= flow_bytes)
            named.push_back(name);
    return named;
}

// A row as a reason quotes it: a documented row (beyond the seeds) with its
// document, since no seed vouches for it.
std::string row_reference(const std::string& id)
{
    const TheoryRow* row = find_theory_row(id);
    if (!row)
        return "\"" + id + "\"";
    return "\"" + row->name + "\"" + (row->beyond_seeds ? " (" + row->source + ")" : std::string());
}

// Holds a flow to a row: its figure, and where the figure comes from.
void hold_to_row(TraceFlow& flow, const std::string& id)
{
    const TheoryRow* row = find_theory_row(id);
    if (!row)
        return;
    flow.theory_row = id;
    flow.theory_cpu_copies = row->cpu_copies;
    flow.expected_cpu_copies = row->cpu_copies;
    flow.expected_from = row->beyond_seeds ? "documentation" : "theory";
}

// Judges one flow in bytes: expected_cpu_copies x bytes against what was
// measured on it, with the copies made at the device (no SG) named as the
// environment's when they account for the difference.
void judge(TraceFlow& flow, std::uint64_t device_share, const FlowInputs& inputs)
{
    const double expected = flow.expected_cpu_copies * static_cast<double>(flow.bytes);
    const double measured = static_cast<double>(flow.measured_copy_bytes);
    const double tolerance = std::max<double>(kToleranceBytes, 0.001 * static_cast<double>(flow.bytes));
    flow.measured_cpu_copies = ratio(measured, static_cast<double>(flow.bytes));
    const double difference = measured - expected;
    const bool has_row = !flow.theory_row.empty();
    if (std::fabs(difference) <= tolerance) {
        flow.verdict = has_row ? Verdict::match : Verdict::no_theory;
        if (flow.reason.empty())
            flow.reason = has_row ? "as " + row_reference(flow.theory_row) + " says"
                                  : "the seeds have no row for it; held to what the kernel's code does: " +
                                        format_figure(flow.expected_cpu_copies) + " copies";
        return;
    }
    if (device_share && inputs.device_sg == false &&
        std::fabs(difference - static_cast<double>(device_share)) <= tolerance) {
        flow.verdict = Verdict::environment;
        flow.reason = inputs.device + " has scatter-gather off, so the kernel copied " + format_bytes(device_share) +
                      " of it into one buffer at the device";
        return;
    }
    flow.verdict = Verdict::mismatch;
    flow.reason = format_bytes(static_cast<std::uint64_t>(std::fabs(difference))) +
                  (difference > 0 ? " more" : " less") + " copied than " +
                  (has_row ? row_reference(flow.theory_row) + " says" : "the kernel's code implies") +
                  (device_share ? "; " + format_bytes(device_share) + " of it at the device (" + inputs.device +
                                      (inputs.device_sg == true ? ", which has SG on: it could have gathered)" : ")")
                                : std::string());
}

}  // namespace

std::vector<TraceFlow> classify_flows(const FlowInputs& inputs)
{
    Moved sendfile_pages, sendfile_copied, splice_pages, splice_copied, file_reads, user_copies, kernel_copies,
        zerocopy, uring_zerocopy, vmspliced, file_copies, file_copy_writes, sendfile_returned, sendfile_file_writes,
        file_writes;
    for (const SyscallBytes& entry : inputs.syscall_bytes) {
        if (entry.moved == "spliced")
            (is_sendfile(entry.syscall) ? sendfile_pages : splice_pages).add(entry);
        else if (entry.moved == "spliced_copied")
            (is_sendfile(entry.syscall) ? sendfile_copied : splice_copied).add(entry);
        else if (entry.moved == "file_to_user")
            file_reads.add(entry);
        else if (entry.moved == "user_copy")
            user_copies.add(entry);
        else if (entry.moved == "kernel_copy")
            kernel_copies.add(entry);
        else if (entry.moved == "returned" && entry.syscall == "vmsplice")
            vmspliced.add(entry);
        else if (entry.moved == "returned" && entry.syscall == "copy_file_range")
            file_copies.add(entry);
        else if (entry.moved == "page_cache_copy" && entry.syscall == "copy_file_range")
            file_copy_writes.add(entry);
        else if (entry.moved == "returned" && is_sendfile(entry.syscall))
            sendfile_returned.add(entry);
        else if (entry.moved == "page_cache_copy" && is_sendfile(entry.syscall))
            sendfile_file_writes.add(entry);
        else if (entry.moved == "user_to_page_cache")
            file_writes.add(entry);
        else if (entry.moved == "zerocopy")
            (is_uring_request(entry.syscall) ? uring_zerocopy : zerocopy).add(entry);
    }
    const bool no_sg = inputs.device_sg == false;
    std::vector<TraceFlow> flows;
    std::vector<TraceFlow> file_flows;  // judged apart: no socket, no device

    auto spliced_flow = [&](const Moved& pages, const Moved& copied, const std::string& technique,
                            const std::string& zero_copy_row, const std::string& copy_row) {
        if (pages.bytes + copied.bytes == 0)
            return;
        TraceFlow flow;
        flow.technique = technique;
        flow.syscalls = names(pages.bytes + copied.bytes, pages, copied);
        flow.bytes = pages.bytes + copied.bytes;
        flow.description = "file -> socket by " + technique + "(), as page references";
        // The row follows the route: page references need SG on the way out.
        const bool copying_route = copied.bytes > pages.bytes || no_sg;
        flow.theory_row = copying_route && !copy_row.empty() ? copy_row : zero_copy_row;
        flow.measured_copy_bytes = copied.bytes;
        flows.push_back(std::move(flow));
    };
    spliced_flow(sendfile_pages, sendfile_copied, "sendfile", "sendfile_dma_gather", "sendfile");
    // Pages spliced out of a pipe that vmsplice() filled came from user
    // memory, by reference (fs/splice.c: iter_to_pipe takes the user pages),
    // not from a file: that share of splice's bytes is its own flow.
    const std::uint64_t spliced = splice_pages.bytes + splice_copied.bytes;
    const std::uint64_t from_user_pages = std::min(vmspliced.bytes, spliced);
    if (from_user_pages) {
        const auto copied_share = static_cast<std::uint64_t>(static_cast<double>(splice_copied.bytes) *
                                                             static_cast<double>(from_user_pages) /
                                                             static_cast<double>(spliced));
        TraceFlow flow;
        flow.technique = "vmsplice";
        flow.syscalls = names(from_user_pages, vmspliced, splice_pages);
        flow.bytes = from_user_pages;
        flow.description = "user memory -> pipe by vmsplice(), as page references -> socket by splice()";
        // Without SG each page is copied at sendmsg, which the row (for a
        // route that gathers) does not cover: then the kernel's code.
        if (no_sg) {
            flow.expected_cpu_copies = 1;
            flow.expected_from = "kernel code";
        } else {
            flow.theory_row = "vmsplice";
        }
        flow.measured_copy_bytes = copied_share;
        flows.push_back(std::move(flow));
        splice_copied.bytes -= copied_share;
        splice_pages.bytes -= from_user_pages - copied_share;
    }
    spliced_flow(splice_pages, splice_copied, "splice", "splice", "");

    std::uint64_t read_then_write = 0, from_mapping = 0, read_then_write_file = 0;
    std::vector<FlowInputs::ProcessBytes> processes = inputs.processes;
    if (processes.empty())
        processes.push_back({file_reads.bytes, user_copies.bytes, 0, file_writes.bytes});
    for (const FlowInputs::ProcessBytes& process : processes) {
        const std::uint64_t paired = std::min(process.file_to_user, process.user_copy);
        read_then_write += paired;
        from_mapping += std::min(process.user_copy - paired, process.file_mapped);
        // Reads no socket took, written into files by the same process.
        read_then_write_file += std::min(process.file_to_user - paired, process.user_to_page_cache);
    }
    // Processes past the cap are in the totals only: whatever they wrote is
    // left as user memory.
    read_then_write = std::min(read_then_write, user_copies.bytes);
    from_mapping = std::min(from_mapping, user_copies.bytes - read_then_write);
    if (read_then_write) {
        TraceFlow flow;
        flow.technique = "read_write";
        flow.syscalls = names(read_then_write, file_reads, user_copies);
        flow.bytes = read_then_write;
        flow.description = "file -> user memory -> socket: read from the page cache, then written";
        flow.theory_row = "read_write";
        flow.measured_copy_bytes = 2 * read_then_write;
        flows.push_back(std::move(flow));
    }
    const std::uint64_t written_beyond_reads = user_copies.bytes - read_then_write;
    if (from_mapping) {
        TraceFlow flow;
        flow.technique = "mmap_write";
        flow.syscalls = names(from_mapping, user_copies);
        flow.bytes = from_mapping;
        flow.description = "file -> socket from a mapping of the file: mapped, then written";
        flow.theory_row = "mmap_write";
        flow.measured_copy_bytes = from_mapping;
        flows.push_back(std::move(flow));
    }
    // Flows the seeds have no row for, held to a documented row where there
    // is one (`row`, applied with the seeds' rows below) and otherwise to
    // what the kernel's code does; what was copied comes from how
    // tcp_sendmsg took the bytes, not from that expectation.
    auto plain_flow = [&](std::uint64_t bytes, std::uint64_t copied, const Moved& moved, const std::string& technique,
                          const std::string& description, double copies, const std::string& row = "") {
        if (!bytes)
            return;
        TraceFlow flow;
        flow.technique = technique;
        flow.syscalls = names(bytes, moved);
        flow.bytes = bytes;
        flow.description = description;
        flow.theory_row = row;
        flow.expected_cpu_copies = copies;
        flow.expected_from = "kernel code";
        flow.measured_copy_bytes = copied;
        flows.push_back(std::move(flow));
    };
    // Every byte sent from user memory was copied into the socket.
    const std::uint64_t from_memory = written_beyond_reads - from_mapping;
    plain_flow(from_memory, from_memory, user_copies, "user_memory",
               "user memory -> socket: bytes the program made or read from elsewhere (a socket, a pipe), copied "
               "into the socket",
               1);
    // MSG_ZEROCOPY pinned the pages: nothing copied in sendmsg.
    plain_flow(zerocopy.bytes, 0, zerocopy, "msg_zerocopy", "user memory -> socket with MSG_ZEROCOPY: pages pinned",
               0, "msg_zerocopy");
    plain_flow(uring_zerocopy.bytes, 0, uring_zerocopy, "io_uring_send_zc",
               "user memory -> socket by io_uring send_zc: pages pinned", 0, "io_uring_send_zc");
    plain_flow(kernel_copies.bytes, kernel_copies.bytes, kernel_copies, "kernel_buffer",
               "kernel buffer -> socket, copied", 1);

    // File to file inside the kernel: no socket, so judged on its own (the
    // device's copies are not its). fs/read_write.c: a filesystem that can
    // share extents (remap_file_range: XFS with reflink, btrfs) copies
    // nothing; any other goes through splice, page cache to page cache.
    if (file_copies.bytes) {
        static const std::set<std::string> sharing = {"xfs", "btrfs", "bcachefs", "ocfs2"};
        TraceFlow flow;
        flow.technique = "copy_file_range";
        flow.syscalls = {"copy_file_range"};
        flow.bytes = file_copies.bytes;
        flow.description = "file -> file inside the kernel by copy_file_range()" +
                           (inputs.copy_filesystem.empty() ? std::string() : " on " + inputs.copy_filesystem);
        // The row follows the filesystem: reflinks where it can share extents.
        const bool shares = sharing.count(inputs.copy_filesystem) > 0;
        hold_to_row(flow, shares ? "copy_file_range_reflink" : "copy_file_range");
        flow.measured_copy_bytes = file_copy_writes.bytes;
        judge(flow, 0, inputs);
        if (flow.verdict == Verdict::mismatch && shares)
            flow.reason += "; " + inputs.copy_filesystem +
                           " can share extents but copied: made without reflink, or across filesystems?";
        file_flows.push_back(std::move(flow));
    }

    // Read into user memory, then written into another file: fs/read_write.c
    // copies out of the page cache and back into one, two copies.
    read_then_write_file = std::min(read_then_write_file, file_writes.bytes);
    if (read_then_write_file) {
        TraceFlow flow;
        flow.technique = "read_write_file";
        flow.syscalls = names(read_then_write_file, file_reads, file_writes);
        flow.bytes = read_then_write_file;
        flow.description = "file -> user memory -> file: read from the page cache, then written into a file's page "
                           "cache";
        flow.expected_cpu_copies = 2;
        flow.expected_from = "kernel code";
        flow.measured_copy_bytes = 2 * read_then_write_file;
        judge(flow, 0, inputs);
        file_flows.push_back(std::move(flow));
    }
    // sendfile() to a file: do_splice_direct splices the source's pages into
    // an internal pipe and writes them into the destination's page cache,
    // one copy (fs/splice.c); what it returned beyond its socket sends went
    // to files.
    const std::uint64_t sendfile_to_files =
        sendfile_returned.bytes - std::min(sendfile_returned.bytes, sendfile_pages.bytes + sendfile_copied.bytes);
    if (sendfile_to_files) {
        TraceFlow flow;
        flow.technique = "sendfile_file";
        flow.syscalls = names(sendfile_to_files, sendfile_returned);
        flow.bytes = sendfile_to_files;
        flow.description = "file -> file by sendfile(), through the kernel's internal pipe into the destination's "
                           "page cache (copies measured as pages new to the destination's cache)";
        hold_to_row(flow, "sendfile_file");
        flow.measured_copy_bytes = std::min(sendfile_file_writes.bytes, sendfile_to_files);
        judge(flow, 0, inputs);
        file_flows.push_back(std::move(flow));
    }

    std::uint64_t total = 0;
    for (const TraceFlow& flow : flows)
        total += flow.bytes;
    for (TraceFlow& flow : flows) {
        if (!flow.theory_row.empty()) {
            hold_to_row(flow, flow.theory_row);
            if (flow.technique == "splice" && no_sg) {
                flow.expected_cpu_copies = 1;
                flow.expected_from = "kernel code";
                flow.reason = "\"splice\" says 0, for a device that gathers; " + inputs.device +
                              " has SG off, so each page is copied";
            }
        }
        // Copies at the device fall on every flow that left through it.
        const std::uint64_t device_share =
            total ? static_cast<std::uint64_t>(static_cast<double>(inputs.device_linearize) *
                                               static_cast<double>(flow.bytes) / static_cast<double>(total))
                  : 0;
        flow.measured_copy_bytes += device_share;
        judge(flow, device_share, inputs);
    }
    flows.insert(flows.end(), file_flows.begin(), file_flows.end());
    std::stable_sort(flows.begin(), flows.end(),
                     [](const TraceFlow& a, const TraceFlow& b) { return a.bytes > b.bytes; });
    return flows;
}

TraceSample sample_trace(const RawCounters& raw, double elapsed_seconds, const TraceSample* previous)
{
    TraceSample sample;
    sample.elapsed_seconds = elapsed_seconds;
    sample.bytes_sent = raw.syscalls.send_bytes;
    sample.receive_copy_bytes = raw.net.receiver_copy_bytes;
    sample.cpu_copy_bytes = copy_bytes(raw, Technique::read_write);
    if (sample.bytes_sent)
        sample.cpu_copies = ratio(sample.cpu_copy_bytes.total, sample.bytes_sent);
    sample.spliced_bytes = raw.syscalls.spliced_bytes;
    sample.syscalls = raw.syscall_entries;
    sample.page_cache_lookup_pages =
        raw.memory.get_pages_pages + raw.memory.map_pages_pages + raw.memory.filemap_faults;
    sample.page_cache_misses = raw.memory.added_pages;
    sample.processes = raw.processes.size();
    const double since = previous ? elapsed_seconds - previous->elapsed_seconds : elapsed_seconds;
    sample.interval_seconds = since;
    if (since > 0) {
        const auto rate = [&](std::uint64_t now, std::uint64_t before) {
            return now >= before ? static_cast<double>(now - before) / since : 0.0;
        };
        sample.bytes_sent_per_second = rate(sample.bytes_sent, previous ? previous->bytes_sent : 0);
        sample.cpu_copy_bytes_per_second =
            rate(sample.cpu_copy_bytes.total, previous ? previous->cpu_copy_bytes.total : 0);
        sample.syscalls_per_second = rate(sample.syscalls, previous ? previous->syscalls : 0);
    }
    return sample;
}

Verdict overall_verdict(const std::vector<TraceFlow>& flows)
{
    if (flows.empty())
        return Verdict::no_theory;
    bool explained = false;
    for (const TraceFlow& flow : flows) {
        if (flow.verdict == Verdict::mismatch || flow.verdict == Verdict::invalid)
            return flow.verdict;
        explained = explained || flow.verdict == Verdict::environment || flow.verdict == Verdict::explained;
    }
    return explained ? Verdict::explained : Verdict::match;
}

namespace {

TraceFigures figures_of(const zc_proc_stats& p)
{
    TraceFigures f;
    f.bytes_sent = p.send_bytes;
    f.payload_at_device = p.xmit_payload_bytes;
    CopyBytes& c = f.cpu_copy_bytes;
    c.file_to_user = p.file_to_user_bytes;
    c.user_to_socket = p.user_copy_bytes;
    c.page_cache_to_socket = p.spliced_copied_bytes;
    c.kernel_to_socket = p.kernel_copy_bytes;
    c.device_linearize = p.xmit_linear_payload_bytes;
    c.total = c.file_to_user + c.user_to_socket + c.page_cache_to_socket + c.kernel_to_socket + c.device_linearize;
    if (f.bytes_sent)
        f.cpu_copies = ratio(c.total, f.bytes_sent);
    f.file_copy_bytes.user_to_page_cache = p.user_to_page_cache_bytes;
    f.receive_copy_bytes = p.receive_copy_bytes;
    f.zerocopy_copied_at_receiver_bytes = p.zerocopy_copied_at_receive_bytes;
    f.syscalls = p.syscalls;
    f.mode_switches = 2 * p.syscalls;
    f.context_switches = {p.voluntary_switches, p.involuntary_switches};
    f.page_faults = p.page_faults;
    f.page_cache.lookup_pages = p.page_cache_lookup_pages;
    f.page_cache.misses = p.page_cache_added_pages;
    f.page_cache.hits = p.page_cache_lookup_pages > p.page_cache_added_pages
                            ? p.page_cache_lookup_pages - p.page_cache_added_pages
                            : 0;
    if (p.page_cache_lookup_pages)
        f.page_cache.hit_ratio = ratio(f.page_cache.hits, p.page_cache_lookup_pages);
    f.disk_read_bytes = p.disk_read_bytes;
    f.disk_write_bytes = p.disk_write_bytes;
    if (f.bytes_sent)
        f.syscalls_per_mib_sent = ratio(p.syscalls, f.bytes_sent / kMiB);
    return f;
}

TraceFigures total_figures(const TraceObservation& observation)
{
    const RawCounters& raw = observation.counters;
    TraceFigures f;
    f.bytes_sent = raw.syscalls.send_bytes;
    const SocketStats sockets = socket_stats(raw);
    f.payload_at_device = sockets.bytes - sockets.header_bytes;
    // The payload buffer of `run`'s own workloads does not exist here, so
    // copy-on-write copies are not known by address (cow stays 0).
    f.cpu_copy_bytes = copy_bytes(raw, Technique::read_write);
    if (f.bytes_sent)
        f.cpu_copies = ratio(f.cpu_copy_bytes.total, f.bytes_sent);
    f.file_copy_bytes.user_to_page_cache = raw.syscalls.user_to_page_cache_bytes;
    for (const auto& entry : raw.syscall_bytes)
        if (entry.kind == ZC_BYTES_PAGE_CACHE_COPY)
            f.file_copy_bytes.page_cache_to_page_cache += entry.bytes;
    f.receive_copy_bytes = raw.net.receiver_copy_bytes;
    f.zerocopy_copied_at_receiver_bytes = raw.net.rx_zerocopy_copied_bytes;
    for (const auto& [nr, count] : raw.syscall_counts) {
        f.syscalls_by_name[syscall_name(nr)] += count;
        f.syscalls += count;
    }
    if (f.bytes_sent)
        f.syscalls_per_mib_sent = ratio(f.syscalls, f.bytes_sent / kMiB);
    // Counted at exit: every call counted entered and left the kernel once.
    f.mode_switches = 2 * raw.syscall_entries;
    f.context_switches = {raw.sched.voluntary, raw.sched.involuntary};
    f.page_faults = raw.memory.user_faults.total + raw.memory.kernel_faults.total;
    const std::uint64_t lookups = raw.memory.get_pages_pages + raw.memory.map_pages_pages + raw.memory.filemap_faults;
    f.page_cache.lookup_pages = lookups;
    f.page_cache.misses = raw.memory.added_pages;
    f.page_cache.hits = lookups > raw.memory.added_pages ? lookups - raw.memory.added_pages : 0;
    if (lookups)
        f.page_cache.hit_ratio = ratio(f.page_cache.hits, lookups);
    f.disk_read_bytes = raw.block.read_bytes;
    f.disk_write_bytes = raw.block.write_bytes;
    f.cpu_seconds = observation.cpu_seconds;
    if (observation.cpu_seconds && f.bytes_sent)
        f.cpu_seconds_per_gib_sent = *observation.cpu_seconds / (static_cast<double>(f.bytes_sent) / kGiB);
    return f;
}

std::string target_label(const TraceObservation& observation, const std::vector<TraceProcess>& processes)
{
    const TraceSpec& spec = observation.spec;
    if (!spec.command.empty())
        return spec.command.front();
    if (observation.cgroup)
        return "cgroup " + observation.cgroup->path;
    std::string label;
    for (pid_t pid : spec.pids) {
        std::string comm;
        if (auto identity = observation.identities.find(static_cast<std::uint32_t>(pid));
            identity != observation.identities.end())
            comm = identity->second.comm;
        for (const TraceProcess& process : processes)
            if (process.pid == static_cast<std::uint32_t>(pid))
                comm = process.comm;
        label += (label.empty() ? "" : ", ") + (comm.empty() ? "" : comm + " ") + "(pid " + std::to_string(pid) + ")";
    }
    return label;
}

// Sorts the busiest first by busy(item) and keeps the first `most`;
// returns how many were left out.
template <typename Item, typename Busy>
std::uint64_t keep_busiest(std::vector<Item>& items, std::size_t most, Busy busy)
{
    std::stable_sort(items.begin(), items.end(), [&](const Item& a, const Item& b) { return busy(a) > busy(b); });
    const std::uint64_t left_out = items.size() > most ? items.size() - most : 0;
    items.resize(std::min(items.size(), most));
    return left_out;
}

// The kernel's dev_t (12 bits of major above 20 of minor) as mountinfo
// writes it: "major:minor".
std::string device_name(std::uint32_t dev)
{
    return std::to_string(dev >> 20) + ":" + std::to_string(dev & 0xfffff);
}

// The report lists this many sockets, the busiest first; a server's
// thousands of short connections are summed in the totals and counted in
// limits.connections_left_out.
constexpr std::size_t kMaxConnections = 200;

std::string endpoint(const zc_socket_figures& f, std::uint32_t address, std::uint16_t port)
{
    if (f.family != AF_INET)
        return "[ipv6]:" + std::to_string(ntohs(port));
    char text[INET_ADDRSTRLEN] = {};
    in_addr in{address};
    ::inet_ntop(AF_INET, &in, text, sizeof text);
    return std::string(text) + ":" + std::to_string(ntohs(port));
}

std::vector<TraceConnection> connections_of(const RawCounters& raw, const std::vector<TraceProcess>& processes,
                                            bool light_hooks, std::uint64_t& left_out)
{
    std::vector<TraceConnection> connections;
    for (const SocketCounters& socket : raw.sockets) {
        const zc_socket_figures& f = socket.figures;
        TraceConnection c;
        c.pid = f.tgid;
        for (const TraceProcess& process : processes)
            if (process.pid == f.tgid)
                c.comm = process.comm;
        c.local = endpoint(f, f.saddr, f.sport);
        c.remote = endpoint(f, f.daddr, f.dport);
        c.closed = f.closed != 0;
        c.send_calls = f.send_calls;
        c.sent = {f.user_copy_bytes, f.kernel_copy_bytes, f.spliced_bytes, f.spliced_copied_bytes, f.zerocopy_bytes};
        c.bytes_sent = f.user_copy_bytes + f.kernel_copy_bytes + f.spliced_bytes + f.spliced_copied_bytes +
                       f.zerocopy_bytes;
        c.at_device = {f.xmit_payload_bytes, f.xmit_shared_frag_bytes, f.xmit_zerocopy_frag_bytes,
                       f.xmit_copied_frag_bytes, f.xmit_linear_payload_bytes};
        // Light hooks see no syscall: what was copied shows at the device,
        // in frags holding a copy or in the linear area.
        c.cpu_copy_bytes =
            light_hooks ? f.xmit_copied_frag_bytes + f.xmit_linear_payload_bytes
                        : f.user_copy_bytes + f.kernel_copy_bytes + f.spliced_copied_bytes + f.xmit_linear_payload_bytes;
        c.resent_bytes = f.resent_bytes;
        c.receive_copy_bytes = f.receive_copy_bytes;
        c.zerocopy_copied_at_receiver_bytes = f.zerocopy_copied_at_receive_bytes;
        connections.push_back(std::move(c));
    }
    // What left at the device stands in for what was sent where no
    // syscall said (--hooks light).
    left_out = keep_busiest(connections, kMaxConnections, [](const TraceConnection& c) {
        return std::max(c.bytes_sent, c.at_device.payload_bytes) + c.receive_copy_bytes;
    });
    return connections;
}

constexpr std::size_t kMaxFiles = 200;

// The probes' names, from the file up to its filesystem's root, made a path
// under the filesystem's mount point.
std::string file_path(const zc_file_figures& f, const std::string& device,
                      const std::map<std::string, std::string>& mount_points)
{
    if (!f.has_path)
        return {};
    std::vector<std::string> parts;
    bool reached_root = false;
    for (const auto& part : f.path) {
        const std::string name(part, strnlen(part, sizeof part));
        if (name.empty())
            break;
        if (name == "/") {
            reached_root = true;
            break;
        }
        parts.push_back(name);
    }
    std::string path;
    for (auto it = parts.rbegin(); it != parts.rend(); ++it)
        path += "/" + *it;
    if (!reached_root)
        return "..." + path;
    const auto mount = mount_points.find(device);
    if (mount == mount_points.end() || mount->second == "/")
        return path.empty() ? "/" : path;
    return mount->second + path;
}

std::vector<TraceFile> files_of(const TraceObservation& observation, const std::vector<TraceProcess>& processes,
                                std::uint64_t& left_out)
{
    std::vector<TraceFile> files;
    for (const FileCounters& counters : observation.counters.files) {
        const zc_file_figures& f = counters.figures;
        TraceFile file;
        file.device = device_name(counters.key.dev);
        file.inode = counters.key.ino;
        file.path = file_path(f, file.device, observation.mount_points);
        file.pid = f.tgid;
        for (const TraceProcess& process : processes)
            if (process.pid == f.tgid)
                file.comm = process.comm;
        file.read_bytes = f.read_bytes;
        file.sent_by_reference_bytes = f.sent_by_reference_bytes;
        file.sent_copied_bytes = f.sent_copied_bytes;
        file.other_bytes = f.other_bytes;
        file.written_bytes = f.written_bytes;
        file.page_cache.lookup_pages = f.lookup_pages;
        file.page_cache.misses = f.added_pages;
        file.page_cache.hits = f.lookup_pages > f.added_pages ? f.lookup_pages - f.added_pages : 0;
        if (f.lookup_pages)
            file.page_cache.hit_ratio = ratio(file.page_cache.hits, f.lookup_pages);
        file.disk_read_pages = f.added_pages;
        file.disk_read_bytes = f.disk_read_bytes;
        file.disk_write_bytes = f.disk_write_bytes;
        file.written_pages = f.written_pages;
        file.mmap_faults = f.mmap_faults;
        file.mapped_pages = f.mapped_pages;
        files.push_back(std::move(file));
    }
    left_out = keep_busiest(files, kMaxFiles, [](const TraceFile& f) {
        return f.read_bytes + f.sent_by_reference_bytes + f.sent_copied_bytes + f.other_bytes + f.written_bytes +
               (f.page_cache.lookup_pages << 12) + f.disk_read_bytes + f.disk_write_bytes;
    });
    return files;
}

bool pins_user_pages(const TraceFlow& flow)
{
    return flow.technique == "msg_zerocopy" || flow.technique == "io_uring_send_zc";
}

// Zerocopy sends to a socket on this host are copied at delivery: what the
// probes saw there goes to the zerocopy flows, by their share of the bytes,
// with the kernel's own verdict where io_uring reported one.
void note_local_receiver_copies(TraceReport& report)
{
    const std::uint64_t copied = report.totals.zerocopy_copied_at_receiver_bytes;
    std::uint64_t pinned = 0;
    for (const TraceFlow& flow : report.flows)
        if (pins_user_pages(flow))
            pinned += flow.bytes;
    if (!pinned)
        return;
    for (TraceFlow& flow : report.flows)
        if (pins_user_pages(flow))
            flow.copied_at_local_receiver_bytes = static_cast<std::uint64_t>(
                static_cast<double>(copied) * static_cast<double>(flow.bytes) / static_cast<double>(pinned));
    if (copied)
        report.findings.push_back(
            "the kernel copied " + format_bytes(copied) + " of the " + format_bytes(pinned) +
            " sent from pinned user pages when they reached a socket on this host (skb_copy_ubufs before local "
            "delivery): zero-copy sending only saves the copy for traffic that leaves the host");
    if (report.io_uring && report.io_uring->zc_notifications)
        report.findings.push_back("the kernel's own verdict: " + std::to_string(report.io_uring->zc_notifications_copied) +
                                  " of " + std::to_string(report.io_uring->zc_notifications) +
                                  " io_uring send_zc notifications said the pages were copied "
                                  "(IORING_NOTIF_USAGE_ZC_COPIED)");
    if (report.io_uring && report.io_uring->cqe_overflows)
        report.findings.push_back(
            std::to_string(report.io_uring->cqe_overflows) +
            " io_uring completions found the completion ring full (io_uring_cqe_overflow): the kernel posts them "
            "later from its overflow list without io_uring_complete, so the bytes of those requests are missing from "
            "the figures; a ring with more CQ entries (IORING_SETUP_CQSIZE), or reaping sooner, avoids it");
}

std::string flow_words(const TraceFlow& flow)
{
    const std::string copies = flow.measured_copy_bytes == 0
                                   ? "0 B copied by the CPU"
                                   : format_figure(flow.measured_cpu_copies) + " copies by the CPU (" +
                                         format_bytes(flow.measured_copy_bytes) + ")";
    std::string syscalls;
    for (const std::string& name : flow.syscalls)
        syscalls += (syscalls.empty() ? "" : " + ") + name;
    if (flow.technique == "read_write_file" || flow.technique == "sendfile_file")
        syscalls += " to a file";
    const std::uint64_t at_receiver = flow.copied_at_local_receiver_bytes.value_or(0);
    std::string words =
        format_bytes(flow.bytes) + " by " + syscalls + ": " +
        (flow.measured_copy_bytes == 0 && flow.expected_cpu_copies == 0 && !at_receiver ? "ZERO-COPY, " : "") +
        copies + (at_receiver ? " on send, then " + format_bytes(at_receiver) + " copied for the local receiver" : "");
    if (!flow.theory_row.empty())
        words += flow.verdict == Verdict::match ? ", as " + row_reference(flow.theory_row) + " says"
                                                : "; " + row_reference(flow.theory_row) + " says " +
                                                      format_figure(flow.theory_cpu_copies.value_or(0));
    return words;
}

// --hooks light: no syscall says how the bytes were taken, so the headline
// says how they left the sockets.
std::string light_headline(const TraceReport& report, const std::string& label)
{
    const LightHooksSummary& l = *report.light;
    std::string line = label + ", " + format_bytes(l.payload_bytes) + " left its sockets in " +
                       format_fixed(report.seconds, 1) + " s (light hooks): " +
                       format_bytes(l.page_cache_frag_bytes) + " as page-cache references (0 copies: sendfile or splice), " +
                       format_bytes(l.zerocopy_frag_bytes) + " as pinned user pages, " + format_bytes(l.copied_bytes) +
                       " copied into the socket";
    if (l.cpu_copies_on_send)
        line += " (" + format_figure(*l.cpu_copies_on_send) + " copies on send)";
    return line + "; which syscalls moved them, and any copy before the socket (a read()), needs --hooks full";
}

std::string headline(const TraceReport& report, const std::string& label)
{
    if (report.light)
        return light_headline(report, label);
    const TraceFigures& t = report.totals;
    std::string line = label + ", " + format_bytes(t.bytes_sent) + " sent in " + format_fixed(report.seconds, 1) + " s";
    if (report.flows.empty())
        return line + ": nothing sent on TCP, so no technique to judge; " + quantity(t.syscalls, "syscall", "syscalls");
    line += ": " + flow_words(report.flows.front());
    for (std::size_t i = 1; i < report.flows.size(); ++i)
        line += "; " + flow_words(report.flows[i]);
    line += "; " + quantity(t.syscalls, "syscall", "syscalls");
    if (t.cpu_seconds_per_gib_sent)
        line += "; " + format_fixed(*t.cpu_seconds_per_gib_sent) + " CPU-s/GiB";
    return line;
}

}  // namespace

TraceReport build_trace_report(const TraceObservation& observation, const HostFacts& host)
{
    const RawCounters& raw = observation.counters;
    TraceReport report;
    report.tool = std::string("zctrace ") + ZCTRACE_VERSION;
    report.created_at = utc_now();
    report.kernel = host.kernel;

    TraceTargetInfo& target = report.target;
    if (!observation.spec.command.empty()) {
        target.kind = "command";
        target.command = observation.spec.command;
    } else if (observation.cgroup) {
        target.kind = "cgroup";
        target.cgroup = observation.cgroup->path;
        target.cgroup_id = observation.cgroup->id;
    } else {
        target.kind = "pids";
        for (pid_t pid : observation.spec.pids)
            target.pids.push_back(pid);
    }
    report.seconds = observation.seconds;
    report.ended_by = std::string(trace_end_name(observation.end));
    if (observation.command_pid) {
        CommandExit exit;
        if (WIFEXITED(observation.command_wait_status))
            exit.exit_code = WEXITSTATUS(observation.command_wait_status);
        else if (WIFSIGNALED(observation.command_wait_status))
            exit.signal = WTERMSIG(observation.command_wait_status);
        report.command_exit = exit;
    }

    report.totals = total_figures(observation);
    report.sockets = socket_stats(raw);
    for (const auto& entry : raw.syscall_bytes)
        report.syscall_bytes.push_back(
            {syscall_name(entry.nr), std::string(byte_kind_name(entry.kind)), entry.bytes});
    for (const auto& entry : raw.uring_bytes)
        report.syscall_bytes.push_back(
            {uring_request_name(entry.nr), std::string(byte_kind_name(entry.kind)), entry.bytes});
    if (raw.syscalls.uring_completions || raw.syscalls.uring_zc_notifs || raw.syscalls.uring_cqe_overflows) {
        TraceUring uring;
        uring.completions = raw.syscalls.uring_completions;
        for (const auto& [op, count] : raw.uring_requests)
            uring.requests_by_op[uring_request_name(op)] += count;
        uring.zc_notifications = raw.syscalls.uring_zc_notifs;
        uring.zc_notifications_copied = raw.syscalls.uring_zc_notifs_copied;
        uring.cqe_overflows = raw.syscalls.uring_cqe_overflows;
        report.io_uring = std::move(uring);
    }
    for (const DeviceStats& device : report.sockets.devices)
        report.devices.push_back({device.name, device.sg, device.dma_capable, device.payload_bytes,
                                  device.shared_frag_bytes, device.zerocopy_frag_bytes, device.copied_frag_bytes,
                                  device.linear_payload_bytes});
    for (const auto& [name, value] : observation.tcp_counters)
        report.tcp_counters[name] = value;

    FlowInputs inputs;
    inputs.syscall_bytes = report.syscall_bytes;
    inputs.device_linearize = report.totals.cpu_copy_bytes.device_linearize;
    for (const ProcessCounters& process : raw.processes)
        inputs.processes.push_back(
            {process.stats.file_to_user_bytes, process.stats.user_copy_bytes,
             process.stats.file_mapped_in_syscalls_bytes, process.stats.user_to_page_cache_bytes});
    const DeviceStats* main_device = nullptr;
    for (const DeviceStats& device : report.sockets.devices)
        if (!main_device || device.payload_bytes > main_device->payload_bytes)
            main_device = &device;
    if (main_device) {
        inputs.device = main_device->name;
        inputs.device_sg = main_device->sg;
    }
    for (const FileCounters& file : raw.files)
        if (file.figures.other_bytes) {
            if (auto fs = observation.filesystems.find(device_name(file.key.dev)); fs != observation.filesystems.end())
                inputs.copy_filesystem = fs->second;
        }
    report.flows = classify_flows(inputs);
    report.verdict = overall_verdict(report.flows);
    if (observation.spec.light_hooks) {
        report.hooks = "light";
        LightHooksSummary light;
        for (const TraceDevice& device : report.devices) {
            light.payload_bytes += device.payload_bytes;
            light.page_cache_frag_bytes += device.shared_frag_bytes;
            light.zerocopy_frag_bytes += device.zerocopy_frag_bytes;
            light.copied_bytes += device.copied_frag_bytes + device.linear_payload_bytes;
        }
        if (light.payload_bytes)
            light.cpu_copies_on_send = ratio(light.copied_bytes, light.payload_bytes);
        report.light = light;
        report.unattributed.push_back(
            {"syscalls, page faults, context switches, page cache and disk", std::nullopt,
             "--hooks light attaches no hook on them, so that the rest of the host does not pay for them; "
             "their figures here are zero because nothing counted them, not because nothing happened"});
    }
    note_local_receiver_copies(report);

    for (const ProcessCounters& counters : raw.processes) {
        TraceProcess process;
        process.pid = counters.tgid;
        process.exited = counters.stats.exited != 0;
        process.comm.assign(counters.stats.comm, strnlen(counters.stats.comm, sizeof counters.stats.comm));
        // The probes' comm: taken at the first event and again at each exec,
        // so it is never older than what /proc said.
        if (auto identity = observation.identities.find(counters.tgid); identity != observation.identities.end()) {
            process.cmdline = identity->second.cmdline;
            process.ppid = static_cast<std::uint32_t>(identity->second.ppid);
            for (pid_t ns_pid : identity->second.ns_pids)
                process.ns_pids.push_back(ns_pid);
        }
        if (process.ns_pids.empty()) {
            process.ns_pids.push_back(counters.tgid);
            if (counters.stats.ns_pid && counters.stats.ns_pid != counters.tgid)
                process.ns_pids.push_back(counters.stats.ns_pid);
        }
        process.figures = figures_of(counters.stats);
        report.processes.push_back(std::move(process));
    }

    TraceLimits& limits = report.limits;
    limits.max_procs = observation.spec.max_procs;
    limits.forks_not_followed = raw.tracking.forks_not_followed;
    limits.procs_not_counted = raw.tracking.procs_not_counted;
    limits.sockets_not_listed = raw.tracking.sockets_not_listed;
    limits.max_sockets = observation.spec.max_sockets;
    limits.sends_on_untracked_sockets = raw.tracking.sends_on_untracked_sockets;
    report.connections =
        connections_of(raw, report.processes, observation.spec.light_hooks, limits.connections_left_out);
    limits.files_not_listed = raw.tracking.files_not_listed;
    report.files = files_of(observation, report.processes, limits.files_left_out);

    // Findings: what a person needs beyond the flows.
    const TraceFigures& t = report.totals;
    if (t.receive_copy_bytes)
        report.findings.push_back("the program received " + format_bytes(t.receive_copy_bytes) +
                                  " from its sockets, each byte copied once into its memory (skb_copy_datagram_iovec)");
    const auto bytes_in_flows = [&report](std::initializer_list<std::string_view> techniques) {
        std::uint64_t bytes = 0;
        for (const TraceFlow& flow : report.flows)
            if (std::find(techniques.begin(), techniques.end(), flow.technique) != techniques.end())
                bytes += flow.bytes;
        return bytes;
    };
    const std::uint64_t read_into_flows = bytes_in_flows({"read_write", "read_write_file"});
    if (t.cpu_copy_bytes.file_to_user > read_into_flows)
        report.findings.push_back(format_bytes(t.cpu_copy_bytes.file_to_user - read_into_flows) +
                                  " read from files into memory was neither sent on a socket nor written to a file "
                                  "(1 copy each; counted in the CPU copies)");
    const std::uint64_t written_in_flows = bytes_in_flows({"read_write_file"});
    if (t.file_copy_bytes.user_to_page_cache > written_in_flows)
        report.findings.push_back(format_bytes(t.file_copy_bytes.user_to_page_cache - written_in_flows) +
                                  " written into files from memory the program filled itself (1 copy each, "
                                  "file_copy_bytes.user_to_page_cache)");
    std::uint64_t teed = 0;
    for (const SyscallBytes& entry : report.syscall_bytes)
        if (entry.syscall == "tee" && entry.moved == "returned")
            teed += entry.bytes;
    if (teed)
        report.findings.push_back("tee() duplicated " + format_bytes(teed) +
                                  " from pipe to pipe as page references (fs/splice.c link_pipe takes a reference "
                                  "on each buffer): no copy; the flows count where the duplicates went");
    if (report.sockets.resent_payload_bytes)
        report.findings.push_back("TCP resent " + format_bytes(report.sockets.resent_payload_bytes) + " (" +
                                  format_bytes(report.sockets.resent_linear_payload_bytes) + " of it copied again)");
    if (limits.forks_not_followed || limits.procs_not_counted)
        report.findings.push_back("the --max-procs cap (" + std::to_string(limits.max_procs) + ") was hit: " +
                                  std::to_string(limits.forks_not_followed) + " forks were not followed and " +
                                  std::to_string(limits.procs_not_counted) +
                                  " processes are in the totals but not listed; raise --max-procs");
    if (limits.files_not_listed)
        report.findings.push_back(std::to_string(limits.files_not_listed) + " files did not fit in the file table (" +
                                  std::to_string(TraceTarget{}.max_files) +
                                  " entries): they are in the totals but not in `files`");
    if (limits.sockets_not_listed)
        report.findings.push_back(std::to_string(limits.sockets_not_listed) +
                                  " sockets did not fit in the socket table (--max-sockets " +
                                  std::to_string(limits.max_sockets) +
                                  "): they are in the totals but not in `connections`; raise --max-sockets");
    if (limits.sends_on_untracked_sockets)
        report.findings.push_back(std::to_string(limits.sends_on_untracked_sockets) +
                                  " sends went out on sockets that did not fit in the sender-socket table "
                                  "(--max-sockets " + std::to_string(limits.max_sockets) +
                                  "): their bytes are in the send totals, but what they put on the wire is not in "
                                  "the xmit figures (sockets.payload_bytes and its frags); raise --max-sockets");

    report.unattributed.push_back(
        {"writeback", std::nullopt,
         "dirty pages the program wrote are flushed later by kernel threads (kworker), which are not traced; "
         "disk_write_bytes counts only the bios the traced tasks submitted themselves"});
    report.unattributed.push_back(
        {"softirq receive work", std::nullopt,
         "packets arriving for the program's sockets are processed in softirq on behalf of whoever runs on that "
         "CPU; their copies into the program's memory are counted (receive_copy_bytes), the protocol work is not"});
    if (report.sockets.unattributed_device_bytes)
        report.unattributed.push_back({"device bytes", report.sockets.unattributed_device_bytes,
                                       "two devices shared one counter slot, so these bytes have no device"});

    report.cpu_seconds_from = observation.cpu_seconds_from;
    for (const AttachedProbe& probe : observation.probes)
        report.probes.push_back({probe.group, probe.program, probe.hook, probe.attach_type});
    Overhead& overhead = report.overhead;
    overhead = probe_overhead(observation.program_stats, observation.attach_seconds, observation.probe_clock);
    overhead.interval = "trace";
    OverheadSampling& sampling = report.overhead_sampling;
    sampling.traced_seconds = observation.seconds;
    sampling.bpf_stats_seconds = std::min(observation.bpf_stats_seconds, observation.seconds);
    sampling.sampled_fraction =
        observation.seconds > 0 && sampling.bpf_stats_seconds > 0 ? sampling.bpf_stats_seconds / observation.seconds : 1;
    // The programs count and time their own runs for the whole trace; the
    // bpf_stats windows (--bpf-stats windows) give the kernel's figure for
    // the same runs, scaled from the windows to the trace.
    if (overhead.bpf_stats) {
        sampling.estimated_bpf_run_ns =
            static_cast<std::uint64_t>(static_cast<double>(overhead.bpf_stats->run_ns) / sampling.sampled_fraction);
        sampling.estimated_events =
            static_cast<std::uint64_t>(static_cast<double>(overhead.bpf_stats->events) / sampling.sampled_fraction);
    }
    if (overhead.bpf_stats && observation.spec.bpf_stats == BpfStatsMode::windows) {
        overhead.bpf_stats->mode = "windows";
        overhead.bpf_stats->seconds_on = sampling.bpf_stats_seconds;
    }
    if (observation.cpu_seconds && *observation.cpu_seconds > 0) {
        overhead.share_of_workload_cpu = ratio(overhead.bpf_run_ns, *observation.cpu_seconds * 1e9);
        overhead.share_of_sender_cpu = overhead.share_of_workload_cpu;
        if (overhead.bpf_stats)
            overhead.bpf_stats->estimated_share_of_workload_cpu =
                ratio(static_cast<double>(overhead.bpf_stats->estimated_run_ns), *observation.cpu_seconds * 1e9);
    }

    report.headline = headline(report, target_label(observation, report.processes));
    // The export's label: no pid in it, so that a restarted server keeps its series.
    if (target.kind == "command") {
        target.label = std::filesystem::path(target.command.front()).filename().string();
    } else if (target.kind == "cgroup") {
        target.label = target.cgroup;
    } else {
        const std::uint32_t first = static_cast<std::uint32_t>(observation.spec.pids.front());
        auto identity = observation.identities.find(first);
        target.label = identity != observation.identities.end() ? identity->second.comm
                                                                : "pid " + std::to_string(first);
    }
    return report;
}

}  // namespace zctrace
