// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// Where one run's bytes travel: over lo, or over a veth pair between two
// private network namespaces, and the receiver's listening socket there.
#pragma once

#include <netinet/in.h>

#include <cstdint>
#include <optional>
#include <string>

#include "base/error.hpp"
#include "base/fd.hpp"
#include "base/netns.hpp"

namespace zctrace {

// Two private network namespaces joined by a veth pair, for one run: the
// sender's end is zc<pid>t, the receiver's zc<pid>r. Both ends live inside
// the namespaces, so the host's links, addresses and routes are untouched,
// concurrent runs cannot collide, and everything vanishes with the last fd
// or process that refers to the namespaces, however zctrace exits.
struct VethTestbed {
    NetNamespace sender_ns;
    NetNamespace receiver_ns;
    std::string sender_link;
    std::uint32_t sender_address = 0;  // host byte order
    std::uint32_t receiver_address = 0;
    bool sg = true;  // read back from the device after setting it
    Offloads offloads;  // the sender's end, read back after setting SG

    // Fails (as unsupported) when the sender's end does not take the
    // requested tx-scatter-gather.
    static Result<VethTestbed> create(bool scatter_gather);
};

// The network of one run: the testbed (veth only), the receiver's listening
// socket, bound in the receiver's namespace, and the device the sender's
// payload should leave through, with its offloads as read before the run.
struct RunNetwork {
    std::optional<VethTestbed> veth;  // empty: loopback
    std::string egress_device;        // "lo", or the sender's veth end
    Offloads egress_offloads;
    std::uint32_t receiver_address = INADDR_LOOPBACK;  // host byte order
    UniqueFd listener;
    std::uint16_t port = 0;

    static Result<RunNetwork> create(bool veth, bool scatter_gather);
    // Move the calling process into that side's namespace (a no-op on
    // loopback); for a freshly forked workload process.
    [[nodiscard]] bool enter_sender_namespace() const;
    [[nodiscard]] bool enter_receiver_namespace() const;
    // The TCP counters of the sender's namespace (lo: zctrace's own).
    [[nodiscard]] Result<TcpCounters> sender_tcp_counters() const;
    // veth: what the sender's end says it sent; null on lo, which the
    // whole host shares.
    [[nodiscard]] Result<std::optional<DeviceTxCounters>> sender_device_counters() const;
};

}  // namespace zctrace
