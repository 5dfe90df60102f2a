// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// Debian's real nginx, started for one test and gone after it, and curl to
// fetch a file from it: a third-party server whose zero-copy (sendfile) or
// copying path `zctrace trace --pid <master>` must see for what it is.
//
// Nginx::start writes its own nginx.conf into a fresh directory under /tmp
// (pid file, error log, lock file and every temp path live there, so nothing
// under /etc/nginx, /var/lib/nginx or /var/log/nginx is used), runs
// /usr/sbin/nginx in the foreground (daemon off) in its own process group,
// and returns once 127.0.0.1:<port> accepts connections and the worker is
// up. Destroying it (or stop()) ends the master and its workers and removes
// the directory.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "ports.hpp"

namespace zctrace::test {

struct NginxOptions {
    std::string root_dir;  // served as `root`: GET /name returns root_dir/name
    bool sendfile = true;  // `sendfile on|off;` (off: nginx reads and writes through a buffer)
};

namespace nginx_detail {

inline constexpr const char* kNginx = "/usr/sbin/nginx";
inline constexpr const char* kCurl = "/usr/bin/curl";

using Clock = std::chrono::steady_clock;

inline bool executable(const char* path)
{
    return ::access(path, X_OK) == 0;
}

inline std::string read_text(const std::filesystem::path& path)
{
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

inline bool accepts(std::uint16_t port)
{
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return false;
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(port);
    const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    ::close(fd);
    return ok;
}

// What the child does between fork and exec: only async-signal-safe calls
// (the test process has threads). Its own process group, default signal
// handling, nothing inherited but stdin/stdout/stderr.
inline void prepare_child(int stdin_fd, int stdout_fd, int stderr_fd)
{
    ::setpgid(0, 0);
    sigset_t none;
    ::sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    for (int sig : {SIGPIPE, SIGINT, SIGQUIT, SIGTERM, SIGHUP, SIGCHLD})
        ::signal(sig, SIG_DFL);
    if (::dup2(stdin_fd, STDIN_FILENO) < 0 || ::dup2(stdout_fd, STDOUT_FILENO) < 0 ||
        ::dup2(stderr_fd, STDERR_FILENO) < 0)
        ::_exit(126);
#ifdef SYS_close_range
    if (::syscall(SYS_close_range, 3u, ~0u, 0u) == 0)
        return;
#endif
    for (int fd = 3; fd < 1024; ++fd)
        ::close(fd);
}

inline std::vector<char*> argv_of(std::vector<std::string>& args)
{
    std::vector<char*> argv;
    for (auto& arg : args)
        argv.push_back(arg.data());
    argv.push_back(nullptr);
    return argv;
}

// Exit status as a shell reports it: the code, or 128 + the signal.
inline int status_of(int wait_status)
{
    return WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : 128 + WTERMSIG(wait_status);
}

// Whether any process (zombie or not) is still in process group pgid.
inline bool group_exists(pid_t pgid)
{
    return ::kill(-pgid, 0) == 0 || errno == EPERM;
}

inline std::vector<pid_t> children_from_proc(pid_t parent)
{
    std::vector<pid_t> pids;
    std::error_code ignored;
    for (const auto& entry : std::filesystem::directory_iterator("/proc", ignored)) {
        const std::string name = entry.path().filename().string();
        if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos)
            continue;
        std::ifstream stat(entry.path() / "stat");
        std::string text;
        std::getline(stat, text);
        const auto close = text.rfind(')');  // "pid (comm) state ppid ..."
        if (close == std::string::npos || close + 2 >= text.size())
            continue;
        std::istringstream rest(text.substr(close + 2));
        char state = 0;
        pid_t ppid = 0;
        rest >> state >> ppid;
        if (ppid == parent && state != 'Z')
            pids.push_back(static_cast<pid_t>(std::stol(name)));
    }
    return pids;
}

}  // namespace nginx_detail

class Nginx {
public:
    // Starts nginx serving options.root_dir on 127.0.0.1:<free port>. On
    // failure: nullopt, `error` says why (and nothing is left behind).
    static std::optional<Nginx> start(const NginxOptions& options, std::string& error)
    {
        namespace d = nginx_detail;
        error.clear();
        if (!d::executable(d::kNginx)) {
            error = std::string(d::kNginx) + " is missing: install the Debian package nginx (apt-get install nginx)";
            return std::nullopt;
        }
        if (!d::executable(d::kCurl)) {
            error = std::string(d::kCurl) + " is missing: install the Debian package curl (apt-get install curl)";
            return std::nullopt;
        }
        std::error_code ec;
        if (options.root_dir.empty() || !std::filesystem::is_directory(options.root_dir, ec)) {
            error = "nginx root '" + options.root_dir + "' is not a directory";
            return std::nullopt;
        }
        // The root goes into nginx.conf in double quotes, where `"` and `\`
        // would end or escape the string and `$` names a variable.
        for (const char c : options.root_dir)
            if (c == '"' || c == '\\' || c == '$' || static_cast<unsigned char>(c) < 0x20) {
                error = "nginx root '" + options.root_dir + "' has a character nginx.conf cannot hold quoted";
                return std::nullopt;
            }

        constexpr int kAttempts = 5;
        for (int attempt = 1; attempt <= kAttempts; ++attempt) {
            Nginx nginx;
            bool port_taken = false;
            if (nginx.launch(options, error, port_taken)) {
                error.clear();
                return std::optional<Nginx>(std::move(nginx));
            }
            if (!port_taken)
                return std::nullopt;
            // Someone took the port between free_port() and nginx's bind: again.
        }
        error = "nginx could not bind a free port in " + std::to_string(kAttempts) + " attempts: " + error;
        return std::nullopt;
    }

