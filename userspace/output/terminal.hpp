// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// What zctrace prints for people: a run's answer first, then only what
// differs from the theory table, the findings, the counts, and the citation
// last; and the progress line.
#pragma once

#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "report/run_report.hpp"

namespace zctrace {

// The columns to wrap text at: the terminal's (of `fd`), else $COLUMNS,
// else 100.
std::size_t text_width(int fd);

// `text` wrapped at `width` columns: the first line indented by `first`
// spaces, the rest by `rest`; words longer than a line are not broken.
std::string wrap(std::string_view text, std::size_t width, std::size_t first, std::size_t rest);

// The text of one invocation's reports. What explains a step that the
// environment removes (a warm cache, a device without a DMA engine) is said
// once per invocation, not once per technique.
class ReportText {
public:
    explicit ReportText(std::size_t width) : width_(width) {}
    std::string render(const Report& report);

private:
    std::size_t width_;
    std::set<std::string> noted_;  // causes whose evidence was printed already
};

// One report on its own, wrapped at 100 columns.
std::string render_report(const Report& report);

// A probe run's cost as `run` and `trace` print it: "41 ± 3" when the
// programs timed a sample and kept its spread (± one standard error), "41"
// under bpf_stats or in a report from before.
std::string probe_ns_per_run(const Overhead& overhead);
// Why the sampled figure is a floor on this host (PTI without PCID), or
// empty where it is not.
std::string sampled_floor_note(const Overhead& overhead);

// A single progress line on stderr, shown only on a terminal and only once a
// run has taken longer than a second.
class ProgressLine {
public:
    explicit ProgressLine(std::string label);
    ~ProgressLine();
    void update(std::uint64_t done, std::uint64_t total, double seconds);
    void finish();

private:
    std::string label_;
    bool enabled_;
    bool shown_ = false;
    double last_drawn_ = 0;  // seconds; redraws are limited to 10 per second
};

}  // namespace zctrace
