// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// `zctrace gather`: can this machine's devices gather payload straight from
// the page cache (scatter-gather, the seeds' "DMA gather"), and does it happen?
// Three views: the devices' ethtool features (static), the bytes every device
// transmits and how they are held (passive, system-wide), and sendfile over a
// private veth pair with SG on and then off (active self-test). Here they are
// measured and judged; report/gather_report.hpp holds what they produce.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "report/gather_report.hpp"
#include "report/run_report.hpp"
#include "runs/session.hpp"
#include "tracing/probes.hpp"

namespace zctrace {

// The named interfaces of this network namespace, or every one that is up.
// An unknown name is bad input.
Result<std::vector<InterfaceFeatures>> read_interfaces(const std::vector<std::string>& names);

// The verdict for one device from its features.
void judge_zero_copy(InterfaceFeatures& device);

// Counts what every device transmits for `seconds`, in every namespace
// (only devices called `names` in this namespace, if given).
// `on_attached` runs once the probe is live; a SIGINT/SIGTERM ends it as
// interrupted.
Result<Observation> observe_transmits(double seconds, const std::vector<std::string>& names,
                                      const std::function<void(const XmitObserver&)>& on_attached);

// Runs sendfile over a private veth pair with SG on, then off, on a fresh
// workload file of `size` bytes, and judges the pair.
Result<SelfTest> run_self_test(std::uint64_t size, const SessionHooks& hooks);

// The self-test's verdict from its two runs.
void judge_self_test(SelfTest& test);
SelfTestRun self_test_run(const Report& sendfile_report);

}  // namespace zctrace
