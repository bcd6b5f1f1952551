"""A workspace like a checked-out repository: the example declarations plus extra TRACKING.md files."""

from __future__ import annotations

import datetime as dt
import io
import shutil
from functools import partial
from pathlib import Path

from builders import EXAMPLES

from qualify.app.check import run
from qualify.github.client import GitHubClient
from qualify.settings import (
    ArtifactSource,
    GitHubContext,
    Outputs,
    PolicyInputs,
    PublishSettings,
    ReadingLimits,
    Settings,
    Sources,
    frozen_map,
)

# The API client of these tests never waits out a retry or a rate limit.
NO_SLEEP = partial(GitHubClient, sleep=lambda s: None)
MOCK_ONLY_TEST = "Issue #462: no session.update after output_audio.done until output_text.done"


def workspace(tmp_path: Path, scenario: str = "qualified", results: bool = True) -> Path:
    ws = tmp_path / "ws"
    shutil.copytree(EXAMPLES / "docs", ws / "docs")
    if results:
        shutil.copytree(EXAMPLES / "runs" / scenario, ws / "results")
    return ws


def declare(ws: Path, issue: int, *, area: str | None = None, partner: str | None = None, test: str = MOCK_ONLY_TEST):
    lines = ["---", "qualify:", f"  issue: {issue}", f"  title: defect {issue}"]
    if area:
        lines.append(f"  area: [{area}]")
    if partner:
        lines += [f"  partner: {partner}", "  scenario: connect → settings → call"]
    lines += ["  coverage:", f'    - test: "{test}"', "      kind: regression", "      jobs: [mock]", "---", ""]
    path = ws / "docs" / "issues" / f"ISSUE-{issue}" / "TRACKING.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines), encoding="utf-8")


def github(
    *,
    issue_queries: tuple[str, ...] = (),
    artifacts: dict[str, str] | None = None,
    results_run_id: int | None = None,
    results_workflow: str | None = None,
    results_branch: str | None = None,
    allow_stale_results: bool = False,
    shards: dict[str, int] | None = None,
    comment: bool = False,
    check_name: str | None = None,
    **context,
) -> dict:
    """The GitHub side of a check, as the settings each stage reads (GitHubContext takes the rest)."""
    return {
        "github": GitHubContext(**context),
        "artifacts": ArtifactSource(
            names=frozen_map(artifacts or {}),
            run_id=results_run_id,
            workflow=results_workflow,
            branch=results_branch,
            allow_stale=allow_stale_results,
            shards=frozen_map(shards or {}),
        ),
        "publish": PublishSettings(comment=comment, check_name=check_name),
        "issue_queries": tuple(issue_queries),
    }


def check(ws: Path, gh: dict | None = None, **kw) -> tuple[int, str, str, dict]:
    """Run the check in-process; returns (exit code, stdout, stderr, JSON report)."""
    import json

    gh = gh or github()
    settings = Settings(
        sources=Sources(
            workspace=ws,
            mock=tuple(kw.pop("mock_results", ["results/mock/*.xml"])),
            real=tuple(kw.pop("real_results", ["results/real/**/*.xml"])),
        ),
        limits=ReadingLimits(),
        policy=PolicyInputs(today=dt.date(2026, 11, 25), issue_queries=gh["issue_queries"]),
        outputs=Outputs(
            workspace=ws,
            json_report="report.json",
            summary="summary.md",
            mode=kw.pop("mode", "enforce"),
            links=gh["github"].blob_base(),
        ),
        github=gh["github"],
        artifacts=gh["artifacts"],
        publish=gh["publish"],
    )
    assert not kw, f"unknown settings {kw}"
    out, err = io.StringIO(), io.StringIO()
    code = run(settings, out, err, make_client=NO_SLEEP)
    report_path = ws / "report.json"
    report = json.loads(report_path.read_text()) if report_path.exists() else {}
    return code, out.getvalue(), err.getvalue(), report


def gh_options(gh, token: str = "write-token", **kw) -> dict:
    return github(token=token, repo=f"{gh.owner}/{gh.repo}", api_url=gh.api_url, **kw)


def codes(report: dict, kind: str = "problems") -> list[str]:
    return sorted(f["code"] for f in report.get(kind, []))
