// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "base/netns.hpp"

#include <libmnl/libmnl.h>
#include <linux/ethtool.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>
#include <linux/veth.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fcntl.h>

#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <memory>
#include <sstream>
#include <vector>

namespace zctrace {

// ---- namespaces ----

Result<NetNamespace> NetNamespace::current()
{
    UniqueFd fd(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
    if (!fd.valid())
        return Error::from_errno("cannot open this thread's network namespace");
    return NetNamespace(std::move(fd));
}

Result<NetNamespace> NetNamespace::create()
{
    auto original = current();
    if (!original)
        return original.error();
    if (::unshare(CLONE_NEWNET) != 0)
        return Error::from_errno("cannot create a network namespace", errno).as(ErrorKind::unsupported);
    auto created = current();
    // Back where we were before anything else can go wrong.
    if (::setns(original->fd(), CLONE_NEWNET) != 0)
        std::abort();  // a thread stuck in the wrong namespace would measure the wrong thing
    return created;
}

Result<NetnsScope> NetnsScope::enter(const NetNamespace& target)
{
    UniqueFd previous(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
    if (!previous.valid())
        return Error::from_errno("cannot open this thread's network namespace");
    if (::setns(target.fd(), CLONE_NEWNET) != 0)
        return Error::from_errno("cannot enter a network namespace");
    return NetnsScope(std::move(previous));
}

NetnsScope::~NetnsScope()
{
    if (previous_.valid() && ::setns(previous_.get(), CLONE_NEWNET) != 0)
        std::abort();
}

// ---- rtnetlink ----

namespace {

using MnlSocket = std::unique_ptr<mnl_socket, int (*)(mnl_socket*)>;

Result<MnlSocket> open_rtnetlink()
{
    MnlSocket sock(mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC), mnl_socket_close);
    if (!sock)
        return Error::from_errno("cannot open a netlink socket");
    if (mnl_socket_bind(sock.get(), 0, MNL_SOCKET_AUTOPID) < 0)
        return Error::from_errno("cannot bind a netlink socket");
    return sock;
}

// Sends one request and runs `callback` on every reply until the kernel's
// ack (or the end of a dump). Returns the kernel's error, if any.
Result<void> transact(mnl_socket* sock, nlmsghdr* request, const std::string& what,
                      mnl_cb_t callback = nullptr, void* data = nullptr)
{
    const unsigned seq = static_cast<unsigned>(::time(nullptr));
    request->nlmsg_seq = seq;
    if (mnl_socket_sendto(sock, request, request->nlmsg_len) < 0)
        return Error::from_errno("cannot send the netlink request to " + what);
    const unsigned portid = mnl_socket_get_portid(sock);
    // A dump message for a link with many VFs or names outgrows 4 KiB;
    // libmnl >= 1.0.5 calls this MNL_SOCKET_DUMP_SIZE, Debian 12 has 1.0.4.
    constexpr std::size_t kDumpBufferSize = 32768;
    std::vector<char> buffer(kDumpBufferSize);
    for (;;) {
        const ssize_t n = mnl_socket_recvfrom(sock, buffer.data(), buffer.size());
        if (n < 0)
            return Error::from_errno("no netlink answer to " + what);
        const int ret = mnl_cb_run(buffer.data(), static_cast<size_t>(n), seq, portid, callback, data);
        if (ret < 0)
            return Error::from_errno("cannot " + what);
        if (ret == MNL_CB_STOP)
            return {};
    }
}

nlmsghdr* start_message(char* buffer, std::uint16_t type, std::uint16_t flags)
{
    nlmsghdr* nlh = mnl_nlmsg_put_header(buffer);
    nlh->nlmsg_type = type;
    nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
    return nlh;
}

Result<void> set_up_in(const NetNamespace& ns, const std::string& ifname, in_addr address, int prefix)
{
    auto scope = NetnsScope::enter(ns);
    if (!scope)
        return scope.error();
    auto sock = open_rtnetlink();  // created here, so it speaks for this namespace
    if (!sock)
        return sock.error();
    const unsigned ifindex = ::if_nametoindex(ifname.c_str());
    if (ifindex == 0)
        return Error::from_errno("no link " + ifname + " in its namespace");

    std::vector<char> buffer(MNL_SOCKET_BUFFER_SIZE);
    nlmsghdr* nlh = start_message(buffer.data(), RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
    auto* ifa = static_cast<ifaddrmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifaddrmsg)));
    ifa->ifa_family = AF_INET;
    ifa->ifa_prefixlen = static_cast<unsigned char>(prefix);
    ifa->ifa_index = ifindex;
    mnl_attr_put(nlh, IFA_LOCAL, sizeof address, &address);
    mnl_attr_put(nlh, IFA_ADDRESS, sizeof address, &address);
    if (auto added = transact(sock->get(), nlh, "add an address to " + ifname); !added)
        return added;

    nlh = start_message(buffer.data(), RTM_NEWLINK, 0);
    auto* ifi = static_cast<ifinfomsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifinfomsg)));
    ifi->ifi_family = AF_UNSPEC;
    ifi->ifi_index = static_cast<int>(ifindex);
    ifi->ifi_flags = IFF_UP;
    ifi->ifi_change = IFF_UP;
    return transact(sock->get(), nlh, "bring " + ifname + " up");
}

