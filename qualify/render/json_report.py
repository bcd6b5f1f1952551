"""The JSON report: the machine-readable verdict that release workflows and tools consume."""

from __future__ import annotations

from dataclasses import asdict

from qualify import __version__
from qualify.core.model import EVIDENCE_JOB, CoverageEntry, DefectResult, Match, TestCase, Verdict


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
        "exception": None
        if defect.waiver is None
        else {
            "reason": defect.waiver.reason,
            "approved-by": defect.waiver.approved_by,
            "expires": defect.waiver.expires.isoformat(),
        },
        "problems": [f.as_dict() for f in d.problems],
        "warnings": [f.as_dict() for f in d.findings if f.severity == "warning" or f.waived],
        "coverage": [
            {
                "test": er.entry.test,
                "file": er.entry.file,
                "kind": er.entry.kind,
                "jobs": list(er.entry.jobs),
                "line": er.entry.line,
                "results": {job: _match(m, er.entry, job) for job, m in er.matches.items()},
            }
            for er in d.entries
        ],
        "undeclared_candidates": [
            {"name": c.name, "jobs": list(c.jobs), "file": c.file, "source": c.source, "line": c.line}
            for c in d.undeclared
        ],
        "undeclared_more": d.undeclared_more,
    }


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


def error_report(message: str) -> dict[str, object]:
    """The report written when the check could not be evaluated at all: never qualified."""
    return {
        "qualify_version": __version__,
        "qualified": False,
        "error": message,
        "problems": [],
        "warnings": [],
        "defects": [],
        "not_declared": [],
        "results": {},
    }
