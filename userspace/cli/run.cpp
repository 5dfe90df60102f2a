// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// `zctrace run <technique>... | all`: trace the bundled workload for each
// technique and write one report per technique.
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <iostream>
#include <memory>
#include <optional>

#include "analysis/build_report.hpp"
#include "analysis/repeats.hpp"
#include "analysis/measurement.hpp"
#include "base/netns.hpp"
#include "base/signals.hpp"
#include "base/system.hpp"
#include "base/units.hpp"
#include "commands.hpp"
#include "common.hpp"
#include "output/files.hpp"
#include "output/json_schema.hpp"
#include "output/summary.hpp"
#include "output/terminal.hpp"
#include "report/run_report.hpp"
#include "runs/session.hpp"
#include "runs/techniques.hpp"
#include "runs/workload_file.hpp"
#include "tracing/libbpf_log.hpp"

namespace zctrace::cli {
namespace {

constexpr std::uint64_t kMaxChunk = 1ull << 30;
constexpr double kMaxInterval = 24 * 3600;
constexpr std::uint64_t kMaxRepeat = 100;

struct RunOptions {
    std::vector<std::string> techniques;
    // Big enough that the fastest technique's window lasts well over the
    // 50 ms below which its timings are noise.
    std::string size = "256M";
    std::string chunk = "64K";
    std::string cache = "warm";
    std::string out = "reports";
    std::string dir = "/var/tmp";
    std::uint64_t write_pages = 10;
    std::string transport = "lo";
    std::string sg;  // empty: not given
    std::string receiver = "copy";
    std::string format = "text";
    std::string interval;  // empty: no samples
    bool strict = false;
    std::uint64_t seed = 1;
    std::uint64_t repeat = 1;
    std::string bpf_stats = "off";
    std::string bystander_filter = "auto";
};

// What the command line asks for, parsed and checked against this machine
// before anything is created or attached.
struct RunPlan {
    std::vector<Technique> techniques;
    std::uint64_t size = 0;
    std::vector<std::uint64_t> chunks;  // more than one: a sweep, each technique at each
    CacheState cache = CacheState::warm;
    Transport transport = Transport::loopback;
    bool scatter_gather = true;
    workload::ReceiveMode receive = workload::ReceiveMode::copy;
    double interval = 0;  // 0: no samples
    std::uint64_t repeat = 1;  // runs of each technique
};

std::string validate_technique(const std::string& name)
{
    if (name == "all" || name == "beyond" || user_can_run(name))
        return {};
    return "unknown technique " + quote_input(name) + "; valid techniques: " + technique_names() + ", all, beyond";
}

// Turns the session's counter snapshots into interval samples with rates
// over the time since the previous one.
class Sampler {
public:
    Sampler(std::uint64_t file_bytes, std::uint64_t chunk_bytes) : file_bytes_(file_bytes), chunk_bytes_(chunk_bytes) {}

