// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// `zctrace doctor`: what this kernel lets zctrace do, found by trying it.
// Tests read the same report to decide what they may skip.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace zctrace {

struct DoctorItem {
    std::string name;
    bool ok = false;
    bool required = true;  // zctrace cannot run without it
    std::string detail;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(DoctorItem, name, ok, required, detail)

struct DoctorReport {
    std::string kernel;
    std::string lockdown;
    std::vector<DoctorItem> system;       // privileges, BTF, tracefs, bpf_stats
    std::vector<DoctorItem> probe_types;  // tracepoint, raw_tp, tp_btf, fentry, kprobe, kfunc
    std::vector<DoctorItem> tracepoints;  // every hook zctrace attaches to
    bool can_run = false;
    std::vector<std::string> missing;  // what stops zctrace, in words
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(DoctorReport, kernel, lockdown, system, probe_types, tracepoints, can_run,
                                   missing)

DoctorReport run_doctor();

// How a doctor item's detail starts when the kernel lacks the feature (as
// opposed to zctrace or the setup failing): the tests skip only on this.
inline constexpr const char* kKernelLacks = "this kernel lacks ";

}  // namespace zctrace
