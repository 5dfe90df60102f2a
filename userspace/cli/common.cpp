// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "common.hpp"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <csignal>
#include <iostream>
#include <map>

#include "base/signals.hpp"
#include "base/units.hpp"
#include "commands.hpp"

namespace zctrace::cli {
namespace {

// One process runs one command, named as its parsing starts.
std::string g_command;

// "text, json or ndjson"
std::string either(const std::vector<std::string>& values)
{
    std::string text;
    for (std::size_t i = 0; i < values.size(); ++i)
        text += (i == 0 ? "" : i + 1 == values.size() ? " or " : ", ") + values[i];
    return text;
}

// 0.05 -> "50ms", 86400 -> "86400s": how the parser reads them back.
std::string spoken_duration(double seconds)
{
    return seconds < 1 ? format_number(seconds * 1000) + "ms" : format_number(seconds) + "s";
}

// A pipe whose read end is closed reports POLLERR to its writer; a full
// disk does not, so the two failures can be told apart after the fact.
bool stdout_reader_gone()
{
    pollfd fd{STDOUT_FILENO, POLLOUT, 0};
    return ::poll(&fd, 1, 0) == 1 && (fd.revents & (POLLERR | POLLHUP)) != 0;
}

}  // namespace

void begin_command(const std::string& name)
{
    g_command = name;
}

std::string command_label()
{
    return g_command.empty() ? "zctrace" : "zctrace " + g_command;
}

int fail(int status, const std::string& message)
{
    std::cerr << command_label() << ": " << message << "\n";
    return status;
}

int exit_status(const Error& error)
{
    switch (error.kind) {
    case ErrorKind::unsupported: return kExitUnsupported;
    case ErrorKind::bad_input: return kExitUsage;
    case ErrorKind::interrupted: return 128 + (interrupt_signal() ? interrupt_signal() : SIGINT);
    case ErrorKind::not_found: return 127;
    case ErrorKind::failed: break;
    }
    return kExitFailed;
}

int fail(const Error& error, const std::string& context)
{
    if (error.kind == ErrorKind::interrupted && interrupt_signal() == SIGPIPE)
        return fail(exit_status(error), "stopped because stdout was closed (its reader went away); probes detached");
    if (error.kind == ErrorKind::interrupted)
        return fail(exit_status(error), "interrupted; probes detached, no report written" +
                                            (context.empty() ? "" : " for " + context));
    return fail(exit_status(error), (context.empty() ? "" : context + ": ") + error.describe());
}

int run_uninterrupted(const std::function<int()>& command)
{
    install_interrupt_handlers();
    const int status = command();
    // A closed stdout interrupts nothing that is being written: finish_stdout() reports it.
    if (!interrupted() || interrupt_signal() == SIGPIPE)
        return status;
    return fail(exit_status(interruption()),
                std::string("interrupted") + (status == kExitOk ? "; what was being written is whole" : ""));
}

void emit_ndjson(const char* type, const nlohmann::json& data)
{
    // Written by hand so "type" leads the line, for people reading the log.
    std::cout << R"({"type":")" << type << R"(","data":)" << data.dump() << "}\n";
    flush_stdout();  // a reader that went away stops the run, as a shell pipeline would
}

bool flush_stdout()
{
    std::cout.flush();
    if (std::cout)
        return true;
    if (stdout_reader_gone())
        raise_interrupt(SIGPIPE);
    return false;
}

int finish_stdout(int exit_code)
{
    if (flush_stdout())
        return exit_code;
    if (interrupt_signal() == SIGPIPE)
        return kExitStdoutClosed;
    return exit_code == kExitOk ? fail(kExitFailed, "cannot write to stdout") : exit_code;
}

std::ostream& tables_stream(const std::string& format)
{
    return format == "text" ? std::cout : std::cerr;
}

void add_format_options(CLI::App& command, std::string& format, const std::string& description,
                        const std::vector<std::string>& formats)
{
    CLI::Option* format_option = command.add_option("-f,--format", format, description + " (default " + format + ")")
                                     ->option_text("FORMAT")
                                     ->check(one_of(formats));
    // Option callbacks run after the whole line is read, in the order the
    // options were added, so --format's value is known here whichever came first.
    command.add_flag_callback(
        "-j,--json",
        [&format, format_option] {
            if (format_option->count() > 0 && format != "json")
                throw CLI::ValidationError("--json", "it means --format json, and --format says " + format +
                                                         "; give one of them");
            format = "json";
        },
        "the same as --format json");
}

void add_out_option(CLI::App& command, std::string& out, const std::string& description)
{
    command.add_option("-o,--out", out, description + " (default " + out + ")")->option_text("DIR");
}

CLI::Option* add_size_option(CLI::App& command, const std::string& names, std::string& size,
                             const std::string& description)
{
    return command.add_option(names, size, description + " (default " + format_bytes(*parse_size(size)) + ")")
        ->option_text("SIZE")
        ->check(size_validator());
}

void add_verbose_flag(CLI::App& command, bool& verbose)
{
    command.add_flag("-v,--verbose", verbose, "show libbpf's messages as they come (doctor, run, gather, trace)")
        ->group(kGlobalGroup);
}

void add_renamed_option(CLI::App& command, const std::string& old_name, const std::string& message)
{
    command.add_option(old_name)
        ->group(kRenamedGroup)
        ->check(CLI::Validator([message](const std::string&) { return message; }, ""));
}

void add_report_paths(CLI::App& command, std::vector<std::string>& paths)
{
    command.add_option("reports", paths, "report files, or directories of them (e.g. reports/)")
        ->required()
        ->option_text("REPORT...");
}

CLI::Validator size_validator()
{
    return CLI::Validator(
        [](const std::string& text) {
            auto size = parse_size(text);
            if (!size)
                return size.error().message;
            if (*size == 0)
                return "size " + quote_input(text) + " is no bytes; give at least 1, e.g. 64K";
            return std::string();
        },
        "");
}

std::vector<std::string> split_list(const std::string& text)
{
    std::vector<std::string> items;
    std::size_t start = 0;
    for (std::size_t comma; (comma = text.find(',', start)) != std::string::npos; start = comma + 1)
        items.push_back(text.substr(start, comma - start));
    items.push_back(text.substr(start));
    return items;
}

CLI::Validator size_list_validator()
{
    return CLI::Validator(
        [](const std::string& text) {
            for (const std::string& item : split_list(text)) {
                if (item.empty())
                    return "size list " + quote_input(text) + " has an empty item; give sizes between commas, e.g. "
                           "4K,64K,1M";
                if (std::string problem = size_validator()(item); !problem.empty())
                    return problem;
            }
            return std::string();
        },
        "");
}

CLI::Validator duration_validator(double min_seconds, double max_seconds)
{
    return CLI::Validator(
        [=](const std::string& text) {
            auto seconds = parse_duration(text);
            if (!seconds)
                return seconds.error().message;
            if (*seconds < min_seconds)
                return quote_input(text) + " is shorter than the " + spoken_duration(min_seconds) + " minimum";
            if (*seconds > max_seconds)
                return quote_input(text) + " is longer than the " + spoken_duration(max_seconds) + " maximum";
            return std::string();
        },
        "");
}

CLI::Validator count_validator()
{
    return CLI::Validator(
        [](const std::string& text) {
            std::uint64_t value = 0;
            const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
            if (!text.empty() && text.front() == '-')
                return quote_input(text) + " is negative; give a whole number, 0 or more";
            if (ec == std::errc::result_out_of_range)
                return quote_input(text) + " is too large; give a whole number below 2^64";
            if (ec != std::errc() || end != text.data() + text.size())
                return quote_input(text) + " is not a whole number; give 0, 1, 2, ...";
            return std::string();
        },
        "");
}

CLI::Validator one_of(std::vector<std::string> values)
{
    return CLI::Validator(
        [values](const std::string& text) {
            for (const std::string& value : values)
                if (text == value)
                    return std::string();
            return quote_input(text) + " is not a choice here; give " + either(values);
        },
        "");
}

BpfStatsMode bpf_stats_mode(const std::string& name)
{
    return name == "always" ? BpfStatsMode::always : name == "windows" ? BpfStatsMode::windows : BpfStatsMode::off;
}

void add_bystander_filter_option(CLI::App& command, std::string& value)
{
    command
        .add_option("--bystander-filter", value,
                    "how the syscall hooks let go of every process zctrace does not trace, which pays for them "
                    "on each syscall: task-storage (a helper call, no map), cpu-cache (the role each CPU "
                    "remembers for its last task: no call) or auto (task-storage where page-table isolation runs without "
                    "PCID, cpu-cache elsewhere); trace --cgroup, and trace on kernels before 6.9, always "
                    "take cpu-cache; the report's overhead.bystander_filter says which ran "
                    "(default auto)")
        ->option_text("HOW")
        ->check(one_of({"auto", "task-storage", "cpu-cache"}));
}

std::optional<std::string> bystander_filter_note(const std::string& asked, BystanderFilter ran, bool light_hooks,
                                                 bool cgroup)
{
    if (asked == "auto" || bystander_filter_name(ran) == asked)
        return std::nullopt;
    const std::string why =
        ran == BystanderFilter::cpu_cache
            ? (cgroup ? "trace --cgroup cannot mark a task before it joins the cgroup, so cpu-cache runs instead"
                      : "this kernel gives no pidfd for a thread (before 6.9), so a running process's threads "
                        "cannot be marked and cpu-cache runs instead")
        : light_hooks ? "trace --hooks light attaches no syscall hook, so there is nothing to filter"
                      : "--bpf-stats times every program run, so the syscall programs that run for every task load "
                        "instead and no task is let go";
    return "zctrace: --bystander-filter " + asked + " cannot be kept here: " + why +
           " (overhead.bystander_filter in the report says " + std::string(bystander_filter_name(ran)) + ")";
}

std::string summarize_probes(const std::vector<AttachedProbe>& probes)
{
    std::map<std::string, int> by_type;
    for (const AttachedProbe& probe : probes)
        ++by_type[probe.attach_type];
    std::string text;
    for (const auto& [type, count] : by_type)
        text += (text.empty() ? "" : ", ") + std::to_string(count) + " " + type;
    return text;
}

std::string attached_line(const std::vector<AttachedProbe>& probes, double attach_seconds, const std::string& then)
{
    return "zctrace: attached " + quantity(probes.size(), "probe", "probes") + " (" + summarize_probes(probes) +
           ") in " + format_fixed(attach_seconds * 1000, 1) + " ms; " + then;
}

std::string join(const std::vector<std::string>& names)
{
    std::string text;
    for (const std::string& name : names)
        text += (text.empty() ? "" : ", ") + name;
    return text;
}

}  // namespace zctrace::cli
