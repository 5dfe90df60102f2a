// The receiver: reads the whole stream, checksums it, and reports. It runs in
// its own process so that its copies and syscalls never mix with the sender's.
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

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

}  // namespace

int run_receiver(int listen_fd, std::atomic<std::uint64_t>* progress, int report_fd)
{
    ReceiverReport report;
    std::vector<unsigned char> buffer(kReceiveBuffer);
    uLong crc = ::crc32(0L, Z_NULL, 0);
    // Ready only now that the buffer is touched: zctrace starts the sender
    // (and its overhead figures) after this byte.
    while (::write(report_fd, "r", 1) < 0 && errno == EINTR) {
    }

    int conn;
    while ((conn = ::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC)) < 0 && errno == EINTR) {
    }
    if (conn < 0) {
        report.error = errno;
        std::snprintf(report.message, sizeof report.message, "receiver: accept: %s", std::strerror(errno));
    } else {
        for (;;) {
            ssize_t n = ::recv(conn, buffer.data(), buffer.size(), 0);
            ++report.recv_calls;
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0) {
                report.error = errno;
                std::snprintf(report.message, sizeof report.message, "receiver: recv: %s",
                              std::strerror(errno));
                break;
            }
            if (n == 0)
                break;
            crc = ::crc32(crc, buffer.data(), static_cast<uInt>(n));
            report.bytes_received += static_cast<std::uint64_t>(n);
            if (progress)
                progress->store(report.bytes_received, std::memory_order_relaxed);
        }
        ::close(conn);
    }
    report.crc32 = static_cast<std::uint32_t>(crc);

    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    report.user_ns = timeval_ns(usage.ru_utime);
    report.system_ns = timeval_ns(usage.ru_stime);

    send_report(report_fd, report);
    return report.error ? 1 : 0;
}

}  // namespace zctrace::workload
