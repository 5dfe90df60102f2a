#include "technique.hpp"

namespace zctrace {

std::string_view technique_name(Technique technique)
{
    switch (technique) {
    case Technique::read_write: return "read_write";
    case Technique::mmap_write: return "mmap_write";
    case Technique::sendfile: return "sendfile";
    case Technique::splice: return "splice";
    }
    return "unknown";
}

std::optional<Technique> technique_from_name(std::string_view name)
{
    for (Technique technique : kAllTechniques)
        if (technique_name(technique) == name)
            return technique;
    return std::nullopt;
}

}  // namespace zctrace
