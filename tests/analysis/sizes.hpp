// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// Sizes the analysis tests share (one definition, so that the tests of this
// room may be compiled as one unit).
#pragma once

#include <cstdint>

namespace zctrace {

inline constexpr std::uint64_t kMiB = 1ULL << 20;

}  // namespace zctrace
