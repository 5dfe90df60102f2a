// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "analysis/gather.hpp"

#include <net/if.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <thread>

#include "analysis/build_report.hpp"
#include "analysis/checks.hpp"
#include "analysis/theory.hpp"
#include "base/netns.hpp"
#include "base/signals.hpp"
#include "base/system.hpp"
#include "base/units.hpp"
#include "runs/workload_file.hpp"

namespace zctrace {
namespace {

FeatureState feature(const std::map<std::string, DeviceFeature>& features, const std::string& name)
{
    const auto found = features.find(name);
    if (found == features.end())
        return {};
    return {found->second.active, found->second.fixed};
}

// TCP over IPv4 and IPv6 needs one of these; the kernel drops SG without them.
FeatureState any_tx_checksum(const std::map<std::string, DeviceFeature>& features)
{
    FeatureState out;
    bool all_fixed = true;
    for (const char* name : kTxChecksumFeatures) {
        const FeatureState state = feature(features, name);
        if (!state.on)
            continue;
        out.on = out.on.value_or(false) || *state.on;
        all_fixed = all_fixed && state.fixed;
    }
    out.fixed = out.on.has_value() && all_fixed;
    return out;
}

// The drivers of virtual machines' NICs: their "DMA" is the host's backend
// copying or mapping guest memory, which the guest cannot see.
bool is_paravirtual_driver(std::string_view driver)
{
    for (std::string_view known : {"virtio_net", "hv_netvsc", "netvsc", "vmxnet3", "xen_netfront", "vif", "gve",
                                   "ibmveth"})
        if (driver == known)
            return true;
    return false;
}

bool has_bus_device(const std::string& name)
{
    std::error_code ec;
    return std::filesystem::exists("/sys/class/net/" + name + "/device", ec);
}

}  // namespace

void judge_zero_copy(InterfaceFeatures& device)
{
    const bool sg = device.scatter_gather.on.value_or(false);
    const bool csum = device.tx_checksum.on.value_or(false);
    device.zero_copy = sg && csum;
    if (!device.scatter_gather.on) {
        device.reason = "the device reports no ethtool features, so whether it can gather is unknown";
        device.zero_copy = false;
        return;
    }
    if (!sg) {
        device.reason = std::string("tx-scatter-gather is off") +
                        (device.scatter_gather.fixed ? " and fixed: the driver cannot gather"
                                                     : " (ethtool -K " + device.name + " sg on would enable it)") +
                        ", so the kernel copies the page-cache pages sendfile and splice queue into linear "
                        "buffers before the device sees them: one CPU copy per byte";
        return;
    }
    if (!csum) {
        device.reason = "scatter-gather is on but no TX checksum offload covers TCP; the kernel must checksum "
                        "(and so touch) the payload itself";
        return;
    }
    std::string how = "scatter-gather and TX checksum are on: skbs can carry page-cache pages as frags to the device";
    if (device.loopback)
        how += "; lo hands them to the receive path, so no DMA engine is involved";
    else if (device.paravirtual)
        how += "; " + device.driver + " is a paravirtual NIC: the host's backend moves its data, so zero-copy in "
               "this guest ends at the virtual device, and whether the host then copies or gathers is not visible "
               "from here";
    else if (device.hardware)
        how += "; a bus device is behind it, so the NIC can gather them by DMA (the seeds' \"DMA gather\"); "
               "--observe shows how much of its traffic does";
    else
        how += "; a software device with no bus device behind it, so nothing does DMA";
    if (!device.tso.on.value_or(false))
        how += "; TSO is off, so the kernel segments in software, still without copying payload";
    device.reason = how;
}

Result<std::vector<InterfaceFeatures>> read_interfaces(const std::vector<std::string>& names)
{
    auto links = list_links();
    if (!links)
        return links.error();
    for (const std::string& name : names)
        if (std::none_of(links->begin(), links->end(), [&](const LinkInfo& link) { return link.name == name; })) {
            std::string known;
            for (const LinkInfo& link : *links)
                known += (known.empty() ? "" : ", ") + link.name;
            return Error{ENODEV, "no interface named '" + name + "' in this network namespace; it has: " + known,
                         ErrorKind::bad_input};
        }
    std::vector<InterfaceFeatures> out;
    for (const LinkInfo& link : *links) {
        const bool up = (link.flags & IFF_UP) != 0;
        const bool named = std::find(names.begin(), names.end(), link.name) != names.end();
        if (names.empty() ? !up : !named)
            continue;
        InterfaceFeatures device;
        device.name = link.name;
        device.ifindex = link.ifindex;
        device.up = up;
        device.loopback = (link.flags & IFF_LOOPBACK) != 0;
        device.hardware = !device.loopback && has_bus_device(link.name);
        // Some virtual devices answer no ethtool query; they keep an empty driver.
        if (auto driver = read_device_driver(link.name))
            device.driver = *driver;
        device.paravirtual = is_paravirtual_driver(device.driver);
        // Some virtual devices answer no ethtool query; they keep "absent".
        if (auto features = read_device_features(link.name)) {
            device.scatter_gather = feature(*features, "tx-scatter-gather");
            device.tx_checksum = any_tx_checksum(*features);
            device.tso = feature(*features, "tx-tcp-segmentation");
            device.gso = feature(*features, "tx-generic-segmentation");
        }
        judge_zero_copy(device);
        out.push_back(std::move(device));
    }
    return out;
}

Result<Observation> observe_transmits(double seconds, const std::vector<std::string>& names,
                                      const std::function<void(const XmitObserver&)>& on_attached)
{
    auto observer = XmitObserver::attach();
    if (!observer)
        return observer.error();
    if (on_attached)
        on_attached(**observer);
    const auto start = std::chrono::steady_clock::now();
    const auto until = start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                   std::chrono::duration<double>(seconds));
    while (std::chrono::steady_clock::now() < until) {
        if (interrupted())
            return interruption();
        const std::chrono::steady_clock::duration tick = std::chrono::milliseconds(50);
        std::this_thread::sleep_for(std::min(tick, until - std::chrono::steady_clock::now()));
    }
    auto traffic = (*observer)->read();
    if (!traffic)
        return traffic.error();
    auto unattributed = (*observer)->unattributed_bytes();
    if (!unattributed)
        return unattributed.error();
    struct stat own_netns{};
    if (::stat("/proc/self/ns/net", &own_netns) != 0)
        return Error::from_errno("cannot read this process's network namespace");

