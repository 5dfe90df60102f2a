#include "cost_model.hpp"

#include "base/units.hpp"

namespace zctrace {

CostModel cost_model(const Report& report, const MachinePrices& machine)
{
    CostModel model;
    model.machine = machine;
    model.measured_seconds = report.workload.cpu_seconds;

    const Measured& m = report.measured;
    // cow's copies are its child's, which the sender's CPU time leaves out.
    const std::uint64_t copied = m.cpu_copy_bytes.total - std::min(m.cpu_copy_bytes.total,
                                                                   m.cpu_copy_bytes.copy_on_write);
    const std::uint64_t syscalls = m.syscalls.total;
    const std::uint64_t faults = m.page_faults.user + m.page_faults.kernel;
    const double gib_per_second = machine.memcpy_bytes_per_second / static_cast<double>(1ull << 30);

    auto add = [&](std::string part, double seconds, std::string basis) {
        const double share = model.measured_seconds > 0 ? seconds / model.measured_seconds : 0;
        model.parts.push_back(CostPart{std::move(part), seconds, share, std::move(basis)});
    };
    const double copies = machine.memcpy_bytes_per_second > 0
                              ? static_cast<double>(copied) / machine.memcpy_bytes_per_second
                              : 0;
    add("copies", copies, format_bytes(copied) + " copied by the CPU at " + format_fixed(gib_per_second, 1) +
                              " GiB/s (memcpy)");
    add("mode_switches", static_cast<double>(syscalls) * machine.syscall_round_trip_ns / 1e9,
        std::to_string(syscalls) + " syscalls × " + format_fixed(machine.syscall_round_trip_ns, 0) +
            " ns (a null syscall's round trip)");
    add("page_faults", static_cast<double>(faults) * machine.page_fault_ns / 1e9,
        std::to_string(faults) + " page faults × " + format_fixed(machine.page_fault_ns, 0) +
            " ns (a fresh page's fault)");
    for (const CostPart& part : model.parts)
        model.predicted_seconds += part.seconds;
    model.residual_seconds = model.measured_seconds - model.predicted_seconds;
    add("residual", model.residual_seconds,
        "what the syscalls did besides copying: the network stack, the page-cache walk, locking, the probes");
    return model;
}

}  // namespace zctrace
