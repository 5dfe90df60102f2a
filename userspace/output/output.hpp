// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// output: what zctrace writes and reads back. Files written whole or not at
// all; JSON documents identified and validated against the JSON Schemas in
// reports/schema/; the summary (JSON, Markdown, HTML); OpenMetrics; diff;
// and the text people read on a terminal.
//
// It knows the report types and nothing else: not probes, runs or the theory
// table, so every output can be made again from reports on disk.
#pragma once

#include "output/documents.hpp"
#include "output/files.hpp"
#include "output/gather_text.hpp"
#include "output/html_report.hpp"
#include "output/json_schema.hpp"
#include "output/openmetrics.hpp"
#include "output/report_diff.hpp"
#include "output/summary.hpp"
#include "output/terminal.hpp"
