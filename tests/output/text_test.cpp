// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// The text a person reads after a run: the answer first, only what differs
// from the table, and every sentence true of the technique and transport it
// is printed for. Rendered from the committed fixtures (real runs), judged
// again by this zctrace's rules, so the words are this version's.
#include <gtest/gtest.h>

#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "analysis/rejudge.hpp"
#include "base/units.hpp"
#include "output/documents.hpp"
#include "output/terminal.hpp"
#include "output/trace_text.hpp"
#include "support.hpp"
#include "../report/full_report.hpp"

namespace zctrace::output_test {
namespace {

struct Rendered {
    std::string label;  // e.g. "loopback/sendfile"
    Report report;
    std::string text;
};

const std::vector<Rendered>& rendered()
{
    static const std::vector<Rendered> all = [] {
        std::vector<Rendered> out;
        for (const char* dir : {"loopback", "veth-sg-on", "veth-sg-off"})
            for (const auto& entry : fs::directory_iterator(kFixtures / dir)) {
                auto loaded = load_report(entry.path());
                if (!loaded)
                    throw std::runtime_error(loaded.error().describe());
                Report report = rejudge(*loaded).report;
                ReportText text(100);
                out.push_back({std::string(dir) + "/" + report.technique, report, text.render(report)});
            }
        return out;
    }();
    return all;
}

const Rendered& find(const std::string& label)
{
    for (const Rendered& each : rendered())
        if (each.label == label)
            return each;
    throw std::runtime_error("no fixture " + label);
}

std::string first_line(const std::string& text)
{
    return text.substr(0, text.find('\n'));
}

TEST(Text, TheFirstLineAnswersTheQuestion)
{
    EXPECT_EQ(find("loopback/sendfile").report.headline,
              "sendfile, 256 MiB over lo: ZERO-COPY on send (0 B copied by the CPU), as \"sendfile + DMA gather\" "
              "says; the receiver copied 256 MiB (1×); 4096 syscalls; " +
                  format_fixed(find("loopback/sendfile").report.workload.cpu_seconds_per_gib) + " CPU-s/GiB, " +
                  format_fixed(find("loopback/sendfile").report.workload.mib_per_second, 0) + " MiB/s");
    const std::regex answers[] = {
        std::regex(R"(^read_write, 256 MiB over lo: 2 copies by the CPU \(512 MiB\), as "read \+ write" says; )"
                   R"(the receiver copied 256 MiB \(1×\); 8192 syscalls; [0-9.]+ CPU-s/GiB, [0-9]+ MiB/s$)"),
        std::regex(R"(^direct_io, 256 MiB from ext4: ZERO-COPY \(0 B copied by the CPU\), as "user-space direct I/O")"
                   R"( says; 4096 syscalls; )"),
        std::regex(R"(^cow, a 256 MiB buffer: 40 KiB copied by the CPU, for the 10 pages the child wrote, as )"
                   R"("copy-on-write" says; 3 syscalls; )"),
        std::regex(R"(^sendfile, 256 MiB over veth \(SG off\): 1 copy by the CPU \(256 MiB\), as "sendfile" says; )"),
        std::regex(R"(^direct_io_send, 256 MiB over lo: 1 copy by the CPU \(256 MiB\); "user-space direct I/O" says 0: )"
                   R"(the workload also write\(\)s each chunk to the socket, where the row stops; )"),
    };
    const char* labels[] = {"loopback/read_write", "loopback/direct_io", "loopback/cow", "veth-sg-off/sendfile",
                            "loopback/direct_io_send"};
    for (std::size_t i = 0; i < std::size(labels); ++i) {
        const Rendered& each = find(labels[i]);
        EXPECT_TRUE(std::regex_search(each.report.headline, answers[i])) << each.report.headline;
        // The text starts with it (wrapped to the width).
        EXPECT_EQ(first_line(each.text).substr(0, 30), each.report.headline.substr(0, 30));
    }
}

TEST(Text, OnlyChecksThatDifferAreListedAndTheCitationComesLast)
{
    const std::string& text = find("loopback/sendfile").text;
    const std::string wide = ReportText(1000).render(find("loopback/sendfile").report);
    EXPECT_NE(wide.find("differs from the table:\n    DMA copies (environment): 0 DMA copies where \"sendfile + DMA "
                        "gather\" says 2: warm cache: no disk read; lo has no DMA engine\n"),
              std::string::npos)
        << wide;
    // Matching checks are not listed; integrity is one word.
    for (const char* quiet : {"CPU copies (", "syscalls per transfer (", "report_consistency", "sendmsg_bytes"})
        EXPECT_EQ(text.find(quiet), std::string::npos) << quiet << " in\n" << text;
    EXPECT_NE(text.find("\n  integrity ok\n"), std::string::npos) << text;
    // The citation names the article, and comes last.
    const std::string last = text.substr(text.rfind("\n  theory: "));
    EXPECT_NE(last.find("\"零拷贝技术详解\" (zero-copy explained) §3.3"), std::string::npos) << last;
    EXPECT_EQ(text.find("seed 000"), std::string::npos) << text;
}

TEST(Text, LongLinesWrapToTheWidth)
{
    for (const Rendered& each : rendered())
        for (std::size_t at = 0, next; at < each.text.size(); at = next + 1) {
            next = each.text.find('\n', at);
            const std::string line = each.text.substr(at, next - at);
            // A single word longer than the width may stand alone.
            if (line.find(' ', line.find_first_not_of(' ')) != std::string::npos) {
                EXPECT_LE(display_width(line), 100u) << each.label << ": " << line;
            }
        }
}

// What the environment removes is the same for every technique of a run:
// said once, not once per report.
TEST(Text, TheEnvironmentIsExplainedOncePerRun)
{
    ReportText text(100);
    std::size_t notes = 0;
    for (const char* label : {"loopback/read_write", "loopback/sendfile", "loopback/splice"}) {
        const std::string out = text.render(find(label).report);
        for (std::size_t at = out.find("note: "); at != std::string::npos; at = out.find("note: ", at + 1))
            ++notes;
    }
    EXPECT_EQ(notes, 2u) << "the warm cache and lo's missing DMA engine, each once";
}

// Every sentence must be true of the technique it is printed for.
TEST(Text, EveryTechniquesWordsFitIt)
{
    struct Rule {
        std::vector<std::string> techniques;  // empty: every one
        std::vector<std::string> forbidden;
    };
    const std::vector<std::string> sends_nothing = {"direct_io", "cow", "large_file_async_direct"};
    const Rule rules[] = {
        // Nothing is sent: no receiver, socket or NIC to speak of.
        {sends_nothing, {"recv()", "receiver", "the theory table stops at the sender's NIC", "socket", "xmit"}},
        // cow makes no write() of a mapping.
        {{"cow"}, {"write() touching", "the copy in write()", "write() from the mapping"}},
        // O_DIRECT bypasses the page cache: its state does not explain the disk read.
        {{"direct_io", "direct_io_send", "large_file_async_direct"}, {"warm cache, ", "(warm cache"}},
        // lo and veth have no DMA engine: nothing "gathers" by DMA there.
        {{"sendfile", "splice"}, {"device gathered", "gathers by DMA"}},
    };
    // Grammar, everywhere: a count of one takes the singular.
    const std::regex one_plural(R"((^|[^0-9.])1 (copies|skbs|transfers|syscalls|pages|calls|segments|runs|of the exits are)\b)");
    for (const Rendered& each : rendered())
        for (const Rule& rule : rules) {
            const bool applies = rule.techniques.empty() ||
                                 std::find(rule.techniques.begin(), rule.techniques.end(), each.report.technique) !=
                                     rule.techniques.end();
            if (!applies)
                continue;
            const std::string everything = each.text + nlohmann::json(each.report.checks).dump() +
                                           nlohmann::json(each.report.findings).dump();
            for (const std::string& phrase : rule.forbidden)
                EXPECT_EQ(everything.find(phrase), std::string::npos)
                    << each.label << " says \"" << phrase << "\":\n" << each.text;
        }
    for (const Rendered& each : rendered()) {
        const std::string everything = each.text + nlohmann::json(each.report.checks).dump() +
                                       nlohmann::json(each.report.findings).dump();
        std::smatch found;
        EXPECT_FALSE(std::regex_search(everything, found, one_plural)) << each.label << " says \"" << found.str() << "\"";
        EXPECT_EQ(everything.find("= 0 B"), std::string::npos) << each.label;
        EXPECT_EQ(everything.find("no byte"), std::string::npos) << each.label;
    }
}

TEST(Text, NoiseIsFlagged)
{
    Report report = find("loopback/sendfile").report;
    report.workload.wall_seconds = 0.004;
    report.workload.bytes = 1u << 20;
    const Report judged = rejudge(report).report;
    bool flagged = false;
    for (const std::string& finding : judged.findings)
        flagged = flagged || finding.find("the timings are noise") != std::string::npos;
    EXPECT_TRUE(flagged);
    for (const std::string& finding : find("loopback/sendfile").report.findings)
        EXPECT_EQ(finding.find("noise"), std::string::npos) << "256 MiB is enough to time";
}

// The probes' figure carries the sample's standard error, and says it is a
// floor where the host drops the kernel's TLB at every entry; a report from
// before the spread was kept shows neither, rather than "± 0".
TEST(Text, TheProbeCostShowsItsErrorAndWhenItIsAFloor)
{
    Report report = find("loopback/sendfile").report;
    Overhead& o = report.overhead;
    o.accounting = std::string(kSampledAccounting);
    o.ns_per_event = 41.2;
    o.bpf_run_ns_standard_error = 0;
    o.host_drops_kernel_tlb = false;
    // Wide enough that no phrase is wrapped apart.
    const auto unwrapped = [](const Report& r) { return ReportText(100000).render(r); };
    std::string text = unwrapped(report);
    EXPECT_NE(text.find("41 ns each"), std::string::npos) << text;
    EXPECT_EQ(text.find("±"), std::string::npos) << text;
    EXPECT_EQ(text.find("a floor"), std::string::npos) << text;

    o.bpf_run_ns_standard_error = 90000;
    o.ns_per_event_standard_error = 2.6;
    o.host_drops_kernel_tlb = true;
    text = unwrapped(report);
    EXPECT_NE(text.find("41 ± 3 ns each"), std::string::npos) << text;
    EXPECT_NE(text.find("± one standard error"), std::string::npos) << text;
    EXPECT_NE(text.find("the sampled figure is a floor here"), std::string::npos) << text;

    // bpf_stats timed every run: no sample, so neither.
    o.accounting = std::string(kBpfStatsAccounting);
    text = unwrapped(report);
    EXPECT_EQ(text.find("±"), std::string::npos) << text;
    EXPECT_EQ(text.find("a floor"), std::string::npos) << text;

    TraceReport trace = load_trace(kNginxSendfileOn);
    trace.overhead.accounting = std::string(kSampledAccounting);
    trace.overhead.bpf_run_ns_standard_error = 90000;
    trace.overhead.ns_per_event_standard_error = 2.6;
    trace.overhead.host_drops_kernel_tlb = true;
    const std::string traced = render_trace(trace, 100000);
    EXPECT_NE(traced.find("± 3 ns each (this host drops the kernel's TLB"), std::string::npos) << traced;
}

// bpf_stats on as well says what it read: over every run with always, and
// in windows how many, how long, what share of the runs they timed, and
// its price of every run from them.
TEST(Text, TheProbeCostSaysHowBpfStatsTimedIt)
{
    Report report = find("loopback/sendfile").report;
    Overhead& o = report.overhead;
    o.bpf_stats = test::full_report().overhead.bpf_stats;  // in windows
    ASSERT_TRUE(o.bpf_stats);
    const auto unwrapped = [](const Report& r) { return ReportText(100000).render(r); };
    std::string text = unwrapped(report);
    EXPECT_NE(text.find("bpf_stats, on in 3 windows (16.1 ms, 12% of the runs), read 7.6 ns a run less its own "
                        "share: 3.3 ms for every run, 1.23% of the workload's CPU; the sample is 2.99 of it in the "
                        "windows"),
              std::string::npos)
        << text;
    EXPECT_EQ(text.find("on as well"), std::string::npos) << text;

    o.bpf_stats->mode = "always";
    text = unwrapped(report);
    EXPECT_NE(text.find("bpf_stats, on as well, read 2.9 ms, 0.4 ms less its own share"), std::string::npos) << text;
    EXPECT_EQ(text.find("window"), std::string::npos) << text;
}

TEST(Text, WrapKeepsWordsAndIndents)
{
    EXPECT_EQ(wrap("aaa bbb ccc", 7, 0, 2), "aaa bbb\n  ccc\n");
    EXPECT_EQ(wrap("aaaaaaaaaa b", 5, 2, 4), "  aaaaaaaaaa\n    b\n");
    EXPECT_EQ(wrap("零拷贝 技术", 5, 0, 0), "零拷贝\n技术\n") << "display columns, not bytes";
    EXPECT_EQ(wrap("copied 256 MiB, in 70.1 ms", 12, 0, 0), "copied\n256 MiB, in\n70.1 ms\n")
        << "a figure and its unit stay on one line";
    EXPECT_EQ(wrap("page 256 MiBs", 8, 0, 0), "page 256\nMiBs\n") << "only units join their number";
}

}  // namespace
}  // namespace zctrace::output_test

