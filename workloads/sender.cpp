// The sender: one loop per technique. Everything that is not the technique
// itself (open, connect, buffers, the pipe for splice) happens before the
// begin marker, so the window holds exactly the calls the theory talks about.
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <vector>

#include "bpf/tracking.h"
#include "process_io.hpp"
#include "workload.hpp"

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

// Writes all of [data, data + size), counting every write() call.
void write_all(int sock, const char* data, std::uint64_t size, CallTally& calls)
{
    while (size > 0) {
        ssize_t n = ::write(sock, data, size);
        ++calls.write;
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
};

void send_read_write(Plan& plan, std::vector<char>& buffer)
{
    CallTally& calls = plan.report.calls;
    std::uint64_t moved = 0;
    while (moved < plan.spec.bytes) {
        ssize_t n = ::read(plan.file, buffer.data(), plan.next_chunk(moved));
        ++calls.read;
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            throw Failure{n < 0 ? errno : EIO, "read from the file"};
        write_all(plan.sock, buffer.data(), static_cast<std::uint64_t>(n), calls);
        moved += static_cast<std::uint64_t>(n);
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
        write_all(plan.sock, bytes + moved, n, calls);
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
        while (static_cast<std::uint64_t>(offset) < chunk_end) {
            ssize_t n = ::sendfile(plan.sock, plan.file, &offset, chunk_end - offset);
            ++calls.sendfile;
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                throw Failure{n < 0 ? errno : EIO, "sendfile"};
        }
        ++plan.report.transfers;
    }
    plan.report.bytes_sent = static_cast<std::uint64_t>(offset);
}

void send_splice(Plan& plan, const int pipe_fds[2])
{
    CallTally& calls = plan.report.calls;
    loff_t offset = 0;
    while (static_cast<std::uint64_t>(offset) < plan.spec.bytes) {
        const std::uint64_t chunk_end = static_cast<std::uint64_t>(offset) + plan.next_chunk(offset);
        while (static_cast<std::uint64_t>(offset) < chunk_end) {
            ssize_t in_pipe = ::splice(plan.file, &offset, pipe_fds[1], nullptr,
                                       chunk_end - offset, SPLICE_F_MOVE);
            ++calls.splice;
            if (in_pipe < 0 && errno == EINTR)
                continue;
            if (in_pipe <= 0)
                throw Failure{in_pipe < 0 ? errno : EIO, "splice from the file into the pipe"};
            while (in_pipe > 0) {
                ssize_t out = ::splice(pipe_fds[0], nullptr, plan.sock, nullptr,
                                       static_cast<std::size_t>(in_pipe), SPLICE_F_MOVE);
                ++calls.splice;
                if (out < 0 && errno == EINTR)
                    continue;
                if (out <= 0)
                    throw Failure{out < 0 ? errno : EIO, "splice from the pipe into the socket"};
                in_pipe -= out;
            }
        }
        ++plan.report.transfers;
    }
    plan.report.bytes_sent = static_cast<std::uint64_t>(offset);
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

std::vector<std::pair<std::string, std::uint64_t>> CallTally::by_name() const
{
    std::vector<std::pair<std::string, std::uint64_t>> out;
    const std::pair<const char*, std::uint64_t> all[] = {
        {"read", read}, {"write", write}, {"mmap", mmap}, {"munmap", munmap},
        {"sendfile", sendfile}, {"splice", splice}};
    for (const auto& [name, count] : all)
        if (count)
            out.emplace_back(name, count);
    return out;
}

void mark_window(std::uint64_t op, std::uint64_t cookie)
{
    ::syscall(ZC_MARKER_SYSCALL_NR, op, cookie);
}

int run_sender(const SenderSpec& spec, int go_fd, int report_fd)
{
    SenderReport report;
    int file = -1, sock = -1;
    int pipe_fds[2] = {-1, -1};
    try {
        char go = 0;
        while (::read(go_fd, &go, 1) < 0 && errno == EINTR) {
        }
        if (go != 'g')
            throw Failure{ECANCELED, "zctrace did not start the sender"};

        file = ::open(spec.file_path.c_str(), O_RDONLY | O_CLOEXEC);
        if (file < 0)
            throw Failure{errno, "open the workload file"};
        sock = connect_to(spec.address, spec.port);

        std::vector<char> buffer;
        if (spec.technique == Technique::read_write) {
            // Touch the buffer now so its page faults fall outside the window.
            buffer.assign(spec.chunk, 1);
        }
        if (spec.technique == Technique::splice) {
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

        const int proc_io = ::open("/proc/self/io", O_RDONLY | O_CLOEXEC);
        if (proc_io < 0)
            throw Failure{errno, "open /proc/self/io"};
        Plan plan{spec, file, sock, report};
        // Nested so that the rusage delta holds nothing but the window.
        const ProcIo io_before = read_proc_io(proc_io);
        const std::uint64_t start = monotonic_ns();
        const KernelCounters before = read_rusage();
        mark_window(ZC_MARKER_BEGIN, spec.marker_cookie);
        switch (spec.technique) {
        case Technique::read_write: send_read_write(plan, buffer); break;
        case Technique::mmap_write: send_mmap_write(plan); break;
        case Technique::sendfile: send_sendfile(plan); break;
        case Technique::splice: send_splice(plan, pipe_fds); break;
        }
        mark_window(ZC_MARKER_END, spec.marker_cookie);
        const KernelCounters after = read_rusage();
        report.window_ns = monotonic_ns() - start;
        report.kernel = window_delta(io_before, before, after, read_proc_io(proc_io));
        ::close(proc_io);
    } catch (const Failure& failure) {
        mark_window(ZC_MARKER_END, spec.marker_cookie);
        report.error = failure.error ? failure.error : EIO;
        std::snprintf(report.message, sizeof report.message, "sender: %s: %s", failure.what,
                      std::strerror(report.error));
    }
    if (sock >= 0)
        ::close(sock);  // EOF tells the receiver the file is complete
    if (file >= 0)
        ::close(file);
    send_report(report_fd, report);
    return report.error ? 1 : 0;
}

}  // namespace zctrace::workload
