// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "technique.hpp"

namespace zctrace {

std::string_view technique_name(Technique technique)
{
    switch (technique) {
    case Technique::read_write: return "read_write";
    case Technique::mmap_write: return "mmap_write";
    case Technique::sendfile: return "sendfile";
    case Technique::splice: return "splice";
    case Technique::direct_io: return "direct_io";
    case Technique::direct_io_send: return "direct_io_send";
    case Technique::cow: return "cow";
    case Technique::large_file_async_direct: return "large_file_async_direct";
    case Technique::large_file_buffered: return "large_file_buffered";
    case Technique::msg_zerocopy: return "msg_zerocopy";
    case Technique::vmsplice: return "vmsplice";
    case Technique::io_uring_send_zc: return "io_uring_send_zc";
    case Technique::copy_file_range: return "copy_file_range";
    case Technique::sendfile_file: return "sendfile_file";
    case Technique::tee: return "tee";
    case Technique::vmsplice_gift: return "vmsplice_gift";
    }
    return "unknown";
}

std::optional<Technique> technique_from_name(std::string_view name)
{
    for (Technique technique : kAllTechniques)
        if (technique_name(technique) == name)
            return technique;
    for (Technique technique : kBeyondSeedsTechniques)
        if (technique_name(technique) == name)
            return technique;
    if (name == technique_name(Technique::large_file_buffered))
        return Technique::large_file_buffered;
    return std::nullopt;
}

bool user_can_run(std::string_view name)
{
    const auto technique = technique_from_name(name);
    return technique && *technique != Technique::large_file_buffered;
}

}  // namespace zctrace
