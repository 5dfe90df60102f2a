// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// Techniques beyond the seeds, each held to a row from the kernel's own
// documentation, and checked against the kernel's own account where it
// gives one. msg_zerocopy: send(MSG_ZEROCOPY) from a buffer filled from the
// file before the window, completions read from the error queue after it.
// The receiver is always on this host here, so the pages that were pinned on
// send are copied somewhere on the way: where, and how many bytes, is what
// these tests pin down.
#include "support.hpp"

#include "../cli/loop_fs.hpp"
#include "runs/workload_file.hpp"

namespace zctrace::test {
namespace {

constexpr std::uint64_t kChunk = 64 * 1024;

// A report as `zctrace run` writes it, held to the report schema.
Report valid_report(const nlohmann::json& document, Report report)
{
    const auto problems = report_schema().validate(document);
    EXPECT_TRUE(problems.empty()) << problems.front();
    return report;
}

Report run_valid(const RunSpec& spec)
{
    Outcome outcome = run_spec(spec, kPayload);
    return valid_report(outcome.json, std::move(outcome.report));
}

Report report_of(const RunObservation& observation)
{
    Report report = build_report(observation, gather_host_facts());
    const nlohmann::json document = report;
    return valid_report(document, std::move(report));
}

// The calls the workload made again (a short send's rest, an EINTR).
std::uint64_t repeats_of(const Report& r, const std::string& call)
{
    const auto it = r.workload.repeated_calls.find(call);
    return it == r.workload.repeated_calls.end() ? 0 : it->second;
}

Report zerocopy_run(Transport transport, bool sg)
{
    const RunSpec spec{Technique::msg_zerocopy, kChunk, CacheState::warm, ProbeFlavor::typed, transport, sg};
    return run_valid(spec);
}

// What every msg_zerocopy run must show, wherever the copy happened.
void expect_sends_pinned(const Report& r)
{
    EXPECT_TRUE(r.workload.integrity.ok);
    EXPECT_EQ(r.workload.integrity.bytes_received, kPayload);
    EXPECT_EQ(r.theory.id, "msg_zerocopy");
    EXPECT_TRUE(r.theory.beyond_seeds);
    EXPECT_NE(r.theory.source.find("msg_zerocopy.rst"), std::string::npos);
    // One send per chunk, all of it taken as pinned pages by tcp_sendmsg.
    EXPECT_EQ(r.workload.calls.at("sendto"), kPayload / kChunk + repeats_of(r, "sendto"));
    EXPECT_EQ(r.measured.syscalls.by_name, r.workload.calls);
    EXPECT_EQ(r.measured.socket.sendmsg.zerocopy_bytes, kPayload);
    EXPECT_EQ(r.measured.cpu_copy_bytes.user_to_socket, 0u);
    EXPECT_EQ(r.measured.cpu_copy_bytes.file_to_user, 0u) << "the file was read before the window";
    // Every send was completed, and the probes agree with the kernel's account.
    ASSERT_TRUE(r.workload.zerocopy_completions);
    const ZerocopyCompletions& z = *r.workload.zerocopy_completions;
    EXPECT_EQ(z.sends, z.completed);
    EXPECT_GE(z.sends, kPayload / kChunk);
    const Check& kernel = check_named(r, "kernel_zerocopy_verdict");
    EXPECT_EQ(kernel.verdict, Verdict::match) << kernel.explanation;
    for (const Check& check : r.checks)
        EXPECT_NE(check.verdict, Verdict::invalid) << check.metric << ": " << check.explanation;
}

class BeyondSeeds : public ::testing::Test {
protected:
    void SetUp() override { ZC_REQUIRE_BPF(); }
};

// Over lo the pinned pages reach a local socket, which msg_zerocopy.rst says
// gets a deferred copy: skb_copy_ubufs copies every byte before delivery,
// and every completion says SO_EE_CODE_ZEROCOPY_COPIED.
TEST_F(BeyondSeeds, MsgZerocopyToALocalReceiverIsCopiedOnceAtDelivery)
{
    const Report r = zerocopy_run(Transport::loopback, true);
    expect_sends_pinned(r);
    const CopyBytes& c = r.measured.cpu_copy_bytes;
    // A resent segment still carries the pinned pages and is copied again.
    EXPECT_EQ(c.zerocopy_deferred, kPayload + r.measured.socket.resent_payload_bytes);
    EXPECT_EQ(c.device_linearize, 0u);
    EXPECT_EQ(r.measured.socket.zerocopy_frag_bytes, kPayload + r.measured.socket.resent_payload_bytes);
    EXPECT_EQ(r.workload.zerocopy_completions->copied, r.workload.zerocopy_completions->sends);
    const Check& copies = check_named(r, "cpu_copies");
    EXPECT_EQ(copies.verdict, Verdict::environment) << copies.explanation;
    ASSERT_EQ(copies.causes.size(), 1u);
    EXPECT_EQ(copies.causes.front().cause, "deferred_copy_local_receiver");
    EXPECT_EQ(r.verdict, Verdict::match) << describe_checks(r);
}

// Over veth with SG on the receiver is in another namespace of this host:
// still local delivery, still the deferred copy.
TEST_F(BeyondSeeds, MsgZerocopyOverVethWithSgIsCopiedAtTheOtherNamespacesDelivery)
{
    ZC_REQUIRE_VETH();
    const Report r = zerocopy_run(Transport::veth, true);
    expect_sends_pinned(r);
    EXPECT_EQ(r.measured.cpu_copy_bytes.zerocopy_deferred, kPayload + r.measured.socket.resent_payload_bytes);
    EXPECT_EQ(r.measured.cpu_copy_bytes.device_linearize, 0u);
    EXPECT_EQ(r.workload.zerocopy_completions->copied, r.workload.zerocopy_completions->sends);
}

// With SG off the device copies the pinned pages into linear buffers at
// transmit, and nothing is left to copy at delivery. The kernel's
// completions do not follow the copy: run to run they flag none of the
// sends, a few, or all of them, because a merged notification keeps the
// code of its first range. Either way the report says which.
TEST_F(BeyondSeeds, MsgZerocopyThroughADeviceWithoutSgIsCopiedAtTransmitAndTheKernelDoesNotSaySo)
{
    ZC_REQUIRE_VETH();
    const Report r = zerocopy_run(Transport::veth, false);
    expect_sends_pinned(r);
    const CopyBytes& c = r.measured.cpu_copy_bytes;
    EXPECT_EQ(c.zerocopy_deferred, 0u);
    EXPECT_EQ(c.device_linearize, kPayload);
    ASSERT_TRUE(r.measured.socket.sendmsg.pinned_at_local_receiver);
    EXPECT_EQ(r.measured.socket.sendmsg.pinned_at_local_receiver->skbs, 0u);
    const Check& copies = check_named(r, "cpu_copies");
    EXPECT_EQ(copies.verdict, Verdict::environment) << copies.explanation;
    const ZerocopyCompletions& z = *r.workload.zerocopy_completions;
    EXPECT_EQ(has_finding(r, "SO_EE_CODE_ZEROCOPY_COPIED does not report copies made at the device"),
              z.copied < z.sends)
        << describe_checks(r);
    EXPECT_EQ(has_finding(r, "a merged notification keeps the code of its first range"),
              z.copied > 0 && z.notifications < z.completed)
        << describe_checks(r);
}

Report vmsplice_run(Technique technique, Transport transport, bool sg)
{
    const RunSpec spec{technique, kChunk, CacheState::warm, ProbeFlavor::typed, transport, sg};
    const Report r = run_valid(spec);
    EXPECT_TRUE(r.workload.integrity.ok);
    EXPECT_EQ(r.workload.integrity.bytes_received, kPayload);
    EXPECT_EQ(r.theory.id, technique_name(technique));
    EXPECT_TRUE(r.theory.beyond_seeds);
    // One vmsplice and one splice per chunk, as the workload counted them.
    EXPECT_EQ(r.measured.syscalls.by_name, r.workload.calls);
    EXPECT_GE(r.workload.calls.at("vmsplice"), kPayload / kChunk);
    EXPECT_GE(r.workload.calls.at("splice"), kPayload / kChunk);
    // tcp_sendmsg took every byte as references to the user's pages.
    EXPECT_EQ(r.measured.socket.sendmsg.spliced_bytes, kPayload);
    EXPECT_EQ(r.measured.cpu_copy_bytes.user_to_socket, 0u);
    EXPECT_EQ(r.measured.cpu_copy_bytes.page_cache_to_socket, 0u);
    // The hazard's cost: what TCP still held of the buffer when the last
    // splice returned, and the wait until it was all acknowledged.
    EXPECT_TRUE(r.workload.buffer_release);
    if (r.workload.buffer_release) {
        EXPECT_LE(r.workload.buffer_release->unacked_at_end_bytes, kPayload);
        EXPECT_LT(r.workload.buffer_release->seconds_until_acked, 10.0);
        EXPECT_TRUE(has_finding(r, "vmsplice(2)'s hazard"));
        EXPECT_EQ(r.workload.buffer_release->gift.has_value(), technique == Technique::vmsplice_gift);
    }
    for (const Check& check : r.checks)
        EXPECT_NE(check.verdict, Verdict::invalid) << check.metric << ": " << check.explanation;
    return r;
}

// vmsplice(2): the user pages go into the pipe by reference, and splice
// hands them to TCP as frags: nothing is copied on the way out, although
// the page says a splice(SPLICE_F_MOVE) of pages not gifted must copy them.
TEST_F(BeyondSeeds, VmspliceSendsTheUsersPagesByReference)
{
    const Report r = vmsplice_run(Technique::vmsplice, Transport::loopback, true);
    EXPECT_EQ(r.measured.cpu_copy_bytes.total, 0u);
    EXPECT_EQ(r.measured.socket.shared_frag_bytes, kPayload + r.measured.socket.resent_payload_bytes);
    EXPECT_EQ(r.verdict, Verdict::match) << describe_checks(r);
    EXPECT_EQ(check_named(r, "cpu_copies").verdict, Verdict::match);
    EXPECT_TRUE(has_finding(r, "without SPLICE_F_GIFT a later splice(SPLICE_F_MOVE) must copy"));
}

// SPLICE_F_GIFT: vmsplice(2) says the kernel may move gifted pages. The
// socket references them as it does any pipe page: every page of the buffer
// is still mapped at its own frame after TCP is done, and nothing is copied.
TEST_F(BeyondSeeds, VmspliceGiftIsReferencedNotMoved)
{
    const Report r = vmsplice_run(Technique::vmsplice_gift, Transport::loopback, true);
    EXPECT_EQ(r.measured.cpu_copy_bytes.total, 0u);
    EXPECT_EQ(r.measured.socket.shared_frag_bytes, kPayload + r.measured.socket.resent_payload_bytes);
    EXPECT_EQ(r.verdict, Verdict::match) << describe_checks(r);
    ASSERT_TRUE(r.workload.buffer_release && r.workload.buffer_release->gift);
    const GiftedPages& gift = *r.workload.buffer_release->gift;
    EXPECT_TRUE(gift.frames_readable);
    EXPECT_EQ(gift.pages, kPayload / static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE)));
    EXPECT_EQ(gift.same_frame_after, gift.pages);
    EXPECT_TRUE(has_finding(r, "SPLICE_F_GIFT bought nothing"));
    EXPECT_FALSE(has_finding(r, "without SPLICE_F_GIFT"));
}

