// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// The targets `zctrace trace` refuses before it attaches anything, checked
// where the checks live: zctrace itself (here, the test process), a kernel
// thread, a pid that does not exist, and cgroups that are not cgroup v2.
#include <unistd.h>

#include <gtest/gtest.h>

#include "runs/trace_session.hpp"

namespace zctrace {
namespace {

TEST(TraceTargets, ZctraceItselfIsRefused)
{
    const auto checked = check_pids({::getpid()});
    ASSERT_FALSE(checked);
    EXPECT_EQ(checked.error().kind, ErrorKind::bad_input);
    EXPECT_EQ(checked.error().message, "--pid " + std::to_string(::getpid()) +
                                           " is zctrace itself; give the pid of the program to trace");
}

TEST(TraceTargets, KernelThreadsAndMissingPidsAreRefusedAndAUserProcessIsNot)
{
    const auto kthreadd = check_pids({2});
    ASSERT_FALSE(kthreadd);
    EXPECT_NE(kthreadd.error().message.find("is a kernel thread (kthreadd)"), std::string::npos);
    const auto missing = check_pids({4000000});
    ASSERT_FALSE(missing);
    EXPECT_NE(missing.error().message.find("no such process"), std::string::npos);
    // The test's parent (ctest, or a shell) is an ordinary user process.
    EXPECT_TRUE(check_pids({::getppid()}));
}

TEST(TraceTargets, CgroupsResolveToTheirIdAndDepth)
{
    const auto tmp = resolve_cgroup("/tmp");
    ASSERT_FALSE(tmp);
    EXPECT_NE(tmp.error().message.find("is not a cgroup v2 directory"), std::string::npos);
    // The cgroup2 root itself, named relative to its mount: depth 0.
    const auto root = resolve_cgroup(".");
    if (!root && root.error().message.find("no cgroup v2") != std::string::npos)
        GTEST_SKIP() << root.error().message;
    ASSERT_TRUE(root) << root.error().message;
    EXPECT_EQ(root->level, 0u);
    EXPECT_GT(root->id, 0u);
}

}  // namespace
}  // namespace zctrace
