"""`qualify lint`: validate declarations and flag blocks that can never qualify."""

from __future__ import annotations

from pathlib import Path
from typing import TextIO

from qualify.check import read_tracking_file
from qualify.errors import QualifyError
from qualify.model import Defect, Finding


def static_findings(defect: Defect, real_api_areas: tuple[str, ...] = ("backend", "proxy")) -> list[Finding]:
    """Problems visible from the declaration alone, before any results are read."""
    at = dict(issue=defect.issue, file=defect.tracking, line=defect.line)
    found: list[Finding] = []
    if not any("mock" in e.jobs for e in defect.coverage):
        found.append(Finding(code="no-mock-coverage", message="no declared test lists the mock job", **at))
    if set(defect.areas) & set(real_api_areas) and not any("real" in e.jobs for e in defect.coverage):
        found.append(
            Finding(code="no-real-api-coverage", message="backend/proxy defect declares no test for the real job", **at)
        )
    if defect.partner:
        if not defect.scenario:
            found.append(
                Finding(code="scenario-undocumented", message="`partner` is set but `scenario` is missing", **at)
            )
        if not any(e.kind == "scenario" and "real" in e.jobs for e in defect.coverage):
            found.append(
                Finding(
                    code="partner-scenario-not-covered",
                    message="partner-reported defect declares no `kind: scenario` test for the real job",
                    **at,
                )
            )
    return found


def lint_files(paths: list[Path], out: TextIO) -> int:
    problems = 0
    for path in paths:
        display = str(path)
        if not path.is_file():
            raise QualifyError("no such file", display)
        read = read_tracking_file(path, display)
        if read.invalid is not None:
            f = read.invalid
            out.write(f"{display}:{f.line or 1}: {f.code}: {f.message}\n")
            problems += 1
        elif read.defect is None:
            out.write(f"{display}:1: warning: no qualify block; this file is not checked\n")
        else:
            for f in static_findings(read.defect):
                out.write(f"{display}:{f.line}: {f.code}: {f.message}\n")
                problems += 1
    out.write(f"{len(paths)} file(s) checked, {problems} problem(s)\n")
    return 1 if problems else 0
