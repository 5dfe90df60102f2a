// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// The per-technique run report: its types and their JSON form
// (schema_version 1, reports/schema/report.v1.schema.json).
//
// analysis/ fills it: Measured from the probes' counters (measurement.cpp),
// then TheoryValues, the checks and the verdict (checks.cpp); output/ writes
// and renders it.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/machine_costs.hpp"
#include "report/json_optional.hpp"


namespace zctrace {

// 2: finer verdicts, causes, the expected row and the egress device read
// before the run, the headline. Version 1 reports still load (their new
// fields come back empty) and `zctrace check` judges them again.
inline constexpr int kReportSchemaVersion = 2;

// How a figure compares with what the run is held to. A check gets any of
// these; a report's overall verdict is match, explained, mismatch or invalid
// (environment and no_theory checks leave it a match).
enum class Verdict {
    match,        // as expected, within the tolerance
    environment,  // differs only by steps this environment removes or adds (warm cache, a software device)
    explained,    // the kernel or the workload does different work, and measured causes account for all of it
    no_theory,    // the seeds give no figure; the workload's own design was met instead
    invalid,      // the measurement is incomplete or contradicts itself: no figure can be trusted
    mismatch,     // differs, and nothing measured accounts for it
};
NLOHMANN_JSON_SERIALIZE_ENUM(Verdict, {{Verdict::match, "match"},
                                       {Verdict::environment, "environment"},
                                       {Verdict::explained, "explained"},
                                       {Verdict::no_theory, "no_theory"},
                                       {Verdict::invalid, "invalid"},
                                       {Verdict::mismatch, "mismatch"}})
std::string_view verdict_name(Verdict verdict);
// A check's metric as a person reads it: "syscalls_per_transfer" -> "syscalls per transfer".
std::string metric_words(std::string_view metric);
inline constexpr Verdict kAllVerdicts[] = {Verdict::match,     Verdict::environment, Verdict::explained,
                                           Verdict::no_theory, Verdict::invalid,     Verdict::mismatch};
// The verdicts a whole report can get.
inline constexpr Verdict kReportVerdicts[] = {Verdict::match, Verdict::explained, Verdict::invalid,
                                              Verdict::mismatch};

struct ProbeUse {
    std::string group;
    std::string program;
    std::string hook;
    std::string attach;  // tp_btf, raw_tp, tracepoint
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(ProbeUse, group, program, hook, attach)

// The device the payload should leave through, and what it can do, read
// before the workload ran: what decides which theory row the path should
// follow (scatter-gather or not).
struct EgressDevice {
    std::string name;                 // empty when the technique sends nothing
    std::optional<bool> sg;           // tx-scatter-gather
    std::optional<bool> tx_checksum;  // a TX checksum offload that covers TCP
    std::string read_by;              // "ethtool before the run", or "xmit" (version 1 reports)
    // Whether the xmit probe saw the payload leave through this device with
    // the same SG bit; null when nothing left.
    std::optional<bool> confirmed_at_xmit;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(EgressDevice, name, sg, tx_checksum, read_by, confirmed_at_xmit)

struct Environment {
    std::string kernel;
    std::string machine;
    std::string lockdown;
    int cpus = 0;
    std::vector<ProbeUse> probes;
    std::string transport;  // "tcp"
    std::string network;    // "loopback" or "veth" (a pair between two private namespaces)
    std::string device;     // the device the payload left through, as seen at xmit
    std::optional<bool> device_sg;  // NETIF_F_SG on it, as seen at xmit
    std::optional<bool> sg_requested;  // veth: --sg, as set and read back with ethtool
    std::string sender_link;           // veth: the sender's end
    std::string cache;      // "warm" | "cold"
    std::uint64_t file_pages = 0;
    std::uint64_t cache_resident_pages_before = 0;  // mincore() just before the run
    std::uint64_t cache_resident_pages_after = 0;   // mincore() once the workload finished
    std::string work_dir;      // where the workload file lived (--dir)
    std::string filesystem;    // of work_dir, e.g. "ext4"
    std::string block_device;  // the mount's source, e.g. "/dev/vda"
    EgressDevice egress;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Environment, kernel, machine, lockdown, cpus, probes, transport, network, device, device_sg, sg_requested, sender_link, cache, file_pages, cache_resident_pages_before, cache_resident_pages_after, work_dir, filesystem, block_device, egress)

struct Integrity {
    // "receiver": the bytes crossed TCP and the receiver checksummed them.
    // "sender": the technique keeps them in memory (direct_io, cow, ...) and
    // the sender checksummed its buffer after the window.
    std::string verified_by;
    std::uint64_t bytes_expected = 0;
    std::uint64_t bytes_received = 0;
    std::string checksum_expected;  // crc32, hex
    std::string checksum_received;
    bool checksum_match = false;
    bool ok = false;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Integrity, verified_by, bytes_expected, bytes_received, checksum_expected, checksum_received, checksum_match, ok)

// A timed figure over --repeat runs.
struct Spread {
    double median = 0;
    double min = 0;
    double max = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Spread, median, min, max)

// `run --repeat N`: the same technique run N times. Timed figures in the
// report are the medians; their spread is here. Counts should not move
// between runs; those that did are listed.
struct RepeatStats {
    std::uint64_t runs = 0;
    std::map<std::string, Spread> timed;      // by report path, e.g. "workload.wall_seconds"
    std::vector<std::string> count_differences;  // e.g. "measured.syscalls.by_name.write: 1024, 1024, 1027"
    std::vector<Verdict> verdicts;            // each run's own verdict, in order
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(RepeatStats, runs, timed, count_differences, verdicts)

// Runs shorter than this, or smaller, time their own start-up more than the
// technique: their timings are noise.
inline constexpr double kShortestTimedWindowSeconds = 0.05;
inline constexpr std::uint64_t kSmallestTimedPayload = 10u << 20;

// msg_zerocopy: the kernel's own account of the sends, from the error queue
// (SO_EE_ORIGIN_ZEROCOPY completions, read after the window).
struct ZerocopyCompletions {
    std::uint64_t sends = 0;          // send() calls that took bytes: each gets a completion
    std::uint64_t completed = 0;      // sends the completions covered
    std::uint64_t copied = 0;         // ... with SO_EE_CODE_ZEROCOPY_COPIED: the kernel copied after all
    std::uint64_t notifications = 0;  // completions read (the kernel merges ranges)
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ZerocopyCompletions, sends, completed, copied, notifications)

// copy_file_range: whether the filesystem shared a block when asked before
// the run (FICLONE), and the copy's extents after it (FS_IOC_FIEMAP).
struct CopyFileOutcome {
    std::string filesystem;
    std::optional<bool> filesystem_shares_extents;
    std::string shares_extents_why;
    std::uint64_t extents = 0;
    std::uint64_t shared_extents = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(CopyFileOutcome, filesystem, filesystem_shares_extents, shares_extents_why, extents, shared_extents)

// --receiver zerocopy: the receiver's TCP_ZEROCOPY_RECEIVE calls, as the
// kernel answered them: bytes mapped into its memory (no copy), copied into
// its copy buffer, and read by recv() (the unaligned or short rest).
struct ReceiverZerocopy {
    std::uint64_t calls = 0;
    std::uint64_t mapped_bytes = 0;
    std::uint64_t copybuf_bytes = 0;
    std::uint64_t recv_bytes = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ReceiverZerocopy, calls, mapped_bytes, copybuf_bytes, recv_bytes)

// vmsplice: what its documented hazard cost the sender. Its buffer's pages
// stay the socket's until TCP is done with them: bytes still unacknowledged
// when the last splice returned (SIOCOUTQ), and the wait until none was.
// vmsplice_gift: what became of the gifted pages, by physical frame
// (/proc/self/pagemap) before the window and once TCP had acknowledged them.
struct GiftedPages {
    std::uint64_t pages = 0;
    std::uint64_t same_frame_after = 0;  // still mapped in the buffer at the frame they had
    bool frames_readable = false;        // pagemap gives frame numbers only with CAP_SYS_ADMIN
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(GiftedPages, pages, same_frame_after, frames_readable)

struct BufferRelease {
    std::uint64_t unacked_at_end_bytes = 0;
    double seconds_until_acked = 0;
    std::optional<GiftedPages> gift;  // vmsplice_gift only
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(BufferRelease, unacked_at_end_bytes, seconds_until_acked, gift)

struct WorkloadSummary {
    std::uint64_t bytes = 0;
    std::uint64_t chunk_bytes = 0;
    std::uint64_t transfers = 0;
    std::string transfer_unit;
    std::map<std::string, std::uint64_t> calls;  // the workload's own tally
    // Of those, the calls made again to finish a step: after a short return
    // (a write() that took part of a chunk) or EINTR. The workload counts them.
    std::map<std::string, std::uint64_t> repeated_calls;
    std::optional<std::uint64_t> pipe_bytes;     // splice: the pipe's capacity
    std::optional<ZerocopyCompletions> zerocopy_completions;  // msg_zerocopy only
    std::optional<CopyFileOutcome> copy_file;                  // copy_file_range only
    std::optional<ReceiverZerocopy> receiver_zerocopy;         // --receiver zerocopy only
    std::optional<BufferRelease> buffer_release;               // vmsplice, vmsplice_gift
    Integrity integrity;
    double wall_seconds = 0;  // the sender's measurement window
    double cpu_seconds = 0;   // the sender's user + system time in its window
    double user_seconds = 0;
    double system_seconds = 0;
    double mib_per_second = 0;
    double cpu_seconds_per_gib = 0;
    double receiver_cpu_seconds = 0;
    std::optional<RepeatStats> repeats;  // --repeat N only
    [[nodiscard]] bool timings_are_noise() const
    {
        return wall_seconds < kShortestTimedWindowSeconds || bytes < kSmallestTimedPayload;
    }
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(WorkloadSummary, bytes, chunk_bytes, transfers, transfer_unit, calls, repeated_calls, pipe_bytes, zerocopy_completions, copy_file, receiver_zerocopy, buffer_release, integrity, wall_seconds, cpu_seconds, user_seconds, system_seconds, mib_per_second, cpu_seconds_per_gib, receiver_cpu_seconds, repeats)

// Bytes the CPU copied, at the place each copy happens.
struct CopyBytes {
    std::uint64_t file_to_user = 0;          // read(): page cache -> user buffer
    std::uint64_t user_to_socket = 0;        // write()/send(): user memory -> socket buffer
    std::uint64_t page_cache_to_socket = 0;  // spliced pages copied because the route has no SG
    std::uint64_t kernel_to_socket = 0;      // kernel buffers (kvec) copied into the socket
    std::uint64_t device_linearize = 0;      // payload copied at xmit validation (no SG on device)
    std::uint64_t copy_on_write = 0;         // cow: pages the kernel copied on write faults
    // Resent payload linearized once more. A real copy, but of a resend, not
    // a pass over the payload, so it stays out of `total` and cpu_copies.
    std::uint64_t retransmit_relinearize = 0;
    std::uint64_t total = 0;
    // msg_zerocopy: pinned pages copied before delivery to a socket on this
    // host (skb_copy_ubufs), the deferred copy msg_zerocopy.rst promises.
    // Last, so that aggregate initializers of the older fields stay valid.
    std::uint64_t zerocopy_deferred = 0;
    // copy_file_range: bytes the kernel copied from the file's page cache
    // into new page-cache pages of the copy (mm_filemap_add_to_page_cache on
    // the destination). In a document only when not 0.
    std::uint64_t page_cache_to_page_cache = 0;

