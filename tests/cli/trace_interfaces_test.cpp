// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// `zctrace trace` on the interfaces zctrace's own workloads do not use:
// io_uring reads, sends, send_zc and splices, vmsplice, and MSG_ZEROCOPY,
// each driven by zctrace-test-mover (tests/programs/mover.cpp), whose own
// tally of requests, syscalls and kernel completions the trace must equal.
#include <fcntl.h>
#include <linux/magic.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include "loop_fs.hpp"
#include "trace_support.hpp"

namespace zctrace::cli_test {
namespace {

constexpr std::uint64_t kPayload = 16 * kMiB;
constexpr std::uint64_t kChunk = 64 * 1024;

struct Traced {
    json mover;  // the program's own line
    json trace;
};

Traced trace_mover(const std::string& mode, const fs::path& dir, const std::vector<std::string>& extra = {})
{
    std::vector<std::string> args = {"trace", "-o", dir.string(), "--", ZCTRACE_MOVER_BINARY, mode,
                                     "--chunk", std::to_string(kChunk)};
    args.insert(args.end(), extra.begin(), extra.end());
    const Finished finished = run(args);
    EXPECT_EQ(finished.status, 0) << finished.err;
    Traced traced;
    if (finished.status != 0)
        return traced;
    traced.mover = json::parse(finished.out.substr(0, finished.out.find('\n')));
    traced.trace = read_json(dir / "trace.json");
    EXPECT_EQ(traced.mover.at("sent"), kPayload);
    EXPECT_EQ(traced.mover.at("received"), kPayload);
    return traced;
}

std::uint64_t bytes_of(const json& trace, const std::string& mover, const std::string& moved)
{
    for (const json& entry : trace.at("syscall_bytes"))
        if (entry.at("syscall") == mover && entry.at("moved") == moved)
            return entry.at("bytes").get<std::uint64_t>();
    return 0;
}

// The mover's FNV-1a of the bytes it received, against the file's.
std::string checksum_of(const fs::path& file)
{
    std::ifstream in(file, std::ios::binary);
    std::uint64_t sum = 1469598103934665603ull;
    for (char c; in.get(c);)
        sum = (sum ^ static_cast<unsigned char>(c)) * 1099511628211ull;
    return std::to_string(sum);
}

const json& sender_figures(const Traced& traced)
{
    for (const json& process : traced.trace.at("processes"))
        if (process.at("pid") == traced.mover.at("pid"))
            return process.at("figures");
    static const json none;
    ADD_FAILURE() << "the mover is not among the processes";
    return none;
}

// What TCP resent on the mover's socket (spurious resends happen on lo).
std::uint64_t resent_by(const Traced& traced)
{
    for (const json& connection : traced.trace.at("connections"))
        if (connection.at("pid") == traced.mover.at("pid"))
            return connection.at("resent_bytes").get<std::uint64_t>();
    ADD_FAILURE() << "no socket of the mover in " << traced.trace.at("connections").dump(2);
    return 0;
}

TEST(TraceIoUring, ReadThenSendIsReadPlusWriteWithTwoCopies)
{
    REQUIRE_ROOT();
    TempDir dir("/var/tmp");
    const fs::path file = dir.path() / "payload.bin";
    write_warm_file(file, kPayload);
    const Traced traced = trace_mover("uring_read_send", dir.path(), {"--file", file.string()});
    if (traced.trace.is_null())
        return;
    EXPECT_EQ(traced.mover.at("intact"), true);
    const json& requests = traced.trace.at("io_uring").at("requests_by_op");
    // every completion, the read that found the end of the file included
    EXPECT_EQ(requests.at("io_uring:read"), traced.mover.at("requests").at("read"));
    EXPECT_EQ(requests.at("io_uring:send"), traced.mover.at("requests").at("send"));
    EXPECT_EQ(bytes_of(traced.trace, "io_uring:read", "file_to_user"), kPayload);
    EXPECT_EQ(bytes_of(traced.trace, "io_uring:send", "user_copy"), kPayload);
    // io_uring_enter returns requests, not bytes: nothing is given to it
    EXPECT_EQ(bytes_of(traced.trace, "io_uring_enter", "user_copy"), 0u);
    const json& flow = traced.trace.at("flows").at(0);
    EXPECT_EQ(flow.at("technique"), "read_write");
    EXPECT_EQ(flow.at("syscalls"), json({"io_uring:read", "io_uring:send"}));
    EXPECT_EQ(flow.at("bytes"), kPayload);
    EXPECT_EQ(flow.at("measured_copy_bytes"), 2 * kPayload);
    EXPECT_EQ(flow.at("verdict"), "match");
    EXPECT_EQ(sender_figures(traced).at("bytes_sent"), kPayload);
    EXPECT_EQ(sender_figures(traced).at("cpu_copy_bytes").at("user_to_socket"), kPayload);
    // Two sockets, both traced: the mover's, which sent, and its receiving
    // child's, which copied everything out; each is the other's peer.
    const json& connections = traced.trace.at("connections");
    ASSERT_EQ(connections.size(), 2u) << connections.dump(2);
    const json* sending = nullptr;
    const json* receiving = nullptr;
    for (const json& connection : connections)
        (connection.at("pid") == traced.mover.at("pid") ? sending : receiving) = &connection;
    ASSERT_TRUE(sending && receiving) << connections.dump(2);
    EXPECT_EQ(receiving->at("pid"), traced.mover.at("receiver_pid"));
    EXPECT_EQ(sending->at("bytes_sent"), kPayload);
    EXPECT_EQ(sending->at("sent").at("user_copy"), kPayload);
    EXPECT_EQ(sending->at("send_calls"), traced.mover.at("requests").at("send"));
    EXPECT_EQ(sending->at("cpu_copy_bytes"), kPayload);
    EXPECT_EQ(receiving->at("receive_copy_bytes"), kPayload);
    EXPECT_EQ(receiving->at("bytes_sent"), 0);
    EXPECT_EQ(sending->at("remote"), receiving->at("local"));
    EXPECT_EQ(sending->at("local"), receiving->at("remote"));
    // The file the requests read, by its path, with what they returned.
    const json* payload = nullptr;
    for (const json& entry : traced.trace.at("files"))
        if (entry.at("path") == file.string())
            payload = &entry;
    ASSERT_NE(payload, nullptr) << traced.trace.at("files").dump(2);
    EXPECT_EQ(payload->at("read_bytes"), kPayload);
    EXPECT_EQ(payload->at("pid"), traced.mover.at("pid"));
    EXPECT_EQ(payload->at("page_cache").at("misses"), 0);
}

// What left the traced sockets at the device as frags of one kind, less the
// frags TCP resent: a resent segment leaves as page references again and
// the device counts it twice (it happened once in a sanitized CI run).
std::uint64_t first_pass_frag_bytes(const json& trace, const char* kind)
{
    const json& sockets = trace.at("sockets");
    const auto resent_frags = sockets.at("resent_payload_bytes").get<std::uint64_t>() -
                              sockets.at("resent_linear_payload_bytes").get<std::uint64_t>();
    return trace.at("devices").at(0).at(kind).get<std::uint64_t>() - resent_frags;
}

TEST(TraceIoUring, SpliceFromAFileSendsPageReferences)
{
    REQUIRE_ROOT();
    TempDir dir("/var/tmp");
    const fs::path file = dir.path() / "payload.bin";
    write_warm_file(file, kPayload);
    const Traced traced = trace_mover("uring_splice", dir.path(), {"--file", file.string()});
    if (traced.trace.is_null())
        return;
    EXPECT_EQ(traced.mover.at("received_checksum"), checksum_of(file));
    EXPECT_EQ(traced.trace.at("io_uring").at("requests_by_op").at("io_uring:splice"),
              traced.mover.at("requests").at("splice"));
    EXPECT_EQ(bytes_of(traced.trace, "io_uring:splice", "spliced"), kPayload);
    ASSERT_EQ(traced.trace.at("flows").size(), 1u) << traced.trace.at("flows").dump(2);
    const json& flow = traced.trace.at("flows").at(0);
    EXPECT_EQ(flow.at("technique"), "splice");
    EXPECT_EQ(flow.at("bytes"), kPayload);
    EXPECT_EQ(flow.at("measured_copy_bytes"), 0);
    EXPECT_EQ(flow.at("verdict"), "match");
    EXPECT_EQ(first_pass_frag_bytes(traced.trace, "shared_frag_bytes"), kPayload);
}

// Pinned pages cannot be given to a socket on the same host: the kernel
// copies them at delivery, and says so in each notification.
TEST(TraceIoUring, SendZcToALocalReceiverIsCopiedAtDeliveryAsTheKernelSays)
{
    REQUIRE_ROOT();
    TempDir dir;
    const Traced traced = trace_mover("uring_send_zc", dir.path(), {"--size", std::to_string(kPayload)});
    if (traced.trace.is_null())
        return;
    EXPECT_EQ(traced.mover.at("intact"), true);
    const json& uring = traced.trace.at("io_uring");
    EXPECT_EQ(uring.at("requests_by_op").at("io_uring:send_zc"), traced.mover.at("requests").at("send_zc"));
    EXPECT_EQ(uring.at("zc_notifications"), traced.mover.at("zc_notifications"));
    EXPECT_EQ(uring.at("zc_notifications_copied"), traced.mover.at("zc_notifications_copied"));
    EXPECT_EQ(bytes_of(traced.trace, "io_uring:send_zc", "zerocopy"), kPayload);
    const json& flow = traced.trace.at("flows").at(0);
    EXPECT_EQ(flow.at("technique"), "io_uring_send_zc");
    EXPECT_EQ(flow.at("measured_copy_bytes"), 0);
    // Held to io_uring_prep_send_zc(3)'s promise for the send itself.
    EXPECT_EQ(flow.at("theory_row"), "io_uring_send_zc");
    EXPECT_EQ(flow.at("expected_from"), "documentation");
    EXPECT_EQ(flow.at("verdict"), "match");
    EXPECT_EQ(first_pass_frag_bytes(traced.trace, "zerocopy_frag_bytes"), kPayload);
    // Over lo every notification says COPIED, and the probes saw every
    // pinned byte arrive for a local socket.
    ASSERT_EQ(traced.mover.at("zc_notifications_copied"), traced.mover.at("zc_notifications"));
    const std::uint64_t resent = resent_by(traced);
    EXPECT_EQ(flow.at("copied_at_local_receiver_bytes"), kPayload + resent);
    EXPECT_EQ(traced.trace.at("totals").at("zerocopy_copied_at_receiver_bytes"), kPayload + resent);
    EXPECT_EQ(sender_figures(traced).at("zerocopy_copied_at_receiver_bytes"), kPayload + resent);
    EXPECT_EQ(traced.trace.at("headline").get<std::string>().find("ZERO-COPY"), std::string::npos);
}

TEST(TraceSyscalls, MsgZerocopyToALocalReceiverIsCopiedAtDeliveryAsTheKernelSays)
{
    REQUIRE_ROOT();
    TempDir dir;
    const Traced traced = trace_mover("msg_zerocopy", dir.path(), {"--size", std::to_string(kPayload)});
    if (traced.trace.is_null())
        return;
    EXPECT_EQ(traced.mover.at("intact"), true);
    EXPECT_EQ(traced.trace.at("totals").at("syscalls_by_name").at("sendto"),
              traced.mover.at("syscalls").at("sendto"));
    EXPECT_EQ(bytes_of(traced.trace, "sendto", "zerocopy"), kPayload);
    const json& flow = traced.trace.at("flows").at(0);
    EXPECT_EQ(flow.at("technique"), "msg_zerocopy");
    EXPECT_EQ(flow.at("measured_copy_bytes"), 0);
    EXPECT_EQ(flow.at("theory_row"), "msg_zerocopy");
    EXPECT_NE(flow.at("reason").get<std::string>().find("msg_zerocopy.rst"), std::string::npos) << flow.dump(2);
    EXPECT_EQ(flow.at("verdict"), "match");
    // The error queue's completions carry SO_EE_CODE_ZEROCOPY_COPIED for
    // every send; the probes' count of bytes copied at delivery agrees.
    ASSERT_EQ(traced.mover.at("zc_completions_copied"), traced.mover.at("zc_completions"));
    // A resent segment still pins the pages, and is copied again when it
    // arrives.
    const std::uint64_t resent = resent_by(traced);
    EXPECT_EQ(flow.at("copied_at_local_receiver_bytes"), kPayload + resent);
    EXPECT_EQ(traced.trace.at("totals").at("zerocopy_copied_at_receiver_bytes"), kPayload + resent);
}

TEST(TraceSyscalls, VmspliceIsItsOwnFlowFromUserMemoryNotAFileSplice)
{
    REQUIRE_ROOT();
    TempDir dir;
    const Traced traced = trace_mover("vmsplice", dir.path(), {"--size", std::to_string(kPayload)});
    if (traced.trace.is_null())
        return;
    EXPECT_EQ(traced.mover.at("intact"), true);
    const json& by_name = traced.trace.at("totals").at("syscalls_by_name");
    EXPECT_EQ(by_name.at("vmsplice"), traced.mover.at("syscalls").at("vmsplice"));
    EXPECT_EQ(by_name.at("splice"), traced.mover.at("syscalls").at("splice"));
    EXPECT_EQ(bytes_of(traced.trace, "vmsplice", "returned"), kPayload);
    EXPECT_EQ(bytes_of(traced.trace, "splice", "spliced"), kPayload);
    ASSERT_EQ(traced.trace.at("flows").size(), 1u) << traced.trace.at("flows").dump(2);
    const json& flow = traced.trace.at("flows").at(0);
    EXPECT_EQ(flow.at("technique"), "vmsplice");
    EXPECT_EQ(flow.at("bytes"), kPayload);
    EXPECT_EQ(flow.at("measured_copy_bytes"), 0);
    EXPECT_EQ(flow.at("verdict"), "match");
    EXPECT_EQ(flow.at("theory_row"), "vmsplice");
    EXPECT_EQ(flow.at("expected_from"), "documentation");
    EXPECT_EQ(flow_of(traced.trace, "splice"), nullptr);
}

// --hooks light: no syscall, fault, scheduler, page-cache or block probe
// attaches, and how the bytes left each socket still answers "zero-copy?".
json trace_light(const std::string& technique, const fs::path& dir, const fs::path& file)
{
    const Finished finished = run({"trace", "--hooks", "light", "-o", dir.string(), "--", ZCTRACE_WORKLOAD_BINARY,
                                   technique, "--file", file.string()});
    EXPECT_EQ(finished.status, 0) << finished.err;
    if (finished.status != 0)
        return {};
    const json trace = read_json(dir / "trace.json");
    EXPECT_EQ(trace.at("hooks"), "light");
    for (const json& probe : trace.at("probes"))
        for (const char* heavy : {"sys_exit", "sys_enter", "sched_switch", "page_fault", "filemap", "block_bio",
                                  "rss_stat"})
            EXPECT_EQ(probe.at("hook").get<std::string>().find(heavy), std::string::npos) << probe.dump();
    EXPECT_EQ(trace.at("totals").at("syscalls"), 0);
    return trace;
}

TEST(TraceLightHooks, SendfileLeavesAsPageCacheReferences)
{
    REQUIRE_ROOT();
    TempDir dir("/var/tmp");
    const fs::path file = dir.path() / "payload.bin";
    write_warm_file(file, kPayload);
    const json trace = trace_light("sendfile", dir.path(), file);
    if (trace.is_null())
        return;
    const json& light = trace.at("light");
    EXPECT_GE(light.at("payload_bytes").get<std::uint64_t>(), kPayload);
    EXPECT_EQ(light.at("page_cache_frag_bytes"), light.at("payload_bytes"));
    EXPECT_EQ(light.at("copied_bytes"), 0);
    EXPECT_EQ(light.at("cpu_copies_on_send"), 0.0);
    EXPECT_EQ(trace.at("totals").at("receive_copy_bytes"), kPayload);
}

TEST(TraceLightHooks, ReadWriteLeavesCopied)
{
    REQUIRE_ROOT();
    TempDir dir("/var/tmp");
    const fs::path file = dir.path() / "payload.bin";
    write_warm_file(file, kPayload);
    const json trace = trace_light("read_write", dir.path(), file);
    if (trace.is_null())
        return;
    const json& light = trace.at("light");
    EXPECT_GE(light.at("payload_bytes").get<std::uint64_t>(), kPayload);
    EXPECT_EQ(light.at("copied_bytes"), light.at("payload_bytes"));
    EXPECT_EQ(light.at("page_cache_frag_bytes"), 0);
    EXPECT_EQ(light.at("cpu_copies_on_send"), 1.0);
    // The sending socket's copies, from the device side.
    std::uint64_t copied = 0;
    for (const json& connection : trace.at("connections"))
        copied += connection.at("cpu_copy_bytes").get<std::uint64_t>();
    EXPECT_EQ(copied, light.at("copied_bytes").get<std::uint64_t>());
}

// Debian's cp (coreutils 9) copies with copy_file_range after FICLONE
// fails. On ext4 the kernel splices page cache to page cache: the probes
// see every page of the copy added to the new file's cache inside the call.
TEST(TraceFiles, CpCopiesPageCacheToPageCacheOnExt4)
{
    REQUIRE_ROOT();
    TempDir dir("/var/tmp");
    struct statfs fs{};
    ASSERT_EQ(::statfs(dir.path().c_str(), &fs), 0);
    if (fs.f_type != EXT4_SUPER_MAGIC)
        GTEST_SKIP() << dir.path() << " is not ext4; this test holds cp to ext4's copy";
    const fs::path source = dir.path() / "payload.bin";
    const fs::path copy = dir.path() / "copy.bin";
    write_warm_file(source, kPayload);
    const Finished finished = run({"trace", "-o", dir.path().string(), "--", "/bin/cp", source.string(), copy.string()});
    ASSERT_EQ(finished.status, 0) << finished.err;
    EXPECT_EQ(read_text(copy), read_text(source));
    const json trace = read_json(dir.path() / "trace.json");
    EXPECT_EQ(bytes_of(trace, "copy_file_range", "returned"), kPayload);
    EXPECT_EQ(bytes_of(trace, "copy_file_range", "page_cache_copy"), kPayload);
    const json* flow = flow_of(trace, "copy_file_range");
    ASSERT_NE(flow, nullptr) << trace.at("flows").dump(2);
    EXPECT_EQ(flow->at("bytes"), kPayload);
    EXPECT_EQ(flow->at("measured_copy_bytes"), kPayload);
    EXPECT_EQ(flow->at("expected_cpu_copies"), 1.0);
    EXPECT_EQ(flow->at("theory_row"), "copy_file_range");
    EXPECT_EQ(flow->at("expected_from"), "documentation");
    EXPECT_EQ(flow->at("verdict"), "match");
    EXPECT_NE(flow->at("description").get<std::string>().find("ext4"), std::string::npos);
    struct stat copied{};
    ASSERT_EQ(::stat(copy.c_str(), &copied), 0);
    bool source_seen = false, copy_seen = false;
    for (const json& file : trace.at("files")) {
        if (file.at("path") == source.string()) {
            source_seen = true;
            EXPECT_EQ(file.at("other_bytes"), kPayload);
            EXPECT_EQ(file.at("page_cache").at("misses"), 0);
        }
        if (file.at("inode") == copied.st_ino) {
            copy_seen = true;
            // written by the copy, not read from the disk
            EXPECT_EQ(file.at("written_pages"), kPayload / 4096);
            EXPECT_EQ(file.at("page_cache").at("misses"), 0);
        }
    }
    EXPECT_TRUE(source_seen && copy_seen) << trace.at("files").dump(2);
}

// Drops the file's pages from the page cache, as `run --cache cold` does.
void evict(const fs::path& path)
{
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    ASSERT_GE(fd, 0) << path;
    ASSERT_EQ(::fdatasync(fd), 0);
    ASSERT_EQ(::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED), 0);
    ::close(fd);
}

const json* file_entry(const json& trace, const fs::path& path)
{
    for (const json& file : trace.at("files"))
        if (file.at("path") == path.string())
            return &file;
    return nullptr;
}

// block_bio_queue gives a bio, not a file: the bio's first page names the
// file through its mapping, so a cold read and an fsync'd write land on
// their own files, byte for byte.
TEST(TraceFiles, DiskBytesLandOnTheFileTheyReadAndWrite)
{
    REQUIRE_ROOT();
    TempDir dir("/var/tmp");
    const fs::path source = dir.path() / "cold.bin";
    const fs::path copy = dir.path() / "written.bin";
    write_warm_file(source, kPayload);
    evict(source);
    const Finished finished = run({"trace", "-o", dir.path().string(), "--", "/bin/dd", "if=" + source.string(),
                                   "of=" + copy.string(), "bs=1M", "conv=fsync", "status=none"});
    ASSERT_EQ(finished.status, 0) << finished.err;
    EXPECT_EQ(read_text(copy), read_text(source));
    const json trace = read_json(dir.path() / "trace.json");
    const json* read = file_entry(trace, source);
    const json* written = file_entry(trace, copy);
    ASSERT_TRUE(read && written) << trace.at("files").dump(2);
    EXPECT_EQ(read->at("disk_read_bytes"), kPayload);
    EXPECT_EQ(read->at("page_cache").at("misses"), kPayload / 4096);
    EXPECT_EQ(read->at("disk_write_bytes"), 0);
    EXPECT_EQ(read->at("read_bytes"), kPayload);
    // dd's fsync writes the dirty pages back in dd's own context
    EXPECT_EQ(written->at("disk_write_bytes"), kPayload);
    EXPECT_EQ(written->at("disk_read_bytes"), 0);
    std::uint64_t files_written = 0;
    for (const json& file : trace.at("files"))
        files_written += file.at("disk_write_bytes").get<std::uint64_t>();
    EXPECT_LE(files_written, trace.at("totals").at("disk_write_bytes").get<std::uint64_t>());
}

// dd's buffered write() copies each byte into the new file's page cache, so
// a read and a write make two copies; with oflag=direct the write is DMA
// from dd's buffer and the same bytes make one.
TEST(TraceFiles, DdCopiesTwicePerByteThroughUserMemoryAndOnceWithDirectWrites)
{
    REQUIRE_ROOT();
    TempDir dir("/var/tmp");
    const fs::path source = dir.path() / "source.bin";
    write_warm_file(source, kPayload);
    for (const bool direct : {false, true}) {
        SCOPED_TRACE(direct ? "oflag=direct" : "buffered");
        const fs::path copy = dir.path() / (direct ? "direct.bin" : "buffered.bin");
        const fs::path out = dir.path() / (direct ? "direct" : "buffered");
        std::vector<std::string> args = {"trace", "-o", out.string(), "--", "/bin/dd", "if=" + source.string(),
                                         "of=" + copy.string(), "bs=1M", "status=none"};
        if (direct)
            args.push_back("oflag=direct");
        const Finished finished = run(args);
        ASSERT_EQ(finished.status, 0) << finished.err;
        EXPECT_EQ(read_text(copy), read_text(source));
        const json trace = read_json(out / "trace.json");
        const json& totals = trace.at("totals");
        const json* read = file_entry(trace, source);
        ASSERT_NE(read, nullptr) << trace.at("files").dump(2);
        EXPECT_EQ(read->at("read_bytes"), kPayload);
        const json* flow = flow_of(trace, "read_write_file");
        const json* written = file_entry(trace, copy);
        if (direct) {
            EXPECT_EQ(totals.at("file_copy_bytes").at("user_to_page_cache"), 0);
            EXPECT_EQ(bytes_of(trace, "write", "user_to_page_cache"), 0);
            EXPECT_EQ(flow, nullptr) << flow->dump(2);
            // The device read dd's buffer itself: the bios carry user pages,
            // no file's, and the file's page cache was never touched.
            EXPECT_EQ(written, nullptr) << written->dump(2);
            EXPECT_GE(totals.at("disk_write_bytes").get<std::uint64_t>(), kPayload);
            continue;
        }
        ASSERT_NE(written, nullptr) << trace.at("files").dump(2);
        EXPECT_EQ(totals.at("file_copy_bytes").at("user_to_page_cache"), kPayload);
        EXPECT_EQ(bytes_of(trace, "write", "user_to_page_cache"), kPayload);
        EXPECT_EQ(written->at("written_bytes"), kPayload);
        EXPECT_EQ(written->at("page_cache").at("misses"), 0) << "pages a write adds are written, not read";
        ASSERT_NE(flow, nullptr) << trace.at("flows").dump(2);
        EXPECT_EQ(flow->at("bytes"), kPayload);
        EXPECT_EQ(flow->at("measured_copy_bytes"), 2 * kPayload);
        EXPECT_EQ(flow->at("verdict"), "no_theory");
    }
}

// The mover copies source into copy by `mode` under `zctrace trace -o dir`:
// its own tally (its first line of stdout) and the trace report, both null
// when zctrace failed (the test has failed then). The copy must be whole.
std::pair<json, json> traced_copy(const fs::path& dir, const char* mode, const fs::path& source, const fs::path& copy)
{
    const Finished finished = run({"trace", "-o", dir.string(), "--", ZCTRACE_MOVER_BINARY, mode, "--file",
                                   source.string(), "--to", copy.string(), "--chunk", std::to_string(kChunk)});
    EXPECT_EQ(finished.status, 0) << finished.err;
    if (finished.status != 0)
        return {};
    json mover = json::parse(finished.out.substr(0, finished.out.find('\n')));
    EXPECT_EQ(mover.at("written"), kPayload);
    EXPECT_EQ(read_text(copy), read_text(source));
    return {std::move(mover), read_json(dir / "trace.json")};
}

// sendfile() to a file splices through the kernel's own pipe and writes
// each page into the destination's cache: one copy, none through user memory.
TEST(TraceFiles, SendfileToAFileCopiesOncePageCacheToPageCache)
{
    REQUIRE_ROOT();
    TempDir dir("/var/tmp");
    const fs::path source = dir.path() / "source.bin";
    const fs::path copy = dir.path() / "copy.bin";
    write_warm_file(source, kPayload);
    const auto [mover, trace] = traced_copy(dir.path(), "sendfile_file", source, copy);
    ASSERT_FALSE(trace.is_null());
    EXPECT_EQ(trace.at("totals").at("syscalls_by_name").at("sendfile"), mover.at("syscalls").at("sendfile"));
    EXPECT_EQ(bytes_of(trace, "sendfile", "returned"), kPayload);
    EXPECT_EQ(bytes_of(trace, "sendfile", "page_cache_copy"), kPayload);
    EXPECT_EQ(trace.at("totals").at("file_copy_bytes").at("page_cache_to_page_cache"), kPayload);
    EXPECT_EQ(trace.at("totals").at("bytes_sent"), 0);
    const json* flow = flow_of(trace, "sendfile_file");
    ASSERT_NE(flow, nullptr) << trace.at("flows").dump(2);
    EXPECT_EQ(flow->at("bytes"), kPayload);
    EXPECT_EQ(flow->at("measured_copy_bytes"), kPayload);
    EXPECT_EQ(flow->at("theory_row"), "sendfile_file");
    EXPECT_EQ(flow->at("verdict"), "match");
    EXPECT_EQ(flow_of(trace, "sendfile"), nullptr) << "nothing went to a socket";
    const json* written = file_entry(trace, copy);
    ASSERT_NE(written, nullptr) << trace.at("files").dump(2);
    EXPECT_EQ(written->at("written_pages"), kPayload / 4096);
    EXPECT_EQ(written->at("page_cache").at("misses"), 0);
}

// copy_file_range(2)'s copy acceleration, for real: on an XFS made with
// reflinks the kernel shares the source's blocks with the copy, so nothing is
// copied and nothing is read from the disk. The test makes the filesystem,
// loop-mounted under its own directory, and takes it down on every path.
TEST(TraceFiles, CopyFileRangeOnXfsWithReflinksSharesBlocksAndCopiesNothing)
{
    REQUIRE_ROOT();
    TempDir dir("/var/tmp");
    std::string error;
    bool unsupported = false;
    const auto xfs = LoopFilesystem::make(dir.path(), xfs_with_reflinks(), error, unsupported);
    if (!xfs && unsupported)
        GTEST_SKIP() << "this kernel or host cannot loop-mount XFS: " << error;
    ASSERT_TRUE(xfs) << error;
    const fs::path source = xfs->mount_point() / "source.bin";
    const fs::path copy = xfs->mount_point() / "copy.bin";
    write_warm_file(source, kPayload);
    // On disk before the trace: remapping flushes dirty pages first, which
    // would be the traced program's disk writes.
    {
        const int fd = ::open(source.c_str(), O_RDONLY | O_CLOEXEC);
        ASSERT_GE(fd, 0);
        ASSERT_EQ(::fsync(fd), 0);
        ::close(fd);
    }
    const auto [mover, trace] = traced_copy(dir.path(), "copy_file_range", source, copy);
    ASSERT_FALSE(trace.is_null());
    std::size_t extents = 0;
    EXPECT_TRUE(all_extents_shared(copy, extents)) << extents << " extents";
    EXPECT_EQ(trace.at("totals").at("syscalls_by_name").at("copy_file_range"),
              mover.at("syscalls").at("copy_file_range"));
    EXPECT_EQ(bytes_of(trace, "copy_file_range", "returned"), kPayload);
    EXPECT_EQ(bytes_of(trace, "copy_file_range", "page_cache_copy"), 0);
    EXPECT_EQ(trace.at("totals").at("file_copy_bytes").at("page_cache_to_page_cache"), 0);
    // Nothing of the file came from the disk (XFS's own metadata may).
    const json* read = file_entry(trace, source);
    ASSERT_NE(read, nullptr) << trace.at("files").dump(2);
    EXPECT_EQ(read->at("disk_read_bytes"), 0);
    EXPECT_EQ(read->at("page_cache").at("lookup_pages"), 0) << "no page of the source was read";
    EXPECT_EQ(read->at("other_bytes"), kPayload);
    const json* flow = flow_of(trace, "copy_file_range");
    ASSERT_NE(flow, nullptr) << trace.at("flows").dump(2);
    EXPECT_EQ(flow->at("bytes"), kPayload);
    EXPECT_EQ(flow->at("measured_copy_bytes"), 0);
    EXPECT_EQ(flow->at("theory_row"), "copy_file_range_reflink");
    EXPECT_EQ(flow->at("verdict"), "match");
    EXPECT_NE(flow->at("description").get<std::string>().find("xfs"), std::string::npos);
    if (const json* written = file_entry(trace, copy)) {
        EXPECT_EQ(written->at("page_cache").at("misses"), 0);
    }
}

}  // namespace
}  // namespace zctrace::cli_test
