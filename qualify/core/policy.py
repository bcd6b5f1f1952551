"""The release rules: declarations + what matched → findings per defect → verdict. Pure."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace

from qualify.core import rules as label_rules
from qualify.core import trace as traces
from qualify.core.matching import SEP, MatchBook, canonical
from qualify.core.model import (
    EVIDENCE_JOB,
    JOBS,
    Candidate,
    Defect,
    DefectResult,
    EntryResult,
    EvidenceStatus,
    Finding,
    JobCounts,
    Match,
    Status,
    TestCase,
    TrackingRead,
    Verdict,
)

RULE_MOCK = "mock-coverage"
RULE_REAL = "real-api"
RULE_PARTNER = "partner-scenario"


@dataclass(frozen=True, slots=True)
class PolicyConfig:
    today: dt.date
    real_api_areas: tuple[str, ...] = label_rules.DEFAULT_REAL_API_AREAS
    requested_issues: tuple[int, ...] = ()
    labels: label_rules.LabelData | None = None  # None: the label check did not run (no token)
    # Issues put on the list by a milestone or label query (issue -> "milestone v1.2"), to say so.
    requested_from: Mapping[int, str] = field(default_factory=dict)


def select_defects(reads: list[TrackingRead], config: PolicyConfig) -> tuple[list[Defect], list[Finding]]:
    """The defects to evaluate (requested ones, or all declared), and findings about the selection."""
    findings: list[Finding] = []
    seen: dict[int, Defect] = {}
    for read in reads:
        if read.invalid is not None:
            findings.append(read.invalid)
            continue
        defect = read.defect
        if defect is None:
            if read.issue_hint is not None and read.issue_hint in config.requested_issues:
                findings.append(
                    Finding(
                        code="tracking-missing",
                        message=f"issue #{read.issue_hint} was requested but {read.path} has no qualify block",
                        issue=read.issue_hint,
                        file=read.path,
                        line=1,
                        hint="add a `qualify:` front-matter block (start one with `qualify init`)",
                    )
                )
            continue
        first = seen.get(defect.issue)
        if first is not None:
            findings.append(
                Finding(
                    code="tracking-invalid",
                    message=f"issue #{defect.issue} is declared twice: here and in {first.tracking}:{first.line}",
                    issue=defect.issue,
                    file=defect.tracking,
                    line=defect.line,
                    hint="keep exactly one TRACKING.md per issue",
                )
            )
            continue
        seen[defect.issue] = defect
    requested = set(config.requested_issues)
    defects = [d for d in seen.values() if not requested or d.issue in requested]
    reported = {f.issue for f in findings}
    missing = sorted(requested - set(seen) - reported)
    declared = declared_list(seen) if missing else ""
    for issue in missing:
        source = config.requested_from.get(issue)
        if source is not None:
            message = f"issue #{issue} is in {source} but no TRACKING.md declares it"
            hint = "every defect of the release needs docs/issues/ISSUE-N/TRACKING.md with a `qualify:` block"
        else:
            message = f"issue #{issue} was requested but no TRACKING.md declares it ({declared})"
            hint = "add docs/issues/ISSUE-N/TRACKING.md with a `qualify:` block, or check --tracking"
        findings.append(Finding(code="tracking-missing", message=message, issue=issue, hint=hint))
    if not defects and not findings:
        findings.append(
            Finding(
                code="tracking-missing",
                message="no TRACKING.md declares a qualify block: there is nothing to qualify",
                hint="check --tracking (default docs/issues/**/TRACKING.md) and add `qualify:` blocks",
            )
        )
    return defects, findings


DECLARED_SHOWN = 10


def declared_list(declared: Iterable[int]) -> str:
    """`declared: #462, #470` (up to DECLARED_SHOWN, then how many more), for a requested issue that is not."""
    issues = sorted(declared)
    if not issues:
        return "no issue is declared"
    shown = ", ".join(f"#{i}" for i in issues[:DECLARED_SHOWN])
    more = len(issues) - DECLARED_SHOWN
    return f"declared: {shown}" + (f" and {more} more" if more > 0 else "")


def not_declared(reads: list[TrackingRead], config: PolicyConfig) -> list[Finding]:
    return [
        Finding(
            code="not-declared",
            severity="warning",
            message=f"{r.path} has no qualify block and is not checked",
            issue=r.issue_hint,
            file=r.path,
            line=1,
        )
        for r in reads
        if r.defect is None and r.invalid is None and r.issue_hint not in config.requested_issues
    ]


def job_findings(counts: dict[str, JobCounts]) -> list[Finding]:
    findings = []
    for job in JOBS:
        c = counts[job]
        if c.testcases == 0:
            findings.append(
                Finding(
                    code="no-results",
                    message=f"the {job} job's results ({c.files} file(s)) hold no testcases",
                    job=job,
                    hint=f"check that --{job}-results points at the JUnit files the {job} job wrote",
                )
            )
    real = counts["real"]
    if real.testcases and not real.executed:
        findings.append(
            Finding(
                code="real-job-ran-nothing",
                message=(f"the real-API results hold no executed test: all {real.testcases} testcases were skipped"),
                job="real",
                hint=(
                    "check that the real-API job really enabled the real API (e.g. USE_REAL_APIS=1) "
                    "and had its API key; skipped real-API tests are not coverage"
                ),
            )
        )
    return findings


def rules_for(defect: Defect, config: PolicyConfig) -> tuple[str, ...]:
    rules = [RULE_MOCK]
    real_label, partner_label = label_rules.added_rules(config.labels, defect.issue)
    if set(defect.areas) & set(config.real_api_areas) or real_label:
        rules.append(RULE_REAL)
    if defect.partner or partner_label:
        rules.append(RULE_PARTNER)
    return tuple(rules)


_ENTRY_CODES = {Status.NOT_FOUND: "test-not-found", Status.SKIPPED: "test-skipped", Status.FAILED: "test-failed"}


def flow_incomplete(er: EntryResult, job: str) -> bool:
    """A passed `kind: scenario` entry whose defect lists steps, with no passed run's trace showing them all."""
    match = er.matches.get(job)
    return match is not None and match.flow is not None and match.status is Status.PASSED and match.flow.complete == 0


