#include "session.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <thread>

#include "fd.hpp"
#include "netns.hpp"
#include "signals.hpp"

namespace zctrace {
namespace {

using Clock = std::chrono::steady_clock;

// A forked workload process. Killed and reaped if still running when the
// owner goes away, so an error or Ctrl-C never leaves it behind.
class Child {
public:
    template <typename Body>
    static Result<Child> spawn(Body body)
    {
        const pid_t parent = ::getpid();
        const pid_t pid = ::fork();
        if (pid < 0)
            return Error::from_errno("cannot fork a workload process");
        if (pid == 0) {
            reset_signal_handlers();
            ::prctl(PR_SET_PDEATHSIG, SIGKILL);
            if (::getppid() != parent)
                ::_exit(1);
            ::_exit(body());
        }
        return Child(pid);
    }
    Child(Child&& other) noexcept : pid_(std::exchange(other.pid_, -1)), status_(other.status_) {}
    Child& operator=(Child&&) = delete;
    ~Child()
    {
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
    }
    [[nodiscard]] pid_t pid() const { return pid_; }
    // True once the process has exited (then status() is its wait status).
    bool poll_exit()
    {
        if (pid_ <= 0)
            return true;
        pid_t done = ::waitpid(pid_, &status_, WNOHANG);
        if (done == pid_) {
            pid_ = -1;
            return true;
        }
        return false;
    }
    [[nodiscard]] int status() const { return status_; }

private:
    explicit Child(pid_t pid) : pid_(pid) {}
    pid_t pid_ = -1;
    int status_ = 0;
};

struct Pipe {
    UniqueFd read;
    UniqueFd write;
    static Result<Pipe> create()
    {
        int fds[2];
        if (::pipe2(fds, O_CLOEXEC) != 0)
            return Error::from_errno("cannot create a pipe");
        return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
    }
};

Error interruption()
{
    return Error{EINTR, "interrupted", ErrorKind::interrupted};
}

template <typename T>
Result<T> read_struct(int fd, const char* who)
{
    T value;
    char* data = reinterpret_cast<char*>(&value);
    std::size_t got = 0;
    while (got < sizeof value) {
        ssize_t n = ::read(fd, data + got, sizeof value - got);
        if (n < 0 && errno == EINTR) {
            if (interrupted())
                return interruption();
            continue;
        }
        if (n <= 0)
            return Error{n < 0 ? errno : EPIPE, std::string("the ") + who + " died before it reported"};
        got += static_cast<std::size_t>(n);
    }
    return value;
}

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

    static Result<VethTestbed> create(bool scatter_gather)
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
                           ntohl(spec.address.s_addr),  ntohl(spec.peer_address.s_addr), scatter_gather};
    }
};

// Shared with the receiver for progress; MAP_SHARED survives fork.
class SharedCounter {
public:
    SharedCounter()
    {
        void* memory = ::mmap(nullptr, sizeof(std::atomic<std::uint64_t>), PROT_READ | PROT_WRITE,
                              MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (memory != MAP_FAILED)
            counter_ = new (memory) std::atomic<std::uint64_t>(0);
    }
    ~SharedCounter()
    {
        if (counter_)
            ::munmap(counter_, sizeof *counter_);
    }
    SharedCounter(const SharedCounter&) = delete;
    SharedCounter& operator=(const SharedCounter&) = delete;
    [[nodiscard]] std::atomic<std::uint64_t>* get() const { return counter_; }
    [[nodiscard]] std::uint64_t load() const { return counter_ ? counter_->load(std::memory_order_relaxed) : 0; }

private:
    std::atomic<std::uint64_t>* counter_ = nullptr;
};

std::uint64_t random_cookie()
{
    std::uint64_t cookie = 0;
    if (::getrandom(&cookie, sizeof cookie, 0) != sizeof cookie)
        cookie = static_cast<std::uint64_t>(Clock::now().time_since_epoch().count()) ^ ::getpid();
    return cookie | 1;  // never 0, the unset value in BPF
}

// Generous: a slow machine moves well over 16 MiB/s even while traced.
std::chrono::seconds timeout_for(std::uint64_t bytes)
{
    return std::chrono::seconds(60 + bytes / (16u << 20));
}

std::vector<ProgramStats> stats_delta(const std::vector<ProgramStats>& after,
                                      const std::vector<ProgramStats>& before)
{
    std::vector<ProgramStats> delta = after;
    for (std::size_t i = 0; i < delta.size() && i < before.size(); ++i) {
        delta[i].run_ns -= before[i].run_ns;
        delta[i].run_count -= before[i].run_count;
        delta[i].recursion_misses -= before[i].recursion_misses;
    }
    return delta;
}

std::string describe_exit(const char* who, int status)
{
    if (WIFSIGNALED(status))
        return std::string("the ") + who + " was killed by signal " + std::to_string(WTERMSIG(status));
    return std::string("the ") + who + " exited with status " + std::to_string(WEXITSTATUS(status));
}

}  // namespace

