// Who gets counted, and when: the marker window and fork following, tested
// on the Tracer directly with a process whose every syscall is known.
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

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

class TrackingTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        ZC_REQUIRE_BPF();
        const WorkloadFile& file = shared_file(16 * kMiB);
        auto attached = Tracer::attach({file.ino, kernel_dev(file.dev), file.pages(), kCookie});
        ASSERT_TRUE(attached) << attached.error().describe();
        tracer_ = std::move(attached.value());
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

TEST_F(TrackingTest, OnlyTheWindowCounts)
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

TEST_F(TrackingTest, AMarkerWithTheWrongCookieIsIgnored)
{
    const RawCounters raw = run_tracked([] {
        workload::mark_window(ZC_MARKER_BEGIN, kCookie + 1);
        ::syscall(SYS_getppid);
        workload::mark_window(ZC_MARKER_END, kCookie + 1);
    });
    EXPECT_EQ(raw.syscall_entries, 0u);
    EXPECT_EQ(raw.syscalls.window_opens, 0u);
}

TEST_F(TrackingTest, ForkedChildrenAreFollowed)
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

}  // namespace
}  // namespace zctrace::test
