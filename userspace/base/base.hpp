// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// base: what every stage stands on. Errors as values (Result, Error with
// errno and kind), owned fds, sizes and durations as users type them,
// Ctrl-C as a flag every wait polls, facts about the running system (kernel,
// lockdown, privileges, pseudo filesystems, the clock), and network
// namespaces, veth pairs and device features over netlink and ioctl.
//
// It knows nothing of probes, workloads, techniques, the theory table or
// reports.
#pragma once

#include "base/error.hpp"
#include "base/fd.hpp"
#include "base/netns.hpp"
#include "base/signals.hpp"
#include "base/system.hpp"
#include "base/units.hpp"
