"""`qualify lint` and `qualify check` apply the same rules: a block lint passes is one that a run
where every declared test passes (where it is declared to run) qualifies, and every problem lint
names is one that such a run still has. Both come from core.policy.rule_findings."""

from __future__ import annotations

import datetime as dt
import io

from hypothesis import given, settings
from hypothesis import strategies as st

from qualify.core.model import Outcome
from qualify.core.policy import PolicyConfig
from qualify.tracking.lint import lint_files, static_findings
from tests.builders import TODAY, case, defect, entry, waiver

JOB_SETS = st.sampled_from([("mock",), ("real",), ("mock", "real")])
ENTRY = st.tuples(st.sampled_from(["regression", "scenario", "probe"]), JOB_SETS)


@st.composite
def blocks(draw):
    entries = draw(st.lists(ENTRY, min_size=0, max_size=4))
    partner = draw(st.sampled_from([None, "voice-commerce"]))
    return defect(
        *(entry(f"test {i}", kind=k, jobs=jobs) for i, (k, jobs) in enumerate(entries)),
        areas=draw(st.lists(st.sampled_from(["backend", "proxy", "ui", "billing"]), max_size=2, unique=True)),
        partner=partner,
        scenario=draw(st.sampled_from([None, "connect → Settings → user message"])),
        events=draw(st.sampled_from([None, r'"type":"([\w.]+)"'])),
        waiver=draw(
            st.sampled_from([None, waiver(TODAY + dt.timedelta(days=9)), waiver(TODAY - dt.timedelta(days=1))])
        ),
    )


def _blocking(findings) -> list[str]:
    return sorted(f.code for f in findings if f.severity == "error" and not f.waived)


def _all_passing(d):
    return [case(e.test, job=job, outcome=Outcome.PASSED) for e in d.coverage for job in e.jobs]


AREAS = st.sampled_from([("backend", "proxy"), ("billing",), ("ui", "backend")])


@settings(max_examples=300, deadline=None)
@given(blocks(), AREAS)
def test_lint_problems_are_what_a_fully_passing_run_still_fails_on(d, areas):
    from tests.builders import verdict_of

    config = PolicyConfig(today=TODAY, real_api_areas=areas)
    verdict = verdict_of([d], _all_passing(d), config=config)
    check_codes = _blocking(f for r in verdict.defects for f in r.findings)
    assert _blocking(static_findings(d, areas, today=TODAY)) == check_codes
    warnings = sorted(f.code for f in static_findings(d, areas, today=TODAY) if f.severity == "warning")
    check_warnings = sorted(f.code for r in verdict.defects for f in r.findings if f.severity == "warning")
    assert warnings == check_warnings


def _lint(tmp_path, text: str, *areas: str) -> tuple[int, str]:
    path = tmp_path / "TRACKING.md"
    path.write_text(text)
    out = io.StringIO()
    code = lint_files([(path, "TRACKING.md")], out, real_api_areas=areas or ("backend", "proxy"))
    return code, out.getvalue()


BILLING = """---
qualify:
  issue: 470
  area: [billing]
  coverage:
    - test: refund is idempotent
      jobs: [mock]
---
"""


def test_lint_reads_the_real_api_areas_the_check_is_given(tmp_path):
    assert _lint(tmp_path, BILLING) == (0, "1 file(s) checked, 0 problem(s)\n")
    code, out = _lint(tmp_path, BILLING, "billing")
    assert code == 1
    assert "TRACKING.md:2: no-real-api-coverage: billing defect: no declared test runs against the real API" in out


def test_a_waived_rule_is_said_but_not_a_problem_and_an_expired_exception_is(tmp_path):
    exception = "  exception:\n    reason: no sandbox key\n    approved-by: '@rm'\n    expires: {}\n"
    later = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    code, out = _lint(tmp_path, BILLING.replace("  coverage:", exception.format(later) + "  coverage:"), "billing")
    assert code == 0, out
    assert "warning: no-real-api-coverage: billing defect" in out and "(waived by the exception)" in out
    code, out = _lint(
        tmp_path, BILLING.replace("  coverage:", exception.format("2020-01-01") + "  coverage:"), "billing"
    )
    assert code == 1
    assert "exception-expired" in out
