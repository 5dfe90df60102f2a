// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// What every subcommand does the same way: its messages and exit statuses,
// its stdout, and the options that every command spells alike (--format,
// --json, --out, sizes, durations, numbers), so that a flag means the same
// thing wherever it appears.
#pragma once

#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "base/error.hpp"
#include "tracing/probes.hpp"

namespace zctrace::cli {

// ---- messages ----

// Names the command that is running, as it starts parsing: every message
// after that starts with "zctrace <name>:".
void begin_command(const std::string& name);
// "zctrace run", or "zctrace" before a command is known.
std::string command_label();

// Prints "zctrace <command>: <message>" and returns status.
int fail(int status, const std::string& message);
// The exit status for an error's kind; an interruption exits 128 + signal.
int exit_status(const Error& error);
// Prints the error (for an interruption: that nothing was written; for a
// closed stdout: that the command stopped) and returns its exit status.
int fail(const Error& error, const std::string& context = "");

// For commands that only read reports and write files: Ctrl-C lets the
// write in progress finish (whole, by rename) rather than leave its temp
// file, then the command exits as interrupted (128 + signal).
int run_uninterrupted(const std::function<int()>& command);

// ---- stdout ----

// Flushes stdout; false when it cannot be written. When that is because its
// reader went away (`zctrace list | head -1`), the command stops the way a
// pipeline stage does: raise_interrupt(SIGPIPE), so what runs unwinds (the
// probes detach, the workload goes) and zctrace exits 141.
bool flush_stdout();
// The exit status once a command is done with stdout: exit_code, or 141
// when stdout's reader went away, or 1 when stdout could not be written
// otherwise (a full disk must not pass for success in a pipeline).
int finish_stdout(int exit_code);

// `--format ndjson`: one JSON object per line on stdout, flushed at once so a
// log shipper or `jq` sees each sample as it happens. Lines are envelopes,
// like bpftrace's: {"type": "sample" | "report" | "summary" | "trace_sample" |
// "trace", "data": ...}.
void emit_ndjson(const char* type, const nlohmann::json& data);

// Where a command's tables for people go: stdout, unless stdout carries the
// JSON (or NDJSON) document; then stderr, so that both can be had at once.
std::ostream& tables_stream(const std::string& format);

// ---- options every command spells the same way ----

// -f/--format FORMAT, and -j/--json for --format json. `formats` lists the
// values, the default (text) first; `description` says what each prints.
void add_format_options(CLI::App& command, std::string& format, const std::string& description,
                        const std::vector<std::string>& formats = {"text", "json"});
// -o/--out DIR: the directory the command writes its files to.
void add_out_option(CLI::App& command, std::string& out, const std::string& description);
// A size option such as -s/--size SIZE; its default is shown in words.
CLI::Option* add_size_option(CLI::App& command, const std::string& names, std::string& size,
                             const std::string& description);
// -v/--verbose, accepted before and after the command.
void add_verbose_flag(CLI::App& command, bool& verbose);
// An option that was renamed: given, it fails with a message that names
// its new spelling and why. --help does not show it.
void add_renamed_option(CLI::App& command, const std::string& old_name, const std::string& message);
inline constexpr char kRenamedGroup[] = "Renamed";
// The group of the options every command takes (-v): listed once, at the top.
inline constexpr char kGlobalGroup[] = "Global options";
// The REPORTS... argument of the commands that read run reports.
void add_report_paths(CLI::App& command, std::vector<std::string>& paths);

// Validators whose messages say what the user typed and what would do.
CLI::Validator size_validator();  // a size of at least 1 byte
// "4K,64K,1M": each a size of at least 1 byte.
CLI::Validator size_list_validator();
std::vector<std::string> split_list(const std::string& text);
CLI::Validator duration_validator(double min_seconds, double max_seconds);
// The shortest --interval: the sessions poll every 20 ms, so finer samples
// would only repeat themselves.
inline constexpr double kMinInterval = 0.05;
CLI::Validator count_validator();  // a whole number, 0 or more
CLI::Validator one_of(std::vector<std::string> values);
// --bpf-stats of run and trace, checked by one_of({"off", "windows", "always"}).
BpfStatsMode bpf_stats_mode(const std::string& name);
// --bystander-filter of run and trace, checked against bystander_filter_name()'s names.
void add_bystander_filter_option(CLI::App& command, std::string& value);

// "zctrace: --bystander-filter task-storage cannot be kept here: ...", when
// the filter that loaded (`ran`) is not the one asked for by name, and why;
// nothing for `auto` or a filter that was kept.
std::optional<std::string> bystander_filter_note(const std::string& asked, BystanderFilter ran, bool light_hooks,
                                                 bool cgroup);

// "read_write, sendfile"
std::string join(const std::vector<std::string>& names);

// "14 tp_btf, 2 tracepoint"
std::string summarize_probes(const std::vector<AttachedProbe>& probes);

// "zctrace: attached 17 probes (15 tp_btf, 2 tracepoint) in 61.5 ms; <then>":
// the line runtime tests wait for before they start a workload.
std::string attached_line(const std::vector<AttachedProbe>& probes, double attach_seconds, const std::string& then);

}  // namespace zctrace::cli
