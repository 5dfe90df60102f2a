// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// zctrace as a user installs it (issue 18): zctrace(8) renders without a
// warning and names every option of every command; bash completion
// completes commands, options and techniques from the binary; and the .deb
// that cpack builds passes lintian, installs with apt, runs (doctor, a real
// sendfile run), carries systemd units that `systemd-analyze verify`
// accepts, and is removed without a trace. The .deb test installs and
// purges a package on this host, so it has a label of its own: package.
#include <algorithm>
#include <fstream>
#include <regex>
#include <sstream>

#include "../cli/support.hpp"

namespace {

using namespace zctrace::cli_test;

const fs::path kBuildDir = ZCTRACE_BUILD_DIR;

void write_text(const fs::path& path, const std::string& text)
{
    std::ofstream(path) << text;
}

Finished run_program(const std::string& program, std::vector<std::string> args, Restrictions restrictions = {},
                     std::chrono::seconds timeout = std::chrono::seconds(300))
{
    return Process(std::move(args), std::move(restrictions), program).finish(timeout);
}

// Every option name a command's --help lists: "-s", "--size", ... (the
// usage "-s, --size SIZE": names until the value name; trace's "-- CMD"
// is an argument).
std::vector<std::string> options_of(const std::string& command)
{
    std::vector<std::string> names;
    for (const auto& [usage, description] : option_entries(run({command, "--help"}).out)) {
        std::istringstream words(usage);
        for (std::string word;
             words >> word && word.starts_with("-") && word.find_first_not_of('-') != std::string::npos;)
            names.push_back(word.ends_with(",") ? word.substr(0, word.size() - 1) : word);
    }
    return names;
}

std::string man_source()
{
    const Finished page = run({"help", "--man"});
    EXPECT_EQ(page.status, 0) << page.err;
    return page.out;
}

// "--size" as roff writes it in the page: "\-\-size".
std::string in_roff(const std::string& option)
{
    return std::regex_replace(option, std::regex("-"), "\\-");
}

TEST(ManPage, RendersWithoutAWarning)
{
    TempDir dir;
    const fs::path page = dir.path() / "zctrace.8";
    write_text(page, man_source());
    const Finished rendered = run_program("/usr/bin/groff", {"-man", "-ww", "-z", page.string()});
    EXPECT_EQ(rendered.status, 0) << rendered.err;
    EXPECT_EQ(rendered.err, "") << "groff -ww warned";
    // The page the build installs is the one the binary prints.
    EXPECT_EQ(read_text(kBuildDir / "packaging/zctrace.8"), read_text(page));
}

TEST(ManPage, NamesEveryCommandAndEveryOptionCli11Knows)
{
    const std::string page = man_source();
    const std::vector<std::string> names = listed_commands(run({"--help"}).out);
    ASSERT_GE(names.size(), 10u);
    std::size_t options = 0;
    for (const std::string& command : names) {
        const std::size_t begin = page.find(".SS \"zctrace " + command + "\"\n");
        ASSERT_NE(begin, std::string::npos) << command;
        const std::size_t end = page.find("\n.S", begin + 1);
        const std::string section = page.substr(begin, end - begin);
        const std::string global = page.substr(page.find(".SH OPTIONS\n"));
        for (const std::string& option : options_of(command)) {
            ++options;
            // Bold, as an option's tag: in its command's section, or for
            // the options every command takes, under OPTIONS.
            const bool everywhere = option == "-v" || option == "--verbose";
            EXPECT_NE((everywhere ? global : section).find("\\fB" + in_roff(option) + "\\fR"), std::string::npos)
                << "zctrace " << command << " " << option << " is not in zctrace(8)";
        }
    }
    EXPECT_GE(options, 60u) << "the --help parser found too few options to prove anything";
    for (const char* section : {".SH NAME", ".SH SYNOPSIS", ".SH DESCRIPTION", ".SH COMMANDS", ".SH EXIT STATUS",
                                ".SH ENVIRONMENT", ".SH FILES", ".SH EXAMPLES", ".SH SEE ALSO"})
        EXPECT_NE(page.find(std::string(section) + "\n"), std::string::npos) << section;
    // --man is the whole page: a command with it is bad input.
    const Finished refused = run({"help", "run", "--man"});
    EXPECT_EQ(refused.status, 2);
    EXPECT_NE(refused.err.find("zctrace help: --man prints the whole page"), std::string::npos) << refused.err;
}

// What the completion function offers for the words typed so far.
std::vector<std::string> complete(const std::vector<std::string>& words)
{
    std::string typed;
    for (const std::string& word : words)
        typed += " '" + word + "'";
    const std::string script = "source '" + std::string(ZCTRACE_SOURCE_DIR) +
                               "/packaging/completion/zctrace.bash'; COMP_WORDS=(zctrace" + typed +
                               "); COMP_CWORD=" + std::to_string(words.size()) +
                               "; _zctrace; printf '%s\\n' \"${COMPREPLY[@]}\"";
    Restrictions restrictions;
    restrictions.environment = {
        {"PATH", fs::path(ZCTRACE_BINARY).parent_path().string() + ":/usr/bin:/bin"}};
    const Finished done = run_program("/bin/bash", {"--norc", "-c", script}, restrictions);
    EXPECT_EQ(done.status, 0) << done.err;
    std::vector<std::string> offered;
    std::istringstream lines(done.out);
    for (std::string line; std::getline(lines, line);)
        if (!line.empty())
            offered.push_back(line);
    std::sort(offered.begin(), offered.end());
    return offered;
}

TEST(BashCompletion, CompletesCommandsOptionsAndTechniquesFromTheBinary)
{
    EXPECT_EQ(complete({"ru"}), std::vector<std::string>{"run"});
    EXPECT_EQ(complete({"d"}), (std::vector<std::string>{"diff", "doctor"}));
    EXPECT_EQ(complete({"run", "--tr"}), std::vector<std::string>{"--transport"});
    EXPECT_EQ(complete({"run", "sendf"}), (std::vector<std::string>{"sendfile", "sendfile_file"}));
    EXPECT_EQ(complete({"run", "sendfile", "--transport", ""}), (std::vector<std::string>{"lo", "veth"}));
    EXPECT_EQ(complete({"trace", "--hooks", "l"}), std::vector<std::string>{"light"});
    EXPECT_EQ(complete({"help", "t"}), (std::vector<std::string>{"terms", "trace"}));
    // Only what the command takes: run has no --pid.
    EXPECT_EQ(complete({"run", "--pi"}), std::vector<std::string>{});
    EXPECT_EQ(complete({"trace", "--pi"}), std::vector<std::string>{"--pid"});
}

// ---- the Debian package ----

bool package_installed(const std::string& name)
{
    const Finished query = run_program("/usr/bin/dpkg-query", {"-W", "-f=${Status}", name});
    return query.status == 0 && query.out.find("install ok installed") != std::string::npos;
}

class DebPackage : public ::testing::Test {
protected:
    void SetUp() override
    {
        if (!is_root())
            GTEST_SKIP() << "installs a package: needs root";
        for (const char* tool : {"/usr/bin/cpack", "/usr/bin/lintian", "/usr/bin/apt-get", "/usr/bin/systemd-analyze"})
            if (!fs::exists(tool))
                GTEST_SKIP() << tool << " is missing; .ci/setup installs it";
        ASSERT_FALSE(package_installed("zctrace")) << "zctrace is installed as a package already; "
                                                      "`apt-get purge zctrace` first";
    }
    void TearDown() override
    {
        if (package_installed("zctrace"))
            run_program("/usr/bin/apt-get", {"purge", "-y", "-q", "zctrace"});
    }
};

TEST_F(DebPackage, BuildsPassesLintianInstallsRunsAndPurgesCleanly)
{
    TempDir dir;
    const Finished built = run_program("/usr/bin/cpack", {"-G", "DEB", "-B", dir.path().string(), "--config",
                                                          (kBuildDir / "CPackConfig.cmake").string()});
    ASSERT_EQ(built.status, 0) << built.out << built.err;
    const fs::path deb = dir.path() / ("zctrace_" + std::string(ZCTRACE_VERSION) + "_amd64.deb");
    ASSERT_TRUE(fs::exists(deb)) << built.out;

    // Depends: the runtime libraries the binary needs, as dpkg-shlibdeps
    // read them off it. libelf1 is libbpf1's (zctrace calls no libelf
    // function itself, so the linker drops it from NEEDED).
    const Finished depends = run_program("/usr/bin/dpkg-deb", {"-f", deb.string(), "Depends"});
    std::cout << "Depends: " << depends.out;
    for (const char* library : {"libbpf1", "libmnl0", "liburing2", "zlib1g", "libc6", "libstdc++6"})
        EXPECT_NE(depends.out.find(library), std::string::npos) << library << " not in Depends: " << depends.out;

    const Finished lintian = run_program("/usr/bin/lintian", {"--fail-on", "error", deb.string()});
    std::cout << "lintian " << deb.filename().string() << ":\n" << lintian.out << lintian.err;
    EXPECT_EQ(lintian.status, 0) << lintian.out << lintian.err;
    EXPECT_EQ(lintian.out.find("\nE: "), std::string::npos);
    EXPECT_FALSE(lintian.out.starts_with("E: "));

    Restrictions quiet;
    quiet.environment = {{"DEBIAN_FRONTEND", "noninteractive"}};
    const Finished installed =
        run_program("/usr/bin/apt-get", {"install", "-y", "-q", "--no-install-recommends", deb.string()}, quiet);
    ASSERT_EQ(installed.status, 0) << installed.out << installed.err;
    ASSERT_TRUE(package_installed("zctrace"));
    const std::vector<fs::path> files = {"/usr/bin/zctrace",
                                         "/usr/share/man/man8/zctrace.8.gz",
                                         "/usr/share/bash-completion/completions/zctrace",
                                         "/usr/share/zctrace/schema/report.v2.schema.json",
                                         "/usr/share/zctrace/dashboards/zctrace.json",
                                         "/lib/systemd/system/zctrace-export.service",
                                         "/lib/systemd/system/zctrace-export.timer",
                                         "/etc/default/zctrace-export",
                                         "/usr/share/doc/zctrace/copyright"};
    for (const fs::path& file : files)
        EXPECT_TRUE(fs::exists(file)) << file;

    // The installed binary, not the build's: doctor, then a real run.
    const Finished version = run_program("/usr/bin/zctrace", {"--version"});
    EXPECT_TRUE(std::regex_match(version.out, std::regex(R"(zctrace \d+\.\d+\.\d+ \(git [0-9a-f]+\)\n)")))
        << version.out;
    const Finished doctor = run_program("/usr/bin/zctrace", {"doctor"});
    EXPECT_EQ(doctor.status, 0) << doctor.out << doctor.err;
    const fs::path reports = dir.path() / "reports";
    const Finished sendfile =
        run_program("/usr/bin/zctrace", {"run", "sendfile", "--size", "8M", "--out", reports.string()});
    EXPECT_EQ(sendfile.status, 0) << sendfile.out << sendfile.err;
    EXPECT_TRUE(fs::exists(reports / "sendfile.json"));
    EXPECT_NE(sendfile.out.find("sendfile"), std::string::npos) << sendfile.out;

    // The units name the installed binary and options file, and verify
    // (which also finds zctrace(8) for their Documentation=).
    const std::string service = read_text("/lib/systemd/system/zctrace-export.service");
    EXPECT_NE(service.find("ExecStart=/usr/bin/zctrace run $ZCTRACE_RUN_ARGS"), std::string::npos) << service;
    EXPECT_NE(service.find("EnvironmentFile=-/etc/default/zctrace-export"), std::string::npos) << service;
    const Finished verified =
        run_program("/usr/bin/systemd-analyze", {"verify", "/lib/systemd/system/zctrace-export.service",
                                                 "/lib/systemd/system/zctrace-export.timer"});
    EXPECT_EQ(verified.status, 0) << verified.out << verified.err;
    EXPECT_EQ(verified.out + verified.err, "") << "systemd-analyze verify had something to say";

    // The unit's hardening that can be tried without systemd: the installed
    // zctrace under the unit's capability bounding set and no_new_privs,
    // a veth run and the export, as the service runs them.
    std::smatch bounding;
    ASSERT_TRUE(std::regex_search(service, bounding, std::regex(R"(\nCapabilityBoundingSet=([A-Z_ ]+)\n)")));
    std::string capabilities = "-all";
    std::istringstream names(bounding[1].str());
    for (std::string name; names >> name;) {
        std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
        capabilities += ",+" + name.substr(4);  // cap_bpf -> +bpf
    }
    const fs::path textfiles = dir.path() / "textfiles";
    fs::create_directory(textfiles);
    const std::vector<std::vector<std::string>> unit_commands = {
        {"run", "sendfile", "--size", "8M", "--transport", "veth", "--out", (dir.path() / "unit").string()},
        {"export", (dir.path() / "unit").string(), "--textfile-dir", textfiles.string()}};
    for (const std::vector<std::string>& command : unit_commands) {
        std::vector<std::string> args = {"--no-new-privs", "--inh-caps=-all", "--bounding-set", capabilities,
                                         "/usr/bin/zctrace"};
        args.insert(args.end(), command.begin(), command.end());
        const Finished confined = run_program("/usr/bin/setpriv", args);
        EXPECT_EQ(confined.status, 0) << capabilities << " " << command.front() << ": " << confined.err;
    }
    EXPECT_TRUE(fs::exists(textfiles / "zctrace.prom"));

    const Finished purged = run_program("/usr/bin/apt-get", {"purge", "-y", "-q", "zctrace"}, quiet);
    EXPECT_EQ(purged.status, 0) << purged.out << purged.err;
    EXPECT_FALSE(package_installed("zctrace"));
    for (const fs::path& file : files)
        EXPECT_FALSE(fs::exists(file)) << file << " was left after the purge";
}

}  // namespace
