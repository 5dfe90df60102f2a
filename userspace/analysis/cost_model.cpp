// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "cost_model.hpp"

#include <optional>
#include <string>

#include "base/units.hpp"

namespace zctrace {
namespace {

// The parts of one process's measured CPU time: each count at its price,
// and the residual. Faults are priced only where they were counted.
struct Priced {
    std::vector<CostPart> parts;
    double predicted = 0;
    double residual = 0;
};

Priced price(double measured, std::uint64_t copied, std::uint64_t syscalls, std::optional<std::uint64_t> faults,
             const MachineCosts& machine, const std::string& rest)
{
    Priced out;
    auto add = [&](std::string part, double seconds, std::string basis) {
        out.parts.push_back(CostPart{std::move(part), seconds, measured > 0 ? seconds / measured : 0, std::move(basis)});
    };
    const double gib_per_second = machine.memcpy_bytes_per_second / static_cast<double>(1ull << 30);
    add("copies",
        machine.memcpy_bytes_per_second > 0 ? static_cast<double>(copied) / machine.memcpy_bytes_per_second : 0,
        format_bytes(copied) + " copied by the CPU at " + format_fixed(gib_per_second, 1) + " GiB/s (memcpy)");
    add("mode_switches", static_cast<double>(syscalls) * machine.syscall_round_trip_ns / 1e9,
        std::to_string(syscalls) + " syscalls × " + format_fixed(machine.syscall_round_trip_ns, 0) +
            " ns (a null syscall's round trip)");
    if (faults)
        add("page_faults", static_cast<double>(*faults) * machine.page_fault_ns / 1e9,
            std::to_string(*faults) + " page faults × " + format_fixed(machine.page_fault_ns, 0) +
                " ns (a fresh page's fault)");
    for (const CostPart& part : out.parts)
        out.predicted += part.seconds;
    out.residual = measured - out.predicted;
    add("residual", out.residual, rest);
    return out;
}

}  // namespace

CostModel cost_model(const Report& report, const MachineCosts& machine)
{
    CostModel model;
    model.machine = machine;
    model.measured_seconds = report.workload.cpu_seconds;

    const Measured& m = report.measured;
    // cow's copies are its child's, which the sender's CPU time leaves out.
    const std::uint64_t copied = m.cpu_copy_bytes.total - std::min(m.cpu_copy_bytes.total,
                                                                   m.cpu_copy_bytes.copy_on_write);
    Priced sender = price(model.measured_seconds, copied, m.syscalls.total, m.page_faults.user + m.page_faults.kernel,
                          machine,
                          "what the syscalls did besides copying: the network stack (over lo, the receiving side's "
                          "softirq too), the page-cache walk, locking, the probes");
    model.parts = std::move(sender.parts);
    model.predicted_seconds = sender.predicted;
    model.residual_seconds = sender.residual;

    // Techniques that send have a receiver, which checks what arrived.
    if (report.workload.integrity.verified_by.rfind("receiver", 0) == 0) {
        const auto& zerocopy = report.workload.receiver_zerocopy;
        const std::uint64_t calls = m.receiver.recv_calls + (zerocopy ? zerocopy->calls : 0);
        Priced receiving = price(report.workload.receiver_cpu_seconds, m.receiver.copy_bytes, calls, std::nullopt,
                                 machine,
                                 "the receive calls' own work, its start and accept; its page faults are not "
                                 "counted, and over lo most of the receiving TCP stack ran in the sender");
        model.receiver = ReceiverCost{report.workload.receiver_cpu_seconds, receiving.predicted, receiving.residual,
                                      std::move(receiving.parts)};
    }
    return model;
}

}  // namespace zctrace
