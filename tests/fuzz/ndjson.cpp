// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// `zctrace validate` on any text: as an NDJSON stream by name, and as a file
// that is told apart by its content.
#include <string>

#include "fuzz_support.hpp"
#include "output/validation.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string text(reinterpret_cast<const char*>(data), size);
    const zctrace::TextCheck as_stream = zctrace::check_document_text(text, "fuzz.ndjson", true);
    const zctrace::TextCheck as_file = zctrace::check_document_text(text, "fuzz.json", false);
    // An ok file has no problem; a bad one says why.
    for (const zctrace::TextCheck* check : {&as_stream, &as_file})
        if (check->ok != check->problem.empty())
            std::abort();
    return 0;
}
