// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// `zctrace check` judges stored reports again. Run on the committed fixtures
// (reports captured from real runs) it must give their stored verdicts back,
// so the fixtures can never drift from the rules; run on copies edited the
// way a regressed kernel would have measured, it must say mismatch, and on
// copies whose figures contradict each other, invalid.
#include <filesystem>
#include <fstream>
#include <regex>

#include <nlohmann/json.hpp>

#include "support.hpp"

namespace {

using namespace zctrace::cli_test;
using nlohmann::json;

const fs::path kFixtures = fs::path(ZCTRACE_SOURCE_DIR) / "tests/data/reports";

json load(const fs::path& path)
{
    std::ifstream in(path);
    return json::parse(in);
}

fs::path save(const TempDir& dir, const json& report, const std::string& name)
{
    const fs::path path = dir.path() / name;
    std::ofstream(path) << report.dump(2);
    return path;
}

// The one report `check --json` printed for one file.
json judged(const Finished& result)
{
    const json out = json::parse(result.out);
    EXPECT_EQ(out.size(), 1u);
    return out.at(0);
}

std::string check_verdict(const json& judgement, const std::string& metric)
{
    for (const json& check : judgement["checks"])
        if (check["metric"] == metric)
            return check["verdict"].get<std::string>();
    ADD_FAILURE() << "no check " << metric << " in " << judgement.dump();
    return "";
}

std::vector<fs::path> fixtures()
{
    std::vector<fs::path> paths;
    for (const auto& entry : fs::recursive_directory_iterator(kFixtures))
        if (entry.path().extension() == ".json")
            paths.push_back(entry.path());
    std::sort(paths.begin(), paths.end());
    return paths;
}

TEST(Check, EveryFixtureGetsItsStoredVerdictsBack)
{
    const std::vector<fs::path> paths = fixtures();
    ASSERT_GE(paths.size(), 10u);
    for (const fs::path& path : paths) {
        SCOPED_TRACE(path.string());
        const Finished result = run({"check", "--json", "--strict", path.string()});
        ASSERT_EQ(result.status, 0) << result.err;
        const json judgement = judged(result);
        EXPECT_EQ(judgement["stored_schema_version"], 2) << "recapture the fixture with this zctrace";
        EXPECT_EQ(judgement["verdict"], judgement["stored_verdict"]);
        EXPECT_FALSE(judgement["changed"].get<bool>()) << judgement.dump(2);
        EXPECT_EQ(judgement["headline"], load(path)["headline"]);
        for (const json& check : judgement["checks"])
            EXPECT_NE(check["verdict"], "invalid") << check.dump();
    }
}

TEST(Check, TextSaysEveryCheckIsAsStored)
{
    const Finished result = run({"check", (kFixtures / "loopback/sendfile.json").string()});
    ASSERT_EQ(result.status, 0) << result.err;
    // The line wraps after the path, whose length depends on the checkout.
    const std::string words = std::regex_replace(result.out, std::regex("\\n +"), " ");
    EXPECT_NE(words.find("sendfile, 256 MiB over lo: ZERO-COPY on send"), std::string::npos) << result.out;
    EXPECT_NE(result.out.find("every check as stored"), std::string::npos) << result.out;
}

// A kernel that copied half of sendfile's payload on lo, which has SG.
TEST(Check, HalfOfSendfilesPayloadCopiedOnLoopbackIsAMismatch)
{
    TempDir dir;
    json report = load(kFixtures / "loopback/sendfile.json");
    const std::uint64_t half = report["workload"]["bytes"].get<std::uint64_t>() / 2;
    json& copies = report["measured"]["cpu_copy_bytes"];
    copies["page_cache_to_socket"] = half;
    copies["total"] = copies["total"].get<std::uint64_t>() + half;
    report["measured"]["cpu_copies"] = 0.5;
    const fs::path path = save(dir, report, "sendfile.json");

    const Finished strict = run({"check", "--strict", path.string()});
    EXPECT_EQ(strict.status, 1) << strict.out << strict.err;
    EXPECT_NE(strict.out.find("verdict: mismatch (stored: match)"), std::string::npos) << strict.out;
    EXPECT_NE(strict.out.find("sendfile, 256 MiB over lo: NOT AS THE TABLE SAYS"), std::string::npos) << strict.out;
    const json judgement = judged(run({"check", "--json", path.string()}));
    EXPECT_EQ(judgement["headline"].get<std::string>().rfind(
                  "sendfile, 256 MiB over lo: NOT AS THE TABLE SAYS — the CPU copied 128 MiB of 256 MiB (0.50 copies)", 0),
              0u)
        << judgement["headline"];
    EXPECT_EQ(judgement["verdict"], "mismatch");
    EXPECT_EQ(check_verdict(judgement, "cpu_copies"), "mismatch");
    EXPECT_EQ(check_verdict(judgement, "report_consistency"), "match");
    // Without --strict the judgement is printed and the exit status is 0.
    EXPECT_EQ(run({"check", path.string()}).status, 0);
}

TEST(Check, ReadWriteThatLostItsReadCopyIsAMismatch)
{
    TempDir dir;
    json report = load(kFixtures / "loopback/read_write.json");
    json& copies = report["measured"]["cpu_copy_bytes"];
    copies["total"] = copies["total"].get<std::uint64_t>() - copies["file_to_user"].get<std::uint64_t>();
    copies["file_to_user"] = 0;
    report["measured"]["cpu_copies"] = 1.0;
    const json judgement = judged(run({"check", "--json", save(dir, report, "read_write.json").string()}));
    EXPECT_EQ(judgement["verdict"], "mismatch");
    EXPECT_EQ(check_verdict(judgement, "cpu_copies"), "mismatch");
}

// The report a kernel making three read()s per O_DIRECT chunk would give:
// every count that follows from the calls changed with them.
TEST(Check, DirectIoWithThreeSyscallsPerTransferIsAMismatch)
{
    TempDir dir;
    json report = load(kFixtures / "loopback/direct_io.json");
    const std::uint64_t transfers = report["workload"]["transfers"];
    const std::uint64_t calls = 3 * transfers;
    json& m = report["measured"];
    m["syscalls"]["by_name"]["read"] = calls;
    m["syscalls"]["total"] = calls;
    m["syscalls_per_transfer"] = 3.0;
    m["mode_switch_detail"]["syscall_entries"] = calls;
    m["mode_switch_detail"]["syscall_exits"] = calls;
    m["mode_switches"] = 2 * calls;
    m["mode_switches_per_transfer"] = 6.0;
    m["kernel_counters"]["read_syscalls"] = calls;
    report["workload"]["calls"]["read"] = calls;
    const fs::path path = save(dir, report, "direct_io.json");
    const json judgement = judged(run({"check", "--json", path.string()}));
    EXPECT_EQ(judgement["verdict"], "mismatch") << judgement.dump(2);
    EXPECT_EQ(check_verdict(judgement, "syscalls_per_transfer"), "mismatch");
    EXPECT_EQ(check_verdict(judgement, "mode_switches_per_transfer"), "mismatch");
    EXPECT_EQ(check_verdict(judgement, "report_consistency"), "match");
    EXPECT_EQ(run({"check", "--strict", path.string()}).status, 1);
}

TEST(Check, FiguresThatContradictEachOtherAreInvalid)
{
    TempDir dir;
    json report = load(kFixtures / "loopback/read_write.json");
    report["measured"]["cpu_copies"] = 1.0;  // the copied bytes still say 2
    const fs::path path = save(dir, report, "read_write.json");
    const json judgement = judged(run({"check", "--json", path.string()}));
    EXPECT_EQ(judgement["verdict"], "invalid");
    EXPECT_EQ(check_verdict(judgement, "report_consistency"), "invalid");
    const Finished strict = run({"check", "--strict", path.string()});
    EXPECT_EQ(strict.status, 1);
    EXPECT_NE(strict.out.find("cpu_copies is 1 but cpu_copy_bytes.total / payload is 2"), std::string::npos)
        << strict.out;
}

TEST(Check, ADirectoryIsEveryReportInIt)
{
    const Finished result = run({"check", "--json", (kFixtures / "loopback").string()});
    ASSERT_EQ(result.status, 0) << result.err;
    EXPECT_EQ(json::parse(result.out).size(), 8u);
}

TEST(Check, BadInputSaysWhatToDo)
{
    TempDir dir;
    const Finished missing = run({"check", (dir.path() / "nope.json").string()});
    EXPECT_EQ(missing.status, 2);
    EXPECT_NE(missing.err.find("nope.json"), std::string::npos) << missing.err;
    std::ofstream(dir.path() / "gather.json") << R"({"tool": "zctrace 0.1.0", "schema_version": 1, "interfaces": [], "self_test": null})";
    const Finished gather = run({"check", (dir.path() / "gather.json").string()});
    EXPECT_EQ(gather.status, 2);
    EXPECT_EQ(run({"check"}).status, 2);
}

}  // namespace