TEST_F(BeyondSeeds, VmspliceOverVethCopiesOnlyWhereTheDeviceCannotGather)
{
    ZC_REQUIRE_VETH();
    for (Technique technique : {Technique::vmsplice, Technique::vmsplice_gift}) {
        SCOPED_TRACE(std::string(technique_name(technique)));
        const Report on = vmsplice_run(technique, Transport::veth, true);
        EXPECT_EQ(on.measured.cpu_copy_bytes.total, 0u);
        EXPECT_EQ(check_named(on, "cpu_copies").verdict, Verdict::match);
        const Report off = vmsplice_run(technique, Transport::veth, false);
        EXPECT_EQ(off.measured.cpu_copy_bytes.device_linearize, kPayload);
        EXPECT_EQ(off.measured.cpu_copy_bytes.total, kPayload);
        EXPECT_EQ(check_named(off, "cpu_copies").verdict, Verdict::environment);
    }
}

// What every io_uring_send_zc run must show, wherever the copy happened.
void expect_uring_sends_pinned(const Report& r)
{
    EXPECT_TRUE(r.workload.integrity.ok);
    EXPECT_EQ(r.workload.integrity.bytes_received, kPayload);
    EXPECT_EQ(r.theory.id, "io_uring_send_zc");
    EXPECT_TRUE(r.theory.beyond_seeds);
    EXPECT_NE(r.theory.source.find("io_uring_prep_send_zc(3)"), std::string::npos);
    // One io_uring_enter per chunk, plus the workload's own repeats.
    EXPECT_EQ(r.measured.syscalls.by_name, r.workload.calls);
    EXPECT_EQ(r.workload.calls.at("io_uring_enter"),
              kPayload / kChunk + repeats_of(r, "io_uring_enter"));
    // Every request's result was seen at io_uring_complete (the workload's
    // ring is sized so that none overflows), all of it pinned pages.
    const SendmsgStats& send = r.measured.socket.sendmsg;
    EXPECT_EQ(send.uring_cqe_overflows, 0u);
    EXPECT_EQ(send.bytes, kPayload);
    EXPECT_EQ(send.zerocopy_bytes, kPayload);
    EXPECT_EQ(r.measured.cpu_copy_bytes.user_to_socket, 0u);
    EXPECT_EQ(r.measured.cpu_copy_bytes.file_to_user, 0u) << "the file was read before the window";
    // The kernel's account: one notification per send, each with a usage
    // report, and the probes read why each flagged one was flagged.
    ASSERT_TRUE(r.workload.zerocopy_completions);
    EXPECT_EQ(send.syscalls, r.workload.zerocopy_completions->sends);
    const ZerocopyCompletions& z = *r.workload.zerocopy_completions;
    EXPECT_EQ(z.completed, z.sends);
    EXPECT_EQ(z.notifications, z.sends);
    ASSERT_TRUE(send.uring_notifications);
    const UringNotifications& n = *send.uring_notifications;
    // The last notifications may be posted after the window closes (the
    // pages of the sends still in flight then); the probes saw the others,
    // and every flagged one they missed is among those.
    EXPECT_LE(n.seen, z.notifications);
    EXPECT_GE(n.seen * 2, z.notifications);
    EXPECT_LE(n.copied, z.copied);
    EXPECT_LE(z.copied - n.copied, z.notifications - n.seen);
    EXPECT_EQ(n.copied, n.copy_reported + n.unused + n.unused_linked);
    const Check& kernel = check_named(r, "kernel_zerocopy_verdict");
    EXPECT_EQ(kernel.verdict, Verdict::match) << kernel.explanation;
    for (const Check& check : r.checks)
        EXPECT_NE(check.verdict, Verdict::invalid) << check.metric << ": " << check.explanation;
}

