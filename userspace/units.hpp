// Byte sizes as users type them ("64M", "16K", "1G", "4096") and as reports print them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "error.hpp"

namespace zctrace {

// Binary suffixes K, M, G, T (optionally followed by "i" and/or "B"), no suffix = bytes.
Result<std::uint64_t> parse_size(std::string_view text);

// Durations as users type them: "500ms", "1s", "2.5s", "1m"; a bare number
// is seconds. In seconds.
Result<double> parse_duration(std::string_view text);

// "64 MiB", "1.5 GiB", "512 B": exact when the value is a whole number of units.
std::string format_bytes(std::uint64_t bytes);

// value with `digits` decimals, e.g. format_fixed(0.5, 3) == "0.500".
std::string format_fixed(double value, int digits = 2);

// part / whole, or 0 when there is no whole (a run that moved nothing).
inline double ratio(double part, double whole)
{
    return whole > 0 ? part / whole : 0.0;
}

}  // namespace zctrace
