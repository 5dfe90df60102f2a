/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Scheduler context switches of the sender inside its window. */
#ifndef ZCTRACE_BPF_SCHED_H
#define ZCTRACE_BPF_SCHED_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

struct zc_sched_totals {
	__u64 voluntary;   /* the sender blocked (socket full, I/O wait) */
	__u64 involuntary; /* the sender was preempted */
};

#endif /* ZCTRACE_BPF_SCHED_H */
