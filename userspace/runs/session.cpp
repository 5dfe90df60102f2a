// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "runs/session.hpp"

#include <fcntl.h>
#include <signal.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <optional>
#include <thread>
#include <vector>

#include "base/fd.hpp"
#include "base/signals.hpp"
#include "runs/testbed.hpp"

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
        delta[i].counted_runs -= before[i].counted_runs;
        delta[i].timed_runs -= before[i].timed_runs;
        delta[i].timed_ns -= before[i].timed_ns;
        delta[i].timed_ns_squared -= before[i].timed_ns_squared;
        delta[i].interrupted_runs -= before[i].interrupted_runs;
        delta[i].accounting_ns -= before[i].accounting_ns;
        delta[i].clock_run_ns -= before[i].clock_run_ns;
        delta[i].clock_run_count -= before[i].clock_run_count;
    }
    return delta;
}

std::string describe_exit(const char* who, int status)
{
    if (WIFSIGNALED(status))
        return std::string("the ") + who + " was killed by signal " + std::to_string(WTERMSIG(status));
    return std::string("the ") + who + " exited with status " + std::to_string(WEXITSTATUS(status));
}

// Forks `body` as a workload process owned by `slot`.
template <typename Body>
Result<void> spawn_into(std::optional<Child>& slot, Body body)
{
    auto child = Child::spawn(std::move(body));
    if (!child)
        return child.error();
    slot.emplace(std::move(child.value()));
    return {};
}

// The receiver and the sender of one run, and what connects them to us.
// Members go in reverse: the processes are killed and reaped before their
// pipes close and the progress counter is unmapped.
struct WorkloadProcesses {
    SharedCounter progress;  // the receiver's bytes so far
    Pipe receiver_pipe;      // the receiver's ready byte, then its report
    Pipe sender_pipe;        // the sender's report
    Pipe go_pipe;            // one byte starts the sender
    std::optional<Child> receiver;
    std::optional<Child> sender;
};

// large_file_async_direct is compared with a traced buffered read of the
// same file; that run comes first. Null for every other technique.
Result<std::shared_ptr<const RunObservation>> run_buffered_baseline(const RunSpec& spec, const WorkloadFile& file,
                                                                    const SessionHooks& hooks, Tracer* shared)
{
    if (!has_buffered_baseline(spec.technique))
        return std::shared_ptr<const RunObservation>();
    RunSpec buffered = spec;
    buffered.technique = Technique::large_file_buffered;
    auto observed = run_technique(buffered, file, hooks, shared);
    if (!observed)
        return Error(observed.error()).context("the buffered baseline run");
    return std::make_shared<const RunObservation>(std::move(observed.value()));
}

// Warms or evicts the file's pages; returns how many are resident.
Result<std::uint64_t> prepare_page_cache(CacheState cache, const WorkloadFile& file)
{
    auto resident = cache == CacheState::cold ? evict_page_cache(file) : warm_page_cache(file);
    if (!resident)
        return resident.error();
    if (cache == CacheState::cold && *resident != 0)
        return Error{0, "--cache cold: " + std::to_string(*resident) + " of " + std::to_string(file.pages()) +
                            " pages of " + file.path.string() + " stayed in the page cache after "
                            "POSIX_FADV_DONTNEED (another process has them mapped or locked?)",
                     ErrorKind::unsupported};
    return *resident;
}

// copy_file_range's destination: an unnamed file (O_TMPFILE) in the
// workload's directory, so the copy stays on the file's filesystem and
// nothing is left behind whatever happens; the sender inherits the fd.
struct CopyDestination {
    UniqueFd fd;
    ino_t ino = 0;
    dev_t dev = 0;
};

UniqueFd open_unnamed_file(const std::filesystem::path& dir)
{
    return UniqueFd(::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600));
}

Result<CopyDestination> make_copy_destination(const WorkloadFile& file)
{
    CopyDestination destination;
    destination.fd = open_unnamed_file(file.path.parent_path());
    if (!destination.fd.valid())
        return Error::from_errno("cannot make the copy's destination (O_TMPFILE) in " +
                                 file.path.parent_path().string() + "; give --dir a filesystem that supports it");
    struct stat status{};
    if (::fstat(destination.fd.get(), &status) < 0)
        return Error::from_errno("cannot stat the copy's destination");
    destination.ino = status.st_ino;
    destination.dev = status.st_dev;
    return destination;
}