int collect_link(const nlmsghdr* nlh, void* data)
{
    auto* links = static_cast<std::vector<LinkInfo>*>(data);
    const auto* ifi = static_cast<const ifinfomsg*>(mnl_nlmsg_get_payload(nlh));
    LinkInfo link;
    link.ifindex = ifi->ifi_index;
    link.flags = ifi->ifi_flags;
    // mnl_attr_for_each, spelled out: its macro does not compile as C++.
    for (auto* attr = static_cast<const nlattr*>(mnl_nlmsg_get_payload_offset(nlh, sizeof(*ifi)));
         mnl_attr_ok(attr, static_cast<int>(static_cast<const char*>(mnl_nlmsg_get_payload_tail(nlh)) -
                                           reinterpret_cast<const char*>(attr)));
         attr = mnl_attr_next(attr)) {
        if (mnl_attr_get_type(attr) == IFLA_IFNAME)
            link.name = mnl_attr_get_str(attr);
    }
    links->push_back(std::move(link));
    return MNL_CB_OK;
}

}  // namespace

Result<void> create_veth(const VethSpec& spec, const NetNamespace& ns, const NetNamespace& peer_ns)
{
    auto sock = open_rtnetlink();
    if (!sock)
        return sock.error();
    std::vector<char> buffer(MNL_SOCKET_BUFFER_SIZE);
    nlmsghdr* nlh = start_message(buffer.data(), RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
    auto* ifi = static_cast<ifinfomsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifinfomsg)));
    ifi->ifi_family = AF_UNSPEC;
    mnl_attr_put_strz(nlh, IFLA_IFNAME, spec.name.c_str());
    mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, static_cast<std::uint32_t>(ns.fd()));
    nlattr* linkinfo = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
    mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
    nlattr* data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
    nlattr* peer = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
    // The peer attribute starts with its own ifinfomsg.
    std::memset(mnl_nlmsg_get_payload_tail(nlh), 0, sizeof(ifinfomsg));
    nlh->nlmsg_len += MNL_ALIGN(sizeof(ifinfomsg));
    mnl_attr_put_strz(nlh, IFLA_IFNAME, spec.peer_name.c_str());
    mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, static_cast<std::uint32_t>(peer_ns.fd()));
    mnl_attr_nest_end(nlh, peer);
    mnl_attr_nest_end(nlh, data);
    mnl_attr_nest_end(nlh, linkinfo);
    if (auto created = transact(sock->get(), nlh, "create the veth pair " + spec.name + "/" + spec.peer_name);
        !created)
        return Error(created.error()).as(ErrorKind::unsupported);
    if (auto up = set_up_in(ns, spec.name, spec.address, spec.prefix_length); !up)
        return up;
    return set_up_in(peer_ns, spec.peer_name, spec.peer_address, spec.prefix_length);
}

Result<std::vector<LinkInfo>> list_links()
{
    auto sock = open_rtnetlink();
    if (!sock)
        return sock.error();
    std::vector<char> buffer(MNL_SOCKET_BUFFER_SIZE);
    nlmsghdr* nlh = mnl_nlmsg_put_header(buffer.data());
    nlh->nlmsg_type = RTM_GETLINK;
    nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    auto* gen = static_cast<rtgenmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(rtgenmsg)));
    gen->rtgen_family = AF_PACKET;
    std::vector<LinkInfo> links;
    if (auto dumped = transact(sock->get(), nlh, "list the links", collect_link, &links); !dumped)
        return dumped.error();
    return links;
}

