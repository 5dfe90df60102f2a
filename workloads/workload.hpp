// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// The bundled workloads: a sender that moves a file over TCP with one
// technique, and a receiver that checks every byte. zctrace forks each into
// its own process; they talk back through a pipe with the plain structs below.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "technique.hpp"

namespace zctrace::workload {

// The syscalls the sender made inside its measurement window, by the
// kernel's names for them. The tests compare this with what the probes saw.
struct CallTally {
    std::uint64_t read = 0;
    std::uint64_t write = 0;
    std::uint64_t mmap = 0;
    std::uint64_t munmap = 0;
    std::uint64_t sendfile = 0;
    std::uint64_t splice = 0;
    std::uint64_t clone = 0;           // cow: the fork
    std::uint64_t io_uring_enter = 0;  // large_file_async_direct
    std::uint64_t sendto = 0;          // msg_zerocopy: send() is sendto(2)
    std::uint64_t recvmsg = 0;         // msg_zerocopy: completions read to free option memory (ENOBUFS)
    std::uint64_t vmsplice = 0;        // vmsplice: user pages into the pipe
    std::uint64_t copy_file_range = 0;
    std::uint64_t tee = 0;

    [[nodiscard]] std::uint64_t total() const
    {
        return read + write + mmap + munmap + sendfile + splice + clone + io_uring_enter + sendto + recvmsg +
               vmsplice + copy_file_range + tee;
    }
    // Non-zero entries only, e.g. {{"read", 256}, {"write", 256}}.
    [[nodiscard]] std::vector<std::pair<std::string, std::uint64_t>> by_name() const;
};

// Kernel counters the workload read about itself just outside its window
// (getrusage, /proc/self/io): an independent check of the probes' counts.
struct KernelCounters {
    std::int64_t voluntary_switches = 0;    // ru_nvcsw
    std::int64_t involuntary_switches = 0;  // ru_nivcsw
    std::int64_t minor_faults = 0;          // ru_minflt
    std::int64_t major_faults = 0;          // ru_majflt
    std::int64_t user_ns = 0;
    std::int64_t system_ns = 0;
    std::int64_t read_syscalls = 0;   // /proc/self/io syscr
    std::int64_t write_syscalls = 0;  // syscw
    std::int64_t read_chars = 0;      // rchar
    std::int64_t write_chars = 0;     // wchar
};

struct SenderSpec {
    Technique technique = Technique::read_write;
    std::string file_path;
    std::uint64_t bytes = 0;
    std::uint64_t chunk = 0;
    std::uint32_t address = 0x7f000001;  // the receiver, host byte order (127.0.0.1)
    std::uint16_t port = 0;
    std::uint64_t marker_cookie = 0;
    std::uint64_t write_pages = 0;  // cow: pages the child writes after reading the buffer
    int copy_fd = -1;  // copy_file_range: the empty destination file zctrace made (O_TMPFILE), inherited
};

// io_uring reads large_file_async_direct submits per round; each round is
// one io_uring_enter that submits them and waits for all of them.
inline constexpr unsigned kUringQueueDepth = 8;

// cow: what the child saw, from the kernel's smaps of its copy of the buffer.
struct CowOutcome {
    std::uint32_t child_crc32 = 0;     // of the whole buffer, read by the child before it wrote
    std::uint64_t child_pages_written = 0;
    std::uint64_t shared_kib = 0;      // smaps Shared_Clean + Shared_Dirty of the buffer, in the child
    std::uint64_t private_kib = 0;     // Private_Clean + Private_Dirty: the child's own copies
    std::uint64_t rss_kib = 0;
    bool smaps_found = false;
    std::uint32_t parent_crc32_after = 0;  // the parent's buffer once the child had written
};

// Written whole to the report pipe, so it must stay trivially copyable.
struct SenderReport {
    std::int32_t error = 0;  // errno of the first failure, 0 when all went well
    char message[240] = {};
    std::uint64_t bytes_sent = 0;
    std::uint64_t transfers = 0;  // chunks moved: the unit per-transfer figures use
    CallTally calls;
    // Of `calls`, those made again to finish a step: after a short return (a
    // write() that took part of a chunk, a pipe that held less than the
    // chunk) or EINTR. Without them, each technique makes a fixed number of
    // calls per transfer (see the analysis' workload design).
    CallTally repeats;
    KernelCounters kernel;
    std::uint64_t window_ns = 0;  // wall time from the begin marker to the end marker
    std::uint64_t pipe_bytes = 0;  // splice: the pipe's capacity (F_GETPIPE_SZ); 0 otherwise
    // Techniques that send nothing checksum what they read, after the window.
    std::uint64_t consumed_bytes = 0;
    std::uint32_t consumed_crc32 = 0;
    std::uint64_t buffer_bytes = 0;  // the whole-payload buffer, page-rounded (at kPayloadBufferBase)
    CowOutcome cow;
    // msg_zerocopy: the kernel's own account, from the error queue after the
    // window. Each completion covers sends [lo, hi]; with
    // SO_EE_CODE_ZEROCOPY_COPIED the kernel copied their data after all.
    std::uint64_t zerocopy_sends = 0;  // send() calls that took bytes: each gets a completion
    std::uint64_t zerocopy_sends_completed = 0;
    std::uint64_t zerocopy_sends_copied = 0;
    std::uint64_t zerocopy_notifications = 0;
    // copy_file_range: the destination's extents after the window, from
    // FS_IOC_FIEMAP, and how many the filesystem flagged shared (reflinks).
    std::uint64_t copy_extents = 0;
    std::uint64_t copy_shared_extents = 0;
    // vmsplice: the user buffer's pages stay the socket's until TCP is done
    // with them. At the window's end: bytes sent but not yet acknowledged
    // (SIOCOUTQ), and how long after the window until none was.
    std::uint64_t unacked_at_end_bytes = 0;
    std::uint64_t until_acked_ns = 0;
    // vmsplice_gift: the buffer's pages by physical frame (/proc/self/pagemap)
    // before the window and once TCP had acknowledged them all. A gift the
    // kernel took (moved rather than referenced) would leave the mapping.
    std::uint64_t gift_pages = 0;
    std::uint64_t gift_pages_same_frame = 0;
    bool gift_frames_readable = false;  // pagemap shows frame numbers only with CAP_SYS_ADMIN
};

// Length of the user buffer the sender maps at ZC_PAYLOAD_BUFFER_BASE, page
// rounded: the whole payload, or (direct_io_send) one chunk; 0 when it maps
// none. zctrace needs it before load to tell faults on it by address.
std::uint64_t payload_buffer_bytes(Technique technique, std::uint64_t bytes, std::uint64_t chunk);

// The bytes the technique moved: sent over TCP, or read into memory.
inline std::uint64_t payload_bytes(const SenderReport& report, Technique technique)
{
    return sends_over_network(technique) ? report.bytes_sent : report.consumed_bytes;
}

// How the receiver takes the stream: recv() into its buffer (a copy of
// every byte), or TCP_ZEROCOPY_RECEIVE, which maps whole page-aligned pages
// of the receive queue into its memory and copies the rest (the copybuf, or
// recv() of what the kernel says to skip), as the kernel's tcp_mmap selftest
// does.
enum class ReceiveMode : std::uint8_t { copy, zerocopy };

struct ReceiverReport {
    std::int32_t error = 0;
    char message[240] = {};
    std::uint64_t bytes_received = 0;
    std::uint32_t crc32 = 0;
    std::uint64_t recv_calls = 0;
    std::int64_t user_ns = 0;
    std::int64_t system_ns = 0;
    // zerocopy: the kernel's own account, from each TCP_ZEROCOPY_RECEIVE.
    std::uint64_t zerocopy_calls = 0;   // getsockopt(TCP_ZEROCOPY_RECEIVE)
    std::uint64_t mapped_bytes = 0;     // zc.length: pages mapped, not copied
    std::uint64_t copybuf_bytes = 0;    // zc.copybuf_len: copied into the copy buffer
    std::uint64_t recv_bytes = 0;       // read by recv(): zc.recv_skip_hint, or nothing mappable
};

// Body of the sender process. Blocks until one byte arrives on go_fd (zctrace
// sends it once the process is tracked), then connects, opens its window,
// moves the file, closes the window and writes a SenderReport to report_fd.
// Returns the process exit status.
int run_sender(const SenderSpec& spec, int go_fd, int report_fd);

// Body of the receiver process: writes one byte 'r' to report_fd once it is
// ready, accepts one connection on listen_fd, reads to EOF, checksums,
// publishes bytes received so far in *progress, and writes a ReceiverReport
// to report_fd. Returns the process exit status.
int run_receiver(int listen_fd, std::atomic<std::uint64_t>* progress, int report_fd,
                 ReceiveMode mode = ReceiveMode::copy);

// Opens (ZC_MARKER_BEGIN) or closes (ZC_MARKER_END) the measurement window;
// see bpf/tracking.h.
void mark_window(std::uint64_t op, std::uint64_t cookie);

// The sender's measurement window: the markers the probes count between, and
// the kernel's own counters (getrusage, /proc/self/io) around them, taken so
// that their difference holds the window and nothing else.
class MeasurementWindow {
public:
    // Opens /proc/self/io beforehand; false (with errno) when it cannot.
    bool prepare();
    void open(std::uint64_t cookie);
    // Closes the window; the counters' difference, and the window's length.
    KernelCounters close(std::uint64_t cookie, std::uint64_t& window_ns);
    ~MeasurementWindow();

private:
    int proc_io_ = -1;
    std::int64_t io_before_[5] = {};  // syscr, syscw, rchar, wchar, bytes the snapshot read
    KernelCounters before_;
    std::uint64_t start_ns_ = 0;
};

}  // namespace zctrace::workload
