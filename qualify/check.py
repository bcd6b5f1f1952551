"""Run one check: read declarations and results (I/O), then the pure core, then write reports."""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from qualify import console, summary, workflow
from qualify.errors import QualifyError
from qualify.files import expand
from qualify.junit import read_testcases
from qualify.matching import Matcher
from qualify.model import JOBS, Finding, JobCounts, TestCase, TrackingRead, Verdict
from qualify.policy import PolicyConfig, evaluate, select_defects
from qualify.report_json import build_report, error_report
from qualify.tracking import issue_from_path, parse_tracking

DEFAULT_TRACKING = "docs/issues/**/TRACKING.md"
MAX_TRACKING_BYTES = 1024 * 1024
PARALLEL_MIN_BYTES = 16 * 1024 * 1024  # below this, forking workers costs more than it saves


@dataclass
class CheckOptions:
    mock_results: list[str]
    real_results: list[str]
    tracking: list[str] = field(default_factory=lambda: [DEFAULT_TRACKING])
    issues: tuple[int, ...] = ()
    real_api_areas: tuple[str, ...] = ("backend", "proxy")
    json_report: str | None = None
    summary: str | None = None
    mode: str = "enforce"
    workspace: Path = field(default_factory=Path.cwd)
    today: dt.date = field(default_factory=lambda: dt.datetime.now(dt.UTC).date())
    annotations: bool = False
    allow_outside_workspace: bool = False


def read_tracking_file(path: Path, display: str) -> TrackingRead:
    try:
        with path.open("rb") as fh:
            raw = fh.read(MAX_TRACKING_BYTES + 1)
    except OSError as exc:
        raise QualifyError(f"cannot read TRACKING.md: {exc.strerror or exc}", display) from None
    if len(raw) > MAX_TRACKING_BYTES:
        return _invalid(display, f"file is larger than {MAX_TRACKING_BYTES} bytes; TRACKING.md must be small")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return _invalid(display, "not valid UTF-8", line)
    return parse_tracking(text, display)


def _invalid(display: str, message: str, line: int = 1) -> TrackingRead:
    hint = issue_from_path(display)
    return TrackingRead(
        path=display,
        invalid=Finding(
            code="tracking-invalid", message=f"invalid TRACKING.md: {message}", issue=hint, file=display, line=line
        ),
        issue_hint=hint,
    )


def collect(opts: CheckOptions) -> Verdict:
    """Read everything and evaluate. Raises QualifyError when the check cannot be evaluated."""
    workspace = opts.workspace
    if not workspace.is_dir():
        raise QualifyError(f"workspace {workspace} is not a directory")
    tracking_files = expand(opts.tracking, workspace, what="TRACKING.md", allow_outside=opts.allow_outside_workspace)
    reads = [read_tracking_file(p, d) for p, d in tracking_files]
    config = PolicyConfig(today=opts.today, real_api_areas=opts.real_api_areas, requested_issues=opts.issues)
    defects, selection = select_defects(reads, config)
    matcher = Matcher(defects)
    counts = {job: JobCounts() for job in JOBS}
    globs = {"mock": opts.mock_results, "real": opts.real_results}
    tasks: list[tuple[str, str, str]] = []  # (path, display, job): every file is found before any is read
    for job in JOBS:
        files = expand(globs[job], workspace, what=f"{job} results", allow_outside=opts.allow_outside_workspace)
        if not files:
            shown = ", ".join(repr(g) for g in globs[job]) or "(none given)"
            raise QualifyError(
                f"--{job}-results {shown} matched no file under {workspace}; "
                f"check the path and that the {job} job's JUnit files were downloaded or written"
            )
        tasks += [(str(path), display, job) for path, display in files]
    for cases in _read_all(tasks, counts, matcher.wants, _workers(tasks)):
        for case in cases:
            matcher.add(case)
    return evaluate(reads, defects, selection, matcher.book, counts, config)


def _workers(tasks: list[tuple[str, str, str]]) -> int:
    """Processes for reading result files: QUALIFY_WORKERS (a number or `auto`), default `auto`.

    `auto` uses every CPU this process may run on once the files are big enough (PARALLEL_MIN_BYTES)
    for the fork to pay off; a small check stays in one process and starts fast.
    """
    value = os.environ.get("QUALIFY_WORKERS", "auto").strip().lower()
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    if value == "auto":
        total = sum(_size(path) for path, _, _ in tasks)
        wanted = cpus if total >= PARALLEL_MIN_BYTES and sys.platform == "linux" else 1
    elif value.isdigit() and int(value) > 0:
        wanted = int(value)
    else:
        raise QualifyError(f"QUALIFY_WORKERS={value!r} is not a number of processes or `auto`")
    return max(1, min(wanted, cpus, len(tasks)))


