"""Run one check: read declarations and results (I/O), then the pure core, then write reports."""

from __future__ import annotations

import gc
import json
import os
import tempfile
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TextIO

from qualify.app.options import RawInputs, build_settings, json_report_target, output_settings
from qualify.app.progress import Reporter, Silent
from qualify.core.evaluate import Declarations, evaluate
from qualify.core.model import JOBS, Finding, TrackingRead, Verdict
from qualify.core.policy import PolicyConfig, select_defects
from qualify.errors import QualifyError
from qualify.github import artifacts, publish
from qualify.github import context as github_io
from qualify.github.client import GitHubClient
from qualify.render import console
from qualify.render import markdown as summary
from qualify.render import workflow_commands as workflow
from qualify.render.json_report import build_report, error_report
from qualify.results.read import FileResults
from qualify.settings import DEFAULT_TRACKING, Outputs, ReadingLimits, Settings, Sources
from qualify.tracking.parse import issue_from_path, parse_tracking
from qualify.workspace import (
    RESULTS_IN_DIRECTORY,
    TRACKING_IN_DIRECTORY,
    Found,
    output_target,
    search,
    searched,
)

MAX_TRACKING_BYTES = 1024 * 1024
PRETTY_JSON_CHARS = 256 * 1024  # larger reports are written compact (read them with `jq .`)


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
def gc_paused() -> Iterator[None]:
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


def collect(
    settings: Settings, progress: Reporter | None = None, make_client: github_io.ClientFactory = GitHubClient
) -> Verdict:
    """Read everything and evaluate. Raises QualifyError when the check cannot be evaluated."""
    with (
        github_io.connect(settings.github, make_client) as api,
        tempfile.TemporaryDirectory(prefix="qualify-artifacts-") as tmp,
    ):
        try:
            return _collect(settings, api, Path(tmp), progress or Silent())
        finally:
            gc.unfreeze()  # the reading (FileResults) froze what lives to the end


def _select(
    settings: Settings, api: github_io.Api | None, reads: list[TrackingRead], tmp: Path
) -> tuple[PolicyConfig, list[Finding], dict[str, list[tuple[Path, str]]]]:
    """The policy for the defects to evaluate, with what the GitHub API adds (issue lists by
    milestone/label, labels, results from another run); without a token, notes what was skipped."""
    policy = settings.policy
    from_query, listed_labels = github_io.resolve_issue_queries(
        api, policy.issue_queries, name=policy.naming.of("issues")
    )
    requested = tuple(dict.fromkeys([*policy.issues, *from_query]))
    config = PolicyConfig(
        today=policy.today, real_api_areas=policy.real_api_areas, requested_issues=requested, requested_from=from_query
    )
    # The issues whose labels matter: those the core will evaluate (the same selection it makes).
    issues = [d.issue for d in select_defects(reads, config)[0]]
    labels, notes = github_io.read_labels(api, settings.github, settings.labels, issues, listed_labels)
    # An artifact of another run replaces the local glob of its job.
    sources, stale = artifacts.fetch_results(api, settings.github, settings.artifacts, tmp)
    return replace(config, labels=labels), [*notes, *stale], sources


def _collect(settings: Settings, api: github_io.Api | None, tmp: Path, progress: Reporter) -> Verdict:
    where = settings.sources
    workspace = where.workspace
    if not workspace.is_dir():
        raise QualifyError(f"workspace {workspace} is not a directory", code="usage")
    with gc_paused():
        tracking_files = _find(
            where, where.tracking, "TRACKING.md", TRACKING_IN_DIRECTORY, where.tracking_label, progress
        )
        reads = [
            parse_tracking(where.tracking_texts[f.display], f.display)
            if f.display in where.tracking_texts
            else read_tracking_file(f.real, f.display)
            for f in tracking_files
        ]
        config, notes, sources = _select(settings, api, reads, tmp)
        if not tracking_files:
            notes = [_no_tracking(where), *notes]
        # Every file is found and sized before any is read; the workers get the whole list at once.
        plan, total = plan_results(where, settings.limits, sources, progress)
        results = FileResults(plan, total, workspace, [tmp / job for job in sources], progress)
        # GC stays off while the matcher's index and the verdict are built (both live to the end);
        # FileResults turns it on for the reading.
        return evaluate(Declarations(reads, notes), results, config)


