"""Plain data shared by the core: test results, declarations, findings and the verdict."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum

JOBS: tuple[str, ...] = ("mock", "real")
KINDS: tuple[str, ...] = ("scenario", "probe", "regression")


class Outcome(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"


class Status(StrEnum):
    """What one declared test amounts to in one job, after all its matching testcases are combined."""

    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"
    NOT_FOUND = "not-found"


@dataclass(frozen=True, slots=True)
class TestCase:
    """One <testcase> element as read from a results file; only what the verdict needs."""

    __test__ = False  # not a pytest class

    job: str
    name: str
    classname: str
    suites: tuple[str, ...]
    file: str | None
    outcome: Outcome
    flaky: bool
    source: str
    line: int
    # Captured only for declared testcases, and only when some entry declares `evidence` or some defect
    # lists scenario steps or sets `events` (bounded).
    properties: tuple[tuple[str, str], ...] = ()
    output: str = ""
    # Files the results reference for this testcase, as written (e.g. `[[ATTACHMENT|path]]` lines in
    # JUnit system-out); captured with `output`, read only when a trace is needed (bounded count).
    attachments: tuple[str, ...] = ()


@dataclass(slots=True)
class JobCounts:
    files: int = 0
    testcases: int = 0
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    flaky: int = 0

    def add(self, case: TestCase) -> None:
        self.testcases += 1
        if case.outcome is Outcome.PASSED:
            self.passed += 1
            if case.flaky:
                self.flaky += 1
        elif case.outcome is Outcome.FAILED:
            self.failed += 1
        else:
            self.skipped += 1

    def merge(self, other: JobCounts) -> None:
        self.files += other.files
        self.testcases += other.testcases
        self.passed += other.passed
        self.failed += other.failed
        self.skipped += other.skipped
        self.flaky += other.flaky

    @property
    def executed(self) -> int:
        return self.passed + self.failed


EVIDENCE_JOB = "real"


@dataclass(frozen=True, slots=True)
class Evidence:
    """One `evidence:` item: a JUnit property (name, value regex) or system-out regex a real run must carry."""

    property: str | None  # None: the item is about system-out
    pattern: str | None  # regex for re.search; None: the property only has to be present
    line: int

    def describe(self) -> str:
        if self.property is None:
            return f"output matching /{self.pattern}/"
        if self.pattern is None:
            return f"property {self.property!r}"
        return f"property {self.property!r} matching /{self.pattern}/"


class EvidenceStatus(StrEnum):
    """A declared test's `evidence:` in one job (see EntryResult.evidence)."""

    NOT_DECLARED = "not-declared"  # no `evidence:`, or not the job it is about (the real-API one)
    CARRIED = "carried"  # a passing run carried every item
    MISSING = "missing"  # it passed, but no passing run carried every item: the entry does not count
    NOT_JUDGED = "not-judged"  # no run passed: the failure or skip is the problem, not the evidence


@dataclass(frozen=True, slots=True)
class Step:
    """One step of a partner's scenario: a line of the scenario test's trace must match `pattern`."""

    name: str
    pattern: str  # regex for re.search on one trace line
    line: int


@dataclass(frozen=True, slots=True)
class CoverageEntry:
    test: str
    file: str | None
    kind: str
    jobs: tuple[str, ...]
    line: int
    evidence: tuple[Evidence, ...] = ()


@dataclass(frozen=True, slots=True)
class Waiver:
    """The `exception:` block: a time-limited, approved release without the required coverage."""

    reason: str
    approved_by: str
    expires: dt.date
    line: int


@dataclass(frozen=True, slots=True)
class Defect:
    issue: int
    title: str
    areas: tuple[str, ...]
    partner: str | None
    scenario: str | None  # the partner's flow as words; for a list of steps, their names joined by →
    coverage: tuple[CoverageEntry, ...]
    waiver: Waiver | None
    tracking: str
    line: int
    steps: tuple[Step, ...] = ()  # when `scenario` lists steps: what the scenario test's trace must show
    scenario_line: int | None = None
    events: str | None = None  # regex whose group 1 names an event in a trace line (mock drift)
    events_line: int | None = None


@dataclass(frozen=True, slots=True)
class Finding:
    """A problem (blocks the release) or a warning, located where a person can fix it."""

    code: str
    message: str
    severity: str = "error"
    issue: int | None = None
    test: str | None = None
    job: str | None = None
    file: str | None = None
    line: int | None = None
    hint: str | None = None
    waived: bool = False
    closest: tuple[str, ...] = ()  # for test-not-found: the nearest titles that do exist in that job
    did_you_mean: str | None = None  # for test-not-found: what `test:` could say to match the nearest one
    # Whether this finding blocks the release: an error that no `exception:` waives. Every count,
    # section, annotation level and check conclusion reads this; nothing restates the rule. Worked
    # out once, when the finding is made (replace() makes a new one): reports read it per finding.
    blocking: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "blocking", self.severity == "error" and not self.waived)

    def as_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "issue": self.issue,
            "test": self.test,
            "job": self.job,
            "file": self.file,
            "line": self.line,
            "hint": self.hint,
            "waived": self.waived,
            "closest": list(self.closest),
            "did_you_mean": self.did_you_mean,
        }


