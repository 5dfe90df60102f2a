// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// Shared by the tests that load the probes: skips decided from `zctrace
// doctor`, and one workload file per test binary for the probes to filter on.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <optional>
#include <stdexcept>
#include <string>

#include "base/system.hpp"
#include "runs/workload_file.hpp"
#include "tracing/doctor.hpp"
#include "tracing/libbpf_log.hpp"

namespace zctrace::test {

inline constexpr std::uint64_t kMiB = 1u << 20;
// The payload of the runs that check one thing each: tens of segments, a
// fraction of a second.
inline constexpr std::uint64_t kPayload = 16 * kMiB;

// Missing privileges are a broken test setup, so they fail; a kernel that
// lacks something zctrace needs is a reason to skip, printed.
inline std::optional<std::string> bpf_unavailable()
{
    // libbpf's messages about the probe types doctor tries and this kernel
    // refuses (fentry, kprobe here) are expected; keep them for failures.
    static const DoctorReport doctor = (install_libbpf_logger(false), run_doctor());
    if (!check_capabilities().missing.empty())
        return std::string("privileges");
    if (!doctor.can_run) {
        std::string reasons;
        for (const auto& reason : doctor.missing)
            reasons += reason + "; ";
        return reasons;
    }
    return std::nullopt;
}

// Whether doctor could build a veth pair in a private namespace.
inline std::optional<std::string> veth_unavailable()
{
    static const DoctorReport doctor = run_doctor();
    for (const DoctorItem& item : doctor.system)
        if (item.name == "veth" && !item.ok && item.detail.rfind(kKernelLacks, 0) == 0)
            return item.detail;
    return std::nullopt;
}

// CI sets ZCTRACE_REQUIRE_BPF=1: there, a test that would skip for lack of
// BPF or veth fails instead, so a broken setup cannot pass as "skipped".
inline bool skipping_forbidden()
{
    const char* required = std::getenv("ZCTRACE_REQUIRE_BPF");
    return required && std::string(required) == "1";
}

#define ZC_SKIP_UNLESS_REQUIRED(message)                                                  \
    do {                                                                                  \
        if (::zctrace::test::skipping_forbidden())                                        \
            FAIL() << "ZCTRACE_REQUIRE_BPF=1, yet " << message;                           \
        GTEST_SKIP() << message;                                                          \
    } while (0)

#define ZC_REQUIRE_VETH()                                                                 \
    do {                                                                                  \
        if (auto reason = ::zctrace::test::veth_unavailable())                            \
            ZC_SKIP_UNLESS_REQUIRED("this kernel cannot build a veth pair: " + *reason);  \
    } while (0)

#define ZC_REQUIRE_BPF()                                                                  \
    do {                                                                                  \
        if (auto reason = ::zctrace::test::bpf_unavailable()) {                           \
            if (*reason == "privileges")                                                  \
                FAIL() << "the eBPF tests must run as root (CAP_BPF, CAP_PERFMON, CAP_SYS_ADMIN)"; \
            ZC_SKIP_UNLESS_REQUIRED("this kernel cannot run zctrace: " + *reason);        \
        }                                                                                 \
    } while (0)

// One workload file per test binary: creating it is the slow part.
inline const WorkloadFile& shared_file(std::uint64_t size)
{
    static std::optional<WorkDir> dir;
    static std::optional<WorkloadFile> file;
    if (!file || file->size != size) {
        if (!dir) {
            auto created = WorkDir::create();
            if (!created)
                throw std::runtime_error(created.error().describe());
            dir.emplace(std::move(created.value()));
        }
        auto made = create_workload_file(dir->path(), size, 7);
        if (!made)
            throw std::runtime_error(made.error().describe());
        file = std::move(made.value());
    }
    return *file;
}

}  // namespace zctrace::test
