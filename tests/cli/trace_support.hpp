// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// Shared by the `zctrace trace` tests: warm payload files and reading what
// trace wrote.
#pragma once

#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "support.hpp"

namespace zctrace::cli_test {

using json = nlohmann::json;
inline constexpr std::uint64_t kMiB = 1024 * 1024;

// A file of random bytes, read through once so the page cache holds it.
inline void write_warm_file(const fs::path& path, std::uint64_t bytes)
{
    std::mt19937_64 random(7);
    std::vector<std::uint64_t> block(64 * 1024 / 8);
    {
        std::ofstream out(path, std::ios::binary);
        for (std::uint64_t written = 0; written < bytes; written += block.size() * 8) {
            for (auto& word : block)
                word = random();
            out.write(reinterpret_cast<const char*>(block.data()), static_cast<std::streamsize>(block.size() * 8));
        }
    }
    std::ifstream in(path, std::ios::binary);
    std::vector<char> sink(1 << 20);
    while (in.read(sink.data(), static_cast<std::streamsize>(sink.size())))
        ;
}

inline json read_json(const fs::path& path)
{
    return json::parse(read_text(path));
}

inline const json* flow_of(const json& trace, const std::string& technique)
{
    for (const json& flow : trace.at("flows"))
        if (flow.at("technique") == technique)
            return &flow;
    return nullptr;
}

}  // namespace zctrace::cli_test
