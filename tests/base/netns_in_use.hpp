// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// Shared by the tests that check a run leaves no network namespace behind
// (the CLI's veth tests, the soak).
#pragma once

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>

namespace zctrace::host {

// Every network namespace something on the machine holds: a process's own
// (/proc/*/ns/net), an open namespace fd (/proc/*/fd/* -> "net:[N]"), or a
// bind mount such as `ip netns add` makes (nsfs in the mount table).
inline std::set<ino_t> netns_in_use()
{
    namespace fs = std::filesystem;
    std::set<ino_t> inodes;
    std::ifstream mounts("/proc/1/mountinfo");
    for (std::string line; std::getline(mounts, line);) {
        // "... <root> <mount point> ... - nsfs nsfs rw": the root is "net:[N]"
        const auto root = line.find(" net:[");
        if (root != std::string::npos && line.find(" - nsfs ") != std::string::npos)
            inodes.insert(std::stoull(line.substr(root + 6)));
    }
    for (const auto& entry : fs::directory_iterator("/proc")) {
        const std::string name = entry.path().filename().string();
        if (name.find_first_not_of("0123456789") != std::string::npos)
            continue;
        struct stat st{};
        if (::stat((entry.path() / "ns/net").c_str(), &st) == 0)
            inodes.insert(st.st_ino);
        std::error_code ec;
        for (const auto& fd : fs::directory_iterator(entry.path() / "fd", ec)) {
            const std::string target = fs::read_symlink(fd.path(), ec).string();
            if (!ec && target.rfind("net:[", 0) == 0)
                inodes.insert(std::stoull(target.substr(5)));
        }
    }
    return inodes;
}

}  // namespace zctrace::host
