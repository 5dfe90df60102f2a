/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Block I/O the sender submitted to the workload file's device: disk DMA. */
#ifndef ZCTRACE_BPF_BLOCK_H
#define ZCTRACE_BPF_BLOCK_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

struct zc_block_totals {
	__u64 read_bios;
	__u64 read_bytes;
	__u64 write_bios;
	__u64 write_bytes;
	__u64 other_device_bytes; /* bios of the sender to another device */
};

#endif /* ZCTRACE_BPF_BLOCK_H */
