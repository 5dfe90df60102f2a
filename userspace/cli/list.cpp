// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// `zctrace list`: the techniques and the theory rows they are held to.
#include <iostream>
#include <memory>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "analysis/theory.hpp"
#include "commands.hpp"
#include "common.hpp"
#include "runs/techniques.hpp"

namespace zctrace::cli {
namespace {

struct ListOptions {
    std::string format = "text";
};

int run_list(const ListOptions& options)
{
    nlohmann::json out = nlohmann::json::array();
    std::vector<Technique> runnable(kAllTechniques.begin(), kAllTechniques.end());
    runnable.insert(runnable.end(), kBeyondSeedsTechniques.begin(), kBeyondSeedsTechniques.end());
    for (Technique technique : runnable) {
        const TechniqueInfo& info = technique_info(technique);
        nlohmann::json rows = nlohmann::json::array();
        const TechniqueRows& theory = theory_rows_for(technique);
        for (std::string_view id : theory.ids) {
            const TheoryRow& row = *find_theory_row(id);
            rows.push_back({{"id", row.id}, {"name", row.name}, {"cpu_copies", row.cpu_copies},
                            {"dma_copies", row.dma_copies}, {"syscalls", row.syscalls},
                            {"mode_switches_per_transfer",
                             row.mode_switches ? nlohmann::json(*row.mode_switches) : nlohmann::json(nullptr)}, {"source", row.source},
                            {"beyond_seeds", row.beyond_seeds}});
        }
        out.push_back({{"technique", info.name}, {"summary", info.summary}, {"transfer_unit", info.transfer_unit},
                       {"theory_rows", rows}, {"row_rule", theory.rule}});
    }
    if (options.format == "json") {
        std::cout << out.dump(2) << "\n";
        return kExitOk;
    }
    for (const auto& entry : out) {
        std::cout << entry["technique"].get<std::string>() << "\n    " << entry["summary"].get<std::string>()
                  << "\n    transfer: " << entry["transfer_unit"].get<std::string>() << "\n";
        for (const auto& row : entry["theory_rows"]) {
            const auto& switches = row["mode_switches_per_transfer"];
            std::cout << "    theory \"" << row["name"].get<std::string>() << "\": " << row["cpu_copies"].get<double>()
                      << " CPU copies, " << row["dma_copies"].get<double>() << " DMA copies, "
                      << (switches.is_null() ? std::string("no figure for") : switches.dump()) << " mode switches ("
                      << (row["beyond_seeds"].get<bool>() ? "beyond the seeds: " : "") << row["source"].get<std::string>()
                      << ")\n";
        }
        std::cout << "    row: " << entry["row_rule"].get<std::string>() << "\n";
    }
    bool header = false;
    for (const TheoryRow& row : theory_table()) {
        bool used = false;
        for (Technique technique : kAllTechniques)
            for (std::string_view id : theory_rows_for(technique).ids)
                used = used || id == row.id;
        if (!used && !std::exchange(header, true))
            std::cout << "\nThe seeds' table has more rows than zctrace runs yet:\n";
        if (!used)
            std::cout << "    \"" << row.name_zh << "\": " << row.cpu_copies << " CPU copies, " << row.dma_copies
                      << " DMA copies (" << row.source << ")\n";
    }
    std::cout << "\nBeyond the seeds: rows from the kernel's documentation, for the newer interfaces (`run` and "
                 "`trace` flows are held to them):\n";
    for (const TheoryRow& row : documented_rows())
        std::cout << "    \"" << row.name << "\": " << row.cpu_copies << " CPU copies, " << row.dma_copies
                  << " DMA copies; " << row.remark << " (" << row.source << ")\n";
    return kExitOk;
}

}  // namespace

void setup_list(CLI::App& app, int& exit_code)
{
    auto options = std::make_shared<ListOptions>();
    CLI::App* list = app.add_subcommand("list", "List the techniques and the theory rows they map to");
    add_format_options(*list, options->format,
                       "text, or json: an array of {technique, summary, transfer_unit, theory_rows, row_rule}");
    list->callback([options, &exit_code] { exit_code = run_list(*options); });
}

}  // namespace zctrace::cli
