// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "analysis/theory.hpp"

#include <array>

namespace zctrace {

// Seed 000 ("零拷贝技术详解"), section 3.3 "拷贝方式对比表", is the table; seeds
// 001-003 repeat the same figures in prose (e.g. seed 002 §6.3: sendfile
// "2 次上下文切换，1 次 CPU 拷贝和 2 次 DMA 拷贝").
const std::vector<TheoryRow>& theory_table()
{
    static const std::vector<TheoryRow> rows = {
        {"read_write", "read + write", "read + write", 2, 2, "read + write", 2, 4,
         "general, slow (通用性好，性能较差)", "seed 000 §3.3; seed 003 §二"},
        {"mmap_write", "mmap + write", "mmap + write", 1, 2, "mmap + write", 2, 4,
         "data can be modified, costly for small files (可修改数据，小文件开销大)",
         "seed 000 §3.3, §2.2.1; seed 002 (mmap + write)"},
        {"sendfile", "sendfile", "sendfile", 1, 2, "sendfile", 1, 2,
         "efficient, data cannot be modified (高效但不可改数据)", "seed 000 §3.3; seed 002 §6.3"},
        {"sendfile_dma_gather", "sendfile + DMA gather", "sendfile + DMA gather", 0, 2, "sendfile", 1, 2,
         "fastest, needs hardware support (性能最优但需硬件支持)", "seed 000 §3.3, §2.2.3; seed 002 §6.4"},
        {"splice", "splice", "splice", 0, 2, "splice", 1, 2,
         "flexible, fd to fd, needs a pipe (灵活，fd 间传输，需要管道支持)", "seed 000 §3.3, §2.2.4; seed 002 §6.5"},
        {"direct_io", "user-space direct I/O", "用户态直接 I/O", 0, 1, "specific interface (特定接口)", std::nullopt, 2,
         "bypasses the kernel, the application must cache (绕过内核，自缓存要求高)", "seed 000 §3.3; seed 001"},
    };
    return rows;
}

// Seed 001: "写时复制指的是当多个进程共享同一块数据时，如果其中一个进程需要对这份
// 数据进行修改，那么将其拷贝到自己的进程地址空间中，如果只是数据读取操作则不需要
// 进行拷贝操作" (processes share the data; a process that modifies it gets its
// own copy; reading copies nothing). Seed 000 §3.2 lists it ("多进程数据保护",
// "需 MMU 支持"). No figure for syscalls or switches is given.
const std::vector<TheoryRow>& prose_claims()
{
    static const std::vector<TheoryRow> rows = {
        {"copy_on_write", "copy-on-write", "写时复制", 0, 0, "fork (no figure given)", std::nullopt, std::nullopt,
         "reading shared data copies nothing; a write copies only what is modified (只读不拷贝，修改时拷贝)",
         "seed 001 (写时复制技术); seed 000 §3.2"},
    };
    return rows;
}

// The seeds stop at splice and direct I/O. Rows for what came after are the
// kernel's own promises, each from its documentation, so that a flow using
// them is held to what its authors say rather than to nothing. Figures are
// per byte moved; DMA copies count the device's transfer out (or none, for
// file-to-file copies that never leave memory).
const std::vector<TheoryRow>& documented_rows()
{
    static const std::vector<TheoryRow> rows = {
        {"msg_zerocopy", "send + MSG_ZEROCOPY", "", 0, 1, "send(MSG_ZEROCOPY) + recvmsg(MSG_ERRQUEUE)", std::nullopt,
         std::nullopt,
         "no copy on send: the pages stay pinned until the completion notification; worth it above about 10 KB "
         "per call; data looped to a local socket gets a deferred copy",
         "Documentation/networking/msg_zerocopy.rst (Intro; Notifications; Loopback)", true, true},
        {"io_uring_send_zc", "io_uring send_zc", "", 0, 1, "io_uring_enter (IORING_OP_SEND_ZC)", std::nullopt,
         std::nullopt,
         "no copy on send: the buffer stays in use until the notification CQE, which with "
         "IORING_SEND_ZC_REPORT_USAGE says whether the kernel copied after all",
         "io_uring_prep_send_zc(3); io_uring_enter(2) IORING_OP_SEND_ZC", true, true},
        {"vmsplice", "vmsplice + splice", "", 0, 1, "vmsplice + splice", std::nullopt, std::nullopt,
         "user pages go into the pipe by reference, so the buffer must not change until the data is consumed",
         "vmsplice(2)", true, true},
        {"vmsplice_gift", "vmsplice + SPLICE_F_GIFT + splice", "", 0, 1, "vmsplice + splice", std::nullopt,
         std::nullopt,
         "the user pages are a gift to the kernel: a later splice with SPLICE_F_MOVE can move them rather than "
         "copy; the application may not modify them ever",
         "vmsplice(2) (SPLICE_F_GIFT)", true, true},
        {"tee", "tee", "", 0, 0, "tee", 1, 2,
         "duplicates a pipe's buffers into another pipe by reference, without consuming them", "tee(2) (NOTES)",
         true},
        {"copy_file_range", "copy_file_range", "", 1, 0, "copy_file_range", 1, 2,
         "file to file inside the kernel, no pass through user memory", "copy_file_range(2)", true},
        {"copy_file_range_reflink", "copy_file_range with reflinks", "", 0, 0, "copy_file_range", 1, 2,
         "copy acceleration: the files share copy-on-write blocks, nothing is copied",
         "copy_file_range(2) (reflinks)", true},
        {"sendfile_file", "sendfile to a file", "", 1, 0, "sendfile", 1, 2,
         "any file as out_fd since Linux 2.6.33; the copy is made inside the kernel",
         "sendfile(2) (DESCRIPTION; NOTES)", true},
    };
    return rows;
}

namespace {

// The seed articles in ../shared/seeds/, by number: title and a gloss. 002
// has only a template's front matter ("数据库模板", interview notes on
// operating systems) and 003 no title at all: named here by their subject
// and by 003's image folder ("零拷贝mmap与sendFile").
struct SeedArticle {
    std::string_view number;
    std::string_view title;
};
constexpr SeedArticle kSeedArticles[] = {
    {"000", "\"零拷贝技术详解\" (zero-copy explained)"},
    {"001", "\"零拷贝技术\" (zero-copy techniques)"},
    {"002", "\"后端面试 · 操作系统\" (interview notes: operating systems)"},
    {"003", "\"零拷贝 mmap 与 sendFile\" (zero-copy with mmap and sendfile)"},
};

}  // namespace

std::string cite(std::string_view source)
{
    std::string out;
    constexpr std::string_view kSeed = "seed ";
    for (std::size_t at = 0; at < source.size();) {
        const std::size_t found = source.find(kSeed, at);
        if (found == std::string_view::npos) {
            out.append(source.substr(at));
            break;
        }
        out.append(source.substr(at, found - at));
        const std::string_view number = source.substr(found + kSeed.size(), 3);
        std::string_view title;
        for (const SeedArticle& article : kSeedArticles)
            if (article.number == number)
                title = article.title;
        if (title.empty()) {
            out.append(kSeed);
            at = found + kSeed.size();
            continue;
        }
        out.append(title);
        at = found + kSeed.size() + number.size();
    }
    return out;
}

const TheoryRow* find_theory_row(std::string_view id)
{
    for (const auto* rows : {&theory_table(), &prose_claims(), &documented_rows()})
        for (const TheoryRow& row : *rows)
            if (row.id == id)
                return &row;
    return nullptr;
}

const TechniqueRows& theory_rows_for(Technique technique)
{
    static const std::array<TechniqueRows, 16> rows = {{
        {Technique::read_write, {"read_write"}, "always \"read + write\""},
        {Technique::mmap_write, {"mmap_write"}, "always \"mmap + write\""},
        {Technique::sendfile, {"sendfile", "sendfile_dma_gather"},
         "\"sendfile + DMA gather\" when the payload left as page-cache frags (scatter-gather), "
         "\"sendfile\" when the kernel copied it"},
        {Technique::splice, {"splice"}, "always \"splice\""},
        {Technique::direct_io, {"direct_io"}, "always \"user-space direct I/O\""},
        {Technique::direct_io_send, {"direct_io"}, "always \"user-space direct I/O\"; the write() to the socket is the copy that row leaves out"},
        {Technique::cow, {"copy_on_write"}, "always \"copy-on-write\" (seed 001's prose; the seeds' table has no row for it)"},
        {Technique::large_file_async_direct, {"direct_io"}, "always \"user-space direct I/O\" (seed 003: large files go asynchronous and direct)"},
        {Technique::large_file_buffered, {"direct_io"}, "the baseline of large_file_async_direct"},
        {Technique::msg_zerocopy, {"msg_zerocopy"},
         "always \"send + MSG_ZEROCOPY\" (beyond the seeds: Documentation/networking/msg_zerocopy.rst)"},
        {Technique::vmsplice, {"vmsplice"}, "always \"vmsplice + splice\" (beyond the seeds: vmsplice(2))"},
        {Technique::io_uring_send_zc, {"io_uring_send_zc"},
         "always \"io_uring send_zc\" (beyond the seeds: io_uring_prep_send_zc(3))"},
        {Technique::copy_file_range, {"copy_file_range", "copy_file_range_reflink"},
         "\"copy_file_range with reflinks\" where the filesystem shares blocks between files (FICLONE before "
         "the run), else \"copy_file_range\" (beyond the seeds: copy_file_range(2))"},
        {Technique::sendfile_file, {"sendfile_file"}, "always \"sendfile to a file\" (beyond the seeds: sendfile(2))"},
        {Technique::tee, {"tee"}, "always \"tee\" (beyond the seeds: tee(2))"},
        {Technique::vmsplice_gift, {"vmsplice_gift"},
         "always \"vmsplice + SPLICE_F_GIFT + splice\" (beyond the seeds: vmsplice(2))"},
    }};
    return rows[static_cast<std::size_t>(technique)];
}

}  // namespace zctrace