    Nginx(Nginx&& other) noexcept
        : master_(std::exchange(other.master_, -1)), port_(other.port_), dir_(std::exchange(other.dir_, {}))
    {
    }
    Nginx& operator=(Nginx&& other) noexcept
    {
        if (this != &other) {
            stop();
            master_ = std::exchange(other.master_, -1);
            port_ = other.port_;
            dir_ = std::exchange(other.dir_, {});
        }
        return *this;
    }
    Nginx(const Nginx&) = delete;
    Nginx& operator=(const Nginx&) = delete;
    ~Nginx() { stop(); }

    [[nodiscard]] pid_t master_pid() const { return master_; }
    [[nodiscard]] std::uint16_t port() const { return port_; }
    // The directory holding nginx.conf, the pid file, the error log and the
    // temp paths; removed by stop().
    [[nodiscard]] const std::filesystem::path& temp_dir() const { return dir_; }

    // The master's children (the worker; nginx forks no cache processes here).
    [[nodiscard]] std::vector<pid_t> worker_pids() const
    {
        if (master_ <= 0)
            return {};
        const std::string id = std::to_string(master_);
        std::ifstream children("/proc/" + id + "/task/" + id + "/children");
        if (!children)  // a kernel without CONFIG_PROC_CHILDREN
            return nginx_detail::children_from_proc(master_);
        std::vector<pid_t> pids;
        for (pid_t pid = 0; children >> pid;)
            pids.push_back(pid);
        return pids;
    }

    // What nginx wrote to its error log so far (for failure messages).
    [[nodiscard]] std::string error_log() const
    {
        return dir_.empty() ? std::string() : nginx_detail::read_text(dir_ / "error.log");
    }

    // Graceful stop (SIGQUIT: finish what is being sent, then exit), then
    // SIGTERM, then SIGKILL to the whole process group; reaps the master,
    // waits for every worker to be gone and removes the temp directory.
    // Idempotent.
    void stop()
    {
        using namespace std::chrono_literals;
        if (master_ > 0) {
            const pid_t master = std::exchange(master_, -1);
            if (!signal_and_wait(master, SIGQUIT, 10s) && !signal_and_wait(master, SIGTERM, 3s)) {
                ::kill(-master, SIGKILL);
                int status = 0;
                while (::waitpid(master, &status, 0) < 0 && errno == EINTR) {
                }
            }
            // The master waits for its workers before it exits, but if it
            // was killed they are orphans: kill and wait for them too.
            const auto deadline = nginx_detail::Clock::now() + 5s;
            while (nginx_detail::group_exists(master) && nginx_detail::Clock::now() < deadline) {
                ::kill(-master, SIGKILL);
                ::usleep(10 * 1000);
            }
        }
        if (!dir_.empty()) {
            std::error_code ignored;
            std::filesystem::remove_all(dir_, ignored);
            dir_.clear();
        }
    }

private:
    Nginx() = default;

    // Sends sig to master and waits up to timeout for it to exit; true once reaped.
    static bool signal_and_wait(pid_t master, int sig, std::chrono::milliseconds timeout)
    {
        ::kill(master, sig);
        const auto deadline = nginx_detail::Clock::now() + timeout;
        for (;;) {
            int status = 0;
            const pid_t done = ::waitpid(master, &status, WNOHANG);
            if (done == master || (done < 0 && errno == ECHILD))
                return true;
            if (nginx_detail::Clock::now() >= deadline)
                return false;
            ::usleep(10 * 1000);
        }
    }

