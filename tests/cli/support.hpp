// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// Shared by the CLI tests: run zctrace as a user does, with its output
// captured, and see what it leaves behind.
#pragma once

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "../report/xmit_miss.hpp"

namespace zctrace::cli_test {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct Finished {
    int status = -1;  // exit status, or 128 + signal
    std::string out;
    std::string err;
};

// How the child is restricted before it execs zctrace.
struct Restrictions {
    bool as_nobody = false;
    long deny_syscall = -1;  // answered with EPERM by a seccomp filter
    std::string stdin_path;  // the child's stdin; empty: /dev/null
    bool stdout_closed = false;  // stdout a pipe whose read end is closed before the child starts
    std::vector<std::pair<std::string, std::string>> environment;  // set in the child, e.g. ZCTRACE_HOLD_AT
    struct Limit {
        int resource;  // RLIMIT_*
        rlim_t soft, hard;
    };
    std::vector<Limit> limits;  // setrlimit in the child
};

// Installs a seccomp filter that fails one syscall number with EPERM, the
// way a container's profile refuses what it does not allow.
inline bool deny_syscall(long nr)
{
    sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, static_cast<__u32>(nr), 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    sock_fprog program{static_cast<unsigned short>(sizeof filter / sizeof filter[0]), filter};
    return ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 &&
           ::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program) == 0;
}

// A copy of `binary` that the nobody user can execute. A checkout under a
// private directory (mktemp -d makes it 0700) is out of nobody's reach, so
// unprivileged runs exec a copy in a directory anyone may enter, removed
// when the test process exits.
inline std::string binary_for_nobody(const std::string& binary)
{
    struct Copy {
        fs::path dir;
        std::string path;
        ~Copy()
        {
            if (!dir.empty())
                fs::remove_all(dir);
        }
    };
    static Copy copy = [&] {
        Copy made;
        std::string pattern = "/tmp/zctrace-nobody-XXXXXX";
        if (::mkdtemp(pattern.data()) == nullptr)
            throw std::runtime_error("mkdtemp for the nobody copy of " + binary);
        made.dir = pattern;
        const auto everyone = fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                              fs::perms::others_read | fs::perms::others_exec;
        fs::permissions(made.dir, everyone);
        made.path = (made.dir / fs::path(binary).filename()).string();
        fs::copy_file(binary, made.path);
        fs::permissions(made.path, everyone);
        return made;
    }();
    if (fs::path(copy.path).filename() != fs::path(binary).filename())
        throw std::runtime_error("only one binary is run as nobody: " + copy.path + ", not " + binary);
    return copy.path;
}

// Puts the test process's CPU affinity back as it was (children started
// meanwhile, zctrace too, inherit what the test pinned).
class RestoreAffinity {
public:
    RestoreAffinity() { ::sched_getaffinity(0, sizeof before_, &before_); }
    RestoreAffinity(const RestoreAffinity&) = delete;
    RestoreAffinity& operator=(const RestoreAffinity&) = delete;
    ~RestoreAffinity() { ::sched_setaffinity(0, sizeof before_, &before_); }

private:
    cpu_set_t before_{};
};

// A process forked from the test that runs body() and exits 0. A test that
// fails before waiting for it must not leave it spinning: it is killed and
// reaped at the end of its scope unless wait() has reaped it.
class ForkedChild {
public:
    template <typename Body>
    explicit ForkedChild(Body body) : pid_(::fork())
    {
        if (pid_ == 0) {
            body();
            ::_exit(0);
        }
    }
    ForkedChild(const ForkedChild&) = delete;
    ForkedChild& operator=(const ForkedChild&) = delete;
    ~ForkedChild()
    {
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
    }
    [[nodiscard]] pid_t pid() const { return pid_; }
    // The wait status.
    int wait()
    {
        int status = -1;
        while (pid_ > 0 && ::waitpid(pid_, &status, 0) < 0 && errno == EINTR)
            ;
        pid_ = -1;
        return status;
    }

private:
    pid_t pid_;
};

