// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "tracing/doctor.hpp"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>

#include "base/netns.hpp"
#include "base/system.hpp"
#include "bpf/features.skel.h"
#include "tracing/libbpf_log.hpp"

namespace zctrace {
namespace {

struct ProbeType {
    const char* name;
    const char* program;
    bool required;
    const char* why;
};

// Tries one program of features.bpf.c alone: load, attach, then make a syscall
// so the ones on sys_enter can show they fire.
DoctorItem try_program(const ProbeType& type)
{
    DoctorItem item{type.name, false, type.required, ""};
    std::unique_ptr<zc_features, void (*)(zc_features*)> skel(zc_features__open(), zc_features__destroy);
    if (!skel) {
        item.detail = Error::from_errno("cannot open the feature-probe object").describe();
        return item;
    }
    bpf_program* chosen = nullptr;
    bpf_program* prog;
    bpf_object__for_each_program(prog, skel->obj)
    {
        const bool wanted = std::string(bpf_program__name(prog)) == type.program;
        bpf_program__set_autoload(prog, wanted);
        if (wanted)
            chosen = prog;
    }
    if (zc_features__load(skel.get()) != 0) {
        item.detail = Error::from_errno("load failed").describe();
        take_libbpf_log();
        return item;
    }
    std::unique_ptr<bpf_link, int (*)(bpf_link*)> link(bpf_program__attach(chosen), bpf_link__destroy);
    if (!link) {
        item.detail = Error::from_errno("loaded, attach failed").describe();
        take_libbpf_log();
        return item;
    }
    item.ok = true;
    item.detail = std::string("loaded and attached (") + bpf_program__section_name(chosen) + ")";
    return item;
}

bool path_exists(const std::string& path)
{
    struct stat st{};
    return ::stat(path.c_str(), &st) == 0;
}

struct Hook {
    const char* name;      // as the report shows it
    const char* btf_name;  // btf_trace_<name> for tp_btf/raw_tp, or empty
    const char* tracefs;   // events/<category>/<name> for classic tracepoints, or empty
    bool required = true;  // false: zctrace runs without it and says what it loses
};

constexpr Hook kHooks[] = {
    {"raw_syscalls:sys_enter", "sys_enter", ""},
    {"raw_syscalls:sys_exit", "sys_exit", ""},
    {"sched:sched_process_fork", "sched_process_fork", ""},
    {"sched:sched_switch", "sched_switch", ""},
    {"exceptions:page_fault_user", "page_fault_user", ""},
    {"exceptions:page_fault_kernel", "page_fault_kernel", ""},
    {"filemap:mm_filemap_get_pages", "mm_filemap_get_pages", ""},
    {"filemap:mm_filemap_fault", "mm_filemap_fault", ""},
    {"filemap:mm_filemap_map_pages", "mm_filemap_map_pages", ""},
    {"filemap:mm_filemap_add_to_page_cache", "", "filemap/mm_filemap_add_to_page_cache"},
    {"kmem:rss_stat", "", "kmem/rss_stat"},
    {"tcp:tcp_sendmsg_locked", "tcp_sendmsg_locked", ""},
    {"net:net_dev_start_xmit", "net_dev_start_xmit", ""},
    {"tcp:tcp_retransmit_skb", "tcp_retransmit_skb", ""},
    {"sock:inet_sock_set_state", "inet_sock_set_state", ""},
    {"skb:skb_copy_datagram_iovec", "skb_copy_datagram_iovec", ""},
    {"net:netif_receive_skb", "netif_receive_skb", ""},
    {"block:block_bio_queue", "block_bio_queue", ""},
    // `trace`: io_uring requests' bytes (a kernel without io_uring has none to attribute)
    {"io_uring:io_uring_complete", "io_uring_complete", "", false},
};

}  // namespace

DoctorReport run_doctor()
{
    DoctorReport report;
    const KernelRelease release = kernel_release();
    report.kernel = release.release + " " + release.version;

    // Privileges first: without them every probe below fails for that reason.
    const Capabilities caps = check_capabilities();
    std::string missing_caps;
    for (const auto& cap : caps.missing)
        missing_caps += (missing_caps.empty() ? "" : ", ") + cap;
    report.system.push_back({"privileges", caps.missing.empty(), true,
                             caps.missing.empty() ? "CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN present"
                                                  : "missing " + missing_caps + "; run as root (sudo)"});

    const bool has_btf = path_exists("/sys/kernel/btf/vmlinux");
    report.system.push_back({"btf", has_btf, true,
                             has_btf ? "/sys/kernel/btf/vmlinux present"
                                 : "/sys/kernel/btf/vmlinux missing: the kernel needs CONFIG_DEBUG_INFO_BTF=y"});

    const Lockdown lockdown = read_lockdown();
    report.lockdown = lockdown.mode;
    report.system.push_back({"lockdown", true, false, lockdown.mode + (lockdown.detail.empty() ? "" : " (" + lockdown.detail + ")")});

    const PseudoMount tracefs = ensure_tracefs();
    report.system.push_back(
        {"tracefs", tracefs.available, true,
         tracefs.available ? tracefs.path + (tracefs.mounted_by_zctrace
                                                 ? " (mounted by zctrace in its private mount namespace)"
                                                 : " (already mounted)")
                           : "not available: " + tracefs.error});

    const int stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
    report.system.push_back({"bpf_stats", stats_fd >= 0, true,
                             stats_fd >= 0 ? "BPF_STATS_RUN_TIME can be enabled (per-program run time for overhead figures)"
                                           : Error::from_errno("bpf_enable_stats failed", -stats_fd).describe()});
    if (stats_fd >= 0)
        ::close(stats_fd);

    // Not needed to run, but it says how far the sampled probe cost can see.
    const PageTableIsolation isolation = read_page_table_isolation();
    const bool tlb_kept = !isolation.drops_kernel_tlb();
    report.system.push_back(
        {"tlb_across_kernel_entry", tlb_kept, false,
         tlb_kept ? (isolation.pti ? "page-table isolation with PCID: the kernel's TLB entries outlive each entry"
                                   : "no page-table isolation: the kernel's TLB entries outlive each entry")
                  : "page-table isolation without PCID: every kernel entry and exit drops the kernel's TLB "
                    "entries; refilling them as a probe starts is outside what the program can time, so "
                    "`--bpf-stats always` can read well above the sampled probe cost here (docs/tracing.md)"});

    // Not needed to run: without it `trace --pid` loads sys_exit's variant
    // that tests every task, as a thread of a running process cannot be marked.
    const bool thread_pidfds = thread_pidfds_supported();
    report.system.push_back(
        {"thread_pidfds", thread_pidfds, false,
         thread_pidfds ? "a pidfd can be opened for any thread (PIDFD_THREAD): `trace --pid` marks every thread, and "
                         "the syscall hooks let every unmarked task go at their first instruction"
                       : "no pidfd for a thread that is not a leader (PIDFD_THREAD, Linux 6.9): `trace --pid` tests "
                         "every task on the host at sys_exit, as before (docs/tracing.md)"});

    // --transport veth and gather's self-test: a throwaway pair inside a
    // throwaway namespace, gone when its fd closes.
    if (caps.missing.empty()) {
        std::string detail = "a veth pair in a private network namespace can be created (--transport veth, gather)";
        bool ok = false;
        // Only these errnos mean the kernel lacks the feature; anything else
        // is a fault (of zctrace or the setup) and must not read as "absent".
        auto lacks = [](const Error& error) { return error.code == EINVAL || error.code == EOPNOTSUPP; };
        if (auto ns = NetNamespace::create(); !ns) {
            detail = (lacks(ns.error()) ? kKernelLacks + std::string("network namespaces (CONFIG_NET_NS): ") : "") +
                     ns.error().describe();
        } else {
            VethSpec spec{"zcdoctor0", "zcdoctor1", {htonl(0xC6120001)}, {htonl(0xC6120002)}, 30};
            auto created = create_veth(spec, *ns, *ns);
            ok = static_cast<bool>(created);
            if (!created)
                detail = (lacks(created.error()) ? kKernelLacks + std::string("veth (CONFIG_VETH): ") : "") +
                         created.error().describe();
        }
        report.system.push_back({"veth", ok, false, detail});
    }

    if (caps.missing.empty()) {
        const ProbeType types[] = {
            {"tracepoint", "probe_tracepoint", true, "filemap events"},
            {"raw_tp", "probe_raw_tp", false, "fallback for tp_btf"},
            {"tp_btf", "probe_tp_btf", true, "typed tracepoints"},
            {"fentry", "probe_fentry", false, "not used"},
            {"kprobe", "probe_kprobe", false, "not used"},
            {"kfunc bpf_rdonly_cast", "probe_rdonly_cast", true, "skb_shared_info reads"},
        };
        for (const ProbeType& type : types)
            report.probe_types.push_back(try_program(type));
    }

    std::unique_ptr<struct btf, void (*)(struct btf*)> vmlinux(has_btf ? btf__load_vmlinux_btf() : nullptr, btf__free);
    for (const Hook& hook : kHooks) {
        DoctorItem item{hook.name, false, hook.required, ""};
        if (*hook.btf_name) {
            const std::string type = std::string("btf_trace_") + hook.btf_name;
            item.ok = vmlinux && btf__find_by_name_kind(vmlinux.get(), type.c_str(), BTF_KIND_TYPEDEF) > 0;
            item.detail = item.ok ? "in kernel BTF (" + type + ")" : type + " not in kernel BTF";
        } else {
            const std::string path = tracefs.path + "/events/" + hook.tracefs;
            item.ok = tracefs.available && path_exists(path);
            item.detail = item.ok ? path : path + " not found";
        }
        report.tracepoints.push_back(std::move(item));
    }

    for (const auto* group : {&report.system, &report.probe_types, &report.tracepoints})
        for (const DoctorItem& item : *group)
            if (item.required && !item.ok)
                report.missing.push_back(item.name + ": " + item.detail);
    if (!caps.missing.empty())
        report.missing.push_back("probe types: not tried without privileges");
    report.can_run = report.missing.empty();
    return report;
}

}  // namespace zctrace
