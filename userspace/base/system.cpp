// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "base/system.hpp"

#include <fcntl.h>
#include <linux/capability.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>

namespace zctrace {

// mountinfo: id parent major:minor root mountpoint options... - fstype source options
std::vector<MountEntry> read_mount_table()
{
    std::vector<MountEntry> table;
    std::ifstream in("/proc/self/mountinfo");
    for (std::string line; std::getline(in, line);) {
        const auto dash = line.find(" - ");
        if (dash == std::string::npos)
            continue;
        std::istringstream head(line.substr(0, dash));
        std::istringstream tail(line.substr(dash + 3));
        std::string id, parent;
        MountEntry entry;
        if (head >> id >> parent >> entry.device >> entry.root >> entry.mount_point && tail >> entry.fstype)
            tail >> entry.source;
        else
            continue;
        table.push_back(std::move(entry));
    }
    return table;
}

KernelRelease kernel_release()
{
    utsname name{};
    uname(&name);
    return {name.release, name.version, name.machine};
}

namespace {

bool exists(const char* path)
{
    struct stat st{};
    return ::stat(path, &st) == 0;
}

// Enters a private mount namespace once per process. Slave propagation keeps
// host mounts visible to us while ours never propagate back.
Result<void> enter_private_mount_namespace()
{
    static int state = 0;  // 0: not yet, 1: done, -errno: failed
    if (state == 0) {
        if (::unshare(CLONE_NEWNS) != 0)
            state = -errno;
        else if (::mount(nullptr, "/", nullptr, MS_REC | MS_SLAVE, nullptr) != 0)
            state = -errno;
        else
            state = 1;
    }
    if (state < 0)
        return Error::from_errno("cannot create a private mount namespace", -state);
    return {};
}

PseudoMount ensure_mounted(const char* path, const char* probe, const char* fstype)
{
    PseudoMount result;
    result.path = path;
    if (exists(probe)) {
        result.available = true;
        return result;
    }
    if (auto entered = enter_private_mount_namespace(); !entered) {
        result.error = entered.error().describe();
        return result;
    }
    if (::mount(fstype, path, fstype, MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0) {
        result.error = Error::from_errno(std::string("cannot mount ") + fstype + " on " + path).describe();
        return result;
    }
    result.mounted_by_zctrace = true;
    result.available = exists(probe);
    if (!result.available)
        result.error = std::string(probe) + " is missing even after mounting " + fstype;
    return result;
}

}  // namespace

PseudoMount ensure_tracefs()
{
    // libbpf prefers the debugfs view when it exists; either one will do.
    if (exists("/sys/kernel/debug/tracing/events")) {
        PseudoMount debugfs;
        debugfs.path = "/sys/kernel/debug/tracing";
        debugfs.available = true;
        return debugfs;
    }
    return ensure_mounted("/sys/kernel/tracing", "/sys/kernel/tracing/events", "tracefs");
}

PseudoMount ensure_securityfs()
{
    return ensure_mounted("/sys/kernel/security", "/sys/kernel/security/lockdown", "securityfs");
}

Lockdown read_lockdown()
{
    PseudoMount securityfs = ensure_securityfs();
    if (!securityfs.available)
        return {"unknown", securityfs.error.empty() ? "no lockdown file" : securityfs.error};
    std::ifstream in("/sys/kernel/security/lockdown");
    std::string line;
    std::getline(in, line);
    const auto open = line.find('[');
    const auto close = line.find(']');
    if (open == std::string::npos || close == std::string::npos || close < open)
        return {"unknown", "unexpected lockdown file content: " + line};
    return {line.substr(open + 1, close - open - 1), line};
}

Capabilities check_capabilities()
{
    Capabilities caps;
    caps.is_root = ::geteuid() == 0;
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3]{};
    if (::syscall(SYS_capget, &header, data) != 0) {
        caps.missing = {"CAP_BPF", "CAP_PERFMON", "CAP_SYS_ADMIN"};
        return caps;
    }
    auto has = [&](int cap) { return (data[cap / 32].effective >> (cap % 32)) & 1u; };
    const std::pair<int, const char*> needed[] = {
        {CAP_BPF, "CAP_BPF"}, {CAP_PERFMON, "CAP_PERFMON"}, {CAP_SYS_ADMIN, "CAP_SYS_ADMIN"}};
    for (const auto& [cap, name] : needed)
        if (!has(cap))
            caps.missing.emplace_back(name);
    return caps;
}

Result<void> require_privileges(const std::string& command)
{
    Capabilities caps = check_capabilities();
    if (caps.missing.empty())
        return {};
    std::string missing;
    for (const auto& name : caps.missing)
        missing += (missing.empty() ? "" : ", ") + name;
    return Error{0, "zctrace " + command + " loads eBPF probes and needs " + missing +
                            ", which this process does not have" +
                            (caps.is_root ? "" : " (it is not running as root)") +
                            ". Run it as root, e.g. `sudo zctrace " + command + " ...`."};
}

Result<void> ensure_open_files_limit(const std::string& command)
{
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0)
        return Error::from_errno("cannot read the open-files limit (RLIMIT_NOFILE)");
    if (limit.rlim_cur >= kOpenFilesNeeded)
        return {};
    if (limit.rlim_max >= kOpenFilesNeeded) {
        limit.rlim_cur = limit.rlim_max;
        if (::setrlimit(RLIMIT_NOFILE, &limit) != 0)
            return Error::from_errno("cannot raise the open-files limit (RLIMIT_NOFILE) to its hard limit");
        return {};
    }
    return Error{EMFILE, "zctrace " + command + " needs up to " + std::to_string(kOpenFilesNeeded) +
                             " open files (its probes' programs, maps and links, and the workload's), and the hard "
                             "open-files limit is " + std::to_string(limit.rlim_max) +
                             ". Raise it, e.g. `ulimit -n 1024` in a root shell, or LimitNOFILE= in a systemd unit.",
                 ErrorKind::unsupported};
}

