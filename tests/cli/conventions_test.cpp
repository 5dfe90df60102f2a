// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// One CLI convention, everywhere (issue 13). One table holds every command
// and every flag it takes, and the tests walk it with the real binary:
// --help shows value names and defaults in words and none of CLI11's
// internals; --json prints what --format json does; every bad input exits 2
// with a message that starts "zctrace <command>:"; global options work after
// the command; `zctrace help` and --version; and a closed stdout ends a
// command with 141 (SIGPIPE), as any stage of a shell pipeline.
#include <optional>
#include <regex>

#include "support.hpp"

namespace {

using namespace zctrace::cli_test;
using nlohmann::json;

const std::string kReport = (fs::path(ZCTRACE_SOURCE_DIR) / "tests/data/reports/loopback/sendfile.json").string();
const std::string kOtherReport =
    (fs::path(ZCTRACE_SOURCE_DIR) / "tests/data/reports/veth-sg-off/sendfile.json").string();

// A flag as --help lists it, and the default its description must name in
// words ("64 MiB", not "64M" or "67108864"); empty when it has none.
struct Flag {
    std::string usage;
    std::string default_words;
};

// What a command's JSON must agree on between --json and --format json:
// the whole document, or the part that does not change from run to run.
using Comparable = json (*)(const json&);

json whole(const json& document)
{
    return document;
}

json without_creation_time(const json& document)
{
    json copy = document;
    copy.erase("created_at");
    return copy;
}

// Two runs measure different figures; what they print must still be the
// same kind of document.
json report_shape(const json& report)
{
    json keys = json::array();
    for (const auto& [key, value] : report.items())
        keys.push_back(key);
    return {{"technique", report.at("technique")}, {"keys", keys}};
}

json trace_shape(const json& trace)
{
    json keys = json::array();
    for (const auto& [key, value] : trace.items())
        keys.push_back(key);
    return {{"kind", trace.at("kind")}, {"keys", keys}};
}

struct Command {
    std::string name;
    std::vector<std::string> arguments;  // what it needs to run on the fixtures ("{tmp}": a temp directory)
    std::vector<Flag> flags;             // every flag --help lists, in its order
    Comparable comparable = nullptr;     // nullptr: no --json (export prints OpenMetrics only)
};

const Flag kHelp{"-h, --help", ""};
const Flag kFormat{"-f, --format FORMAT", "text"};
const Flag kJson{"-j, --json", ""};
const Flag kOut{"-o, --out DIR", "reports"};

const std::vector<Command> kCommands = {
    {"list", {}, {kHelp, kFormat, kJson}, whole},
    {"doctor", {}, {kHelp, kFormat, kJson}, whole},
    {"run",
     {"sendfile", "-s", "1M", "-o", "{tmp}"},
     {kHelp,
      {"-s, --size SIZE", "256 MiB"},
      {"-c, --chunk SIZE[,SIZE...]", "64 KiB"},
      {"--cache STATE", "warm"},
      {"--dir DIR", "/var/tmp"},
      {"--write-pages N", "10"},
      kOut,
      {"--transport NAME", "lo"},
      {"--sg on|off", "on"},
      {"--receiver copy|zerocopy", "copy"},
      {"--seed N", "1"},
      {"-r, --repeat N", "1"},
      kFormat,
      kJson,
      {"--interval DURATION", "none"},
      {"--bpf-stats MODE", "off"},
      {"--bystander-filter HOW", "auto"},
      {"--strict", ""}},
     report_shape},
    {"gather",
     {"--iface", "lo", "--no-self-test", "-o", "{tmp}"},
     {kHelp,
      {"--iface NAME", "every interface that is up"},
      {"--observe DURATION", "none: the self-test runs"},
      {"--no-self-test", ""},
      {"-s, --size SIZE", "16 MiB"},
      kOut,
      kFormat,
      kJson},
     without_creation_time},
    {"trace",
     {"-o", "{tmp}", "-d", "200ms", "--pid", "1"},
     {{"-- CMD [ARGS...]", ""},
      kHelp,
      {"-p, --pid PID", ""},
      {"--cgroup PATH", ""},
      {"-d, --duration DURATION", "none: until the command or the pids exit, or Ctrl-C"},
      {"--max-procs N", "4096"},
      {"--max-sockets N", "16384"},
      {"--interval DURATION", "none"},
      {"--bpf-stats MODE", "off"},
      {"--bystander-filter HOW", "auto"},
      {"--hooks SET", "full"},
      kOut,
      kFormat,
      kJson,
      {"--strict", ""}},
     trace_shape},
    {"summarize",
     {kReport, "-o", "{tmp}"},
     {kHelp, {"-o, --out DIR", "next to the reports"}, kFormat, kJson},
     without_creation_time},
    {"export",
     {kReport},
     {kHelp, {"--openmetrics", ""}, {"--textfile-dir DIR", "none: stdout"}, {"--name NAME", "zctrace.prom"}}},
    {"diff",
     {kReport, kOtherReport},
     {kHelp, kFormat, kJson, {"--all", ""}, {"--output FILE", "none: stdout"}},
     whole},
    {"validate", {kReport}, {kHelp, kFormat, kJson, {"-q, --quiet", ""}}, whole},
    {"check", {kReport}, {kHelp, {"--strict", ""}, kFormat, kJson}, whole},
    {"help", {}, {kHelp, {"--man", ""}}},
};

// Every command takes the global options too.
const Flag kVerbose{"-v, --verbose", ""};

std::vector<std::string> with_temp_dir(std::vector<std::string> args, const TempDir& dir)
{
    for (std::string& arg : args)
        if (arg == "{tmp}")
            arg = dir.path().string();
    return args;
}

std::vector<std::string> concat(std::vector<std::string> head, const std::vector<std::string>& tail)
{
    head.insert(head.end(), tail.begin(), tail.end());
    return head;
}

// What only CLI11 would print: type names, its own defaults and labels.
void expect_no_internals(const std::string& help, const std::string& what)
{
    for (const char* internal : {"TEXT", "UINT", "INT:", "FLOAT", "NONNEGATIVE", "POSITIVE", "Excludes", "Needs:",
                                 "[Option Group", "REQUIRED", "SUBCOMMAND", "Positionals", "VALUE", "=64M", ":{",
                                 ZCTRACE_BINARY})
        EXPECT_EQ(help.find(internal), std::string::npos) << what << " shows \"" << internal << "\":\n" << help;
}

TEST(Conventions, HelpShowsValueNamesAndDefaultsInWordsAndNoInternals)
{
    const Finished top = run({"--help"});
    ASSERT_EQ(top.status, 0) << top.err;
    expect_no_internals(top.out, "zctrace --help");
    EXPECT_EQ(top.out.find("Usage: zctrace COMMAND"), top.out.find("Usage:")) << top.out;
    std::vector<std::string> names;
    for (const Command& command : kCommands)
        names.push_back(command.name);
    EXPECT_EQ(listed_commands(top.out), names) << "the table must hold every command --help lists";

    for (const Command& command : kCommands) {
        SCOPED_TRACE("zctrace " + command.name + " --help");
        const Finished help = run({command.name, "--help"});
        ASSERT_EQ(help.status, 0) << help.err;
        expect_no_internals(help.out, command.name + " --help");
        EXPECT_NE(help.out.find("Usage: zctrace " + command.name + " "), std::string::npos) << help.out;

        const std::map<std::string, std::string> entries = option_entries(help.out);
        std::vector<Flag> flags = command.flags;
        flags.push_back(kVerbose);
        std::set<std::string> listed, expected;
        for (const auto& [usage, description] : entries)
            listed.insert(usage);
        for (const Flag& flag : flags) {
            expected.insert(flag.usage);
            const auto entry = entries.find(flag.usage);
            if (entry == entries.end())
                continue;  // the set comparison below names it
            EXPECT_FALSE(entry->second.empty()) << flag.usage << " has no description";
            if (!flag.default_words.empty()) {
                EXPECT_NE(entry->second.find("(default " + flag.default_words), std::string::npos)
                    << flag.usage << ": " << entry->second;
            }
        }
        EXPECT_EQ(listed, expected) << "the table must hold every flag --help lists, and --help every flag";
    }
}

// -j, --json and --format json (the last two together too) print the same.
TEST(Conventions, JsonIsFormatJson)
{
    REQUIRE_ROOT();
    for (const Command& command : kCommands) {
        if (!command.comparable)
            continue;
        SCOPED_TRACE("zctrace " + command.name);
        std::optional<json> first;
        for (const std::vector<std::string>& spelling :
             std::vector<std::vector<std::string>>{{"-j"}, {"--format", "json"}, {"--json", "--format", "json"}}) {
            TempDir dir;
            const std::vector<std::string> args = concat(command.arguments, spelling);
            const Finished result = run(concat({command.name}, with_temp_dir(args, dir)));
            EXPECT_EQ(result.status, 0) << result.err;
            const json printed = command.comparable(json::parse(result.out));
            if (!first)
                first = printed;
            EXPECT_EQ(printed, *first) << spelling.front();
        }
    }
}

struct BadInput {
    std::vector<std::string> args;  // "{tmp}": a temp directory
    std::string says;               // how the message starts
};

// One per kind of mistake, then the ones every command gets; each exits 2
// with one line that starts "zctrace <command>: " and no flood of digits.
std::vector<BadInput> bad_inputs()
{
    std::vector<BadInput> cases = {
        {{"rn"}, "zctrace: unknown command 'rn'; the commands are list, doctor, run,"},
        {{"--bogus"}, "zctrace: unknown option '--bogus'"},
        {{}, "zctrace: no command given; the commands are list,"},
        {{"help", "nope"}, "zctrace help: no help on 'nope'"},
        {{"run"}, "zctrace run: missing TECHNIQUE...; usage: zctrace run [OPTIONS] TECHNIQUE..."},
        {{"run", "rn"}, "zctrace run: unknown technique 'rn'"},
        // another command's option: its value must not be taken for a technique
        {{"run", "sendfile", "--observe", "1s"}, "zctrace run: unknown option '--observe'"},
        {{"list", "extra"}, "zctrace list: unexpected argument 'extra'"},
        // malformed sizes
        {{"run", "sendfile", "--size", "12Q"}, "zctrace run: --size: invalid size '12Q': unknown unit"},
        {{"run", "sendfile", "-c", "1.1K"}, "zctrace run: --chunk: invalid size '1.1K': it is not a whole number"},
        {{"gather", "-s", "64X"}, "zctrace gather: --size: invalid size '64X'"},
        {{"run", "sendfile", "--size"}, "zctrace run: --size needs a value (SIZE)"},
        // malformed durations
        {{"run", "sendfile", "-f", "ndjson", "--interval", "soon"}, "zctrace run: --interval: invalid duration 'soon'"},
        {{"run", "sendfile", "-f", "ndjson", "--interval", "10ms"},
         "zctrace run: --interval: '10ms' is shorter than the 50ms minimum"},
        {{"gather", "--observe", "2d"}, "zctrace gather: --observe: invalid duration '2d': unknown unit"},
        // negative numbers
        {{"run", "sendfile", "--size", "-5"}, "zctrace run: --size: invalid size '-5'"},
        {{"run", "sendfile", "--write-pages", "-1"}, "zctrace run: --write-pages: '-1' is negative"},
        {{"gather", "--observe", "-3"},
         "zctrace gather: --observe: invalid duration '-3': a duration cannot be negative"},
        // huge numbers
        {{"run", "sendfile", "--size", "99999999999999999999999"},
         "zctrace run: --size: invalid size '9999999999999999…': too large"},
        {{"run", "sendfile", "--seed", "99999999999999999999999"},
         "zctrace run: --seed: '9999999999999999…' is too large"},
        {{"run", "sendfile", "--write-pages", "18446744073709551616"}, "zctrace run: --write-pages:"},
        {{"run", "sendfile", "--chunk", "2G"}, "zctrace run: --chunk 2G is larger than the 1 GiB limit"},
        // more than --dir can hold
        {{"run", "sendfile", "--size", "1000T", "-o", "{tmp}"}, "zctrace run: the workload file needs 1000 TiB"},
        // unwritable --out, and --output that is a directory
        {{"run", "sendfile", "-s", "1M", "--out", "/proc/zctrace"}, "zctrace run: cannot create the output directory"},
        {{"gather", "--no-self-test", "-o", "/proc/zctrace"}, "zctrace gather: cannot create the output directory"},
        {{"summarize", kReport, "-o", "/proc/zctrace"}, "zctrace summarize: cannot create the output directory"},
        {{"export", kReport, "--textfile-dir", "/proc/self"}, "zctrace export: cannot create a file in /proc/self"},
        {{"diff", kReport, kOtherReport, "--output", "{tmp}"}, "zctrace diff: --output " },
        {{"diff", kReport, kOtherReport, "--out", "{tmp}"}, "zctrace diff: --out: renamed to --output FILE"},
        {{"list", "--json=maybe"}, "zctrace list: --json takes no value"},
        {{"run", "sendfile", "-s", "1M", "-s", "2M"}, "zctrace run: --size was given more than once"},
    };
    for (const Command& command : kCommands) {
        const std::string prefix = "zctrace " + command.name + ": ";
        cases.push_back({concat({command.name, "--no-such-flag"}, command.arguments),
                         prefix + "unknown option '--no-such-flag'"});
        if (!command.comparable)
            continue;
        cases.push_back({concat({command.name, "--format", "yaml"}, command.arguments),
                         prefix + "--format: 'yaml' is not a choice here; give text"});
        cases.push_back({concat({command.name, "--json", "--format", "text"}, command.arguments),
                         prefix + "--json: it means --format json, and --format says text"});
    }
    return cases;
}

TEST(Conventions, BadInputExitsTwoWithTheCommandsName)
{
    REQUIRE_ROOT();
    const std::regex command_prefix("^zctrace( [a-z]+)?: ");
    const std::regex flood("[0-9]{21,}");
    for (const BadInput& bad : bad_inputs()) {
        TempDir dir;
        const std::vector<std::string> args = with_temp_dir(bad.args, dir);
        std::string line = "zctrace";
        for (const std::string& arg : args)
            line += " " + arg;
        SCOPED_TRACE(line);
        const Finished result = run(args);
        EXPECT_EQ(result.status, 2) << result.err;
        EXPECT_EQ(result.out, "");
        EXPECT_EQ(result.err.rfind(bad.says, 0), 0u) << result.err;
        EXPECT_TRUE(std::regex_search(result.err, command_prefix)) << result.err;
        EXPECT_FALSE(std::regex_search(result.err, flood)) << result.err;
        EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << "one line: " << result.err;
    }
}

TEST(Conventions, GlobalOptionsWorkAfterTheCommand)
{
    REQUIRE_ROOT();
    const Finished before = run({"-v", "doctor"});
    const Finished after = run({"doctor", "-v"});
    const Finished quiet = run({"doctor"});
    EXPECT_EQ(after.status, quiet.status) << after.err;
    EXPECT_EQ(before.status, quiet.status) << before.err;
    EXPECT_NE(after.err.find("libbpf: "), std::string::npos) << "-v after the command shows libbpf's messages";
    EXPECT_NE(before.err.find("libbpf: "), std::string::npos);
    EXPECT_EQ(quiet.err.find("libbpf: "), std::string::npos) << quiet.err;
    TempDir dir;
    const Finished traced = run({"run", "-v", "sendfile", "-s", "1M", "-o", dir.path().string()});
    EXPECT_EQ(traced.status, 0) << traced.err;
    EXPECT_NE(traced.err.find("libbpf: "), std::string::npos);
}

TEST(Conventions, HelpCommandAndVersion)
{
    EXPECT_EQ(run({"help"}).out, run({"--help"}).out);
    for (const Command& command : kCommands) {
        const Finished help = run({"help", command.name});
        EXPECT_EQ(help.status, 0) << help.err;
        EXPECT_EQ(help.out, run({command.name, "--help"}).out) << command.name;
    }
    const Finished terms = run({"help", "terms"});
    EXPECT_EQ(terms.status, 0) << terms.err;
    for (const char* term : {"pass", "frag", "linear payload", "theory row", "expected row", "match", "environment",
                             "explained", "no_theory", "invalid", "mismatch"})
        EXPECT_NE(terms.out.find("\n  " + std::string(term) + " "), std::string::npos) << term << ":\n" << terms.out;
    EXPECT_NE(run({"--help"}).out.find("zctrace help terms"), std::string::npos);

    const Finished version = run({"--version"});
    EXPECT_EQ(version.status, 0);
    EXPECT_TRUE(std::regex_match(version.out, std::regex(R"(zctrace \d+\.\d+\.\d+ \(git ([0-9a-f]+|unknown)\)\n)")))
        << version.out;
}

// `zctrace ... | head -0`: whatever a command prints, a reader that is gone
// stops it as SIGPIPE would, after its cleanup, rather than exit 1 with
// "cannot write" once all the work is done.
TEST(Conventions, ClosedStdoutEndsEveryCommandAs141)
{
    REQUIRE_ROOT();
    TempDir dir;
    const auto links_before = bpf_objects("link");
    for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
             {"list"},
             {"list", "--json"},
             {"doctor"},
             {"check", "--json", kReport},
             {"--help"},
             {"run", "sendfile", "-s", "1M", "-o", dir.path().string()}}) {
        SCOPED_TRACE(args.front());
        const Finished result = Process(args, {.stdout_closed = true}).finish();
        EXPECT_EQ(result.status, 141) << result.err;
        EXPECT_EQ(result.err.find("cannot write"), std::string::npos) << result.err;
    }
    EXPECT_TRUE(eventually([&] {
        for (const auto& id : bpf_objects("link"))
            if (!links_before.count(id))
                return false;
        return true;
    })) << "the run's probes are still attached";
}

}  // namespace
