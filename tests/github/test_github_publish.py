"""Publishing: the sticky comment, the check run with batched annotations, and read-only tokens."""

import json

from fake_github import FakeGitHub
from workspace import check, codes, declare, gh_options, github, workspace

from qualify.core.model import Finding, JobCounts, Verdict
from qualify.github.client import GitHubClient, Repo
from qualify.github.context import Api, env_github
from qualify.github.publish import MARKER, annotations, batches, check_run, comment_body, fit_chars

PR = 17
HEAD = "abc" + "1" * 37


def publish_opts(gh, **kw):
    return gh_options(gh, pr_number=PR, head_sha=HEAD, sha="def" + "2" * 37, **kw)


def labelled(gh):
    gh.add_issue(462, labels=("proxy", "partner-reported"))
    gh.add_issue(PR, pull_request=True)


def test_sticky_comment_is_created_once_then_edited(tmp_path, gh):
    ws = workspace(tmp_path)
    labelled(gh)
    gh.comments[PR] = [
        {"id": 1, "body": "LGTM", "user": {"login": "dev"}},
        {"id": 2, "body": f"quoting: {MARKER}", "user": {"login": "dev"}},  # marker not first: not ours
    ]
    code, out, err, _ = check(ws, publish_opts(gh, comment=True))
    assert code == 0, out + err
    ours = [c for c in gh.comments[PR] if c["body"].startswith(MARKER)]
    assert len(ours) == 1 and "Release qualified" in ours[0]["body"]
    # The next run (now failing) edits the same comment instead of adding one.
    declare(ws, 480)
    gh.add_issue(480, labels=("backend",))
    code, _, _, _ = check(ws, publish_opts(gh, comment=True))
    assert code == 1
    ours = [c for c in gh.comments[PR] if c["body"].startswith(MARKER)]
    assert len(ours) == 1 and "not qualified" in ours[0]["body"].lower()
    assert [c["body"] for c in gh.comments[PR][:2]] == ["LGTM", f"quoting: {MARKER}"]
    assert len(gh.api_calls("POST", r"/comments$")) == 1 and len(gh.api_calls("PATCH", r"/comments/")) == 1


def test_the_comment_is_a_list_for_the_narrow_column_and_the_check_run_a_table(tmp_path, gh):
    ws = workspace(tmp_path)
    labelled(gh)
    declare(ws, 480)
    gh.add_issue(480, labels=("backend",))
    code, out, err, _ = check(ws, publish_opts(gh, comment=True, check_name="q"))
    assert code == 1, out + err
    (comment,) = [c["body"] for c in gh.comments[PR] if c["body"].startswith(MARKER)]
    text = gh.check_runs[0]["output"]["summary"]
    assert "| Defect |" not in comment and "\n- " in comment and "needs: mock test, real-API test" in comment
    assert "| Defect | Declared test | Kind | Mock | Real&nbsp;API |" in text
    for body in (comment, text):
        assert "[#480](https://github.com/acme/voice/blob/" in body  # linked at the commit
        assert "/docs/issues/ISSUE-480/TRACKING.md) defect 480" in body  # with its title
        assert "mock-coverage" not in body and "real-api," not in body


def test_check_run_carries_the_verdict(tmp_path, gh):
    ws = workspace(tmp_path)
    labelled(gh)
    declare(ws, 480)
    gh.add_issue(480, labels=("backend",))
    code, out, err, _ = check(ws, publish_opts(gh, check_name="release qualification"))
    assert code == 1, out + err
    (run,) = gh.check_runs
    assert run["name"] == "release qualification" and run["head_sha"] == HEAD
    assert run["status"] == "completed" and run["conclusion"] == "failure"
    notes = run["_requests"][0]["output"]["annotations"]
    assert {n["annotation_level"] for n in notes} == {"failure", "warning"}
    failure = next(n for n in notes if n["annotation_level"] == "failure")
    assert failure["path"] == "docs/issues/ISSUE-480/TRACKING.md" and failure["title"].startswith("qualify ")


def test_report_mode_check_run_is_neutral(tmp_path, gh):
    ws = workspace(tmp_path)
    labelled(gh)
    declare(ws, 480)
    gh.add_issue(480, labels=("backend",))
    code, _, _, _ = check(ws, publish_opts(gh, check_name="q"), mode="report")
    assert code == 0 and gh.check_runs[0]["conclusion"] == "neutral"


