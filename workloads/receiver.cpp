// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// The receiver: reads the whole stream, checksums it, and reports. It runs in
// its own process so that its copies and syscalls never mix with the sender's.
#include <netinet/in.h>
#include <linux/tcp.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

#include "process_io.hpp"
#include "workload.hpp"

namespace zctrace::workload {

namespace {
// Large, so the receiver makes few syscalls: its probes runs count as overhead.
constexpr std::size_t kReceiveBuffer = 1024 * 1024;

// The window of the socket mapped for TCP_ZEROCOPY_RECEIVE, and the copy
// buffer: the kernel copies instead of mapping whenever all that is queued
// fits in it, so it is kept to one chunk's worth of small reads.
constexpr std::size_t kZerocopyWindow = 2 * 1024 * 1024;
constexpr std::size_t kZerocopyCopyBuffer = 16 * 1024;

struct Stream {
    ReceiverReport& report;
    uLong crc = ::crc32(0L, Z_NULL, 0);
    std::atomic<std::uint64_t>* progress;

    void take(const unsigned char* data, std::uint64_t n)
    {
        crc = ::crc32(crc, data, static_cast<uInt>(n));
        report.bytes_received += n;
        if (progress)
            progress->store(report.bytes_received, std::memory_order_relaxed);
    }
};

void fail(ReceiverReport& report, const char* what)
{
    report.error = errno ? errno : EIO;
    std::snprintf(report.message, sizeof report.message, "receiver: %s: %s", what, std::strerror(report.error));
}

// recv() once; 0 at the end of the stream, -1 after an error (reported).
ssize_t receive_copy(int conn, std::vector<unsigned char>& buffer, std::size_t limit, Stream& stream)
{
    for (;;) {
        const ssize_t n = ::recv(conn, buffer.data(), std::min(limit, buffer.size()), 0);
        ++stream.report.recv_calls;
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            fail(stream.report, "recv");
            return -1;
        }
        stream.take(buffer.data(), static_cast<std::uint64_t>(n));
        return n;
    }
}

// The tcp_mmap selftest's loop: map what the kernel can, hash the mapped
// bytes, then the copybuf, then recv() what it says to skip; with nothing
// ready, wait for data and recv() once (which also sees the end).
void receive_zerocopy(int conn, std::vector<unsigned char>& buffer, Stream& stream)
{
    ReceiverReport& report = stream.report;
    void* window = ::mmap(nullptr, kZerocopyWindow, PROT_READ, MAP_SHARED, conn, 0);
    if (window == MAP_FAILED) {
        fail(report, "mmap the socket for TCP_ZEROCOPY_RECEIVE");
        return;
    }
    bool waited = false;
    for (;;) {
        tcp_zerocopy_receive zc{};
        zc.address = reinterpret_cast<std::uintptr_t>(window);
        zc.length = kZerocopyWindow;
        zc.copybuf_address = reinterpret_cast<std::uintptr_t>(buffer.data());
        zc.copybuf_len = static_cast<__s32>(kZerocopyCopyBuffer);
        socklen_t length = sizeof zc;
        const int rc = ::getsockopt(conn, IPPROTO_TCP, TCP_ZEROCOPY_RECEIVE, &zc, &length);
        ++report.zerocopy_calls;
        if (rc < 0 && errno == EINTR)
            continue;
        // tcp_zerocopy_receive: nothing queued and the peer done is EIO,
        // the end of the stream.
        if (rc < 0 && errno == EIO)
            break;
        if (rc < 0) {
            fail(report, "getsockopt(TCP_ZEROCOPY_RECEIVE)");
            break;
        }
        if (zc.err) {
            errno = zc.err;
            fail(report, "TCP_ZEROCOPY_RECEIVE");
            break;
        }
        if (zc.length) {
            stream.take(static_cast<const unsigned char*>(window), zc.length);
            report.mapped_bytes += zc.length;
            ::madvise(window, zc.length, MADV_DONTNEED);
        }
        if (zc.copybuf_len > 0) {
            stream.take(buffer.data(), static_cast<std::uint64_t>(zc.copybuf_len));
            report.copybuf_bytes += static_cast<std::uint64_t>(zc.copybuf_len);
        }
        for (std::uint64_t skipped = 0; skipped < zc.recv_skip_hint;) {
            const ssize_t n = receive_copy(conn, buffer, zc.recv_skip_hint - skipped, stream);
            if (n <= 0)
                break;
            skipped += static_cast<std::uint64_t>(n);
            report.recv_bytes += static_cast<std::uint64_t>(n);
        }
        if (report.error)
            break;
        if (zc.length || zc.copybuf_len > 0 || zc.recv_skip_hint) {
            waited = false;
            continue;
        }
        // Nothing ready: wait for data, and ask again. Readable yet nothing
        // to take twice in a row is the end of the stream (or bytes the
        // kernel will not hand over this way), which recv() sees.
        if (!waited) {
            pollfd ready{conn, POLLIN, 0};
            while (::poll(&ready, 1, -1) < 0 && errno == EINTR) {
            }
            waited = true;
            continue;
        }
        waited = false;
        const ssize_t n = receive_copy(conn, buffer, buffer.size(), stream);
        if (n <= 0)
            break;
        report.recv_bytes += static_cast<std::uint64_t>(n);
    }
    ::munmap(window, kZerocopyWindow);
}

}  // namespace

int run_receiver(int listen_fd, std::atomic<std::uint64_t>* progress, int report_fd, ReceiveMode mode)
{
    ReceiverReport report;
    std::vector<unsigned char> buffer(kReceiveBuffer);
    Stream stream{report, ::crc32(0L, Z_NULL, 0), progress};
    // Ready only now that the buffer is touched: zctrace starts the sender
    // (and its overhead figures) after this byte.
    while (::write(report_fd, "r", 1) < 0 && errno == EINTR) {
    }

    int conn;
    while ((conn = ::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC)) < 0 && errno == EINTR) {
    }
    if (conn < 0) {
        fail(report, "accept");
    } else {
        if (mode == ReceiveMode::zerocopy)
            receive_zerocopy(conn, buffer, stream);
        else
            while (receive_copy(conn, buffer, buffer.size(), stream) > 0) {
            }
        ::close(conn);
    }
    report.crc32 = static_cast<std::uint32_t>(stream.crc);

    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    report.user_ns = timeval_ns(usage.ru_utime);
    report.system_ns = timeval_ns(usage.ru_stime);

    send_report(report_fd, report);
    return report.error ? 1 : 0;
}

}  // namespace zctrace::workload