// Whether the filesystem shares blocks between files: FICLONE one block of
// a scratch file into another, the way cp --reflink asks. The theory row
// follows from it before anything is measured, as sendfile's follows from
// the device's SG.
void probe_extent_sharing(const WorkloadFile& file, RunObservation& observation)
{
    const std::string dir = file.path.parent_path().string();
    const UniqueFd source = open_unnamed_file(dir);
    const UniqueFd clone = open_unnamed_file(dir);
    const std::vector<char> block(static_cast<std::size_t>(::sysconf(_SC_PAGESIZE)), 'z');
    if (!source.valid() || !clone.valid() ||
        ::pwrite(source.get(), block.data(), block.size(), 0) != static_cast<ssize_t>(block.size())) {
        observation.shares_extents_why = std::string("could not write a scratch file in ") + dir + ": " +
                                         std::strerror(errno);
        return;
    }
    if (::ioctl(clone.get(), FICLONE, source.get()) == 0) {
        observation.filesystem_shares_extents = true;
        observation.shares_extents_why = file.filesystem + " on " + dir + " shared a block between two files (FICLONE)";
        return;
    }
    observation.filesystem_shares_extents = false;
    observation.shares_extents_why = file.filesystem + " on " + dir + " refused to share a block (FICLONE: " +
                                     std::strerror(errno) + ")";
}

ProbeTarget probe_target(const RunSpec& spec, const WorkloadFile& file, std::uint64_t cookie,
                         const CopyDestination* copy)
{
    const std::uint64_t buffer_bytes = workload::payload_buffer_bytes(spec.technique, file.size, spec.chunk);
    ProbeTarget target{file.ino, kernel_dev(file.dev), file.pages(), cookie, buffer_bytes,
                       spec.technique == Technique::io_uring_send_zc};
    target.bpf_stats = spec.bpf_stats != BpfStatsMode::off;
    target.bystander_filter = spec.bystander_filter;
    if (copy) {
        target.copy_ino = copy->ino;
        target.copy_dev = kernel_dev(copy->dev);
        target.copy_bytes = file.size;
    }
    return target;
}

// Forks the receiver and the sender, each in its namespace, and hands both
// to the probes before either moves a byte; returns once the receiver
// listens. The sender waits for start_sender().
Result<void> start_workload(WorkloadProcesses& processes, const RunSpec& spec, const WorkloadFile& file,
                            std::uint64_t cookie, RunNetwork& network, Tracer& tracer, const SessionHooks& hooks,
                            int copy_fd)
{
    for (auto* pipe : {&processes.receiver_pipe, &processes.sender_pipe, &processes.go_pipe}) {
        auto created = Pipe::create();
        if (!created)
            return created.error();
        *pipe = std::move(created.value());
    }

    const int listen_fd = network.listener.get();
    const int receiver_report_fd = processes.receiver_pipe.write.get();
    std::atomic<std::uint64_t>* progress = processes.progress.get();
    auto receiver = spawn_into(processes.receiver, [&] {
        return network.enter_receiver_namespace() ? workload::run_receiver(listen_fd, progress, receiver_report_fd, spec.receive)
                                                  : 1;
    });
    if (!receiver)
        return receiver.error();
    if (auto tracked = tracer.track(processes.receiver->pid(), ZC_ROLE_RECEIVER); !tracked)
        return tracked.error();

    workload::SenderSpec sender_spec{spec.technique, file.path.string(), file.size, spec.chunk,
                                     network.receiver_address, network.port, cookie, spec.write_pages, copy_fd};
    const int go_fd = processes.go_pipe.read.get();
    const int sender_report_fd = processes.sender_pipe.write.get();
    const auto& body = hooks.sender ? hooks.sender : workload::run_sender;
    auto sender = spawn_into(processes.sender, [&] {
        return network.enter_sender_namespace() ? body(sender_spec, go_fd, sender_report_fd) : 1;
    });
    if (!sender)
        return sender.error();
    // Our copies of the child ends: EOF on a report pipe then means the child is gone.
    processes.receiver_pipe.write.reset();
    processes.sender_pipe.write.reset();
    processes.go_pipe.read.reset();
    network.listener.reset();

    if (auto tracked = tracer.track(processes.sender->pid(), ZC_ROLE_SENDER); !tracked)
        return tracked.error();
    if (auto ready = read_struct<char>(processes.receiver_pipe.read.get(), "receiver"); !ready || *ready != 'r')
        return Error{0, "the receiver did not start (" + describe_exit("receiver", processes.receiver->status()) +
                            ")"};
    return {};
}

Result<Clock::time_point> start_sender(WorkloadProcesses& processes)
{
    const auto start = Clock::now();
    if (::write(processes.go_pipe.write.get(), "g", 1) != 1)
        return Error::from_errno("cannot start the sender");
    return start;
}

// --bpf-stats windows: bpf_stats is on for the first 5 ms of every 50 ms
// while the workload runs, from its start, so a 64 MiB run (20 to 200 ms
// here) gets a window or more and a long one a tenth of its runs timed.
// Each switch patches the kernel's static key (a few IPIs), twenty times a
// second at most.
constexpr double kRunStatsWindowSeconds = 0.005;
constexpr double kRunStatsPeriodSeconds = 0.05;
constexpr auto kRunPollEvery = std::chrono::milliseconds(20);

