// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// The file a workload sends: random bytes in a private temporary directory
// on a block-backed filesystem, with its checksum and page-cache state.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string>

#include "base/error.hpp"

namespace zctrace {

// /var/tmp/zctrace-<pid>-XXXXXX, removed with everything in it when the
// owner goes away. A crashed run's directory is removed by the next start
// (sweep_stale_work_dirs), recognised by a pid that no longer exists.
class WorkDir {
public:
    static Result<WorkDir> create(const std::filesystem::path& parent = "/var/tmp");
    WorkDir(WorkDir&& other) noexcept;
    WorkDir& operator=(WorkDir&&) = delete;
    WorkDir(const WorkDir&) = delete;
    ~WorkDir();
    [[nodiscard]] const std::filesystem::path& path() const { return path_; }

private:
    explicit WorkDir(std::filesystem::path path) : path_(std::move(path)) {}
    std::filesystem::path path_;
};

// Returns how many stale directories were removed.
int sweep_stale_work_dirs(const std::filesystem::path& parent = "/var/tmp");

struct WorkloadFile {
    std::filesystem::path path;
    std::uint64_t size = 0;
    std::uint32_t crc32 = 0;
    dev_t dev = 0;
    ino_t ino = 0;
    std::string filesystem;    // from /proc/self/mountinfo, e.g. "ext4"
    std::string block_device;  // mount source, e.g. "/dev/vda"

    [[nodiscard]] std::uint64_t pages() const;
};

// Writes size random bytes (seeded, so reruns can reproduce them) and fsyncs,
// so no writeback of this file can happen during a measurement.
Result<WorkloadFile> create_workload_file(const std::filesystem::path& dir, std::uint64_t size,
                                          std::uint64_t seed);

// Reads the file through once so all its pages are cached; returns how many
// pages mincore() then reports resident.
Result<std::uint64_t> warm_page_cache(const WorkloadFile& file);
Result<std::uint64_t> resident_pages(const WorkloadFile& file);
// Fails with a message naming the filesystem and what to pass to --dir when
// the file's filesystem refuses O_DIRECT.
Result<void> check_direct_io(const WorkloadFile& file);

// Drops only this file's pages from the page cache (fdatasync, then
// POSIX_FADV_DONTNEED; the rest of the machine's cache is left alone);
// returns how many pages mincore() still reports resident.
Result<std::uint64_t> evict_page_cache(const WorkloadFile& file);

}  // namespace zctrace