// A zctrace process (or another program: promtool, chromium) with its
// stdout and stderr captured.
class Process {
public:
    explicit Process(std::vector<std::string> args, Restrictions restrictions = {},
                     std::string binary = ZCTRACE_BINARY)
    {
        if (restrictions.as_nobody)
            binary = binary_for_nobody(binary);
        int out[2], err[2];
        if (::pipe2(out, O_CLOEXEC) || ::pipe2(err, O_CLOEXEC))
            throw std::runtime_error("pipe");
        if (restrictions.stdout_closed) {
            // Closed before the fork, so no process ever reads: the child's
            // first write to stdout fails with EPIPE, as under `| head -0`.
            ::close(out[0]);
            out[0] = -1;
            out_eof_ = true;
        }
        pid_ = ::fork();
        if (pid_ == 0) {
            ::dup2(out[1], STDOUT_FILENO);
            ::dup2(err[1], STDERR_FILENO);
            const std::string input = restrictions.stdin_path.empty() ? "/dev/null" : restrictions.stdin_path;
            const int in = ::open(input.c_str(), O_RDONLY);
            if (in < 0 || ::dup2(in, STDIN_FILENO) < 0)
                ::_exit(96);
            for (const auto& [name, value] : restrictions.environment)
                ::setenv(name.c_str(), value.c_str(), 1);
            for (const Restrictions::Limit& limit : restrictions.limits) {
                const rlimit value{limit.soft, limit.hard};
                if (::setrlimit(limit.resource, &value) != 0)
                    ::_exit(95);
            }
            if (restrictions.deny_syscall >= 0 && !deny_syscall(restrictions.deny_syscall))
                ::_exit(97);
            if (restrictions.as_nobody) {
                // Dropping root this way also clears every effective capability.
                const gid_t nogroup = 65534;
                if (::setgroups(1, &nogroup) || ::setresgid(65534, 65534, 65534) || ::setresuid(65534, 65534, 65534))
                    ::_exit(99);
            }
            std::vector<char*> argv;
            argv.push_back(binary.data());
            for (auto& arg : args)
                argv.push_back(arg.data());
            argv.push_back(nullptr);
            ::execv(binary.c_str(), argv.data());
            ::_exit(98);
        }
        ::close(out[1]);
        ::close(err[1]);
        out_ = out[0];
        err_ = err[0];
    }
    ~Process()
    {
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
        ::close(out_);
        ::close(err_);
    }
    [[nodiscard]] pid_t pid() const { return pid_; }

    // Reads output until `needle` shows up on stderr; false on timeout or exit.
    bool wait_for_stderr(const std::string& needle, std::chrono::seconds timeout)
    {
        const auto deadline = Clock::now() + timeout;
        while (result_.err.find(needle) == std::string::npos) {
            if (Clock::now() > deadline || !pump(100))
                return false;
        }
        return true;
    }

    Finished finish(std::chrono::seconds timeout = std::chrono::seconds(120))
    {
        const auto deadline = Clock::now() + timeout;
        while (pump(100)) {
            if (Clock::now() > deadline) {
                ::kill(pid_, SIGKILL);
                break;
            }
        }
        int status = 0;
        ::waitpid(pid_, &status, 0);
        pid_ = -1;
        result_.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        return result_;
    }

private:
    // Moves available output into result_; false once both pipes are at EOF.
    bool pump(int timeout_ms)
    {
        pollfd fds[2] = {{out_, POLLIN, 0}, {err_, POLLIN, 0}};
        if (out_eof_ && err_eof_)
            return false;
        ::poll(fds, 2, timeout_ms);
        char buffer[4096];
        for (int i = 0; i < 2; ++i) {
            if (!(fds[i].revents & (POLLIN | POLLHUP)))
                continue;
            ssize_t n = ::read(fds[i].fd, buffer, sizeof buffer);
            if (n > 0)
                (i == 0 ? result_.out : result_.err).append(buffer, static_cast<std::size_t>(n));
            else
                (i == 0 ? out_eof_ : err_eof_) = true;
        }
        return true;
    }

    pid_t pid_ = -1;
    int out_ = -1, err_ = -1;
    bool out_eof_ = false, err_eof_ = false;
    Finished result_;
};

