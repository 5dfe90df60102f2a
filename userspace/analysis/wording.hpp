// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// What a person reads first: the headline that answers the question, the
// short phrase for each cause, and the findings beyond the checks. Every
// sentence here is chosen for the technique and transport it describes: a
// technique that sends nothing is never told about receivers or NICs.
#pragma once

#include <string>
#include <vector>

#include "report/run_report.hpp"
#include "workloads/technique.hpp"

namespace zctrace {

// The report's technique; read_write for a name this build does not know
// (the analysis of such a report is held to the most general row).
Technique technique_of(const Report& report);

// Whether the technique sends its payload over a socket: only then are
// receivers, NICs and resends part of what is said about it.
bool sends(const Report& report);

// "2 copies", "1 copy", "0.00061 copies": whole numbers bare.
std::string copies_word(double copies);

// A few words for a cause, e.g. "warm cache: no disk read".
std::string cause_phrase(const Cause& cause, const Report& report);

// The causes' phrases, "; "-joined.
std::string cause_phrases(const std::vector<Cause>& causes, const Report& report);

// "sendfile, 64 MiB over lo", "direct_io, 64 MiB from ext4, cold cache".
std::string run_subject(const Report& report);

// One line: what was copied, against the row, what the receiver copied, the
// calls, and the cost. Needs the checks and the verdict.
std::string headline(const Report& report);

// What the run shows that the checks do not ask about.
std::vector<std::string> findings(const Report& report);

}  // namespace zctrace
