// What zctrace prints for people: the measured-vs-theory table and progress.
#pragma once

#include <cstdint>
#include <string>

#include "report/run_report.hpp"

namespace zctrace {

// Metric | theory | measured | verdict, then why each one is what it is.
std::string render_report(const Report& report);

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
