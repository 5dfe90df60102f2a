// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// `zctrace export`: the OpenMetrics text from the committed real-run
// fixtures (golden file, promtool, a strict OpenMetrics parser, values traced
// back to report fields), the CLI's files and errors, and the Grafana
// dashboard's queries against what the export really contains.
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <set>

#include <nlohmann/json.hpp>

#include "support.hpp"
#include "output/openmetrics.hpp"
#include "output/summary.hpp"

namespace zctrace::output_test {
namespace {

using nlohmann::json;

const fs::path kDashboard = kSourceDir / "dashboards/zctrace.json";
const std::vector<std::string> kFixtureDirs = {(kFixtures / "loopback").string(), (kFixtures / "veth-sg-on").string(),
                                               (kFixtures / "veth-sg-off").string()};
const std::vector<std::string> kRunLabels = {"technique", "theory_row", "network", "sg", "cache"};

std::vector<Report> all_reports()
{
    auto reports = load_reports(std::vector<fs::path>(kFixtureDirs.begin(), kFixtureDirs.end()));
    if (!reports)
        throw std::runtime_error(reports.error().describe());
    return *reports;
}

Report fixture(const std::string& dir, const std::string& technique)
{
    auto report = load_report(kFixtures / dir / (technique + ".json"));
    if (!report)
        throw std::runtime_error(report.error().describe());
    return *report;
}

std::string render(const std::vector<Report>& reports)
{
    auto text = render_openmetrics(reports);
    if (!text)
        throw std::runtime_error(text.error().describe());
    return *text;
}

const std::string& fixtures_text()
{
    static const std::string text = render(all_reports());
    return text;
}

// The strict OpenMetrics parser of the Python client, its result as JSON:
// [{name, type, unit, help, samples: [{name, labels, value}]}].
constexpr const char* kStrictParse = R"(
import json, sys
from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse
print(json.dumps([{"name": f.name, "type": f.type, "unit": f.unit, "help": f.documentation,
                   "samples": [{"name": s.name, "labels": s.labels, "value": s.value} for s in f.samples]}
                  for f in parse(sys.stdin.read())]))
)";

json strict_parse(const std::string& text)
{
    const Finished parsed = run_program("/usr/bin/python3", {"-c", kStrictParse}, text);
    if (parsed.status != 0)
        throw std::runtime_error("the strict OpenMetrics parser rejected the text: " + parsed.err);
    return json::parse(parsed.out);
}

const json& fixtures_parsed()
{
    static const json families = strict_parse(fixtures_text());
    return families;
}

struct Series {
    std::map<std::string, std::string> labels;
    double value = 0;
};

// The samples of `name` whose labels include `selector`.
std::vector<Series> samples_of(const json& families, const std::string& name,
                               const std::map<std::string, std::string>& selector = {})
{
    std::vector<Series> found;
    for (const json& family : families)
        for (const json& sample : family["samples"]) {
            if (sample["name"] != name)
                continue;
            Series series{sample["labels"].get<std::map<std::string, std::string>>(), sample["value"].get<double>()};
            if (std::all_of(selector.begin(), selector.end(), [&](const auto& label) {
                    const auto it = series.labels.find(label.first);
                    return it != series.labels.end() && it->second == label.second;
                }))
                found.push_back(std::move(series));
        }
    return found;
}

// The one sample of `name` with these labels; fails the test otherwise.
double value_of(const std::string& name, const std::map<std::string, std::string>& selector)
{
    const auto found = samples_of(fixtures_parsed(), name, selector);
    EXPECT_EQ(found.size(), 1u) << name << " has " << found.size() << " samples matching the selector";
    return found.empty() ? std::nan("") : found.front().value;
}

const std::map<std::string, std::string> kLoopbackWarm = {{"network", "loopback"}, {"cache", "warm"}};

std::map<std::string, std::string> run_of(const std::string& technique,
                                          const std::map<std::string, std::string>& more = {})
{
    std::map<std::string, std::string> labels = {{"technique", technique}, {"network", "loopback"}};
    labels.insert(more.begin(), more.end());
    return labels;
}

// ---------------------------------------------------------------- the text

TEST(OpenMetricsTest, MatchesGoldenFileFromAllFixtures)
{
    ASSERT_EQ(all_reports().size(), 10u);
    expect_golden(fixtures_text(), "openmetrics.txt");
}

TEST(OpenMetricsTest, PromtoolAcceptsItWithoutLintWarnings)
{
    const Finished checked = run_program("/usr/bin/promtool", {"check", "metrics"}, fixtures_text());
    EXPECT_EQ(checked.status, 0) << checked.out << checked.err;
    EXPECT_EQ(checked.out, "");
    EXPECT_EQ(checked.err, "");
}

TEST(OpenMetricsTest, StrictParserAcceptsItAsGaugesWithUnitsInTheirNames)
{
    const json& families = fixtures_parsed();
    ASSERT_GT(families.size(), 30u);
    std::set<std::string> names;
    for (const json& family : families) {
        const std::string name = family["name"];
        EXPECT_TRUE(names.insert(name).second) << name << " appears twice";
        EXPECT_EQ(name.rfind("zctrace_", 0), 0u) << name;
        EXPECT_EQ(family["type"], "gauge") << name;
        EXPECT_FALSE(family["help"].get<std::string>().empty()) << name;
        const std::string unit = family["unit"];
        if (!unit.empty()) {
            EXPECT_TRUE(name.ends_with("_" + unit)) << name << " has unit " << unit;
        }
        for (const std::string base : {"bytes", "seconds", "ratio"}) {
            if (name.ends_with("_" + base)) {
                EXPECT_EQ(unit, name.ends_with("_bytes_per_second") ? "bytes_per_second" : base) << name;
            }
        }
        for (const json& sample : family["samples"])
            for (const std::string& label : kRunLabels)
                EXPECT_TRUE(sample["labels"].contains(label)) << name << " lacks the label " << label;
    }
    EXPECT_TRUE(fixtures_text().ends_with("\n# EOF\n"));
}

TEST(OpenMetricsTest, ValuesAreTheFixturesFieldsExactly)
{
    const Report read_write = fixture("loopback", "read_write");
    EXPECT_EQ(value_of("zctrace_cpu_copies", run_of("read_write")), read_write.measured.cpu_copies);
    EXPECT_EQ(value_of("zctrace_theory_cpu_copies", run_of("read_write")), read_write.theory.cpu_copies);
    EXPECT_EQ(value_of("zctrace_cpu_copy_bytes", run_of("read_write", {{"path", "file_to_user"}})),
              static_cast<double>(read_write.measured.cpu_copy_bytes.file_to_user));
    EXPECT_EQ(value_of("zctrace_cpu_seconds_per_gib", run_of("read_write")), read_write.workload.cpu_seconds_per_gib);
    EXPECT_EQ(value_of("zctrace_throughput_bytes_per_second", run_of("read_write")),
              read_write.workload.mib_per_second * 1048576.0);
    EXPECT_EQ(value_of("zctrace_bpf_cpu_share_ratio", run_of("read_write", {{"of", "workload"}})),
              read_write.overhead.share_of_workload_cpu);
    EXPECT_EQ(value_of("zctrace_page_cache_hit_ratio", run_of("read_write")),
              *read_write.measured.page_cache.hit_ratio);

    const Report sendfile = fixture("loopback", "sendfile");
    EXPECT_EQ(value_of("zctrace_syscalls", run_of("sendfile", {{"syscall", "sendfile"}})),
              static_cast<double>(sendfile.measured.syscalls.by_name.at("sendfile")));
    EXPECT_EQ(value_of("zctrace_mode_switches_per_transfer", run_of("sendfile")),
              sendfile.measured.mode_switches_per_transfer);
    EXPECT_EQ(value_of("zctrace_theory_mode_switches_per_transfer", run_of("sendfile")),
              *sendfile.theory.mode_switches_per_transfer);
    EXPECT_EQ(value_of("zctrace_context_switches", run_of("sendfile", {{"kind", "involuntary"}})),
              static_cast<double>(sendfile.measured.context_switches.involuntary));
    EXPECT_EQ(value_of("zctrace_socket_payload_bytes", run_of("sendfile", {{"kind", "shared_frag"}})),
              static_cast<double>(sendfile.measured.socket.shared_frag_bytes));
    EXPECT_EQ(value_of("zctrace_bpf_run_seconds", run_of("sendfile")),
              static_cast<double>(sendfile.overhead.bpf_run_ns) / 1e9);
    // The sample's standard error beside it: these fixtures were written
    // before it was recorded, so they have none to export, rather than a
    // 0 that would read as "exact"; a sampled report that has one exports it.
    EXPECT_TRUE(samples_of(fixtures_parsed(), "zctrace_bpf_run_standard_error_seconds").empty());
    Report with_error = sendfile;
    with_error.overhead.accounting = kSampledAccounting;
    with_error.overhead.bpf_run_ns_standard_error = 52000;
    const auto exported = samples_of(strict_parse(render({with_error})), "zctrace_bpf_run_standard_error_seconds");
    ASSERT_EQ(exported.size(), 1u);
    EXPECT_DOUBLE_EQ(exported.front().value, 52000 / 1e9);
    with_error.overhead.accounting = kBpfStatsAccounting;
    EXPECT_TRUE(samples_of(strict_parse(render({with_error})), "zctrace_bpf_run_standard_error_seconds").empty());
    EXPECT_EQ(value_of("zctrace_report_created_timestamp_seconds", run_of("sendfile")),
              static_cast<double>(*parse_created_at(sendfile.created_at)))
        << sendfile.created_at;
    EXPECT_EQ(value_of("zctrace_report_info", run_of("sendfile", {{"kernel", sendfile.environment.kernel},
                                                                  {"tool", sendfile.tool}})),
              1.0);
    EXPECT_EQ(value_of("zctrace_check_theory", run_of("sendfile", {{"check", "dma_copies"}})), 2.0);
    const auto dma_check = std::find_if(sendfile.checks.begin(), sendfile.checks.end(),
                                        [](const Check& check) { return check.metric == "dma_copies"; });
    ASSERT_NE(dma_check, sendfile.checks.end());
    EXPECT_EQ(value_of("zctrace_check_verdict",
                       run_of("sendfile", {{"check", "dma_copies"}, {"verdict", std::string(verdict_name(dma_check->verdict))}})),
              1.0);
    EXPECT_EQ(value_of("zctrace_check_measured", run_of("sendfile", {{"check", "dma_copies"}})), dma_check->measured);

    const Report direct_io = fixture("loopback", "direct_io");
    EXPECT_EQ(value_of("zctrace_dma_bytes", run_of("direct_io", {{"target", "disk_read"}})),
              static_cast<double>(direct_io.measured.dma_bytes.disk_read));
}

TEST(OpenMetricsTest, NullFieldsGiveNoSampleRatherThanAnInventedOne)
{
    ASSERT_FALSE(fixture("loopback", "direct_io").theory.syscalls_per_transfer);
    EXPECT_TRUE(samples_of(fixtures_parsed(), "zctrace_theory_syscalls_per_transfer", run_of("direct_io")).empty());
    EXPECT_EQ(samples_of(fixtures_parsed(), "zctrace_syscalls_per_transfer", run_of("direct_io")).size(), 1u);
    ASSERT_FALSE(fixture("loopback", "cow").measured.page_cache.hit_ratio);
    EXPECT_TRUE(samples_of(fixtures_parsed(), "zctrace_page_cache_hit_ratio", run_of("cow")).empty());
    EXPECT_EQ(samples_of(fixtures_parsed(), "zctrace_page_cache_hits", run_of("cow")).size(), 1u);
}

TEST(OpenMetricsTest, EveryReportGetsOneVerdictAndCopyPathsAddUpToTheTotal)
{
    for (const Report& report : all_reports()) {
        const std::map<std::string, std::string> run = {{"technique", report.technique},
                                                        {"network", report.environment.network},
                                                        {"cache", report.environment.cache}};
        const std::string sg = !report.environment.device_sg ? "unknown" : *report.environment.device_sg ? "on" : "off";
        auto with = [&](std::map<std::string, std::string> more) {
            more.insert(run.begin(), run.end());
            more["sg"] = sg;
            return more;
        };
        double ones = 0;
        for (const Series& series : samples_of(fixtures_parsed(), "zctrace_verdict", with({}))) {
            ones += series.value;
            EXPECT_EQ(series.value, series.labels.at("verdict") == verdict_name(report.verdict) ? 1.0 : 0.0);
        }
        EXPECT_EQ(ones, 1.0) << report.technique;
        double copied = 0;
        for (const Series& series : samples_of(fixtures_parsed(), "zctrace_cpu_copy_bytes", with({})))
            copied += series.value;
        EXPECT_EQ(copied, static_cast<double>(report.measured.cpu_copy_bytes.total)) << report.technique;
        // Every check gets a 1 for its own verdict and a 0 for each of the other five.
        EXPECT_EQ(samples_of(fixtures_parsed(), "zctrace_check_verdict", with({})).size(),
                  std::size(kAllVerdicts) * report.checks.size());
        for (const Check& check : report.checks) {
            std::set<std::string> verdicts;
            for (const Series& series : samples_of(fixtures_parsed(), "zctrace_check_verdict", with({{"check", check.metric}}))) {
                verdicts.insert(series.labels.at("verdict"));
                EXPECT_EQ(series.value, series.labels.at("verdict") == verdict_name(check.verdict) ? 1.0 : 0.0)
                    << report.technique << " " << check.metric;
            }
            EXPECT_EQ(verdicts.size(), std::size(kAllVerdicts)) << report.technique << " " << check.metric;
        }
    }
}

// zctrace_verdict enumerates what a run can get, zctrace_check_verdict what a check can.
TEST(OpenMetricsTest, VerdictFamiliesEnumerateTheirVerdicts)
{
    auto verdict_labels = [](const std::string& family) {
        std::set<std::string> labels;
        for (const Series& series : samples_of(fixtures_parsed(), family))
            labels.insert(series.labels.at("verdict"));
        return labels;
    };
    std::set<std::string> report_verdicts, check_verdicts;
    for (Verdict verdict : kReportVerdicts)
        report_verdicts.insert(std::string(verdict_name(verdict)));
    for (Verdict verdict : kAllVerdicts)
        check_verdicts.insert(std::string(verdict_name(verdict)));
    EXPECT_EQ(verdict_labels("zctrace_verdict"),
              (std::set<std::string>{"match", "explained", "invalid", "mismatch"}));
    EXPECT_EQ(verdict_labels("zctrace_verdict"), report_verdicts);
    EXPECT_EQ(verdict_labels("zctrace_check_verdict"), check_verdicts);
    EXPECT_EQ(check_verdicts.size(), 6u);

    // A report that failed says so, once.
    Report invalid = fixture("loopback", "cow");
    invalid.verdict = Verdict::invalid;
    invalid.checks.front().verdict = Verdict::invalid;
    invalid.checks.back().verdict = Verdict::no_theory;
    const json families = strict_parse(render({invalid}));
    for (const Series& series : samples_of(families, "zctrace_verdict"))
        EXPECT_EQ(series.value, series.labels.at("verdict") == "invalid" ? 1.0 : 0.0) << series.labels.at("verdict");
    const auto no_theory = samples_of(families, "zctrace_check_verdict",
                                      {{"check", invalid.checks.back().metric}, {"verdict", "no_theory"}});
    ASSERT_EQ(no_theory.size(), 1u);
    EXPECT_EQ(no_theory.front().value, 1.0);
}

// What each check is held to: a version 2 check's expected, a version 1
// check's theory, and nothing invented where neither exists.
TEST(OpenMetricsTest, CheckExpectedIsWhatEachCheckIsHeldTo)
{
    for (const Report& report : all_reports()) {
        const std::string sg = !report.environment.device_sg ? "unknown" : *report.environment.device_sg ? "on" : "off";
        for (const Check& check : report.checks) {
            const auto found = samples_of(fixtures_parsed(), "zctrace_check_expected",
                                          {{"technique", report.technique},
                                           {"network", report.environment.network},
                                           {"sg", sg},
                                           {"cache", report.environment.cache},
                                           {"check", check.metric}});
            const std::optional<double> held_to =
                !check.expected_from.empty() ? std::optional(check.expected) : check.theory;
            ASSERT_EQ(found.size(), held_to ? 1u : 0u) << report.technique << " " << check.metric;
            if (held_to) {
                EXPECT_EQ(found.front().value, *held_to) << report.technique << " " << check.metric;
            }
        }
    }

    Report report = fixture("loopback", "direct_io");
    report.checks.clear();
    Check design;  // no theory figure: held to the workload's own design
    design.metric = "syscalls_per_transfer";
    design.expected = 1;
    design.expected_from = "workload";
    design.measured = 1;
    design.verdict = Verdict::no_theory;
    Check cross;  // held to a kernel counter, 0 included
    cross.metric = "read_syscalls_vs_kernel";
    cross.theory = 7;
    cross.expected = 0;
    cross.expected_from = "kernel counters";
    report.checks = {design, cross};
    const json families = strict_parse(render({report}));
    const auto expected = samples_of(families, "zctrace_check_expected");
    ASSERT_EQ(expected.size(), 2u);
    EXPECT_EQ(samples_of(families, "zctrace_check_expected", {{"check", "syscalls_per_transfer"}}).at(0).value, 1.0);
    EXPECT_EQ(samples_of(families, "zctrace_check_expected", {{"check", "read_syscalls_vs_kernel"}}).at(0).value, 0.0);
    EXPECT_TRUE(samples_of(families, "zctrace_check_theory", {{"check", "syscalls_per_transfer"}}).empty());
}

TEST(OpenMetricsTest, SendfileOverLoopbackAndVethWithAndWithoutSgStayDistinct)
{
    const auto sendfile = samples_of(fixtures_parsed(), "zctrace_cpu_copies", {{"technique", "sendfile"}});
    std::set<std::string> runs;
    for (const Series& series : sendfile)
        runs.insert(series.labels.at("network") + "/" + series.labels.at("sg") + "/" + series.labels.at("theory_row"));
    EXPECT_EQ(runs, (std::set<std::string>{"loopback/on/sendfile + DMA gather", "veth/on/sendfile + DMA gather",
                                           "veth/off/sendfile"}));
    EXPECT_EQ(value_of("zctrace_cpu_copies", {{"technique", "sendfile"}, {"network", "veth"}, {"sg", "off"}}),
              fixture("veth-sg-off", "sendfile").measured.cpu_copies);
    EXPECT_EQ(value_of("zctrace_cpu_copies", {{"technique", "direct_io"}}), fixture("loopback", "direct_io").measured.cpu_copies);
    EXPECT_EQ(samples_of(fixtures_parsed(), "zctrace_cpu_copies", {{"technique", "direct_io"}}).front().labels.at("sg"),
              "unknown");
}

TEST(OpenMetricsTest, OutputDoesNotDependOnTheOrderOfTheReports)
{
    std::vector<Report> reports = all_reports();
    std::reverse(reports.begin(), reports.end());
    EXPECT_EQ(render(reports), fixtures_text());
}

TEST(OpenMetricsTest, LabelValuesAreEscapedAndReadBackIntact)
{
    Report report = fixture("loopback", "read_write");
    report.theory_row = "quote \" backslash \\ newline \n end";
    report.environment.kernel = "6.1 \\\"x\"";
    const std::string text = render({report});
    EXPECT_NE(text.find(R"(theory_row="quote \" backslash \\ newline \n end")"), std::string::npos);
    const json families = strict_parse(text);
    const auto found = samples_of(families, "zctrace_report_info");
    ASSERT_EQ(found.size(), 1u);
    EXPECT_EQ(found.front().labels.at("theory_row"), report.theory_row);
    EXPECT_EQ(found.front().labels.at("kernel"), report.environment.kernel);
    const Finished checked = run_program("/usr/bin/promtool", {"check", "metrics"}, text);
    EXPECT_EQ(checked.status, 0) << checked.out << checked.err;
}

TEST(OpenMetricsTest, NumbersAreExactAndDeterministic)
{
    EXPECT_EQ(openmetrics_number(std::uint64_t{18446744073709551615u}), "18446744073709551615");
    EXPECT_EQ(openmetrics_number(std::int64_t{-3}), "-3");
    EXPECT_EQ(openmetrics_number(67108864.0), "67108864");
    EXPECT_EQ(openmetrics_number(2.0), "2");
    EXPECT_EQ(openmetrics_number(-0.0), "0");
    EXPECT_EQ(openmetrics_number(0.1), "0.1");
    EXPECT_EQ(openmetrics_number(0.022688834154351394), "0.022688834154351394");
    EXPECT_EQ(openmetrics_number(1e300), "1e+300");
    EXPECT_EQ(openmetrics_number(std::nan("")), "NaN");
    EXPECT_EQ(openmetrics_number(-std::numeric_limits<double>::infinity()), "-Inf");
    for (double value : {1.0 / 3, 3285.6491521202674 * 1048576.0, 1e-9, 123456789.123456789, 5e-324}) {
        const std::string text = openmetrics_number(value);
        EXPECT_EQ(std::strtod(text.c_str(), nullptr), value) << text;
        EXPECT_EQ(text.find_first_not_of("0123456789.e+-"), std::string::npos) << text;
    }

    Report report = fixture("loopback", "read_write");
    report.workload.bytes = 18446744073709551615u;
    EXPECT_NE(render({report}).find("zctrace_payload_bytes{technique=\"read_write\",theory_row=\"read + write\","
                                    "network=\"loopback\",sg=\"on\",cache=\"warm\",chunk_bytes=\"65536\"} 18446744073709551615\n"),
              std::string::npos);
}

TEST(OpenMetricsTest, CreatedAtMustBeAnIsoUtcTime)
{
    EXPECT_EQ(*parse_created_at("1970-01-01T00:00:00Z"), 0);
    EXPECT_EQ(*parse_created_at("2000-03-01T00:00:01Z"), 951868801);
    for (const char* bad : {"2026-02-30T00:00:00Z", "2026-11-23 14:54:24Z", "2026-11-23T14:54:24", "2026-11-23T24:00:00Z",
                            "2026-11-23T14:54:24+01:00", "", "+026-11-23T14:54:24Z"})
        EXPECT_FALSE(parse_created_at(bad).ok()) << bad;

    Report report = fixture("loopback", "read_write");
    report.created_at = "yesterday";
    const auto text = render_openmetrics({report}, {"reports/read_write.json"});
    ASSERT_FALSE(text.ok());
    EXPECT_EQ(text.error().kind, ErrorKind::bad_input);
    EXPECT_NE(text.error().message.find("reports/read_write.json"), std::string::npos) << text.error().message;
    EXPECT_NE(text.error().message.find("\"yesterday\""), std::string::npos) << text.error().message;
}

TEST(OpenMetricsTest, ReportsGivingTheSameSeriesAreRejectedNamingBoth)
{
    const Report sendfile = fixture("loopback", "sendfile");
    Report again = sendfile;
    again.created_at = "2026-11-24T08:00:00Z";
    const auto text = render_openmetrics({sendfile, fixture("loopback", "splice"), again},
                                         {"a/sendfile.json", "a/splice.json", "b/sendfile.json"});
    ASSERT_FALSE(text.ok());
    EXPECT_EQ(text.error().kind, ErrorKind::bad_input);
    const std::string& message = text.error().message;
    EXPECT_NE(message.find("a/sendfile.json and b/sendfile.json"), std::string::npos) << message;
    EXPECT_NE(message.find("technique=\"sendfile\""), std::string::npos) << message;
    EXPECT_NE(message.find("2026-11-24T08:00:00Z"), std::string::npos) << message;

    // Without file names, the reports are named by position and time.
    const auto unnamed = render_openmetrics({sendfile, again});
    ASSERT_FALSE(unnamed.ok());
    EXPECT_NE(unnamed.error().message.find("report #1 (sendfile, created " + sendfile.created_at + ")"),
              std::string::npos)
        << unnamed.error().message;

    Report twice = sendfile;
    twice.checks.push_back(twice.checks.front());
    const auto inconsistent = render_openmetrics({twice});
    ASSERT_FALSE(inconsistent.ok());
    EXPECT_NE(inconsistent.error().message.find("check=\"integrity\""), std::string::npos)
        << inconsistent.error().message;
}

// ---------------------------------------------------------------- the CLI

std::vector<std::string> export_args(std::vector<std::string> extra)
{
    std::vector<std::string> args = {"export"};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
}

std::vector<std::string> with_fixtures(std::vector<std::string> args)
{
    args.insert(args.end(), kFixtureDirs.begin(), kFixtureDirs.end());
    return export_args(std::move(args));
}

TEST(ExportCliTest, PrintsOpenMetricsOnStdoutWithoutTextfileDir)
{
    for (const auto& args : {with_fixtures({}), with_fixtures({"--openmetrics"})}) {
        const Finished done = zctrace(args);
        ASSERT_EQ(done.status, 0) << done.err;
        EXPECT_EQ(done.out, fixtures_text());
        EXPECT_NE(done.err.find("exported 10 reports as "), std::string::npos) << done.err;
        EXPECT_EQ(std::count(done.err.begin(), done.err.end(), '\n'), 1) << done.err;
    }
}

TEST(ExportCliTest, WritesTheTextfileAtomicallyReplacingTheOldOne)
{
    TempDir dir;
    const fs::path prom = dir.path() / "zctrace.prom";
    write_text(prom, "# stale\n");
    struct stat before {};
    ASSERT_EQ(::stat(prom.c_str(), &before), 0);

    const Finished done = zctrace(with_fixtures({"--textfile-dir", dir.path().string()}));
    ASSERT_EQ(done.status, 0) << done.err;
    EXPECT_EQ(done.out, "");
    EXPECT_NE(done.err.find("wrote 10 reports as "), std::string::npos) << done.err;
    EXPECT_NE(done.err.find(prom.string()), std::string::npos) << done.err;
    EXPECT_EQ(dir.entries(), std::vector<std::string>{"zctrace.prom"}) << "a temp file was left behind";
    EXPECT_EQ(read_text(prom), fixtures_text());
    struct stat after {};
    ASSERT_EQ(::stat(prom.c_str(), &after), 0);
    // A new inode: renamed into place, never rewritten where the collector reads.
    EXPECT_NE(after.st_ino, before.st_ino);
    EXPECT_EQ(after.st_mode & 0777, 0644u);
}

TEST(ExportCliTest, NameChoosesTheFileAndMustEndInProm)
{
    TempDir dir;
    const Finished named = zctrace(with_fixtures({"--textfile-dir", dir.path().string(), "--name", "zero-copy.prom"}));
    ASSERT_EQ(named.status, 0) << named.err;
    EXPECT_EQ(dir.entries(), std::vector<std::string>{"zero-copy.prom"});

    for (const char* bad : {"zctrace.txt", ".prom", ".hidden.prom", "../escape.prom", "sub/x.prom"}) {
        const Finished refused = zctrace(with_fixtures({"--textfile-dir", dir.path().string(), "--name", bad}));
        EXPECT_EQ(refused.status, 2) << bad;
        EXPECT_NE(refused.err.find(".prom"), std::string::npos) << refused.err;
    }
    EXPECT_EQ(dir.entries(), std::vector<std::string>{"zero-copy.prom"});

    const Finished without_dir = zctrace(with_fixtures({"--name", "zctrace.prom"}));
    EXPECT_EQ(without_dir.status, 2);
    EXPECT_EQ(without_dir.out, "");
    EXPECT_NE(without_dir.err.find("--name requires --textfile-dir"), std::string::npos) << without_dir.err;
}

// Exit 2, a message naming the problem, and no file in `dir`.
void expect_refused(const Finished& done, const std::vector<std::string>& needles, const TempDir& out)
{
    EXPECT_EQ(done.status, 2) << done.err;
    EXPECT_EQ(done.out, "");
    EXPECT_EQ(done.err.rfind("zctrace export: ", 0), 0u) << done.err;
    for (const std::string& needle : needles)
        EXPECT_NE(done.err.find(needle), std::string::npos) << "no \"" << needle << "\" in: " << done.err;
    EXPECT_TRUE(out.entries().empty()) << "something was written";
}

TEST(ExportCliTest, MissingReportFileIsBadInput)
{
    TempDir in, out;
    const std::string missing = (in.path() / "nope.json").string();
    expect_refused(zctrace(export_args({"--textfile-dir", out.path().string(), missing})), {missing, "cannot read"},
                   out);
}

TEST(ExportCliTest, ForeignJsonIsBadInput)
{
    TempDir in, out;
    const fs::path foreign = in.path() / "foreign.json";
    write_text(foreign, R"({"a":1})");
    expect_refused(zctrace(export_args({"--textfile-dir", out.path().string(), foreign.string()})),
                   {foreign.string(), "not a zctrace document"}, out);
    const fs::path broken = in.path() / "broken.json";
    write_text(broken, "{");
    expect_refused(zctrace(export_args({"--textfile-dir", out.path().string(), broken.string()})),
                   {broken.string(), "is not JSON"}, out);
}

TEST(ExportCliTest, ReportFromTheFutureIsBadInput)
{
    TempDir in, out;
    json report = json::parse(read_text(kLoopbackFixtures / "sendfile.json"));
    report["schema_version"] = 99;
    const fs::path future = in.path() / "sendfile.json";
    write_text(future, report.dump());
    expect_refused(zctrace(export_args({"--textfile-dir", out.path().string(), in.path().string()})),
                   {future.string(), "schema_version 99", "upgrade zctrace"}, out);
}

// `zctrace export reports/*.json` names summary.json too: it is skipped with
// a note and the reports are exported; named alone, nothing is left (exit 2).
TEST(ExportCliTest, SkipsOtherZctraceDocumentsNamedWithANote)
{
    TempDir in, out;
    const fs::path report = kLoopbackFixtures / "sendfile.json";
    const fs::path summary = in.path() / "summary.json";
    auto loaded = load_reports({report});
    ASSERT_TRUE(loaded) << loaded.error().describe();
    write_text(summary, json(summarize(*loaded)).dump(2));
    const Finished done = zctrace(export_args({report.string(), summary.string()}));
    ASSERT_EQ(done.status, 0) << done.err;
    EXPECT_NE(done.err.find("zctrace export: skipped " + summary.string() +
                            " is a zctrace summary, not a run or trace report\n"),
              std::string::npos)
        << done.err;
    EXPECT_NE(done.err.find("exported 1 report as "), std::string::npos) << done.err;
    EXPECT_EQ(done.out, zctrace(export_args({report.string()})).out);
    expect_refused(zctrace(export_args({"--textfile-dir", out.path().string(), summary.string()})),
                   {"no reports found"}, out);
}

TEST(ExportCliTest, DirectoryWithoutReportsIsBadInput)
{
    TempDir in, out;
    expect_refused(zctrace(export_args({"--textfile-dir", out.path().string(), in.path().string()})),
                   {"no reports found in " + in.path().string()}, out);
}

TEST(ExportCliTest, MissingOrUnwritableTextfileDirIsBadInput)
{
    TempDir tmp;
    write_text(tmp.path() / "file", "");
    const std::string under_file = (tmp.path() / "file/sub").string();
    const Finished missing = zctrace(with_fixtures({"--textfile-dir", under_file}));
    EXPECT_EQ(missing.status, 2);
    EXPECT_EQ(missing.out, "");
    EXPECT_NE(missing.err.find(under_file + " does not exist; create it"), std::string::npos) << missing.err;

    const std::string not_created = (tmp.path() / "textfile").string();
    EXPECT_EQ(zctrace(with_fixtures({"--textfile-dir", not_created})).status, 2);
    EXPECT_FALSE(fs::exists(not_created)) << "a mistyped directory must not be created";

    const Finished file = zctrace(with_fixtures({"--textfile-dir", (tmp.path() / "file").string()}));
    EXPECT_EQ(file.status, 2);
    EXPECT_NE(file.err.find("is not a directory"), std::string::npos) << file.err;

    // Root can write almost anywhere, but not in /proc.
    const Finished proc = zctrace(with_fixtures({"--textfile-dir", "/proc/self"}));
    EXPECT_EQ(proc.status, 2);
    EXPECT_EQ(proc.out, "");
    EXPECT_NE(proc.err.find("cannot create a file in /proc/self (choose a writable directory with --textfile-dir)"), std::string::npos)
        << proc.err;
}

TEST(ExportCliTest, ReportsGivingTheSameSeriesAreBadInputNamingTheFiles)
{
    TempDir in, out;
    for (const char* sub : {"a", "b"}) {
        fs::create_directory(in.path() / sub);
        fs::copy_file(kLoopbackFixtures / "sendfile.json", in.path() / sub / "sendfile.json");
    }
    const std::string first = (in.path() / "a/sendfile.json").string();
    const std::string second = (in.path() / "b/sendfile.json").string();
    expect_refused(zctrace(export_args({"--textfile-dir", out.path().string(), (in.path() / "a").string(),
                                        (in.path() / "b").string()})),
                   {first + " and " + second, "would give the same series", "export only one"}, out);
}

// ---------------------------------------------------------------- the dashboard

// Labels Prometheus adds when it scrapes node_exporter.
const std::set<std::string> kScrapeLabels = {"instance", "job"};

struct Token {
    enum Kind { identifier, string, other } kind;
    std::string text;
};

std::vector<Token> tokenize_promql(const std::string& expr)
{
    std::vector<Token> tokens;
    for (std::size_t i = 0; i < expr.size();) {
        const char c = expr[i];
        if (std::isspace(static_cast<unsigned char>(c))) {
            ++i;
        } else if (c == '"' || c == '\'' || c == '`') {
            std::string text;
            for (++i; i < expr.size() && expr[i] != c; ++i) {
                if (expr[i] == '\\' && c != '`' && i + 1 < expr.size())
                    ++i;
                text += expr[i];
            }
            ++i;
            tokens.push_back({Token::string, text});
        } else if (c == '#') {
            while (i < expr.size() && expr[i] != '\n')
                ++i;
        } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':') {
            const std::size_t start = i;
            while (i < expr.size() && (std::isalnum(static_cast<unsigned char>(expr[i])) || expr[i] == '_' || expr[i] == ':'))
                ++i;
            tokens.push_back({Token::identifier, expr.substr(start, i - start)});
        } else if (std::isdigit(static_cast<unsigned char>(c)) || c == '$') {
            // Numbers, durations (5m) and Grafana variables ($__rate_interval).
            const std::size_t start = i++;
            while (i < expr.size() && (std::isalnum(static_cast<unsigned char>(expr[i])) || expr[i] == '_' || expr[i] == '.'))
                ++i;
            tokens.push_back({Token::other, expr.substr(start, i - start)});
        } else {
            const std::string two = expr.substr(i, 2);
            const bool pair = two == "=~" || two == "!~" || two == "!=" || two == "==" || two == ">=" || two == "<=";
            tokens.push_back({Token::other, pair ? two : std::string(1, c)});
            i += pair ? 2 : 1;
        }
    }
    return tokens;
}

// What one PromQL expression needs from the metrics it reads.
struct PromqlUse {
    std::map<std::string, std::set<std::string>> metrics;  // zctrace_* metric -> labels in its {...}
    std::set<std::string> labels;   // by, without, on, ignoring, group_*, label_join/replace sources, label_values
    std::set<std::string> created;  // label_join/label_replace destinations
};

PromqlUse analyze_promql(const std::string& expr)
{
    const std::vector<Token> tokens = tokenize_promql(expr);
    const auto is = [&](std::size_t i, const char* text) { return i < tokens.size() && tokens[i].text == text; };
    // The arguments of the call whose "(" is at `open`, as token index ranges.
    const auto arguments = [&](std::size_t open) {
        std::vector<std::pair<std::size_t, std::size_t>> args;
        int depth = 0;
        std::size_t start = open + 1;
        for (std::size_t i = open; i < tokens.size(); ++i) {
            const std::string& t = tokens[i].text;
            if (tokens[i].kind != Token::other)
                continue;
            if (t == "(" || t == "{" || t == "[")
                ++depth;
            else if (t == ")" || t == "}" || t == "]") {
                if (--depth == 0) {
                    args.emplace_back(start, i);
                    break;
                }
            } else if (t == "," && depth == 1) {
                args.emplace_back(start, i);
                start = i + 1;
            }
        }
        return args;
    };
    const auto string_argument = [&](const std::pair<std::size_t, std::size_t>& arg) -> std::optional<std::string> {
        if (arg.second == arg.first + 1 && tokens[arg.first].kind == Token::string)
            return tokens[arg.first].text;
        return std::nullopt;
    };
    static const std::set<std::string> kGrouping = {"by", "without", "on", "ignoring", "group_left", "group_right"};

    PromqlUse use;
    for (std::size_t i = 0; i < tokens.size(); ++i) {
        const Token& token = tokens[i];
        if (token.kind != Token::identifier)
            continue;
        if (token.text.rfind("zctrace_", 0) == 0 && !is(i + 1, "(")) {
            auto& matchers = use.metrics[token.text];
            if (!is(i + 1, "{"))
                continue;
            for (i += 2; i < tokens.size() && !is(i, "}"); ++i)
                if (tokens[i].kind == Token::identifier && i + 1 < tokens.size() &&
                    (is(i + 1, "=") || is(i + 1, "!=") || is(i + 1, "=~") || is(i + 1, "!~")))
                    matchers.insert(tokens[i].text);
        } else if (kGrouping.count(token.text) && is(i + 1, "(")) {
            for (i += 2; i < tokens.size() && !is(i, ")"); ++i)
                if (tokens[i].kind == Token::identifier)
                    use.labels.insert(tokens[i].text);
        } else if ((token.text == "label_join" || token.text == "label_replace") && is(i + 1, "(")) {
            const auto args = arguments(i + 1);
            if (args.size() > 1)
                if (auto destination = string_argument(args[1]))
                    use.created.insert(*destination);
            const std::size_t first_source = 3, last_source = token.text == "label_join" ? args.size() : 4;
            for (std::size_t a = first_source; a < std::min(last_source, args.size()); ++a)
                if (auto source = string_argument(args[a]))
                    use.labels.insert(*source);
        } else if (token.text == "label_values" && is(i + 1, "(")) {
            const auto args = arguments(i + 1);
            if (args.size() == 2 && args[1].second == args[1].first + 1)
                use.labels.insert(tokens[args[1].first].text);
        }
    }
    return use;
}

using Exported = std::map<std::string, std::set<std::string>>;  // metric -> its label names

Exported exported_metrics(const json& families)
{
    Exported exported;
    for (const json& family : families)
        for (const json& sample : family["samples"])
            for (const auto& [label, value] : sample["labels"].items())
                exported[sample["name"]].insert(label);
    return exported;
}

std::vector<std::string> query_problems(const std::string& where, const std::string& expr, const Exported& exported)
{
    std::vector<std::string> problems;
    const PromqlUse use = analyze_promql(expr);
    if (use.metrics.empty())
        problems.push_back(where + ": queries no zctrace metric: " + expr);
    std::set<std::string> available = kScrapeLabels;
    available.insert(use.created.begin(), use.created.end());
    for (const auto& [metric, matchers] : use.metrics) {
        const auto found = exported.find(metric);
        if (found == exported.end()) {
            problems.push_back(where + ": " + metric + " is not exported");
            continue;
        }
        available.insert(found->second.begin(), found->second.end());
        for (const std::string& label : matchers)
            if (!found->second.count(label) && !kScrapeLabels.count(label))
                problems.push_back(where + ": " + metric + " has no label " + label);
    }
    for (const std::string& label : use.labels)
        if (!available.count(label))
            problems.push_back(where + ": no metric of the query has the label " + label + ": " + expr);
    return problems;
}

std::vector<std::string> dashboard_problems(const json& dashboard, const Exported& exported)
{
    std::vector<std::string> problems;
    const auto add = [&](std::vector<std::string> more) { problems.insert(problems.end(), more.begin(), more.end()); };
    std::function<void(const json&)> walk = [&](const json& panels) {
        for (const json& panel : panels) {
            const std::string where = "panel \"" + panel.value("title", std::string("?")) + "\"";
            for (const json& target : panel.value("targets", json::array()))
                add(query_problems(where, target.value("expr", std::string()), exported));
            walk(panel.value("panels", json::array()));
        }
    };
    walk(dashboard.value("panels", json::array()));
    for (const json& variable : dashboard["templating"].value("list", json::array())) {
        if (variable.value("type", std::string()) != "query")
            continue;
        const json& query = variable["query"];
        add(query_problems("variable $" + variable.value("name", std::string("?")),
                           query.is_object() ? query.value("query", std::string()) : query.get<std::string>(),
                           exported));
    }
    return problems;
}

json load_dashboard()
{
    return json::parse(read_text(kDashboard));
}

// Every panel, rows' nested panels included.
std::vector<json> all_panels(const json& panels)
{
    std::vector<json> found;
    for (const json& panel : panels) {
        found.push_back(panel);
        const auto nested = all_panels(panel.value("panels", json::array()));
        found.insert(found.end(), nested.begin(), nested.end());
    }
    return found;
}

TEST(DashboardQueryCheckTest, FindsMetricsLabelsAndGroupings)
{
    const PromqlUse use = analyze_promql(
        R"q(max by (run, path) (label_join(zctrace_cpu_copy_bytes{technique=~"$technique",sg!="by (x)"}, "run", )q"
        R"q("/", "technique", "network")) * ignoring (kernel) group_left (tool) zctrace_report_info)q");
    EXPECT_EQ(use.metrics, (std::map<std::string, std::set<std::string>>{
                               {"zctrace_cpu_copy_bytes", {"technique", "sg"}}, {"zctrace_report_info", {}}}));
    EXPECT_EQ(use.labels, (std::set<std::string>{"run", "path", "technique", "network", "kernel", "tool"}));
    EXPECT_EQ(use.created, std::set<std::string>{"run"});

    const PromqlUse variable = analyze_promql(R"(label_values(zctrace_report_info{instance=~"$instance"}, technique))");
    EXPECT_EQ(variable.metrics.at("zctrace_report_info"), std::set<std::string>{"instance"});
    EXPECT_EQ(variable.labels, std::set<std::string>{"technique"});
}

TEST(DashboardQueryCheckTest, CatchesUnknownMetricsAndLabels)
{
    const Exported exported = exported_metrics(fixtures_parsed());
    EXPECT_TRUE(query_problems("q", R"(sum by (technique) (zctrace_cpu_copies{sg="on",instance=~".*"}))", exported).empty());

    const auto wrong_metric = query_problems("q", R"(zctrace_cpu_copys{technique="sendfile"})", exported);
    ASSERT_EQ(wrong_metric.size(), 1u);
    EXPECT_EQ(wrong_metric.front(), "q: zctrace_cpu_copys is not exported");
    const auto wrong_matcher = query_problems("q", R"(zctrace_cpu_copies{tecnique="sendfile"})", exported);
    ASSERT_EQ(wrong_matcher.size(), 1u);
    EXPECT_EQ(wrong_matcher.front(), "q: zctrace_cpu_copies has no label tecnique");
    EXPECT_EQ(query_problems("q", "sum by (path) (zctrace_cpu_copies)", exported).size(), 1u);
    EXPECT_EQ(query_problems("q", R"(label_values(zctrace_cpu_copies, syscall))", exported).size(), 1u);
    EXPECT_EQ(query_problems("q", "node_load1", exported).size(), 1u);

    json dashboard = {{"panels", json::array({{{"type", "row"}, {"title", "row"},
                                               {"panels", json::array({{{"title", "nested"},
                                                                        {"targets", json::array({{{"expr", "zctrace_nope"}}})}}})}}})},
                      {"templating", {{"list", json::array({{{"type", "query"}, {"name", "v"},
                                                             {"query", {{"query", "label_values(zctrace_cpu_copies, nope)"}}}}})}}}};
    const auto problems = dashboard_problems(dashboard, exported);
    ASSERT_EQ(problems.size(), 2u);
    EXPECT_EQ(problems[0], "panel \"nested\": zctrace_nope is not exported");
    EXPECT_NE(problems[1].find("variable $v: no metric of the query has the label nope"), std::string::npos);
}

TEST(DashboardTest, QueriesOnlyMetricsAndLabelsTheExportHas)
{
    const json dashboard = load_dashboard();
    const Exported exported = exported_metrics(fixtures_parsed());
    for (const std::string& problem : dashboard_problems(dashboard, exported))
        ADD_FAILURE() << problem;

    // And it shows what is exported, but for what other panels already say.
    const std::set<std::string> not_on_the_dashboard = {
        "zctrace_mode_switches",            // per transfer, against theory, is the figure that matters
        "zctrace_socket_retransmit_bytes",  // resent payload is already in the skb layout panel
        // how far the BPF run time panel's figure can be off, which a table
        // cell cannot show beside it; the report and the terminal do
        "zctrace_bpf_run_standard_error_seconds",
    };
    std::set<std::string> queried;
    for (const json& panel : all_panels(dashboard["panels"]))
        for (const json& target : panel.value("targets", json::array()))
            for (const auto& [metric, labels] : analyze_promql(target["expr"]).metrics)
                queried.insert(metric);
    for (const auto& [metric, labels] : exported)
        EXPECT_TRUE(queried.count(metric) || not_on_the_dashboard.count(metric)) << metric << " is on no panel";
}

TEST(DashboardTest, IsAGrafanaDashboardOnAPrometheusDatasourceVariable)
{
    const json dashboard = load_dashboard();
    EXPECT_GE(dashboard["schemaVersion"].get<int>(), 36);
    EXPECT_FALSE(dashboard["title"].get<std::string>().empty());
    EXPECT_EQ(dashboard["uid"], "zctrace");
    EXPECT_TRUE(dashboard["id"].is_null()) << "an id ties the dashboard to one Grafana database";

    const json& variables = dashboard["templating"]["list"];
    ASSERT_FALSE(variables.empty());
    EXPECT_EQ(variables[0]["type"], "datasource");
    EXPECT_EQ(variables[0]["query"], "prometheus");
    std::set<std::string> names;
    for (const json& variable : variables) {
        names.insert(variable["name"]);
        if (variable["type"] == "query") {
            EXPECT_EQ(variable["datasource"]["uid"], "${" + variables[0]["name"].get<std::string>() + "}");
        }
    }
    for (const char* name : {"technique", "network", "sg", "cache"})
        EXPECT_TRUE(names.count(name)) << "no $" << name << " variable";

    std::set<int> ids;
    for (const json& panel : all_panels(dashboard["panels"])) {
        const std::string title = panel.value("title", std::string());
        EXPECT_FALSE(title.empty()) << panel.dump();
        EXPECT_TRUE(ids.insert(panel["id"].get<int>()).second) << "duplicate id in " << title;
        for (const char* key : {"h", "w", "x", "y"})
            EXPECT_TRUE(panel["gridPos"].contains(key)) << title;
        if (panel["type"] == "row")
            continue;
        EXPECT_EQ(panel["datasource"]["uid"], "${datasource}") << title;
        EXPECT_FALSE(panel["fieldConfig"]["defaults"].value("unit", std::string()).empty()) << title << " has no unit";
        EXPECT_FALSE(panel["targets"].empty()) << title;
        for (const json& target : panel["targets"])
            EXPECT_EQ(target["datasource"]["uid"], "${datasource}") << title;
        if (panel["type"] == "barchart") {
            EXPECT_FALSE(panel["fieldConfig"]["defaults"]["custom"].value("axisLabel", std::string()).empty())
                << title << " has no axis label";
        }
        // Every selector follows the dashboard's variables.
        for (const json& target : panel["targets"])
            for (const auto& [metric, labels] : analyze_promql(target["expr"]).metrics)
                EXPECT_TRUE(labels.count("technique") && labels.count("sg")) << title << ": " << metric;
    }
}

}  // namespace
}  // namespace zctrace::output_test

