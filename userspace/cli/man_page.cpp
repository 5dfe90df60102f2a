// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// zctrace(8), written from the same CLI11 definitions as --help, so that
// every command and option is in the page because the page is made from
// them: `zctrace help --man` prints it, and the build installs its output.
// Only the prose around the commands is written here.
#include <string>
#include <utility>
#include <vector>

#include "common.hpp"
#include "help.hpp"

namespace zctrace::cli {
namespace {

// Text as roff shows it: a backslash is \e, a dash in a name is \-, and a
// line that would start with a control character is guarded by \&.
std::string roff(const std::string& text)
{
    std::string out;
    bool line_start = true;
    for (const char c : text) {
        if (line_start && (c == '.' || c == '\''))
            out += "\\&";
        if (c == '\\')
            out += "\\e";
        else if (c == '-')
            out += "\\-";
        else
            out += c;
        line_start = c == '\n';
    }
    return out;
}

// A paragraph per line of `text`, as CLI11's footers hold them.
std::string paragraphs(const std::string& text)
{
    std::string out;
    std::size_t begin = 0;
    while (begin <= text.size()) {
        const std::size_t end = std::min(text.find('\n', begin), text.size());
        if (end > begin)
            out += ".PP\n" + roff(text.substr(begin, end - begin)) + "\n";
        begin = end + 1;
    }
    return out;
}

std::string option_names(const CLI::Option& option)
{
    if (option.get_positional())
        return "\\fI" + roff(option.get_option_text()) + "\\fR";
    std::string names;
    for (const std::string& name : option.get_snames())
        names += (names.empty() ? "" : ", ") + ("\\fB\\-" + roff(name) + "\\fR");
    for (const std::string& name : option.get_lnames())
        names += (names.empty() ? "" : ", ") + ("\\fB\\-\\-" + roff(name) + "\\fR");
    if (option.get_expected_max() != 0 && !option.get_option_text().empty())
        names += " \\fI" + roff(option.get_option_text()) + "\\fR";
    return names;
}

std::string option_entry(const CLI::Option& option)
{
    return ".TP\n" + option_names(option) + "\n" + roff(option.get_description()) + "\n";
}

// "[OPTIONS] TECHNIQUE...": the usage line after the command's name.
std::string usage_arguments(const CLI::App& command)
{
    const std::string line = usage_line(command, "");
    return roff(line.empty() ? line : line.substr(1));
}

std::string command_section(const CLI::App& command)
{
    const std::string name = command.get_name();
    std::string out = ".SS \"zctrace " + roff(name) + "\"\n";
    out += ".B zctrace " + roff(name) + "\n" + usage_arguments(command) + "\n";
    out += ".PP\n" + roff(command.get_description()) + ".\n";
    const auto positional = [](const CLI::Option* option) { return option->get_positional(); };
    for (const CLI::Option* argument : command.get_options(positional))
        out += option_entry(*argument);
    std::vector<const CLI::Option*> renamed;
    for (const CLI::Option* option : command.get_options()) {
        if (option->get_positional() || option->get_group() == kGlobalGroup)
            continue;
        if (option->get_group() == kRenamedGroup)
            renamed.push_back(option);
        else
            out += option_entry(*option);
    }
    for (const CLI::Option* option : renamed)
        out += ".TP\n" + option_names(*option) + "\nan old name, refused with a message that gives the new one.\n";
    if (!command.get_footer().empty())
        out += paragraphs(command.get_footer());
    return out;
}

// One paragraph per line.
constexpr char kDescription[] =
    "zctrace attaches eBPF probes (tracepoints, raw tracepoints and BTF-typed tracepoints; no kprobes) while a "
    "workload moves a file to a TCP socket with one technique (read+write, mmap+write, sendfile, splice, direct "
    "I/O, MSG_ZEROCOPY, io_uring send_zc and more), or while a program it did not write runs, and counts what the "
    "kernel really did: the bytes the CPU copied and where, the DMA transfers, the syscalls and mode switches, the "
    "scheduler switches, page faults and the page cache's hits and misses. Only the workload's own processes and "
    "sockets are counted.\n"
    "Every figure comes from the probes or from kernel counters read during that run. zctrace holds each one to "
    "the textbook zero-copy table and gives it a verdict: match, environment, explained, no_theory, invalid or "
    "mismatch (`zctrace help terms` defines them).\n"
    "Reports are JSON documents with a schema_version, checked against the JSON Schemas installed under "
    "/usr/share/zctrace/schema; summarize, export, diff, validate and check read them.";

// A man page's tagged paragraphs (.TP): the tag, then its text.
using Tagged = std::vector<std::pair<std::string, std::string>>;

const Tagged kExitStatus = {
    {"0", "the command did what was asked; for run and trace, every figure is as the theory table says or its "
          "differences are accounted for"},
    {"1", "a run or a trace failed, its measurement is invalid, or --strict found a mismatch"},
    {"2", "bad command line or input: an unknown technique, a malformed size, a file that cannot be read, an "
          "unwritable output path"},
    {"3", "this machine cannot trace: not root, no BTF, no tracefs, a missing tracepoint; `zctrace doctor` says "
          "which"},
    {"128+N", "stopped by signal N, after removing everything zctrace set up (141: the reader of stdout went "
              "away)"},
};

const Tagged kEnvironment = {
    {"COLUMNS", "the width of the tables when the terminal does not say its own"},
    {"ZCTRACE_HOLD_AT", "for tests only: the stage at which zctrace stops and waits for a signal"},
};

const Tagged kFiles = {
    {"/var/tmp/zctrace-PID-*", "the workload file and its directory (--dir), removed on exit; one left by a "
                               "killed run is swept by the next"},
    {"/run/zctrace/machine-costs.json", "this machine's measured memcpy bandwidth, syscall round trip and fault "
                                        "cost, cached per boot for the cost model"},
    {"reports/", "the default --out directory: a TECHNIQUE.json report per technique, trace.json, and "
                 "summary.json, summary.md and summary.html"},
    {"/usr/share/zctrace/schema/", "the JSON Schemas of every document zctrace writes"},
    {"/usr/share/zctrace/dashboards/zctrace.json", "a Grafana dashboard for the metrics `zctrace export` writes"},
    {"/lib/systemd/system/zctrace-export.service, zctrace-export.timer",
     "a service that runs `zctrace run` and exports its reports for node_exporter's textfile collector, and the "
     "timer that starts it every hour: `systemctl enable --now zctrace-export.timer`"},
    {"/etc/default/zctrace-export", "the service's options: ZCTRACE_RUN_ARGS, what `zctrace run` is given "
                                    "(default \"all --size 64M\"), and ZCTRACE_TEXTFILE_DIR, node_exporter's "
                                    "--collector.textfile.directory"},
};

const Tagged kExamples = {
    {"sudo zctrace run sendfile", "trace the sendfile workload over loopback and print the verdicts; the report "
                                  "goes to reports/sendfile.json"},
    {"sudo zctrace run all --transport veth --sg off",
     "the seeds' eight techniques through a veth pair whose sending end cannot gather"},
    {"sudo zctrace run sendfile splice --chunk 4K,16K,64K,256K,1M",
     "each technique at each chunk size: syscalls, switches and CPU time per GiB against chunk size"},
    {"sudo zctrace gather",
     "whether each device gathers payload from the page cache, with a veth self-test with SG on and off"},
    {"sudo zctrace trace --pid 1234 --duration 30s",
     "what a running server (nginx, Kafka, anything) copied for each byte it sent, and which technique that "
     "really is"},
    {"zctrace summarize reports/", "summary.json, summary.md and summary.html for the reports in reports/"},
    {"zctrace export reports/ --textfile-dir /var/lib/prometheus/node-exporter",
     "the run reports as OpenMetrics, for node_exporter's textfile collector"},
    {"zctrace diff reports/sendfile.json other/sendfile.json", "two runs compared metric by metric"},
};

std::string tagged(const Tagged& entries)
{
    std::string out;
    for (const auto& [tag, text] : entries)
        out += ".TP\n.B " + roff(tag) + "\n" + roff(text) + ".\n";
    return out;
}

}  // namespace

std::string man_page(const CLI::App& root)
{
    std::string page = ".\\\" SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause\n"
                       ".\\\" Generated by `zctrace help --man` from the command line's own definitions.\n";
    page += ".TH ZCTRACE 8 \"\" \"" + roff(version_text()) + "\" \"System Administration\"\n";
    // Technique names (direct_io_send) must not be hyphenated.
    page += ".nh\n.ad l\n";
    page += ".SH NAME\nzctrace \\- measure what zero\\-copy I/O really copies and costs, with eBPF\n";
    page += ".SH SYNOPSIS\n";
    for (const CLI::App* command : root.get_subcommands({}))
        page += ".B zctrace " + roff(command->get_name()) + "\n" + usage_arguments(*command) + "\n.br\n";
    page += ".B zctrace \\-\\-version\n";
    page += ".SH DESCRIPTION\n" + paragraphs(kDescription);
    page += ".SH COMMANDS\n";
    for (const CLI::App* command : root.get_subcommands({}))
        page += command_section(*command);
    page += ".SH OPTIONS\nEvery command takes these:\n";
    for (const CLI::Option* option : root.get_options())
        page += option_entry(*option);
    page += ".SH UNITS\n" + paragraphs(units_note());
    page += ".SH EXIT STATUS\n" + tagged(kExitStatus);
    page += ".SH ENVIRONMENT\n" + tagged(kEnvironment);
    page += ".SH FILES\n" + tagged(kFiles);
    page += ".SH EXAMPLES\n" + tagged(kExamples);
    page += ".SH SEE ALSO\n.BR bpftool (8),\n.BR sendfile (2),\n.BR splice (2),\n.BR mmap (2),\n"
            ".BR io_uring (7),\n.BR tcp (7),\n.BR ethtool (8),\n.BR systemd.timer (5),\n.BR prometheus (1)\n";
    return page;
}

}  // namespace zctrace::cli
