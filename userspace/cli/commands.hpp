// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// One file per subcommand; each registers itself on the app and stores its
// exit status in `exit_code` when it runs.
#pragma once

#include <csignal>

#include <CLI/CLI.hpp>

namespace zctrace::cli {

// Exit statuses, documented in zctrace(8) (man_page.cpp) and the README.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;       // a run failed, or --strict found a mismatch
inline constexpr int kExitUsage = 2;        // bad command line or input
inline constexpr int kExitUnsupported = 3;  // privileges, BTF, tracefs or a probe missing
// 128 + N: stopped by signal N. A reader of stdout that went away counts as
// SIGPIPE, as it would for any stage of a shell pipeline.
inline constexpr int kExitStdoutClosed = 128 + SIGPIPE;

void setup_list(CLI::App& app, int& exit_code);
void setup_doctor(CLI::App& app, int& exit_code, const bool& verbose);
void setup_run(CLI::App& app, int& exit_code, const bool& verbose);
void setup_gather(CLI::App& app, int& exit_code, const bool& verbose);
void setup_trace(CLI::App& app, int& exit_code, const bool& verbose);
void setup_summarize(CLI::App& app, int& exit_code);
void setup_export(CLI::App& app, int& exit_code);
void setup_diff(CLI::App& app, int& exit_code);
void setup_validate(CLI::App& app, int& exit_code);
void setup_check(CLI::App& app, int& exit_code);
// `zctrace help [COMMAND|terms]`; registered last, so it knows every command.
void setup_help(CLI::App& app, int& exit_code);

}  // namespace zctrace::cli
