// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// libbpf's messages: kept quiet and buffered, then shown when something fails
// (or live with --verbose), so a verifier rejection is never silent.
#pragma once

#include <string>

namespace zctrace {

void install_libbpf_logger(bool verbose);
// Warnings collected since the last call, newest last, at most a few KiB.
std::string take_libbpf_log();

}  // namespace zctrace
