// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// summary.html: the page must stand alone (nothing fetched, report text
// escaped), and its charts must say what the reports say. The second half
// renders it in headless Chromium and checks the laid-out DOM: bars whose
// data-value is the report's own figure, lengths that follow the axis, and
// labels that are neither clipped nor on top of each other.
#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <set>

#include "support.hpp"
#include "base/units.hpp"
#include "output/html_report.hpp"
#include "output/summary.hpp"

namespace zctrace::output_test {
namespace {

using nlohmann::json;

constexpr const char* kCsp =
    "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
    "img-src data:\">";
const std::vector<std::string> kCharts = {"chart-cpu-copies", "chart-mode-switches", "chart-cpu-per-gib",
                                          "chart-cpu-per-gib-in-memory", "chart-bytes"};
const std::vector<std::string> kByteSeries = {"user copy", "page-cache copy", "shared frags", "DMA", "receiver copy"};

// The techniques that keep the payload in the sender (cow, direct_io,
// large_file_async_direct): the sender checksums it, nothing crosses TCP.
bool sends_nothing(const Report& report)
{
    return report.workload.integrity.verified_by == "sender";
}

// The charts a page of these reports should have: CPU time and MiB/s for the
// senders and for the others apart, each only when there are such rows.
std::vector<std::string> charts_for(const std::vector<Report>& reports)
{
    const auto keepers = std::count_if(reports.begin(), reports.end(), sends_nothing);
    std::vector<std::string> charts;
    for (const auto& id : kCharts)
        if ((id != "chart-cpu-per-gib" || keepers < static_cast<std::ptrdiff_t>(reports.size())) &&
            (id != "chart-cpu-per-gib-in-memory" || keepers > 0))
            charts.push_back(id);
    return charts;
}

// The rows a chart should name, in row order: a CPU chart only the
// senders', or only the others'.
std::vector<std::string> labels_in_chart(const std::string& id, const Summary& summary,
                                         const std::vector<Report>& reports)
{
    std::vector<std::string> labels;
    for (const SummaryRow& row : summary.rows) {
        const bool keeps = sends_nothing(reports.at(row.report_index));
        if ((id != "chart-cpu-per-gib" || !keeps) && (id != "chart-cpu-per-gib-in-memory" || keeps))
            labels.push_back(row.label);
    }
    return labels;
}

// Each report's bytes in each segment of "Where the bytes went", as multiples of the payload.
std::map<std::string, double> byte_shares(const Report& r)
{
    const CopyBytes& c = r.measured.cpu_copy_bytes;
    const double payload = static_cast<double>(r.workload.bytes);
    return {
        {"user copy", static_cast<double>(c.file_to_user + c.user_to_socket + c.copy_on_write) / payload},
        {"page-cache copy", static_cast<double>(c.page_cache_to_socket + c.kernel_to_socket + c.device_linearize) /
                                payload},
        {"shared frags",
         static_cast<double>(r.measured.socket.shared_frag_bytes + r.measured.socket.zerocopy_frag_bytes) / payload},
        {"DMA", static_cast<double>(r.measured.dma_bytes.total) / payload},
        {"receiver copy", static_cast<double>(r.measured.receiver.copy_bytes) / payload},
    };
}

// `run all` on loopback, then sendfile over veth with SG on and off.
std::vector<Report> fixture_reports()
{
    auto reports = loopback_reports();
    auto veth = load_reports({kFixtures / "veth-sg-on/sendfile.json", kFixtures / "veth-sg-off/sendfile.json"});
    if (!veth)
        throw std::runtime_error(veth.error().describe());
    reports.insert(reports.end(), veth->begin(), veth->end());
    return reports;
}

struct Page {
    std::vector<Report> reports;
    Summary summary;
    std::string html;
};

const Page& fixture_page()
{
    static const Page page = [] {
        Page built;
        built.reports = fixture_reports();
        built.summary = summarize(built.reports);
        built.html = render_summary_html(built.summary, built.reports);
        return built;
    }();
    return page;
}

// The markup of one chart, from its <svg> to the matching </svg>.
std::string chart_markup(const std::string& html, const std::string& id)
{
    const auto start = html.find("<svg id=\"" + id + "\"");
    if (start == std::string::npos)
        return "";
    const auto end = html.find("</svg>", start);
    return html.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

std::string escape(const std::string& text)
{
    std::string out;
    for (char c : text) {
        switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += "&quot;"; break;
        case '\'': out += "&#39;"; break;
        default: out += c;
        }
    }
    return out;
}

std::size_t count(const std::string& text, const std::string& needle)
{
    std::size_t n = 0;
    for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + needle.size()))
        ++n;
    return n;
}

// How each verdict should read, written out here rather than taken from
// html_report.cpp: environment and no_theory pass like match, invalid and
// mismatch fail.
std::string standing(Verdict verdict)
{
    const std::map<std::string, std::string> standings = {
        {"match", "pass"},        {"environment", "pass"}, {"no_theory", "pass"},
        {"explained", "explained"}, {"invalid", "fail"},   {"mismatch", "fail"}};
    return standings.at(std::string(verdict_name(verdict)));
}

std::string badge_markup(Verdict verdict)
{
    const std::string name(verdict_name(verdict));
    return "<span class=\"badge v-" + name + " " + standing(verdict) + "\">" + name + "</span>";
}

// A fixture whose checks got each of the six verdicts in turn, as a version
// 2 report's can.
Report with_every_check_verdict(Report report)
{
    for (std::size_t i = 0; i < report.checks.size(); ++i)
        report.checks[i].verdict = kAllVerdicts[i % std::size(kAllVerdicts)];
    while (report.checks.size() < std::size(kAllVerdicts)) {
        Check check = report.checks.back();
        check.metric += "_" + std::to_string(report.checks.size());
        check.verdict = kAllVerdicts[report.checks.size()];
        report.checks.push_back(check);
    }
    report.verdict = Verdict::invalid;
    return report;
}

// The rule for `selector` in the page's style sheet; empty when there is none.
std::string css_rule(const std::string& html, const std::string& selector)
{
    const auto style = html.find("<style>");
    const auto end = html.find("</style>", style);
    const std::string css = html.substr(style, end - style);
    const auto at = css.find("\n" + selector + " {");
    if (at == std::string::npos)
        return "";
    return css.substr(at + 1, css.find('}', at) - at);
}

// The hue (degrees) of a #rrggbb colour in a rule's `property`; -1 if none.
double hue_of(const std::string& rule, const std::string& property)
{
    const std::regex colour("(^|[ ;{])" + property + R"(: #([0-9a-fA-F]{6}))");
    std::smatch match;
    if (!std::regex_search(rule, match, colour))
        return -1;
    const int value = std::stoi(match.str(2), nullptr, 16);
    const double r = (value >> 16 & 0xFF) / 255.0, g = (value >> 8 & 0xFF) / 255.0, b = (value & 0xFF) / 255.0;
    const double max = std::max({r, g, b}), min = std::min({r, g, b});
    if (max == min)
        return 0;
    double hue = max == r ? std::fmod((g - b) / (max - min), 6.0) : max == g ? (b - r) / (max - min) + 2
                                                                             : (r - g) / (max - min) + 4;
    hue *= 60;
    return hue < 0 ? hue + 360 : hue;
}

