// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "runs/workload_file.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <zlib.h>

#include <chrono>
#include <cstring>
#include <thread>
#include <vector>

#include "base/fd.hpp"
#include "base/signals.hpp"
#include "base/system.hpp"

namespace zctrace {

namespace {
constexpr std::string_view kPrefix = "zctrace-";

bool pid_alive(pid_t pid)
{
    return ::kill(pid, 0) == 0 || errno == EPERM;
}

// The mount holding dev: filesystem type and source.
std::pair<std::string, std::string> describe_mount(dev_t dev)
{
    const std::string wanted = std::to_string(major(dev)) + ":" + std::to_string(minor(dev));
    for (const MountEntry& mount : read_mount_table())
        if (mount.device == wanted)
            return {mount.fstype, mount.source};
    return {"unknown", "unknown"};
}

std::uint64_t next_random(std::uint64_t& state)
{
    // splitmix64: fast, and enough to make every page different.
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
}  // namespace

Result<WorkDir> WorkDir::create(const std::filesystem::path& parent)
{
    std::string pattern = (parent / (std::string(kPrefix) + std::to_string(::getpid()) + "-XXXXXX")).string();
    if (!::mkdtemp(pattern.data()))
        return Error::from_errno("cannot create a work directory in " + parent.string());
    return WorkDir(std::filesystem::path(pattern));
}

WorkDir::WorkDir(WorkDir&& other) noexcept : path_(std::move(other.path_))
{
    other.path_.clear();
}

WorkDir::~WorkDir()
{
    if (path_.empty())
        return;
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
}

int sweep_stale_work_dirs(const std::filesystem::path& parent)
{
    int removed = 0;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(parent, ec)) {
        const std::string name = entry.path().filename().string();
        if (name.rfind(kPrefix, 0) != 0 || !entry.is_directory(ec))
            continue;
        const pid_t pid = static_cast<pid_t>(std::atol(name.c_str() + kPrefix.size()));
        if (pid <= 0 || pid_alive(pid))
            continue;
        std::filesystem::remove_all(entry.path(), ec);
        removed += ec ? 0 : 1;
    }
    return removed;
}

std::uint64_t WorkloadFile::pages() const
{
    const auto page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
    return (size + page - 1) / page;
}

// A directory on a block-backed filesystem to offer instead of one that is not.
std::string block_backed_suggestion()
{
    for (const char* candidate : {"/var/tmp", "/tmp", "/root", "/home"}) {
        struct stat st{};
        if (::stat(candidate, &st) == 0 && S_ISDIR(st.st_mode) && major(st.st_dev) != 0 &&
            ::access(candidate, W_OK) == 0)
            return candidate;
    }
    return "a directory on ext4 or xfs";
}

// The probes find the file's pages by the inode's device and number; on
// filesystems without a block device of their own (tmpfs, overlayfs, btrfs
// subvolumes: an anonymous st_dev) those do not match the page-cache events.
static Result<void> check_filesystem(const std::filesystem::path& dir, std::uint64_t size)
{
    struct stat st{};
    if (::stat(dir.c_str(), &st) != 0)
        return Error::from_errno("cannot stat " + dir.string());
    const auto [fstype, source] = describe_mount(st.st_dev);
    if (major(st.st_dev) == 0)
        return Error{0, dir.string() + " is on " + fstype + " (" + source + "), which has no block device of "
                        "its own: there is no disk to DMA from, O_DIRECT has nothing to bypass, and zctrace's "
                        "page-cache and disk probes cannot find the file. Put the workload file on a block-backed "
                        "filesystem such as ext4 or xfs with --dir, e.g. --dir " + block_backed_suggestion(),
                     ErrorKind::bad_input};
    struct statvfs fs{};
    constexpr std::uint64_t kSlack = 64u << 20;
    if (::statvfs(dir.c_str(), &fs) == 0 &&
        static_cast<std::uint64_t>(fs.f_bavail) * fs.f_frsize < size + kSlack)
        return Error::bad_input("not enough free space in " + dir.parent_path().string() + " for a " +
                                std::to_string(size >> 20) + " MiB workload file (" +
                                std::to_string(static_cast<std::uint64_t>(fs.f_bavail) * fs.f_frsize >> 20) +
                                " MiB free); use a smaller --size");
    return {};
}

Result<WorkloadFile> create_workload_file(const std::filesystem::path& dir, std::uint64_t size,
                                          std::uint64_t seed)
{
    if (auto usable = check_filesystem(dir, size); !usable)
        return usable.error();
    WorkloadFile file;
    file.path = dir / "payload.bin";
    file.size = size;
    UniqueFd fd(::open(file.path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (!fd.valid())
        return Error::from_errno("cannot create " + file.path.string());

    // Another writer can take the room `run` saw free before it began.
    const auto filled_up = [&](int err, std::uint64_t written) {
        return Error{err,
                     "the filesystem of " + dir.string() + " filled up while the workload file was written (" +
                         std::to_string(written) + " of " + std::to_string(size) + " bytes): " + std::strerror(err) +
                         "; free some space, use a smaller --size, or pass --dir on a filesystem with room",
                     ErrorKind::bad_input};
    };
    std::vector<std::uint64_t> block(1 << 17);  // 1 MiB
    uLong crc = ::crc32(0L, Z_NULL, 0);
    std::uint64_t state = seed;
    for (std::uint64_t written = 0; written < size;) {
        if (written)
            hold_point("workload-file");
        if (interrupted())
            return interruption();
        for (auto& word : block)
            word = next_random(state);
        const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(size - written, block.size() * 8));
        const auto* bytes = reinterpret_cast<const unsigned char*>(block.data());
        for (std::size_t done = 0; done < n;) {
            ssize_t w = ::write(fd.get(), bytes + done, n - done);
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0 && (errno == ENOSPC || errno == EDQUOT))
                return filled_up(errno, written + done);
            if (w <= 0)
                return Error::from_errno("cannot write " + file.path.string());
            done += static_cast<std::size_t>(w);
        }
        crc = ::crc32(crc, bytes, static_cast<uInt>(n));
        written += n;
    }
    if (::fsync(fd.get()) != 0) {
        if (errno == ENOSPC || errno == EDQUOT)
            return filled_up(errno, size);
        return Error::from_errno("cannot flush " + file.path.string());
    }
    struct stat st{};
    if (::fstat(fd.get(), &st) != 0)
        return Error::from_errno("cannot stat " + file.path.string());
    file.crc32 = static_cast<std::uint32_t>(crc);
    file.dev = st.st_dev;
    file.ino = st.st_ino;
    std::tie(file.filesystem, file.block_device) = describe_mount(st.st_dev);
    return file;
}

Result<void> check_direct_io(const WorkloadFile& file)
{
    UniqueFd fd(::open(file.path.c_str(), O_RDONLY | O_CLOEXEC | O_DIRECT));
    const auto refused = [&](int err) {
        return Error{err, "the " + file.filesystem + " filesystem holding " + file.path.parent_path().string() +
                              " (" + file.block_device + ") refuses O_DIRECT, which direct I/O techniques need; "
                              "use --dir on one that supports it (ext4, xfs), e.g. --dir " + block_backed_suggestion(),
                     ErrorKind::bad_input};
    };
    if (!fd.valid())
        return errno == EINVAL ? refused(errno) : Error::from_errno("cannot open " + file.path.string() + " with O_DIRECT");
    const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    void* probe = ::mmap(nullptr, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (probe == MAP_FAILED)
        return Error::from_errno("cannot map a page");
    const ssize_t n = ::pread(fd.get(), probe, page, 0);
    const int err = errno;
    ::munmap(probe, page);
    if (n < 0)
        return err == EINVAL ? refused(err) : Error::from_errno("O_DIRECT read of " + file.path.string(), err);
    return {};
}

Result<std::uint64_t> resident_pages(const WorkloadFile& file)
{
    UniqueFd fd(::open(file.path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid())
        return Error::from_errno("cannot open " + file.path.string());
    void* map = ::mmap(nullptr, file.size, PROT_READ, MAP_SHARED, fd.get(), 0);
    if (map == MAP_FAILED)
        return Error::from_errno("cannot map " + file.path.string());
    std::vector<unsigned char> vec(file.pages());
    const int rc = ::mincore(map, file.size, vec.data());
    const int err = errno;
    ::munmap(map, file.size);
    if (rc != 0)
        return Error::from_errno("mincore on " + file.path.string(), err);
    std::uint64_t resident = 0;
    for (unsigned char v : vec)
        resident += v & 1;
    return resident;
}

namespace {

// TCP frees a received skb on the CPU that allocated it: recvmsg parks it on
// that CPU's defer list (skb_attempt_defer_free), emptied only when the CPU
// next runs NET_RX. After sendfile or splice over loopback, such skbs still
// hold page-cache pages as frags, so DONTNEED cannot drop those pages. One
// loopback datagram sent from each CPU runs NET_RX there and frees them.
void flush_deferred_skb_frees()
{
    UniqueFd sink(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (!sink.valid() || ::bind(sink.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::getsockname(sink.get(), reinterpret_cast<sockaddr*>(&address), &length) != 0)
        return;
    const long cpus = ::sysconf(_SC_NPROCESSORS_ONLN);
    for (long cpu = 0; cpu < cpus; ++cpu) {
        std::thread([&] {
            cpu_set_t set;
            CPU_ZERO(&set);
            CPU_SET(static_cast<int>(cpu), &set);
            if (::sched_setaffinity(0, sizeof set, &set) != 0)
                return;
            UniqueFd source(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
            if (source.valid())
                ::sendto(source.get(), "z", 1, 0, reinterpret_cast<sockaddr*>(&address), sizeof address);
        }).join();
    }
}

}  // namespace

Result<std::uint64_t> evict_page_cache(const WorkloadFile& file)
{
    UniqueFd fd(::open(file.path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid())
        return Error::from_errno("cannot open " + file.path.string());
    // Dirty pages cannot be dropped; the file was fsynced when written, but
    // a flush first keeps this true whoever wrote it.
    if (::fdatasync(fd.get()) != 0)
        return Error::from_errno("cannot flush " + file.path.string());
    hold_point("eviction");
    std::uint64_t resident = 0;
    // DONTNEED skips pages someone still holds a reference to: right after
    // a sendfile or splice run, deferred skbs (above); pages under I/O.
    for (int attempt = 0; attempt < 40; ++attempt) {
        if (attempt) {
            flush_deferred_skb_frees();
            std::this_thread::sleep_for(std::chrono::milliseconds(attempt == 1 ? 1 : 50));
        }
        if (interrupted())
            return interruption();
        if (const int rc = ::posix_fadvise(fd.get(), 0, 0, POSIX_FADV_DONTNEED); rc != 0)
            return Error::from_errno("posix_fadvise(DONTNEED) on " + file.path.string(), rc);
        auto left = resident_pages(file);
        if (!left)
            return left.error();
        resident = *left;
        if (resident == 0)
            break;
    }
    return resident;
}

// Reads the file through until every page is resident, three times at most:
// reclaim may take a folio back between the read and the check (a whole
// 1 MiB folio was once missing from a warm run in CI). What is resident
// after the last pass is what the report says.
Result<std::uint64_t> warm_page_cache(const WorkloadFile& file)
{
    UniqueFd fd(::open(file.path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid())
        return Error::from_errno("cannot open " + file.path.string());
    std::vector<char> buffer(1 << 20);
    Result<std::uint64_t> resident = std::uint64_t{0};
    for (int pass = 0; pass < 3; ++pass) {
        for (off_t offset = 0;;) {
            if (interrupted())
                return interruption();
            ssize_t n = ::pread(fd.get(), buffer.data(), buffer.size(), offset);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0)
                return Error::from_errno("cannot read " + file.path.string());
            if (n == 0)
                break;
            offset += n;
        }
        resident = resident_pages(file);
        if (!resident || *resident == file.pages())
            break;
    }
    return resident;
}

}  // namespace zctrace