    Observation observation;
    observation.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const AttachedProbe& probe = (*observer)->probes().front();
    observation.probe = probe.attach_type + "/" + probe.hook;
    for (const DeviceTraffic& device : *traffic) {
        const bool here = device.netns == own_netns.st_ino;
        if (!names.empty() && (!here || std::find(names.begin(), names.end(), device.name) == names.end()))
            continue;
        ObservedDevice seen;
        seen.name = device.name;
        seen.ifindex = device.ifindex;
        seen.netns_inode = device.netns;
        seen.this_namespace = here;
        seen.sg = device.sg;
        seen.skbs = device.skbs;
        seen.bytes = device.bytes;
        seen.header_bytes = device.header_bytes;
        seen.payload_bytes = device.payload_bytes;
        seen.shared_frag_bytes = device.shared_frag_bytes;
        seen.zerocopy_frag_bytes = device.zerocopy_frag_bytes;
        seen.copied_frag_bytes = device.copied_frag_bytes;
        seen.linear_payload_bytes = device.linear_payload_bytes;
        seen.gathered_share =
            ratio(static_cast<double>(seen.shared_frag_bytes + seen.zerocopy_frag_bytes), seen.payload_bytes);
        observation.devices.push_back(std::move(seen));
    }
    observation.unattributed_bytes = *unattributed;
    ObserveOverhead& overhead = observation.overhead;
    for (const ProgramStats& program : (*observer)->program_stats()) {
        overhead.bpf_run_ns += program.run_ns;
        overhead.events += program.run_count;
        overhead.missed_events += program.recursion_misses;
    }
    overhead.ns_per_event = ratio(overhead.bpf_run_ns, overhead.events);
    const long cpus = std::max(1L, ::sysconf(_SC_NPROCESSORS_ONLN));
    overhead.share_of_cpu_time = ratio(overhead.bpf_run_ns, observation.seconds * 1e9 * cpus);
    overhead.attach_seconds = (*observer)->attach_seconds();
    return observation;
}

