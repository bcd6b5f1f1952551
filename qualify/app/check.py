"""Run one check: read declarations and results (I/O), then the pure core, then write reports."""

from __future__ import annotations

import datetime as dt
import gc
import os
import tempfile
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TextIO

from qualify.app.progress import Reporter, Silent
from qualify.core.matching import Matcher
from qualify.core.model import JOBS, Defect, Finding, JobCounts, TestCase, TrackingRead, Verdict
from qualify.core.policy import PolicyConfig, evaluate, select_defects
from qualify.errors import QualifyError
from qualify.github import artifacts, publish
from qualify.github import context as github_io
from qualify.render import workflow_commands as workflow
from qualify.render.renderers import render
from qualify.render.report import CouldNotEvaluate, Report
from qualify.results.attachments import TraceLoader
from qualify.results.formats import read_testcases
from qualify.tracking.parse import issue_from_path, parse_tracking
from qualify.workspace import (
    RESULTS_IN_DIRECTORY,
    TRACKING_IN_DIRECTORY,
    Found,
    output_target,
    search,
    searched,
)

DEFAULT_TRACKING = "docs/issues/**/TRACKING.md"
MAX_TRACKING_BYTES = 1024 * 1024
# Results come from pull-request code: bound what one file, and all of them, may make us read.
# Real runs are far smaller (a 10,000-test Jest report with output is a few MB); raise with
# --max-file-bytes / --max-total-bytes (inputs max-file-bytes / max-total-bytes) if yours are not.
DEFAULT_MAX_FILE_BYTES = 100 * 1024 * 1024
DEFAULT_MAX_TOTAL_BYTES = 500 * 1024 * 1024
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
    # The command line outside GitHub Actions: paths the person typed may lie outside the workspace
    # (links met inside them still may not). The Action never sets it.
    typed_outside_workspace: bool = False
    github: github_io.GitHubOptions = field(default_factory=github_io.GitHubOptions)
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    max_total_bytes: int = DEFAULT_MAX_TOTAL_BYTES
    secrets: tuple[str, ...] = ()  # values never to print (the token), on top of token-shaped text
    # TRACKING.md texts read instead of the files, by display path: `qualify adopt` checks its drafts
    # without writing them.
    tracking_texts: dict[str, str] = field(default_factory=dict)


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
    with _gc_paused():
        tracking_files = _find(opts, opts.tracking, "TRACKING.md", TRACKING_IN_DIRECTORY, "--tracking", progress)
        reads = [
            parse_tracking(opts.tracking_texts[f.display], f.display)
            if f.display in opts.tracking_texts
            else read_tracking_file(f.real, f.display)
            for f in tracking_files
        ]
        config, defects, selection, sources = _select(opts, api, reads, tmp)
        if not tracking_files:
            selection = _no_tracking(opts, selection)
        matcher = Matcher(defects)
    # They live to the end: out of the collections during reading (each full one scanned them all
    # again), and out of copy-on-write in forked readers. collect() unfreezes.
    gc.freeze()
    counts = {job: JobCounts() for job in JOBS}
    # Every file is found and sized before any is read; the workers below get the whole list at once.
    plan, total = plan_results(opts, sources, progress)
    tasks = [_Task(job, str(f.real), f.display) for job, files in plan for f in files]
    workers = _workers(total, len(tasks))
    readers = {job: _reader(matcher, job, logged=workers > 1) for job in JOBS}
    results = _read_all(tasks, readers, workers)
    # Traces (attachments) are read here, in the main process and in file order, only for the passed
    # runs of declared tests whose defect lists steps or sets `events`: one byte budget for the check.
    # Results from another run's artifact sit in `tmp`, one folder per job: their attachments too.
    traces = TraceLoader(workspace, [tmp / job for job in sources]) if matcher.reads_traces else None
    for job, files in plan:
        progress.job(job, len(files))
        for f in files:
            cases, file_counts, near_names = next(results)
            counts[job].merge(file_counts)
            matcher.replay_near(job, near_names)
            trace_of = traces.for_file(f.real) if traces is not None else None
            for case in cases:
                matcher.add(case, trace_of)
            progress.file_read(job, counts[job])
    progress.finish()
    with _gc_paused():
        return evaluate(reads, defects, selection, matcher.book, counts, config)