// Polls both processes until they exit, reporting progress and, every
// sample interval, the probes' counters so far; with bpf_stats in windows,
// switches it on and off on their grid. Returns how many samples it took.
Result<std::uint64_t> wait_for_workload(WorkloadProcesses& processes, Clock::time_point start, Tracer& tracer,
                                        const RunSpec& spec, const WorkloadFile& file, const SessionHooks& hooks,
                                        RunObservation& observation)
{
    std::uint64_t samples = 0;
    bool sender_done = false, receiver_done = false;
    double next_sample = hooks.sample_interval_seconds;
    const bool windows = spec.bpf_stats == BpfStatsMode::windows;
    Clock::time_point stats_since{};
    const auto switch_stats = [&](bool on) -> Result<void> {
        if (on == tracer.bpf_stats_on())
            return {};
        if (!on)
            observation.bpf_stats_seconds += std::chrono::duration<double>(Clock::now() - stats_since).count();
        if (auto switched = tracer.set_bpf_stats(on); !switched)
            return switched.error();
        if (on) {
            stats_since = Clock::now();
            ++observation.bpf_stats_windows;
        }
        return {};
    };
    while (!(sender_done && receiver_done)) {
        if (interrupted())
            return interruption();
        if (Clock::now() - start > timeout_for(file.size))
            return Error{ETIMEDOUT, "the workload did not finish in " +
                                        std::to_string(timeout_for(file.size).count()) + " s"};
        sender_done = sender_done || processes.sender->poll_exit();
        receiver_done = receiver_done || processes.receiver->poll_exit();
        const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
        const double phase = std::fmod(elapsed, kRunStatsPeriodSeconds);
        if (windows)
            if (auto switched = switch_stats(phase < kRunStatsWindowSeconds && !(sender_done && receiver_done));
                !switched)
                return switched.error();
        if (hooks.on_progress)
            hooks.on_progress(processes.progress.load(), file.size, elapsed);
        if (hooks.on_sample && hooks.sample_interval_seconds > 0 && !(sender_done && receiver_done) &&
            elapsed >= next_sample) {
            auto counters = tracer.read();
            if (!counters)
                return counters.error();
            hooks.on_sample(spec.technique, *counters, processes.progress.load(), elapsed);
            ++samples;
            while (next_sample <= elapsed)  // on the grid, never a burst to catch up
                next_sample += hooks.sample_interval_seconds;
        }
        if (sender_done && receiver_done)
            break;
        auto pause = std::chrono::duration_cast<Clock::duration>(kRunPollEvery);
        if (windows) {
            // Wake at the window's next edge.
            const double to_edge =
                phase < kRunStatsWindowSeconds ? kRunStatsWindowSeconds - phase : kRunStatsPeriodSeconds - phase;
            pause = std::min(pause, std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(to_edge)));
        }
        std::this_thread::sleep_for(pause);
    }
    return samples;
}

// The reports the two processes wrote on their pipes before they exited.
Result<void> collect_workload_reports(WorkloadProcesses& processes, RunObservation& observation)
{
    auto sender_report = read_struct<workload::SenderReport>(processes.sender_pipe.read.get(), "sender");
    auto receiver_report = read_struct<workload::ReceiverReport>(processes.receiver_pipe.read.get(), "receiver");
    if (!sender_report)
        return Error{0, sender_report.error().message + " (" +
                            describe_exit("sender", processes.sender->status()) + ")"};
    if (!receiver_report)
        return Error{0, receiver_report.error().message + " (" +
                            describe_exit("receiver", processes.receiver->status()) + ")"};
    if (sender_report->error)
        return Error{0, sender_report->message};
    if (receiver_report->error)
        return Error{0, receiver_report->message};
    observation.sender = *sender_report;
    observation.receiver = *receiver_report;
    return {};
}

// What the probes counted, their cost while the workload ran, and the
// file's pages left in the page cache.
Result<void> collect_counters(const Tracer& tracer, const std::vector<ProgramStats>& stats_before,
                              const WorkloadFile& file, RunObservation& observation)
{
    observation.program_stats = stats_delta(tracer.program_stats(), stats_before);
    auto counters = tracer.read();
    if (!counters)
        return counters.error();
    observation.counters = std::move(counters.value());
    if (auto window = check_window(observation.counters); !window)
        return window.error();
    auto resident_after = resident_pages(file);
    if (!resident_after)
        return resident_after.error();
    observation.resident_pages_after = *resident_after;
    return {};
}

}  // namespace

std::string_view transport_name(Transport transport)
{
    return transport == Transport::veth ? "veth" : "loopback";
}

