// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// What `zctrace gather` prints for people: the interfaces' features, what
// the devices transmitted and the self-test, as tables.
#pragma once

#include <cstddef>
#include <string>

#include "report/gather_report.hpp"

namespace zctrace {

// Prose (reasons, the verdict, findings) wraps at `width` columns.
std::string render_gather(const GatherReport& report, std::size_t width = 100);

}  // namespace zctrace