// ---------------------------------------------------------------- traces

namespace zctrace::output_test {
namespace {

const fs::path kTraces = kSourceDir / "tests/data/traces";

// One trace of nginx, sendfile on, together with every run fixture: one
// exposition, accepted by promtool, with the trace's series labelled by
// target (comm, not pid) and its flows and processes.
TEST(TraceExportTest, TraceReportsExportBesideRunReportsWithTheirOwnLabels)
{
    std::vector<std::string> args = {"export", (kTraces / "nginx-sendfile-on.json").string()};
    args.insert(args.end(), kFixtureDirs.begin(), kFixtureDirs.end());
    const Finished done = zctrace(args);
    ASSERT_EQ(done.status, 0) << done.err;
    EXPECT_NE(done.err.find("exported 11 reports as "), std::string::npos) << done.err;
    const Finished checked = run_program("/usr/bin/promtool", {"check", "metrics"}, done.out);
    EXPECT_EQ(checked.status, 0) << checked.out << checked.err;
    EXPECT_EQ(checked.err, "");
    const json trace = json::parse(read_text(kTraces / "nginx-sendfile-on.json"));
    const std::string labels = R"({target="nginx",target_kind="pids")";
    EXPECT_NE(done.out.find("zctrace_trace_sent_bytes" + labels + "} " +
                            std::to_string(trace["totals"]["bytes_sent"].get<std::uint64_t>()) + "\n"),
              std::string::npos)
        << done.out;
    EXPECT_NE(done.out.find("zctrace_trace_flow_bytes" + labels +
                            R"(,flow="sendfile",theory_row="sendfile_dma_gather"} 67108864)" "\n"),
              std::string::npos);
    EXPECT_NE(done.out.find("zctrace_trace_flow_verdict" + labels +
                            R"(,flow="sendfile",theory_row="sendfile_dma_gather",verdict="match"} 1)" "\n"),
              std::string::npos);
    EXPECT_NE(done.out.find("zctrace_trace_process_sent_bytes" + labels + R"(,comm="nginx"} )"), std::string::npos);
    EXPECT_EQ(done.out.find("pid=\""), std::string::npos) << "pids are not labels";
    EXPECT_TRUE(done.out.ends_with("\n# EOF\n"));
    // The run fixtures' text is unchanged by a trace beside them.
    EXPECT_NE(done.out.find(fixtures_text().substr(0, fixtures_text().size() - 6)), std::string::npos);
}

TEST(TraceExportTest, TwoTracesOfOneTargetAreRefusedNamingBoth)
{
    const Finished done = zctrace({"export", kTraces.string()});
    EXPECT_EQ(done.status, 2);
    EXPECT_NE(done.err.find("nginx-sendfile-off.json and "), std::string::npos) << done.err;
    EXPECT_NE(done.err.find("would give the same series {target=\"nginx\",target_kind=\"pids\"}"), std::string::npos)
        << done.err;
}

}  // namespace
}  // namespace zctrace::output_test
