"""`qualify init ISSUE`: a ready-to-paste `qualify` block filled with the tests that mention the issue.

The core (`gather`, `render_block`) is pure; `run_init` is the thin I/O shell the CLI calls. The
block is generated text, so every untrusted title is written as a quoted YAML scalar that our own
`parse_tracking` reads back unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from qualify.core.evaluate import Filter
from qualify.core.matching import canonical, mentioned_issues
from qualify.core.model import JOBS, Defect, JobCounts, Outcome, Step, TestCase
from qualify.results.read import FileResults
from qualify.settings import ReadingLimits, Sources
from qualify.tracking.writer import regex_scalar, yaml_string
from qualify.workspace import find

MAX_TESTS = 200  # entries written; a block longer than this is not reviewed by anyone


@dataclass(slots=True)
class Seen:
    """One title (and file, when known) that mentions the issue, and where it ran."""

    title: str
    file: str | None
    outcomes: dict[str, set[str]] = field(default_factory=dict)  # job -> outcomes seen there


@dataclass(slots=True)
class Gathered:
    tests: list[Seen]
    more: int = 0  # further titles left out (MAX_TESTS)


MAX_FILES = 20  # files kept per title


class Gatherer:
    """Streams testcases in, keeps only those mentioning `issue`, in bounded memory."""

    def __init__(self, issue: int) -> None:
        self.issue = issue
        self._by_title: dict[str, dict[str | None, Seen]] = {}
        self._more: set[str] = set()

    def wants(self, name: str, _element: object = None) -> bool:  # the reader's `keep(name, element)`
        return self.issue in mentioned_issues(name)

    def add(self, case: TestCase) -> None:
        if not self.wants(case.name):
            return
        title = canonical(case.name)
        files = self._by_title.get(title)
        if files is None:
            if len(self._by_title) >= MAX_TESTS:
                if len(self._more) < MAX_TESTS:
                    self._more.add(title)
                return
            files = self._by_title[title] = {}
        seen = files.get(case.file)
        if seen is None:
            if len(files) >= MAX_FILES:
                return
            seen = files[case.file] = Seen(title=title, file=case.file)
        seen.outcomes.setdefault(case.job, set()).add(str(case.outcome))

    def result(self) -> Gathered:
        """One entry per title, or per (title, file) where a title sits in several files."""
        tests: list[Seen] = []
        for files in self._by_title.values():
            known = [s for f, s in files.items() if f is not None]
            unknown = files.get(None)
            if unknown is not None and len(known) == 1:
                # Same title, one job wrote its file and the other did not: one entry, narrowed by file.
                for job, outcomes in unknown.outcomes.items():
                    known[0].outcomes.setdefault(job, set()).update(outcomes)
                unknown = None
            tests += known
            if unknown is not None:
                tests.append(unknown)
        return Gathered(tests=tests, more=len(self._more))


def gather(cases: Iterable[TestCase], issue: int) -> Gathered:
    g = Gatherer(issue)
    for case in cases:
        g.add(case)
    return g.result()


# Arrows people write between the steps of a flow: `connect → Settings`, `a -> b`, `a => b`.
_ARROWS = re.compile(r"\s*(?:→|->|=>|⇒|⟶|➔)\s*")
_PLAIN_KEY = re.compile(r"[A-Za-z][A-Za-z0-9 _.-]*")
EVENTS_EXAMPLE = """\'"type":\\s*"([\\w.]+)"\'"""


@dataclass(frozen=True, slots=True)
class Known:
    """What an existing declaration of the issue (or the command line) already says: kept in the block."""

    title: str = ""
    areas: tuple[str, ...] = ()
    partner: str | None = None
    scenario: str | None = None
    steps: tuple[Step, ...] = ()
    events: str | None = None

    @classmethod
    def of(cls, defect: Defect) -> Known:
        return cls(defect.title, defect.areas, defect.partner, defect.scenario, defect.steps, defect.events)


def scenario_steps(sentence: str) -> list[str]:
    """The step names of a flow written with arrows (`connect → Settings → user message`); [] without arrows."""
    names = [" ".join(part.split()) for part in _ARROWS.split(sentence)]
    return names if len(names) > 1 and all(names) else []


def _key(name: str) -> str:
    return name if _PLAIN_KEY.fullmatch(name) and name.strip() == name else yaml_string(name)


def _scenario_lines(known: Known) -> list[str]:
    if known.steps:
        lines = ["  scenario:"]
        lines += [f"    - {_key(s.name)}: {regex_scalar(s.pattern)}" for s in known.steps]
        return lines
    example = [
        "  # scenario:             # the partner's flow: each step, in order, with a regex a line of the",
        "  #   - connect: 'session\\.created'     # scenario test's trace must match (docs/runners.md)",
        "  #   - function call: 'response\\.function_call_arguments\\.done'",
    ]
    if not known.scenario:
        return example
    lines = [f"  scenario: {yaml_string(known.scenario)}"]
    names = scenario_steps(known.scenario)
    if not names:
        return [
            "  # A sentence: the gate cannot check that the scenario test ran it (scenario-unverified); list",
            "  # the steps instead, in order, each with a regex a line of the test's trace must match",
            "  # (`- connect: 'session\\.created'`; docs/runners.md):",
            *lines,
        ]
    lines = [
        "  # A sentence: the gate cannot check that the scenario test ran it (scenario-unverified). To let it",
        "  # check the flow in the test's trace, replace it with the steps below, each with a regular",
        "  # expression a line of the trace must match, in order (docs/runners.md):",
        *lines,
        "  # scenario:",
    ]
    lines += [f"  #   - {_key(name)}: 'TODO: regex'" for name in names]
    return lines


