// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// Senders that do something other than their technique says, for the tests
// only (never offered by `zctrace list`): the verdicts must catch each one.
// They run in the forked sender process in place of workload::run_sender,
// with the same window, tally and report, so only the lie differs.
#pragma once

#include "workloads/workload.hpp"

namespace zctrace::test {

enum class Lie {
    read_write_as_sendfile,     // "sendfile" that reads into a buffer and writes it
    splice_via_user_buffer,     // "splice" that first copies the payload through a user buffer
    page_cache_as_direct_io,    // "direct_io" that reads through the page cache
    untallied_calls,            // read_write that makes 10% more syscalls than its tally says
};

int run_lying_sender(Lie lie, const workload::SenderSpec& spec, int go_fd, int report_fd);

}  // namespace zctrace::test
