// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// Who gets counted, and when: the marker window and fork following, tested
// on the Tracer directly with a process whose every syscall is known.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sched.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <thread>

#include "support.hpp"
#include "tracing/probes.hpp"
#include "tracing/syscall_names.hpp"
#include "workloads/workload.hpp"

namespace zctrace::test {
namespace {

constexpr std::uint64_t kCookie = 0x5eed;

std::uint64_t count_of(const RawCounters& raw, long nr)
{
    for (const auto& [number, count] : raw.syscall_counts)
        if (number == static_cast<std::uint32_t>(nr))
            return count;
    return 0;
}

// Each test runs under both ways the syscall hooks let an untracked task
// go (probes.hpp): the default picks one by host, and CI may run on either.
class TrackingTest : public ::testing::TestWithParam<BystanderFilter> {
protected:
    void SetUp() override
    {
        ZC_REQUIRE_BPF();
        const WorkloadFile& file = shared_file(16 * kMiB);
        ProbeTarget target{file.ino, kernel_dev(file.dev), file.pages(), kCookie};
        target.bystander_filter = GetParam();
        auto attached = Tracer::attach(target);
        ASSERT_TRUE(attached) << attached.error().describe();
        tracer_ = std::move(attached.value());
        ASSERT_EQ(tracer_->clock().bystander_filter, GetParam());
    }

    // Forks a process that waits for the go-ahead, then runs body() and exits.
    template <typename Body>
    RawCounters run_tracked(Body body)
    {
        int go[2];
        EXPECT_EQ(::pipe(go), 0);
        const pid_t pid = ::fork();
        if (pid == 0) {
            char byte;
            ::close(go[1]);
            if (::read(go[0], &byte, 1) != 1)
                ::_exit(2);
            body();
            ::_exit(0);
        }
        ::close(go[0]);
        EXPECT_TRUE(tracer_->track(pid, ZC_ROLE_SENDER));
        EXPECT_EQ(::write(go[1], "g", 1), 1);
        int status = 0;
        ::waitpid(pid, &status, 0);
        ::close(go[1]);
        EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        auto raw = tracer_->read();
        EXPECT_TRUE(raw) << raw.error().describe();
        return raw ? *raw : RawCounters{};
    }