def _header(issue: int, known: Known | None) -> list[str]:
    known = known or Known()
    lines = ["---", "qualify:", f"  issue: {issue}"]
    lines.append(f"  title: {yaml_string(known.title)}" if known.title else "  # title: one line for reports")
    if known.areas:
        lines.append(f"  area: [{', '.join(yaml_string(a) for a in known.areas)}]")
    else:
        lines.append(
            "  # area: [proxy]        # backend/proxy defects need a declared test passing against the real API"
        )
    if known.partner:
        lines.append(f"  partner: {yaml_string(known.partner)}")
    else:
        lines.append(
            "  # partner: NAME        # partner-reported: needs a `kind: scenario` test passing in the real job"
        )
    lines += _scenario_lines(known)
    if known.events:
        lines.append(f"  events: {regex_scalar(known.events)}")
    else:
        lines.append(f"  # events: {EVENTS_EXAMPLE}  # compare the order of events in mock and real traces")
    return lines


def seen_note(outcomes: dict[str, set[str]]) -> str:
    """`seen: mock passed, real skipped`: what each job did with a test (job -> outcomes seen there)."""
    parts = []
    for job in JOBS:
        found = outcomes.get(job)
        if found:
            order = [o for o in (Outcome.PASSED, Outcome.FAILED, Outcome.SKIPPED) if o in found]
            parts.append(f"{job} {'/'.join(order)}")
    return "seen: " + ", ".join(parts)


def ran_jobs(outcomes: dict[str, set[str]]) -> list[str]:
    """The jobs to declare for a test: where it ran; where it was seen when it was only ever skipped.

    A job that only skipped it would fail the block at once (test-skipped), so it is left to the
    `# seen:` note, unless no job ran it at all (then the block says so: test-skipped).
    """
    ran = [j for j in JOBS if outcomes.get(j, set()) - {str(Outcome.SKIPPED)}]
    return ran or [j for j in JOBS if j in outcomes]


def render_block(issue: int, gathered: Gathered, known: Known | None = None) -> str:
    """The front-matter block for a new TRACKING.md, keeping what `known` already says (title, area,
    partner, scenario, events); a scenario written with arrows gets its steps proposed as comments.
    Requires at least one test."""
    lines = [*_header(issue, known), "  coverage:"]
    for seen in gathered.tests:
        jobs = ran_jobs(seen.outcomes)
        lines.append(f"    - test: {yaml_string(seen.title)}")
        if seen.file:
            lines.append(f"      file: {yaml_string(seen.file)}")
        lines.append("      kind: regression  # scenario | probe | regression")
        lines.append(f"      jobs: [{', '.join(jobs)}]  # {seen_note(seen.outcomes)}")
    if gathered.more:
        lines.append(f"  # {gathered.more} more test title(s) mention #{issue} and were left out")
    lines.append("---")
    return "\n".join(lines) + "\n"


def existing(issue: int, tracking: list[str], workspace: Path, *, allow_outside: bool = False) -> Known | None:
    """What the issue's current declaration says, if a TRACKING.md under `tracking` declares it validly."""
    from qualify.app.check import read_tracking_file

    for f in find(tracking, workspace, what="TRACKING.md", allow_outside=allow_outside):
        read = read_tracking_file(f.real, f.display)
        if read.defect is not None and read.defect.issue == issue:
            return Known.of(read.defect)
    return None


def run_init(
    issue: int,
    globs: dict[str, list[str]],
    workspace: Path,
    out: TextIO,
    err: TextIO,
    *,
    allow_outside: bool = False,
    typed_outside: bool = False,
    known: Known | None = None,
) -> int:
    """Read both jobs' results, print the block. 0 printed, 1 no test mentions the issue."""
    from qualify.app.check import plan_results  # the check's own guards: sizes, empty files, paths

    gatherer = Gatherer(issue)
    where = Sources(
        workspace=workspace,
        mock=tuple(globs["mock"]),
        real=tuple(globs["real"]),
        allow_outside_workspace=allow_outside,
        typed_outside_workspace=typed_outside,
    )
    plan, total = plan_results(where, ReadingLimits())
    counts = {job: JobCounts() for job in JOBS}
    # The check's reading, with the gatherer as the filter: only titles mentioning the issue are kept.
    wanted = Filter(keep=gatherer.wants, capture=None, traces=False)
    for batch in FileResults(plan, total, workspace).batches(lambda job, logged: wanted):
        counts[batch.job].merge(batch.counts)
        for case in batch.cases:
            gatherer.add(case)
    gathered = gatherer.result()
    if not gathered.tests:
        read = ", ".join(f"{job}: {counts[job].testcases} testcases" for job in JOBS)
        err.write(
            f"qualify init: no test title mentions #{issue} (as `#{issue}`, `Issue {issue}` or `ISSUE-{issue}`) "
            f"in the results ({read}); name the tests after the issue, or write the block by hand\n"
        )
        return 1
    out.write(render_block(issue, gathered, known))
    return 0
