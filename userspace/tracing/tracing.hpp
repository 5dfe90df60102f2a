// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// tracing: the userspace half of the probes (bpf/<group>.bpf.c). It opens,
// loads and attaches the groups, preferring tp_btf and falling back to
// raw_tp, records which hook each program used, hands processes to them, and
// reads RawCounters and bpf_stats back from the maps. The feature checks
// behind `zctrace doctor`, the libbpf log and the syscall names live here.
//
// It knows nothing of techniques, workloads, the theory table or output
// formats: it counts what the processes it is given do.
#pragma once

#include "tracing/doctor.hpp"
#include "tracing/libbpf_log.hpp"
#include "tracing/probes.hpp"
#include "tracing/syscall_names.hpp"
