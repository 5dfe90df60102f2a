// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// --help and `zctrace help`: every command's options with their value
// names and defaults in words, the glossary, and parse errors in words.
#include "help.hpp"

#include <iostream>
#include <memory>
#include <sstream>
#include <utility>
#include <vector>

#include "base/units.hpp"
#include "commands.hpp"
#include "common.hpp"

namespace zctrace::cli {
namespace {

constexpr std::size_t kColumn = 30;  // where descriptions start
constexpr std::size_t kWidth = 100;  // where lines end

using Entries = std::vector<std::pair<std::string, std::string>>;

const Entries kTerms = {
    {"pass", "one copy of every payload byte; cpu_copies counts passes (copied bytes / payload bytes), so 2 means "
             "the CPU copied the whole payload twice"},
    {"skb", "a socket buffer: the kernel's packet, a linear area plus frags; a resend counts once per skb, "
            "while RetransSegs counts MSS-sized segments"},
    {"frag", "a page an skb points at instead of holding the bytes itself: page-cache frags leave without a CPU "
             "copy"},
    {"linear payload", "payload inside the skb's own buffer, which means the CPU copied it there"},
    {"mode switch", "an entry into the kernel or a return from it (a syscall is two); the seeds' \"context "
                    "switches\" are these, not scheduler switches"},
    {"context switch", "the scheduler putting one task on a CPU in place of another: voluntary when the task "
                       "waited, involuntary when it was preempted"},
    {"DMA copy", "a device moving the payload to or from memory: the disk into the page cache, memory to the NIC"},
    {"theory row", "the row of the seeds' table a run is held to, e.g. \"sendfile + DMA gather\""},
    {"expected row", "the theory row chosen before the run, from the egress device's offloads (scatter-gather and "
                     "TX checksum read with ethtool); the copies are judged against it"},
};

// The six verdicts a check can get; a run's verdict is its worst check's.
const Entries kVerdicts = {
    {"match", "the figure is what is expected, within the tolerance"},
    {"environment", "it differs only by steps this machine removes or adds (a warm cache, a software device, a "
                    "device without SG), and they account for all of it"},
    {"explained", "the kernel or the workload does different work, and the measured causes account for all of it"},
    {"no_theory", "the seeds give no figure; the run met the workload's own design instead"},
    {"invalid", "the measurement is incomplete or contradicts itself"},
    {"mismatch", "it differs, and nothing measured accounts for the difference"},
};

const std::string kSizeNote = std::string("SIZE: e.g. 4096, 64K, 1.5G, 16MB; ") + kSizeSyntax + ".";
const std::string kDurationNote = std::string("DURATION: e.g. ") + kDurationSyntax + ".";

// `text` in lines of at most `width` columns, broken between words; a '\n'
// in it starts a new line.
std::vector<std::string> wrap(const std::string& text, std::size_t width)
{
    std::vector<std::string> lines;
    std::istringstream paragraphs(text);
    std::string paragraph;
    while (std::getline(paragraphs, paragraph)) {
        std::istringstream words(paragraph);
        std::string word, line;
        while (words >> word) {
            if (!line.empty() && display_width(line) + 1 + display_width(word) > width) {
                lines.push_back(line);
                line.clear();
            }
            line += (line.empty() ? "" : " ") + word;
        }
        lines.push_back(line);
    }
    return lines;
}

std::string wrapped(const std::string& text)
{
    std::string out;
    for (const std::string& line : wrap(text, kWidth))
        out += line + "\n";
    return out;
}

// "  -s, --size SIZE      bytes to send ...": the description starts at
// kColumn, on the next line when the name is wider, and wraps under itself.
std::string two_columns(const std::string& name, const std::string& description)
{
    std::string out = "  " + name;
    const std::vector<std::string> lines = wrap(description, kWidth - kColumn);
    if (lines.empty())
        return out + "\n";
    out = display_width(out) < kColumn ? pad_to(out, kColumn) : out + "\n" + std::string(kColumn, ' ');
    for (std::size_t i = 0; i < lines.size(); ++i)
        out += (i == 0 ? "" : std::string(kColumn, ' ')) + lines[i] + "\n";
    return out;
}

std::string entries(const Entries& list)
{
    std::string out;
    for (const auto& [name, description] : list)
        out += two_columns(name, description);
    return out;
}

std::string glossary()
{
    return "Words zctrace's output uses:\n" + entries(kTerms) + "\n" +
           wrapped("Check verdicts (a run's verdict is its worst check's: invalid, else mismatch, else explained, "
                   "else match):") +
           entries(kVerdicts);
}

bool takes_no_value(const CLI::Option& option)
{
    return option.get_expected_max() == 0;  // a flag
}

bool has_value_named(const CLI::App& app, const std::string& value_name)
{
    return !app.get_options([&](const CLI::Option* option) { return option->get_option_text() == value_name; })
                .empty();
}

// Value names, not types: "--size SIZE", never "TEXT:SIZE=64M"; defaults
// are in the descriptions, in words.
class HelpFormatter : public CLI::Formatter {
public:
    HelpFormatter()
    {
        label("Positionals", "Arguments");
    }