Report uring_zc_run(Transport transport, bool sg)
{
    const RunSpec spec{Technique::io_uring_send_zc, kChunk, CacheState::warm, ProbeFlavor::typed, transport, sg};
    const Report r = run_valid(spec);
    expect_uring_sends_pinned(r);
    return r;
}

// io_uring_prep_send_zc(3): the pages are pinned like MSG_ZEROCOPY's, and a
// local receiver copies them at delivery just the same; the notifications
// say COPIED for (nearly) all sends, by a failed-zerocopy callback.
TEST_F(BeyondSeeds, IoUringSendZcToALocalReceiverIsCopiedOnceAtDelivery)
{
    const Report r = uring_zc_run(Transport::loopback, true);
    const CopyBytes& c = r.measured.cpu_copy_bytes;
    EXPECT_EQ(c.zerocopy_deferred, kPayload + r.measured.socket.resent_payload_bytes);
    EXPECT_EQ(c.device_linearize, 0u);
    const auto& local = r.measured.socket.sendmsg.pinned_at_local_receiver;
    ASSERT_TRUE(local);
    EXPECT_EQ(local->copied_bytes, c.zerocopy_deferred);
    EXPECT_GT(local->skbs, 0u);
    ASSERT_TRUE(r.measured.socket.sendmsg.uring_notifications);
    const UringNotifications& n = *r.measured.socket.sendmsg.uring_notifications;
    EXPECT_EQ(n.copied, n.seen);
    EXPECT_GE(n.copy_reported + 8, n.seen);
    EXPECT_EQ(check_named(r, "cpu_copies").verdict, Verdict::environment);
    EXPECT_EQ(r.verdict, Verdict::match) << describe_checks(r);
}

