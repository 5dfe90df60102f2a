// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
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

ZC_CPU_TOTALS(sched_totals, struct zc_sched_totals);

/* sched_switch runs on the CPU that is leaving prev, so prev is current;
 * its tgid comes with the tracepoint, no helper call needed. */
static __always_inline void on_switch(bool preempt, unsigned int prev_state, __u32 prev_tgid)
{
	struct zc_sched_totals *totals;
	struct zc_proc_stats *proc;
	struct zc_tracking *state = tracking_state();
	bool voluntary = !preempt && prev_state != 0 /* TASK_RUNNING */;
	struct zc_cpu_task *task = cpu_task_entry();
	bool sender = state && window_is_open(state) && current_role_of(state, prev_tgid) == ZC_ROLE_SENDER;

	/* prev leaves the CPU: what the syscall hooks know of it no longer
	 * names the current task (zctrace.bpf.h) */
	if (task) {
		if (trace_mode)
			flush_pending_syscalls(task);
		task->current = 0;
	}
	if (!sender)
		return;
	totals = totals_of(&sched_totals);
	if (!totals)
		return;
	if (voluntary)
		totals->voluntary++;
	else
		totals->involuntary++;
	proc = proc_of(prev_tgid, true);
	if (proc && voluntary)
		ZC_PROC_ADD(proc, voluntary_switches, 1);
	else if (proc)
		ZC_PROC_ADD(proc, involuntary_switches, 1);
}

SEC("tp_btf/sched_switch")
int BPF_PROG(sched_switch_btf, bool preempt, struct task_struct *prev,
	     struct task_struct *next, unsigned int prev_state)
{
	ZC_TIMED(sched_switch, on_switch(preempt, prev_state, prev->tgid));
	return 0;
}

SEC("raw_tp/sched_switch")
int BPF_PROG(sched_switch_raw, bool preempt, struct task_struct *prev,
	     struct task_struct *next, unsigned int prev_state)
{
	ZC_TIMED(sched_switch, on_switch(preempt, prev_state, BPF_CORE_READ(prev, tgid)));
	return 0;
}
