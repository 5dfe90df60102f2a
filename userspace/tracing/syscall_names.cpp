#include "tracing/syscall_names.hpp"

#include <unordered_map>

namespace zctrace {

std::string syscall_name(std::uint32_t nr)
{
    static const std::unordered_map<std::uint32_t, const char*> names = {
#include "syscall_table.inc"
    };
    const auto it = names.find(nr);
    return it == names.end() ? "nr_" + std::to_string(nr) : it->second;
}

}  // namespace zctrace