TEST(HtmlPage, FetchesNothing)
{
    const std::string& html = fixture_page().html;
    EXPECT_NE(html.find(kCsp), std::string::npos) << "the Content-Security-Policy meta is missing";
    EXPECT_LT(html.find(kCsp), html.find("<style>")) << "the CSP must come before anything it governs";
    // A link may only lead within the page: href="#id", and the id exists.
    const std::regex external(
        R"(https?:|//|\bsrc\s*=|\bhref\s*=\s*(?!"#[-\w]+")|@import|url\s*\(|<script|<link|<img|<iframe)",
        std::regex::icase);
    std::smatch match;
    EXPECT_FALSE(std::regex_search(html, match, external))
        << "external reference: \"" << match.str() << "\" at offset " << match.position();
    const std::regex fragment(R"re(href="#([-\w]+)")re");
    std::size_t links = 0;
    for (auto it = std::sregex_iterator(html.begin(), html.end(), fragment); it != std::sregex_iterator();
         ++it, ++links)
        EXPECT_EQ(count(html, " id=\"" + it->str(1) + "\""), 1u) << "a link to #" << it->str(1) << " leads nowhere";
    EXPECT_GT(links, 0u) << "the tinted cells should link to their reasons";
}

TEST(HtmlPage, StartsAsAnHtml5DocumentInUtf8)
{
    const std::string& html = fixture_page().html;
    EXPECT_EQ(html.rfind("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">", 0), 0u);
    EXPECT_NE(html.find("<title>zctrace summary: 10 reports, " + fixture_page().summary.created_at + "</title>"),
              std::string::npos);
    EXPECT_EQ(html.substr(html.size() - 8), "</html>\n");
}

TEST(HtmlPage, EscapesReportText)
{
    auto reports = fixture_reports();
    reports[0].theory_row = "<script>alert('x')</script> & \"q\"";
    reports[1].technique = "mmap<b>";
    reports[2].findings.push_back("<svg onload=alert(1)>");
    reports[3].checks[1].verdict = Verdict::mismatch;
    reports[3].checks[1].explanation = "</li><script>bad()</script>";
    reports[4].headline = "direct_io: <img src=x onerror=alert(1)> & \"q\"";
    const std::string html = render_summary_html(summarize(reports), reports);

    EXPECT_EQ(html.find("<script"), std::string::npos);
    EXPECT_EQ(html.find("<img"), std::string::npos);
    EXPECT_NE(html.find("&lt;img src=x onerror=alert(1)&gt; &amp; &quot;q&quot;"), std::string::npos);
    EXPECT_EQ(html.find("mmap<b>"), std::string::npos);
    EXPECT_EQ(html.find("<svg onload"), std::string::npos);
    EXPECT_NE(html.find("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"), std::string::npos);
    // mmap_write sends: it is named down every chart but the one for techniques that send nothing.
    for (const auto& id : kCharts)
        EXPECT_EQ(chart_markup(html, id).find("data-technique=\"mmap&lt;b&gt;\">mmap&lt;b&gt;</text>") !=
                      std::string::npos,
                  id != "chart-cpu-per-gib-in-memory")
            << id;
    EXPECT_NE(html.find("&lt;svg onload=alert(1)&gt;"), std::string::npos);
    EXPECT_NE(html.find("&lt;/li&gt;&lt;script&gt;bad()&lt;/script&gt;"), std::string::npos);
}

TEST(HtmlPage, IsDeterministic)
{
    const Page& page = fixture_page();
    EXPECT_EQ(render_summary_html(page.summary, page.reports), page.html);
    EXPECT_EQ(render_summary_html(summarize(fixture_reports()), fixture_reports()), page.html);
}

TEST(HtmlPage, HasTheHeaderTableAndDetails)
{
    const Page& page = fixture_page();
    const std::string& html = page.html;
    EXPECT_NE(html.find(page.reports.front().environment.kernel), std::string::npos);
    EXPECT_NE(html.find("<dd>" + page.summary.tool + "</dd>"), std::string::npos);
    EXPECT_NE(html.find("<time>" + page.summary.created_at + "</time>"), std::string::npos);
    for (const char* header : {"technique", "theory row", "CPU copies", "DMA copies", "syscalls/ transfer",
                               "mode switches/ transfer", "CPU s/GiB", "MiB/s", "hit ratio", "verdict"})
        EXPECT_NE(html.find(std::string(">") + header + "</th>"), std::string::npos) << header;
    // read_write: the same cells as summary.md.
    EXPECT_NE(html.find("<tr><th scope=\"row\">read_write</th><td class=\"row\">read + write</td>"
                        "<td class=\"num\">2.00 / 2</td>"),
              std::string::npos);
    const SummaryRow& read_write = page.summary.rows.front();
    EXPECT_NE(html.find("<td class=\"num\">" + format_fixed(read_write.cpu_seconds_per_gib, 3) +
                        "</td><td class=\"num\">" + format_fixed(read_write.mib_per_second, 0) +
                        "</td><td class=\"num\">1.000</td>"),
              std::string::npos);
    // A check that is not a plain match tints its cell in its verdict's
    // style, with the explanation on hover; whatever verdicts the fixtures got.
    std::size_t tinted = 0;
    for (const Report& report : page.reports)
        for (const Check& check : report.checks) {
            if (check.verdict == Verdict::match ||
                (check.metric != "cpu_copies" && check.metric != "dma_copies" &&
                 check.metric != "syscalls_per_transfer" && check.metric != "mode_switches_per_transfer"))
                continue;
            const std::string name(verdict_name(check.verdict));
            EXPECT_NE(html.find("<td class=\"num v-" + name + " " + standing(check.verdict) + "\" title=\"" + name +
                                ": " + escape(check.explanation).substr(0, 60)),
                      std::string::npos)
                << report.technique << " " << check.metric;
            ++tinted;
        }
    EXPECT_GT(tinted, 0u) << "the fixtures should have a figure that is not a plain match";
    EXPECT_EQ(count(html, "<article class=\"technique\""), page.reports.size());
    for (const SummaryRow& row : page.summary.rows) {
        const Report& report = page.reports.at(row.report_index);
        const auto article = html.find("<article class=\"technique\" data-technique=\"" + escape(row.label) + "\">");
        ASSERT_NE(article, std::string::npos) << row.label;
        const std::string text = html.substr(article, html.find("</article>", article) - article);
        EXPECT_NE(text.find(badge_markup(row.verdict)), std::string::npos) << row.label;
        for (Verdict verdict : kAllVerdicts)
            if (row.check_verdicts[verdict] > 0) {
                EXPECT_NE(text.find(std::to_string(row.check_verdicts[verdict]) + " " +
                                    std::string(verdict_name(verdict))),
                          std::string::npos)
                    << row.label << " " << verdict_name(verdict);
            }
        for (const Check& check : report.checks) {
            if (check.verdict == Verdict::match)
                continue;
            EXPECT_NE(text.find(badge_markup(check.verdict)), std::string::npos) << row.label << " " << check.metric;
            EXPECT_NE(text.find(escape(check.explanation).substr(0, 60)), std::string::npos)
                << row.label << " " << check.metric;
        }
        for (const auto& finding : report.findings)
            EXPECT_NE(html.find(escape(finding).substr(0, 60)), std::string::npos) << row.label;
    }
}

// One line per run, first thing after the title: before the meta data, the
// table and the charts.
TEST(HtmlPage, OpensWithOneHeadlinePerRun)
{
    auto reports = fixture_reports();
    reports[2].headline = "sendfile: zero-copy — the CPU copied 0 B of 64 MiB, as \"sendfile + DMA gather\" says";
    const Summary summary = summarize(reports);
    const std::string html = render_summary_html(summary, reports);
    const auto list = html.find("<ol class=\"headlines\"");
    ASSERT_NE(list, std::string::npos);
    EXPECT_LT(html.find("<h1>"), list);
    for (const char* later : {"<dl class=\"meta\">", "<table", "<svg", "<article"})
        EXPECT_LT(list, html.find(later)) << later;
    const std::string items = html.substr(list, html.find("</ol>", list) - list);
    EXPECT_EQ(count(items, "<li "), summary.rows.size());
    std::size_t at = 0;
    for (const SummaryRow& row : summary.rows) {
        const std::string item = "<li class=\"headline " + standing(row.verdict) + "\" data-technique=\"" +
                                 escape(row.label) + "\" data-verdict=\"" + std::string(verdict_name(row.verdict)) +
                                 "\"><b>" + escape(row.label) + "</b> " + badge_markup(row.verdict) + " <span class=\"text" +
                                 (row.headline.empty() ? " fallback" : "") + "\">" + escape(headline_text(row)) +
                                 "</span></li>";
        const auto found = items.find(item, at);
        EXPECT_NE(found, std::string::npos) << item;
        at = found == std::string::npos ? at : found;  // in row order
    }
    EXPECT_NE(items.find("<span class=\"text\">zero-copy — the CPU copied 0 B of 64 MiB, as &quot;sendfile + DMA "
                         "gather&quot; says</span>"),
              std::string::npos)
        << items;
}

// The six check verdicts each have a style of their own; the passing ones
// read green, the failing ones red.
TEST(HtmlPage, EachCheckVerdictHasItsOwnStyle)
{
    auto reports = fixture_reports();
    reports[0] = with_every_check_verdict(reports[0]);
    const std::string html = render_summary_html(summarize(reports), reports);
    std::set<std::string> looks;
    for (Verdict verdict : kAllVerdicts) {
        const std::string name(verdict_name(verdict));
        SCOPED_TRACE(name);
        if (verdict != Verdict::match) {
            EXPECT_NE(html.find(badge_markup(verdict)), std::string::npos);
        }
        const std::string rule = css_rule(html, ".v-" + name);
        ASSERT_FALSE(rule.empty()) << "no .v-" << name << " rule";
        const std::string badge_rule = css_rule(html, ".badge.v-" + name);
        EXPECT_TRUE(looks.insert(rule.substr(rule.find('{')) + badge_rule.substr(std::min(badge_rule.size(),
                                                                                          badge_rule.find('{'))))
                        .second)
            << "looks like another verdict: " << rule << " " << badge_rule;
        const double hue = hue_of(rule, "background");
        ASSERT_GE(hue, 0) << rule;
        if (standing(verdict) == "pass") {
            EXPECT_TRUE(hue >= 90 && hue <= 180) << "passing should read green: hue " << hue << " in " << rule;
        } else if (standing(verdict) == "fail") {
            EXPECT_TRUE(hue <= 30 || hue >= 330) << "failing should read red: hue " << hue << " in " << rule;
        }
    }
}

TEST(HtmlPage, DrawsEveryChartWithLabelsAndUnits)
{
    const Page& page = fixture_page();
    const std::string& html = page.html;
    std::vector<std::size_t> positions;
    for (const auto& id : kCharts) {
        const std::string svg = chart_markup(html, id);
        ASSERT_FALSE(svg.empty()) << id;
        const std::vector<std::string> labels = labels_in_chart(id, page.summary, page.reports);
        positions.push_back(html.find("<svg id=\"" + id + "\""));
        const auto figure = html.rfind("<figure", positions.back());
        const auto caption = html.find("<figcaption", figure);
        EXPECT_LT(caption, positions.back()) << id << " has no figcaption";
        EXPECT_NE(svg.find("viewBox=\"0 0 960 "), std::string::npos) << id;
        EXPECT_NE(svg.find("class=\"axis-title\""), std::string::npos) << id;
        EXPECT_NE(svg.find("class=\"tick\""), std::string::npos) << id;
        for (const std::string& label : labels)
            EXPECT_NE(svg.find("text-anchor=\"end\" data-technique=\"" + label + "\">" + label + "</text>"),
                      std::string::npos)
                << id << " " << label;
        EXPECT_EQ(count(svg, "<text class=\"lbl\""), labels.size()) << id;
    }
    EXPECT_TRUE(std::is_sorted(positions.begin(), positions.end())) << "charts out of order";
    EXPECT_NE(chart_markup(html, "chart-cpu-copies").find(">CPU copies (copies of the payload)</text>"),
              std::string::npos);
    EXPECT_NE(chart_markup(html, "chart-mode-switches").find(">mode switches per transfer (entries + exits)</text>"),
              std::string::npos);
    EXPECT_NE(chart_markup(html, "chart-cpu-per-gib").find(">CPU time (s/GiB)</text>"), std::string::npos);
    EXPECT_NE(chart_markup(html, "chart-cpu-per-gib").find(">throughput (MiB/s)</text>"), std::string::npos);
    EXPECT_NE(chart_markup(html, "chart-cpu-per-gib-in-memory").find(">CPU time (s/GiB)</text>"), std::string::npos);
    EXPECT_NE(chart_markup(html, "chart-cpu-per-gib-in-memory").find(">rate through the payload (MiB/s)</text>"),
              std::string::npos);
    EXPECT_NE(chart_markup(html, "chart-bytes").find(">multiples of the payload (bytes ÷ payload bytes)</text>"),
              std::string::npos);
    // A segment for each report that had such bytes.
    for (const auto& series : kByteSeries) {
        const auto with_bytes = std::count_if(page.reports.begin(), page.reports.end(),
                                              [&](const Report& r) { return byte_shares(r).at(series) > 0; });
        EXPECT_GT(with_bytes, 0) << series;
        EXPECT_EQ(count(chart_markup(html, "chart-bytes"), "data-series=\"" + series + "\" data-value="),
                  static_cast<std::size_t>(with_bytes))
            << series;
    }
    for (const char* legend : {">user copy<", ">page-cache/kernel copy<", ">shared frags (referenced, not copied)<",
                               ">DMA<", ">receiver copy (past the sender&#39;s NIC; not in the theory table)<"})
        EXPECT_NE(chart_markup(html, "chart-bytes").find(legend), std::string::npos) << legend;
}

TEST(HtmlPage, SaysNoFigureWhereTheTheoryHasNone)
{
    const Page& page = fixture_page();
    const std::string svg = chart_markup(page.html, "chart-mode-switches");
    std::size_t missing = 0;
    for (const Report& report : page.reports)
        missing += !report.theory.syscalls_per_transfer + !report.theory.mode_switches_per_transfer;
    ASSERT_GT(missing, 0u) << "the fixtures should include a theory row without a figure";
    EXPECT_EQ(count(svg, ">no figure<title>"), missing);
    EXPECT_EQ(count(svg, "data-series=\"theory\" data-value="), 2 * page.reports.size() - missing);
    // cow's row gives neither figure.
    EXPECT_EQ(count(svg, "<text class=\"nofig\" data-technique=\"cow\" data-series=\"theory\""), 2u);
}

// A row taken from the kernel's documentation rather than the seeds says so,
// in the table and in its run's details, with the page it cites.
TEST(HtmlPage, MarksRowsBeyondTheSeeds)
{
    std::vector<Report> reports = loopback_reports();
    const std::string seeds_page = render_summary_html(summarize(reports), reports);
    EXPECT_EQ(seeds_page.find("beyond the seeds"), std::string::npos);
    Report& beyond = reports.front();
    beyond.theory.beyond_seeds = true;
    beyond.theory.source = "vmsplice(2) (SPLICE_F_GIFT)";
    const std::string html = render_summary_html(summarize(reports), reports);
    EXPECT_NE(html.find("<td class=\"row\">" + beyond.theory_row + " (beyond the seeds)"), std::string::npos);
    EXPECT_EQ(count(html, "(beyond the seeds: vmsplice(2) (SPLICE_F_GIFT))"), 1u);
}

// Reports with a cost model get a stacked chart of where the sender's CPU
// time went, in CPU-s/GiB per part; reports without one draw no such chart.
TEST(HtmlPage, DrawsWhereTheSendersCpuTimeWent)
{
    std::vector<Report> reports = loopback_reports();
    EXPECT_EQ(render_summary_html(summarize(reports), reports).find("chart-cost"), std::string::npos);
    Report& first = reports.front();
    const double gib = static_cast<double>(first.workload.bytes) / static_cast<double>(1ull << 30);
    CostModel cost;
    cost.machine = {16e9, 174, 1612, "boot", "2026-11-30T03:38:23Z", false};
    cost.measured_seconds = 0.4 * gib;
    cost.parts = {{"copies", 0.1 * gib, 0.25, "copies"},
                  {"mode_switches", 0.02 * gib, 0.05, "syscalls"},
                  {"page_faults", 0, 0, "faults"},
                  {"residual", 0.28 * gib, 0.7, "the rest"}};
    first.cost = cost;
    const std::string html = render_summary_html(summarize(reports), reports);
    const std::string svg = chart_markup(html, "chart-cost");
    ASSERT_FALSE(svg.empty());
    const std::string row = "data-technique=\"" + summarize(reports).rows.front().label + "\" data-series=\"";
    EXPECT_NE(svg.find(row + "copies\" data-value=\"0.1"), std::string::npos) << svg;
    EXPECT_NE(svg.find(row + "the rest\" data-value=\"0.28"), std::string::npos) << svg;
    EXPECT_EQ(svg.find(row + "page faults\""), std::string::npos) << "a part of 0 draws nothing";
    EXPECT_EQ(count(svg, "<rect class=\"bar\""), 3u) << "only the report with a cost model has bars";
}

// read_write and sendfile run again at 4 KiB chunks, as a sweep would: 16
// times the calls for the same bytes.
void add_small_chunk_runs(std::vector<Report>& reports)
{
    for (const std::string technique : {"read_write", "sendfile"})
        for (const Report& report : loopback_reports())
            if (report.technique == technique) {
                Report small = report;
                small.workload.chunk_bytes = 4096;
                small.measured.syscalls.total *= 16;
                small.measured.mode_switches *= 16;
                small.workload.cpu_seconds_per_gib *= 2.5;
                reports.push_back(small);
            }
}

// A chunk-size sweep draws one line chart per figure, a line per technique
// run at more than one chunk, its points at the summary's values.
TEST(HtmlPage, DrawsTheChunkSweepAsLines)
{
    std::vector<Report> reports = loopback_reports();
    EXPECT_EQ(render_summary_html(summarize(reports), reports).find("chart-sweep"), std::string::npos);
    add_small_chunk_runs(reports);
    const Summary summary = summarize(reports);
    const std::string html = render_summary_html(summary, reports);
    for (const char* id : {"chart-sweep-syscalls", "chart-sweep-mode-switches", "chart-sweep-cpu", "chart-sweep-copies"}) {
        const std::string svg = chart_markup(html, id);
        ASSERT_FALSE(svg.empty()) << id;
        EXPECT_EQ(count(svg, "<polyline class=\"line\""), 2u) << id << ": read_write and sendfile, not the others";
        EXPECT_EQ(count(svg, "<circle class=\"point\""), 4u) << id;
        EXPECT_NE(svg.find("data-technique=\"sendfile\" data-chunk=\"4096\""), std::string::npos) << id;
    }
    // Each point carries its row's figure, to the last digit.
    auto exact_text = [](double value) {
        char buffer[64];
        return std::string(buffer, std::to_chars(buffer, buffer + sizeof buffer, value).ptr);
    };
    for (const SummaryRow& row : summary.rows) {
        if (row.technique != "sendfile")
            continue;
        EXPECT_NE(chart_markup(html, "chart-sweep-syscalls")
                      .find("data-technique=\"sendfile\" data-chunk=\"" + std::to_string(row.chunk_bytes) +
                            "\" data-value=\"" + exact_text(row.syscalls_per_gib) + "\""),
                  std::string::npos)
            << row.chunk_bytes;
    }
}

TEST(HtmlPage, RendersAnEmptySummary)
{
    const std::string html = render_summary_html(Summary{}, {});
    EXPECT_NE(html.find("No reports to chart."), std::string::npos);
    EXPECT_EQ(html.find("<svg"), std::string::npos);
    EXPECT_NE(html.find(kCsp), std::string::npos);
}

TEST(HtmlPage, FitsLongLabels)
{
    auto reports = fixture_reports();
    reports[0].technique = std::string(120, 'w');
    const std::string html = render_summary_html(summarize(reports), reports);
    // Cut to fit the label column, with the whole label on hover.
    EXPECT_NE(html.find("…<title>" + reports[0].technique + "</title></text>"), std::string::npos);
}

TEST(HtmlPage, IsTheSameWhateverOrderTheReportsCameIn)
{
    auto backwards = fixture_reports();
    std::reverse(backwards.begin(), backwards.end());
    EXPECT_EQ(render_summary_html(summarize(backwards), backwards), fixture_page().html);
}

// A technique that sends nothing goes through the payload at memory or disk
// speed: it has CPU and MiB/s axes of its own, apart from the senders'.
TEST(HtmlPage, TechniquesThatSendNothingHaveAxesOfTheirOwn)
{
    const Page& page = fixture_page();
    std::vector<std::string> keepers;
    for (const SummaryRow& row : page.summary.rows) {
        const bool keeps = sends_nothing(page.reports.at(row.report_index));
        const std::string named = "data-technique=\"" + escape(row.label) + "\"";
        EXPECT_EQ(chart_markup(page.html, "chart-cpu-per-gib").find(named) != std::string::npos, !keeps) << row.label;
        EXPECT_EQ(chart_markup(page.html, "chart-cpu-per-gib-in-memory").find(named) != std::string::npos, keeps)
            << row.label;
        if (keeps)
            keepers.push_back(row.label);
    }
    EXPECT_EQ(keepers, (std::vector<std::string>{"direct_io", "cow", "large_file_async_direct"}));
    // Senders alone: no chart for the others.
    std::vector<Report> senders = fixture_reports();
    std::erase_if(senders, sends_nothing);
    const std::string html = render_summary_html(summarize(senders), senders);
    EXPECT_NE(html.find("<svg id=\"chart-cpu-per-gib\""), std::string::npos);
    EXPECT_EQ(html.find("chart-cpu-per-gib-in-memory"), std::string::npos);
}

// The receiver's copy has a segment of its own, and the caption says why the
// theory has no figure for it.
TEST(HtmlPage, WhereTheBytesWentShowsTheReceiversCopy)
{
    const Page& page = fixture_page();
    const std::string svg = chart_markup(page.html, "chart-bytes");
    for (const SummaryRow& row : page.summary.rows) {
        const Report& report = page.reports.at(row.report_index);
        const std::string segment = "data-technique=\"" + escape(row.label) + "\" data-series=\"receiver copy\"";
        EXPECT_EQ(svg.find(segment) != std::string::npos, report.measured.receiver.copy_bytes > 0) << row.label;
        EXPECT_EQ(report.measured.receiver.copy_bytes > 0, !sends_nothing(report)) << row.label;
    }
    EXPECT_NE(svg.find("data-technique=\"read_write\" data-series=\"total\""), std::string::npos);
    EXPECT_NE(svg.find(">user copy 2 + receiver copy 1</text>"), std::string::npos) << "read_write's annotation";
    const auto figure = page.html.rfind("<figure", page.html.find("<svg id=\"chart-bytes\""));
    const std::string caption = page.html.substr(figure, page.html.find("</figcaption>", figure) - figure);
    EXPECT_NE(caption.find("<i>receiver copy</i>"), std::string::npos) << caption;
    EXPECT_NE(caption.find("The theory table stops at the sender's NIC"), std::string::npos) << caption;
}

std::vector<std::string> legend_entries(const std::string& svg)
{
    const std::regex entry(R"re(<text class="legend" data-legend="([^"]*)")re");
    std::vector<std::string> keys;
    for (auto it = std::sregex_iterator(svg.begin(), svg.end(), entry); it != std::sregex_iterator(); ++it)
        keys.push_back(it->str(1));
    return keys;
}

TEST(HtmlPage, LegendsNameOnlySeriesThatDrewABar)
{
    const auto loopback = loopback_reports();
    // sendfile and splice on lo: page-cache pages shared with the socket, then the receiver's copy; nothing else.
    const std::vector<Report> zero_copy = {loopback[2], loopback[3]};
    const std::string html = render_summary_html(summarize(zero_copy), zero_copy);
    EXPECT_EQ(legend_entries(chart_markup(html, "chart-bytes")),
              (std::vector<std::string>{"shared frags", "receiver copy"}));
    for (const char* absent : {"user copy", "page-cache copy", "DMA"})
        EXPECT_EQ(chart_markup(html, "chart-bytes").find("data-series=\"" + std::string(absent) + "\""),
                  std::string::npos)
            << absent;
    // cow alone: the theory gives neither syscalls nor mode switches, so only the measured bars have a key.
    const std::vector<Report> cow = {loopback[6]};
    const std::string cow_html = render_summary_html(summarize(cow), cow);
    EXPECT_EQ(legend_entries(chart_markup(cow_html, "chart-mode-switches")), std::vector<std::string>{"measured"});
    EXPECT_EQ(legend_entries(chart_markup(cow_html, "chart-cpu-copies")),
              (std::vector<std::string>{"measured", "theory"}));
}

// Checks of the table's four measured / theory columns that are not a plain
// match: the cells that are tinted.
std::size_t tinted_cells(const std::vector<Report>& reports)
{
    std::size_t tinted = 0;
    for (const Report& report : reports)
        for (const Check& check : report.checks)
            tinted += check.verdict != Verdict::match &&
                      (check.metric == "cpu_copies" || check.metric == "dma_copies" ||
                       check.metric == "syscalls_per_transfer" || check.metric == "mode_switches_per_transfer");
    return tinted;
}

// A tinted cell's reason is printed on the page, not only in its tooltip:
// the cell links to it by a number that the reason carries too.
TEST(HtmlPage, EveryTintedCellLinksToItsReasonPrintedBelow)
{
    const std::string& html = fixture_page().html;
    const std::regex cell(R"re(<td class="num v-(\w+) \w+" title="(\w+): ([^"]*)">[^<]*)re"
                          R"re(<a class="why" href="#([-\w]+)">(\d+)</a></td>)re");
    int number = 0;
    for (auto it = std::sregex_iterator(html.begin(), html.end(), cell); it != std::sregex_iterator(); ++it) {
        const std::smatch& m = *it;
        EXPECT_EQ(std::stoi(m.str(5)), ++number) << "numbered in reading order";
        EXPECT_EQ(m.str(1), m.str(2));
        const std::string item = "<li id=\"" + m.str(4) + "\" data-verdict=\"" + m.str(1) + "\"><span class=\"note\">" +
                                 m.str(5) + "</span> ";
        const auto at = html.find(item);
        ASSERT_NE(at, std::string::npos) << item;
        const std::string reason = html.substr(at, html.find("</li>", at) - at);
        EXPECT_NE(reason.find(m.str(3).substr(0, 40)), std::string::npos) << reason;
    }
    EXPECT_EQ(static_cast<std::size_t>(number), tinted_cells(fixture_page().reports));
}

// The first CJK character in UTF-8 text, or "" when there is none: what a
// machine without a CJK font (stock Debian) draws as a box.
std::string first_cjk(const std::string& text)
{
    for (std::size_t i = 0; i < text.size();) {
        const unsigned char lead = static_cast<unsigned char>(text[i]);
        const std::size_t length = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
        char32_t code = length == 1 ? lead : lead & (0xFF >> (length + 1));
        for (std::size_t k = 1; k < length && i + k < text.size(); ++k)
            code = (code << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3F);
        if ((code >= 0x2E80 && code <= 0x9FFF) || (code >= 0xF900 && code <= 0xFAFF) ||
            (code >= 0xFF00 && code <= 0xFFEF))
            return text.substr(i, length);
        i += length;
    }
    return "";
}

const std::string kChineseTitle = "the seeds&#39; Chinese: ";

// The seeds' Chinese stays out of the page's text, behind [zh] markers
// whose titles hold it; the English names and remarks are what shows.
TEST(HtmlPage, ChineseWordingSitsBehindMarkers)
{
    const Page& page = fixture_page();
    for (const SummaryRow& row : page.summary.rows) {
        const Report& report = page.reports.at(row.report_index);
        const bool named_apart = report.theory.name_zh != report.theory.name;
        EXPECT_EQ(page.html.find("<td class=\"row\">" + escape(report.theory_row) + " <span class=\"zh\" title=\"" +
                                 kChineseTitle + report.theory.name_zh + "\">[zh]</span></td>") != std::string::npos,
                  named_apart)
            << row.label;
    }
    EXPECT_NE(page.html.find(": general, slow <span class=\"zh\" title=\"" + kChineseTitle +
                             "通用性好，性能较差\">[zh]</span>. "),
              std::string::npos)
        << "read_write's remark";
    EXPECT_NE(page.html.find("the seeds give no count for &quot;specific interface <span class=\"zh\" title=\"" +
                             kChineseTitle + "特定接口\">[zh]</span>&quot;"),
              std::string::npos)
        << "direct_io's syscalls explanation";
    // Outside titles, nothing Chinese is left.
    const std::string untitled =
        std::regex_replace(std::regex_replace(page.html, std::regex(R"( title="[^"]*")"), ""),
                           std::regex("<title>[^<]*</title>"), "");
    EXPECT_EQ(first_cjk(untitled), "");
}

// ---- Traces ------------------------------------------------------------------

std::vector<TraceReport> nginx_traces()
{
    return {load_trace(kNginxSendfileOn), load_trace(kNginxSendfileOff)};
}

// The markup of the Traces section.
std::string traces_section(const std::string& html)
{
    const auto start = html.find("<section class=\"traces\">");
    if (start == std::string::npos)
        return "";
    return html.substr(start, html.find("</section>", start) - start);
}

TEST(HtmlPage, ShowsTracesInTablesOfTheirOwnAfterTheRunTable)
{
    const std::vector<Report> reports = fixture_reports();
    const Summary summary = summarize(reports, nginx_traces());
    const std::string html = render_summary_html(summary, reports);
    const std::string section = traces_section(html);
    ASSERT_FALSE(section.empty());
    EXPECT_LT(html.find("<table class=\"summary\">"), html.find("<section class=\"traces\">"));
    EXPECT_LT(html.find("<section class=\"traces\">"), html.find("<h2>Charts</h2>"));
    EXPECT_NE(html.find("<title>zctrace summary: 12 reports, "), std::string::npos);
    EXPECT_NE(html.find("<dt>Reports</dt><dd>12</dd>"), std::string::npos);
    EXPECT_NE(html.find(" from 12 reports; newest "), std::string::npos);

    // The cells summary.md has, the verdict as its badge.
    EXPECT_NE(section.find("<tr><th scope=\"row\">nginx #1</th><td>pids</td><td class=\"num\">1.76</td>"
                           "<td>interrupted</td><td class=\"num\">64.00 MiB</td><td class=\"num\">262 B</td>"
                           "<td class=\"num\">0.0000039</td>"),
              std::string::npos)
        << section;
    EXPECT_NE(section.find("<td class=\"num\">4108</td><td class=\"num\">64.19</td>"), std::string::npos);
    EXPECT_NE(section.find("<td class=\"num\">1</td><td>" + badge_markup(Verdict::match) + "</td></tr>"),
              std::string::npos);
    EXPECT_NE(section.find("<tr><th scope=\"row\">nginx #1</th><td>sendfile</td><td>sendfile_dma_gather</td>"
                           "<td class=\"num\">64 MiB</td><td class=\"num\">0.00 / 0</td><td>" +
                           badge_markup(Verdict::match) + "</td></tr>"),
              std::string::npos)
        << section;
    EXPECT_NE(section.find("<tr><th scope=\"row\">nginx #1</th><td>user_memory</td><td>—</td>"
                           "<td class=\"num\">262 B</td><td class=\"num\">1.00 / 1</td><td>" +
                           badge_markup(Verdict::no_theory) + "</td></tr>"),
              std::string::npos);
    EXPECT_NE(section.find("<td>read_write</td><td>read_write</td><td class=\"num\">64 MiB</td>"
                           "<td class=\"num\">2.00 / 2</td>"),
              std::string::npos);
    EXPECT_EQ(count(section, "<tr><th scope=\"row\">"), 2u + 4u) << "two traces, four flows";

    // Headlines: the runs', then the traces'.
    const std::string items = html.substr(html.find("<ol class=\"headlines\""));
    EXPECT_EQ(count(items.substr(0, items.find("</ol>")), "<li "), reports.size() + 2);
    EXPECT_NE(items.find("<li class=\"headline pass\" data-trace=\"nginx #2\" data-verdict=\"match\"><b>nginx #2</b> " +
                         badge_markup(Verdict::match) + " <span class=\"text\">nginx (pid 23721), 64.00 MiB sent"),
              std::string::npos);
    // The charts are the runs' alone.
    for (const auto& id : kCharts)
        EXPECT_EQ(chart_markup(html, id).find("nginx"), std::string::npos) << id;
}

TEST(HtmlPage, RunsAloneHaveNoTraces)
{
    EXPECT_EQ(fixture_page().html.find("Traces"), std::string::npos);
    EXPECT_EQ(fixture_page().html.find("data-trace="), std::string::npos);
}

TEST(HtmlPage, TracesAloneMakeAPageWithoutRunTableOrCharts)
{
    const std::string html = render_summary_html(summarize({}, nginx_traces()), {});
    EXPECT_NE(html.find(kCsp), std::string::npos);
    EXPECT_FALSE(traces_section(html).empty());
    EXPECT_EQ(html.find("<h2>Summary</h2>"), std::string::npos);
    EXPECT_EQ(html.find("<svg"), std::string::npos);
    EXPECT_EQ(html.find("No reports to chart."), std::string::npos);
    EXPECT_NE(html.find("<footer>Generated by "), std::string::npos);
    EXPECT_EQ(html.substr(html.size() - 8), "</html>\n");
}

TEST(HtmlPage, EscapesTraceText)
{
    std::vector<TraceReport> traces = nginx_traces();
    traces[0].target.label = "<script>alert('x')</script>";
    traces[0].headline = "nginx: <img src=x onerror=alert(1)> & \"q\"";
    traces[0].flows[0].theory_row = "<b>row</b>";
    traces[1].target.kind = "<i>pids</i>";
    const std::string html = render_summary_html(summarize({}, traces), {});
    for (const char* raw : {"<script", "<img", "<b>row", "<i>pids"})
        EXPECT_EQ(html.find(raw), std::string::npos) << raw;
    for (const char* escaped : {"&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;",
                                "nginx: &lt;img src=x onerror=alert(1)&gt; &amp; &quot;q&quot;", "&lt;b&gt;row&lt;/b&gt;",
                                "&lt;i&gt;pids&lt;/i&gt;"})
        EXPECT_NE(html.find(escaped), std::string::npos) << escaped;
}

// ---- Headless Chromium -----------------------------------------------------

constexpr const char* kChromium = "/usr/bin/chromium";

// Measures every chart, bar and label after layout and leaves the result as
// JSON in #zctrace-test-result for --dump-dom to carry out.
constexpr const char* kMeasureScript = R"(<pre id="zctrace-test-result"></pre>
<script>
(function () {
  function box(r) {
    return {left: r.left, right: r.right, top: r.top, bottom: r.bottom, width: r.width, height: r.height};
  }
  function metricOf(el) { const p = el.closest('[data-metric]'); return p ? p.getAttribute('data-metric') : ''; }
  function ownText(el) { return Array.from(el.childNodes).filter(n => n.nodeType === 3).map(n => n.data).join(''); }
  const out = {charts: {}};
  for (const svg of document.querySelectorAll('svg[id]')) {
    const style = getComputedStyle(svg);
    const vb = svg.viewBox.baseVal;
    const figure = svg.closest('figure');
    const caption = figure ? figure.querySelector('figcaption') : null;
    const chart = {box: box(svg.getBoundingClientRect()), viewBox: [vb.x, vb.y, vb.width, vb.height],
                   visible: style.display !== 'none' && style.visibility !== 'hidden' && style.opacity !== '0',
                   caption: caption ? caption.textContent : '', bars: [], texts: [], ticks: []};
    for (const rect of svg.querySelectorAll('rect[data-series]')) {
      const title = rect.querySelector('title');
      chart.bars.push(Object.assign(box(rect.getBoundingClientRect()), {
        technique: rect.getAttribute('data-technique'), series: rect.getAttribute('data-series'),
        value: rect.getAttribute('data-value'), metric: metricOf(rect), userWidth: rect.getBBox().width,
        tooltip: title ? title.textContent : ''}));
    }
    for (const text of svg.querySelectorAll('text')) {
      chart.texts.push(Object.assign(box(text.getBoundingClientRect()), {
        text: ownText(text), kind: text.getAttribute('class') || '',
        technique: text.getAttribute('data-technique') || '',
        series: text.getAttribute('data-series') || '', legend: text.getAttribute('data-legend') || '',
        metric: metricOf(text)}));
    }
    chart.points = [];
    for (const point of svg.querySelectorAll('circle[data-chunk]'))
      chart.points.push(Object.assign(box(point.getBoundingClientRect()), {
        technique: point.getAttribute('data-technique'), chunk: point.getAttribute('data-chunk')}));
    for (const line of svg.querySelectorAll('line[data-tick]'))
      chart.ticks.push({metric: metricOf(line), value: line.getAttribute('data-tick'),
                        x: line.getBoundingClientRect().left});
    out.charts[svg.id] = chart;
  }
  out.badges = [];
  for (const badge of document.querySelectorAll('.badge')) {
    const style = getComputedStyle(badge);
    out.badges.push({className: badge.className, text: badge.textContent, background: style.backgroundColor,
                     color: style.color, border: style.borderTopStyle + ' ' + style.borderTopColor,
                     width: badge.getBoundingClientRect().width, height: badge.getBoundingClientRect().height});
  }
  // The text a reader sees: every text node laid out on the page, but not
  // tooltips (title attributes, SVG <title>), nor this script's own output.
  out.visibleText = '';
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const parent = walker.currentNode.parentElement;
    if (parent && !parent.closest('title, style, script, #zctrace-test-result') && parent.getClientRects().length)
      out.visibleText += walker.currentNode.data + '\n';
  }
  out.chineseMarkers = Array.from(document.querySelectorAll('.zh'), m => ({text: m.textContent, title: m.title}));
  out.whyLinks = Array.from(document.querySelectorAll('a.why'), a => {
    const target = document.getElementById(a.getAttribute('href').slice(1));
    return {text: a.textContent, cellTitle: a.closest('td').title, target: target ? target.innerText : null,
            targetShown: !!target && target.getClientRects().length > 0};
  });
  out.page = {innerWidth: window.innerWidth, scrollWidth: document.documentElement.scrollWidth, frames: []};
  for (const frame of document.querySelectorAll('.table-frame, .chart-frame, figure, article'))
    out.page.frames.push({kind: frame.className || frame.tagName, clientWidth: frame.clientWidth,
                          scrollWidth: frame.scrollWidth});
  document.getElementById('zctrace-test-result').textContent = JSON.stringify(out);
})();
</script>
)";

// --no-sandbox: the tests run as root. The rest keeps a fresh profile from
// reaching out to the network or doing first-run work.
std::vector<std::string> chromium_args(const fs::path& profile, const fs::path& page)
{
    return {"--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=" + profile.string(), "--no-first-run",
            "--no-default-browser-check", "--disable-background-networking", "--disable-component-update",
            "--disable-extensions", "--disable-sync", "--hide-scrollbars", "--force-device-scale-factor=1",
            "--window-size=1280,4000", "--dump-dom", "file://" + page.string()};
}

// The page with its CSP widened just enough for the measuring script.
std::string instrumented(std::string html)
{
    const std::string old_csp = "img-src data:\">";
    const auto at = html.find(old_csp);
    if (at == std::string::npos)
        throw std::runtime_error("no CSP to widen");
    html.replace(at, old_csp.size(), "img-src data:; script-src 'unsafe-inline'\">");
    return html.insert(html.rfind("</body>"), kMeasureScript);
}

std::string unescape_html(const std::string& text)
{
    static const std::vector<std::pair<std::string, std::string>> entities = {
        {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&#39;", "'"}, {"&nbsp;", "\xC2\xA0"}, {"&amp;", "&"}};
    std::string out;
    for (std::size_t i = 0; i < text.size();) {
        bool replaced = false;
        if (text[i] == '&')
            for (const auto& [entity, character] : entities)
                if (text.compare(i, entity.size(), entity) == 0) {
                    out += character;
                    i += entity.size();
                    replaced = true;
                    break;
                }
        if (!replaced)
            out += text[i++];
    }
    return out;
}

// What the measuring script left in the dumped DOM; null when it did not run.
json measured_layout(const std::string& dom)
{
    const std::string open = "<pre id=\"zctrace-test-result\">";
    const auto start = dom.find(open);
    if (start == std::string::npos)
        return nullptr;
    const auto end = dom.find("</pre>", start);
    const std::string text = unescape_html(dom.substr(start + open.size(), end - start - open.size()));
    return text.empty() ? json(nullptr) : json::parse(text);
}

double parse_double(const std::string& text)
{
    char* end = nullptr;
    const double value = std::strtod(text.c_str(), &end);
    return end && *end == '\0' && !text.empty() ? value : std::nan("");
}

std::string str(const json& value)
{
    return value.is_string() ? value.get<std::string>() : value.dump();
}

double dbl(const json& value)
{
    return value.is_number() ? value.get<double>() : std::nan("");
}

std::string where(const json& item)
{
    return str(item["technique"]) + " " + str(item["metric"]) + " " + str(item["series"]);
}

// ---- The checkers: each returns what is wrong, so a test can also show
// that they notice a broken page.

struct ExpectedBar {
    std::string chart, metric, technique, series;
    std::optional<double> value;  // empty: no bar, a "no figure" label instead
};

// Every bar the page should draw, from the reports' own fields. A CPU chart
// holds either the senders or the techniques that send nothing; "Where the
// bytes went" has a segment only where there were such bytes.
std::vector<ExpectedBar> expected_bars(const Summary& summary, const std::vector<Report>& reports)
{
    std::vector<ExpectedBar> bars;
    for (const SummaryRow& row : summary.rows) {
        const Report& r = reports.at(row.report_index);
        const std::string& label = row.label;
        auto add = [&](const char* chart, const char* metric, const char* series, std::optional<double> value) {
            bars.push_back({chart, metric, label, series, value});
        };
        add("chart-cpu-copies", "cpu_copies", "measured", r.measured.cpu_copies);
        add("chart-cpu-copies", "cpu_copies", "theory", r.theory.cpu_copies);
        add("chart-cpu-copies", "dma_copies", "measured", r.measured.dma_copies);
        add("chart-cpu-copies", "dma_copies", "theory", r.theory.dma_copies);
        add("chart-mode-switches", "syscalls_per_transfer", "measured", r.measured.syscalls_per_transfer);
        add("chart-mode-switches", "syscalls_per_transfer", "theory", r.theory.syscalls_per_transfer);
        add("chart-mode-switches", "mode_switches_per_transfer", "measured", r.measured.mode_switches_per_transfer);
        add("chart-mode-switches", "mode_switches_per_transfer", "theory", r.theory.mode_switches_per_transfer);
        const char* cpu_chart = sends_nothing(r) ? "chart-cpu-per-gib-in-memory" : "chart-cpu-per-gib";
        add(cpu_chart, "cpu_seconds_per_gib", "measured", r.workload.cpu_seconds_per_gib);
        add(cpu_chart, "mib_per_second", "measured", r.workload.mib_per_second);
        for (const auto& [series, share] : byte_shares(r))
            if (share > 0)
                add("chart-bytes", "bytes", series.c_str(), share);
    }
    return bars;
}

// Each bar's data-value is the report's figure, exactly; a missing theory
// figure is a "no figure" label and no bar.
std::vector<std::string> check_values(const json& layout, const Summary& summary, const std::vector<Report>& reports)
{
    std::vector<std::string> problems;
    std::size_t bars_expected = 0, bars_seen = 0;
    for (const auto& [id, chart] : layout["charts"].items())
        bars_seen += chart["bars"].size();
    for (const ExpectedBar& want : expected_bars(summary, reports)) {
        const json& chart = layout["charts"][want.chart];
        std::vector<const json*> found;
        for (const json& bar : chart["bars"])
            if (bar["technique"] == want.technique && bar["series"] == want.series && bar["metric"] == want.metric)
                found.push_back(&bar);
        const std::string name = want.chart + " " + want.technique + " " + want.metric + " " + want.series;
        if (!want.value) {
            if (!found.empty())
                problems.push_back(name + ": a bar where the theory has no figure");
            bool labelled = false;
            for (const json& text : chart["texts"])
                labelled |= text["kind"] == "nofig" && text["technique"] == want.technique &&
                            text["metric"] == want.metric && text["text"] == "no figure";
            if (!labelled)
                problems.push_back(name + ": no \"no figure\" label");
            continue;
        }
        ++bars_expected;
        if (found.size() != 1) {
            problems.push_back(name + ": " + std::to_string(found.size()) + " bars");
            continue;
        }
        const std::string text = str((*found[0])["value"]);
        if (parse_double(text) != *want.value)
            problems.push_back(name + ": data-value " + text + ", the report says " + json(*want.value).dump());
    }
    if (bars_seen != bars_expected)
        problems.push_back(std::to_string(bars_seen) + " bars drawn, " + std::to_string(bars_expected) + " expected");
    return problems;
}

// The page has the charts these reports call for (charts_for), and no
// other; they are visible; bars start at the axis's 0, never run backwards,
// and are as long as the ticks say (within a pixel); stacked segments abut.
std::vector<std::string> check_geometry(const json& layout, const std::vector<Report>& reports)
{
    std::vector<std::string> problems;
    const std::vector<std::string> charts = charts_for(reports);
    for (const auto& [id, chart] : layout["charts"].items())
        if (std::find(charts.begin(), charts.end(), id) == charts.end())
            problems.push_back(id + ": a chart these reports do not call for");
    for (const auto& id : charts) {
        if (!layout["charts"].contains(id)) {
            problems.push_back(id + ": missing");
            continue;
        }
        const json& chart = layout["charts"][id];
        const json& box = chart["box"];
        if (!chart["visible"].get<bool>() || box["width"].get<double>() < 300 || box["height"].get<double>() < 150)
            problems.push_back(id + ": not visible or too small: " + box.dump());
        if (chart["caption"].get<std::string>().size() < 40)
            problems.push_back(id + ": no real caption");
        if (chart["bars"].empty())
            problems.push_back(id + ": no bars");

        std::map<std::string, std::vector<std::pair<double, double>>> ticks;  // metric -> (value, x)
        for (const json& tick : chart["ticks"])
            ticks[str(tick["metric"])].push_back({parse_double(str(tick["value"])), dbl(tick["x"])});
        std::map<std::string, double> stack_end;  // technique -> right edge of its last segment
        for (const json& bar : chart["bars"]) {
            const std::string technique = str(bar["technique"]);
            auto& axis = ticks[str(bar["metric"])];
            std::sort(axis.begin(), axis.end());
            if (axis.size() < 2 || axis.front().first != 0) {
                problems.push_back(id + " " + str(bar["metric"]) + ": no axis from 0");
                continue;
            }
            const double origin = axis.front().second;
            const double per_unit = (axis.back().second - axis.front().second) / axis.back().first;
            const double value = parse_double(str(bar["value"]));
            const double left = dbl(bar["left"]), width = dbl(bar["width"]);
            const double start = id == "chart-bytes" && stack_end.count(technique) ? stack_end[technique] : origin;
            if (dbl(bar["userWidth"]) < 0 || width < 0)
                problems.push_back(id + " " + where(bar) + ": negative width");
            if (!(std::fabs(left - start) <= 1))
                problems.push_back(id + " " + where(bar) + ": starts at " + std::to_string(left) + ", not " +
                                   std::to_string(start));
            if (!(std::fabs(width - value * per_unit) <= 1))
                problems.push_back(id + " " + where(bar) + ": " + std::to_string(width) + " px long for " +
                                   str(bar["value"]) + ", the axis says " +
                                   std::to_string(value * per_unit));
            if (dbl(bar["right"]) > dbl(box["right"]) + 0.5)
                problems.push_back(id + " " + where(bar) + ": runs out of the chart");
            if (str(bar["tooltip"]).find(technique) == std::string::npos)
                problems.push_back(id + " " + where(bar) + ": tooltip without its technique");
            stack_end[technique] = dbl(bar["right"]);
        }
    }
    return problems;
}

bool overlap(const json& a, const json& b, double slack)
{
    return a["left"].get<double>() + slack < b["right"].get<double>() &&
           b["left"].get<double>() + slack < a["right"].get<double>() &&
           a["top"].get<double>() + slack < b["bottom"].get<double>() &&
           b["top"].get<double>() + slack < a["bottom"].get<double>();
}

// Every label inside its chart, none over another; each technique named
// down every chart it belongs in (labels_in_chart); every bar with its
// value beside it; every legend entry with a bar of its series.
std::vector<std::string> check_text(const json& layout, const Summary& summary, const std::vector<Report>& reports)
{
    std::vector<std::string> problems;
    for (const auto& id : charts_for(reports)) {
        if (!layout["charts"].contains(id))
            continue;  // check_geometry says so
        const json& chart = layout["charts"][id];
        const json& box = chart["box"];
        const json& texts = chart["texts"];
        std::vector<std::string> labels;
        for (std::size_t i = 0; i < texts.size(); ++i) {
            const json& text = texts[i];
            const std::string content = text["text"];
            if (text["kind"] == "lbl")
                labels.push_back(content);
            if (text["width"].get<double>() <= 0 || content.empty())
                problems.push_back(id + ": empty text " + where(text));
            if (text["left"].get<double>() < box["left"].get<double>() - 0.5 ||
                text["right"].get<double>() > box["right"].get<double>() + 0.5 ||
                text["top"].get<double>() < box["top"].get<double>() - 0.5 ||
                text["bottom"].get<double>() > box["bottom"].get<double>() + 0.5)
                problems.push_back(id + ": \"" + content + "\" is clipped by the chart's edge");
            for (std::size_t k = i + 1; k < texts.size(); ++k)
                if (overlap(text, texts[k], 0.5))
                    problems.push_back(id + ": \"" + content + "\" overlaps \"" + texts[k]["text"].get<std::string>() +
                                       "\"");
        }
        const std::vector<std::string> want = labels_in_chart(id, summary, reports);
        // A label too long for the column is cut, with an ellipsis.
        auto shown_as = [](const std::string& shown, const std::string& full) {
            const std::string ellipsis = "…";
            return shown == full || (shown.size() > ellipsis.size() && shown.ends_with(ellipsis) &&
                                     full.starts_with(shown.substr(0, shown.size() - ellipsis.size())));
        };
        const bool same =
            labels.size() == want.size() && std::equal(labels.begin(), labels.end(), want.begin(), shown_as);
        if (!same)
            problems.push_back(id + ": technique labels " + json(labels).dump() + ", expected " + json(want).dump());

        std::map<std::string, double> stack_end;
        for (const json& bar : chart["bars"]) {
            if (id == "chart-bytes") {
                double& end = stack_end[str(bar["technique"])];
                end = std::max(end, dbl(bar["right"]));
                continue;
            }
            bool labelled = false;
            for (const json& text : texts)
                labelled |= text["kind"] == "val" && text["technique"] == bar["technique"] &&
                            text["series"] == bar["series"] && text["metric"] == bar["metric"] &&
                            text["left"].get<double>() >= bar["right"].get<double>() - 0.5 &&
                            std::fabs((text["top"].get<double>() + text["bottom"].get<double>()) / 2 -
                                      (bar["top"].get<double>() + bar["bottom"].get<double>()) / 2) < 3;
            if (!labelled)
                problems.push_back(id + " " + where(bar) + ": no value label beside the bar");
        }
        for (const auto& [technique, end] : stack_end) {
            bool labelled = false;
            for (const json& text : texts)
                labelled |= text["kind"] == "val" && text["technique"] == technique &&
                            text["left"].get<double>() >= end - 0.5;
            if (!labelled)
                problems.push_back(id + " " + technique + ": no value label after the stack");
        }
        for (const json& text : texts) {
            if (text["kind"] != "legend")
                continue;
            const bool drawn = std::any_of(chart["bars"].begin(), chart["bars"].end(),
                                           [&](const json& bar) { return bar["series"] == text["legend"]; });
            if (!drawn)
                problems.push_back(id + ": legend entry \"" + str(text["text"]) + "\" has no bar");
        }
    }
    return problems;
}

std::string listed(const std::vector<std::string>& problems)
{
    std::string out;
    for (const auto& problem : problems)
        out += "\n  " + problem;
    return out;
}

bool mentions(const std::vector<std::string>& problems, const std::string& what)
{
    return std::any_of(problems.begin(), problems.end(),
                       [&](const std::string& p) { return p.find(what) != std::string::npos; });
}

// A copy of the page broken three ways, for the checkers to notice.
std::string tampered(std::string html)
{
    // read_write's measured CPU copies claim 3 while the bar stays 2 long.
    const std::string value = "data-technique=\"read_write\" data-series=\"measured\" data-value=\"2\"";
    html.replace(html.find(value), value.size(),
                 "data-technique=\"read_write\" data-series=\"measured\" data-value=\"3\"");
    // mmap_write's measured CPU copies bar is drawn 30 units too long.
    const std::regex long_bar(R"re((data-technique="mmap_write" data-series="measured" data-value="1")re"
                              R"re( x="[^"]*" y="[^"]*" width=")([0-9.]+))re");
    std::smatch match;
    if (std::regex_search(html, match, long_bar))
        html.replace(static_cast<std::size_t>(match.position(2)), static_cast<std::size_t>(match.length(2)),
                     std::to_string(std::stod(match.str(2)) + 30));
    // cow's label pushed off the left edge.
    const std::regex label(R"re(<text class="lbl" x="[^"]*"( y="[^"]*" text-anchor="end" data-technique="cow"))re");
    return std::regex_replace(html, label, "<text class=\"lbl\" x=\"-60\"$1",
                              std::regex_constants::format_first_only);
}

// More rows than `run all` makes, labels long enough to be cut, wide
// characters, a network and cache qualifier, and a throughput in six digits.
std::vector<Report> crowded_reports()
{
    auto reports = fixture_reports();
    const auto base = reports;
    for (std::size_t i = 0; i < 6; ++i) {
        Report extra = base[i];
        // direct_io (4) stays itself: beside the changed reports[4], both its rows are qualified.
        if (i != 4)
            extra.technique = base[i].technique + "_variant_" + std::to_string(i);
        reports.push_back(extra);
    }
    reports[1].technique = "mmap_write_with_a_name_far_too_long_for_any_label_column_at_all_" + std::string(40, 'W');
    reports[3].technique = "零拷贝_splice";
    reports[4].environment.network = "veth";
    reports[4].environment.device_sg = false;
    reports[4].environment.cache = "cold";
    reports[5].workload.mib_per_second = 123456.789;
    reports[12].theory.mode_switches_per_transfer.reset();
    reports[7] = with_every_check_verdict(reports[7]);
    for (Check& check : reports[10].checks)
        check.verdict = Verdict::match;
    reports[10].verdict = Verdict::match;
    return reports;
}

// The runs that send without a user copy: sendfile on lo and over veth with
// SG on and off, and splice.
std::vector<Report> zero_copy_senders()
{
    std::vector<Report> reports = fixture_reports();
    std::erase_if(reports, [](const Report& r) { return r.technique != "sendfile" && r.technique != "splice"; });
    return reports;
}

struct ChromiumRun {
    Finished finished;
    std::string dom;
    double seconds = 0;
};

struct RenderedPage {
    ChromiumRun run;
    json layout;  // what the measuring script left; null when it did not run
};

// The Chromium runs the tests need, each at most once per process: the measured
// page, a broken copy of it, the page as written with a screenshot, a
// crowded summary, and one of the senders alone.
// Loopback reports with a cost model each, and read_write and sendfile
// swept over a second chunk size: the stacked cost chart and the four
// sweep charts.
std::vector<Report> modelled_reports()
{
    std::vector<Report> reports = loopback_reports();
    for (Report& report : reports) {
        const double gib = static_cast<double>(report.workload.bytes) / static_cast<double>(1ull << 30);
        const double copies = report.measured.cpu_copies * 0.07;
        CostModel cost;
        cost.machine = {16e9, 174, 1612, "boot", "2026-11-30T03:38:23Z", false};
        cost.measured_seconds = report.workload.cpu_seconds;
        cost.parts = {{"copies", copies * gib, copies, "copies"},
                      {"mode_switches", 0.01 * gib, 0.03, "syscalls"},
                      {"page_faults", 0.001 * gib, 0.003, "faults"},
                      {"residual", std::max(0.0, report.workload.cpu_seconds - (copies + 0.011) * gib), 0.5, "the rest"}};
        report.cost = cost;
    }
    add_small_chunk_runs(reports);
    return reports;
}

class HtmlChromium : public ::testing::Test {
protected:
    static void SetUpTestSuite()
    {
        if (!fs::exists(kChromium)) {
            skip_reason_ = std::string(kChromium) + " is missing (Debian's chromium package); CI installs it";
            return;
        }
        dir_ = std::make_unique<TempDir>();
        const Page& page = fixture_page();
        const fs::path measured = dir_->path() / "measured.html";
        const fs::path broken = dir_->path() / "tampered.html";
        const fs::path plain = dir_->path() / "summary.html";
        write_text(measured, instrumented(page.html));
        write_text(broken, instrumented(tampered(page.html)));
        // The page as written, plus the measuring script its own CSP must stop;
        // the screenshot comes from the same run (an empty <pre> at the end aside).
        std::string blocked = page.html;
        write_text(plain, blocked.insert(blocked.rfind("</body>"), kMeasureScript));
        screenshot_ = dir_->path() / "summary.png";
        const fs::path crowded = dir_->path() / "crowded.html";
        crowded_reports_ = crowded_reports();
        write_text(crowded, instrumented(render_summary_html(summarize(crowded_reports_), crowded_reports_)));
        senders_reports_ = zero_copy_senders();
        write_text(dir_->path() / "senders.html",
                   instrumented(render_summary_html(summarize(senders_reports_), senders_reports_)));
        modelled_reports_ = modelled_reports();
        write_text(dir_->path() / "modelled.html",
                   instrumented(render_summary_html(summarize(modelled_reports_), modelled_reports_)));

        // ctest runs each test in its own process: only the measured page is
        // rendered for all; the others when a test first asks for them.
        measured_ = chromium("profile-measured", measured, {});
        std::cout << "[chromium] measured " << measured_.seconds << " s\n";
        layout_ = measured_layout(measured_.dom);
    }

    static void render_plain()
    {
        if (plain_.seconds == 0)
            plain_ = chromium("profile-plain", dir_->path() / "summary.html", {"--screenshot=" + screenshot_.string()});
    }
    // <name>.html (tampered, crowded, senders), rendered and measured the
    // first time a test asks for it.
    static const RenderedPage& rendered(const std::string& name)
    {
        auto [page, first] = pages_.try_emplace(name);
        if (first) {
            page->second.run = chromium("profile-" + name, dir_->path() / (name + ".html"), {});
            page->second.layout = measured_layout(page->second.run.dom);
        }
        return page->second;
    }
    static void TearDownTestSuite() { dir_.reset(); }

    // One run in a fresh profile under dir_, bounded in time. Runs are not
    // overlapped: each one's DOM fills its stdout pipe until it is read.
    static ChromiumRun chromium(const std::string& profile, const fs::path& page,
                                const std::vector<std::string>& extra)
    {
        fs::create_directory(dir_->path() / profile);
        auto args = chromium_args(dir_->path() / profile, page);
        args.insert(args.end() - 1, extra.begin(), extra.end());
        const auto started = std::chrono::steady_clock::now();
        ChromiumRun run;
        run.finished = Process(args, Restrictions{}, kChromium).finish(std::chrono::seconds(90));
        run.dom = run.finished.out;
        run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        fs::remove_all(dir_->path() / profile);
        return run;
    }

    void SetUp() override
    {
        if (!skip_reason_.empty()) {
            std::cout << "skipped: " << skip_reason_ << "\n";
            GTEST_SKIP() << skip_reason_;
        }
        ASSERT_EQ(measured_.finished.status, 0) << measured_.finished.err.substr(0, 2000);
        ASSERT_TRUE(layout_.is_object()) << "the measuring script left nothing; DOM:\n"
                                         << measured_.dom.substr(0, 2000);
    }

    static inline std::string skip_reason_;
    static inline std::unique_ptr<TempDir> dir_;
    static inline fs::path screenshot_;
    static inline ChromiumRun measured_, plain_;
    static inline json layout_;
    static inline std::map<std::string, RenderedPage> pages_;
    static inline std::vector<Report> crowded_reports_, senders_reports_, modelled_reports_;
};

TEST_F(HtmlChromium, ChartsAreLaidOutAndVisible)
{
    const auto problems = check_geometry(layout_, fixture_page().reports);
    EXPECT_TRUE(problems.empty()) << listed(problems);
    for (const auto& id : kCharts) {
        ASSERT_TRUE(layout_["charts"].contains(id)) << id;
        const json& chart = layout_["charts"][id];
        // The viewBox keeps its aspect: the chart scales, it does not stretch.
        const double aspect = chart["viewBox"][3].get<double>() / chart["viewBox"][2].get<double>();
        EXPECT_NEAR(chart["box"]["height"].get<double>(), chart["box"]["width"].get<double>() * aspect, 1) << id;
    }
}

TEST_F(HtmlChromium, BarsCarryTheReportsFigures)
{
    const Page& page = fixture_page();
    const auto problems = check_values(layout_, page.summary, page.reports);
    EXPECT_TRUE(problems.empty()) << listed(problems);
    // Spot checks against the fixtures as written.
    auto value_of = [&](const std::string& chart, const std::string& metric, const std::string& technique,
                        const std::string& series) {
        for (const json& bar : layout_["charts"][chart]["bars"])
            if (bar["metric"] == metric && bar["technique"] == technique && bar["series"] == series)
                return bar["value"].get<std::string>();
        return std::string("(none)");
    };
    EXPECT_EQ(value_of("chart-cpu-copies", "cpu_copies", "read_write", "measured"), "2");
    EXPECT_EQ(parse_double(value_of("chart-cpu-copies", "cpu_copies", "sendfile (loopback, SG on)", "theory")),
              page.reports[2].theory.cpu_copies);
    EXPECT_EQ(value_of("chart-cpu-copies", "cpu_copies", "sendfile (veth, SG off)", "measured"), "1");
    EXPECT_EQ(value_of("chart-bytes", "bytes", "direct_io_send", "DMA"), "1");
    EXPECT_EQ(parse_double(value_of("chart-cpu-per-gib", "cpu_seconds_per_gib", "read_write", "measured")),
              page.reports[0].workload.cpu_seconds_per_gib);
    // The receiver copied the payload once; cow's MiB/s is on an axis of its own.
    EXPECT_EQ(value_of("chart-bytes", "bytes", "read_write", "receiver copy"), "1");
    EXPECT_EQ(parse_double(value_of("chart-cpu-per-gib-in-memory", "mib_per_second", "cow", "measured")),
              page.reports[6].workload.mib_per_second);
    EXPECT_EQ(value_of("chart-cpu-per-gib", "mib_per_second", "cow", "measured"), "(none)");
}

TEST_F(HtmlChromium, LabelsAreInsideTheirChartsAndApart)
{
    const auto problems = check_text(layout_, fixture_page().summary, fixture_page().reports);
    EXPECT_TRUE(problems.empty()) << listed(problems);
}

// The cost model's stacked bars and the chunk sweep's line charts, laid
// out: each chart visible with a caption, its bars and points inside it, a
// point for every swept run, its labels inside it and none over another.
TEST_F(HtmlChromium, CostAndSweepChartsAreLaidOutAndLabelled)
{
    const RenderedPage& page = rendered("modelled");
    ASSERT_TRUE(page.layout.is_object()) << page.run.finished.err.substr(0, 2000);
    const json& charts = page.layout["charts"];
    const auto inside = [](const json& item, const json& box) {
        return dbl(item["left"]) >= dbl(box["left"]) - 0.5 && dbl(item["right"]) <= dbl(box["right"]) + 0.5 &&
               dbl(item["top"]) >= dbl(box["top"]) - 0.5 && dbl(item["bottom"]) <= dbl(box["bottom"]) + 0.5;
    };
    for (const char* id : {"chart-cost", "chart-sweep-syscalls", "chart-sweep-mode-switches", "chart-sweep-cpu",
                           "chart-sweep-copies"}) {
        ASSERT_TRUE(charts.contains(id)) << id;
        const json& chart = charts[id];
        const json& box = chart["box"];
        EXPECT_TRUE(chart["visible"].get<bool>()) << id;
        EXPECT_GE(dbl(box["width"]), 300) << id;
        EXPECT_GE(dbl(box["height"]), 150) << id;
        EXPECT_GE(str(chart["caption"]).size(), 40u) << id;
        const json& texts = chart["texts"];
        ASSERT_FALSE(texts.empty()) << id;
        for (std::size_t i = 0; i < texts.size(); ++i) {
            EXPECT_TRUE(inside(texts[i], box)) << id << ": \"" << str(texts[i]["text"]) << "\" sticks out";
            for (std::size_t k = i + 1; k < texts.size(); ++k)
                EXPECT_FALSE(overlap(texts[i], texts[k], 0.5))
                    << id << ": \"" << str(texts[i]["text"]) << "\" overlaps \"" << str(texts[k]["text"]) << "\"";
        }
        for (const json& bar : chart["bars"])
            EXPECT_TRUE(inside(bar, box)) << id << ": a bar sticks out";
        if (std::string(id) == "chart-cost") {
            // Three drawn parts (page faults too) for each of the loopback reports.
            EXPECT_GE(chart["bars"].size(), 3 * loopback_reports().size()) << id;
            continue;
        }
        // read_write and sendfile at two chunk sizes each.
        ASSERT_EQ(chart["points"].size(), 4u) << id;
        for (const json& point : chart["points"])
            EXPECT_TRUE(inside(point, box)) << id << ": " << str(point["technique"]) << " at " << str(point["chunk"]);
    }
}

// At 1280 px nothing needs a horizontal scrollbar, the summary table included.
TEST_F(HtmlChromium, FitsTheWindowWithoutScrollingSideways)
{
    const json& page = layout_["page"];
    EXPECT_LE(dbl(page["scrollWidth"]), dbl(page["innerWidth"]));
    ASSERT_FALSE(page["frames"].empty());
    for (const json& frame : page["frames"])
        EXPECT_LE(dbl(frame["scrollWidth"]), dbl(frame["clientWidth"])) << str(frame["kind"]) << " overflows";
}

TEST_F(HtmlChromium, SixteenRowsWithLongLabelsStillFit)
{
    const RenderedPage& crowded = rendered("crowded");
    ASSERT_TRUE(crowded.layout.is_object()) << crowded.run.finished.err.substr(0, 2000);
    const Summary summary = summarize(crowded_reports_);
    ASSERT_EQ(summary.rows.size(), 16u);
    std::vector<std::string> direct_io;
    for (const SummaryRow& row : summary.rows)
        if (row.technique == "direct_io")
            direct_io.push_back(row.label);
    EXPECT_EQ(direct_io, (std::vector<std::string>{"direct_io (loopback, SG unknown, warm cache)",
                                                   "direct_io (veth, SG off, cold cache)"}));
    for (const auto& problems : {check_values(crowded.layout, summary, crowded_reports_),
                                 check_geometry(crowded.layout, crowded_reports_),
                                 check_text(crowded.layout, summary, crowded_reports_)})
        EXPECT_TRUE(problems.empty()) << listed(problems);
    bool cut = false;
    for (const json& text : crowded.layout["charts"]["chart-cpu-copies"]["texts"])
        cut |= text["kind"] == "lbl" && str(text["text"]).ends_with("…");
    EXPECT_TRUE(cut) << "the longest label should have been cut to fit";
}

// As Chromium draws them: every verdict's badge is visible and looks unlike
// any other verdict's.
TEST_F(HtmlChromium, EveryVerdictsBadgeLooksItsOwn)
{
    const RenderedPage& crowded = rendered("crowded");
    ASSERT_TRUE(crowded.layout.is_object()) << crowded.run.finished.err.substr(0, 2000);
    std::map<std::string, std::string> look_of;  // verdict -> computed look
    for (const json& badge : crowded.layout["badges"]) {
        const std::string text = str(badge["text"]);
        const std::string look = str(badge["background"]) + " / " + str(badge["color"]) + " / " + str(badge["border"]);
        if (str(badge["className"]).find(" v-" + text + " ") == std::string::npos)
            continue;  // "integrity FAILED"
        EXPECT_GT(dbl(badge["width"]), 10) << text;
        EXPECT_GT(dbl(badge["height"]), 10) << text;
        const auto [it, inserted] = look_of.emplace(text, look);
        EXPECT_EQ(it->second, look) << "two looks for " << text;
    }
    std::set<std::string> looks;
    for (Verdict verdict : kAllVerdicts) {
        const std::string name(verdict_name(verdict));
        ASSERT_TRUE(look_of.count(name)) << "no " << name << " badge on the page";
        EXPECT_TRUE(looks.insert(look_of[name]).second) << name << " looks like another verdict: " << look_of[name];
    }
}

TEST_F(HtmlChromium, CheckersCatchABrokenPage)
{
    const RenderedPage& tampered = rendered("tampered");
    ASSERT_TRUE(tampered.layout.is_object()) << tampered.run.finished.err.substr(0, 2000);
    const Page& page = fixture_page();
    const auto values = check_values(tampered.layout, page.summary, page.reports);
    EXPECT_TRUE(mentions(values, "chart-cpu-copies read_write cpu_copies measured: data-value 3")) << listed(values);
    const auto geometry = check_geometry(tampered.layout, page.reports);
    EXPECT_TRUE(mentions(geometry, "chart-cpu-copies read_write cpu_copies measured")) << listed(geometry);
    EXPECT_TRUE(mentions(geometry, "chart-cpu-copies mmap_write cpu_copies measured")) << listed(geometry);
    const auto text = check_text(tampered.layout, page.summary, page.reports);
    EXPECT_TRUE(mentions(text, "\"cow\" is clipped")) << listed(text);
}

TEST_F(HtmlChromium, OwnPolicyBlocksScripts)
{
    render_plain();
    ASSERT_EQ(plain_.finished.status, 0) << plain_.finished.err.substr(0, 2000);
    EXPECT_NE(plain_.dom.find("<pre id=\"zctrace-test-result\">"), std::string::npos);
    EXPECT_TRUE(measured_layout(plain_.dom).is_null()) << "an inline script ran under the page's own CSP";
}

TEST_F(HtmlChromium, ScreenshotHasContent)
{
    render_plain();
    ASSERT_EQ(plain_.finished.status, 0) << plain_.finished.err.substr(0, 2000);
    ASSERT_TRUE(fs::exists(screenshot_));
    const std::string png = read_text(screenshot_);
    ASSERT_GE(png.size(), 24u);
    EXPECT_EQ(png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
    auto be32 = [&](std::size_t at) {
        return (static_cast<std::uint32_t>(static_cast<unsigned char>(png[at])) << 24) |
               (static_cast<std::uint32_t>(static_cast<unsigned char>(png[at + 1])) << 16) |
               (static_cast<std::uint32_t>(static_cast<unsigned char>(png[at + 2])) << 8) |
               static_cast<std::uint32_t>(static_cast<unsigned char>(png[at + 3]));
    };
    EXPECT_EQ(be32(16), 1280u);
    EXPECT_EQ(be32(20), 4000u);
    // A blank 1280x4000 page compresses to a few KiB; charts and text do not.
    EXPECT_GT(png.size(), 100u * 1024) << "the screenshot looks empty";
    if (const char* keep = std::getenv("ZCTRACE_KEEP_SCREENSHOT"))
        fs::copy_file(screenshot_, keep, fs::copy_options::overwrite_existing);
}

// As Chromium lays it out, the page's text holds no Chinese: on a machine
// without a CJK font (stock Debian, this one too unless fonts-noto-cjk is
// installed) each character would be a box. The seeds' Chinese is behind
// [zh] markers, in their titles.
TEST_F(HtmlChromium, DrawsNoChineseGlyph)
{
    const std::string visible = str(layout_["visibleText"]);
    ASSERT_NE(visible.find("Per technique: deviations and findings"), std::string::npos) << visible.substr(0, 500);
    const std::string cjk = first_cjk(visible);
    EXPECT_EQ(cjk, "") << "drawn as text: \"" << cjk << "\" in "
                       << visible.substr(visible.find(cjk) > 80 ? visible.find(cjk) - 80 : 0, 160);
    std::set<std::string> titles;
    for (const json& marker : layout_["chineseMarkers"]) {
        EXPECT_EQ(marker["text"], "[zh]");
        titles.insert(str(marker["title"]));
    }
    for (const Report& report : fixture_page().reports)
        if (report.theory.name_zh != report.theory.name) {
            EXPECT_TRUE(titles.count("the seeds' Chinese: " + report.theory.name_zh)) << report.theory.name_zh;
        }
    EXPECT_TRUE(titles.count("the seeds' Chinese: 通用性好，性能较差")) << "read_write's remark";
}

// Each tinted cell's number leads to its reason, laid out on the page.
TEST_F(HtmlChromium, EachTintedCellLeadsToItsReasonOnThePage)
{
    const json& links = layout_["whyLinks"];
    EXPECT_EQ(links.size(), tinted_cells(fixture_page().reports));
    for (const json& link : links) {
        const std::string title = str(link["cellTitle"]);
        const std::string reason = title.substr(title.find(": ") + 2, 40);
        ASSERT_TRUE(link["target"].is_string()) << "the link of \"" << title << "\" leads nowhere";
        EXPECT_TRUE(link["targetShown"].get<bool>()) << title;
        EXPECT_EQ(str(link["target"]).rfind(str(link["text"]) + " ", 0), 0u) << "the reason carries the number";
        EXPECT_NE(str(link["target"]).find(reason), std::string::npos) << str(link["target"]);
    }
}

// sendfile and splice alone: no chart for techniques that send nothing, and
// a legend that names only the byte segments these runs had.
TEST_F(HtmlChromium, ASummaryOfSendersChartsOnlyWhatTheyHave)
{
    const RenderedPage& senders = rendered("senders");
    ASSERT_TRUE(senders.layout.is_object()) << senders.run.finished.err.substr(0, 2000);
    const Summary summary = summarize(senders_reports_);
    for (const auto& problems : {check_values(senders.layout, summary, senders_reports_),
                                 check_geometry(senders.layout, senders_reports_),
                                 check_text(senders.layout, summary, senders_reports_)})
        EXPECT_TRUE(problems.empty()) << listed(problems);
    std::vector<std::string> legend;
    for (const json& text : senders.layout["charts"]["chart-bytes"]["texts"])
        if (text["kind"] == "legend")
            legend.push_back(str(text["legend"]));
    // No user copy, no DMA: SG off copied from the page cache, the others shared its pages.
    EXPECT_EQ(legend, (std::vector<std::string>{"page-cache copy", "shared frags", "receiver copy"}));
}

}  // namespace
}  // namespace zctrace::output_test