    // What `total` must equal: every path but the resends.
    [[nodiscard]] std::uint64_t sum_of_parts() const
    {
        return file_to_user + user_to_socket + page_cache_to_socket + kernel_to_socket + device_linearize +
               copy_on_write + zerocopy_deferred + page_cache_to_page_cache;
    }
};
// zerocopy_deferred appears only where a run pinned pages, so the documents
// of every other technique keep the shape older schema versions describe.
inline void to_json(nlohmann::json& j, const CopyBytes& c)
{
    j = {{"file_to_user", c.file_to_user},
         {"user_to_socket", c.user_to_socket},
         {"page_cache_to_socket", c.page_cache_to_socket},
         {"kernel_to_socket", c.kernel_to_socket},
         {"device_linearize", c.device_linearize},
         {"copy_on_write", c.copy_on_write},
         {"retransmit_relinearize", c.retransmit_relinearize},
         {"total", c.total}};
    if (c.zerocopy_deferred)
        j["zerocopy_deferred"] = c.zerocopy_deferred;
    if (c.page_cache_to_page_cache)
        j["page_cache_to_page_cache"] = c.page_cache_to_page_cache;
}
inline void from_json(const nlohmann::json& j, CopyBytes& c)
{
    const CopyBytes defaults;
    c.file_to_user = j.value("file_to_user", defaults.file_to_user);
    c.user_to_socket = j.value("user_to_socket", defaults.user_to_socket);
    c.page_cache_to_socket = j.value("page_cache_to_socket", defaults.page_cache_to_socket);
    c.kernel_to_socket = j.value("kernel_to_socket", defaults.kernel_to_socket);
    c.device_linearize = j.value("device_linearize", defaults.device_linearize);
    c.copy_on_write = j.value("copy_on_write", defaults.copy_on_write);
    c.zerocopy_deferred = j.value("zerocopy_deferred", defaults.zerocopy_deferred);
    c.page_cache_to_page_cache = j.value("page_cache_to_page_cache", defaults.page_cache_to_page_cache);
    c.retransmit_relinearize = j.value("retransmit_relinearize", defaults.retransmit_relinearize);
    c.total = j.value("total", defaults.total);
}

struct DmaBytes {
    std::uint64_t disk_read = 0;
    std::uint64_t disk_write = 0;
    std::uint64_t nic_tx = 0;  // payload handed to devices with a DMA-capable bus device
    std::uint64_t total = 0;
    std::uint64_t other_device = 0;  // the sender's block I/O to other devices than the file's
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(DmaBytes, disk_read, disk_write, nic_tx, total, other_device)

struct SyscallCounts {
    std::uint64_t total = 0;
    std::map<std::string, std::uint64_t> by_name;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(SyscallCounts, total, by_name)

struct ModeSwitchDetail {
    std::uint64_t syscall_entries = 0;
    std::uint64_t syscall_exits = 0;
    // Exits without an entry: a fork returns in the child too (cow).
    std::uint64_t fork_returns = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(ModeSwitchDetail, syscall_entries, syscall_exits, fork_returns)

struct ContextSwitches {
    std::uint64_t voluntary = 0;
    std::uint64_t involuntary = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(ContextSwitches, voluntary, involuntary)

struct PageFaults {
    std::uint64_t user = 0;
    std::uint64_t kernel = 0;  // in kernel mode, e.g. write() reading a fresh mapping
    std::uint64_t user_write = 0;
    std::uint64_t kernel_write = 0;
    std::uint64_t user_on_present_page = 0;  // protection faults, e.g. copy-on-write
    std::uint64_t kernel_on_present_page = 0;
    // The kernel's own split (getrusage): major faults waited for the disk.
    std::int64_t major = 0;
    std::int64_t minor = 0;
    // Faults on the payload buffer (techniques that hold the whole payload).
    std::uint64_t on_payload_buffer = 0;
    std::uint64_t on_payload_buffer_write_present = 0;  // copy-on-write copies
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(PageFaults, user, kernel, user_write, kernel_write, user_on_present_page, kernel_on_present_page, major, minor, on_payload_buffer, on_payload_buffer_write_present)

struct PageCacheStats {
    std::uint64_t accessed_pages = 0;  // distinct pages of the workload file
    std::uint64_t hits = 0;
    std::uint64_t misses = 0;          // pages added to the page cache
    std::optional<double> hit_ratio;   // empty when no page was accessed
    std::uint64_t lookups = 0;         // filemap_get_pages calls (read, splice)
    std::uint64_t lookup_pages = 0;    // pages in those, overlaps counted again
    std::uint64_t mmap_faults = 0;     // filemap_fault
    std::uint64_t fault_around_calls = 0;
    std::uint64_t fault_around_pages = 0;
    // File pages mapped into / unmapped from the sender (kmem:rss_stat),
    // including whole large folios mapped at once, which filemap events miss.
    std::uint64_t mapped_pages = 0;
    std::uint64_t unmapped_pages = 0;
    std::uint64_t out_of_range_events = 0;  // page indexes past the file's end (it grew?)
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(PageCacheStats, accessed_pages, hits, misses, hit_ratio, lookups, lookup_pages, mmap_faults, fault_around_calls, fault_around_pages, mapped_pages, unmapped_pages, out_of_range_events)

// io_uring send_zc notifications as the probes saw them posted, and why the
// kernel flagged those it flagged COPIED, read off each notification's
// io_notif_data: a callback reported a failed zerocopy (copy_reported), or
// none reported a use with an skb (unused); linked ones rode in an earlier
// request's skbs (io_link_skb), whose callbacks never name them.
struct UringNotifications {
    std::uint64_t seen = 0;
    std::uint64_t copied = 0;
    std::uint64_t copy_reported = 0;
    std::uint64_t unused = 0;
    std::uint64_t unused_linked = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(UringNotifications, seen, copied, copy_reported, unused, unused_linked)

// Skbs carrying the sender's pinned pages (SKBFL_ZEROCOPY_ENABLE) that
// reached a socket on this host (net:netif_receive_skb): skb_copy_ubufs
// copies their frags before delivery and completes them as a failed
// zerocopy. Linear ones were linearized by a device without SG on the way:
// nothing is left to copy, and they are completed as failed all the same.
struct PinnedAtLocalReceiver {
    std::uint64_t skbs = 0;
    std::uint64_t copied_bytes = 0;
    std::uint64_t linear_skbs = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(PinnedAtLocalReceiver, skbs, copied_bytes, linear_skbs)

// How tcp_sendmsg took the bytes of the sender's sending syscalls: the
// syscalls' return values, attributed by what tcp_sendmsg_locked saw.
struct SendmsgStats {
    std::uint64_t syscalls = 0;
    std::uint64_t bytes = 0;
    std::uint64_t user_copy_bytes = 0;
    std::uint64_t kernel_copy_bytes = 0;
    std::uint64_t spliced_bytes = 0;         // page references (MSG_SPLICE_PAGES, SG)
    std::uint64_t spliced_copied_bytes = 0;  // MSG_SPLICE_PAGES without SG: copied
    std::uint64_t zerocopy_bytes = 0;
    std::uint64_t user_iter_steps = 0;  // tcp_sendmsg_locked steps by iterator type
    std::uint64_t bvec_iter_steps = 0;
    std::uint64_t kvec_iter_steps = 0;
    std::uint64_t other_iter_steps = 0;
    // io_uring results that found the completion ring full: posted later
    // from the kernel's overflow list, unseen by io_uring_complete, so their
    // bytes are missing above. In a document only when not 0.
    std::uint64_t uring_cqe_overflows = 0;
    std::optional<UringNotifications> uring_notifications;  // io_uring send_zc runs only
    std::optional<PinnedAtLocalReceiver> pinned_at_local_receiver;  // runs that pinned pages only
};
inline void to_json(nlohmann::json& j, const SendmsgStats& s)
{
    j = {{"syscalls", s.syscalls},
         {"bytes", s.bytes},
         {"user_copy_bytes", s.user_copy_bytes},
         {"kernel_copy_bytes", s.kernel_copy_bytes},
         {"spliced_bytes", s.spliced_bytes},
         {"spliced_copied_bytes", s.spliced_copied_bytes},
         {"zerocopy_bytes", s.zerocopy_bytes},
         {"user_iter_steps", s.user_iter_steps},
         {"bvec_iter_steps", s.bvec_iter_steps},
         {"kvec_iter_steps", s.kvec_iter_steps},
         {"other_iter_steps", s.other_iter_steps}};
    if (s.uring_cqe_overflows)
        j["uring_cqe_overflows"] = s.uring_cqe_overflows;
    if (s.uring_notifications)
        j["uring_notifications"] = *s.uring_notifications;
    if (s.pinned_at_local_receiver)
        j["pinned_at_local_receiver"] = *s.pinned_at_local_receiver;
}
inline void from_json(const nlohmann::json& j, SendmsgStats& s)
{
    j.at("syscalls").get_to(s.syscalls);
    j.at("bytes").get_to(s.bytes);
    j.at("user_copy_bytes").get_to(s.user_copy_bytes);
    j.at("kernel_copy_bytes").get_to(s.kernel_copy_bytes);
    j.at("spliced_bytes").get_to(s.spliced_bytes);
    j.at("spliced_copied_bytes").get_to(s.spliced_copied_bytes);
    j.at("zerocopy_bytes").get_to(s.zerocopy_bytes);
    j.at("user_iter_steps").get_to(s.user_iter_steps);
    j.at("bvec_iter_steps").get_to(s.bvec_iter_steps);
    j.at("kvec_iter_steps").get_to(s.kvec_iter_steps);
    j.at("other_iter_steps").get_to(s.other_iter_steps);
    s.uring_cqe_overflows = j.value("uring_cqe_overflows", std::uint64_t{0});
    if (const auto it = j.find("uring_notifications"); it != j.end() && !it->is_null())
        s.uring_notifications = it->get<UringNotifications>();
    if (const auto it = j.find("pinned_at_local_receiver"); it != j.end() && !it->is_null())
        s.pinned_at_local_receiver = it->get<PinnedAtLocalReceiver>();
}

struct DeviceStats {
    std::string name;
    std::uint32_t ifindex = 0;
    bool loopback = false;
    bool dma_capable = false;  // has a bus (parent) device
    bool sg = false;
    std::uint64_t skbs = 0;
    std::uint64_t bytes = 0;
    std::uint64_t payload_bytes = 0;
    std::uint64_t header_bytes = 0;
    std::uint64_t linear_payload_bytes = 0;
    std::uint64_t shared_frag_bytes = 0;
    std::uint64_t zerocopy_frag_bytes = 0;
    std::uint64_t copied_frag_bytes = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(DeviceStats, name, ifindex, loopback, dma_capable, sg, skbs, bytes, payload_bytes, header_bytes, linear_payload_bytes, shared_frag_bytes, zerocopy_frag_bytes, copied_frag_bytes)

// mmap_write: how the mapping was faulted in, and what page rounding cost.
struct MmapStats {
    std::uint64_t file_bytes = 0;
    std::uint64_t mapped_bytes = 0;          // file pages mapped into the sender (kmem:rss_stat)
    std::uint64_t rounding_waste_bytes = 0;  // mapped beyond the file's last byte
    std::uint64_t user_read_faults = 0;
    std::uint64_t user_write_faults = 0;
    std::uint64_t kernel_read_faults = 0;    // write() copying from a page not mapped yet
    std::uint64_t kernel_write_faults = 0;
    std::int64_t major_faults = 0;           // getrusage: waited for the disk
    std::int64_t minor_faults = 0;
    std::uint64_t filemap_faults = 0;        // mm_filemap_fault: one page through filemap_fault
    std::uint64_t fault_around_calls = 0;    // mm_filemap_map_pages
    std::uint64_t fault_around_pages = 0;
    std::uint64_t pages_mapped_without_event = 0;  // whole large folios mapped at once
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(MmapStats, file_bytes, mapped_bytes, rounding_waste_bytes, user_read_faults, user_write_faults, kernel_read_faults, kernel_write_faults, major_faults, minor_faults, filemap_faults, fault_around_calls, fault_around_pages, pages_mapped_without_event)

// cow: the buffer the parent filled, as the child saw it after the fork.
struct CowStats {
    std::uint64_t buffer_pages = 0;
    std::uint64_t pages_written_by_child = 0;  // the workload's own count
    std::uint64_t pages_copied = 0;            // write faults on present buffer pages (the copies)
    std::uint64_t copy_bytes = 0;
    std::uint64_t faults_on_buffer = 0;        // any fault on the buffer in the window
    std::optional<std::uint64_t> pages_shared;   // child's smaps: Shared_* of the buffer
    std::optional<std::uint64_t> pages_private;  // Private_*: the child's own copies
    bool child_read_intact = false;    // the child's checksum of the whole buffer matched the file
    bool parent_buffer_intact = false; // the parent's buffer still matched after the child wrote
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(CowStats, buffer_pages, pages_written_by_child, pages_copied, copy_bytes, faults_on_buffer, pages_shared, pages_private, child_read_intact, parent_buffer_intact)

struct SocketStats {
    std::uint64_t skbs = 0;
    std::uint64_t bytes = 0;
    std::uint64_t header_bytes = 0;
    std::uint64_t linear_bytes = 0;          // headers + linear payload
    std::uint64_t linear_payload_bytes = 0;
    std::uint64_t frag_bytes = 0;
    std::uint64_t shared_frag_bytes = 0;     // page-cache pages, not copied
    std::uint64_t copied_frag_bytes = 0;     // socket's own pages holding a copy
    std::uint64_t zerocopy_frag_bytes = 0;   // pinned user pages
    std::uint64_t retransmit_skbs = 0;
    std::uint64_t retransmit_bytes = 0;
    std::uint64_t resent_payload_bytes = 0;         // at xmit, below the highest sequence already sent
    std::uint64_t resent_linear_payload_bytes = 0;  // of which linear: copied again
    std::uint64_t ownerless_skbs = 0;  // reached the device without skb->sk; matched by 4-tuple
    std::uint64_t unattributed_device_bytes = 0;  // two devices shared a counter slot
    SendmsgStats sendmsg;
    std::vector<DeviceStats> devices;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(SocketStats, skbs, bytes, header_bytes, linear_bytes, linear_payload_bytes, frag_bytes, shared_frag_bytes, copied_frag_bytes, zerocopy_frag_bytes, retransmit_skbs, retransmit_bytes, resent_payload_bytes, resent_linear_payload_bytes, ownerless_skbs, unattributed_device_bytes, sendmsg, devices)

struct ReceiverStats {
    std::uint64_t copy_bytes = 0;  // skb_copy_datagram_iovec: socket -> receiver's memory
    std::uint64_t copy_calls = 0;
    std::uint64_t recv_calls = 0;  // the receiver's own tally
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(ReceiverStats, copy_bytes, copy_calls, recv_calls)

// Counters the kernel keeps for the sender (getrusage, /proc/self/io), read by
// the workload just outside its window.
struct KernelCounterStats {
    std::int64_t voluntary_switches = 0;
    std::int64_t involuntary_switches = 0;
    std::int64_t minor_faults = 0;
    std::int64_t major_faults = 0;
    std::int64_t read_syscalls = 0;
    std::int64_t write_syscalls = 0;
    std::int64_t read_chars = 0;
    std::int64_t write_chars = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(KernelCounterStats, voluntary_switches, involuntary_switches, minor_faults, major_faults, read_syscalls, write_syscalls, read_chars, write_chars)

struct EgressDeviceCounters {
    std::uint64_t frames = 0;
    std::uint64_t bytes = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(EgressDeviceCounters, frames, bytes)

struct Measured {
    double cpu_copies = 0;  // cpu_copy_bytes.total / payload bytes
    CopyBytes cpu_copy_bytes;
    double dma_copies = 0;  // dma_bytes.total / payload bytes
    DmaBytes dma_bytes;
    SyscallCounts syscalls;
    double syscalls_per_transfer = 0;
    std::uint64_t mode_switches = 0;  // syscall entries + exits
    double mode_switches_per_transfer = 0;
    ModeSwitchDetail mode_switch_detail;
    ContextSwitches context_switches;
    PageFaults page_faults;
    PageCacheStats page_cache;
    SocketStats socket;
    ReceiverStats receiver;
    KernelCounterStats kernel_counters;
    std::optional<MmapStats> mmap;  // mmap_write only
    std::optional<CowStats> cow;    // cow only
    // How the TCP counters of the sender's network namespace changed while
    // the workload ran (RetransSegs, TCPSACKReorder, TCPTimeouts, ...; only
    // those that changed). Namespace-wide: on lo, the host's sockets count
    // too. Null in reports from before zctrace read them.
    std::optional<std::map<std::string, std::int64_t>> tcp_counters;
    // veth: what the sender's end sent while the workload ran, by its own
    // count (/proc/net/dev in the sender's namespace): the payload and every
    // other frame (the handshake, ARP, IPv6 neighbour discovery).
    std::optional<EgressDeviceCounters> egress_device_sent;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Measured, cpu_copies, cpu_copy_bytes, dma_copies, dma_bytes, syscalls, syscalls_per_transfer, mode_switches, mode_switches_per_transfer, mode_switch_detail, context_switches, page_faults, page_cache, socket, receiver, kernel_counters, mmap, cow, tcp_counters, egress_device_sent)

struct TheoryValues {
    std::string id;
    std::string name;
    std::string name_zh;
    double cpu_copies = 0;
    double dma_copies = 0;
    std::string syscalls;
    std::optional<double> syscalls_per_transfer;
    std::optional<double> mode_switches_per_transfer;  // empty where the seeds give no figure
    std::string remark;
    std::string source;    // "seed 000 §3.3; seed 003 §二"
    std::string citation;  // the same with the articles' titles, for readers without the seeds
    bool beyond_seeds = false;  // a row from the kernel's documentation, not from the seeds
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(TheoryValues, id, name, name_zh, cpu_copies, dma_copies, syscalls, syscalls_per_transfer, mode_switches_per_transfer, remark, source, citation, beyond_seeds)

// Which theory row the run is held to. It is chosen before measuring, from
// what the egress device can do, so that a copy the device should have
// avoided shows as a mismatch instead of picking the other row.
struct RowSelection {
    std::vector<std::string> candidates;
    std::string expected;  // the row id the path should follow (also theory.id)
    std::string reason;    // why, from the egress device's features
    std::optional<std::string> measured;  // the candidate the measured CPU copies match; null: none
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(RowSelection, candidates, expected, reason, measured)

// Who a cause says made the difference.
enum class CauseKind {
    environment,  // this machine removes or adds a step the row assumes
    kernel,       // the kernel does the work differently from the row
    workload,     // the bundled workload does more, or less, than the row covers
};
NLOHMANN_JSON_SERIALIZE_ENUM(CauseKind, {{CauseKind::environment, "environment"},
                                         {CauseKind::kernel, "kernel"},
                                         {CauseKind::workload, "workload"}})

// One measured reason a figure differs from what was expected, and by how
// much: `contribution` is in the check's own unit (copies, calls per
// transfer, ...), negative for a step that did not happen.
struct Cause {
    std::string cause;  // a stable id, e.g. "warm_cache", "device_without_sg", "short_writes"
    CauseKind kind = CauseKind::kernel;
    std::optional<std::uint64_t> bytes;  // the measured bytes behind it
    std::optional<std::uint64_t> count;  // or the measured count (calls, pages, ...)
    double contribution = 0;
    std::string evidence;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Cause, cause, kind, bytes, count, contribution, evidence)

struct Check {
    std::string metric;
    std::optional<double> theory;  // the seeds' figure; null where they give none
    // What the run is held to: the theory, or where the seeds are silent the
    // workload's own design, or for a cross-check the independent counter.
    double expected = 0;
    std::string expected_from;  // "theory", "workload", "kernel counters", "probes", "report"
    double measured = 0;
    double tolerance = 0;
    Verdict verdict = Verdict::mismatch;
    // The measured causes of a deviation; explained or environment only when
    // they account for all of it: same sign, and
    // |measured - expected - sum(contribution)| <= tolerance.
    std::vector<Cause> causes;
    std::string summary;  // one line: what it shows, for the headline and the terminal
    std::string explanation;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Check, metric, theory, expected, expected_from, measured, tolerance, verdict, causes, summary, explanation)

// How the probes' run time was measured. "sampled": each program counts its
// runs and times a sample of them itself (bpf/probe_cost.h), the clock's share
// taken off; "bpf_stats": the kernel timed every run (reports written before
// the programs counted themselves, and gather).
inline constexpr std::string_view kSampledAccounting = "sampled";
inline constexpr std::string_view kBpfStatsAccounting = "bpf_stats";

struct ProgramOverhead {
    std::string group;
    std::string program;
    std::uint64_t run_ns = 0;
    std::uint64_t events = 0;
    std::uint64_t missed_events = 0;
    std::uint64_t timed_events = 0;      // sampled: the runs it timed
    std::uint64_t interrupted_events = 0;  // ... with an interrupt inside: left out of its price
    std::uint64_t bpf_stats_run_ns = 0;  // while bpf_stats was on as well
    std::uint64_t bpf_stats_events = 0;
    // bpf_stats' own share of bpf_stats_run_ns: an empty program's ns a run
    // on the same hook, in the same run (or on a test run) × the runs.
    std::uint64_t bpf_stats_clock_ns = 0;
    // sampled: one standard error of run_ns, from the spread of its timed
    // runs (a hook timed fewer than twice: the spread of all timed runs).
    std::uint64_t run_ns_standard_error = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ProgramOverhead, group, program, run_ns, events, missed_events, timed_events, interrupted_events, bpf_stats_run_ns, bpf_stats_events, bpf_stats_clock_ns, run_ns_standard_error)

// The same runs as bpf_stats timed them, when it was on as well (run
// --bpf-stats always): the check on the sampled estimate. bpf_stats's two
// sched_clock() reads, the call and a cold entry are in every run it
// times, and they cost more in the middle of a workload than in a loop (an
// empty program on filemap_get_pages: 48 ns a run on a test run, 60-190
// beside a sendfile run). So an empty program is attached beside each of
// zctrace's programs, and what bpf_stats reads for it on the same hook over
// the same runs is taken off before the two are compared.
inline constexpr const char* kClockBeside = "empty_programs_beside";
inline constexpr const char* kClockTestRun = "test_run";
inline constexpr const char* kClockBesideAndTestRun = "empty_programs_beside_and_test_run";
struct BpfStatsCheck {
    std::uint64_t run_ns = 0;
    std::uint64_t events = 0;
    double clock_ns_per_event = 0;  // bpf_stats' own share, a run, as taken off
    // kClockBeside; kClockTestRun where no empty program ran beside (an
    // empty program run by BPF_PROG_TEST_RUN, in a loop); or both
    std::string clock_source{kClockTestRun};
    std::uint64_t run_ns_less_clock = 0;
    double estimate_ratio = 0;  // the sampled price of these runs / run_ns_less_clock
    // The sample's own uncertainty in that ratio (bpf_stats times every run)
    double estimate_ratio_standard_error = 0;
    // "always", or "windows": on for short windows only (run: 5 ms of every
    // 50 ms; trace: the first 250 ms, then 50 ms of every second).
    std::string mode = "always";
    std::uint64_t windows = 0;  // how many, and how long bpf_stats was on in all
    double seconds_on = 0;
    // bpf_stats' price of every run the programs counted: each program's
    // runs it timed, less its own share, per run, times the runs that
    // program counted (a program it never timed at the mean of those it
    // did). With windows, the estimate of the probes' cost that does not
    // pay bpf_stats on every run; always, the same arithmetic on all of
    // them, to compare it with.
    double runs_timed_share = 0;  // events / the runs the programs counted
    std::uint64_t estimated_run_ns = 0;
    double estimated_ns_per_event = 0;
    double estimated_share_of_workload_cpu = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(BpfStatsCheck, run_ns, events, clock_ns_per_event, clock_source, run_ns_less_clock, estimate_ratio, estimate_ratio_standard_error, mode, windows, seconds_on, runs_timed_share, estimated_run_ns, estimated_ns_per_event, estimated_share_of_workload_cpu)

struct Overhead {
    std::string accounting{kBpfStatsAccounting};
    // The runs counted: those inside the sender's measurement window
    // ("window", what the workload's CPU covers), all since the counters
    // were read before the workload started ("run": bpf_stats, and reports
    // from before), or the whole trace ("trace").
    std::string interval = "run";
    std::uint64_t bpf_run_ns = 0;  // the probes' run time while the workload ran
    std::uint64_t events = 0;      // program runs, across the whole system
    // Runs the kernel skipped (recursion_misses), and probe runs that found
    // no inflight slot for their syscall (tracking's inflight_slots_busy).
    std::uint64_t missed_events = 0;
    double ns_per_event = 0;
    double share_of_workload_cpu = 0;  // bpf_run_ns / (sender + receiver CPU)
    double share_of_sender_cpu = 0;    // bpf_run_ns / sender CPU
    double attach_seconds = 0;         // open + load + attach of every group
    std::uint64_t zctrace_peak_rss_bytes = 0;
    std::vector<ProgramOverhead> programs;
    // --interval: counter reads while the workload ran. Each is bpf() calls
    // that zctrace's own syscall probes also count, so they add to the above.
    std::uint64_t interval_samples = 0;
    // sampled: the runs timed, and the clock's share taken off each.
    std::uint64_t timed_events = 0;
    std::uint64_t interrupted_events = 0;  // timed runs an interrupt ran inside, left out
    double clock_ns_per_timed_event = 0;
    // What timing costs the runs it times (the clock read that starts each,
    // the bookkeeping after it): in bpf_run_ns, once per timed run.
    std::uint64_t accounting_ns = 0;
    // sampled: one standard error of bpf_run_ns and of ns_per_event, from
    // the spread of the timed runs, hook by hook. It says how far the
    // sample alone can be off, not what it cannot see (below).
    std::uint64_t bpf_run_ns_standard_error = 0;
    double ns_per_event_standard_error = 0;
    // This host runs page-table isolation without PCID: every kernel entry
    // drops the kernel's TLB entries, and the refill as a program starts
    // comes before any clock it can read. The sampled figure is then a
    // floor, and bpf_stats reads above it (docs/tracing.md).
    bool host_drops_kernel_tlb = false;
    // How the syscall hooks let untraced tasks go: "task-storage",
    // "cpu-cache", or "none" (every task tested; no syscall hook). Empty in
    // older reports.
    std::string bystander_filter;
    std::optional<BpfStatsCheck> bpf_stats;

