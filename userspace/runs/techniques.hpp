// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// The techniques zctrace runs, for people: what each one does and what one
// "transfer" is. The theory rows each is held to are analysis/theory.hpp's.
#pragma once

#include <string>
#include <string_view>

#include "workloads/technique.hpp"

namespace zctrace {

struct TechniqueInfo {
    Technique technique;
    std::string_view name;
    std::string_view summary;
    // One transfer moves one --chunk of the file; this says with which calls.
    std::string_view transfer_unit;
};

const TechniqueInfo& technique_info(Technique technique);
// "read_write, mmap_write, sendfile, splice"
std::string technique_names();

}  // namespace zctrace
