// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// Files appear whole or not at all: a report, any JSON document or text is
// written to a temp file and renamed, and a directory that refuses it says
// which option to change.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <stdexcept>
#include <string>

#include "../cli/support.hpp"
#include "../report/full_report.hpp"
#include "output/files.hpp"

namespace zctrace {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using cli_test::read_text;
using test::full_report;

// A fresh directory per test, removed afterwards.
class TempDir {
public:
    TempDir()
    {
        std::string pattern = (fs::temp_directory_path() / "zctrace-unit-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr)
            throw std::runtime_error("mkdtemp failed: " + std::string(std::strerror(errno)));
        path_ = pattern;
    }
    ~TempDir()
    {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const fs::path& path() const { return path_; }

private:
    fs::path path_;
};

// Hidden names included: temp files start with a dot.
std::set<std::string> listing(const fs::path& dir)
{
    std::set<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir))
        names.insert(entry.path().filename().string());
    return names;
}

void write_text(const fs::path& path, const std::string& text)
{
    std::ofstream out(path, std::ios::binary);
    out << text;
}

TEST(WriteJson, WritesTheWholeDocumentAndNoTempFile)
{
    TempDir dir;
    const fs::path path = dir.path() / "doc.json";
    const json first = {{"a", 1}, {"text", std::string(100000, 'x')}};
    const Result<void> written = write_json_atomically(first, path);
    ASSERT_TRUE(written.ok()) << written.error().describe();
    EXPECT_EQ(read_text(path), first.dump(2) + "\n");
    EXPECT_EQ(listing(dir.path()), std::set<std::string>{"doc.json"});
    EXPECT_EQ(fs::status(path).permissions() & fs::perms::all,
              fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read | fs::perms::others_read);

    // Replacing a longer file with a shorter one leaves nothing of the old one.
    const json second = {{"b", 2}};
    ASSERT_TRUE(write_json_atomically(second, path).ok());
    EXPECT_EQ(read_text(path), second.dump(2) + "\n");
    EXPECT_EQ(listing(dir.path()), std::set<std::string>{"doc.json"});
}

TEST(WriteJson, WriteReportNamesTheFileAfterTheTechnique)
{
    TempDir dir;
    const Report report = full_report();
    const Result<fs::path> written = write_report(report, dir.path());
    ASSERT_TRUE(written.ok()) << written.error().describe();
    EXPECT_EQ(*written, dir.path() / "sendfile.json");
    EXPECT_EQ(listing(dir.path()), std::set<std::string>{"sendfile.json"});
    const json on_disk = json::parse(read_text(*written));
    EXPECT_EQ(json(on_disk.get<Report>()), json(report));
}

TEST(WriteJson, DirectoryUnderARegularFileFails)
{
    TempDir dir;
    const fs::path plain = dir.path() / "plain";
    write_text(plain, "not a directory\n");

    const Result<void> written = write_json_atomically(json{{"a", 1}}, plain / "doc.json");
    ASSERT_FALSE(written.ok());
    EXPECT_EQ(written.error().code, ENOTDIR);
    EXPECT_NE(written.error().message.find("cannot create a file in " + plain.string()), std::string::npos)
        << written.error().message;
    EXPECT_NE(written.error().message.find("--out"), std::string::npos) << written.error().message;
    const Result<void> exported = write_text_atomically("x", plain / "zctrace.prom", "use --textfile-dir");
    ASSERT_FALSE(exported.ok());
    EXPECT_NE(exported.error().message.find("(use --textfile-dir)"), std::string::npos) << exported.error().message;

    const Result<fs::path> report = write_report(full_report(), plain);
    ASSERT_FALSE(report.ok());
    EXPECT_NE(report.error().message.find("cannot create a file in " + plain.string()), std::string::npos)
        << report.error().message;

    EXPECT_EQ(listing(dir.path()), std::set<std::string>{"plain"});
    EXPECT_EQ(read_text(plain), "not a directory\n");
}

TEST(WriteJson, ProcFails)
{
    // Not even root may create files in /proc, so this fails for every user.
    const fs::path path = "/proc/zctrace-unit-test.json";
    const Result<void> written = write_json_atomically(json{{"a", 1}}, path);
    ASSERT_FALSE(written.ok());
    EXPECT_NE(written.error().code, 0);
    EXPECT_NE(written.error().message.find("cannot create a file in /proc"), std::string::npos)
        << written.error().message;
    EXPECT_FALSE(fs::exists(path));

    const Result<fs::path> report = write_report(full_report(), "/proc");
    ASSERT_FALSE(report.ok());
    EXPECT_NE(report.error().message.find("--out"), std::string::npos) << report.error().message;
}

TEST(WriteJson, FailedRenameRemovesTheTempFile)
{
    // The temp file is written, then rename() onto a non-empty directory fails:
    // the one failure after the temp file exists that needs no privileges.
    TempDir dir;
    const fs::path taken = dir.path() / "taken.json";
    fs::create_directory(taken);
    write_text(taken / "inside", "x");

    const Result<void> written = write_json_atomically(json{{"a", 1}}, taken);
    ASSERT_FALSE(written.ok());
    EXPECT_NE(written.error().message.find("cannot rename"), std::string::npos) << written.error().message;
    EXPECT_EQ(listing(dir.path()), std::set<std::string>{"taken.json"});
    EXPECT_EQ(listing(taken), std::set<std::string>{"inside"});
}

TEST(CheckOutputDir, CreatesMissingDirectories)
{
    TempDir dir;
    const fs::path nested = dir.path() / "a" / "b" / "c";
    const Result<void> checked = check_output_dir(nested);
    ASSERT_TRUE(checked.ok()) << checked.error().describe();
    EXPECT_TRUE(fs::is_directory(nested));
    // The write probe must not stay behind.
    EXPECT_TRUE(listing(nested).empty());
    // An existing directory is fine too.
    EXPECT_TRUE(check_output_dir(nested).ok());
}

TEST(CheckOutputDir, RejectsARegularFile)
{
    TempDir dir;
    const fs::path plain = dir.path() / "plain";
    write_text(plain, "x");
    const Result<void> checked = check_output_dir(plain);
    ASSERT_FALSE(checked.ok());
    // Which of check_output_dir's two messages appears depends on whether
    // create_directories() already objects (libstdc++ does); either way the
    // user must read the path, "not a directory" and the way out.
    EXPECT_EQ(checked.error().code, ENOTDIR);
    const std::string said = checked.error().describe();
    EXPECT_NE(said.find(plain.string()), std::string::npos) << said;
    EXPECT_NE(said.find("ot a directory"), std::string::npos) << said;
    EXPECT_NE(said.find("(choose a writable directory with --out)"), std::string::npos) << said;

    const Result<void> below = check_output_dir(plain / "sub");
    ASSERT_FALSE(below.ok());
    EXPECT_NE(below.error().message.find("cannot create the output directory " + (plain / "sub").string()),
              std::string::npos)
        << below.error().message;
    EXPECT_EQ(read_text(plain), "x");
}

TEST(CheckOutputDir, RejectsProc)
{
    const Result<void> inside = check_output_dir("/proc/zctrace-unit-test");
    ASSERT_FALSE(inside.ok());
    EXPECT_NE(inside.error().message.find("cannot create the output directory /proc/zctrace-unit-test"),
              std::string::npos)
        << inside.error().message;
    EXPECT_FALSE(fs::exists("/proc/zctrace-unit-test"));

    const Result<void> itself = check_output_dir("/proc");
    ASSERT_FALSE(itself.ok());
    EXPECT_NE(itself.error().message.find("cannot write to the output directory /proc"), std::string::npos)
        << itself.error().message;
}

TEST(CheckOutputDir, SweepsOnlyDeadWritersTempFiles)
{
    // A child that has exited and been reaped gives a pid no process has.
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0)
        ::_exit(0);
    ASSERT_EQ(::waitpid(child, nullptr, 0), child);

    TempDir dir;
    const std::string dead = ".sendfile.json.zctrace-tmp-" + std::to_string(child) + "-a1b2c3";
    const std::string live = ".splice.json.zctrace-tmp-" + std::to_string(::getpid()) + "-d4e5f6";
    write_text(dir.path() / dead, "{");
    write_text(dir.path() / live, "{");
    write_text(dir.path() / ".hidden", "keep");
    write_text(dir.path() / "read_write.json", "{}");

    ASSERT_TRUE(check_output_dir(dir.path()).ok());
    EXPECT_EQ(listing(dir.path()), (std::set<std::string>{live, ".hidden", "read_write.json"}));
}

}  // namespace
}  // namespace zctrace
