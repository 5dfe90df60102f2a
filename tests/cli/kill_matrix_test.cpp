// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// The kill matrix: SIGINT, SIGTERM, SIGHUP and SIGKILL at every stage of a
// run, and while `trace --pid` watches a program. A stage too brief to hit by
// timing is held open with ZCTRACE_HOLD_AT (base/signals.hpp); the window is
// hit by timing, inside a 1 GiB transfer.
//
// A caught signal must end the run with 128+N, no report and no temp file,
// the probes detached, the workload reaped and its directory gone. SIGKILL
// cannot be caught: the kernel drops the probes with the fds, the workload
// dies with its parent (PR_SET_PDEATHSIG), and what is left on disk (the work
// directory, a report's temp file) the next start sweeps.
#include <sys/wait.h>

#include <csignal>
#include <cstring>
#include <string>
#include <vector>

#include "support.hpp"

namespace zctrace::cli_test {
namespace {

struct Stage {
    std::string name;
    std::vector<std::string> args;  // of `zctrace`, without --out
    std::string hold;               // ZCTRACE_HOLD_AT; empty: reached by timing
    std::size_t workload_processes = 0;
};

const std::vector<Stage>& stages()
{
    static const std::vector<Stage> all = {
        {"attach", {"run", "sendfile", "--size", "8M"}, "attach", 0},
        {"workload_file", {"run", "sendfile", "--size", "64M"}, "workload-file", 0},
        {"eviction", {"run", "sendfile", "--size", "8M", "--cache", "cold"}, "eviction", 0},
        {"window", {"run", "read_write", "--size", "1G", "--chunk", "4K"}, "", 2},
        {"report", {"run", "sendfile", "--size", "8M"}, "report", 0},
    };
    return all;
}

const char* signal_name(int signo)
{
    switch (signo) {
    case SIGINT: return "SIGINT";
    case SIGTERM: return "SIGTERM";
    case SIGHUP: return "SIGHUP";
    case SIGKILL: return "SIGKILL";
    }
    return "signal";
}

std::vector<std::string> temp_files_in(const fs::path& dir)
{
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir))
        if (entry.path().filename().string().find(".zctrace-tmp-") != std::string::npos)
            names.push_back(entry.path().filename().string());
    return names;
}

class KillMatrix : public ::testing::TestWithParam<std::tuple<std::size_t, int>> {};

TEST_P(KillMatrix, NothingIsLeftBehind)
{
    REQUIRE_ROOT();
    const Stage& stage = stages()[std::get<0>(GetParam())];
    const int signo = std::get<1>(GetParam());
    TempDir out;
    const auto programs_before = bpf_objects("prog");
    const auto links_before = bpf_objects("link");

    std::vector<std::string> args = stage.args;
    args.insert(args.end(), {"--out", out.path().string()});
    Restrictions restrictions;
    if (!stage.hold.empty())
        restrictions.environment.emplace_back("ZCTRACE_HOLD_AT", stage.hold);
    pid_t pid = 0;
    Owned owned;
    {
        Process zctrace(args, restrictions);
        pid = zctrace.pid();
        if (stage.hold.empty()) {
            ASSERT_TRUE(zctrace.wait_for_stderr("attached", std::chrono::seconds(60)));
            ASSERT_TRUE(eventually([&] { return children_of(pid).size() == stage.workload_processes; }));
            ::usleep(200 * 1000);  // the data is moving
        } else {
            ASSERT_TRUE(zctrace.wait_for_stderr("holding at " + stage.hold, std::chrono::seconds(60)));
        }
        owned = owned_by(pid, programs_before, links_before);
        ASSERT_EQ(owned.children.size(), stage.workload_processes);
        ASSERT_EQ(work_dirs_of(pid).size(), 1u) << "the run's work directory";
        if (stage.name == "attach") {
            ASSERT_FALSE(owned.links.empty()) << "one group of probes is attached";
        }
        if (stage.name == "report") {
            ASSERT_EQ(temp_files_in(out.path()).size(), 1u) << "the report's temp file is written";
        }
        ::kill(pid, signo);
        const Finished result = zctrace.finish(std::chrono::seconds(30));
        EXPECT_EQ(result.status, 128 + signo) << result.err;
        if (signo != SIGKILL) {
            EXPECT_NE(result.err.find("interrupted"), std::string::npos) << result.err;
            EXPECT_TRUE(out.entries().empty()) << "no report and no temp file: " << out.entries().front();
            EXPECT_TRUE(work_dirs_of(pid).empty()) << "the work directory is removed";
        }
    }
    EXPECT_TRUE(eventually([&] { return !any_left(owned.programs, "prog"); }));
    EXPECT_TRUE(eventually([&] { return !any_left(owned.links, "link"); }));
    for (pid_t child : owned.children)
        EXPECT_TRUE(eventually([&] { return !alive(child); })) << "workload process " << child << " survived";
    if (signo != SIGKILL)
        return;
    // What the kernel does not take back, the next start into the same
    // directories does.
    const Finished next = run({"run", "sendfile", "--size", "1M", "--out", out.path().string()});
    ASSERT_EQ(next.status, 0) << next.err;
    EXPECT_TRUE(work_dirs_of(pid).empty()) << "the next start sweeps a dead run's work directory";
    EXPECT_TRUE(temp_files_in(out.path()).empty()) << "and a dead writer's temp file";
}