    IntervalSample next(Technique technique, const RawCounters& counters, std::uint64_t received, double seconds)
    {
        // Each technique runs once per invocation (the buffered baseline as
        // its own technique), so a new technique is a new run from zero.
        if (technique != technique_) {
            technique_ = technique;
            seq_ = 0;
            previous_ = IntervalSample{};
        }
        IntervalSample sample = sample_counters(counters, technique);
        sample.seq = ++seq_;
        sample.chunk_bytes = chunk_bytes_;
        sample.time = utc_now_milliseconds();
        sample.elapsed_seconds = seconds;
        sample.interval_seconds = seconds - previous_.elapsed_seconds;
        sample.file_bytes = file_bytes_;
        auto rate = [&](std::uint64_t now, std::uint64_t before) {
            return ratio(static_cast<double>(now - std::min(now, before)), sample.interval_seconds);
        };
        if (sends_over_network(technique)) {
            sample.received_bytes = received;
            sample.received_bytes_per_second = rate(received, previous_.received_bytes.value_or(0));
        }
        sample.cpu_copy_bytes_per_second = rate(sample.cpu_copy_bytes.total, previous_.cpu_copy_bytes.total);
        sample.syscalls_per_second = rate(sample.syscalls, previous_.syscalls);
        previous_ = sample;
        return sample;
    }

private:
    std::uint64_t file_bytes_;
    std::uint64_t chunk_bytes_;
    std::optional<Technique> technique_;
    std::uint64_t seq_ = 0;
    IntervalSample previous_;
};

std::vector<Technique> selected_techniques(const std::vector<std::string>& names)
{
    std::vector<Technique> out;
    auto add = [&out](Technique technique) {
        if (std::find(out.begin(), out.end(), technique) == out.end())
            out.push_back(technique);
    };
    for (const std::string& name : names) {
        if (name == "all")
            std::for_each(kAllTechniques.begin(), kAllTechniques.end(), add);
        else if (name == "beyond")
            std::for_each(kBeyondSeedsTechniques.begin(), kBeyondSeedsTechniques.end(), add);
        else
            add(*technique_from_name(name));
    }
    return out;
}

// A sweep's report files: <technique>-chunk-<size>.json, the size in whole
// KiB or MiB where it is one ("sendfile-chunk-64K").
std::string sweep_report_stem(const std::string& technique, std::uint64_t chunk)
{
    std::string size = std::to_string(chunk);
    if (chunk % (1u << 20) == 0)
        size = std::to_string(chunk >> 20) + "M";
    else if (chunk % 1024 == 0)
        size = std::to_string(chunk >> 10) + "K";
    return technique + "-chunk-" + size;
}

Result<RunPlan> plan_run(const RunOptions& options)
{
    RunPlan plan;
    plan.techniques = selected_techniques(options.techniques);
    plan.size = *parse_size(options.size);
    for (const std::string& item : split_list(options.chunk)) {
        const std::uint64_t chunk = *parse_size(item);
        if (chunk > kMaxChunk)
            return Error::bad_input("--chunk " + item + " is larger than the 1 GiB limit; use --chunk 1G or less");
        if (std::find(plan.chunks.begin(), plan.chunks.end(), chunk) == plan.chunks.end())
            plan.chunks.push_back(chunk);
    }
    const auto page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
    const std::uint64_t memory = static_cast<std::uint64_t>(::sysconf(_SC_PHYS_PAGES)) * page;
    for (Technique technique : plan.techniques) {
        for (const std::uint64_t chunk : plan.chunks) {
            const std::string given = "--chunk " + format_bytes(chunk);
            if (reads_direct(technique) && chunk % page != 0)
                return Error::bad_input(given + ": " + std::string(technique_name(technique)) +
                                        " reads with O_DIRECT, which needs whole pages; use a multiple of " +
                                        std::to_string(page) + " bytes, e.g. --chunk 64K");
            if (technique == Technique::vmsplice_gift && (chunk % page != 0 || plan.size % page != 0))
                return Error::bad_input(
                    std::string(chunk % page ? given : "--size " + options.size) +
                    ": vmsplice_gift gives the kernel whole pages (vmsplice(2): SPLICE_F_GIFT needs "
                    "memory and length page aligned); use a multiple of " +
                    std::to_string(page) + " bytes, e.g. 64K");
        }
        // These hold the whole payload in memory at once.
        if (holds_whole_payload(technique) && plan.size > memory / 4)
            return Error::bad_input("--size " + options.size + ": " + std::string(technique_name(technique)) +
                                    " keeps the whole payload in memory, and " + format_bytes(plan.size) +
                                    " is more than a quarter of this machine's " + format_bytes(memory) +
                                    "; use a smaller --size");
    }
    if (!options.interval.empty() && options.format != "ndjson")
        return Error::bad_input("--interval samples are lines of the NDJSON stream; add --format ndjson");
    plan.interval = options.interval.empty() ? 0 : *parse_duration(options.interval);
    if (!options.sg.empty() && options.transport != "veth")
        return Error::bad_input("--sg sets scatter-gather on the veth zctrace creates; use it with --transport veth "
                                "(lo always has SG on)");
    plan.transport = options.transport == "veth" ? Transport::veth : Transport::loopback;
    plan.scatter_gather = options.sg != "off";
    plan.receive = options.receiver == "zerocopy" ? workload::ReceiveMode::zerocopy : workload::ReceiveMode::copy;
    plan.cache = options.cache == "cold" ? CacheState::cold : CacheState::warm;
    if (options.repeat < 1 || options.repeat > kMaxRepeat)
        return Error::bad_input("--repeat " + std::to_string(options.repeat) + ": give a number of runs from 1 to " +
                                std::to_string(kMaxRepeat));
    plan.repeat = options.repeat;
    return plan;
}

// The workload file takes --size bytes in --dir: without room for them the
// run would fail late, after filling a disk other programs need.
Result<void> check_free_space(const RunOptions& options, std::uint64_t size)
{
    struct statvfs filesystem {};
    if (::statvfs(options.dir.c_str(), &filesystem) != 0)
        return {};  // WorkDir::create() says what is wrong with the directory
    const std::uint64_t available = static_cast<std::uint64_t>(filesystem.f_bavail) * filesystem.f_frsize;
    if (available >= size)
        return {};
    return Error::bad_input("the workload file needs " + format_bytes(size) + " (--size " + options.size +
                            "), and --dir " + options.dir + " has " + format_bytes(available) +
                            " free; use a smaller --size, free some space, or pass --dir on a filesystem with room");
}

int run_run(const RunOptions& options)
{
    auto planned = plan_run(options);
    if (!planned)
        return fail(planned.error());
    const RunPlan& plan = *planned;
    if (auto privileged = require_privileges("run"); !privileged)
        return fail(kExitUnsupported, privileged.error().describe());
    if (auto files = ensure_open_files_limit("run"); !files)
        return fail(files.error());
    if (auto writable = check_output_dir(options.out); !writable)
        return fail(Error(writable.error()).as(ErrorKind::bad_input));

    // A summary in --out would describe reports this run replaces; several
    // techniques write a new one at the end.
    if (remove_summary_files(options.out) && plan.techniques.size() * plan.chunks.size() == 1)
        std::cerr << "zctrace: removed the summary files in " << options.out
                  << ", which described reports this run replaces; `zctrace summarize " << options.out
                  << "` writes them again\n";
    install_interrupt_handlers();
    // Checked here too so a missing tracefs is reported before any work.
    const PseudoMount tracefs = ensure_tracefs();
    if (!tracefs.available)
        return fail(kExitUnsupported, "tracefs is not available (" + tracefs.error +
                                          "); the filemap tracepoints need it. Run `zctrace doctor`.");
    // What a killed run may have left: its work directory, and (should a veth
    // end ever sit outside zctrace's own namespaces) its links.
    sweep_stale_work_dirs(options.dir);
    if (plan.transport == Transport::veth)
        sweep_stale_links();
    if (auto room = check_free_space(options, plan.size); !room)
        return fail(room.error());

    auto dir = WorkDir::create(options.dir);
    if (!dir)
        return fail(Error{dir.error().code, dir.error().message + "; pass --dir with a writable directory on a "
                                            "block-backed filesystem", ErrorKind::bad_input});
    if (plan.size >= (256u << 20))
        std::cerr << "zctrace: writing a " << format_bytes(plan.size) << " workload file in "
                  << dir->path().string() << "\n";
    auto file = create_workload_file(dir->path(), plan.size, options.seed);
    if (!file)
        return fail(file.error());
    if (std::any_of(plan.techniques.begin(), plan.techniques.end(), reads_direct))
        if (auto direct = check_direct_io(*file); !direct)
            return fail(direct.error());
    const HostFacts host = gather_host_facts();

    const std::string& format = options.format;
    std::ostream& human = tables_stream(format);
    // One renderer for the whole invocation: what the environment removes is
    // said once, not once per technique.
    ReportText text(text_width(&human == &std::cout ? STDOUT_FILENO : STDERR_FILENO));
    nlohmann::json printed = nlohmann::json::array();
    std::vector<Report> reports;
    std::vector<std::string> mismatched, invalid;
    auto spec_for = [&](Technique technique, std::uint64_t chunk) {
        RunSpec spec{technique,      chunk,               plan.cache,          ProbeFlavor::typed,
                     plan.transport, plan.scatter_gather, options.write_pages, plan.receive};
        spec.bpf_stats = bpf_stats_mode(options.bpf_stats);
        spec.bystander_filter = bystander_filter_named(options.bystander_filter).value_or(BystanderFilter::automatic);
        return spec;
    };
    // A sweep runs each technique at each chunk size, one report each.
    const bool sweep = plan.chunks.size() > 1;
    std::vector<std::pair<Technique, std::uint64_t>> cells;
    for (Technique technique : plan.techniques)
        for (const std::uint64_t chunk : plan.chunks)
            cells.emplace_back(technique, chunk);
    // Several runs attach once and reset the counters between them.
    std::unique_ptr<Tracer> shared;
    if (cells.size() * plan.repeat > 1) {
        std::vector<RunSpec> specs;
        for (const auto& [technique, chunk] : cells)
            specs.push_back(spec_for(technique, chunk));
        auto attached = attach_for_runs(specs, *file);
        if (!attached)
            return fail(attached.error());
        shared = std::move(attached.value());
        std::cerr << attached_line(shared->probes(), shared->attach_seconds(),
                                   "each run resets them instead of attaching its own")
                  << "\n";
        if (const auto note = bystander_filter_note(options.bystander_filter, shared->clock().bystander_filter, false, false))
            std::cerr << *note << "\n";
    }
    for (const auto& [technique, chunk] : cells) {
        const std::string name =
            std::string(technique_name(technique)) + (sweep ? " with " + format_bytes(chunk) + " chunks" : "");
        if (has_buffered_baseline(technique))
            std::cerr << "zctrace: " << name << " first traces a buffered read() of the same file; both runs "
                      << "start from a cold cache, since page-cache pollution is what they are compared on\n";
        std::vector<Report> runs;
        std::uint64_t samples = 0;
        for (std::uint64_t repeat = 1; repeat <= plan.repeat; ++repeat) {
            const std::string label = plan.repeat > 1 ? name + " (run " + std::to_string(repeat) + " of " +
                                                            std::to_string(plan.repeat) + ")"
                                                      : name;
            ProgressLine progress(label);
            Sampler sampler(plan.size, chunk);  // each run's samples start from zero
            SessionHooks hooks;
            hooks.on_attached = [&](const Tracer& tracer) {
                const std::string then = "running " + label + " with " + format_bytes(plan.size);
                if (tracer.retargeted())
                    std::cerr << "zctrace: probes attached; counters reset in "
                              << format_fixed(tracer.attach_seconds() * 1000, 1) << " ms; " << then << "\n";
                else {
                    std::cerr << attached_line(tracer.probes(), tracer.attach_seconds(), then) << "\n";
                    if (const auto note =
                            bystander_filter_note(options.bystander_filter, tracer.clock().bystander_filter, false, false))
                        std::cerr << *note << "\n";
                }
            };
            hooks.on_progress = [&](std::uint64_t done, std::uint64_t total, double seconds) {
                progress.update(done, total, seconds);
            };
            if (plan.interval > 0) {
                hooks.sample_interval_seconds = plan.interval;
                hooks.on_sample = [&](Technique running, const RawCounters& counters, std::uint64_t done,
                                      double seconds) {
                    progress.finish();
                    emit_ndjson("sample", sampler.next(running, counters, done, seconds));
                };
            }
            auto observation = run_technique(spec_for(technique, chunk), *file, hooks, shared.get());
            progress.finish();
            if (!observation)
                return fail(observation.error(), name);
            if (interrupted())  // the workload finished, but the user asked us to stop
                return fail(interruption(), name);
            samples += observation->interval_samples;
            runs.push_back(build_report(*observation, host));
        }
        const Report report = runs.size() == 1 ? runs.front() : combine_repeats(std::move(runs));
        if (plan.interval > 0 && samples == 0)
            std::cerr << "zctrace run: --interval " << options.interval << " is longer than " << name
                      << "'s run (" << format_fixed(report.workload.wall_seconds * 1000, 1)
                      << " ms): no samples were taken; use a shorter --interval or a larger --size\n";
        const nlohmann::json document = report;
        if (const auto problems = report_schema().validate(document); !problems.empty())
            return fail(kExitFailed, "internal error: the " + name + " report does not match its schema: " +
                                         problems.front());
        auto path = write_report(report, options.out, sweep ? sweep_report_stem(report.technique, chunk) : "");
        if (!path)
            return fail(path.error());

        if (report.verdict == Verdict::mismatch)
            mismatched.push_back(name);
        if (report.verdict == Verdict::invalid)
            invalid.push_back(name);
        if (format == "json")
            printed.push_back(document);
        if (format == "ndjson")
            emit_ndjson("report", document);
        human << text.render(report) << "  report: " << path->string() << "\n" << std::endl;
        reports.push_back(report);
        // With --format text the tables are the output: if their reader went away, stop here.
        if (!flush_stdout() && interrupted())
            return fail(Error{EPIPE, "stdout was closed", ErrorKind::interrupted});
    }
    if (format == "json")
        std::cout << (printed.size() == 1 ? printed.front() : printed).dump(2) << "\n";
    if (reports.size() > 1) {
        const Summary summary = summarize(reports);
        auto files = write_summary_files(summary, reports, options.out);
        if (!files)
            return fail(files.error());
        if (format == "ndjson")
            emit_ndjson("summary", summary);
        human << describe_summary(summary, *files) << std::flush;
    }
    // A signal after the last rename: what was written stays, whole, but the
    // run did not end on its own.
    if (interrupted() && interrupt_signal() != SIGPIPE)
        return fail(exit_status(interruption()), "interrupted after the reports above were written; they are whole");
    // An invalid run measured too little to say anything: never a success.
    if (!invalid.empty())
        return fail(kExitFailed, "the measurement of " + join(invalid) +
                                     " is incomplete or contradicts itself (verdict invalid); its report says "
                                     "which check failed and why");
    if (options.strict && !mismatched.empty())
        return fail(kExitFailed, "--strict: " + join(mismatched) + " did not do what the theory table says "
                                 "(verdict mismatch)");
    return kExitOk;
}

}  // namespace

void setup_run(CLI::App& app, int& exit_code, const bool& verbose)
{
    auto options = std::make_shared<RunOptions>();
    CLI::App* run = app.add_subcommand("run", "Trace a technique's workload and check it against the theory table");
    run->add_option("technique", options->techniques, technique_names() + ", all for the seeds' eight, or beyond for the seven beyond the seeds")
        ->required()
        ->option_text("TECHNIQUE...")
        ->check(CLI::Validator(validate_technique, ""));
    add_size_option(*run, "-s,--size", options->size, "bytes to send, e.g. 64M or 1.5G");
    run->add_option("-c,--chunk", options->chunk,
                    "bytes per transfer: one call moves at most this much; a list (4K,16K,64K,256K,1M) runs each "
                    "technique at each size, a sweep (default " + format_bytes(*parse_size(options->chunk)) + ")")
        ->option_text("SIZE[,SIZE...]")
        ->check(size_list_validator());
    run->add_option("--cache", options->cache,
                    "page-cache state of the file before the run: warm (read through first) or cold (only its "
                    "pages evicted: fdatasync, POSIX_FADV_DONTNEED, checked with mincore) (default " +
                        options->cache + ")")
        ->option_text("STATE")
        ->check(one_of({"warm", "cold"}));
    run->add_option("--dir", options->dir,
                    "directory for the workload file, on a block-backed filesystem (ext4, xfs) with --size bytes "
                    "free (default " + options->dir + ")")
        ->option_text("DIR");
    run->add_option("--write-pages", options->write_pages,
                    "cow: pages the child writes after reading the buffer; 0: it only reads (default " +
                        std::to_string(options->write_pages) + ")")
        ->option_text("N")
        ->check(count_validator());
    add_out_option(*run, options->out, "directory for the <technique>.json reports (and the summary files)");
    run->add_option("--transport", options->transport,
                    "lo, or veth: a veth pair between two private network namespaces (default " +
                        options->transport + ")")
        ->option_text("NAME")
        ->check(one_of({"lo", "veth"}));
    run->add_option("--sg", options->sg, "veth only: scatter-gather on the sender's end, on or off (default on)")
        ->option_text("on|off")
        ->check(one_of({"on", "off"}));
    run->add_option("--receiver", options->receiver,
                    "how the receiver takes the stream: copy (recv() into its buffer) or zerocopy "
                    "(TCP_ZEROCOPY_RECEIVE maps whole pages of the receive queue and copies the rest, as the "
                    "kernel's tcp_mmap selftest does) (default " + options->receiver + ")")
        ->option_text("copy|zerocopy")
        ->check(one_of({"copy", "zerocopy"}));
    run->add_option("-r,--repeat", options->repeat,
                    "run each technique N times, like perf stat -r: the report holds the median of every timed "
                    "figure with its spread, and names any count that moved between runs (default " +
                        std::to_string(options->repeat) + ")")
        ->option_text("N")
        ->check(count_validator());
    run->add_option("--seed", options->seed,
                    "seed of the workload file's random bytes (default " + std::to_string(options->seed) + ")")
        ->option_text("N")
        ->check(count_validator());
    add_format_options(*run, options->format,
                       "what stdout shows: text (the tables), json (the report, or an array of them) or ndjson "
                       "(one JSON object per line: interval samples, each report, then the summary); with json and "
                       "ndjson the tables go to stderr",
                       {"text", "json", "ndjson"});
    run->add_option("--interval", options->interval,
                    "with --format ndjson: a sample of the counters every DURATION while each workload runs, e.g. "
                    "500ms; at least 50ms (default none)")
        ->option_text("DURATION")
        ->check(duration_validator(kMinInterval, kMaxInterval));
    run->add_option("--bpf-stats", options->bpf_stats,
                    "zctrace's own cost comes from its programs, which count their runs and time a sample; "
                    "always has bpf_stats time every run as well, and the report compares the two (every process "
                    "on the host pays +80 ns or so per syscall meanwhile, and the syscall hooks test every task, "
                    "as bpf_stats times every run); windows has it on for 5 ms of every 50 ms only and prices "
                    "every run the programs counted at what it read in them: off, windows or always (default off)")
        ->option_text("MODE")
        ->check(one_of({"off", "windows", "always"}));
    add_bystander_filter_option(*run, options->bystander_filter);
    run->add_flag("--strict", options->strict, "exit 1 when a run is a mismatch (an invalid run always exits 1)");
    run->footer("Exit status: 0 when every run is as the theory table says or its differences are accounted for; 1 "
                "when a run failed or its measurement is invalid, or with --strict a mismatch; 2 bad command line, "
                "unwritable --out or not enough space in --dir; 3 this machine cannot trace (`zctrace doctor` "
                "says why).");
    run->callback([options, &exit_code, &verbose] {
        install_libbpf_logger(verbose);
        exit_code = run_run(*options);
    });
}

}  // namespace zctrace::cli
