// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "analysis/workload_design.hpp"

#include <cmath>

#include "base/units.hpp"
#include "workloads/workload.hpp"

namespace zctrace {
namespace {

std::uint64_t count_of(const CallCounts& calls, const std::string& name)
{
    const auto found = calls.find(name);
    return found == calls.end() ? 0 : found->second;
}

std::uint64_t rounds_of(std::uint64_t transfers)
{
    return (transfers + workload::kUringQueueDepth - 1) / workload::kUringQueueDepth;
}

std::string describe(const CallCounts& calls)
{
    std::string text;
    for (const auto& [name, count] : calls)
        if (count)
            text += (text.empty() ? "" : ", ") + name + " " + std::to_string(count);
    return text;
}

Cause workload_cause(std::string id, std::uint64_t count, double contribution, std::string evidence)
{
    return Cause{std::move(id), CauseKind::workload, std::nullopt, count, contribution, std::move(evidence)};
}

}  // namespace

std::uint64_t total_calls(const CallCounts& calls)
{
    std::uint64_t total = 0;
    for (const auto& [name, count] : calls)
        total += count;
    return total;
}

DesignedCalls designed_calls(Technique technique, std::uint64_t transfers, const CallCounts& repeats)
{
    const std::uint64_t t = transfers;
    auto again = [&](const char* name) { return count_of(repeats, name); };
    switch (technique) {
    case Technique::read_write:
        return {{{"read", t + again("read")}, {"write", t + again("write")}}, "one read() and one write() per chunk"};
    case Technique::mmap_write:
        return {{{"mmap", 1}, {"munmap", 1}, {"write", t + again("write")}},
                "one mmap() of the whole file, one write() per chunk from the mapping, one munmap()"};
    case Technique::sendfile:
        return {{{"sendfile", t + again("sendfile")}}, "one sendfile() per chunk"};
    case Technique::splice:
        return {{{"splice", 2 * t + again("splice")}},
                "two splice() calls per chunk: file -> pipe, then pipe -> socket"};
    case Technique::direct_io:
    case Technique::large_file_buffered:
        return {{{"read", t + again("read")}}, "one read() per chunk"};
    case Technique::direct_io_send:
        return {{{"read", t + again("read")}, {"write", t + again("write")}},
                "one O_DIRECT read() and one write() per chunk"};
    case Technique::cow:
        return {{{"clone", 1}, {"write", 1}, {"read", 1 + again("read")}},
                "one fork (clone), the child's write() to say it is done, the parent's read() of that"};
    case Technique::large_file_async_direct:
        return {{{"io_uring_enter", rounds_of(t) + again("io_uring_enter")}},
                "one io_uring_enter() per round of " + std::to_string(workload::kUringQueueDepth) +
                    " reads, which submits them and waits for all of them"};
    case Technique::copy_file_range:
        return {{{"copy_file_range", t + again("copy_file_range")}}, "one copy_file_range() per chunk"};
    case Technique::sendfile_file:
        return {{{"sendfile", t + again("sendfile")}}, "one sendfile() per chunk into the copy"};
    case Technique::tee:
        return {{{"splice", 3 * t + again("splice")}, {"tee", t + again("tee")}},
                "per chunk: splice() file -> pipe, tee() pipe -> second pipe, splice() pipe -> socket and "
                "splice() second pipe -> file"};
    case Technique::io_uring_send_zc:
        return {{{"io_uring_enter", t + again("io_uring_enter")}},
                "one io_uring_enter() per chunk, which submits its send_zc and waits for the result"};
    case Technique::vmsplice:
    case Technique::vmsplice_gift:
        return {{{"vmsplice", t + again("vmsplice")}, {"splice", t + again("splice")}},
                "one vmsplice() (buffer -> pipe) and one splice() (pipe -> socket) per chunk"};
    case Technique::msg_zerocopy: {
        DesignedCalls design{{{"sendto", t + again("sendto")}},
                             "one send(MSG_ZEROCOPY) per chunk; completions are read after the window (recvmsg "
                             "inside it only where ENOBUFS asked for them)"};
        if (again("recvmsg"))
            design.calls["recvmsg"] = again("recvmsg");
        return design;
    }
    }
    return {};
}

std::vector<Cause> call_causes(Technique technique, std::uint64_t transfers, const CallCounts& repeats,
                               double row_calls_per_transfer, double scale)
{
    std::vector<Cause> causes;
    const double t = static_cast<double>(transfers);
    if (transfers == 0)
        return causes;
    const double per_transfer = scale / t;  // one call over the run, in the check's unit
    switch (technique) {
    case Technique::mmap_write:
        // The row counts an mmap() with every write(); the workload maps the
        // whole file once and unmaps it at the end.
        causes.push_back(workload_cause(
            "one_mapping", 2, per_transfer * (2 - t),
            "the workload maps the whole file once (1 mmap, 1 munmap) where the row counts one mmap per chunk"));
        break;
    case Technique::splice:
        causes.push_back(Cause{"pipe_in_between", CauseKind::kernel, std::nullopt, transfers, per_transfer * t,
                               "splice() needs a pipe on one side, so moving a file to a socket takes two calls "
                               "per chunk, file -> pipe and pipe -> socket (seed 000 §3.1 shows both, its table "
                               "counts one)"});
        break;
    case Technique::direct_io_send:
        causes.push_back(workload_cause("write_after_direct_read", transfers, per_transfer * t,
                                        "one write() per chunk sends what O_DIRECT read; the row stops at the read"));
        break;
    case Technique::large_file_async_direct: {
        const std::uint64_t rounds = rounds_of(transfers);
        causes.push_back(workload_cause(
            "batched_submission", rounds, per_transfer * (static_cast<double>(rounds) - t),
            "io_uring submits " + std::to_string(workload::kUringQueueDepth) + " reads per io_uring_enter(): " +
                std::to_string(rounds) + " calls for " + std::to_string(transfers) + " reads"));
        break;
    }
    case Technique::read_write:
    case Technique::sendfile:
    case Technique::direct_io:
    case Technique::large_file_buffered:
    case Technique::cow:
    case Technique::msg_zerocopy:
    case Technique::io_uring_send_zc:
    case Technique::copy_file_range:
    case Technique::sendfile_file:
        break;
    case Technique::tee:
        causes.push_back(workload_cause("splices_around_tee", 3 * transfers, per_transfer * 3 * t,
                                        "tee() only duplicates what is in a pipe: the workload splices each chunk "
                                        "into the pipe, and both pipes out (to the socket, into the file), three "
                                        "splice() calls per chunk the row does not count"));
        break;
    case Technique::vmsplice:
    case Technique::vmsplice_gift:
        causes.push_back(Cause{"pipe_in_between", CauseKind::kernel, std::nullopt, transfers, per_transfer * t,
                               "splice() needs a pipe: vmsplice() puts the user pages into it and splice() "
                               "takes them out to the socket, two calls per chunk"});
        break;
    }
    // Repeats of the calls this technique makes; designed_calls ignores others.
    CallCounts own;
    const CallCounts plain = designed_calls(technique, transfers, {}).calls;
    for (const auto& [name, count] : repeats)
        if (plain.count(name))
            own[name] = count;
    const std::uint64_t repeated = total_calls(own);
    if (repeated)
        causes.push_back(workload_cause("repeated_calls", repeated, per_transfer * static_cast<double>(repeated),
                                        "the workload made " + std::to_string(repeated) +
                                            " calls again after a short return or EINTR (" + describe(own) +
                                            ")"));
    // The causes above start from the calls per transfer the technique's loop
    // makes when nothing else differs: two for read + write and for the
    // row's mmap + write, one for the rest.
    const double base = technique == Technique::read_write || technique == Technique::mmap_write ? 2.0 : 1.0;
    if (std::abs(base - row_calls_per_transfer) > 1e-9)
        causes.push_back(Cause{"row_calls", CauseKind::workload, std::nullopt, std::nullopt,
                               scale * (base - row_calls_per_transfer),
                               "the row implies " + format_figure(row_calls_per_transfer) +
                                   " calls per transfer where this technique's loop makes " + format_figure(base)});
    return causes;
}

}  // namespace zctrace