def plan_results(
    where: Sources,
    limits: ReadingLimits,
    fetched: dict[str, list[tuple[Path, str]]] | None = None,
    progress: Reporter | None = None,
) -> tuple[list[tuple[str, list[Found]]], int]:
    """Every results file of both jobs, found and sized before any is read, and their total bytes.

    A missing job, an empty or oversized file or an undecodable path is reported before a slow parse.
    `fetched` (artifacts of another run) replace the local glob of their job.
    """
    fetched = fetched or {}
    progress = progress or Silent()
    plan: list[tuple[str, list[Found]]] = []
    total = 0
    for job in JOBS:
        globs = list(where.globs(job))
        if job in fetched:  # an artifact of another run replaces the local glob of its job
            files = [Found(real=p, display=d, size=p.stat().st_size) for p, d in fetched[job]]
        else:
            files = _find(where, globs, f"{job} results", RESULTS_IN_DIRECTORY, where.label(job), progress)
        if not files:
            shown = ", ".join(repr(g) for g in globs) or "(none given)"
            searched_where = searched(globs, where.workspace, RESULTS_IN_DIRECTORY)
            raise QualifyError(
                f"{where.label(job)} {shown} matched no file ({searched_where}); "
                f"check the path and that the {job} job's results files were downloaded or written",
                code="results-missing",
            )
        for f in files:
            total = check_size(f.display, f.size, total, limits)
            if _undecodable(str(f.real)):
                raise QualifyError(
                    "the file's path is not valid UTF-8, so it cannot be parsed or reported; rename the results file",
                    f.display,
                    code="results-unreadable",
                )
        plan.append((job, files))
    return plan, total


def _find(
    where: Sources, patterns: Sequence[str], what: str, in_directory: str, label: str, progress: Reporter
) -> list[Found]:
    """The files of one input; says which patterns named a directory and what was read under it."""
    found = search(
        list(patterns),
        where.workspace,
        what=what,
        allow_outside=where.allow_outside_workspace,
        typed_outside=where.typed_outside_workspace,
        in_directory=in_directory,
    )
    for pattern, count in found.directories:
        progress.note(
            workflow.plain(
                f"{label} {pattern} is a directory: read as {pattern.rstrip('/')}/{in_directory} ({count} file(s))"
            )
        )
    return found.files


def _no_tracking(where: Sources) -> Finding:
    """The tracking glob matched no file: say so, with where it looked, instead of "nothing is declared"."""
    shown = ", ".join(repr(g) for g in where.tracking)
    looked = searched(list(where.tracking), where.workspace, TRACKING_IN_DIRECTORY)
    label = where.tracking_label
    if where.tracking == (DEFAULT_TRACKING,):
        message = f"{label} {shown} (the default) matched no file ({looked})"
        hint = f"declare each defect in docs/issues/ISSUE-N/TRACKING.md (`qualify init N` starts one), or set {label}"
    else:
        message = f"{label} {shown} matched no file ({looked})"
        hint = (
            f"check the glob: it is relative to the workspace {where.workspace.resolve()} (default {DEFAULT_TRACKING})"
        )
    return Finding(code="tracking-missing", message=message, hint=hint)