// The reports a finished `zctrace run` left: on stdout (--json) or in its
// output directory (-o/--out).
inline std::vector<nlohmann::json> run_reports(const std::vector<std::string>& args, const Finished& finished)
{
    std::vector<nlohmann::json> reports;
    auto stdout_report = nlohmann::json::parse(finished.out, nullptr, false);
    if (stdout_report.is_object() && stdout_report.contains("checks"))
        reports.push_back(std::move(stdout_report));
    for (std::size_t i = 0; i + 1 < args.size(); ++i) {
        if (args[i] != "-o" && args[i] != "--out")
            continue;
        std::error_code error;
        for (const auto& entry : fs::directory_iterator(args[i + 1], error)) {
            if (entry.path().extension() != ".json")
                continue;
            std::ifstream in(entry.path());
            auto report = nlohmann::json::parse(in, nullptr, false);
            if (report.is_object() && report.contains("checks") && report.contains("verdict"))
                reports.push_back(std::move(report));
        }
    }
    return reports;
}

// True when a `zctrace run` failed for the kernel's rare xmit miss alone
// (docs/limits.md): at least one report says INVALID, and every INVALID
// one says so only because net_dev_start_xmit saw less than was sent.
inline bool failed_only_for_the_xmit_miss(const std::vector<std::string>& args, const Finished& finished)
{
    if (args.empty() || args.front() != "run" || finished.status != 1)
        return false;
    bool missed = false;
    for (const nlohmann::json& report : run_reports(args, finished)) {
        if (report.at("verdict") != "invalid")
            continue;
        if (!test::only_the_xmit_probe_missed(report))
            return false;
        missed = true;
    }
    return missed;
}

// A `zctrace run` whose only fault is the kernel's xmit miss is made once
// more, and said on stderr, as tests/runs/support.hpp's run_spec does.
inline Finished run(std::vector<std::string> args, Restrictions restrictions = {})
{
    Finished finished = Process(args, restrictions).finish();
    if (failed_only_for_the_xmit_miss(args, finished)) {
        test::say_running_again_for_the_xmit_miss();
        finished = Process(std::move(args), restrictions).finish();
    }
    return finished;
}

inline std::string read_text(const fs::path& path)
{
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

// In a forked child: runs args[0] (a path) with its stdout on /dev/null, or
// exits 127 when it cannot. Never returns.
[[noreturn]] inline void exec_quietly(const std::vector<std::string>& args)
{
    std::vector<char*> argv;
    for (const std::string& arg : args)
        argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);
    const int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, STDOUT_FILENO);
    ::execv(argv[0], argv.data());
    ::_exit(127);
}

class TempDir {
public:
    TempDir() : TempDir("/tmp") {}
    // Under `parent`: /var/tmp for what needs a block-backed filesystem.
    explicit TempDir(const std::string& parent)
    {
        std::string pattern = parent + "/zctrace-cli-test-XXXXXX";
        path_ = ::mkdtemp(pattern.data());
    }
    ~TempDir() { fs::remove_all(path_); }
    [[nodiscard]] const fs::path& path() const { return path_; }
    [[nodiscard]] std::vector<std::string> entries() const
    {
        std::vector<std::string> names;
        for (const auto& entry : fs::directory_iterator(path_))
            names.push_back(entry.path().filename().string());
        return names;
    }

private:
    fs::path path_;
};

// Program and link ids, as bpftool lists them.
inline std::set<std::string> bpf_objects(const char* kind)
{
    std::set<std::string> ids;
    FILE* pipe = ::popen((std::string("bpftool -j ") + kind + " show 2>/dev/null").c_str(), "r");
    std::string text;
    char buffer[4096];
    while (pipe && std::fgets(buffer, sizeof buffer, pipe))
        text += buffer;
    if (pipe)
        ::pclose(pipe);
    for (const auto& object : nlohmann::json::parse(text.empty() ? "[]" : text))
        ids.insert(std::to_string(object.value("id", 0)) + ":" + object.value("name", std::string()));
    return ids;
}

// What one zctrace run owns while it runs: the BPF programs and links that
// appeared, and its child processes. Checking these (rather than the whole
// machine) keeps the tests right when other BPF tools or zctrace runs are busy.
struct Owned {
    std::set<std::string> programs;
    std::set<std::string> links;
    std::vector<pid_t> children;
};

