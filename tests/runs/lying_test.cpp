// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// Workloads that lie about their technique, run for real under the probes:
// each one must come out mismatch or invalid, and `zctrace check --strict`
// must exit 1 on its report. A tracer that calls these a match would call
// a kernel regression one too.
#include "../cli/support.hpp"
#include "lying_senders.hpp"
#include "output/files.hpp"
#include "support.hpp"

namespace zctrace::test {
namespace {

struct Case {
    const char* name;
    Lie lie;
    Technique claimed;
    Verdict verdict;
    const char* failing_check;  // the check that must catch it
};

const Case kCases[] = {
    {"sendfile_that_reads_and_writes", Lie::read_write_as_sendfile, Technique::sendfile, Verdict::mismatch,
     "cpu_copies"},
    {"splice_through_a_user_buffer", Lie::splice_via_user_buffer, Technique::splice, Verdict::mismatch, "cpu_copies"},
    {"direct_io_through_the_page_cache", Lie::page_cache_as_direct_io, Technique::direct_io, Verdict::mismatch,
     "cpu_copies"},
    {"syscalls_the_tally_does_not_admit", Lie::untallied_calls, Technique::read_write, Verdict::invalid,
     "syscalls_vs_workload_tally"},
};

class LyingWorkloadTest : public ::testing::TestWithParam<Case> {
protected:
    void SetUp() override { ZC_REQUIRE_BPF(); }
};

TEST_P(LyingWorkloadTest, IsCaughtAndFailsStrictCheck)
{
    const Case& c = GetParam();
    SessionHooks hooks;
    hooks.sender = [lie = c.lie](const workload::SenderSpec& spec, int go_fd, int report_fd) {
        return run_lying_sender(lie, spec, go_fd, report_fd);
    };
    const Outcome outcome = run_spec(RunSpec{c.claimed}, 16 * kMiB, hooks);
    const Report& r = outcome.report;
    EXPECT_TRUE(r.workload.integrity.ok) << "the lie moves the right bytes; only the way differs";
    EXPECT_EQ(r.verdict, c.verdict) << r.headline;
    const Check& caught = check_named(r, c.failing_check);
    EXPECT_EQ(caught.verdict, c.verdict) << caught.explanation;
    EXPECT_NE(r.headline.find(c.verdict == Verdict::invalid ? ": INVALID — " : ": NOT AS THE TABLE SAYS — "),
              std::string::npos)
        << r.headline;
    EXPECT_EQ(r.headline.rfind(r.technique + ", 16 MiB ", 0), 0u) << r.headline;

    cli_test::TempDir dir;
    ASSERT_TRUE(write_report(r, dir.path()));
    const cli_test::Finished check = cli_test::run({"check", "--strict", dir.path().string()});
    EXPECT_EQ(check.status, 1) << check.out << check.err;
    EXPECT_NE(check.err.find("--strict"), std::string::npos) << check.err;
    EXPECT_NE(check.out.find(std::string("verdict: ") + std::string(verdict_name(c.verdict))), std::string::npos)
        << check.out;
}

INSTANTIATE_TEST_SUITE_P(Lies, LyingWorkloadTest, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<Case>& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace zctrace::test
