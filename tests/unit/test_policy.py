import datetime as dt

import pytest
from builders import TODAY, case, defect, entry, output, prop, verdict_of, waiver

from qualify.core.model import Outcome, TrackingRead
from qualify.core.policy import PolicyConfig

CONFIG = PolicyConfig(today=TODAY)
SCENARIO = "connect → Settings → user message → function call → backend HTTP → response"


def verdict(defects, cases, *, config=CONFIG, reads=None):
    return verdict_of(defects, cases, config=config, reads=reads)


def codes(v):
    return sorted(f.code for f in v.problems)


def warn_codes(v):
    return sorted(f.code for f in v.warnings)


REG = entry("regression test", jobs=["mock"], line=10)
PROBE = entry("probe test", kind="probe", jobs=["real"], line=14)
E2E = entry("partner e2e", kind="scenario", jobs=["real"], line=6)
OTHER = [case("unrelated", job="mock"), case("unrelated", job="real")]


def test_plain_defect_needs_only_mock_coverage():
    v = verdict([defect(REG)], [case("regression test"), *OTHER])
    assert v.qualified and codes(v) == []
    assert v.defects[0].rules == ("mock-coverage",)


def test_no_mock_coverage():
    v = verdict([defect(REG)], [case("regression test", outcome=Outcome.SKIPPED), *OTHER])
    assert codes(v) == ["no-mock-coverage", "test-skipped"]


def test_proxy_defect_mock_only_green_is_not_qualified():
    v = verdict([defect(REG, PROBE, areas=["proxy"])], [case("regression test"), *OTHER])
    assert not v.qualified
    assert codes(v) == ["no-real-api-coverage", "test-not-found"]
    nf = next(f for f in v.problems if f.code == "test-not-found")
    assert (nf.job, nf.line, nf.file, nf.test) == ("real", 14, "docs/issues/ISSUE-462/TRACKING.md", "probe test")


def test_skipped_real_api_test_is_not_coverage():
    v = verdict(
        [defect(REG, PROBE, areas=["backend"])],
        [case("regression test"), case("probe test", job="real", outcome=Outcome.SKIPPED), *OTHER],
    )
    assert codes(v) == ["no-real-api-coverage", "test-skipped"]


def test_passing_in_mock_does_not_count_for_real():
    both = entry("shared test", jobs=["mock", "real"])
    v = verdict([defect(both, areas=["proxy"])], [case("shared test"), *OTHER])
    assert codes(v) == ["no-real-api-coverage", "test-not-found"]


def test_area_outside_real_api_areas_needs_no_real_test():
    v = verdict([defect(REG, areas=["frontend"])], [case("regression test"), *OTHER])
    assert v.qualified


def test_real_api_areas_are_configurable():
    cfg = PolicyConfig(today=TODAY, real_api_areas=("frontend",))
    v = verdict([defect(REG, areas=["frontend"])], [case("regression test"), *OTHER], config=cfg)
    assert codes(v) == ["no-real-api-coverage"]


def test_partner_defect_probe_only_is_not_qualified():
    d = defect(REG, PROBE, E2E, areas=["proxy"], partner="voice-commerce", scenario=SCENARIO)
    v = verdict([d], [case("regression test"), case("probe test", job="real"), *OTHER])
    assert codes(v) == ["partner-scenario-not-covered", "test-not-found"]


def test_partner_defect_full_run_qualifies():
    d = defect(REG, PROBE, E2E, areas=["proxy"], partner="voice-commerce", scenario=SCENARIO)
    v = verdict([d], [case("regression test"), case("probe test", job="real"), case("partner e2e", job="real"), *OTHER])
    assert v.qualified
    assert v.defects[0].rules == ("mock-coverage", "real-api", "partner-scenario")


def test_scenario_kind_passing_only_in_mock_does_not_cover_partner():
    e2e_mock = entry("partner e2e", kind="scenario", jobs=["mock"])
    d = defect(REG, e2e_mock, partner="p", scenario=SCENARIO)
    v = verdict([d], [case("regression test"), case("partner e2e"), *OTHER])
    assert codes(v) == ["partner-scenario-not-covered"]


def test_partner_without_scenario_is_undocumented():
    d = defect(REG, E2E, partner="p")
    v = verdict([d], [case("regression test"), case("partner e2e", job="real"), *OTHER])
    assert codes(v) == ["scenario-undocumented"]


def test_failed_declared_test_blocks_even_when_others_pass():
    extra = entry("second regression", jobs=["mock"])
    v = verdict(
        [defect(REG, extra)], [case("regression test"), case("second regression", outcome=Outcome.FAILED), *OTHER]
    )
    assert codes(v) == ["test-failed"]


def test_flaky_pass_counts_and_warns():
    v = verdict([defect(REG)], [case("regression test", flaky=True), *OTHER])
    assert v.qualified and warn_codes(v) == ["flaky"]


def test_unexpired_exception_qualifies_with_warning():
    d = defect(REG, PROBE, areas=["proxy"], waiver=waiver(dt.date(2026, 12, 31)))
    v = verdict([d], [case("regression test"), *OTHER])
    assert v.qualified
    assert "exception-applied" in warn_codes(v)
    assert {f.code for f in v.warnings if f.waived} == {"no-real-api-coverage", "test-not-found"}


