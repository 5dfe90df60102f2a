// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// Small helpers the sender and the receiver processes share.
#pragma once

#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>

namespace zctrace::workload {

inline std::int64_t timeval_ns(const timeval& tv)
{
    return static_cast<std::int64_t>(tv.tv_sec) * 1000000000 + tv.tv_usec * 1000;
}

// Writes a whole report struct to zctrace's pipe; a short write means zctrace
// is gone, and then there is nobody left to tell.
template <typename T>
void send_report(int fd, const T& report)
{
    const char* data = reinterpret_cast<const char*>(&report);
    std::size_t left = sizeof report;
    while (left > 0) {
        ssize_t n = ::write(fd, data, left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        data += n;
        left -= static_cast<std::size_t>(n);
    }
}

}  // namespace zctrace::workload