def _where(case: TestCase | None) -> str:
    return f"“{case.name}”, {case.source}:{case.line}" if case is not None else "no passed run's trace was read"


def _flow_finding(defect: Defect, er: EntryResult, match: Match, base: dict) -> Finding:
    flow = match.flow
    assert flow is not None
    missing = next((s for s in flow.steps if not s.seen), None)
    problem = flow.problem or "no passed run's trace was searched"
    runs = f"{flow.checked} passed run(s) searched"
    if flow.unchecked:
        runs += f", {flow.unchecked} more not searched (at most {flow.checked} are)"
    unread = "; ".join(f"{n.path}: {n.reason}" for n in flow.notes[:3])
    if len(flow.notes) > 3:
        unread += f"; {len(flow.notes) - 3} more note(s)"
    message = f"the trace does not show the partner's flow: {problem} (testcase {_where(flow.case)}; {runs})"
    if unread:
        message += f"; attachments: {unread}"
    return Finding(
        code="scenario-incomplete",
        message=message,
        hint=(
            "run the partner's whole flow in this test and record it (print each step, or attach the log: "
            "docs/runners.md); a probe of one path is not the scenario. If the test does run it, fix the "
            "step's pattern in TRACKING.md"
        ),
        **{**base, "line": missing.line if missing is not None else base["line"]},
    )


def entry_drift(er: EntryResult) -> traces.Drift | None:
    """How the event orders of the entry's passed mock and real runs differ; None when there are not
    two orders to compare (the defect sets no `events`, a job did not pass, or a trace showed none)."""
    mock, real = er.matches.get("mock"), er.matches.get("real")
    if mock is None or real is None or mock.events is None or real.events is None:
        return None
    if mock.status is not Status.PASSED or real.status is not Status.PASSED:
        return None
    if not mock.events.order or not real.events.order:
        return None
    return traces.drift(mock.events.order, real.events.order)


