"""The Markdown report: verdict first, then each defect with its declared tests, what to fix, the
warnings and the counts; notes about the token fold away at the end.

Three renderers, two layouts of the same report: a table (one row per declared test) for the job
summary (`summary`) and the check run's text (`check-run`), rendered once for both; and a list per
defect for the pull-request comment (`comment`), whose column is too narrow for the table. Each is
rendered only as far as its size limit lets it show."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import chain
from urllib.parse import quote

from qualify.core.model import DefectResult, EntryResult, EvidenceStatus, Finding, FlowRecord, Match, Status
from qualify.core.policy import RULE_MOCK, RULE_PARTNER, RULE_REAL, flow_incomplete
from qualify.redact import redact, redactor
from qualify.render.report import Report

MAX_CELL = 300
# GitHub rejects a step summary over 1 MiB; stay well under it and say what was cut.
MAX_SUMMARY_BYTES = 900 * 1024
MARKER = "<!-- qualify:sticky-report -->"  # the first line of our pull-request comment: how we find it again
MAX_COMMENT_CHARS = 65_536  # GitHub refuses longer issue comments
MAX_CHECK_TEXT = 65_535  # check run output.summary / output.text
# Past this many table rows (or findings) a report folds the less urgent part into <details>.
COLLAPSE_ROWS = 15
_MD_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_[]|~#"})
_ICON = {Status.PASSED: "✅", Status.FAILED: "❌", Status.SKIPPED: "⏭️", Status.NOT_FOUND: "❓"}


def md(text: str, limit: int = MAX_CELL, redact: Callable[[str], str] | None = None) -> str:
    """Untrusted text as inert Markdown: one line, no HTML, no table breaks, bounded length.
    `redact` (from qualify.redact.redactor) masks secrets first: escaped, they would not be found."""
    if redact is not None:
        text = redact(text)
    text = " ".join(text.split())
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return html.escape(text, quote=False).translate(_MD_SPECIAL)


def md_cell(text: str, limit: int = MAX_CELL, every: int = 24, redact: Callable[[str], str] | None = None) -> str:
    """md() for a table cell: a long unbroken run (ids, URLs) may wrap at <wbr>, so the status
    columns to its right stay on screen instead of behind a horizontal scrollbar."""
    if redact is not None:
        text = redact(text)
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


def _nowrap(words: str) -> str:
    """Our own words kept on one line in a cell (never untrusted text: that goes through md_cell)."""
    return words.replace(" ", "&nbsp;").replace("-", "\u2011")  # U+2011: a hyphen that does not break


def _defect_mark(d: DefectResult) -> str:
    if any(f.code == "exception-applied" for f in d.findings):
        return "⚠️ exception"
    return "✅" if d.qualified else "❌"


_ESCAPED_CODE = re.compile(r"\\`(.+?)\\`")


def _code_spans(escaped: str) -> str:
    """`word` in a message reads as code, not as literal backticks. Works on md() output, where every
    backtick is escaped, so the content between a pair is already inert."""
    return _ESCAPED_CODE.sub(r"<code>\1</code>", escaped)


_DEFECT_HEADER = [
    "| Defect | Declared test | Kind | Mock | Real&nbsp;API |",
    "|---|---|---|---|---|",
]


def _details(summary: str, body: Iterable[str]) -> Iterator[str]:
    """A collapsed section. `summary` is our own text; blank lines let GitHub render the Markdown inside."""
    yield from ("<details>", f"<summary>{summary}</summary>", "")
    yield from body
    yield from ("", "</details>", "")


class _Markdown:
    """One rendering of a verdict in one layout. Untrusted text (titles, test names, messages, paths)
    reaches the Markdown only through md()/md_cell() with `self.redact`, and `link`, which redact it
    before escaping it: escaping puts a backslash before a token's `_` (or <wbr> inside a long word),
    which redaction would no longer recognise."""

    def __init__(self, report: Report, layout: str) -> None:
        self.report = report
        self.layout = layout
        self.redact = redactor(report.secrets)
        self.terms: set[str] = set()  # the words rendered so far that the legend must explain

    def text(self, text: str, limit: int = MAX_CELL) -> str:
        return md(text, limit, self.redact)

    def link(self, path: str) -> str:
        """Where a TRACKING.md link points. The summary and the PR comment are shown on pages whose
        URL is not the repository tree, so a relative link breaks there; with the commit known it is absolute."""
        target = quote(self.redact(path).replace("\\", "/"))
        base = self.report.link_base
        return f"{base}/{target}" if base else target

    def result(self, er: EntryResult, job: str, m: Match) -> _Result:
        """One job's result for one declared test, in words: "❌ failed", with details ("2 runs")."""
        status = m.status
        details = []
        if m.total > 1:
            details.append(f"{m.total} runs")
        if m.flaky:
            details.append("flaky")
        if m.total and m.file_unverified:
            details.append(NO_FILE)
            self.terms.add(NO_FILE)
        if m.total and m.word_boundary == m.total:
            details.append(BY_WORDS)
            self.terms.add(BY_WORDS)
        evidence = er.evidence(job)
        if evidence is EvidenceStatus.MISSING:
            details.append("evidence missing")
        elif evidence is EvidenceStatus.CARRIED:
            details.append("evidence ✓")
        steps_missing = m.flow is not None and flow_incomplete(er, job)
        if m.flow is not None and status is Status.PASSED:
            details.append("steps missing" if steps_missing else "steps ✓")
        label = {Status.NOT_FOUND: "not found"}.get(status, str(status))
        problem = status is not Status.PASSED or evidence is EvidenceStatus.MISSING or steps_missing
        return _Result(_ICON[status], label, tuple(details), problem)

    def result_cell(self, er: EntryResult, job: str) -> str:
        """A job column's cell: the result on one line, its details small below it."""
        m = er.matches.get(job)
        if m is None:
            return f"<sub>{_nowrap(NOT_REQUIRED)}</sub>"  # small: the eye goes to the results
        r = self.result(er, job, m)
        details = f"<br><sub>{', '.join(_nowrap(d) for d in r.details)}</sub>" if r.details else ""
        return f"{r.icon}&nbsp;{_nowrap(r.label)}{details}"

    def defect_name(self, d: DefectResult, escape: Callable[..., str]) -> str:
        """`[#462](TRACKING.md) its title`: the number links to the declaration; no title, the number
        alone. `escape` is md, or md_cell in the table."""
        title = escape(d.defect.title, MAX_TITLE, redact=self.redact) if d.defect.title.strip() else ""
        link = f"[#{d.defect.issue}]({self.link(d.defect.tracking)})"
        return f"{link} {title}" if title else link

    def ladder(self, flow: FlowRecord) -> str:
        """The steps of the best run as a ladder: ✅ seen, ❌ the first missing or out of place, ⬜ not reached."""
        marks = []
        missed = False
        for s in flow.steps:
            icon = "✅" if s.seen else ("⬜" if missed else "❌")
            missed = missed or not s.seen
            marks.append(f"{icon} {self.text(s.name, 100)}")
        return " → ".join(marks)

    def flow_lines(self, defects: Iterable[DefectResult]) -> list[str]:
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
                where = f"`{self.text(case.source, 200)}:{case.line}`"
                runs = f"{flow.complete} of {flow.checked} searched run(s) complete" if flow.checked > 1 else ""
                tail = f" — {_code_spans(self.text(flow.problem, 500))}" if flow.problem and not flow.complete else ""
                lines.append(
                    f"- {state} #{d.defect.issue} “{self.text(er.entry.test, 200)}” "
                    f"({where}{', ' + runs if runs else ''}): {self.ladder(flow)}{tail}"
                )
        return lines

    def defect_rows(self, d: DefectResult) -> Iterator[str]:
        for i, er in enumerate(d.entries):
            head = ""
            if i == 0:
                name = self.defect_name(d, md_cell)
                # Never wrapped: the defect column stays as wide as what it needs, however long the test names.
                needs = _nowrap(f"needs: {_needs(d.rules)}")
                head = f"{_nowrap(_defect_mark(d))}&nbsp;{name}<br><sub>{needs}</sub>"
            mock, real = self.result_cell(er, "mock"), self.result_cell(er, "real")
            test = md_cell(er.entry.test, MAX_CELL, redact=self.redact)
            yield f"| {head} | {test} | {er.entry.kind} | {mock} | {real} |"

    def defect_items(self, d: DefectResult) -> Iterator[str]:
        """One defect as a line and a list, for a column too narrow for the table (the PR comment):
        one item per declared test, its results first, only in the jobs it lists."""
        yield f"{_defect_mark(d)} **{self.defect_name(d, md)}**<br>needs: {_needs(d.rules)}"
        yield ""
        for er in d.entries:
            results = []
            for job, m in er.matches.items():
                r = self.result(er, job, m)
                text = f"{JOB_WORDS.get(job, md(job))}: {r.label}"
                details = f" ({', '.join(r.details)})" if r.details else ""
                results.append(f"{r.icon} " + (f"**{text}**" if r.problem else text) + details)
            yield f"- {' · '.join(results)} — {er.entry.kind} “{md(er.entry.test, MAX_CELL, self.redact)}”"
        yield ""

    def finding_line(self, f: Finding) -> str:
        text = self.text
        where = f" — `{text(f.file, 200)}" + (f":{f.line}`" if f.line else "`") if f.file else ""
        issue = f"#{f.issue} " if f.issue is not None else ""
        test = f"“{text(f.test)}”: " if f.test else ""
        hint = f"<br>→ {text(f.hint, 500)}" if f.hint else ""
        return f"- **{f.code}** {issue}{test}{_code_spans(text(f.message, 500))}{where}{_code_spans(hint)}"

    def finding_section(self, title: str, findings: list[Finding], *, keep_open: int, noun: str) -> Iterator[str]:
        yield from (f"### {title}", "")
        yield from (self.finding_line(f) for f in findings[:keep_open])
        yield ""
        rest = findings[keep_open:]
        if rest:
            more = "more " if keep_open else ""
            yield from _details(_plural(len(rest), more + noun), (self.finding_line(f) for f in rest))

    def defects_part(self, defects: list[DefectResult]) -> Iterator[str]:
        if self.layout == "list":
            for d in defects:
                yield from self.defect_items(d)
            return
        yield from _DEFECT_HEADER
        for d in defects:
            yield from self.defect_rows(d)
        yield ""

    def defects(self, defects: tuple[DefectResult, ...]) -> Iterator[str]:
        # By issue number: files come in path order, where ISSUE-10 sorts before ISSUE-2.
        ordered = sorted(defects, key=lambda d: d.defect.issue)
        if sum(len(d.entries) for d in ordered) <= COLLAPSE_ROWS:  # one row per declared test
            yield from self.defects_part(ordered)
        else:
            # Long report: what blocks the release stays open; the defects that qualified fold away.
            failing = [d for d in ordered if not d.qualified]
            passing = [d for d in ordered if d.qualified]
            if failing:
                yield from self.defects_part(failing)
            if passing:
                tests = sum(len(d.entries) for d in passing)
                summary = f"✅ {_plural(len(passing), 'qualified defect')}, {_plural(tests, 'declared test')}"
                yield from _details(summary, self.defects_part(passing))
        # Reached only once every row above was rendered, so `terms` holds all the words they used.
        if self.terms:
            explained = " ".join(f"*{term}*: {_code_spans(md(_TERMS[term], 500))}" for term in sorted(self.terms))
            yield from (f"<sub>{explained}</sub>", "")

    def body(self) -> Iterator[str]:
        """Everything but the notes about the token: the part the summary and the check run share."""
        verdict = self.report.verdict
        assert verdict is not None
        problems = verdict.problems
        warnings = [f for f in verdict.warnings if f.code not in SETUP_CODES]
        if verdict.qualified:
            head = "## ✅ Release qualified"
            if any(f.code == "exception-applied" for f in warnings):
                head += " — with exceptions"
        else:
            head = f"## ❌ Release not qualified — {_plural(len(problems), 'problem')}"
        yield from (head, "")
        if verdict.defects:
            yield from self.defects(verdict.defects)
            flows = self.flow_lines(verdict.defects)
            if flows:
                yield from ("### Scenario steps in the real-API traces", "")
                yield from flows[:COLLAPSE_ROWS]
                yield ""
                if len(flows) > COLLAPSE_ROWS:
                    yield from _details(f"{len(flows) - COLLAPSE_ROWS} more scenario test(s)", flows[COLLAPSE_ROWS:])
        if problems:
            yield from self.finding_section("What to fix", problems, keep_open=COLLAPSE_ROWS, noun="problem")
        if warnings:
            # Warnings never block: past a few they fold away entirely.
            keep = len(warnings) if len(warnings) <= COLLAPSE_ROWS else 0
            yield from self.finding_section("Warnings", warnings, keep_open=keep, noun="warning")
        counts = verdict.counts
        if counts:
            yield "| Results | Files | Testcases | Passed | Failed | Skipped | Flaky |"
            yield "|---|---|---|---|---|---|---|"
            for job, c in counts.items():
                name = JOB_WORDS.get(job, md(job))
                yield f"| {name} | {c.files} | {c.testcases} | {c.passed} | {c.failed} | {c.skipped} | {c.flaky} |"
            yield ""

    def setup(self) -> Iterator[str]:
        """The notes about the token and the delivery notes, folded away at the end."""
        report = self.report
        assert report.verdict is not None
        # In the order of Report.all_findings, scanning each defect's few findings for the codes
        # only (a long report has tens of thousands; building all_findings again cost more).
        setup = [
            *(f for f in report.verdict.findings if f.code in SETUP_CODES and not f.blocking),
            *report.notes,
            *(f for d in report.verdict.defects for f in d.findings if f.code in SETUP_CODES and not f.blocking),
        ]
        if setup:
            notes_word = _plural(len(setup), "note")
            summary = f"ℹ️ Token and permissions: {notes_word} (what qualify could not do through the API)"
            yield from _details(summary, (self.finding_line(f) for f in setup))


