// RawCounters (what the probes counted) -> Measured (what the report states).
// Only arithmetic on counters from this run happens here; no theory.
#pragma once

#include "report.hpp"
#include "session.hpp"

namespace zctrace {

Measured measure(const RunObservation& observation);
Overhead measure_overhead(const RunObservation& observation);

}  // namespace zctrace
