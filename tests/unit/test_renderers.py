"""One renderer interface: every output chosen by name from a Report, redacted the same way."""

import json
import re
from dataclasses import replace

import pytest
from builders import case, defect, entry, prop, verdict_of

from qualify.core.model import EvidenceStatus, Finding, Outcome, Verdict
from qualify.redact import REDACTED, redact
from qualify.render.markdown import MARKER
from qualify.render.renderers import RENDERERS, render
from qualify.render.report import Report

TOKEN_SHAPED = "ghs_" + "Zq7" * 12  # the shape of the Actions token: masked whoever writes it
SECRET = "s3cr*t_v,al:ue%"  # the given token, with characters each format escapes


def _verdict(defects, cases) -> Verdict:
    return verdict_of(defects, cases)


def _as_read(markdown: str) -> str:
    """Markdown as GitHub shows it: `\\_` reads `_`, <wbr> reads as nothing, &nbsp; as a space."""
    return re.sub(r"\\(.)", r"\1", markdown.replace("<wbr>", "")).replace("&amp;", "&").replace("&nbsp;", " ")


def test_every_output_has_a_renderer_chosen_by_name():
    assert set(RENDERERS) == {"console", "summary", "comment", "check-run", "json", "annotations"}
    assert all(name == r.name for name, r in RENDERERS.items())


def test_a_report_has_a_verdict_or_an_error_never_both_and_notes_never_block():
    verdict = _verdict([defect(entry("t", jobs=["mock"]))], [case("t")])
    with pytest.raises(ValueError):
        Report(None)
    with pytest.raises(ValueError):
        Report(verdict, Report.failed("x").error)
    with pytest.raises(ValueError):
        Report.of(verdict, notes=(Finding(code="publish-failed", message="m"),))  # an error: would block


@pytest.mark.parametrize("name", sorted(RENDERERS))
def test_secrets_are_masked_in_every_output_even_where_escaping_would_hide_them(name):
    """Redacted before escaping: Markdown writes `ghs\\_…` and `s3cr\\*t\\_…`, a workflow command
    `%2C`/`%3A`/`%25`, which redaction of the finished text would no longer recognise."""
    name_ = f"leaks {TOKEN_SHAPED} and {SECRET} here"
    d = defect(entry(name_, jobs=["mock"], file=f"{SECRET}.spec.js"), title=f"title {SECRET}")
    verdict = _verdict([d], [case("other")])
    assert not verdict.qualified
    for report in (
        Report.of(verdict, secrets=(SECRET,), link_base=f"https://x/{SECRET}"),
        Report.failed(f"cannot read {SECRET}/{TOKEN_SHAPED}.xml", "results-unreadable", secrets=(SECRET,)),
    ):
        text = render(name, report)
        decoded = text.replace("%25", "%").replace("%2C", ",").replace("%3A", ":").replace("%0A", "\n")
        for seen in (text, _as_read(text), decoded, json.dumps(json.loads(text)) if name == "json" else ""):
            assert SECRET not in seen and TOKEN_SHAPED not in seen, (name, seen)
        assert REDACTED in _as_read(text)


def test_the_one_redact_covers_plain_url_encoded_json_escaped_and_token_shaped():
    secret = 'a/b"c'
    text = f'{secret} a%2Fb%22c a/b\\"c {TOKEN_SHAPED} github_pat_{"x" * 22}'
    assert redact(text, (secret,)) == "*** *** *** *** ***"
    assert redact(text, secret) == redact(text, (secret,))  # one secret, not its letters
    assert redact("abc", ("abc",)) == "abc"  # too short to mask without masking everything


def test_a_name_with_a_line_break_stays_one_console_line():
    evil = "line one\n::error title=pwn::injected\r##[error]legacy"
    verdict = _verdict([defect(entry(evil, jobs=["mock"]))], [case("x")])
    text = render("console", Report.of(verdict))
    (row,) = [line for line in text.split("\n") if "line one" in line and "[regression]" in line]
    assert "line one\\n::error title=pwn::injected\\r## [error]legacy" in row
    assert not any(line.lstrip().startswith("::") for line in text.split("\n"))


def _with_notes():
    verdict = _verdict([defect(entry("t", jobs=["mock"]))], [case("t"), case("other", job="real")])
    note = Finding(code="publish-failed", severity="warning", message="could not update the comment")
    return verdict, Report.of(verdict, notes=(note,))