def markdown_lines(report: Report, layout: str = "table") -> Iterator[str]:
    """The whole Markdown report of a verdict, line by line, as far as the caller reads:
    `layout` is "table" (summary, check run) or "list" (the PR comment's narrow column)."""
    rendering = _Markdown(report, layout)
    return chain(rendering.body(), rendering.setup())


def _table_lines(report: Report, *, keep: bool) -> Iterable[str]:
    """markdown_lines(report, "table"), its body rendered once for the check run and the summary
    (they differ only in the delivery notes, which come last). The check run comes first (publishing
    precedes the summary) and `keep`s what it rendered; the summary replays it and renders on from
    there, as far as its own limit. Nothing kept: rendered straight, without the replay's cost."""
    key = ("table", report.link_base, report.secrets)
    memo = report.memo.get(key)
    if isinstance(memo, tuple) and memo[0] is report.verdict:  # the verdict itself, not an id that may be reused
        body: Iterable[str] = memo[1]
    elif keep:
        body = _Replay(_Markdown(report, "table").body())
        report.memo[key] = (report.verdict, body)
    else:
        body = _Markdown(report, "table").body()
    return chain(body, _Markdown(report, "table").setup())


class _Replay:
    """Lines from a generator, generated once and as far as the furthest reader read; each reader
    starts at the first line. Readers take turns (one render, then the next), never interleave."""

    def __init__(self, lines: Iterator[str]) -> None:
        self._source = lines
        self._seen: list[str] = []

    def __iter__(self) -> Iterator[str]:
        yield from self._seen
        seen = self._seen
        for line in self._source:
            seen.append(line)
            yield line


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