    // CLI11 puts two blank lines between option groups; one is enough.
    std::string make_help(const CLI::App* app, std::string name, CLI::AppFormatMode mode) const override
    {
        std::string help = CLI::Formatter::make_help(app, std::move(name), mode);
        for (std::size_t at; (at = help.find("\n\n\n")) != std::string::npos;)
            help.erase(at, 1);
        return help;
    }

    std::string make_description(const CLI::App* app) const override
    {
        return wrapped(app->get_description());
    }

    std::string make_usage(const CLI::App* app, std::string name) const override
    {
        return "Usage: " + usage_line(*app, name) + "\n";
    }

    // Options kept only to say what they became are not shown.
    std::string make_group(std::string group, bool is_positional,
                           std::vector<const CLI::Option*> options) const override
    {
        return group == kRenamedGroup ? "" : CLI::Formatter::make_group(group, is_positional, options);
    }

    std::string make_option(const CLI::Option* option, bool is_positional) const override
    {
        return two_columns(make_option_name(option, is_positional) + make_option_opts(option),
                           make_option_desc(option));
    }

    std::string make_option_name(const CLI::Option* option, bool is_positional) const override
    {
        if (is_positional)
            return option->get_option_text();
        std::string names;
        for (const std::string& name : option->get_snames())
            names += (names.empty() ? "-" : ", -") + name;
        for (const std::string& name : option->get_lnames())
            names += (names.empty() ? "--" : ", --") + name;
        return names;
    }

    std::string make_option_opts(const CLI::Option* option) const override
    {
        if (option->get_positional() || takes_no_value(*option))
            return "";
        // Every option names its value with option_text(); "VALUE" shows one
        // that does not, and the conventions test fails on it.
        const std::string& text = option->get_option_text();
        return " " + (text.empty() ? std::string("VALUE") : text);
    }

    std::string make_option_usage(const CLI::Option* option) const override
    {
        return option->get_option_text();
    }

    std::string make_subcommand(const CLI::App* command) const override
    {
        return two_columns(command->get_name(), command->get_description());
    }

