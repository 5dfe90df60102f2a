// Ctrl-C and friends. The handlers only set a flag: every wait in zctrace
// polls it and unwinds normally, so the RAII owners detach the probes, kill
// and reap the workload, and delete temporary files on the way out.
#pragma once

namespace zctrace {

void install_interrupt_handlers();  // SIGINT, SIGTERM, SIGHUP
bool interrupted();
int interrupt_signal();  // the signal that interrupted us, or 0
// Stops the run as if `signo` had arrived: e.g. SIGPIPE once the reader of
// an NDJSON stream has gone (SIGPIPE itself is ignored while we run).
void raise_interrupt(int signo);
// In a forked workload process: back to the default actions.
void reset_signal_handlers();

}  // namespace zctrace