TEST_F(BeyondSeeds, IoUringSendZcOverVethIsCopiedAtDeliveryWithSgAndAtTransmitWithout)
{
    ZC_REQUIRE_VETH();
    const Report on = uring_zc_run(Transport::veth, true);
    EXPECT_EQ(on.measured.cpu_copy_bytes.zerocopy_deferred, kPayload + on.measured.socket.resent_payload_bytes);
    EXPECT_EQ(on.measured.cpu_copy_bytes.device_linearize, 0u);

    // Without SG the device linearizes every byte, no pinned skb reaches the
    // receiver, and the kernel still reports failed zerocopy for many sends:
    // the flag does not say where, the probes do.
    const Report off = uring_zc_run(Transport::veth, false);
    const CopyBytes& c = off.measured.cpu_copy_bytes;
    EXPECT_EQ(c.device_linearize, kPayload);
    EXPECT_EQ(c.zerocopy_deferred, 0u);
    const auto& local = off.measured.socket.sendmsg.pinned_at_local_receiver;
    ASSERT_TRUE(local);
    EXPECT_EQ(local->skbs, 0u);
    EXPECT_EQ(local->copied_bytes, 0u);
    EXPECT_EQ(check_named(off, "cpu_copies").verdict, Verdict::environment);
}

// What every copy_file_range run must show, whatever the filesystem did.
void expect_file_copied(const Report& r, std::uint64_t payload)
{
    EXPECT_TRUE(r.workload.integrity.ok) << "the copy, read back, is not the file";
    EXPECT_EQ(r.workload.integrity.bytes_received, payload);
    EXPECT_TRUE(r.theory.beyond_seeds);
    EXPECT_NE(r.theory.source.find("copy_file_range(2)"), std::string::npos);
    // One copy_file_range per chunk, as the workload counted them, and
    // /proc/self/io counts each as one read and one write.
    EXPECT_EQ(r.measured.syscalls.by_name, r.workload.calls);
    EXPECT_EQ(r.workload.calls.at("copy_file_range"), payload / kChunk + repeats_of(r, "copy_file_range"));
    EXPECT_EQ(check_named(r, "kernel_io_syscalls").verdict, Verdict::match);
    // Nothing passes through user memory or a socket.
    const CopyBytes& c = r.measured.cpu_copy_bytes;
    EXPECT_EQ(c.file_to_user, 0u);
    EXPECT_EQ(c.user_to_socket, 0u);
    EXPECT_EQ(r.measured.socket.bytes, 0u);
    EXPECT_EQ(r.measured.receiver.copy_bytes, 0u);
    ASSERT_TRUE(r.workload.copy_file);
    EXPECT_GT(r.workload.copy_file->extents, 0u);
    for (const Check& check : r.checks)
        EXPECT_NE(check.verdict, Verdict::invalid) << check.metric << ": " << check.explanation;
}

