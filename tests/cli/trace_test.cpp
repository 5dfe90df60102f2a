// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// `zctrace trace` on programs zctrace did not write: Debian's nginx serving a
// file with sendfile on and off, zctrace's own workloads started as plain
// commands (whose copies must equal `zctrace run`'s), and the ways a user
// can get a target wrong.
#include <sched.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <memory>
#include <random>
#include <thread>

#include "base/system.hpp"
#include "nginx.hpp"
#include "tracing/probes.hpp"
#include "trace_support.hpp"

namespace zctrace::cli_test {
namespace {

std::uint64_t fs_inode(const fs::path& path)
{
    struct stat st{};
    EXPECT_EQ(::stat(path.c_str(), &st), 0);
    return st.st_ino;
}

// Traces nginx's master (and so its worker) while curl fetches the file,
// then stops zctrace with Ctrl-C; nginx must keep serving.
// The file nginx served, gone once the test has its trace.
struct Served {
    fs::path path;
    std::uint64_t inode = 0;
};

json trace_nginx_fetch(bool sendfile, const fs::path& out, Served& served)
{
    TempDir root;
    served.path = root.path() / "file.bin";
    write_warm_file(served.path, 64 * kMiB);
    served.inode = fs_inode(served.path);
    std::string error;
    auto nginx = test::Nginx::start({root.path().string(), sendfile}, error);
    EXPECT_TRUE(nginx) << error;
    if (!nginx)
        return {};
    // One fetch before the trace, so the worker's first-request setup is not
    // what is measured.
    EXPECT_EQ(test::fetch_with_curl(nginx->port(), "file.bin").status, 0);

    Process trace({"trace", "--pid", std::to_string(nginx->master_pid()), "-o", out.string()});
    EXPECT_TRUE(trace.wait_for_stderr("attached", std::chrono::seconds(30)));
    const test::Fetched fetched = test::fetch_with_curl(nginx->port(), "file.bin");
    EXPECT_EQ(fetched.status, 0) << fetched.error;
    EXPECT_EQ(fetched.bytes, 64 * kMiB);
    ::kill(trace.pid(), SIGINT);
    const Finished finished = trace.finish();
    EXPECT_EQ(finished.status, 0) << finished.err;
    // The target is left running, untouched.
    EXPECT_TRUE(alive(nginx->master_pid()));
    EXPECT_EQ(test::fetch_with_curl(nginx->port(), "file.bin").bytes, 64 * kMiB);
    std::cout << finished.out;
    return read_json(out / "trace.json");
}

TEST(TraceNginx, SendfileOnServesWithZeroCopiesFromThePageCache)
{
    REQUIRE_ROOT();
    TempDir out;
    Served served;
    const json trace = trace_nginx_fetch(true, out.path(), served);
    ASSERT_FALSE(trace.is_null());
    EXPECT_EQ(trace.at("ended_by"), "interrupted");
    const json* sendfile = flow_of(trace, "sendfile");
    ASSERT_NE(sendfile, nullptr) << trace.at("flows").dump(2);
    EXPECT_EQ(sendfile->at("bytes"), 64 * kMiB);
    EXPECT_EQ(sendfile->at("measured_copy_bytes"), 0);
    EXPECT_EQ(sendfile->at("theory_row"), "sendfile_dma_gather");
    EXPECT_EQ(sendfile->at("verdict"), "match");
    EXPECT_EQ(trace.at("flows").at(0).at("technique"), "sendfile");
    EXPECT_EQ(flow_of(trace, "read_write"), nullptr);
    const json& totals = trace.at("totals");
    // The response headers go out by writev, a few hundred bytes copied.
    EXPECT_GT(totals.at("bytes_sent").get<std::uint64_t>(), 64 * kMiB);
    EXPECT_LT(totals.at("cpu_copy_bytes").at("total").get<std::uint64_t>(), 4096u);
    EXPECT_LT(totals.at("cpu_copies").get<double>(), 0.0001);
    // Every page came from the page cache.
    EXPECT_GE(totals.at("page_cache").at("lookup_pages").get<std::uint64_t>(), 64 * kMiB / 4096);
    EXPECT_EQ(totals.at("page_cache").at("misses"), 0);
    EXPECT_EQ(totals.at("disk_read_bytes"), 0);
    // curl is not traced: what nginx received is one HTTP request.
    EXPECT_LT(totals.at("receive_copy_bytes").get<std::uint64_t>(), 4096u);
    EXPECT_GT(totals.at("syscalls_by_name").value("sendfile", 0), 0);
    // The one connection curl made: the file as page references, the
    // response header copied.
    ASSERT_EQ(trace.at("connections").size(), 1u) << trace.at("connections").dump(2);
    const json& connection = trace.at("connections").at(0);
    EXPECT_EQ(connection.at("sent").at("spliced"), 64 * kMiB);
    EXPECT_EQ(connection.at("bytes_sent"), totals.at("bytes_sent"));
    EXPECT_EQ(connection.at("sent").at("user_copy"), totals.at("cpu_copy_bytes").at("user_to_socket"));
    EXPECT_GE(connection.at("at_device").at("page_cache_frag_bytes").get<std::uint64_t>(), 64 * kMiB);
    EXPECT_EQ(connection.at("receive_copy_bytes"), totals.at("receive_copy_bytes"));
    // The one file it served, by its path: every byte as page references.
    ASSERT_EQ(trace.at("files").size(), 1u) << trace.at("files").dump(2);
    const json& file = trace.at("files").at(0);
    EXPECT_EQ(file.at("path"), served.path.string());
    EXPECT_EQ(file.at("inode"), served.inode);
    EXPECT_EQ(file.at("sent_by_reference_bytes"), 64 * kMiB);
    EXPECT_EQ(file.at("read_bytes"), 0);
    EXPECT_EQ(file.at("page_cache").at("misses"), 0);
    EXPECT_EQ(file.at("page_cache").at("lookup_pages"), totals.at("page_cache").at("lookup_pages"));
}

TEST(TraceNginx, SendfileOffReadsAndWritesWithTwoCopies)
{
    REQUIRE_ROOT();
    TempDir out;
    Served served;
    const json trace = trace_nginx_fetch(false, out.path(), served);
    ASSERT_FALSE(trace.is_null());
    const json* read_write = flow_of(trace, "read_write");
    ASSERT_NE(read_write, nullptr) << trace.at("flows").dump(2);
    EXPECT_EQ(trace.at("flows").at(0).at("technique"), "read_write");
    EXPECT_EQ(read_write->at("bytes"), 64 * kMiB);
    EXPECT_EQ(read_write->at("measured_copy_bytes"), 2 * 64 * kMiB);
    EXPECT_EQ(read_write->at("theory_row"), "read_write");
    EXPECT_EQ(read_write->at("verdict"), "match");
    EXPECT_EQ(flow_of(trace, "sendfile"), nullptr);
    const json& totals = trace.at("totals");
    EXPECT_EQ(totals.at("cpu_copy_bytes").at("file_to_user"), 64 * kMiB);
    const double copies = totals.at("cpu_copies").get<double>();
    EXPECT_GT(copies, 1.999);
    EXPECT_LT(copies, 2.001);
    EXPECT_EQ(totals.at("syscalls_by_name").value("sendfile", 0), 0);
    EXPECT_GT(totals.at("syscalls_by_name").value("pread64", 0), 0);
    ASSERT_EQ(trace.at("connections").size(), 1u) << trace.at("connections").dump(2);
    const json& connection = trace.at("connections").at(0);
    EXPECT_EQ(connection.at("sent").at("spliced"), 0);
    EXPECT_EQ(connection.at("sent").at("user_copy"), totals.at("bytes_sent"));
    EXPECT_EQ(connection.at("cpu_copy_bytes"), totals.at("cpu_copy_bytes").at("user_to_socket"));
    EXPECT_EQ(connection.at("at_device").at("page_cache_frag_bytes"), 0);
    ASSERT_EQ(trace.at("files").size(), 1u) << trace.at("files").dump(2);
    const json& file = trace.at("files").at(0);
    EXPECT_EQ(file.at("path"), served.path.string());
    EXPECT_EQ(file.at("read_bytes"), 64 * kMiB);
    EXPECT_EQ(file.at("sent_by_reference_bytes"), 0);
    EXPECT_EQ(file.at("page_cache").at("lookup_pages"), 64 * kMiB / 4096);
}

// A server's connections under --hooks light: each one is in the table
// with its own split, though no sys_exit ever clears a thread's entry.
TEST(TraceNginx, LightHooksListEveryConnectionAsPageReferences)
{
    REQUIRE_ROOT();
    TempDir root;
    TempDir out;
    write_warm_file(root.path() / "file.bin", 16 * kMiB);
    std::string error;
    auto nginx = test::Nginx::start({root.path().string(), true}, error);
    ASSERT_TRUE(nginx) << error;
    Process trace({"trace", "--hooks", "light", "--pid", std::to_string(nginx->master_pid()), "-o",
                   out.path().string()});
    ASSERT_TRUE(trace.wait_for_stderr("attached", std::chrono::seconds(30)));
    for (int fetch = 0; fetch < 3; ++fetch)
        EXPECT_EQ(test::fetch_with_curl(nginx->port(), "file.bin").bytes, 16 * kMiB);
    ::kill(trace.pid(), SIGINT);
    const Finished finished = trace.finish();
    ASSERT_EQ(finished.status, 0) << finished.err;
    const json report = read_json(out.path() / "trace.json");
    EXPECT_EQ(report.at("hooks"), "light");
    ASSERT_EQ(report.at("connections").size(), 3u) << report.at("connections").dump(2);
    for (const json& connection : report.at("connections")) {
        EXPECT_GE(connection.at("at_device").at("page_cache_frag_bytes").get<std::uint64_t>(), 16 * kMiB);
        // the response header, copied
        EXPECT_LT(connection.at("cpu_copy_bytes").get<std::uint64_t>(), 4096u);
    }
    EXPECT_GE(report.at("light").at("page_cache_frag_bytes").get<std::uint64_t>(), 3 * 16 * kMiB);
}

// ---- commands ----

struct WorkloadRun {
    json report;     // zctrace run's
    json trace;      // zctrace trace's
    json workload;   // the workload's own line
};

WorkloadRun run_and_trace(const std::string& technique, const fs::path& file, const fs::path& out)
{
    WorkloadRun result;
    const Finished run = cli_test::run({"run", technique, "-s", "16M", "-o", (out / "run").string(), "--dir",
                                        file.parent_path().string()});
    EXPECT_EQ(run.status, 0) << run.err;
    result.report = read_json(out / "run" / (technique + ".json"));
    const Finished trace = cli_test::run(
        {"trace", "-o", (out / "trace").string(), "--", ZCTRACE_WORKLOAD_BINARY, technique, "--file", file.string()});
    EXPECT_EQ(trace.status, 0) << trace.err;
    result.workload = json::parse(trace.out.substr(0, trace.out.find('\n')));
    result.trace = read_json(out / "trace" / "trace.json");
    return result;
}

const json& process_figures(const json& trace, std::int64_t pid)
{
    for (const json& process : trace.at("processes"))
        if (process.at("pid") == pid)
            return process.at("figures");
    static const json none;
    ADD_FAILURE() << "pid " << pid << " is not in the trace";
    return none;
}

// The sender of each technique, run as an ordinary command, copies exactly
// what `zctrace run` measured in its window: the same bytes on every path.
TEST(TraceCommand, ZctracesOwnSendersCopyWhatRunMeasuredForEveryTechnique)
{
    REQUIRE_ROOT();
    TempDir dir("/var/tmp");
    const fs::path file = dir.path() / "payload.bin";
    write_warm_file(file, 16 * kMiB);
    for (const std::string technique : {"read_write", "mmap_write", "sendfile", "splice", "direct_io",
                                        "direct_io_send", "cow", "large_file_async_direct"}) {
        SCOPED_TRACE(technique);
        const WorkloadRun both = run_and_trace(technique, file, dir.path() / technique);
        if (both.trace.is_null() || both.report.is_null())
            continue;
        const json& sender = process_figures(both.trace, both.workload.at("sender_pid").get<std::int64_t>());
        if (sender.is_null())
            continue;
        const json& run_copies = both.report.at("measured").at("cpu_copy_bytes");
        const json& trace_copies = sender.at("cpu_copy_bytes");
        // cow fills its buffer with one read() before `run` opens its
        // window; a trace counts the whole life, so that read is in it.
        const std::uint64_t fill = technique == "cow" ? 16 * kMiB : 0;
        EXPECT_EQ(trace_copies.at("file_to_user").get<std::uint64_t>(),
                  run_copies.at("file_to_user").get<std::uint64_t>() + fill);
        for (const char* path : {"user_to_socket", "page_cache_to_socket", "kernel_to_socket"})
            EXPECT_EQ(trace_copies.at(path), run_copies.at(path)) << path;
        EXPECT_EQ(sender.at("bytes_sent"), both.workload.at("bytes_sent"));
        EXPECT_EQ(both.workload.at("bytes_sent"), both.report.at("measured").at("socket").at("sendmsg").at("bytes"));
        // The run counts cow's copies on its buffer by address; a traced
        // program has no such address, so those stay out of the trace.
        if (technique != "cow") {
            EXPECT_EQ(trace_copies.at("total"), run_copies.at("total"));
        }
        // The flow that carried the bytes is the technique's own row.
        const std::map<std::string, std::string> flow_technique = {
            {"read_write", "read_write"}, {"mmap_write", "mmap_write"}, {"sendfile", "sendfile"},
            {"splice", "splice"}, {"direct_io_send", "user_memory"}};
        if (auto expected = flow_technique.find(technique); expected != flow_technique.end()) {
            ASSERT_FALSE(both.trace.at("flows").empty());
            EXPECT_EQ(both.trace.at("flows").at(0).at("technique"), expected->second);
            EXPECT_EQ(both.trace.at("flows").at(0).at("bytes"), 16 * kMiB);
            EXPECT_NE(both.trace.at("flows").at(0).at("verdict"), "mismatch");
        } else {
            EXPECT_TRUE(both.trace.at("flows").empty()) << both.trace.at("flows").dump(2);
        }
    }
}

// Another process moving bytes at the same time changes nothing.
TEST(TraceCommand, UnrelatedProcessesAreNotCounted)
{
    REQUIRE_ROOT();
    TempDir dir("/var/tmp");
    const fs::path file = dir.path() / "payload.bin";
    write_warm_file(file, 16 * kMiB);
    Process noise({"read_write", "--file", file.string()}, {}, ZCTRACE_WORKLOAD_BINARY);
    const Finished trace = run({"trace", "-o", dir.path().string(), "--", ZCTRACE_WORKLOAD_BINARY, "sendfile", "--file",
                                file.string()});
    ASSERT_EQ(trace.status, 0) << trace.err;
    EXPECT_EQ(noise.finish().status, 0);
    const json report = read_json(dir.path() / "trace.json");
    ASSERT_EQ(report.at("flows").size(), 1u) << report.at("flows").dump(2);
    EXPECT_EQ(report.at("flows").at(0).at("technique"), "sendfile");
    // The child joined by write()ing its pid into cgroup.procs, inside the
    // cgroup: a command to the kernel, not a copy into a file's page cache.
    EXPECT_EQ(report.at("totals").at("file_copy_bytes").at("user_to_page_cache"), 0);
    EXPECT_EQ(report.at("totals").at("bytes_sent"), 16 * kMiB);
    EXPECT_EQ(report.at("totals").at("receive_copy_bytes"), 16 * kMiB);
    EXPECT_EQ(report.at("totals").at("cpu_copy_bytes").at("user_to_socket"), 0);
    EXPECT_EQ(report.at("processes").size(), 3u);  // the workload, its receiver and its sender
}

// A running process's threads are each marked for the syscall hooks
// (PIDFD_THREAD): one started before the trace counts like its leader.
// Without the mark its 7 calls are let go uncounted.
TEST(TraceCommand, EveryThreadOfARunningProcessIsCounted)
{
    REQUIRE_ROOT();
    int ready[2], go[2];
    ASSERT_EQ(::pipe(ready), 0);
    ASSERT_EQ(::pipe(go), 0);
    const pid_t target = ::fork();
    if (target == 0) {
        int thread_go[2];
        if (::pipe(thread_go) != 0)
            ::_exit(2);
        std::thread worker([&] {
            char byte;
            if (::read(thread_go[0], &byte, 1) == 1)
                for (int i = 0; i < 7; ++i)
                    ::syscall(SYS_getppid);
        });
        char byte;
        if (::write(ready[1], "r", 1) != 1 || ::read(go[0], &byte, 1) != 1 || ::write(thread_go[1], "g", 1) != 1)
            ::_exit(3);
        for (int i = 0; i < 11; ++i)
            ::syscall(SYS_getppid);
        worker.join();
        ::_exit(0);
    }
    char byte;
    ASSERT_EQ(::read(ready[0], &byte, 1), 1);  // its second thread runs
    TempDir out;
    Process trace({"trace", "--pid", std::to_string(target), "-o", out.path().string()});
    ASSERT_TRUE(trace.wait_for_stderr("attached", std::chrono::seconds(60)));
    ASSERT_EQ(::write(go[1], "g", 1), 1);
    int status = 0;
    ::waitpid(target, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
    for (int* fds : {ready, go}) {
        ::close(fds[0]);
        ::close(fds[1]);
    }
    const Finished result = trace.finish(std::chrono::seconds(30));
    ASSERT_EQ(result.status, 0) << result.err;
    const json report = read_json(out.path() / "trace.json");
    EXPECT_EQ(report.at("ended_by"), "targets_exited");
    EXPECT_EQ(report.at("totals").at("syscalls_by_name").value("getppid", 0), 18);
}

// Either filter of the syscall hooks lets go of a process until it is
// followed, then counts it exactly. The target spins on sched_yield() from
// before the trace attaches until it is told to go, so the cpu-cache filter
// has remembered it as untraced on its CPU by the time `follow` marks it:
// without the generation that marking moves on, its 13 getppid() calls
// would be let go uncounted (0). It has the last CPU to itself (this test,
// zctrace and the rest run on the first), so that no other task's syscall
// displaces what its CPU remembers. A process calling getppid() on the
// first CPU, never followed, stays out.
TEST(TraceCommand, BothBystanderFiltersCountAProcessFromTheMomentItIsFollowed)
{
    REQUIRE_ROOT();
    if (!thread_pidfds_supported())
        GTEST_SKIP() << "this kernel opens no pidfd for a thread (PIDFD_THREAD, Linux 6.9): trace tests every task";
    const RestoreAffinity restore;
    const int cpus = static_cast<int>(::sysconf(_SC_NPROCESSORS_ONLN));
    const auto pin = [](int cpu) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(cpu, &set);
        return ::sched_setaffinity(0, sizeof set, &set);
    };
    ASSERT_EQ(pin(0), 0);  // zctrace inherits it
    for (const std::string filter : {"task-storage", "cpu-cache"}) {
        SCOPED_TRACE(filter);
        void* shared = ::mmap(nullptr, sizeof(std::atomic<int>), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        ASSERT_NE(shared, MAP_FAILED);
        const std::unique_ptr<void, void (*)(void*)> unmap(shared, [](void* page) { ::munmap(page, sizeof(std::atomic<int>)); });
        auto* go = new (shared) std::atomic<int>(0);
        ForkedChild target([&] {
            pin(cpus - 1);
            while (go->load() == 0)
                ::sched_yield();
            for (int i = 0; i < 13; ++i)
                ::syscall(SYS_getppid);
        });
        ForkedChild bystander([&] {
            while (go->load() < 2) {
                ::syscall(SYS_getppid);
                ::usleep(100);
            }
        });
        ASSERT_GT(target.pid(), 0);
        ASSERT_GT(bystander.pid(), 0);
        TempDir out;
        Process trace({"trace", "--bystander-filter", filter, "--pid", std::to_string(target.pid()), "-o",
                       out.path().string()});
        ASSERT_TRUE(trace.wait_for_stderr("attached", std::chrono::seconds(60)));
        go->store(1);
        const int status = target.wait();
        EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
        const Finished result = trace.finish(std::chrono::seconds(30));
        go->store(2);
        bystander.wait();
        ASSERT_EQ(result.status, 0) << result.err;
        const json report = read_json(out.path() / "trace.json");
        EXPECT_EQ(report.at("overhead").at("bystander_filter"), filter);
        EXPECT_EQ(result.err.find("cannot be kept"), std::string::npos) << result.err;
        // The variant's runs land in sys_exit's slot: the followed calls at least.
        const std::string program = typed_syscall_program("sys_exit", *bystander_filter_named(filter));
        std::uint64_t runs = 0;
        for (const json& entry : report.at("overhead").at("programs"))
            if (entry.at("program") == program)
                runs = entry.at("events").get<std::uint64_t>();
        EXPECT_GE(runs, 13u) << report.at("overhead").at("programs").dump(2);
        EXPECT_EQ(report.at("totals").at("syscalls_by_name").value("getppid", 0), 13);
        EXPECT_EQ(report.at("processes").size(), 1u) << report.at("processes").dump(2);
    }
}

// Each process's syscalls add up to the trace's total. A CPU holds a run
// of a task's calls and adds them to its process when the task leaves it,
// or when the CPU's entry is taken by another task (bpf/probe_cost.h):
// after a command's processes exited, exactly; and for a process still
// running when the trace reads, which made 200000 calls and then spins in
// user space on a CPU of its own. What a CPU still holds when the trace
// reads, userspace adds; that path runs only when nothing switched the
// process out between its last call and the read, which this test cannot
// arrange (a kernel thread does, within the second), so it does not
// isolate it: by hand, a spinning target once read 2782 calls short without it.
TEST(TraceCommand, EachProcesssCallsAddUpToTheTotal)
{
    REQUIRE_ROOT();
    const auto per_process_sum = [](const json& report) {
        std::uint64_t sum = 0;
        for (const json& process : report.at("processes"))
            sum += process.at("figures").at("mode_switches").get<std::uint64_t>() / 2;
        return sum;
    };
    TempDir out;
    const Finished command =
        run({"trace", "-o", out.path().string(), "--", "/bin/sh", "-c", "for i in 1 2 3; do /bin/true; done"});
    ASSERT_EQ(command.status, 0) << command.err;
    json report = read_json(out.path() / "trace.json");
    EXPECT_EQ(report.at("processes").size(), 4u);
    EXPECT_EQ(per_process_sum(report), report.at("totals").at("syscalls").get<std::uint64_t>());

    const int cpus = static_cast<int>(::sysconf(_SC_NPROCESSORS_ONLN));
    if (cpus < 2)
        GTEST_SKIP() << "one CPU: the spinning process would share it with zctrace, which would switch it out";
    // zctrace (which inherits this) stays off the spinner's CPU: waking up
    // there would switch the spinner out, and its calls would be added then.
    const RestoreAffinity restore;
    cpu_set_t first;
    CPU_ZERO(&first);
    CPU_SET(0, &first);
    ASSERT_EQ(::sched_setaffinity(0, sizeof first, &first), 0);
    void* shared = ::mmap(nullptr, sizeof(std::atomic<int>), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    ASSERT_NE(shared, MAP_FAILED);
    const std::unique_ptr<void, void (*)(void*)> unmap(shared, [](void* page) { ::munmap(page, sizeof(std::atomic<int>)); });
    auto* go = new (shared) std::atomic<int>(0);
    ForkedChild spinner([&] {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(cpus - 1, &set);
        ::sched_setaffinity(0, sizeof set, &set);
        while (go->load() == 0)
            ;
        for (int i = 0; i < 200000; ++i)
            ::syscall(SYS_getppid);
        go->store(2);
        // In user space until killed; the atomic load keeps the loop
        // well-defined (an empty endless loop is undefined in C++).
        while (go->load() != 3) {
        }
    });
    ASSERT_GT(spinner.pid(), 0);
    Process trace({"trace", "--pid", std::to_string(spinner.pid()), "-d", "3s", "-o", out.path().string()});
    ASSERT_TRUE(trace.wait_for_stderr("attached", std::chrono::seconds(60)));
    go->store(1);
    const Finished spun = trace.finish(std::chrono::seconds(30));
    ASSERT_EQ(go->load(), 2) << "the calls were not over when the trace ended";
    ASSERT_EQ(spun.status, 0) << spun.err;
    report = read_json(out.path() / "trace.json");
    ASSERT_EQ(report.at("processes").size(), 1u);
    EXPECT_EQ(report.at("totals").at("syscalls_by_name").value("getppid", 0), 200000);
    EXPECT_EQ(per_process_sum(report), report.at("totals").at("syscalls").get<std::uint64_t>());
}

TEST(TraceCommand, ExitsWithTheCommandsStatus)
{
    REQUIRE_ROOT();
    TempDir out;
    const Finished three = run({"trace", "-o", out.path().string(), "--", "/bin/sh", "-c", "exit 3"});
    EXPECT_EQ(three.status, 3) << three.err;
    EXPECT_EQ(read_json(out.path() / "trace.json").at("command_exit").at("exit_code"), 3);
    const Finished killed = run({"trace", "-o", out.path().string(), "--", "/bin/sh", "-c", "kill -TERM $$"});
    EXPECT_EQ(killed.status, 128 + SIGTERM) << killed.err;
    const Finished missing = run({"trace", "-o", out.path().string(), "--", "/no/such/program"});
    EXPECT_EQ(missing.status, 127);
    EXPECT_NE(missing.err.find("zctrace trace: cannot run '/no/such/program'"), std::string::npos) << missing.err;
}

// Ctrl-C reaches the command's process group, as from a shell; zctrace
// reports once the command has ended, and exits with its status.
TEST(TraceCommand, CtrlCReachesTheCommandAndTheReportFollowsItsEnd)
{
    REQUIRE_ROOT();
    TempDir out;
    Process trace({"trace", "-o", out.path().string(), "--", "/bin/sh", "-c",
                   "trap 'kill $!; exit 5' INT; /bin/sleep 30 & echo ready >&2; wait"});
    ASSERT_TRUE(trace.wait_for_stderr("ready", std::chrono::seconds(30)));
    // The sleep is forked by now; let it reach its first syscall.
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    ::kill(trace.pid(), SIGINT);
    const Finished finished = trace.finish(std::chrono::seconds(20));
    EXPECT_EQ(finished.status, 5) << finished.err;
    const json report = read_json(out.path() / "trace.json");
    EXPECT_EQ(report.at("ended_by"), "command_exited");
    EXPECT_EQ(report.at("command_exit").at("exit_code"), 5);
    EXPECT_GE(report.at("processes").size(), 2u);  // the shell and its sleep
    // validate knows a trace report.
    const Finished valid = run({"validate", (out.path() / "trace.json").string()});
    EXPECT_EQ(valid.status, 0) << valid.out << valid.err;
    EXPECT_NE(valid.out.find("trace report v1: command"), std::string::npos) << valid.out;
}

// --interval with ndjson: trace_sample lines as the trace runs, then the
// trace; validate reads the stream. With text, a live line on stderr.
TEST(TraceCommand, IntervalSamplesStreamAsNdjsonAndLiveLines)
{
    REQUIRE_ROOT();
    TempDir dir("/var/tmp");
    const fs::path file = dir.path() / "payload.bin";
    write_warm_file(file, 8 * kMiB);
    const std::vector<std::string> command = {"--", "/bin/sh", "-c", "sleep 0.4; cat " + file.string() + " > /dev/null; sleep 0.4"};
    std::vector<std::string> args = {"trace", "--interval", "100ms", "-f", "ndjson", "-o", dir.path().string()};
    args.insert(args.end(), command.begin(), command.end());
    const Finished streamed = run(args);
    ASSERT_EQ(streamed.status, 0) << streamed.err;
    std::istringstream lines(streamed.out);
    std::vector<json> samples;
    json trace;
    for (std::string line; std::getline(lines, line);) {
        const json envelope = json::parse(line);
        if (envelope.at("type") == "trace_sample")
            samples.push_back(envelope.at("data"));
        else if (envelope.at("type") == "trace")
            trace = envelope.at("data");
    }
    ASSERT_GE(samples.size(), 5u) << streamed.out;
    for (std::size_t i = 0; i < samples.size(); ++i) {
        EXPECT_EQ(samples[i].at("seq"), i);
        EXPECT_EQ(samples[i].at("schema_version"), 3);
        if (i) {
            EXPECT_GE(samples[i].at("cpu_copy_bytes").at("file_to_user").get<std::uint64_t>(),
                      samples[i - 1].at("cpu_copy_bytes").at("file_to_user").get<std::uint64_t>());
        }
    }
    // cat's read() copies: in the last sample, and in the trace that follows.
    EXPECT_GE(samples.back().at("cpu_copy_bytes").at("file_to_user").get<std::uint64_t>(), 8 * kMiB);
    EXPECT_EQ(trace.at("kind"), "zctrace.trace");
    const fs::path stream = dir.path() / "trace.ndjson";
    std::ofstream(stream) << streamed.out;
    const Finished valid = run({"validate", stream.string()});
    EXPECT_EQ(valid.status, 0) << valid.out;

    args = {"trace", "--interval", "100ms", "-o", dir.path().string()};
    args.insert(args.end(), command.begin(), command.end());
    const Finished live = run(args);
    ASSERT_EQ(live.status, 0) << live.err;
    EXPECT_NE(live.err.find(" s: sent 0 B (0 B/s), 0 B as page references; CPU copied "), std::string::npos)
        << live.err;
}

// A process in a pid namespace of its own (a container's view): the report
// gives its host pid and the pid it has inside.
TEST(TraceCommand, PidsInsideAPidNamespaceAreShownBesideTheHostPid)
{
    REQUIRE_ROOT();
    TempDir out;
    const Finished inside = run({"trace", "-o", out.path().string(), "--", "/usr/bin/unshare", "--pid", "--fork",
                                 "/bin/sh", "-c", "/bin/true; exit 0"});
    ASSERT_EQ(inside.status, 0) << inside.err;
    const json report = read_json(out.path() / "trace.json");
    bool init_seen = false;
    for (const json& process : report.at("processes")) {
        const json& ns_pids = process.at("ns_pids");
        ASSERT_FALSE(ns_pids.empty());
        EXPECT_EQ(ns_pids.at(0), process.at("pid"));
        if (ns_pids.size() == 2 && ns_pids.at(1) == 1) {
            init_seen = true;
            EXPECT_EQ(process.at("comm"), "sh");
        }
    }
    EXPECT_TRUE(init_seen) << report.at("processes").dump(2);
}

TEST(TraceCommand, DurationEndsTheCommandAsTimeoutWould)
{
    REQUIRE_ROOT();
    TempDir out;
    const auto start = Clock::now();
    const Finished slept = run({"trace", "-d", "300ms", "-o", out.path().string(), "--", "/bin/sleep", "30"});
    EXPECT_LT(Clock::now() - start, std::chrono::seconds(10));
    EXPECT_EQ(slept.status, 128 + SIGTERM) << slept.err;
    const json report = read_json(out.path() / "trace.json");
    EXPECT_EQ(report.at("ended_by"), "duration");
    EXPECT_EQ(report.at("command_exit").at("signal"), SIGTERM);
}

// A target that forks more processes than --max-procs: the cap holds and
// the report says how many were not followed.
TEST(TraceCommand, TheProcessCapIsSaidWhenHit)
{
    REQUIRE_ROOT();
    TempDir out;
    const Finished forks = run({"trace", "--max-procs", "4", "-o", out.path().string(), "--", "/bin/sh", "-c",
                                "for i in 1 2 3 4 5 6 7 8 9 10; do /bin/true; done"});
    ASSERT_EQ(forks.status, 0) << forks.err;
    const json report = read_json(out.path() / "trace.json");
    EXPECT_GT(report.at("limits").at("forks_not_followed").get<int>() +
                  report.at("limits").at("procs_not_counted").get<int>(),
              0);
    EXPECT_LE(report.at("processes").size(), 4u);
    EXPECT_NE(forks.out.find("the --max-procs cap (4) was hit"), std::string::npos) << forks.out;
}

// Three connections sending at once, 1 MiB each in 64 KiB sends, to a
// receiver thread each, in one Python process.
const char* const kThreeSenders = R"(
import socket, threading
server = socket.socket(); server.bind(("127.0.0.1", 0)); server.listen(3)
clients = [socket.create_connection(server.getsockname()) for _ in range(3)]
def drain(conn):
    while conn.recv(1 << 16):
        pass
readers = [threading.Thread(target=drain, args=(server.accept()[0],)) for _ in clients]
for reader in readers:
    reader.start()
block = b"x" * 65536
for _ in range(16):
    for client in clients:
        client.sendall(block)
for client in clients:
    client.close()
for reader in readers:
    reader.join()
)";

// A full map is said, not silent: with room for one sender socket, the other
// two connections' sends are counted in the totals and named as missing
// from the xmit figures. With the default table, none is.
TEST(TraceCommand, AFullSocketTableIsSaidWithWhatItLeftOut)
{
    REQUIRE_ROOT();
    constexpr std::uint64_t kSent = 3u << 20;
    for (const bool full : {false, true}) {
        SCOPED_TRACE(full ? "--max-sockets 1" : "default --max-sockets");
        TempDir out;
        std::vector<std::string> args = {"trace", "-o", out.path().string()};
        if (full)
            args.insert(args.end(), {"--max-sockets", "1"});
        args.insert(args.end(), {"--", "/usr/bin/python3", "-c", kThreeSenders});
        const Finished traced = run(args);
        ASSERT_EQ(traced.status, 0) << traced.err;
        const json report = read_json(out.path() / "trace.json");
        const json& limits = report.at("limits");
        const json& totals = report.at("totals");
        EXPECT_EQ(totals.at("bytes_sent"), kSent);
        const auto untracked = limits.at("sends_on_untracked_sockets").get<std::uint64_t>();
        const auto at_device = totals.at("payload_at_device").get<std::uint64_t>();
        if (!full) {
            EXPECT_EQ(untracked, 0u);
            EXPECT_GE(at_device, kSent);
            EXPECT_EQ(traced.out.find("did not fit in the sender-socket table"), std::string::npos) << traced.out;
            continue;
        }
        EXPECT_EQ(limits.at("max_sockets"), 1);
        // Two connections' 16 sends each went out unfollowed; the one that
        // fitted left whole.
        EXPECT_EQ(untracked, 32u);
        EXPECT_GE(at_device, 1u << 20);
        EXPECT_LT(at_device, 2u << 20);
        EXPECT_NE(traced.out.find("32 sends went out on sockets that did not fit in the sender-socket table "
                                  "(--max-sockets 1)"),
                  std::string::npos)
            << traced.out;
    }
}

// The cgroup2 mount: /sys/fs/cgroup, or /sys/fs/cgroup/unified on a hybrid host.
fs::path cgroup2_mount()
{
    std::ifstream mounts("/proc/self/mountinfo");
    for (std::string line; std::getline(mounts, line);) {
        const auto dash = line.find(" - cgroup2 ");
        if (dash == std::string::npos)
            continue;
        std::istringstream fields(line.substr(0, dash));
        std::string id, parent, device, root, mountpoint;
        fields >> id >> parent >> device >> root >> mountpoint;
        return mountpoint;
    }
    return {};
}

// Starts the workload inside `cgroup`: the child moves itself in before exec.
pid_t start_in_cgroup(const fs::path& cgroup, const std::vector<std::string>& args)
{
    const pid_t pid = ::fork();
    if (pid == 0) {
        std::ofstream(cgroup / "cgroup.procs") << "0" << std::flush;
        exec_quietly(args);
    }
    return pid;
}

// Tasks that join the cgroup after the trace started are traced; the same
// workload running outside it at the same time is not.
TEST(TraceCgroup, FollowsTasksThatJoinLaterAndNothingOutside)
{
    REQUIRE_ROOT();
    const fs::path mount = cgroup2_mount();
    if (mount.empty())
        GTEST_SKIP() << "this kernel has no cgroup2 mount";
    const fs::path cgroup = mount / ("zctrace-test-" + std::to_string(::getpid()));
    ASSERT_TRUE(fs::create_directory(cgroup)) << cgroup;
    TempDir dir("/var/tmp");
    const fs::path file = dir.path() / "payload.bin";
    write_warm_file(file, 16 * kMiB);
    {
        Process trace({"trace", "--cgroup", cgroup.string(), "--bystander-filter", "task-storage", "-o",
                       dir.path().string()});
        ASSERT_TRUE(trace.wait_for_stderr("attached", std::chrono::seconds(30))) << trace.finish().err;
        Process outside({"read_write", "--file", file.string()}, {}, ZCTRACE_WORKLOAD_BINARY);
        const pid_t inside = start_in_cgroup(cgroup, {ZCTRACE_WORKLOAD_BINARY, "sendfile", "--file", file.string()});
        int status = 0;
        ASSERT_EQ(::waitpid(inside, &status, 0), inside);
        EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
        EXPECT_EQ(outside.finish().status, 0);
        ::kill(trace.pid(), SIGINT);
        const Finished finished = trace.finish();
        EXPECT_EQ(finished.status, 0) << finished.err;
        // Asked for by name, task-storage cannot be had here, and zctrace says so.
        EXPECT_NE(finished.err.find("--bystander-filter task-storage cannot be kept here: trace --cgroup cannot mark"),
                  std::string::npos)
            << finished.err;
    }
    EXPECT_EQ(::rmdir(cgroup.c_str()), 0) << cgroup;
    const json report = read_json(dir.path() / "trace.json");
    EXPECT_EQ(report.at("target").at("kind"), "cgroup");
    EXPECT_EQ(report.at("ended_by"), "interrupted");
    ASSERT_EQ(report.at("flows").size(), 1u) << report.at("flows").dump(2);
    EXPECT_EQ(report.at("flows").at(0).at("technique"), "sendfile");
    // The child joined by write()ing its pid into cgroup.procs, inside the
    // cgroup: a command to the kernel, not a copy into a file's page cache.
    EXPECT_EQ(report.at("totals").at("file_copy_bytes").at("user_to_page_cache"), 0);
    EXPECT_EQ(report.at("totals").at("bytes_sent"), 16 * kMiB);
    EXPECT_EQ(report.at("totals").at("cpu_copy_bytes").at("user_to_socket"), 0);
    EXPECT_EQ(report.at("processes").size(), 3u);
    EXPECT_TRUE(report.at("totals").at("cpu_seconds").is_number());
    // No thread can be marked before it joins, so the syscall hooks ask
    // each task's cgroup through the role cache rather than a mark, whatever
    // --bystander-filter asked for.
    EXPECT_EQ(report.at("overhead").at("bystander_filter"), "cpu-cache");
    EXPECT_GE(report.at("totals").at("syscalls_by_name").value("sendfile", 0), 256) << "16 MiB in 64 KiB calls";
}

// Two thousand short-lived children: every one is followed and counted, and
// the text lists the busiest ten; with a cap of 500 the rest are named as not
// followed.
TEST(TraceCommand, ThousandsOfChildrenAreFollowedUpToTheCap)
{
    REQUIRE_ROOT();
    TempDir out;
    const std::vector<std::string> command = {"--", "/bin/sh", "-c", "i=0; while [ $i -lt 2000 ]; do /bin/true; i=$((i+1)); done"};
    std::vector<std::string> args = {"trace", "-o", out.path().string()};
    args.insert(args.end(), command.begin(), command.end());
    const Finished all = run(args);
    ASSERT_EQ(all.status, 0) << all.err;
    json report = read_json(out.path() / "trace.json");
    EXPECT_EQ(report.at("limits").at("forks_not_followed"), 0);
    EXPECT_EQ(report.at("limits").at("procs_not_counted"), 0);
    EXPECT_EQ(report.at("processes").size(), 2001u);  // the shell and its 2000 children
    EXPECT_NE(all.out.find("... and 1991 more in trace.json"), std::string::npos) << all.out;

    args = {"trace", "--max-procs", "500", "-o", out.path().string()};
    args.insert(args.end(), command.begin(), command.end());
    const Finished capped = run(args);
    ASSERT_EQ(capped.status, 0) << capped.err;
    report = read_json(out.path() / "trace.json");
    EXPECT_GT(report.at("limits").at("procs_not_counted").get<int>(), 0);
    EXPECT_LE(report.at("processes").size(), 500u);
    EXPECT_NE(capped.out.find("the --max-procs cap (500) was hit"), std::string::npos) << capped.out;
}

TEST(TraceBadInput, TargetsThatCannotBeTracedExitTwo)
{
    REQUIRE_ROOT();
    struct Case {
        std::vector<std::string> args;
        std::string says;
    };
    const std::vector<Case> cases = {
        {{"trace"}, "zctrace trace: nothing to trace: give -- CMD [ARGS...], --pid PID (repeatable) or --cgroup PATH"},
        {{"trace", "--pid", "1", "--cgroup", "/sys/fs/cgroup"}, "zctrace trace: give one target"},
        {{"trace", "--pid", "4000000"}, "zctrace trace: --pid 4000000: no such process"},
        {{"trace", "--pid", "2"}, "zctrace trace: --pid 2 is a kernel thread (kthreadd)"},
        {{"trace", "--pid", "-4"}, "zctrace trace: --pid: '-4' is negative"},
        {{"trace", "--cgroup", "/tmp"}, "zctrace trace: --cgroup '/tmp' is not a cgroup v2 directory"},
        {{"trace", "--cgroup", "no/such/group"}, "zctrace trace: --cgroup 'no/such/group': no such directory"},
        {{"trace", "-d", "soon", "--", "/bin/true"}, "zctrace trace: --duration: invalid duration 'soon'"},
    };
    for (const Case& bad : cases) {
        SCOPED_TRACE(bad.args.back());
        const Finished result = run(bad.args);
        EXPECT_EQ(result.status, 2) << result.err;
        EXPECT_EQ(result.err.rfind(bad.says, 0), 0u) << result.err;
    }
}

}  // namespace
}  // namespace zctrace::cli_test