    std::unique_ptr<Tracer> tracer_;
};

TEST_P(TrackingTest, OnlyTheWindowCounts)
{
    const RawCounters raw = run_tracked([] {
        for (int i = 0; i < 5; ++i)
            ::syscall(SYS_getppid);  // before the window: not counted
        workload::mark_window(ZC_MARKER_BEGIN, kCookie);
        for (int i = 0; i < 7; ++i)
            ::syscall(SYS_getppid);
        workload::mark_window(ZC_MARKER_END, kCookie);
        for (int i = 0; i < 3; ++i)
            ::syscall(SYS_getppid);
    });
    EXPECT_EQ(count_of(raw, SYS_getppid), 7u);
    EXPECT_EQ(raw.syscall_entries, 7u);
    EXPECT_EQ(raw.syscalls.exits, 7u);
    EXPECT_EQ(raw.syscalls.window_opens, 1u);
    EXPECT_EQ(raw.syscalls.window_closes, 1u);
}

TEST_P(TrackingTest, AMarkerWithTheWrongCookieIsIgnored)
{
    const RawCounters raw = run_tracked([] {
        workload::mark_window(ZC_MARKER_BEGIN, kCookie + 1);
        ::syscall(SYS_getppid);
        workload::mark_window(ZC_MARKER_END, kCookie + 1);
    });
    EXPECT_EQ(raw.syscall_entries, 0u);
    EXPECT_EQ(raw.syscalls.window_opens, 0u);
}

TEST_P(TrackingTest, ForkedChildrenAreFollowed)
{
    const RawCounters raw = run_tracked([] {
        workload::mark_window(ZC_MARKER_BEGIN, kCookie);
        const pid_t child = ::fork();
        if (child == 0) {
            for (int i = 0; i < 11; ++i)
                ::syscall(SYS_getppid);
            ::_exit(0);
        }
        ::waitpid(child, nullptr, 0);
        workload::mark_window(ZC_MARKER_END, kCookie);
    });
    EXPECT_EQ(raw.syscalls.forks_followed, 1u);
    // Only the child called getppid: without fork following this is 0.
    EXPECT_EQ(count_of(raw, SYS_getppid), 11u);
    EXPECT_EQ(count_of(raw, SYS_wait4), 1u);
}

// The typed syscall hooks let a task without a tracked_tasks mark go at
// once (syscalls.bpf.c): a thread the tracked process starts gets its mark
// at the fork. Without it none of the thread's 13 calls counts.
TEST_P(TrackingTest, ThreadsATrackedProcessStartsAreCounted)
{
    const RawCounters raw = run_tracked([] {
        workload::mark_window(ZC_MARKER_BEGIN, kCookie);
        std::thread([] {
            for (int i = 0; i < 13; ++i)
                ::syscall(SYS_getppid);
        }).join();
        workload::mark_window(ZC_MARKER_END, kCookie);
    });
    EXPECT_EQ(count_of(raw, SYS_getppid), 13u);
}

// ...and a thread that was running before its process was tracked gets its
// mark from track(), which marks every thread (a pidfd per thread).
TEST_P(TrackingTest, AThreadStartedBeforeTrackingIsCounted)
{
    if (!thread_pidfds_supported())
        GTEST_SKIP() << "this kernel opens no pidfd for a thread (PIDFD_THREAD, Linux 6.9)";
    int ready[2], go[2];
    ASSERT_EQ(::pipe(ready), 0);
    ASSERT_EQ(::pipe(go), 0);
    const pid_t pid = ::fork();
    if (pid == 0) {
        int thread_go[2];
        if (::pipe(thread_go) != 0)
            ::_exit(2);
        std::thread worker([&] {
            char byte;
            if (::read(thread_go[0], &byte, 1) != 1)
                return;
            for (int i = 0; i < 9; ++i)
                ::syscall(SYS_getppid);
        });
        char byte;
        const bool started = ::write(ready[1], "r", 1) == 1 && ::read(go[0], &byte, 1) == 1;
        workload::mark_window(ZC_MARKER_BEGIN, kCookie);
        const bool told = started && ::write(thread_go[1], "g", 1) == 1;
        worker.join();
        workload::mark_window(ZC_MARKER_END, kCookie);
        ::_exit(told ? 0 : 3);
    }
    char byte;
    ASSERT_EQ(::read(ready[0], &byte, 1), 1);  // the thread runs
    ASSERT_TRUE(tracer_->track(pid, ZC_ROLE_SENDER));
    ASSERT_EQ(::write(go[1], "g", 1), 1);
    int status = 0;
    ::waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
    for (int* fds : {ready, go}) {
        ::close(fds[0]);
        ::close(fds[1]);
    }
    auto raw = tracer_->read();
    ASSERT_TRUE(raw) << raw.error().describe();
    EXPECT_EQ(count_of(*raw, SYS_getppid), 9u);
}

// An untracked task's syscalls in the sender's window cost it a test of its
// task_struct and no counted run: 20,000 getppid() calls of a bystander
// leave sys_exit's count at the sender's own calls (its two markers aside).
TEST_P(TrackingTest, AnUntrackedTasksSyscallsAreNotCountedAsProbeRuns)
{
    const auto sys_exit_runs = [&] {
        for (const ProgramStats& program : tracer_->program_stats())
            if (program.program == typed_syscall_program("sys_exit", GetParam()))
                return program.counted_runs;
        ADD_FAILURE() << "no typed sys_exit program";
        return std::uint64_t{0};
    };
    const std::uint64_t runs_before = sys_exit_runs();
    int opened[2], bystander_done[2];
    ASSERT_EQ(::pipe(opened), 0);
    ASSERT_EQ(::pipe(bystander_done), 0);
    std::thread bystander_starter([&] {
        char byte;
        if (::read(opened[0], &byte, 1) != 1)
            return;
        const pid_t bystander = ::fork();
        if (bystander == 0) {
            for (int i = 0; i < 20000; ++i)
                ::syscall(SYS_getppid);
            ::_exit(0);
        }
        ::waitpid(bystander, nullptr, 0);
        EXPECT_EQ(::write(bystander_done[1], "d", 1), 1);
    });
    const RawCounters raw = run_tracked([&] {
        char byte;
        workload::mark_window(ZC_MARKER_BEGIN, kCookie);
        if (::write(opened[1], "o", 1) != 1 || ::read(bystander_done[0], &byte, 1) != 1)
            ::_exit(2);
        workload::mark_window(ZC_MARKER_END, kCookie);
    });
    bystander_starter.join();
    for (int* fds : {opened, bystander_done}) {
        ::close(fds[0]);
        ::close(fds[1]);
    }
    EXPECT_EQ(count_of(raw, SYS_getppid), 0u);  // the sender made none
    EXPECT_GE(raw.syscalls.exits, 2u);          // its write() and read()
    EXPECT_LE(sys_exit_runs() - runs_before, raw.syscalls.exits + 2);
}

// The syscall hooks remember each CPU's last task's role (syscalls.bpf.c).
// A process that made syscalls untracked, and is then tracked, must count
// from its next syscall: track() has to void what the hooks remembered.
// Q is pinned alone to one CPU, so nothing else overwrites its entry there.
TEST_P(TrackingTest, AProcessTrackedAfterItsSyscallsWereSeenCountsFromThen)
{
    const long cpus = ::sysconf(_SC_NPROCESSORS_ONLN);
    cpu_set_t mine, before;
    ASSERT_EQ(::sched_getaffinity(0, sizeof before, &before), 0);
    if (cpus > 1) {
        CPU_ZERO(&mine);
        CPU_SET(0, &mine);
        ASSERT_EQ(::sched_setaffinity(0, sizeof mine, &mine), 0);
    }
    int opened[2], s_go[2], q_go[2], q_done[2];
    for (int* fds : {opened, s_go, q_go, q_done})
        ASSERT_EQ(::pipe(fds), 0);
    const auto child = [](auto body) {
        const pid_t pid = ::fork();
        if (pid == 0)
            ::_exit(body());
        return pid;
    };
    // S, the sender first: opens the window and waits in it.
    const pid_t s = child([&] {
        char byte;
        if (::read(s_go[0], &byte, 1) != 1)
            return 2;
        workload::mark_window(ZC_MARKER_BEGIN, kCookie);
        if (::write(opened[1], "o", 1) != 1 || ::read(s_go[0], &byte, 1) != 1)
            return 3;
        return 0;
    });
    // Q: syscalls while untracked, then, once tracked, 7 getppid() and the end marker.
    const pid_t q = child([&] {
        if (cpus > 1) {
            cpu_set_t last;
            CPU_ZERO(&last);
            CPU_SET(static_cast<int>(cpus - 1), &last);
            ::sched_setaffinity(0, sizeof last, &last);
        }
        char byte;
        if (::read(q_go[0], &byte, 1) != 1)
            return 2;
        for (int i = 0; i < 5; ++i)
            ::syscall(SYS_getppid);
        if (::write(q_done[1], "a", 1) != 1 || ::read(q_go[0], &byte, 1) != 1)
            return 3;
        for (int i = 0; i < 7; ++i)
            ::syscall(SYS_getppid);
        workload::mark_window(ZC_MARKER_END, kCookie);
        return 0;
    });
    ASSERT_TRUE(tracer_->track(s, ZC_ROLE_SENDER));
    char byte;
    ASSERT_EQ(::write(s_go[1], "g", 1), 1);
    ASSERT_EQ(::read(opened[0], &byte, 1), 1);
    ASSERT_EQ(::write(q_go[1], "g", 1), 1);
    ASSERT_EQ(::read(q_done[0], &byte, 1), 1);
    ASSERT_TRUE(tracer_->track(q, ZC_ROLE_SENDER));  // Q takes S's place
    ASSERT_EQ(::write(q_go[1], "g", 1), 1);
    int status = 0;
    ::waitpid(q, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
    ASSERT_EQ(::write(s_go[1], "g", 1), 1);
    ::waitpid(s, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
    ASSERT_EQ(::sched_setaffinity(0, sizeof before, &before), 0);
    for (int* fds : {opened, s_go, q_go, q_done}) {
        ::close(fds[0]);
        ::close(fds[1]);
    }
    auto raw = tracer_->read();
    ASSERT_TRUE(raw) << raw.error().describe();
    EXPECT_EQ(raw->syscalls.window_opens, 1u);
    EXPECT_EQ(raw->syscalls.window_closes, 1u);
    // Q's 5 calls before it was tracked are not counted; its 7 after are.
    EXPECT_EQ(count_of(*raw, SYS_getppid), 7u);
}

// Probes outside the syscall hooks take the current task's ids from what
// the syscall hooks last saw on that CPU, until a context switch says
// otherwise (zctrace.bpf.h). U, untracked, faults in fresh pages on the
// sender's CPU without a syscall each time the sender sleeps in its window:
// none of U's faults may count as the sender's.
TEST_P(TrackingTest, AnotherTasksFaultsBetweenTheSendersSleepsAreNotTheSenders)
{
    const long cpus = ::sysconf(_SC_NPROCESSORS_ONLN);
    constexpr std::size_t kRegion = std::size_t{1} << 30;
    auto* stop = static_cast<volatile int*>(
        ::mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0));
    ASSERT_NE(stop, MAP_FAILED);
    *stop = 0;
    const auto pin_last = [cpus] {
        if (cpus > 1) {
            cpu_set_t last;
            CPU_ZERO(&last);
            CPU_SET(static_cast<int>(cpus - 1), &last);
            ::sched_setaffinity(0, sizeof last, &last);
        }
    };
    int u_ready[2];
    ASSERT_EQ(::pipe(u_ready), 0);
    const pid_t u = ::fork();
    if (u == 0) {
        pin_last();
        auto* region = static_cast<char*>(
            ::mmap(nullptr, kRegion, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0));
        if (region == MAP_FAILED || ::write(u_ready[1], "r", 1) != 1)
            ::_exit(2);
        // From here on, no syscall until told to stop: a write fault per page.
        for (std::size_t at = 0; !*stop; at = (at + 4096) % kRegion)
            region[at] = 1;
        ::_exit(0);
    }
    char byte;
    ASSERT_EQ(::read(u_ready[0], &byte, 1), 1);
    // The sender's own count of its minor faults in the window, by getrusage().
    volatile long* const own_faults = reinterpret_cast<volatile long*>(stop) + 8;
    const RawCounters raw = run_tracked([&] {
        pin_last();
        const timespec nap{0, 1'000'000};
        // Twice: first with a cookie the probes ignore, so that every page
        // of code and stack the second, measured pass touches is in.
        for (const std::uint64_t cookie : {kCookie + 1, kCookie}) {
            rusage before{}, after{};
            ::getrusage(RUSAGE_SELF, &before);
            workload::mark_window(ZC_MARKER_BEGIN, cookie);
            for (int i = 0; i < 50; ++i)
                ::nanosleep(&nap, nullptr);
            workload::mark_window(ZC_MARKER_END, cookie);
            ::getrusage(RUSAGE_SELF, &after);
            *own_faults = after.ru_minflt - before.ru_minflt;
        }
    });
    *stop = 1;
    int status = 0;
    ::waitpid(u, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
    const long sender_faults = *own_faults;
    ::munmap(const_cast<int*>(stop), 4096);
    ::close(u_ready[0]);
    ::close(u_ready[1]);
    EXPECT_EQ(count_of(raw, SYS_clock_nanosleep), 50u);  // what glibc's nanosleep() calls
    // Exactly the sender's own faults (none, warmed up); U faulted
    // thousands of pages in the window.
    EXPECT_EQ(raw.memory.user_faults.total, static_cast<std::uint64_t>(sender_faults));
}

// A socket is the sender's from its first send in the window until it
// reaches TCP_CLOSE; after that, a new socket at the same address must not
// be taken for it.
TEST_P(TrackingTest, SenderSocketsLeaveTheMapWhenTheyClose)
{
    const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(listener, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    ASSERT_EQ(::listen(listener, 1), 0);
    ASSERT_EQ(::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length), 0);
    int sent[2], may_close[2];
    ASSERT_EQ(::pipe(sent), 0);
    ASSERT_EQ(::pipe(may_close), 0);
    const pid_t pid = ::fork();
    if (pid == 0) {
        // The sender: waits until tracked, sends inside its window, and
        // closes its socket only when told.
        char byte;
        if (::read(may_close[0], &byte, 1) != 1)
            ::_exit(2);
        const int sock = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (::connect(sock, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0)
            ::_exit(3);
        static char payload[64 * 1024];
        workload::mark_window(ZC_MARKER_BEGIN, kCookie);
        const bool whole = ::write(sock, payload, sizeof payload) == static_cast<ssize_t>(sizeof payload);
        workload::mark_window(ZC_MARKER_END, kCookie);
        if (!whole || ::write(sent[1], "s", 1) != 1 || ::read(may_close[0], &byte, 1) != 1)
            ::_exit(4);
        ::close(sock);
        ::_exit(0);
    }
    ASSERT_TRUE(tracer_->track(pid, ZC_ROLE_SENDER));
    ASSERT_EQ(::write(may_close[1], "g", 1), 1);
    const int connection = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    ASSERT_GE(connection, 0);
    static char received[64 * 1024];
    std::size_t got = 0;
    while (got < sizeof received) {
        const ssize_t n = ::read(connection, received + got, sizeof received - got);
        ASSERT_GT(n, 0);
        got += static_cast<std::size_t>(n);
    }
    char byte;
    ASSERT_EQ(::read(sent[0], &byte, 1), 1);
    // Open and sending: the sender's.
    auto open = tracer_->sender_sockets();
    ASSERT_TRUE(open) << open.error().describe();
    EXPECT_EQ(*open, 1u);

    ASSERT_EQ(::write(may_close[1], "c", 1), 1);
    EXPECT_EQ(::read(connection, received, sizeof received), 0);  // the sender's FIN
    ::close(connection);
    int status = 0;
    ::waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
    // Both sides closed: the sender's socket goes through TIME_WAIT, where
    // tcp_done() sets TCP_CLOSE; give the last ACK a moment.
    std::size_t left = 1;
    for (int i = 0; i < 100 && left; ++i) {
        auto sockets = tracer_->sender_sockets();
        ASSERT_TRUE(sockets) << sockets.error().describe();
        left = *sockets;
        if (left)
            ::usleep(10'000);
    }
    EXPECT_EQ(left, 0u) << "the closed socket is still the sender's";
    for (int fd : {listener, sent[0], sent[1], may_close[0], may_close[1]})
        ::close(fd);
}

INSTANTIATE_TEST_SUITE_P(BothBystanderFilters, TrackingTest,
                         ::testing::Values(BystanderFilter::task_storage, BystanderFilter::cpu_cache),
                         [](const ::testing::TestParamInfo<BystanderFilter>& info) {
                             return info.param == BystanderFilter::cpu_cache ? std::string("cpu_cache")
                                                                             : std::string("task_storage");
                         });

}  // namespace
}  // namespace zctrace::test
