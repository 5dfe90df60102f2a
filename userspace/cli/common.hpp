// What every subcommand reports the same way: failures and their exit status.
#pragma once

#include <functional>
#include <string>

#include <CLI/CLI.hpp>

#include "base/error.hpp"
#include "tracing/probes.hpp"

namespace zctrace::cli {

// Prints "zctrace: <message>" and returns status.
int fail(int status, const std::string& message);
// The exit status for an error's kind; an interruption exits 128 + signal.
int exit_status(const Error& error);
// Prints the error (for an interruption: that nothing was written) and
// returns its exit status.
int fail(const Error& error, const std::string& context = "");

// For commands that only read reports and write files: Ctrl-C lets the
// write in progress finish (whole, by rename) rather than leave its temp
// file, then the command exits as interrupted (128 + signal).
int run_uninterrupted(const std::function<int()>& command);

// CLI11 validator for sizes such as 64M: empty when valid, else why not.
std::string validate_size(const std::string& text);

// The REPORTS... argument of the commands that read run reports.
void add_report_paths(CLI::App& command, std::vector<std::string>& paths);

// "read_write, sendfile"
std::string join(const std::vector<std::string>& names);

// "14 tp_btf, 2 tracepoint"
std::string summarize_probes(const std::vector<AttachedProbe>& probes);

}  // namespace zctrace::cli
