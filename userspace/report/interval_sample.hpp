// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// One line of `run --format ndjson`: the counters of a run in progress.
// Its JSON form is reports/schema/ndjson.v3.schema.json.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "report/json_optional.hpp"
#include "report/run_report.hpp"

namespace zctrace {

// `run --format ndjson --interval T`: the counters so far in the sender's
// window, read from the BPF maps while the workload runs. Cumulative, like
// Prometheus counters; the rates cover the time since the previous sample.
// 2: each sample carries its wall-clock time.
inline constexpr int kNdjsonSchemaVersion = 3;

struct IntervalSample {
    int schema_version = kNdjsonSchemaVersion;  // of the sample line
    std::string technique;
    std::uint64_t seq = 0;            // 1, 2, ... within one technique's run
    std::string time;                 // when it was taken: UTC, ISO 8601, milliseconds
    double elapsed_seconds = 0;       // since the sender was told to start
    double interval_seconds = 0;      // since the previous sample (or the start)
    std::uint64_t file_bytes = 0;     // the workload file's size
    std::uint64_t chunk_bytes = 0;    // the run's bytes per transfer (a sweep runs several); 0 in older lines
    // The receiver's progress counter; null for techniques that send nothing.
    std::optional<std::uint64_t> received_bytes;
    CopyBytes cpu_copy_bytes;
    DmaBytes dma_bytes;
    std::uint64_t syscalls = 0;
    std::uint64_t mode_switches = 0;
    ContextSwitches context_switches;
    std::uint64_t page_faults = 0;
    std::uint64_t page_cache_hits = 0;
    std::uint64_t page_cache_misses = 0;
    std::uint64_t shared_frag_bytes = 0;
    std::uint64_t copied_frag_bytes = 0;
    std::uint64_t linear_payload_bytes = 0;
    std::optional<double> received_bytes_per_second;
    double cpu_copy_bytes_per_second = 0;
    double syscalls_per_second = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(IntervalSample, schema_version, technique, seq, time, elapsed_seconds, interval_seconds, file_bytes, chunk_bytes, received_bytes, cpu_copy_bytes, dma_bytes, syscalls, mode_switches, context_switches, page_faults, page_cache_hits, page_cache_misses, shared_frag_bytes, copied_frag_bytes, linear_payload_bytes, received_bytes_per_second, cpu_copy_bytes_per_second, syscalls_per_second)

}  // namespace zctrace