SelfTestRun self_test_run(const Report& report)
{
    const Measured& m = report.measured;
    SelfTestRun run;
    run.sg_requested = report.environment.sg_requested.value_or(true);
    run.sg_read_back = report.environment.device_sg;
    // The row the copies match, not the one expected: the self-test is
    // about what happened.
    const auto& measured_row = report.theory_row_selection.measured;
    const TheoryRow* row = measured_row ? find_theory_row(*measured_row) : nullptr;
    run.theory_row = row ? row->name : "none (" + format_figure(m.cpu_copies, 3) + " copies)";
    run.cpu_copies = m.cpu_copies;
    run.shared_frag_bytes = m.socket.shared_frag_bytes;
    run.copied_bytes = copied_on_the_way_out(m);
    run.retransmit_relinearize_bytes = m.cpu_copy_bytes.retransmit_relinearize;
    run.mib_per_second = report.workload.mib_per_second;
    run.cpu_seconds_per_gib = report.workload.cpu_seconds_per_gib;
    run.integrity_ok = report.workload.integrity.ok;
    return run;
}

void judge_self_test(SelfTest& test)
{
    const SelfTestRun& on = test.sg_on;
    const SelfTestRun& off = test.sg_off;
    const std::string payload = format_bytes(test.payload_bytes);
    test.cpu_cost_ratio = ratio(off.cpu_seconds_per_gib, on.cpu_seconds_per_gib);
    // Nearly all rather than all: a run can have a few segments the xmit
    // probe never saw (reported as a finding in the run's own report).
    const double payload_bytes = static_cast<double>(test.payload_bytes);
    test.gather_works = on.integrity_ok && off.integrity_ok && on.shared_frag_bytes >= 0.98 * payload_bytes &&
                        on.copied_bytes <= 0.02 * payload_bytes && off.shared_frag_bytes == 0 &&
                        off.copied_bytes >= 0.98 * payload_bytes;
    if (!on.integrity_ok || !off.integrity_ok) {
        test.verdict = "the self-test lost or corrupted data, so it shows nothing about gather";
        return;
    }
    if (test.gather_works) {
        test.verdict = "gather works on this kernel: with SG on, sendfile's " + payload + " left as " +
                       format_bytes(on.shared_frag_bytes) + " of page-cache frags and the CPU copied " +
                       format_bytes(on.copied_bytes) + " (\"" + on.theory_row + "\", " +
                       format_fixed(on.cpu_copies) + " copies). Without SG the kernel copied " +
                       format_bytes(off.copied_bytes) + " (\"" + off.theory_row + "\", " +
                       format_fixed(off.cpu_copies) + " copies), and the sender spent " +
                       format_fixed(off.cpu_seconds_per_gib, 3) + " s of CPU per GiB instead of " +
                       format_fixed(on.cpu_seconds_per_gib, 3) + " (" + format_fixed(test.cpu_cost_ratio, 1) +
                       "x) at " + format_fixed(off.mib_per_second, 0) + " instead of " +
                       format_fixed(on.mib_per_second, 0) +
                       " MiB/s. veth has no DMA engine: this proves the kernel's half of gather; the interfaces "
                       "above show which devices can do the NIC's half";
        return;
    }
    test.verdict = "gather did not behave as the kernel's design says: with SG on " +
                   format_bytes(on.shared_frag_bytes) + " left as page-cache frags and " +
                   format_bytes(on.copied_bytes) + " were copied; with SG off " + format_bytes(off.shared_frag_bytes) +
                   " left as page-cache frags and " + format_bytes(off.copied_bytes) + " were copied";
}

Result<SelfTest> run_self_test(std::uint64_t size, const SessionHooks& hooks)
{
    auto dir = WorkDir::create();
    if (!dir)
        return dir.error();
    auto file = create_workload_file(dir->path(), size, 1);
    if (!file)
        return file.error();
    const HostFacts host = gather_host_facts();
    SelfTest test;
    test.payload_bytes = size;
    for (const bool sg : {true, false}) {
        const RunSpec spec{Technique::sendfile, 64 * 1024, CacheState::warm, ProbeFlavor::typed, Transport::veth, sg};
        auto observation = run_technique(spec, *file, hooks);
        if (!observation)
            return observation.error();
        if (interrupted())
            return interruption();
        (sg ? test.sg_on : test.sg_off) = self_test_run(build_report(*observation, host));
    }
    judge_self_test(test);
    return test;
}

}  // namespace zctrace
