// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "output/openmetrics.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <numeric>
#include <map>
#include <set>
#include <span>
#include <string_view>
#include <type_traits>
#include <utility>

namespace zctrace {
namespace {

using Labels = std::vector<std::pair<std::string_view, std::string>>;

constexpr double kBytesPerMiB = 1024.0 * 1024.0;
constexpr double kNanosecondsPerSecond = 1e9;

// An empty label value would read as "no such label" in PromQL.
std::string or_unknown(const std::string& value)
{
    return value.empty() ? "unknown" : value;
}

std::string sg_label(const std::optional<bool>& device_sg)
{
    if (!device_sg)
        return "unknown";
    return *device_sg ? "on" : "off";
}

// One report on its way out: what names it in messages and its identity.
struct Run {
    const Report& report;
    std::string source;
    Labels labels;
    std::int64_t created_seconds = 0;
};

// Writes one family's samples for one run, the run's labels first.
class Samples {
public:
    Samples(std::string_view family, const Labels& labels, std::string& out, std::set<std::string>& seen)
        : family_(family), labels_(labels), out_(out), seen_(seen)
    {
    }

    template <typename T>
    void add(T value)
    {
        add({}, value);
    }

    template <typename T>
    void add(const Labels& extra, T value)
    {
        static_assert(std::is_arithmetic_v<T>);
        std::string series(family_);
        series += '{';
        bool first = true;
        for (const Labels* labels : {&labels_, &extra}) {
            for (const auto& [name, label_value] : *labels) {
                if (!first)
                    series += ',';
                first = false;
                series.append(name).append("=\"").append(openmetrics_escape(label_value)).append("\"");
            }
        }
        series += '}';
        if (!seen_.insert(series).second && !duplicate_)
            duplicate_ = series;
        out_.append(series).append(" ").append(number(value)).append("\n");
    }

    // A series this run gave twice (e.g. two checks of the same metric).
    [[nodiscard]] const std::optional<std::string>& duplicate() const { return duplicate_; }

private:
    template <typename T>
    static std::string number(T value)
    {
        if constexpr (std::is_same_v<T, bool>)
            return value ? "1" : "0";
        else if constexpr (std::is_floating_point_v<T>)
            return openmetrics_number(static_cast<double>(value));
        else if constexpr (std::is_signed_v<T>)
            return openmetrics_number(static_cast<std::int64_t>(value));
        else
            return openmetrics_number(static_cast<std::uint64_t>(value));
    }

