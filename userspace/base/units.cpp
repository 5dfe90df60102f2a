// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "base/units.hpp"

#include <cctype>
#include <cmath>
#include <charconv>
#include <cstdio>
#include <limits>
#include <optional>

namespace zctrace {

namespace {

constexpr std::size_t kMaxQuoted = 20;
constexpr char kTooLarge[] = "too large; a size must be below 16 EiB";

// The decimal number at the start of `text`: its whole part, its digits
// without the point and how many of them follow the point (1.5: 1, 15, 1).
struct Decimal {
    std::uint64_t whole = 0;  // the part before the point
    unsigned __int128 digits = 0;
    unsigned decimals = 0;
    std::size_t length = 0;  // characters read
};

// More decimals than a byte count could ever need; the bound also keeps
// the arithmetic below inside 128 bits.
constexpr unsigned kMaxDecimals = 9;

std::optional<Decimal> read_decimal(std::string_view text, const char*& why)
{
    Decimal number;
    bool point = false;
    for (; number.length < text.size(); ++number.length) {
        const char c = text[number.length];
        if (c == '.' && !point && number.length > 0) {
            point = true;
            continue;
        }
        if (!std::isdigit(static_cast<unsigned char>(c)))
            break;
        if (point && ++number.decimals > kMaxDecimals) {
            why = "too many decimals";
            return std::nullopt;
        }
        // The whole part alone must fit in 64 bits: anything larger is no size.
        const unsigned digit = static_cast<unsigned>(c - '0');
        if (!point) {
            if (number.whole > (std::numeric_limits<std::uint64_t>::max() - digit) / 10) {
                why = kTooLarge;
                return std::nullopt;
            }
            number.whole = number.whole * 10 + digit;
        }
        number.digits = number.digits * 10 + digit;
    }
    if (number.length == 0) {
        why = "it must start with a number";
        return std::nullopt;
    }
    if (text[number.length - 1] == '.') {
        why = "a decimal point needs digits after it";
        return std::nullopt;
    }
    return number;
}

// The bytes one unit stands for: "K" 1024, "kB" 1000, "" or "B" 1; 0 for
// what is not a unit.
std::uint64_t unit_bytes(std::string_view unit)
{
    std::string upper;
    for (char c : unit)
        upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (upper.empty() || upper == "B")
        return 1;
    const std::string_view prefixes = "KMGT";
    const std::size_t power = prefixes.find(upper[0]);
    if (power == std::string_view::npos)
        return 0;
    const std::string_view rest = std::string_view(upper).substr(1);
    std::uint64_t base = 0;
    if (rest.empty() || rest == "I" || rest == "IB")
        base = 1024;  // K, Ki, KiB: binary, as dd reads K
    else if (rest == "B")
        base = 1000;  // kB: decimal, as dd reads kB and MB
    else
        return 0;
    std::uint64_t bytes = 1;
    for (std::size_t i = 0; i <= power; ++i)
        bytes *= base;
    return bytes;
}

}  // namespace

std::string quote_input(std::string_view text)
{
    if (text.size() <= kMaxQuoted)
        return "'" + std::string(text) + "'";
    std::size_t cut = kMaxQuoted - 4;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80)  // not inside a UTF-8 character
        --cut;
    return "'" + std::string(text.substr(0, cut)) + "…'";
}

Result<double> parse_duration(std::string_view text)
{
    auto bad = [&](const char* why) {
        return Error{EINVAL, "invalid duration " + quote_input(text) + ": " + why + " (examples: " +
                                 kDurationSyntax + ")"};
    };
    double number = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
    if (ec != std::errc() || end == text.data() || !std::isfinite(number))
        return bad("it must start with a number");
    const std::string_view unit(end, static_cast<std::size_t>(text.data() + text.size() - end));
    double scale = 0;
    if (unit.empty() || unit == "s")
        scale = 1;
    else if (unit == "ms")
        scale = 1e-3;
    else if (unit == "m")
        scale = 60;
    else
        return bad("unknown unit");
    if (number < 0)
        return bad("a duration cannot be negative");
    if (!(number <= 1e9))
        return bad("too long");
    return number * scale;
}

