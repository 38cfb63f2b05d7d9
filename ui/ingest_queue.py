"""Corpus changes (uploads, deletes, re-scans) run in the background: one worker thread, one change at a time, in
the order they were submitted, at a lower CPU priority than answering.

A handler submits its change and follows it with ``status``; questions never wait for it (answering takes no lock
that a change holds). The worker lowers its own thread's priority (``os.setpriority`` on its native thread id,
Linux: nice is per thread) before its first job, so the threads the embedding model starts from it (torch's
OpenMP pool is per calling thread) inherit it too.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

log = logging.getLogger("ui.ingest_queue")
T = TypeVar("T")
ProgressFn = Callable[[int, int, str], None]  # (done, total, what), as index.ingest reports it
NICENESS = 10  # added to the process's nice value for the worker thread (capped at 19)


@dataclass(frozen=True)
class Job:
    number: int  # 1, 2, ... in submission order
    label: str  # "upload of 3 files"


@dataclass(frozen=True)
class Batch:
    """Where one submitted change stands, for its progress bar."""

    job: Job
    ahead: int  # changes that run before it (0 when it runs)
    running: bool
    done: int = 0  # what the ingestion reports: ``done`` of ``total`` ``what`` embedded
    total: int = 0
    what: str = ""


def lower_priority(niceness: int) -> int:
    """Raise the calling thread's nice value by ``niceness`` (at most to 19); returns the value it has now."""
    tid = threading.get_native_id()
    try:
        current = os.getpriority(os.PRIO_PROCESS, tid)
        os.setpriority(os.PRIO_PROCESS, tid, min(19, current + niceness))
        return os.getpriority(os.PRIO_PROCESS, tid)
    except (AttributeError, OSError) as exc:  # not Linux, or not allowed: run at the normal priority
        log.warning("could not lower the ingestion thread's priority: %s", exc)
        return 0


class IngestQueue:
    """One background worker for corpus changes; ``submit`` returns at once, ``status`` says what it is doing."""

    def __init__(self, niceness: int = NICENESS):
        self.niceness = niceness
        self.worker_nice: int | None = None  # the worker thread's nice value, once it has started
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="qa-ingest", initializer=self._start)
        self._lock = threading.Lock()
        self._count = 0
        self._pending: list[Job] = []  # submitted and not finished, the running one first
        self._running: Job | None = None
        self._counts: tuple[int, int, str] | None = None  # the running job's (done, total, what)

    def _start(self) -> None:
        self.worker_nice = lower_priority(self.niceness)
        log.info("ingestion worker running at nice %s", self.worker_nice)

    def submit(self, label: str, work: Callable[[ProgressFn], T]) -> tuple[Job, Future[T]]:
        """Queue ``work(progress)``; it runs after every change submitted before it."""
        with self._lock:
            self._count += 1
            job = Job(self._count, label)
            self._pending.append(job)

        def run() -> T:
            with self._lock:
                self._running, self._counts = job, None
            try:
                return work(self._reporter(job))
            finally:
                with self._lock:
                    self._pending.remove(job)
                    self._running, self._counts = None, None

        return job, self._executor.submit(run)

    def _reporter(self, job: Job) -> ProgressFn:
        def report(done: int, total: int, what: str) -> None:
            with self._lock:
                if self._running == job:
                    self._counts = (done, total, what)

        return report

    def ahead_of(self, job: Job) -> int:
        """How many changes run before ``job`` (0 when it is running or finished)."""
        with self._lock:
            return self._pending.index(job) if job in self._pending else 0

    def batches(self) -> list[Batch]:
        """Every change submitted and not finished, the running one first, with its counts."""
        with self._lock:
            pending, running, counts = list(self._pending), self._running, self._counts
        shown = []
        for ahead, job in enumerate(pending):
            if job == running:
                shown.append(Batch(job, 0, True, *(counts or (0, 0, ""))))
            else:
                shown.append(Batch(job, ahead, False))
        return shown

    def status(self, job: Job | None = None) -> str:
        """One line: what the worker does now and how many changes wait (for ``job``: where it stands)."""
        with self._lock:
            running, counts, waiting = self._running, self._counts, len(self._pending)
            ahead = self._pending.index(job) if job in self._pending else None
        if job is not None and ahead:
            return f"Waiting: {ahead} change{'s' if ahead != 1 else ''} to the corpus before this {job.label}."
        if running is None:
            return "The index is up to date; no change is waiting."
        line = f"Indexing the {running.label}"
        if counts is not None:
            done, total, what = counts
            line += f": {done:,} of {total:,} {what} embedded"
        line += "."
        if waiting > 1:
            line += f" {waiting - 1} more waiting."
        return line

    def shutdown(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=False)