    std::string_view family_;
    const Labels& labels_;
    std::string& out_;
    std::set<std::string>& seen_;
    std::optional<std::string> duplicate_;
};

struct Family {
    std::string_view name;
    std::string_view unit;  // empty: none OpenMetrics could name (copies, counts)
    std::string_view help;
    void (*emit)(const Run& run, Samples& samples);
};

// The families, one table per section. The dashboard queries these names,
// so renaming one breaks it (tests/output/openmetrics_test.cpp checks).

// The run itself: which report, its verdicts and checks.
const Family kRunFamilies[] = {
    {"zctrace_report_info", "",
     "Always 1; the labels say which kernel, machine and zctrace version produced the report.",
     [](const Run& run, Samples& samples) {
         const Report& r = run.report;
         samples.add({{"kernel", r.environment.kernel}, {"machine", r.environment.machine}, {"tool", r.tool}}, 1);
     }},
    {"zctrace_report_created_timestamp_seconds", "seconds",
     "When the run finished and its report was written (created_at), in seconds since the epoch.",
     [](const Run& run, Samples& samples) { samples.add(run.created_seconds); }},
    {"zctrace_verdict", "",
     "The report's overall verdict, one of match, explained, invalid and mismatch: 1 for the verdict it got, 0 "
     "for the others.",
     [](const Run& run, Samples& samples) {
         for (Verdict verdict : kReportVerdicts)
             samples.add({{"verdict", std::string(verdict_name(verdict))}}, run.report.verdict == verdict);
     }},
    {"zctrace_check_verdict", "",
     "Each check's verdict, one of match, environment, explained, no_theory, invalid and mismatch: 1 for the "
     "verdict it got, 0 for the others.",
     [](const Run& run, Samples& samples) {
         for (const Check& check : run.report.checks)
             for (Verdict verdict : kAllVerdicts)
                 samples.add({{"check", check.metric}, {"verdict", std::string(verdict_name(verdict))}},
                             check.verdict == verdict);
     }},
    {"zctrace_check_measured", "", "The value each check measured, in the check's own unit.",
     [](const Run& run, Samples& samples) {
         for (const Check& check : run.report.checks)
             samples.add({{"check", check.metric}}, check.measured);
     }},
    {"zctrace_check_theory", "",
     "The value the theory table gives for each check; absent where the table gives none.",
     [](const Run& run, Samples& samples) {
         for (const Check& check : run.report.checks)
             if (check.theory)
                 samples.add({{"check", check.metric}}, *check.theory);
     }},
    {"zctrace_check_expected", "",
     "The value each check is held to, in the check's own unit: the theory, the workload's own design or an "
     "independent counter. A version 1 report's checks were held to the theory: absent where it gives none.",
     [](const Run& run, Samples& samples) {
         for (const Check& check : run.report.checks) {
             if (!check.expected_from.empty())
                 samples.add({{"check", check.metric}}, check.expected);
             else if (check.theory)
                 samples.add({{"check", check.metric}}, *check.theory);
         }
     }},
    {"zctrace_check_tolerance", "",
     "How far each check's measurement may stray from what it is held to and still match.",
     [](const Run& run, Samples& samples) {
         for (const Check& check : run.report.checks)
             samples.add({{"check", check.metric}}, check.tolerance);
     }},
    {"zctrace_integrity_ok", "", "1 when every payload byte arrived (or stayed) intact and its checksum matched.",
     [](const Run& run, Samples& samples) { samples.add(run.report.workload.integrity.ok); }},
};

// Copies, against the theory table, and where the bytes went.
const Family kCopyFamilies[] = {
    {"zctrace_cpu_copies", "",
     "Passes the CPU made over the payload on the sending side: bytes it copied divided by payload bytes.",
     [](const Run& run, Samples& samples) { samples.add(run.report.measured.cpu_copies); }},
    {"zctrace_theory_cpu_copies", "", "CPU copies of the payload the theory table's row (theory_row) predicts.",
     [](const Run& run, Samples& samples) { samples.add(run.report.theory.cpu_copies); }},
    {"zctrace_dma_copies", "",
     "DMA passes over the payload (disk reads and writes, NIC transmits) divided by payload bytes.",
     [](const Run& run, Samples& samples) { samples.add(run.report.measured.dma_copies); }},
    {"zctrace_theory_dma_copies", "", "DMA copies of the payload the theory table's row (theory_row) predicts.",
     [](const Run& run, Samples& samples) { samples.add(run.report.theory.dma_copies); }},
    {"zctrace_payload_bytes", "bytes", "Bytes of payload the workload moved.",
     [](const Run& run, Samples& samples) { samples.add(run.report.workload.bytes); }},
    {"zctrace_cpu_copy_bytes", "bytes",
     "Bytes the CPU copied, by where the copy happened; the paths add up to the copies counted in cpu_copies.",
     [](const Run& run, Samples& samples) {
         const CopyBytes& bytes = run.report.measured.cpu_copy_bytes;
         samples.add({{"path", "file_to_user"}}, bytes.file_to_user);
         samples.add({{"path", "user_to_socket"}}, bytes.user_to_socket);
         samples.add({{"path", "page_cache_to_socket"}}, bytes.page_cache_to_socket);
         samples.add({{"path", "kernel_to_socket"}}, bytes.kernel_to_socket);
         samples.add({{"path", "device_linearize"}}, bytes.device_linearize);
         samples.add({{"path", "copy_on_write"}}, bytes.copy_on_write);
         samples.add({{"path", "zerocopy_deferred"}}, bytes.zerocopy_deferred);
     }},
    {"zctrace_dma_bytes", "bytes",
     "Bytes moved by DMA, by target: the workload file's disk, and devices with a DMA engine at transmit.",
     [](const Run& run, Samples& samples) {
         const DmaBytes& bytes = run.report.measured.dma_bytes;
         samples.add({{"target", "disk_read"}}, bytes.disk_read);
         samples.add({{"target", "disk_write"}}, bytes.disk_write);
         samples.add({{"target", "nic_tx"}}, bytes.nic_tx);
     }},
    {"zctrace_socket_payload_bytes", "bytes",
     "Payload bytes the sender's skbs carried to the device, by how they held it: shared page-cache frags "
     "(not copied), copied frags, zerocopy frags (pinned user pages) or the linear area; resent payload included.",
     [](const Run& run, Samples& samples) {
         const SocketStats& socket = run.report.measured.socket;
         samples.add({{"kind", "shared_frag"}}, socket.shared_frag_bytes);
         samples.add({{"kind", "copied_frag"}}, socket.copied_frag_bytes);
         samples.add({{"kind", "zerocopy_frag"}}, socket.zerocopy_frag_bytes);
         samples.add({{"kind", "linear"}}, socket.linear_payload_bytes);
     }},
    {"zctrace_socket_retransmit_bytes", "bytes", "Bytes TCP retransmitted during the run.",
     [](const Run& run, Samples& samples) { samples.add(run.report.measured.socket.retransmit_bytes); }},
    {"zctrace_receiver_copy_bytes", "bytes",
     "Bytes the receiver copied from socket buffers into its memory; the theory table stops before this copy.",
     [](const Run& run, Samples& samples) { samples.add(run.report.measured.receiver.copy_bytes); }},
};

// Syscalls and switches.
const Family kSyscallFamilies[] = {
    {"zctrace_transfers", "", "Transfers the workload made (its unit of work, e.g. one chunk sent).",
     [](const Run& run, Samples& samples) { samples.add(run.report.workload.transfers); }},
    {"zctrace_syscalls", "", "Syscalls the sender made during the run, by syscall.",
     [](const Run& run, Samples& samples) {
         for (const auto& [name, count] : run.report.measured.syscalls.by_name)
             samples.add({{"syscall", name}}, count);
     }},
    {"zctrace_syscalls_per_transfer", "", "Syscalls the sender made per transfer.",
     [](const Run& run, Samples& samples) { samples.add(run.report.measured.syscalls_per_transfer); }},
    {"zctrace_theory_syscalls_per_transfer", "",
     "Syscalls per transfer the theory table's row predicts; absent where it gives no figure.",
     [](const Run& run, Samples& samples) {
         if (const auto& theory = run.report.theory.syscalls_per_transfer)
             samples.add(*theory);
     }},
    {"zctrace_mode_switches", "", "User/kernel mode switches of the sender: syscall entries plus exits.",
     [](const Run& run, Samples& samples) { samples.add(run.report.measured.mode_switches); }},
    {"zctrace_mode_switches_per_transfer", "", "Mode switches of the sender per transfer.",
     [](const Run& run, Samples& samples) { samples.add(run.report.measured.mode_switches_per_transfer); }},
    {"zctrace_theory_mode_switches_per_transfer", "",
     "Mode switches per transfer the theory table's row predicts; absent where it gives no figure.",
     [](const Run& run, Samples& samples) {
         if (const auto& theory = run.report.theory.mode_switches_per_transfer)
             samples.add(*theory);
     }},
    {"zctrace_context_switches", "", "Context switches of the sender during the run, by kind.",
     [](const Run& run, Samples& samples) {
         const ContextSwitches& switches = run.report.measured.context_switches;
         samples.add({{"kind", "voluntary"}}, switches.voluntary);
         samples.add({{"kind", "involuntary"}}, switches.involuntary);
     }},
};

// Memory: the page cache and page faults.
const Family kMemoryFamilies[] = {
    {"zctrace_page_cache_hits", "", "Distinct pages of the workload file found in the page cache.",
     [](const Run& run, Samples& samples) { samples.add(run.report.measured.page_cache.hits); }},
    {"zctrace_page_cache_misses", "", "Pages of the workload file added to the page cache (read from disk).",
     [](const Run& run, Samples& samples) { samples.add(run.report.measured.page_cache.misses); }},
    {"zctrace_page_cache_hit_ratio", "ratio",
     "Page-cache hits over the workload file's pages accessed; absent when no page went through the cache.",
     [](const Run& run, Samples& samples) {
         if (const auto& ratio = run.report.measured.page_cache.hit_ratio)
             samples.add(*ratio);
     }},
    {"zctrace_page_faults", "", "Page faults of the sender, by the mode it was in when it faulted.",
     [](const Run& run, Samples& samples) {
         const PageFaults& faults = run.report.measured.page_faults;
         samples.add({{"mode", "user"}}, faults.user);
         samples.add({{"mode", "kernel"}}, faults.kernel);
     }},
    {"zctrace_major_page_faults", "", "Page faults of the sender that waited for the disk (getrusage).",
     [](const Run& run, Samples& samples) { samples.add(run.report.measured.page_faults.major); }},
};

// Time and throughput.
const Family kTimeFamilies[] = {
    {"zctrace_wall_seconds", "seconds", "Length of the sender's measurement window.",
     [](const Run& run, Samples& samples) { samples.add(run.report.workload.wall_seconds); }},
    {"zctrace_cpu_seconds", "seconds", "CPU time (user + system) in the measurement window, by side.",
     [](const Run& run, Samples& samples) {
         samples.add({{"side", "sender"}}, run.report.workload.cpu_seconds);
         samples.add({{"side", "receiver"}}, run.report.workload.receiver_cpu_seconds);
     }},
    {"zctrace_cpu_seconds_per_gib", "", "Sender CPU seconds per GiB (2^30 bytes) of payload.",
     [](const Run& run, Samples& samples) { samples.add(run.report.workload.cpu_seconds_per_gib); }},
    {"zctrace_throughput_bytes_per_second", "bytes_per_second", "Payload bytes per second of the sender's window.",
     [](const Run& run, Samples& samples) {
         // Scaling by a power of two is exact: the report's MiB/s, unchanged.
         samples.add(run.report.workload.mib_per_second * kBytesPerMiB);
     }},
};

// What tracing cost.
const Family kOverheadFamilies[] = {
    {"zctrace_bpf_run_seconds", "seconds",
     "Time zctrace's BPF programs ran while the workload ran (timed by the programs themselves in a sample, or by "
     "bpf_stats).",
     [](const Run& run, Samples& samples) {
         samples.add(static_cast<double>(run.report.overhead.bpf_run_ns) / kNanosecondsPerSecond);
     }},
    {"zctrace_bpf_run_standard_error_seconds", "seconds",
     "One standard error of zctrace_bpf_run_seconds, from the spread of the programs' timed runs (absent under "
     "bpf_stats and in reports from before it was recorded).",
     [](const Run& run, Samples& samples) {
         const Overhead& overhead = run.report.overhead;
         if (overhead.sample_error_recorded())
             samples.add(static_cast<double>(overhead.bpf_run_ns_standard_error) / kNanosecondsPerSecond);
     }},
    {"zctrace_bpf_events", "", "Runs of zctrace's BPF programs, across the whole system.",
     [](const Run& run, Samples& samples) { samples.add(run.report.overhead.events); }},
    {"zctrace_bpf_missed_events", "", "Runs of zctrace's BPF programs the kernel skipped (recursion).",
     [](const Run& run, Samples& samples) { samples.add(run.report.overhead.missed_events); }},
    {"zctrace_bpf_cpu_share_ratio", "ratio",
     "BPF run time as a share of CPU time: of the workload (sender + receiver) or of the sender alone.",
     [](const Run& run, Samples& samples) {
         samples.add({{"of", "workload"}}, run.report.overhead.share_of_workload_cpu);
         samples.add({{"of", "sender"}}, run.report.overhead.share_of_sender_cpu);
     }},
    {"zctrace_attach_seconds", "seconds", "Time zctrace took to open, load and attach its BPF programs.",
     [](const Run& run, Samples& samples) { samples.add(run.report.overhead.attach_seconds); }},
    {"zctrace_peak_rss_bytes", "bytes", "zctrace's own peak resident memory.",
     [](const Run& run, Samples& samples) { samples.add(run.report.overhead.zctrace_peak_rss_bytes); }},
};

// The order here, and in each table, is the order of the output.
const std::span<const Family> kSections[] = {kRunFamilies,    kCopyFamilies, kSyscallFamilies,
                                             kMemoryFamilies, kTimeFamilies, kOverheadFamilies};

// `zctrace trace` reports: their series carry target (the command's name,
// the first pid's comm, or the cgroup) and target_kind; per-process series
// add comm, summed over the processes that share it, so that a server's
// workers do not each make a series and a restart does not change them.
struct Trace {
    const TraceReport* report_;
    const TraceReport& report() const { return *report_; }
    std::string source;
    Labels labels;
    std::int64_t created_seconds = 0;
};

struct TraceFamily {
    std::string_view name;
    std::string_view unit;
    std::string_view help;
    void (*emit)(const Trace& trace, Samples& samples);
};

const TraceFamily kTraceFamilies[] = {
    {"zctrace_trace_info", "", "Always 1; the labels say which kernel and zctrace version traced the target.",
     [](const Trace& t, Samples& samples) {
         samples.add({{"kernel", t.report().kernel}, {"tool", t.report().tool}}, 1);
     }},
    {"zctrace_trace_created_timestamp_seconds", "seconds",
     "When the trace ended and its report was written (created_at), in seconds since the epoch.",
     [](const Trace& t, Samples& samples) { samples.add(t.created_seconds); }},
    {"zctrace_trace_seconds", "seconds", "How long the trace ran.",
     [](const Trace& t, Samples& samples) { samples.add(t.report().seconds); }},
    {"zctrace_trace_verdict", "",
     "The trace's verdict over its flows: 1 for the verdict it got, 0 for the others.",
     [](const Trace& t, Samples& samples) {
         for (Verdict verdict : kAllVerdicts)
             samples.add({{"verdict", std::string(verdict_name(verdict))}}, t.report().verdict == verdict);
     }},
    {"zctrace_trace_sent_bytes", "bytes", "Bytes the traced processes' syscalls returned as sent on TCP.",
     [](const Trace& t, Samples& samples) { samples.add(t.report().totals.bytes_sent); }},
    {"zctrace_trace_cpu_copies", "",
     "CPU copies per byte sent: copied bytes over bytes sent (passes over what was served); absent when nothing "
     "was sent.",
     [](const Trace& t, Samples& samples) {
         if (t.report().totals.cpu_copies)
             samples.add(*t.report().totals.cpu_copies);
     }},
    {"zctrace_trace_cpu_copy_bytes", "bytes", "Bytes the CPU copied for the traced processes, by path.",
     [](const Trace& t, Samples& samples) {
         const CopyBytes& c = t.report().totals.cpu_copy_bytes;
         for (const auto& [path, bytes] :
              std::initializer_list<std::pair<const char*, std::uint64_t>>{{"file_to_user", c.file_to_user},
                                                                            {"user_to_socket", c.user_to_socket},
                                                                            {"page_cache_to_socket", c.page_cache_to_socket},
                                                                            {"kernel_to_socket", c.kernel_to_socket},
                                                                            {"device_linearize", c.device_linearize}})
             samples.add({{"path", path}}, bytes);
     }},
    {"zctrace_trace_receive_copy_bytes", "bytes", "Bytes copied from the traced processes' sockets into their memory.",
     [](const Trace& t, Samples& samples) { samples.add(t.report().totals.receive_copy_bytes); }},
    {"zctrace_trace_syscalls", "", "Syscalls the traced processes made.",
     [](const Trace& t, Samples& samples) { samples.add(t.report().totals.syscalls); }},
    {"zctrace_trace_cpu_seconds_per_gib_sent", "", "CPU seconds of the traced processes per GiB sent.",
     [](const Trace& t, Samples& samples) {
         if (t.report().totals.cpu_seconds_per_gib_sent)
             samples.add(*t.report().totals.cpu_seconds_per_gib_sent);
     }},
    {"zctrace_trace_flow_bytes", "bytes", "Bytes of each flow: the syscalls that returned them and how they moved.",
     [](const Trace& t, Samples& samples) {
         for (const TraceFlow& flow : t.report().flows)
             samples.add({{"flow", flow.technique}, {"theory_row", flow.theory_row}}, flow.bytes);
     }},
    {"zctrace_trace_flow_cpu_copies", "", "CPU copies per byte of each flow.",
     [](const Trace& t, Samples& samples) {
         for (const TraceFlow& flow : t.report().flows)
             samples.add({{"flow", flow.technique}, {"theory_row", flow.theory_row}}, flow.measured_cpu_copies);
     }},
    {"zctrace_trace_flow_verdict", "", "Each flow's verdict against its row: 1 for the verdict it got, 0 for the others.",
     [](const Trace& t, Samples& samples) {
         for (const TraceFlow& flow : t.report().flows)
             for (Verdict verdict : kAllVerdicts)
                 samples.add({{"flow", flow.technique},
                              {"theory_row", flow.theory_row},
                              {"verdict", std::string(verdict_name(verdict))}},
                             flow.verdict == verdict);
     }},
    {"zctrace_trace_process_sent_bytes", "bytes", "Bytes sent, summed over the traced processes of each comm.",
     [](const Trace& t, Samples& samples) {
         std::map<std::string, std::uint64_t> by_comm;
         for (const TraceProcess& process : t.report().processes)
             by_comm[process.comm] += process.figures.bytes_sent;
         for (const auto& [comm, bytes] : by_comm)
             samples.add({{"comm", comm}}, bytes);
     }},
    {"zctrace_trace_process_cpu_copy_bytes", "bytes", "Bytes the CPU copied, summed over the processes of each comm.",
     [](const Trace& t, Samples& samples) {
         std::map<std::string, std::uint64_t> by_comm;
         for (const TraceProcess& process : t.report().processes)
             by_comm[process.comm] += process.figures.cpu_copy_bytes.total;
         for (const auto& [comm, bytes] : by_comm)
             samples.add({{"comm", comm}}, bytes);
     }},
    {"zctrace_trace_process_syscalls", "", "Syscalls, summed over the processes of each comm.",
     [](const Trace& t, Samples& samples) {
         std::map<std::string, std::uint64_t> by_comm;
         for (const TraceProcess& process : t.report().processes)
             by_comm[process.comm] += process.figures.syscalls;
         for (const auto& [comm, count] : by_comm)
             samples.add({{"comm", comm}}, count);
     }},
    {"zctrace_trace_probe_run_seconds", "seconds",
     "CPU time zctrace's probes ran during the trace (bpf_stats), system-wide.",
     [](const Trace& t, Samples& samples) { samples.add(static_cast<double>(t.report().overhead.bpf_run_ns) / 1e9); }},
};

std::string escape_help(std::string_view text)
{
    std::string out;
    for (char c : text) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '\n')
            out += "\\n";
        else
            out += c;
    }
    return out;
}

