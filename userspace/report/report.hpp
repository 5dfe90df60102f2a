// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// report: the documents zctrace produces, as types with their JSON form and
// schema versions: the run report, the gather report and the NDJSON interval
// sample. analysis/ fills them; output/ writes, reads back and renders them.
// The room sits between the two so that neither needs the other.
//
// It knows nothing of probes, workloads, how a figure was obtained, the
// theory table's contents, or how a document is written or shown.
#pragma once

#include "report/gather_report.hpp"
#include "report/interval_sample.hpp"
#include "report/json_optional.hpp"
#include "report/run_report.hpp"
