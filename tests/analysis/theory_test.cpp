// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// The theory table is quoted from seed 000 §3.3. Quoting by hand drifts, so
// the main test reads the seed's markdown table at test time and compares
// every cell the code carries; the hand-written expectations below it are a
// second, independent statement of the same figures. The seeds live outside
// the repository (../shared/seeds); tests/data keeps a verbatim copy of the
// section for checkouts without them, and is itself checked against the seed
// whenever the seed is there.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "analysis/theory.hpp"
#include "runs/techniques.hpp"
#include "workloads/technique.hpp"

namespace zctrace {
namespace {

const std::string kSeedPath = ZCTRACE_SOURCE_DIR "/../shared/seeds/000_3f187c7da841ba27.txt";
const std::string kSeedCopyPath = ZCTRACE_SOURCE_DIR "/tests/data/seed-000-section-3.3.md";

bool seed_present()
{
    return std::ifstream(kSeedPath).good();
}
const std::string kSectionHeading = "### 3.3 拷贝方式对比表";

struct SeedRow {
    std::string method;     // 拷贝方式
    std::string cpu;        // CPU 拷贝
    std::string dma;        // DMA 拷贝
    std::string syscalls;   // 系统调用
    std::string switches;   // 上下文切换
    std::string remark;     // 特点
};

std::string trim(const std::string& text)
{
    const auto first = text.find_first_not_of(" \t\r");
    if (first == std::string::npos)
        return {};
    const auto last = text.find_last_not_of(" \t\r");
    return text.substr(first, last - first + 1);
}

std::vector<std::string> cells(const std::string& line)
{
    // "| a | b |" -> {"a", "b"}: drop what lies outside the outer pipes.
    std::vector<std::string> out;
    std::string current;
    bool inside = false;
    for (char c : line) {
        if (c == '|') {
            if (inside)
                out.push_back(trim(current));
            current.clear();
            inside = true;
        } else {
            current += c;
        }
    }
    return out;
}

bool is_separator(const std::vector<std::string>& row)
{
    return std::all_of(row.begin(), row.end(), [](const std::string& cell) {
        return !cell.empty() && cell.find_first_not_of("-: ") == std::string::npos;
    });
}

// Reads the table under the §3.3 heading: the header, the separator, then the
// rows up to the first line that is not a table line.
std::vector<SeedRow> read_seed_table(const std::string& path, std::string& problem)
{
    std::ifstream in(path);
    if (!in) {
        problem = "cannot open " + path;
        return {};
    }
    std::string line;
    while (std::getline(in, line) && trim(line) != kSectionHeading) {
    }
    if (!in) {
        problem = "no heading \"" + kSectionHeading + "\" in " + path;
        return {};
    }
    std::vector<std::vector<std::string>> table;
    while (std::getline(in, line)) {
        const std::string text = trim(line);
        if (text.empty() && table.empty())
            continue;
        if (text.empty() || text[0] != '|')
            break;
        table.push_back(cells(text));
    }
    const std::vector<std::string> header = {"拷贝方式", "CPU 拷贝", "DMA 拷贝", "系统调用", "上下文切换", "特点"};
    if (table.size() < 3 || table[0] != header || !is_separator(table[1])) {
        problem = "the table under \"" + kSectionHeading + "\" no longer has the columns " +
                  "拷贝方式 | CPU 拷贝 | DMA 拷贝 | 系统调用 | 上下文切换 | 特点";
        return {};
    }
    std::vector<SeedRow> rows;
    for (std::size_t i = 2; i < table.size(); ++i) {
        const std::vector<std::string>& row = table[i];
        if (row.size() != header.size()) {
            problem = "seed table row " + std::to_string(i - 1) + " has " + std::to_string(row.size()) +
                      " cells, not " + std::to_string(header.size());
            return {};
        }
        rows.push_back({row[0], row[1], row[2], row[3], row[4], row[5]});
    }
    return rows;
}

// A seed cell that must be a plain count, e.g. "2".
double number(const std::string& cell)
{
    std::size_t used = 0;
    double value = 0;
    try {
        value = std::stod(cell, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    EXPECT_TRUE(used == cell.size() && !cell.empty()) << "seed cell \"" << cell << "\" is not a number";
    return value;
}

// The 系统调用 column names the calls of one transfer ("read + write" is two);
// anything that is not a list of call names ("特定接口") implies no count.
std::optional<double> calls_named(const std::string& cell)
{
    std::istringstream words(cell);
    std::string word;
    double calls = 0;
    bool expect_name = true;
    while (words >> word) {
        if (expect_name) {
            if (word.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") != std::string::npos)
                return std::nullopt;
            ++calls;
        } else if (word != "+") {
            return std::nullopt;
        }
        expect_name = !expect_name;
    }
    if (calls == 0 || expect_name)
        return std::nullopt;
    return calls;
}

const TheoryRow* row_named(const std::string& seed_name)
{
    for (const TheoryRow& row : theory_table())
        if (row.name_zh == seed_name)
            return &row;
    return nullptr;
}

TEST(TheoryTable, EveryCellMatchesTheSeed)
{
    const std::string& path = seed_present() ? kSeedPath : kSeedCopyPath;
    std::cout << "[ theory source ] " << path << "\n";
    std::string problem;
    const std::vector<SeedRow> seed = read_seed_table(path, problem);
    ASSERT_TRUE(problem.empty()) << problem;
    // The seed has six rows today; a parse that finds none must not pass.
    ASSERT_EQ(seed.size(), 6u) << "the seed's table changed size; update theory.cpp and this test together";
    ASSERT_EQ(theory_table().size(), seed.size()) << "the code's table and the seed's differ in row count";

    std::set<const TheoryRow*> matched;
    for (const SeedRow& s : seed) {
        SCOPED_TRACE("seed row \"" + s.method + "\"");
        const TheoryRow* row = row_named(s.method);
        ASSERT_NE(row, nullptr) << "no theory_table() row has name_zh \"" << s.method << "\"";
        EXPECT_TRUE(matched.insert(row).second) << "two seed rows map to " << row->id;
        EXPECT_EQ(row->cpu_copies, number(s.cpu));
        EXPECT_EQ(row->dma_copies, number(s.dma));
        EXPECT_EQ(row->mode_switches, number(s.switches));
        // The code keeps the seed's words, translated or not, in these columns.
        EXPECT_NE(row->syscalls.find(s.syscalls), std::string::npos)
            << "syscalls \"" << row->syscalls << "\" does not quote \"" << s.syscalls << "\"";
        EXPECT_NE(row->remark.find(s.remark), std::string::npos)
            << "remark \"" << row->remark << "\" does not quote \"" << s.remark << "\"";
        const std::optional<double> implied = calls_named(s.syscalls);
        EXPECT_EQ(row->syscalls_per_transfer.has_value(), implied.has_value());
        if (row->syscalls_per_transfer && implied) {
            EXPECT_EQ(*row->syscalls_per_transfer, *implied);
        }
        EXPECT_NE(row->source.find("seed 000 §3.3"), std::string::npos) << row->source;
    }
}

TEST(TheoryTable, TheCopyInTestsDataIsVerbatim)
{
    std::string problem;
    const std::vector<SeedRow> copy = read_seed_table(kSeedCopyPath, problem);
    ASSERT_TRUE(problem.empty()) << problem;
    ASSERT_EQ(copy.size(), 6u);
    if (!seed_present()) {
        std::cout << "[ note ] " << kSeedPath << " is not checked out; the copy stands in for it\n";
        return;
    }
    const std::vector<SeedRow> seed = read_seed_table(kSeedPath, problem);
    ASSERT_TRUE(problem.empty()) << problem;
    ASSERT_EQ(seed.size(), copy.size());
    for (std::size_t i = 0; i < seed.size(); ++i) {
        EXPECT_EQ(copy[i].method, seed[i].method);
        EXPECT_EQ(copy[i].cpu, seed[i].cpu);
        EXPECT_EQ(copy[i].dma, seed[i].dma);
        EXPECT_EQ(copy[i].syscalls, seed[i].syscalls);
        EXPECT_EQ(copy[i].switches, seed[i].switches);
        EXPECT_EQ(copy[i].remark, seed[i].remark);
    }
}

// The same figures written out, so that a parser bug above cannot make both
// sides agree on nonsense.
TEST(TheoryTable, SeedFiguresWrittenOut)
{
    struct Expected {
        const char* id;
        const char* name;
        const char* name_zh;
        double cpu;
        double dma;
        double switches;
        std::optional<double> calls;
    };
    const Expected expected[] = {
        {"read_write", "read + write", "read + write", 2, 2, 4, 2},
        {"mmap_write", "mmap + write", "mmap + write", 1, 2, 4, 2},
        {"sendfile", "sendfile", "sendfile", 1, 2, 2, 1},
        {"sendfile_dma_gather", "sendfile + DMA gather", "sendfile + DMA gather", 0, 2, 2, 1},
        {"splice", "splice", "splice", 0, 2, 2, 1},
        {"direct_io", "user-space direct I/O", "用户态直接 I/O", 0, 1, 2, std::nullopt},
    };
    ASSERT_EQ(theory_table().size(), std::size(expected));
    for (std::size_t i = 0; i < std::size(expected); ++i) {
        const Expected& e = expected[i];
        const TheoryRow& row = theory_table()[i];
        SCOPED_TRACE(e.id);
        EXPECT_EQ(row.id, e.id);
        EXPECT_EQ(row.name, e.name);
        EXPECT_EQ(row.name_zh, e.name_zh);
        EXPECT_EQ(row.cpu_copies, e.cpu);
        EXPECT_EQ(row.dma_copies, e.dma);
        EXPECT_EQ(row.mode_switches, e.switches);
        EXPECT_EQ(row.syscalls_per_transfer, e.calls);
        EXPECT_FALSE(row.remark.empty());
    }
}

TEST(TheoryTable, FindByIdFindsEveryRowAndNothingElse)
{
    std::set<std::string> ids;
    for (const TheoryRow& row : theory_table()) {
        EXPECT_TRUE(ids.insert(row.id).second) << "duplicate id " << row.id;
        EXPECT_EQ(find_theory_row(row.id), &row) << row.id;
    }
    EXPECT_EQ(find_theory_row(""), nullptr);
    EXPECT_EQ(find_theory_row("sendfile + DMA gather"), nullptr);  // a name, not an id
    EXPECT_EQ(find_theory_row("Sendfile"), nullptr);
    EXPECT_EQ(find_theory_row("zerocopy"), nullptr);
}

TEST(Techniques, TheoryRowsExist)
{
    for (Technique technique : kAllTechniques) {
        const TechniqueInfo& info = technique_info(technique);
        SCOPED_TRACE(std::string(info.name));
        EXPECT_EQ(info.technique, technique);
        EXPECT_EQ(info.name, technique_name(technique));
        const TechniqueRows& rows = theory_rows_for(technique);
        EXPECT_EQ(rows.technique, technique);
        ASSERT_FALSE(rows.ids.empty());
        for (std::string_view id : rows.ids)
            EXPECT_NE(find_theory_row(id), nullptr) << "unknown theory row id \"" << id << "\"";
        EXPECT_FALSE(info.transfer_unit.empty());
        EXPECT_FALSE(rows.rule.empty());
    }
    // checks.cpp chooses between exactly these two for sendfile.
    const std::vector<std::string_view> sendfile_rows = {"sendfile", "sendfile_dma_gather"};
    EXPECT_EQ(theory_rows_for(Technique::sendfile).ids, sendfile_rows);
}

TEST(Techniques, NamesRoundTrip)
{
    std::set<std::string_view> names;
    for (Technique technique : kAllTechniques) {
        const std::string_view name = technique_name(technique);
        EXPECT_TRUE(names.insert(name).second) << "duplicate name " << name;
        EXPECT_EQ(technique_from_name(name), technique) << name;
    }
    for (Technique technique : kBeyondSeedsTechniques) {
        const std::string_view name = technique_name(technique);
        EXPECT_TRUE(names.insert(name).second) << "duplicate name " << name;
        EXPECT_EQ(technique_from_name(name), technique) << name;
        EXPECT_TRUE(user_can_run(name)) << name;
        // held to a row from the kernel's documentation, marked as such
        for (std::string_view id : theory_rows_for(technique).ids)
            EXPECT_TRUE(find_theory_row(id)->beyond_seeds) << id;
    }
    EXPECT_EQ(technique_names(), "read_write, mmap_write, sendfile, splice, direct_io, direct_io_send, cow, "
                                 "large_file_async_direct, msg_zerocopy, vmsplice, vmsplice_gift, io_uring_send_zc, copy_file_range, sendfile_file, tee");
    // The buffered baseline has a name for reports, but `zctrace run` does not offer it.
    EXPECT_EQ(technique_from_name("large_file_buffered"), Technique::large_file_buffered);
    EXPECT_FALSE(user_can_run("large_file_buffered"));
    EXPECT_TRUE(user_can_run("cow"));
}

TEST(Techniques, UnknownNamesGiveNothing)
{
    for (std::string_view name : {"", "unknown", "Sendfile", "SPLICE", "sendfile ", " splice", "read+write",
                                  "read + write", "mmap", "direct-io", "sendfile_dma_gather", "copy_on_write"})
        EXPECT_EQ(technique_from_name(name), std::nullopt) << "\"" << name << "\"";
}

}  // namespace
}  // namespace zctrace
