// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// zctrace-workload: one bundled technique, run end to end as an ordinary
// program, so that any tracer (zctrace trace -- CMD, perf, strace, bpftrace)
// can watch it. The process tree is the one zctrace run forks:
//
//   zctrace-workload ── receiver (network techniques only)
//                    └─ sender   (cow: └─ the forked child)
//
// The sender and the receiver are workload::run_sender and run_receiver,
// unchanged; this file only does what zctrace's session does around them
// (listen socket, pipes, go byte, reports) and prints the reports as one
// line of JSON.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <charconv>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "technique.hpp"
#include "workload.hpp"

namespace {

using zctrace::Technique;
namespace workload = zctrace::workload;

constexpr const char* kProgram = "zctrace-workload";
constexpr std::uint64_t kMaxChunk = 1ull << 30;  // as zctrace run; io_uring lengths are 32-bit
constexpr int kUsageError = 2;

struct Options {
    Technique technique = Technique::read_write;
    std::string file;
    std::optional<std::uint64_t> size;
    std::uint64_t chunk = 65536;
    std::uint64_t write_pages = 10;
};

std::string technique_list()
{
    std::string out;
    for (Technique technique : zctrace::kAllTechniques) {
        if (!out.empty())
            out += ", ";
        out += zctrace::technique_name(technique);
    }
    return out;
}

std::string usage_text()
{
    return std::string("usage: ") + kProgram +
           " TECHNIQUE --file PATH [--size BYTES] [--chunk BYTES] [--write-pages N]\n"
           "\n"
           "Runs one of zctrace's bundled I/O techniques end to end and prints one line of JSON.\n"
           "\n"
           "  TECHNIQUE          one of: " + technique_list() + "\n"
           "  --file PATH        the file to move (it must exist; it is only read)\n"
           "  --size BYTES       bytes of the file to move (default: the whole file)\n"
           "  --chunk BYTES      bytes per transfer (default: 65536)\n"
           "  --write-pages N    cow: pages the forked child writes (default: 10)\n"
           "\n"
           "BYTES are plain integers. Exit status: 0 when every byte arrived, 1 when the\n"
           "workload failed, 2 on bad usage.\n";
}

[[noreturn]] void usage_error(const std::string& message)
{
    std::cerr << kProgram << ": " << message << "\n"
              << "Run '" << kProgram << " --help' for usage.\n";
    std::exit(kUsageError);
}

std::uint64_t parse_number(std::string_view option, std::string_view text)
{
    std::uint64_t value = 0;
    const char* end = text.data() + text.size();
    const auto [stop, ec] = std::from_chars(text.data(), end, value);
    if (text.empty() || ec != std::errc() || stop != end)
        usage_error(std::string(option) + " '" + std::string(text) +
                    "' is not a plain number of bytes; give an integer such as " + std::string(option) + " 65536");
    return value;
}

Options parse_arguments(int argc, char** argv)
{
    Options options;
    std::optional<std::string> technique;
    std::optional<std::string> file, size, chunk, write_pages;
    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        if (arg == "-h" || arg == "--help") {
            std::cout << usage_text();
            std::exit(0);
        }
        if (arg.rfind("--", 0) == 0) {
            std::string_view name = arg, value;
            bool has_value = false;
            if (const auto eq = arg.find('='); eq != std::string_view::npos) {
                name = arg.substr(0, eq);
                value = arg.substr(eq + 1);
                has_value = true;
            }
            std::optional<std::string>* slot = name == "--file"          ? &file
                                               : name == "--size"        ? &size
                                               : name == "--chunk"       ? &chunk
                                               : name == "--write-pages" ? &write_pages
                                                                         : nullptr;
            if (!slot)
                usage_error("unknown option " + std::string(name) +
                            "; the options are --file, --size, --chunk and --write-pages");
            if (!has_value) {
                if (i + 1 >= argc)
                    usage_error(std::string(name) + " needs a value, e.g. " + std::string(name) +
                                (name == "--file" ? " /var/tmp/data.bin" : " 65536"));
                value = argv[++i];
            }
            *slot = std::string(value);
            continue;
        }
        if (technique)
            usage_error("one technique only: got '" + *technique + "' and '" + std::string(arg) + "'");
        technique = std::string(arg);
    }

    if (!technique)
        usage_error("name a technique: " + technique_list());
    const auto known = zctrace::technique_from_name(*technique);
    if (!known || !zctrace::user_can_run(*technique))
        usage_error("unknown technique '" + *technique + "'; use one of: " + technique_list());
    options.technique = *known;
    if (!file || file->empty())
        usage_error("--file PATH is required: the file the technique reads, e.g. --file /var/tmp/data.bin");
    options.file = *file;
    if (size)
        options.size = parse_number("--size", *size);
    if (chunk)
        options.chunk = parse_number("--chunk", *chunk);
    if (write_pages)
        options.write_pages = parse_number("--write-pages", *write_pages);
    return options;
}

