// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// Network namespaces, veth pairs and device features, through netlink
// (libmnl) and the SIOCETHTOOL ioctl: no `ip` or `ethtool` processes, and no
// command line is ever built.
#pragma once

#include <netinet/in.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "base/fd.hpp"

namespace zctrace {

// A network namespace, held by an fd. An anonymous namespace lives exactly as
// long as an fd or a process refers to it, so whatever way zctrace exits, its
// namespaces (and the veth ends inside them) go away with it.
class NetNamespace {
public:
    static Result<NetNamespace> create();  // a new, empty one; the caller stays where it was
    static Result<NetNamespace> current();
    [[nodiscard]] int fd() const { return fd_.get(); }

private:
    explicit NetNamespace(UniqueFd fd) : fd_(std::move(fd)) {}
    UniqueFd fd_;
};

// Moves the calling thread into a namespace until the scope ends. Sockets
// belong to the namespace they were created in, so code inside the scope
// creates its sockets there.
class NetnsScope {
public:
    static Result<NetnsScope> enter(const NetNamespace& target);
    NetnsScope(NetnsScope&& other) noexcept : previous_(std::move(other.previous_)) {}
    NetnsScope& operator=(NetnsScope&&) = delete;
    ~NetnsScope();

private:
    explicit NetnsScope(UniqueFd previous) : previous_(std::move(previous)) {}
    UniqueFd previous_;
};

// A veth pair between two namespaces, each end with an IPv4 address, up.
struct VethSpec {
    std::string name;       // in `ns`
    std::string peer_name;  // in `peer_ns`
    in_addr address{};
    in_addr peer_address{};
    int prefix_length = 30;
};
Result<void> create_veth(const VethSpec& spec, const NetNamespace& ns, const NetNamespace& peer_ns);

struct LinkInfo {
    int ifindex = 0;
    std::string name;
    unsigned flags = 0;  // IFF_*
};
// The links of the calling thread's namespace.
Result<std::vector<LinkInfo>> list_links();
Result<void> delete_link(int ifindex);

// Deletes links named like zctrace's ("zc<pid>t", "zc<pid>r") whose pid no
// longer runs, in the calling thread's namespace. Returns how many.
int sweep_stale_links();
// zctrace's names for one run's veth ends.
std::string veth_name(int pid, char side);

// One ethtool feature of a device ("tx-scatter-gather", ...), as
// `ethtool -k` shows it.
struct DeviceFeature {
    bool active = false;     // what the device does now
    bool requested = false;  // what was asked for
    bool fixed = false;      // cannot be changed ("[fixed]")
};
// Every feature of a device in the calling thread's namespace, by name.
Result<std::map<std::string, DeviceFeature>> read_device_features(const std::string& ifname);
// The features any one of which lets TCP leave the checksum to the device;
// without one, the kernel drops scatter-gather too.
inline constexpr const char* kTxChecksumFeatures[] = {"tx-checksum-ipv4", "tx-checksum-ip-generic",
                                                      "tx-checksum-ipv6"};

// The device's driver as `ethtool -i` names it ("virtio_net", "veth"); empty
// when the device has none to report (lo).
Result<std::string> read_device_driver(const std::string& ifname);

// What decides whether page-cache pages can leave a device uncopied.
struct Offloads {
    std::optional<bool> scatter_gather;  // null: the device reports no such feature
    std::optional<bool> tx_checksum;     // any of kTxChecksumFeatures active
};
Offloads offloads_of(const std::map<std::string, DeviceFeature>& features);

// The TCP counters that say why segments were sent again (Tcp: RetransSegs,
// TcpExt: TCPSACKReorder, TCPDSACKUndo, TCPTimeouts, TCPLostRetransmit, ...),
// from /proc/thread-self/net/{snmp,netstat}: those of the calling thread's
// network namespace, every socket in it included.
using TcpCounters = std::map<std::string, std::int64_t>;
Result<TcpCounters> read_tcp_counters();
// What changed between two readings, counters that did not change left out.
TcpCounters counter_delta(const TcpCounters& before, const TcpCounters& after);

// What a device says it sent, from /proc/thread-self/net/dev (the calling
// thread's namespace): every frame, whoever sent it.
struct DeviceTxCounters {
    std::uint64_t tx_packets = 0;
    std::uint64_t tx_bytes = 0;
};
Result<DeviceTxCounters> read_device_tx_counters(const std::string& ifname);

// ETHTOOL_SSG. The kernel drops what depends on SG (TSO) along with it.
Result<void> set_scatter_gather(const std::string& ifname, bool on);

}  // namespace zctrace