def _drift_findings(defect: Defect, er: EntryResult) -> list[Finding]:
    """Mock drift: pairs of events the mock and the real run show in opposite orders, and one-sided events."""
    d = entry_drift(er)
    if d is None:
        return []
    mock, real = er.matches["mock"], er.matches["real"]
    assert mock.events is not None and real.events is not None
    files = f"results files {_source(mock.events.case)}, {_source(real.events.case)}"
    base = dict(severity="warning", issue=defect.issue, test=er.entry.test, file=defect.tracking, line=er.entry.line)
    hint = "make the mock send events in the order the real API does (or test both orders)"
    found = [
        Finding(
            code="mock-drift",
            message=f"mock: {y} before {x}; real API: {x} before {y} ({files})",
            hint=hint,
            **base,
        )
        for x, y in d.pairs
    ]
    if d.more_pairs:
        found.append(
            Finding(code="mock-drift", message=f"{d.more_pairs} more pair(s) of events in opposite orders", **base)
        )
    one_sided = [
        f"{label} only: {_some(names)}" for label, names in (("mock", d.mock_only), ("real API", d.real_only)) if names
    ]
    if one_sided:
        found.append(Finding(code="mock-drift", message=f"{'; '.join(one_sided)} ({files})", hint=hint, **base))
    return found


def _source(case: TestCase | None) -> str:
    return case.source if case is not None else "?"


def _some(names: tuple[str, ...]) -> str:
    shown = ", ".join(names[: traces.MAX_ONLY_EVENTS])
    return shown + (f" (+{len(names) - traces.MAX_ONLY_EVENTS} more)" if len(names) > traces.MAX_ONLY_EVENTS else "")


def _evidence_finding(er: EntryResult, match: Match, base: dict) -> Finding:
    passed = match.passed
    items = "; ".join(
        f"{e.describe()} ({hits} of {passed} passing run(s))"
        for e, hits in zip(er.entry.evidence, match.evidence_hits or [0] * len(er.entry.evidence), strict=True)
    )
    return Finding(
        code="evidence-missing",
        message=f"passed in the {EVIDENCE_JOB} job, but no passing run carried all the declared evidence: {items}",
        hint=(
            "make the real-API test record it (Playwright: test.info().annotations.push({type, description}); "
            "pytest: record_property(name, value); or print it to stdout and let the reporter keep system-out), "
            "and check that --real-results holds the real-API run's files"
        ),
        **base,
    )


def _not_found(defect: Defect, er: EntryResult, job: str, book: MatchBook, index: int, ei: int, base: dict) -> Finding:
    entry = er.entry
    where = f" in {entry.file}" if entry.file else ""
    message = f"declared test not found in the {job} job's results{where}"
    hint = f"check the title in TRACKING.md against the test, and that the {job} job ran its file"
    elsewhere = [j for j in JOBS if j != job and book.get(index, ei, j).total]
    if elsewhere:
        other = elsewhere[0]
        message += f"; the title IS in the {other} job's results ({book.get(index, ei, other).total} run(s))"
        hint = (
            f"declared for the {job} job but it ran only in the {other} job: make the {job} job run it "
            f"(e.g. include its file or enable its real-API flag), or correct `jobs:`"
        )
    closest = book.closest_titles(index, ei, job)
    names = tuple(c.name for c in closest)
    suggestion = None
    if closest:
        title = canonical(entry.test)
        if entry.file and any(n == title or n.endswith(SEP + title) for n in names):
            message += f"; a test with this exact title exists in that job, but not in {entry.file}"
            hint = "check `file:` in TRACKING.md: the title matched in another file"
        else:
            best = closest[0]
            suggestion = best.title
            message += f"; did you mean “{best.title}”"
            if best.title != best.name:
                message += f" (full name “{best.name}”)"
            message += "?"
            if len(closest) > 1:
                message += " Other close titles there: " + ", ".join(f"“{c.name}”" for c in closest[1:])
            if not elsewhere:
                why = f"it mentions #{defect.issue}, no entry declares it" if best.same_issue else "the closest title"
                hint = (
                    f"if the test was renamed or reworded ({why}), change `test:` on line {entry.line} of "
                    f"{defect.tracking} to “{best.title}”"
                )
    return Finding(code="test-not-found", message=message, hint=hint, closest=names, did_you_mean=suggestion, **base)