std::string describe_labels(const Labels& labels)
{
    std::string text;
    for (const auto& [name, value] : labels)
        text.append(text.empty() ? "" : ",").append(name).append("=\"").append(openmetrics_escape(value)).append("\"");
    return "{" + text + "}";
}

// Parses `digits` decimal digits at text[at]; -1 when any is not a digit.
int parse_digits(std::string_view text, std::size_t at, std::size_t digits)
{
    int value = 0;
    for (std::size_t i = at; i < at + digits; ++i) {
        if (text[i] < '0' || text[i] > '9')
            return -1;
        value = value * 10 + (text[i] - '0');
    }
    return value;
}

}  // namespace

std::string openmetrics_number(std::uint64_t value)
{
    return std::to_string(value);
}

std::string openmetrics_number(std::int64_t value)
{
    return std::to_string(value);
}

std::string openmetrics_number(double value)
{
    if (std::isnan(value))
        return "NaN";
    if (std::isinf(value))
        return value > 0 ? "+Inf" : "-Inf";
    if (value == 0)
        return "0";  // and not "-0"
    // Whole numbers a double holds exactly read best without an exponent.
    constexpr double kExactIntegers = 9007199254740992.0;  // 2^53
    if (std::fabs(value) < kExactIntegers && std::trunc(value) == value)
        return std::to_string(static_cast<std::int64_t>(value));
    char buffer[64];
    const auto [end, error] = std::to_chars(buffer, buffer + sizeof buffer, value);
    return std::string(buffer, error == std::errc() ? end : buffer);
}

