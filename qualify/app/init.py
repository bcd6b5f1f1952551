"""`qualify init ISSUE`: a ready-to-paste `qualify` block filled with the tests that mention the issue.

The core (`gather`, `render_block`) is pure; `run_init` is the thin I/O shell the CLI calls. The
block is generated text, so every untrusted title is written as a quoted YAML scalar that our own
`parse_tracking` reads back unchanged.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from qualify.core.matching import canonical, mentioned_issues
from qualify.core.model import JOBS, JobCounts, Outcome, TestCase
from qualify.errors import QualifyError
from qualify.results.junit import read_testcases
from qualify.workspace import expand

MAX_TESTS = 200  # entries written; a block longer than this is not reviewed by anyone
# Characters PyYAML refuses even inside quotes: written as \u escapes instead.
_NOT_PRINTABLE = re.compile("[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


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


def yaml_string(text: str) -> str:
    """A double-quoted YAML scalar: JSON string syntax, non-printable characters escaped."""
    quoted = json.dumps(text, ensure_ascii=False)
    return _NOT_PRINTABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", quoted)


def _seen_comment(seen: Seen) -> str:
    parts = []
    for job in JOBS:
        outcomes = seen.outcomes.get(job)
        if outcomes:
            order = [o for o in (Outcome.PASSED, Outcome.FAILED, Outcome.SKIPPED) if o in outcomes]
            parts.append(f"{job} {'/'.join(order)}")
    return "seen: " + ", ".join(parts)


def render_block(issue: int, gathered: Gathered) -> str:
    """The front-matter block for a new TRACKING.md. Requires at least one test."""
    lines = [
        "---",
        "qualify:",
        f"  issue: {issue}",
        "  # title: one line for reports",
        "  # area: [proxy]        # backend/proxy defects need a declared test passing against the real API",
        "  # partner: NAME        # partner-reported: needs a `kind: scenario` test passing in the real job",
        "  # scenario: the partner's flow, step by step",
        "  coverage:",
    ]
    for seen in gathered.tests:
        # A job that only skipped it would fail the block at once (test-skipped): list where it ran.
        ran = [j for j in JOBS if seen.outcomes.get(j, set()) - {str(Outcome.SKIPPED)}]
        jobs = ran or [j for j in JOBS if j in seen.outcomes]
        lines.append(f"    - test: {yaml_string(seen.title)}")
        if seen.file:
            lines.append(f"      file: {yaml_string(seen.file)}")
        lines.append("      kind: regression  # scenario | probe | regression")
        lines.append(f"      jobs: [{', '.join(jobs)}]  # {_seen_comment(seen)}")
    if gathered.more:
        lines.append(f"  # {gathered.more} more test title(s) mention #{issue} and were left out")
    lines.append("---")
    return "\n".join(lines) + "\n"


def run_init(
    issue: int,
    globs: dict[str, list[str]],
    workspace: Path,
    out: TextIO,
    err: TextIO,
    *,
    allow_outside: bool = False,
) -> int:
    """Read both jobs' results, print the block. 0 printed, 1 no test mentions the issue."""
    gatherer = Gatherer(issue)
    counts = {job: JobCounts() for job in JOBS}
    for job in JOBS:
        files = expand(globs[job], workspace, what=f"{job} results", allow_outside=allow_outside)
        if not files:
            shown = ", ".join(repr(g) for g in globs[job]) or "(none given)"
            raise QualifyError(f"--{job}-results {shown} matched no file under {workspace}")
        for path, display in files:
            for case in read_testcases(str(path), display, job, counts[job], keep=gatherer.wants):
                gatherer.add(case)
    gathered = gatherer.result()
    if not gathered.tests:
        read = ", ".join(f"{job}: {counts[job].testcases} testcases" for job in JOBS)
        err.write(
            f"qualify init: no test title mentions #{issue} (as `#{issue}`, `Issue {issue}` or `ISSUE-{issue}`) "
            f"in the results ({read}); name the tests after the issue, or write the block by hand\n"
        )
        return 1
    out.write(render_block(issue, gathered))
    return 0
