// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// What this machine charges for the pieces a technique's CPU time is made
// of: a memcpy's bandwidth, a syscall's round trip and a page fault. One
// type for the figures as measured (runs/machine_costs.hpp), as cached per
// boot, and as every report's cost model records them.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

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
    bool from_cache = false;  // this boot's figures, measured by an earlier zctrace
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(MachineCosts, memcpy_bytes_per_second, syscall_round_trip_ns, page_fault_ns, boot_id, measured_at, from_cache)

}  // namespace zctrace
