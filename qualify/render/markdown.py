"""The Markdown job summary: verdict first, one row per declared test, then what to do."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Iterator
from itertools import chain
from urllib.parse import quote

from qualify.core.model import DefectResult, Finding, FlowRecord, Match, Status, Verdict
from qualify.core.policy import evidence_missing, flow_incomplete

MAX_CELL = 300
# GitHub rejects a step summary over 1 MiB; stay well under it and say what was cut.
MAX_SUMMARY_BYTES = 900 * 1024
# Past this many table rows (or findings) a report folds the less urgent part into <details>.
COLLAPSE_ROWS = 15
_MD_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_[]|~#"})
_ICON = {Status.PASSED: "✅", Status.FAILED: "❌", Status.SKIPPED: "⏭️", Status.NOT_FOUND: "❓"}


def md(text: str, limit: int = MAX_CELL) -> str:
    """Untrusted text as inert Markdown: one line, no HTML, no table breaks, bounded length."""
    text = " ".join(text.split())
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return html.escape(text, quote=False).translate(_MD_SPECIAL)


def md_cell(text: str, limit: int = MAX_CELL, every: int = 24) -> str:
    """md() for a table cell: a long unbroken run (ids, URLs) may wrap at <wbr>, so the status
    columns to its right stay on screen instead of behind a horizontal scrollbar."""
    text = " ".join(text.split())
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    tokens = []
    for token in text.split(" "):
        chunks = [token[i : i + every] for i in range(0, len(token), every)] or [""]
        tokens.append("<wbr>".join(md(chunk, limit=len(chunk) + 1) for chunk in chunks))
    return " ".join(tokens)


def _cell(m: Match | None, no_evidence: bool = False) -> str:
    if m is None:
        return "—"
    status = m.status
    label = {Status.NOT_FOUND: "not found"}.get(status, str(status))
    extra = []
    if m.total > 1:
        extra.append(f"{m.total} runs")
    if m.flaky:
        extra.append("flaky")
    if m.total and m.file_unverified:
        extra.append("file not verified")
    if m.total and m.word_boundary == m.total:
        extra.append("word match")
    if no_evidence:
        extra.append("evidence missing")
    elif m.evidenced:
        extra.append("evidence ✓")
    if m.flow is not None and status is Status.PASSED:
        extra.append("steps ✓" if m.flow.complete else "steps missing")
    return f"{_ICON[status]} {label}" + (f" ({', '.join(extra)})" if extra else "")


def ladder(flow: FlowRecord) -> str:
    """The steps of the best run as a ladder: ✅ seen, ❌ the first missing or out of place, ⬜ not reached."""
    marks = []
    missed = False
    for s in flow.steps:
        icon = "✅" if s.seen else ("⬜" if missed else "❌")
        missed = missed or not s.seen
        marks.append(f"{icon} {md(s.name, 100)}")
    return " → ".join(marks)


def _flow_lines(defects: list[DefectResult]) -> list[str]:
    """One ladder per scenario entry whose trace was searched, not-qualified defects first."""
    lines = []
    for d in sorted(defects, key=lambda d: (d.qualified, d.defect.issue)):
        for er in d.entries:
            m = er.matches.get("real")
            if m is None or m.flow is None or m.flow.case is None:
                continue
            flow = m.flow
            state = "❌" if flow_incomplete(er, "real") else "✅"
            case = flow.case
            where = f"`{md(case.source, 200)}:{case.line}`"
            runs = f"{flow.complete} of {flow.checked} searched run(s) complete" if flow.checked > 1 else ""
            tail = f" — {_code_spans(md(flow.problem, 500))}" if flow.problem and not flow.complete else ""
            lines.append(
                f"- {state} #{d.defect.issue} “{md(er.entry.test, 200)}” ({where}{', ' + runs if runs else ''}): "
                f"{ladder(flow)}{tail}"
            )
    return lines


def _defect_rows(d: DefectResult, link_base: str | None = None) -> list[str]:
    rows = []
    verdict = "✅" if d.qualified else "❌"
    waived = any(f.code == "exception-applied" for f in d.findings)
    if waived:
        verdict = "⚠️ exception"
    for i, er in enumerate(d.entries):
        head = f"{verdict} [#{d.defect.issue}]({_link(d.defect.tracking, link_base)})" if i == 0 else ""
        rules = ", ".join(d.rules) if i == 0 else ""
        rows.append(
            f"| {head} | {rules} | {md_cell(er.entry.test)} | {er.entry.kind} | "
            f"{_cell(er.matches.get('mock'))} | {_cell(er.matches.get('real'), evidence_missing(er, 'real'))} |"
        )
    return rows


_ESCAPED_CODE = re.compile(r"\\`(.+?)\\`")


def _code_spans(escaped: str) -> str:
    """`word` in a message reads as code, not as literal backticks. Works on md() output, where every
    backtick is escaped, so the content between a pair is already inert."""
    return _ESCAPED_CODE.sub(r"<code>\1</code>", escaped)


def _finding_line(f: Finding) -> str:
    where = f" — `{md(f.file, 200)}:{f.line}`" if f.file and f.line else (f" — `{md(f.file, 200)}`" if f.file else "")
    issue = f"#{f.issue} " if f.issue is not None else ""
    test = f"“{md(f.test)}”: " if f.test else ""
    hint = f"<br>→ {md(f.hint, 500)}" if f.hint else ""
    return f"- **{f.code}** {issue}{test}{_code_spans(md(f.message, 500))}{where}{_code_spans(hint)}"


_DEFECT_HEADER = [
    "| Defect | Rules | Declared test | Kind | Mock | Real API |",
    "|---|---|---|---|---|---|",
]


def _details(summary: str, body: Iterable[str]) -> Iterator[str]:
    """A collapsed section. `summary` is our own text; blank lines let GitHub render the Markdown inside."""
    yield from ("<details>", f"<summary>{summary}</summary>", "")
    yield from body
    yield from ("", "</details>", "")


def _link(path: str, link_base: str | None) -> str:
    """Where a TRACKING.md link points. The summary and the PR comment are shown on pages whose URL
    is not the repository tree, so a relative link breaks there; with the commit known it is absolute."""
    target = quote(path.replace("\\", "/"))
    return f"{link_base}/{target}" if link_base else target


def _defect_tables(
    defects: tuple[DefectResult, ...] | list[DefectResult], link_base: str | None = None
) -> Iterator[str]:
    # By issue number: files come in path order, where ISSUE-10 sorts before ISSUE-2.
    defects = sorted(defects, key=lambda d: d.defect.issue)
    if sum(len(d.entries) for d in defects) <= COLLAPSE_ROWS:  # one row per declared test
        yield from _DEFECT_HEADER
        for d in defects:
            yield from _defect_rows(d, link_base)
        yield ""
        return
    # Long report: what blocks the release stays open; the defects that qualified fold away.
    failing = [d for d in defects if not d.qualified]
    passing = [d for d in defects if d.qualified]
    if failing:
        yield from _DEFECT_HEADER
        for d in failing:
            yield from _defect_rows(d, link_base)
        yield ""
    if passing:
        summary = f"✅ {len(passing)} qualified defect(s), {sum(len(d.entries) for d in passing)} declared test(s)"
        body = (row for d in passing for row in _defect_rows(d, link_base))
        yield from _details(summary, chain(_DEFECT_HEADER, body))


def _finding_section(title: str, findings: list[Finding], *, keep_open: int, noun: str) -> Iterator[str]:
    yield from (f"### {title}", "")
    yield from (_finding_line(f) for f in findings[:keep_open])
    yield ""
    rest = findings[keep_open:]
    if rest:
        more = "more " if keep_open else ""
        yield from _details(f"{len(rest)} {more}{noun}(s)", (_finding_line(f) for f in rest))


def render_summary(verdict: Verdict, link_base: str | None = None) -> str:
    """The job summary (and PR comment) Markdown. `link_base` (e.g. https://github.com/o/r/blob/SHA)
    makes the TRACKING.md links absolute."""
    return _fit_lines(_summary_lines(verdict, link_base))


def _summary_lines(verdict: Verdict, link_base: str | None) -> Iterator[str]:
    problems = verdict.problems
    warnings = verdict.warnings
    if verdict.qualified:
        head = "## ✅ Release qualified"
        if any(f.code == "exception-applied" for f in warnings):
            head += " — with exceptions"
    else:
        head = f"## ❌ Release not qualified — {len(problems)} problem(s)"
    yield from (head, "")
    if verdict.defects:
        yield from _defect_tables(verdict.defects, link_base)
        flows = _flow_lines(list(verdict.defects))
        if flows:
            yield from ("### Scenario steps in the real-API traces", "")
            yield from flows[:COLLAPSE_ROWS]
            yield ""
            if len(flows) > COLLAPSE_ROWS:
                yield from _details(f"{len(flows) - COLLAPSE_ROWS} more scenario test(s)", flows[COLLAPSE_ROWS:])
    if problems:
        yield from _finding_section("What to fix", list(problems), keep_open=COLLAPSE_ROWS, noun="problem")
    if warnings:
        # Warnings never block: past a few they fold away entirely.
        keep = len(warnings) if len(warnings) <= COLLAPSE_ROWS else 0
        yield from _finding_section("Warnings", list(warnings), keep_open=keep, noun="warning")
    counts = verdict.counts
    if counts:
        yield from ("| Job | Files | Testcases | Passed | Failed | Skipped | Flaky |", "|---|---|---|---|---|---|---|")
        for job, c in counts.items():
            yield f"| {job} | {c.files} | {c.testcases} | {c.passed} | {c.failed} | {c.skipped} | {c.flaky} |"
        yield ""


def _fit_lines(lines: Iterable[str], limit: int = MAX_SUMMARY_BYTES) -> str:
    """fit("\\n".join(lines)), rendering only the lines that can show: fit keeps the first `limit`
    bytes at most, so lines past them are never needed (with 20,000 declared tests, most of them)."""
    kept: list[str] = []
    size = -1  # no newline before the first line
    for line in lines:
        kept.append(line)
        size += len(line.encode("utf-8")) + 1
        if size > limit:
            break
    return fit("\n".join(kept), limit)


def fit(text: str, limit: int = MAX_SUMMARY_BYTES) -> str:
    """Cut at a line boundary under `limit` bytes, with a note pointing at the full JSON report."""
    if len(text.encode("utf-8")) <= limit:
        return text
    note = "\n\n> ⚠️ Summary truncated to stay under GitHub's 1 MiB limit; the JSON report has everything.\n"
    budget = limit - len(note.encode("utf-8"))
    cut = text.encode("utf-8")[: budget - len(DETAILS_CLOSE)].decode("utf-8", errors="ignore")
    return close_details(cut[: cut.rfind("\n")]) + note


DETAILS_CLOSE = "\n</details>\n"


def close_details(cut: str) -> str:
    """Close the <details> a cut left open, so what follows (the cut note) is not hidden inside it.
    Our <details> never nest, and md() escapes "<", so only our own lines can be these tags."""
    lines = cut.split("\n")
    return cut + DETAILS_CLOSE if lines.count("<details>") > lines.count("</details>") else cut


def render_error_summary(message: str) -> str:
    return f"## ❌ Release not qualified — could not evaluate\n\n{md(message, 2000)}\n"
