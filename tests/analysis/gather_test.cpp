// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// gather's verdicts from features and from the self-test's two runs, and its
// report against its schema. No probes: these are the rules, on given input.
#include <gtest/gtest.h>

#include <filesystem>

#include "analysis/gather.hpp"
#include "output/json_schema.hpp"
#include "sizes.hpp"

namespace zctrace {
namespace {

InterfaceFeatures device(std::optional<bool> sg, std::optional<bool> csum, bool sg_fixed = false)
{
    InterfaceFeatures d;
    d.name = "eth9";
    d.ifindex = 9;
    d.up = true;
    d.hardware = true;
    d.scatter_gather = {sg, sg_fixed};
    d.tx_checksum = {csum, false};
    d.tso = {true, false};
    d.gso = {true, false};
    return d;
}

TEST(GatherVerdict, ScatterGatherAndChecksumMeanZeroCopy)
{
    InterfaceFeatures d = device(true, true);
    judge_zero_copy(d);
    EXPECT_TRUE(d.zero_copy);
    EXPECT_NE(d.reason.find("gather them by DMA"), std::string::npos) << d.reason;
}

// A virtual machine's NIC has no DMA engine in the guest: the host's backend
// moves its data, out of sight.
TEST(GatherVerdict, AParavirtualNicIsNotClaimedToGatherByDma)
{
    InterfaceFeatures virtio = device(true, true);
    virtio.driver = "virtio_net";
    virtio.paravirtual = true;
    judge_zero_copy(virtio);
    EXPECT_TRUE(virtio.zero_copy) << "the guest's kernel still hands the device page-cache frags";
    EXPECT_EQ(virtio.reason.find("by DMA"), std::string::npos) << virtio.reason;
    EXPECT_NE(virtio.reason.find("virtio_net is a paravirtual NIC"), std::string::npos) << virtio.reason;
    EXPECT_NE(virtio.reason.find("not visible from here"), std::string::npos) << virtio.reason;
}

// The driver ethtool names and the one sysfs binds must agree; on this
// machine's own NICs, whichever they are.
TEST(GatherVerdict, EachInterfacesDriverIsReadAndVirtualOnesAreKnown)
{
    auto interfaces = read_interfaces({});
    ASSERT_TRUE(interfaces) << interfaces.error().describe();
    for (const InterfaceFeatures& each : *interfaces) {
        SCOPED_TRACE(each.name);
        std::error_code ec;
        const auto bound = std::filesystem::read_symlink("/sys/class/net/" + each.name + "/device/driver", ec);
        if (ec)
            continue;  // lo and other devices without a bus device
        EXPECT_EQ(each.driver, bound.filename().string());
        if (each.driver == "virtio_net") {
            EXPECT_TRUE(each.paravirtual);
            EXPECT_EQ(each.reason.find("by DMA"), std::string::npos) << each.reason;
        }
    }
}

TEST(GatherVerdict, WithoutScatterGatherTheKernelCopies)
{
    InterfaceFeatures changeable = device(false, true);
    judge_zero_copy(changeable);
    EXPECT_FALSE(changeable.zero_copy);
    EXPECT_NE(changeable.reason.find("sg on would enable it"), std::string::npos) << changeable.reason;

    InterfaceFeatures fixed = device(false, true, true);
    judge_zero_copy(fixed);
    EXPECT_FALSE(fixed.zero_copy);
    EXPECT_NE(fixed.reason.find("the driver cannot gather"), std::string::npos) << fixed.reason;
}

TEST(GatherVerdict, WithoutChecksumOffloadOrFeaturesThereIsNoZeroCopy)
{
    InterfaceFeatures no_csum = device(true, false);
    judge_zero_copy(no_csum);
    EXPECT_FALSE(no_csum.zero_copy);
    EXPECT_NE(no_csum.reason.find("checksum"), std::string::npos);

    InterfaceFeatures unknown = device(std::nullopt, std::nullopt);
    judge_zero_copy(unknown);
    EXPECT_FALSE(unknown.zero_copy);
    EXPECT_NE(unknown.reason.find("unknown"), std::string::npos);
}

TEST(GatherVerdict, LoopbackGathersWithoutDma)
{
    InterfaceFeatures lo = device(true, true);
    lo.name = "lo";
    lo.loopback = true;
    lo.hardware = false;
    judge_zero_copy(lo);
    EXPECT_TRUE(lo.zero_copy);
    EXPECT_NE(lo.reason.find("no DMA engine"), std::string::npos) << lo.reason;
}

SelfTest self_test(std::uint64_t on_copied, std::uint64_t off_shared)
{
    SelfTest test;
    test.payload_bytes = 16 * kMiB;
    test.sg_on = {true, true, "sendfile + DMA gather", 0.0, 16 * kMiB, on_copied, 0, 2600, 0.3, true};
    test.sg_off = {false, false, "sendfile", 1.0, off_shared, 16 * kMiB, 4096, 650, 1.2, true};
    return test;
}

TEST(GatherVerdict, SelfTestSaysGatherWorksAndWhatItCosts)
{
    SelfTest test = self_test(0, 0);
    judge_self_test(test);
    EXPECT_TRUE(test.gather_works);
    EXPECT_DOUBLE_EQ(test.cpu_cost_ratio, 4.0);
    EXPECT_NE(test.verdict.find("gather works"), std::string::npos) << test.verdict;
    EXPECT_NE(test.verdict.find("4.0x"), std::string::npos) << test.verdict;
    EXPECT_NE(test.verdict.find("no DMA engine"), std::string::npos) << test.verdict;
}

TEST(GatherVerdict, SelfTestNoticesWhenGatherDoesNotHappen)
{
    SelfTest copied_with_sg = self_test(16 * kMiB, 0);
    judge_self_test(copied_with_sg);
    EXPECT_FALSE(copied_with_sg.gather_works);
    EXPECT_NE(copied_with_sg.verdict.find("did not behave"), std::string::npos);

    SelfTest corrupted = self_test(0, 0);
    corrupted.sg_off.integrity_ok = false;
    judge_self_test(corrupted);
    EXPECT_FALSE(corrupted.gather_works);
    EXPECT_NE(corrupted.verdict.find("lost or corrupted"), std::string::npos);
}

GatherReport full_report()
{
    GatherReport report;
    report.tool = "zctrace 0.3.0";
    report.created_at = "2026-11-23T10:00:00Z";
    report.kernel = "6.18.0 #1 SMP";
    InterfaceFeatures d = device(true, true);
    judge_zero_copy(d);
    report.interfaces = {d};
    Observation seen;
    seen.seconds = 3.0;
    seen.probe = "tp_btf/net_dev_start_xmit";
    seen.devices = {{"lo", 1, 4026531840, true, true, 300, 9 * kMiB, 20000, 8 * kMiB, 8 * kMiB, 0, 0, 0, 1.0}};
    seen.unattributed_bytes = 0;
    seen.overhead = {120000, 300, 0, 400, 0.00002, 0.06};
    report.observation = seen;
    SelfTest test = self_test(0, 0);
    judge_self_test(test);
    report.self_test = test;
    report.findings = {"a finding"};
    return report;
}

TEST(GatherReportJson, AFullReportMatchesTheSchemaAndRoundTrips)
{
    const GatherReport report = full_report();
    const nlohmann::json document = report;
    const auto problems = gather_schema().validate(document);
    EXPECT_TRUE(problems.empty()) << problems.front();
    const GatherReport back = document.get<GatherReport>();
    EXPECT_EQ(nlohmann::json(back), document);
}

TEST(GatherReportJson, TheSchemaRejectsWhatIsNotAGatherReport)
{
    nlohmann::json document = full_report();
    document["interfaces"][0].erase("zero_copy");
    EXPECT_FALSE(gather_schema().validate(document).empty());

    document = full_report();
    document["self_test"]["sg_on"]["cpu_copies"] = -1;
    EXPECT_FALSE(gather_schema().validate(document).empty());

    document = full_report();
    document["schema_version"] = kGatherSchemaVersion + 1;
    EXPECT_FALSE(gather_schema().validate(document).empty());

    document = full_report();
    document["observation"] = nullptr;
    document["self_test"] = nullptr;
    EXPECT_TRUE(gather_schema().validate(document).empty()) << "static-only reports are valid";
}

}  // namespace
}  // namespace zctrace
