// Syscall number -> name for this architecture, generated at build time from
// <asm/unistd.h> so it cannot drift from the headers the workloads use.
#pragma once

#include <cstdint>
#include <string>

namespace zctrace {

std::string syscall_name(std::uint32_t nr);  // "nr_<n>" when unknown

}  // namespace zctrace
