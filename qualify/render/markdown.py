"""The Markdown report: verdict first, then each defect with its declared tests, what to fix, the
warnings and the counts; notes about the token fold away at the end.

Two layouts of the same report: a table (one row per declared test) for the job summary and the
check run, and a list per defect for the pull-request comment, whose column is too narrow for it."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from urllib.parse import quote

from qualify.core.model import DefectResult, Finding, FlowRecord, Match, Status, Verdict
from qualify.core.policy import RULE_MOCK, RULE_PARTNER, RULE_REAL, evidence_missing, flow_incomplete

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
    if len(text) <= every or max(map(len, text.split(" "))) <= every:
        return md(text, limit)  # nothing to break: the same text, without a call per word
    tokens = []
    for token in text.split(" "):
        chunks = [token[i : i + every] for i in range(0, len(token), every)] or [""]
        tokens.append("<wbr>".join(md(chunk, limit=len(chunk) + 1) for chunk in chunks))
    return " ".join(tokens)


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


# What the reader sees for the rule identifiers (the JSON report keeps the identifiers).
RULE_WORDS = {RULE_MOCK: "mock test", RULE_REAL: "real-API test", RULE_PARTNER: "partner scenario"}
JOB_WORDS = {"mock": "Mock", "real": "Real API"}
# Notes about the token and its permissions: they say what qualify could not do through the API,
# not what the tests showed, so they fold below everything else.
SETUP_CODES = frozenset({"labels-skipped", "publish-skipped", "publish-failed"})
NOT_REQUIRED = "not required"
MAX_TITLE = 120
# Words a status may carry that need a sentence of explanation, given once under the defects.
BY_WORDS = "matched by words"
NO_FILE = "file not verified"
_TERMS = {
    BY_WORDS: "the results give the describe path and the title as one string, so the declared title was "
    "matched by whole words at its end; declare the describe path too to match it exactly.",
    NO_FILE: "the results name no file, so the declared `file:` could not be compared; the title alone matched.",
}


def _needs(rules: tuple[str, ...]) -> str:
    return ", ".join(RULE_WORDS.get(r, r) for r in rules)


@dataclass(frozen=True, slots=True)
class _Result:
    """One job's result for one declared test, in words: "❌ failed", with details ("2 runs")."""

    icon: str
    label: str
    details: tuple[str, ...] = ()
    problem: bool = False  # this result is why the defect is not covered


def _result(m: Match, no_evidence: bool, terms: set[str]) -> _Result:
    """`terms` collects the words _legend must explain."""
    status = m.status
    details = []
    if m.total > 1:
        details.append(f"{m.total} runs")
    if m.flaky:
        details.append("flaky")
    if m.total and m.file_unverified:
        details.append(NO_FILE)
        terms.add(NO_FILE)
    if m.total and m.word_boundary == m.total:
        details.append(BY_WORDS)
        terms.add(BY_WORDS)
    if no_evidence:
        details.append("evidence missing")
    elif m.evidenced:
        details.append("evidence ✓")
    if m.flow is not None and status is Status.PASSED:
        details.append("steps ✓" if m.flow.complete else "steps missing")
    label = {Status.NOT_FOUND: "not found"}.get(status, str(status))
    steps_missing = m.flow is not None and status is Status.PASSED and m.flow.complete == 0
    return _Result(_ICON[status], label, tuple(details), status is not Status.PASSED or no_evidence or steps_missing)


def _cell(m: Match | None, no_evidence: bool, terms: set[str]) -> str:
    """A job column's cell: the result on one line, its details small below it."""
    if m is None:
        return f"<sub>{_nowrap(NOT_REQUIRED)}</sub>"  # small: the eye goes to the results
    r = _result(m, no_evidence, terms)
    details = f"<br><sub>{', '.join(_nowrap(d) for d in r.details)}</sub>" if r.details else ""
    return f"{r.icon}&nbsp;{_nowrap(r.label)}{details}"


