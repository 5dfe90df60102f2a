// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "base/signals.hpp"

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <string>
#include <thread>

namespace zctrace {
namespace {
volatile std::sig_atomic_t g_signal = 0;

void on_signal(int signo)
{
    g_signal = signo;
}

constexpr int kSignals[] = {SIGINT, SIGTERM, SIGHUP};
}  // namespace

void install_interrupt_handlers()
{
    struct sigaction action{};
    action.sa_handler = on_signal;
    sigemptyset(&action.sa_mask);
    for (int signo : kSignals)
        sigaction(signo, &action, nullptr);
    // A dead receiver must not kill us with SIGPIPE; writes report EPIPE instead.
    std::signal(SIGPIPE, SIG_IGN);
}

void raise_interrupt(int signo)
{
    g_signal = signo;
}

bool interrupted()
{
    return g_signal != 0;
}

int interrupt_signal()
{
    return g_signal;
}

Error interruption()
{
    return Error{EINTR, "interrupted", ErrorKind::interrupted};
}

void reset_signal_handlers()
{
    for (int signo : kSignals)
        std::signal(signo, SIG_DFL);
    std::signal(SIGPIPE, SIG_DFL);
}

namespace {
volatile std::sig_atomic_t g_resume = 0;

void on_resume(int)
{
    g_resume = 1;
}
}  // namespace

void hold_point(std::string_view stage)
{
    static const char* const wanted = std::getenv("ZCTRACE_HOLD_AT");
    static bool held = false;
    if (held || wanted == nullptr || stage != wanted)
        return;
    held = true;
    struct sigaction resume{}, previous{};
    resume.sa_handler = on_resume;
    sigemptyset(&resume.sa_mask);
    sigaction(SIGUSR1, &resume, &previous);
    std::cerr << "zctrace: holding at " << stage << " (ZCTRACE_HOLD_AT)" << std::endl;
    const auto until = std::chrono::steady_clock::now() + std::chrono::minutes(1);
    while (!interrupted() && !g_resume && std::chrono::steady_clock::now() < until)
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    sigaction(SIGUSR1, &previous, nullptr);
}

}  // namespace zctrace
