// What `zctrace gather` prints for people: the interfaces' features, what
// the devices transmitted and the self-test, as tables.
#pragma once

#include <string>

#include "report/gather_report.hpp"

namespace zctrace {

std::string render_gather(const GatherReport& report);

}  // namespace zctrace
