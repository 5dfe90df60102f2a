// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// zctrace-test-mover: a program zctrace did not write the way a server is
// written, for `zctrace trace -- zctrace-test-mover MODE ...` to watch. Each
// mode moves a file's bytes (or a buffer's) to a TCP socket on 127.0.0.1 by
// one interface the bundled workloads do not use, and prints on stdout, as
// one JSON line, its own tally of what it asked the kernel for: requests and
// syscalls by name, bytes, and what the kernel said back (send_zc
// notifications, MSG_ZEROCOPY completions). The trace tests compare zctrace's
// figures with this tally.
//
//   zctrace-test-mover MODE --file PATH [--chunk BYTES]
//   modes: uring_read_send  io_uring READ into a buffer, then io_uring SEND
//          uring_send_zc    io_uring SEND_ZC from a buffer, with usage reports
//          uring_splice     io_uring SPLICE file -> pipe -> socket
//          vmsplice         vmsplice a buffer into a pipe, splice it to the socket
//          msg_zerocopy     send(MSG_ZEROCOPY) on an SO_ZEROCOPY socket, completions read
//          sendfile_file    sendfile() from --file to the file --to, nothing on the socket
//          copy_file_range  copy_file_range() from --file to the file --to
//
// The receiver is a forked child that reads everything and reports a
// checksum, so that byte integrity is checked too.
#include <arpa/inet.h>
#include <fcntl.h>
#include <liburing.h>
#include <linux/errqueue.h>
#include <netinet/in.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

// Linux 6.2's uapi; Debian 12's headers predate it.
#ifndef IORING_SEND_ZC_REPORT_USAGE
#define IORING_SEND_ZC_REPORT_USAGE (1U << 3)
#endif
#ifndef IORING_NOTIF_USAGE_ZC_COPIED
#define IORING_NOTIF_USAGE_ZC_COPIED (1U << 31)
#endif

