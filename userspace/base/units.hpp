// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// Byte sizes as users type them ("64M", "16K", "1.5G", "16MB", "4096") and as reports print them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/error.hpp"

namespace zctrace {

// Sizes as dd reads them: K, M, G, T (also Ki, KiB, ...) are powers of 1024,
// kB, MB, GB, TB powers of 1000; B or no suffix is bytes; letters in any
// case. The number may have decimals ("1.5G") as long as the result is a
// whole number of bytes.
Result<std::uint64_t> parse_size(std::string_view text);

// What --help and error messages say about sizes.
inline constexpr char kSizeSyntax[] =
    "K, M, G, T and KiB, MiB, GiB, TiB are powers of 1024; kB, MB, GB, TB powers of 1000";

// Durations as users type them: "500ms", "1s", "2.5s", "1m"; a bare number
// is seconds. In seconds.
Result<double> parse_duration(std::string_view text);

// What --help and error messages say about durations.
inline constexpr char kDurationSyntax[] = "500ms, 1s, 2.5s, 1m; a bare number is seconds";

// What the user typed, quoted for a message: 'text', cut short past 20
// characters so that a pasted number cannot flood the message.
std::string quote_input(std::string_view text);

// "64 MiB", "1.5 GiB", "512 B": exact when the value is a whole number of units.
std::string format_bytes(std::uint64_t bytes);

// value with `digits` decimals, e.g. format_fixed(0.5, 3) == "0.500".
std::string format_fixed(double value, int digits = 2);

// value with `decimals` decimals, but a small non-zero value keeps two
// significant digits instead of showing as 0.00: cow's ten copied pages of a
// 64 MiB buffer are 0.00061 copies, and that is the point.
std::string format_figure(double value, int decimals = 2);

// Whole numbers bare ("2", "16777216"), others with up to 6 significant
// digits ("1.00781", "0.25"): for figures of mixed kinds side by side.
std::string format_number(double value);

// "1 copy", "2 copies", "0 copies": a count and its noun, agreeing.
std::string quantity(std::uint64_t count, std::string_view singular, std::string_view plural);

// Where the seeds give no figure.
inline constexpr char kNoFigure[] = "—";

// Theory figures as the seeds write them: "2", "0.50"; "—" when the seeds
// give none.
std::string format_theory(std::optional<double> value);

// Columns on a terminal: UTF-8 continuation bytes take none ("—", "→").
std::size_t display_width(std::string_view text);
// text padded with spaces to `width` columns, on the right or (right-aligned) the left.
std::string pad_to(const std::string& text, std::size_t width, bool right_aligned = false);

// part / whole, or 0 when there is no whole (a run that moved nothing).
inline double ratio(double part, double whole)
{
    return whole > 0 ? part / whole : 0.0;
}

}  // namespace zctrace
