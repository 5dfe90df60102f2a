// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Scheduler context switches away from the sender, split the way the
 * kernel splits task->nvcsw and task->nivcsw in __schedule(): a switch is
 * voluntary when the task was not preempted and had left TASK_RUNNING.
 * getrusage() in the workload reads those two kernel counters, which gives
 * the report an independent cross-check of these numbers.
 *
 * One case cannot be told apart here: a task that went to sleep with a
 * signal pending is put back to TASK_RUNNING before the tracepoint (so
 * prev_state reads 0) yet charged to nvcsw. It is counted as involuntary;
 * the cross-check shows it when it happens.
 */
#include "zctrace.bpf.h"
#include "sched.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

ZC_PERCPU_TOTALS(sched_totals, struct zc_sched_totals);

static __always_inline void on_switch(bool preempt, __u32 prev_tgid, unsigned int prev_state)
{
	struct zc_sched_totals *totals;

	if (!is_sender_in_window(prev_tgid))
		return;
	totals = totals_of(&sched_totals);
	if (!totals)
		return;
	if (!preempt && prev_state != 0 /* TASK_RUNNING */)
		totals->voluntary++;
	else
		totals->involuntary++;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(sched_switch_btf, bool preempt, struct task_struct *prev,
	     struct task_struct *next, unsigned int prev_state)
{
	on_switch(preempt, prev->tgid, prev_state);
	return 0;
}

SEC("raw_tp/sched_switch")
int BPF_PROG(sched_switch_raw, bool preempt, struct task_struct *prev,
	     struct task_struct *next, unsigned int prev_state)
{
	on_switch(preempt, BPF_CORE_READ(prev, tgid), prev_state);
	return 0;
}
