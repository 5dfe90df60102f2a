// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// RawCounters (what the probes counted) -> Measured (what the report states).
// Only arithmetic on counters from this run happens here; no theory.
#pragma once

#include "report/interval_sample.hpp"
#include "report/run_report.hpp"
#include "runs/session.hpp"

namespace zctrace {

Measured measure(const RunObservation& observation);
// The parts of measure() that need nothing but the counters, so that
// --interval samples and reports add up the same bytes the same way.
CopyBytes copy_bytes(const RawCounters& raw, Technique technique);
DmaBytes dma_bytes(const RawCounters& raw);
// What the sockets' skbs carried at the device, and how sendmsg took it.
SocketStats socket_stats(const RawCounters& raw);
// The counters so far, for an --interval sample; the caller fills in time,
// sequence and progress.
IntervalSample sample_counters(const RawCounters& raw, Technique technique);
Overhead measure_overhead(const RunObservation& observation);
// bpf_stats of the programs, summed; the shares of CPU are the caller's.
// The probes' cost from the programs' own count and timed sample, priced
// with the Tracer's clock calibration; bpf_stats's figures beside it when
// it was on.
Overhead probe_overhead(const std::vector<ProgramStats>& programs, double attach_seconds, const ProbeClock& clock);

}  // namespace zctrace