def test_delivery_notes_are_warnings_beside_the_verdict_in_every_output():
    verdict, report = _with_notes()
    assert report.verdict is verdict and "publish-failed" not in {f.code for f in verdict.all_findings}
    assert report.qualified and report.problems == []
    console = render("console", report)
    assert "publish-failed: could not update the comment" in console and console.endswith("\nQUALIFIED")
    data = json.loads(render("json", report))
    assert data["qualified"] is True and [w["code"] for w in data["warnings"]][-1] == "publish-failed"
    assert "::warning title=qualify publish-failed::could not update the comment" in render("annotations", report)
    summary = render("summary", report)
    assert "<summary>ℹ️ Token and permissions: 1 note" in summary and "could not update the comment" in summary


def test_without_a_verdict_the_notes_go_before_the_error_line():
    note = Finding(code="publish-skipped", severity="warning", message="comment skipped")
    report = replace(Report.failed("no results", "results-missing"), notes=(note,))
    assert render("console", report) == "qualify: warning: comment skipped\nqualify: error: no results"
    assert json.loads(render("json", report))["error_code"] == "results-missing"
    assert render("comment", report).startswith(f"{MARKER}\n## ❌ Release not qualified — could not evaluate")


def test_the_table_is_rendered_once_for_the_check_run_and_the_summary():
    defects = [defect(entry(f"t{n}", jobs=["mock"]), issue=n) for n in range(1, 400)]
    verdict = _verdict(
        defects, [case(f"t{n}", outcome=Outcome.FAILED if n % 7 else Outcome.PASSED) for n in range(1, 400)]
    )
    _, noted = _with_notes()
    report = Report.of(verdict, link_base="https://github.com/o/r/blob/abc")
    check_run = render("check-run", report)
    summary = render("summary", replace(report, notes=noted.notes))  # as run() does: publish, then write
    assert len(report.memo) == 1  # one table body, shared
    fresh = render("summary", Report.of(verdict, link_base=report.link_base, notes=noted.notes))
    assert summary == fresh and "could not update the comment" in summary
    assert summary.startswith(check_run.split("\n… cut to fit")[0].rsplit("\n", 1)[0])
    # A report with another link base does not reuse the table rendered for the first one.
    moved = render("summary", replace(report, link_base="https://elsewhere/blob/def"))
    assert "https://elsewhere/blob/def/" in moved and "https://github.com/o/r/blob/abc" not in moved
    # Nor does a report of another verdict.
    other = _verdict(defects[:3], [case("t1"), case("t2"), case("t3")])
    assert render("summary", replace(report, verdict=other)) == render(
        "summary", Report.of(other, link_base=report.link_base)
    )


def test_blocking_is_an_error_that_no_exception_waives():
    assert Finding(code="x", message="m").blocking
    assert not Finding(code="x", message="m", waived=True).blocking
    assert not Finding(code="x", message="m", severity="warning").blocking
    verdict = _verdict([defect(entry("t", jobs=["mock"]))], [case("u")])
    assert verdict.problems and all(f.blocking for f in verdict.problems)
    assert not any(f.blocking for f in verdict.warnings)
    assert len(verdict.problems) + len(verdict.warnings) == len(verdict.all_findings)


@pytest.mark.parametrize(
    ("properties", "outcome", "status"),
    [
        ((("trace_id", "t-1"),), Outcome.PASSED, EvidenceStatus.CARRIED),
        ((), Outcome.PASSED, EvidenceStatus.MISSING),
        ((), Outcome.FAILED, EvidenceStatus.NOT_JUDGED),
    ],
)
def test_evidence_status_is_one_answer_for_the_policy_and_every_renderer(properties, outcome, status):
    d = defect(entry("t", evidence=[prop("trace_id")]))
    verdict = _verdict([d], [case("t", job="real", outcome=outcome, properties=properties), case("t")])
    (er,) = verdict.defects[0].entries
    assert er.evidence("real") is status
    assert er.evidence("mock") is EvidenceStatus.NOT_DECLARED  # evidence is about the real-API job
    assert ("evidence-missing" in {f.code for f in verdict.problems}) == (status is EvidenceStatus.MISSING)
    console = render("console", Report.of(verdict))
    assert ("(NO EVIDENCE)" in console) == (status is EvidenceStatus.MISSING)
    for layout in ("summary", "comment"):
        text = _as_read(render(layout, Report.of(verdict)))
        assert ("evidence missing" in text) == (status is EvidenceStatus.MISSING)
        assert ("evidence ✓" in text) == (status is EvidenceStatus.CARRIED)
    results = json.loads(render("json", Report.of(verdict)))["defects"][0]["coverage"][0]["results"]
    assert "evidence" not in results["mock"]
    assert results["real"]["evidence"]["satisfied"] == (status is EvidenceStatus.CARRIED)