// copy_file_range(2) on ext4 (the default --dir here): no reflinks, so the
// kernel splices the file's page cache into the copy's: one CPU copy, every
// byte, with the source read from the page cache (warm: all hits).
TEST_F(BeyondSeeds, CopyFileRangeWithoutReflinksCopiesPageCacheToPageCacheOnce)
{
    const Report r = run_valid({Technique::copy_file_range, kChunk, CacheState::warm});
    ASSERT_TRUE(r.workload.copy_file);
    if (r.workload.copy_file->filesystem_shares_extents.value_or(false))
        GTEST_SKIP() << "the test directory's filesystem shares blocks: " << r.workload.copy_file->shares_extents_why;
    expect_file_copied(r, kPayload);
    EXPECT_EQ(r.theory.id, "copy_file_range");
    EXPECT_EQ(r.measured.cpu_copy_bytes.page_cache_to_page_cache, kPayload);
    EXPECT_EQ(r.measured.cpu_copy_bytes.total, kPayload);
    // Warm: every page a hit, unless reclaim took some back after the
    // warming (once in CI, one 1 MiB folio); those the disk read again, and
    // the DMA check says so.
    EXPECT_EQ(r.measured.page_cache.hits + r.measured.page_cache.misses, kPayload / 4096);
    EXPECT_EQ(r.measured.dma_bytes.disk_read, r.measured.page_cache.misses * 4096);
    if (r.measured.page_cache.misses) {
        const Check& dma = check_named(r, "dma_copies");
        EXPECT_EQ(dma.verdict, Verdict::environment) << dma.explanation;
        ASSERT_EQ(dma.causes.size(), 1u);
        EXPECT_EQ(dma.causes.front().cause, "reclaimed_pages");
    }
    EXPECT_EQ(r.workload.copy_file->shared_extents, 0u);
    EXPECT_EQ(check_named(r, "cpu_copies").verdict, Verdict::match);
    EXPECT_EQ(r.verdict, Verdict::match) << describe_checks(r);
}

