// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// The nginx harness itself (nginx.hpp), before any trace test leans on it:
// Debian's nginx serves a 64 MiB file to curl, whole, with sendfile on and
// off, and once stopped leaves no process and no file behind.
#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>

#include <gtest/gtest.h>

#include "nginx.hpp"

namespace {

namespace fs = std::filesystem;
using zctrace::test::Fetched;
using zctrace::test::Nginx;
using zctrace::test::NginxOptions;

constexpr std::uint64_t kFileSize = 64ull << 20;

// A directory holding `name`: kFileSize random bytes (nothing compresses
// or dedups them on the way).
class ServedDir {
public:
    ServedDir()
    {
        std::string pattern = "/tmp/zctrace-nginx-root-XXXXXX";
        if (::mkdtemp(pattern.data()))
            path_ = pattern;
        ::chmod(path_.c_str(), 0755);
        std::ofstream out(path_ / "random.bin", std::ios::binary);
        std::mt19937_64 random(std::random_device{}());
        std::vector<std::uint64_t> block(1 << 17);  // 1 MiB
        for (std::uint64_t written = 0; written < kFileSize; written += block.size() * sizeof block[0]) {
            for (auto& word : block)
                word = random();
            out.write(reinterpret_cast<const char*>(block.data()),
                      static_cast<std::streamsize>(block.size() * sizeof block[0]));
        }
    }
    ~ServedDir()
    {
        std::error_code ignored;
        fs::remove_all(path_, ignored);
    }
    [[nodiscard]] const fs::path& path() const { return path_; }

private:
    fs::path path_;
};

bool process_exists(pid_t pid)
{
    return ::kill(pid, 0) == 0 || errno == EPERM;
}

void serves_whole_file_then_leaves_nothing(bool sendfile)
{
    ServedDir root;
    ASSERT_FALSE(root.path().empty());
    ASSERT_EQ(fs::file_size(root.path() / "random.bin"), kFileSize);

    std::string error;
    std::optional<Nginx> nginx = Nginx::start({root.path().string(), sendfile}, error);
    ASSERT_TRUE(nginx) << error;
    const pid_t master = nginx->master_pid();
    const fs::path conf_dir = nginx->temp_dir();
    ASSERT_GT(master, 0);
    ASSERT_GT(nginx->port(), 0);
    EXPECT_TRUE(fs::exists(conf_dir / "nginx.conf"));
    const std::vector<pid_t> workers = nginx->worker_pids();
    ASSERT_EQ(workers.size(), 1u);
    EXPECT_EQ(::getpgid(workers[0]), master) << "the worker is in nginx's own process group";

    const Fetched fetched = zctrace::test::fetch_with_curl(nginx->port(), "/random.bin");
    EXPECT_EQ(fetched.status, 0) << fetched.error << "\nnginx error log:\n" << nginx->error_log();
    EXPECT_EQ(fetched.bytes, kFileSize) << fetched.error;

    // An HTTP error is a curl failure, not a small body.
    const Fetched missing = zctrace::test::fetch_with_curl(nginx->port(), "no-such-file");
    EXPECT_EQ(missing.status, 22) << missing.error;

    nginx->stop();
    EXPECT_EQ(nginx->master_pid(), -1);
    EXPECT_FALSE(process_exists(master)) << "nginx master " << master << " still exists";
    for (pid_t worker : workers)
        EXPECT_FALSE(process_exists(worker)) << "nginx worker " << worker << " still exists";
    EXPECT_FALSE(fs::exists(conf_dir)) << conf_dir;
    nginx.reset();  // a second stop (the destructor) is harmless
}

TEST(NginxHarness, ServesA64MiBFileWithSendfileOnAndLeavesNothing)
{
    serves_whole_file_then_leaves_nothing(true);
}

TEST(NginxHarness, ServesA64MiBFileWithSendfileOffAndLeavesNothing)
{
    serves_whole_file_then_leaves_nothing(false);
}

// The destructor alone cleans up as stop() does.
TEST(NginxHarness, DestructorStopsNginxAndRemovesItsDirectory)
{
    ServedDir root;
    std::string error;
    pid_t master = -1;
    fs::path conf_dir;
    {
        std::optional<Nginx> nginx = Nginx::start({root.path().string()}, error);
        ASSERT_TRUE(nginx) << error;
        master = nginx->master_pid();
        conf_dir = nginx->temp_dir();
    }
    EXPECT_FALSE(process_exists(master));
    EXPECT_FALSE(fs::exists(conf_dir)) << conf_dir;
}

}  // namespace
