// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// `zctrace export`: a fuzzed report, alone and beside a real one, as
// OpenMetrics.
#include "fuzz_support.hpp"

#include "output/openmetrics.hpp"

using namespace zctrace;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const auto document = fuzz::fuzzed_document(data, size);
    if (!document || document->kind != DocumentKind::report)
        return 0;
    const Report fuzzed = fuzz::read_as<Report>(*document);
    static const Report real = [] {
        auto loaded = load_report(fuzz::test_data() + "/reports/loopback/sendfile.json");
        if (!loaded)
            std::abort();
        return *loaded;
    }();
    (void)render_openmetrics({fuzzed});
    (void)render_openmetrics({real, fuzzed}, {"real.json", "fuzz.json"});
    return 0;
}
