// Shared by the end-to-end tests: run a technique through the core library
// exactly as `zctrace run` does (skips come from ../tracing/support.hpp).
#pragma once

#include <gtest/gtest.h>

#include <stdexcept>

#include "../tracing/support.hpp"
#include "analysis/build_report.hpp"
#include "base/system.hpp"
#include "output/json_schema.hpp"
#include "report/run_report.hpp"
#include "runs/session.hpp"

namespace zctrace::test {

struct Outcome {
    Report report;
    nlohmann::json json;
};

inline Outcome run_spec(const RunSpec& spec, std::uint64_t size = 16 * kMiB)
{
    auto observation = run_technique(spec, shared_file(size), {});
    if (!observation)
        throw std::runtime_error(observation.error().describe());
    Outcome outcome{build_report(*observation, gather_host_facts()), {}};
    outcome.json = outcome.report;
    return outcome;
}

inline Outcome run_report(Technique technique, std::uint64_t size = 16 * kMiB, std::uint64_t chunk = 64 * 1024,
                          ProbeFlavor probes = ProbeFlavor::typed)
{
    return run_spec({technique, chunk, CacheState::warm, probes}, size);
}

}  // namespace zctrace::test
