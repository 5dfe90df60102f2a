// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "output/terminal.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <map>

#include "base/units.hpp"

namespace zctrace {

namespace {

std::string milliseconds(double seconds)
{
    return format_figure(seconds * 1000, 1) + " ms";
}

std::string call_list(const std::map<std::string, std::uint64_t>& calls)
{
    std::string text;
    for (const auto& [name, count] : calls)
        text += (text.empty() ? "" : ", ") + name + " " + std::to_string(count);
    return text;
}

bool differs(const Check& check)
{
    return check.verdict != Verdict::match && check.verdict != Verdict::no_theory;
}

std::string counts_line(const Report& r)
{
    const Measured& m = r.measured;
    // With --repeat, counts (and the findings built on them) are the first
    // run's; say whether the others agreed.
    std::string of_which;
    if (r.workload.repeats && r.workload.repeats->runs > 1)
        of_which = std::string(" in run 1 of ") + std::to_string(r.workload.repeats->runs) +
                   (r.workload.repeats->count_differences.empty()
                        ? " (the technique's counts were the same in every run)"
                        : " (some counts moved between runs: see the findings)");
    return "counted" + of_which + ": " + quantity(m.syscalls.total, "syscall", "syscalls") +
           (m.syscalls.by_name.empty() ? "" : " (" + call_list(m.syscalls.by_name) + ")") + ", " +
           quantity(m.mode_switches, "mode switch", "mode switches") + ", " +
           std::to_string(m.context_switches.voluntary) + " voluntary + " +
           std::to_string(m.context_switches.involuntary) + " involuntary context switches, " +
           quantity(m.page_faults.user + m.page_faults.kernel, "page fault", "page faults");
}

// What happened to the file's pages. O_DIRECT bypasses the page cache, so
// its state says nothing about where the data came from.
std::string storage_line(const Report& r)
{
    const Measured& m = r.measured;
    const Environment& env = r.environment;
    const std::string where = env.filesystem + " on " + env.block_device;
    const bool direct = r.technique == "direct_io" || r.technique == "direct_io_send" ||
                        r.technique == "large_file_async_direct";
    if (direct)
        return "storage: O_DIRECT read " + format_bytes(m.dma_bytes.disk_read) + " from the disk (" + where +
               ") straight into user memory, past the page cache; " + quantity(m.page_cache.misses, "page", "pages") +
               " went through it";
    if (r.measured.cow)
        return "storage: the buffer was filled from " + where + " before the window; the window touches memory only";
    std::string text = "page cache (" + env.cache + "): " + quantity(m.page_cache.accessed_pages, "page", "pages") +
                       " looked up, " + std::to_string(m.page_cache.hits) + " hits, " +
                       std::to_string(m.page_cache.misses) + " misses";
    if (m.page_cache.mapped_pages)
        text += ", " + quantity(m.page_cache.mapped_pages, "file page", "file pages") + " mapped";
    return text + "; the disk read " + format_bytes(m.dma_bytes.disk_read) + " (" + where + ")";
}

std::string time_line(const Report& r)
{
    const WorkloadSummary& w = r.workload;
    std::string text = "time: " + format_bytes(w.bytes) + " in " + milliseconds(w.wall_seconds) + " (" +
                       format_fixed(w.mib_per_second, 0) + " MiB/s); sender CPU " + milliseconds(w.cpu_seconds) + " (" +
                       format_fixed(w.cpu_seconds_per_gib) + " CPU-s/GiB)";
    if (!w.repeats)
        return text;
    // Medians, with the spread of the runs behind each.
    const auto range = [&](const char* path, auto format) {
        const auto found = w.repeats->timed.find(path);
        return found == w.repeats->timed.end() ? std::string()
                                               : " [" + format(found->second.min) + " to " + format(found->second.max) + "]";
    };
    return "time, the median of " + quantity(w.repeats->runs, "run", "runs") +
           " [min to max]: " + format_bytes(w.bytes) + " in " + milliseconds(w.wall_seconds) +
           range("workload.wall_seconds", milliseconds) + " (" + format_fixed(w.mib_per_second, 0) + " MiB/s" +
           range("workload.mib_per_second", [](double v) { return format_fixed(v, 0); }) + "); sender CPU " +
           milliseconds(w.cpu_seconds) + range("workload.cpu_seconds", milliseconds) + " (" +
           format_fixed(w.cpu_seconds_per_gib) + " CPU-s/GiB" +
           range("workload.cpu_seconds_per_gib", [](double v) { return format_fixed(v); }) + ")";
}

// Where the sender's CPU time went, by the cost model's parts.
std::string cost_line(const CostModel& cost)
{
    std::string text = "where the sender's CPU went: " + milliseconds(cost.measured_seconds) + " =";
    const char* names[] = {"copies", "mode switches", "page faults", "the rest"};
    for (std::size_t i = 0; i < cost.parts.size() && i < 4; ++i) {
        const CostPart& part = cost.parts[i];
        text += std::string(i ? " +" : "") + " " + names[i] + " " + milliseconds(part.seconds) + " (" +
                format_fixed(100 * part.share, 0) + "%)";
    }
    if (cost.receiver && cost.receiver->parts.size() == 3)
        text += "; the receiver's " + milliseconds(cost.receiver->measured_seconds) + " = its copy " +
                milliseconds(cost.receiver->parts[0].seconds) + " + calls " +
                milliseconds(cost.receiver->parts[1].seconds) + " + the rest " +
                milliseconds(cost.receiver->parts[2].seconds);
    return text + "; priced at " + format_fixed(cost.machine.memcpy_bytes_per_second / (1ull << 30), 1) +
           " GiB/s memcpy, " + format_fixed(cost.machine.syscall_round_trip_ns, 0) + " ns a syscall, " +
           format_fixed(cost.machine.page_fault_ns, 0) + " ns a fault (measured on this machine)";
}

std::string probes_line(const Report& r)
{
    const Overhead& o = r.overhead;
    std::string text = "probes: " + quantity(o.events, "run", "runs") + ", " + probe_ns_per_run(o) + " ns each" +
                       (o.accounting == kSampledAccounting
                            ? " (" + std::to_string(o.timed_events) + " timed by the programs themselves" +
                                  (o.sample_error_recorded() ? "; ± one standard error)" : ")")
                            : std::string(" (bpf_stats)")) +
                       ", " + format_fixed(100 * o.share_of_workload_cpu, 2) + "% of the workload's CPU; attached in " +
                       milliseconds(o.attach_seconds);
    if (const std::string floor = sampled_floor_note(o); !floor.empty())
        text += "; " + floor;
    if (o.bpf_stats && o.bpf_stats->mode == "windows")
        text += "; bpf_stats, on in " + quantity(o.bpf_stats->windows, "window", "windows") + " (" +
                milliseconds(o.bpf_stats->seconds_on) + ", " + format_fixed(100 * o.bpf_stats->runs_timed_share, 0) +
                "% of the runs), read " + format_fixed(o.bpf_stats->estimated_ns_per_event, 1) +
                " ns a run less its own share: " + milliseconds(static_cast<double>(o.bpf_stats->estimated_run_ns) / 1e9) +
                " for every run, " + format_fixed(100 * o.bpf_stats->estimated_share_of_workload_cpu, 2) +
                "% of the workload's CPU; the sample is " + format_fixed(o.bpf_stats->estimate_ratio, 2) +
                " of it in the windows";
    else if (o.bpf_stats)
        text += "; bpf_stats, on as well, read " + milliseconds(static_cast<double>(o.bpf_stats->run_ns) / 1e9) +
                ", " + milliseconds(static_cast<double>(o.bpf_stats->run_ns_less_clock) / 1e9) + " less its own share (" +
                format_fixed(o.bpf_stats->clock_ns_per_event, 0) + " ns a run on an empty program" +
                (o.bpf_stats->clock_source == kClockBeside ? " beside each probe" : ", partly on a test run") +
                "): the estimate is " +
                format_fixed(o.bpf_stats->estimate_ratio, 2) + " of that";
    return text;
}

std::string theory_line(const Report& r)
{
    if (r.theory.beyond_seeds)
        return "theory: the row \"" + r.theory_row + "\", beyond the seeds, from " + r.theory.source;
    std::string text = "theory: the row \"" + r.theory_row + "\"";
    if (!r.theory.name_zh.empty() && r.theory.name_zh != r.theory.name)
        text += " (" + r.theory.name_zh + ")";
    text += " of " + (r.theory.citation.empty() ? r.theory.source : r.theory.citation);
    if (r.theory_row_selection.candidates.size() > 1)
        text += "; expected because " + r.theory_row_selection.reason;
    return text;
}

}  // namespace

std::size_t text_width(int fd)
{
    winsize size{};
    if (::isatty(fd) && ::ioctl(fd, TIOCGWINSZ, &size) == 0 && size.ws_col >= 40)
        return size.ws_col;
    if (const char* columns = std::getenv("COLUMNS"))
        if (const long value = std::strtol(columns, nullptr, 10); value >= 40 && value <= 1000)
            return static_cast<std::size_t>(value);
    return 100;
}

namespace {

// "256 MiB", "70.1 ms": a line break between a number and its unit makes
// the figure hard to read, so the two wrap as one word.
bool is_unit(std::string_view word)
{
    const std::size_t end = word.find_first_of(",;:)");
    const std::string_view unit = word.substr(0, end);
    for (std::string_view known : {"B", "KiB", "MiB", "GiB", "TiB", "ns", "ms", "s", "MiB/s", "CPU-s/GiB", "s/GiB"})
        if (unit == known)
            return true;
    return false;
}

// The text's words, a number and its unit kept together.
std::vector<std::string_view> words_of(std::string_view text)
{
    std::vector<std::string_view> words;
    std::size_t at = 0;
    while (at < text.size()) {
        const std::size_t space = text.find(' ', at);
        const std::size_t end = space == std::string_view::npos ? text.size() : space;
        const std::string_view word = text.substr(at, end - at);
        if (!word.empty()) {
            const std::string_view previous = words.empty() ? std::string_view() : words.back();
            if (!previous.empty() && std::isdigit(static_cast<unsigned char>(previous.back())) && is_unit(word) &&
                previous.data() + previous.size() + 1 == word.data())
                words.back() = std::string_view(previous.data(), previous.size() + 1 + word.size());
            else
                words.push_back(word);
        }
        at = end + 1;
    }
    return words;
}

}  // namespace

std::string wrap(std::string_view text, std::size_t width, std::size_t first, std::size_t rest)
{
    std::string out(first, ' ');
    std::size_t column = first;
    bool line_empty = true;
    for (const std::string_view word : words_of(text)) {
        const std::size_t columns = display_width(word);
        if (!line_empty && column + 1 + columns > width) {
            out += "\n" + std::string(rest, ' ');
            column = rest;
            line_empty = true;
        }
        if (!line_empty) {
            out += ' ';
            ++column;
        }
        out += word;
        column += columns;
        line_empty = false;
    }
    return out + "\n";
}

std::string ReportText::render(const Report& r)
{
    auto line = [&](const std::string& text) { return wrap(text, width_, 2, 4); };
    std::string out = wrap(r.headline.empty() ? r.technique : r.headline, width_, 0, 2);

    std::string differences;
    std::vector<std::string> silent;
    for (const Check& check : r.checks) {
        if (check.verdict == Verdict::no_theory)
            silent.push_back(metric_words(check.metric));
        if (!differs(check) || check.metric == "integrity")
            continue;
        differences += wrap(metric_words(check.metric) + " (" + std::string(verdict_name(check.verdict)) + "): " + check.summary,
                            width_, 4, 6);
    }
    out += differences.empty() ? line("every check is as the table says") : "  differs from the table:\n" + differences;
    if (!silent.empty()) {
        std::string listed = silent.front();
        for (std::size_t i = 1; i < silent.size(); ++i)
            listed += (i + 1 == silent.size() ? " or " : ", ") + silent[i];
        out += line("the seeds give no figure for " + listed + "; held to the workload's own design instead");
    }
    for (const Check& check : r.checks)
        if (check.metric == "integrity")
            out += line(check.verdict == Verdict::match ? "integrity ok" : "INTEGRITY FAILED: " + check.explanation);
    if (!r.findings.empty()) {
        out += "  findings:\n";
        for (const std::string& finding : r.findings)
            out += wrap("- " + finding, width_, 4, 6);
    }

    const Measured& m = r.measured;
    out += line(counts_line(r));
    out += line(storage_line(r));
    if (m.mmap)
        out +=
            line("mmap: " + format_bytes(m.mmap->mapped_bytes) + " mapped for a " + format_bytes(m.mmap->file_bytes) +
                 " file (" + format_bytes(m.mmap->rounding_waste_bytes) +
                 " of page rounding); faults: " + std::to_string(m.mmap->user_read_faults) + " user read, " +
                 std::to_string(m.mmap->user_write_faults) + " user write, " +
                 std::to_string(m.mmap->kernel_read_faults) + " kernel read, " + std::to_string(m.mmap->major_faults) +
                 " major, " + std::to_string(m.mmap->filemap_faults) + " through filemap_fault, " +
                 quantity(m.mmap->fault_around_pages, "page", "pages") + " by fault-around");
    if (m.cow)
        out += line("cow: " + std::to_string(m.cow->pages_copied) + " of " +
                    quantity(m.cow->buffer_pages, "page", "pages") + " copied (" + format_bytes(m.cow->copy_bytes) +
                    "), the child wrote " + std::to_string(m.cow->pages_written_by_child) + "; its smaps: " +
                    (m.cow->pages_shared ? std::to_string(*m.cow->pages_shared) : std::string("?")) + " shared, " +
                    (m.cow->pages_private ? std::to_string(*m.cow->pages_private) : std::string("?")) + " private");
    if (r.comparison)
        out += line("against a buffered read: " + r.comparison->summary);
    out += line(time_line(r));
    if (r.cost)
        out += line(cost_line(*r.cost));
    out += line(probes_line(r));
    // What the environment removes is the same for every technique of a run.
    for (const Check& check : r.checks)
        for (const Cause& cause : check.causes)
            if (cause.kind == CauseKind::environment && noted_.insert(cause.cause).second)
                out += line("note: " + cause.evidence);
    out += line(theory_line(r));
    return out;
}

std::string probe_ns_per_run(const Overhead& overhead)
{
    return format_fixed(overhead.ns_per_event, 0) +
           (overhead.sample_error_recorded() ? " ± " + format_fixed(overhead.ns_per_event_standard_error, 0)
                                             : std::string());
}

std::string sampled_floor_note(const Overhead& overhead)
{
    if (overhead.accounting != kSampledAccounting || !overhead.host_drops_kernel_tlb)
        return "";
    return "this host drops the kernel's TLB at every kernel entry (PTI without PCID), and a program's refill comes "
           "before its clock starts: the sampled figure is a floor here";
}

std::string render_report(const Report& report)
{
    return ReportText(100).render(report);
}

ProgressLine::ProgressLine(std::string label) : label_(std::move(label)), enabled_(::isatty(STDERR_FILENO) == 1) {}

ProgressLine::~ProgressLine()
{
    finish();
}

void ProgressLine::update(std::uint64_t done, std::uint64_t total, double seconds)
{
    if (!enabled_ || seconds < 1.0 || (shown_ && seconds - last_drawn_ < 0.1))
        return;
    last_drawn_ = seconds;
    const double percent = total ? 100.0 * static_cast<double>(done) / static_cast<double>(total) : 0.0;
    std::fprintf(stderr, "\r\033[K%s: %s of %s (%.0f%%), %.1f s", label_.c_str(), format_bytes(done).c_str(),
                 format_bytes(total).c_str(), percent, seconds);
    std::fflush(stderr);
    shown_ = true;
}

void ProgressLine::finish()
{
    if (shown_) {
        std::fprintf(stderr, "\r\033[K");
        std::fflush(stderr);
        shown_ = false;
    }
}

}  // namespace zctrace
