// zctrace: measures what zero-copy I/O techniques really cost, with eBPF.
#include <iostream>

#include "commands.hpp"
#include "common.hpp"

int main(int argc, char** argv)
{
    using namespace zctrace::cli;
    CLI::App app{"zctrace: trace what read/write, mmap, sendfile and splice really copy, and check it "
                 "against the textbook zero-copy table"};
    app.set_version_flag("--version", ZCTRACE_VERSION);
    app.require_subcommand(1, 1);
    bool verbose = false;
    app.add_flag("-v,--verbose", verbose, "Print libbpf's messages as they come");

    int exit_code = kExitOk;
    setup_list(app, exit_code);
    setup_doctor(app, exit_code, verbose);
    setup_run(app, exit_code, verbose);
    setup_gather(app, exit_code, verbose);
    setup_summarize(app, exit_code);
    setup_export(app, exit_code);
    setup_diff(app, exit_code);
    setup_validate(app, exit_code);
    setup_check(app, exit_code);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& error) {
        const int status = app.exit(error);
        return status == 0 ? kExitOk : kExitUsage;
    }
    // A full disk or a closed pipe must not pass for success in a pipeline.
    std::cout.flush();
    if (!std::cout && exit_code == kExitOk)
        return fail(kExitFailed, "cannot write to stdout");
    return exit_code;
}