    std::string make_footer(const CLI::App* app) const override
    {
        std::string notes = app->get_footer();
        for (const auto& [value_name, note] : {std::pair{"SIZE", kSizeNote}, std::pair{"DURATION", kDurationNote}})
            if (has_value_named(*app, value_name))
                notes += (notes.empty() ? "" : "\n") + note;
        return notes.empty() ? "" : wrapped(notes);
    }
};

// The subcommand being parsed when the error came; nullptr before one.
const CLI::App* parsed_command(const CLI::App& root)
{
    const std::vector<CLI::App*> parsed = root.get_subcommands();
    return parsed.empty() ? nullptr : parsed.front();
}

// The option of `command` that `message` names: the one it starts with
// (CLI11 leads with the option's name), else the longest one it contains, so
// that --no-self-test is not taken for a shorter name inside it.
const CLI::Option* named_option(const CLI::App& command, const std::string& message)
{
    const CLI::Option* found = nullptr;
    for (const CLI::Option* option : command.get_options()) {
        const std::string name = option->get_name();
        if (name.empty() || message.find(name) == std::string::npos)
            continue;
        if (message.starts_with(name + ":"))
            return option;
        if (!found || name.size() > found->get_name().size())
            found = option;
    }
    return found;
}

int run_help(const CLI::App& app, const std::string& topic, bool man)
{
    if (man) {
        if (!topic.empty())
            return fail(kExitUsage, "--man prints the whole page; give it no COMMAND");
        std::cout << man_page(app);
        return kExitOk;
    }
    const auto formatter = app.get_formatter();
    if (topic.empty()) {
        std::cout << formatter->make_help(&app, "zctrace", CLI::AppFormatMode::Normal);
        return kExitOk;
    }
    if (topic == "terms") {
        std::cout << glossary();
        return kExitOk;
    }
    for (const CLI::App* command : app.get_subcommands({}))
        if (command->get_name() == topic) {
            std::cout << formatter->make_help(command, "zctrace " + topic, CLI::AppFormatMode::Normal);
            return kExitOk;
        }
    return fail(kExitUsage, "no help on " + quote_input(topic) + "; ask for a command (" + command_names(app) +
                                ") or for terms");
}

}  // namespace

std::string usage_line(const CLI::App& app, const std::string& name)
{
    if (!app.get_subcommands({}).empty())
        return name + " COMMAND [OPTIONS] [ARGUMENTS]";
    std::string line = name;
    if (!app.get_options([](const CLI::Option* option) { return option->nonpositional(); }).empty())
        line += " [OPTIONS]";
    const auto is_positional = [](const CLI::Option* option) { return option->get_positional(); };
    for (const CLI::Option* positional : app.get_options(is_positional)) {
        const std::string& text = positional->get_option_text();
        line += " " + (positional->get_required() ? text : "[" + text + "]");
    }
    return line;
}

std::shared_ptr<CLI::Formatter> make_help_formatter()
{
    return std::make_shared<HelpFormatter>();
}

std::string top_level_footer()
{
    return "Run `zctrace help COMMAND` (or `zctrace COMMAND --help`) for a command's options, and `zctrace help "
           "terms` for the words the output uses: pass, frag, linear payload, theory row, expected row and the six "
           "check verdicts.\n" +
           units_note() +
           "\nExit status: 0 ok; 1 a run failed, its measurement is invalid, or --strict found a mismatch; 2 bad "
           "command line or input; 3 this machine cannot run zctrace (privileges, BTF, tracefs, a probe); 128+N "
           "stopped by signal N (141: the reader of stdout went away).";
}

std::string units_note()
{
    return kSizeNote + "\n" + kDurationNote;
}

std::string version_text()
{
    return std::string("zctrace ") + ZCTRACE_VERSION + " (git " + ZCTRACE_GIT_SHA + ")";
}

std::string command_names(const CLI::App& root)
{
    std::vector<std::string> names;
    for (const CLI::App* command : root.get_subcommands({}))
        names.push_back(command->get_name());
    return join(names);
}

std::string describe_parse_error(const CLI::ParseError& error, const CLI::App& root)
{
    const std::string message = error.what();
    const CLI::App* command = parsed_command(root);
    const std::string help = command ? "`zctrace help " + command->get_name() + "`" : "`zctrace help`";
    const CLI::Option* option = command ? named_option(*command, message) : nullptr;

    // An unknown option's value lands among the positionals, and CLI11
    // validates those first: `run sendfile --observe 1s` would otherwise
    // blame a technique named "1s" instead of the option.
    for (const std::string& extra : root.remaining(true)) {
        if (extra == "--")  // what follows is a command's arguments
            break;
        if (extra.starts_with("-") && extra != "-")
            return "unknown option " + quote_input(extra) + "; " + help + " lists the options";
    }
    if (dynamic_cast<const CLI::ExtrasError*>(&error)) {
        const std::vector<std::string> extras = root.remaining(true);
        const std::string first = extras.empty() ? std::string() : extras.front();
        if (!command)
            return "unknown command " + quote_input(first) + "; the commands are " + command_names(root);
        return "unexpected argument " + quote_input(first) + "; usage: " +
               usage_line(*command, "zctrace " + command->get_name());
    }
    if (dynamic_cast<const CLI::RequiredError*>(&error) && command)
        for (const CLI::Option* required : command->get_options())
            if (required->get_required() && required->count() == 0)
                return "missing " + required->get_option_text() + "; usage: " +
                       usage_line(*command, "zctrace " + command->get_name());
    if (dynamic_cast<const CLI::ArgumentMismatch*>(&error) && option) {
        if (takes_no_value(*option))
            return option->get_name() + " takes no value";
        if (message.find("At Most") != std::string::npos)
            return option->get_name() + " was given more than once; give it once";
        return option->get_name() + " needs a value (" + option->get_option_text() + "); " + help +
               " says what it takes";
    }
    if (dynamic_cast<const CLI::ConversionError*>(&error) && option)
        return takes_no_value(*option) ? option->get_name() + " takes no value"
                                            : option->get_name() + " cannot take that value; " + help +
                                                  " says what it takes";
    // "technique: unknown technique 'x'": an argument's name says nothing
    // the message does not.
    if (dynamic_cast<const CLI::ValidationError*>(&error) && option && option->get_positional())
        return message.substr(message.find(": ") + 2);
    return message;
}

void setup_help(CLI::App& app, int& exit_code)
{
    auto topic = std::make_shared<std::string>();
    CLI::App* help = app.add_subcommand("help", "Show the help of zctrace or of one command; `zctrace help terms` "
                                                "defines the words the output uses");
    help->add_option("topic", *topic, "a command (" + command_names(app) + "), or terms for the glossary")
        ->option_text("COMMAND|terms");
    auto man = std::make_shared<bool>(false);
    help->add_flag("--man", *man, "print zctrace(8), the manual page, as roff (what `man zctrace` shows)");
    help->callback([&app, topic, man, &exit_code] { exit_code = run_help(app, *topic, *man); });
}

}  // namespace zctrace::cli
