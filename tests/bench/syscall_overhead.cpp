// What `zctrace trace` costs per syscall, measured in one run: a loop of
// getppid() untraced; under empty programs on the same hooks (the floor any
// tracer on them pays); while zctrace traces another process (what the rest
// of a production host pays); traced by zctrace; and traced and untraced by
// bpftrace counting the same syscalls with a pid filter. A benchmark, not a
// test: it prints figures and judges them against the targets, and the
// README quotes what it printed.
//
//   zctrace_syscall_bench [CALLS]        (as root; CALLS per repetition, default 2000000)
#include <fcntl.h>
#include <linux/bpf.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/system.hpp"
#include "tracing/probes.hpp"

namespace {

using Clock = std::chrono::steady_clock;
constexpr int kRepetitions = 7;

struct Timing {
    double best = -1;  // the fastest of the repetitions, ns per call
    double mean = -1;  // over all of them: what windows of bpf_stats cost on average
};

// The loop itself, kRepetitions times.
Timing time_getppid(long calls)
{
    Timing timing{1e18, 0};
    for (int repetition = 0; repetition < kRepetitions; ++repetition) {
        const auto start = Clock::now();
        for (long i = 0; i < calls; ++i)
            ::syscall(SYS_getppid);
        const double ns = std::chrono::duration<double, std::nano>(Clock::now() - start).count();
        timing.best = std::min(timing.best, ns / static_cast<double>(calls));
        timing.mean += ns / static_cast<double>(calls) / kRepetitions;
    }
    return timing;
}

struct Child {
    pid_t pid = -1;
    int out = -1;  // the child's stdout
};

// Starts argv with stdout on a pipe; stderr goes to /dev/null, or (tracers,
// whose readiness it says) to the same pipe.
Child spawn(const std::vector<std::string>& args, bool stderr_too = false)
{
    int pipe_fds[2];
    if (::pipe(pipe_fds) != 0)
        return {};
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::dup2(pipe_fds[1], STDOUT_FILENO);
        if (stderr_too) {
            ::dup2(pipe_fds[1], STDERR_FILENO);
        } else {
            const int null = ::open("/dev/null", O_WRONLY);
            ::dup2(null, STDERR_FILENO);
        }
        ::close(pipe_fds[0]);
        ::close(pipe_fds[1]);
        std::vector<char*> argv;
        for (const std::string& arg : args)
            argv.push_back(const_cast<char*>(arg.c_str()));
        argv.push_back(nullptr);
        ::execv(argv[0], argv.data());
        ::_exit(127);
    }
    ::close(pipe_fds[1]);
    return {pid, pipe_fds[0]};
}

std::string read_all(int fd)
{
    std::string text;
    char buffer[4096];
    for (ssize_t n; (n = ::read(fd, buffer, sizeof buffer)) > 0;)
        text.append(buffer, static_cast<std::size_t>(n));
    ::close(fd);
    return text;
}

// The loop in a child of its own, so each mode times a process that is
// traced, or not, from its first syscall.
Timing loop_in(const std::vector<std::string>& launcher, const std::string& self, long calls)
{
    std::vector<std::string> args = launcher;
    // bpftrace -c takes the command as one string, which it splits itself.
    if (!args.empty() && args.back() == "-c") {
        args.push_back(self + " --loop " + std::to_string(calls));
    } else {
        args.push_back(self);
        args.push_back("--loop");
        args.push_back(std::to_string(calls));
    }
    Child child = spawn(args);
    const std::string out = read_all(child.out);
    int status = 0;
    ::waitpid(child.pid, &status, 0);
    const auto best = out.find("ns_per_call=");
    const auto mean = out.find("mean=");
    if (best == std::string::npos || mean == std::string::npos)
        return {};
    return {std::strtod(out.c_str() + best + 12, nullptr), std::strtod(out.c_str() + mean + 5, nullptr)};
}

// A process that does nothing, for the tracers to follow while the loop runs
// beside it, untraced.
pid_t start_idle()
{
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::pause();
        ::_exit(0);
    }
    return pid;
}

// Starts a tracer and waits until it has attached (its stderr says so, or
// one second for bpftrace, which prints "Attaching N probes...").
pid_t start_tracer(const std::vector<std::string>& args, const std::string& ready)
{
    const Child tracer = spawn(args, true);
    const int pipe_fds[1] = {tracer.out};
    const pid_t pid = tracer.pid;
    std::string seen;
    char buffer[512];
    const auto deadline = Clock::now() + std::chrono::seconds(30);
    while (seen.find(ready) == std::string::npos && Clock::now() < deadline) {
        const ssize_t n = ::read(pipe_fds[0], buffer, sizeof buffer);
        if (n <= 0)
            break;
        seen.append(buffer, static_cast<std::size_t>(n));
    }
    // Keep draining in the background so the tracer never blocks on a full pipe.
    std::thread([fd = pipe_fds[0]] {
        char sink[512];
        while (::read(fd, sink, sizeof sink) > 0) {
        }
        ::close(fd);
    }).detach();
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    return pid;
}

