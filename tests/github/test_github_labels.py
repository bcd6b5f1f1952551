"""Labels decide rules: the pure core (labels as data) and the check against the stand-in API."""

import pytest
from builders import TODAY, case, defect, entry, verdict_of
from fake_github import READ_ONLY
from workspace import MOCK_ONLY_TEST, check, codes, declare, gh_options, github, workspace

from qualify.app.options import parse_issue_selection
from qualify.core.policy import PolicyConfig
from qualify.core.rules import LabelData

REG = entry("regression test", jobs=["mock"], line=10)
REAL = entry("real test", jobs=["real"], line=12)
CASES = [case("regression test"), case("unrelated", job="real")]


def verdict(d, labels):
    return verdict_of([d], CASES, config=PolicyConfig(today=TODAY, labels=labels))


def problems(v):
    return sorted(f.code for f in v.problems)


def warnings(v):
    return sorted(f.code for f in v.warnings)


def test_a_backend_label_adds_the_real_api_rule_an_undeclared_area_dodged():
    d = defect(REG, issue=5)
    assert verdict(d, None).qualified  # declarations alone: mock coverage suffices
    v = verdict(d, LabelData(labels={5: ("Backend", "bug")}))
    assert not v.qualified
    assert problems(v) == ["no-real-api-coverage"] and warnings(v) == ["label-mismatch"]
    assert v.defects[0].rules == ("mock-coverage", "real-api")
    assert v.problems[0].message.startswith("backend (by label) defect:")


def test_partner_label_without_a_declared_partner_is_a_problem():
    v = verdict(defect(REG, issue=5), LabelData(labels={5: ("partner-reported",)}))
    assert problems(v) == ["partner-scenario-not-covered", "partner-undocumented", "scenario-undocumented"]
    assert "None" not in " ".join(f.message for f in v.problems)


def test_declared_but_unlabelled_is_a_warning_only():
    d = defect(REG, REAL, issue=5, areas=["proxy"])
    v = verdict(d, LabelData(labels={5: ()}))
    assert problems(v) == ["no-real-api-coverage", "test-not-found"]  # the declared rule still applies
    assert warnings(v) == ["label-mismatch"]


def test_labels_that_agree_add_nothing():
    v = verdict(defect(REG, issue=5, areas=["proxy"]), LabelData(labels={5: ("proxy",)}))
    assert warnings(v) == []


def test_custom_label_lists():
    data = LabelData(labels={5: ("area/server",)}, real_api_labels=("area/server",))
    assert problems(verdict(defect(REG, issue=5), data)) == ["no-real-api-coverage"]


def test_unreadable_labels_fail_closed_even_under_an_exception():
    import datetime as dt

    from builders import waiver

    d = defect(REG, issue=5, waiver=waiver(dt.date(2027, 1, 1)))
    v = verdict(d, LabelData(errors={5: "access denied (403)"}))
    assert problems(v) == ["labels-unreadable"]
    assert "access denied (403)" in v.problems[0].message


def test_parse_issue_selection():
    assert parse_issue_selection(("462, #470 462", "milestone:Release 1.4,label:release-blocker"), "--issues") == (
        (462, 470),
        ("milestone:Release 1.4", "label:release-blocker"),
    )
    with pytest.raises(Exception, match=r"^input issues: 'milestone:' names no milestone"):
        parse_issue_selection(("milestone:",), "input issues")


# ---- against the stand-in API -------------------------------------------------------------------


def test_labels_read_from_the_api_agree_with_the_example(tmp_path, gh):
    ws = workspace(tmp_path)
    gh.add_issue(462, labels=("proxy", "partner-reported"))
    code, out, err, report = check(ws, gh_options(gh))
    assert code == 0, out + err
    # The example's mock drift is a warning too; labels and TRACKING.md agree (no label-mismatch).
    assert codes(report, "warnings") == ["mock-drift", "not-declared"]
    assert gh.api_calls("GET", r"/issues/462/labels")


