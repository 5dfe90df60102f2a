// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// Ctrl-C and friends. The handlers only set a flag: every wait in zctrace
// polls it and unwinds normally, so the RAII owners detach the probes, kill
// and reap the workload, and delete temporary files on the way out.
#pragma once

#include <string_view>

#include "base/error.hpp"

namespace zctrace {

void install_interrupt_handlers();  // SIGINT, SIGTERM, SIGHUP
bool interrupted();
int interrupt_signal();  // the signal that interrupted us, or 0
// What a wait returns once interrupted(): EINTR, ErrorKind::interrupted.
Error interruption();
// Stops the run as if `signo` had arrived: e.g. SIGPIPE once the reader of
// an NDJSON stream has gone (SIGPIPE itself is ignored while we run).
void raise_interrupt(int signo);
// In a forked workload process: back to the default actions.
void reset_signal_handlers();

// Where a test delivers a signal at a stage too brief to hit by timing (the
// kill matrix): with ZCTRACE_HOLD_AT=<stage> in the environment, the first
// time zctrace reaches that stage it says "zctrace: holding at <stage>" on
// stderr and waits there until a signal arrives (a minute at most): SIGUSR1
// goes on, as a test does once it has changed the world (filled the disk);
// any other stops the run, and the caller checks interrupted() as it would
// anywhere else. Stages:
// attach (one probe group attached, the others not), workload-file (the
// first MiB written), eviction (the file flushed, its pages not yet
// dropped), report (a report's temp file written, not yet renamed).
void hold_point(std::string_view stage);

}  // namespace zctrace
