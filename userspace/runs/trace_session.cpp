// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "runs/trace_session.hpp"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "base/fd.hpp"
#include "base/signals.hpp"
#include "base/system.hpp"
#include "base/units.hpp"

namespace zctrace {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr auto kPoll = std::chrono::milliseconds(20);
// The probes' process list is read this often (one bpf() call per traced
// process, which zctrace pays, not the target) for processes new to /proc.
constexpr auto kIdentityEvery = std::chrono::milliseconds(200);
constexpr unsigned kPfKthread = 0x00200000;  // include/linux/sched.h
// bpf_stats costs every BPF program run on the host two clock reads (+75 to
// +90 ns per syscall on the development VM, for processes zctrace does not
// even trace), so with --bpf-stats windows it is on for the first 250 ms,
// then 50 ms in every second. zctrace's own cost comes from the programs'
// own sampled timing either way.
constexpr double kStatsAlwaysSeconds = 0.25;
constexpr double kStatsWindowSeconds = 0.05;
constexpr double kStatsPeriodSeconds = 1.0;

std::string read_small_file(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

// Fields of /proc/<pid>/stat after the comm, which may hold spaces and ')'.
std::vector<std::string> stat_fields(pid_t pid)
{
    const std::string stat = read_small_file("/proc/" + std::to_string(pid) + "/stat");
    const auto close = stat.rfind(')');
    std::vector<std::string> fields;
    if (close == std::string::npos)
        return fields;
    std::istringstream rest(stat.substr(close + 1));
    for (std::string field; rest >> field;)
        fields.push_back(field);
    return fields;  // fields[0] is state (field 3 of proc(5))
}

std::string status_value(const std::string& status, const std::string& key)
{
    const std::string prefix = "\n" + key + ":";
    const auto at = ("\n" + status).find(prefix);
    if (at == std::string::npos)
        return {};
    const auto start = at + prefix.size() - 1;
    const auto end = status.find('\n', start);
    std::string value = status.substr(start, end == std::string::npos ? std::string::npos : end - start);
    const auto first = value.find_first_not_of(" \t");
    return first == std::string::npos ? std::string() : value.substr(first);
}

// The pid's thread group: --pid accepts a thread id and follows its process.
pid_t tgid_of(pid_t pid)
{
    const std::string tgid = status_value(read_small_file("/proc/" + std::to_string(pid) + "/status"), "Tgid");
    return tgid.empty() ? 0 : static_cast<pid_t>(std::stol(tgid));
}

// The live children of every thread of pid.
std::vector<pid_t> children_of(pid_t pid)
{
    std::vector<pid_t> children;
    std::error_code error;
    for (const auto& task : fs::directory_iterator("/proc/" + std::to_string(pid) + "/task", error)) {
        std::istringstream list(read_small_file(task.path() / "children"));
        for (pid_t child; list >> child;)
            children.push_back(child);
    }
    return children;
}

std::optional<double> cgroup_cpu_seconds(const std::string& path)
{
    std::istringstream stat(read_small_file(path + "/cpu.stat"));
    std::string key;
    std::uint64_t value = 0;
    while (stat >> key >> value)
        if (key == "usage_usec")
            return static_cast<double>(value) / 1e6;
    return std::nullopt;
}

// Ctrl-C at a terminal goes to the foreground process group; a command run
// by `trace --` gets that group, as a shell would give it, and zctrace takes
// it back when the command ends. SIGTTOU is ignored meanwhile, or taking it
// back would stop zctrace.
class ForegroundGroup {
public:
    explicit ForegroundGroup(pid_t group)
    {
        if (!::isatty(STDIN_FILENO) || ::tcgetpgrp(STDIN_FILENO) != ::getpgrp())
            return;
        previous_ttou_ = std::signal(SIGTTOU, SIG_IGN);
        owner_ = ::getpgrp();
        if (::tcsetpgrp(STDIN_FILENO, group) != 0)
            owner_ = 0;
    }
    ~ForegroundGroup()
    {
        if (owner_)
            ::tcsetpgrp(STDIN_FILENO, owner_);
        if (previous_ttou_ != SIG_ERR)
            std::signal(SIGTTOU, previous_ttou_);
    }
    ForegroundGroup(const ForegroundGroup&) = delete;
    ForegroundGroup& operator=(const ForegroundGroup&) = delete;

private:
    pid_t owner_ = 0;
    sighandler_t previous_ttou_ = SIG_ERR;
};

struct StartedCommand {
    pid_t pid = 0;
};

// Forks the command, stopped before exec until the probes follow it, so its
// first instruction is already traced. execvp's errno comes back through a
// close-on-exec pipe: nothing arrives when exec worked.
Result<StartedCommand> start_command(const std::vector<std::string>& command, Tracer& tracer)
{
    int go[2], exec_error[2];
    if (::pipe2(go, O_CLOEXEC) != 0 || ::pipe2(exec_error, O_CLOEXEC) != 0)
        return Error::from_errno("cannot create the pipes to start the command");
    UniqueFd go_read(go[0]), go_write(go[1]), error_read(exec_error[0]), error_write(exec_error[1]);

    std::vector<char*> argv;
    for (const std::string& arg : command)
        argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);

    const pid_t pid = ::fork();
    if (pid < 0)
        return Error::from_errno("cannot fork to start the command");
    if (pid == 0) {
        reset_signal_handlers();
        ::setpgid(0, 0);
        char byte = 0;
        if (::read(go_read.get(), &byte, 1) != 1)
            ::_exit(127);
        ::execvp(argv[0], argv.data());
        const int err = errno;
        [[maybe_unused]] auto written = ::write(error_write.get(), &err, sizeof err);
        ::_exit(err == ENOENT ? 127 : 126);
    }
    ::setpgid(pid, pid);  // as the child does: whichever runs first
    go_read.reset();
    error_write.reset();
    if (auto followed = tracer.follow(pid); !followed) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, nullptr, 0);
        return followed.error();
    }
    const char byte = 'g';
    if (::write(go_write.get(), &byte, 1) != 1) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, nullptr, 0);
        return Error::from_errno("cannot start the command");
    }
    int err = 0;
    if (::read(error_read.get(), &err, sizeof err) == static_cast<ssize_t>(sizeof err)) {
        ::waitpid(pid, nullptr, 0);
        Error error = Error::from_errno("cannot run " + quote_input(command.front()), err);
        error.kind = err == ENOENT ? ErrorKind::not_found : ErrorKind::bad_input;
        return error;
    }
    return StartedCommand{pid};
}

