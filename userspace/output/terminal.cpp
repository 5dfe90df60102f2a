#include "output/terminal.hpp"

#include <unistd.h>

#include <cstdio>

#include "base/units.hpp"

namespace zctrace {

std::string render_report(const Report& r)
{
    std::string out = r.headline.empty() ? r.technique : r.headline;
    out += "\n  theory row \"" + r.theory_row + "\"";
    if (r.theory.name_zh != r.theory.name)
        out += " (" + r.theory.name_zh + ")";
    out += ", " + r.theory.source + "; " + r.theory_row_selection.reason + "\n";
    out += "  " + pad_to("check", 28) + pad_to("theory", 9, true) + pad_to("expected", 12, true) +
           pad_to("measured", 12, true) + "  verdict\n";
    for (const Check& check : r.checks)
        out += "  " + pad_to(check.metric, 28) + pad_to(check.theory ? format_number(*check.theory) : kNoFigure, 9, true) +
               pad_to(format_number(check.expected), 12, true) + pad_to(format_number(check.measured), 12, true) + "  " +
               std::string(verdict_name(check.verdict)) + "\n";
    out += "  verdict: " + std::string(verdict_name(r.verdict)) + "\n";
    for (const Check& check : r.checks)
        if (check.verdict != Verdict::match || check.metric == "cpu_copies")
            out += "  - " + check.metric + " (" + std::string(verdict_name(check.verdict)) + "): " +
                   check.explanation + "\n";

    const Measured& m = r.measured;
    out += "  syscalls " + std::to_string(m.syscalls.total) + ", mode switches " + std::to_string(m.mode_switches) +
           ", context switches " + std::to_string(m.context_switches.voluntary) + " voluntary + " +
           std::to_string(m.context_switches.involuntary) + " involuntary, page faults " +
           std::to_string(m.page_faults.user) + " user + " + std::to_string(m.page_faults.kernel) + " kernel\n";
    out += "  page cache: " + std::to_string(m.page_cache.accessed_pages) + " pages accessed, " +
           std::to_string(m.page_cache.hits) + " hits, " + std::to_string(m.page_cache.misses) + " misses";
    if (m.page_cache.hit_ratio)
        out += " (hit ratio " + format_fixed(*m.page_cache.hit_ratio, 4) + ")";
    if (m.page_cache.mapped_pages)
        out += "; " + std::to_string(m.page_cache.mapped_pages) + " file pages mapped";
    out += "; disk read " + format_bytes(m.dma_bytes.disk_read) + " (" + r.environment.cache + " cache, " +
           r.environment.filesystem + " on " + r.environment.block_device + ")\n";
    if (m.mmap)
        out += "  mmap: " + format_bytes(m.mmap->mapped_bytes) + " mapped for a " + format_bytes(m.mmap->file_bytes) +
               " file (" + format_bytes(m.mmap->rounding_waste_bytes) + " page-rounding waste); faults: " +
               std::to_string(m.mmap->user_read_faults) + " user read, " + std::to_string(m.mmap->user_write_faults) +
               " user write, " + std::to_string(m.mmap->kernel_read_faults) + " kernel read, " +
               std::to_string(m.mmap->major_faults) + " major, " + std::to_string(m.mmap->filemap_faults) +
               " through filemap_fault, " + std::to_string(m.mmap->fault_around_pages) + " pages by fault-around\n";
    if (m.cow)
        out += "  cow: " + std::to_string(m.cow->pages_copied) + " of " + std::to_string(m.cow->buffer_pages) +
               " pages copied (" + format_bytes(m.cow->copy_bytes) + "), child wrote " +
               std::to_string(m.cow->pages_written_by_child) + "; smaps: " +
               (m.cow->pages_shared ? std::to_string(*m.cow->pages_shared) : std::string("?")) + " shared, " +
               (m.cow->pages_private ? std::to_string(*m.cow->pages_private) : std::string("?")) + " private\n";
    if (r.comparison)
        out += "  vs buffered: " + r.comparison->summary + "\n";
    out += "  " + format_bytes(r.workload.bytes) + " in " + format_fixed(r.workload.wall_seconds, 3) + " s (" +
           format_fixed(r.workload.mib_per_second, 0) + " MiB/s), sender CPU " + format_fixed(r.workload.cpu_seconds, 3) +
           " s (" + format_fixed(r.workload.cpu_seconds_per_gib, 3) + " s/GiB); integrity " +
           (r.workload.integrity.ok ? "ok" : "FAILED") + "\n";
    out += "  probes: " + std::to_string(r.overhead.events) + " runs, " + format_fixed(r.overhead.ns_per_event, 0) +
           " ns each, " + format_fixed(100 * r.overhead.share_of_workload_cpu, 2) + "% of the workload's CPU; attached in " +
           format_fixed(r.overhead.attach_seconds, 3) + " s\n";
    return out;
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
