// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "analysis/rejudge.hpp"

#include <algorithm>

#include "analysis/checks.hpp"

namespace zctrace {

bool Rejudgement::changed() const
{
    return stored_verdict != report.verdict ||
           std::any_of(checks.begin(), checks.end(), [](const CheckChange& check) { return check.changed(); });
}

Rejudgement rejudge(const Report& stored)
{
    Rejudgement out;
    out.report = stored;
    out.stored_verdict = stored.verdict;
    out.stored_schema_version = stored.schema_version;
    analyze(out.report);
    out.report.schema_version = kReportSchemaVersion;
    auto now_of = [&](const std::string& metric) -> std::optional<Verdict> {
        for (const Check& check : out.report.checks)
            if (check.metric == metric)
                return check.verdict;
        return std::nullopt;
    };
    for (const Check& check : stored.checks)
        out.checks.push_back({check.metric, check.verdict, now_of(check.metric)});
    for (const Check& check : out.report.checks)
        if (std::none_of(stored.checks.begin(), stored.checks.end(),
                         [&](const Check& old) { return old.metric == check.metric; }))
            out.checks.push_back({check.metric, std::nullopt, check.verdict});
    return out;
}

}  // namespace zctrace
