// Two run reports compared metric by metric (`zctrace diff`).
#pragma once

#include "report.hpp"

namespace zctrace {}  // namespace zctrace
