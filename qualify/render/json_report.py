"""The JSON report: the machine-readable verdict that release workflows and tools consume."""

from __future__ import annotations

from dataclasses import asdict

from qualify import __version__
from qualify.core.model import (
    EVIDENCE_JOB,
    CoverageEntry,
    DefectResult,
    EntryResult,
    EventsRecord,
    Finding,
    FlowRecord,
    Match,
    TestCase,
    TraceNote,
    Verdict,
)
from qualify.core.policy import entry_drift


def _case(case: TestCase) -> dict[str, object]:
    return {
        "name": case.name,
        "classname": case.classname,
        "file": case.file,
        "outcome": str(case.outcome),
        "flaky": case.flaky,
        "source": case.source,
        "line": case.line,
    }


def _evidence(entry: CoverageEntry, m: Match) -> dict[str, object]:
    hits = m.evidence_hits or [0] * len(entry.evidence)
    return {
        "satisfied": m.evidenced > 0,
        "passing_runs_with_all": m.evidenced,
        "items": [
            {"property": e.property, "matches": e.pattern, "output": e.property is None, "passing_runs_with_it": h}
            for e, h in zip(entry.evidence, hits, strict=True)
        ],
    }


def _run(case: TestCase | None) -> dict[str, object] | None:
    return None if case is None else {"name": case.name, "source": case.source, "line": case.line}


def _notes(notes: tuple[TraceNote, ...]) -> list[dict[str, str]]:
    return [{"path": n.path, "reason": n.reason} for n in notes]


def _flow(flow: FlowRecord) -> dict[str, object]:
    return {
        "complete": flow.complete > 0,
        "runs_searched": flow.checked,
        "runs_complete": flow.complete,
        "runs_not_searched": flow.unchecked,
        "problem": flow.problem,
        "testcase": _run(flow.case),
        "unread": _notes(flow.notes),
    }


def _events(events: EventsRecord) -> dict[str, object]:
    return {
        "order": list(events.order),
        "truncated": events.truncated,
        "runs_searched": events.checked,
        "testcase": _run(events.case),
        "unread": _notes(events.notes),
    }


def _drift(er: EntryResult) -> list[dict[str, object]] | None:
    """Pairs of events the mock and the real run show in opposite orders, and one-sided events."""
    if not any(m.events is not None for m in er.matches.values()):
        return None
    d = entry_drift(er)
    if d is None:
        return []
    out: list[dict[str, object]] = [{"mock": [y, x], "real": [x, y]} for x, y in d.pairs]
    if d.more_pairs:
        out.append({"more_pairs": d.more_pairs})
    if d.mock_only:
        out.append({"mock_only": list(d.mock_only)})
    if d.real_only:
        out.append({"real_only": list(d.real_only)})
    return out


def _match(m: Match, entry: CoverageEntry, job: str) -> dict[str, object]:
    out = {
        "status": str(m.status),
        "matched": m.total,
        "passed": m.passed,
        "failed": m.failed,
        "skipped": m.skipped,
        "flaky": m.flaky,
        "file_verified": m.total > 0 and m.file_unverified == 0,
        "word_boundary_only": m.total > 0 and m.word_boundary == m.total,
        "testcases": [_case(c) for c in m.examples],
    }
    if entry.evidence and job == EVIDENCE_JOB:
        out["evidence"] = _evidence(entry, m)
    if m.flow is not None:
        out["steps"] = [{"name": s.name, "seen": s.seen, "line": s.line, "where": s.where} for s in m.flow.steps]
        out["flow"] = _flow(m.flow)
    if m.events is not None:
        out["events"] = _events(m.events)
    return out


def _defect(d: DefectResult) -> dict[str, object]:
    defect = d.defect
    return {
        "issue": defect.issue,
        "title": defect.title,
        "tracking": defect.tracking,
        "line": defect.line,
        "qualified": d.qualified,
        "rules": list(d.rules),
        "area": list(defect.areas),
        "partner": defect.partner,
        "scenario": defect.scenario,
        "scenario_steps": [{"name": s.name, "pattern": s.pattern, "line": s.line} for s in defect.steps],
        "events": defect.events,
        "exception": None
        if defect.waiver is None
        else {
            "reason": defect.waiver.reason,
            "approved-by": defect.waiver.approved_by,
            "expires": defect.waiver.expires.isoformat(),
        },
        "problems": [f.as_dict() for f in d.problems],
        "warnings": [f.as_dict() for f in d.findings if f.severity == "warning" or f.waived],
        "coverage": [_entry(er) for er in d.entries],
        "undeclared_candidates": [
            {"name": c.name, "jobs": list(c.jobs), "file": c.file, "source": c.source, "line": c.line}
            for c in d.undeclared
        ],
        "undeclared_more": d.undeclared_more,
    }


def _entry(er: EntryResult) -> dict[str, object]:
    out: dict[str, object] = {
        "test": er.entry.test,
        "file": er.entry.file,
        "kind": er.entry.kind,
        "jobs": list(er.entry.jobs),
        "line": er.entry.line,
        "results": {job: _match(m, er.entry, job) for job, m in er.matches.items()},
    }
    drift = _drift(er)
    if drift is not None:
        out["drift"] = drift
    return out


def build_report(verdict: Verdict) -> dict[str, object]:
    return {
        "qualify_version": __version__,
        "qualified": verdict.qualified,
        "problems": [f.as_dict() for f in verdict.problems],
        "warnings": [f.as_dict() for f in verdict.warnings],
        "defects": [_defect(d) for d in verdict.defects],
        "not_declared": list(verdict.not_declared),
        "results": {job: {**asdict(c), "executed": c.executed} for job, c in verdict.counts.items()},
    }


def error_report(message: str, code: str = "could-not-evaluate") -> dict[str, object]:
    """The report written when the check could not be evaluated at all: never qualified.

    The reason is also its one problem, so `problems` is empty exactly when the report says
    qualified, and the Action's `problems` output (its length) is never 0 without a verdict.
    """
    return {
        "qualify_version": __version__,
        "qualified": False,
        "error": message,
        "problems": [Finding(code=code, message=message).as_dict()],
        "warnings": [],
        "defects": [],
        "not_declared": [],
        "results": {},
        "error_code": code,
    }