Result<void> delete_link(int ifindex)
{
    auto sock = open_rtnetlink();
    if (!sock)
        return sock.error();
    std::vector<char> buffer(MNL_SOCKET_BUFFER_SIZE);
    nlmsghdr* nlh = start_message(buffer.data(), RTM_DELLINK, 0);
    auto* ifi = static_cast<ifinfomsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifinfomsg)));
    ifi->ifi_family = AF_UNSPEC;
    ifi->ifi_index = ifindex;
    return transact(sock->get(), nlh, "delete link " + std::to_string(ifindex));
}

std::string veth_name(int pid, char side)
{
    return "zc" + std::to_string(pid) + side;
}

int sweep_stale_links()
{
    auto links = list_links();
    if (!links)
        return 0;
    int removed = 0;
    for (const LinkInfo& link : *links) {
        const std::string& name = link.name;
        if (name.size() < 4 || name.rfind("zc", 0) != 0 || (name.back() != 't' && name.back() != 'r'))
            continue;
        const std::string digits = name.substr(2, name.size() - 3);
        if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos)
            continue;
        const pid_t pid = static_cast<pid_t>(std::atol(digits.c_str()));
        if (::kill(pid, 0) == 0 || errno == EPERM)
            continue;
        removed += delete_link(link.ifindex) ? 1 : 0;
    }
    return removed;
}

// ---- ethtool ----

namespace {

Result<void> ethtool(const std::string& ifname, void* command, const std::string& what)
{
    UniqueFd sock(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!sock.valid())
        return Error::from_errno("cannot open a socket for ethtool");
    ifreq request{};
    if (ifname.size() >= sizeof request.ifr_name)
        return Error{EINVAL, "interface name too long: " + ifname, ErrorKind::bad_input};
    std::strncpy(request.ifr_name, ifname.c_str(), sizeof request.ifr_name - 1);
    request.ifr_data = static_cast<char*>(command);
    if (::ioctl(sock.get(), SIOCETHTOOL, &request) != 0)
        return Error::from_errno("cannot " + what + " of " + ifname + " (SIOCETHTOOL)");
    return {};
}

}  // namespace

Result<std::string> read_device_driver(const std::string& ifname)
{
    ethtool_drvinfo info{};
    info.cmd = ETHTOOL_GDRVINFO;
    if (auto got = ethtool(ifname, &info, "read the driver"); !got) {
        if (got.error().code == EOPNOTSUPP)
            return std::string();
        return got.error();
    }
    return std::string(info.driver, strnlen(info.driver, sizeof info.driver));
}

Result<std::map<std::string, DeviceFeature>> read_device_features(const std::string& ifname)
{
    // How many feature names there are, then the names, then the bits.
    // ethtool_sset_info ends in a flexible array that receives the count.
    alignas(ethtool_sset_info) char sset_buffer[sizeof(ethtool_sset_info) + sizeof(std::uint32_t)] = {};
    auto* sset = reinterpret_cast<ethtool_sset_info*>(sset_buffer);
    sset->cmd = ETHTOOL_GSSET_INFO;
    sset->sset_mask = 1ull << ETH_SS_FEATURES;
    if (auto got = ethtool(ifname, sset, "count the features"); !got)
        return got.error();
    const std::uint32_t count = sset->sset_mask ? sset->data[0] : 0;
    if (count == 0)
        return std::map<std::string, DeviceFeature>{};

    std::vector<char> strings_buffer(sizeof(ethtool_gstrings) + count * ETH_GSTRING_LEN);
    auto* strings = reinterpret_cast<ethtool_gstrings*>(strings_buffer.data());
    strings->cmd = ETHTOOL_GSTRINGS;
    strings->string_set = ETH_SS_FEATURES;
    strings->len = count;
    if (auto got = ethtool(ifname, strings, "read the feature names"); !got)
        return got.error();

    const std::uint32_t blocks = (count + 31) / 32;
    std::vector<char> features_buffer(sizeof(ethtool_gfeatures) + blocks * sizeof(ethtool_get_features_block));
    auto* features = reinterpret_cast<ethtool_gfeatures*>(features_buffer.data());
    features->cmd = ETHTOOL_GFEATURES;
    features->size = blocks;
    if (auto got = ethtool(ifname, features, "read the features"); !got)
        return got.error();

    std::map<std::string, DeviceFeature> out;
    for (std::uint32_t i = 0; i < count; ++i) {
        const char* name = reinterpret_cast<const char*>(strings->data + i * ETH_GSTRING_LEN);
        const std::string feature(name, strnlen(name, ETH_GSTRING_LEN));
        if (feature.empty())
            continue;
        const ethtool_get_features_block& block = features->features[i / 32];
        const std::uint32_t bit = 1u << (i % 32);
        // As ethtool prints it: [fixed] when it cannot be changed.
        out[feature] = {(block.active & bit) != 0, (block.requested & bit) != 0,
                        !(block.available & bit) || (block.never_changed & bit)};
    }
    return out;
}