def _entry_finding(
    defect: Defect, er: EntryResult, job: str, match: Match, book: MatchBook, index: int, ei: int
) -> Finding | None:
    status = match.status
    entry = er.entry
    base = dict(issue=defect.issue, test=entry.test, job=job, file=defect.tracking, line=entry.line)
    if status is Status.PASSED:
        if er.evidence(job) is EvidenceStatus.MISSING:
            return _evidence_finding(er, match, base)
        if match.flaky:
            return Finding(
                code="flaky",
                severity="warning",
                message=f"passed only after retries in the {job} job",
                **base,
            )
        return None
    if status is Status.NOT_FOUND:
        return _not_found(defect, er, job, book, index, ei, base)
    if status is Status.SKIPPED:
        hint = f"make the {job} job run it"
        if job == "real":
            hint = "the real-API job skipped it: set the real-API flag (e.g. USE_REAL_APIS=1) and its key"
        return Finding(
            code="test-skipped",
            message=f"declared test was skipped in the {job} job ({match.skipped} skipped)",
            hint=hint,
            **base,
        )
    return Finding(
        code=_ENTRY_CODES[status],
        message=f"declared test failed in the {job} job ({match.failed} of {match.total} matching runs failed)",
        hint="fix the test or the defect: a failing declared test blocks the release",
        **base,
    )


def _passed_in(entries: tuple[EntryResult, ...], job: str, kinds: tuple[str, ...] | None = None) -> bool:
    """Whether a declared test (of `kinds`) passed in `job`, with its evidence. A scenario test must
    also show the partner's flow, when the steps are listed (for the partner rule only: a test that
    ran against the real API covers the real-API rule whatever flow it ran)."""
    return any(
        job in er.matches
        and er.matches[job].status is Status.PASSED
        and er.evidence(job) is not EvidenceStatus.MISSING
        and (kinds is None or er.entry.kind in kinds)
        and not (kinds is not None and flow_incomplete(er, job))
        for er in entries
    )


def _undeclared(defect: Defect, index: int, book: MatchBook) -> tuple[tuple[Candidate, ...], int, list[Finding]]:
    found = book.undeclared_for(index)
    candidates = tuple(
        Candidate(
            name=name,
            jobs=tuple(j for j in JOBS if any(c.job == j for c in cases)),
            file=next((c.file for c in cases if c.file), None),
            source=cases[0].source,
            line=cases[0].line,
        )
        for name, cases in found.cases.items()
    )
    findings = [
        Finding(
            code="undeclared-test",
            severity="warning",
            message=(
                f"mentions #{defect.issue} in its title but no coverage entry declares it "
                f"(seen in {', '.join(c.jobs)}: {c.source}:{c.line})"
            ),
            issue=defect.issue,
            test=c.name,
            file=defect.tracking,
            line=defect.line,
            hint=f"declare it under `coverage:` (`qualify init {defect.issue}` prints a block), or ignore this",
        )
        for c in candidates
    ]
    if found.more:
        findings.append(
            Finding(
                code="undeclared-test",
                severity="warning",
                message=f"{found.more} more testcase(s) mention #{defect.issue} but are not declared (not listed)",
                issue=defect.issue,
                file=defect.tracking,
                line=defect.line,
            )
        )
    return candidates, found.more, findings


@dataclass(frozen=True, slots=True)
class Coverage:
    """What a rule asks of the declared tests: `has(job, kinds)` says whether one (of `kinds`) covers
    `job`. After a run (`outcome`) that means it passed there, with its evidence and flow; before any
    run (`qualify lint`) only that one is declared for the job, so a block that can never qualify
    is flagged by the same rules, in the same words, as the check that would fail it."""

    outcome: bool
    has: Callable[..., bool]