    std::string config(const NginxOptions& options) const
    {
        const std::string dir = dir_.string();
        std::ostringstream conf;
        // Root runs the workers as root too, so they read whatever the test
        // wrote (and nginx needs no www-data user).
        if (::geteuid() == 0)
            conf << "user root;\n";
        conf << "daemon off;\n"
             << "master_process on;\n"
             << "worker_processes 1;\n"
             << "pid " << dir << "/nginx.pid;\n"
             << "lock_file " << dir << "/nginx.lock;\n"
             << "error_log " << dir << "/error.log notice;\n"
             << "events {\n"
             << "    worker_connections 64;\n"
             << "}\n"
             << "http {\n"
             << "    access_log off;\n"
             << "    default_type application/octet-stream;\n"
             << "    sendfile " << (options.sendfile ? "on" : "off") << ";\n"
             // No other way to the file: with sendfile off nginx reads into
             // its buffers and writes them (no aio threads, no O_DIRECT).
             << "    aio off;\n"
             << "    directio off;\n"
             << "    client_body_temp_path " << dir << "/client_body;\n"
             << "    proxy_temp_path " << dir << "/proxy;\n"
             << "    fastcgi_temp_path " << dir << "/fastcgi;\n"
             << "    uwsgi_temp_path " << dir << "/uwsgi;\n"
             << "    scgi_temp_path " << dir << "/scgi;\n"
             << "    server {\n"
             << "        listen 127.0.0.1:" << port_ << ";\n"
             << "        server_name localhost;\n"
             << "        root \"" << options.root_dir << "\";\n"
             << "    }\n"
             << "}\n";
        return conf.str();
    }

