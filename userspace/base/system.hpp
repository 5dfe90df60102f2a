// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// Facts about the running system that zctrace needs before it loads probes,
// and the few changes it makes to reach them (all private to this process).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "base/error.hpp"

namespace zctrace {

struct KernelRelease {
    std::string release;  // uname -r
    std::string version;  // uname -v
    std::string machine;  // uname -m
};
KernelRelease kernel_release();

// One line of /proc/self/mountinfo (this process's mount namespace).
struct MountEntry {
    std::string device;       // "major:minor"
    std::string root;         // the directory of the filesystem mounted here ("/" for all of it)
    std::string mount_point;
    std::string fstype;       // e.g. "ext4", "cgroup2"
    std::string source;       // e.g. "/dev/vda"
};
std::vector<MountEntry> read_mount_table();

// Where a pseudo filesystem zctrace needs was found.
struct PseudoMount {
    std::string path;
    bool available = false;
    bool mounted_by_zctrace = false;  // in zctrace's private mount namespace
    std::string error;
};

// tracefs (classic tracepoints) and securityfs (lockdown mode) are often not
// mounted on a fresh boot. zctrace then mounts them inside a mount namespace
// of its own (a slave of the host's), so nothing is left mounted on the host
// when it exits, whatever way it exits.
PseudoMount ensure_tracefs();
PseudoMount ensure_securityfs();

// "none", "integrity" or "confidentiality"; "unknown" with a reason otherwise.
struct Lockdown {
    std::string mode;
    std::string detail;
};
Lockdown read_lockdown();

struct Capabilities {
    std::vector<std::string> missing;  // of those zctrace needs
    bool is_root = false;
};
// CAP_BPF and CAP_PERFMON load and attach probes; CAP_SYS_ADMIN enables
// bpf_stats and the private mount namespace.
Capabilities check_capabilities();
// An error that names the missing capabilities and says to use sudo, or ok.
Result<void> require_privileges(const std::string& command);

// The probes hold a file descriptor for each program, map and link, and the
// workload's sockets, pipes and files come on top: 124 open while a run's
// probes were attached, 125 in a trace; kOpenFilesNeeded leaves room. The
// soft RLIMIT_NOFILE is raised to the hard one when it is lower; a hard
// limit below the need is an error that says how to raise it. The hard
// limit is the user's (ulimit -Hn, a unit's LimitNOFILE=) and is never
// raised, root or not.
inline constexpr std::uint64_t kOpenFilesNeeded = 256;
Result<void> ensure_open_files_limit(const std::string& command);

// Peak resident set of this process, from getrusage.
std::uint64_t peak_rss_bytes();

// Facts about the host, gathered once per zctrace invocation.
struct HostFacts {
    std::string kernel;
    std::string machine;
    std::string lockdown;
    int cpus = 0;
};
HostFacts gather_host_facts();

// Page-table isolation (Meltdown's mitigation) switches page tables on
// every kernel entry and exit; without PCID that drops the kernel's TLB
// entries each time, so whatever runs first in the kernel refills them.
struct PageTableIsolation {
    bool pti = false;   // /sys/devices/system/cpu/vulnerabilities/meltdown says PTI
    bool pcid = false;  // the pcid flag in /proc/cpuinfo: the kernel uses PCIDs

    bool drops_kernel_tlb() const { return pti && !pcid; }
};
PageTableIsolation read_page_table_isolation();

// A pidfd for pid (a process's leader), or for any thread with any_thread
// (PIDFD_THREAD, Linux 6.9); -1 with errno set when it cannot be had.
int open_pidfd(pid_t pid, bool any_thread);
// Whether this kernel opens a pidfd for a thread that is not a leader.
bool thread_pidfds_supported();

// Now, in UTC, ISO 8601: every document's created_at.
std::string utc_now();
// The same with milliseconds ("2026-11-29T12:15:18.042Z"): NDJSON samples.
std::string utc_now_milliseconds();

}  // namespace zctrace
