"""The flags and Action inputs reach the GitHub features: entrypoint.py run as a user and as the runner run it."""

import json
import os
import re
import subprocess
import sys

from builders import ROOT
from test_github_artifacts import COMMIT_TIME, HEAD, real_zip
from workspace import declare, workspace

PR = 21


def base_env(gh, **extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INPUT_", "GITHUB_"))}
    env.update(GITHUB_API_URL=gh.api_url, GITHUB_REPOSITORY="acme/voice", GITHUB_SHA=HEAD, QUALIFY_TODAY="2026-11-25")
    env.update(extra)
    return env


def entry(args, cwd, env):
    return subprocess.run(
        [sys.executable, str(ROOT / "entrypoint.py"), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def seed(gh):
    run = gh.add_run(head_sha=HEAD, workflow="real-api.yml", branch="main")
    gh.add_artifact(run, "real-junit", real_zip())
    gh.add_commit(HEAD, COMMIT_TIME)
    gh.add_issue(462, labels=("proxy", "partner-reported"), milestone="v1.4")
    gh.add_issue(480, labels=("area/server",), milestone="v1.4")
    gh.add_issue(PR, pull_request=True)
    return run


def test_cli_flags(tmp_path, gh):
    ws = workspace(tmp_path)
    declare(ws, 480)
    seed(gh)
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"number": PR, "pull_request": {"number": PR, "head": {"sha": HEAD}}}))
    r = entry(
        [
            "check",
            "--workspace",
            str(ws),
            "--mock-results",
            "results/mock/*.xml",
            "--real-results-artifact",
            "real-junit",
            "--results-workflow",
            "real-api.yml",
            "--results-branch",
            "main",
            "--issues",
            "milestone:v1.4",
            "--real-api-labels",
            "area/server",
            "--partner-labels",
            "partner-reported",
            "--comment",
            "--check-name",
            "qualify",
            "--json-report",
            "r.json",
        ],
        ws,
        base_env(gh, GITHUB_TOKEN="write-token", GITHUB_EVENT_PATH=str(event)),
    )
    assert r.returncode == 1, r.stdout + r.stderr
    report = json.loads((ws / "r.json").read_text())
    assert [p["code"] for p in report["problems"]] == ["no-real-api-coverage"]
    assert next(d for d in report["defects"] if d["issue"] == 480)["rules"] == ["mock-coverage", "real-api"]
    assert report["results"]["real"]["files"] == 2
    assert gh.check_runs[0]["name"] == "qualify" and gh.check_runs[0]["conclusion"] == "failure"
    assert len(gh.comments[PR]) == 1
    assert gh.storage_violations == []
    assert "write-token" not in r.stdout + r.stderr


def test_action_inputs_with_a_read_only_token(tmp_path, gh):
    ws = workspace(tmp_path)
    run = seed(gh)
    fc = tmp_path / "fc"
    fc.mkdir()
    (fc / "out").write_text("")
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": PR, "head": {"sha": HEAD}}}))
    inputs = {
        "mock-results": "results/mock/*.xml",
        "real-results": "",
        "tracking": "docs/issues/**/TRACKING.md",
        "issues": "462",
        "mode": "enforce",
        "json-report": "qualify-report.json",
        "token": "read-token",
        "real-results-artifact": "real-junit",
        "results-run-id": str(run["id"]),
        "allow-stale-results": "false",
        "comment": "true",
        "check-name": "qualify",
    }
    env = base_env(
        gh,
        GITHUB_ACTIONS="true",
        GITHUB_WORKSPACE=str(ws),
        GITHUB_OUTPUT=str(fc / "out"),
        GITHUB_STEP_SUMMARY=str(fc / "summary"),
        GITHUB_EVENT_PATH=str(event),
    )
    env.update({f"INPUT_{k.upper()}": v for k, v in inputs.items()})
    r = entry([], ws, env)
    assert r.returncode == 0, r.stdout + r.stderr  # publishing failed, the verdict did not change
    outputs = dict(re.findall(r"^(\w+)=(.*)$", (fc / "out").read_text(), re.M))
    assert outputs["qualified"] == "true"
    assert r.stdout.count("title=qualify publish-failed::") == 2
    assert "read-token" not in r.stdout + r.stderr + (fc / "summary").read_text()


def test_action_rejects_half_given_sources(tmp_path, gh):
    ws = workspace(tmp_path)
    env = base_env(gh, GITHUB_ACTIONS="true", GITHUB_WORKSPACE=str(ws))
    env.update(
        {
            "INPUT_MOCK-RESULTS": "results/mock/*.xml",
            "INPUT_REAL-RESULTS-ARTIFACT": "real-junit",
            "INPUT_TOKEN": "write-token",
        }
    )
    r = entry([], ws, env)
    assert r.returncode == 2
    assert "input real-results-artifact/input mock-results-artifact needs the run" in r.stderr