namespace {

struct Tally {
    std::uint64_t sent = 0;
    std::uint64_t written = 0;  // into the --to file
    std::map<std::string, std::uint64_t> requests;  // io_uring opcodes completed
    std::map<std::string, std::uint64_t> syscalls;  // the byte-moving syscalls made
    std::uint64_t zc_notifications = 0;
    std::uint64_t zc_notifications_copied = 0;
    std::uint64_t zc_completions = 0;         // MSG_ZEROCOPY: sends completed
    std::uint64_t zc_completions_copied = 0;  // ... of them copied after all
    std::uint64_t checksum = 1469598103934665603ull;
    bool checksummed = true;  // false where the bytes never entered user memory
};

[[noreturn]] void die(const std::string& what)
{
    std::cerr << "zctrace-test-mover: " << what << ": " << std::strerror(errno) << "\n";
    std::exit(1);
}

void add_to_checksum(std::uint64_t& sum, const char* data, std::size_t length)
{
    for (std::size_t i = 0; i < length; ++i)
        sum = (sum ^ static_cast<unsigned char>(data[i])) * 1099511628211ull;
}

// Reads everything from the connection and writes "<bytes> <checksum>" to out.
void receive_all(int listener, int out)
{
    const int connection = ::accept(listener, nullptr, nullptr);
    if (connection < 0)
        die("accept");
    std::vector<char> buffer(1 << 20);
    std::uint64_t bytes = 0, sum = 1469598103934665603ull;
    for (;;) {
        const ssize_t got = ::recv(connection, buffer.data(), buffer.size(), 0);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            die("recv");
        if (got == 0)
            break;
        bytes += static_cast<std::uint64_t>(got);
        add_to_checksum(sum, buffer.data(), static_cast<std::size_t>(got));
    }
    const std::string line = std::to_string(bytes) + " " + std::to_string(sum);
    if (::write(out, line.data(), line.size()) < 0)
        die("write to parent");
}

struct Connection {
    int socket = -1;
    pid_t receiver = -1;
    int result = -1;  // the receiver's report
};

Connection connect_to_receiver()
{
    const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (listener < 0 || ::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(listener, 1) != 0 || ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length) != 0)
        die("listen on 127.0.0.1");
    int pipe_fds[2];
    if (::pipe(pipe_fds) != 0)
        die("pipe");
    Connection connection;
    connection.receiver = ::fork();
    if (connection.receiver < 0)
        die("fork");
    if (connection.receiver == 0) {
        ::close(pipe_fds[0]);
        receive_all(listener, pipe_fds[1]);
        std::_Exit(0);
    }
    ::close(pipe_fds[1]);
    ::close(listener);
    connection.result = pipe_fds[0];
    connection.socket = ::socket(AF_INET, SOCK_STREAM, 0);
    if (connection.socket < 0 ||
        ::connect(connection.socket, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0)
        die("connect");
    return connection;
}

// One request at a time: submit, wait, and return the CQE's result.
int complete_one(io_uring& ring, unsigned* cqe_flags = nullptr)
{
    io_uring_cqe* cqe = nullptr;
    if (const int error = io_uring_wait_cqe(&ring, &cqe); error < 0) {
        errno = -error;
        die("io_uring_wait_cqe");
    }
    const int result = cqe->res;
    if (cqe_flags)
        *cqe_flags = cqe->flags;
    io_uring_cqe_seen(&ring, cqe);
    return result;
}

int submit_and_complete(io_uring& ring)
{
    if (const int submitted = io_uring_submit(&ring); submitted != 1) {
        errno = submitted < 0 ? -submitted : EIO;
        die("io_uring_submit");
    }
    return complete_one(ring);
}

io_uring_sqe* next_sqe(io_uring& ring)
{
    io_uring_sqe* sqe = io_uring_get_sqe(&ring);
    if (!sqe)
        die("io_uring_get_sqe");
    return sqe;
}

void uring_send_all(io_uring& ring, Tally& tally, int socket, const char* data, std::size_t length)
{
    for (std::size_t done = 0; done < length;) {
        io_uring_prep_send(next_sqe(ring), socket, data + done, length - done, 0);
        const int sent = submit_and_complete(ring);
        if (sent <= 0) {
            errno = -sent;
            die("io_uring send");
        }
        ++tally.requests["send"];
        done += static_cast<std::size_t>(sent);
    }
}

void uring_read_send(int file, std::uint64_t size, std::size_t chunk, int socket, Tally& tally)
{
    io_uring ring;
    if (io_uring_queue_init(8, &ring, 0) != 0)
        die("io_uring_queue_init");
    std::vector<char> buffer(chunk);
    for (std::uint64_t offset = 0; offset < size;) {
        io_uring_prep_read(next_sqe(ring), file, buffer.data(), static_cast<unsigned>(chunk), offset);
        const int got = submit_and_complete(ring);
        if (got < 0) {
            errno = -got;
            die("io_uring read");
        }
        ++tally.requests["read"];
        if (got == 0)
            break;
        add_to_checksum(tally.checksum, buffer.data(), static_cast<std::size_t>(got));
        uring_send_all(ring, tally, socket, buffer.data(), static_cast<std::size_t>(got));
        offset += static_cast<std::uint64_t>(got);
        tally.sent += static_cast<std::uint64_t>(got);
    }
    io_uring_queue_exit(&ring);
}

// A buffer of `size` bytes that is not a file's: the pattern a server would
// have built in memory.
std::vector<char> pattern(std::uint64_t size)
{
    std::vector<char> buffer(size);
    for (std::uint64_t i = 0; i < size; ++i)
        buffer[i] = static_cast<char>((i * 131) ^ (i >> 12));
    return buffer;
}

void uring_send_zc(std::uint64_t size, std::size_t chunk, int socket, Tally& tally)
{
    io_uring ring;
    if (io_uring_queue_init(8, &ring, 0) != 0)
        die("io_uring_queue_init");
    const std::vector<char> buffer = pattern(size);
    for (std::uint64_t offset = 0; offset < size;) {
        const std::size_t length = std::min<std::uint64_t>(chunk, size - offset);
        io_uring_prep_send_zc(next_sqe(ring), socket, buffer.data() + offset, length, 0,
                              IORING_SEND_ZC_REPORT_USAGE);
        if (io_uring_submit(&ring) != 1)
            die("io_uring_submit");
        // The result, then (flagged MORE) a notification once the pages are
        // released; the notification's res says whether they were copied.
        bool more = true;
        int sent = 0;
        for (bool result_seen = false; !result_seen || more;) {
            unsigned flags = 0;
            const int result = complete_one(ring, &flags);
            if (flags & IORING_CQE_F_NOTIF) {
                ++tally.zc_notifications;
                if (static_cast<unsigned>(result) & IORING_NOTIF_USAGE_ZC_COPIED)
                    ++tally.zc_notifications_copied;
                more = false;
            } else {
                result_seen = true;
                sent = result;
                more = flags & IORING_CQE_F_MORE;
            }
        }
        if (sent <= 0) {
            errno = -sent;
            die("io_uring send_zc");
        }
        ++tally.requests["send_zc"];
        add_to_checksum(tally.checksum, buffer.data() + offset, static_cast<std::size_t>(sent));
        offset += static_cast<std::uint64_t>(sent);
        tally.sent += static_cast<std::uint64_t>(sent);
    }
    io_uring_queue_exit(&ring);
}

// Moves `length` bytes out of a pipe into the socket with io_uring splice.
void uring_splice_out(io_uring& ring, Tally& tally, int pipe_out, int socket, std::size_t length)
{
    for (std::size_t done = 0; done < length;) {
        io_uring_prep_splice(next_sqe(ring), pipe_out, -1, socket, -1, static_cast<unsigned>(length - done), 0);
        const int moved = submit_and_complete(ring);
        if (moved <= 0) {
            errno = -moved;
            die("io_uring splice pipe -> socket");
        }
        ++tally.requests["splice"];
        done += static_cast<std::size_t>(moved);
    }
}

void uring_splice(int file, std::uint64_t size, std::size_t chunk, int socket, Tally& tally)
{
    io_uring ring;
    if (io_uring_queue_init(8, &ring, 0) != 0)
        die("io_uring_queue_init");
    int pipe_fds[2];
    if (::pipe(pipe_fds) != 0 || ::fcntl(pipe_fds[1], F_SETPIPE_SZ, static_cast<int>(chunk)) < 0)
        die("pipe");
    tally.checksummed = false;
    for (std::uint64_t offset = 0; offset < size;) {
        io_uring_prep_splice(next_sqe(ring), file, static_cast<std::int64_t>(offset), pipe_fds[1], -1,
                             static_cast<unsigned>(std::min<std::uint64_t>(chunk, size - offset)), 0);
        const int got = submit_and_complete(ring);
        if (got <= 0) {
            errno = -got;
            die("io_uring splice file -> pipe");
        }
        ++tally.requests["splice"];
        uring_splice_out(ring, tally, pipe_fds[0], socket, static_cast<std::size_t>(got));
        offset += static_cast<std::uint64_t>(got);
        tally.sent += static_cast<std::uint64_t>(got);
    }
    io_uring_queue_exit(&ring);
}

void vmsplice_send(std::uint64_t size, std::size_t chunk, int socket, Tally& tally)
{
    int pipe_fds[2];
    if (::pipe(pipe_fds) != 0 || ::fcntl(pipe_fds[1], F_SETPIPE_SZ, static_cast<int>(chunk)) < 0)
        die("pipe");
    const std::vector<char> buffer = pattern(size);
    for (std::uint64_t offset = 0; offset < size;) {
        iovec iov{const_cast<char*>(buffer.data() + offset), std::min<std::uint64_t>(chunk, size - offset)};
        const ssize_t in = ::vmsplice(pipe_fds[1], &iov, 1, 0);
        if (in <= 0)
            die("vmsplice");
        ++tally.syscalls["vmsplice"];
        add_to_checksum(tally.checksum, buffer.data() + offset, static_cast<std::size_t>(in));
        for (ssize_t done = 0; done < in;) {
            const ssize_t out = ::splice(pipe_fds[0], nullptr, socket, nullptr, static_cast<std::size_t>(in - done), 0);
            if (out <= 0)
                die("splice pipe -> socket");
            ++tally.syscalls["splice"];
            done += out;
        }
        offset += static_cast<std::uint64_t>(in);
        tally.sent += static_cast<std::uint64_t>(in);
    }
}

// sendfile() between two files: the kernel splices through its own pipe.
void sendfile_to_file(int file, std::uint64_t size, std::size_t chunk, int out, Tally& tally)
{
    while (tally.written < size) {
        const ssize_t moved = ::sendfile(out, file, nullptr, std::min<std::uint64_t>(chunk, size - tally.written));
        if (moved <= 0)
            die("sendfile file -> file");
        ++tally.syscalls["sendfile"];
        tally.written += static_cast<std::uint64_t>(moved);
    }
    tally.checksummed = false;
}

// copy_file_range() between two files: the filesystem may share extents.
void copy_range_to_file(int file, std::uint64_t size, std::size_t chunk, int out, Tally& tally)
{
    while (tally.written < size) {
        const ssize_t moved =
            ::copy_file_range(file, nullptr, out, nullptr, std::min<std::uint64_t>(chunk, size - tally.written), 0);
        if (moved <= 0)
            die("copy_file_range file -> file");
        ++tally.syscalls["copy_file_range"];
        tally.written += static_cast<std::uint64_t>(moved);
    }
    tally.checksummed = false;
}

// Reads MSG_ZEROCOPY completions from the error queue until `sends` are in.
void read_zerocopy_completions(int socket, std::uint64_t sends, Tally& tally)
{
    while (tally.zc_completions < sends) {
        char control[128];
        msghdr message{};
        message.msg_control = control;
        message.msg_controllen = sizeof control;
        if (::recvmsg(socket, &message, MSG_ERRQUEUE) < 0) {
            if (errno == EAGAIN || errno == EINTR) {
                ::usleep(1000);
                continue;
            }
            die("recvmsg MSG_ERRQUEUE");
        }
        for (cmsghdr* cm = CMSG_FIRSTHDR(&message); cm; cm = CMSG_NXTHDR(&message, cm)) {
            const auto* error = reinterpret_cast<const sock_extended_err*>(CMSG_DATA(cm));
            if (error->ee_origin != SO_EE_ORIGIN_ZEROCOPY)
                continue;
            const std::uint64_t completed = error->ee_data - error->ee_info + 1;  // an inclusive range of sends
            tally.zc_completions += completed;
            if (error->ee_code & SO_EE_CODE_ZEROCOPY_COPIED)
                tally.zc_completions_copied += completed;
        }
    }
}

void msg_zerocopy_send(std::uint64_t size, std::size_t chunk, int socket, Tally& tally)
{
    const int on = 1;
    if (::setsockopt(socket, SOL_SOCKET, SO_ZEROCOPY, &on, sizeof on) != 0)
        die("setsockopt SO_ZEROCOPY");
    const std::vector<char> buffer = pattern(size);
    std::uint64_t sends = 0;
    for (std::uint64_t offset = 0; offset < size;) {
        const ssize_t sent = ::send(socket, buffer.data() + offset, std::min<std::uint64_t>(chunk, size - offset),
                                    MSG_ZEROCOPY);
        if (sent < 0 && errno == ENOBUFS) {  // the optmem limit: wait for completions
            read_zerocopy_completions(socket, sends, tally);
            continue;
        }
        if (sent <= 0)
            die("send MSG_ZEROCOPY");
        ++tally.syscalls["sendto"];
        ++sends;
        add_to_checksum(tally.checksum, buffer.data() + offset, static_cast<std::size_t>(sent));
        offset += static_cast<std::uint64_t>(sent);
        tally.sent += static_cast<std::uint64_t>(sent);
    }
    read_zerocopy_completions(socket, sends, tally);
}

std::uint64_t file_size(int file)
{
    struct stat st{};
    if (::fstat(file, &st) != 0)
        die("fstat");
    return static_cast<std::uint64_t>(st.st_size);
}

}  // namespace