def plan_results(
    opts: CheckOptions, sources: dict[str, list[tuple[Path, str]]] | None = None, progress: Reporter | None = None
) -> tuple[list[tuple[str, list[Found]]], int]:
    """Every results file of both jobs, found and sized before any is read, and their total bytes.

    A missing job, an empty or oversized file or an undecodable path is reported before a slow parse.
    `sources` (artifacts of another run) replace the local glob of their job.
    """
    sources = sources or {}
    progress = progress or Silent()
    globs = {"mock": opts.mock_results, "real": opts.real_results}
    plan: list[tuple[str, list[Found]]] = []
    total = 0
    for job in JOBS:
        if job in sources:  # an artifact of another run replaces the local glob of its job
            files = [Found(real=p, display=d, size=p.stat().st_size) for p, d in sources[job]]
        else:
            files = _find(opts, globs[job], f"{job} results", RESULTS_IN_DIRECTORY, f"--{job}-results", progress)
        if not files:
            shown = ", ".join(repr(g) for g in globs[job]) or "(none given)"
            where = searched(globs[job], opts.workspace, RESULTS_IN_DIRECTORY)
            raise QualifyError(
                f"--{job}-results {shown} matched no file ({where}); "
                f"check the path and that the {job} job's results files were downloaded or written",
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
    return plan, total


def _find(
    opts: CheckOptions, patterns: list[str], what: str, in_directory: str, flag: str, progress: Reporter
) -> list[Found]:
    """The files of one input; says which patterns named a directory and what was read under it."""
    found = search(
        patterns,
        opts.workspace,
        what=what,
        allow_outside=opts.allow_outside_workspace,
        typed_outside=opts.typed_outside_workspace,
        in_directory=in_directory,
    )
    for pattern, count in found.directories:
        progress.note(
            workflow.plain(
                f"{flag} {pattern} is a directory: read as {pattern.rstrip('/')}/{in_directory} ({count} file(s))"
            )
        )
    return found.files


def _no_tracking(opts: CheckOptions, selection: list[Finding]) -> list[Finding]:
    """The tracking glob matched no file: say so, with where it looked, instead of "nothing is declared"."""
    shown = ", ".join(repr(g) for g in opts.tracking)
    where = searched(opts.tracking, opts.workspace, TRACKING_IN_DIRECTORY)
    if opts.tracking == [DEFAULT_TRACKING]:
        message = f"--tracking {shown} (the default) matched no file ({where})"
        hint = "declare each defect in docs/issues/ISSUE-N/TRACKING.md (`qualify init N` starts one), or set --tracking"
    else:
        message = f"--tracking {shown} matched no file ({where})"
        hint = (
            f"check the glob: it is relative to the workspace {opts.workspace.resolve()} (default {DEFAULT_TRACKING})"
        )
    rest = [f for f in selection if not (f.code == "tracking-missing" and f.issue is None)]
    return [Finding(code="tracking-missing", message=message, hint=hint), *rest]


@dataclass(frozen=True, slots=True)
class _Task:
    job: str
    path: str
    display: str


@dataclass(frozen=True, slots=True)
class _Reader:
    """How one job's files are read: the keeper, which kept testcases carry their output, properties
    and attachment paths (evidence, traces), and (in worker processes) the list the keeper logs
    near-miss names into, sent back per file. Captured fields travel back with each kept testcase."""

    keep: Callable[[str], bool]
    capture: Callable[[str], bool] | None
    near_log: list[str] | None


def _reader(matcher: Matcher, job: str, *, logged: bool) -> _Reader:
    log: list[str] | None = [] if logged else None
    return _Reader(matcher.keeper(job, log), matcher.captures(job), log)


_Readers = dict[str, _Reader]
_FileRead = tuple[list[TestCase], JobCounts, list[str]]  # kept testcases, counts, near-miss names


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


def _write(path: str, text: str, target: Path, *, append: bool = False) -> None:
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("a" if append else "w", encoding="utf-8", errors="backslashreplace") as fh:
            fh.write(text)
    except OSError as exc:
        raise QualifyError(f"cannot write {path}: {exc.strerror or exc}", code="output-failed") from None


@_gc_paused()
def write_outputs(opts: CheckOptions, report: Report, out: TextIO) -> None:
    """Render the report everywhere it was asked for, each output by its renderer's name
    (render/renderers.py: every output is redacted there, and escaped for its format)."""
    failed: QualifyError | None = None  # one output that cannot be written must not stop the others
    if opts.json_report:
        try:
            target = json_report_target(opts, opts.json_report, "the JSON report path")
            _write(opts.json_report, render("json", report), target)
        except QualifyError as exc:
            failed = exc
    if opts.summary:
        # Not confined: in a workflow it is the runner's GITHUB_STEP_SUMMARY file, outside the workspace.
        target = output_target(opts.summary, opts.workspace, confined=False, what="--summary")
        try:
            _write(opts.summary, render("summary", report), target, append=True)
        except QualifyError as exc:
            failed = failed or exc
    if report.verdict is not None:  # without one, run() says why on stderr
        out.write(render("console", report) + "\n")
    if opts.annotations:
        lines = render("annotations", report)
        if lines:
            out.write(lines + "\n")
    if failed is not None:
        raise failed


def json_report_target(opts: CheckOptions, path: str, what: str) -> Path:
    """Where the JSON report goes; inside the workspace unless the person typed it on their machine
    (or passed --allow-outside-workspace): pull-request code could link it anywhere."""
    confined = not (opts.allow_outside_workspace or opts.typed_outside_workspace)
    return output_target(path, opts.workspace, confined=confined, what=what)


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
    error: CouldNotEvaluate | None = None
    try:
        verdict = collect(opts, progress)
    except QualifyError as exc:
        error = CouldNotEvaluate(str(exc), exc.code)
    except Exception as exc:  # noqa: BLE001 - fail closed: a bug must not end without a verdict or report
        if os.environ.get("QUALIFY_DEBUG") == "1":
            traceback.print_exc(file=err)
        error = CouldNotEvaluate(workflow.internal_error(exc), "internal-error")
    finally:
        if progress is not None:
            progress.close()
    report = Report(verdict, error, link_base=opts.github.blob_base(), mode=opts.mode, secrets=opts.secrets)
    report = _publish(opts, report)
    try:
        write_outputs(opts, report, out)
    except QualifyError as exc:
        if report.error is None:
            err.write(workflow.error_line(str(exc), opts.secrets))
            return 2
        # One error line: the output that could not be written is said instead of the error before it.
        err.write(render("console", replace(report, error=CouldNotEvaluate(str(exc), exc.code))) + "\n")
        return 2
    if on_done is not None:
        on_done(report.verdict, report.error.message if report.error is not None else None)
    if report.verdict is None:
        err.write(render("console", report) + "\n")  # the delivery notes, then why there is no verdict
        return 2
    return exit_code(report.verdict, opts.mode)


def _publish(opts: CheckOptions, report: Report) -> Report:
    """Sticky comment and check run; what they could not do comes back as delivery notes beside the
    verdict (warnings), never in it: publishing never changes the verdict."""
    if not opts.github.comment and not opts.github.check_name:
        return report
    try:
        with github_io.connect(opts.github) as api:
            notes = publish.publish(api, opts.github, report)
    except QualifyError as exc:
        notes = [Finding(code="publish-failed", severity="warning", message=f"could not publish: {exc}")]
    return replace(report, notes=(*report.notes, *notes))


def env_today() -> dt.date:
    """Today's date, overridable with QUALIFY_TODAY=YYYY-MM-DD for reproducible runs."""
    value = os.environ.get("QUALIFY_TODAY")
    if value:
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise QualifyError(f"QUALIFY_TODAY={value!r} is not a date like 2026-12-31") from None
    return dt.datetime.now(dt.UTC).date()