def check_size(display: str, size: int, total: int, limits: ReadingLimits) -> int:
    """Refuse a results file before parsing it when it, or the running total, is over the limit."""
    if size == 0:
        raise QualifyError(
            "empty results file (0 bytes): the job was probably killed before it finished writing",
            display,
            code="results-malformed",
        )
    if size > limits.max_file_bytes:
        raise QualifyError(
            f"results file is {size:,} bytes, over the per-file limit of {limits.max_file_bytes:,}; "
            f"raise {limits.naming.of('max-file-bytes')} if this file is genuine",
            display,
            code="results-too-large",
        )
    total += size
    if total > limits.max_total_bytes:
        raise QualifyError(
            f"results reach {total:,} bytes with this file, over the total limit of {limits.max_total_bytes:,}; "
            f"raise {limits.naming.of('max-total-bytes')} if these files are genuine",
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


def json_text(report: dict, hide: tuple[str, ...]) -> str:
    """The report as JSON: indented when small enough to read, compact beyond PRETTY_JSON_CHARS.

    Indenting forces json's pure-Python encoder: 0.5 s for a 2.8 MB report (2,000 declared tests
    over 1M testcases), and a peak of ~200 MB at 20,000. The compact form uses the C encoder.
    """
    text = json.dumps(report, ensure_ascii=False, separators=(",", ":"))
    if len(text) <= PRETTY_JSON_CHARS:
        text = json.dumps(report, ensure_ascii=False, indent=2)
    return workflow.redact(text + "\n", hide)


@gc_paused()
def write_outputs(
    opts: Outputs, verdict: Verdict | None, error: str | None, out: TextIO, error_code: str = "could-not-evaluate"
) -> None:
    """Render the verdict (or the evaluation error) everywhere it was asked for.

    Everything passes through `redact`; every console line through `workflow.plain`, since test
    names and file names come from pull-request code and the runner interprets the log.
    """
    hide = opts.secrets
    failed: QualifyError | None = None  # one output that cannot be written must not stop the others
    if opts.json_report:
        if verdict is not None:
            report = build_report(verdict)
        else:
            report = error_report(error or "", error_code)
        try:
            target = json_report_target(opts, opts.json_report, "the JSON report path")
            _write(opts.json_report, json_text(report, hide), target)
        except QualifyError as exc:
            failed = exc
    if opts.summary:
        text = (
            summary.render_summary(verdict, opts.links)
            if verdict is not None
            else summary.render_error_summary(error or "")
        )
        # Not confined: in a workflow it is the runner's GITHUB_STEP_SUMMARY file, outside the workspace.
        target = output_target(opts.summary, opts.workspace, confined=False, what="--summary")
        try:
            _write(opts.summary, workflow.redact(text, hide), target, append=True)
        except QualifyError as exc:
            failed = failed or exc
    if verdict is not None:
        for line in console.render_text(verdict).split("\n"):
            out.write(workflow.plain(workflow.redact(line, hide)) + "\n")
        if opts.annotations:
            for line in workflow.annotations(verdict.all_findings):
                out.write(workflow.redact(line, hide) + "\n")
    elif opts.annotations:
        message = workflow.redact(f"qualify could not evaluate: {error}", hide)
        out.write(workflow.command("error", message, title="qualify") + "\n")
    if failed is not None:
        raise failed


def exit_code(verdict: Verdict, mode: str) -> int:
    if mode == "report" or verdict.qualified:
        return 0
    return 1


def run(
    settings: Settings,
    out: TextIO,
    err: TextIO,
    on_done: Callable[[Verdict | None, str | None], None] | None = None,
    progress: Reporter | None = None,
    make_client: github_io.ClientFactory = GitHubClient,
) -> int:
    """Collect, render, and return the exit code (0 qualified, 1 not qualified, 2 could not evaluate)."""
    outputs = settings.outputs
    verdict: Verdict | None = None
    error: str | None = None
    code = "could-not-evaluate"
    try:
        verdict = collect(settings, progress, make_client)
    except QualifyError as exc:
        error, code = str(exc), exc.code
    except Exception as exc:  # noqa: BLE001 - fail closed: a bug must not end without a verdict or report
        if os.environ.get("QUALIFY_DEBUG") == "1":
            traceback.print_exc(file=err)
        error, code = workflow.internal_error(exc), "internal-error"
    finally:
        if progress is not None:
            progress.close()
    verdict = _publish(settings, verdict, error, err, make_client)
    try:
        write_outputs(outputs, verdict, error, out, code)
    except QualifyError as exc:
        err.write(workflow.error_line(str(exc), outputs.secrets))
        return 2
    if on_done is not None:
        on_done(verdict, error)
    if verdict is None:
        err.write(workflow.error_line(error or "", outputs.secrets))
        return 2
    return exit_code(verdict, outputs.mode)


def _publish(
    settings: Settings, verdict: Verdict | None, error: str | None, err: TextIO, make_client: github_io.ClientFactory
) -> Verdict | None:
    """Sticky comment and check run; their failures become warnings beside the verdict, never problems."""
    if not settings.publish.wanted:
        return verdict
    try:
        with github_io.connect(settings.github, make_client) as api:
            notes = publish.publish(api, settings.github, settings.publish, verdict, error, settings.outputs.mode)
    except QualifyError as exc:
        notes = [Finding(code="publish-failed", severity="warning", message=f"could not publish: {exc}")]
    if verdict is not None:
        return replace(verdict, findings=(*verdict.findings, *notes))
    for note in notes:
        err.write(workflow.plain(workflow.redact(f"qualify: warning: {note.message}", settings.outputs.secrets)) + "\n")
    return verdict


def check_inputs(
    raw: RawInputs,
    env: Mapping[str, str],
    out: TextIO,
    err: TextIO,
    on_done: Callable[[Verdict | None, str | None], None] | None = None,
) -> int:
    """`check` from either front end: the settings from what the user set, then the run. An unusable
    input is said on stderr and, as "could not evaluate", in every output asked for (a stale report
    from an earlier run must not say "qualified"); exit 2."""
    try:
        settings = build_settings(raw, env)
    except QualifyError as exc:
        fallback = output_settings(raw, env)
        err.write(workflow.error_line(str(exc), fallback.secrets))
        try:
            write_outputs(fallback, None, str(exc), out, exc.code)
        except QualifyError as write_exc:
            if write_exc.code != exc.code or exc.code != "outside-workspace":  # a refused path is said once
                err.write(workflow.error_line(str(write_exc), fallback.secrets))
        if on_done is not None:
            on_done(None, str(exc))
        return 2
    from qualify.app.progress import Progress

    return run(settings, out, err, on_done=on_done, progress=Progress.for_stream(err, env))
