// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// `zctrace summarize`: a fuzzed run or trace report, alone and beside a real
// one, into the summary and each of its renderings; the summary written
// back must pass its schema.
#include "fuzz_support.hpp"

#include "output/html_report.hpp"
#include "output/summary.hpp"

using namespace zctrace;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const auto document = fuzz::fuzzed_document(data, size);
    if (!document || (document->kind != DocumentKind::report && document->kind != DocumentKind::trace))
        return 0;
    static const Report real = [] {
        auto loaded = load_report(fuzz::test_data() + "/reports/loopback/read_write.json");
        if (!loaded)
            std::abort();
        return *loaded;
    }();
    std::vector<Report> runs{real};
    std::vector<TraceReport> traces;
    if (document->kind == DocumentKind::report)
        runs.push_back(fuzz::read_as<Report>(*document));
    else
        traces.push_back(fuzz::read_as<TraceReport>(*document));
    const Summary summary = summarize(runs, traces);
    (void)render_summary_table(summary);
    (void)render_summary_markdown(summary, runs);
    (void)render_summary_html(summary, runs);
    if (auto reread = identify_document(nlohmann::json(summary), "fuzz summary"); !reread) {
        std::fprintf(stderr, "the summary fails its schema: %s\n", reread.error().message.c_str());
        std::abort();
    }
    return 0;
}
