// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// `zctrace gather`: does this machine gather payload from the page cache
// (scatter-gather), and does it happen? Writes <out>/gather.json.
#include <unistd.h>

#include <iostream>
#include <memory>

#include "analysis/gather.hpp"
#include "base/netns.hpp"
#include "base/signals.hpp"
#include "base/system.hpp"
#include "base/units.hpp"
#include "commands.hpp"
#include "common.hpp"
#include "output/files.hpp"
#include "output/gather_text.hpp"
#include "output/json_schema.hpp"
#include "output/terminal.hpp"
#include "runs/workload_file.hpp"
#include "tracing/libbpf_log.hpp"

namespace zctrace::cli {
namespace {

constexpr double kMinObserveSeconds = 0.001;
constexpr double kMaxObserveSeconds = 24 * 3600;

struct GatherOptions {
    std::vector<std::string> interfaces;
    std::string observe;  // empty: no passive observation
    bool no_self_test = false;
    std::string size = "16M";
    std::string out = "reports";
    std::string format = "text";
};

int run_gather(const GatherOptions& options)
{
    const bool observe = !options.observe.empty();
    const double observe_seconds = observe ? *parse_duration(options.observe) : 0;
    const bool self_test = !observe && !options.no_self_test;
    const std::uint64_t size = *parse_size(options.size);
    if ((observe || self_test)) {
        if (auto privileged = require_privileges("gather"); !privileged)
            return fail(kExitUnsupported, privileged.error().describe() +
                                              " (--no-self-test reads the interfaces' features without privileges)");
        if (auto files = ensure_open_files_limit("gather"); !files)
            return fail(files.error());
    }
    if (auto writable = check_output_dir(options.out); !writable)
        return fail(Error(writable.error()).as(ErrorKind::bad_input));
    install_interrupt_handlers();

    GatherReport report;
    report.tool = std::string("zctrace ") + ZCTRACE_VERSION;
    report.created_at = utc_now();
    report.kernel = gather_host_facts().kernel;
    auto interfaces = read_interfaces(options.interfaces);
    if (!interfaces)
        return fail(interfaces.error());
    report.interfaces = std::move(interfaces.value());

    if (observe) {
        auto observation = observe_transmits(observe_seconds, options.interfaces, [&](const XmitObserver& observer) {
            std::cerr << attached_line(observer.probes(), observer.attach_seconds(),
                                       "observing every device's transmits for " +
                                           format_fixed(observe_seconds, 1) + " s")
                      << std::endl;
        });
        if (!observation)
            return fail(observation.error(), "--observe");
        report.observation = std::move(observation.value());
    }
    if (self_test) {
        sweep_stale_work_dirs();
        sweep_stale_links();
        if (const PseudoMount tracefs = ensure_tracefs(); !tracefs.available)
            return fail(kExitUnsupported, "tracefs is not available (" + tracefs.error +
                                              "); the self-test's probes need it. Run `zctrace doctor`, or use "
                                              "--no-self-test");
        SessionHooks hooks;
        hooks.on_attached = [&](const Tracer& tracer) {
            std::cerr << attached_line(tracer.probes(), tracer.attach_seconds(),
                                       "self-test: sendfile of " + format_bytes(size) + " over veth")
                      << std::endl;
        };
        auto test = run_self_test(size, hooks);
        if (!test)
            return fail(test.error(), "self-test");
        report.self_test = std::move(test.value());
    }
    if (interrupted())
        return fail(interruption());

    const nlohmann::json document = report;
    if (const auto problems = gather_schema().validate(document); !problems.empty())
        return fail(kExitFailed, "internal error: the gather report does not match its schema: " + problems.front());
    const std::filesystem::path path = std::filesystem::path(options.out) / "gather.json";
    if (auto written = write_json_atomically(document, path, "choose a writable directory with --out",
                                             IfInterrupted::abandon);
        !written)
        return fail(written.error());
    if (options.format == "json")
        std::cout << document.dump(2) << "\n";
    std::ostream& human = tables_stream(options.format);
    human << render_gather(report, text_width(&human == &std::cout ? STDOUT_FILENO : STDERR_FILENO))
          << "  report: " << path.string() << "\n";
    return kExitOk;
}

}  // namespace

void setup_gather(CLI::App& app, int& exit_code, const bool& verbose)
{
    auto options = std::make_shared<GatherOptions>();
    CLI::App* gather = app.add_subcommand(
        "gather", "Check whether the devices gather payload from the page cache (scatter-gather): their features, "
                  "a veth self-test with SG on and off, or (--observe) what every device really transmits");
    gather->add_option("--iface", options->interfaces,
                       "interface to report; repeatable (default every interface that is up)")
        ->option_text("NAME");
    gather->add_option("--observe", options->observe,
                       "instead of the self-test, count what every device transmits for DURATION, e.g. 10s; at most "
                       "a day (default none: the self-test runs)")
        ->option_text("DURATION")
        ->check(duration_validator(kMinObserveSeconds, kMaxObserveSeconds));
    gather->add_flag("--no-self-test", options->no_self_test, "only read the interfaces' features");
    add_size_option(*gather, "-s,--size", options->size, "bytes the self-test sends");
    add_out_option(*gather, options->out, "directory for gather.json");
    add_format_options(*gather, options->format,
                       "what stdout shows: text (the tables), or json (gather.json; the tables then go to stderr)");
    gather->callback([options, &exit_code, &verbose] {
        install_libbpf_logger(verbose);
        exit_code = run_gather(*options);
    });
}

}  // namespace zctrace::cli