void stop(pid_t pid, int signo = SIGINT)
{
    ::kill(pid, signo);
    ::waitpid(pid, nullptr, 0);
}

std::string bpftrace_script(const std::string& pid_filter)
{
    return "tracepoint:raw_syscalls:sys_enter /" + pid_filter + "/ { @enter[args->id] = count(); } "
           "tracepoint:raw_syscalls:sys_exit /" + pid_filter + "/ { @exit = count(); }";
}

}  // namespace

int main(int argc, char** argv)
{
    if (argc == 3 && std::string(argv[1]) == "--loop") {
        const Timing timing = time_getppid(std::atol(argv[2]));
        std::printf("ns_per_call=%.2f mean=%.2f\n", timing.best, timing.mean);
        return 0;
    }
    const long calls = argc > 1 ? std::atol(argv[1]) : 2000000;
    // bpftrace needs tracefs too; mounted in this process's own mount
    // namespace, which the tracers started below inherit.
    if (const zctrace::PseudoMount tracefs = zctrace::ensure_tracefs(); !tracefs.available) {
        std::cerr << "tracefs is not available: " << tracefs.error << "\n";
        return 1;
    }
    const std::string self = "/proc/self/exe";
    char path[4096] = {};
    if (::readlink(self.c_str(), path, sizeof path - 1) <= 0)
        return 1;
    const std::string binary = path;
    const std::string zctrace = ZCTRACE_BINARY;
    const std::string bpftrace = "/usr/bin/bpftrace";

    const Timing untraced = loop_in({}, binary, calls);

    Timing floor, floor_with_stats;
    if (auto empty = zctrace::EmptyProbes::attach()) {
        floor = loop_in({}, binary, calls);
        // bpf_stats (which zctrace keeps on while it runs, for its own cost)
        // times every program run on the host.
        union bpf_attr attr {};
        attr.enable_stats.type = BPF_STATS_RUN_TIME;
        const int stats = static_cast<int>(::syscall(SYS_bpf, BPF_ENABLE_STATS, &attr, sizeof attr));
        floor_with_stats = loop_in({}, binary, calls);
        if (stats >= 0)
            ::close(stats);
    } else {
        std::cerr << "cannot attach the empty programs: " << empty.error().describe() << "\n";
    }

    // zctrace following an idle process: the loop beside it is not traced.
    const pid_t idle = start_idle();
    pid_t tracer = start_tracer({zctrace, "trace", "--pid", std::to_string(idle), "-o", "/tmp"}, "attached");
    const Timing zctrace_others = loop_in({}, binary, calls);
    stop(tracer);
    tracer = start_tracer({zctrace, "trace", "--hooks", "light", "--pid", std::to_string(idle), "-o", "/tmp"},
                          "attached");
    const Timing light_others = loop_in({}, binary, calls);
    stop(tracer);
    const Timing zctrace_traced =
        loop_in({zctrace, "trace", "-o", "/tmp", "--"}, binary, calls);

    tracer = start_tracer({bpftrace, "-e", bpftrace_script("pid == " + std::to_string(idle))}, "Attaching");
    const Timing bpftrace_others = loop_in({}, binary, calls);
    stop(tracer);
    stop(idle, SIGKILL);
    const Timing bpftrace_traced =
        loop_in({bpftrace, "-e", bpftrace_script("pid == cpid"), "-c"}, binary, calls);

    std::printf("getppid(), %d x %ld calls, ns per call (best, mean) and added to untraced:\n", kRepetitions, calls);
    const auto row = [&](const char* what, const Timing& t) {
        std::printf("  %-50s %7.1f %7.1f   +%6.1f +%6.1f\n", what, t.best, t.mean, t.best - untraced.best,
                    t.mean - untraced.mean);
    };
    row("untraced", untraced);
    row("empty programs on zctrace's hooks (floor)", floor);
    row("the same with bpf_stats on", floor_with_stats);
    row("beside zctrace trace --pid <other>", zctrace_others);
    row("beside zctrace trace --hooks light --pid <other>", light_others);
    row("beside bpftrace, pid filter on <other>", bpftrace_others);
    row("traced by zctrace trace", zctrace_traced);
    row("traced by bpftrace (count by id, pid filter)", bpftrace_traced);
    const double zctrace_added = zctrace_traced.mean - untraced.mean;
    const double bpftrace_added = bpftrace_traced.mean - untraced.mean;
    const double over_floor = zctrace_others.mean - floor.mean;
    std::printf("targets (means): traced cost at most half of bpftrace's: %s (%.1f vs %.1f)\n",
                zctrace_added <= bpftrace_added / 2 ? "met" : "NOT met", zctrace_added, bpftrace_added);
    std::printf("                 others pay at most floor + 25 ns:       %s (floor +%.1f)\n",
                over_floor <= 25 ? "met" : "NOT met", over_floor);
    return 0;
}
