// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// Whether a report says something among its findings: tests look for the
// words that carry the evidence, not for a whole sentence.
#pragma once

#include <string_view>

#include "report/run_report.hpp"

namespace zctrace::test {

inline bool has_finding(const Report& report, std::string_view words)
{
    for (const std::string& finding : report.findings)
        if (finding.find(words) != std::string::npos)
            return true;
    return false;
}

}  // namespace zctrace::test
