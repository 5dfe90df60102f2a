// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "lying_senders.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

#include "workloads/process_io.hpp"

namespace zctrace::test {
namespace {

struct Failure {
    int error;
    const char* what;
};

void write_all(int fd, const char* data, std::uint64_t size, workload::CallTally& calls)
{
    while (size > 0) {
        const ssize_t n = ::write(fd, data, size);
        ++calls.write;
        if (n <= 0)
            throw Failure{n < 0 ? errno : EIO, "write"};
        data += n;
        size -= static_cast<std::uint64_t>(n);
    }
}

std::uint64_t read_chunk(int file, char* buffer, std::uint64_t size, workload::CallTally& calls)
{
    const ssize_t n = ::read(file, buffer, size);
    ++calls.read;
    if (n <= 0)
        throw Failure{n < 0 ? errno : EIO, "read"};
    return static_cast<std::uint64_t>(n);
}

int connect_to(const workload::SenderSpec& spec)
{
    const int sock = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in peer{};
    peer.sin_family = AF_INET;
    peer.sin_port = htons(spec.port);
    peer.sin_addr.s_addr = htonl(spec.address);
    if (sock < 0 || ::connect(sock, reinterpret_cast<sockaddr*>(&peer), sizeof peer) != 0)
        throw Failure{errno, "connect"};
    return sock;
}

}  // namespace

int run_lying_sender(Lie lie, const workload::SenderSpec& spec, int go_fd, int report_fd)
{
    workload::SenderReport report;
    int file = -1, sock = -1, pipe_fds[2] = {-1, -1};
    try {
        char go = 0;
        if (::read(go_fd, &go, 1) != 1 || go != 'g')
            throw Failure{ECANCELED, "wait for zctrace"};
        // Never O_DIRECT: that is the direct_io lie.
        file = ::open(spec.file_path.c_str(), O_RDONLY | O_CLOEXEC);
        if (file < 0)
            throw Failure{errno, "open the file"};
        sock = connect_to(spec);
        std::vector<char> buffer(lie == Lie::page_cache_as_direct_io ? spec.bytes : spec.chunk, 1);
        if (lie == Lie::splice_via_user_buffer && ::pipe2(pipe_fds, O_CLOEXEC) != 0)
            throw Failure{errno, "create the pipe"};
        workload::MeasurementWindow window;
        if (!window.prepare())
            throw Failure{errno, "open /proc/self/io"};
        workload::CallTally& calls = report.calls;

        window.open(spec.marker_cookie);
        std::uint64_t moved = 0;
        while (moved < spec.bytes) {
            const std::uint64_t want = std::min(spec.chunk, spec.bytes - moved);
            switch (lie) {
            case Lie::read_write_as_sendfile:
            case Lie::untallied_calls: {
                const std::uint64_t n = read_chunk(file, buffer.data(), want, calls);
                write_all(sock, buffer.data(), n, calls);
                moved += n;
                // One call every fifth chunk that the tally does not admit:
                // 10% more than the read + write it counts.
                if (lie == Lie::untallied_calls && report.transfers % 5 == 0)
                    ::syscall(SYS_getppid);
                break;
            }
            case Lie::splice_via_user_buffer: {
                const std::uint64_t n = read_chunk(file, buffer.data(), want, calls);
                write_all(pipe_fds[1], buffer.data(), n, calls);
                for (std::uint64_t left = n; left > 0;) {
                    const ssize_t out = ::splice(pipe_fds[0], nullptr, sock, nullptr, left, SPLICE_F_MOVE);
                    ++calls.splice;
                    if (out <= 0)
                        throw Failure{out < 0 ? errno : EIO, "splice"};
                    left -= static_cast<std::uint64_t>(out);
                }
                moved += n;
                break;
            }
            case Lie::page_cache_as_direct_io:
                moved += read_chunk(file, buffer.data() + moved, want, calls);
                break;
            }
            ++report.transfers;
        }
        report.kernel = window.close(spec.marker_cookie, report.window_ns);
        if (lie == Lie::page_cache_as_direct_io) {
            report.consumed_bytes = moved;
            report.consumed_crc32 = static_cast<std::uint32_t>(
                ::crc32(::crc32(0L, Z_NULL, 0), reinterpret_cast<const Bytef*>(buffer.data()),
                        static_cast<uInt>(moved)));
        } else {
            report.bytes_sent = moved;
        }
    } catch (const Failure& failure) {
        report.error = failure.error ? failure.error : EIO;
        std::snprintf(report.message, sizeof report.message, "lying sender: %s: %s", failure.what,
                      std::strerror(report.error));
    }
    for (int fd : {sock, file, pipe_fds[0], pipe_fds[1]})
        if (fd >= 0)
            ::close(fd);
    workload::send_report(report_fd, report);
    return report.error ? 1 : 0;
}

}  // namespace zctrace::test
