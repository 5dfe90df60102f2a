#include "base/signals.hpp"

#include <csignal>

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

void reset_signal_handlers()
{
    for (int signo : kSignals)
        std::signal(signo, SIG_DFL);
    std::signal(SIGPIPE, SIG_DFL);
}

}  // namespace zctrace