def test_exception_on_its_expiry_day_still_applies():
    d = defect(REG, PROBE, areas=["proxy"], waiver=waiver(TODAY))
    assert verdict([d], [case("regression test"), *OTHER]).qualified


def test_expired_exception_is_a_problem():
    d = defect(REG, PROBE, areas=["proxy"], waiver=waiver(dt.date(2026, 11, 24)))
    v = verdict([d], [case("regression test"), *OTHER])
    assert codes(v) == ["exception-expired", "no-real-api-coverage", "test-not-found"]
    expired = next(f for f in v.problems if f.code == "exception-expired")
    assert expired.line == 20


def test_real_job_that_ran_nothing():
    v = verdict([defect(REG)], [case("regression test"), case("x", job="real", outcome=Outcome.SKIPPED)])
    assert codes(v) == ["real-job-ran-nothing"]
    assert "USE_REAL_APIS" in v.problems[0].hint


def test_no_results():
    v = verdict([defect(REG)], [case("regression test")])
    assert codes(v) == ["no-results"]


def test_requested_issue_without_tracking_is_missing():
    cfg = PolicyConfig(today=TODAY, requested_issues=(462, 999))
    v = verdict([defect(REG)], [case("regression test"), *OTHER], config=cfg)
    assert codes(v) == ["tracking-missing"]
    assert v.problems[0].issue == 999


def test_requested_issues_restrict_evaluation():
    cfg = PolicyConfig(today=TODAY, requested_issues=(462,))
    other = defect(entry("never runs", jobs=["mock"]), issue=500)
    v = verdict([defect(REG), other], [case("regression test"), *OTHER], config=cfg)
    assert v.qualified and [d.defect.issue for d in v.defects] == [462]


def test_undeclared_tracking_is_a_warning_unless_requested():
    reads = [TrackingRead(path="docs/issues/ISSUE-470/TRACKING.md", issue_hint=470)]
    d = defect(REG)
    reads.append(TrackingRead(path=d.tracking, defect=d))
    v = verdict([d], [case("regression test"), *OTHER], reads=reads)
    assert v.qualified and warn_codes(v) == ["not-declared"]
    cfg = PolicyConfig(today=TODAY, requested_issues=(462, 470))
    v = verdict([d], [case("regression test"), *OTHER], reads=reads, config=cfg)
    assert codes(v) == ["tracking-missing"]


def test_duplicate_declarations_are_invalid():
    a, b = defect(REG), defect(REG)
    reads = [TrackingRead(path="a/TRACKING.md", defect=a), TrackingRead(path="b/TRACKING.md", defect=b)]
    v = verdict([a], [case("regression test"), *OTHER], reads=reads)
    assert codes(v) == ["tracking-invalid"]


def test_nothing_declared_fails_closed():
    v = verdict([], OTHER, reads=[])
    assert codes(v) == ["tracking-missing"]


# ---------------------------------------------------------------------------------------- evidence

EVIDENCED = entry(
    "probe test",
    kind="probe",
    jobs=["real"],
    line=14,
    evidence=[prop("upstream", r"^https://api\."), output("POST /v1")],
)
UPSTREAM = [("upstream", "https://api.example.com")]


def test_evidence_carried_by_the_real_run_counts():
    real = case("probe test", job="real", properties=UPSTREAM, output="POST /v1/charge -> 200")
    v = verdict([defect(REG, EVIDENCED, areas=["proxy"])], [case("regression test"), real, *OTHER])
    assert v.qualified and warn_codes(v) == []
    assert v.defects[0].entries[1].matches["real"].evidenced == 1


@pytest.mark.parametrize(
    ("properties", "out", "hits"),
    [
        ((), "", "0 of 1"),  # nothing captured: results that never touched the upstream
        (UPSTREAM, "GET /v1", "0 of 1"),  # output item missing
        ([("upstream", "http://localhost:8080")], "POST /v1", "1 of 1"),  # property value does not match
        ([("other", "https://api.example.com")], "POST /v1", "1 of 1"),  # wrong property name
    ],
)
def test_evidence_missing_blocks_and_the_entry_does_not_count(properties, out, hits):
    real = case("probe test", job="real", properties=properties, output=out)
    v = verdict([defect(REG, EVIDENCED, areas=["proxy"])], [case("regression test"), real, *OTHER])
    assert codes(v) == ["evidence-missing", "no-real-api-coverage"]
    f = next(f for f in v.problems if f.code == "evidence-missing")
    assert (f.job, f.line, f.test) == ("real", 14, "probe test")
    assert hits in f.message and "upstream" in f.message and "/POST /v1/" in f.message


def test_evidence_must_sit_on_one_passing_run():
    half_a = case("probe test", job="real", properties=UPSTREAM, output="GET")
    half_b = case("probe test", job="real", output="POST /v1")
    failed_with_all = case("probe test", job="real", properties=UPSTREAM, output="POST /v1", outcome=Outcome.SKIPPED)
    v = verdict([defect(REG, EVIDENCED, areas=["proxy"])], [case("regression test"), half_a, half_b, failed_with_all])
    assert codes(v) == ["evidence-missing", "no-real-api-coverage"]


