#include "common.hpp"

#include <csignal>
#include <iostream>
#include <map>

#include "base/signals.hpp"
#include "base/units.hpp"
#include "commands.hpp"

namespace zctrace::cli {

int fail(int status, const std::string& message)
{
    std::cerr << "zctrace: " << message << "\n";
    return status;
}

int exit_status(const Error& error)
{
    switch (error.kind) {
    case ErrorKind::unsupported: return kExitUnsupported;
    case ErrorKind::bad_input: return kExitUsage;
    case ErrorKind::interrupted: return 128 + (interrupt_signal() ? interrupt_signal() : SIGINT);
    case ErrorKind::failed: break;
    }
    return kExitFailed;
}

int fail(const Error& error, const std::string& context)
{
    if (error.kind == ErrorKind::interrupted)
        return fail(exit_status(error), "interrupted; probes detached, no report written" +
                                            (context.empty() ? "" : " for " + context));
    return fail(exit_status(error), (context.empty() ? "" : context + ": ") + error.describe());
}

int run_uninterrupted(const std::function<int()>& command)
{
    install_interrupt_handlers();
    const int status = command();
    if (!interrupted())
        return status;
    return fail(exit_status(Error{EINTR, "interrupted", ErrorKind::interrupted}),
                std::string("interrupted") + (status == kExitOk ? "; what was being written is whole" : ""));
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

std::string validate_size(const std::string& text)
{
    auto size = parse_size(text);
    if (!size)
        return size.error().message;
    if (*size == 0)
        return "size '" + text + "' must be at least 1 byte";
    return {};
}

std::string join(const std::vector<std::string>& names)
{
    std::string text;
    for (const std::string& name : names)
        text += (text.empty() ? "" : ", ") + name;
    return text;
}

void add_report_paths(CLI::App& command, std::vector<std::string>& paths)
{
    command.add_option("reports", paths, "Report files, or directories of them (e.g. reports/)")
        ->required()
        ->type_name("REPORTS");
}

}  // namespace zctrace::cli
