// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// analysis: from a run's counters to a judged report. measurement turns
// RawCounters into Measured (arithmetic on this run's counters only, never a
// theory figure); theory holds the seeds' table as data; checks picks the
// theory row and holds each count against it, explaining deviations from
// measured evidence; build_report assembles the whole report; gather
// measures and judges scatter-gather (`zctrace gather`).
//
// It knows nothing of output formats: it fills report types and returns
// them.
#pragma once

#include "analysis/build_report.hpp"
#include "analysis/checks.hpp"
#include "analysis/cross_checks.hpp"
#include "analysis/gather.hpp"
#include "analysis/measurement.hpp"
#include "analysis/rejudge.hpp"
#include "analysis/repeats.hpp"
#include "analysis/theory.hpp"
#include "analysis/wording.hpp"
#include "analysis/workload_design.hpp"
