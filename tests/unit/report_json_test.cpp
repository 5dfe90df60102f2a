// The JSON report is zctrace's output contract: other tools read it, and the
// schema in reports/schema/ promises its shape. These tests check that no
// field is lost on the way through JSON, that empty optionals stay null, that
// files appear whole or not at all, and that the schema accepts real reports
// and rejects broken ones.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "analysis.hpp"
#include "json_schema.hpp"
#include "report.hpp"

namespace zctrace {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr std::uint64_t kMiB = 1ULL << 20;

// A fresh directory per test, removed afterwards.
class TempDir {
public:
    TempDir()
    {
        std::string pattern = (fs::temp_directory_path() / "zctrace-unit-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr)
            throw std::runtime_error("mkdtemp failed: " + std::string(std::strerror(errno)));
        path_ = pattern;
    }
    ~TempDir()
    {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const fs::path& path() const { return path_; }

private:
    fs::path path_;
};

// Hidden names included: temp files start with a dot.
std::set<std::string> listing(const fs::path& dir)
{
    std::set<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir))
        names.insert(entry.path().filename().string());
    return names;
}

std::string slurp(const fs::path& path)
{
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_text(const fs::path& path, const std::string& text)
{
    std::ofstream out(path, std::ios::binary);
    out << text;
}

// Every field set to a value that differs from its default (no 0, no "",
// no false, no empty list, no empty optional), so a field that to_json or
// from_json forgets shows up as a difference after the round trip. Values
// stay plausible enough for the schema.
Report full_report()
{
    Report r;
    r.tool = "zctrace 0.1.0";
    r.created_at = "2025-11-23T11:17:42Z";
    r.technique = "sendfile";
    r.theory_row = "sendfile";
    r.theory_row_selection = {{"sendfile", "sendfile_dma_gather"}, "the kernel copied the payload, so \"sendfile\""};

    Environment& e = r.environment;
    e.kernel = "6.12.48+deb13-amd64 #1 SMP PREEMPT_DYNAMIC Debian 6.12.48-1";
    e.machine = "x86_64";
    e.lockdown = "none";
    e.cpus = 8;
    e.probes = {{"syscalls", "sys_enter", "raw_syscalls:sys_enter", "tp_btf"},
                {"net", "xmit", "net:net_dev_start_xmit", "raw_tp"}};
    e.transport = "tcp";
    e.network = "veth";
    e.device = "zc1234t";
    e.device_sg = true;
    e.sg_requested = true;
    e.sender_link = "zc1234t";
    e.cache = "warm";
    e.file_pages = 16384;
    e.cache_resident_pages_before = 16380;
    e.cache_resident_pages_after = 16384;
    e.work_dir = "/var/tmp/zctrace-1234-abcdef";
    e.filesystem = "ext4";
    e.block_device = "nvme0n1p2";

    WorkloadSummary& w = r.workload;
    w.bytes = 64 * kMiB;
    w.chunk_bytes = kMiB;
    w.transfers = 64;
    w.transfer_unit = "one chunk: sendfile(socket, file)";
    w.calls = {{"sendfile", 64}, {"close", 2}};
    w.integrity = {"receiver", 64 * kMiB, 64 * kMiB, "9a3c11e0", "9a3c11e0", true, true};
    w.wall_seconds = 0.0375;
    w.cpu_seconds = 0.0214;
    w.user_seconds = 0.0011;
    w.system_seconds = 0.0203;
    w.mib_per_second = 1706.6666666666667;
    w.cpu_seconds_per_gib = 0.3424;
    w.receiver_cpu_seconds = 0.031;
    w.pipe_bytes = 65536;

    Measured& m = r.measured;
    m.cpu_copies = 0.015625;
    m.cpu_copy_bytes = {4096, 8192, 12288, 16384, 20480, 4096, 1448, 65536};
    m.dma_copies = 0.1;
    m.dma_bytes = {4096, 512, 6710886, 6715494, 8192};
    m.syscalls = {66, {{"sendfile", 64}, {"close", 2}}};
    m.syscalls_per_transfer = 1.03125;
    m.mode_switches = 132;
    m.mode_switches_per_transfer = 2.0625;
    m.mode_switch_detail = {66, 67, 1};
    m.context_switches = {12, 3};
    m.page_faults = {7, 5, 3, 2, 1, 4, 1, 11, 6, 2};
    m.page_cache = {16384, 16383, 1, 0.99993896484375, 64, 16384, 9, 3, 48, 57, 57, 2};
    m.socket.skbs = 1100;
    m.socket.bytes = 67181824;
    m.socket.header_bytes = 72600;
    m.socket.linear_bytes = 80792;
    m.socket.linear_payload_bytes = 8192;
    m.socket.frag_bytes = 67100672;
    m.socket.shared_frag_bytes = 67100000;
    m.socket.copied_frag_bytes = 672;
    m.socket.zerocopy_frag_bytes = 1;
    m.socket.retransmit_skbs = 2;
    m.socket.retransmit_bytes = 131072;
    m.socket.resent_payload_bytes = 131072;
    m.socket.resent_linear_payload_bytes = 1448;
    m.socket.ownerless_skbs = 45;
    m.socket.unattributed_device_bytes = 1500;
    m.socket.sendmsg = {64, 64 * kMiB, 100, 200, 67108000, 300, 400, 5, 64, 6, 7};
    m.socket.devices = {{"lo", 1, true, true, true, 1100, 67181824, 64 * kMiB, 72600, 8192, 67100000, 1, 672}};
    m.receiver = {64 * kMiB, 2048, 2050};
    m.kernel_counters = {11, 2, 40, 1, 3, 66, 4096, 67108864};
    m.mmap = MmapStats{5120, 8192, 3072, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    m.cow = CowStats{16384, 10, 10, 40960, 12, 16374, 10, true, true};

    ReadPathFigures direct{"large_file_async_direct", 64 * kMiB, 1, 2, 64 * kMiB, 0.5, 0.16, 0.01, 0.15, 2048, 4096, 1208};
    ReadPathFigures buffered{"large_file_buffered", 64 * kMiB, 16384, 16384, 64 * kMiB, 1, 0.98, 0.02, 0.96, 16384, 32768, 1036};
    r.comparison = Comparison{direct, buffered, 0.00006, "from a cold cache, ..."};

    r.theory = {"sendfile", "sendfile", "sendfile", 1, 2, "sendfile", 1, 2,
                "efficient, data cannot be modified (高效但不可改数据)", "seed 000 §3.3; seed 002 §6.3"};
    Check check;
    check.metric = "dma_copies";
    check.theory = 2;
    check.measured = 0.1;
    check.tolerance = 0.02;
    check.verdict = Verdict::explained;
    check.explanation = "disk: 4 KiB read; NIC: 6.40 MiB handed to DMA-capable devices";
    r.checks = {check};
    r.verdict = Verdict::explained;
    r.findings = {"receiver: recv() copied 64 MiB", "2 skbs were retransmitted"};

    Overhead& o = r.overhead;
    o.bpf_run_ns = 1234567;
    o.events = 54321;
    o.missed_events = 3;
    o.ns_per_event = 22.73;
    o.share_of_workload_cpu = 0.0235;
    o.share_of_sender_cpu = 0.0577;
    o.attach_seconds = 0.412;
    o.zctrace_peak_rss_bytes = 48 * kMiB;
    o.interval_samples = 12;
    o.programs = {{"syscalls", "sys_enter", 800000, 40000, 3}};
    return r;
}

// Where a value is still at its default, as a JSON pointer; empty when none is.
void find_defaults(const json& value, const std::string& where, std::vector<std::string>& out)
{
    if (value.is_null() || (value.is_boolean() && !value.get<bool>()) ||
        (value.is_number() && value.get<double>() == 0) || (value.is_string() && value.get<std::string>().empty()) ||
        (value.is_structured() && value.empty())) {
        out.push_back(where.empty() ? "/" : where);
        return;
    }
    if (value.is_object())
        for (auto it = value.begin(); it != value.end(); ++it)
            find_defaults(it.value(), where + "/" + it.key(), out);
    if (value.is_array())
        for (std::size_t i = 0; i < value.size(); ++i)
            find_defaults(value[i], where + "/" + std::to_string(i), out);
}

std::string joined(const std::vector<std::string>& lines)
{
    std::string text;
    for (const std::string& line : lines)
        text += line + "\n";
    return text;
}

bool has_error(const std::vector<std::string>& errors, const std::string& wanted)
{
    for (const std::string& error : errors)
        if (error == wanted)
            return true;
    return false;
}

TEST(ReportJson, FullReportIsFullyPopulated)
{
    // The round trip below only proves something if every field carries a value.
    std::vector<std::string> defaults;
    find_defaults(json(full_report()), "", defaults);
    EXPECT_TRUE(defaults.empty()) << "fields left at their defaults:\n" << joined(defaults);
}

// interval_samples came after schema_version 1's first reports; those still
// validate and load, with 0 samples.
TEST(ReportJson, ReportsFromBeforeIntervalSamplesStillLoad)
{
    json document = full_report();
    document["overhead"].erase("interval_samples");
    EXPECT_EQ(report_schema().validate(document), std::vector<std::string>{});
    EXPECT_EQ(document.get<Report>().overhead.interval_samples, 0u);
}

TEST(ReportJson, RoundTripKeepsEveryField)
{
    const json first = full_report();
    const std::string text = first.dump(2);
    const Report back = json::parse(text).get<Report>();
    const json second = back;
    EXPECT_EQ(second, first);
    EXPECT_EQ(second.dump(2), text);
    // Spot checks that the typed side holds the values, not only the JSON.
    EXPECT_EQ(back.environment.device_sg, true);
    EXPECT_EQ(back.measured.page_cache.hit_ratio, 0.99993896484375);
    EXPECT_EQ(back.theory.syscalls_per_transfer, 1.0);
    EXPECT_EQ(back.verdict, Verdict::explained);
    EXPECT_EQ(back.measured.socket.devices.at(0).name, "lo");
    EXPECT_EQ(first["verdict"], "explained");
    EXPECT_EQ(first["checks"][0]["verdict"], "explained");
}

TEST(ReportJson, EmptyOptionalsAreNullAndComeBackEmpty)
{
    Report report = full_report();
    report.measured.page_cache.hit_ratio.reset();
    report.environment.device_sg.reset();
    report.theory.syscalls_per_transfer.reset();
    report.theory.mode_switches_per_transfer.reset();
    report.measured.mmap.reset();
    report.measured.cow.reset();
    report.comparison.reset();
    report.checks.front().theory.reset();
    const json j = report;

    // Present and null: readers must not have to guess whether a key is missing.
    ASSERT_TRUE(j["measured"]["page_cache"].contains("hit_ratio"));
    EXPECT_TRUE(j["measured"]["page_cache"]["hit_ratio"].is_null());
    ASSERT_TRUE(j["environment"].contains("device_sg"));
    EXPECT_TRUE(j["environment"]["device_sg"].is_null());
    ASSERT_TRUE(j["theory"].contains("syscalls_per_transfer"));
    EXPECT_TRUE(j["theory"]["syscalls_per_transfer"].is_null());
    EXPECT_TRUE(j["checks"][0]["theory"].is_null());

    const Report back = json::parse(j.dump()).get<Report>();
    EXPECT_FALSE(back.measured.page_cache.hit_ratio.has_value());
    EXPECT_FALSE(back.environment.device_sg.has_value());
    EXPECT_FALSE(back.theory.syscalls_per_transfer.has_value());
    EXPECT_FALSE(back.checks.front().theory.has_value());
    EXPECT_EQ(json(back), j);
}

TEST(ReportJson, FalseAndZeroOptionalsAreNotNull)
{
    // "the device has no SG" and "no hits" are findings; null would erase them.
    Report report = full_report();
    report.environment.device_sg = false;
    report.measured.page_cache.hit_ratio = 0.0;
    report.theory.syscalls_per_transfer = 0.0;
    const json j = report;
    EXPECT_EQ(j["environment"]["device_sg"], json(false));
    EXPECT_EQ(j["measured"]["page_cache"]["hit_ratio"], json(0.0));
    EXPECT_EQ(j["theory"]["syscalls_per_transfer"], json(0.0));
    const Report back = j.get<Report>();
    EXPECT_EQ(back.environment.device_sg, false);
    EXPECT_EQ(back.measured.page_cache.hit_ratio, 0.0);
    EXPECT_EQ(back.theory.syscalls_per_transfer, 0.0);
}

TEST(WriteJson, WritesTheWholeDocumentAndNoTempFile)
{
    TempDir dir;
    const fs::path path = dir.path() / "doc.json";
    const json first = {{"a", 1}, {"text", std::string(100000, 'x')}};
    const Result<void> written = write_json_atomically(first, path);
    ASSERT_TRUE(written.ok()) << written.error().describe();
    EXPECT_EQ(slurp(path), first.dump(2) + "\n");
    EXPECT_EQ(listing(dir.path()), std::set<std::string>{"doc.json"});
    EXPECT_EQ(fs::status(path).permissions() & fs::perms::all,
              fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read | fs::perms::others_read);

    // Replacing a longer file with a shorter one leaves nothing of the old one.
    const json second = {{"b", 2}};
    ASSERT_TRUE(write_json_atomically(second, path).ok());
    EXPECT_EQ(slurp(path), second.dump(2) + "\n");
    EXPECT_EQ(listing(dir.path()), std::set<std::string>{"doc.json"});
}

TEST(WriteJson, WriteReportNamesTheFileAfterTheTechnique)
{
    TempDir dir;
    const Report report = full_report();
    const Result<fs::path> written = write_report(report, dir.path());
    ASSERT_TRUE(written.ok()) << written.error().describe();
    EXPECT_EQ(*written, dir.path() / "sendfile.json");
    EXPECT_EQ(listing(dir.path()), std::set<std::string>{"sendfile.json"});
    const json on_disk = json::parse(slurp(*written));
    EXPECT_EQ(json(on_disk.get<Report>()), json(report));
}

TEST(WriteJson, DirectoryUnderARegularFileFails)
{
    TempDir dir;
    const fs::path plain = dir.path() / "plain";
    write_text(plain, "not a directory\n");

    const Result<void> written = write_json_atomically(json{{"a", 1}}, plain / "doc.json");
    ASSERT_FALSE(written.ok());
    EXPECT_EQ(written.error().code, ENOTDIR);
    EXPECT_NE(written.error().message.find("cannot create a file in " + plain.string()), std::string::npos)
        << written.error().message;
    EXPECT_NE(written.error().message.find("--out"), std::string::npos) << written.error().message;
    const Result<void> exported = write_text_atomically("x", plain / "zctrace.prom", "use --textfile-dir");
    ASSERT_FALSE(exported.ok());
    EXPECT_NE(exported.error().message.find("(use --textfile-dir)"), std::string::npos) << exported.error().message;

    const Result<fs::path> report = write_report(full_report(), plain);
    ASSERT_FALSE(report.ok());
    EXPECT_NE(report.error().message.find("cannot create a file in " + plain.string()), std::string::npos)
        << report.error().message;

    EXPECT_EQ(listing(dir.path()), std::set<std::string>{"plain"});
    EXPECT_EQ(slurp(plain), "not a directory\n");
}

TEST(WriteJson, ProcFails)
{
    // Not even root may create files in /proc, so this fails for every user.
    const fs::path path = "/proc/zctrace-unit-test.json";
    const Result<void> written = write_json_atomically(json{{"a", 1}}, path);
    ASSERT_FALSE(written.ok());
    EXPECT_NE(written.error().code, 0);
    EXPECT_NE(written.error().message.find("cannot create a file in /proc"), std::string::npos)
        << written.error().message;
    EXPECT_FALSE(fs::exists(path));

    const Result<fs::path> report = write_report(full_report(), "/proc");
    ASSERT_FALSE(report.ok());
    EXPECT_NE(report.error().message.find("--out"), std::string::npos) << report.error().message;
}

TEST(WriteJson, FailedRenameRemovesTheTempFile)
{
    // The temp file is written, then rename() onto a non-empty directory fails:
    // the one failure after the temp file exists that needs no privileges.
    TempDir dir;
    const fs::path taken = dir.path() / "taken.json";
    fs::create_directory(taken);
    write_text(taken / "inside", "x");

    const Result<void> written = write_json_atomically(json{{"a", 1}}, taken);
    ASSERT_FALSE(written.ok());
    EXPECT_NE(written.error().message.find("cannot rename"), std::string::npos) << written.error().message;
    EXPECT_EQ(listing(dir.path()), std::set<std::string>{"taken.json"});
    EXPECT_EQ(listing(taken), std::set<std::string>{"inside"});
}

TEST(CheckOutputDir, CreatesMissingDirectories)
{
    TempDir dir;
    const fs::path nested = dir.path() / "a" / "b" / "c";
    const Result<void> checked = check_output_dir(nested);
    ASSERT_TRUE(checked.ok()) << checked.error().describe();
    EXPECT_TRUE(fs::is_directory(nested));
    // The write probe must not stay behind.
    EXPECT_TRUE(listing(nested).empty());
    // An existing directory is fine too.
    EXPECT_TRUE(check_output_dir(nested).ok());
}

TEST(CheckOutputDir, RejectsARegularFile)
{
    TempDir dir;
    const fs::path plain = dir.path() / "plain";
    write_text(plain, "x");
    const Result<void> checked = check_output_dir(plain);
    ASSERT_FALSE(checked.ok());
    // Which of check_output_dir's two messages appears depends on whether
    // create_directories() already objects (libstdc++ does); either way the
    // user must read the path, "not a directory" and the way out.
    EXPECT_EQ(checked.error().code, ENOTDIR);
    const std::string said = checked.error().describe();
    EXPECT_NE(said.find(plain.string()), std::string::npos) << said;
    EXPECT_NE(said.find("ot a directory"), std::string::npos) << said;
    EXPECT_NE(said.find("(choose a writable directory with --out)"), std::string::npos) << said;

    const Result<void> below = check_output_dir(plain / "sub");
    ASSERT_FALSE(below.ok());
    EXPECT_NE(below.error().message.find("cannot create the output directory " + (plain / "sub").string()),
              std::string::npos)
        << below.error().message;
    EXPECT_EQ(slurp(plain), "x");
}

TEST(CheckOutputDir, RejectsProc)
{
    const Result<void> inside = check_output_dir("/proc/zctrace-unit-test");
    ASSERT_FALSE(inside.ok());
    EXPECT_NE(inside.error().message.find("cannot create the output directory /proc/zctrace-unit-test"),
              std::string::npos)
        << inside.error().message;
    EXPECT_FALSE(fs::exists("/proc/zctrace-unit-test"));

    const Result<void> itself = check_output_dir("/proc");
    ASSERT_FALSE(itself.ok());
    EXPECT_NE(itself.error().message.find("cannot write to the output directory /proc"), std::string::npos)
        << itself.error().message;
}

TEST(CheckOutputDir, SweepsOnlyDeadWritersTempFiles)
{
    // A child that has exited and been reaped gives a pid no process has.
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0)
        ::_exit(0);
    ASSERT_EQ(::waitpid(child, nullptr, 0), child);

    TempDir dir;
    const std::string dead = ".sendfile.json.zctrace-tmp-" + std::to_string(child) + "-a1b2c3";
    const std::string live = ".splice.json.zctrace-tmp-" + std::to_string(::getpid()) + "-d4e5f6";
    write_text(dir.path() / dead, "{");
    write_text(dir.path() / live, "{");
    write_text(dir.path() / ".hidden", "keep");
    write_text(dir.path() / "read_write.json", "{}");

    ASSERT_TRUE(check_output_dir(dir.path()).ok());
    EXPECT_EQ(listing(dir.path()), (std::set<std::string>{live, ".hidden", "read_write.json"}));
}

TEST(ReportSchema, CompiledInSchemaIsTheRepositoryFile)
{
    const fs::path path = fs::path(ZCTRACE_SOURCE_DIR) / "reports/schema/report.v1.schema.json";
    const std::string text = slurp(path);
    ASSERT_FALSE(text.empty()) << "cannot read " << path;
    EXPECT_EQ(json::parse(report_schema_text()), json::parse(text));
}

TEST(ReportSchema, AcceptsAFullReport)
{
    const std::vector<std::string> errors = report_schema().validate(json(full_report()));
    EXPECT_TRUE(errors.empty()) << joined(errors);

    // The same with every optional empty: null is allowed where the schema says so.
    Report report = full_report();
    report.measured.page_cache.hit_ratio.reset();
    report.environment.device_sg.reset();
    report.theory.syscalls_per_transfer.reset();
    report.theory.mode_switches_per_transfer.reset();
    report.measured.mmap.reset();
    report.measured.cow.reset();
    report.comparison.reset();
    report.checks.front().theory.reset();
    const std::vector<std::string> with_nulls = report_schema().validate(json(report));
    EXPECT_TRUE(with_nulls.empty()) << joined(with_nulls);
}

TEST(ReportSchema, AcceptsWhatAnalyzeProduces)
{
    Report report = full_report();
    report.measured.cpu_copy_bytes = {};
    report.measured.cpu_copies = 0;
    analyze(report);
    // Five for every technique, and one for each of the fixture's cow, mmap
    // and comparison sections.
    ASSERT_EQ(report.checks.size(), 8u);
    const std::vector<std::string> errors = report_schema().validate(json(report));
    EXPECT_TRUE(errors.empty()) << joined(errors);
}

TEST(ReportSchema, RejectsAMissingRequiredKey)
{
    json j = full_report();
    j.erase("findings");
    const std::vector<std::string> errors = report_schema().validate(j);
    EXPECT_TRUE(has_error(errors, "/: missing required property \"findings\"")) << joined(errors);

    j = full_report();
    j["measured"]["page_cache"].erase("hit_ratio");
    const std::vector<std::string> nested = report_schema().validate(j);
    EXPECT_TRUE(has_error(nested, "/measured/page_cache: missing required property \"hit_ratio\"")) << joined(nested);
}

TEST(ReportSchema, RejectsAnUnknownKey)
{
    json j = full_report();
    j["colour"] = "blue";
    const std::vector<std::string> errors = report_schema().validate(j);
    EXPECT_TRUE(has_error(errors, "/colour: property \"colour\" is not allowed")) << joined(errors);

    j = full_report();
    j["environment"]["colour"] = "blue";
    const std::vector<std::string> nested = report_schema().validate(j);
    EXPECT_TRUE(has_error(nested, "/environment/colour: property \"colour\" is not allowed")) << joined(nested);

    j = full_report();
    j["checks"][0]["colour"] = "blue";
    const std::vector<std::string> in_definition = report_schema().validate(j);
    EXPECT_TRUE(has_error(in_definition, "/checks/0/colour: property \"colour\" is not allowed"))
        << joined(in_definition);
}

TEST(ReportSchema, RejectsSchemaVersion2)
{
    json j = full_report();
    j["schema_version"] = 2;
    const std::vector<std::string> errors = report_schema().validate(j);
    ASSERT_EQ(errors.size(), 1u) << joined(errors);
    EXPECT_EQ(errors.front(), "/schema_version: expected 1");
}

TEST(ReportSchema, RejectsWrongTypesAndValues)
{
    json j = full_report();
    j["workload"]["bytes"] = "64M";
    EXPECT_FALSE(report_schema().validate(j).empty());

    j = full_report();
    j["verdict"] = "fine";
    EXPECT_FALSE(report_schema().validate(j).empty());

    j = full_report();
    j["workload"]["integrity"]["checksum_received"] = "9A3C11E0";
    EXPECT_FALSE(report_schema().validate(j).empty());

    j = full_report();
    j["measured"]["syscalls"]["by_name"]["Bad-Name"] = 1;
    EXPECT_FALSE(report_schema().validate(j).empty());

    j = full_report();
    j["measured"]["dma_bytes"]["total"] = -1;
    EXPECT_FALSE(report_schema().validate(j).empty());
}

}  // namespace
}  // namespace zctrace
