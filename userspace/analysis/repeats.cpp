// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "analysis/repeats.hpp"

#include <algorithm>
#include <set>
#include <string>

#include "analysis/checks.hpp"
#include "analysis/cost_model.hpp"

namespace zctrace {
namespace {

using json = nlohmann::json;

// What a clock decides: reported as medians with their spread.
constexpr const char* kTimedPaths[] = {
    "/workload/wall_seconds",   "/workload/cpu_seconds",        "/workload/user_seconds",
    "/workload/system_seconds", "/workload/mib_per_second",     "/workload/cpu_seconds_per_gib",
    "/workload/receiver_cpu_seconds", "/overhead/bpf_run_ns",   "/overhead/ns_per_event",
    "/overhead/share_of_workload_cpu", "/overhead/share_of_sender_cpu", "/overhead/attach_seconds",
};

// What the technique decides: the same in every run, or named. Context
// switches and resends depend on the scheduler and the network, not on the
// technique, so they are free to move.
constexpr const char* kCountPaths[] = {
    "/measured/cpu_copy_bytes/file_to_user",   "/measured/cpu_copy_bytes/user_to_socket",
    "/measured/cpu_copy_bytes/page_cache_to_socket", "/measured/cpu_copy_bytes/kernel_to_socket",
    "/measured/cpu_copy_bytes/device_linearize", "/measured/cpu_copy_bytes/copy_on_write",
    "/measured/dma_bytes/disk_read",           "/measured/dma_bytes/disk_write",
    "/measured/dma_bytes/nic_tx",              "/measured/mode_switches",
    "/measured/page_cache/hits",               "/measured/page_cache/misses",
    "/measured/receiver/copy_bytes",           "/measured/cow/pages_copied",
    "/measured/mmap/mapped_bytes",             "/workload/integrity/ok",
};

double median_of(std::vector<double> values)
{
    std::sort(values.begin(), values.end());
    const std::size_t middle = values.size() / 2;
    return values.size() % 2 ? values[middle] : (values[middle - 1] + values[middle]) / 2;
}

// "a.b.c" for a JSON pointer "/a/b/c".
std::string dotted(const std::string& pointer)
{
    std::string out = pointer.substr(1);
    std::replace(out.begin(), out.end(), '/', '.');
    return out;
}

std::optional<std::string> difference(const std::vector<json>& documents, const std::string& pointer)
{
    const json::json_pointer at(pointer);
    std::string values;
    bool differs = false;
    for (const json& document : documents) {
        const json value = document.contains(at) ? document.at(at) : json();
        differs = differs || value != (documents.front().contains(at) ? documents.front().at(at) : json());
        values += (values.empty() ? "" : ", ") + value.dump();
    }
    if (!differs)
        return std::nullopt;
    return dotted(pointer) + ": " + values;
}

}  // namespace

Report combine_repeats(std::vector<Report> runs)
{
    std::vector<json> documents;
    for (const Report& run : runs)
        documents.emplace_back(run);
    json combined = documents.front();

    RepeatStats stats;
    stats.runs = runs.size();
    for (const char* path : kTimedPaths) {
        const json::json_pointer at(path);
        std::vector<double> values;
        for (const json& document : documents)
            if (document.contains(at) && document.at(at).is_number())
                values.push_back(document.at(at).get<double>());
        if (values.size() != documents.size())
            continue;
        const Spread spread{median_of(values), *std::min_element(values.begin(), values.end()),
                            *std::max_element(values.begin(), values.end())};
        stats.timed[dotted(path)] = spread;
        combined[at] = combined.at(at).is_number_integer() ? json(static_cast<std::uint64_t>(spread.median))
                                                          : json(spread.median);
    }
    std::set<std::string> count_paths(std::begin(kCountPaths), std::end(kCountPaths));
    for (const json& document : documents)
        for (const auto& [name, count] : document["measured"]["syscalls"]["by_name"].items())
            count_paths.insert("/measured/syscalls/by_name/" + name);
    for (const std::string& path : count_paths)
        if (auto moved = difference(documents, path))
            stats.count_differences.push_back(*moved);
    for (const Report& run : runs)
        stats.verdicts.push_back(run.verdict);

    Report report = combined.get<Report>();
    report.workload.repeats = stats;
    analyze(report);
    // The first run's counts against the median CPU time.
    if (report.cost)
        report.cost = cost_model(report, report.cost->machine);
    // A run that failed is not outvoted by the others.
    for (std::size_t i = 0; i < runs.size(); ++i)
        if (runs[i].verdict == Verdict::invalid || runs[i].verdict == Verdict::mismatch) {
            report.findings.push_back("run " + std::to_string(i + 1) + " of " + std::to_string(runs.size()) +
                                      " was " + std::string(verdict_name(runs[i].verdict)) + ": " + runs[i].headline);
            report.verdict = overall_verdict({Check{.verdict = report.verdict}, Check{.verdict = runs[i].verdict}});
        }
    if (!stats.count_differences.empty())
        report.findings.push_back("counts moved between the " + std::to_string(runs.size()) +
                                  " runs, where the technique alone decides them: " +
                                  [&] {
                                      std::string all;
                                      for (const std::string& moved : stats.count_differences)
                                          all += (all.empty() ? "" : "; ") + moved;
                                      return all;
                                  }() +
                                  ". The report's counts are the first run's");
    return report;
}

}  // namespace zctrace
