// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// Syscall number -> name for this architecture, generated at build time from
// <asm/unistd.h> so it cannot drift from the headers the workloads use.
#pragma once

#include <cstdint>
#include <string>

namespace zctrace {

std::string syscall_name(std::uint32_t nr);  // "nr_<n>" when unknown

// io_uring opcode -> "io_uring:<op>" (IORING_OP_SEND_ZC -> "io_uring:send_zc"),
// from the running kernel's BTF, whose enum is the one the probes read;
// "io_uring:op_<n>" when the kernel has no such value or no BTF.
std::string uring_request_name(std::uint32_t opcode);

}  // namespace zctrace
