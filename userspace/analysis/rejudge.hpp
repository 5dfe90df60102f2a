// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// `zctrace check`: a stored report judged again by this zctrace's rules,
// from its measured, workload and environment members alone, and what
// changed against the verdicts it was stored with.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "report/run_report.hpp"

namespace zctrace {

struct CheckChange {
    std::string metric;
    std::optional<Verdict> stored;  // empty: the stored report has no such check
    std::optional<Verdict> now;     // empty: this zctrace no longer makes it
    [[nodiscard]] bool changed() const { return stored != now; }
};

struct Rejudgement {
    Report report;  // judged again
    Verdict stored_verdict = Verdict::match;
    int stored_schema_version = 0;
    std::vector<CheckChange> checks;  // the stored report's order, then new checks
    [[nodiscard]] bool changed() const;
};

Rejudgement rejudge(const Report& stored);

}  // namespace zctrace
