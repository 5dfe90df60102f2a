// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// The document loader: any bytes through identify (kind, version, schema)
// and from_json for every kind that has a type, then back to JSON, which
// must pass its own schema again.
#include "fuzz_support.hpp"

#include "output/summary.hpp"
#include "report/run_report.hpp"
#include "report/trace_report.hpp"

using namespace zctrace;

namespace {

template <typename T>
void round_trip(const Document& document)
{
    const T typed = fuzz::read_as<T>(document);
    const nlohmann::json again = typed;
    if (auto reread = identify_document(again, "fuzz, written back"); !reread) {
        std::fprintf(stderr, "written back, it fails its schema: %s\n", reread.error().message.c_str());
        std::abort();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const auto document = fuzz::fuzzed_document(data, size);
    if (!document)
        return 0;
    switch (document->kind) {
    case DocumentKind::report: round_trip<Report>(*document); break;
    case DocumentKind::trace: round_trip<TraceReport>(*document); break;
    case DocumentKind::summary: round_trip<Summary>(*document); break;
    case DocumentKind::gather:
    case DocumentKind::diff: break;  // read as JSON only
    }
    return 0;
}
