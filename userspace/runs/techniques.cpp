#include "runs/techniques.hpp"

#include <array>
#include <string>

namespace zctrace {

const TechniqueInfo& technique_info(Technique technique)
{
    static const std::array<TechniqueInfo, 9> infos = {{
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
        {Technique::direct_io, "direct_io",
         "read() the file with O_DIRECT into page-aligned user memory; nothing is sent, the sender checksums it",
         "one chunk: read(file, O_DIRECT)", {"direct_io"}, "always \"user-space direct I/O\""},
        {Technique::direct_io_send, "direct_io_send",
         "read() each chunk with O_DIRECT, then write() it to the socket: where the copy comes back",
         "one chunk: read(file, O_DIRECT) + write(socket)", {"direct_io"},
         "always \"user-space direct I/O\"; the write() to the socket is the copy that row leaves out"},
        {Technique::cow, "cow",
         "fill a private buffer with the file, fork(); the child reads all of it and writes --write-pages pages",
         "one fork: the child reads the buffer once", {"copy_on_write"},
         "always \"copy-on-write\" (seed 001's prose; the seeds' table has no row for it)"},
        {Technique::large_file_async_direct, "large_file_async_direct",
         "io_uring reads with O_DIRECT into user memory, compared with a traced buffered read() of the same file",
         "one chunk: one io_uring read request (O_DIRECT)", {"direct_io"},
         "always \"user-space direct I/O\" (seed 003: large files go asynchronous and direct)"},
        {Technique::large_file_buffered, "large_file_buffered",
         "read() the file through the page cache into user memory (large_file_async_direct's baseline)",
         "one chunk: read(file)", {"direct_io"}, "the baseline of large_file_async_direct"},
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
