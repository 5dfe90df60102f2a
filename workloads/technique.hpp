// The I/O techniques zctrace can run. This is the workloads' view: which
// system calls move the bytes. userspace/techniques.hpp adds what the theory
// says about each one.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace zctrace {

enum class Technique : std::uint8_t {
    read_write,  // read() into a user buffer, then write() it to the socket
    mmap_write,  // mmap() the file once, write() from the mapping
    sendfile,    // sendfile() file -> socket
    splice,      // splice() file -> pipe, splice() pipe -> socket
};

inline constexpr std::array<Technique, 4> kAllTechniques = {
    Technique::read_write, Technique::mmap_write, Technique::sendfile, Technique::splice};

std::string_view technique_name(Technique technique);
std::optional<Technique> technique_from_name(std::string_view name);

}  // namespace zctrace
