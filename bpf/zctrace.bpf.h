/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Helpers and shared maps for every zctrace probe group (BPF side only).
 *
 * Each group is its own skeleton. The syscalls group creates `tracking`,
 * `children` and `inflight`; userspace hands their fds to the other groups
 * with bpf_map__reuse_fd() before they load, so all groups share them.
 */
#ifndef ZCTRACE_BPF_COMMON_H
#define ZCTRACE_BPF_COMMON_H

#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "tracking.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct zc_tracking);
} tracking SEC(".maps");

/* Descendants of the tracked processes: tgid -> enum zc_role. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, ZC_MAX_PROCS);
	__type(key, __u32);
	__type(value, __u32);
} children SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, ZC_MAX_THREADS);
	__type(key, __u32);
	__type(value, struct zc_inflight);
} inflight SEC(".maps");

static __always_inline __u32 current_tgid(void)
{
	return bpf_get_current_pid_tgid() >> 32;
}

static __always_inline __u32 current_tid(void)
{
	return (__u32)bpf_get_current_pid_tgid();
}

static __always_inline struct zc_tracking *tracking_state(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&tracking, &zero);
}

/* enum zc_role of a process, or 0 when zctrace does not track it. */
static __always_inline __u32 role_of(const struct zc_tracking *state, __u32 tgid)
{
	__u32 *role;

	if (tgid == state->sender_tgid)
		return ZC_ROLE_SENDER;
	if (tgid == state->receiver_tgid)
		return ZC_ROLE_RECEIVER;
	if (!state->children)
		return 0;
	role = bpf_map_lookup_elem(&children, &tgid);
	return role ? *role : 0;
}

static __always_inline bool is_sender_in_window(__u32 tgid)
{
	struct zc_tracking *state = tracking_state();

	return state && state->window_open && role_of(state, tgid) == ZC_ROLE_SENDER;
}

/* The current task if it is the sender (or a child of it) inside the window. */
static __always_inline bool current_sender_in_window(void)
{
	return is_sender_in_window(current_tgid());
}

static __always_inline bool current_is_receiver(void)
{
	struct zc_tracking *state = tracking_state();

	return state && state->receiver_tgid && role_of(state, current_tgid()) == ZC_ROLE_RECEIVER;
}

/* Every group keeps its totals in slot 0 of a one-entry per-CPU array. */
#define ZC_PERCPU_TOTALS(name, value_t)                                         \
	struct {                                                                \
		__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);                        \
		__uint(max_entries, 1);                                         \
		__type(key, __u32);                                             \
		__type(value, value_t);                                          \
	} name SEC(".maps")

static __always_inline void *totals_of(void *map)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(map, &zero);
}

#endif /* ZCTRACE_BPF_COMMON_H */