def test_evidence_property_presence_only():
    e = entry("probe test", jobs=["real"], evidence=[prop("real-api")])
    v = verdict([defect(REG, e, areas=["backend"])], [case("regression test"), case("probe test", job="real"), *OTHER])
    assert codes(v) == ["evidence-missing", "no-real-api-coverage"]
    ok = case("probe test", job="real", properties=[("real-api", "")])
    assert verdict([defect(REG, e, areas=["backend"])], [case("regression test"), ok, *OTHER]).qualified


def test_evidence_is_not_asked_of_the_mock_job():
    both = entry("shared test", evidence=[prop("upstream")])
    real = case("shared test", job="real", properties=[("upstream", "x")])
    v = verdict([defect(both, areas=["proxy"])], [case("shared test"), real, *OTHER])
    assert v.qualified


def test_evidence_missing_on_a_defect_without_the_real_rule_still_blocks():
    e = entry("probe test", jobs=["real"], evidence=[prop("upstream")])
    v = verdict([defect(REG, e)], [case("regression test"), case("probe test", job="real"), *OTHER])
    assert codes(v) == ["evidence-missing"]


# ----------------------------------------------------------------------------- not found, closest


def test_not_found_names_the_closest_titles_in_that_job():
    e = entry("checkout › rejects an expired card", jobs=["real"], line=14)
    real = [
        case("checkout › rejects an expired credit card", job="real"),
        case("checkout › rejects a stolen card", job="real"),
        case("payments › refunds a partial order", job="real"),
        case("unrelated", job="real"),
    ]
    v = verdict([defect(REG, e)], [case("regression test"), *real])
    f = next(f for f in v.problems if f.code == "test-not-found")
    assert f.closest[0] == "checkout › rejects an expired credit card"
    assert "payments › refunds a partial order" not in f.closest
    assert "did you mean “checkout › rejects an expired credit card”?" in f.message
    assert f.did_you_mean == "checkout › rejects an expired credit card"
    assert "change `test:` on line 14 of docs/issues/ISSUE-462/TRACKING.md to “checkout › rejects" in f.hint


def test_not_found_says_when_the_title_is_only_in_the_other_job():
    e = entry("probe test", jobs=["real"], line=14)
    v = verdict([defect(REG, e, areas=["proxy"])], [case("regression test"), case("probe test"), *OTHER])
    f = next(f for f in v.problems if f.code == "test-not-found")
    assert "IS in the mock job's results (1 run(s))" in f.message
    assert "ran only in the mock job" in f.hint


def test_not_found_in_the_declared_file_says_the_title_is_elsewhere():
    e = entry("same title", file="tests/b.spec.js", jobs=["mock"])
    c = case("suite › same title", classname="tests/a.spec.js", file="tests/a.spec.js")
    v = verdict([defect(e)], [c, *OTHER])
    f = next(f for f in v.problems if f.code == "test-not-found")
    assert "exact title exists in that job, but not in tests/b.spec.js" in f.message
    assert f.closest == ("suite › same title",)


def test_no_close_title_no_list():
    v = verdict([defect(entry("regression test", jobs=["mock"]))], OTHER)
    f = next(f for f in v.problems if f.code == "test-not-found")
    assert f.closest == () and "closest" not in f.message


# ---------------------------------------------------------------------------------- undeclared


def test_tests_mentioning_the_issue_but_not_declared_are_listed():
    cases = [
        case("Issue #462: regression test"),  # declared below: not a candidate
        case("ISSUE-462 reconnects after close", job="real", file="e2e/a.spec.js"),
        case("ISSUE-462 reconnects after close"),
        case("test_issue_462_totals", classname="tests.test_x"),
        case("rejects card (#470)"),  # another issue
        case("handles #4620 items"),  # another number
        *OTHER,
    ]
    v = verdict([defect(entry("Issue #462: regression test", jobs=["mock"]))], cases)
    assert v.qualified
    d = v.defects[0]
    assert [(c.name, c.jobs, c.file) for c in d.undeclared] == [
        ("ISSUE-462 reconnects after close", ("mock", "real"), "e2e/a.spec.js"),
        ("test_issue_462_totals", ("mock",), None),
    ]
    warn = [f for f in v.warnings if f.code == "undeclared-test"]
    assert [f.test for f in warn] == ["ISSUE-462 reconnects after close", "test_issue_462_totals"]
    assert all(f.severity == "warning" and f.issue == 462 for f in warn)


def test_undeclared_candidates_are_bounded():
    from qualify.core.matching import MAX_UNDECLARED

    cases = [case(f"#462 case {i}") for i in range(MAX_UNDECLARED + 5)] + [case("#462 case 0")]
    v = verdict([defect(REG)], [case("regression test"), *cases, *OTHER])
    d = v.defects[0]
    assert len(d.undeclared) == MAX_UNDECLARED and d.undeclared_more == 5
    assert any("5 more testcase(s)" in f.message for f in v.warnings)
