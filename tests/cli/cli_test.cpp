// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// zctrace as users run it: exit statuses, messages, Ctrl-C and crashes.
#include <linux/magic.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <cstdio>
#include <regex>

#include "bpf/tracking.h"
#include "support.hpp"
#include "output/documents.hpp"
#include "output/json_schema.hpp"
#include "output/summary.hpp"
#include "report/interval_sample.hpp"

namespace {

using namespace zctrace::cli_test;

// ---- bad input ----

// The tests' one retry: only a `run` whose every INVALID report is the
// kernel's xmit miss alone (short at xmit, socket copies following) is made
// again; a run INVALID for any other check, or long at xmit, is not.
TEST(Cli, OnlyTheKernelsXmitMissEarnsARunAgain)
{
    auto report = [](const char* verdict, std::vector<nlohmann::json> checks) {
        return nlohmann::json{{"verdict", verdict}, {"checks", std::move(checks)}}.dump();
    };
    auto check = [](const char* metric, const char* verdict, double measured, double expected) {
        return nlohmann::json{{"metric", metric}, {"verdict", verdict}, {"measured", measured}, {"expected", expected}};
    };
    const std::vector<std::string> args = {"run", "splice", "--json"};
    const auto short_at_xmit = check("xmit_payload_seen", "invalid", 100, 200);
    const auto copies_follow = check("socket_copies_agree", "invalid", 1, 0);
    EXPECT_TRUE(failed_only_for_the_xmit_miss(args, {1, report("invalid", {short_at_xmit, copies_follow}), ""}));
    EXPECT_TRUE(failed_only_for_the_xmit_miss(args, {1, report("invalid", {short_at_xmit}), ""}));
    EXPECT_FALSE(failed_only_for_the_xmit_miss(args, {0, report("invalid", {short_at_xmit}), ""}));
    EXPECT_FALSE(failed_only_for_the_xmit_miss({"gather"}, {1, report("invalid", {short_at_xmit}), ""}));
    EXPECT_FALSE(failed_only_for_the_xmit_miss(
        args, {1, report("invalid", {short_at_xmit, check("syscalls", "invalid", 3, 2)}), ""}));
    EXPECT_FALSE(failed_only_for_the_xmit_miss(
        args, {1, report("invalid", {check("xmit_payload_seen", "invalid", 300, 200)}), ""}));
    EXPECT_FALSE(failed_only_for_the_xmit_miss(args, {1, report("mismatch", {}), ""}));
}

TEST(Cli, UnknownTechniqueListsTheValidOnes)
{
    const Finished result = run({"run", "sendfil"});
    EXPECT_EQ(result.status, 2);
    EXPECT_NE(result.err.find("unknown technique 'sendfil'"), std::string::npos) << result.err;
    EXPECT_NE(result.err.find("read_write, mmap_write, sendfile, splice, direct_io, direct_io_send, cow, "
                             "large_file_async_direct, msg_zerocopy, vmsplice, vmsplice_gift, io_uring_send_zc, copy_file_range, sendfile_file, tee, all, beyond"),
              std::string::npos)
        << result.err;
}

TEST(Cli, MalformedSizesAreRejected)
{
    for (const char* size : {"12Q", "-5", "1.1K", "M", "", "0", "99999999999999999999"}) {
        const Finished result = run({"run", "sendfile", "--size", size});
        EXPECT_EQ(result.status, 2) << size;
        EXPECT_NE(result.err.find("size"), std::string::npos) << size << ": " << result.err;
    }
    const Finished chunk = run({"run", "sendfile", "--chunk", "64X"});
    EXPECT_EQ(chunk.status, 2);
    EXPECT_NE(chunk.err.find("invalid size '64X'"), std::string::npos) << chunk.err;
    // A sweep's list: every item a size, none empty, none above the limit.
    const Finished listed = run({"run", "sendfile", "--chunk", "4K,64X"});
    EXPECT_EQ(listed.status, 2);
    EXPECT_NE(listed.err.find("invalid size '64X'"), std::string::npos) << listed.err;
    const Finished gap = run({"run", "sendfile", "--chunk", "4K,,64K"});
    EXPECT_EQ(gap.status, 2);
    EXPECT_NE(gap.err.find("has an empty item"), std::string::npos) << gap.err;
    const Finished huge = run({"run", "sendfile", "--chunk", "4K,2G"});
    EXPECT_EQ(huge.status, 2);
    EXPECT_NE(huge.err.find("larger than the 1 GiB limit"), std::string::npos) << huge.err;
}

TEST(Cli, UnknownSubcommandAndCacheState)
{
    EXPECT_EQ(run({"frobnicate"}).status, 2);
    const Finished cold = run({"run", "sendfile", "--cache", "lukewarm"});
    EXPECT_EQ(cold.status, 2);
}

TEST(Cli, TheBufferedBaselineIsNotATechniqueToRun)
{
    const Finished result = run({"run", "large_file_buffered"});
    EXPECT_EQ(result.status, 2);
    EXPECT_NE(result.err.find("unknown technique 'large_file_buffered'"), std::string::npos) << result.err;
}

TEST(Cli, DirectIoNeedsWholePageChunks)
{
    const Finished result = run({"run", "direct_io", "--chunk", "1000"});
    EXPECT_EQ(result.status, 2);
    EXPECT_NE(result.err.find("O_DIRECT"), std::string::npos) << result.err;
    EXPECT_NE(result.err.find("--chunk 64K"), std::string::npos) << result.err;
}

TEST(Cli, AFilesystemWithoutADiskIsNamedWithTheDirToUse)
{
    REQUIRE_ROOT();
    struct statfs fs{};
    if (::statfs("/dev/shm", &fs) != 0 || fs.f_type != TMPFS_MAGIC)
        GTEST_SKIP() << "/dev/shm is not a tmpfs here";
    const Finished result = run({"run", "direct_io", "--size", "1M", "--dir", "/dev/shm"});
    EXPECT_EQ(result.status, 2);
    EXPECT_NE(result.err.find("is on tmpfs"), std::string::npos) << result.err;
    EXPECT_NE(result.err.find("--dir /"), std::string::npos) << result.err;
    // Nothing was left in the directory.
    for (const auto& entry : fs::directory_iterator("/dev/shm"))
        EXPECT_EQ(entry.path().filename().string().rfind("zctrace-", 0), std::string::npos) << entry.path();

    const Finished missing = run({"run", "sendfile", "--size", "1M", "--dir", "/nonexistent/zctrace"});
    EXPECT_EQ(missing.status, 2);
    EXPECT_NE(missing.err.find("--dir"), std::string::npos) << missing.err;
}

TEST(Cli, ColdCacheAndCopyOnWriteFromTheCommandLine)
{
    REQUIRE_ROOT();
    TempDir dir;
    const Finished result = run({"run", "sendfile", "cow", "--cache", "cold", "--write-pages", "3", "--size", "4M",
                                 "--out", dir.path().string(), "--json"});
    ASSERT_EQ(result.status, 0) << result.err;
    const auto reports = nlohmann::json::parse(result.out);
    ASSERT_EQ(reports.size(), 2u);
    const auto& sendfile = reports[0];
    EXPECT_EQ(sendfile["environment"]["cache"], "cold");
    EXPECT_EQ(sendfile["environment"]["cache_resident_pages_before"], 0);
    EXPECT_GE(sendfile["measured"]["dma_bytes"]["disk_read"].get<std::uint64_t>(), 4u * 1024 * 1024 * 95 / 100);
    EXPECT_EQ(sendfile["environment"]["filesystem"].get<std::string>().empty(), false);
    const auto& cow = reports[1];
    EXPECT_EQ(cow["measured"]["cow"]["pages_copied"], 3);
    EXPECT_EQ(cow["measured"]["cow"]["pages_private"], 3);
    EXPECT_TRUE(cow["workload"]["integrity"]["ok"].get<bool>());
    for (const auto& report : reports)
        EXPECT_TRUE(zctrace::report_schema().validate(report).empty());
    // Two techniques: their reports and the summary of both.
    std::vector<std::string> files = dir.entries();
    std::sort(files.begin(), files.end());
    EXPECT_EQ(files, (std::vector<std::string>{"cow.json", "sendfile.json", "summary.html", "summary.json",
                                               "summary.md"}));
}

TEST(Cli, UnwritableOutputDirectoryIsReported)
{
    REQUIRE_ROOT();
    TempDir dir;
    const fs::path file = dir.path() / "a-file";
    std::ofstream(file) << "x";
    for (const fs::path& out : {file / "reports", fs::path("/proc/zctrace-reports")}) {
        const Finished result = run({"run", "sendfile", "--size", "1M", "--out", out.string()});
        EXPECT_EQ(result.status, 2) << out;
        EXPECT_NE(result.err.find("--out"), std::string::npos) << result.err;
    }
}

TEST(Cli, WithoutPrivilegesItSaysWhatIsMissing)
{
    REQUIRE_ROOT();
    const Finished result = run({"run", "sendfile", "--size", "1M", "--out", "/tmp"}, {.as_nobody = true});
    EXPECT_EQ(result.status, 3) << result.err;
    EXPECT_NE(result.err.find("CAP_BPF"), std::string::npos) << result.err;
    EXPECT_NE(result.err.find("sudo"), std::string::npos) << result.err;
    const Finished doctor = run({"doctor"}, {.as_nobody = true});
    EXPECT_EQ(doctor.status, 3);
    EXPECT_NE(doctor.out.find("run as root"), std::string::npos) << doctor.out;
}

// ---- normal runs ----

TEST(Cli, IntervalAndFormatMistakesAreUsageErrors)
{
    struct Case {
        std::vector<std::string> args;
        std::string expected;
    };
    const std::vector<Case> cases = {
        {{"run", "sendfile", "--interval", "1s"}, "add --format ndjson"},
        {{"run", "sendfile", "--format", "ndjson", "--interval", "10ms"}, "50ms minimum"},
        {{"run", "sendfile", "--format", "ndjson", "--interval", "soon"}, "invalid duration 'soon'"},
        {{"run", "sendfile", "--format", "yaml"}, "--format"},
        {{"run", "sendfile", "--json", "--format", "ndjson"}, "--json: it means --format json"},
    };
    for (const Case& c : cases) {
        const Finished result = run(c.args);
        EXPECT_EQ(result.status, 2) << result.err;
        EXPECT_NE(result.err.find(c.expected), std::string::npos) << result.err;
    }
}

std::vector<nlohmann::json> ndjson_lines(const std::string& out)
{
    std::vector<nlohmann::json> lines;
    std::istringstream stream(out);
    std::string line;
    while (std::getline(stream, line)) {
        lines.push_back(nlohmann::json::parse(line));  // throws, failing the test, on a bad line
        EXPECT_EQ(zctrace::ndjson_schema().validate(lines.back()), std::vector<std::string>{}) << line;
    }
    return lines;
}

// Samples come from the BPF maps while the workload runs: they must grow
// monotonically and end below or at what the report then states.
TEST(Cli, NdjsonStreamsIntervalSamplesThenTheReport)
{
    REQUIRE_ROOT();
    TempDir dir;
    const double interval = 0.05;
    const Finished result = run({"run", "read_write", "--size", "256M", "--chunk", "4K", "--format", "ndjson",
                                 "--interval", "50ms", "--out", dir.path().string()});
    ASSERT_EQ(result.status, 0) << result.err;
    EXPECT_NE(result.err.find("theory: the row \"read + write\""), std::string::npos) << "the table goes to stderr";
    const std::vector<nlohmann::json> lines = ndjson_lines(result.out);
    ASSERT_GE(lines.size(), 4u) << result.out;
    const nlohmann::json& report = lines.back();
    ASSERT_EQ(report["type"], "report");
    EXPECT_EQ(zctrace::report_schema().validate(report["data"]), std::vector<std::string>{});
    EXPECT_EQ(report["data"], nlohmann::json::parse(std::ifstream(dir.path() / "read_write.json")));

    const auto& measured = report["data"]["measured"];
    std::uint64_t seq = 0, received = 0, syscalls = 0, copied = 0;
    double elapsed = 0;
    double rate_weighted_seconds = 0;  // sum of rate x interval: must come back to the counts
    EXPECT_EQ(result.out.rfind(R"({"type":"sample","data":{)", 0), 0u) << "the envelope's type leads each line";
    for (std::size_t i = 0; i + 1 < lines.size(); ++i) {
        ASSERT_EQ(lines[i]["type"], "sample") << lines[i];
        const auto& sample = lines[i]["data"];
        EXPECT_EQ(sample["technique"], "read_write");
        EXPECT_EQ(sample["seq"], ++seq);
        EXPECT_EQ(sample["schema_version"], zctrace::kNdjsonSchemaVersion);
        // Wall-clock time, to the millisecond, beside the elapsed seconds.
        EXPECT_TRUE(std::regex_match(sample["time"].get<std::string>(),
                                     std::regex(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)")))
            << sample["time"];
        EXPECT_EQ(sample["file_bytes"], 256u << 20);
        EXPECT_GE(sample["elapsed_seconds"].get<double>(), static_cast<double>(seq) * interval);
        EXPECT_GT(sample["elapsed_seconds"].get<double>(), elapsed);
        const double seconds = sample["interval_seconds"];
        EXPECT_NEAR(seconds, sample["elapsed_seconds"].get<double>() - elapsed, 1e-9);
        // Each rate is what moved since the previous sample, over that time.
        EXPECT_NEAR(sample["syscalls_per_second"].get<double>() * seconds,
                    static_cast<double>(sample["syscalls"].get<std::uint64_t>() - syscalls), 1e-3);
        EXPECT_NEAR(sample["cpu_copy_bytes_per_second"].get<double>() * seconds,
                    static_cast<double>(sample["cpu_copy_bytes"]["total"].get<std::uint64_t>() - copied), 1e-3);
        EXPECT_NEAR(sample["received_bytes_per_second"].get<double>() * seconds,
                    static_cast<double>(sample["received_bytes"].get<std::uint64_t>() - received), 1e-3);
        rate_weighted_seconds += sample["syscalls_per_second"].get<double>() * seconds;
        EXPECT_GE(sample["received_bytes"].get<std::uint64_t>(), received);
        EXPECT_GE(sample["syscalls"].get<std::uint64_t>(), syscalls);
        EXPECT_GE(sample["cpu_copy_bytes"]["total"].get<std::uint64_t>(), copied);
        elapsed = sample["elapsed_seconds"];
        received = sample["received_bytes"];
        syscalls = sample["syscalls"];
        copied = sample["cpu_copy_bytes"]["total"];
        EXPECT_LE(syscalls, measured["syscalls"]["total"].get<std::uint64_t>());
        EXPECT_LE(copied, measured["cpu_copy_bytes"]["total"].get<std::uint64_t>());
    }
    EXPECT_GE(seq, 3u) << "a traced 256 MiB read+write in 4 KiB chunks takes well over 150 ms";
    EXPECT_NEAR(rate_weighted_seconds, static_cast<double>(syscalls), 1e-2);
    EXPECT_LE(received, report["data"]["workload"]["bytes"].get<std::uint64_t>());
    // The samples' own bpf() reads are zctrace's overhead, and the report says so.
    EXPECT_EQ(report["data"]["overhead"]["interval_samples"], seq);
    // Mid-run, the counters had moved: the samples are live, not zeros.
    EXPECT_GT(copied, 0u);
    EXPECT_GT(syscalls, 0u);
}

// Samples of a technique that sends nothing have no receiver progress to show.
TEST(Cli, NdjsonSamplesOfDirectIoHaveNoReceivedBytes)
{
    REQUIRE_ROOT();
    TempDir dir;
    const Finished result = run({"run", "direct_io", "--size", "64M", "--chunk", "4K", "--format", "ndjson",
                                 "--interval", "50ms", "--out", dir.path().string()});
    ASSERT_EQ(result.status, 0) << result.err;
    const std::vector<nlohmann::json> lines = ndjson_lines(result.out);
    ASSERT_GE(lines.size(), 3u) << "16384 O_DIRECT reads of 4 KiB take well over 100 ms";
    std::uint64_t disk_read = 0;
    for (std::size_t i = 0; i + 1 < lines.size(); ++i) {
        EXPECT_TRUE(lines[i]["data"]["received_bytes"].is_null()) << lines[i];
        EXPECT_TRUE(lines[i]["data"]["received_bytes_per_second"].is_null()) << lines[i];
        // Before the sender's window opens (it first faults in its buffer) the counters are 0.
        EXPECT_GE(lines[i]["data"]["dma_bytes"]["disk_read"].get<std::uint64_t>(), disk_read) << lines[i];
        disk_read = lines[i]["data"]["dma_bytes"]["disk_read"];
    }
    ASSERT_EQ(lines.back()["type"], "report");
    EXPECT_LE(disk_read, lines.back()["data"]["measured"]["dma_bytes"]["disk_read"].get<std::uint64_t>());
}

// After `run all`, a single run into the same --out replaces a report the
// summary described: the stale summary goes, and zctrace says so.
TEST(Cli, ASingleRunRemovesTheSummaryItWouldMakeStale)
{
    REQUIRE_ROOT();
    TempDir dir;
    for (const char* name : {"summary.json", "summary.md", "summary.html"})
        std::ofstream(dir.path() / name) << "old";
    const Finished result = run({"run", "sendfile", "--size", "1M", "--out", dir.path().string()});
    ASSERT_EQ(result.status, 0) << result.err;
    EXPECT_NE(result.err.find("removed the summary files"), std::string::npos) << result.err;
    EXPECT_EQ(dir.entries(), std::vector<std::string>{"sendfile.json"});
}

TEST(Cli, RunAllWritesTheSummaryAndPrintsItsTable)
{
    REQUIRE_ROOT();
    TempDir dir;
    const Finished result = run({"run", "all", "--size", "4M", "--format", "ndjson", "--out", dir.path().string()});
    ASSERT_EQ(result.status, 0) << result.err;
    const std::vector<nlohmann::json> lines = ndjson_lines(result.out);
    ASSERT_EQ(lines.size(), 9u) << "8 reports, then the summary; no samples without --interval";
    std::vector<fs::path> paths;
    for (std::size_t i = 0; i < 8; ++i) {
        ASSERT_EQ(lines[i]["type"], "report");
        paths.push_back(dir.path() / (lines[i]["data"]["technique"].get<std::string>() + ".json"));
    }
    auto reports = zctrace::load_reports(paths);
    ASSERT_TRUE(reports) << reports.error().describe();
    const zctrace::Summary summary = zctrace::summarize(*reports);
    ASSERT_EQ(lines[8]["type"], "summary");
    EXPECT_EQ(lines[8]["data"], nlohmann::json(summary));
    auto written = zctrace::load_document(dir.path() / "summary.json");
    ASSERT_TRUE(written) << written.error().describe();
    EXPECT_EQ(written->json, nlohmann::json(summary));
    EXPECT_EQ(read_text(dir.path() / "summary.md"), zctrace::render_summary_markdown(summary, *reports));
    EXPECT_NE(read_text(dir.path() / "summary.html").find("<svg"), std::string::npos);
    EXPECT_NE(result.err.find(zctrace::render_summary_table(summary)), std::string::npos) << result.err;
    EXPECT_EQ(dir.entries().size(), 11u);
}

TEST(Cli, ListAndDoctorSpeakJson)
{
    const Finished list = run({"list", "--json"});
    ASSERT_EQ(list.status, 0);
    const auto techniques = nlohmann::json::parse(list.out);
    // The seeds' eight, then those beyond the seeds, marked so.
    ASSERT_EQ(techniques.size(), 15u);
    EXPECT_EQ(techniques[8]["technique"], "msg_zerocopy");
    EXPECT_EQ(techniques[8]["theory_rows"][0]["beyond_seeds"], true);
    EXPECT_EQ(techniques[2]["theory_rows"][0]["beyond_seeds"], false);
    EXPECT_EQ(techniques[2]["technique"], "sendfile");
    EXPECT_EQ(techniques[2]["theory_rows"].size(), 2u);
    EXPECT_EQ(techniques[6]["technique"], "cow");
    // A claim from the seeds' prose has no mode-switch figure: null, not 0.
    EXPECT_TRUE(techniques[6]["theory_rows"][0]["mode_switches_per_transfer"].is_null());
    const Finished text = run({"list"});
    EXPECT_EQ(text.status, 0) << text.err;
    EXPECT_NE(text.out.find("no figure for mode switches"), std::string::npos) << text.out;

    REQUIRE_ROOT();
    const Finished doctor = run({"doctor", "--json"});
    const auto report = nlohmann::json::parse(doctor.out);
    EXPECT_EQ(doctor.status, report["can_run"].get<bool>() ? 0 : 3);
    bool tried_tp_btf = false;
    for (const auto& item : report["probe_types"])
        tried_tp_btf = tried_tp_btf || item["name"] == "tp_btf";
    EXPECT_TRUE(tried_tp_btf);
    // Whether the sampled cost can see a run's start: PTI without PCID says no.
    std::ifstream meltdown("/sys/devices/system/cpu/vulnerabilities/meltdown");
    std::string mitigation;
    std::getline(meltdown, mitigation);
    std::ifstream cpuinfo("/proc/cpuinfo");
    const std::string cpus((std::istreambuf_iterator<char>(cpuinfo)), std::istreambuf_iterator<char>());
    const bool pcid = std::regex_search(cpus, std::regex(R"(\nflags\s*:[^\n]*\bpcid\b)"));
    const bool tlb_kept = mitigation.find("PTI") == std::string::npos || pcid;
    bool listed = false;
    for (const auto& item : report["system"])
        if (item["name"] == "tlb_across_kernel_entry") {
            listed = true;
            EXPECT_EQ(item["ok"], tlb_kept) << item["detail"];
            EXPECT_EQ(item["detail"].get<std::string>().find("without PCID") != std::string::npos, !tlb_kept);
            EXPECT_FALSE(item["required"].get<bool>());
        }
    EXPECT_TRUE(listed) << report["system"].dump(2);
    // Thread pidfds came with Linux 6.9: the release says whether doctor should find them.
    utsname uts{};
    ASSERT_EQ(::uname(&uts), 0);
    int major = 0, minor = 0;
    ASSERT_EQ(std::sscanf(uts.release, "%d.%d", &major, &minor), 2) << uts.release;
    const bool thread_pidfds = major > 6 || (major == 6 && minor >= 9);
    listed = false;
    for (const auto& item : report["system"])
        if (item["name"] == "thread_pidfds") {
            listed = true;
            EXPECT_EQ(item["ok"], thread_pidfds) << item["detail"];
            EXPECT_FALSE(item["required"].get<bool>());
        }
    EXPECT_TRUE(listed) << report["system"].dump(2);
}

TEST(Cli, RunWritesTheReportItPrints)
{
    REQUIRE_ROOT();
    TempDir dir;
    const Finished result = run({"run", "sendfile", "--size", "4M", "--out", dir.path().string(), "--json", "--strict"});
    ASSERT_EQ(result.status, 0) << result.err;
    EXPECT_NE(result.err.find("attached"), std::string::npos);
    const auto printed = nlohmann::json::parse(result.out);
    std::ifstream file(dir.path() / "sendfile.json");
    const auto written = nlohmann::json::parse(file);
    EXPECT_EQ(printed, written);
    EXPECT_TRUE(zctrace::report_schema().validate(written).empty());
    EXPECT_EQ(dir.entries(), std::vector<std::string>{"sendfile.json"});
}

// A --bystander-filter asked for by name is kept, or zctrace says why not:
// under --bpf-stats every task's syscalls are timed, so no filter loads.
TEST(Cli, ABystanderFilterThatCannotBeKeptIsSaid)
{
    REQUIRE_ROOT();
    TempDir dir;
    const Finished kept = run({"run", "sendfile", "--size", "1M", "--bystander-filter", "cpu-cache", "--out",
                               dir.path().string()});
    ASSERT_EQ(kept.status, 0) << kept.err;
    EXPECT_EQ(kept.err.find("cannot be kept"), std::string::npos) << kept.err;
    EXPECT_EQ(nlohmann::json::parse(read_text(dir.path() / "sendfile.json")).at("overhead").at("bystander_filter"), "cpu-cache");

    const Finished timed = run({"run", "sendfile", "--size", "1M", "--bystander-filter", "cpu-cache", "--bpf-stats",
                                "always", "--out", dir.path().string()});
    ASSERT_EQ(timed.status, 0) << timed.err;
    EXPECT_NE(timed.err.find("--bystander-filter cpu-cache cannot be kept here: --bpf-stats times every program run"),
              std::string::npos)
        << timed.err;
    EXPECT_EQ(nlohmann::json::parse(read_text(dir.path() / "sendfile.json")).at("overhead").at("bystander_filter"), "none");
}

// `run beyond` runs the seven techniques beyond the seeds, each held to its
// documented row, and summarizes them like `run all`.
TEST(Cli, RunBeyondRunsEachTechniqueBeyondTheSeeds)
{
    REQUIRE_ROOT();
    TempDir dir;
    const Finished result = run({"run", "beyond", "--size", "4M", "--out", dir.path().string()});
    ASSERT_EQ(result.status, 0) << result.err;
    std::vector<std::string> expected;
    for (const std::string name : {"msg_zerocopy", "vmsplice", "vmsplice_gift", "io_uring_send_zc", "copy_file_range",
                                   "sendfile_file", "tee"}) {
        expected.push_back(name + ".json");
        std::ifstream file(dir.path() / (name + ".json"));
        const auto report = nlohmann::json::parse(file);
        EXPECT_EQ(report["theory"]["beyond_seeds"], true) << name;
        EXPECT_EQ(report["workload"]["integrity"]["ok"], true) << name;
    }
    for (const char* summary : {"summary.html", "summary.json", "summary.md"})
        expected.push_back(summary);
    std::vector<std::string> written = dir.entries();
    std::sort(expected.begin(), expected.end());
    std::sort(written.begin(), written.end());
    EXPECT_EQ(written, expected);
}

// --chunk 16K,64K: each technique at each chunk size, one report each,
// and a summary that shows how the calls fall while the copies stay.
TEST(Cli, ChunkSweepRunsEachTechniqueAtEachSize)
{
    REQUIRE_ROOT();
    TempDir dir;
    const Finished result =
        run({"run", "sendfile", "read_write", "--size", "4M", "--chunk", "16K,64K", "--out", dir.path().string()});
    ASSERT_EQ(result.status, 0) << result.err;
    std::vector<std::string> written = dir.entries();
    std::sort(written.begin(), written.end());
    EXPECT_EQ(written, (std::vector<std::string>{"read_write-chunk-16K.json", "read_write-chunk-64K.json",
                                                 "sendfile-chunk-16K.json", "sendfile-chunk-64K.json",
                                                 "summary.html", "summary.json", "summary.md"}));
    auto load = [&](const std::string& name) {
        std::ifstream file(dir.path() / name);
        return nlohmann::json::parse(file);
    };
    for (const auto& [name, chunk] : std::vector<std::pair<std::string, std::uint64_t>>{{"16K", 16384}, {"64K", 65536}}) {
        const auto sendfile = load("sendfile-chunk-" + name + ".json");
        EXPECT_EQ(sendfile["workload"]["chunk_bytes"], chunk);
        // One sendfile per chunk, exactly: 4 MiB / 16 KiB = 256, / 64 KiB = 64.
        EXPECT_EQ(sendfile["measured"]["syscalls"]["by_name"]["sendfile"], (4u << 20) / chunk);
        const auto read_write = load("read_write-chunk-" + name + ".json");
        EXPECT_EQ(read_write["measured"]["cpu_copy_bytes"]["total"], 2u * (4u << 20)) << "copies do not depend on it";
    }
    const auto summary = load("summary.json");
    std::set<std::uint64_t> chunks;
    for (const auto& row : summary["rows"])
        chunks.insert(row["chunk_bytes"].get<std::uint64_t>());
    EXPECT_EQ(chunks, (std::set<std::uint64_t>{16384, 65536}));
    std::ifstream markdown(dir.path() / "summary.md");
    const std::string text((std::istreambuf_iterator<char>(markdown)), std::istreambuf_iterator<char>());
    EXPECT_NE(text.find("## How the cost grows as chunks shrink"), std::string::npos);
    // sendfile at 16 KiB: 256 calls for 4 MiB is 65536 per GiB.
    EXPECT_TRUE(std::regex_search(text, std::regex(R"(\| sendfile +\| +16 KiB \| +65536 \|)"))) << text;
}

// ---- leaving nothing behind ----

TEST(Cli, CtrlCLeavesNothingBehind)
{
    REQUIRE_ROOT();
    TempDir dir;
    const auto programs_before = bpf_objects("prog");
    const auto links_before = bpf_objects("link");
    Process zctrace({"run", "read_write", "--size", "1G", "--chunk", "4K", "--out", dir.path().string()});
    ASSERT_TRUE(zctrace.wait_for_stderr("attached", std::chrono::seconds(60)));
    ::usleep(300 * 1000);  // well inside the workload: the data is moving
    const pid_t pid = zctrace.pid();
    const Owned owned = owned_by(pid, programs_before, links_before);
    ASSERT_FALSE(work_dirs_of(pid).empty()) << "the run should have a work directory";
    ASSERT_GE(owned.links.size(), 10u) << "the probes should be attached";
    ASSERT_EQ(owned.children.size(), 2u) << "the sender and the receiver should be running";
    ::kill(pid, SIGINT);
    const Finished result = zctrace.finish(std::chrono::seconds(30));

    EXPECT_EQ(result.status, 128 + SIGINT) << result.err;
    EXPECT_NE(result.err.find("interrupted"), std::string::npos) << result.err;
    EXPECT_TRUE(dir.entries().empty()) << "no report, no temp file";
    EXPECT_TRUE(work_dirs_of(pid).empty());
    EXPECT_TRUE(eventually([&] { return !any_left(owned.programs, "prog"); }));
    EXPECT_TRUE(eventually([&] { return !any_left(owned.links, "link"); }));
    for (pid_t child : owned.children)
        EXPECT_TRUE(eventually([&] { return !alive(child); })) << "workload process " << child << " survived";
}

TEST(Cli, CtrlCWhileTheFileIsWrittenStopsPromptly)
{
    REQUIRE_ROOT();
    TempDir dir;
    Process zctrace({"run", "sendfile", "--size", "3G", "--out", dir.path().string()});
    ASSERT_TRUE(zctrace.wait_for_stderr("writing a", std::chrono::seconds(30)));
    ::usleep(200 * 1000);
    const pid_t pid = zctrace.pid();
    const auto start = Clock::now();
    ::kill(pid, SIGINT);
    const Finished result = zctrace.finish(std::chrono::seconds(30));
    EXPECT_EQ(result.status, 128 + SIGINT) << result.err;
    EXPECT_LT(Clock::now() - start, std::chrono::seconds(3)) << "it finished writing 3 GiB first";
    EXPECT_TRUE(work_dirs_of(pid).empty());
    EXPECT_TRUE(dir.entries().empty());
}

TEST(Cli, AfterSigkillTheNextStartCleansUp)
{
    REQUIRE_ROOT();
    TempDir dir;
    const auto programs_before = bpf_objects("prog");
    const auto links_before = bpf_objects("link");
    pid_t killed;
    Owned owned;
    {
        Process zctrace({"run", "read_write", "--size", "1G", "--chunk", "4K", "--out", dir.path().string()});
        ASSERT_TRUE(zctrace.wait_for_stderr("attached", std::chrono::seconds(60)));
        ::usleep(200 * 1000);
        killed = zctrace.pid();
        owned = owned_by(killed, programs_before, links_before);
        ASSERT_EQ(owned.children.size(), 2u);
        ::kill(killed, SIGKILL);
        EXPECT_EQ(zctrace.finish().status, 128 + SIGKILL);
    }
    // The kernel drops the probes with the process's fds; the workload dies
    // with its parent (PR_SET_PDEATHSIG); only the work directory remains.
    EXPECT_TRUE(eventually([&] { return !any_left(owned.links, "link"); }));
    EXPECT_TRUE(eventually([&] { return !any_left(owned.programs, "prog"); }));
    for (pid_t child : owned.children)
        EXPECT_TRUE(eventually([&] { return !alive(child); })) << "workload process " << child << " survived";
    ASSERT_EQ(work_dirs_of(killed).size(), 1u);

    const Finished next = run({"run", "sendfile", "--size", "1M", "--out", dir.path().string()});
    EXPECT_EQ(next.status, 0) << next.err;
    EXPECT_TRUE(work_dirs_of(killed).empty()) << "the next start sweeps a dead run's directory";
}

// ---- what the kernel or a sandbox refuses ----

TEST(Cli, WithoutTheBpfSyscallItSaysTheMachineCannotRunIt)
{
    REQUIRE_ROOT();
    TempDir dir;
    const Finished result = run({"run", "sendfile", "--size", "1M", "--out", dir.path().string()},
                                {.deny_syscall = SYS_bpf});
    EXPECT_EQ(result.status, 3) << result.err;
    EXPECT_EQ(result.err.rfind("zctrace run: ", 0), 0u) << result.err;
    EXPECT_TRUE(dir.entries().empty());
}

TEST(Cli, ABlockedMarkerFailsTheRunInsteadOfReportingZeros)
{
    REQUIRE_ROOT();
    TempDir dir;
    const Finished result = run({"run", "sendfile", "--size", "1M", "--out", dir.path().string()},
                                {.deny_syscall = ZC_MARKER_SYSCALL_NR});
    EXPECT_EQ(result.status, 1) << result.err;
    EXPECT_NE(result.err.find("measurement window opened 0"), std::string::npos) << result.err;
    EXPECT_TRUE(dir.entries().empty()) << "no report of zeros";
}

}  // namespace
