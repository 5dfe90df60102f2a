// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// runs: one bundled technique (workloads/), run for real under the probes.
// The workload file and its page cache (warm or cold), the network (lo, or a
// veth testbed between private namespaces), the receiver and sender
// processes, their measurement window, and the list of techniques. A run
// ends as a RunObservation: raw counters and the workload's own reports,
// before any arithmetic.
//
// It knows nothing of the theory table, verdicts, reports or output formats.
#pragma once

#include "runs/session.hpp"
#include "runs/techniques.hpp"
#include "runs/testbed.hpp"
#include "runs/workload_file.hpp"