INSTANTIATE_TEST_SUITE_P(Stages, KillMatrix,
                         ::testing::Combine(::testing::Range<std::size_t>(0, 5),
                                            ::testing::Values(SIGINT, SIGTERM, SIGHUP, SIGKILL)),
                         [](const auto& info) {
                             return stages()[std::get<0>(info.param)].name + "_" +
                                    signal_name(std::get<1>(info.param));
                         });

// A program that trace --pid watches: a forked child of the test that writes
// to a pipe nobody reads and sleeps, over and over, until it is killed.
class Watched {
public:
    Watched()
    {
        int pipe_fds[2];
        if (::pipe(pipe_fds) != 0)
            throw std::runtime_error("pipe");
        pid_ = ::fork();
        if (pid_ == 0) {
            ::close(pipe_fds[0]);
            const int sink = ::open("/dev/null", O_WRONLY);
            char block[4096] = {};
            for (;;) {
                if (::write(sink, block, sizeof block) < 0)
                    ::_exit(1);
                ::usleep(1000);
            }
        }
        ::close(pipe_fds[0]);
        ::close(pipe_fds[1]);
    }
    ~Watched()
    {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
    }
    Watched(const Watched&) = delete;
    Watched& operator=(const Watched&) = delete;
    [[nodiscard]] pid_t pid() const { return pid_; }

    // 'R' or 'S'; 'T' (stopped) or 't' (traced) would be zctrace's doing.
    [[nodiscard]] char state() const
    {
        std::ifstream stat("/proc/" + std::to_string(pid_) + "/stat");
        std::string text;
        std::getline(stat, text);
        const auto close = text.rfind(')');
        return close == std::string::npos || close + 2 >= text.size() ? '?' : text[close + 2];
    }
    // Still running: not dead, not a zombie, not stopped.
    [[nodiscard]] bool running() const
    {
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG | WUNTRACED) != 0)
            return false;
        const char now = state();
        return now == 'R' || now == 'S';
    }

private:
    pid_t pid_ = -1;
};

class KillTrace : public ::testing::TestWithParam<int> {};

// A trace of a program zctrace did not start ends on a signal it catches,
// with its report written whole (that is how an open-ended trace is stopped,
// as with bpftrace); SIGKILL ends it with no report. Either way the program
// runs on, untouched, and no probe of zctrace's is left on it.
TEST_P(KillTrace, TheWatchedProgramRunsOnUntouched)
{
    REQUIRE_ROOT();
    const int signo = GetParam();
    TempDir out;
    Watched target;
    const auto programs_before = bpf_objects("prog");
    const auto links_before = bpf_objects("link");
    Owned owned;
    {
        Process trace({"trace", "--pid", std::to_string(target.pid()), "--out", out.path().string()});
        ASSERT_TRUE(trace.wait_for_stderr("attached", std::chrono::seconds(60)));
        ::usleep(300 * 1000);
        owned = owned_by(trace.pid(), programs_before, links_before);
        ASSERT_FALSE(owned.links.empty());
        EXPECT_TRUE(owned.children.empty()) << "trace --pid starts nothing";
        ::kill(trace.pid(), signo);
        const Finished result = trace.finish(std::chrono::seconds(30));
        if (signo == SIGKILL) {
            EXPECT_EQ(result.status, 128 + SIGKILL);
            EXPECT_TRUE(temp_files_in(out.path()).empty());
        } else {
            EXPECT_EQ(result.status, 0) << result.err;
            const auto report = nlohmann::json::parse(read_text(out.path() / "trace.json"));
            EXPECT_EQ(report.at("ended_by"), "interrupted");
            EXPECT_EQ(out.entries(), std::vector<std::string>{"trace.json"});
        }
    }
    EXPECT_TRUE(eventually([&] { return !any_left(owned.programs, "prog"); }));
    EXPECT_TRUE(eventually([&] { return !any_left(owned.links, "link"); }));
    ::usleep(100 * 1000);
    EXPECT_TRUE(target.running()) << "the watched program's state is " << target.state();
}

INSTANTIATE_TEST_SUITE_P(Signals, KillTrace, ::testing::Values(SIGINT, SIGTERM, SIGHUP, SIGKILL),
                         [](const auto& info) { return std::string(signal_name(info.param)); });

}  // namespace
}  // namespace zctrace::cli_test