def _size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0  # reported when the file is read


def _read_all(
    tasks: list[tuple[str, str, str]], counts: dict[str, JobCounts], keep: Callable[[str], bool], workers: int
) -> Iterator[list[TestCase]]:
    """Kept testcases per file, in file order whatever the number of workers, so reports are stable."""
    if workers <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        for path, display, job in tasks:
            yield list(read_testcases(path, display, job, counts[job], keep=keep))
        return
    # fork: workers inherit `keep` (the matcher's index) without pickling it; only the few kept
    # testcases and each file's counts travel back.
    from concurrent.futures import ProcessPoolExecutor  # lazily: start-up time of small checks

    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_worker_init, initargs=(keep,)) as pool:
        for (_, _, job), (cases, file_counts) in zip(tasks, pool.map(_worker_read, tasks), strict=True):
            _merge(counts[job], file_counts)
            yield cases


_worker_keep: list[Callable[[str], bool]] = []  # set once per worker process by _worker_init


def _worker_init(keep: Callable[[str], bool]) -> None:
    _worker_keep.append(keep)


def _worker_read(task: tuple[str, str, str]) -> tuple[list[TestCase], JobCounts]:
    path, display, job = task
    file_counts = JobCounts()
    cases = list(read_testcases(path, display, job, file_counts, keep=_worker_keep[0]))
    return cases, file_counts


def _merge(into: JobCounts, more: JobCounts) -> None:
    for name in ("files", "testcases", "passed", "failed", "skipped", "flaky"):
        setattr(into, name, getattr(into, name) + getattr(more, name))


def _write(path: str, text: str, workspace: Path, *, append: bool = False) -> None:
    target = Path(path)
    if not target.is_absolute():
        target = workspace / target
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("a" if append else "w", encoding="utf-8") as fh:
            fh.write(text)
    except OSError as exc:
        raise QualifyError(f"cannot write {path}: {exc.strerror or exc}") from None


def write_outputs(opts: CheckOptions, verdict: Verdict | None, error: str | None, out: TextIO) -> None:
    """Render the verdict (or the evaluation error) everywhere it was asked for."""
    if opts.json_report:
        report = build_report(verdict) if verdict is not None else error_report(error or "")
        _write(opts.json_report, json.dumps(report, indent=2, ensure_ascii=False) + "\n", opts.workspace)
    if opts.summary:
        text = summary.render_summary(verdict) if verdict is not None else summary.render_error_summary(error or "")
        _write(opts.summary, text, opts.workspace, append=True)
    if verdict is not None:
        out.write(console.render_text(verdict) + "\n")
        if opts.annotations:
            for line in workflow.annotations(verdict.all_findings):
                out.write(line + "\n")
    elif opts.annotations:
        out.write(workflow.command("error", f"qualify could not evaluate: {error}", title="qualify") + "\n")


def exit_code(verdict: Verdict, mode: str) -> int:
    if mode == "report" or verdict.qualified:
        return 0
    return 1


def run(
    opts: CheckOptions, out: TextIO, err: TextIO, on_done: Callable[[Verdict | None, str | None], None] | None = None
) -> int:
    """Collect, render, and return the exit code (0 qualified, 1 not qualified, 2 could not evaluate)."""
    verdict: Verdict | None = None
    error: str | None = None
    try:
        verdict = collect(opts)
    except QualifyError as exc:
        error = str(exc)
    try:
        write_outputs(opts, verdict, error, out)
    except QualifyError as exc:
        err.write(f"qualify: error: {exc}\n")
        return 2
    if on_done is not None:
        on_done(verdict, error)
    if verdict is None:
        err.write(f"qualify: error: {error}\n")
        return 2
    return exit_code(verdict, opts.mode)


def env_today() -> dt.date:
    """Today's date, overridable with QUALIFY_TODAY=YYYY-MM-DD for reproducible runs."""
    value = os.environ.get("QUALIFY_TODAY")
    if value:
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise QualifyError(f"QUALIFY_TODAY={value!r} is not a date like 2026-12-31") from None
    return dt.datetime.now(dt.UTC).date()