std::string openmetrics_escape(const std::string& value)
{
    std::string out;
    out.reserve(value.size());
    for (char c : value) {
        switch (c) {
        case '\\': out += "\\\\"; break;
        case '"': out += "\\\""; break;
        case '\n': out += "\\n"; break;
        default: out += c;
        }
    }
    return out;
}

Result<std::int64_t> parse_created_at(const std::string& created_at)
{
    using namespace std::chrono;
    const std::string_view text = created_at;
    const auto invalid = [&] {
        return Error::bad_input("created_at \"" + created_at + "\" is not a UTC time of the form YYYY-MM-DDTHH:MM:SSZ");
    };
    if (text.size() != 20 || text[4] != '-' || text[7] != '-' || text[10] != 'T' || text[13] != ':' ||
        text[16] != ':' || text[19] != 'Z')
        return invalid();
    const int y = parse_digits(text, 0, 4), mo = parse_digits(text, 5, 2), d = parse_digits(text, 8, 2);
    const int h = parse_digits(text, 11, 2), mi = parse_digits(text, 14, 2), s = parse_digits(text, 17, 2);
    if (y < 0 || mo < 0 || d < 0 || h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 60)
        return invalid();
    const year_month_day date{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
    if (!date.ok())
        return invalid();
    const auto time = sys_days{date} + hours{h} + minutes{mi} + seconds{s};
    return static_cast<std::int64_t>(time.time_since_epoch().count());
}

Result<std::string> render_openmetrics(const std::vector<Report>& reports)
{
    return render_openmetrics(reports, {});
}

Result<std::string> render_openmetrics(const std::vector<Report>& reports, const std::vector<std::string>& sources)
{
    return render_openmetrics(reports, sources, {}, {});
}

Result<std::string> render_openmetrics(const std::vector<Report>& reports, const std::vector<std::string>& sources,
                                       const std::vector<TraceReport>& traces,
                                       const std::vector<std::string>& trace_sources)
{
    std::vector<Run> runs;
    runs.reserve(reports.size());
    for (std::size_t i = 0; i < reports.size(); ++i) {
        const Report& r = reports[i];
        std::string source = i < sources.size() ? sources[i]
                                                : "report #" + std::to_string(i + 1) + " (" + r.technique +
                                                      ", created " + r.created_at + ")";
        auto created = parse_created_at(r.created_at);
        if (!created)
            return Error::bad_input(source + ": " + created.error().message);
        Labels labels = {{"technique", r.technique},
                         {"theory_row", r.theory_row},
                         {"network", or_unknown(r.environment.network)},
                         {"sg", sg_label(r.environment.device_sg)},
                         {"cache", or_unknown(r.environment.cache)},
                         {"chunk_bytes", std::to_string(r.workload.chunk_bytes)}};
        runs.push_back(Run{r, std::move(source), std::move(labels), *created});
    }

    // Sorted by labels, so that the text does not depend on the order of the
    // files, and so that reports giving the same series end up side by side.
    std::vector<std::size_t> order(runs.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return runs[a].labels < runs[b].labels; });
    for (std::size_t i = 1; i < order.size(); ++i) {
        const Run& first = runs[order[i - 1]];
        const Run& second = runs[order[i]];
        if (first.labels == second.labels)
            return Error::bad_input(first.source + " and " + second.source + " would give the same series " +
                                    describe_labels(first.labels) +
                                    " (same technique, theory row, network, scatter-gather and cache); Prometheus can "
                                    "keep only one of them, so export only one (e.g. the newer: created " +
                                    first.report.created_at + " and " + second.report.created_at + ")");
    }

    std::vector<Trace> traced;
    for (std::size_t i = 0; i < traces.size(); ++i) {
        const TraceReport& t = traces[i];
        std::string source = i < trace_sources.size() ? trace_sources[i]
                                                      : "trace #" + std::to_string(i + 1) + " (created " + t.created_at + ")";
        auto created = parse_created_at(t.created_at);
        if (!created)
            return Error::bad_input(source + ": " + created.error().message);
        traced.push_back(Trace{&t, std::move(source), {{"target", t.target.label}, {"target_kind", t.target.kind}}, *created});
    }
    std::stable_sort(traced.begin(), traced.end(), [](const Trace& a, const Trace& b) { return a.labels < b.labels; });
    for (std::size_t i = 1; i < traced.size(); ++i)
        if (traced[i - 1].labels == traced[i].labels)
            return Error::bad_input(traced[i - 1].source + " and " + traced[i].source + " would give the same series " +
                                    describe_labels(traced[i].labels) +
                                    " (same target); Prometheus can keep only one of them, so export only one");

    std::string out;
    std::set<std::string> seen;
    const bool run_families = !reports.empty() || traces.empty();
    for (const std::span<const Family> section : kSections)
        for (const Family& family : section) {
            if (!run_families)
                break;
            out.append("# TYPE ").append(family.name).append(" gauge\n");
            if (!family.unit.empty())
                out.append("# UNIT ").append(family.name).append(" ").append(family.unit).append("\n");
            out.append("# HELP ").append(family.name).append(" ").append(escape_help(family.help)).append("\n");
            for (std::size_t index : order) {
                Samples samples(family.name, runs[index].labels, out, seen);
                family.emit(runs[index], samples);
                if (samples.duplicate())
                    return Error::bad_input(runs[index].source + " gives the series " + *samples.duplicate() +
                                            " twice, so it is inconsistent; export the report of a fresh `zctrace run` "
                                            "instead");
            }
        }
    for (const TraceFamily& family : kTraceFamilies) {
        if (traced.empty())
            break;
        out.append("# TYPE ").append(family.name).append(" gauge\n");
        if (!family.unit.empty())
            out.append("# UNIT ").append(family.name).append(" ").append(family.unit).append("\n");
        out.append("# HELP ").append(family.name).append(" ").append(escape_help(family.help)).append("\n");
        for (const Trace& trace : traced) {
            Samples samples(family.name, trace.labels, out, seen);
            family.emit(trace, samples);
        }
    }
    out += "# EOF\n";
    return out;
}

}  // namespace zctrace
