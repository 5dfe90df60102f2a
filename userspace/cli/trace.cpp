// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// `zctrace trace`: the probes on any program, a command it starts, running
// pids or a cgroup, and which technique its bytes really took. Writes
// <out>/trace.json.
#include <sys/wait.h>
#include <unistd.h>

#include <iostream>
#include <memory>
#include <optional>

#include "analysis/trace_analysis.hpp"
#include "base/signals.hpp"
#include "base/system.hpp"
#include "base/units.hpp"
#include "commands.hpp"
#include "common.hpp"
#include "output/files.hpp"
#include "output/json_schema.hpp"
#include "output/terminal.hpp"
#include "output/trace_text.hpp"
#include "runs/trace_session.hpp"
#include "tracing/libbpf_log.hpp"

namespace zctrace::cli {
namespace {

constexpr double kMinDuration = 0.01;
constexpr double kMaxDuration = 30 * 24 * 3600;
constexpr std::uint64_t kMaxProcsLimit = 1u << 20;
constexpr std::uint64_t kMaxSocketsLimit = 1u << 22;

struct TraceOptions {
    std::vector<std::string> command;
    std::vector<std::string> pids;
    std::string cgroup;
    std::string duration;  // empty: until the targets end or Ctrl-C
    std::string interval;  // empty: no samples
    std::string out = "reports";
    std::string format = "text";
    std::uint64_t max_procs = 4096;
    std::uint64_t max_sockets = 16384;
    std::string bpf_stats = "off";
    std::string bystander_filter = "auto";
    std::string hooks = "full";
    bool strict = false;
};

// The exit status a shell would report for the command: its own, or 128 + the signal that ended it.
int command_status(int wait_status)
{
    if (WIFEXITED(wait_status))
        return WEXITSTATUS(wait_status);
    if (WIFSIGNALED(wait_status))
        return 128 + WTERMSIG(wait_status);
    return kExitFailed;
}

// One line of the live table: what the targets did so far and over the
// last interval.
std::string live_line(const TraceSample& sample)
{
    return "zctrace: " + format_fixed(sample.elapsed_seconds, 1) + " s: sent " + format_bytes(sample.bytes_sent) +
           " (" + format_bytes(static_cast<std::uint64_t>(sample.bytes_sent_per_second)) + "/s), " +
           format_bytes(sample.spliced_bytes) + " as page references; CPU copied " +
           format_bytes(sample.cpu_copy_bytes.total) +
           (sample.cpu_copies ? " (" + format_figure(*sample.cpu_copies) + " copies)" : std::string()) + "; " +
           std::to_string(sample.syscalls) + " syscalls (" + format_fixed(sample.syscalls_per_second, 0) + "/s); " +
           quantity(sample.processes, "process", "processes");
}

int run_trace(const TraceOptions& options)
{
    const int targets = (!options.command.empty() ? 1 : 0) + (!options.pids.empty() ? 1 : 0) +
                        (!options.cgroup.empty() ? 1 : 0);
    if (targets != 1)
        return fail(kExitUsage, std::string(targets ? "give one target: " : "nothing to trace: give ") +
                                    "-- CMD [ARGS...], --pid PID (repeatable) or --cgroup PATH");
    if (options.max_procs == 0 || options.max_procs > kMaxProcsLimit)
        return fail(kExitUsage, "--max-procs: give 1 to " + std::to_string(kMaxProcsLimit));
    if (options.max_sockets == 0 || options.max_sockets > kMaxSocketsLimit)
        return fail(kExitUsage, "--max-sockets: give 1 to " + std::to_string(kMaxSocketsLimit));

    TraceSpec spec;
    spec.command = options.command;
    for (const std::string& pid : options.pids) {
        const auto value = std::stoull(pid);  // count_validator checked it
        if (value == 0 || value > 4194304)
            return fail(kExitUsage, "--pid " + quote_input(pid) + ": no such process; `ps -e` lists the running ones");
        spec.pids.push_back(static_cast<pid_t>(value));
    }
    spec.cgroup = options.cgroup;
    spec.duration_seconds = options.duration.empty() ? 0 : *parse_duration(options.duration);
    spec.max_procs = static_cast<std::uint32_t>(options.max_procs);
    spec.max_sockets = static_cast<std::uint32_t>(options.max_sockets);
    spec.bpf_stats = bpf_stats_mode(options.bpf_stats);
    spec.bystander_filter = bystander_filter_named(options.bystander_filter).value_or(BystanderFilter::automatic);
    spec.light_hooks = options.hooks == "light";

    // Bad targets are bad input whatever the privileges.
    if (auto checked = check_pids(spec.pids); !checked)
        return fail(checked.error());
    if (!spec.cgroup.empty())
        if (auto cgroup = resolve_cgroup(spec.cgroup); !cgroup)
            return fail(cgroup.error());
    if (auto privileges = require_privileges("trace"); !privileges)
        return fail(privileges.error());
    if (auto files = ensure_open_files_limit("trace"); !files)
        return fail(files.error());
    const std::filesystem::path out(options.out);
    if (auto writable = check_output_dir(out); !writable)
        return fail(writable.error());

    install_interrupt_handlers();
    TraceHooks hooks;
    std::optional<TraceSample> previous;
    if (!options.interval.empty()) {
        hooks.sample_interval_seconds = *parse_duration(options.interval);
        hooks.on_sample = [&](const RawCounters& counters, double seconds) {
            TraceSample sample = sample_trace(counters, seconds, previous ? &*previous : nullptr);
            sample.seq = previous ? previous->seq + 1 : 0;
            sample.time = utc_now_milliseconds();
            if (options.format == "ndjson")
                emit_ndjson("trace_sample", sample);
            else
                std::cerr << live_line(sample) << std::endl;
            previous = sample;
        };
    }
    hooks.on_attached = [&](const Tracer& tracer) {
        std::string what = !spec.command.empty() ? "starting " + quote_input(spec.command.front())
                           : !spec.pids.empty()  ? "following " + quantity(spec.pids.size(), "pid", "pids") + " and their descendants"
                                                 : "following cgroup " + spec.cgroup;
        std::cerr << attached_line(tracer.probes(), tracer.attach_seconds(), what) << std::endl;
        if (const auto note = bystander_filter_note(options.bystander_filter, tracer.clock().bystander_filter,
                                                    spec.light_hooks, !spec.cgroup.empty()))
            std::cerr << *note << std::endl;
    };
    auto observation = trace_program(spec, hooks);
    if (!observation)
        return fail(observation.error());

    const TraceReport report = build_trace_report(*observation, gather_host_facts());
    const nlohmann::json document = report;
    if (const auto problems = find_schema("trace", kTraceSchemaVersion)->validate(document); !problems.empty())
        return fail(kExitFailed, "internal error: the trace report does not match its schema: " + problems.front());
    const std::filesystem::path path = out / "trace.json";
    if (auto written = write_json_atomically(document, path); !written)
        return fail(written.error());
    if (options.format == "json")
        std::cout << document.dump(2) << "\n";
    if (options.format == "ndjson")
        emit_ndjson("trace", document);
    std::ostream& human = tables_stream(options.format);
    human << render_trace(report, text_width(&human == &std::cout ? STDOUT_FILENO : STDERR_FILENO))
          << "  report: " << path.string() << "\n";

    if (options.strict && report.verdict == Verdict::mismatch)
        return kExitFailed;
    if (observation->command_pid)
        return command_status(observation->command_wait_status);
    if (observation->end == TraceEnd::interrupted && interrupt_signal() == SIGPIPE)
        return kExitStdoutClosed;
    return kExitOk;
}

}  // namespace

void setup_trace(CLI::App& app, int& exit_code, const bool& verbose)
{
    auto options = std::make_shared<TraceOptions>();
    CLI::App* trace = app.add_subcommand(
        "trace", "Trace any program: a command zctrace starts (-- CMD), running processes (--pid) or a cgroup: how "
                 "many times the CPU copied each byte it sent, and which technique that really is");
    trace->add_option("command", options->command,
                      "after --: the command to start and trace with its descendants until it exits; zctrace then "
                      "exits with its status")
        ->option_text("-- CMD [ARGS...]");
    trace->add_option("-p,--pid", options->pids,
                      "a running process (host pid) to trace with its threads, its descendants and its future "
                      "forks; repeatable. Ctrl-C stops the trace and leaves the process running")
        ->option_text("PID")
        ->check(count_validator());
    trace->add_option("--cgroup", options->cgroup,
                      "a cgroup v2 directory (a systemd service, a container): every task in it or below it, "
                      "including those that join later; absolute, or relative to /sys/fs/cgroup")
        ->option_text("PATH");
    trace->add_option("-d,--duration", options->duration,
                      "stop after DURATION, e.g. 30s; a command started with -- is then ended as timeout(1) would "
                      "(default none: until the command or the pids exit, or Ctrl-C)")
        ->option_text("DURATION")
        ->check(duration_validator(kMinDuration, kMaxDuration));
    trace->add_option("--max-procs", options->max_procs,
                      "processes followed and counted one by one at most; more are counted in the totals only, "
                      "and the report says how many (default 4096)")
        ->option_text("N")
        ->check(count_validator());
    trace->add_option("--max-sockets", options->max_sockets,
                      "sockets followed from send to device at most, at once; sends on more are counted in the "
                      "totals, and the report says how many left without their xmit figures (default 16384)")
        ->option_text("N")
        ->check(count_validator());
    trace->add_option("--bpf-stats", options->bpf_stats,
                      "zctrace's own cost comes from its programs, which count their runs and time a sample; "
                      "bpf_stats can time every run as well, as a check: off, always (every process on the host "
                      "then pays +80 ns or so per syscall, and sys_exit tests every task, as bpf_stats times "
                      "every run) or windows (the first 250 ms, then 50 ms in every second) (default off)")
        ->option_text("MODE")
        ->check(one_of({"off", "always", "windows"}));
    add_bystander_filter_option(*trace, options->bystander_filter);
    trace->add_option("--hooks", options->hooks,
                      "full (every probe: flows by syscall, page cache, faults, context switches) or light (only "
                      "the socket, device and process-lifetime hooks: what left each socket as page references or "
                      "copies, with no syscall or page-fault hook, so the rest of the host pays next to nothing) "
                      "(default full)")
        ->option_text("SET")
        ->check(one_of({"full", "light"}));
    add_out_option(*trace, options->out, "directory for trace.json");
    trace->add_option("--interval", options->interval,
                      "every DURATION, e.g. 1s: a live line on stderr (text), or a trace_sample line (ndjson); at "
                      "least 50ms (default none)")
        ->option_text("DURATION")
        ->check(duration_validator(kMinInterval, kMaxDuration));
    add_format_options(*trace, options->format,
                       "what stdout shows: text (the tables), json (trace.json) or ndjson (trace_sample lines, "
                       "then the trace); with json and ndjson the tables go to stderr",
                       {"text", "json", "ndjson"});
    trace->add_flag("--strict", options->strict, "exit 1 when a flow's copies differ from its theory row unexplained");
    trace->callback([options, &exit_code, &verbose] {
        install_libbpf_logger(verbose);
        exit_code = run_trace(*options);
    });
}

}  // namespace zctrace::cli
