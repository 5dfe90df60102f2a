// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "output/files.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "base/fd.hpp"
#include "base/signals.hpp"

namespace zctrace {
namespace {

// Temp files carry our pid, so a later run can tell a dead writer's leftovers
// (removed by sweep_stale_temp_files) from a live writer's work.
constexpr std::string_view kTempMarker = ".zctrace-tmp-";

Result<void> write_all(int fd, const std::string& text, const std::filesystem::path& path)
{
    const char* data = text.data();
    std::size_t left = text.size();
    while (left > 0) {
        ssize_t n = ::write(fd, data, left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return Error::from_errno("cannot write " + path.string());
        data += n;
        left -= static_cast<std::size_t>(n);
    }
    return {};
}

void sweep_stale_temp_files(const std::filesystem::path& dir)
{
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
        const std::string name = entry.path().filename().string();
        const auto at = name.find(kTempMarker);
        if (at == std::string::npos)
            continue;
        const pid_t pid = static_cast<pid_t>(std::atol(name.c_str() + at + kTempMarker.size()));
        if (pid > 0 && ::kill(pid, 0) != 0 && errno == ESRCH)
            std::filesystem::remove(entry.path(), ec);
    }
}

}  // namespace

Result<void> write_json_atomically(const nlohmann::json& document, const std::filesystem::path& path,
                                   const std::string& remedy, IfInterrupted if_interrupted)
{
    return write_text_atomically(document.dump(2) + "\n", path, remedy, if_interrupted);
}

Result<void> write_text_atomically(const std::string& text, const std::filesystem::path& path,
                                   const std::string& remedy, IfInterrupted if_interrupted)
{
    const std::filesystem::path dir = path.has_parent_path() ? path.parent_path() : ".";
    sweep_stale_temp_files(dir);  // what a killed writer left
    std::string temp = (dir / ("." + path.filename().string() + std::string(kTempMarker) +
                               std::to_string(::getpid()) + "-XXXXXX"))
                           .string();
    UniqueFd fd(::mkstemp(temp.data()));
    if (!fd.valid())
        return Error::from_errno("cannot create a file in " + dir.string() + " (" + remedy + ")")
            .as(ErrorKind::bad_input);
    auto fail = [&](Error error) -> Result<void> {
        ::unlink(temp.c_str());
        return error;
    };
    if (::fchmod(fd.get(), 0644) != 0)
        return fail(Error::from_errno("cannot set permissions on " + temp));
    if (auto written = write_all(fd.get(), text, temp); !written)
        return fail(written.error());
    if (::fsync(fd.get()) != 0)
        return fail(Error::from_errno("cannot flush " + temp));
    fd.reset();
    hold_point("report");
    if (if_interrupted == IfInterrupted::abandon && interrupted())
        return fail(interruption());
    if (::rename(temp.c_str(), path.c_str()) != 0)
        return fail(Error::from_errno("cannot rename " + temp + " to " + path.string()));
    UniqueFd dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dir_fd.valid())
        ::fsync(dir_fd.get());
    return {};
}

Result<std::filesystem::path> write_report(const Report& report, const std::filesystem::path& dir,
                                           const std::string& stem)
{
    const std::filesystem::path path = dir / ((stem.empty() ? report.technique : stem) + ".json");
    if (auto written = write_json_atomically(nlohmann::json(report), path, "choose a writable directory with --out",
                                             IfInterrupted::abandon);
        !written)
        return written.error();
    return path;
}

Result<void> check_output_dir(const std::filesystem::path& dir)
{
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec)
        return Error{ec.value(), "cannot create the output directory " + dir.string() +
                                     " (choose a writable directory with --out)"};
    if (!std::filesystem::is_directory(dir, ec))
        return Error{ENOTDIR, "the output path " + dir.string() +
                                  " is not a directory (choose a writable directory with --out)"};
    sweep_stale_temp_files(dir);
    // Only writing tells: root passes access(2) on read-only mounts.
    std::string probe = (dir / (std::string(kTempMarker) + std::to_string(::getpid()) + "-XXXXXX")).string();
    UniqueFd fd(::mkstemp(probe.data()));
    if (!fd.valid())
        return Error::from_errno("cannot write to the output directory " + dir.string() +
                                 " (choose a writable directory with --out)");
    ::unlink(probe.c_str());
    return {};
}

}  // namespace zctrace
