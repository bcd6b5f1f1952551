"""A workspace like a checked-out repository: the example declarations plus extra TRACKING.md files."""

from __future__ import annotations

import datetime as dt
import io
import shutil
from pathlib import Path

from builders import EXAMPLES

from qualify.app.check import CheckOptions, run
from qualify.github.context import GitHubOptions

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


def check(ws: Path, github: GitHubOptions | None = None, **kw) -> tuple[int, str, str, dict]:
    """Run the check in-process; returns (exit code, stdout, stderr, JSON report)."""
    import json

    opts = CheckOptions(
        mock_results=kw.pop("mock_results", ["results/mock/*.xml"]),
        real_results=kw.pop("real_results", ["results/real/**/*.xml"]),
        workspace=ws,
        today=dt.date(2026, 11, 25),
        json_report="report.json",
        summary="summary.md",
        github=github or GitHubOptions(),
        **kw,
    )
    out, err = io.StringIO(), io.StringIO()
    code = run(opts, out, err)
    report_path = ws / "report.json"
    report = json.loads(report_path.read_text()) if report_path.exists() else {}
    return code, out.getvalue(), err.getvalue(), report


def gh_options(gh, token: str = "write-token", **kw) -> GitHubOptions:
    return GitHubOptions(token=token, repo=f"{gh.owner}/{gh.repo}", api_url=gh.api_url, sleep=lambda s: None, **kw)


def codes(report: dict, kind: str = "problems") -> list[str]:
    return sorted(f["code"] for f in report.get(kind, []))
