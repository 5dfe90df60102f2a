// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "output/gather_text.hpp"

#include <algorithm>
#include <cstdio>
#include <sstream>

#include "base/units.hpp"
#include "output/terminal.hpp"

namespace zctrace {
namespace {

std::string on_off(const FeatureState& state)
{
    if (!state.on)
        return "absent";
    return std::string(*state.on ? "on" : "off") + (state.fixed ? " [fixed]" : "");
}

}  // namespace

std::string render_gather(const GatherReport& report, std::size_t width)
{
    std::ostringstream out;
    out << "interfaces (ethtool features; zero-copy = sendfile/splice leave without a CPU copy)\n";
    char line[256];
    std::snprintf(line, sizeof line, "  %-16s %-20s %-14s %-14s %-14s %-14s %s\n", "name", "driver", "sg", "tx-csum",
                  "tso", "gso", "zero-copy");
    out << line;
    for (const InterfaceFeatures& device : report.interfaces) {
        const std::string driver = device.driver.empty() ? std::string("-")
                                                         : device.driver + (device.paravirtual ? " (virtual)" : "");
        std::snprintf(line, sizeof line, "  %-16s %-20s %-14s %-14s %-14s %-14s %s\n", device.name.c_str(),
                      driver.c_str(), on_off(device.scatter_gather).c_str(), on_off(device.tx_checksum).c_str(),
                      on_off(device.tso).c_str(), on_off(device.gso).c_str(), device.zero_copy ? "yes" : "no");
        out << line;
    }
    for (const InterfaceFeatures& device : report.interfaces)
        out << wrap("- " + device.name + ": " + device.reason, width, 2, 4);

    if (report.observation) {
        const Observation& seen = *report.observation;
        out << "\ntransmitted in " << format_fixed(seen.seconds, 1) << " s, system-wide (" << seen.probe << ")\n";
        auto shown_name = [](const ObservedDevice& device) {
            return device.this_namespace ? device.name
                                         : device.name + " (netns " + std::to_string(device.netns_inode) + ")";
        };
        int width = 16;
        for (const ObservedDevice& device : seen.devices)
            width = std::max(width, static_cast<int>(shown_name(device).size()));
        std::snprintf(line, sizeof line, "  %-*s %10s %12s %12s %12s %12s %12s %9s\n", width, "device", "skbs",
                      "payload", "page-cache", "zerocopy", "copied-frag", "linear", "gathered");
        out << line;
        for (const ObservedDevice& device : seen.devices) {
            const std::string name = shown_name(device);
            std::snprintf(line, sizeof line, "  %-*s %10llu %12s %12s %12s %12s %12s %8.1f%%\n", width,
                          name.c_str(), static_cast<unsigned long long>(device.skbs),
                          format_bytes(device.payload_bytes).c_str(), format_bytes(device.shared_frag_bytes).c_str(),
                          format_bytes(device.zerocopy_frag_bytes).c_str(),
                          format_bytes(device.copied_frag_bytes).c_str(),
                          format_bytes(device.linear_payload_bytes).c_str(), device.gathered_share * 100);
            out << line;
        }
        if (seen.devices.empty())
            out << "  (no device transmitted anything)\n";
        if (seen.unattributed_bytes)
            out << wrap(format_bytes(seen.unattributed_bytes) +
                            " left through devices whose counter slot another device already held on that CPU (64 "
                            "slots, hashed by namespace and ifindex)",
                        width, 2, 4);
        out << "  probe: " << seen.overhead.events << " runs, " << format_fixed(seen.overhead.ns_per_event, 0)
            << " ns each, " << format_fixed(seen.overhead.share_of_cpu_time * 100, 4) << "% of the CPUs' time\n";
    }

    if (report.self_test) {
        const SelfTest& test = *report.self_test;
        out << "\nself-test: sendfile of " << format_bytes(test.payload_bytes)
            << " over a private veth pair, SG on vs off\n";
        std::snprintf(line, sizeof line, "  %-24s %22s %22s\n", "", "SG on", "SG off");
        out << line;
        auto row = [&](const char* name, const std::string& on, const std::string& off) {
            std::snprintf(line, sizeof line, "  %-24s %22s %22s\n", name, on.c_str(), off.c_str());
            out << line;
        };
        const SelfTestRun& on = test.sg_on;
        const SelfTestRun& off = test.sg_off;
        auto sg_state = [](const SelfTestRun& run) {
            return run.sg_read_back ? std::string(*run.sg_read_back ? "on" : "off") : std::string("unknown");
        };
        row("SG (read back at xmit)", sg_state(on), sg_state(off));
        row("theory row", on.theory_row, off.theory_row);
        row("cpu copies", format_fixed(on.cpu_copies, 3), format_fixed(off.cpu_copies, 3));
        row("page-cache frags", format_bytes(on.shared_frag_bytes), format_bytes(off.shared_frag_bytes));
        row("copied by the CPU", format_bytes(on.copied_bytes), format_bytes(off.copied_bytes));
        row("resends copied again", format_bytes(on.retransmit_relinearize_bytes),
            format_bytes(off.retransmit_relinearize_bytes));
        row("sender CPU s/GiB", format_fixed(on.cpu_seconds_per_gib, 3), format_fixed(off.cpu_seconds_per_gib, 3));
        row("MiB/s", format_fixed(on.mib_per_second, 0), format_fixed(off.mib_per_second, 0));
        row("integrity", on.integrity_ok ? "ok" : "FAILED", off.integrity_ok ? "ok" : "FAILED");
        out << wrap("verdict: " + test.verdict, width, 2, 4);
    }
    for (const std::string& finding : report.findings)
        out << wrap("- " + finding, width, 0, 2);
    return out.str();
}

}  // namespace zctrace
