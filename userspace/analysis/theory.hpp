// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// The theory table: what the seed articles (../shared/seeds/) claim each
// technique costs. It is data, quoted from the seeds, and nothing measured is
// ever taken from it.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "workloads/technique.hpp"

namespace zctrace {

struct TheoryRow {
    std::string id;    // stable key, e.g. "sendfile_dma_gather"
    std::string name;  // the row as the seeds label it, e.g. "sendfile + DMA gather"
    std::string name_zh;  // the seeds' own words where they are not English
    double cpu_copies = 0;
    double dma_copies = 0;
    std::string syscalls;  // the seeds' "系统调用" column, e.g. "read + write"
    // Calls per transfer the seeds imply; empty where they only say "特定接口"
    // (a specific interface).
    std::optional<double> syscalls_per_transfer;
    // The seeds' "上下文切换" column: user<->kernel switches per transfer;
    // empty for claims the seeds make only in prose, without a figure.
    std::optional<double> mode_switches;
    std::string remark;  // the seeds' "特点" column
    std::string source;  // seed file and section
    // A row the seeds lack, taken from the kernel's own documentation or man
    // pages for the interfaces that came after them (msg_zerocopy.rst, ...).
    bool beyond_seeds = false;
    // Its transfer starts in user memory (a send from a buffer): no disk
    // DMA step, so all of dma_copies is the device's.
    bool starts_in_memory = false;
};

// Seed 000 §3.3's table, row for row.
const std::vector<TheoryRow>& theory_table();
// Claims the seeds make in prose, outside the table (copy-on-write).
const std::vector<TheoryRow>& prose_claims();
// A source as the rows give it ("seed 000 §3.3; seed 003 §二") with each
// seed named by its article's title, for readers without ../shared/seeds/.
std::string cite(std::string_view source);

// Beyond the seeds: the newer interfaces, each row from the kernel's
// documentation (its source names the document and section).
const std::vector<TheoryRow>& documented_rows();

// Searches the table, then the prose claims, then the documented rows.
const TheoryRow* find_theory_row(std::string_view id);

// The rows (ids) a technique may be held to. When there is more than one,
// the measurement picks (checks.cpp); `rule` says how, for `zctrace list`.
struct TechniqueRows {
    Technique technique;
    std::vector<std::string_view> ids;
    std::string_view rule;
};
const TechniqueRows& theory_rows_for(Technique technique);

}  // namespace zctrace
