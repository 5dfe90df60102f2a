// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// Limits a host can put on zctrace: the locked-memory and open-files
// rlimits, a disk that fills while the workload file is written, and four
// runs at once. Each gets its exact counts or a clear error, a non-zero exit,
// and nothing left behind.
#include <sys/resource.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "../report/xmit_miss.hpp"
#include "loop_fs.hpp"
#include "support.hpp"

namespace zctrace::cli_test {
namespace {

// The line of /proc/<pid>/limits for one limit: "Max locked memory 0 0 bytes".
std::string limit_line(pid_t pid, const std::string& name)
{
    std::ifstream limits("/proc/" + std::to_string(pid) + "/limits");
    for (std::string line; std::getline(limits, line);)
        if (line.rfind(name, 0) == 0)
            return line;
    return {};
}

// 6.18 charges BPF maps and programs to the memory cgroup, not to
// RLIMIT_MEMLOCK, and libbpf only raises the limit on kernels that do not:
// a limit of 0 must change nothing, and stay 0.
TEST(Limits, NoLockedMemoryAllowedChangesNothing)
{
    REQUIRE_ROOT();
    TempDir out;
    Restrictions restrictions;
    restrictions.limits.push_back({RLIMIT_MEMLOCK, 0, 0});
    Process zctrace({"run", "sendfile", "--size", "8M", "--json", "--out", out.path().string()}, restrictions);
    ASSERT_TRUE(zctrace.wait_for_stderr("attached", std::chrono::seconds(60)));
    const std::string memlock = limit_line(zctrace.pid(), "Max locked memory");
    const Finished result = zctrace.finish();
    ASSERT_EQ(result.status, 0) << result.err;
    EXPECT_TRUE(std::regex_search(memlock, std::regex(R"(^Max locked memory +0 +0 +bytes)"))) << memlock;
    const auto report = nlohmann::json::parse(result.out);
    const auto& measured = report.at("measured");
    EXPECT_EQ(measured.at("socket").at("sendmsg").at("spliced_bytes"), 8u << 20);
    EXPECT_EQ(measured.at("cpu_copy_bytes").at("total"), 0u);
    EXPECT_EQ(measured.at("syscalls").at("by_name"), report.at("workload").at("calls"));
    EXPECT_NE(report.at("verdict"), "invalid");
}

// A soft limit below what the probes hold is raised to the hard one.
TEST(Limits, ALowSoftOpenFilesLimitIsRaisedToTheHardOne)
{
    REQUIRE_ROOT();
    TempDir out;
    Restrictions restrictions;
    restrictions.limits.push_back({RLIMIT_NOFILE, 16, 4096});
    const Finished result = run({"run", "sendfile", "--size", "1M", "--out", out.path().string()}, restrictions);
    EXPECT_EQ(result.status, 0) << result.err;
    EXPECT_EQ(out.entries(), std::vector<std::string>{"sendfile.json"});
}

// A hard limit below it is the user's to raise, and zctrace says how
// before it creates anything.
TEST(Limits, AHardOpenFilesLimitTooLowIsAClearError)
{
    REQUIRE_ROOT();
    TempDir out;
    const auto programs_before = bpf_objects("prog");
    for (const std::vector<std::string>& args :
         {std::vector<std::string>{"run", "sendfile", "--size", "1M", "--out", out.path().string()},
          std::vector<std::string>{"trace", "--out", out.path().string(), "--", "/bin/true"}}) {
        Restrictions restrictions;
        restrictions.limits.push_back({RLIMIT_NOFILE, 32, 32});
        Process zctrace(args, restrictions);
        const pid_t pid = zctrace.pid();
        const Finished result = zctrace.finish();
        EXPECT_EQ(result.status, 3) << result.err;
        EXPECT_NE(result.err.find("the hard open-files limit is 32"), std::string::npos) << result.err;
        EXPECT_NE(result.err.find("ulimit -n"), std::string::npos) << result.err;
        EXPECT_TRUE(work_dirs_of(pid).empty());
    }
    EXPECT_TRUE(out.entries().empty());
    EXPECT_EQ(bpf_objects("prog"), programs_before);
}

// The disk fills while the workload file is written: another writer takes
// the room zctrace saw free. The run stops with what happened and what to
// do, and its half-written file is gone.
TEST(Limits, ADiskThatFillsWhileTheFileIsWrittenIsAClearError)
{
    REQUIRE_ROOT();
    TempDir parent("/var/tmp");
    std::string error;
    bool unsupported = false;
    const auto ext4 = LoopFilesystem::make(parent.path(), small_ext4(128L << 20), error, unsupported);
    ASSERT_TRUE(ext4) << error;
    const fs::path dir = ext4->mount_point();
    TempDir out;
    Restrictions restrictions;
    restrictions.environment.emplace_back("ZCTRACE_HOLD_AT", "workload-file");
    Process zctrace({"run", "sendfile", "--size", "32M", "--dir", dir.string(), "--out", out.path().string()},
                    restrictions);
    if (!zctrace.wait_for_stderr("holding at workload-file", std::chrono::seconds(60))) {
        const Finished early = zctrace.finish();
        FAIL() << "zctrace did not hold (exit " << early.status << "): " << early.err;
    }
    // Fill what is left, then let zctrace go on writing.
    {
        std::ofstream filler(dir / "filler", std::ios::binary);
        const std::vector<char> block(1 << 20, 'x');
        while (filler.write(block.data(), static_cast<std::streamsize>(block.size())))
            ;
    }
    struct statvfs fs_state {};
    ASSERT_EQ(::statvfs(dir.c_str(), &fs_state), 0);
    ASSERT_LT(fs_state.f_bavail * fs_state.f_frsize, 1u << 20) << "the filler did not fill the disk";
    ::kill(zctrace.pid(), SIGUSR1);
    const Finished result = zctrace.finish();
    EXPECT_EQ(result.status, 2) << result.err;
    EXPECT_NE(result.err.find("filled up while the workload file was written"), std::string::npos) << result.err;
    EXPECT_NE(result.err.find("No space left on device"), std::string::npos) << result.err;
    EXPECT_NE(result.err.find("--dir"), std::string::npos) << result.err;
    std::vector<std::string> left;
    for (const auto& entry : fs::directory_iterator(dir))
        left.push_back(entry.path().filename().string());
    std::sort(left.begin(), left.end());
    EXPECT_EQ(left, (std::vector<std::string>{"filler", "lost+found"})) << "the work directory is removed";
    EXPECT_TRUE(out.entries().empty());
}

// Four runs at once, two over lo and two over veth pairs of their own: each
// run's probes count its own workload only, so each report has the exact
// counts a run alone would have. The one exception is the rare xmit miss
// (docs/limits.md: the kernel moves a frame without firing its net
// tracepoints, as bpftrace and a plain tracefs event confirm), which
// concurrent runs make more likely: 1 to 7 sets of four in 25 here. Such a
// run must say INVALID for that alone, with its sendmsg, syscall and copy
// counts still exact, and never count another run's bytes.
TEST(Limits, FourRunsAtOnceEachCountOnlyTheirOwn)
{
    REQUIRE_ROOT();
    struct Concurrent {
        std::string technique, transport;
        std::uint64_t copies;  // CPU copies of the payload
    };
    const std::vector<Concurrent> runs = {
        {"sendfile", "lo", 0}, {"read_write", "lo", 2}, {"sendfile", "veth", 0}, {"read_write", "veth", 2}};
    constexpr std::uint64_t kSize = 64u << 20;
    std::vector<std::unique_ptr<TempDir>> outs;
    std::vector<std::unique_ptr<Process>> processes;
    for (const Concurrent& each : runs) {
        outs.push_back(std::make_unique<TempDir>());
        processes.push_back(std::make_unique<Process>(std::vector<std::string>{
            "run", each.technique, "--transport", each.transport, "--size", std::to_string(kSize), "--json", "--out",
            outs.back()->path().string()}));
    }
    for (std::size_t i = 0; i < runs.size(); ++i) {
        const Concurrent& each = runs[i];
        SCOPED_TRACE(each.technique + " over " + each.transport);
        const Finished result = processes[i]->finish();
        const auto report = nlohmann::json::parse(result.out, nullptr, false);
        ASSERT_TRUE(report.is_object()) << result.err;
        const bool missed = test::only_the_xmit_probe_missed(report);
        if (missed)
            std::cout << each.technique << " over " << each.transport << ": " << report.at("headline") << std::endl;
        EXPECT_EQ(result.status, missed ? 1 : 0) << result.err;
        EXPECT_TRUE(missed || report.at("verdict") != "invalid") << report.at("headline");
        const auto& measured = report.at("measured");
        EXPECT_TRUE(report.at("workload").at("integrity").at("ok").get<bool>());
        EXPECT_EQ(report.at("workload").at("integrity").at("bytes_received"), kSize);
        EXPECT_EQ(measured.at("syscalls").at("by_name"), report.at("workload").at("calls"));
        EXPECT_EQ(measured.at("cpu_copy_bytes").at("total"), each.copies * kSize);
        if (each.technique == "sendfile") {
            EXPECT_EQ(measured.at("socket").at("sendmsg").at("spliced_bytes"), kSize);
        }
        // What left the sender's sockets at a device: the payload once, and
        // nothing of the other three runs' (resends are counted apart).
        const auto& socket = measured.at("socket");
        const auto payload = socket.at("bytes").get<std::uint64_t>() - socket.at("header_bytes").get<std::uint64_t>();
        // Resends by the kernel's count (tcp_retransmit_skb), as the
        // xmit_payload_seen check takes them: when xmit missed a segment's
        // first pass, its resend is the first time xmit sees that sequence
        // range, and the sequence-based count takes it for a first pass.
        const auto resent = socket.at("retransmit_skbs").get<std::uint64_t>()
                                ? socket.at("retransmit_bytes").get<std::uint64_t>()
                                : socket.at("resent_payload_bytes").get<std::uint64_t>();
        const auto first_pass = payload - std::min(payload, resent);
        if (missed)
            EXPECT_LT(first_pass, kSize) << socket.dump();
        else
            EXPECT_EQ(first_pass, kSize) << socket.dump();
    }
}

}  // namespace
}  // namespace zctrace::cli_test
