// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "output/trace_text.hpp"

#include <algorithm>
#include <sstream>

#include "base/units.hpp"
#include "output/terminal.hpp"

namespace zctrace {
namespace {

std::string percent(std::optional<double> value)
{
    return value ? format_fixed(*value * 100, 1) + "%" : "-";
}

constexpr std::size_t kRowsShown = 10;

// The start of a long name (a path's directories, an address) matters
// least: keep its end.
std::string keep_tail(const std::string& text, std::size_t width)
{
    if (display_width(text) <= width || width < 2)
        return text;
    std::size_t start = text.size() - (width - 1);
    while (start < text.size() && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80)
        ++start;  // not inside a UTF-8 sequence
    return "\u2026" + text.substr(start);
}

bool is_zero(const std::string& cell)
{
    return cell == "0" || cell == "0 B" || cell == "-";
}

// Columns from the third on are numbers, aligned right; a number column
// that is zero in every row shown is named below the table instead. Past
// `width` the first column, the name, gives up its start, down to
// kNarrowestName.
std::string table(std::vector<std::string> header, std::vector<std::vector<std::string>> cells,
                  std::size_t rows_in_report, std::size_t width)
{
    constexpr std::size_t kIndent = 4, kGap = 2, kNarrowestName = 22;
    std::vector<std::string> all_zero;
    for (std::size_t c = header.size(); c-- > 2;) {
        if (cells.empty() || !std::all_of(cells.begin(), cells.end(), [c](const auto& row) { return is_zero(row[c]); }))
            continue;
        all_zero.insert(all_zero.begin(), header[c]);
        header.erase(header.begin() + static_cast<std::ptrdiff_t>(c));
        for (auto& row : cells)
            row.erase(row.begin() + static_cast<std::ptrdiff_t>(c));
    }
    std::vector<std::size_t> widths(header.size());
    for (std::size_t c = 0; c < header.size(); ++c) {
        widths[c] = display_width(header[c]);
        for (const auto& row : cells)
            widths[c] = std::max(widths[c], display_width(row[c]));
    }
    std::size_t total = kIndent + kGap * (widths.size() - 1);
    for (const std::size_t w : widths)
        total += w;
    if (width && total > width && widths[0] > kNarrowestName) {
        widths[0] = std::max(kNarrowestName, widths[0] - std::min(widths[0], total - width));
        for (auto& row : cells)
            row[0] = keep_tail(row[0], widths[0]);
    }
    std::ostringstream out;
    auto line = [&](const std::vector<std::string>& row) {
        out << std::string(kIndent, ' ');
        for (std::size_t c = 0; c < row.size(); ++c)
            out << pad_to(row[c], widths[c], c >= 2) << (c + 1 < row.size() ? std::string(kGap, ' ') : "");
        out << "\n";
    };
    line(header);
    for (const auto& row : cells)
        line(row);
    if (rows_in_report > cells.size())
        out << "    ... and " << rows_in_report - cells.size() << " more in trace.json\n";
    if (!all_zero.empty()) {
        std::string names;
        for (const std::string& name : all_zero)
            names += (names.empty() ? "" : ", ") + name;
        out << wrap("(0 or none in every row shown: " + names + ")", width, 4, 5);
    }
    return out.str();
}

std::string process_table(const TraceReport& report, std::size_t width)
{
    // Busiest first; a server's idle workers stay off the first screen.
    std::vector<const TraceProcess*> rows;
    for (const TraceProcess& process : report.processes)
        rows.push_back(&process);
    const bool light = report.hooks == "light";
    const auto busy = [light](const TraceFigures& f) {
        return light ? f.payload_at_device + f.receive_copy_bytes : f.bytes_sent + f.syscalls;
    };
    std::stable_sort(rows.begin(), rows.end(), [&](const TraceProcess* a, const TraceProcess* b) {
        return busy(a->figures) > busy(b->figures);
    });
    std::vector<std::vector<std::string>> cells;
    for (std::size_t i = 0; i < rows.size() && i < kRowsShown; ++i) {
        const TraceProcess& p = *rows[i];
        std::string pid = std::to_string(p.pid);
        if (p.ns_pids.size() > 1 && p.ns_pids.back() != static_cast<std::int64_t>(p.pid))
            pid += " (" + std::to_string(p.ns_pids.back()) + ")";
        // Light hooks count no syscall: what left its sockets is all there is.
        if (light) {
            cells.push_back({pid, p.comm + (p.exited ? " (exited)" : ""), format_bytes(p.figures.payload_at_device),
                             format_bytes(p.figures.receive_copy_bytes)});
            continue;
        }
        cells.push_back({pid, p.comm + (p.exited ? " (exited)" : ""), format_bytes(p.figures.bytes_sent),
                         // every copy, files' included; `copies` is over what was sent
                         format_bytes(p.figures.cpu_copy_bytes.total + p.figures.file_copy_bytes.user_to_page_cache +
                                      p.figures.file_copy_bytes.page_cache_to_page_cache),
                         p.figures.cpu_copies ? format_figure(*p.figures.cpu_copies) : "-",
                         std::to_string(p.figures.syscalls), format_bytes(p.figures.receive_copy_bytes),
                         percent(p.figures.page_cache.hit_ratio)});
    }
    if (light)
        return table({"pid", "comm", "left at the device", "received"}, cells, rows.size(), width);
    return table({"pid", "comm", "sent", "CPU copied", "copies", "syscalls", "received", "cache hits"}, cells,
                 rows.size(), width);
}

// The remote end as ":port" when it shares the local address (loopback),
// so the row keeps both ports within the width.
std::string peer_of(const TraceConnection& connection)
{
    const auto host = [](const std::string& end) { return end.substr(0, end.rfind(':')); };
    if (connection.local.rfind(':') != std::string::npos && connection.remote.rfind(':') != std::string::npos &&
        host(connection.local) == host(connection.remote))
        return connection.remote.substr(connection.remote.rfind(':'));
    return connection.remote;
}

// Already the busiest first (build_trace_report sorts them).
std::string connection_table(const TraceReport& report, std::size_t width)
{
    std::vector<std::vector<std::string>> cells;
    // Light hooks see no syscall: what left at the device stands for what was sent.
    const bool light = report.hooks == "light";
    for (std::size_t i = 0; i < report.connections.size() && i < kRowsShown; ++i) {
        const TraceConnection& c = report.connections[i];
        const std::uint64_t by_reference = light ? c.at_device.page_cache_frag_bytes + c.at_device.zerocopy_frag_bytes
                                                 : c.sent.spliced + c.sent.zerocopy;
        cells.push_back({c.local + " -> " + peer_of(c),
                         std::to_string(c.pid) + " " + c.comm,
                         format_bytes(light ? c.at_device.payload_bytes : c.bytes_sent), format_bytes(by_reference),
                         format_bytes(c.cpu_copy_bytes),
                         format_bytes(c.at_device.page_cache_frag_bytes), format_bytes(c.at_device.zerocopy_frag_bytes),
                         format_bytes(c.resent_bytes), format_bytes(c.receive_copy_bytes)});
    }
    return table({"socket", "process", light ? "at the device" : "sent", "by ref", "copied", "cache frags",
                  "pinned frags", "resent", "received"},
                 cells, report.connections.size() + report.limits.connections_left_out, width);
}

// Already the busiest first (build_trace_report sorts them).
std::string file_table(const TraceReport& report, std::size_t width)
{
    std::vector<std::vector<std::string>> cells;
    for (std::size_t i = 0; i < report.files.size() && i < kRowsShown; ++i) {
        const TraceFile& f = report.files[i];
        cells.push_back({f.path.empty() ? "dev " + f.device + " inode " + std::to_string(f.inode) : f.path,
                         std::to_string(f.pid) + " " + f.comm, format_bytes(f.read_bytes),
                         format_bytes(f.sent_by_reference_bytes), format_bytes(f.sent_copied_bytes),
                         format_bytes(f.other_bytes), format_bytes(f.written_bytes),
                         std::to_string(f.page_cache.lookup_pages),
                         std::to_string(f.page_cache.misses), format_bytes(f.disk_read_bytes),
                         format_bytes(f.disk_write_bytes), std::to_string(f.mmap_faults)});
    }
    return table({"file", "process", "read()", "sent by ref", "sent copied", "other", "write()", "lookups", "misses",
                  "disk read", "disk write", "faults"},
                 cells, report.files.size() + report.limits.files_left_out, width);
}

}  // namespace

std::string render_trace(const TraceReport& report, std::size_t width)
{
    std::ostringstream out;
    const TraceFigures& t = report.totals;
    out << wrap(report.headline, width, 0, 2);
    if (!report.flows.empty()) {
        out << "  flows, by the syscalls that returned the bytes:\n";
        for (const TraceFlow& flow : report.flows)
            out << wrap(flow.technique + " (" + std::string(verdict_name(flow.verdict)) + "): " +
                            format_bytes(flow.bytes) + ", " + flow.description + "; " +
                            format_bytes(flow.measured_copy_bytes) + " copied by the CPU (" +
                            format_figure(flow.measured_cpu_copies) + " copies, " + flow.expected_from + " says " +
                            format_figure(flow.expected_cpu_copies) + "): " + flow.reason,
                        width, 4, 6);
    }
    if (!report.findings.empty()) {
        out << "  findings:\n";
        for (const std::string& finding : report.findings)
            out << wrap("- " + finding, width, 4, 6);
    }
    out << "  processes (" << report.processes.size() << "):\n" << process_table(report, width);
    if (!report.connections.empty()) {
        const auto closed = std::count_if(report.connections.begin(), report.connections.end(),
                                          [](const TraceConnection& c) { return c.closed; });
        out << "  TCP sockets (" << report.connections.size() + report.limits.connections_left_out
            << (closed ? ", " + std::to_string(closed) + " of them closed" : std::string()) << "; by ref: spliced "
            << "or pinned pages, copied: by the CPU):\n"
            << connection_table(report, width);
    }
    if (!report.files.empty())
        out << "  files (" << report.files.size() + report.limits.files_left_out << "):\n" << file_table(report, width);

    // Light hooks counted none of these: zeros would read as "nothing happened".
    if (report.hooks != "light") {
        std::vector<std::pair<std::string, std::uint64_t>> busiest(t.syscalls_by_name.begin(), t.syscalls_by_name.end());
        std::stable_sort(busiest.begin(), busiest.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
        std::string by_name;
        for (std::size_t i = 0; i < busiest.size() && i < 6; ++i)
            by_name += (i ? ", " : "") + busiest[i].first + " " + std::to_string(busiest[i].second);
        if (busiest.size() > 6)
            by_name += ", ...";
        out << wrap("counted: " + quantity(t.syscalls, "syscall", "syscalls") + (by_name.empty() ? "" : " (" + by_name + ")") +
                        ", " + std::to_string(t.mode_switches) + " mode switches, " +
                        std::to_string(t.context_switches.voluntary) + " voluntary + " +
                        std::to_string(t.context_switches.involuntary) + " involuntary context switches, " +
                        quantity(t.page_faults, "page fault", "page faults"),
                    width, 2, 4);
        out << wrap("page cache: " + std::to_string(t.page_cache.lookup_pages) + " pages looked up, " +
                        std::to_string(t.page_cache.misses) + " misses (" + percent(t.page_cache.hit_ratio) +
                        " hits); the disk read " + format_bytes(t.disk_read_bytes) + " and wrote " +
                        format_bytes(t.disk_write_bytes) + " for the traced tasks",
                    width, 2, 4);
    }
    for (const TraceDevice& device : report.devices)
        out << wrap("device " + device.name + " (SG " + (device.sg ? "on" : "off") +
                        (device.dma_capable ? ", hardware" : ", software") + "): " + format_bytes(device.payload_bytes) +
                        " of payload: " + format_bytes(device.shared_frag_bytes) + " as page-cache frags, " +
                        format_bytes(device.zerocopy_frag_bytes) + " as pinned user pages, " +
                        format_bytes(device.copied_frag_bytes) + " in frags holding a copy, " +
                        format_bytes(device.linear_payload_bytes) + " linear",
                    width, 2, 4);
    std::string time = "time: " + format_fixed(report.seconds, 2) + " s traced (ended: " + report.ended_by + ")";
    if (t.cpu_seconds)
        time += "; CPU " + format_fixed(*t.cpu_seconds, 3) + " s" +
                (t.cpu_seconds_per_gib_sent ? " (" + format_fixed(*t.cpu_seconds_per_gib_sent) + " CPU-s/GiB sent)" : "") +
                ", from " + report.cpu_seconds_from;
    out << wrap(time, width, 2, 4);
    const Overhead& o = report.overhead;
    // Every run counts, for every process on the host: the filter that
    // turns the others away is part of zctrace's cost too.
    const OverheadSampling& sampled = report.overhead_sampling;
    const std::string windows =
        o.bpf_stats ? "; bpf_stats " + (sampled.sampled_fraction < 0.999
                                            ? "in windows (" + format_fixed(sampled.bpf_stats_seconds, 2) + " s of " +
                                                  format_fixed(sampled.traced_seconds, 2) + " s) read about " +
                                                  format_fixed(static_cast<double>(o.bpf_stats->estimated_run_ns
                                                                                       ? o.bpf_stats->estimated_run_ns
                                                                                       : sampled.estimated_bpf_run_ns) /
                                                                   1e6,
                                                               1) +
                                                  " ms for every run"
                                            : "read " + format_fixed(static_cast<double>(o.bpf_stats->run_ns_less_clock) / 1e6, 1) +
                                                  " ms less its clock")
                    : std::string();
    const std::string floor = sampled_floor_note(o);
    out << wrap("probes: " + std::to_string(o.events) + " runs on the whole host (the filter included), " +
                    probe_ns_per_run(o) + " ns each" + (floor.empty() ? std::string() : " (" + floor + ")") +
                    windows +
                    (o.share_of_workload_cpu > 0 ? ", as much CPU as " + format_fixed(o.share_of_workload_cpu * 100) +
                                                       "% of the traced processes' own"
                                                 : std::string()) +
                    "; attached in " + format_fixed(o.attach_seconds * 1000, 1) + " ms; zctrace's peak RSS " +
                    format_bytes(o.zctrace_peak_rss_bytes),
                width, 2, 4);
    for (const Unattributed& item : report.unattributed)
        out << wrap("not attributed: " + item.what + (item.bytes ? " (" + format_bytes(*item.bytes) + ")" : "") + ": " +
                        item.why,
                    width, 2, 4);
    if (report.command_exit) {
        if (report.command_exit->exit_code)
            out << "  command: exited with status " << *report.command_exit->exit_code << "\n";
        else if (report.command_exit->signal)
            out << "  command: killed by signal " << *report.command_exit->signal << "\n";
    }
    return out.str();
}

}  // namespace zctrace