def many_findings(n):
    return Verdict(
        defects=(),
        findings=tuple(Finding(code="x", message=f"m{i}", file="docs/a.md", line=i + 1) for i in range(n)),
        counts={"mock": JobCounts(), "real": JobCounts()},
        not_declared=(),
    )


def test_annotations_are_sent_in_batches_of_50(gh):
    with GitHubClient("write-token", gh.api_url, sleep=lambda s: None) as client:
        run_id = check_run(Api(client, Repo("acme", "voice")), "q", HEAD, many_findings(120), None, "# r", "enforce")
    (run,) = gh.check_runs
    assert run["id"] == run_id
    assert [len(r["output"]["annotations"]) for r in run["_requests"]] == [50, 50, 20]
    assert run["output"]["annotations_count"] == 120
    lines = [a["start_line"] for r in run["_requests"] for a in r["output"]["annotations"]]
    assert lines == list(range(1, 121))


def test_read_only_token_degrades_publishing_to_warnings(tmp_path, gh):
    ws = workspace(tmp_path)
    labelled(gh)
    code, out, err, report = check(ws, publish_opts(gh, token="read-token", comment=True, check_name="q"))
    assert code == 0, out + err  # the verdict is unchanged
    assert report["qualified"] is True
    failed = [w["message"] for w in report["warnings"] if w["code"] == "publish-failed"]
    assert len(failed) == 2
    assert any("`pull-requests: write`" in m for m in failed) and any("`checks: write`" in m for m in failed)
    assert "publish-failed" in out  # annotations/console
    assert "could not create the check run" in (ws / "summary.md").read_text()
    assert not gh.check_runs and not gh.comments.get(PR)
    assert "read-token" not in out + err + json.dumps(report)


def test_without_a_token_publishing_is_skipped(tmp_path):
    ws = workspace(tmp_path)
    code, _, _, report = check(ws, github(comment=True, check_name="q", pr_number=PR))
    assert code == 0
    assert "publish-skipped" in codes(report, "warnings")


def test_comment_outside_a_pull_request_is_skipped(tmp_path, gh):
    ws = workspace(tmp_path)
    labelled(gh)
    code, _, _, report = check(ws, gh_options(gh, comment=True))
    assert code == 0 and "publish-skipped" in codes(report, "warnings")


def test_could_not_evaluate_still_publishes_a_failed_check(tmp_path, gh):
    ws = workspace(tmp_path, results=False)
    labelled(gh)
    code, _, err, _ = check(ws, publish_opts(gh, check_name="q"))
    assert code == 2 and "matched no file" in err
    assert gh.check_runs[0]["conclusion"] == "failure"
    assert "matched no file" in gh.check_runs[0]["output"]["summary"]


def test_ghes_publishing():
    with FakeGitHub(prefix="/api/v3") as gh:
        with GitHubClient("write-token", gh.api_url, sleep=lambda s: None) as client:
            check_run(Api(client, Repo("acme", "voice")), "q", HEAD, many_findings(3), None, "# r", "enforce")
        assert gh.check_runs and gh.api_calls("POST", r"^/api/v3/repos/acme/voice/check-runs$")


def test_body_limits_and_helpers():
    body = comment_body("line\n" * 20_000)
    assert body.startswith(MARKER) and len(body) <= 65_536 and "cut to fit" in body
    assert fit_chars("short", 100) == "short"
    assert batches([]) == [[]] and [len(b) for b in batches(list(range(101)))] == [50, 50, 1]
    assert annotations([Finding(code="x", message="no file")]) == []


def test_event_gives_the_pull_request(tmp_path):
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"number": 17, "pull_request": {"number": 17, "head": {"sha": HEAD}}}))
    ctx = env_github({"GITHUB_EVENT_PATH": str(event), "GITHUB_REPOSITORY": "acme/voice", "GITHUB_SHA": "m" * 40})
    assert (ctx["pr_number"], ctx["head_sha"], ctx["repo"]) == (17, HEAD, "acme/voice")
    push = tmp_path / "push.json"
    push.write_text(json.dumps({"ref": "refs/heads/main"}))
    assert "pr_number" not in env_github({"GITHUB_EVENT_PATH": str(push)})
