#include "techniques.hpp"

#include <array>
#include <string>

namespace zctrace {

const TechniqueInfo& technique_info(Technique technique)
{
    static const std::array<TechniqueInfo, 4> infos = {{
        {Technique::read_write, "read_write", "read() the file into a user buffer, write() it to the socket",
         "one chunk: read(file) + write(socket)", {"read_write"}, "always \"read + write\""},
        {Technique::mmap_write, "mmap_write", "mmap() the file once, write() each chunk from the mapping",
         "one chunk: write(socket) from the mapping; one mmap and one munmap per file",
         {"mmap_write"}, "always \"mmap + write\""},
        {Technique::sendfile, "sendfile", "sendfile() from the file to the socket",
         "one chunk: sendfile(socket, file)", {"sendfile", "sendfile_dma_gather"},
         "\"sendfile + DMA gather\" when the payload left as page-cache frags (scatter-gather), "
         "\"sendfile\" when the kernel copied it"},
        {Technique::splice, "splice", "splice() the file into a pipe, then the pipe into the socket",
         "one chunk: splice(file -> pipe) + splice(pipe -> socket)", {"splice"}, "always \"splice\""},
    }};
    return infos[static_cast<std::size_t>(technique)];
}

std::string technique_names()
{
    std::string names;
    for (Technique technique : kAllTechniques)
        names += (names.empty() ? "" : ", ") + std::string(technique_name(technique));
    return names;
}

}  // namespace zctrace
