// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// zctrace: measures what zero-copy I/O techniques really cost, with eBPF.
#include <csignal>

#include "commands.hpp"
#include "common.hpp"
#include "help.hpp"

int main(int argc, char** argv)
{
    using namespace zctrace::cli;
    // A reader of stdout that goes away must not kill zctrace in the middle
    // of its cleanup: writes fail with EPIPE instead, and flush_stdout()
    // turns that into SIGPIPE's exit status once the command has unwound.
    std::signal(SIGPIPE, SIG_IGN);

    // Named, so that usage lines say "zctrace", not the path it was run by.
    CLI::App app{"zctrace: trace what read/write, mmap, sendfile and splice really copy, and check it against the "
                 "textbook zero-copy table",
                 "zctrace"};
    // Set before the commands are added: each command takes them over.
    app.formatter(make_help_formatter());
    app.set_help_flag("-h,--help", "show this help");
    app.set_version_flag("--version", version_text(), "show the version and the commit it was built from");
    // One command at most; none at all gets a message of our own below.
    app.require_subcommand(0, 1);
    bool verbose = false;
    add_verbose_flag(app, verbose);

    int exit_code = kExitOk;
    setup_list(app, exit_code);
    setup_doctor(app, exit_code, verbose);
    setup_run(app, exit_code, verbose);
    setup_gather(app, exit_code, verbose);
    setup_trace(app, exit_code, verbose);
    setup_summarize(app, exit_code);
    setup_export(app, exit_code);
    setup_diff(app, exit_code);
    setup_validate(app, exit_code);
    setup_check(app, exit_code);
    setup_help(app, exit_code);
    for (CLI::App* command : app.get_subcommands({})) {
        command->group("Commands");
        // Global options work after the command too: `zctrace run -v sendfile`.
        add_verbose_flag(*command, verbose);
        command->preparse_callback([command](std::size_t) { begin_command(command->get_name()); });
    }
    // Set after the commands are added, which would each take it over.
    app.footer(top_level_footer());

    try {
        app.parse(argc, argv);
    } catch (const CLI::Success& request) {  // --help or --version, printed on stdout
        app.exit(request);
        return finish_stdout(kExitOk);
    } catch (const CLI::ParseError& error) {
        return fail(kExitUsage, describe_parse_error(error, app));
    }
    if (app.get_subcommands().empty())
        return fail(kExitUsage, "no command given; the commands are " + command_names(app) +
                                    ", and `zctrace help` describes them");
    return finish_stdout(exit_code);
}
