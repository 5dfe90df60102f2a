// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// `zctrace diff` of a fuzzed document against a real one of its kind (and
// the other way round), rendered as JSON and as the table.
#include "fuzz_support.hpp"

#include "output/report_diff.hpp"

using namespace zctrace;

namespace {

template <typename T>
const T& reference(const char* file)
{
    static const T loaded = [file] {
        auto document = load_document(fuzz::test_data() + "/" + file);
        if (!document)
            std::abort();
        return document->json.get<T>();
    }();
    return loaded;
}

void render(const ReportDiff& diff)
{
    (void)diff_to_json(diff, true).dump();
    (void)render_diff_table(diff, true);
    (void)render_diff_table(diff, false);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const auto document = fuzz::fuzzed_document(data, size);
    if (!document)
        return 0;
    if (document->kind == DocumentKind::report) {
        const Report fuzzed = fuzz::read_as<Report>(*document);
        const Report& real = reference<Report>("reports/loopback/sendfile.json");
        render(diff_reports(real, fuzzed, "real.json", "fuzz.json"));
        render(diff_reports(fuzzed, real, "fuzz.json", "real.json"));
        render(diff_reports(fuzzed, fuzzed, "fuzz.json", "fuzz.json"));
    } else if (document->kind == DocumentKind::trace) {
        const TraceReport fuzzed = fuzz::read_as<TraceReport>(*document);
        const TraceReport& real = reference<TraceReport>("traces/nginx-sendfile-on.json");
        render(diff_traces(real, fuzzed, "real.json", "fuzz.json"));
        render(diff_traces(fuzzed, real, "fuzz.json", "real.json"));
    }
    return 0;
}
