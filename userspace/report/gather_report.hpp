// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// The gather report (`zctrace gather`): its types and their JSON form
// (schema_version 1, reports/schema/gather.v1.schema.json). Three views of
// whether devices gather payload straight from the page cache: the devices'
// ethtool features, what every device transmitted and how it was held, and
// sendfile over a private veth pair with SG on and then off.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "report/json_optional.hpp"

namespace zctrace {

// 2: each interface's driver, and whether it is paravirtual.
inline constexpr int kGatherSchemaVersion = 2;

struct FeatureState {
    std::optional<bool> on;  // null: the device does not have the feature
    bool fixed = false;      // the driver does not let it change
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(FeatureState, on, fixed)

struct InterfaceFeatures {
    std::string name;
    int ifindex = 0;
    bool up = false;
    bool loopback = false;
    bool hardware = false;  // a bus device behind it (/sys/class/net/<name>/device)
    std::string driver;     // as ethtool -i names it; empty when the device reports none
    // A virtual machine's NIC (virtio_net, netvsc, vmxnet3, xen-netfront,
    // ...): the host's backend moves its data, not a DMA engine in the guest.
    bool paravirtual = false;
    FeatureState scatter_gather;  // tx-scatter-gather
    FeatureState tx_checksum;     // any of tx-checksum-ipv4, -ipv6, -ip-generic
    FeatureState tso;             // tx-tcp-segmentation
    FeatureState gso;             // tx-generic-segmentation
    bool zero_copy = false;       // sendfile/splice can leave without a CPU copy
    std::string reason;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(InterfaceFeatures, name, ifindex, up, loopback, hardware, driver, paravirtual, scatter_gather, tx_checksum, tso, gso, zero_copy, reason)

// What one device transmitted while observed, by how the payload was held.
struct ObservedDevice {
    std::string name;
    std::uint32_t ifindex = 0;
    std::uint64_t netns_inode = 0;
    bool this_namespace = false;  // zctrace's own; others are containers' (and zctrace's private ones)
    bool sg = false;  // NETIF_F_SG when its skbs went through
    std::uint64_t skbs = 0;
    std::uint64_t bytes = 0;
    std::uint64_t header_bytes = 0;
    std::uint64_t payload_bytes = 0;
    std::uint64_t shared_frag_bytes = 0;    // gathered from page-cache pages (sendfile, splice)
    std::uint64_t zerocopy_frag_bytes = 0;  // gathered from pinned user pages (MSG_ZEROCOPY)
    std::uint64_t copied_frag_bytes = 0;    // frags holding a copy the kernel made
    std::uint64_t linear_payload_bytes = 0; // payload in the linear area: copied
    double gathered_share = 0;              // (shared + zerocopy) / payload
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(ObservedDevice, name, ifindex, netns_inode, this_namespace, sg, skbs, bytes, header_bytes, payload_bytes, shared_frag_bytes, zerocopy_frag_bytes, copied_frag_bytes, linear_payload_bytes, gathered_share)

struct ObserveOverhead {
    std::uint64_t bpf_run_ns = 0;
    std::uint64_t events = 0;
    std::uint64_t missed_events = 0;
    double ns_per_event = 0;
    double share_of_cpu_time = 0;  // bpf_run_ns / (seconds x online CPUs)
    double attach_seconds = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(ObserveOverhead, bpf_run_ns, events, missed_events, ns_per_event, share_of_cpu_time, attach_seconds)

struct Observation {
    double seconds = 0;
    std::string probe;  // the hook and how it attached
    std::vector<ObservedDevice> devices;
    std::uint64_t unattributed_bytes = 0;  // devices that found their counter slot taken on a CPU
    ObserveOverhead overhead;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Observation, seconds, probe, devices, unattributed_bytes, overhead)

// One sendfile run of the self-test, as measured.
struct SelfTestRun {
    bool sg_requested = false;
    std::optional<bool> sg_read_back;  // NETIF_F_SG on the sender's end as the xmit probe saw it
    std::string theory_row;            // chosen from what was measured
    double cpu_copies = 0;
    std::uint64_t shared_frag_bytes = 0;
    std::uint64_t copied_bytes = 0;  // at sendmsg, linearized at xmit, and in copied frags
    std::uint64_t retransmit_relinearize_bytes = 0;
    double mib_per_second = 0;
    double cpu_seconds_per_gib = 0;
    bool integrity_ok = false;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(SelfTestRun, sg_requested, sg_read_back, theory_row, cpu_copies, shared_frag_bytes, copied_bytes, retransmit_relinearize_bytes, mib_per_second, cpu_seconds_per_gib, integrity_ok)

struct SelfTest {
    std::string technique = "sendfile";
    std::string transport = "veth";
    std::uint64_t payload_bytes = 0;
    SelfTestRun sg_on;
    SelfTestRun sg_off;
    bool gather_works = false;
    double cpu_cost_ratio = 0;  // sender CPU per GiB, SG off / SG on
    std::string verdict;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(SelfTest, technique, transport, payload_bytes, sg_on, sg_off, gather_works, cpu_cost_ratio, verdict)

struct GatherReport {
    int schema_version = kGatherSchemaVersion;
    std::string tool;
    std::string created_at;
    std::string kernel;
    std::vector<InterfaceFeatures> interfaces;
    std::optional<Observation> observation;
    std::optional<SelfTest> self_test;
    std::vector<std::string> findings;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(GatherReport, schema_version, tool, created_at, kernel, interfaces, observation, self_test, findings)

}  // namespace zctrace