@dataclass(frozen=True, slots=True)
class TrackingRead:
    """The outcome of reading one TRACKING.md: a defect, nothing declared, or an invalid block."""

    path: str
    defect: Defect | None = None
    invalid: Finding | None = None
    issue_hint: int | None = None  # issue number guessed from the path, for undeclared files


@dataclass(slots=True)
class Match:
    """The testcases one declared test matched in one job (bounded sample plus totals)."""

    total: int = 0
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    flaky: int = 0
    word_boundary: int = 0  # matched only at a word boundary (space-joined names)
    file_unverified: int = 0  # matched by title only because the results carry no file
    evidenced: int = 0  # passed runs in the real job carrying every `evidence` item of the entry
    evidence_hits: list[int] = field(default_factory=list)  # per evidence item: passed runs carrying it
    examples: list[TestCase] = field(default_factory=list)
    flow: FlowRecord | None = None  # the scenario steps in the traces of passed runs (real job, listed steps)
    events: EventsRecord | None = None  # the events in the traces of passed runs (defects that set `events`)

    @property
    def status(self) -> Status:
        if self.total == 0:
            return Status.NOT_FOUND
        if self.failed:
            return Status.FAILED
        if self.passed == 0:
            return Status.SKIPPED
        return Status.PASSED


@dataclass(frozen=True, slots=True)
class StepSeen:
    """Where one scenario step was seen in a trace (`where` is None when it was not)."""

    name: str
    line: int  # the step's line in TRACKING.md
    seen: bool
    where: str | None = None  # e.g. "system-out line 3", "attachment trace.log line 12"


@dataclass(frozen=True, slots=True)
class TraceNote:
    """An attachment that was not read, or not read whole, and why (never its content)."""

    path: str
    reason: str


@dataclass(slots=True)
class FlowRecord:
    """The scenario steps in the traces of one declared test's passed runs in the real job."""

    checked: int = 0  # passed runs whose trace was read and searched
    complete: int = 0  # of those, runs whose trace shows every step, in order
    unchecked: int = 0  # passed runs not searched (MAX_TRACED_RUNS reached)
    steps: tuple[StepSeen, ...] = ()  # the best run: the most steps seen, first complete one
    problem: str | None = None  # the best run's first missing or out-of-place step, in words
    case: TestCase | None = None  # the best run's testcase (without its output)
    notes: tuple[TraceNote, ...] = ()  # the best run's attachments that were not read, and why


@dataclass(slots=True)
class EventsRecord:
    """The events, in first-appearance order, of the first passed run whose trace shows any."""

    checked: int = 0  # passed runs whose trace was read and searched
    order: tuple[str, ...] = ()
    truncated: bool = False  # more distinct events than are kept: the rest are not listed
    case: TestCase | None = None  # the run the order comes from (without its output)
    notes: tuple[TraceNote, ...] = ()


@dataclass(frozen=True, slots=True)
class EntryResult:
    entry: CoverageEntry
    matches: dict[str, Match]  # job -> what matched there, for each job the entry lists

    def evidence(self, job: str) -> EvidenceStatus:
        """What the entry's `evidence:` amounts to in `job`: the policy, the renderers and the JSON
        report all ask this, so "evidence missing" means one thing everywhere."""
        if job != EVIDENCE_JOB or not self.entry.evidence:
            return EvidenceStatus.NOT_DECLARED
        match = self.matches.get(job)
        if match is None:
            return EvidenceStatus.NOT_DECLARED
        if match.evidenced:
            return EvidenceStatus.CARRIED
        if match.status is Status.PASSED:
            return EvidenceStatus.MISSING
        return EvidenceStatus.NOT_JUDGED


@dataclass(frozen=True, slots=True)
class Candidate:
    """A test whose title mentions the defect's issue but that no coverage entry declares."""

    name: str
    jobs: tuple[str, ...]
    file: str | None
    source: str
    line: int


@dataclass(frozen=True, slots=True)
class DefectResult:
    defect: Defect
    rules: tuple[str, ...]
    entries: tuple[EntryResult, ...]
    findings: tuple[Finding, ...]
    undeclared: tuple[Candidate, ...] = ()
    undeclared_more: int = 0  # further mentioning testcases left out of `undeclared` (bounded)

    @property
    def problems(self) -> list[Finding]:
        return [f for f in self.findings if f.blocking]

    @property
    def qualified(self) -> bool:
        return not self.problems


@dataclass(frozen=True, slots=True)
class Verdict:
    defects: tuple[DefectResult, ...]
    findings: tuple[Finding, ...]  # findings that belong to no single declared defect
    counts: dict[str, JobCounts]
    not_declared: tuple[str, ...]

    @property
    def all_findings(self) -> list[Finding]:
        out = list(self.findings)
        for d in self.defects:
            out.extend(d.findings)
        return out

    @property
    def problems(self) -> list[Finding]:
        return [f for f in self.all_findings if f.blocking]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.all_findings if not f.blocking]

    @property
    def qualified(self) -> bool:
        return not self.problems
