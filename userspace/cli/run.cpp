// `zctrace run <technique>... | all`: trace the bundled workload for each
// technique and write one report per technique.
#include <unistd.h>

#include <csignal>

#include <algorithm>
#include <iostream>
#include <memory>
#include <optional>

#include "analysis/build_report.hpp"
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
// The session polls every 20 ms; finer samples would only repeat themselves.
constexpr double kMinInterval = 0.05;

struct RunOptions {
    std::vector<std::string> techniques;
    std::string size = "64M";
    std::string chunk = "64K";
    std::string cache = "warm";
    std::string out = "reports";
    std::string dir = "/var/tmp";
    std::uint64_t write_pages = 10;
    std::string transport = "lo";
    std::string sg;  // empty: not given
    std::string format = "text";
    bool json = false;  // --json: the same as --format json
    std::string interval;  // empty: no samples
    bool strict = false;
    std::uint64_t seed = 1;
};

std::string validate_technique(const std::string& name)
{
    if (name == "all" || user_can_run(name))
        return {};
    return "unknown technique '" + name + "'; valid techniques: " + technique_names() + ", all";
}

std::string validate_interval(const std::string& text)
{
    auto seconds = parse_duration(text);
    if (!seconds)
        return seconds.error().message;
    if (*seconds < kMinInterval)
        return "interval '" + text + "' is shorter than the 50ms minimum";
    return {};
}

// `--format ndjson`: one JSON object per line on stdout, flushed at once so a
// log shipper or `jq` sees each sample as it happens. Lines are envelopes,
// like bpftrace's: {"type": "sample" | "report" | "summary", "data": ...}.
void emit_ndjson(const char* type, const nlohmann::json& data)
{
    // Written by hand so "type" leads the line, for people reading the log.
    std::cout << R"({"type":")" << type << R"(","data":)" << data.dump() << "}\n" << std::flush;
    if (!std::cout)  // the reader went away (EPIPE): stop as a shell pipeline would
        raise_interrupt(SIGPIPE);
}

// Turns the session's counter snapshots into interval samples with rates
// over the time since the previous one.
class Sampler {
public:
    explicit Sampler(std::uint64_t file_bytes) : file_bytes_(file_bytes) {}

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
    std::optional<Technique> technique_;
    std::uint64_t seq_ = 0;
    IntervalSample previous_;
};

std::vector<Technique> selected_techniques(const std::vector<std::string>& names)
{
    std::vector<Technique> out;
    for (const std::string& name : names) {
        if (name == "all") {
            out.assign(kAllTechniques.begin(), kAllTechniques.end());
            return out;
        }
        const Technique technique = *technique_from_name(name);
        if (std::find(out.begin(), out.end(), technique) == out.end())
            out.push_back(technique);
    }
    return out;
}

