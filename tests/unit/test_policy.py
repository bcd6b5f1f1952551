import datetime as dt

from builders import TODAY, case, defect, entry, waiver

from qualify.matching import Matcher
from qualify.model import JobCounts, Outcome, TrackingRead
from qualify.policy import PolicyConfig, evaluate, select_defects

CONFIG = PolicyConfig(today=TODAY)
SCENARIO = "connect → Settings → user message → function call → backend HTTP → response"


def verdict(defects, cases, *, config=CONFIG, reads=None, counts=None):
    reads = reads if reads is not None else [TrackingRead(path=d.tracking, defect=d) for d in defects]
    selected, selection = select_defects(reads, config)
    m = Matcher(selected)
    auto = {"mock": JobCounts(), "real": JobCounts()}
    for c in cases:
        auto[c.job].add(c)
        if m.wants(c.name):
            m.add(c)
    return evaluate(reads, selected, selection, m.book, counts or auto, config)


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
