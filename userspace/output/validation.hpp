// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// Whether a file's text is a zctrace document or `run --format ndjson`
// stream that this zctrace reads, and if not, why: `zctrace validate`'s
// verdict on one file, kept apart from reading files so that it can be
// tested and fuzzed on text alone.
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace zctrace {

struct TextCheck {
    bool ok = false;
    std::string kind;     // report, gather, summary, diff, trace, ndjson; empty when not known
    std::string detail;   // what an ok file holds, e.g. "report v1: sendfile"
    std::string problem;  // why the file as a whole is not ok
    std::vector<std::pair<std::size_t, std::string>> bad_lines;  // NDJSON: line number, why (the first 20)
    std::size_t bad_line_count = 0;
};

// The text of the file `name`: one document, or an NDJSON stream when
// ndjson_by_name (a .ndjson file) or when it is not one JSON document but its
// first line is a JSON object.
TextCheck check_document_text(const std::string& text, const std::string& name, bool ndjson_by_name);

}  // namespace zctrace