int main(int argc, char** argv)
{
    if (argc < 2) {
        std::cerr << "usage: zctrace-test-mover MODE [--file PATH] [--to PATH] [--size BYTES] [--chunk BYTES]\n";
        return 2;
    }
    const std::string mode = argv[1];
    std::string path, to;
    std::uint64_t size = 0;
    std::size_t chunk = 65536;
    for (int i = 2; i + 1 < argc; i += 2) {
        const std::string option = argv[i];
        if (option == "--file")
            path = argv[i + 1];
        else if (option == "--to")
            to = argv[i + 1];
        else if (option == "--size")
            size = std::stoull(argv[i + 1]);
        else if (option == "--chunk")
            chunk = std::stoull(argv[i + 1]);
        else {
            std::cerr << "zctrace-test-mover: unknown option " << option << "\n";
            return 2;
        }
    }
    int file = -1;
    if (!path.empty()) {
        file = ::open(path.c_str(), O_RDONLY);
        if (file < 0)
            die("open " + path);
        size = file_size(file);
    }

    Connection connection = connect_to_receiver();
    Tally tally;
    if (mode == "uring_read_send" && file >= 0)
        uring_read_send(file, size, chunk, connection.socket, tally);
    else if (mode == "uring_send_zc")
        uring_send_zc(size, chunk, connection.socket, tally);
    else if (mode == "uring_splice" && file >= 0)
        uring_splice(file, size, chunk, connection.socket, tally);
    else if (mode == "vmsplice")
        vmsplice_send(size, chunk, connection.socket, tally);
    else if (mode == "msg_zerocopy")
        msg_zerocopy_send(size, chunk, connection.socket, tally);
    else if ((mode == "sendfile_file" || mode == "copy_file_range") && file >= 0 && !to.empty()) {
        const int out = ::open(to.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (out < 0)
            die("open " + to);
        if (mode == "sendfile_file")
            sendfile_to_file(file, size, chunk, out, tally);
        else
            copy_range_to_file(file, size, chunk, out, tally);
        ::close(out);
    }
    else {
        std::cerr << "zctrace-test-mover: unknown mode " << mode << " (or it needs --file)\n";
        return 2;
    }
    ::close(connection.socket);

    char report[128] = {};
    const ssize_t length = ::read(connection.result, report, sizeof report - 1);
    int status = 0;
    ::waitpid(connection.receiver, &status, 0);
    std::uint64_t received = 0, received_checksum = 0;
    if (length > 0)
        std::sscanf(report, "%lu %lu", &received, &received_checksum);

    nlohmann::json out = {{"mode", mode},
                          {"pid", ::getpid()},
                          {"receiver_pid", connection.receiver},
                          {"sent", tally.sent},
                          {"written", tally.written},
                          {"received", received},
                          {"received_checksum", std::to_string(received_checksum)},
                          {"intact", tally.checksummed ? nlohmann::json(received == tally.sent &&
                                                                        received_checksum == tally.checksum)
                                                       : nlohmann::json()},
                          {"requests", tally.requests},
                          {"syscalls", tally.syscalls},
                          {"zc_notifications", tally.zc_notifications},
                          {"zc_notifications_copied", tally.zc_notifications_copied},
                          {"zc_completions", tally.zc_completions},
                          {"zc_completions_copied", tally.zc_completions_copied}};
    std::cout << out.dump() << std::endl;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}