// On an XFS made with reflinks (loop-mounted by the test, taken down on
// every path) the copy shares the file's blocks: no byte copied, no page of
// the file read, no disk read, every extent of the copy shared.
TEST_F(BeyondSeeds, CopyFileRangeOnXfsWithReflinksSharesTheBlocksAndCopiesNothingWhereSendfileCopies)
{
    ZC_REQUIRE_BPF();
    auto work = WorkDir::create();
    ASSERT_TRUE(work) << work.error().describe();
    std::string error;
    bool unsupported = false;
    const auto xfs = cli_test::LoopFilesystem::make(work->path(), cli_test::xfs_with_reflinks(), error, unsupported);
    if (!xfs && unsupported)
        GTEST_SKIP() << "this kernel or host cannot loop-mount XFS: " << error;
    ASSERT_TRUE(xfs) << error;
    auto file = create_workload_file(xfs->mount_point(), kPayload, 7);
    ASSERT_TRUE(file) << file.error().describe();
    auto observation = run_technique({Technique::copy_file_range, kChunk, CacheState::warm}, *file, {});
    ASSERT_TRUE(observation) << observation.error().describe();
    const Report r = report_of(*observation);
    expect_file_copied(r, kPayload);
    const CopyFileOutcome& copy = *r.workload.copy_file;
    EXPECT_EQ(copy.filesystem, "xfs");
    ASSERT_EQ(copy.filesystem_shares_extents, true) << copy.shares_extents_why;
    EXPECT_EQ(r.theory.id, "copy_file_range_reflink");
    EXPECT_EQ(copy.shared_extents, copy.extents);
    EXPECT_EQ(r.measured.cpu_copy_bytes.total, 0u);
    EXPECT_EQ(r.measured.page_cache.lookups, 0u) << "no page of the file was read";
    // XFS may read a block of its own metadata (the refcount tree), never the file.
    EXPECT_LT(r.measured.dma_bytes.disk_read, 64u * 1024);
    EXPECT_EQ(check_named(r, "cpu_copies").verdict, Verdict::match);
    EXPECT_EQ(r.verdict, Verdict::match) << describe_checks(r);

    // sendfile(2) into a file on the same XFS cannot share blocks: it
    // splices through a pipe and writes, one copy of every byte.
    auto sent = run_technique({Technique::sendfile_file, kChunk, CacheState::warm}, *file, {});
    ASSERT_TRUE(sent) << sent.error().describe();
    const Report s = report_of(*sent);
    EXPECT_TRUE(s.workload.integrity.ok);
    EXPECT_EQ(s.theory.id, "sendfile_file");
    EXPECT_EQ(s.measured.cpu_copy_bytes.page_cache_to_page_cache, kPayload);
    EXPECT_EQ(s.workload.copy_file->shared_extents, 0u);
    EXPECT_EQ(s.verdict, Verdict::match) << describe_checks(s);
}