    // One attempt on one port. On failure the directory is removed (by the
    // destructor of *this) and port_taken says whether another port may work.
    bool launch(const NginxOptions& options, std::string& error, bool& port_taken)
    {
        namespace d = nginx_detail;
        using namespace std::chrono_literals;
        port_taken = false;

        std::string pattern = "/tmp/zctrace-nginx-XXXXXX";
        if (!::mkdtemp(pattern.data())) {
            error = std::string("mkdtemp /tmp/zctrace-nginx-XXXXXX: ") + std::strerror(errno);
            return false;
        }
        dir_ = pattern;
        // Workers (root, or this user) create the temp paths; others may read.
        ::chmod(dir_.c_str(), 0755);

        port_ = free_port();
        if (port_ == 0) {
            error = std::string("no free port on 127.0.0.1: ") + std::strerror(errno);
            return false;
        }
        const std::filesystem::path conf = dir_ / "nginx.conf";
        {
            std::ofstream out(conf);
            out << config(options);
            if (!out.flush()) {
                error = "cannot write " + conf.string();
                return false;
            }
        }

        // Everything the child needs is built before fork.
        const std::filesystem::path output = dir_ / "stderr.log";
        const int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
        const int output_fd = ::open(output.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (null_fd < 0 || output_fd < 0) {
            error = "cannot open /dev/null or " + output.string() + ": " + std::strerror(errno);
            if (null_fd >= 0)
                ::close(null_fd);
            if (output_fd >= 0)
                ::close(output_fd);
            return false;
        }
        std::vector<std::string> args = {"nginx", "-c", conf.string(), "-p", dir_.string() + "/",
                                         "-e", (dir_ / "error.log").string()};
        std::vector<char*> argv = d::argv_of(args);

        const pid_t pid = ::fork();
        if (pid == 0) {
            d::prepare_child(null_fd, output_fd, output_fd);
            ::execv(d::kNginx, argv.data());
            ::_exit(127);
        }
        const int fork_errno = errno;
        ::close(null_fd);
        ::close(output_fd);
        if (pid < 0) {
            error = std::string("fork: ") + std::strerror(fork_errno);
            return false;
        }
        ::setpgid(pid, pid);  // also here, so the group exists before either side goes on
        master_ = pid;

        // Up: nginx wrote its pid file (it has bound the port: it writes the
        // file after opening its listening sockets), the port accepts, and
        // the worker exists.
        const std::filesystem::path pid_file = dir_ / "nginx.pid";
        const auto deadline = d::Clock::now() + 5s;
        for (;;) {
            int status = 0;
            if (::waitpid(master_, &status, WNOHANG) == master_) {
                master_ = -1;
                const std::string log = error_log() + d::read_text(output);
                port_taken = log.find("Address already in use") != std::string::npos;
                error = "nginx exited with status " + std::to_string(d::status_of(status)) +
                        " at start: " + (log.empty() ? std::string("(no output)") : log);
                return false;
            }
            const std::string written = d::read_text(pid_file);
            if (!written.empty() && std::stol(written) == master_ && d::accepts(port_) && !worker_pids().empty())
                return true;
            if (d::Clock::now() >= deadline) {
                error = "nginx did not accept connections on 127.0.0.1:" + std::to_string(port_) +
                        " within 5 s: " + error_log() + d::read_text(output);
                return false;  // the destructor stops it
            }
            ::usleep(20 * 1000);
        }
    }

    pid_t master_ = -1;
    std::uint16_t port_ = 0;
    std::filesystem::path dir_;
};

struct Fetched {
    int status = -1;          // curl's exit status (0: the whole body arrived), 128 + signal, -1: curl did not run
    std::uint64_t bytes = 0;  // body bytes curl received (%{size_download})
    std::string error;        // curl's stderr, or why it did not run
};

// GET http://127.0.0.1:<port>/<path> with curl, body to /dev/null. An HTTP
// error (404, 403) is a failure (--fail: status 22), not a small body.
inline Fetched fetch_with_curl(std::uint16_t port, const std::string& path)
{
    namespace d = nginx_detail;
    Fetched fetched;
    if (!d::executable(d::kCurl)) {
        fetched.error = std::string(d::kCurl) + " is missing: install the Debian package curl (apt-get install curl)";
        return fetched;
    }
    const std::string url =
        "http://127.0.0.1:" + std::to_string(port) + "/" + (path.rfind('/', 0) == 0 ? path.substr(1) : path);
    // -q first: no ~/.curlrc; --noproxy: an http_proxy in the environment must not carry the request.
    std::vector<std::string> args = {"curl", "-q", "-sS", "--fail", "--noproxy", "*", "--max-time", "300",
                                     "-o", "/dev/null", "-w", "%{size_download}", url};
    std::vector<char*> argv = d::argv_of(args);

    int out[2], err[2];
    if (::pipe2(out, O_CLOEXEC) != 0) {
        fetched.error = std::string("pipe: ") + std::strerror(errno);
        return fetched;
    }
    if (::pipe2(err, O_CLOEXEC) != 0) {
        fetched.error = std::string("pipe: ") + std::strerror(errno);
        ::close(out[0]);
        ::close(out[1]);
        return fetched;
    }
    const int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    const pid_t pid = ::fork();
    if (pid == 0) {
        d::prepare_child(null_fd, out[1], err[1]);
        ::execv(d::kCurl, argv.data());
        ::_exit(127);
    }
    const int fork_errno = errno;
    ::close(out[1]);
    ::close(err[1]);
    if (null_fd >= 0)
        ::close(null_fd);
    if (pid < 0) {
        ::close(out[0]);
        ::close(err[0]);
        fetched.error = std::string("fork: ") + std::strerror(fork_errno);
        return fetched;
    }

    std::string stdout_text, stderr_text;
    pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
    int open_pipes = 2;
    while (open_pipes > 0) {
        if (::poll(fds, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        for (int i = 0; i < 2; ++i) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            char buffer[4096];
            const ssize_t n = ::read(fds[i].fd, buffer, sizeof buffer);
            if (n > 0) {
                (i == 0 ? stdout_text : stderr_text).append(buffer, static_cast<std::size_t>(n));
            } else if (n == 0 || errno != EINTR) {
                ::close(fds[i].fd);
                fds[i].fd = -1;
                --open_pipes;
            }
        }
    }
    for (const pollfd& fd : fds)
        if (fd.fd >= 0)
            ::close(fd.fd);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    fetched.status = d::status_of(status);
    fetched.error = stderr_text;
    if (fetched.status == 127 && stderr_text.empty())
        fetched.error = std::string("could not exec ") + d::kCurl;
    try {
        std::size_t used = 0;
        fetched.bytes = std::stoull(stdout_text, &used);
        if (used != stdout_text.size())
            fetched.error += "curl printed '" + stdout_text + "', not a size";
    } catch (const std::exception&) {
        fetched.error += "curl printed '" + stdout_text + "', not a size";
    }
    return fetched;
}

}  // namespace zctrace::test
