// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// What this machine charges for the pieces a technique's CPU time is made
// of, measured by zctrace itself: a memcpy's bandwidth, a syscall's round
// trip and a page fault. The cost model of every report divides the
// sender's CPU time by these. They are measured with none of this process's
// probes attached, once per boot (a new kernel, microcode or mitigation
// setting changes them), and kept in /run, which the boot empties.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "base/error.hpp"
#include "base/machine_costs.hpp"

namespace zctrace {

inline const std::filesystem::path kMachineCostsCache = "/run/zctrace/machine-costs.json";

// Measures all three now: about 0.2 s.
Result<MachineCosts> measure_machine_costs();

// The cache's figures when they are this boot's and whole (from_cache set).
std::optional<MachineCosts> read_cached_machine_costs(const std::filesystem::path& cache);
// Whole or not at all (temp file, then rename): another zctrace may read it
// at any moment. Best effort: a cache that cannot be written only means
// measuring again next time.
void cache_machine_costs(const std::filesystem::path& cache, const MachineCosts& costs);

// This boot's figures: from the cache when it holds this boot's, else
// measured now and cached. The first call's answer serves the process.
Result<MachineCosts> machine_costs(const std::filesystem::path& cache = kMachineCostsCache);

}  // namespace zctrace
