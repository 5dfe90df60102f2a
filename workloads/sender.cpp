// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// The sender: one loop per technique. Everything that is not the technique
// itself (open, connect, buffers, the pipe for splice) happens before the
// begin marker, so the window holds exactly the calls the theory talks about.
#include <fcntl.h>
#include <poll.h>
#include <linux/errqueue.h>
#include <liburing.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "bpf/memory.h"
#include "bpf/tracking.h"
#include "process_io.hpp"
#include "workload.hpp"

// Linux 6.2's uapi; older headers predate them.
#ifndef IORING_SEND_ZC_REPORT_USAGE
#define IORING_SEND_ZC_REPORT_USAGE (1U << 3)
#endif
#ifndef IORING_NOTIF_USAGE_ZC_COPIED
#define IORING_NOTIF_USAGE_ZC_COPIED (1U << 31)
#endif

namespace zctrace::workload {
namespace {

struct Failure {
    int error;
    const char* what;
};

std::uint64_t monotonic_ns()
{
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::uint64_t>(ts.tv_sec) * 1000000000u + ts.tv_nsec;
}

KernelCounters read_rusage()
{
    KernelCounters counters;
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    counters.voluntary_switches = usage.ru_nvcsw;
    counters.involuntary_switches = usage.ru_nivcsw;
    counters.minor_faults = usage.ru_minflt;
    counters.major_faults = usage.ru_majflt;
    counters.user_ns = timeval_ns(usage.ru_utime);
    counters.system_ns = timeval_ns(usage.ru_stime);
    return counters;
}

// /proc/self/io through an fd opened beforehand, read with one pread() into a
// stack buffer: no allocation, no page fault, and a known cost of its own
// (one read syscall of `length` bytes) that the caller subtracts.
struct ProcIo {
    std::int64_t read_syscalls = 0, write_syscalls = 0, read_chars = 0, write_chars = 0;
    std::int64_t length = 0;  // bytes this snapshot itself read
};

ProcIo read_proc_io(int fd)
{
    ProcIo io;
    char text[512];
    ssize_t n = ::pread(fd, text, sizeof text - 1, 0);
    if (n <= 0)
        return io;
    text[n] = 0;
    io.length = n;
    for (char* line = text; line && *line;) {
        char* next = std::strchr(line, '\n');
        long long value = 0;
        if (std::sscanf(line, "rchar: %lld", &value) == 1) io.read_chars = value;
        else if (std::sscanf(line, "wchar: %lld", &value) == 1) io.write_chars = value;
        else if (std::sscanf(line, "syscr: %lld", &value) == 1) io.read_syscalls = value;
        else if (std::sscanf(line, "syscw: %lld", &value) == 1) io.write_syscalls = value;
        line = next ? next + 1 : nullptr;
    }
    return io;
}

// Kernel counters for what happened between the two snapshots. The snapshots
// nest (io, rusage | window | rusage, io) so the rusage delta holds only the
// window and its markers; the first io read's own cost is taken back out.
KernelCounters window_delta(const ProcIo& io_before, const KernelCounters& before, const KernelCounters& after,
                            const ProcIo& io_after)
{
    return {after.voluntary_switches - before.voluntary_switches,
            after.involuntary_switches - before.involuntary_switches,
            after.minor_faults - before.minor_faults,
            after.major_faults - before.major_faults,
            after.user_ns - before.user_ns,
            after.system_ns - before.system_ns,
            io_after.read_syscalls - io_before.read_syscalls - 1,
            io_after.write_syscalls - io_before.write_syscalls,
            io_after.read_chars - io_before.read_chars - io_before.length,
            io_after.write_chars - io_before.write_chars};
}

// Writes all of [data, data + size), counting every write() call, and as
// repeats those after the first.
void write_all(int sock, const char* data, std::uint64_t size, CallTally& calls, CallTally& repeats)
{
    for (bool first = true; size > 0; first = false) {
        ssize_t n = ::write(sock, data, size);
        ++calls.write;
        repeats.write += !first;
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            throw Failure{n < 0 ? errno : EIO, "write to the socket"};
        data += n;
        size -= static_cast<std::uint64_t>(n);
    }
}

struct Plan {
    const SenderSpec& spec;
    int file;
    int sock;
    SenderReport& report;

    std::uint64_t next_chunk(std::uint64_t moved) const
    {
        return std::min(spec.chunk, spec.bytes - moved);
    }

