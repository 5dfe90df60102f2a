// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// A real filesystem for one test: an image file made by Debian's mkfs (an
// XFS with reflinks, or a small ext4 to fill), attached to a free loop
// device (loop-control and LOOP_CONFIGURE ioctls) and mounted with
// mount(2). Nothing goes through a shell. The destructor unmounts, detaches
// and removes the image whatever the test did, failures included.
#pragma once

#include <fcntl.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <linux/loop.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "support.hpp"

namespace zctrace::cli_test {

struct FilesystemKind {
    std::string type;               // for mount(2)
    std::vector<std::string> mkfs;  // the command, to which the image's path is appended
    off_t image_bytes = 0;
};

// An XFS with reflinks (mkfs.xfs wants 300 MiB at least).
inline FilesystemKind xfs_with_reflinks()
{
    return {"xfs", {"/usr/sbin/mkfs.xfs", "-q", "-f", "-m", "reflink=1"}, 512L << 20};
}

// An ext4 of `bytes`, with no blocks reserved for root, so that what statfs
// says is free is what a root process can fill.
inline FilesystemKind small_ext4(off_t bytes)
{
    return {"ext4", {"/usr/sbin/mkfs.ext4", "-q", "-F", "-m", "0"}, bytes};
}

class LoopFilesystem {
public:
    // Under `parent` (on a block-backed filesystem): the image and the mount
    // point. Empty, with `error` set, when any step fails; `unsupported`
    // then says whether this kernel or host lacks loop devices or the
    // filesystem.
    static std::unique_ptr<LoopFilesystem> make(const std::filesystem::path& parent, const FilesystemKind& kind,
                                                std::string& error, bool& unsupported)
    {
        auto made = std::unique_ptr<LoopFilesystem>(new LoopFilesystem(parent, kind.type));
        unsupported = false;
        const int image = ::open(made->image_.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (image < 0 || ::ftruncate(image, kind.image_bytes) != 0) {
            error = "cannot make the image " + made->image_.string() + ": " + std::strerror(errno);
            if (image >= 0)
                ::close(image);
            return nullptr;
        }
        ::close(image);
        std::vector<std::string> mkfs = kind.mkfs;
        mkfs.push_back(made->image_.string());
        if (!run_program(mkfs)) {
            error = mkfs.front() + " failed (is it installed? .ci/setup installs it)";
            return nullptr;
        }
        const int control = ::open("/dev/loop-control", O_RDWR | O_CLOEXEC);
        if (control < 0) {
            unsupported = errno == ENOENT;
            error = std::string("cannot open /dev/loop-control: ") + std::strerror(errno);
            return nullptr;
        }
        const int number = ::ioctl(control, LOOP_CTL_GET_FREE);
        ::close(control);
        if (number < 0) {
            error = std::string("LOOP_CTL_GET_FREE: ") + std::strerror(errno);
            return nullptr;
        }
        made->device_ = "/dev/loop" + std::to_string(number);
        made->loop_fd_ = ::open(made->device_.c_str(), O_RDWR | O_CLOEXEC);
        const int backing = ::open(made->image_.c_str(), O_RDWR | O_CLOEXEC);
        loop_config config{};
        config.fd = static_cast<__u32>(backing);
        config.info.lo_flags = LO_FLAGS_AUTOCLEAR;
        const bool attached = made->loop_fd_ >= 0 && backing >= 0 && ::ioctl(made->loop_fd_, LOOP_CONFIGURE, &config) == 0;
        const int saved = errno;
        if (backing >= 0)
            ::close(backing);
        if (!attached) {
            error = "cannot attach " + made->image_.string() + " to " + made->device_ + ": " + std::strerror(saved);
            return nullptr;
        }
        made->attached_ = true;
        std::filesystem::create_directory(made->mount_);
        if (::mount(made->device_.c_str(), made->mount_.c_str(), kind.type.c_str(), 0, nullptr) != 0) {
            unsupported = errno == ENODEV;  // not in this kernel
            error = "cannot mount " + made->device_ + " as " + kind.type + ": " + std::strerror(errno);
            return nullptr;
        }
        made->mounted_ = true;
        return made;
    }

    ~LoopFilesystem()
    {
        if (mounted_ && ::umount2(mount_.c_str(), 0) != 0)
            ::umount2(mount_.c_str(), MNT_DETACH);
        if (attached_)
            ::ioctl(loop_fd_, LOOP_CLR_FD, 0);
        if (loop_fd_ >= 0)
            ::close(loop_fd_);
        std::error_code ignored;
        std::filesystem::remove(mount_, ignored);
        std::filesystem::remove(image_, ignored);
    }
    LoopFilesystem(const LoopFilesystem&) = delete;
    LoopFilesystem& operator=(const LoopFilesystem&) = delete;

    [[nodiscard]] const std::filesystem::path& mount_point() const { return mount_; }

private:
    LoopFilesystem(const std::filesystem::path& parent, const std::string& type)
        : image_(parent / (type + ".img")), mount_(parent / type)
    {
    }

    static bool run_program(const std::vector<std::string>& args)
    {
        const pid_t child = ::fork();
        if (child == 0)
            exec_quietly(args);
        int status = 0;
        return child > 0 && ::waitpid(child, &status, 0) == child && WIFEXITED(status) && WEXITSTATUS(status) == 0;
    }

    std::filesystem::path image_, mount_;
    std::string device_;
    int loop_fd_ = -1;
    bool attached_ = false, mounted_ = false;
};

// Whether every extent of the file is shared with another file
// (FIEMAP_EXTENT_SHARED): the blocks of a reflinked copy.
inline bool all_extents_shared(const std::filesystem::path& path, std::size_t& extents)
{
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    constexpr unsigned kMaxExtents = 64;
    std::vector<char> storage(sizeof(fiemap) + kMaxExtents * sizeof(fiemap_extent));
    auto* map = reinterpret_cast<fiemap*>(storage.data());
    map->fm_start = 0;
    map->fm_length = FIEMAP_MAX_OFFSET;
    map->fm_flags = FIEMAP_FLAG_SYNC;
    map->fm_extent_count = kMaxExtents;
    const bool read = ::ioctl(fd, FS_IOC_FIEMAP, map) == 0;
    ::close(fd);
    extents = read ? map->fm_mapped_extents : 0;
    if (!read || extents == 0)
        return false;
    for (unsigned i = 0; i < map->fm_mapped_extents; ++i)
        if (!(map->fm_extents[i].fe_flags & FIEMAP_EXTENT_SHARED))
            return false;
    return true;
}

}  // namespace zctrace::cli_test
