"""Builders for the pure-core tests: declarations and testcases without files."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from qualify.core.model import CoverageEntry, Defect, Evidence, Outcome, Step, TestCase, Waiver  # noqa: E402

EXAMPLES = ROOT / "examples"
TODAY = dt.date(2026, 11, 25)


def entry(
    test: str, *, file: str | None = None, kind: str = "regression", jobs=("mock", "real"), line: int = 5, evidence=()
) -> CoverageEntry:
    return CoverageEntry(test=test, file=file, kind=kind, jobs=tuple(jobs), line=line, evidence=tuple(evidence))


def prop(name: str, pattern: str | None = None) -> Evidence:
    return Evidence(property=name, pattern=pattern, line=7)


def output(pattern: str) -> Evidence:
    return Evidence(property=None, pattern=pattern, line=8)


def steps(*pairs: tuple[str, str], first_line: int = 20) -> tuple[Step, ...]:
    """Scenario steps (name, pattern), on consecutive TRACKING.md lines from `first_line`."""
    return tuple(Step(name, pattern, first_line + i) for i, (name, pattern) in enumerate(pairs))


def defect(
    *entries: CoverageEntry,
    issue: int = 462,
    areas=(),
    partner=None,
    scenario=None,
    waiver=None,
    steps=(),
    events=None,
    title: str = "t",
) -> Defect:
    if steps and scenario is None:
        scenario = " → ".join(s.name for s in steps)
    return Defect(
        issue=issue,
        title=title,
        areas=tuple(areas),
        partner=partner,
        scenario=scenario,
        coverage=tuple(entries),
        waiver=waiver,
        tracking=f"docs/issues/ISSUE-{issue}/TRACKING.md",
        line=2,
        steps=tuple(steps),
        scenario_line=19 if scenario else None,
        events=events,
        events_line=30 if events else None,
    )


def waiver(expires: dt.date) -> Waiver:
    return Waiver(reason="no key", approved_by="@rm", expires=expires, line=20)


def case(
    name: str,
    *,
    job: str = "mock",
    classname: str = "",
    suites=(),
    file=None,
    outcome=Outcome.PASSED,
    flaky=False,
    properties=(),
    output: str = "",
) -> TestCase:
    return TestCase(
        job=job,
        name=name,
        classname=classname,
        suites=tuple(suites),
        file=file,
        outcome=outcome,
        flaky=flaky,
        source=f"{job}.xml",
        line=1,
        properties=tuple(properties),
        output=output,
    )


def verdict_of(defects=(), cases=(), *, config=None, reads=None, notes=(), trace_of=None):
    """A verdict through the one pipeline entry (qualify.core.evaluate), from testcases in memory."""
    from qualify.core.evaluate import CaseList, Declarations, evaluate
    from qualify.core.model import TrackingRead
    from qualify.core.policy import PolicyConfig

    reads = reads if reads is not None else [TrackingRead(path=d.tracking, defect=d) for d in defects]
    by_job: dict[str, list] = {}
    for c in cases:
        by_job.setdefault(c.job, []).append(c)
    return evaluate(Declarations(reads, notes), CaseList(by_job, trace_of), config or PolicyConfig(today=TODAY))