def declared_coverage(defect: Defect) -> Coverage:
    """The coverage a block declares, as if every declared test passed where it is declared to run."""

    def has(job: str, kinds: tuple[str, ...] | None = None) -> bool:
        return any(job in e.jobs and (kinds is None or e.kind in kinds) for e in defect.coverage)

    return Coverage(outcome=False, has=has)


def rule_findings(defect: Defect, rules: tuple[str, ...], config: PolicyConfig, covered: Coverage) -> list[Finding]:
    """The findings of the defect's rules (mock, real API, partner scenario) and of the shape of its
    declarations, given what covers it. `evaluate_defect` passes what the run showed; `qualify lint`
    passes `declared_coverage`, so lint and check never disagree on what a rule needs."""
    at = dict(issue=defect.issue, file=defect.tracking, line=defect.line)
    found: list[Finding] = []
    if not covered.has("mock"):
        found.append(
            Finding(
                code="no-mock-coverage",
                message=(
                    "no declared test passed in the mock job"
                    if covered.outcome
                    else "no declared test runs in the mock job (no `jobs: [mock]`)"
                ),
                hint="declare a regression test with jobs: [mock] and keep it passing in the mock job",
                **at,
            )
        )
    if RULE_REAL in rules and not covered.has("real"):
        areas = (
            ", ".join(sorted(set(defect.areas) & set(config.real_api_areas)))
            or ", ".join(label_rules.real_api_labelled(config.labels, defect.issue) if config.labels else ())
            + " (by label)"
        )
        found.append(
            Finding(
                code="no-real-api-coverage",
                message=(
                    f"{areas} defect: no declared test ran and passed against the real API"
                    if covered.outcome
                    else f"{areas} defect: no declared test runs against the real API (no `jobs: [real]`)"
                ),
                hint="a backend/proxy defect is fixed only when a declared test passes in the real-API job",
                **at,
            )
        )
    if RULE_PARTNER in rules:
        found += _partner_findings(defect, config, covered, at)
    if defect.events and not any({"mock", "real"} <= set(e.jobs) for e in defect.coverage):
        found.append(
            Finding(
                code="mock-drift",
                severity="warning",
                message="`events` is set, but no declared test runs in both jobs: there is no mock run to compare",
                hint="declare the test that records the events with jobs: [mock, real]",
                **{**at, "line": defect.events_line or defect.line},
            )
        )
    return found


def declared_findings(defect: Defect, config: PolicyConfig) -> list[Finding]:
    """What the rules say of a block before any run (`qualify lint`, `qualify adopt`): every declared
    test is taken to pass where it is declared to run, and the block's exception applies as in a
    check. Labels are not known offline (`config.labels` is None): a rule a label adds is not seen."""
    covered = declared_coverage(defect)
    return _apply_waiver(defect, rule_findings(defect, rules_for(defect, config), config, covered), config)


def _partner_findings(defect: Defect, config: PolicyConfig, covered: Coverage, at: dict) -> list[Finding]:
    partner = defect.partner or "by label"
    found: list[Finding] = []
    if not defect.scenario:
        found.append(
            Finding(
                code="scenario-undocumented",
                message=f"partner-reported ({partner}) but `scenario:` does not describe the partner's flow",
                hint="write the partner's flow in `scenario:` (e.g. connect → Settings → user message → …)",
                **at,
            )
        )
    elif not defect.steps:
        found.append(
            Finding(
                code="scenario-unverified",
                severity="warning",
                message=(
                    "`scenario:` is a sentence, so the gate cannot check that the `kind: scenario` test ran "
                    "the partner's flow: any passing test labelled scenario counts"
                ),
                hint=(
                    "list the steps (`scenario:` as `- step name: 'pattern'` items, in order) and record them "
                    "in the test's output; the gate then checks each run's trace (README: Partner scenarios)"
                ),
                **{**at, "line": defect.scenario_line or defect.line},
            )
        )
    if not covered.has("real", ("scenario",)):
        found.append(
            Finding(
                code="partner-scenario-not-covered",
                message=(
                    f"partner-reported ({partner}): no test of kind `scenario` passed in the real-API job"
                    " (probes do not count)"
                    if covered.outcome
                    else f"partner-reported ({partner}): no test of kind `scenario` runs in the real-API job"
                    " (probes do not count)"
                ),
                hint="add an E2E or full-path test of the partner's flow, declared kind: scenario, jobs: [real]",
                **at,
            )
        )
    return found


