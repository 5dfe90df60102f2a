// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// The rules that judge a traced program's flows, on figures chosen to pass
// and figures that must fail: each flow is held to its theory row in bytes,
// copies at a device without SG are the environment's only when they
// account for the whole difference, and reads pair with writes only inside
// one process.
#include <gtest/gtest.h>

#include "analysis/trace_analysis.hpp"
#include "sizes.hpp"

namespace zctrace {
namespace {

FlowInputs sendfile_over(std::optional<bool> sg, std::uint64_t spliced, std::uint64_t copied)
{
    FlowInputs inputs;
    inputs.device = "eth0";
    inputs.device_sg = sg;
    if (spliced)
        inputs.syscall_bytes.push_back({"sendfile", "spliced", spliced});
    if (copied)
        inputs.syscall_bytes.push_back({"sendfile", "spliced_copied", copied});
    return inputs;
}

TEST(TraceFlows, SendfileAsPageReferencesMatchesTheGatherRow)
{
    const auto flows = classify_flows(sendfile_over(true, 64 * kMiB, 0));
    ASSERT_EQ(flows.size(), 1u);
    EXPECT_EQ(flows[0].technique, "sendfile");
    EXPECT_EQ(flows[0].theory_row, "sendfile_dma_gather");
    EXPECT_EQ(flows[0].measured_copy_bytes, 0u);
    EXPECT_EQ(flows[0].verdict, Verdict::match);
    EXPECT_EQ(overall_verdict(flows), Verdict::match);
}

TEST(TraceFlows, DeviceCopiesWhereTheDeviceCouldGatherAreAMismatch)
{
    FlowInputs inputs = sendfile_over(true, 64 * kMiB, 0);
    inputs.device_linearize = 8 * kMiB;
    const auto flows = classify_flows(inputs);
    ASSERT_EQ(flows.size(), 1u);
    EXPECT_EQ(flows[0].measured_copy_bytes, 8 * kMiB);
    EXPECT_EQ(flows[0].verdict, Verdict::mismatch);
    EXPECT_NE(flows[0].reason.find("8 MiB more copied than \"sendfile + DMA gather\" says"), std::string::npos)
        << flows[0].reason;
    EXPECT_NE(flows[0].reason.find("which has SG on: it could have gathered"), std::string::npos) << flows[0].reason;
    EXPECT_EQ(overall_verdict(flows), Verdict::mismatch);
}

TEST(TraceFlows, DeviceCopiesWithSgOffAreTheEnvironmentOnlyWhenTheyAccountForAll)
{
    // splice's row says 0 for a device that gathers; with SG off the
    // kernel's own code copies each page once.
    FlowInputs inputs;
    inputs.device = "veth0";
    inputs.device_sg = false;
    inputs.syscall_bytes.push_back({"splice", "spliced", 32 * kMiB});
    inputs.device_linearize = 32 * kMiB;
    auto flows = classify_flows(inputs);
    ASSERT_EQ(flows.size(), 1u);
    EXPECT_EQ(flows[0].verdict, Verdict::match) << flows[0].reason;
    EXPECT_EQ(flows[0].expected_from, "kernel code");
    // Twice the bytes copied: half is the device's, the rest nothing names.
    inputs.device_linearize = 64 * kMiB;
    flows = classify_flows(inputs);
    EXPECT_EQ(flows[0].verdict, Verdict::mismatch) << flows[0].reason;
}

TEST(TraceFlows, ReadWriteLinearizedAtADeviceWithoutSgIsTheEnvironment)
{
    FlowInputs inputs;
    inputs.device = "veth0";
    inputs.device_sg = false;
    inputs.syscall_bytes = {{"read", "file_to_user", 16 * kMiB}, {"write", "user_copy", 16 * kMiB}};
    inputs.processes = {{16 * kMiB, 16 * kMiB, 0}};
    inputs.device_linearize = 16 * kMiB;
    auto flows = classify_flows(inputs);
    ASSERT_EQ(flows.size(), 1u);
    EXPECT_EQ(flows[0].measured_copy_bytes, 48 * kMiB);
    EXPECT_EQ(flows[0].verdict, Verdict::environment) << flows[0].reason;
    EXPECT_NE(flows[0].reason.find("veth0 has scatter-gather off"), std::string::npos) << flows[0].reason;
    EXPECT_EQ(overall_verdict(flows), Verdict::explained);
    // The same copies with SG on: nothing the environment did explains them.
    inputs.device_sg = true;
    flows = classify_flows(inputs);
    EXPECT_EQ(flows[0].verdict, Verdict::mismatch) << flows[0].reason;
}

TEST(TraceFlows, SendfileThatCopiesOnARouteWithoutSgIsTheSendfileRow)
{
    const auto flows = classify_flows(sendfile_over(false, 0, 16 * kMiB));
    ASSERT_EQ(flows.size(), 1u);
    EXPECT_EQ(flows[0].theory_row, "sendfile");
    EXPECT_EQ(flows[0].measured_copy_bytes, 16 * kMiB);
    EXPECT_EQ(flows[0].verdict, Verdict::match);
    // The same copies where the device has SG: the gather row, and a mismatch.
    const auto copied_anyway = classify_flows(sendfile_over(true, 1 * kMiB, 16 * kMiB));
    EXPECT_EQ(copied_anyway[0].theory_row, "sendfile");
    EXPECT_EQ(copied_anyway[0].verdict, Verdict::mismatch) << copied_anyway[0].reason;
}

TEST(TraceFlows, ReadsPairWithWritesOnlyInsideOneProcess)
{
    FlowInputs inputs;
    inputs.syscall_bytes = {{"pread64", "file_to_user", 16 * kMiB}, {"writev", "user_copy", 16 * kMiB}};
    // One process read and wrote: read + write, 2 copies.
    inputs.processes = {{16 * kMiB, 16 * kMiB, 0}};
    auto flows = classify_flows(inputs);
    ASSERT_EQ(flows.size(), 1u);
    EXPECT_EQ(flows[0].technique, "read_write");
    EXPECT_EQ(flows[0].measured_copy_bytes, 32 * kMiB);
    EXPECT_EQ(flows[0].verdict, Verdict::match);
    // One process read, another wrote what it made itself: no read + write.
    inputs.processes = {{16 * kMiB, 0, 0}, {0, 16 * kMiB, 0}};
    flows = classify_flows(inputs);
    ASSERT_EQ(flows.size(), 1u);
    EXPECT_EQ(flows[0].technique, "user_memory");
    EXPECT_EQ(flows[0].theory_row, "");
    EXPECT_EQ(flows[0].verdict, Verdict::no_theory);
}

TEST(TraceFlows, WritesThatFaultedOnAFileMappingAreMmapWrite)
{
    FlowInputs inputs;
    inputs.syscall_bytes = {{"write", "user_copy", 16 * kMiB}};
    inputs.processes = {{0, 16 * kMiB, 16 * kMiB}};
    auto flows = classify_flows(inputs);
    ASSERT_EQ(flows.size(), 1u);
    EXPECT_EQ(flows[0].technique, "mmap_write");
    EXPECT_EQ(flows[0].verdict, Verdict::match);
    // Mapped pages in a process that wrote nothing name no flow.
    inputs.processes = {{0, 16 * kMiB, 0}, {0, 0, 16 * kMiB}};
    flows = classify_flows(inputs);
    EXPECT_EQ(flows[0].technique, "user_memory");
}

TEST(TraceFlows, SmallCallsDoNotNameAFlow)
{
    FlowInputs inputs;
    inputs.syscall_bytes = {{"pread64", "file_to_user", 16 * kMiB}, {"read", "file_to_user", 6 * 1024},
                            {"writev", "user_copy", 16 * kMiB}};
    inputs.processes = {{16 * kMiB + 6 * 1024, 16 * kMiB, 0}};
    const auto flows = classify_flows(inputs);
    ASSERT_EQ(flows.size(), 1u);
    EXPECT_EQ(flows[0].syscalls, (std::vector<std::string>{"pread64", "writev"}));
}

TEST(TraceFlows, NothingSentHasNoFlowToJudge)
{
    EXPECT_TRUE(classify_flows({}).empty());
    EXPECT_EQ(overall_verdict(std::vector<TraceFlow>{}), Verdict::no_theory);
}

FlowInputs file_copy(const std::string& filesystem, std::uint64_t bytes, std::uint64_t written)
{
    FlowInputs inputs;
    inputs.copy_filesystem = filesystem;
    inputs.syscall_bytes.push_back({"copy_file_range", "returned", bytes});
    if (written)
        inputs.syscall_bytes.push_back({"copy_file_range", "page_cache_copy", written});
    return inputs;
}

TEST(TraceFlows, CopyFileRangeIsHeldToItsFilesystem)
{
    // ext4 copies page cache to page cache; XFS with reflink shares extents.
    auto flows = classify_flows(file_copy("ext4", 16 * kMiB, 16 * kMiB));
    ASSERT_EQ(flows.size(), 1u);
    EXPECT_EQ(flows[0].technique, "copy_file_range");
    EXPECT_EQ(flows[0].theory_row, "copy_file_range");
    EXPECT_EQ(flows[0].expected_cpu_copies, 1);
    EXPECT_EQ(flows[0].expected_from, "documentation");
    EXPECT_EQ(flows[0].verdict, Verdict::match);
    EXPECT_NE(flows[0].reason.find("copy_file_range(2)"), std::string::npos) << flows[0].reason;
    flows = classify_flows(file_copy("xfs", 16 * kMiB, 0));
    ASSERT_EQ(flows.size(), 1u);
    EXPECT_EQ(flows[0].theory_row, "copy_file_range_reflink");
    EXPECT_EQ(flows[0].expected_cpu_copies, 0);
    EXPECT_EQ(flows[0].verdict, Verdict::match);
}

TEST(TraceFlows, CopyFileRangeThatDidNotDoWhatItsFilesystemDoesFails)
{
    // XFS made without reflink copies; that is not what a sharing
    // filesystem should do, and the reason says why it may have happened.
    auto flows = classify_flows(file_copy("xfs", 16 * kMiB, 16 * kMiB));
    ASSERT_EQ(flows.size(), 1u);
    EXPECT_EQ(flows[0].verdict, Verdict::mismatch);
    EXPECT_NE(flows[0].reason.find("without reflink"), std::string::npos) << flows[0].reason;
    // ext4 cannot share extents: nothing written means bytes went unseen.
    flows = classify_flows(file_copy("ext4", 16 * kMiB, 0));
    ASSERT_EQ(flows.size(), 1u);
    EXPECT_EQ(flows[0].verdict, Verdict::mismatch);
    EXPECT_EQ(overall_verdict(flows), Verdict::mismatch);
}

TEST(TraceFlows, SendfileToAFileIsOneCopyAndFailsWithoutIt)
{
    FlowInputs inputs;
    inputs.syscall_bytes = {{"sendfile", "returned", 16 * kMiB}, {"sendfile", "page_cache_copy", 16 * kMiB}};
    auto flows = classify_flows(inputs);
    ASSERT_EQ(flows.size(), 1u);
    EXPECT_EQ(flows[0].technique, "sendfile_file");
    EXPECT_EQ(flows[0].bytes, 16 * kMiB);
    EXPECT_EQ(flows[0].theory_row, "sendfile_file");
    EXPECT_EQ(flows[0].verdict, Verdict::match);
    // What it sent on a socket is the sendfile flow's, not a file's.
    inputs.syscall_bytes = {{"sendfile", "returned", 16 * kMiB}, {"sendfile", "spliced", 16 * kMiB}};
    flows = classify_flows(inputs);
    ASSERT_EQ(flows.size(), 1u);
    EXPECT_EQ(flows[0].technique, "sendfile");
    // Sent to a file with nothing written into its cache: bytes went unseen.
    inputs.syscall_bytes = {{"sendfile", "returned", 16 * kMiB}};
    flows = classify_flows(inputs);
    ASSERT_EQ(flows.size(), 1u);
    EXPECT_EQ(flows[0].technique, "sendfile_file");
    EXPECT_EQ(flows[0].verdict, Verdict::mismatch);
}

TEST(TraceFlows, ReadThenWriteIntoAFilePairsWithinOneProcess)
{
    FlowInputs inputs;
    inputs.syscall_bytes = {{"read", "file_to_user", 16 * kMiB}, {"write", "user_to_page_cache", 16 * kMiB}};
    inputs.processes = {{16 * kMiB, 0, 0, 16 * kMiB}};
    auto flows = classify_flows(inputs);
    ASSERT_EQ(flows.size(), 1u);
    EXPECT_EQ(flows[0].technique, "read_write_file");
    EXPECT_EQ(flows[0].measured_copy_bytes, 32 * kMiB);
    EXPECT_EQ(flows[0].verdict, Verdict::no_theory);
    // One process reads, another writes what it made itself: no pair.
    inputs.processes = {{16 * kMiB, 0, 0, 0}, {0, 0, 0, 16 * kMiB}};
    EXPECT_TRUE(classify_flows(inputs).empty());
    // Reads sent on a socket are read + write's, not the file's.
    inputs.syscall_bytes = {{"read", "file_to_user", 16 * kMiB},
                            {"write", "user_copy", 16 * kMiB},
                            {"write", "user_to_page_cache", 16 * kMiB}};
    inputs.processes = {{16 * kMiB, 16 * kMiB, 0, 16 * kMiB}};
    flows = classify_flows(inputs);
    ASSERT_EQ(flows.size(), 1u);
    EXPECT_EQ(flows[0].technique, "read_write");
}

}  // namespace
}  // namespace zctrace
