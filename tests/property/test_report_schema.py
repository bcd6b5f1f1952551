"""Every JSON report the core can build is valid under schema/report.schema.json (hypothesis).

The golden reports (tests/test_golden.py) pin a few verdicts exactly; this walks the space around them:
any mix of kinds, jobs, areas, partners, waivers (live or expired), evidence, outcomes, flaky passes,
undeclared mentions and unreadable or undeclared TRACKING.md files.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import jsonschema
from builders import TODAY, case, defect, entry, output, prop, verdict_of, waiver
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qualify.core.model import JOBS, KINDS, Finding, Outcome, TrackingRead
from qualify.core.policy import PolicyConfig
from qualify.errors import CODES
from qualify.render.json_report import build_report, error_report

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "schema" / "report.schema.json").read_text())
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)

settings.register_profile(
    "ci", max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "long", max_examples=5_000, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

DAY = dt.timedelta(days=1)


@st.composite
def checks(draw: st.DrawFn) -> tuple[list[TrackingRead], list]:
    """Declarations and the testcases the two jobs ran."""
    reads: list[TrackingRead] = []
    cases = []
    for issue in range(460, 460 + draw(st.integers(1, 3))):
        entries = []
        for j in range(draw(st.integers(1, 3))):
            title = f"Issue #{issue} test {j}"
            jobs = draw(st.sampled_from([("mock",), ("real",), ("mock", "real")]))
            evidence = draw(st.sampled_from([(), (prop("upstream", "^https://"),), (output("200 OK"),)]))
            entries.append(
                entry(
                    title,
                    kind=draw(st.sampled_from(KINDS)),
                    jobs=jobs,
                    line=5 + j,
                    evidence=evidence if "real" in jobs else (),
                )
            )
            for job in JOBS:
                for outcome in draw(st.lists(st.sampled_from(list(Outcome)), max_size=2)):
                    cases.append(
                        case(
                            f"suite {title}",
                            job=job,
                            outcome=outcome,
                            flaky=outcome is Outcome.PASSED and draw(st.booleans()),
                            properties=draw(st.sampled_from([(), (("upstream", "https://api.example"),)])),
                            output=draw(st.sampled_from(["", "POST 200 OK"])),
                        )
                    )
        if draw(st.booleans()):
            cases.append(case(f"Issue #{issue} not declared", job=draw(st.sampled_from(JOBS))))
        partner = draw(st.sampled_from([None, "acme"]))
        d = defect(
            *entries,
            issue=issue,
            areas=draw(st.sampled_from([(), ("proxy",), ("ui",)])),
            partner=partner,
            scenario=draw(st.sampled_from([None, "a → b"])) if partner else None,
            waiver=draw(st.sampled_from([None, waiver(TODAY + DAY), waiver(TODAY - DAY)])),
        )
        reads.append(TrackingRead(path=d.tracking, defect=d))
    if draw(st.booleans()):
        reads.append(TrackingRead(path="docs/issues/ISSUE-470/TRACKING.md", issue_hint=470))
    if draw(st.booleans()):
        bad = Finding(code="tracking-invalid", message="invalid TRACKING.md: x", issue=480, file="docs/x.md", line=3)
        reads.append(TrackingRead(path="docs/x.md", invalid=bad, issue_hint=480))
    return reads, cases


def _errors(report: object) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in VALIDATOR.iter_errors(report)]


@given(check=checks())
def test_every_report_the_core_builds_is_valid(check):
    reads, cases = check
    report = build_report(verdict_of(cases=cases, reads=reads, config=PolicyConfig(today=TODAY)))
    assert not _errors(report), _errors(report)


@given(message=st.text(min_size=1), code=st.sampled_from(sorted(CODES)))
def test_every_error_report_is_valid(message, code):
    report = error_report(message, code)
    assert not _errors(report), _errors(report)
    assert report["problems"] == [{**report["problems"][0], "code": code, "message": message}]