def fit_chars(text: str, limit: int) -> str:
    """`text` within `limit` characters (the API's limits count characters), cut at a line break,
    with a note saying so."""
    if len(text) <= limit:
        return text
    room = limit - len(_CUT_NOTE) - len(DETAILS_CLOSE)
    cut = text.rfind("\n", 0, room)
    return close_details(text[: cut if cut > 0 else room]) + _CUT_NOTE


_CUT_NOTE = "\n\n… cut to fit GitHub's size limit; the full report is in the job summary and the JSON report.\n"


def _take_chars(lines: Iterable[str], max_chars: int) -> str:
    """The lines joined, rendered only as far as `max_chars` characters and one line more: enough
    for fit_chars to cut where it would cut the whole text."""
    kept: list[str] = []
    size = -1
    for line in lines:
        kept.append(line)
        size += len(line) + 1
        if size > max_chars:
            break
    return "\n".join(kept)


def error_markdown(report: Report) -> str:
    assert report.error is not None
    message = md(redact(report.error.message, report.secrets), 2000)
    return f"## ❌ Release not qualified — could not evaluate\n\n{message}\n"


class Summary:
    """Renderer `summary`: the job summary (the table layout), under GitHub's 1 MiB limit."""

    name = "summary"

    def render(self, report: Report) -> str:
        if report.error is not None:
            return error_markdown(report)
        return _fit_lines(_table_lines(report, keep=False), MAX_SUMMARY_BYTES)


class CheckRun:
    """Renderer `check-run`: the check run's text, the summary's table cut to the API's limit."""

    name = "check-run"

    def render(self, report: Report) -> str:
        if report.error is not None:
            return fit_chars(error_markdown(report), MAX_CHECK_TEXT)
        return fit_chars(_take_chars(_table_lines(report, keep=True), MAX_CHECK_TEXT), MAX_CHECK_TEXT)


class Comment:
    """Renderer `comment`: the sticky pull-request comment, a list per defect for the conversation
    column (780 px would wrap the table to a few words a line), starting with the marker."""

    name = "comment"

    def render(self, report: Report) -> str:
        if report.error is not None:
            text = error_markdown(report)
        else:
            text = _take_chars(markdown_lines(report, "list"), MAX_COMMENT_CHARS)
        return fit_chars(f"{MARKER}\n{text}", MAX_COMMENT_CHARS)
