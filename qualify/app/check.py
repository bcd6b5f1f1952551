"""Run one check: read declarations and results (I/O), then the pure core, then write reports."""

from __future__ import annotations

import datetime as dt
import gc
import json
import os
import tempfile
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TextIO

from qualify.app.progress import Reporter, Silent
from qualify.core.matching import Keep, Matcher
from qualify.core.model import JOBS, Defect, Finding, JobCounts, TestCase, TrackingRead, Verdict
from qualify.core.policy import PolicyConfig, evaluate, select_defects
from qualify.errors import QualifyError
from qualify.github import artifacts, publish
from qualify.github import context as github_io
from qualify.render import console
from qualify.render import markdown as summary
from qualify.render import workflow_commands as workflow
from qualify.render.json_report import build_report, error_report
from qualify.results.junit import read_testcases
from qualify.tracking.parse import issue_from_path, parse_tracking
from qualify.workspace import Found, expand, find

DEFAULT_TRACKING = "docs/issues/**/TRACKING.md"
MAX_TRACKING_BYTES = 1024 * 1024
# Results come from pull-request code: bound what one file, and all of them, may make us read.
# Real runs are far smaller (a 10,000-test Jest report with output is a few MB); raise with
# --max-file-bytes / --max-total-bytes (inputs max-file-bytes / max-total-bytes) if yours are not.
DEFAULT_MAX_FILE_BYTES = 100 * 1024 * 1024
DEFAULT_MAX_TOTAL_BYTES = 500 * 1024 * 1024
PRETTY_JSON_CHARS = 256 * 1024  # larger reports are written compact (read them with `jq .`)
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
    github: github_io.GitHubOptions = field(default_factory=github_io.GitHubOptions)
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    max_total_bytes: int = DEFAULT_MAX_TOTAL_BYTES
    secrets: tuple[str, ...] = ()  # values never to print (the token), on top of token-shaped text


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


@contextmanager
def _gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while building what lives to the end of the check.

    Declarations, the title index, the verdict and the report are all kept: the worst case for
    CPython's generational collector, which scans the growing heap again and again and finds no
    garbage (0.45 s of CPU at 20,000 declared tests). Reference counting still frees what dies; these
    phases make no reference cycles worth collecting.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def collect(opts: CheckOptions, progress: Reporter | None = None) -> Verdict:
    """Read everything and evaluate. Raises QualifyError when the check cannot be evaluated."""
    with github_io.connect(opts.github) as api, tempfile.TemporaryDirectory(prefix="qualify-artifacts-") as tmp:
        try:
            return _collect(opts, api, Path(tmp), progress or Silent())
        finally:
            gc.unfreeze()  # _collect froze the declarations for the reading


def _select(
    opts: CheckOptions, api: github_io.Api | None, reads: list[TrackingRead], tmp: Path
) -> tuple[PolicyConfig, list[Defect], list[Finding], dict[str, list[tuple[Path, str]]]]:
    """The defects to evaluate and the policy for them, with what the GitHub API adds (issue lists
    by milestone/label, labels, results from another run); without a token, notes what was skipped."""
    from_query, listed_labels = github_io.resolve_issue_queries(api, opts.github.issue_queries)
    requested = tuple(dict.fromkeys([*opts.issues, *from_query]))
    config = PolicyConfig(today=opts.today, real_api_areas=opts.real_api_areas, requested_issues=requested)
    defects, selection = select_defects(reads, config)
    selection = github_io.explain_selection(selection, from_query)
    labels, notes = github_io.read_labels(api, opts.github, [d.issue for d in defects], listed_labels)
    # An artifact of another run replaces the local glob of its job.
    sources, stale = artifacts.fetch_results(api, opts.github, tmp)
    return replace(config, labels=labels), defects, [*selection, *notes, *stale], sources