Result<std::unique_ptr<Tracer>> attach_for_runs(const std::vector<RunSpec>& specs, const WorkloadFile& file)
{
    if (specs.empty())
        return Error{0, "attach_for_runs: no run to attach for"};
    // Before attaching: syscall tracepoints would slow every syscall timed.
    if (auto machine = machine_costs(); !machine)
        return machine.error();
    ProbeTarget target = probe_target(specs.front(), file, 0, nullptr);
    for (const RunSpec& spec : specs)
        target.uring_sends = target.uring_sends || spec.technique == Technique::io_uring_send_zc;
    return Tracer::attach(target, specs.front().probes);
}

Result<RunObservation> run_technique(const RunSpec& requested, const WorkloadFile& file, const SessionHooks& hooks,
                                     Tracer* shared)
{
    RunSpec spec = requested;
    if (has_buffered_baseline(spec.technique))
        spec.cache = CacheState::cold;
    auto baseline = run_buffered_baseline(spec, file, hooks, shared);
    if (!baseline)
        return baseline.error();
    RunObservation observation;
    observation.spec = spec;
    observation.file = file;
    observation.baseline = std::move(baseline.value());

    auto resident = prepare_page_cache(spec.cache, file);
    if (!resident)
        return resident.error();
    observation.resident_pages_before = *resident;
    if (interrupted())
        return interruption();

    std::optional<CopyDestination> copy;
    if (copies_to_file(spec.technique)) {
        if (spec.technique == Technique::copy_file_range)
            probe_extent_sharing(file, observation);
        auto made = make_copy_destination(file);
        if (!made)
            return made.error();
        copy = std::move(made.value());
    }

    // Before attaching: syscall tracepoints would slow every syscall timed.
    // Probes shared by several runs were attached after attach_for_runs had
    // measured these, and the process keeps its first answer.
    auto machine = machine_costs();
    if (!machine)
        return machine.error();
    observation.machine = *machine;

    const std::uint64_t cookie = random_cookie();
    const ProbeTarget target = probe_target(spec, file, cookie, copy ? &*copy : nullptr);
    std::unique_ptr<Tracer> owned;
    Tracer* tracer = shared;
    if (shared) {
        if (auto ready = shared->retarget(target); !ready)
            return ready.error();
    } else {
        auto attached = Tracer::attach(target, spec.probes);
        if (!attached)
            return attached.error();
        owned = std::move(attached.value());
        tracer = owned.get();
    }
    observation.probes = tracer->probes();
    observation.attach_seconds = tracer->attach_seconds();
    observation.probe_clock = tracer->clock();
    // In windows, bpf_stats (on since the attach, which calibrated it) times
    // nothing until the first window opens as the sender starts. Off before
    // the workload forks: a child that inherits the fd that holds it on
    // keeps it on until it exits.
    if (spec.bpf_stats == BpfStatsMode::windows)
        if (auto off = tracer->set_bpf_stats(false); !off)
            return off.error();
    if (hooks.on_attached)
        hooks.on_attached(*tracer);
    if (interrupted())
        return interruption();

    auto network = RunNetwork::create(spec.transport == Transport::veth, spec.scatter_gather);
    if (!network)
        return network.error();
    if (network->veth) {
        observation.sender_link = network->veth->sender_link;
        observation.sender_link_sg = network->veth->sg;
    }
    observation.egress_device = network->egress_device;
    observation.egress_offloads = network->egress_offloads;

    auto tcp_before = network->sender_tcp_counters();
    if (!tcp_before)
        return tcp_before.error();
    auto device_before = network->sender_device_counters();
    if (!device_before)
        return device_before.error();
    WorkloadProcesses processes;
    if (auto started = start_workload(processes, spec, file, cookie, *network, *tracer, hooks,
                                      copy ? copy->fd.get() : -1);
        !started)
        return started.error();
    const std::vector<ProgramStats> stats_before = tracer->program_stats();
    auto start = start_sender(processes);
    if (!start)
        return start.error();
    auto samples = wait_for_workload(processes, *start, *tracer, spec, file, hooks, observation);
    if (!samples)
        return samples.error();
    observation.interval_samples = *samples;

    if (auto reports = collect_workload_reports(processes, observation); !reports)
        return reports.error();
    auto tcp_after = network->sender_tcp_counters();
    if (!tcp_after)
        return tcp_after.error();
    observation.tcp_counters = counter_delta(*tcp_before, *tcp_after);
    auto device_after = network->sender_device_counters();
    if (!device_after)
        return device_after.error();
    if (*device_before && *device_after)
        observation.egress_sent = DeviceTxCounters{(*device_after)->tx_packets - (*device_before)->tx_packets,
                                                   (*device_after)->tx_bytes - (*device_before)->tx_bytes};
    if (auto counters = collect_counters(*tracer, stats_before, file, observation); !counters)
        return counters.error();
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