// sendfile(2) to a regular file: the kernel splices the file's page cache
// through its internal pipe and writes it into the copy's: one copy.
TEST_F(BeyondSeeds, SendfileToAFileCopiesPageCacheToPageCacheOnce)
{
    const Report r = run_valid({Technique::sendfile_file, kChunk, CacheState::warm});
    EXPECT_TRUE(r.workload.integrity.ok);
    EXPECT_EQ(r.workload.integrity.bytes_received, kPayload);
    EXPECT_EQ(r.theory.id, "sendfile_file");
    EXPECT_TRUE(r.theory.beyond_seeds);
    EXPECT_EQ(r.measured.syscalls.by_name, r.workload.calls);
    EXPECT_EQ(r.workload.calls.at("sendfile"), kPayload / kChunk + repeats_of(r, "sendfile"));
    EXPECT_EQ(check_named(r, "kernel_io_syscalls").verdict, Verdict::match);
    EXPECT_EQ(r.measured.cpu_copy_bytes.page_cache_to_page_cache, kPayload);
    EXPECT_EQ(r.measured.cpu_copy_bytes.total, kPayload);
    EXPECT_EQ(r.measured.cpu_copy_bytes.file_to_user, 0u);
    EXPECT_EQ(r.measured.socket.bytes, 0u);
    EXPECT_EQ(r.measured.page_cache.hits, kPayload / 4096);
    EXPECT_EQ(check_named(r, "cpu_copies").verdict, Verdict::match);
    EXPECT_EQ(r.verdict, Verdict::match) << describe_checks(r);
}

Report tee_run(Transport transport, bool sg)
{
    const RunSpec spec{Technique::tee, kChunk, CacheState::warm, ProbeFlavor::typed, transport, sg};
    return run_valid(spec);
}

// tee(2): one read of the file (splice into a pipe), tee() into a second
// pipe by reference, two outputs. The socket's output takes the page-cache
// pages by reference; the file's is written by copying them into its page
// cache. Both outputs are checksummed.
void expect_one_read_two_outputs(const Report& r)
{
    EXPECT_TRUE(r.workload.integrity.ok);
    EXPECT_EQ(r.workload.integrity.verified_by, "receiver and sender");
    EXPECT_EQ(r.theory.id, "tee");
    EXPECT_TRUE(r.theory.beyond_seeds);
    EXPECT_EQ(r.measured.syscalls.by_name, r.workload.calls);
    EXPECT_EQ(r.workload.calls.at("tee"), kPayload / kChunk + repeats_of(r, "tee"));
    EXPECT_EQ(r.workload.calls.at("splice"), 3 * (kPayload / kChunk) + repeats_of(r, "splice"));
    // One read: every page of the file looked up once, from the cache.
    EXPECT_EQ(r.measured.page_cache.hits, kPayload / 4096);
    EXPECT_EQ(r.measured.page_cache.misses, 0u);
    // The socket's output: page references, nothing copied at send.
    EXPECT_EQ(r.measured.socket.sendmsg.spliced_bytes, kPayload);
    EXPECT_EQ(r.measured.cpu_copy_bytes.page_cache_to_socket, 0u);
    EXPECT_EQ(r.measured.cpu_copy_bytes.user_to_socket, 0u);
    // The file's output: every byte copied into its page cache.
    EXPECT_EQ(r.measured.cpu_copy_bytes.page_cache_to_page_cache, kPayload);
    const Check& copies = check_named(r, "cpu_copies");
    bool written = false;
    for (const Cause& cause : copies.causes)
        written = written || cause.cause == "second_output_written";
    EXPECT_TRUE(written) << copies.explanation;
    EXPECT_EQ(check_named(r, "syscalls_per_transfer").verdict, Verdict::explained);
    for (const Check& check : r.checks)
        EXPECT_NE(check.verdict, Verdict::invalid) << check.metric << ": " << check.explanation;
}

