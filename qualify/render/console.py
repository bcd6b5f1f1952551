"""Plain-text verdict for a terminal or a CI log."""

from __future__ import annotations

from qualify.core.model import Finding, FlowRecord, Status, Verdict
from qualify.core.policy import evidence_missing, flow_incomplete

_MARK = {Status.PASSED: "pass", Status.FAILED: "FAIL", Status.SKIPPED: "skip", Status.NOT_FOUND: "MISSING"}


def _finding(f: Finding) -> str:
    where = f"{f.file}:{f.line}: " if f.file and f.line else (f"{f.file}: " if f.file else "")
    test = f"“{f.test}” " if f.test else ""
    job = f"[{f.job}] " if f.job else ""
    waived = " (waived by exception)" if f.waived else ""
    hint = f"\n      fix: {f.hint}" if f.hint else ""
    return f"  {where}{f.code}{waived}: {job}{test}{f.message}{hint}"


def _ladder(flow: FlowRecord) -> str:
    marks = []
    missed = False
    for s in flow.steps:
        marks.append(("✓ " if s.seen else ("· " if missed else "✗ ")) + s.name)
        missed = missed or not s.seen
    return " → ".join(marks)


def render_text(verdict: Verdict) -> str:
    out = []
    for d in verdict.defects:
        state = "qualified" if d.qualified else "NOT qualified"
        out.append(f"#{d.defect.issue} {d.defect.title} ({d.defect.tracking}) — {state}; rules: {', '.join(d.rules)}")
        for er in d.entries:
            jobs = "  ".join(
                f"{job}: {_MARK[m.status]}"
                + (" (NO EVIDENCE)" if evidence_missing(er, job) else "")
                + (" (STEPS MISSING)" if flow_incomplete(er, job) else "")
                for job, m in er.matches.items()
            )
            out.append(f"    [{er.entry.kind}] {er.entry.test}  ->  {jobs}")
            flow = er.matches["real"].flow if "real" in er.matches else None
            if flow is not None and flow.case is not None:
                state = "INCOMPLETE" if flow_incomplete(er, "real") else "complete"
                out.append(f"        steps (real, {flow.case.source}:{flow.case.line}, {state}): {_ladder(flow)}")
        if d.undeclared:
            more = f" (+{d.undeclared_more} more testcases)" if d.undeclared_more else ""
            out.append(f"    undeclared tests mentioning #{d.defect.issue}: {len(d.undeclared)}{more} (see warnings)")
    counts = "; ".join(
        f"{job}: {c.files} file(s), {c.testcases} testcases ({c.passed} passed, {c.failed} failed, {c.skipped} skipped)"
        for job, c in verdict.counts.items()
    )
    out.append(f"results — {counts}")
    if verdict.problems:
        out.append(f"problems ({len(verdict.problems)}):")
        out += [_finding(f) for f in verdict.problems]
    if verdict.warnings:
        out.append(f"warnings ({len(verdict.warnings)}):")
        out += [_finding(f) for f in verdict.warnings]
    out.append("QUALIFIED" if verdict.qualified else f"NOT QUALIFIED: {len(verdict.problems)} problem(s)")
    return "\n".join(out)