def _nowrap(words: str) -> str:
    """Our own words kept on one line in a cell (never untrusted text: that goes through md_cell)."""
    return words.replace(" ", "&nbsp;").replace("-", "\u2011")  # U+2011: a hyphen that does not break


def _defect_mark(d: DefectResult) -> str:
    if any(f.code == "exception-applied" for f in d.findings):
        return "⚠️ exception"
    return "✅" if d.qualified else "❌"


def _defect_name(d: DefectResult, link_base: str | None, escape: Callable[[str, int], str] = md) -> str:
    """`[#462](TRACKING.md) its title`: the number links to the declaration; no title, the number alone."""
    title = escape(d.defect.title, MAX_TITLE) if d.defect.title.strip() else ""
    link = f"[#{d.defect.issue}]({_link(d.defect.tracking, link_base)})"
    return f"{link} {title}" if title else link


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


def _defect_rows(d: DefectResult, link_base: str | None, terms: set[str]) -> Iterator[str]:
    for i, er in enumerate(d.entries):
        head = ""
        if i == 0:
            name = _defect_name(d, link_base, md_cell)
            # Never wrapped: the defect column stays as wide as what it needs, however long the test names.
            needs = _nowrap(f"needs: {_needs(d.rules)}")
            head = f"{_nowrap(_defect_mark(d))}&nbsp;{name}<br><sub>{needs}</sub>"
        mock = _cell(er.matches.get("mock"), False, terms)
        real = _cell(er.matches.get("real"), evidence_missing(er, "real"), terms)
        yield f"| {head} | {md_cell(er.entry.test)} | {er.entry.kind} | {mock} | {real} |"


def _defect_items(d: DefectResult, link_base: str | None, terms: set[str]) -> Iterator[str]:
    """One defect as a line and a list, for a column too narrow for the table (the PR comment):
    one item per declared test, its results first, only in the jobs it lists."""
    yield f"{_defect_mark(d)} **{_defect_name(d, link_base)}**<br>needs: {_needs(d.rules)}"
    yield ""
    for er in d.entries:
        results = []
        for job, m in er.matches.items():
            r = _result(m, evidence_missing(er, job), terms)
            text = f"{JOB_WORDS.get(job, md(job))}: {r.label}"
            details = f" ({', '.join(r.details)})" if r.details else ""
            results.append(f"{r.icon} " + (f"**{text}**" if r.problem else text) + details)
        yield f"- {' · '.join(results)} — {er.entry.kind} “{md(er.entry.test)}”"
    yield ""


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
    "| Defect | Declared test | Kind | Mock | Real&nbsp;API |",
    "|---|---|---|---|---|",
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


def _table(defects: list[DefectResult], link_base: str | None, terms: set[str]) -> Iterator[str]:
    yield from _DEFECT_HEADER
    for d in defects:
        yield from _defect_rows(d, link_base, terms)
    yield ""


def _lists(defects: list[DefectResult], link_base: str | None, terms: set[str]) -> Iterator[str]:
    for d in defects:
        yield from _defect_items(d, link_base, terms)


_LAYOUTS = {"table": _table, "list": _lists}


def _defects(defects: tuple[DefectResult, ...], link_base: str | None, layout: str) -> Iterator[str]:
    render = _LAYOUTS[layout]
    terms: set[str] = set()
    # By issue number: files come in path order, where ISSUE-10 sorts before ISSUE-2.
    ordered = sorted(defects, key=lambda d: d.defect.issue)
    if sum(len(d.entries) for d in ordered) <= COLLAPSE_ROWS:  # one row per declared test
        yield from render(ordered, link_base, terms)
    else:
        # Long report: what blocks the release stays open; the defects that qualified fold away.
        failing = [d for d in ordered if not d.qualified]
        passing = [d for d in ordered if d.qualified]
        if failing:
            yield from render(failing, link_base, terms)
        if passing:
            tests = sum(len(d.entries) for d in passing)
            summary = f"✅ {_plural(len(passing), 'qualified defect')}, {_plural(tests, 'declared test')}"
            yield from _details(summary, render(passing, link_base, terms))
    # Reached only once every row above was rendered, so `terms` holds all the words they used.
    yield from _legend(terms)