def test_backend_label_blocks_a_mock_only_defect(tmp_path, gh):
    ws = workspace(tmp_path)
    declare(ws, 480)
    gh.add_issue(462, labels=("proxy", "partner-reported"))
    gh.add_issue(480, labels=("backend",))
    code, _out, _err, report = check(ws, gh_options(gh))
    assert code == 1
    assert codes(report) == ["no-real-api-coverage"]
    assert "label-mismatch" in codes(report, "warnings")
    d480 = next(d for d in report["defects"] if d["issue"] == 480)
    assert d480["rules"] == ["mock-coverage", "real-api"]


def test_labels_unreadable_means_not_qualified_and_the_token_stays_secret(tmp_path, gh):
    ws = workspace(tmp_path)
    gh.tokens["ghs_no_issues_perm"] = frozenset({"actions:read"})
    code, out, err, report = check(ws, gh_options(gh, token="ghs_no_issues_perm"))
    assert code == 1
    assert codes(report) == ["labels-unreadable"]
    msg = report["problems"][0]["message"]
    assert "`issues: read`" in msg and "403" in msg
    everything = out + err + (ws / "report.json").read_text() + (ws / "summary.md").read_text()
    assert "ghs_no_issues_perm" not in everything


def test_without_a_token_the_label_check_is_skipped_with_a_warning(tmp_path):
    ws = workspace(tmp_path)
    code, _out, _err, report = check(ws)
    assert code == 0
    skipped = [w for w in report["warnings"] if w["code"] == "labels-skipped"]
    assert skipped and "no GitHub token" in skipped[0]["message"]


def test_milestone_lists_the_release_and_every_issue_needs_a_tracking_file(tmp_path, gh):
    ws = workspace(tmp_path)
    gh.add_issue(462, labels=("proxy", "partner-reported"), milestone="v1.4")
    gh.add_issue(481, labels=("bug",), milestone="v1.4")
    gh.add_issue(482, milestone="v1.4", pull_request=True)  # a pull request in the milestone: not a defect
    gh.add_issue(490, labels=("backend",), milestone="v1.5")
    declare(ws, 490)
    gh_opts = gh_options(gh, issue_queries=("milestone:v1.4",))
    code, out, err, report = check(ws, gh_opts)
    assert code == 1, out + err
    assert codes(report) == ["tracking-missing"]
    assert report["problems"][0]["issue"] == 481 and "milestone:v1.4" in report["problems"][0]["message"]
    assert [d["issue"] for d in report["defects"]] == [462]  # 490 is in another milestone
    # The milestone listing carried the labels: no per-issue label calls for its issues.
    assert not gh.api_calls("GET", r"/issues/462/labels")


def test_label_query_selects_issues(tmp_path, gh):
    ws = workspace(tmp_path)
    declare(ws, 480)
    gh.add_issue(462, labels=("proxy", "partner-reported", "release-blocker"))
    gh.add_issue(480, labels=("release-blocker",))
    gh.add_issue(481, labels=("wontfix",))
    code, out, err, report = check(ws, gh_options(gh, issue_queries=("label:release-blocker",)))
    assert code == 0, out + err
    assert sorted(d["issue"] for d in report["defects"]) == [462, 480]


def test_unknown_milestone_cannot_be_evaluated(tmp_path, gh):
    ws = workspace(tmp_path)
    gh.add_milestone("v1.4")
    code, _out, err, _report = check(ws, gh_options(gh, issue_queries=("milestone:v9",)))
    assert code == 2
    assert "milestone 'v9' not found" in err and "v1.4" in err


def test_milestone_without_a_token_cannot_be_evaluated(tmp_path):
    ws = workspace(tmp_path)
    code, _out, err, _report = check(ws, github(issue_queries=("milestone:v1.4",)))
    assert code == 2 and "needs the GitHub API" in err


def test_read_only_token_still_reads_labels(tmp_path, gh):
    ws = workspace(tmp_path)
    gh.add_issue(462, labels=("proxy", "partner-reported"))
    assert gh.tokens["read-token"] == READ_ONLY
    code, out, err, _report = check(ws, gh_options(gh, token="read-token"))
    assert code == 0, out + err


def test_mock_only_test_name_exists():
    # The helper TRACKING.md files declare this test; it must be in the example's mock results.
    from builders import EXAMPLES

    assert MOCK_ONLY_TEST.split(":")[0] in (EXAMPLES / "runs/qualified/mock/jest-junit.xml").read_text()
