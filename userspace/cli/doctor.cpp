// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// `zctrace doctor`: can this machine run zctrace, and which probes work.
#include <iostream>
#include <memory>

#include "commands.hpp"
#include "common.hpp"
#include "tracing/doctor.hpp"
#include "tracing/libbpf_log.hpp"

namespace zctrace::cli {
namespace {

struct DoctorOptions {
    std::string format = "text";
};

void print_items(const char* title, const std::vector<DoctorItem>& items)
{
    std::cout << title << ":\n";
    for (const DoctorItem& item : items)
        std::cout << "  " << (item.ok ? "ok  " : (item.required ? "FAIL" : "no  ")) << "  " << item.name << ": "
                  << item.detail << "\n";
}

int run_doctor_command(const DoctorOptions& options)
{
    const DoctorReport report = run_doctor();
    if (options.format == "json") {
        std::cout << nlohmann::json(report).dump(2) << "\n";
    } else {
        std::cout << "kernel: " << report.kernel << "\nlockdown: " << report.lockdown << "\n";
        print_items("system", report.system);
        print_items("probe types (each loaded and attached)", report.probe_types);
        print_items("tracepoints zctrace attaches to", report.tracepoints);
        if (report.can_run) {
            std::cout << "zctrace can run here.\n";
        } else {
            std::cout << "zctrace cannot run here:\n";
            for (const std::string& reason : report.missing)
                std::cout << "  - " << reason << "\n";
        }
    }
    return report.can_run ? kExitOk : kExitUnsupported;
}

}  // namespace

void setup_doctor(CLI::App& app, int& exit_code, const bool& verbose)
{
    auto options = std::make_shared<DoctorOptions>();
    CLI::App* doctor = app.add_subcommand("doctor", "Check what this kernel allows: BTF, lockdown, tracefs, "
                                                    "probe types (tried, not guessed), bpf_stats, the TLB across kernel entry, "
                                                    "tracepoints");
    add_format_options(*doctor, options->format,
                       "text, or json: kernel, lockdown, each item checked (system, probe types, tracepoints) and "
                       "whether zctrace can run");
    doctor->footer("Exit status: 0 when zctrace can run here; 3 when it cannot (the output says what is missing).");
    doctor->callback([options, &exit_code, &verbose] {
        install_libbpf_logger(verbose);
        exit_code = run_doctor_command(*options);
    });
}

}  // namespace zctrace::cli