    // The programs timed a sample and its spread was recorded: a report
    // from before the spread was kept reads 0, which must not pass for
    // "exact" in what is shown or exported.
    bool sample_error_recorded() const
    {
        return accounting == kSampledAccounting && bpf_run_ns_standard_error > 0;
    }
};
// With defaults: reports written before interval_samples existed still load.
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Overhead, accounting, interval, bpf_run_ns, events, missed_events, ns_per_event, share_of_workload_cpu, share_of_sender_cpu, attach_seconds, zctrace_peak_rss_bytes, programs, interval_samples, timed_events, interrupted_events, clock_ns_per_timed_event, accounting_ns, bpf_run_ns_standard_error, ns_per_event_standard_error, host_drops_kernel_tlb, bystander_filter, bpf_stats)

// One side of large_file_async_direct's comparison, per GiB of payload.
struct ReadPathFigures {
    std::string technique;
    std::uint64_t bytes = 0;
    std::uint64_t page_cache_pages_added = 0;  // mm_filemap_add_to_page_cache: the pollution
    std::uint64_t resident_pages_after = 0;    // mincore() after the run
    std::uint64_t disk_read_bytes = 0;
    double cpu_copies = 0;
    double cpu_seconds_per_gib = 0;
    double user_seconds_per_gib = 0;
    double system_seconds_per_gib = 0;
    double syscalls_per_gib = 0;
    double mode_switches_per_gib = 0;
    double mib_per_second = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(ReadPathFigures, technique, bytes, page_cache_pages_added, resident_pages_after, disk_read_bytes, cpu_copies, cpu_seconds_per_gib, user_seconds_per_gib, system_seconds_per_gib, syscalls_per_gib, mode_switches_per_gib, mib_per_second)

// large_file_async_direct against a buffered read() of the same file, both
// traced from a cold cache in the same invocation.
struct Comparison {
    ReadPathFigures measured;  // this run
    ReadPathFigures baseline;  // the buffered run
    std::optional<double> pollution_ratio;  // pages added: this run / the baseline's
    std::string summary;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Comparison, measured, baseline, pollution_ratio, summary)

// One piece of the sender's CPU time: measured counts times a price.
struct CostPart {
    std::string part;  // copies, mode_switches, page_faults, residual
    double seconds = 0;
    double share = 0;   // of the sender's measured CPU time
    std::string basis;  // the counts and the price, e.g. "16 MiB at 9.1 GiB/s"
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(CostPart, part, seconds, share, basis)

// Where the sender's CPU time went: the copies it made at memcpy speed, its
// syscalls at a null syscall's round trip, its page faults at a fresh
// page's fault; the residual is everything else (the network stack, the
// page-cache walk, the probes), and is negative where the model predicts
// more than the sender used.
// The receiver's side, for techniques that send: its copy out of the socket
// and its receive calls. Its page faults are not counted, so it has no such
// part. Over lo the receiving TCP stack runs as softirq in the sender's
// context, so much of receiving is in the sender's residual.
struct ReceiverCost {
    double measured_seconds = 0;  // the receiver's user + system time (getrusage, its whole life)
    double predicted_seconds = 0;
    double residual_seconds = 0;
    std::vector<CostPart> parts;  // copies, mode_switches, residual
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ReceiverCost, measured_seconds, predicted_seconds, residual_seconds, parts)

struct CostModel {
    MachineCosts machine;  // the prices, measured by zctrace itself with none of its probes attached
    double measured_seconds = 0;   // the sender's user + system time in its window
    double predicted_seconds = 0;  // copies + mode switches + page faults
    double residual_seconds = 0;   // measured - predicted
    std::vector<CostPart> parts;
    std::optional<ReceiverCost> receiver;  // techniques that send only
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(CostModel, machine, measured_seconds, predicted_seconds, residual_seconds, parts, receiver)

struct Report {
    int schema_version = kReportSchemaVersion;
    std::string tool;  // "zctrace <version>"
    std::string created_at;  // UTC, ISO 8601
    std::string technique;
    // One line that answers the question for a person, e.g. "sendfile:
    // zero-copy — the CPU copied 0 B of 64 MiB, as ...".
    std::string headline;
    std::string theory_row;  // the expected row's name, e.g. "sendfile + DMA gather"
    RowSelection theory_row_selection;
    Environment environment;
    WorkloadSummary workload;
    Measured measured;
    TheoryValues theory;
    std::vector<Check> checks;
    Verdict verdict = Verdict::mismatch;
    std::vector<std::string> findings;  // what the measurement shows beyond the checks
    std::optional<Comparison> comparison;  // large_file_async_direct
    Overhead overhead;
    std::optional<CostModel> cost;  // null in reports from before the cost model
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Report, schema_version, tool, created_at, technique, headline, theory_row, theory_row_selection, environment, workload, measured, theory, checks, verdict, findings, comparison, overhead, cost)

}  // namespace zctrace