def _collect(opts: CheckOptions, api: github_io.Api | None, tmp: Path, progress: Reporter) -> Verdict:
    workspace = opts.workspace
    if not workspace.is_dir():
        raise QualifyError(f"workspace {workspace} is not a directory", code="usage")
    total = 0
    with _gc_paused():
        tracking_files = expand(
            opts.tracking, workspace, what="TRACKING.md", allow_outside=opts.allow_outside_workspace
        )
        reads = [read_tracking_file(p, d) for p, d in tracking_files]
        config, defects, selection, sources = _select(opts, api, reads, tmp)
        matcher = Matcher(defects)
    # They live to the end: out of the collections during reading (each full one scanned them all
    # again), and out of copy-on-write in forked readers. collect() unfreezes.
    gc.freeze()
    counts = {job: JobCounts() for job in JOBS}
    globs = {"mock": opts.mock_results, "real": opts.real_results}
    plan: list[tuple[str, list[Found]]] = []
    # Every file is found and sized before any is read: a missing job or an oversized file is
    # reported before a slow parse, and the workers below get the whole list at once.
    for job in JOBS:
        if job in sources:  # an artifact of another run replaces the local glob of its job
            files = [Found(real=p, display=d, size=p.stat().st_size) for p, d in sources[job]]
        else:
            files = find(globs[job], workspace, what=f"{job} results", allow_outside=opts.allow_outside_workspace)
        if not files:
            shown = ", ".join(repr(g) for g in globs[job]) or "(none given)"
            raise QualifyError(
                f"--{job}-results {shown} matched no file under {workspace}; "
                f"check the path and that the {job} job's JUnit files were downloaded or written",
                code="results-missing",
            )
        for f in files:
            total = check_size(f.display, f.size, total, opts)
            if _undecodable(str(f.real)):
                raise QualifyError(
                    "the file's path is not valid UTF-8, so it cannot be parsed or reported; rename the results file",
                    f.display,
                    code="results-unreadable",
                )
        plan.append((job, files))
    tasks = [_Task(job, str(f.real), f.display) for job, files in plan for f in files]
    workers = _workers(total, len(tasks))
    readers = {job: _reader(matcher, job, logged=workers > 1) for job in JOBS}
    results = _read_all(tasks, readers, workers)
    for job, files in plan:
        progress.job(job, len(files))
        for _ in files:
            cases, file_counts, near_names = next(results)
            counts[job].merge(file_counts)
            matcher.replay_near(job, near_names)
            for case in cases:
                matcher.add(case)
            progress.file_read(job, counts[job])
    progress.finish()
    with _gc_paused():
        return evaluate(reads, defects, selection, matcher.book, counts, config)


@dataclass(frozen=True, slots=True)
class _Task:
    job: str
    path: str
    display: str


@dataclass(frozen=True, slots=True)
class _Reader:
    """How one job's files are read: the keeper, whether evidence is captured, and (in worker
    processes) the list the keeper logs near-miss names into, sent back per file."""

    keep: Keep
    capture: bool
    near_log: list[tuple[str, bool]] | None


def _reader(matcher: Matcher, job: str, *, logged: bool) -> _Reader:
    log: list[tuple[str, bool]] | None = [] if logged else None
    return _Reader(matcher.keeper(job, log), matcher.captures(job), log)


_Readers = dict[str, _Reader]
_FileRead = tuple[list[TestCase], JobCounts, list[tuple[str, bool]]]  # kept testcases, counts, near-miss names


def _workers(total_bytes: int, files: int) -> int:
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


def check_size(display: str, size: int, total: int, opts: CheckOptions) -> int:
    """Refuse a results file before parsing it when it, or the running total, is over the limit."""
    if size == 0:
        raise QualifyError(
            "empty results file (0 bytes): the job was probably killed before it finished writing",
            display,
            code="results-malformed",
        )
    if size > opts.max_file_bytes:
        raise QualifyError(
            f"results file is {size:,} bytes, over the per-file limit of {opts.max_file_bytes:,}; "
            "raise --max-file-bytes (input max-file-bytes) if this file is genuine",
            display,
            code="results-too-large",
        )
    total += size
    if total > opts.max_total_bytes:
        raise QualifyError(
            f"results reach {total:,} bytes with this file, over the total limit of {opts.max_total_bytes:,}; "
            "raise --max-total-bytes (input max-total-bytes) if these files are genuine",
            display,
            code="results-too-large",
        )
    return total


def _undecodable(path: str) -> bool:
    try:
        path.encode("utf-8")
        return False
    except UnicodeEncodeError:
        return True


def _write(path: str, text: str, workspace: Path, *, append: bool = False) -> None:
    target = Path(path)
    if not target.is_absolute():
        target = workspace / target
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("a" if append else "w", encoding="utf-8", errors="backslashreplace") as fh:
            fh.write(text)
    except OSError as exc:
        raise QualifyError(f"cannot write {path}: {exc.strerror or exc}", code="output-failed") from None


