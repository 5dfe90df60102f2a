// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// `zctrace diff` and `zctrace validate`, from the report fixtures: golden
// output for SG on against off, the JSON against its schema, and every kind
// of bad input each command meets in a pipeline.
#include "support.hpp"
#include "base/units.hpp"
#include "output/json_schema.hpp"
#include "output/report_diff.hpp"
#include "output/summary.hpp"
#include "report/gather_report.hpp"
#include "report/interval_sample.hpp"

#include <algorithm>
#include <functional>
#include <map>
#include <utility>

namespace zctrace::output_test {
namespace {

using nlohmann::json;

const fs::path kSgOn = kFixtures / "veth-sg-on/sendfile.json";
const fs::path kSgOff = kFixtures / "veth-sg-off/sendfile.json";
// How the goldens name the fixtures: relative, so they do not depend on
// where the source tree is checked out.
const std::string kSgOnName = "tests/data/reports/veth-sg-on/sendfile.json";
const std::string kSgOffName = "tests/data/reports/veth-sg-off/sendfile.json";

Report load(const fs::path& path)
{
    auto report = load_report(path);
    if (!report)
        throw std::runtime_error(report.error().describe());
    return *report;
}

ReportDiff sg_diff()
{
    return diff_reports(load(kSgOn), load(kSgOff), kSgOnName, kSgOffName);
}

json read_json(const fs::path& path)
{
    return json::parse(read_text(path));
}

// The CLI is given absolute paths; the goldens have relative ones.
std::string relative_paths(std::string text)
{
    const std::string prefix = kSourceDir.string() + "/";
    for (auto at = text.find(prefix); at != std::string::npos; at = text.find(prefix, at))
        text.erase(at, prefix.size());
    return text;
}

const json* find_metric(const json& diff, const std::string& name)
{
    for (const json& metric : diff.at("metrics"))
        if (metric.at("metric") == name)
            return &metric;
    return nullptr;
}

const json* find_environment(const json& diff, const std::string& field)
{
    for (const json& difference : diff.at("environment"))
        if (difference.at("field") == field)
            return &difference;
    return nullptr;
}

// The numeric leaves `--all` must list, counted independently of
// report_diff.cpp's flattening: every number under the four sections.
// The JSON pointers of every number under node. Arrays of objects are
// compared by position here, which is enough for two runs of one technique
// on one device.
void numeric_leaves(const json& node, const std::string& where, std::set<std::string>& out)
{
    if (node.is_number()) {
        out.insert(where);
        return;
    }
    if (node.is_object())
        for (const auto& [key, value] : node.items())
            numeric_leaves(value, where + "/" + key, out);
    if (node.is_array())
        for (std::size_t i = 0; i < node.size(); ++i)
            numeric_leaves(node[i], where + "/" + std::to_string(i), out);
}

// "report v1": how `validate` names a fixture, by the schema_version it
// has (the fixtures will be recaptured as version 2 reports).
std::string report_version(const fs::path& fixture)
{
    return "report v" + std::to_string(read_json(fixture).at("schema_version").get<int>());
}

// The SG on and off fixtures as version 2 reports would carry them: a
// headline, the rows, each check's expected value, and the finer verdicts.
std::pair<Report, Report> as_version_2(Report on, Report off)
{
    for (Report* report : {&on, &off}) {
        report->schema_version = 2;
        for (Check& check : report->checks) {
            check.expected = check.theory.value_or(check.measured);
            check.expected_from = check.theory ? "theory" : "workload";
            check.summary = check.metric + ": as expected";
        }
    }
    on.headline = "sendfile: zero-copy — the CPU copied 0 B of 64 MiB, as \"sendfile + DMA gather\" says";
    on.theory_row_selection.expected = "sendfile_dma_gather";
    on.theory_row_selection.measured = "sendfile_dma_gather";
    on.environment.egress = {"zc1t", true, true, "ethtool before the run", true};
    off.headline = "sendfile: INVALID — integrity: 0 B arrived; no figure of this run can be trusted";
    off.theory_row_selection.expected = "sendfile";
    off.theory_row_selection.measured.reset();
    off.environment.egress = {"zc2t", false, true, "ethtool before the run", true};
    for (Check& check : on.checks)
        if (check.metric == "dma_copies")
            check.verdict = Verdict::environment;
    for (Check& check : off.checks) {
        if (check.metric == "integrity")
            check.verdict = Verdict::invalid;
        if (check.metric == "syscalls_per_transfer")
            check.verdict = Verdict::no_theory;
    }
    on.verdict = Verdict::match;
    off.verdict = Verdict::invalid;
    return {on, off};
}

// A fixture copy with one edit, in `dir`.
fs::path edited_fixture(const TempDir& dir, const std::string& name, const std::function<void(json&)>& edit,
                        const fs::path& fixture = kSgOn)
{
    json document = read_json(fixture);
    edit(document);
    const fs::path path = dir.path() / name;
    write_text(path, document.dump(2) + "\n");
    return path;
}

// ---- diff ----

TEST(DiffGolden, SgOnVsOffTable)
{
    expect_golden(render_diff_table(sg_diff(), false), "diff-veth-sg-on-vs-off.txt");
}

TEST(DiffGolden, SgOnVsOffJson)
{
    expect_golden(diff_to_json(sg_diff(), false).dump(2) + "\n", "diff-veth-sg-on-vs-off.json");
}

TEST(DiffGolden, SgOnVsOffTableAll)
{
    expect_golden(render_diff_table(sg_diff(), true), "diff-veth-sg-on-vs-off-all.txt");
}

TEST(DiffJson, SgOnVsOffCarriesTheFixturesFigures)
{
    const json diff = diff_to_json(sg_diff(), false);
    const json on = read_json(kSgOn);
    const json off = read_json(kSgOff);

    const json* copies = find_metric(diff, "measured.cpu_copies");
    ASSERT_NE(copies, nullptr);
    EXPECT_EQ(copies->at("a"), on["measured"]["cpu_copies"]);
    EXPECT_EQ(copies->at("b"), off["measured"]["cpu_copies"]);
    EXPECT_EQ(copies->at("a").get<double>(), 0.0);
    EXPECT_EQ(copies->at("b").get<double>(), 1.0);
    EXPECT_EQ(copies->at("delta").get<double>(), 1.0);
    EXPECT_TRUE(copies->at("ratio").is_null()) << "b / a is undefined when a is 0";

    // Where the copy went: linearized at xmit, an exact byte count.
    const json* linearize = find_metric(diff, "measured.cpu_copy_bytes.device_linearize");
    ASSERT_NE(linearize, nullptr);
    EXPECT_EQ(linearize->at("a"), 0);
    EXPECT_EQ(linearize->at("b"), off["measured"]["cpu_copy_bytes"]["device_linearize"]);
    EXPECT_TRUE(linearize->at("delta").is_number_integer());
    EXPECT_EQ(linearize->at("delta").get<std::int64_t>(), off["workload"]["bytes"].get<std::int64_t>());

    // Frags moved from shared page-cache pages to the linear area.
    const json* shared = find_metric(diff, "measured.socket.shared_frag_bytes");
    ASSERT_NE(shared, nullptr);
    EXPECT_EQ(shared->at("a"), on["measured"]["socket"]["shared_frag_bytes"]);
    EXPECT_EQ(shared->at("b"), 0);
    EXPECT_DOUBLE_EQ(shared->at("ratio").get<double>(), 0.0);

    // The two veth ends have different names but are the same egress.
    const json* egress = find_metric(diff, "measured.socket.devices[egress].linear_payload_bytes");
    ASSERT_NE(egress, nullptr);
    EXPECT_EQ(egress->at("b"), off["measured"]["socket"]["devices"][0]["linear_payload_bytes"]);

    EXPECT_EQ(diff["a"]["theory_row"], "sendfile + DMA gather");
    EXPECT_EQ(diff["b"]["theory_row"], "sendfile");
    EXPECT_EQ(diff["a"]["path"], kSgOnName);
    EXPECT_EQ(diff["a"]["verdict"], on["verdict"]);
    EXPECT_EQ(diff["b"]["verdict"], off["verdict"]);

    const json* sg = find_environment(diff, "device_sg");
    ASSERT_NE(sg, nullptr) << diff["environment"].dump();
    EXPECT_EQ(sg->at("a"), true);
    EXPECT_EQ(sg->at("b"), false);
    // Same kernel, machine and cache: not listed.
    EXPECT_EQ(find_environment(diff, "kernel"), nullptr);
    EXPECT_EQ(find_environment(diff, "cache"), nullptr);
    EXPECT_EQ(find_environment(diff, "payload_bytes"), nullptr);

    const auto check = std::find_if(diff["checks"].begin(), diff["checks"].end(),
                                    [](const json& c) { return c["metric"] == "cpu_copies"; });
    ASSERT_NE(check, diff["checks"].end());
    EXPECT_TRUE((*check)["changed"].get<bool>());
    EXPECT_EQ((*check)["a"]["theory"], 0.0);
    EXPECT_EQ((*check)["b"]["theory"], 1.0);

    // Timing noise per BPF program stays out of the default view.
    for (const json& metric : diff["metrics"])
        EXPECT_TRUE(metric["metric"].get<std::string>().rfind("overhead.programs", 0) != 0) << metric.dump();
    EXPECT_GT(diff["hidden_metrics"].get<int>(), 0);
}

TEST(DiffJson, MatchesItsSchemaAndIsIdentifiedAsADiff)
{
    for (bool all : {false, true}) {
        const json diff = diff_to_json(sg_diff(), all);
        EXPECT_EQ(diff_schema().validate(diff), std::vector<std::string>{}) << "all=" << all;
        auto document = identify_document(diff, "diff.json");
        ASSERT_TRUE(document) << document.error().describe();
        EXPECT_EQ(document->kind, DocumentKind::diff);
    }
}

TEST(DiffJson, SchemaRejectsWhatTheWriterNeverWrites)
{
    const json good = diff_to_json(sg_diff(), false);
    json extra = good;
    extra["metrics"][0]["unit"] = "bytes";
    EXPECT_FALSE(diff_schema().validate(extra).empty()) << "additionalProperties";
    json no_delta = good;
    no_delta["metrics"][0]["delta"] = nullptr;  // a and b are both numbers
    EXPECT_FALSE(diff_schema().validate(no_delta).empty());
    json field = good;
    field["environment"][0]["field"] = "weather";
    EXPECT_FALSE(diff_schema().validate(field).empty());
    json hidden = diff_to_json(sg_diff(), true);
    hidden["hidden_metrics"] = 3;
    EXPECT_FALSE(diff_schema().validate(hidden).empty()) << "--all hides nothing";
}

TEST(DiffJson, AllListsEveryNumericLeaf)
{
    const json diff = diff_to_json(sg_diff(), true);
    // Every number of either side, once, as zctrace reads the fixtures
    // (fields newer than them at their defaults): the TCP counters that
    // moved differ between the two runs.
    std::set<std::string> leaves;
    for (const fs::path& fixture : {kSgOn, kSgOff}) {
        const json report = load(fixture);
        for (const char* section : {"measured", "workload", "overhead", "comparison"})
            numeric_leaves(report[section], section, leaves);
    }
    EXPECT_EQ(diff["metrics"].size(), leaves.size());
    EXPECT_EQ(diff["hidden_metrics"], 0);
    EXPECT_NE(find_metric(diff, "overhead.programs[net/net_dev_start_xmit].run_ns"), nullptr);
    EXPECT_NE(find_metric(diff, "measured.syscalls.by_name.sendfile"), nullptr);
    EXPECT_NE(find_metric(diff, "workload.integrity.bytes_expected"), nullptr);
    for (const json& metric : diff["metrics"])
        EXPECT_EQ(metric["metric"].get<std::string>().find("zc52"), std::string::npos)
            << "veth names must not key metrics: " << metric.dump();
}

TEST(DiffReport, SameReportHasNoDifferences)
{
    const Report report = load(kSgOn);
    const ReportDiff diff = diff_reports(report, report, "a.json", "a.json");
    EXPECT_TRUE(diff.environment.empty());
    EXPECT_TRUE(diff.notes.empty());
    for (const MetricDiff& metric : diff.metrics) {
        EXPECT_FALSE(metric.changed()) << metric.metric;
        if (metric.delta.is_number()) {
            EXPECT_EQ(metric.delta.get<double>(), 0.0) << metric.metric;
        }
    }
    for (const CheckDiff& check : diff.checks)
        EXPECT_FALSE(check.changed()) << check.metric;
    const std::string table = render_diff_table(diff, false);
    EXPECT_NE(table.find("environment: the same"), std::string::npos) << table;
    EXPECT_NE(table.find("checks: 0 of " + std::to_string(report.checks.size()) + " changed"), std::string::npos)
        << table;
}

// Version 2 reports: the sides carry the headline and the rows, the checks
// their expected values and any of the six verdicts, and the JSON says so
// within its schema.
TEST(DiffVersion2, SidesCarryTheHeadlineAndTheExpectedRow)
{
    const auto [on, off] = as_version_2(load(kSgOn), load(kSgOff));
    const ReportDiff diff = diff_reports(on, off, "on.json", "off.json");
    const json out = diff_to_json(diff, false);
    EXPECT_EQ(diff_schema().validate(out), std::vector<std::string>{});
    EXPECT_EQ(out["schema_version"], kDiffSchemaVersion);
    EXPECT_EQ(out["a"]["headline"], on.headline);
    EXPECT_EQ(out["b"]["headline"], off.headline);
    EXPECT_EQ(out["a"]["expected_row"], "sendfile_dma_gather");
    EXPECT_EQ(out["b"]["expected_row"], "sendfile");
    EXPECT_EQ(out["a"]["measured_row"], "sendfile_dma_gather");
    EXPECT_TRUE(out["b"]["measured_row"].is_null());
    EXPECT_EQ(out["a"]["report_schema_version"], 2);
    EXPECT_EQ(out["a"]["verdict"], "match");
    EXPECT_EQ(out["b"]["verdict"], "invalid");

    std::map<std::string, json> checks;
    for (const json& check : out["checks"])
        checks[check["metric"]] = check;
    EXPECT_EQ(checks.at("dma_copies")["a"]["verdict"], "environment");
    EXPECT_EQ(checks.at("integrity")["b"]["verdict"], "invalid");
    EXPECT_EQ(checks.at("syscalls_per_transfer")["b"]["verdict"], "no_theory");
    EXPECT_EQ(checks.at("cpu_copies")["a"]["expected"], 0.0);
    EXPECT_EQ(checks.at("cpu_copies")["b"]["expected"], 1.0);
    EXPECT_EQ(checks.at("cpu_copies")["b"]["expected_from"], "theory");
    EXPECT_TRUE(checks.at("integrity")["changed"].get<bool>());

    // What the egress device could do, read before each run, differs too.
    const json* sg = find_environment(out, "egress_sg");
    ASSERT_NE(sg, nullptr) << out["environment"].dump();
    EXPECT_EQ(sg->at("a"), true);
    EXPECT_EQ(sg->at("b"), false);
    EXPECT_EQ(find_environment(out, "egress_tx_checksum"), nullptr) << "the same on both sides";

    const std::string table = render_diff_table(diff, true);
    EXPECT_NE(table.find("  A: " + on.headline + "\n  B: " + off.headline + "\n"), std::string::npos) << table;
    EXPECT_NE(table.find("expected row"), std::string::npos) << table;
    EXPECT_NE(table.find("sendfile_dma_gather"), std::string::npos) << table;
    EXPECT_NE(table.find("expected A → B"), std::string::npos) << table;
    EXPECT_NE(table.find("match → invalid"), std::string::npos) << table;
    EXPECT_NE(table.find("zctrace holds sendfile to the theory row its egress device calls for"), std::string::npos)
        << table;
}

// A version 1 report beside a version 2 one: nothing is made up for the
// older side, and the notes say why its verdicts are coarser.
TEST(DiffVersion2, AVersion1SideHasNoHeadlineOrExpectedValues)
{
    const Report v1 = load(kSgOn);
    ASSERT_EQ(v1.schema_version, read_json(kSgOn)["schema_version"].get<int>());
    const Report v2 = as_version_2(load(kSgOn), load(kSgOff)).second;
    const ReportDiff diff = diff_reports(v1, v2, "a.json", "b.json");
    const json out = diff_to_json(diff, false);
    EXPECT_EQ(diff_schema().validate(out), std::vector<std::string>{});
    if (v1.schema_version == 1) {
        EXPECT_EQ(out["a"]["headline"], "");
        EXPECT_EQ(out["a"]["expected_row"], "");
        for (const json& check : out["checks"])
            if (check["a"].is_object()) {
                EXPECT_TRUE(check["a"]["expected"].is_null()) << check.dump();
                EXPECT_TRUE(check["a"]["expected_from"].is_null()) << check.dump();
            }
        bool noted = false;
        for (const std::string& note : diff.notes)
            noted |= note.find("A is a version 1 report and B a version 2 one") != std::string::npos;
        EXPECT_TRUE(noted) << json(diff.notes).dump(2);
        const std::string table = render_diff_table(diff, false);
        EXPECT_NE(table.find("  A: (a version 1 report: no headline)\n"), std::string::npos) << table;
    }
}

// Diffs an earlier zctrace wrote still validate, each against its own version.
TEST(DiffVersion2, Version1DiffsStillValidate)
{
    json v1 = diff_to_json(sg_diff(), false);
    v1["schema_version"] = 1;
    for (const char* side : {"a", "b"})
        for (const char* field : {"report_schema_version", "headline", "expected_row", "measured_row"})
            v1[side].erase(field);
    // What version 1 could not say: the verdicts and environment fields
    // that came with version 2.
    for (json& metric : v1["metrics"])
        metric.erase("within_noise");
    for (json& check : v1["checks"])
        for (const char* side : {"a", "b"})
            if (check[side].is_object()) {
                check[side].erase("expected");
                check[side].erase("expected_from");
                const std::string verdict = check[side]["verdict"];
                if (verdict != "match" && verdict != "mismatch")
                    check[side]["verdict"] = "explained";
            }
    json environment = json::array();
    for (const json& difference : v1["environment"])
        if (difference["field"].get<std::string>().rfind("egress_", 0) != 0)
            environment.push_back(difference);
    v1["environment"] = environment;
    EXPECT_EQ((*find_schema("diff", 1)).validate(v1), std::vector<std::string>{});
    auto identified = identify_document(v1, "old.diff.json");
    ASSERT_TRUE(identified) << identified.error().describe();
    EXPECT_EQ(identified->kind, DocumentKind::diff);

    json claims_v1 = diff_to_json(sg_diff(), false);
    claims_v1["schema_version"] = 1;
    auto rejected = identify_document(claims_v1, "mixed.json");
    ASSERT_FALSE(rejected);
    EXPECT_NE(rejected.error().message.find("diff schema (v1)"), std::string::npos) << rejected.error().message;
    json claims_v2 = v1;
    claims_v2["schema_version"] = 2;
    rejected = identify_document(claims_v2, "mixed.json");
    ASSERT_FALSE(rejected);
    EXPECT_NE(rejected.error().message.find("diff schema (v2)"), std::string::npos) << rejected.error().message;

    // The verdicts: a check's six in version 2, a run's four; version 1 knew three.
    json v2 = diff_to_json(sg_diff(), false);
    v2["checks"][0]["a"]["verdict"] = "no_theory";
    v2["a"]["verdict"] = "invalid";
    EXPECT_EQ(diff_schema().validate(v2), std::vector<std::string>{});
    v2["a"]["verdict"] = "no_theory";
    EXPECT_FALSE(diff_schema().validate(v2).empty()) << "a run's verdict is never no_theory";
    v1["checks"][0]["a"]["verdict"] = "no_theory";
    EXPECT_FALSE((*find_schema("diff", 1)).validate(v1).empty());
}

TEST(DiffReport, NotesPayloadsOfDifferentSizes)
{
    const Report a = load(kSgOn);
    Report b = a;
    b.workload.bytes *= 2;
    b.workload.chunk_bytes *= 4;
    const ReportDiff diff = diff_reports(a, b, "a.json", "b.json");
    const std::string notes = [&] {
        std::string all;
        for (const std::string& note : diff.notes)
            all += note + "\n";
        return all;
    }();
    EXPECT_NE(notes.find("A moved " + format_bytes(a.workload.bytes) + " and B " + format_bytes(b.workload.bytes)),
              std::string::npos)
        << notes;
    EXPECT_NE(notes.find("A transfers 64 KiB and B 256 KiB at a time"), std::string::npos) << notes;
    const json out = diff_to_json(diff, false);
    const json* payload = find_environment(out, "payload_bytes");
    ASSERT_NE(payload, nullptr);
    EXPECT_EQ(payload->at("a"), a.workload.bytes);
    EXPECT_EQ(payload->at("b"), b.workload.bytes);
    EXPECT_NE(find_environment(out, "chunk_bytes"), nullptr);
}

const MetricDiff& metric_of(const ReportDiff& diff, const std::string& name)
{
    for (const MetricDiff& metric : diff.metrics)
        if (metric.metric == name)
            return metric;
    throw std::runtime_error("no metric " + name);
}

// A timed difference is noise when either run was too short to time, or
// when it is within the spread of --repeat runs; a count never is.
TEST(DiffReport, TimedDifferencesWithinTheNoiseAreMarked)
{
    const Report a = load(kSgOn);
    Report b = a;
    b.workload.wall_seconds *= 1.4;
    b.workload.mib_per_second /= 1.4;
    b.measured.syscalls.total += 1;
    ASSERT_FALSE(a.workload.timings_are_noise()) << "the fixture is 256 MiB over " << a.workload.wall_seconds << " s";

    const ReportDiff timed = diff_reports(a, b, "a.json", "b.json");
    EXPECT_TRUE(metric_of(timed, "workload.wall_seconds").changed());
    EXPECT_FALSE(metric_of(timed, "workload.wall_seconds").within_noise) << "both runs were long enough to time";
    EXPECT_FALSE(metric_of(timed, "measured.syscalls.total").within_noise);

    Report short_run = b;
    short_run.workload.wall_seconds = 0.005;
    const ReportDiff with_short = diff_reports(a, short_run, "a.json", "b.json");
    EXPECT_TRUE(metric_of(with_short, "workload.wall_seconds").within_noise) << "a 5 ms window is noise";
    EXPECT_FALSE(metric_of(with_short, "measured.syscalls.total").within_noise) << "a count is never noise";
    const std::string table = render_diff_table(with_short, false);
    const std::size_t row = table.find("workload.wall_seconds");
    ASSERT_NE(row, std::string::npos) << table;
    EXPECT_NE(table.substr(row, table.find('\n', row) - row).find("(noise)"), std::string::npos) << table;
    const json with_short_json = diff_to_json(with_short, true);
    const json* wall = find_metric(with_short_json, "workload.wall_seconds");
    ASSERT_NE(wall, nullptr);
    EXPECT_EQ(wall->at("within_noise"), true);

    const double delta = b.workload.wall_seconds - a.workload.wall_seconds;
    Report repeated_a = a, repeated_b = b;
    repeated_a.workload.repeats = RepeatStats{5, {{"workload.wall_seconds", {a.workload.wall_seconds,
                                                                               a.workload.wall_seconds - delta / 2,
                                                                               a.workload.wall_seconds + delta / 2}}},
                                              {}, {}};
    repeated_b.workload.repeats = repeated_a.workload.repeats;
    EXPECT_TRUE(metric_of(diff_reports(repeated_a, repeated_b, "a", "b"), "workload.wall_seconds").within_noise)
        << "the two spreads add up to the difference";
    repeated_a.workload.repeats->timed["workload.wall_seconds"].max = a.workload.wall_seconds + delta / 8;
    repeated_a.workload.repeats->timed["workload.wall_seconds"].min = a.workload.wall_seconds - delta / 8;
    repeated_b.workload.repeats = repeated_a.workload.repeats;
    EXPECT_FALSE(metric_of(diff_reports(repeated_a, repeated_b, "a", "b"), "workload.wall_seconds").within_noise)
        << "a difference twice the spreads is not noise";
}

TEST(DiffReport, NotesFailedIntegrityAndMissedEvents)
{
    const Report a = load(kSgOn);
    Report b = a;
    b.workload.integrity.ok = false;
    b.overhead.missed_events = 7;
    const ReportDiff diff = diff_reports(a, b, "a.json", "b.json");
    ASSERT_EQ(diff.notes.size(), 2u);
    EXPECT_NE(diff.notes[0].find("B's integrity check failed"), std::string::npos) << diff.notes[0];
    EXPECT_NE(diff.notes[1].find("B's probes missed 7 events"), std::string::npos) << diff.notes[1];
}

TEST(DiffReport, DifferentTechniquesPairWhatTheyShare)
{
    const Report read_write = load(kLoopbackFixtures / "read_write.json");
    const ReportDiff diff = diff_reports(read_write, load(kLoopbackFixtures / "mmap_write.json"), "rw.json",
                                         "mmap.json");
    const json out = diff_to_json(diff, false);
    EXPECT_EQ(diff_schema().validate(out), std::vector<std::string>{});
    const json* read = find_metric(out, "measured.syscalls.by_name.read");
    ASSERT_NE(read, nullptr);
    EXPECT_EQ(read->at("a"), read_write.measured.syscalls.by_name.at("read"));
    EXPECT_TRUE(read->at("b").is_null());
    EXPECT_TRUE(read->at("delta").is_null());
    const json* mapped = find_metric(out, "measured.mmap.mapped_bytes");
    ASSERT_NE(mapped, nullptr) << "mmap_write's own figures are only in B";
    EXPECT_TRUE(mapped->at("a").is_null());
    EXPECT_FALSE(diff.notes.empty());
    EXPECT_NE(diff.notes[0].find("A traces read_write and B mmap_write"), std::string::npos) << diff.notes[0];
    const std::string table = render_diff_table(diff, false);
    EXPECT_NE(table.find("only in A"), std::string::npos) << table;
    EXPECT_NE(table.find("only in B"), std::string::npos) << table;
}

TEST(DiffCli, TableAndJsonMatchTheGoldens)
{
    const Finished table = zctrace({"diff", kSgOn.string(), kSgOff.string()});
    EXPECT_EQ(table.status, 0) << table.err;
    EXPECT_EQ(table.err, "");
    expect_golden(relative_paths(table.out), "diff-veth-sg-on-vs-off.txt");

    const Finished json_out = zctrace({"diff", kSgOn.string(), kSgOff.string(), "--format", "json"});
    EXPECT_EQ(json_out.status, 0) << json_out.err;
    expect_golden(relative_paths(json_out.out), "diff-veth-sg-on-vs-off.json");

    const Finished all = zctrace({"diff", "--all", kSgOn.string(), kSgOff.string()});
    EXPECT_EQ(all.status, 0) << all.err;
    expect_golden(relative_paths(all.out), "diff-veth-sg-on-vs-off-all.txt");
}

TEST(DiffCli, OutputWritesAFileThatValidates)
{
    TempDir dir;
    const fs::path out = dir.path() / "sg.diff.json";
    const Finished written =
        zctrace({"diff", kSgOn.string(), kSgOff.string(), "--format", "json", "--output", out.string()});
    ASSERT_EQ(written.status, 0) << written.err;
    EXPECT_EQ(written.out, "") << "--output replaces stdout";
    ASSERT_TRUE(fs::exists(out));
    EXPECT_EQ(dir.entries(), std::vector<std::string>{"sg.diff.json"}) << "no temporary file left behind";
    EXPECT_EQ(diff_schema().validate(read_json(out)), std::vector<std::string>{});

    const Finished valid = zctrace({"validate", out.string()});
    EXPECT_EQ(valid.status, 0) << valid.out << valid.err;
    EXPECT_EQ(valid.out, out.string() + ": ok (diff v" + std::to_string(kDiffSchemaVersion) +
                             ": sendfile vs sendfile)\n");

    // A diff is not a report, so it cannot be diffed.
    const Finished again = zctrace({"diff", out.string(), kSgOff.string()});
    EXPECT_EQ(again.status, 2);
    EXPECT_NE(again.err.find("is a zctrace diff, not a run report"), std::string::npos) << again.err;
}

TEST(DiffCli, UnwritableOutputIsAUsageError)
{
    TempDir dir;
    const Finished missing_dir =
        zctrace({"diff", kSgOn.string(), kSgOff.string(), "--output", (dir.path() / "no/such/dir/d.txt").string()});
    EXPECT_EQ(missing_dir.status, 2);
    EXPECT_NE(missing_dir.err.find("zctrace diff: --output: cannot create a file in"), std::string::npos)
        << missing_dir.err;
    EXPECT_EQ(missing_dir.out, "");

    const Finished a_dir = zctrace({"diff", kSgOn.string(), kSgOff.string(), "--output", dir.path().string()});
    EXPECT_EQ(a_dir.status, 2);
    EXPECT_NE(a_dir.err.find("is a directory; name the file to write"), std::string::npos) << a_dir.err;

    const fs::path copy = dir.path() / "a.json";
    fs::copy_file(kSgOn, copy);
    const Finished over_input = zctrace({"diff", copy.string(), kSgOff.string(), "--output", copy.string()});
    EXPECT_EQ(over_input.status, 2);
    EXPECT_NE(over_input.err.find("is one of the reports being compared"), std::string::npos) << over_input.err;
    EXPECT_EQ(read_text(copy), read_text(kSgOn)) << "the report must survive";
}

TEST(DiffCli, BadInputsExitTwoWithAClearMessage)
{
    TempDir dir;
    const fs::path missing = dir.path() / "missing.json";
    Finished result = zctrace({"diff", missing.string(), kSgOff.string()});
    EXPECT_EQ(result.status, 2);
    EXPECT_NE(result.err.find("cannot read " + missing.string() + ": No such file or directory"), std::string::npos)
        << result.err;
    EXPECT_EQ(result.out, "");

    const fs::path foreign = dir.path() / "package.json";
    write_text(foreign, R"({"name": "left-pad", "version": "1.3.0"})");
    result = zctrace({"diff", kSgOn.string(), foreign.string()});
    EXPECT_EQ(result.status, 2);
    EXPECT_NE(result.err.find(foreign.string() + ": not a zctrace document"), std::string::npos) << result.err;
    EXPECT_EQ(result.err.find("Invalid argument"), std::string::npos) << "no strerror for bad input: " << result.err;

    const fs::path future = edited_fixture(dir, "future.json", [](json& d) { d["schema_version"] = 99; });
    result = zctrace({"diff", future.string(), kSgOff.string()});
    EXPECT_EQ(result.status, 2);
    EXPECT_NE(result.err.find("schema_version 99"), std::string::npos) << result.err;
    EXPECT_NE(result.err.find("upgrade zctrace"), std::string::npos) << result.err;

    const fs::path summary = dir.path() / "summary.json";
    write_text(summary, json(summarize(loopback_reports())).dump(2));
    result = zctrace({"diff", summary.string(), kSgOff.string()});
    EXPECT_EQ(result.status, 2);
    EXPECT_NE(result.err.find(summary.string() + " is a zctrace summary, not a run report"), std::string::npos)
        << result.err;

    GatherReport gather;
    gather.tool = std::string("zctrace ") + ZCTRACE_VERSION;
    gather.created_at = "2026-11-23T14:54:30Z";
    gather.kernel = "6.18";
    const fs::path gather_path = dir.path() / "gather.json";
    write_text(gather_path, json(gather).dump(2));
    ASSERT_EQ(gather_schema().validate(json(gather)), std::vector<std::string>{});
    result = zctrace({"diff", gather_path.string(), kSgOff.string()});
    EXPECT_EQ(result.status, 2);
    EXPECT_NE(result.err.find("is a zctrace gather report, not a run report"), std::string::npos) << result.err;

    result = zctrace({"diff", kSgOn.string()});
    EXPECT_EQ(result.status, 2) << "B is required";
    result = zctrace({"diff", kSgOn.string(), kSgOff.string(), "--format", "yaml"});
    EXPECT_EQ(result.status, 2);
}

// ---- validate ----

TEST(ValidateCli, EveryFixtureIsValid)
{
    std::vector<std::string> args = {"validate"};
    std::vector<std::string> expected_lines;
    for (const auto& entry : fs::directory_iterator(kLoopbackFixtures)) {
        args.push_back(entry.path().string());
        expected_lines.push_back(entry.path().string() + ": ok (" + report_version(entry.path()) + ": " +
                                 entry.path().stem().string() + ")");
    }
    args.push_back(kSgOn.string());
    expected_lines.push_back(kSgOn.string() + ": ok (" + report_version(kSgOn) + ": sendfile)");
    args.push_back(kSgOff.string());
    expected_lines.push_back(kSgOff.string() + ": ok (" + report_version(kSgOff) + ": sendfile)");
    ASSERT_EQ(expected_lines.size(), 10u);

    const Finished result = zctrace(args);
    EXPECT_EQ(result.status, 0) << result.out << result.err;
    std::string expected;
    for (const std::string& line : expected_lines)
        expected += line + "\n";
    EXPECT_EQ(result.out, expected);
    EXPECT_EQ(result.err, "");

    const Finished quiet = zctrace({"validate", "--quiet", kSgOn.string(), kSgOff.string()});
    EXPECT_EQ(quiet.status, 0);
    EXPECT_EQ(quiet.out, "") << "--quiet prints only problems";
}

TEST(ValidateCli, ADirectoryStandsForItsDocuments)
{
    const Finished result = zctrace({"validate", kLoopbackFixtures.string()});
    EXPECT_EQ(result.status, 0) << result.out << result.err;
    EXPECT_EQ(std::count(result.out.begin(), result.out.end(), '\n'), 8) << result.out;
    EXPECT_NE(result.out.find((kLoopbackFixtures / "cow.json").string() + ": ok (" +
                              report_version(kLoopbackFixtures / "cow.json") + ": cow)\n"),
              std::string::npos)
        << result.out;

    TempDir empty;
    const Finished none = zctrace({"validate", empty.path().string()});
    EXPECT_EQ(none.status, 2);
    EXPECT_EQ(none.out, empty.path().string() + ": cannot read: a directory without .json or .ndjson files "
                        "(subdirectories are not searched)\n");
}

TEST(ValidateCli, InvalidFilesExitOneWithSpecificMessages)
{
    TempDir dir;
    const fs::path foreign = dir.path() / "foreign.json";
    write_text(foreign, R"({"name": "left-pad", "version": "1.3.0"})");
    const fs::path truncated = dir.path() / "truncated.json";
    const std::string whole = read_text(kSgOn);
    write_text(truncated, whole.substr(0, whole.find('\n', whole.size() / 2) + 1));  // a copy cut short
    const fs::path future = edited_fixture(dir, "future.json", [](json& d) { d["schema_version"] = 99; });
    const fs::path removed =
        edited_fixture(dir, "removed.json", [](json& d) { d["measured"].erase("cpu_copies"); });
    const fs::path empty = dir.path() / "empty.json";
    write_text(empty, "\n");

    const Finished result = zctrace({"validate", kSgOn.string(), foreign.string(), truncated.string(),
                                     future.string(), removed.string(), empty.string()});
    EXPECT_EQ(result.status, 1) << result.out << result.err;
    const std::string& out = result.out;
    EXPECT_NE(out.find(kSgOn.string() + ": ok (" + report_version(kSgOn) + ": sendfile)\n"), std::string::npos) << out;
    EXPECT_NE(out.find(foreign.string() + ": invalid: not a zctrace document (no \"tool\": \"zctrace ...\" member)"),
              std::string::npos)
        << out;
    EXPECT_NE(out.find(truncated.string() + ": invalid: not JSON: parse error at line"), std::string::npos) << out;
    EXPECT_NE(out.find("unexpected end of input"), std::string::npos) << out;
    EXPECT_NE(out.find(future.string() + ": invalid: written by zctrace 0.1.0 with report schema_version 99, but "
                                         "this zctrace"),
              std::string::npos)
        << out;
    const std::string version = std::to_string(read_json(kSgOn)["schema_version"].get<int>());
    EXPECT_NE(out.find(removed.string() + ": invalid: does not match the report schema (v" + version + "): "),
              std::string::npos)
        << out;
    EXPECT_NE(out.find("cpu_copies"), std::string::npos) << out;
    EXPECT_NE(out.find(empty.string() + ": invalid: an empty file\n"), std::string::npos) << out;
    EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 6) << out;

