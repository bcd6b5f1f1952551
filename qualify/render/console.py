"""Plain-text verdict for a terminal or a CI log."""

from __future__ import annotations

from collections.abc import Iterator

from qualify.core.model import EvidenceStatus, Finding, FlowRecord, Status, Verdict
from qualify.core.policy import flow_incomplete
from qualify.redact import redactor
from qualify.render.report import Report
from qualify.render.workflow_commands import error_line, plain

_MARK = {Status.PASSED: "pass", Status.FAILED: "FAIL", Status.SKIPPED: "skip", Status.NOT_FOUND: "MISSING"}


def _finding(f: Finding) -> Iterator[str]:
    where = f"{f.file}:{f.line}: " if f.file and f.line else (f"{f.file}: " if f.file else "")
    test = f"“{f.test}” " if f.test else ""
    job = f"[{f.job}] " if f.job else ""
    waived = " (waived by exception)" if f.waived else ""
    yield f"  {where}{f.code}{waived}: {job}{test}{f.message}"
    if f.hint:
        yield f"      fix: {f.hint}"


def _ladder(flow: FlowRecord) -> str:
    marks = []
    missed = False
    for s in flow.steps:
        marks.append(("✓ " if s.seen else ("· " if missed else "✗ ")) + s.name)
        missed = missed or not s.seen
    return " → ".join(marks)


def _lines(report: Report, verdict: Verdict) -> Iterator[str]:
    """The verdict's lines, with the delivery notes among the warnings. A line may still hold
    untrusted text with line breaks (a test name): Console makes each one a single log line."""
    for d in verdict.defects:
        state = "qualified" if d.qualified else "NOT qualified"
        yield f"#{d.defect.issue} {d.defect.title} ({d.defect.tracking}) — {state}; rules: {', '.join(d.rules)}"
        for er in d.entries:
            jobs = "  ".join(
                f"{job}: {_MARK[m.status]}"
                + (" (NO EVIDENCE)" if er.evidence(job) is EvidenceStatus.MISSING else "")
                + (" (STEPS MISSING)" if flow_incomplete(er, job) else "")
                for job, m in er.matches.items()
            )
            yield f"    [{er.entry.kind}] {er.entry.test}  ->  {jobs}"
            flow = er.matches["real"].flow if "real" in er.matches else None
            if flow is not None and flow.case is not None:
                state = "INCOMPLETE" if flow_incomplete(er, "real") else "complete"
                yield f"        steps (real, {flow.case.source}:{flow.case.line}, {state}): {_ladder(flow)}"
        if d.undeclared:
            more = f" (+{d.undeclared_more} more testcases)" if d.undeclared_more else ""
            yield f"    undeclared tests mentioning #{d.defect.issue}: {len(d.undeclared)}{more} (see warnings)"
    counts = "; ".join(
        f"{job}: {c.files} file(s), {c.testcases} testcases ({c.passed} passed, {c.failed} failed, {c.skipped} skipped)"
        for job, c in verdict.counts.items()
    )
    yield f"results — {counts}"
    problems, warnings = report.problems, report.warnings
    if problems:
        yield f"problems ({len(problems)}):"
        for f in problems:
            yield from _finding(f)
    if warnings:
        yield f"warnings ({len(warnings)}):"
        for f in warnings:
            yield from _finding(f)
    yield "QUALIFIED" if report.qualified else f"NOT QUALIFIED: {len(problems)} problem(s)"


class Console:
    """Renderer `console`: the verdict for a terminal or a CI log (stdout), or, for a check that
    could not be evaluated, its lines for stderr.

    Untrusted text (test names, file names) comes from pull-request code and the runner interprets
    the log: each line is redacted, then made one line, inert for the runner's command parsers."""

    name = "console"

    def render(self, report: Report) -> str:
        hide = redactor(report.secrets)
        if report.error is not None:  # what publishing could not do, then why there is no verdict
            notes = [plain(hide(f"qualify: warning: {n.message}")) for n in report.notes]
            return "\n".join([*notes, error_line(report.error.message, report.secrets).rstrip("\n")])
        assert report.verdict is not None
        return "\n".join(plain(hide(line)) for line in _lines(report, report.verdict))
