// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// What the bundled workloads do by design: the system calls each technique
// makes for a given number of transfers, and how that differs from the calls
// a theory row implies. Where the seeds give no figure, a run is held to this
// design; where they do, the differences are the named causes of a deviation.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "report/run_report.hpp"
#include "workloads/technique.hpp"

namespace zctrace {

using CallCounts = std::map<std::string, std::uint64_t>;

struct DesignedCalls {
    CallCounts calls;  // by the kernel's syscall names, repeats included
    std::string how;   // e.g. "one read() and one write() per chunk"
};

// The calls `technique` makes for `transfers` transfers when it repeats the
// calls in `repeats` (the workload's own count of calls made again after a
// short return or EINTR).
DesignedCalls designed_calls(Technique technique, std::uint64_t transfers, const CallCounts& repeats);

std::uint64_t total_calls(const CallCounts& calls);

// Why the design makes a different number of calls per transfer than a row
// that implies `row_calls_per_transfer`: one cause per difference, each in
// calls per transfer times `scale` (2 for mode switches: every call enters
// and leaves the kernel once). Their contributions add up to
// scale * (designed total / transfers - row_calls_per_transfer); a unit test
// holds every technique to that.
std::vector<Cause> call_causes(Technique technique, std::uint64_t transfers, const CallCounts& repeats,
                               double row_calls_per_transfer, double scale);

}  // namespace zctrace