def _json_text(report: dict, hide: tuple[str, ...]) -> str:
    """The report as JSON: indented when small enough to read, compact beyond PRETTY_JSON_CHARS.

    Indenting forces json's pure-Python encoder: 0.5 s for a 2.8 MB report (2,000 declared tests
    over 1M testcases), and a peak of ~200 MB at 20,000. The compact form uses the C encoder.
    """
    text = json.dumps(report, ensure_ascii=False, separators=(",", ":"))
    if len(text) <= PRETTY_JSON_CHARS:
        text = json.dumps(report, ensure_ascii=False, indent=2)
    return workflow.redact(text + "\n", hide)


@_gc_paused()
def write_outputs(
    opts: CheckOptions, verdict: Verdict | None, error: str | None, out: TextIO, error_code: str = "could-not-evaluate"
) -> None:
    """Render the verdict (or the evaluation error) everywhere it was asked for.

    Everything passes through `redact`; every console line through `workflow.plain`, since test
    names and file names come from pull-request code and the runner interprets the log.
    """
    hide = opts.secrets
    if opts.json_report:
        if verdict is not None:
            report = build_report(verdict)
        else:
            report = {**error_report(error or ""), "error_code": error_code}
        _write(opts.json_report, _json_text(report, hide), opts.workspace)
    if opts.summary:
        text = (
            summary.render_summary(verdict, opts.github.blob_base())
            if verdict is not None
            else summary.render_error_summary(error or "")
        )
        _write(opts.summary, workflow.redact(text, hide), opts.workspace, append=True)
    if verdict is not None:
        for line in console.render_text(verdict).split("\n"):
            out.write(workflow.plain(workflow.redact(line, hide)) + "\n")
        if opts.annotations:
            for line in workflow.annotations(verdict.all_findings):
                out.write(workflow.redact(line, hide) + "\n")
    elif opts.annotations:
        message = workflow.redact(f"qualify could not evaluate: {error}", hide)
        out.write(workflow.command("error", message, title="qualify") + "\n")


def exit_code(verdict: Verdict, mode: str) -> int:
    if mode == "report" or verdict.qualified:
        return 0
    return 1


def run(
    opts: CheckOptions,
    out: TextIO,
    err: TextIO,
    on_done: Callable[[Verdict | None, str | None], None] | None = None,
    progress: Reporter | None = None,
) -> int:
    """Collect, render, and return the exit code (0 qualified, 1 not qualified, 2 could not evaluate)."""
    verdict: Verdict | None = None
    error: str | None = None
    code = "could-not-evaluate"
    try:
        verdict = collect(opts, progress)
    except QualifyError as exc:
        error, code = str(exc), exc.code
    except Exception as exc:  # noqa: BLE001 - fail closed: a bug must not end without a verdict or report
        if os.environ.get("QUALIFY_DEBUG") == "1":
            traceback.print_exc(file=err)
        error, code = workflow.internal_error(exc), "internal-error"
    finally:
        if progress is not None:
            progress.close()
    verdict = _publish(opts, verdict, error, err)
    try:
        write_outputs(opts, verdict, error, out, code)
    except QualifyError as exc:
        err.write(workflow.error_line(str(exc), opts.secrets))
        return 2
    if on_done is not None:
        on_done(verdict, error)
    if verdict is None:
        err.write(workflow.error_line(error or "", opts.secrets))
        return 2
    return exit_code(verdict, opts.mode)


def _publish(opts: CheckOptions, verdict: Verdict | None, error: str | None, err: TextIO) -> Verdict | None:
    """Sticky comment and check run; their failures become warnings beside the verdict, never problems."""
    if not opts.github.comment and not opts.github.check_name:
        return verdict
    try:
        with github_io.connect(opts.github) as api:
            notes = publish.publish(api, opts.github, verdict, error, opts.mode)
    except QualifyError as exc:
        notes = [Finding(code="publish-failed", severity="warning", message=f"could not publish: {exc}")]
    if verdict is not None:
        return replace(verdict, findings=(*verdict.findings, *notes))
    for note in notes:
        err.write(workflow.plain(workflow.redact(f"qualify: warning: {note.message}", opts.secrets)) + "\n")
    return verdict


def env_today() -> dt.date:
    """Today's date, overridable with QUALIFY_TODAY=YYYY-MM-DD for reproducible runs."""
    value = os.environ.get("QUALIFY_TODAY")
    if value:
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise QualifyError(f"QUALIFY_TODAY={value!r} is not a date like 2026-12-31") from None
    return dt.datetime.now(dt.UTC).date()
