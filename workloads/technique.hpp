// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// The I/O techniques zctrace can run. This is the workloads' view: which
// system calls move the bytes. userspace/runs/techniques.hpp describes each
// one for people; userspace/analysis/theory.hpp says which theory rows it is
// held to.
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
    direct_io,   // read() with O_DIRECT into aligned user memory; nothing is sent
    direct_io_send,  // read() with O_DIRECT, then write() the chunk to the socket
    cow,             // fork() after filling a buffer; the child reads it and writes some pages
    large_file_async_direct,  // io_uring reads with O_DIRECT into user memory; nothing is sent
    // The buffered baseline that large_file_async_direct is compared with:
    // read() of the same file into the same memory. Run by zctrace itself,
    // not offered on the command line.
    large_file_buffered,
    // Beyond the seeds: send() with MSG_ZEROCOPY on an SO_ZEROCOPY socket
    // from a buffer filled from the file before the window; the kernel's
    // completions are read from the error queue after it.
    msg_zerocopy,
    // Beyond the seeds: vmsplice() each chunk of a buffer filled from the
    // file before the window into a pipe, then splice() the pipe into the
    // socket. The buffer is not touched again until the run ends.
    vmsplice,
    // Beyond the seeds: io_uring IORING_OP_SEND_ZC of each chunk of a buffer
    // filled from the file before the window, with usage reports; the
    // notifications are reaped after it.
    io_uring_send_zc,
    // Beyond the seeds: copy_file_range() of each chunk of the file into a
    // new file on the same filesystem, made by zctrace before the run.
    copy_file_range,
    // Beyond the seeds: sendfile() of each chunk of the file into a new file
    // on the same filesystem (the kernel splices through an internal pipe).
    sendfile_file,
    // Beyond the seeds: each chunk spliced from the file into a pipe, tee()d
    // into a second pipe, then the first spliced to the socket and the
    // second into a new file (the copy's destination).
    tee,
    // Beyond the seeds: vmsplice as above, with SPLICE_F_GIFT: the buffer's
    // pages are handed to the kernel, which vmsplice(2) says lets a later
    // splice(SPLICE_F_MOVE) move them instead of copying.
    vmsplice_gift,
};

// What `zctrace run all` runs, in this order.
inline constexpr std::array<Technique, 8> kAllTechniques = {
    Technique::read_write, Technique::mmap_write, Technique::sendfile,  Technique::splice,
    Technique::direct_io,  Technique::direct_io_send, Technique::cow, Technique::large_file_async_direct};

// The techniques the seeds do not cover, each held to a row from the
// kernel's documentation; `run` offers them by name and with `beyond`.
inline constexpr std::array<Technique, 7> kBeyondSeedsTechniques = {
    Technique::msg_zerocopy,    Technique::vmsplice,      Technique::vmsplice_gift, Technique::io_uring_send_zc,
    Technique::copy_file_range, Technique::sendfile_file, Technique::tee};

// Whether it puts the user buffer's pages into a pipe with vmsplice().
constexpr bool vmsplices(Technique technique)
{
    return technique == Technique::vmsplice || technique == Technique::vmsplice_gift;
}

// Whether the technique's bytes go to the receiver over TCP. The others keep
// them in the sender, which checksums them itself.
constexpr bool sends_over_network(Technique technique)
{
    return technique <= Technique::splice || technique == Technique::direct_io_send ||
           technique == Technique::msg_zerocopy || vmsplices(technique) ||
           technique == Technique::io_uring_send_zc || technique == Technique::tee;
}

// Whether its sends pin user pages (MSG_ZEROCOPY, io_uring send_zc): the
// kernel then gives its own account of what it copied.
constexpr bool pins_user_pages(Technique technique)
{
    return technique == Technique::msg_zerocopy || technique == Technique::io_uring_send_zc;
}

// Whether the sender reads the file into its payload buffer before the
// window, so that the window holds only what it does with that memory.
constexpr bool fills_buffer_before_window(Technique technique)
{
    return technique == Technique::cow || technique == Technique::msg_zerocopy || vmsplices(technique) ||
           technique == Technique::io_uring_send_zc;
}

// Whether the file is opened with O_DIRECT.
constexpr bool reads_direct(Technique technique)
{
    return technique == Technique::direct_io || technique == Technique::direct_io_send ||
           technique == Technique::large_file_async_direct;
}

// Whether the sender keeps the whole payload in one user buffer.
constexpr bool holds_whole_payload(Technique technique)
{
    return technique == Technique::direct_io || technique == Technique::cow ||
           technique == Technique::large_file_async_direct || technique == Technique::large_file_buffered ||
           technique == Technique::msg_zerocopy || vmsplices(technique) ||
           technique == Technique::io_uring_send_zc || technique == Technique::copy_file_range ||
           technique == Technique::sendfile_file || technique == Technique::tee;
}

// Whether it copies the file into a second file, which zctrace makes in the
// workload's directory before the run.
constexpr bool copies_to_file(Technique technique)
{
    return technique == Technique::copy_file_range || technique == Technique::sendfile_file ||
           technique == Technique::tee;
}

std::string_view technique_name(Technique technique);
// Every technique, the internal baseline included (reports name it).
std::optional<Technique> technique_from_name(std::string_view name);
// Whether `zctrace run` offers it: the techniques in kAllTechniques and
// kBeyondSeedsTechniques.
bool user_can_run(std::string_view name);

}  // namespace zctrace
