// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "runs/testbed.hpp"

#include <arpa/inet.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <utility>

namespace zctrace {
namespace {

// The receiver's listening socket on `address` (host byte order), in the
// calling thread's network namespace.
Result<std::pair<UniqueFd, std::uint16_t>> listen_on(std::uint32_t address)
{
    UniqueFd sock(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!sock.valid())
        return Error::from_errno("cannot create the receiver's socket");
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(address);
    socklen_t length = sizeof addr;
    if (::bind(sock.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(sock.get(), 1) != 0 ||
        ::getsockname(sock.get(), reinterpret_cast<sockaddr*>(&addr), &length) != 0)
        return Error::from_errno("cannot listen on " + std::string(::inet_ntoa(addr.sin_addr)));
    return std::pair{std::move(sock), ntohs(addr.sin_port)};
}

}  // namespace

Result<VethTestbed> VethTestbed::create(bool scatter_gather)
{
    auto sender_ns = NetNamespace::create();
    auto receiver_ns = NetNamespace::create();
    if (!sender_ns)
        return sender_ns.error();
    if (!receiver_ns)
        return receiver_ns.error();
    // 198.18.0.0/15 is set aside for benchmarking (RFC 2544); inside
    // private namespaces any fixed pair would do.
    VethSpec spec;
    spec.name = veth_name(::getpid(), 't');
    spec.peer_name = veth_name(::getpid(), 'r');
    ::inet_pton(AF_INET, "198.18.0.1", &spec.address);
    ::inet_pton(AF_INET, "198.18.0.2", &spec.peer_address);
    if (auto created = create_veth(spec, *sender_ns, *receiver_ns); !created)
        return created.error();

    auto scope = NetnsScope::enter(*sender_ns);
    if (!scope)
        return scope.error();
    if (auto set = set_scatter_gather(spec.name, scatter_gather); !set)
        return Error(set.error()).as(ErrorKind::unsupported);
    auto features = read_device_features(spec.name);
    if (!features)
        return features.error();
    const auto sg = features->find("tx-scatter-gather");
    if (sg == features->end() || sg->second.active != scatter_gather)
        return Error{0, spec.name + " did not take tx-scatter-gather " + (scatter_gather ? "on" : "off"),
                     ErrorKind::unsupported};
    return VethTestbed{std::move(*sender_ns), std::move(*receiver_ns), spec.name,
                       ntohl(spec.address.s_addr),  ntohl(spec.peer_address.s_addr), scatter_gather,
                       offloads_of(*features)};
}

Result<RunNetwork> RunNetwork::create(bool veth, bool scatter_gather)
{
    RunNetwork network;
    if (veth) {
        auto testbed = VethTestbed::create(scatter_gather);
        if (!testbed)
            return testbed.error();
        network.veth.emplace(std::move(testbed.value()));
        network.receiver_address = network.veth->receiver_address;
        network.egress_device = network.veth->sender_link;
        network.egress_offloads = network.veth->offloads;
    } else {
        // The sender connects to 127.0.0.1, which routes through lo.
        network.egress_device = "lo";
        auto features = read_device_features("lo");
        if (!features)
            return Error(features.error()).context("reading lo's offloads before the run");
        network.egress_offloads = offloads_of(*features);
    }
    auto listener = [&]() -> Result<std::pair<UniqueFd, std::uint16_t>> {
        if (!network.veth)
            return listen_on(network.receiver_address);
        auto scope = NetnsScope::enter(network.veth->receiver_ns);
        if (!scope)
            return scope.error();
        return listen_on(network.receiver_address);
    }();
    if (!listener)
        return listener.error();
    network.listener = std::move(listener->first);
    network.port = listener->second;
    return network;
}

bool RunNetwork::enter_sender_namespace() const
{
    return !veth || ::setns(veth->sender_ns.fd(), CLONE_NEWNET) == 0;
}

Result<TcpCounters> RunNetwork::sender_tcp_counters() const
{
    if (!veth)
        return read_tcp_counters();
    auto scope = NetnsScope::enter(veth->sender_ns);
    if (!scope)
        return scope.error();
    return read_tcp_counters();
}

Result<std::optional<DeviceTxCounters>> RunNetwork::sender_device_counters() const
{
    if (!veth)
        return std::optional<DeviceTxCounters>{};
    auto scope = NetnsScope::enter(veth->sender_ns);
    if (!scope)
        return scope.error();
    auto counters = read_device_tx_counters(veth->sender_link);
    if (!counters)
        return counters.error();
    return std::optional<DeviceTxCounters>{*counters};
}

bool RunNetwork::enter_receiver_namespace() const
{
    return !veth || ::setns(veth->receiver_ns.fd(), CLONE_NEWNET) == 0;
}

}  // namespace zctrace
