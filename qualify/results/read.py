"""Reading the results files of a check (I/O): every file streamed in file order, in this process or
in forked worker processes, each job's files with the filter the matcher gave for that job.

`FileResults` is the `Results` that `core.evaluate.evaluate` pulls batches from. Each file becomes
one Batch: its kept testcases, its counts, the near-miss names a worker's filter logged (replayed by
the matcher before the cases, so workers give the serial read's closest titles) and the reader of
its testcases' traces (attachments are read here, in the main process, in file order, within one
byte budget for the check).
"""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from qualify.core.evaluate import Batch, Filter, FilterFor
from qualify.core.model import JOBS, JobCounts, TestCase
from qualify.errors import QualifyError
from qualify.results.attachments import TraceLoader
from qualify.results.formats import read_testcases
from qualify.workspace import Found

PARALLEL_MIN_BYTES = 16 * 1024 * 1024  # below this, forking workers costs more than it saves


class ReadProgress(Protocol):
    def job(self, job: str, total_files: int) -> None: ...

    def file_read(self, job: str, counts: JobCounts) -> None: ...

    def finish(self) -> None: ...


class _Quiet:
    def job(self, job: str, total_files: int) -> None:
        pass

    def file_read(self, job: str, counts: JobCounts) -> None:
        pass

    def finish(self) -> None:
        pass


@dataclass(frozen=True, slots=True)
class FileResults:
    """Every results file of both jobs, found and sized beforehand (`plan`), read when asked."""

    plan: Sequence[tuple[str, Sequence[Found]]]
    total_bytes: int
    workspace: Path  # attachments resolve inside it
    elsewhere: Sequence[Path] = ()  # folders of another run's artifacts: their attachments too
    progress: ReadProgress | None = None

    def batches(self, filter_for: FilterFor) -> Iterator[Batch]:
        tasks = [_Task(job, str(f.real), f.display) for job, files in self.plan for f in files]
        workers = worker_count(self.total_bytes, len(tasks))
        progress = self.progress or _Quiet()
        readers = {job: filter_for(job, workers > 1) for job in JOBS}
        loader = TraceLoader(self.workspace, self.elsewhere) if any(r.traces for r in readers.values()) else None
        # What exists now (the declarations, the matcher's index) lives to the end of the check: out
        # of the collections while reading (each full one scanned it all again), and out of
        # copy-on-write in forked readers. Collection runs for what reading makes.
        gc.freeze()
        was_enabled = gc.isenabled()
        gc.enable()
        try:
            results = _read_all(tasks, readers, workers)
            for job, files in self.plan:
                progress.job(job, len(files))
                total = JobCounts()
                for f in files:
                    cases, counts, near = next(results)
                    total.merge(counts)
                    trace_of = loader.for_file(f.real) if loader is not None else None
                    yield Batch(job, cases, counts, near, trace_of)
                    progress.file_read(job, total)
            progress.finish()
        finally:
            if not was_enabled:
                gc.disable()


@dataclass(frozen=True, slots=True)
class _Task:
    job: str
    path: str
    display: str


_Readers = dict[str, Filter]
_FileRead = tuple[list[TestCase], JobCounts, list[tuple[str, bool]]]  # kept testcases, counts, near-miss names


def worker_count(total_bytes: int, files: int) -> int:
    """Processes that read result files: QUALIFY_WORKERS (a number, or `auto`, the default).

    `auto` uses every CPU this process may run on once the files are big enough for the fork to pay
    off (PARALLEL_MIN_BYTES), and one process below that, so small checks start fast.
    """
    value = os.environ.get("QUALIFY_WORKERS", "auto").strip().lower()
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    if value == "auto":
        wanted = cpus if total_bytes >= PARALLEL_MIN_BYTES else 1
    elif value.isdigit() and int(value) > 0:
        wanted = int(value)
    else:
        raise QualifyError(f"QUALIFY_WORKERS={value!r} is not a number of processes or `auto`", code="usage")
    workers = max(1, min(wanted, cpus, files))
    if workers > 1:
        import multiprocessing  # lazily: start-up time of small checks

        if "fork" not in multiprocessing.get_all_start_methods():
            return 1  # workers inherit the matcher by forking; without fork, read in this process
    return workers


def _read_file(task: _Task, readers: _Readers) -> _FileRead:
    reader = readers[task.job]
    file_counts = JobCounts()
    log = reader.near_log
    if log is not None:
        log.clear()
    cases = list(
        read_testcases(task.path, task.display, task.job, file_counts, keep=reader.keep, capture=reader.capture)
    )
    return cases, file_counts, list(log) if log is not None else []


def _read_all(tasks: list[_Task], readers: _Readers, workers: int) -> Iterator[_FileRead]:
    """Kept testcases and counts per file, in file order whatever the number of workers."""
    if workers <= 1:
        for task in tasks:
            yield _read_file(task, readers)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor  # lazily: start-up time of small checks

    # fork: the workers inherit the matcher's index (inside `readers`) without pickling it; only
    # each file's few kept testcases and its counts travel back.
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_worker_init, initargs=(readers,)) as pool:
        for outcome, error in pool.map(_worker_read, tasks):
            if error is not None:
                message, path, line, code = error
                raise QualifyError(message, path, line, code=code)
            yield outcome


# Set once in each worker process by its initializer (fork); never used in the main process.
_WORKER_READERS: list[_Readers] = []


def _worker_init(readers: _Readers) -> None:
    _WORKER_READERS.append(readers)


def _worker_read(
    task: _Task,
) -> tuple[_FileRead | None, tuple[str, str | None, int | None, str] | None]:
    # QualifyError's keyword-only `code` does not survive pickling: send its parts back instead.
    try:
        return _read_file(task, _WORKER_READERS[0]), None
    except QualifyError as exc:
        return None, (exc.message, exc.path, exc.line, exc.code)
