// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "tracing/libbpf_log.hpp"

#include <bpf/libbpf.h>

#include <cstdarg>
#include <cstdio>
#include <mutex>
#include <string>

namespace zctrace {
namespace {

bool g_verbose = false;
std::string g_log;
std::mutex g_log_mutex;  // probe groups load on several threads
constexpr std::size_t kMaxLog = 16 * 1024;

int print(enum libbpf_print_level level, const char* format, va_list args)
{
    if (level == LIBBPF_DEBUG && !g_verbose)
        return 0;
    // One call can carry a whole verifier log, whose reason is at its end,
    // so the line is sized to fit rather than cut.
    va_list sizing;
    va_copy(sizing, args);
    const int length = std::vsnprintf(nullptr, 0, format, sizing);
    va_end(sizing);
    if (length <= 0)
        return 0;
    std::string line(static_cast<std::size_t>(length) + 1, '\0');
    std::vsnprintf(line.data(), line.size(), format, args);
    line.pop_back();
    if (g_verbose)
        std::fputs(line.c_str(), stderr);
    if (level == LIBBPF_DEBUG)
        return 0;
    const std::lock_guard<std::mutex> lock(g_log_mutex);
    g_log += line;
    if (g_log.size() > kMaxLog)
        g_log.erase(0, g_log.size() - kMaxLog);
    return 0;
}

}  // namespace

void install_libbpf_logger(bool verbose)
{
    g_verbose = verbose;
    libbpf_set_print(print);
}

std::string take_libbpf_log()
{
    const std::lock_guard<std::mutex> lock(g_log_mutex);
    std::string out;
    out.swap(g_log);
    return out;
}

}  // namespace zctrace