// Follows pid and every process below it now; later forks follow themselves.
// A parent is followed before its children are listed, so a child forked in
// between is caught by the fork probe instead.
Result<void> follow_tree(Tracer& tracer, pid_t pid, std::set<pid_t>& seen)
{
    // zctrace never traces itself: under `--pid 1` it is a descendant too.
    if (pid == ::getpid() || !seen.insert(pid).second)
        return {};
    if (auto followed = tracer.follow(pid); !followed)
        return followed;
    for (pid_t child : children_of(pid))
        if (auto followed = follow_tree(tracer, child, seen); !followed)
            return followed;
    return {};
}

// utime + stime of pid in seconds (its own threads, not its children).
std::optional<double> process_cpu_seconds(pid_t pid)
{
    const std::vector<std::string> fields = stat_fields(pid);
    if (fields.size() <= 12)  // proc(5) fields 14 and 15: utime, stime
        return std::nullopt;
    return (std::stod(fields[11]) + std::stod(fields[12])) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

// /proc is read in full once per process, and again only when the probes
// saw it exec (its comm changed): a server's thousands of workers are not
// re-read every 200 ms. --pid keeps each one's CPU time current, which
// costs one read of its stat.
void remember_identities(const Tracer& tracer, TraceObservation& observation, bool track_cpu)
{
    auto processes = tracer.processes();
    if (!processes)
        return;
    for (const ProcessCounters& process : *processes) {
        const pid_t pid = static_cast<pid_t>(process.tgid);
        const std::string comm(process.stats.comm, strnlen(process.stats.comm, sizeof process.stats.comm));
        auto known = observation.identities.find(process.tgid);
        if (known == observation.identities.end() || known->second.comm != comm) {
            if (auto identity = read_identity(pid))
                observation.identities[process.tgid] = std::move(*identity);
        } else if (track_cpu && !process.stats.exited) {
            if (const auto cpu = process_cpu_seconds(pid))
                known->second.cpu_seconds = *cpu;
        }
    }
}

}  // namespace