namespace zctrace::output_test {
namespace {

// The trace's tables fit the terminal: a long path gives up its start, and a
// column that is zero in every row shown is named instead of printed.
TEST(TraceText, TablesFitTheWidthAndNameTheColumnsThatAreZero)
{
    TraceReport trace = load_trace(kNginxSendfileOn);
    TraceFile served;
    served.path = "/srv/a/very/long/directory/tree/that/a/cdn/would/have/for/its/cache/objects/file.bin";
    served.device = "254:1";
    served.pid = 1;
    served.comm = "nginx";
    served.sent_by_reference_bytes = 64u << 20;
    served.page_cache.lookup_pages = 16384;
    trace.files = {served};
    const std::string text = render_trace(trace, 100);
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);)
        EXPECT_LE(display_width(line), 100u) << line;
    EXPECT_NE(text.find("\u2026"), std::string::npos) << text;
    EXPECT_NE(text.find("objects/file.bin"), std::string::npos) << text;
    // sendfile on: nothing came back through read(), every byte went by reference
    EXPECT_NE(text.find("(0 or none in every row shown: read()"), std::string::npos) << text;
    EXPECT_NE(text.find("sent by ref"), std::string::npos) << text;

    // A byte read through read() brings the column back.
    trace.files.front().read_bytes = 4096;
    const std::string with_read = render_trace(trace, 100);
    EXPECT_EQ(with_read.find("(0 or none in every row shown: read()"), std::string::npos) << with_read;
    EXPECT_NE(with_read.find("read()"), std::string::npos) << with_read;
}

}  // namespace
}  // namespace zctrace::output_test