def evaluate_defect(defect: Defect, index: int, book: MatchBook, config: PolicyConfig) -> DefectResult:
    rules = rules_for(defect, config)
    entries = tuple(
        EntryResult(entry=e, matches={job: book.get(index, ei, job) for job in e.jobs})
        for ei, e in enumerate(defect.coverage)
    )
    findings: list[Finding] = []
    drift: list[Finding] = []
    for ei, er in enumerate(entries):
        for job, match in er.matches.items():
            f = _entry_finding(defect, er, job, match, book, index, ei)
            if f is not None:
                findings.append(f)
            if flow_incomplete(er, job):
                base = dict(issue=defect.issue, test=er.entry.test, job=job, file=defect.tracking, line=er.entry.line)
                findings.append(_flow_finding(defect, er, match, base))
        drift += _drift_findings(defect, er)
    undeclared, more, undeclared_findings = _undeclared(defect, index, book)
    covered = Coverage(outcome=True, has=lambda job, kinds=None: _passed_in(entries, job, kinds))
    findings += rule_findings(defect, rules, config, covered)
    if any(flow_incomplete(er, "real") for er in entries):
        # A scenario test that passed without showing the flow is already `scenario-incomplete`, which says more.
        findings = [f for f in findings if f.code != "partner-scenario-not-covered"]
    findings = _apply_waiver(defect, findings, config)
    # After the waiver: an exception covers missing tests, never labels that could not be read.
    findings += label_rules.findings(defect, config.labels, config.real_api_areas)
    findings += drift
    findings += undeclared_findings
    return DefectResult(
        defect=defect,
        rules=rules,
        entries=entries,
        findings=tuple(findings),
        undeclared=undeclared,
        undeclared_more=more,
    )


def _apply_waiver(defect: Defect, findings: list[Finding], config: PolicyConfig) -> list[Finding]:
    waiver = defect.waiver
    if waiver is None:
        return findings
    at = dict(issue=defect.issue, file=defect.tracking, line=waiver.line)
    if config.today > waiver.expires:
        return [
            *findings,
            Finding(
                code="exception-expired",
                message=f"the exception approved by {waiver.approved_by} expired on {waiver.expires.isoformat()}",
                hint="re-qualify the defect with real coverage, or renew the exception with a new approval",
                **at,
            ),
        ]
    waived = [replace(f, waived=True) if f.severity == "error" else f for f in findings]
    return [
        Finding(
            code="exception-applied",
            severity="warning",
            message=(
                f"qualified by exception until {waiver.expires.isoformat()} "
                f"(approved by {waiver.approved_by}): {waiver.reason}"
                + (f"; {sum(f.waived for f in waived)} problem(s) waived" if any(f.waived for f in waived) else "")
            ),
            **at,
        ),
        *waived,
    ]


def evaluate(
    reads: list[TrackingRead],
    selection_findings: list[Finding],
    book: MatchBook,
    counts: dict[str, JobCounts],
    config: PolicyConfig,
) -> Verdict:
    """The verdict on the defects the book was built for (`book.defects`: its keys are their positions)."""
    results = tuple(evaluate_defect(d, i, book, config) for i, d in enumerate(book.defects))
    findings = [*selection_findings, *job_findings(counts), *not_declared(reads, config)]
    return Verdict(
        defects=results,
        findings=tuple(findings),
        counts=counts,
        not_declared=tuple(r.path for r in reads if r.defect is None and r.invalid is None),
    )