Result<std::uint64_t> parse_size(std::string_view text)
{
    auto bad = [&](const char* why) {
        return Error{EINVAL, "invalid size " + quote_input(text) + ": " + why + " (examples: 4096, 64K, 1.5G, 16MB; " +
                                 kSizeSyntax + ")"};
    };
    const char* why = nullptr;
    const std::optional<Decimal> number = read_decimal(text, why);
    if (!number)
        return bad(why);
    const std::uint64_t unit = unit_bytes(text.substr(number->length));
    if (unit == 0)
        return bad("unknown unit");
    if (number->whole > std::numeric_limits<std::uint64_t>::max() / unit)
        return bad(kTooLarge);
    unsigned __int128 scale = 1;
    for (unsigned i = 0; i < number->decimals; ++i)
        scale *= 10;
    // The whole part times the unit fits in 64 bits, so with at most 9
    // decimals this stays below 2^64 * 10^9 < 2^94.
    const unsigned __int128 scaled = number->digits * unit;
    if (scaled % scale != 0)
        return bad("it is not a whole number of bytes");
    const unsigned __int128 bytes = scaled / scale;
    if (bytes > std::numeric_limits<std::uint64_t>::max())
        return bad(kTooLarge);
    return static_cast<std::uint64_t>(bytes);
}

std::string format_bytes(std::uint64_t bytes)
{
    static const char* const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double value = static_cast<double>(bytes);
    unsigned unit = 0;
    std::uint64_t whole = bytes;
    bool exact = true;
    while (value >= 1023.995 && unit < 4) {  // so 1048575 prints as 1.00 MiB, not 1024.00 KiB
        value /= 1024.0;
        exact = exact && whole % 1024 == 0;
        whole /= 1024;
        ++unit;
    }
    char buffer[64];
    if (exact || unit == 0)
        std::snprintf(buffer, sizeof buffer, "%llu %s", static_cast<unsigned long long>(whole),
                      units[unit]);
    else
        std::snprintf(buffer, sizeof buffer, "%.2f %s", value, units[unit]);
    return buffer;
}

std::string format_fixed(double value, int digits)
{
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%.*f", digits, value);
    return buffer;
}

std::string format_figure(double value, int decimals)
{
    const double magnitude = std::fabs(value);
    if (value == 0 || !std::isfinite(value) || magnitude >= std::pow(10.0, -decimals))
        return format_fixed(value, decimals);
    return format_fixed(value, 1 - static_cast<int>(std::floor(std::log10(magnitude))));
}

std::string format_theory(std::optional<double> value)
{
    if (!value)
        return std::string(kNoFigure);
    return format_fixed(*value, *value == std::floor(*value) ? 0 : 2);
}

std::size_t display_width(std::string_view text)
{
    std::size_t columns = 0;
    for (unsigned char c : text)
        columns += (c & 0xC0) != 0x80;
    return columns;
}

std::string pad_to(const std::string& text, std::size_t width, bool right_aligned)
{
    const std::size_t used = display_width(text);
    const std::string fill(width > used ? width - used : 0, ' ');
    return right_aligned ? fill + text : text + fill;
}

std::string format_number(double value)
{
    if (std::fabs(value - std::round(value)) < 1e-9 && std::fabs(value) < 1e15)
        return std::to_string(static_cast<long long>(std::llround(value)));
    char text[32];
    std::snprintf(text, sizeof text, "%.6g", value);
    return text;
}

std::string quantity(std::uint64_t count, std::string_view singular, std::string_view plural)
{
    return std::to_string(count) + " " + std::string(count == 1 ? singular : plural);
}

}  // namespace zctrace
