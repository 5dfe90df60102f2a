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

namespace zctrace {

struct MachineCosts {
    // memcpy() of 64 KiB blocks out of a 64 MiB source into one 64 KiB
    // buffer: a read() of a chunk that is not in the CPU caches.
    double memcpy_bytes_per_second = 0;
    double syscall_round_trip_ns = 0;  // getppid(), untraced: entry + exit and nothing else
    // First touch of an anonymous page: the fault, the page's allocation
    // and zeroing.
    double page_fault_ns = 0;
    std::string boot_id;      // /proc/sys/kernel/random/boot_id when measured
    std::string measured_at;  // UTC
    bool from_cache = false;  // read from the boot's cache, not measured by this process
};

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
