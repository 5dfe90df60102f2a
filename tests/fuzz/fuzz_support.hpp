// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// Shared by the libFuzzer targets: the input as JSON, and the reference
// documents from tests/data that a fuzzed one is set against.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "output/documents.hpp"

namespace zctrace::fuzz {

inline std::optional<nlohmann::json> parse_json(const std::uint8_t* data, std::size_t size)
{
    nlohmann::json json = nlohmann::json::parse(data, data + size, nullptr, false);
    if (json.is_discarded())
        return std::nullopt;
    return json;
}

// A document this zctrace reads, identified and schema-checked, or nothing.
inline std::optional<Document> fuzzed_document(const std::uint8_t* data, std::size_t size)
{
    auto json = parse_json(data, size);
    if (!json)
        return std::nullopt;
    auto document = identify_document(std::move(*json), "fuzz");
    if (!document)
        return std::nullopt;
    return std::move(*document);
}

// A document that passed its schema must read into its type: a throw here
// is a gap between the schema and from_json, a finding.
template <typename T>
T read_as(const Document& document)
{
    try {
        return document.json.get<T>();
    } catch (const std::exception& error) {
        std::fprintf(stderr, "a valid %s does not read: %s\n", std::string(document_kind_name(document.kind)).c_str(),
                     error.what());
        std::abort();
    }
}

inline const std::string& test_data()
{
    static const std::string dir = ZCTRACE_SOURCE_DIR "/tests/data";
    return dir;
}

}  // namespace zctrace::fuzz
