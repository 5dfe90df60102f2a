// What every subcommand reports the same way: failures and their exit status.
#pragma once

#include <string>

#include "error.hpp"
#include "probes.hpp"

namespace zctrace::cli {

// Prints "zctrace: <message>" and returns status.
int fail(int status, const std::string& message);
// The exit status for an error's kind; an interruption exits 128 + signal.
int exit_status(const Error& error);
// Prints the error (for an interruption: that nothing was written) and
// returns its exit status.
int fail(const Error& error, const std::string& context = "");

// CLI11 validator for sizes such as 64M: empty when valid, else why not.
std::string validate_size(const std::string& text);

// "14 tp_btf, 2 tracepoint"
std::string summarize_probes(const std::vector<AttachedProbe>& probes);

}  // namespace zctrace::cli