std::string_view trace_end_name(TraceEnd end)
{
    switch (end) {
    case TraceEnd::command_exited: return "command_exited";
    case TraceEnd::targets_exited: return "targets_exited";
    case TraceEnd::duration: return "duration";
    case TraceEnd::interrupted: return "interrupted";
    }
    return "interrupted";
}

std::optional<ProcessIdentity> read_identity(pid_t pid)
{
    const std::string base = "/proc/" + std::to_string(pid);
    const std::string status = read_small_file(base + "/status");
    if (status.empty())
        return std::nullopt;
    ProcessIdentity identity;
    identity.comm = status_value(status, "Name");
    std::istringstream ns_pids(status_value(status, "NSpid"));
    for (pid_t ns_pid; ns_pids >> ns_pid;)
        identity.ns_pids.push_back(ns_pid);
    const std::string ppid = status_value(status, "PPid");
    identity.ppid = ppid.empty() ? 0 : static_cast<pid_t>(std::stol(ppid));
    identity.cpu_seconds = process_cpu_seconds(pid).value_or(0);
    const std::string cmdline = read_small_file(base + "/cmdline");
    for (std::size_t start = 0; start < cmdline.size();) {
        const auto end = cmdline.find('\0', start);
        identity.cmdline.push_back(cmdline.substr(start, end == std::string::npos ? std::string::npos : end - start));
        if (end == std::string::npos)
            break;
        start = end + 1;
    }
    return identity;
}

Result<void> check_pids(const std::vector<pid_t>& pids)
{
    for (pid_t pid : pids) {
        const std::string label = "--pid " + std::to_string(pid);
        if (pid <= 0)
            return Error::bad_input(label + ": a pid is a whole number above 0");
        const std::vector<std::string> fields = stat_fields(pid);
        if (fields.size() < 7)
            return Error::bad_input(label + ": no such process; `ps -e` lists the running ones");
        const pid_t tgid = tgid_of(pid);
        if (tgid == ::getpid())
            return Error::bad_input(label + " is zctrace itself; give the pid of the program to trace");
        if (std::stoul(fields[6]) & kPfKthread) {  // proc(5) field 9: flags
            const auto identity = read_identity(pid);
            return Error::bad_input(label + " is a kernel thread (" + (identity ? identity->comm : std::string("?")) +
                                    "), which makes no syscalls of its own; give a user-space process");
        }
    }
    return {};
}

void read_mounts(TraceObservation& observation)
{
    for (const MountEntry& mount : read_mount_table()) {
        // A bind mount of a subdirectory (root other than "/") does not
        // show where the filesystem's root is.
        if (mount.root == "/")
            observation.mount_points.emplace(mount.device, mount.mount_point);
        observation.filesystems.emplace(mount.device, mount.fstype);
    }
}

std::string cgroup2_mount()
{
    for (const MountEntry& mount : read_mount_table())
        if (mount.fstype == "cgroup2")
            return mount.mount_point;
    return {};
}

Result<CgroupTarget> resolve_cgroup(const std::string& given)
{
    const std::string label = "--cgroup " + quote_input(given);
    // /sys/fs/cgroup on a unified host, /sys/fs/cgroup/unified on a hybrid one.
    const std::string mount = cgroup2_mount();
    const std::string example = (mount.empty() ? std::string("/sys/fs/cgroup") : mount) + "/system.slice/nginx.service";
    if (given.empty())
        return Error::bad_input("--cgroup needs a cgroup v2 directory such as " + example);
    if (mount.empty())
        return Error::bad_input(label + ": this machine has no cgroup v2 (cgroup2) mount; trace --pid instead");
    const std::string path = given.front() == '/' ? given : mount + "/" + given;
    std::error_code error;
    const fs::path canonical = fs::canonical(path, error);
    if (error)
        return Error{error.value(), label + ": no such directory; give a cgroup v2 directory such as " + example,
                     ErrorKind::bad_input};
    struct statfs info{};
    if (::statfs(canonical.c_str(), &info) != 0 || info.f_type != CGROUP2_SUPER_MAGIC || !fs::is_directory(canonical))
        return Error::bad_input(label + " is not a cgroup v2 directory; give one under the cgroup2 mount, " + mount);
    CgroupTarget target;
    target.path = canonical.string();
    // On cgroup v2 a directory's inode number is its cgroup id (kernfs node id).
    struct stat st{};
    if (::stat(canonical.c_str(), &st) != 0)
        return Error::from_errno(label + ": cannot stat it");
    target.id = st.st_ino;
    for (fs::path up = canonical; up.has_parent_path() && up != up.parent_path(); up = up.parent_path()) {
        struct statfs parent{};
        if (::statfs(up.parent_path().c_str(), &parent) != 0 || parent.f_type != CGROUP2_SUPER_MAGIC)
            break;
        ++target.level;
    }
    return target;
}

