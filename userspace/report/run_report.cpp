// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "report/run_report.hpp"

#include <algorithm>

namespace zctrace {

std::string_view verdict_name(Verdict verdict)
{
    switch (verdict) {
    case Verdict::match: return "match";
    case Verdict::environment: return "environment";
    case Verdict::explained: return "explained";
    case Verdict::no_theory: return "no_theory";
    case Verdict::invalid: return "invalid";
    case Verdict::mismatch: return "mismatch";
    }
    return "mismatch";
}

std::string metric_words(std::string_view metric)
{
    static const std::pair<std::string_view, std::string_view> kWords[] = {
        {"cpu_copies", "CPU copies"},
        {"dma_copies", "DMA copies"},
        {"syscalls_per_transfer", "syscalls per transfer"},
        {"mode_switches_per_transfer", "mode switches per transfer"},
        {"cow_copied_pages", "pages copied on write"},
        {"mmap_rounding_waste_bytes", "bytes mapped past the file's end"},
        {"page_cache_pollution_vs_buffered", "page-cache pages added, as a share of a buffered read's"},
    };
    for (const auto& [name, words] : kWords)
        if (name == metric)
            return std::string(words);
    std::string words(metric);
    std::replace(words.begin(), words.end(), '_', ' ');
    return words;
}

}  // namespace zctrace
