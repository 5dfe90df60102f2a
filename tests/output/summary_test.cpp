// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// summary.json / summary.md / the terminal table, from reports captured
// from real runs: golden files, schema, and `zctrace summarize` end to end.
#include "support.hpp"
#include "output/json_schema.hpp"
#include "output/summary.hpp"
#include "report/gather_report.hpp"
#include "workloads/technique.hpp"

#include <algorithm>
#include <iterator>
#include <set>

namespace zctrace::output_test {
namespace {

// The loopback reports in `run all` order, then sendfile over veth with SG
// on and off: every kind of row label and theory row the summary shows.
std::vector<Report> all_fixture_reports()
{
    std::vector<Report> reports = loopback_reports();
    for (const char* dir : {"veth-sg-on", "veth-sg-off"}) {
        auto report = load_report(kFixtures / dir / "sendfile.json");
        if (!report)
            throw std::runtime_error(report.error().describe());
        reports.push_back(*report);
    }
    return reports;
}

const SummaryRow& row_labelled(const Summary& summary, const std::string& label)
{
    for (const SummaryRow& row : summary.rows)
        if (row.label == label)
            return row;
    throw std::runtime_error("no summary row " + label);
}

// Report verdicts from best to worst, as the report schema describes them,
// written out here rather than taken from summary.cpp.
int rank(Verdict verdict)
{
    const std::vector<std::string> order = {"match", "explained", "mismatch", "invalid"};
    const auto found = std::find(order.begin(), order.end(), std::string(verdict_name(verdict)));
    if (found == order.end())
        throw std::runtime_error("not a report verdict: " + std::string(verdict_name(verdict)));
    return static_cast<int>(found - order.begin());
}

std::vector<std::string> lines_of(const std::string& text)
{
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        lines.push_back(line);
    return lines;
}

// A loopback fixture with every check's verdict set, as a version 2 report
// would carry them.
Report with_check_verdicts(const std::vector<Verdict>& verdicts, Verdict overall)
{
    Report report = loopback_reports().front();
    const Check model = report.checks.front();
    report.checks.clear();
    for (Verdict verdict : verdicts) {
        Check check = model;
        check.metric = "check_" + std::to_string(report.checks.size());
        check.verdict = verdict;
        report.checks.push_back(check);
    }
    report.verdict = overall;
    return report;
}

TEST(Summary, MarkdownMatchesGolden)
{
    const std::vector<Report> reports = all_fixture_reports();
    expect_golden(render_summary_markdown(summarize(reports), reports), "summary.md");
}

// The cost section says whether the model orders the runs as measured, and
// which differences --repeat's spread cannot tell from noise.
TEST(Summary, CostRankingIsHeldToTheMeasuredOneAndToTheNoise)
{
    auto with_cost = [](Report report, double measured, double copies, std::optional<Spread> spread) {
        const double gib = static_cast<double>(report.workload.bytes) / static_cast<double>(1ull << 30);
        report.workload.cpu_seconds = measured * gib;
        report.workload.cpu_seconds_per_gib = measured;
        CostModel cost;
        cost.machine = {16e9, 174, 1612, "boot", "2026-11-30T03:38:23Z", false};
        cost.measured_seconds = measured * gib;
        cost.parts = {{"copies", copies * gib, 0, "c"},
                      {"mode_switches", 0, 0, "m"},
                      {"page_faults", 0, 0, "f"},
                      {"residual", (measured - copies) * gib, 0, "r"}};
        report.cost = cost;
        if (spread) {
            report.workload.repeats = RepeatStats{};
            report.workload.repeats->runs = 5;
            report.workload.repeats->timed["workload.cpu_seconds_per_gib"] = *spread;
        }
        return report;
    };
    const std::vector<Report> fixtures = loopback_reports();
    const Report& read_write = fixtures[0];
    const Report& sendfile = fixtures[2];
    ASSERT_EQ(read_write.technique, "read_write");
    ASSERT_EQ(sendfile.technique, "sendfile");

    std::vector<Report> same = {with_cost(read_write, 0.4, 0.128, Spread{0.4, 0.38, 0.42}),
                                with_cost(sendfile, 0.3, 0.0, Spread{0.3, 0.29, 0.31})};
    std::string text = render_summary_markdown(summarize(same), same);
    EXPECT_NE(text.find("Most CPU first, measured: read_write > sendfile"), std::string::npos) << text;
    EXPECT_NE(text.find("ranks them the same"), std::string::npos) << text;
    EXPECT_NE(text.find("above the noise"), std::string::npos) << text;

    // sendfile measured dearer, though the model prices read_write's copies;
    // within the noise, then beyond it.
    std::vector<Report> reordered = {with_cost(read_write, 0.3, 0.128, Spread{0.3, 0.25, 0.36}),
                                     with_cost(sendfile, 0.32, 0.0, Spread{0.32, 0.30, 0.34})};
    text = render_summary_markdown(summarize(reordered), reordered);
    EXPECT_NE(text.find("it differs only on pairs the repeats cannot tell apart"), std::string::npos) << text;
    EXPECT_NE(text.find("differ by less than the run-to-run noise"), std::string::npos) << text;
    EXPECT_EQ(text.find("above the noise"), std::string::npos) << text;
    reordered = {with_cost(read_write, 0.3, 0.128, Spread{0.3, 0.29, 0.31}),
                 with_cost(sendfile, 0.5, 0.0, Spread{0.5, 0.48, 0.52})};
    text = render_summary_markdown(summarize(reordered), reordered);
    EXPECT_NE(text.find("reorders 1 pair(s) by more than the run-to-run noise"), std::string::npos) << text;
    EXPECT_NE(text.find("above the noise"), std::string::npos) << text;

    std::vector<Report> single = {with_cost(read_write, 0.4, 0.128, std::nullopt),
                                  with_cost(sendfile, 0.3, 0.0, std::nullopt)};
    text = render_summary_markdown(summarize(single), single);
    EXPECT_NE(text.find("Single runs: `--repeat N`"), std::string::npos) << text;
}

TEST(Summary, JsonMatchesGoldenAndItsSchema)
{
    const nlohmann::json document = summarize(all_fixture_reports());
    EXPECT_EQ(summary_schema().validate(document), std::vector<std::string>{});
    auto identified = identify_document(document, "summary.json");
    ASSERT_TRUE(identified) << identified.error().describe();
    EXPECT_EQ(identified->kind, DocumentKind::summary);
    expect_golden(document.dump(2) + "\n", "summary.json");
}

// Each figure in a row is the report's own field, never the theory's.
TEST(Summary, RowsCarryTheReportsMeasuredFigures)
{
    const std::vector<Report> reports = all_fixture_reports();
    const Summary summary = summarize(reports);
    ASSERT_EQ(summary.rows.size(), reports.size());
    std::set<std::size_t> shown;
    for (const SummaryRow& row : summary.rows) {
        ASSERT_LT(row.report_index, reports.size()) << row.label;
        EXPECT_TRUE(shown.insert(row.report_index).second) << "two rows show report " << row.report_index;
        const Report& report = reports[row.report_index];
        EXPECT_EQ(report_of(row, reports), &report) << row.label;
        SCOPED_TRACE(row.label);
        EXPECT_EQ(row.technique, report.technique);
        EXPECT_EQ(row.cpu_copies, report.measured.cpu_copies);
        EXPECT_EQ(row.dma_copies, report.measured.dma_copies);
        EXPECT_EQ(row.syscalls_per_transfer, report.measured.syscalls_per_transfer);
        EXPECT_EQ(row.mode_switches_per_transfer, report.measured.mode_switches_per_transfer);
        EXPECT_EQ(row.cpu_seconds_per_gib, report.workload.cpu_seconds_per_gib);
        EXPECT_EQ(row.mib_per_second, report.workload.mib_per_second);
        EXPECT_EQ(row.hit_ratio, report.measured.page_cache.hit_ratio);
        EXPECT_EQ(row.theory_cpu_copies, report.theory.cpu_copies);
        EXPECT_EQ(row.verdict, report.verdict);
        EXPECT_EQ(row.headline, report.headline);
        EXPECT_EQ(row.check_verdicts.total(), static_cast<int>(report.checks.size()));
        for (Verdict verdict : kAllVerdicts)
            EXPECT_EQ(row.check_verdicts[verdict],
                      std::count_if(report.checks.begin(), report.checks.end(),
                                    [&](const Check& check) { return check.verdict == verdict; }))
                << verdict_name(verdict);
    }
    // What the fixtures measured: read+write copied the payload twice; SG off
    // on the veth turned sendfile's zero copies into one.
    EXPECT_EQ(row_labelled(summary, "read_write").cpu_copies, 2.0);
    EXPECT_EQ(row_labelled(summary, "sendfile (loopback, SG on)").cpu_copies, 0.0);
    EXPECT_EQ(row_labelled(summary, "sendfile (veth, SG on)").theory_row, "sendfile + DMA gather");
    const SummaryRow& sg_off = row_labelled(summary, "sendfile (veth, SG off)");
    EXPECT_EQ(sg_off.theory_row, "sendfile");
    EXPECT_EQ(sg_off.cpu_copies, 1.0);
    EXPECT_EQ(summary.kernels.size(), 1u);
    // The overall verdict is the worst report's, whatever the fixtures got.
    Verdict worst = Verdict::match;
    for (const Report& report : reports)
        if (rank(report.verdict) > rank(worst))
            worst = report.verdict;
    EXPECT_EQ(summary.verdict, worst);
}

TEST(Summary, CountsEachOfTheSixCheckVerdicts)
{
    const std::vector<Verdict> verdicts = {Verdict::match,     Verdict::match,   Verdict::environment,
                                           Verdict::explained, Verdict::no_theory, Verdict::no_theory,
                                           Verdict::no_theory, Verdict::invalid, Verdict::mismatch};
    const Summary summary = summarize({with_check_verdicts(verdicts, Verdict::invalid)});
    const CheckVerdictCounts& counts = summary.rows.front().check_verdicts;
    EXPECT_EQ(counts.match, 2);
    EXPECT_EQ(counts.environment, 1);
    EXPECT_EQ(counts.explained, 1);
    EXPECT_EQ(counts.no_theory, 3);
    EXPECT_EQ(counts.invalid, 1);
    EXPECT_EQ(counts.mismatch, 1);

    // In the JSON, one count per verdict, keyed by the verdict's own name.
    const nlohmann::json document = summary;
    const nlohmann::json& json_counts = document["rows"][0]["check_verdicts"];
    EXPECT_EQ(json_counts.size(), std::size(kAllVerdicts));
    for (Verdict verdict : kAllVerdicts)
        EXPECT_EQ(json_counts.at(std::string(verdict_name(verdict))), counts[verdict]) << verdict_name(verdict);
    EXPECT_EQ(document["rows"][0]["verdict"], "invalid");
    EXPECT_EQ(summary_schema().validate(document), std::vector<std::string>{});
}

TEST(Summary, OverallVerdictIsTheWorstReportsAndInvalidIsWorst)
{
    struct Case {
        std::vector<Verdict> reports;
        Verdict expected;
    };
    const std::vector<Case> cases = {
        {{Verdict::match, Verdict::match}, Verdict::match},
        {{Verdict::match, Verdict::explained}, Verdict::explained},
        {{Verdict::mismatch, Verdict::explained}, Verdict::mismatch},
        {{Verdict::invalid, Verdict::mismatch}, Verdict::invalid},
        {{Verdict::mismatch, Verdict::invalid, Verdict::match}, Verdict::invalid},
    };
    for (const Case& c : cases) {
        std::vector<Report> reports;
        for (Verdict verdict : c.reports)
            reports.push_back(with_check_verdicts({verdict}, verdict));
        const Summary summary = summarize(reports);
        EXPECT_EQ(summary.verdict, c.expected) << nlohmann::json(c.reports).dump();
        EXPECT_EQ(summary_schema().validate(nlohmann::json(summary)), std::vector<std::string>{});
    }
    // Checks that pass leave a run a match: a report cannot be "environment"
    // or "no_theory", and its row says match.
    const Summary passing = summarize({with_check_verdicts({Verdict::environment}, Verdict::environment),
                                       with_check_verdicts({Verdict::no_theory}, Verdict::no_theory)});
    for (const SummaryRow& row : passing.rows)
        EXPECT_EQ(row.verdict, Verdict::match);
    EXPECT_EQ(passing.verdict, Verdict::match);
    EXPECT_EQ(summary_schema().validate(nlohmann::json(passing)), std::vector<std::string>{});
}

TEST(Summary, MarkdownOpensWithOneHeadlinePerRunBeforeTheTable)
{
    std::vector<Report> reports = all_fixture_reports();
    // Two as version 2 reports say it; the rest keep what the fixtures have.
    reports[2].headline = "sendfile: zero-copy — the CPU copied 0 B of 64 MiB, as \"sendfile + DMA gather\" says";
    reports[9].headline = "sendfile: NOT as the table says — cpu_copies: 1 copy where 0 were expected";
    const Summary summary = summarize(reports);
    const auto position_of = [&](std::size_t report) {
        const auto found = std::find_if(summary.rows.begin(), summary.rows.end(),
                                        [&](const SummaryRow& row) { return row.report_index == report; });
        return static_cast<std::size_t>(found - summary.rows.begin());
    };
    const std::size_t loopback_sendfile = position_of(2), sg_off_sendfile = position_of(9);
    const std::vector<std::string> lines = lines_of(render_summary_markdown(summary, reports));
    ASSERT_GT(lines.size(), 2 + reports.size());
    EXPECT_EQ(lines[0], "# zctrace summary");
    EXPECT_EQ(lines[1], "");
    for (std::size_t i = 0; i < summary.rows.size(); ++i) {
        const SummaryRow& row = summary.rows[i];
        const std::string& line = lines[2 + i];
        EXPECT_EQ(line.rfind("- **" + row.label + "** (" + std::string(verdict_name(row.verdict)) + "): ", 0), 0u)
            << line;
        if (row.headline.empty()) {
            EXPECT_NE(line.find("no headline (a version 1 report)"), std::string::npos) << line;
        }
    }
    // The label names the run, qualified; the headline's own "sendfile: " would repeat it.
    const std::string loopback_verdict(verdict_name(summary.rows[loopback_sendfile].verdict));
    EXPECT_EQ(lines[2 + loopback_sendfile], "- **sendfile (loopback, SG on)** (" + loopback_verdict +
                                                "): zero-copy — the CPU copied 0 B of 64 MiB, as \"sendfile + DMA "
                                                "gather\" says");
    EXPECT_EQ(lines[2 + sg_off_sendfile].rfind("- **sendfile (veth, SG off)** (" +
                                                   std::string(verdict_name(summary.rows[sg_off_sendfile].verdict)) +
                                                   "): NOT as the table says — cpu_copies",
                                               0),
              0u)
        << lines[2 + sg_off_sendfile];
    const auto table = std::find_if(lines.begin(), lines.end(), [](const std::string& l) { return l.rfind("|", 0) == 0; });
    ASSERT_NE(table, lines.end());
    EXPECT_GT(table - lines.begin(), static_cast<std::ptrdiff_t>(2 + reports.size())) << "the table comes after";
}

TEST(Summary, HeadlineTextFallsBackToTheFiguresForAVersion1Report)
{
    SummaryRow row;
    row.technique = "read_write";
    row.theory_row = "read + write";
    row.cpu_copies = 2;
    row.theory_cpu_copies = 2;
    row.dma_copies = 0;
    row.theory_dma_copies = 2;
    EXPECT_EQ(headline_text(row),
              "no headline (a version 1 report): CPU copies 2.00 / 2, DMA copies 0.00 / 2 (measured / \"read + write\")");
    row.headline = "read_write: 2 copies — 128 MiB copied for 64 MiB, as \"read + write\" says";
    EXPECT_EQ(headline_text(row), "2 copies — 128 MiB copied for 64 MiB, as \"read + write\" says");
    row.headline = "something else entirely";
    EXPECT_EQ(headline_text(row), "something else entirely");
}

// A summary an earlier zctrace wrote still reads back as what it is.
TEST(Summary, Version1SummariesStillValidate)
{
    nlohmann::json v1 = summarize(all_fixture_reports());
    v1["schema_version"] = 1;
    for (nlohmann::json& row : v1["rows"]) {
        const nlohmann::json counts = row["check_verdicts"];
        row.erase("check_verdicts");
        row.erase("headline");
        for (const char* added : {"cost_seconds_per_gib", "chunk_bytes", "syscalls_per_gib", "mode_switches_per_gib"})
            row.erase(added);
        row["checks_matched"] = counts["match"];
        row["checks_explained"] = counts["explained"];
        row["checks_mismatched"] = counts["mismatch"];
    }
    EXPECT_EQ((*find_schema("summary", 1)).validate(v1), std::vector<std::string>{});
    auto identified = identify_document(v1, "old-summary.json");
    ASSERT_TRUE(identified) << identified.error().describe();
    EXPECT_EQ(identified->kind, DocumentKind::summary);

    // Each version is held to its own schema.
    nlohmann::json claims_v2 = v1;
    claims_v2["schema_version"] = 2;
    auto rejected = identify_document(claims_v2, "mixed.json");
    ASSERT_FALSE(rejected);
    EXPECT_NE(rejected.error().message.find("summary schema (v2)"), std::string::npos) << rejected.error().message;
    nlohmann::json claims_v1 = summarize(all_fixture_reports());
    claims_v1["schema_version"] = 1;
    rejected = identify_document(claims_v1, "mixed.json");
    ASSERT_FALSE(rejected);
    EXPECT_NE(rejected.error().message.find("summary schema (v1)"), std::string::npos) << rejected.error().message;
    // Version 1 knew three verdicts; version 2 four for a run.
    nlohmann::json invalid_in_v1 = v1;
    invalid_in_v1["verdict"] = "invalid";
    EXPECT_FALSE((*find_schema("summary", 1)).validate(invalid_in_v1).empty());
    nlohmann::json environment_run = summarize(all_fixture_reports());
    environment_run["rows"][0]["verdict"] = "environment";
    EXPECT_FALSE(summary_schema().validate(environment_run).empty()) << "a run's verdict is never environment";
}

TEST(Summary, TableCellsReadMeasuredOverTheoryAndDashWhereTheSeedsAreSilent)
{
    const Summary summary = summarize(all_fixture_reports());
    const std::string table = render_summary_table(summary);
    std::istringstream lines(table);
    std::string header, rule, line;
    std::getline(lines, header);
    std::getline(lines, rule);
    EXPECT_NE(header.find(" CPU copies |"), std::string::npos) << header;
    int rows = 0;
    while (std::getline(lines, line)) {
        ++rows;
        if (line.rfind("| read_write ", 0) == 0) {
            EXPECT_NE(line.find("2.00 / 2 |"), std::string::npos) << line;
        }
        // cow's row has no theory for syscalls per transfer, and its ten
        // copied pages stay visible.
        if (line.rfind("| cow ", 0) == 0) {
            EXPECT_NE(line.find(" / —"), std::string::npos) << line;
            EXPECT_NE(line.find("0.00015 / 0"), std::string::npos) << line;
        }
    }
    EXPECT_EQ(rows, 10);
}

TEST(SummarizeCli, WritesTheThreeFilesAndPrintsTheTable)
{
    TempDir out;
    const Finished result = zctrace({"summarize", kLoopbackFixtures.string(), "--out", out.path().string()});
    ASSERT_EQ(result.status, 0) << result.err;
    for (const char* name : {"summary.json", "summary.md", "summary.html"})
        EXPECT_TRUE(fs::exists(out.path() / name)) << name;
    // A directory's reports come sorted by file name.
    std::vector<fs::path> sorted;
    for (const auto& entry : fs::directory_iterator(kLoopbackFixtures))
        sorted.push_back(entry.path());
    std::sort(sorted.begin(), sorted.end());
    auto reports = load_reports(sorted);
    ASSERT_TRUE(reports) << reports.error().describe();
    const Summary summary = summarize(*reports);
    EXPECT_EQ(result.out, render_summary_table(summary) + "summary written to " + out.path().string() +
                              ": summary.json, summary.md, summary.html\n");
    EXPECT_EQ(read_text(out.path() / "summary.md"), render_summary_markdown(summary, *reports));
    auto written = load_document(out.path() / "summary.json");
    ASSERT_TRUE(written) << written.error().describe();
    EXPECT_EQ(written->json, nlohmann::json(summary));
    // Only the three files: no temp file is left behind.
    EXPECT_EQ(out.entries().size(), 3u);
}

// `gather --out reports` shares the directory; its report is not a run's.
TEST(SummarizeCli, ADirectorysGatherReportIsNotARow)
{
    TempDir dir;
    fs::copy(kLoopbackFixtures, dir.path());
    GatherReport gather;
    gather.tool = "zctrace 0.1.0";
    gather.created_at = "2026-11-23T00:00:00Z";
    gather.kernel = "6.18";
    ASSERT_EQ(gather_schema().validate(nlohmann::json(gather)), std::vector<std::string>{});
    write_text(dir.path() / "gather.json", nlohmann::json(gather).dump());
    const Finished result = zctrace({"summarize", dir.path().string(), "--out", dir.path().string()});
    ASSERT_EQ(result.status, 0) << result.err;
    auto summary = load_document(dir.path() / "summary.json");
    ASSERT_TRUE(summary) << summary.error().describe();
    EXPECT_EQ(summary->json["rows"].size(), 8u);
    // And summarizing again reads past the summary it wrote.
    EXPECT_EQ(zctrace({"summarize", dir.path().string(), "--out", dir.path().string()}).status, 0);
}

TEST(Summary, RowsFromTwoKernelsKeepApart)
{
    std::vector<Report> reports = loopback_reports();
    reports.resize(1);
    reports.push_back(reports.front());
    reports.back().environment.kernel = "6.19.0 #1 SMP";
    reports.push_back(reports.front());
    const Summary summary = summarize(reports);
    ASSERT_EQ(summary.kernels.size(), 2u);
    std::set<std::string> labels;
    for (const SummaryRow& row : summary.rows)
        labels.insert(row.label);
    EXPECT_EQ(labels.size(), 3u) << render_summary_table(summary);
    // The two runs on the fixtures' kernel are repeats, oldest first (here as read: they were made at once).
    const std::string& kernel = reports.front().environment.kernel;
    const std::string release = kernel.substr(0, kernel.find(' '));
    EXPECT_EQ(summary.rows[0].label, "read_write (kernel " + release + ") #1");
    EXPECT_EQ(summary.rows[1].label, "read_write (kernel " + release + ") #2");
    EXPECT_EQ(summary.rows[2].label, "read_write (kernel 6.19.0)");
}

// A summarize that must fail as bad input: exit 2, a message that says
// `expected`, nothing on stdout.
struct Refused {
    std::vector<std::string> args;
    std::string expected;
};

void expect_refused(const std::vector<Refused>& cases)
{
    for (const Refused& c : cases) {
        const Finished result = zctrace(c.args);
        EXPECT_EQ(result.status, 2) << c.args[1] << ": " << result.err;
        EXPECT_NE(result.err.find(c.expected), std::string::npos) << result.err;
        EXPECT_TRUE(result.out.empty()) << result.out;
    }
}

TEST(SummarizeCli, BadInputSaysWhatToDo)
{
    TempDir dir;
    write_text(dir.path() / "foreign.json", R"({"hello": "world"})");
    nlohmann::json future = nlohmann::json::parse(read_text(kLoopbackFixtures / "sendfile.json"));
    future["schema_version"] = 99;
    write_text(dir.path() / "future.json", future.dump());
    write_text(dir.path() / "truncated.json", read_text(kLoopbackFixtures / "sendfile.json").substr(0, 500));
    write_text(dir.path() / "file", "");

    const std::string out = (dir.path() / "out").string();
    const std::vector<Refused> cases = {
        {{"summarize", (dir.path() / "missing.json").string(), "--out", out}, "cannot read"},
        {{"summarize", (dir.path() / "foreign.json").string(), "--out", out}, "not a zctrace document"},
        {{"summarize", (dir.path() / "future.json").string(), "--out", out}, "upgrade zctrace"},
        {{"summarize", (dir.path() / "truncated.json").string(), "--out", out}, "is not JSON"},
        {{"summarize", (kLoopbackFixtures / "sendfile.json").string(), "--out", (dir.path() / "file/sub").string()},
         "choose a writable directory"},
    };
    expect_refused(cases);
    EXPECT_FALSE(fs::exists(out));
}

// summary.hpp mirrors `run all`'s order, which the output room may not include.
TEST(Summary, RunAllOrderIsKAllTechniques)
{
    ASSERT_EQ(kRunAllOrder.size(), kAllTechniques.size());
    for (std::size_t i = 0; i < kAllTechniques.size(); ++i)
        EXPECT_EQ(kRunAllOrder[i], technique_name(kAllTechniques[i])) << i;
}

std::vector<std::string> labels_of(const Summary& summary)
{
    std::vector<std::string> labels;
    for (const SummaryRow& row : summary.rows)
        labels.push_back(row.label);
    return labels;
}

TEST(Summary, RowsFollowRunAllWhateverOrderTheReportsCameIn)
{
    const std::vector<Report> reports = all_fixture_reports();
    const Summary summary = summarize(reports);
    // kAllTechniques, with the three sendfile runs together: loopback, then veth with SG on, then off.
    EXPECT_EQ(labels_of(summary),
              (std::vector<std::string>{"read_write", "mmap_write", "sendfile (loopback, SG on)",
                                        "sendfile (veth, SG on)", "sendfile (veth, SG off)", "splice", "direct_io",
                                        "direct_io_send", "cow", "large_file_async_direct"}));
    // Backwards, or by file name as a directory lists them: the same summary, row for row.
    std::vector<Report> backwards(reports.rbegin(), reports.rend());
    std::vector<Report> by_name = reports;
    std::stable_sort(by_name.begin(), by_name.end(),
                     [](const Report& a, const Report& b) { return a.technique < b.technique; });
    for (const std::vector<Report>& shuffled : {backwards, by_name}) {
        Summary again = summarize(shuffled);
        for (SummaryRow& row : again.rows)
            row.report_index = 0;  // where each report was in the input: the only thing that differs
        Summary expected = summary;
        for (SummaryRow& row : expected.rows)
            row.report_index = 0;
        EXPECT_EQ(nlohmann::json(again), nlohmann::json(expected));
        EXPECT_EQ(render_summary_markdown(summarize(shuffled), shuffled), render_summary_markdown(summary, reports));
    }
    // Techniques `run all` does not run (the buffered baseline, a later zctrace's) come after it, by name.
    std::vector<Report> with_others = {reports[0], reports[0], reports[1]};
    with_others[0].technique = "zero_copy_of_the_future";
    with_others[1].technique = "large_file_buffered";
    EXPECT_EQ(labels_of(summarize(with_others)),
              (std::vector<std::string>{"mmap_write", "large_file_buffered", "zero_copy_of_the_future"}));
}

TEST(Summary, LabelsNameWhatTellsATechniquesRowsApart)
{
    const Report base = loopback_reports()[2];  // sendfile
    ASSERT_EQ(base.technique, "sendfile");
    const Report other_technique = loopback_reports()[0];
    const std::string release = base.environment.kernel.substr(0, base.environment.kernel.find(' '));
    struct Case {
        std::string what;
        void (*change)(Report&);
        std::vector<std::string> labels;  // base's row first unless the change sorts before it
    };
    const std::vector<Case> cases = {
        {"payload size", [](Report& r) { r.workload.bytes = 1u << 20; }, {"sendfile (1 MiB)", "sendfile (256 MiB)"}},
        {"chunk size", [](Report& r) { r.workload.chunk_bytes = 4096; },
         {"sendfile (4 KiB chunks)", "sendfile (64 KiB chunks)"}},
        {"cache", [](Report& r) { r.environment.cache = "cold"; }, {"sendfile (warm cache)", "sendfile (cold cache)"}},
        {"filesystem", [](Report& r) { r.environment.filesystem = "xfs"; },
         {"sendfile (on " + base.environment.filesystem + ")", "sendfile (on xfs)"}},
        {"network and SG", [](Report& r) {
             r.environment.network = "veth";
             r.environment.device_sg = false;
         },
         {"sendfile (loopback, SG on)", "sendfile (veth, SG off)"}},
        {"SG alone", [](Report& r) { r.environment.device_sg = std::nullopt; },
         {"sendfile (SG on)", "sendfile (SG unknown)"}},
        {"several at once, in the documented order", [](Report& r) {
             r.environment.kernel = "6.19.0 #1 SMP";
             r.workload.bytes = 1u << 20;
             r.environment.cache = "cold";
         },
         {"sendfile (warm cache, 256 MiB, kernel " + release + ")", "sendfile (cold cache, 1 MiB, kernel 6.19.0)"}},
    };
    for (const Case& c : cases) {
        Report changed = base;
        c.change(changed);
        // Another technique's row in between changes nothing: only rows of one technique are compared.
        EXPECT_EQ(labels_of(summarize({changed, other_technique, base})),
                  (std::vector<std::string>{"read_write", c.labels[0], c.labels[1]}))
            << c.what;
    }

    // A technique's only row says nothing more, wherever it ran.
    auto sg_off = load_report(kFixtures / "veth-sg-off" / "sendfile.json");
    ASSERT_TRUE(sg_off) << sg_off.error().describe();
    EXPECT_EQ(labels_of(summarize({*sg_off, other_technique})), (std::vector<std::string>{"read_write", "sendfile"}));

    // Runs alike in all of it are repeats, numbered oldest first.
    Report older = base, newer = base;
    older.created_at = "2026-01-01T00:00:00Z";
    newer.created_at = "2026-01-02T00:00:00Z";
    const Summary repeats = summarize({newer, older});
    EXPECT_EQ(labels_of(repeats), (std::vector<std::string>{"sendfile #1", "sendfile #2"}));
    EXPECT_EQ(repeats.rows[0].report_created_at, older.created_at);
}

// Without --out the files go next to the reports: into the directory given,
// or the one its files share; reports from several directories need --out.
TEST(SummarizeCli, WritesNextToTheReportsWithoutOut)
{
    TempDir dir;
    fs::copy(kLoopbackFixtures, dir.path());
    const Finished given_dir = zctrace({"summarize", dir.path().string() + "/"});
    ASSERT_EQ(given_dir.status, 0) << given_dir.err;
    for (const char* name : {"summary.json", "summary.md", "summary.html"})
        EXPECT_TRUE(fs::exists(dir.path() / name)) << name;
    EXPECT_NE(given_dir.out.find("\nsummary written to " + dir.path().string() +
                                 ": summary.json, summary.md, summary.html\n"),
              std::string::npos)
        << given_dir.out;

    TempDir other;
    fs::copy(kLoopbackFixtures / "sendfile.json", other.path() / "sendfile.json");
    fs::copy(kLoopbackFixtures / "splice.json", other.path() / "splice.json");
    const Finished files = zctrace({"summarize", (other.path() / "sendfile.json").string(),
                                    (other.path() / ".." / other.path().filename() / "splice.json").string()});
    ASSERT_EQ(files.status, 0) << files.err;
    EXPECT_TRUE(fs::exists(other.path() / "summary.html"));
    EXPECT_NE(files.out.find("summary written to " + other.path().string() + ":"), std::string::npos) << files.out;

    TempDir third;
    fs::copy(kLoopbackFixtures / "cow.json", third.path() / "cow.json");
    const Finished scattered =
        zctrace({"summarize", (other.path() / "sendfile.json").string(), third.path().string()});
    EXPECT_EQ(scattered.status, 2) << scattered.err;
    EXPECT_NE(scattered.err.find("--out"), std::string::npos) << scattered.err;
    EXPECT_EQ(third.entries(), std::vector<std::string>{"cow.json"});

    const Finished help = zctrace({"summarize", "--help"});
    EXPECT_NE(help.out.find("next to the reports"), std::string::npos) << help.out;
}

// ---------------------------------------------------------------- traces

// The cells of one Markdown table line, trimmed: "| a | b |" -> {"a", "b"}.
std::vector<std::string> cells_of(const std::string& line)
{
    std::vector<std::string> cells;
    std::istringstream in(line);
    std::string cell;
    std::getline(in, cell, '|');  // before the first bar
    while (std::getline(in, cell, '|')) {
        const auto first = cell.find_first_not_of(' ');
        cells.push_back(first == std::string::npos ? "" : cell.substr(first, cell.find_last_not_of(' ') - first + 1));
    }
    return cells;
}

// The rows of the first table whose header starts with `first_header`,
// as cells, without the header and its rule.
std::vector<std::vector<std::string>> rows_of_table(const std::string& text, const std::string& first_header)
{
    const std::vector<std::string> lines = lines_of(text);
    std::vector<std::vector<std::string>> rows;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        if (lines[i].rfind("| " + first_header + " ", 0) != 0)
            continue;
        for (std::size_t j = i + 2; j < lines.size() && lines[j].rfind("|", 0) == 0; ++j)
            rows.push_back(cells_of(lines[j]));
        break;
    }
    return rows;
}

const std::string kFixtureKernel = "6.18.44-fc-v669 #1 SMP PREEMPT_DYNAMIC @0";

// Every figure of a trace row is the trace report's own, as the fixtures have them.
TEST(SummaryTraces, RowsCarryTheTraceReportsFigures)
{
    const Summary summary = summarize({}, {load_trace(kNginxSendfileOn), load_trace(kNginxSendfileOff)});
    EXPECT_TRUE(summary.rows.empty());
    ASSERT_EQ(summary.traces.size(), 2u);

    const SummaryTrace& on = summary.traces[0];
    EXPECT_EQ(on.label, "nginx #1");
    EXPECT_EQ(on.headline, "nginx (pid 23719), 64.00 MiB sent in 1.8 s: 64 MiB by sendfile: ZERO-COPY, 0 B copied by "
                           "the CPU, as \"sendfile + DMA gather\" says; 262 B by writev: 1.00 copies by the CPU (262 "
                           "B); 88 syscalls; 0.32 CPU-s/GiB");
    EXPECT_EQ(on.target_kind, "pids");
    EXPECT_EQ(on.seconds, 1.755562446);
    EXPECT_EQ(on.ended_by, "interrupted");
    EXPECT_EQ(on.verdict, Verdict::match);
    EXPECT_EQ(on.bytes_sent, 67109126u);
    EXPECT_EQ(on.cpu_copy_bytes, 262u);
    EXPECT_EQ(on.cpu_copies, 3.904088990817732e-06);
    EXPECT_EQ(on.receive_copy_bytes, 87u);
    EXPECT_EQ(on.syscalls, 88u);
    EXPECT_EQ(on.syscalls_per_mib_sent, 1.3749946318776376);
    EXPECT_EQ(on.page_cache_lookup_pages, 16571u);
    EXPECT_EQ(on.page_cache_misses, 0u);
    EXPECT_EQ(on.hit_ratio, 1.0);
    EXPECT_EQ(on.cpu_seconds_per_gib_sent, 0.31999875069152295);
    EXPECT_EQ(on.processes, 1u);
    EXPECT_EQ(on.report_created_at, "2026-11-29T17:26:58Z");
    ASSERT_EQ(on.flows.size(), 2u);
    EXPECT_EQ(nlohmann::json(on.flows[0]), nlohmann::json::parse(R"({"technique": "sendfile",
        "theory_row": "sendfile_dma_gather", "bytes": 67108864, "measured_cpu_copies": 0.0,
        "expected_cpu_copies": 0.0, "verdict": "match"})"));
    EXPECT_EQ(nlohmann::json(on.flows[1]), nlohmann::json::parse(R"({"technique": "user_memory", "theory_row": "",
        "bytes": 262, "measured_cpu_copies": 1.0, "expected_cpu_copies": 1.0, "verdict": "no_theory"})"));

    const SummaryTrace& off = summary.traces[1];
    EXPECT_EQ(off.label, "nginx #2");
    EXPECT_EQ(off.seconds, 1.757475152);
    EXPECT_EQ(off.verdict, Verdict::match);
    EXPECT_EQ(off.bytes_sent, 67109126u);
    EXPECT_EQ(off.cpu_copy_bytes, 134217990u);
    EXPECT_EQ(off.cpu_copies, 1.9999960959110092);
    EXPECT_EQ(off.receive_copy_bytes, 87u);
    EXPECT_EQ(off.syscalls, 4108u);
    EXPECT_EQ(off.syscalls_per_mib_sent, 64.1872494062879);
    EXPECT_EQ(off.page_cache_lookup_pages, 16384u);
    EXPECT_EQ(off.page_cache_misses, 0u);
    EXPECT_EQ(off.cpu_seconds_per_gib_sent, 0.639997501383046);
    EXPECT_EQ(off.processes, 1u);
    ASSERT_EQ(off.flows.size(), 2u);
    EXPECT_EQ(off.flows[0].technique, "read_write");
    EXPECT_EQ(off.flows[0].theory_row, "read_write");
    EXPECT_EQ(off.flows[0].bytes, 67108864u);
    EXPECT_EQ(off.flows[0].measured_cpu_copies, 2.0);
    EXPECT_EQ(off.flows[0].expected_cpu_copies, 2.0);
    EXPECT_EQ(off.flows[0].verdict, Verdict::match);
    EXPECT_EQ(off.flows[1].technique, "user_memory");
    EXPECT_EQ(off.flows[1].verdict, Verdict::no_theory);

    EXPECT_EQ(summary.kernels, std::vector<std::string>{kFixtureKernel});
    EXPECT_EQ(summary.created_at, "2026-11-29T17:27:01Z") << "the newer trace's";
    EXPECT_EQ(summary.verdict, Verdict::match);
}

TEST(SummaryTraces, TracesWithOneLabelAreNumberedInTheOrderGiven)
{
    const TraceReport on = load_trace(kNginxSendfileOn), off = load_trace(kNginxSendfileOff);
    TraceReport curl = on;
    curl.target.label = "curl";
    const Summary summary = summarize({}, {off, curl, on});
    ASSERT_EQ(summary.traces.size(), 3u);
    EXPECT_EQ(summary.traces[0].label, "nginx #1");
    EXPECT_EQ(summary.traces[0].report_created_at, off.created_at) << "in the order given, not by age";
    EXPECT_EQ(summary.traces[1].label, "curl");
    EXPECT_EQ(summary.traces[2].label, "nginx #2");
    EXPECT_EQ(summary.traces[2].report_created_at, on.created_at);
    EXPECT_EQ(summarize({}, {on}).traces.front().label, "nginx") << "a label of its own stays bare";
}

// Figures the trace report leaves null stay null: no zero stands in for them.
TEST(SummaryTraces, WhatTheReportLeavesNullStaysNull)
{
    TraceReport silent = load_trace(kNginxSendfileOn);
    silent.totals.cpu_copies.reset();
    silent.totals.syscalls_per_mib_sent.reset();
    silent.totals.page_cache.hit_ratio.reset();
    silent.totals.cpu_seconds_per_gib_sent.reset();
    silent.flows.clear();
    silent.verdict = Verdict::no_theory;
    const Summary summary = summarize({}, {silent});
    const nlohmann::json document = summary;
    const nlohmann::json& row = document.at("traces").at(0);
    for (const char* field : {"cpu_copies", "syscalls_per_mib_sent", "hit_ratio", "cpu_seconds_per_gib_sent"})
        EXPECT_TRUE(row.at(field).is_null()) << field;
    EXPECT_EQ(row.at("flows"), nlohmann::json::array());
    EXPECT_EQ(row.at("verdict"), "no_theory");
    EXPECT_EQ(document.at("verdict"), "match") << "no_theory leaves a summary a match, as it leaves a run one";
    EXPECT_EQ(summary_schema().validate(document), std::vector<std::string>{});

    const std::string table = render_summary_table(summary);
    const auto rows = rows_of_table(table, "trace");
    ASSERT_EQ(rows.size(), 1u) << table;
    EXPECT_EQ(rows[0][6], "—") << "CPU copies";
    EXPECT_EQ(rows[0][9], "—") << "syscalls/MiB sent";
    EXPECT_EQ(rows[0][12], "—") << "hit ratio";
    EXPECT_EQ(rows[0][13], "—") << "CPU s/GiB sent";
    EXPECT_EQ(table.find(" | flow "), std::string::npos) << "no flows, no flow table: " << table;
}

// What `summarize` prints for the two fixtures: the trace table, then one line per flow.
TEST(SummaryTraces, TableShowsEachTraceAndEachFlow)
{
    const Summary summary = summarize({}, {load_trace(kNginxSendfileOn), load_trace(kNginxSendfileOff)});
    const std::string table = render_summary_table(summary);
    EXPECT_EQ(table.rfind("## Traces\n\n| trace ", 0), 0u) << "no run table without runs: " << table;
    EXPECT_EQ(table.find("| technique "), std::string::npos) << table;
    using Cells = std::vector<std::string>;
    EXPECT_EQ(rows_of_table(table, "trace"),
              (std::vector<Cells>{{"nginx #1", "pids", "1.76", "interrupted", "64.00 MiB", "262 B", "0.0000039",
                                   "87 B", "88", "1.37", "16571", "0", "1.000", "0.320", "1", "match"},
                                  {"nginx #2", "pids", "1.76", "interrupted", "64.00 MiB", "128.00 MiB", "2.00",
                                   "87 B", "4108", "64.19", "16384", "0", "1.000", "0.640", "1", "match"}}))
        << table;
    const auto flow_header = table.find(" | flow ");
    ASSERT_NE(flow_header, std::string::npos) << table;
    EXPECT_EQ(rows_of_table(table.substr(table.rfind('\n', flow_header) + 1), "trace"),
              (std::vector<Cells>{{"nginx #1", "sendfile", "sendfile_dma_gather", "64 MiB", "0.00 / 0", "match"},
                                  {"nginx #1", "user_memory", "—", "262 B", "1.00 / 1", "no_theory"},
                                  {"nginx #2", "read_write", "read_write", "64 MiB", "2.00 / 2", "match"},
                                  {"nginx #2", "user_memory", "—", "262 B", "1.00 / 1", "no_theory"}}))
        << table;
}

TEST(SummaryTraces, MarkdownOfTracesAloneHasNoRunTableAndNoChecks)
{
    const TraceReport on = load_trace(kNginxSendfileOn), off = load_trace(kNginxSendfileOff);
    const Summary summary = summarize({}, {on, off});
    const std::string markdown = render_summary_markdown(summary, {});
    const std::vector<std::string> lines = lines_of(markdown);
    ASSERT_GT(lines.size(), 5u);
    EXPECT_EQ(lines[0], "# zctrace summary");
    EXPECT_EQ(lines[2], "- **nginx #1** (match): " + on.headline);
    EXPECT_EQ(lines[3], "- **nginx #2** (match): " + off.headline);
    EXPECT_EQ(lines[5], "Kernel " + kFixtureKernel + "; newest report 2026-11-29T17:27:01Z; " + summary.tool + ".");
    EXPECT_EQ(markdown.find("| technique "), std::string::npos);
    EXPECT_EQ(markdown.find("## Checks"), std::string::npos);
    EXPECT_EQ(markdown.find("Each figure cell reads measured / theory"), std::string::npos);
    const auto traces = markdown.find("\n## Traces\n\n");
    ASSERT_NE(traces, std::string::npos);
    EXPECT_EQ(markdown.substr(markdown.find("| trace ", traces)),
              render_markdown_table(trace_table(summary)) + "\n" + render_markdown_table(trace_flow_table(summary)));
}

// Runs and traces together: the runs' rows as they were without traces, the
// traces after them.
TEST(SummaryTraces, MixWithRuns)
{
    const std::vector<Report> reports = all_fixture_reports();
    const std::vector<TraceReport> traces = {load_trace(kNginxSendfileOn), load_trace(kNginxSendfileOff)};
    const Summary runs_only = summarize(reports);
    const Summary mixed = summarize(reports, traces);
    EXPECT_EQ(nlohmann::json(mixed.rows), nlohmann::json(runs_only.rows));
    ASSERT_EQ(mixed.traces.size(), 2u);
    EXPECT_EQ(mixed.traces[0].label, "nginx #1");
    EXPECT_EQ(mixed.kernels, runs_only.kernels) << "the traces ran on the fixtures' kernel";
    EXPECT_EQ(mixed.created_at, std::max(runs_only.created_at, std::string("2026-11-29T17:27:01Z")));
    EXPECT_EQ(mixed.verdict, runs_only.verdict) << "two matching traces change nothing";

    const nlohmann::json document = mixed;
    EXPECT_EQ(document.at("schema_version"), 3);
    EXPECT_EQ(document.at("rows").size(), reports.size());
    EXPECT_EQ(document.at("traces").size(), 2u);
    EXPECT_EQ(summary_schema().validate(document), std::vector<std::string>{});
    EXPECT_EQ(find_schema("summary", 3)->validate(document), std::vector<std::string>{});
    auto identified = identify_document(document, "summary.json");
    ASSERT_TRUE(identified) << identified.error().describe();
    EXPECT_EQ(identified->kind, DocumentKind::summary);
    EXPECT_EQ(nlohmann::json(document.get<Summary>()), document) << "reads back as it was written";

    // summary.md: the runs as before, then the traces.
    const std::string markdown = render_summary_markdown(mixed, reports);
    const std::string before = render_summary_markdown(runs_only, reports);
    const auto traces_at = markdown.find("\n## Traces\n\n");
    ASSERT_NE(traces_at, std::string::npos);
    EXPECT_GT(traces_at, markdown.find("## Checks that are not a plain match"));
    const std::string run_part = "\nEach figure cell reads measured / theory.";
    ASSERT_NE(before.find(run_part), std::string::npos);
    EXPECT_EQ(markdown.substr(markdown.find(run_part), before.size() - before.find(run_part)),
              before.substr(before.find(run_part)))
        << "from the run table to the checks, as without traces";
    const auto nginx = markdown.find("- **nginx #1** (match): ");
    ASSERT_NE(nginx, std::string::npos);
    EXPECT_GT(nginx, markdown.find("- **large_file_async_direct** ")) << "trace headlines after the runs'";
    EXPECT_LT(nginx, markdown.find("Kernel "));

    // The terminal: the run table, then the traces.
    const std::string table = render_summary_table(mixed);
    EXPECT_EQ(table.rfind(render_summary_table(runs_only) + "\n## Traces\n\n| trace ", 0), 0u) << table;
}

TEST(SummaryTraces, OverallVerdictWeighsTheTracesAsTheRuns)
{
    struct Case {
        Verdict run;
        Verdict trace;
        Verdict expected;
    };
    const std::vector<Case> cases = {
        {Verdict::match, Verdict::match, Verdict::match},
        {Verdict::match, Verdict::no_theory, Verdict::match},
        {Verdict::match, Verdict::environment, Verdict::match},
        {Verdict::match, Verdict::explained, Verdict::explained},
        {Verdict::explained, Verdict::mismatch, Verdict::mismatch},
        {Verdict::mismatch, Verdict::invalid, Verdict::invalid},
        {Verdict::invalid, Verdict::mismatch, Verdict::invalid},
    };
    for (const Case& c : cases) {
        TraceReport trace = load_trace(kNginxSendfileOn);
        trace.verdict = c.trace;
        const Summary summary = summarize({with_check_verdicts({c.run}, c.run)}, {trace});
        SCOPED_TRACE(std::string(verdict_name(c.run)) + " run, " + std::string(verdict_name(c.trace)) + " trace");
        EXPECT_EQ(summary.verdict, c.expected);
        EXPECT_EQ(summary.traces.front().verdict, c.trace) << "the trace's row keeps the trace's own verdict";
        EXPECT_EQ(summary_schema().validate(nlohmann::json(summary)), std::vector<std::string>{});
        EXPECT_EQ(summarize({}, {trace}).verdict, as_report_verdict(c.trace)) << "a trace alone";
    }
}

// traces is in version 3 alone, and only when there are any; a summary shows something.
TEST(SummaryTraces, Version3SchemaHoldsTracesAndEarlierVersionsStillValidate)
{
    const std::vector<TraceReport> traces = {load_trace(kNginxSendfileOn), load_trace(kNginxSendfileOff)};
    const nlohmann::json traces_only = summarize({}, traces);
    EXPECT_EQ(traces_only.at("rows"), nlohmann::json::array());
    EXPECT_EQ(find_schema("summary", 3)->validate(traces_only), std::vector<std::string>{});
    EXPECT_FALSE(find_schema("summary", 2)->validate(traces_only).empty());

    const nlohmann::json runs_only = summarize(all_fixture_reports());
    EXPECT_FALSE(runs_only.contains("traces")) << "left out when there are none";

    nlohmann::json empty_traces = runs_only;
    empty_traces["traces"] = nlohmann::json::array();
    EXPECT_FALSE(summary_schema().validate(empty_traces).empty()) << "an empty traces array is left out instead";
    nlohmann::json nothing = traces_only;
    nothing.erase("traces");
    EXPECT_FALSE(summary_schema().validate(nothing).empty()) << "neither a run row nor a trace";
    nlohmann::json invented = traces_only;
    invented["traces"][0]["dma_copies"] = 0;
    EXPECT_FALSE(summary_schema().validate(invented).empty()) << "a trace row holds the fields it names";

    // A version 2 summary (what zctrace wrote before traces) still reads back.
    nlohmann::json v2 = runs_only;
    v2["schema_version"] = 2;
    for (nlohmann::json& row : v2["rows"])
        for (const char* added : {"cost_seconds_per_gib", "chunk_bytes", "syscalls_per_gib", "mode_switches_per_gib"})
            row.erase(added);
    EXPECT_EQ(find_schema("summary", 2)->validate(v2), std::vector<std::string>{});
    auto identified = identify_document(v2, "v2-summary.json");
    ASSERT_TRUE(identified) << identified.error().describe();
    nlohmann::json v2_with_traces = traces_only;
    v2_with_traces["schema_version"] = 2;
    auto rejected = identify_document(v2_with_traces, "v2-summary.json");
    ASSERT_FALSE(rejected);
    EXPECT_NE(rejected.error().message.find("summary schema (v2)"), std::string::npos) << rejected.error().message;
}

TEST(SummarizeCli, SummarizesTwoTraces)
{
    TempDir out;
    const Finished result =
        zctrace({"summarize", kNginxSendfileOn.string(), kNginxSendfileOff.string(), "-o", out.path().string()});
    ASSERT_EQ(result.status, 0) << result.err;
    const Summary summary = summarize({}, {load_trace(kNginxSendfileOn), load_trace(kNginxSendfileOff)});
    EXPECT_EQ(result.out, render_summary_table(summary) + "summary written to " + out.path().string() +
                              ": summary.json, summary.md, summary.html\n");
    auto written = load_document(out.path() / "summary.json");
    ASSERT_TRUE(written) << written.error().describe();
    EXPECT_EQ(written->json.at("schema_version"), 3);
    EXPECT_EQ(written->json.at("rows").size(), 0u);
    ASSERT_EQ(written->json.at("traces").size(), 2u);
    EXPECT_EQ(written->json["traces"][0]["label"], "nginx #1");
    EXPECT_EQ(written->json["traces"][1]["flows"][0]["technique"], "read_write");
    EXPECT_EQ(written->json, nlohmann::json(summary));
    EXPECT_EQ(read_text(out.path() / "summary.md"), render_summary_markdown(summary, {}));
    EXPECT_NE(read_text(out.path() / "summary.html").find("<h2>Traces</h2>"), std::string::npos);
    EXPECT_EQ(out.entries().size(), 3u);

    const Finished validated = zctrace({"validate", (out.path() / "summary.json").string()});
    EXPECT_EQ(validated.status, 0) << validated.out << validated.err;
    EXPECT_NE(validated.out.find("summary v3: 0 rows, 2 traces"), std::string::npos) << validated.out;
}

// A directory of run reports with a trace.json beside them: both kinds, and
// summarizing again reads past the summary it wrote.
TEST(SummarizeCli, ADirectorysTraceReportIsATrace)
{
    TempDir dir;
    fs::copy(kLoopbackFixtures, dir.path());
    fs::copy(kNginxSendfileOff, dir.path() / "trace.json");
    for (int pass = 0; pass < 2; ++pass) {
        const Finished result = zctrace({"summarize", dir.path().string()});
        ASSERT_EQ(result.status, 0) << result.err;
        auto summary = load_document(dir.path() / "summary.json");
        ASSERT_TRUE(summary) << summary.error().describe();
        EXPECT_EQ(summary->json["rows"].size(), 8u);
        ASSERT_EQ(summary->json["traces"].size(), 1u);
        EXPECT_EQ(summary->json["traces"][0]["label"], "nginx");
        EXPECT_NE(result.out.find("\n## Traces\n\n| trace "), std::string::npos) << result.out;
    }
}

TEST(SummarizeCli, RefusesWhatIsNeitherARunNorATraceReport)
{
    TempDir dir;
    write_text(dir.path() / "package.json", R"({"name": "left-pad", "version": "1.3.0"})");
    const fs::path summary = dir.path() / "summary.json";
    write_text(summary, nlohmann::json(summarize({}, {load_trace(kNginxSendfileOn)})).dump(2));
    fs::create_directory(dir.path() / "empty");
    const std::string out = (dir.path() / "out").string();
    const std::vector<Refused> cases = {
        {{"summarize", kNginxSendfileOn.string(), (dir.path() / "package.json").string(), "-o", out},
         (dir.path() / "package.json").string() + ": not a zctrace document"},
        // Named alone, another zctrace document leaves nothing to summarize.
        {{"summarize", summary.string(), "-o", out}, "no reports found in " + summary.string()},
        {{"summarize", (dir.path() / "empty").string(), "-o", out},
         "no reports found in " + (dir.path() / "empty").string()},
    };
    expect_refused(cases);
    EXPECT_FALSE(fs::exists(out));
}

// `zctrace summarize reports/*.json` names the summary.json an earlier
// summarize wrote there: it is left out with a note, and the reports are
// summarized.
TEST(SummarizeCli, SkipsOtherZctraceDocumentsNamedWithANote)
{
    TempDir dir;
    const fs::path summary = dir.path() / "summary.json";
    write_text(summary, nlohmann::json(summarize({}, {load_trace(kNginxSendfileOn)})).dump(2));
    const std::string out = (dir.path() / "out").string();
    const Finished result = zctrace({"summarize", summary.string(), kNginxSendfileOn.string(), "-o", out});
    ASSERT_EQ(result.status, 0) << result.err;
    EXPECT_NE(result.err.find("zctrace summarize: skipped " + summary.string() + " is a zctrace summary, not a run or trace report\n"),
              std::string::npos)
        << result.err;
    auto written = load_document(fs::path(out) / "summary.json");
    ASSERT_TRUE(written) << written.error().describe();
    EXPECT_EQ(written->json["traces"].size(), 1u);
}

}  // namespace
}  // namespace zctrace::output_test