def _legend(terms: set[str]) -> Iterator[str]:
    if terms:
        explained = " ".join(f"*{term}*: {_code_spans(md(_TERMS[term], 500))}" for term in sorted(terms))
        yield from (f"<sub>{explained}</sub>", "")


def _finding_section(title: str, findings: list[Finding], *, keep_open: int, noun: str) -> Iterator[str]:
    yield from (f"### {title}", "")
    yield from (_finding_line(f) for f in findings[:keep_open])
    yield ""
    rest = findings[keep_open:]
    if rest:
        more = "more " if keep_open else ""
        yield from _details(_plural(len(rest), more + noun), (_finding_line(f) for f in rest))


def render_summary(verdict: Verdict, link_base: str | None = None) -> str:
    """The job summary Markdown (also the check run's text). `link_base` (e.g.
    https://github.com/o/r/blob/SHA) makes the TRACKING.md links absolute."""
    return _fit_lines(_summary_lines(verdict, link_base, "table"))


def render_markdown(verdict: Verdict, link_base: str | None, *, layout: str, max_chars: int) -> str:
    """The report in `layout` ("table", or "list" for the PR comment's narrow column), rendered only
    as far as `max_chars` characters and one line more: the caller cuts it with its own note."""
    kept: list[str] = []
    size = -1
    for line in _summary_lines(verdict, link_base, layout):
        kept.append(line)
        size += len(line) + 1
        if size > max_chars:
            break
    return "\n".join(kept)


def _summary_lines(verdict: Verdict, link_base: str | None, layout: str = "table") -> Iterator[str]:
    problems = verdict.problems
    every_warning = verdict.warnings
    setup = [f for f in every_warning if f.code in SETUP_CODES]
    warnings = [f for f in every_warning if f.code not in SETUP_CODES]
    if verdict.qualified:
        head = "## ✅ Release qualified"
        if any(f.code == "exception-applied" for f in warnings):
            head += " — with exceptions"
    else:
        head = f"## ❌ Release not qualified — {_plural(len(problems), 'problem')}"
    yield from (head, "")
    if verdict.defects:
        yield from _defects(verdict.defects, link_base, layout)
        flows = _flow_lines(list(verdict.defects))
        if flows:
            yield from ("### Scenario steps in the real-API traces", "")
            yield from flows[:COLLAPSE_ROWS]
            yield ""
            if len(flows) > COLLAPSE_ROWS:
                yield from _details(f"{len(flows) - COLLAPSE_ROWS} more scenario test(s)", flows[COLLAPSE_ROWS:])
    if problems:
        yield from _finding_section("What to fix", problems, keep_open=COLLAPSE_ROWS, noun="problem")
    if warnings:
        # Warnings never block: past a few they fold away entirely.
        keep = len(warnings) if len(warnings) <= COLLAPSE_ROWS else 0
        yield from _finding_section("Warnings", warnings, keep_open=keep, noun="warning")
    counts = verdict.counts
    if counts:
        yield "| Results | Files | Testcases | Passed | Failed | Skipped | Flaky |"
        yield "|---|---|---|---|---|---|---|"
        for job, c in counts.items():
            name = JOB_WORDS.get(job, md(job))
            yield f"| {name} | {c.files} | {c.testcases} | {c.passed} | {c.failed} | {c.skipped} | {c.flaky} |"
        yield ""
    if setup:
        summary = f"ℹ️ Token and permissions: {_plural(len(setup), 'note')} (what qualify could not do through the API)"
        yield from _details(summary, (_finding_line(f) for f in setup))


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