    const Finished quiet = zctrace({"validate", "-q", kSgOn.string(), foreign.string()});
    EXPECT_EQ(quiet.status, 1);
    EXPECT_EQ(quiet.out.find(kSgOn.string()), std::string::npos) << quiet.out;
    EXPECT_NE(quiet.out.find(foreign.string() + ": invalid:"), std::string::npos) << quiet.out;
}

TEST(ValidateCli, AMissingFileExitsTwoEvenBesideInvalidOnes)
{
    TempDir dir;
    const fs::path missing = dir.path() / "missing.json";
    const fs::path foreign = dir.path() / "foreign.json";
    write_text(foreign, "[1, 2, 3]");

    Finished result = zctrace({"validate", missing.string()});
    EXPECT_EQ(result.status, 2);
    EXPECT_EQ(result.out, missing.string() + ": cannot read: No such file or directory\n");

    result = zctrace({"validate", foreign.string(), missing.string(), kSgOn.string()});
    EXPECT_EQ(result.status, 2) << "unreadable wins over invalid";
    EXPECT_NE(result.out.find(foreign.string() + ": invalid: not a zctrace document: its top level is array"),
              std::string::npos)
        << result.out;
    EXPECT_NE(result.out.find(kSgOn.string() + ": ok"), std::string::npos) << "the other files are still checked";

    result = zctrace({"validate"});
    EXPECT_EQ(result.status, 2) << "a file is required";
}

TEST(ValidateCli, JsonFormatForPipelines)
{
    TempDir dir;
    const fs::path future = edited_fixture(dir, "future.json", [](json& d) { d["schema_version"] = 99; });
    const fs::path missing = dir.path() / "missing.json";
    const Finished result =
        zctrace({"validate", "--format", "json", kSgOn.string(), future.string(), missing.string()});
    EXPECT_EQ(result.status, 2);
    const json out = json::parse(result.out);
    ASSERT_EQ(out.size(), 3u) << out.dump(2);
    EXPECT_EQ(out[0], json({{"file", kSgOn.string()},
                            {"ok", true},
                            {"readable", true},
                            {"kind", "report"},
                            {"detail", report_version(kSgOn) + ": sendfile"},
                            {"problems", json::array()}}));
    EXPECT_EQ(out[1]["ok"], false);
    EXPECT_EQ(out[1]["kind"], nullptr);
    ASSERT_EQ(out[1]["problems"].size(), 1u);
    EXPECT_NE(out[1]["problems"][0].get<std::string>().find("schema_version 99"), std::string::npos);
    EXPECT_EQ(out[2]["readable"], false);
    EXPECT_EQ(out[2]["problems"], json::array({"No such file or directory"}));

    const Finished quiet = zctrace({"validate", "--format", "json", "--quiet", kSgOn.string(), future.string()});
    EXPECT_EQ(quiet.status, 1);
    EXPECT_EQ(json::parse(quiet.out).size(), 1u) << quiet.out;
}

std::string ndjson_line(const std::string& type, const json& data)
{
    return json({{"type", type}, {"data", data}}).dump() + "\n";
}

IntervalSample sample(std::uint64_t seq)
{
    IntervalSample sample;
    sample.time = "2026-11-29T12:15:18.042Z";
    sample.technique = "sendfile";
    sample.seq = seq;
    sample.elapsed_seconds = 0.5 * static_cast<double>(seq);
    sample.interval_seconds = 0.5;
    sample.file_bytes = 64 << 20;
    sample.received_bytes = seq << 20;
    return sample;
}

// What `run sendfile --format ndjson --interval` prints for two techniques,
// built from the fixtures.
std::string good_stream()
{
    return ndjson_line("sample", json(sample(1))) + ndjson_line("sample", json(sample(2))) +
           ndjson_line("report", read_json(kSgOn)) + ndjson_line("report", read_json(kSgOff)) + "\n" +
           ndjson_line("summary", json(summarize({load(kSgOn), load(kSgOff)})));
}

TEST(ValidateNdjson, AGoodStreamPasses)
{
    TempDir dir;
    const fs::path stream = dir.path() / "run.ndjson";
    write_text(stream, good_stream());
    const Finished result = zctrace({"validate", stream.string()});
    EXPECT_EQ(result.status, 0) << result.out << result.err;
    EXPECT_EQ(result.out, stream.string() + ": ok (ndjson: 5 lines: 2 report, 2 sample, 1 summary)\n");

    // Without the extension: told from a single document by its lines.
    const fs::path piped = dir.path() / "stdout.txt";
    fs::copy_file(stream, piped);
    const Finished again = zctrace({"validate", piped.string()});
    EXPECT_EQ(again.status, 0) << again.out;
    EXPECT_EQ(again.out, piped.string() + ": ok (ndjson: 5 lines: 2 report, 2 sample, 1 summary)\n");

    // One line is a valid stream too, though it parses as one document.
    const fs::path single = dir.path() / "single.json";
    write_text(single, ndjson_line("report", read_json(kSgOn)));
    const Finished one = zctrace({"validate", single.string()});
    EXPECT_EQ(one.status, 0) << one.out;
    EXPECT_EQ(one.out, single.string() + ": ok (ndjson: 1 line: 1 report)\n");
}

TEST(ValidateNdjson, BadLinesAreReportedByNumber)
{
    TempDir dir;
    json future = read_json(kSgOff);
    future["schema_version"] = 99;
    const std::string good = ndjson_line("report", read_json(kSgOn));
    const fs::path stream = dir.path() / "run.ndjson";
    write_text(stream, good + ndjson_line("report", future) + good +
                           ndjson_line("summary", read_json(kSgOn)) +                // a report, labelled summary
                           R"({"type": "gather", "data": {}})" "\n" + good.substr(0, 200));  // cut short
    const Finished result = zctrace({"validate", stream.string()});
    EXPECT_EQ(result.status, 1) << result.out << result.err;
    const std::string prefix = stream.string() + ":";
    EXPECT_NE(result.out.find(prefix + "2: invalid: its report: written by zctrace 0.1.0 with report schema_version 99"),
              std::string::npos)
        << result.out;
    EXPECT_NE(result.out.find(prefix + "4: invalid: the line says \"type\": \"summary\" but its data is a zctrace "
                                       "report\n"),
              std::string::npos)
        << result.out;
    EXPECT_NE(result.out.find(prefix + "5: invalid: unknown NDJSON line type \"gather\""), std::string::npos)
        << result.out;
    EXPECT_NE(result.out.find(prefix + "6: invalid: not JSON: parse error"), std::string::npos) << result.out;
    EXPECT_EQ(result.out.find(prefix + "1:"), std::string::npos) << result.out;
    EXPECT_EQ(result.out.find(prefix + "3:"), std::string::npos) << result.out;
    EXPECT_NE(result.out.find(stream.string() + ": invalid: 4 of 6 NDJSON lines are bad\n"), std::string::npos)
        << result.out;

    const Finished json_out = zctrace({"validate", "--format", "json", stream.string()});
    const json parsed = json::parse(json_out.out);
    ASSERT_EQ(parsed.size(), 1u);
    EXPECT_EQ(parsed[0]["kind"], "ndjson");
    ASSERT_EQ(parsed[0]["problems"].size(), 5u) << parsed.dump(2);
    EXPECT_EQ(parsed[0]["problems"][1].get<std::string>().rfind("line 2: ", 0), 0u);
}

TEST(ValidateNdjson, ABadSampleNamesItsField)
{
    TempDir dir;
    json bad = json(sample(2));
    bad.erase("seq");
    const fs::path stream = dir.path() / "samples.ndjson";
    write_text(stream, ndjson_line("sample", json(sample(1))) + ndjson_line("sample", bad));
    const Finished result = zctrace({"validate", stream.string()});
    EXPECT_EQ(result.status, 1);
    EXPECT_NE(result.out.find(stream.string() + ":2: invalid: does not match the NDJSON sample line schema (v3): "),
              std::string::npos)
        << result.out;
    EXPECT_NE(result.out.find("seq"), std::string::npos) << result.out;
    EXPECT_EQ(result.out.find(stream.string() + ":1:"), std::string::npos) << result.out;
}

TEST(ValidateNdjson, ASampleFromANewerZctraceSaysUpgrade)
{
    TempDir dir;
    json future = json(sample(1));
    future["schema_version"] = kNdjsonSchemaVersion + 1;
    const fs::path stream = dir.path() / "future.ndjson";
    write_text(stream, ndjson_line("sample", future));
    const Finished result = zctrace({"validate", stream.string()});
    EXPECT_EQ(result.status, 1);
    EXPECT_NE(result.out.find(stream.string() + ":1: invalid: its sample has schema_version " +
                              std::to_string(kNdjsonSchemaVersion + 1)),
              std::string::npos)
        << result.out;
    EXPECT_NE(result.out.find("upgrade zctrace"), std::string::npos) << result.out;
}

// Samples written before they carried a time still validate, each against
// the schema of its own version.
TEST(ValidateNdjson, VersionOneSamplesStillValidate)
{
    TempDir dir;
    json old = json(sample(1));
    old["schema_version"] = 1;
    old.erase("time");
    old.erase("chunk_bytes");
    const fs::path stream = dir.path() / "old.ndjson";
    write_text(stream, ndjson_line("sample", old));
    const Finished result = zctrace({"validate", stream.string()});
    EXPECT_EQ(result.status, 0) << result.out;
    json untimed = json(sample(1));
    untimed.erase("time");
    write_text(stream, ndjson_line("sample", untimed));
    EXPECT_EQ(zctrace({"validate", stream.string()}).status, 1) << "a version 2 sample has a time";
}

TEST(ValidateNdjson, NotAnEnvelope)
{
    TempDir dir;
    const fs::path stream = dir.path() / "bad.ndjson";
    write_text(stream, R"({"technique": "sendfile"})" "\n");
    const Finished result = zctrace({"validate", stream.string()});
    EXPECT_EQ(result.status, 1);
    EXPECT_NE(result.out.find(stream.string() + ":1: invalid: not a zctrace NDJSON line: expected {\"type\""),
              std::string::npos)
        << result.out;
}

}  // namespace
}  // namespace zctrace::output_test