std::vector<pid_t> children_of(pid_t parent);

inline Owned owned_by(pid_t pid, const std::set<std::string>& programs_before, const std::set<std::string>& links_before)
{
    Owned owned;
    for (const auto& id : bpf_objects("prog"))
        if (!programs_before.count(id))
            owned.programs.insert(id);
    for (const auto& id : bpf_objects("link"))
        if (!links_before.count(id))
            owned.links.insert(id);
    owned.children = children_of(pid);
    return owned;
}

inline bool any_left(const std::set<std::string>& owned, const char* kind)
{
    for (const auto& id : bpf_objects(kind))
        if (owned.count(id))
            return true;
    return false;
}

// A pid is gone when /proc has no live (non-zombie) process under it.
inline bool alive(pid_t pid)
{
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string text;
    if (!std::getline(stat, text))
        return false;
    const auto close = text.rfind(')');
    return close != std::string::npos && close + 2 < text.size() && text[close + 2] != 'Z';
}

// Polls cond until it holds or the timeout passes: a killed process's
// children and probe links go away asynchronously.
template <typename Condition>
inline bool eventually(Condition cond, std::chrono::seconds timeout = std::chrono::seconds(10))
{
    const auto deadline = Clock::now() + timeout;
    while (!cond()) {
        if (Clock::now() > deadline)
            return false;
        ::usleep(20 * 1000);
    }
    return true;
}

inline std::vector<pid_t> children_of(pid_t parent)
{
    std::vector<pid_t> pids;
    for (const auto& entry : fs::directory_iterator("/proc")) {
        const std::string name = entry.path().filename().string();
        if (name.find_first_not_of("0123456789") != std::string::npos)
            continue;
        std::ifstream stat(entry.path() / "stat");
        std::string text;
        std::getline(stat, text);
        // "pid (comm) state ppid ..."
        const auto close = text.rfind(')');
        if (close == std::string::npos)
            continue;
        std::istringstream rest(text.substr(close + 2));
        char state = 0;
        pid_t ppid = 0;
        rest >> state >> ppid;
        if (ppid == parent)
            pids.push_back(std::stoi(name));
    }
    return pids;
}

inline std::vector<fs::path> work_dirs_of(pid_t pid)
{
    std::vector<fs::path> dirs;
    const std::string prefix = "zctrace-" + std::to_string(pid) + "-";
    for (const auto& entry : fs::directory_iterator("/var/tmp"))
        if (entry.path().filename().string().rfind(prefix, 0) == 0)
            dirs.push_back(entry.path());
    return dirs;
}

inline bool is_root()
{
    return ::geteuid() == 0;
}

#define REQUIRE_ROOT()                                                    \
    if (!is_root())                                                       \
    FAIL() << "these tests run zctrace for real and must run as root"

// The option entries of a --help: "-s, --size SIZE" -> its description,
// wrapped lines joined with single spaces.
inline std::map<std::string, std::string> option_entries(const std::string& help)
{
    std::map<std::string, std::string> entries;
    std::istringstream lines(help);
    std::string line, current;
    while (std::getline(lines, line)) {
        if (line.rfind("  -", 0) == 0) {
            const std::size_t gap = line.find("  ", 2);
            current = line.substr(2, gap == std::string::npos ? std::string::npos : gap - 2);
            entries[current] = gap == std::string::npos ? "" : line.substr(line.find_first_not_of(' ', gap));
        } else if (!current.empty() && line.rfind("    ", 0) == 0) {
            entries[current] += " " + line.substr(line.find_first_not_of(' '));
        } else {
            current.clear();
        }
    }
    return entries;
}

// The names listed under "Commands:" in `zctrace --help`.
inline std::vector<std::string> listed_commands(const std::string& help)
{
    std::vector<std::string> names;
    std::istringstream lines(help.substr(help.find("\nCommands:\n") + 11));
    std::string line;
    while (std::getline(lines, line) && !line.empty())
        if (line.rfind("  ", 0) == 0 && line[2] != ' ')
            names.push_back(line.substr(2, line.find(' ', 2) - 2));
    return names;
}

}  // namespace zctrace::cli_test