    // Moves the payload chunk by chunk: step(offset, length) moves what it
    // can of the rest of a chunk and returns how much (0 after EINTR); a
    // chunk takes the steps it needs and is one transfer. Returns the bytes
    // moved. A technique's calls beyond one per chunk are then its repeats.
    template <typename Step>
    std::uint64_t in_chunks(Step step)
    {
        std::uint64_t moved = 0;
        while (moved < spec.bytes) {
            const std::uint64_t chunk_end = moved + next_chunk(moved);
            while (moved < chunk_end)
                moved += step(moved, chunk_end - moved);
            ++report.transfers;
        }
        return moved;
    }
};

// One read() of the file, counted; empty when EINTR interrupted it (a call
// to repeat). Throws on an error or an early end of the file.
std::optional<std::uint64_t> read_file(Plan& plan, char* into, std::uint64_t length)
{
    const ssize_t n = ::read(plan.file, into, length);
    ++plan.report.calls.read;
    if (n < 0 && errno == EINTR) {
        ++plan.report.repeats.read;
        return std::nullopt;
    }
    if (n <= 0)
        throw Failure{n < 0 ? errno : EIO, "read from the file"};
    return static_cast<std::uint64_t>(n);
}

void send_read_write(Plan& plan, std::vector<char>& buffer)
{
    CallTally& calls = plan.report.calls;
    std::uint64_t moved = 0;
    while (moved < plan.spec.bytes) {
        const auto n = read_file(plan, buffer.data(), plan.next_chunk(moved));
        if (!n)
            continue;
        write_all(plan.sock, buffer.data(), *n, calls, plan.report.repeats);
        moved += *n;
        ++plan.report.transfers;
    }
    plan.report.bytes_sent = moved;
}

void send_mmap_write(Plan& plan)
{
    CallTally& calls = plan.report.calls;
    void* mapping = ::mmap(nullptr, plan.spec.bytes, PROT_READ, MAP_SHARED, plan.file, 0);
    ++calls.mmap;
    if (mapping == MAP_FAILED)
        throw Failure{errno, "mmap the file"};
    const char* bytes = static_cast<const char*>(mapping);
    std::uint64_t moved = 0;
    while (moved < plan.spec.bytes) {
        std::uint64_t n = plan.next_chunk(moved);
        write_all(plan.sock, bytes + moved, n, calls, plan.report.repeats);
        moved += n;
        ++plan.report.transfers;
    }
    ::munmap(mapping, plan.spec.bytes);
    ++calls.munmap;
    plan.report.bytes_sent = moved;
}

void send_sendfile(Plan& plan)
{
    CallTally& calls = plan.report.calls;
    off_t offset = 0;
    while (static_cast<std::uint64_t>(offset) < plan.spec.bytes) {
        const std::uint64_t chunk_end = static_cast<std::uint64_t>(offset) + plan.next_chunk(offset);
        for (bool first = true; static_cast<std::uint64_t>(offset) < chunk_end; first = false) {
            ssize_t n = ::sendfile(plan.sock, plan.file, &offset, chunk_end - offset);
            ++calls.sendfile;
            plan.report.repeats.sendfile += !first;
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                throw Failure{n < 0 ? errno : EIO, "sendfile"};
        }
        ++plan.report.transfers;
    }
    plan.report.bytes_sent = static_cast<std::uint64_t>(offset);
}

// Empties `in_pipe` bytes of the pipe into `to` (at *offset, for a file),
// each splice counted.
void drain_pipe(Plan& plan, int pipe_out, int to, loff_t* offset, ssize_t in_pipe, const char* what)
{
    while (in_pipe > 0) {
        const ssize_t out =
            ::splice(pipe_out, nullptr, to, offset, static_cast<std::size_t>(in_pipe), SPLICE_F_MOVE);
        ++plan.report.calls.splice;
        if (out < 0 && errno == EINTR)
            continue;
        if (out <= 0)
            throw Failure{out < 0 ? errno : EIO, what};
        in_pipe -= out;
    }
}

void drain_pipe_to_socket(Plan& plan, int pipe_out, ssize_t in_pipe)
{
    drain_pipe(plan, pipe_out, plan.sock, nullptr, in_pipe, "splice from the pipe into the socket");
}

void send_splice(Plan& plan, const int pipe_fds[2])
{
    CallTally& calls = plan.report.calls;
    loff_t offset = 0;
    while (static_cast<std::uint64_t>(offset) < plan.spec.bytes) {
        const std::uint64_t chunk_end = static_cast<std::uint64_t>(offset) + plan.next_chunk(offset);
        // A chunk is one splice in and one out when the pipe holds it; the
        // rest (more fills, short or interrupted calls) are repeats.
        const std::uint64_t calls_before = calls.splice;
        while (static_cast<std::uint64_t>(offset) < chunk_end) {
            ssize_t in_pipe = ::splice(plan.file, &offset, pipe_fds[1], nullptr,
                                       chunk_end - offset, SPLICE_F_MOVE);
            ++calls.splice;
            if (in_pipe < 0 && errno == EINTR)
                continue;
            if (in_pipe <= 0)
                throw Failure{in_pipe < 0 ? errno : EIO, "splice from the file into the pipe"};
            drain_pipe_to_socket(plan, pipe_fds[0], in_pipe);
        }
        plan.report.repeats.splice += calls.splice - calls_before - 2;
        ++plan.report.transfers;
    }
    plan.report.bytes_sent = static_cast<std::uint64_t>(offset);
}

// tee: each chunk goes from the file into pipe A by reference, is
// duplicated into pipe B by tee() (pipe buffers by reference, tee(2)), then
// A drains into the socket and B into the copy's destination file. Per
// chunk: 3 splices and 1 tee when the pipes hold it; the rest are repeats.
void send_tee(Plan& plan, const int pipe_a[2], const int pipe_b[2], int destination)
{
    CallTally& calls = plan.report.calls;
    plan.report.bytes_sent = plan.in_chunks([&](std::uint64_t offset, std::uint64_t length) -> std::uint64_t {
        auto in = static_cast<loff_t>(offset);
        const ssize_t in_pipe = ::splice(plan.file, &in, pipe_a[1], nullptr, length, SPLICE_F_MOVE);
        ++calls.splice;
        if (in_pipe < 0 && errno == EINTR)
            return 0;
        if (in_pipe <= 0)
            throw Failure{in_pipe < 0 ? errno : EIO, "splice from the file into the pipe"};
        // B is empty, so tee takes all of A unless interrupted.
        ssize_t duplicated = 0;
        while (duplicated < in_pipe) {
            const ssize_t n = ::tee(pipe_a[0], pipe_b[1], static_cast<std::size_t>(in_pipe - duplicated), 0);
            ++calls.tee;
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0 || duplicated + n > in_pipe)
                throw Failure{n < 0 ? errno : EIO, "tee the pipe into the second pipe"};
            duplicated += n;
            if (duplicated < in_pipe)
                throw Failure{EIO, "tee duplicated part of the pipe; the second pipe was not empty"};
        }
        drain_pipe_to_socket(plan, pipe_a[0], in_pipe);
        auto out = static_cast<loff_t>(offset);
        drain_pipe(plan, pipe_b[0], destination, &out, in_pipe, "splice from the second pipe into the file");
        return static_cast<std::uint64_t>(in_pipe);
    });
    plan.report.repeats.splice = calls.splice - 3 * plan.report.transfers;
    plan.report.repeats.tee = calls.tee - plan.report.transfers;
}

// vmsplice: each chunk of the buffer goes into the pipe as references to
// its user pages (vmsplice(2)), then out to the socket by splice(). A chunk
// is one vmsplice and one splice when the pipe holds it; the rest are
// repeats.
// vmsplice_gift passes SPLICE_F_GIFT, the same buffer otherwise: page
// aligned (mapped) and in whole pages (the chunk is checked before the run).
void send_vmsplice(Plan& plan, const int pipe_fds[2], const char* buffer, unsigned flags)
{
    CallTally& calls = plan.report.calls;
    plan.report.bytes_sent = plan.in_chunks([&](std::uint64_t offset, std::uint64_t length) -> std::uint64_t {
        iovec piece{const_cast<char*>(buffer + offset), length};
        const ssize_t in_pipe = ::vmsplice(pipe_fds[1], &piece, 1, flags);
        ++calls.vmsplice;
        if (in_pipe < 0 && errno == EINTR)
            return 0;
        if (in_pipe <= 0)
            throw Failure{in_pipe < 0 ? errno : EIO, "vmsplice the buffer into the pipe"};
        drain_pipe_to_socket(plan, pipe_fds[0], in_pipe);
        return static_cast<std::uint64_t>(in_pipe);
    });
    plan.report.repeats.vmsplice = calls.vmsplice - plan.report.transfers;
    plan.report.repeats.splice = calls.splice - plan.report.transfers;
}

// io_uring_send_zc: one IORING_OP_SEND_ZC per chunk, with usage reports.
// Each submit-and-wait is one io_uring_enter; waiting again for a result
// behind a notification, or sending the rest of a short send, is a repeat.
// Notifications are counted as they come and reaped after the window.
void count_uring_notification(const io_uring_cqe& cqe, SenderReport& report)
{
    ++report.zerocopy_notifications;
    ++report.zerocopy_sends_completed;
    if (static_cast<unsigned>(cqe.res) & IORING_NOTIF_USAGE_ZC_COPIED)
        ++report.zerocopy_sends_copied;
}

void send_with_uring_zc(Plan& plan, io_uring& ring, const char* buffer)
{
    CallTally& calls = plan.report.calls;
    plan.report.bytes_sent = plan.in_chunks([&](std::uint64_t offset, std::uint64_t length) -> std::uint64_t {
        io_uring_sqe* sqe = io_uring_get_sqe(&ring);
        if (!sqe)
            throw Failure{EBUSY, "get an io_uring submission entry"};
        io_uring_prep_send_zc(sqe, plan.sock, buffer + offset, length, 0, IORING_SEND_ZC_REPORT_USAGE);
        int result = 0;
        for (bool have_result = false; !have_result;) {
            // With a CQE to wait for, liburing always enters the kernel.
            const int rc = io_uring_submit_and_wait(&ring, 1);
            ++calls.io_uring_enter;
            if (rc < 0 && rc != -EINTR)
                throw Failure{-rc, "io_uring_enter (send_zc)"};
            // Reaped from the shared ring without a syscall
            // (io_uring_peek_cqe may enter the kernel to flush).
            unsigned head = 0, reaped = 0;
            io_uring_cqe* cqe = nullptr;
            io_uring_for_each_cqe(&ring, head, cqe)
            {
                ++reaped;
                if (cqe->flags & IORING_CQE_F_NOTIF) {
                    count_uring_notification(*cqe, plan.report);
                } else {
                    have_result = true;
                    result = cqe->res;
                }
            }
            io_uring_cq_advance(&ring, reaped);
        }
        if (result <= 0)
            throw Failure{result < 0 ? -result : EIO, "io_uring send_zc"};
        ++plan.report.zerocopy_sends;
        return static_cast<std::uint64_t>(result);
    });
    plan.report.repeats.io_uring_enter = calls.io_uring_enter - plan.report.transfers;
}

// send_zc posts a second CQE (the notification) per send when its pages are
// released, which may be long after the result: ACKs for a socket buffer's
// worth of sends release their pages in a burst. A ring with too few CQ
// entries then overflows, and the kernel posts the overflowed CQEs later
// without the io_uring_complete tracepoint, hiding their bytes from the
// probes; room for two CQEs per send keeps the ring from ever filling.
int set_up_ring(io_uring& ring, const SenderSpec& spec)
{
    io_uring_params params{};
    if (spec.technique == Technique::io_uring_send_zc) {
        constexpr std::uint64_t kMaxCqEntries = 65536;  // IORING_MAX_CQ_ENTRIES
        const std::uint64_t sends = (spec.bytes + spec.chunk - 1) / spec.chunk;
        params.flags |= IORING_SETUP_CQSIZE;
        params.cq_entries = static_cast<unsigned>(std::clamp<std::uint64_t>(2 * sends + 2, 2 * kUringQueueDepth,
                                                                            kMaxCqEntries));
    }
    return io_uring_queue_init_params(kUringQueueDepth, &ring, &params);
}

// After the window: the notifications still to come, one per send.
void reap_uring_notifications(io_uring& ring, SenderReport& report)
{
    while (report.zerocopy_sends_completed < report.zerocopy_sends) {
        io_uring_cqe* cqe = nullptr;
        const int rc = io_uring_wait_cqe(&ring, &cqe);
        if (rc == -EINTR)
            continue;
        if (rc < 0)
            throw Failure{-rc, "wait for io_uring send_zc notifications"};
        if (cqe->flags & IORING_CQE_F_NOTIF)
            count_uring_notification(*cqe, report);
        io_uring_cqe_seen(&ring, cqe);
    }
}

std::uint64_t page_size()
{
    return static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
}

std::uint64_t round_up(std::uint64_t value, std::uint64_t unit)
{
    return (value + unit - 1) / unit * unit;
}

// O_DIRECT wants lengths in whole logical blocks; the tail of a file that is
// not a multiple of the page size is asked for in full and comes back short.
std::uint64_t request_length(const Plan& plan, std::uint64_t moved)
{
    const std::uint64_t n = plan.next_chunk(moved);
    return reads_direct(plan.spec.technique) ? round_up(n, page_size()) : n;
}

// direct_io and large_file_buffered: read() the file chunk by chunk into the
// payload buffer, with or without O_DIRECT (the file's open flags decide).
void read_into_buffer(Plan& plan, char* buffer)
{
    std::uint64_t moved = 0;
    while (moved < plan.spec.bytes) {
        const auto n = read_file(plan, buffer + moved, request_length(plan, moved));
        if (!n)
            continue;
        moved += *n;
        ++plan.report.transfers;
    }
    plan.report.consumed_bytes = moved;
}

// copy_file_range: one call per chunk, file to file inside the kernel; a
// short copy is finished by calling again.
void copy_into_file(Plan& plan, int destination)
{
    CallTally& calls = plan.report.calls;
    plan.report.consumed_bytes = plan.in_chunks([&](std::uint64_t offset, std::uint64_t length) -> std::uint64_t {
        auto in = static_cast<off64_t>(offset), out = static_cast<off64_t>(offset);
        const ssize_t n = ::copy_file_range(plan.file, &in, destination, &out, length, 0);
        ++calls.copy_file_range;
        if (n < 0 && errno == EINTR)
            return 0;
        if (n < 0)
            throw Failure{errno, "copy_file_range"};
        if (n == 0)
            throw Failure{EIO, "copy_file_range returned 0 before the end of the file"};
        return static_cast<std::uint64_t>(n);
    });
    plan.report.repeats.copy_file_range = calls.copy_file_range - plan.report.transfers;
}

// sendfile_file: one sendfile() per chunk into the destination file;
// sendfile(2) takes any file as out_fd since Linux 2.6.33.
void sendfile_into_file(Plan& plan, int destination)
{
    CallTally& calls = plan.report.calls;
    plan.report.consumed_bytes = plan.in_chunks([&](std::uint64_t offset, std::uint64_t length) -> std::uint64_t {
        auto in = static_cast<off_t>(offset);
        const ssize_t n = ::sendfile(destination, plan.file, &in, length);
        ++calls.sendfile;
        if (n < 0 && errno == EINTR)
            return 0;
        if (n <= 0)
            throw Failure{n < 0 ? errno : EIO, "sendfile into the copy"};
        return static_cast<std::uint64_t>(n);
    });
    plan.report.repeats.sendfile = calls.sendfile - plan.report.transfers;
}

// vmsplice(2): the buffer must not be written until the data has left.
// What that costs the sender: the bytes still unacknowledged when its last
// splice returned, and the wait until TCP had them all acknowledged (the
// receive side may hold the pages a little longer, until it reads them).
void time_buffer_release(int sock, SenderReport& report)
{
    constexpr std::uint64_t kGiveUpNs = 10'000'000'000;
    const std::uint64_t start = monotonic_ns();
    int unacked = 0;
    if (::ioctl(sock, SIOCOUTQ, &unacked) < 0)
        throw Failure{errno, "ioctl(SIOCOUTQ)"};
    report.unacked_at_end_bytes = static_cast<std::uint64_t>(unacked);
    while (unacked > 0 && monotonic_ns() - start < kGiveUpNs) {
        const timespec pause{0, 20'000};
        ::nanosleep(&pause, nullptr);
        if (::ioctl(sock, SIOCOUTQ, &unacked) < 0)
            throw Failure{errno, "ioctl(SIOCOUTQ)"};
    }
    report.until_acked_ns = monotonic_ns() - start;
}

// The physical frame of each page of the buffer, from /proc/self/pagemap
// (bits 0-54 when present, bit 63); 0 for a page not present. Frame numbers
// read as 0 without CAP_SYS_ADMIN.
std::vector<std::uint64_t> buffer_frames(const char* buffer, std::uint64_t bytes)
{
    const auto page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
    std::vector<std::uint64_t> entries((bytes + page - 1) / page);
    const int pagemap = ::open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
    if (pagemap < 0)
        throw Failure{errno, "open /proc/self/pagemap"};
    const auto first = reinterpret_cast<std::uintptr_t>(buffer) / page * sizeof(std::uint64_t);
    const std::size_t want = entries.size() * sizeof(std::uint64_t);
    const ssize_t n = ::pread(pagemap, entries.data(), want, static_cast<off_t>(first));
    const int saved = errno;
    ::close(pagemap);
    if (n != static_cast<ssize_t>(want))
        throw Failure{n < 0 ? saved : EIO, "read the buffer's entries in /proc/self/pagemap"};
    for (std::uint64_t& entry : entries)
        entry = (entry >> 63) ? entry & ((std::uint64_t{1} << 55) - 1) : 0;
    return entries;
}

void compare_gift_frames(const std::vector<std::uint64_t>& before, const std::vector<std::uint64_t>& after,
                         SenderReport& report)
{
    report.gift_pages = before.size();
    for (std::size_t i = 0; i < before.size() && i < after.size(); ++i) {
        report.gift_frames_readable = report.gift_frames_readable || before[i] != 0;
        report.gift_pages_same_frame += before[i] != 0 && before[i] == after[i];
    }
}

// After the window: what the destination's extents are (shared ones are
// reflinks), and its bytes read back into the buffer to be checksummed.
void inspect_copy(int destination, char* buffer, std::uint64_t bytes, SenderReport& report)
{
    constexpr unsigned kExtentsPerCall = 64;
    std::vector<char> storage(sizeof(fiemap) + kExtentsPerCall * sizeof(fiemap_extent));
    auto* map = reinterpret_cast<fiemap*>(storage.data());
    std::uint64_t start = 0;
    for (bool last = false; !last;) {
        std::fill(storage.begin(), storage.end(), 0);
        map->fm_start = start;
        map->fm_length = FIEMAP_MAX_OFFSET - start;
        map->fm_extent_count = kExtentsPerCall;
        if (::ioctl(destination, FS_IOC_FIEMAP, map) < 0)
            throw Failure{errno, "FS_IOC_FIEMAP on the copy"};
        if (map->fm_mapped_extents == 0)
            break;
        for (unsigned i = 0; i < map->fm_mapped_extents; ++i) {
            const fiemap_extent& extent = map->fm_extents[i];
            ++report.copy_extents;
            report.copy_shared_extents += (extent.fe_flags & FIEMAP_EXTENT_SHARED) != 0;
            last = last || (extent.fe_flags & FIEMAP_EXTENT_LAST);
            start = extent.fe_logical + extent.fe_length;
        }
    }
    std::uint64_t done = 0;
    while (done < bytes) {
        const ssize_t n = ::pread(destination, buffer + done, bytes - done, static_cast<off_t>(done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            throw Failure{n < 0 ? errno : EIO, "read the copy back"};
        done += static_cast<std::uint64_t>(n);
    }
}

// direct_io_send: the O_DIRECT read lands in user memory without a copy,
// and write() then copies it into the socket.
void send_direct_io(Plan& plan, char* chunk_buffer)
{
    CallTally& calls = plan.report.calls;
    std::uint64_t moved = 0;
    while (moved < plan.spec.bytes) {
        const auto n = read_file(plan, chunk_buffer, request_length(plan, moved));
        if (!n)
            continue;
        write_all(plan.sock, chunk_buffer, *n, calls, plan.report.repeats);
        moved += *n;
        ++plan.report.transfers;
    }
    plan.report.bytes_sent = moved;
}

// The kernel's completions waiting on the error queue (msg_zerocopy.rst,
// Notifications): each covers sends [ee_info, ee_data], and
// SO_EE_CODE_ZEROCOPY_COPIED says the kernel copied their data after all.
// Reads until `sends` are covered, or (sends == 0) what is queued now.
void read_zerocopy_completions(int sock, std::uint64_t sends, SenderReport& report, bool count_calls)
{
    for (;;) {
        if (sends && report.zerocopy_sends_completed >= sends)
            return;
        if (sends) {
            pollfd waiting{sock, 0, 0};  // POLLERR is always reported
            if (::poll(&waiting, 1, 5000) == 0)
                throw Failure{ETIMEDOUT, "wait for MSG_ZEROCOPY completions"};
        }
        char control[128];
        msghdr message{};
        message.msg_control = control;
        message.msg_controllen = sizeof control;
        const ssize_t got = ::recvmsg(sock, &message, MSG_ERRQUEUE | (sends ? 0 : MSG_DONTWAIT));
        if (count_calls) {
            ++report.calls.recvmsg;
            ++report.repeats.recvmsg;
        }
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0 && errno == EAGAIN) {
            if (!sends)
                return;
            continue;
        }
        if (got < 0)
            throw Failure{errno, "recvmsg(MSG_ERRQUEUE)"};
        for (cmsghdr* cm = CMSG_FIRSTHDR(&message); cm; cm = CMSG_NXTHDR(&message, cm)) {
            const auto* error = reinterpret_cast<const sock_extended_err*>(CMSG_DATA(cm));
            if (error->ee_origin != SO_EE_ORIGIN_ZEROCOPY)
                continue;
            const std::uint64_t covered = static_cast<std::uint64_t>(error->ee_data - error->ee_info) + 1;
            ++report.zerocopy_notifications;
            report.zerocopy_sends_completed += covered;
            if (error->ee_code & SO_EE_CODE_ZEROCOPY_COPIED)
                report.zerocopy_sends_copied += covered;
        }
    }
}

// msg_zerocopy: one send(MSG_ZEROCOPY) per chunk of the buffer filled from
// the file before the window. The pages stay pinned until the kernel's
// completion, so the buffer is not touched again until then. ENOBUFS means
// the completions queued have used the socket's option memory: they are read
// (recvmsg calls, counted as repeats) and the send is made again.
void send_msg_zerocopy(Plan& plan, const char* buffer)
{
    CallTally& calls = plan.report.calls;
    std::uint64_t moved = 0;
    while (moved < plan.spec.bytes) {
        const std::uint64_t end = moved + plan.next_chunk(moved);
        for (bool first = true; moved < end; first = false) {
            const ssize_t n = ::send(plan.sock, buffer + moved, end - moved, MSG_ZEROCOPY);
            ++calls.sendto;
            plan.report.repeats.sendto += !first;
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0 && errno == ENOBUFS) {
                read_zerocopy_completions(plan.sock, 0, plan.report, true);
                continue;
            }
            if (n <= 0)
                throw Failure{n < 0 ? errno : EIO, "send(MSG_ZEROCOPY) to the socket"};
            moved += static_cast<std::uint64_t>(n);
            ++plan.report.zerocopy_sends;
        }
        ++plan.report.transfers;
    }
    plan.report.bytes_sent = moved;
}

// large_file_async_direct: rounds of up to kUringQueueDepth O_DIRECT reads.
// Each round is exactly one io_uring_enter, which submits the round and waits
// for all of it; completions are reaped from the shared ring without a
// syscall.
void read_with_io_uring(Plan& plan, io_uring& ring, char* buffer)
{
    CallTally& calls = plan.report.calls;
    std::uint64_t queued = 0, done = 0;
    unsigned in_flight = 0;
    while (done < plan.spec.bytes) {
        while (in_flight < kUringQueueDepth && queued < plan.spec.bytes) {
            io_uring_sqe* sqe = io_uring_get_sqe(&ring);
            if (!sqe)
                break;
            const std::uint64_t length = request_length(plan, queued);
            io_uring_prep_read(sqe, plan.file, buffer + queued, static_cast<unsigned>(length), queued);
            io_uring_sqe_set_data64(sqe, std::min(length, plan.spec.bytes - queued));
            queued += std::min(length, plan.spec.bytes - queued);
            ++in_flight;
        }
        const int submitted = io_uring_submit_and_wait(&ring, in_flight);
        ++calls.io_uring_enter;
        if (submitted == -EINTR) {
            ++plan.report.repeats.io_uring_enter;
            continue;
        }
        if (submitted < 0)
            throw Failure{-submitted, "io_uring_enter"};
        unsigned head = 0, reaped = 0;
        io_uring_cqe* cqe = nullptr;
        int failure = 0;
        io_uring_for_each_cqe(&ring, head, cqe)
        {
            ++reaped;
            if (cqe->res < 0 || static_cast<std::uint64_t>(cqe->res) != io_uring_cqe_get_data64(cqe))
                failure = cqe->res < 0 ? -cqe->res : EIO;
            else
                done += static_cast<std::uint64_t>(cqe->res);
        }
        io_uring_cq_advance(&ring, reaped);
        in_flight -= reaped;
        plan.report.transfers += reaped;
        if (failure)
            throw Failure{failure, "an io_uring read of the file (short or failed)"};
    }
    plan.report.consumed_bytes = done;
}

std::uint32_t checksum(const char* data, std::uint64_t size)
{
    uLong crc = ::crc32(0L, Z_NULL, 0);
    for (std::uint64_t done = 0; done < size;) {
        const auto n = static_cast<uInt>(std::min<std::uint64_t>(size - done, 1u << 30));
        crc = ::crc32(crc, reinterpret_cast<const Bytef*>(data + done), n);
        done += n;
    }
    return static_cast<std::uint32_t>(crc);
}

// Shared between the cow sender and its child (MAP_SHARED survives fork):
// the child publishes what it saw and spins, without a syscall, until the
// parent has read its smaps outside the window (at most 5 s).
struct CowHandshake {
    std::atomic<std::uint32_t> child_crc32{0};
    std::atomic<std::uint64_t> pages_written{0};
    std::atomic<int> may_exit{0};
};

// cow: fork with the buffer filled. The child reads every byte (checksum),
// then writes one byte in each of write_pages pages spread over the buffer,
// and tells the parent through a pipe. Syscalls in the window: clone (parent),
// write (child), read (parent).
void fork_and_touch(Plan& plan, char* buffer, CowHandshake& handshake, const int done_pipe[2], pid_t& child)
{
    CallTally& calls = plan.report.calls;
    const std::uint64_t pages = (plan.spec.bytes + page_size() - 1) / page_size();
    const std::uint64_t writes = std::min(plan.spec.write_pages, pages);
    // The raw syscall, not fork(): glibc's child-side work (set_robust_list)
    // would add syscalls of its own to the window.
    child = static_cast<pid_t>(::syscall(SYS_clone, SIGCHLD, nullptr, nullptr, nullptr, nullptr));
    ++calls.clone;
    if (child < 0)
        throw Failure{errno, "fork"};
    if (child == 0) {
        handshake.child_crc32.store(checksum(buffer, plan.spec.bytes));
        // Counted as written, not taken from --write-pages: the claim is
        // judged against what the child did.
        const std::uint64_t stride = writes ? pages / writes : 0;
        std::uint64_t written = 0;
        for (std::uint64_t i = 0; i < writes; ++i, ++written)
            buffer[i * stride * page_size()] ^= 0x5a;
        handshake.pages_written.store(written);
        if (::write(done_pipe[1], "d", 1) != 1)
            ::_exit(1);
        // Any syscall here could land inside the window, so the child waits
        // by spinning on the vDSO clock. The deadline bounds an orphan's
        // life if the parent is killed meanwhile.
        const std::uint64_t deadline = monotonic_ns() + 5'000'000'000ull;
        while (!handshake.may_exit.load() && monotonic_ns() < deadline)
            ;
        ::_exit(0);
    }
    ++calls.write;  // the child's, made in its copy of this tally
    char done = 0;
    ssize_t n;
    for (bool first = true;; first = false) {
        n = ::read(done_pipe[0], &done, 1);
        ++calls.read;
        plan.report.repeats.read += !first;
        if (!(n < 0 && errno == EINTR))
            break;
    }
    if (n != 1 || done != 'd')
        throw Failure{n < 0 ? errno : ECHILD, "hear from the forked child"};
    plan.report.transfers = 1;
}

// The child's view of the buffer's pages, from the kernel's smaps: shared
// with the parent, or its own copies.
void read_child_smaps(pid_t child, std::uint64_t buffer_bytes, CowOutcome& cow)
{
    const std::string path = "/proc/" + std::to_string(child) + "/smaps";
    FILE* smaps = std::fopen(path.c_str(), "re");
    if (!smaps)
        return;
    char line[512];
    bool inside = false;
    while (std::fgets(line, sizeof line, smaps)) {
        unsigned long long start = 0, end = 0;
        // A mapping's header line; no field name parses as "<hex>-<hex>".
        if (std::sscanf(line, "%llx-%llx ", &start, &end) == 2) {
            inside = start == ZC_PAYLOAD_BUFFER_BASE && end == ZC_PAYLOAD_BUFFER_BASE + buffer_bytes;
            cow.smaps_found = cow.smaps_found || inside;
            continue;
        }
        if (!inside)
            continue;
        unsigned long long kib = 0;
        if (std::sscanf(line, "Shared_Clean: %llu kB", &kib) == 1 || std::sscanf(line, "Shared_Dirty: %llu kB", &kib) == 1)
            cow.shared_kib += kib;
        else if (std::sscanf(line, "Private_Clean: %llu kB", &kib) == 1 ||
                 std::sscanf(line, "Private_Dirty: %llu kB", &kib) == 1)
            cow.private_kib += kib;
        else if (std::sscanf(line, "Rss: %llu kB", &kib) == 1)
            cow.rss_kib = kib;
    }
    std::fclose(smaps);
}

// The payload buffer at its fixed address, touched so that no page fault of
// its own falls in the window, and kept out of transparent huge pages: a
// copy-on-write of a huge page would not be one page per write.
char* map_payload_buffer(std::uint64_t bytes)
{
    void* memory = ::mmap(reinterpret_cast<void*>(ZC_PAYLOAD_BUFFER_BASE), bytes, PROT_READ | PROT_WRITE,
                          MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (memory == MAP_FAILED)
        throw Failure{errno, "map the payload buffer at its fixed address"};
    if (memory != reinterpret_cast<void*>(ZC_PAYLOAD_BUFFER_BASE))
        throw Failure{EEXIST, "map the payload buffer at its fixed address (the kernel chose another)"};
    ::madvise(memory, bytes, MADV_NOHUGEPAGE);
    std::memset(memory, 0, bytes);
    return static_cast<char*>(memory);
}

// cow's buffer holds the file before the fork, read the ordinary way.
void fill_from_file(int file, char* buffer, std::uint64_t size)
{
    for (std::uint64_t done = 0; done < size;) {
        ssize_t n = ::pread(file, buffer + done, size - done, static_cast<off_t>(done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            throw Failure{n < 0 ? errno : EIO, "read the file into the buffer"};
        done += static_cast<std::uint64_t>(n);
    }
}

int connect_to(std::uint32_t address, std::uint16_t port)
{
    int sock = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (sock < 0)
        throw Failure{errno, "create the socket"};
    sockaddr_in peer{};
    peer.sin_family = AF_INET;
    peer.sin_port = htons(port);
    peer.sin_addr.s_addr = htonl(address);
    if (::connect(sock, reinterpret_cast<sockaddr*>(&peer), sizeof peer) < 0)
        throw Failure{errno, "connect to the receiver"};
    return sock;
}

}  // namespace

std::uint64_t payload_buffer_bytes(Technique technique, std::uint64_t bytes, std::uint64_t chunk)
{
    if (holds_whole_payload(technique))
        return round_up(bytes, page_size());
    return technique == Technique::direct_io_send ? round_up(chunk, page_size()) : 0;
}

std::vector<std::pair<std::string, std::uint64_t>> CallTally::by_name() const
{
    std::vector<std::pair<std::string, std::uint64_t>> out;
    const std::pair<const char*, std::uint64_t> all[] = {
        {"read", read}, {"write", write}, {"mmap", mmap}, {"munmap", munmap},
        {"sendfile", sendfile}, {"splice", splice}, {"clone", clone}, {"io_uring_enter", io_uring_enter},
        {"sendto", sendto}, {"recvmsg", recvmsg}, {"vmsplice", vmsplice}, {"copy_file_range", copy_file_range},
        {"tee", tee}};
    for (const auto& [name, count] : all)
        if (count)
            out.emplace_back(name, count);
    return out;
}

void mark_window(std::uint64_t op, std::uint64_t cookie)
{
    ::syscall(ZC_MARKER_SYSCALL_NR, op, cookie);
}

bool MeasurementWindow::prepare()
{
    proc_io_ = ::open("/proc/self/io", O_RDONLY | O_CLOEXEC);
    return proc_io_ >= 0;
}

// Nested (io, rusage | window | rusage, io) so that the rusage delta holds
// only the window and its markers.
void MeasurementWindow::open(std::uint64_t cookie)
{
    const ProcIo io = read_proc_io(proc_io_);
    io_before_[0] = io.read_syscalls;
    io_before_[1] = io.write_syscalls;
    io_before_[2] = io.read_chars;
    io_before_[3] = io.write_chars;
    io_before_[4] = io.length;
    start_ns_ = monotonic_ns();
    before_ = read_rusage();
    mark_window(ZC_MARKER_BEGIN, cookie);
}

KernelCounters MeasurementWindow::close(std::uint64_t cookie, std::uint64_t& window_ns)
{
    mark_window(ZC_MARKER_END, cookie);
    const KernelCounters after = read_rusage();
    window_ns = monotonic_ns() - start_ns_;
    const ProcIo before{io_before_[0], io_before_[1], io_before_[2], io_before_[3], io_before_[4]};
    return window_delta(before, before_, after, read_proc_io(proc_io_));
}

MeasurementWindow::~MeasurementWindow()
{
    if (proc_io_ >= 0)
        ::close(proc_io_);
}

int run_sender(const SenderSpec& spec, int go_fd, int report_fd)
{
    SenderReport report;
    int file = -1, sock = -1;
    int pipe_fds[2] = {-1, -1};
    int second_pipe[2] = {-1, -1};  // tee
    char* buffer = nullptr;
    io_uring ring{};
    bool ring_ready = false;
    CowHandshake* handshake = nullptr;
    pid_t cow_child = -1;
    try {
        char go = 0;
        while (::read(go_fd, &go, 1) < 0 && errno == EINTR) {
        }
        if (go != 'g')
            throw Failure{ECANCELED, "zctrace did not start the sender"};

        const int direct = reads_direct(spec.technique) ? O_DIRECT : 0;
        file = ::open(spec.file_path.c_str(), O_RDONLY | O_CLOEXEC | direct);
        if (file < 0)
            throw Failure{errno, direct ? "open the workload file with O_DIRECT" : "open the workload file"};
        // Techniques that send nothing still connect, so the receiver's
        // accept() returns; it then sees EOF at once.
        sock = connect_to(spec.address, spec.port);

        std::vector<char> chunk_buffer;
        if (spec.technique == Technique::read_write) {
            // Touch the buffer now so its page faults fall outside the window.
            chunk_buffer.assign(spec.chunk, 1);
        }
        report.buffer_bytes = payload_buffer_bytes(spec.technique, spec.bytes, spec.chunk);
        if (report.buffer_bytes)
            buffer = map_payload_buffer(report.buffer_bytes);
        if (spec.technique == Technique::large_file_async_direct || spec.technique == Technique::io_uring_send_zc) {
            if (const int rc = set_up_ring(ring, spec); rc < 0)
                throw Failure{-rc, "set up io_uring (is kernel.io_uring_disabled set?)"};
            ring_ready = true;
        }
        if (fills_buffer_before_window(spec.technique))
            fill_from_file(file, buffer, spec.bytes);
        if (spec.technique == Technique::msg_zerocopy) {
            const int on = 1;
            if (::setsockopt(sock, SOL_SOCKET, SO_ZEROCOPY, &on, sizeof on) < 0)
                throw Failure{errno, "setsockopt(SO_ZEROCOPY)"};
        }
        int cow_pipe[2] = {-1, -1};
        if (spec.technique == Technique::cow) {
            void* shared = ::mmap(nullptr, sizeof(CowHandshake), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
            if (shared == MAP_FAILED)
                throw Failure{errno, "map the memory shared with the child"};
            handshake = new (shared) CowHandshake;
            if (::pipe2(cow_pipe, O_CLOEXEC) < 0)
                throw Failure{errno, "create the child's pipe"};
            pipe_fds[0] = cow_pipe[0];
            pipe_fds[1] = cow_pipe[1];
        }
        if (spec.technique == Technique::tee && ::pipe2(second_pipe, O_CLOEXEC) < 0)
            throw Failure{errno, "create the second pipe"};
        if (spec.technique == Technique::splice || vmsplices(spec.technique) || spec.technique == Technique::tee) {
            if (::pipe2(pipe_fds, O_CLOEXEC) < 0)
                throw Failure{errno, "create the pipe"};
            // A pipe holds 16 pages by default. Let one chunk fit when it can:
            // without CAP_SYS_RESOURCE the limit is fs.pipe-max-size.
            if (spec.chunk > 65536) {
                std::uint64_t limit = 1u << 20;
                if (FILE* max = std::fopen("/proc/sys/fs/pipe-max-size", "re")) {
                    unsigned long long value = 0;
                    if (std::fscanf(max, "%llu", &value) == 1)
                        limit = value;
                    std::fclose(max);
                }
                ::fcntl(pipe_fds[1], F_SETPIPE_SZ, static_cast<int>(std::min(spec.chunk, limit)));
            }
            const int capacity = ::fcntl(pipe_fds[1], F_GETPIPE_SZ);
            report.pipe_bytes = capacity > 0 ? static_cast<std::uint64_t>(capacity) : 0;
        }

        MeasurementWindow window;
        if (!window.prepare())
            throw Failure{errno, "open /proc/self/io"};
        Plan plan{spec, file, sock, report};
        std::vector<std::uint64_t> frames_before;
        if (spec.technique == Technique::vmsplice_gift)
            frames_before = buffer_frames(buffer, spec.bytes);
        window.open(spec.marker_cookie);
        switch (spec.technique) {
        case Technique::read_write: send_read_write(plan, chunk_buffer); break;
        case Technique::mmap_write: send_mmap_write(plan); break;
        case Technique::sendfile: send_sendfile(plan); break;
        case Technique::splice: send_splice(plan, pipe_fds); break;
        case Technique::direct_io:
        case Technique::large_file_buffered: read_into_buffer(plan, buffer); break;
        case Technique::direct_io_send: send_direct_io(plan, buffer); break;
        case Technique::cow: fork_and_touch(plan, buffer, *handshake, pipe_fds, cow_child); break;
        case Technique::large_file_async_direct: read_with_io_uring(plan, ring, buffer); break;
        case Technique::msg_zerocopy: send_msg_zerocopy(plan, buffer); break;
        case Technique::vmsplice: send_vmsplice(plan, pipe_fds, buffer, 0); break;
        case Technique::vmsplice_gift: send_vmsplice(plan, pipe_fds, buffer, SPLICE_F_GIFT); break;
        case Technique::io_uring_send_zc: send_with_uring_zc(plan, ring, buffer); break;
        case Technique::copy_file_range: copy_into_file(plan, spec.copy_fd); break;
        case Technique::sendfile_file: sendfile_into_file(plan, spec.copy_fd); break;
        case Technique::tee: send_tee(plan, pipe_fds, second_pipe, spec.copy_fd); break;
        }
        report.kernel = window.close(spec.marker_cookie, report.window_ns);
        if (vmsplices(spec.technique))
            time_buffer_release(sock, report);
        if (spec.technique == Technique::vmsplice_gift)
            compare_gift_frames(frames_before, buffer_frames(buffer, spec.bytes), report);
        // Sends that failed (ENOBUFS, EINTR) queue no completion.
        if (spec.technique == Technique::msg_zerocopy)
            read_zerocopy_completions(sock, report.zerocopy_sends, report, false);
        if (spec.technique == Technique::io_uring_send_zc)
            reap_uring_notifications(ring, report);
        if (copies_to_file(spec.technique)) {
            // tee's copy is its second output: read back what went to the socket.
            if (sends_over_network(spec.technique))
                report.consumed_bytes = report.bytes_sent;
            inspect_copy(spec.copy_fd, buffer, report.consumed_bytes, report);
            if (sends_over_network(spec.technique))
                report.consumed_crc32 = checksum(buffer, report.consumed_bytes);
        }

        if (spec.technique == Technique::cow) {
            read_child_smaps(cow_child, report.buffer_bytes, report.cow);
            report.cow.child_crc32 = handshake->child_crc32.load();
            report.cow.child_pages_written = handshake->pages_written.load();
            handshake->may_exit.store(1);
            // The child's CPU, faults and switches count as the sender's, as
            // the probes count them: it is the technique's own work.
            rusage child_usage{};
            ::wait4(std::exchange(cow_child, -1), nullptr, 0, &child_usage);
            report.kernel.user_ns += timeval_ns(child_usage.ru_utime);
            report.kernel.system_ns += timeval_ns(child_usage.ru_stime);
            report.kernel.minor_faults += child_usage.ru_minflt;
            report.kernel.major_faults += child_usage.ru_majflt;
            report.kernel.voluntary_switches += child_usage.ru_nvcsw;
            report.kernel.involuntary_switches += child_usage.ru_nivcsw;
            report.cow.parent_crc32_after = checksum(buffer, spec.bytes);
            report.consumed_bytes = spec.bytes;
            report.consumed_crc32 = report.cow.child_crc32;
        } else if (!sends_over_network(spec.technique)) {
            report.consumed_crc32 = checksum(buffer, report.consumed_bytes);
        }
    } catch (const Failure& failure) {
        mark_window(ZC_MARKER_END, spec.marker_cookie);
        report.error = failure.error ? failure.error : EIO;
        std::snprintf(report.message, sizeof report.message, "sender: %s: %s", failure.what,
                      std::strerror(report.error));
    }
    if (cow_child > 0) {
        ::kill(cow_child, SIGKILL);
        ::waitpid(cow_child, nullptr, 0);
    }
    if (ring_ready)
        io_uring_queue_exit(&ring);
    if (sock >= 0)
        ::close(sock);  // EOF tells the receiver the file is complete
    if (file >= 0)
        ::close(file);
    send_report(report_fd, report);
    return report.error ? 1 : 0;
}

}  // namespace zctrace::workload