std::string_view transport_name(Transport transport)
{
    return transport == Transport::veth ? "veth" : "loopback";
}

Result<RunObservation> run_technique(const RunSpec& requested, const WorkloadFile& file, const SessionHooks& hooks)
{
    RunSpec spec = requested;
    std::shared_ptr<const RunObservation> baseline;
    if (has_buffered_baseline(spec.technique)) {
        spec.cache = CacheState::cold;
        RunSpec buffered = spec;
        buffered.technique = Technique::large_file_buffered;
        auto observed = run_technique(buffered, file, hooks);
        if (!observed)
            return Error(observed.error()).context("the buffered baseline run");
        baseline = std::make_shared<const RunObservation>(std::move(observed.value()));
    }
    RunObservation observation;
    observation.spec = spec;
    observation.file = file;
    observation.baseline = std::move(baseline);

    auto resident = spec.cache == CacheState::cold ? evict_page_cache(file) : warm_page_cache(file);
    if (!resident)
        return resident.error();
    if (spec.cache == CacheState::cold && *resident != 0)
        return Error{0, "--cache cold: " + std::to_string(*resident) + " of " + std::to_string(file.pages()) +
                            " pages of " + file.path.string() + " stayed in the page cache after "
                            "POSIX_FADV_DONTNEED (another process has them mapped or locked?)",
                     ErrorKind::unsupported};
    observation.resident_pages_before = *resident;
    if (interrupted())
        return interruption();

    const std::uint64_t cookie = random_cookie();
    const std::uint64_t buffer_bytes = workload::payload_buffer_bytes(spec.technique, file.size, spec.chunk);
    auto tracer = Tracer::attach({file.ino, kernel_dev(file.dev), file.pages(), cookie, buffer_bytes}, spec.probes);
    if (!tracer)
        return tracer.error();
    observation.probes = (*tracer)->probes();
    observation.attach_seconds = (*tracer)->attach_seconds();
    if (hooks.on_attached)
        hooks.on_attached(**tracer);
    if (interrupted())
        return interruption();

    std::optional<VethTestbed> veth;
    std::uint32_t receiver_address = INADDR_LOOPBACK;
    if (spec.transport == Transport::veth) {
        auto testbed = VethTestbed::create(spec.scatter_gather);
        if (!testbed)
            return testbed.error();
        veth.emplace(std::move(testbed.value()));
        receiver_address = veth->receiver_address;
        observation.sender_link = veth->sender_link;
        observation.sender_link_sg = veth->sg;
    }
    auto listener = [&]() -> Result<std::pair<UniqueFd, std::uint16_t>> {
        if (!veth)
            return listen_on(receiver_address);
        auto scope = NetnsScope::enter(veth->receiver_ns);
        if (!scope)
            return scope.error();
        return listen_on(receiver_address);
    }();
    if (!listener)
        return listener.error();
    auto receiver_pipe = Pipe::create();
    auto sender_pipe = Pipe::create();
    auto go_pipe = Pipe::create();
    for (auto* pipe : {&receiver_pipe, &sender_pipe, &go_pipe})
        if (!*pipe)
            return pipe->error();
    SharedCounter progress;

    const int listen_fd = listener->first.get();
    const int receiver_report_fd = receiver_pipe->write.get();
    auto receiver = Child::spawn([&] {
        if (veth && ::setns(veth->receiver_ns.fd(), CLONE_NEWNET) != 0)
            return 1;
        return workload::run_receiver(listen_fd, progress.get(), receiver_report_fd);
    });
    if (!receiver)
        return receiver.error();
    if (auto tracked = (*tracer)->track(receiver->pid(), ZC_ROLE_RECEIVER); !tracked)
        return tracked.error();

    workload::SenderSpec sender_spec{spec.technique, file.path.string(), file.size, spec.chunk,
                                     receiver_address,  listener->second, cookie,   spec.write_pages};
    const int go_fd = go_pipe->read.get();
    const int sender_report_fd = sender_pipe->write.get();
    auto sender = Child::spawn([&] {
        if (veth && ::setns(veth->sender_ns.fd(), CLONE_NEWNET) != 0)
            return 1;
        return workload::run_sender(sender_spec, go_fd, sender_report_fd);
    });
    if (!sender)
        return sender.error();
    // Our copies of the child ends: EOF on a report pipe then means the child is gone.
    receiver_pipe->write.reset();
    sender_pipe->write.reset();
    go_pipe->read.reset();
    listener->first.reset();

    if (auto tracked = (*tracer)->track(sender->pid(), ZC_ROLE_SENDER); !tracked)
        return tracked.error();
    if (auto ready = read_struct<char>(receiver_pipe->read.get(), "receiver"); !ready || *ready != 'r')
        return Error{0, "the receiver did not start (" + describe_exit("receiver", receiver->status()) + ")"};
    const std::vector<ProgramStats> stats_before = (*tracer)->program_stats();
    const auto start = Clock::now();
    if (::write(go_pipe->write.get(), "g", 1) != 1)
        return Error::from_errno("cannot start the sender");

    bool sender_done = false, receiver_done = false;
    double next_sample = hooks.sample_interval_seconds;
    while (!(sender_done && receiver_done)) {
        if (interrupted())
            return interruption();
        if (Clock::now() - start > timeout_for(file.size))
            return Error{ETIMEDOUT, "the workload did not finish in " +
                                        std::to_string(timeout_for(file.size).count()) + " s"};
        sender_done = sender_done || sender->poll_exit();
        receiver_done = receiver_done || receiver->poll_exit();
        const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
        if (hooks.on_progress)
            hooks.on_progress(progress.load(), file.size, elapsed);
        if (hooks.on_sample && hooks.sample_interval_seconds > 0 && !(sender_done && receiver_done) &&
            elapsed >= next_sample) {
            auto counters = (*tracer)->read();
            if (!counters)
                return counters.error();
            hooks.on_sample(spec.technique, *counters, progress.load(), elapsed);
            ++observation.interval_samples;
            while (next_sample <= elapsed)  // on the grid, never a burst to catch up
                next_sample += hooks.sample_interval_seconds;
        }
        if (!(sender_done && receiver_done))
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }

    auto sender_report = read_struct<workload::SenderReport>(sender_pipe->read.get(), "sender");
    auto receiver_report = read_struct<workload::ReceiverReport>(receiver_pipe->read.get(), "receiver");
    if (!sender_report)
        return Error{0, sender_report.error().message + " (" + describe_exit("sender", sender->status()) + ")"};
    if (!receiver_report)
        return Error{0, receiver_report.error().message + " (" + describe_exit("receiver", receiver->status()) + ")"};
    if (sender_report->error)
        return Error{0, sender_report->message};
    if (receiver_report->error)
        return Error{0, receiver_report->message};
    observation.sender = *sender_report;
    observation.receiver = *receiver_report;

    observation.program_stats = stats_delta((*tracer)->program_stats(), stats_before);
    auto counters = (*tracer)->read();
    if (!counters)
        return counters.error();
    observation.counters = std::move(counters.value());
    if (auto window = check_window(observation.counters); !window)
        return window.error();
    auto resident_after = resident_pages(file);
    if (!resident_after)
        return resident_after.error();
    observation.resident_pages_after = *resident_after;
    return observation;
}

Result<void> check_window(const RawCounters& counters)
{
    const auto opens = counters.syscalls.window_opens;
    const auto closes = counters.syscalls.window_closes;
    if (opens == 1 && closes == 1)
        return {};
    return Error{0, "the sender's measurement window opened " + std::to_string(opens) + " and closed " +
                        std::to_string(closes) + " times instead of once: its marker syscall (number " +
                        std::to_string(ZC_MARKER_SYSCALL_NR) + ") did not reach raw_syscalls:sys_enter as "
                        "expected. A seccomp filter that denies unknown syscalls does this; run zctrace "
                        "outside it. Nothing was counted, so no report is written."};
}

}  // namespace zctrace