TEST_F(BeyondSeeds, TeeReadsOnceAndCopiesOnlyIntoItsFileOutput)
{
    const Report r = tee_run(Transport::loopback, true);
    expect_one_read_two_outputs(r);
    EXPECT_EQ(r.measured.cpu_copy_bytes.total, kPayload);
    EXPECT_EQ(r.measured.socket.shared_frag_bytes, kPayload + r.measured.socket.resent_payload_bytes);
    EXPECT_EQ(check_named(r, "cpu_copies").verdict, Verdict::explained) << describe_checks(r);
    EXPECT_EQ(r.verdict, Verdict::explained) << describe_checks(r);
}

TEST_F(BeyondSeeds, TeeOverVethCopiesAtTheDeviceOnlyWithoutSg)
{
    ZC_REQUIRE_VETH();
    const Report on = tee_run(Transport::veth, true);
    expect_one_read_two_outputs(on);
    EXPECT_EQ(on.measured.cpu_copy_bytes.device_linearize, 0u);
    EXPECT_EQ(on.measured.cpu_copy_bytes.total, kPayload);
    const Report off = tee_run(Transport::veth, false);
    expect_one_read_two_outputs(off);
    EXPECT_EQ(off.measured.cpu_copy_bytes.device_linearize, kPayload);
    EXPECT_EQ(off.measured.cpu_copy_bytes.total, 2 * kPayload);
    EXPECT_EQ(check_named(off, "cpu_copies").verdict, Verdict::explained) << describe_checks(off);
}

// --receiver zerocopy (TCP_ZEROCOPY_RECEIVE, as the tcp_mmap selftest):
// whole page-aligned pages of the receive queue are mapped, the rest is
// copied. What the kernel answered and what the probes saw copied agree to
// the byte, and the stream arrives whole.
Report zerocopy_receive_run(Technique technique, Transport transport)
{
    RunSpec spec{technique, kChunk, CacheState::warm, ProbeFlavor::typed, transport, true};
    spec.receive = workload::ReceiveMode::zerocopy;
    const Report r = run_valid(spec);
    EXPECT_TRUE(r.workload.integrity.ok);
    EXPECT_EQ(r.workload.integrity.bytes_received, kPayload);
    EXPECT_TRUE(r.workload.receiver_zerocopy);
    if (r.workload.receiver_zerocopy) {
        const ReceiverZerocopy& z = *r.workload.receiver_zerocopy;
        EXPECT_GT(z.calls, 0u);
        EXPECT_EQ(z.mapped_bytes + z.copybuf_bytes + z.recv_bytes, kPayload);
        EXPECT_EQ(r.measured.receiver.copy_bytes, z.copybuf_bytes + z.recv_bytes);
    }
    EXPECT_EQ(check_named(r, "receiver_zerocopy_agrees").verdict, Verdict::match);
    for (const Check& check : r.checks)
        EXPECT_NE(check.verdict, Verdict::invalid) << check.metric << ": " << check.explanation;
    return r;
}

// On one host the receive queue holds the sender's own pages: page-cache
// pages (sendfile) carry a mapping, which tcp_zerocopy_receive refuses to
// map, so everything is copied; MSG_ZEROCOPY's pinned pages were copied at
// local delivery into fresh order-0 pages, which it maps.
TEST_F(BeyondSeeds, ZerocopyReceiveMapsWhatItCanAndTheProbesSeeTheRestCopied)
{
    const Report sendfile = zerocopy_receive_run(Technique::sendfile, Transport::loopback);
    EXPECT_EQ(sendfile.measured.cpu_copy_bytes.total, 0u) << "the sender's side is as with a copying receiver";
    EXPECT_EQ(sendfile.workload.receiver_zerocopy->mapped_bytes, 0u);
    EXPECT_EQ(sendfile.measured.receiver.copy_bytes, kPayload);
    const Report pinned = zerocopy_receive_run(Technique::msg_zerocopy, Transport::loopback);
    EXPECT_GT(pinned.workload.receiver_zerocopy->mapped_bytes, kPayload / 2);
    EXPECT_LT(pinned.measured.receiver.copy_bytes, kPayload / 2);
}

TEST_F(BeyondSeeds, ZerocopyReceiveOverVeth)
{
    ZC_REQUIRE_VETH();
    zerocopy_receive_run(Technique::sendfile, Transport::veth);
}

}  // namespace
}  // namespace zctrace::test
