// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// parse_size() reads what users type after --size and --chunk, as dd does;
// format_bytes() is what every report and explanation prints. Both are
// user-facing, so the tests pin exact values and exact wording of the hints.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include "base/units.hpp"

namespace zctrace {
namespace {

constexpr std::uint64_t KiB = 1ULL << 10;
constexpr std::uint64_t MiB = 1ULL << 20;
constexpr std::uint64_t GiB = 1ULL << 30;
constexpr std::uint64_t TiB = 1ULL << 40;

// The message of a parse that must fail; fails the test if it parsed.
std::string rejection(std::string_view text)
{
    const Result<std::uint64_t> parsed = parse_size(text);
    if (parsed.ok()) {
        ADD_FAILURE() << "parse_size(\"" << text << "\") was accepted as " << *parsed;
        return {};
    }
    EXPECT_EQ(parsed.error().code, EINVAL) << "for \"" << text << "\"";
    return parsed.error().message;
}

std::uint64_t accepted(std::string_view text)
{
    const Result<std::uint64_t> parsed = parse_size(text);
    EXPECT_TRUE(parsed.ok()) << "parse_size(\"" << text << "\") failed: " << parsed.error().message;
    return parsed.ok() ? *parsed : 0;
}

TEST(ParseSize, PlainBytes)
{
    EXPECT_EQ(accepted("0"), 0u);
    EXPECT_EQ(accepted("1"), 1u);
    EXPECT_EQ(accepted("4096"), 4096u);
    // Leading zeros are harmless digits, not octal.
    EXPECT_EQ(accepted("0010"), 10u);
    EXPECT_EQ(accepted("4096B"), 4096u);
    EXPECT_EQ(accepted("4096b"), 4096u);
}

TEST(ParseSize, BinarySuffixes)
{
    EXPECT_EQ(accepted("1K"), KiB);
    EXPECT_EQ(accepted("16K"), 16 * KiB);
    EXPECT_EQ(accepted("64M"), 64 * MiB);
    EXPECT_EQ(accepted("1G"), GiB);
    EXPECT_EQ(accepted("2T"), 2 * TiB);
}

// As dd reads them: K, M, G, T and their Ki/KiB spellings are powers of
// 1024, and a B right after the letter (kB, MB) makes it a power of 1000, so
// that 64MB is what a disk vendor means and 64M what a page-cache user does.
TEST(ParseSize, BinaryAndDecimalSuffixes)
{
    for (std::string_view text : {"16K", "16k", "16KiB", "16kib", "16Ki", "16ki", "16KIB"})
        EXPECT_EQ(accepted(text), 16 * KiB) << text;
    for (std::string_view text : {"16kB", "16KB", "16kb", "16Kb"})
        EXPECT_EQ(accepted(text), 16000u) << text;
    for (std::string_view text : {"3M", "3m", "3MiB", "3Mi", "3mib"})
        EXPECT_EQ(accepted(text), 3 * MiB) << text;
    for (std::string_view text : {"3MB", "3mb"})
        EXPECT_EQ(accepted(text), 3000000u) << text;
    for (std::string_view text : {"5G", "5g", "5GiB", "5gi"})
        EXPECT_EQ(accepted(text), 5 * GiB) << text;
    EXPECT_EQ(accepted("5GB"), 5000000000u);
    for (std::string_view text : {"7T", "7t", "7TiB", "7ti"})
        EXPECT_EQ(accepted(text), 7 * TiB) << text;
    EXPECT_EQ(accepted("7TB"), 7000000000000u);
}

TEST(ParseSize, DecimalsThatMakeWholeBytes)
{
    EXPECT_EQ(accepted("1.5G"), GiB + GiB / 2);
    EXPECT_EQ(accepted("1.5M"), MiB + MiB / 2);
    EXPECT_EQ(accepted("0.5K"), 512u);
    EXPECT_EQ(accepted("2.25MiB"), 2 * MiB + MiB / 4);
    EXPECT_EQ(accepted("1.5MB"), 1500000u);
    EXPECT_EQ(accepted("64.000K"), 64 * KiB);
    EXPECT_EQ(accepted("1.0"), 1u);
    // The whole range is exact, not a double's 53 bits.
    EXPECT_EQ(accepted("18446744073709.551615MB"), std::numeric_limits<std::uint64_t>::max());
}

TEST(ParseSize, FractionsOfAByteAreRejected)
{
    for (std::string_view text : {"1.1K", "0.5", "1.5", "0.0001kB"})
        EXPECT_NE(rejection(text).find("it is not a whole number of bytes"), std::string::npos) << text;
    EXPECT_NE(rejection("1.0000000001G").find("too many decimals"), std::string::npos);
}

TEST(ParseSize, LargestValues)
{
    constexpr std::uint64_t max = std::numeric_limits<std::uint64_t>::max();
    EXPECT_EQ(accepted("18446744073709551615"), max);
    // The largest T value still fits once shifted by 40.
    EXPECT_EQ(accepted("16777215T"), 16777215ULL << 40);
    EXPECT_EQ(accepted("17179869183G"), 17179869183ULL << 30);
    EXPECT_EQ(accepted("18446744073709551615B"), std::numeric_limits<std::uint64_t>::max());
}

TEST(ParseSize, OverflowIsRejected)
{
    // One past 2^64 - 1 in digits.
    EXPECT_NE(rejection("18446744073709551616").find("too large"), std::string::npos);
    EXPECT_NE(rejection("99999999999999999999999").find("too large"), std::string::npos);
    // 2^24 T = 2^64 bytes: the digits fit, the shift does not.
    EXPECT_NE(rejection("16777216T").find("too large"), std::string::npos);
    EXPECT_NE(rejection("17179869184G").find("too large"), std::string::npos);
    EXPECT_NE(rejection("18446744073709551616kB").find("too large"), std::string::npos);
    EXPECT_NE(rejection("18446744073709551615.5K").find("too large"), std::string::npos);
}

TEST(ParseSize, MalformedInputIsRejected)
{
    EXPECT_NE(rejection("").find("it must start with a number"), std::string::npos);
    EXPECT_NE(rejection("-1").find("it must start with a number"), std::string::npos);
    EXPECT_NE(rejection("M").find("it must start with a number"), std::string::npos);
    EXPECT_NE(rejection(" 64M").find("it must start with a number"), std::string::npos);
    EXPECT_NE(rejection(".5M").find("it must start with a number"), std::string::npos);
    EXPECT_NE(rejection("12Q").find("unknown unit"), std::string::npos);
    EXPECT_NE(rejection("1.M").find("a decimal point needs digits after it"), std::string::npos);
    EXPECT_NE(rejection("1.5.3M").find("unknown unit"), std::string::npos);
    EXPECT_NE(rejection("64 M").find("unknown unit"), std::string::npos);
    EXPECT_NE(rejection("64MX").find("unknown unit"), std::string::npos);
    EXPECT_NE(rejection("64MBB").find("unknown unit"), std::string::npos);
    EXPECT_NE(rejection("64iB").find("unknown unit"), std::string::npos);
    // "B" is already the unit; "BB" or "Bi" is not a spelling of it.
    EXPECT_NE(rejection("64BB").find("unknown unit"), std::string::npos);
    EXPECT_NE(rejection("64Bi").find("unknown unit"), std::string::npos);
    EXPECT_NE(rejection("64P").find("unknown unit"), std::string::npos);
}

// A user who typed a bad size needs to see what they typed and what would work.
TEST(ParseSize, RejectionSaysWhatToType)
{
    const std::string hint = std::string("(examples: 4096, 64K, 1.5G, 16MB; ") + kSizeSyntax + ")";
    for (std::string_view text : {"", "12Q", "-1", "M", "1.1K", "18446744073709551616"}) {
        const std::string message = rejection(text);
        EXPECT_NE(message.find("invalid size '" + std::string(text) + "'"), std::string::npos) << message;
        EXPECT_NE(message.find(hint), std::string::npos) << message;
    }
    EXPECT_EQ(rejection("12Q"), "invalid size '12Q': unknown unit " + hint);
}

// What the user typed is quoted, but a pasted number is cut short so that
// it cannot flood the message.
TEST(ParseSize, LongInputIsQuotedCutShort)
{
    const std::string message = rejection("99999999999999999999999");
    EXPECT_NE(message.find("'9999999999999999…': too large"), std::string::npos) << message;
    EXPECT_EQ(message.find("99999999999999999999"), std::string::npos) << message;
    EXPECT_EQ(quote_input("12345678901234567890"), "'12345678901234567890'");
    EXPECT_EQ(quote_input("123456789012345678901"), "'1234567890123456…'");
}

TEST(FormatBytes, WholeUnitsAreExact)
{
    EXPECT_EQ(format_bytes(0), "0 B");
    EXPECT_EQ(format_bytes(1), "1 B");
    EXPECT_EQ(format_bytes(512), "512 B");
    EXPECT_EQ(format_bytes(1023), "1023 B");
    EXPECT_EQ(format_bytes(KiB), "1 KiB");
    EXPECT_EQ(format_bytes(4 * KiB), "4 KiB");
    EXPECT_EQ(format_bytes(64 * MiB), "64 MiB");
    EXPECT_EQ(format_bytes(GiB), "1 GiB");
    EXPECT_EQ(format_bytes(3 * TiB), "3 TiB");
    // TiB is the largest unit: bigger values stay in TiB rather than inventing PiB.
    EXPECT_EQ(format_bytes(1024 * TiB), "1024 TiB");
}

TEST(FormatBytes, FractionsHaveTwoDecimals)
{
    EXPECT_EQ(format_bytes(1536), "1.50 KiB");
    EXPECT_EQ(format_bytes(KiB + 1), "1.00 KiB");
    EXPECT_EQ(format_bytes(GiB + GiB / 2), "1.50 GiB");
    EXPECT_EQ(format_bytes(64 * MiB + 4 * KiB), "64.00 MiB");
    EXPECT_EQ(format_bytes(10 * MiB + MiB / 4), "10.25 MiB");
    // Exactness is judged on every step: 1 MiB + 1 KiB is whole in KiB but not in MiB.
    EXPECT_EQ(format_bytes(MiB + KiB), "1.00 MiB");
    EXPECT_EQ(format_bytes(std::numeric_limits<std::uint64_t>::max()), "16777216.00 TiB");
}

TEST(Units, ParsedSizesFormatBack)
{
    EXPECT_EQ(format_bytes(accepted("64M")), "64 MiB");
    EXPECT_EQ(format_bytes(accepted("16k")), "16 KiB");
    EXPECT_EQ(format_bytes(accepted("1GiB")), "1 GiB");
    EXPECT_EQ(format_bytes(accepted("1536")), "1.50 KiB");
}

TEST(ParseDuration, UnitsAndBareSeconds)
{
    EXPECT_DOUBLE_EQ(*parse_duration("1s"), 1.0);
    EXPECT_DOUBLE_EQ(*parse_duration("2.5s"), 2.5);
    EXPECT_DOUBLE_EQ(*parse_duration("500ms"), 0.5);
    EXPECT_DOUBLE_EQ(*parse_duration("1m"), 60.0);
    EXPECT_DOUBLE_EQ(*parse_duration("0.25"), 0.25);
}

TEST(ParseDuration, RejectsWhatIsNotADuration)
{
    for (const char* text : {"", "s", "1h", "1 s", "-1s", "fast", "1e99", "nan", "inf"}) {
        auto parsed = parse_duration(text);
        ASSERT_FALSE(parsed) << text;
        EXPECT_NE(parsed.error().message.find(std::string("(examples: ") + kDurationSyntax + ")"), std::string::npos)
            << parsed.error().message;
    }
    EXPECT_NE(parse_duration("-1s").error().message.find("a duration cannot be negative"), std::string::npos);
    EXPECT_NE(parse_duration("1h").error().message.find("unknown unit"), std::string::npos);
}

}  // namespace
}  // namespace zctrace
