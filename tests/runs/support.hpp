// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// Shared by the end-to-end tests: run a technique through the core library
// exactly as `zctrace run` does (skips come from ../tracing/support.hpp).
#pragma once

#include <gtest/gtest.h>

#include <stdexcept>

#include "../report/findings.hpp"
#include "../report/xmit_miss.hpp"
#include "../tracing/support.hpp"
#include "analysis/build_report.hpp"
#include "base/system.hpp"
#include "output/json_schema.hpp"
#include "report/run_report.hpp"
#include "runs/session.hpp"

namespace zctrace::test {

// The check named `metric`; a report without it fails the test, so a test
// that looks for a check can never pass because the check went missing.
inline const Check* find_check(const Report& report, const std::string& metric)
{
    for (const Check& check : report.checks)
        if (check.metric == metric)
            return &check;
    return nullptr;
}

inline const Check& check_named(const Report& report, const std::string& metric)
{
    if (const Check* check = find_check(report, metric))
        return *check;
    ADD_FAILURE() << "the " << report.technique << " report has no check " << metric;
    static const Check missing;
    return missing;
}

// The checks that are not a plain match, one per line, for failure messages.
inline std::string describe_checks(const Report& report)
{
    std::string text = report.headline + "\n";
    for (const Check& check : report.checks)
        if (check.verdict != Verdict::match)
            text += "  " + check.metric + " (" + std::string(verdict_name(check.verdict)) + "): " + check.summary +
                    " -- " + check.explanation + "\n";
    return text;
}

struct Outcome {
    Report report;
    nlohmann::json json;
};

inline Outcome run_spec(const RunSpec& spec, std::uint64_t size = 16 * kMiB, const SessionHooks& hooks = {},
                        Tracer* shared = nullptr)
{
    // The kernel's rare xmit miss (docs/limits.md) makes a run INVALID with
    // every other figure standing: such a run is made once more, and said.
    for (int attempt = 0;; ++attempt) {
        auto observation = run_technique(spec, shared_file(size), hooks, shared);
        if (!observation)
            throw std::runtime_error(observation.error().describe());
        Outcome outcome{build_report(*observation, gather_host_facts()), {}};
        outcome.json = outcome.report;
        if (attempt > 0 || !only_the_xmit_probe_missed(outcome.json))
            return outcome;
        say_running_again_for_the_xmit_miss();
    }
}

inline Outcome run_report(Technique technique, std::uint64_t size = 16 * kMiB, std::uint64_t chunk = 64 * 1024,
                          ProbeFlavor probes = ProbeFlavor::typed)
{
    return run_spec({technique, chunk, CacheState::warm, probes}, size);
}

}  // namespace zctrace::test
