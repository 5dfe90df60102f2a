// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// Shared by the output tests: the committed fixtures (reports captured from
// real runs), golden files, and running zctrace or an outside validator.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "../cli/support.hpp"
#include "output/documents.hpp"

namespace zctrace::output_test {

namespace fs = std::filesystem;
using cli_test::Finished;
using cli_test::Process;
using cli_test::read_text;
using cli_test::Restrictions;
using cli_test::TempDir;

inline const fs::path kSourceDir = ZCTRACE_SOURCE_DIR;
// `zctrace run all` (64 MiB, lo), and sendfile over veth with SG on and off.
inline const fs::path kFixtures = kSourceDir / "tests/data/reports";
inline const fs::path kLoopbackFixtures = kFixtures / "loopback";
inline const fs::path kGoldenDir = kSourceDir / "tests/data/golden";

// The loopback fixtures in `run all` order.
inline std::vector<Report> loopback_reports()
{
    std::vector<fs::path> paths;
    for (const char* technique : {"read_write", "mmap_write", "sendfile", "splice", "direct_io", "direct_io_send",
                                  "cow", "large_file_async_direct"})
        paths.push_back(kLoopbackFixtures / (std::string(technique) + ".json"));
    auto reports = load_reports(paths);
    if (!reports)
        throw std::runtime_error(reports.error().describe());
    return *reports;
}

// `zctrace trace --pid` of nginx serving one 64 MiB file, with sendfile on
// and off (trace reports, trace.v1).
inline const fs::path kNginxSendfileOn = kSourceDir / "tests/data/traces/nginx-sendfile-on.json";
inline const fs::path kNginxSendfileOff = kSourceDir / "tests/data/traces/nginx-sendfile-off.json";

inline TraceReport load_trace(const fs::path& path)
{
    auto loaded = load_run_and_trace_reports({path});
    if (!loaded)
        throw std::runtime_error(loaded.error().describe());
    if (loaded->traces.size() != 1)
        throw std::runtime_error(path.string() + " is not one trace report");
    return loaded->traces.front();
}

inline void write_text(const fs::path& path, const std::string& text)
{
    std::ofstream(path, std::ios::binary) << text;
}

// Compares with tests/data/golden/<name>. ZCTRACE_UPDATE_GOLDEN=1 rewrites
// the file instead (then review the diff before committing it).
inline void expect_golden(const std::string& actual, const std::string& name)
{
    const fs::path path = kGoldenDir / name;
    if (const char* update = std::getenv("ZCTRACE_UPDATE_GOLDEN"); update && std::string(update) == "1") {
        write_text(path, actual);
        return;
    }
    ASSERT_TRUE(fs::exists(path)) << path << " is missing; run with ZCTRACE_UPDATE_GOLDEN=1 to create it";
    EXPECT_EQ(actual, read_text(path)) << "differs from " << path
                                       << "; if the change is intended, rerun with ZCTRACE_UPDATE_GOLDEN=1";
}

// Runs another program (promtool, chromium, python3) with `input` on stdin.
inline Finished run_program(const std::string& binary, std::vector<std::string> args, const std::string& input = "",
                            std::chrono::seconds timeout = std::chrono::seconds(60))
{
    TempDir dir;
    Restrictions restrictions;
    if (!input.empty()) {
        restrictions.stdin_path = (dir.path() / "stdin").string();
        write_text(restrictions.stdin_path, input);
    }
    return Process(std::move(args), restrictions, binary).finish(timeout);
}

inline Finished zctrace(std::vector<std::string> args)
{
    return cli_test::run(std::move(args));
}

}  // namespace zctrace::output_test
