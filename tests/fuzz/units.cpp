// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// The size and duration parsers behind --size, --chunk, --interval,
// --duration and gather --observe: any text is a value or a message.
#include <string>

#include "base/units.hpp"
#include <cstdint>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string text(reinterpret_cast<const char*>(data), size);
    if (auto bytes = zctrace::parse_size(text); !bytes && bytes.error().message.empty())
        std::abort();
    if (auto seconds = zctrace::parse_duration(text); seconds) {
        if (!(*seconds >= 0) || *seconds != *seconds)
            std::abort();  // a duration is a number of seconds, never negative or NaN
    } else if (seconds.error().message.empty()) {
        std::abort();
    }
    // --chunk 4K,16K: each item on its own
    for (std::size_t start = 0, comma; start <= text.size(); start = comma + 1) {
        comma = text.find(',', start);
        if (comma == std::string::npos)
            comma = text.size();
        (void)zctrace::parse_size(std::string_view(text).substr(start, comma - start));
    }
    return 0;
}
