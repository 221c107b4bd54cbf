"""Orphaned jobs: which of a task's jobs no task instance waits for any more, and may be cancelled. Pure.

Before Airflow 3.3 a deferred task that is killed (marked failed or success, its run deleted) tells nobody: the
triggerer drops its trigger exactly as on a restart, and the job runs on, billed, until the service ends it.
Such a job still carries its task instance's identity labels (:mod:`airflow_batch_gemini.job.identity`):
``airflow_dag``, ``airflow_task`` and ``airflow_batch_key``, a key made of dag, task, run and map index. A
sweep lists the task's unfinished jobs, asks Airflow for the states of the task's instances, and cancels a job
only when all of this holds:

* the job is still waiting (queued, pending, running, paused, updating; not already cancelling);
* its labels name this dag and task, and its key is the key of one instance of this task, so a job of another
  task (or of a dag whose id cleans to the same label) is never touched;
* that instance is in a finished state (success, failed, skipped, upstream_failed, removed): it will never
  poll its job again. A running, deferred, queued, scheduled, up-for-retry or cleared instance keeps its job
  (a cleared or retried instance re-attaches to it).

A job whose key matches no instance (its run was deleted, or it belongs to a round of the resubmit operator,
whose keys name the round) is left alone: the sweep never guesses.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from airflow_batch_gemini.job.identity import IDENTITY_LABEL, identity_key, label_value
from airflow_batch_gemini.job.states import WAITING_STATES

#: Task instance states after which an instance never polls its job again.
FINISHED_TASK_STATES = frozenset({"success", "failed", "skipped", "upstream_failed", "removed"})
#: Job states a sweep may cancel: still waiting, not already being cancelled.
CANCELLABLE_STATES = WAITING_STATES - {"JOB_STATE_CANCELLING"}
DAG_LABEL = "airflow_dag"
TASK_LABEL = "airflow_task"


@dataclass(frozen=True)
class TaskInstanceState:
    """One instance of a task, as Airflow reports it.

    :param run_id: its dag run.
    :param map_index: its map index (-1 if the task is not mapped).
    :param state: its state (``None`` once cleared, before it is scheduled again).
    """

    run_id: str
    map_index: int
    state: str | None


@dataclass(frozen=True)
class OrphanedJob:
    """A job whose task instance has finished: what a sweep cancels, and why.

    :param job_name: the job's resource name.
    :param job_state: the job's state when it was listed.
    :param run_id: the run of the task instance that created it.
    :param map_index: that instance's map index.
    :param task_state: that instance's (finished) state.
    """

    job_name: str
    job_state: str
    run_id: str
    map_index: int
    task_state: str

    def describe(self) -> str:
        """One line for the task log."""
        where = self.run_id if self.map_index < 0 else f"{self.run_id} (map index {self.map_index})"
        return f"{self.job_name} ({self.job_state}): its task instance of {where} is {self.task_state}"


def task_instance_states(task_id: str, task_states: Mapping[str, Mapping[str, Any]]) -> list[TaskInstanceState]:
    """Read the answer of the Task SDK's ``get_task_states(dag_id=..., task_ids=[task_id])``:
    ``{run_id: {task_id: state}}``, a mapped instance keyed ``f"{task_id}_{map_index}"``."""
    found = []
    for run_id, states in task_states.items():
        for key, state in states.items():
            if key == task_id:
                map_index = -1
            elif key.startswith(f"{task_id}_") and key[len(task_id) + 1:].isdigit():
                map_index = int(key[len(task_id) + 1:])
            else:
                continue
            found.append(TaskInstanceState(str(run_id), map_index, None if state is None else str(state)))
    return found


def unfinished_jobs_filter(dag_id: str, task_id: str) -> str:
    """The list filter for a task's jobs that may still be billing (the service's filter syntax)."""
    states = " OR ".join(f'state="{state}"' for state in sorted(CANCELLABLE_STATES))
    return f'labels.{DAG_LABEL}="{label_value(dag_id)}" AND labels.{TASK_LABEL}="{label_value(task_id)}" AND ({states})'


def orphaned_jobs(
    jobs: Iterable[Mapping[str, Any]], dag_id: str, task_id: str, instances: Iterable[TaskInstanceState]
) -> list[OrphanedJob]:
    """The jobs among ``jobs`` that belong to a finished instance of ``dag_id.task_id`` (see the module's rules)."""
    by_key = {identity_key(dag_id, task_id, ti.run_id, ti.map_index): ti for ti in instances}
    orphans = []
    for job in jobs:
        labels = job.get("labels") or {}
        state = str(job.get("state", ""))
        owner = by_key.get(str(labels.get(IDENTITY_LABEL, "")))
        if (
            owner is None
            or owner.state not in FINISHED_TASK_STATES
            or state not in CANCELLABLE_STATES
            or labels.get(DAG_LABEL) != label_value(dag_id)
            or labels.get(TASK_LABEL) != label_value(task_id)
        ):
            continue
        orphans.append(OrphanedJob(str(job["name"]), state, owner.run_id, owner.map_index, str(owner.state)))
    return orphans
