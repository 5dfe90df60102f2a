// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "runs/techniques.hpp"

#include <array>
#include <string>

namespace zctrace {

const TechniqueInfo& technique_info(Technique technique)
{
    static const std::array<TechniqueInfo, 16> infos = {{
        {Technique::read_write, "read_write", "read() the file into a user buffer, write() it to the socket",
         "one chunk: read(file) + write(socket)"},
        {Technique::mmap_write, "mmap_write", "mmap() the file once, write() each chunk from the mapping",
         "one chunk: write(socket) from the mapping; one mmap and one munmap per file"},
        {Technique::sendfile, "sendfile", "sendfile() from the file to the socket", "one chunk: sendfile(socket, file)"},
        {Technique::splice, "splice", "splice() the file into a pipe, then the pipe into the socket",
         "one chunk: splice(file -> pipe) + splice(pipe -> socket)"},
        {Technique::direct_io, "direct_io",
         "read() the file with O_DIRECT into page-aligned user memory; nothing is sent, the sender checksums it",
         "one chunk: read(file, O_DIRECT)"},
        {Technique::direct_io_send, "direct_io_send",
         "read() each chunk with O_DIRECT, then write() it to the socket: where the copy comes back",
         "one chunk: read(file, O_DIRECT) + write(socket)"},
        {Technique::cow, "cow",
         "fill a private buffer with the file, fork(); the child reads all of it and writes --write-pages pages",
         "one fork: the child reads the buffer once"},
        {Technique::large_file_async_direct, "large_file_async_direct",
         "io_uring reads with O_DIRECT into user memory, compared with a traced buffered read() of the same file",
         "one chunk: one io_uring read request (O_DIRECT)"},
        {Technique::large_file_buffered, "large_file_buffered",
         "read() the file through the page cache into user memory (large_file_async_direct's baseline)",
         "one chunk: read(file)"},
        {Technique::msg_zerocopy, "msg_zerocopy",
         "send() each chunk with MSG_ZEROCOPY on an SO_ZEROCOPY socket from a buffer filled from the file before "
         "the window; the kernel's completions are read from the error queue after it",
         "one chunk: send(socket, MSG_ZEROCOPY)"},
        {Technique::vmsplice, "vmsplice",
         "vmsplice() each chunk of a buffer filled from the file before the window into a pipe, as references to "
         "its pages, then splice() the pipe into the socket",
         "one chunk: vmsplice(buffer -> pipe) + splice(pipe -> socket)"},
        {Technique::io_uring_send_zc, "io_uring_send_zc",
         "io_uring IORING_OP_SEND_ZC of each chunk of a buffer filled from the file before the window, with usage "
         "reports; the notifications are reaped after it",
         "one chunk: one send_zc request, one io_uring_enter"},
        {Technique::copy_file_range, "copy_file_range",
         "copy_file_range() each chunk of the file into a new file on the same filesystem (--dir): the kernel "
         "copies page cache to page cache, or shares the blocks where the filesystem can (XFS with reflink, btrfs)",
         "one chunk: one copy_file_range(file -> file)"},
        {Technique::sendfile_file, "sendfile_file",
         "sendfile() each chunk of the file into a new file on the same filesystem (--dir): the kernel splices the "
         "page cache through an internal pipe and writes it into the copy's page cache",
         "one chunk: one sendfile(file -> file)"},
        {Technique::tee, "tee",
         "splice() each chunk of the file into a pipe, tee() it into a second pipe, then splice() the first into "
         "the socket and the second into a new file on the same filesystem: one read, two outputs",
         "one chunk: splice(file -> pipe) + tee(pipe -> pipe) + splice(pipe -> socket) + splice(pipe -> file)"},
        {Technique::vmsplice_gift, "vmsplice_gift",
         "vmsplice() each chunk of a buffer filled from the file before the window into a pipe with SPLICE_F_GIFT "
         "(the pages are the kernel's to move), then splice(SPLICE_F_MOVE) the pipe into the socket; the buffer's "
         "page frames are compared before and after",
         "one chunk: vmsplice(buffer -> pipe, SPLICE_F_GIFT) + splice(pipe -> socket)"},
    }};
    return infos[static_cast<std::size_t>(technique)];
}

std::string technique_names()
{
    std::string names;
    for (Technique technique : kAllTechniques)
        names += (names.empty() ? "" : ", ") + std::string(technique_name(technique));
    for (Technique technique : kBeyondSeedsTechniques)
        names += ", " + std::string(technique_name(technique));
    return names;
}

}  // namespace zctrace