// Checks what run_sender would otherwise trip over late (or loop on), and
// fills in the default size.
std::uint64_t check_options(const Options& options)
{
    struct stat st {};
    if (::stat(options.file.c_str(), &st) != 0)
        usage_error("cannot use --file " + options.file + ": " + std::strerror(errno) +
                    "; give an existing regular file");
    if (!S_ISREG(st.st_mode))
        usage_error("--file " + options.file + " is not a regular file; give an existing regular file");
    const auto file_size = static_cast<std::uint64_t>(st.st_size);
    const std::uint64_t size = options.size.value_or(file_size);
    if (size == 0)
        usage_error(options.size ? "--size 0: give a positive number of bytes"
                                 : "--file " + options.file + " is empty; give a file with data in it");
    if (size > file_size)
        usage_error("--size " + std::to_string(size) + " is larger than --file " + options.file + " (" +
                    std::to_string(file_size) + " bytes); use a smaller --size or a larger file");
    if (options.chunk == 0 || options.chunk > kMaxChunk)
        usage_error("--chunk " + std::to_string(options.chunk) + ": give from 1 to " + std::to_string(kMaxChunk) +
                    " bytes");
    const auto page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
    if (zctrace::reads_direct(options.technique)) {
        const std::string name(zctrace::technique_name(options.technique));
        if (options.chunk % page != 0)
            usage_error("--chunk " + std::to_string(options.chunk) + ": " + name +
                        " reads with O_DIRECT, which needs whole pages; use a multiple of " + std::to_string(page) +
                        " bytes, e.g. --chunk 65536");
        if (size != file_size && size % page != 0)
            usage_error("--size " + std::to_string(size) + ": " + name +
                        " reads with O_DIRECT in whole pages, so a partial --size must be a multiple of " +
                        std::to_string(page) + " bytes (or leave --size out to read the whole file)");
    }
    if (options.technique == zctrace::Technique::vmsplice_gift && (options.chunk % page != 0 || size % page != 0))
        usage_error(std::string(options.chunk % page ? "--chunk" : "--size") +
                    ": vmsplice_gift gives the kernel whole pages (vmsplice(2): SPLICE_F_GIFT needs memory and "
                    "length page aligned); use a multiple of " + std::to_string(page) + " bytes");
    return size;
}

std::string describe_exit(const char* who, int status)
{
    if (WIFSIGNALED(status))
        return std::string("the ") + who + " was killed by signal " + std::to_string(WTERMSIG(status));
    return std::string("the ") + who + " exited with status " + std::to_string(WEXITSTATUS(status));
}

struct Pipe {
    int read = -1;
    int write = -1;
};

Pipe make_pipe()
{
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0)
        return {};
    return {fds[0], fds[1]};
}

void close_fd(int& fd)
{
    if (fd >= 0)
        ::close(fd);
    fd = -1;
}

// Reads a whole struct; false on EOF (the writer died first) or an error.
template <typename T>
bool read_struct(int fd, T& value)
{
    char* data = reinterpret_cast<char*>(&value);
    std::size_t got = 0;
    while (got < sizeof value) {
        const ssize_t n = ::read(fd, data + got, sizeof value - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        got += static_cast<std::size_t>(n);
    }
    return true;
}

// Forks `body` as a child that dies with us; its return value is the exit
// status. -1 when fork failed.
template <typename Body>
pid_t spawn(Body body)
{
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid != 0)
        return pid;
    std::signal(SIGPIPE, SIG_DFL);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent)
        ::_exit(1);
    ::_exit(body());
}

int wait_status(pid_t pid)
{
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return status;
}

// A listening TCP socket on 127.0.0.1, port chosen by the kernel.
int listen_loopback(std::uint16_t& port)
{
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    socklen_t length = sizeof address;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || ::listen(fd, 4) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
        const int saved = errno;
        ::close(fd);
        errno = saved;
        return -1;
    }
    port = ntohs(address.sin_port);
    return fd;
}

// Makes a receiver still blocked in accept() return: it then reads EOF at
// once and reports. Used when the sender failed before it connected.
void nudge_receiver(std::uint16_t port)
{
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return;
    sockaddr_in peer{};
    peer.sin_family = AF_INET;
    peer.sin_port = htons(port);
    peer.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::connect(fd, reinterpret_cast<sockaddr*>(&peer), sizeof peer);
    ::close(fd);
}

bool wait_readable(int fd, int timeout_ms)
{
    pollfd p{fd, POLLIN, 0};
    int n;
    while ((n = ::poll(&p, 1, timeout_ms)) < 0 && errno == EINTR) {
    }
    return n > 0;
}

nlohmann::ordered_json tally_json(const workload::CallTally& tally)
{
    nlohmann::ordered_json out = nlohmann::ordered_json::object();
    for (const auto& [name, count] : tally.by_name())
        out[name] = count;
    return out;
}

[[noreturn]] void fail_setup(const std::string& what)
{
    std::cerr << kProgram << ": " << what << ": " << std::strerror(errno) << "\n";
    std::exit(1);
}

}  // namespace