int run_run(const RunOptions& options)
{
    const std::uint64_t size = *parse_size(options.size);
    const std::uint64_t chunk = *parse_size(options.chunk);
    if (chunk > kMaxChunk)
        return fail(kExitUsage, "--chunk " + options.chunk + " is larger than the 1 GiB limit");
    const std::vector<Technique> techniques = selected_techniques(options.techniques);
    const auto page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
    const std::uint64_t memory = static_cast<std::uint64_t>(::sysconf(_SC_PHYS_PAGES)) * page;
    for (Technique technique : techniques) {
        if (reads_direct(technique) && chunk % page != 0)
            return fail(kExitUsage, "--chunk " + options.chunk + ": " + std::string(technique_name(technique)) +
                                        " reads with O_DIRECT, which needs whole pages; use a multiple of " +
                                        std::to_string(page) + " bytes, e.g. --chunk 64K");
        // These hold the whole payload in memory at once.
        if (holds_whole_payload(technique) && size > memory / 4)
            return fail(kExitUsage, "--size " + options.size + ": " + std::string(technique_name(technique)) +
                                        " keeps the whole payload in memory, and " + format_bytes(size) +
                                        " is more than a quarter of this machine's " + format_bytes(memory) +
                                        "; use a smaller --size");
    }
    const std::string format = options.json ? "json" : options.format;
    if (!options.interval.empty() && format != "ndjson")
        return fail(kExitUsage, "--interval samples are lines of the NDJSON stream; add --format ndjson");
    const double interval = options.interval.empty() ? 0 : *parse_duration(options.interval);
    if (!options.sg.empty() && options.transport != "veth")
        return fail(kExitUsage, "--sg sets scatter-gather on the veth zctrace creates; use it with --transport veth "
                                "(lo always has SG on)");
    const Transport transport = options.transport == "veth" ? Transport::veth : Transport::loopback;
    const bool scatter_gather = options.sg != "off";
    if (auto privileged = require_privileges("run"); !privileged)
        return fail(kExitUnsupported, privileged.error().describe());
    if (auto writable = check_output_dir(options.out); !writable)
        return fail(Error(writable.error()).as(ErrorKind::bad_input));

    // A summary in --out would describe reports this run replaces; several
    // techniques write a new one at the end.
    if (remove_summary_files(options.out) && techniques.size() == 1)
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
    if (transport == Transport::veth)
        sweep_stale_links();

    auto dir = WorkDir::create(options.dir);
    if (!dir)
        return fail(Error{dir.error().code, dir.error().message + "; pass --dir with a writable directory on a "
                                            "block-backed filesystem", ErrorKind::bad_input});
    if (size >= (256u << 20))
        std::cerr << "zctrace: writing a " << format_bytes(size) << " workload file in " << dir->path().string()
                  << "\n";
    auto file = create_workload_file(dir->path(), size, options.seed);
    if (!file)
        return fail(file.error());
    if (std::any_of(techniques.begin(), techniques.end(), reads_direct))
        if (auto direct = check_direct_io(*file); !direct)
            return fail(direct.error());
    const HostFacts host = gather_host_facts();

    // Machine-readable output owns stdout; the tables then go to stderr.
    std::ostream& human = format == "text" ? std::cout : std::cerr;
    nlohmann::json printed = nlohmann::json::array();
    std::vector<Report> reports;
    Sampler sampler(size);
    std::vector<std::string> mismatched, invalid;
    for (Technique technique : techniques) {
        const std::string name(technique_name(technique));
        ProgressLine progress(name);
        SessionHooks hooks;
        hooks.on_attached = [&](const Tracer& tracer) {
            std::cerr << "zctrace: attached " << tracer.probes().size() << " probes (" << summarize_probes(tracer.probes())
                      << ") in " << tracer.attach_seconds() << " s; running " << name << " with "
                      << format_bytes(size) << "\n";
        };
        hooks.on_progress = [&](std::uint64_t done, std::uint64_t total, double seconds) {
            progress.update(done, total, seconds);
        };
        if (interval > 0) {
            hooks.sample_interval_seconds = interval;
            hooks.on_sample = [&](Technique running, const RawCounters& counters, std::uint64_t done,
                                  double seconds) {
                progress.finish();
                emit_ndjson("sample", sampler.next(running, counters, done, seconds));
            };
        }
        const CacheState cache = options.cache == "cold" ? CacheState::cold : CacheState::warm;
        if (has_buffered_baseline(technique))
            std::cerr << "zctrace: " << name << " first traces a buffered read() of the same file; both runs "
                      << "start from a cold cache, since page-cache pollution is what they are compared on\n";
        RunSpec spec{technique, chunk, cache, ProbeFlavor::typed, transport, scatter_gather, options.write_pages};
        auto observation = run_technique(spec, *file, hooks);
        progress.finish();
        if (!observation)
            return fail(observation.error(), name);
        if (interrupted())  // the workload finished, but the user asked us to stop
            return fail(Error{EINTR, "interrupted", ErrorKind::interrupted}, name);

        const Report report = build_report(*observation, host);
        const nlohmann::json document = report;
        if (const auto problems = report_schema().validate(document); !problems.empty())
            return fail(kExitFailed, "internal error: the " + name + " report does not match its schema: " +
                                         problems.front());
        auto path = write_report(report, options.out);
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
        human << render_report(report) << "  report: " << path->string() << "\n" << std::endl;
        reports.push_back(report);
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
    run->add_option("technique", options->techniques, technique_names() + ", or all")
        ->required()
        ->check(CLI::Validator(validate_technique, "TECHNIQUE", "technique"));
    run->add_option("--size", options->size, "Bytes to send (K, M, G suffixes)")
        ->capture_default_str()
        ->check(CLI::Validator(validate_size, "SIZE", "size"));
    run->add_option("--chunk", options->chunk, "Bytes per transfer (K, M, G suffixes)")
        ->capture_default_str()
        ->check(CLI::Validator(validate_size, "SIZE", "size"));
    run->add_option("--cache", options->cache,
                    "Page-cache state of the file before the run: warm (read through first) or cold (only its "
                    "pages evicted: fdatasync, POSIX_FADV_DONTNEED, checked with mincore)")
        ->capture_default_str()
        ->check(CLI::IsMember({"warm", "cold"}));
    run->add_option("--dir", options->dir,
                    "Directory for the workload file; it must be on a block-backed filesystem (ext4, xfs)")
        ->capture_default_str();
    run->add_option("--write-pages", options->write_pages,
                    "cow: pages the child writes after reading the buffer (0: it only reads)")
        ->capture_default_str()
        ->check(CLI::NonNegativeNumber);
    run->add_option("--out", options->out, "Directory for <technique>.json reports")->capture_default_str();
    run->add_option("--transport", options->transport,
                    "lo, or veth: a veth pair between two private network namespaces")
        ->capture_default_str()
        ->check(CLI::IsMember({"lo", "veth"}));
    run->add_option("--sg", options->sg, "veth only: scatter-gather on the sender's end (default on)")
        ->check(CLI::IsMember({"on", "off"}));
    run->add_option("--seed", options->seed, "Seed of the workload file's random bytes")
        ->capture_default_str()
        ->check(CLI::NonNegativeNumber);
    CLI::Option* format = run->add_option("--format", options->format,
                    "stdout: text (the tables), json (the report, or an array of them), or ndjson (one JSON "
                    "object per line: interval samples, each report, then the summary); with json and ndjson "
                    "the tables go to stderr")
        ->capture_default_str()
        ->check(CLI::IsMember({"text", "json", "ndjson"}));
    run->add_flag("--json", options->json, "The same as --format json")->excludes(format);
    run->add_option("--interval", options->interval,
                    "With --format ndjson: emit a sample of the counters so far every interval while each "
                    "workload runs (e.g. 500ms, 1s)")
        ->check(CLI::Validator(validate_interval, "DURATION", "duration"));
    run->add_flag("--strict", options->strict,
                  "Exit 1 when a run is a mismatch (an invalid run always exits 1)");
    run->callback([options, &exit_code, &verbose] {
        install_libbpf_logger(verbose);
        exit_code = run_run(*options);
    });
}

}  // namespace zctrace::cli
