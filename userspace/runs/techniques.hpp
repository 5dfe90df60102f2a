// What zctrace knows about each technique beyond its system calls: the
// theory rows it can be held to, and what one "transfer" is.
#pragma once

#include <string_view>
#include <vector>

#include "workloads/technique.hpp"

namespace zctrace {

struct TechniqueInfo {
    Technique technique;
    std::string_view name;
    std::string_view summary;
    // One transfer moves one --chunk of the file; this says with which calls.
    std::string_view transfer_unit;
    // Theory rows (theory.hpp ids) this technique may be held to. When there
    // is more than one, the measurement picks (see analysis.cpp).
    std::vector<std::string_view> theory_rows;
    std::string_view row_rule;  // how the row is chosen, for `zctrace list`
};

const TechniqueInfo& technique_info(Technique technique);
// "read_write, mmap_write, sendfile, splice"
std::string technique_names();

}  // namespace zctrace
