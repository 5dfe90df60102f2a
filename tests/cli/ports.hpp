// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// Free ports on 127.0.0.1 for the servers tests start (nginx, Prometheus,
// node_exporter).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>

namespace zctrace::test {

// A port nobody listens on right now: bind to port 0, read it back, close.
// Someone else may take it before the server binds it; a server that
// can fail to bind is started again (nginx's start() retries).
inline std::uint16_t free_port()
{
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return 0;
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    socklen_t length = sizeof address;
    std::uint16_t port = 0;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0)
        port = ntohs(address.sin_port);
    ::close(fd);
    return port;
}

}  // namespace zctrace::test