Result<void> set_scatter_gather(const std::string& ifname, bool on)
{
    ethtool_value value{ETHTOOL_SSG, on ? 1u : 0u};
    return ethtool(ifname, &value, std::string("turn scatter-gather ") + (on ? "on" : "off"));
}

Offloads offloads_of(const std::map<std::string, DeviceFeature>& features)
{
    Offloads offloads;
    if (const auto sg = features.find("tx-scatter-gather"); sg != features.end())
        offloads.scatter_gather = sg->second.active;
    for (const char* name : kTxChecksumFeatures)
        if (const auto csum = features.find(name); csum != features.end())
            offloads.tx_checksum = offloads.tx_checksum.value_or(false) || csum->second.active;
    return offloads;
}

namespace {

// The counters that tell loss from reordering, and resends from sends.
constexpr const char* kTcpCounters[] = {
    "RetransSegs",       "TCPLostRetransmit", "TCPFastRetrans",  "TCPSlowStartRetrans", "TCPTimeouts",
    "TCPSpuriousRTOs",   "TCPLossProbes",     "TCPSACKReorder",  "TCPTSReorder",        "TCPRenoReorder",
    "TCPDSACKUndo",      "TCPDSACKRecv",      "TCPSACKRecovery", "TCPRetransFail",
};

// "Prefix: name name ...\nPrefix: value value ..." pairs, as snmp and
// netstat lay them out.
Result<void> read_counter_pairs(const char* path, TcpCounters& out)
{
    std::ifstream in(path);
    if (!in)
        return Error::from_errno(std::string("cannot read ") + path);
    std::string names, values;
    while (std::getline(in, names) && std::getline(in, values)) {
        std::istringstream name_words(names), value_words(values);
        std::string name, prefix;
        name_words >> prefix;
        value_words >> prefix;
        std::int64_t value = 0;
        while (name_words >> name && value_words >> value)
            for (const char* wanted : kTcpCounters)
                if (name == wanted)
                    out[name] = value;
    }
    return {};
}

}  // namespace

Result<TcpCounters> read_tcp_counters()
{
    TcpCounters counters;
    for (const char* path : {"/proc/thread-self/net/snmp", "/proc/thread-self/net/netstat"})
        if (auto read = read_counter_pairs(path, counters); !read)
            return read.error();
    return counters;
}

Result<DeviceTxCounters> read_device_tx_counters(const std::string& ifname)
{
    std::ifstream dev("/proc/thread-self/net/dev");
    if (!dev)
        return Error::from_errno("cannot read /proc/thread-self/net/dev");
    // "  name: rx_bytes rx_packets errs drop fifo frame compressed multicast
    //   tx_bytes tx_packets ..."
    std::string line;
    while (std::getline(dev, line)) {
        const auto colon = line.find(':');
        if (colon == std::string::npos)
            continue;
        const auto start = line.find_first_not_of(' ');
        if (line.compare(start, colon - start, ifname) != 0 || colon - start != ifname.size())
            continue;
        std::istringstream fields(line.substr(colon + 1));
        std::uint64_t value = 0;
        DeviceTxCounters counters;
        for (int field = 0; field < 10 && fields >> value; ++field) {
            if (field == 8)
                counters.tx_bytes = value;
            if (field == 9)
                counters.tx_packets = value;
        }
        if (!fields)
            return Error{0, "cannot parse " + ifname + "'s line in /proc/thread-self/net/dev"};
        return counters;
    }
    return Error{ENODEV, ifname + " is not in /proc/thread-self/net/dev"};
}

TcpCounters counter_delta(const TcpCounters& before, const TcpCounters& after)
{
    TcpCounters delta;
    for (const auto& [name, value] : after) {
        const auto old = before.find(name);
        const std::int64_t change = value - (old == before.end() ? 0 : old->second);
        if (change)
            delta[name] = change;
    }
    return delta;
}

}  // namespace zctrace