int main(int argc, char** argv)
{
    const Options options = parse_arguments(argc, argv);
    const std::uint64_t size = check_options(options);
    const bool network = zctrace::sends_over_network(options.technique);

    // A child that dies early must not take us with it when we write to it.
    std::signal(SIGPIPE, SIG_IGN);

    // The sender connects even when it sends nothing. Without a receiver the
    // kernel completes that connection in the listen backlog.
    std::uint16_t port = 0;
    int listen_fd = listen_loopback(port);
    if (listen_fd < 0)
        fail_setup("cannot listen on 127.0.0.1");

    std::vector<std::string> errors;
    pid_t receiver = -1;
    Pipe receiver_pipe;  // the receiver's ready byte, then its report
    if (network) {
        receiver_pipe = make_pipe();
        if (receiver_pipe.read < 0)
            fail_setup("cannot create a pipe");
        const int report_fd = receiver_pipe.write;
        receiver = spawn([&] {
            ::close(receiver_pipe.read);
            return workload::run_receiver(listen_fd, nullptr, report_fd);
        });
        if (receiver < 0)
            fail_setup("cannot fork the receiver");
        close_fd(receiver_pipe.write);
        char ready = 0;
        if (!read_struct(receiver_pipe.read, ready) || ready != 'r') {
            std::cerr << kProgram << ": the receiver did not start ("
                      << describe_exit("receiver", wait_status(receiver)) << ")\n";
            return 1;
        }
    }

    Pipe sender_pipe = make_pipe();  // the sender's report
    Pipe go_pipe = make_pipe();      // one byte starts the sender
    if (sender_pipe.read < 0 || go_pipe.read < 0)
        fail_setup("cannot create a pipe");
    const workload::SenderSpec spec{options.technique, options.file, size,    options.chunk,
                                    INADDR_LOOPBACK,   port,         0,       options.write_pages};
    const pid_t sender = spawn([&] {
        // Only the ends the sender uses; the receiver keeps the listener.
        ::close(listen_fd);
        ::close(sender_pipe.read);
        ::close(go_pipe.write);
        if (receiver_pipe.read >= 0)
            ::close(receiver_pipe.read);
        return workload::run_sender(spec, go_pipe.read, sender_pipe.write);
    });
    if (sender < 0)
        fail_setup("cannot fork the sender");
    close_fd(sender_pipe.write);
    close_fd(go_pipe.read);
    if (network)
        close_fd(listen_fd);  // the receiver has its own
    if (::write(go_pipe.write, "g", 1) != 1)
        errors.push_back(std::string("cannot start the sender: ") + std::strerror(errno));
    close_fd(go_pipe.write);

    workload::SenderReport sender_report;
    const bool sender_reported = read_struct(sender_pipe.read, sender_report);
    const int sender_status = wait_status(sender);
    close_fd(sender_pipe.read);
    close_fd(listen_fd);
    if (!sender_reported)
        errors.push_back("the sender died before it reported (" + describe_exit("sender", sender_status) + ")");
    else if (sender_report.error)
        errors.push_back(sender_report.message);

    workload::ReceiverReport receiver_report;
    bool receiver_reported = false;
    if (network) {
        const bool sender_failed = !sender_reported || sender_report.error;
        if (sender_failed)
            nudge_receiver(port);  // it may never have been connected to
        // The sender closed its socket, so the receiver is reading its last
        // bytes; after a failure give it a few seconds, then stop it.
        if (!sender_failed || wait_readable(receiver_pipe.read, 5000))
            receiver_reported = read_struct(receiver_pipe.read, receiver_report);
        if (!receiver_reported)
            ::kill(receiver, SIGKILL);
        const int receiver_status = wait_status(receiver);
        close_fd(receiver_pipe.read);
        if (!receiver_reported)
            errors.push_back("the receiver died before it reported (" + describe_exit("receiver", receiver_status) +
                             ")");
        else if (receiver_report.error)
            errors.push_back(receiver_report.message);
        else if (sender_reported && !sender_report.error &&
                 receiver_report.bytes_received != sender_report.bytes_sent)
            errors.push_back("the receiver got " + std::to_string(receiver_report.bytes_received) +
                             " bytes, the sender sent " + std::to_string(sender_report.bytes_sent));
    }

    nlohmann::ordered_json out;
    out["technique"] = zctrace::technique_name(options.technique);
    out["file"] = options.file;
    out["bytes_sent"] = sender_report.bytes_sent;
    out["consumed_bytes"] = sender_report.consumed_bytes;
    out["transfers"] = sender_report.transfers;
    out["calls"] = tally_json(sender_report.calls);
    out["repeats"] = tally_json(sender_report.repeats);
    if (network)
        out["receiver"] = {{"bytes_received", receiver_report.bytes_received},
                           {"crc32", receiver_report.crc32},
                           {"recv_calls", receiver_report.recv_calls}};
    out["sender_pid"] = sender;
    if (network)
        out["receiver_pid"] = receiver;
    std::string error;
    for (const auto& e : errors)
        error += (error.empty() ? "" : "; ") + e;
    if (!error.empty())
        out["error"] = error;
    // Messages come from fixed-size C buffers: never let a cut UTF-8
    // sequence stop the line from being printed.
    std::cout << out.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) << std::endl;

    if (!error.empty()) {
        std::cerr << kProgram << ": " << error << "\n";
        return 1;
    }
    return 0;
}