namespace zctrace::output_test {
namespace {

const fs::path kTraceFixtures = kSourceDir / "tests/data/traces";

// nginx serving one file with sendfile on (A) and off (B): the flows become
// checks against their rows, and the copies and calls that moved are the
// headline metrics.
TEST(DiffTraces, NginxWithSendfileOnAndOffComparesFlowsAndCopies)
{
    const std::string a = (kTraceFixtures / "nginx-sendfile-on.json").string();
    const std::string b = (kTraceFixtures / "nginx-sendfile-off.json").string();
    const Finished table = zctrace({"diff", a, b});
    ASSERT_EQ(table.status, 0) << table.err;
    EXPECT_NE(table.out.find("  technique         trace: sendfile       trace: read_write\n"), std::string::npos)
        << table.out;
    EXPECT_NE(table.out.find("  flow sendfile    0 → —         0.000 → —       0.000 → —       match → —\n"),
              std::string::npos)
        << table.out;
    EXPECT_NE(table.out.find("  flow read_write  — → 2         — → 2.000       — → 2.000       — → match\n"),
              std::string::npos)
        << table.out;
    EXPECT_NE(table.out.find("totals.syscalls_by_name.pread64"), std::string::npos);
    EXPECT_NE(table.out.find("the technique that carried most bytes changed: trace: sendfile in A, trace: "
                             "read_write in B"),
              std::string::npos);

    const Finished document = zctrace({"diff", "--json", a, b});
    ASSERT_EQ(document.status, 0) << document.err;
    const json diff = json::parse(document.out);
    EXPECT_EQ(diff["schema_version"], 3);
    const json trace_a = read_json(a);
    const json trace_b = read_json(b);
    bool copies_seen = false;
    for (const json& metric : diff["metrics"])
        if (metric["metric"] == "totals.cpu_copy_bytes.total") {
            copies_seen = true;
            EXPECT_EQ(metric["a"], trace_a["totals"]["cpu_copy_bytes"]["total"]);
            EXPECT_EQ(metric["b"], trace_b["totals"]["cpu_copy_bytes"]["total"]);
        }
    EXPECT_TRUE(copies_seen) << diff["metrics"].dump(2);
    // A trace against a run report is refused: they measure different things.
    const Finished mixed = zctrace({"diff", a, kSgOn.string()});
    EXPECT_EQ(mixed.status, 2);
    EXPECT_NE(mixed.err.find("is a zctrace trace report, not a run report"), std::string::npos) << mixed.err;
}

}  // namespace
}  // namespace zctrace::output_test