Result<TraceObservation> trace_program(const TraceSpec& spec, const TraceHooks& hooks)
{
    TraceObservation observation;
    observation.spec = spec;
    TraceTarget target;
    target.max_procs = spec.max_procs;
    target.max_sockets = spec.max_sockets;
    target.light = spec.light_hooks;
    target.bpf_stats = spec.bpf_stats != BpfStatsMode::off;
    target.bystander_filter = spec.bystander_filter;
    if (!spec.cgroup.empty()) {
        auto cgroup = resolve_cgroup(spec.cgroup);
        if (!cgroup)
            return cgroup.error();
        observation.cgroup = *cgroup;
        target.cgroup_id = cgroup->id;
        target.cgroup_level = cgroup->level;
    }
    if (auto checked = check_pids(spec.pids); !checked)
        return checked.error();

    auto attached = Tracer::attach_trace(target);
    if (!attached)
        return attached.error();
    Tracer& tracer = **attached;
    observation.probes = tracer.probes();
    observation.attach_seconds = tracer.attach_seconds();
    observation.probe_clock = tracer.clock();
    if (spec.command.empty() && !spec.pids.empty()) {
        std::set<pid_t> seen;
        for (pid_t pid : spec.pids) {
            const pid_t tgid = tgid_of(pid);
            if (auto followed = follow_tree(tracer, tgid ? tgid : pid, seen); !followed)
                return followed.error();
        }
        for (pid_t pid : seen)
            if (auto identity = read_identity(pid)) {
                observation.cpu_at_start[static_cast<std::uint32_t>(pid)] = identity->cpu_seconds;
                observation.identities[static_cast<std::uint32_t>(pid)] = std::move(*identity);
            }
    }
    // Ready: the pids and their threads are followed (a syscall a thread
    // makes before its mark is let go uncounted); a command starts after.
    if (hooks.on_attached)
        hooks.on_attached(tracer);
    auto tcp_before = read_tcp_counters();

    pid_t command = 0;
    if (!spec.command.empty()) {
        auto started = start_command(spec.command, tracer);
        if (!started)
            return started.error();
        command = started->pid;
        observation.command_pid = command;
    }
    const auto start = Clock::now();
    const std::optional<double> cpu_before =
        observation.cgroup ? cgroup_cpu_seconds(observation.cgroup->path) : std::nullopt;
    std::optional<ForegroundGroup> foreground;
    if (command)
        foreground.emplace(command);

    auto last_identities = Clock::time_point{};
    auto last_sample = start;
    auto stats_since = start;  // when bpf_stats last went on
    const auto stats_time = [&] {
        if (tracer.bpf_stats_on())
            observation.bpf_stats_seconds += std::chrono::duration<double>(Clock::now() - stats_since).count();
    };
    rusage command_usage{};
    for (;;) {
        if (command) {
            int status = 0;
            const pid_t done = ::wait4(command, &status, WNOHANG, &command_usage);
            if (done == command) {
                observation.command_wait_status = status;
                observation.end = TraceEnd::command_exited;
                break;
            }
        }
        const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
        if (spec.duration_seconds > 0 && elapsed >= spec.duration_seconds) {
            observation.end = TraceEnd::duration;
            break;
        }
        if (interrupted()) {
            // A command's group gets the signal, as from a shell; zctrace
            // goes on until the command ends. Targets it did not start are
            // left alone: zctrace stops and reports.
            if (!command || interrupt_signal() == SIGPIPE) {
                observation.end = TraceEnd::interrupted;
                break;
            }
            ::kill(-command, interrupt_signal());
            raise_interrupt(0);
        }
        // bpf_stats windows: on for the first 250 ms, then for the first
        // 50 ms of every second.
        const double phase = std::fmod(elapsed, kStatsPeriodSeconds);
        const bool stats_wanted =
            spec.bpf_stats == BpfStatsMode::always ||
            (spec.bpf_stats == BpfStatsMode::windows && (elapsed < kStatsAlwaysSeconds || phase < kStatsWindowSeconds));
        if (stats_wanted != tracer.bpf_stats_on()) {
            stats_time();
            if (tracer.set_bpf_stats(stats_wanted) && stats_wanted)
                stats_since = Clock::now();
        }
        if (hooks.on_sample && hooks.sample_interval_seconds > 0 &&
            std::chrono::duration<double>(Clock::now() - last_sample).count() >= hooks.sample_interval_seconds) {
            last_sample = Clock::now();
            if (auto counters = tracer.read())
                hooks.on_sample(*counters, std::chrono::duration<double>(last_sample - start).count());
        }
        if (Clock::now() - last_identities >= kIdentityEvery) {
            last_identities = Clock::now();
            remember_identities(tracer, observation, !spec.pids.empty());
            if (!spec.pids.empty()) {
                auto followed = tracer.followed_count();
                if (followed && *followed == 0) {
                    observation.end = TraceEnd::targets_exited;
                    break;
                }
            }
        }
        std::this_thread::sleep_for(kPoll);
    }
    observation.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    stats_time();
    remember_identities(tracer, observation, !spec.pids.empty());

    // --duration or zctrace's own failure ends a command zctrace started,
    // as timeout(1) would; its status is then the signal's. Counters are
    // read first, so its way out is not counted.
    const auto end_command = [&] {
        if (!command || observation.end == TraceEnd::command_exited)
            return;
        foreground.reset();
        ::kill(-command, SIGTERM);
        int status = 0;
        for (int i = 0; i < 250 && ::waitpid(command, &status, WNOHANG) == 0; ++i)
            std::this_thread::sleep_for(kPoll);
        if (::waitpid(command, &status, WNOHANG) == 0) {
            ::kill(-command, SIGKILL);
            ::waitpid(command, &status, 0);
        }
        observation.command_wait_status = status;
    };
    auto counters = tracer.read();
    if (!counters) {
        end_command();
        return counters.error();
    }
    observation.counters = std::move(counters.value());
    read_mounts(observation);
    observation.program_stats = tracer.program_stats();
    observation.probe_clock = tracer.clock();  // bpf_stats may have been calibrated since attaching
    if (auto tcp_after = read_tcp_counters(); tcp_before && tcp_after)
        observation.tcp_counters = counter_delta(*tcp_before, *tcp_after);

    if (command && observation.end == TraceEnd::command_exited) {
        const auto seconds = [](const timeval& tv) { return static_cast<double>(tv.tv_sec) + tv.tv_usec / 1e6; };
        observation.cpu_seconds = seconds(command_usage.ru_utime) + seconds(command_usage.ru_stime);
        observation.cpu_seconds_from = "wait4() of the command: it and every descendant it waited for";
    } else if (observation.cgroup) {
        if (const auto cpu_after = cgroup_cpu_seconds(observation.cgroup->path); cpu_before && cpu_after) {
            observation.cpu_seconds = *cpu_after - *cpu_before;
            observation.cpu_seconds_from = "the cgroup's cpu.stat usage_usec";
        }
    } else if (!command) {
        double cpu = 0;
        for (const auto& [tgid, identity] : observation.identities) {
            const auto start = observation.cpu_at_start.find(tgid);
            cpu += identity.cpu_seconds - (start == observation.cpu_at_start.end() ? 0 : start->second);
        }
        observation.cpu_seconds = cpu;
        observation.cpu_seconds_from = "/proc/<pid>/stat of each traced process, read every 200 ms while it "
                                       "lived (a process that exits loses at most its last 200 ms)";
    }
    end_command();
    return observation;
}

}  // namespace zctrace
