#include "base/units.hpp"

#include <cctype>
#include <cmath>
#include <charconv>
#include <cstdio>
#include <limits>

namespace zctrace {

Result<double> parse_duration(std::string_view text)
{
    auto bad = [&](const char* why) {
        return Error{EINVAL, "invalid duration '" + std::string(text) + "': " + why +
                                 " (examples: 500ms, 1s, 2.5s, 1m; a bare number is seconds)"};
    };
    double number = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
    if (ec != std::errc() || end == text.data())
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
    if (!(number >= 0) || number > 1e9)
        return bad("out of range");
    return number * scale;
}

Result<std::uint64_t> parse_size(std::string_view text)
{
    auto bad = [&](const char* why) {
        return Error{EINVAL, "invalid size '" + std::string(text) + "': " + why +
                                 " (examples: 4096, 64K, 16M, 1G)"};
    };
    std::size_t pos = 0;
    std::uint64_t number = 0;
    while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) {
        std::uint64_t digit = text[pos] - '0';
        if (number > (std::numeric_limits<std::uint64_t>::max() - digit) / 10)
            return bad("too large");
        number = number * 10 + digit;
        ++pos;
    }
    if (pos == 0)
        return bad("it must start with a number");

    std::string suffix;
    for (; pos < text.size(); ++pos)
        suffix += static_cast<char>(std::toupper(static_cast<unsigned char>(text[pos])));
    unsigned shift = 0;
    if (!suffix.empty()) {
        const char unit = suffix[0];
        const std::string rest = suffix.substr(1);
        if (rest != "" && rest != "B" && rest != "I" && rest != "IB")
            return bad("unknown unit");
        if (unit == 'B' && !rest.empty())
            return bad("unknown unit");
        switch (unit) {
        case 'B': shift = 0; break;
        case 'K': shift = 10; break;
        case 'M': shift = 20; break;
        case 'G': shift = 30; break;
        case 'T': shift = 40; break;
        default: return bad("unknown unit");
        }
    }
    if (shift && number > (std::numeric_limits<std::uint64_t>::max() >> shift))
        return bad("too large");
    return number << shift;
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

}  // namespace zctrace
