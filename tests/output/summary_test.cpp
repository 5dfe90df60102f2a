// summary.json / summary.md / the terminal table, from reports captured
// from real runs: golden files, schema, and `zctrace summarize` end to end.
#include "support.hpp"
#include "output/json_schema.hpp"
#include "output/summary.hpp"
#include "report/gather_report.hpp"

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

TEST(Summary, MarkdownMatchesGolden)
{
    const std::vector<Report> reports = all_fixture_reports();
    expect_golden(render_summary_markdown(summarize(reports), reports), "summary.md");
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
    for (std::size_t i = 0; i < reports.size(); ++i) {
        const SummaryRow& row = summary.rows[i];
        const Report& report = reports[i];
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
        EXPECT_EQ(row.checks_matched + row.checks_explained + row.checks_mismatched,
                  static_cast<int>(report.checks.size()));
    }
    // What the fixtures measured: read+write copied the payload twice; SG off
    // on the veth turned sendfile's zero copies into one.
    EXPECT_EQ(row_labelled(summary, "read_write").cpu_copies, 2.0);
    EXPECT_EQ(row_labelled(summary, "sendfile").cpu_copies, 0.0);
    EXPECT_EQ(row_labelled(summary, "sendfile (veth, SG on)").theory_row, "sendfile + DMA gather");
    const SummaryRow& sg_off = row_labelled(summary, "sendfile (veth, SG off)");
    EXPECT_EQ(sg_off.theory_row, "sendfile");
    EXPECT_EQ(sg_off.cpu_copies, 1.0);
    EXPECT_EQ(summary.kernels.size(), 1u);
    EXPECT_EQ(summary.verdict, Verdict::explained);
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
            EXPECT_NE(line.find("0.00061 / 0"), std::string::npos) << line;
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
    EXPECT_EQ(result.out.substr(0, result.out.find("summary: ")), render_summary_table(summary));
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
    EXPECT_EQ(summary.rows[1].label, "read_write [6.19.0]");
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

    struct Case {
        std::vector<std::string> args;
        std::string expected;
    };
    const std::string out = (dir.path() / "out").string();
    const std::vector<Case> cases = {
        {{"summarize", (dir.path() / "missing.json").string(), "--out", out}, "cannot read"},
        {{"summarize", (dir.path() / "foreign.json").string(), "--out", out}, "not a zctrace document"},
        {{"summarize", (dir.path() / "future.json").string(), "--out", out}, "upgrade zctrace"},
        {{"summarize", (dir.path() / "truncated.json").string(), "--out", out}, "is not JSON"},
        {{"summarize", (kLoopbackFixtures / "sendfile.json").string(), "--out", (dir.path() / "file/sub").string()},
         "choose a writable directory"},
    };
    for (const Case& c : cases) {
        const Finished result = zctrace(c.args);
        EXPECT_EQ(result.status, 2) << c.args[1] << ": " << result.err;
        EXPECT_NE(result.err.find(c.expected), std::string::npos) << result.err;
        EXPECT_TRUE(result.out.empty()) << result.out;
    }
    EXPECT_FALSE(fs::exists(out));
}

}  // namespace
}  // namespace zctrace::output_test