std::uint64_t peak_rss_bytes()
{
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return static_cast<std::uint64_t>(usage.ru_maxrss) * 1024;
}

std::string utc_now()
{
    const std::time_t now = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&now, &tm);
    char buffer[32];
    std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buffer;
}

HostFacts gather_host_facts()
{
    const KernelRelease release = kernel_release();
    HostFacts host;
    host.kernel = release.release + " " + release.version;
    host.machine = release.machine;
    host.lockdown = read_lockdown().mode;
    host.cpus = static_cast<int>(::sysconf(_SC_NPROCESSORS_ONLN));
    return host;
}

int open_pidfd(pid_t pid, bool any_thread)
{
    // PIDFD_THREAD is O_EXCL (<linux/pidfd.h> since 6.9; Debian 12's headers predate it).
    return static_cast<int>(::syscall(SYS_pidfd_open, pid, any_thread ? O_EXCL : 0));
}

bool thread_pidfds_supported()
{
    const int own = open_pidfd(::gettid(), true);
    if (own < 0)
        return false;
    ::close(own);
    return true;
}

PageTableIsolation read_page_table_isolation()
{
    PageTableIsolation isolation;
    std::string line;
    if (std::ifstream meltdown("/sys/devices/system/cpu/vulnerabilities/meltdown"); std::getline(meltdown, line))
        isolation.pti = line.find("PTI") != std::string::npos;
    std::ifstream cpuinfo("/proc/cpuinfo");
    while (std::getline(cpuinfo, line)) {
        if (line.rfind("flags", 0) != 0)
            continue;
        std::istringstream flags(line.substr(line.find(':') + 1));
        std::string flag;
        while (flags >> flag)
            isolation.pcid = isolation.pcid || flag == "pcid";
        break;
    }
    return isolation;
}

std::string utc_now_milliseconds()
{
    timespec now{};
    ::clock_gettime(CLOCK_REALTIME, &now);
    std::tm tm{};
    gmtime_r(&now.tv_sec, &tm);
    char buffer[40];
    const std::size_t length = std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%S", &tm);
    std::snprintf(buffer + length, sizeof buffer - length, ".%03ldZ", now.tv_nsec / 1000000);
    return buffer;
}

}  // namespace zctrace
