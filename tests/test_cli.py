"""Acceptance: the CLI on files, exit codes and messages (as a user runs it)."""

import json
import os
import shutil
import subprocess
import sys

import pytest
from builders import EXAMPLES, ROOT

SCENARIOS = {
    "qualified": (0, []),
    # The test declared for both jobs passed in the "real" job too, but against the mock: its
    # evidence (property upstream=real-api) is missing, so it does not cover the real-API rule.
    "mock-only": (
        1,
        ["evidence-missing", "no-real-api-coverage", "partner-scenario-not-covered", "test-not-found", "test-skipped"],
    ),
    "probe-only": (1, ["partner-scenario-not-covered", "test-not-found"]),
    "skipped-real": (
        1,
        ["evidence-missing", "no-real-api-coverage", "partner-scenario-not-covered", "test-skipped", "test-skipped"],
    ),
}


def qualify(*args, cwd=ROOT, env=None):
    return subprocess.run(
        [sys.executable, str(ROOT / "entrypoint.py"), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_examples(scenario, tmp_path):
    code, problems = SCENARIOS[scenario]
    report = tmp_path / "report.json"
    summary = tmp_path / "summary.md"
    r = qualify(
        "check",
        "--workspace",
        str(EXAMPLES),
        "--mock-results",
        f"runs/{scenario}/mock/*.xml",
        "--real-results",
        f"runs/{scenario}/real/*.xml",
        "--json-report",
        str(report),
        "--summary",
        str(summary),
    )
    assert r.returncode == code, r.stdout + r.stderr
    data = json.loads(report.read_text())
    assert data["qualified"] is (code == 0)
    assert sorted(p["code"] for p in data["problems"]) == problems
    assert [d["issue"] for d in data["defects"]] == [462]
    assert data["not_declared"] == ["docs/issues/ISSUE-470/TRACKING.md"]
    assert "Traceback" not in r.stderr
    text = summary.read_text()
    assert text.startswith("## ✅ Release qualified" if code == 0 else "## ❌ Release not qualified")
    assert ("QUALIFIED" if code == 0 else "NOT QUALIFIED") in r.stdout


def test_report_mode_exits_zero_but_reports_the_verdict(tmp_path):
    report = tmp_path / "r.json"
    r = qualify(
        "check",
        "--workspace",
        str(EXAMPLES),
        "--mode",
        "report",
        "--json-report",
        str(report),
        "--mock-results",
        "runs/mock-only/mock/*.xml",
        "--real-results",
        "runs/mock-only/real/*.xml",
    )
    assert r.returncode == 0
    assert json.loads(report.read_text())["qualified"] is False
    assert "NOT QUALIFIED" in r.stdout


def test_glob_matching_no_file_cannot_evaluate(tmp_path):
    r = qualify(
        "check",
        "--workspace",
        str(EXAMPLES),
        "--mock-results",
        "runs/qualified/mock/*.xml",
        "--real-results",
        "nothing/here/*.xml",
        "--json-report",
        str(tmp_path / "r.json"),
    )
    assert r.returncode == 2
    assert "--real-results 'nothing/here/*.xml' matched no file" in r.stderr
    assert json.loads((tmp_path / "r.json").read_text())["qualified"] is False


def test_report_mode_still_exits_2_when_it_cannot_evaluate():
    r = qualify(
        "check",
        "--workspace",
        str(EXAMPLES),
        "--mode",
        "report",
        "--mock-results",
        "none/*.xml",
        "--real-results",
        "none/*.xml",
    )
    assert r.returncode == 2


def test_malformed_results_name_the_file_and_line(tmp_path):
    ws = tmp_path / "ws"
    shutil.copytree(EXAMPLES / "docs", ws / "docs")
    (ws / "mock").mkdir()
    (ws / "mock" / "bad.xml").write_text("<testsuites>\n<testsuite>\n<testcase name='x'>\n")
    (ws / "real").mkdir()
    shutil.copy(EXAMPLES / "runs/qualified/real/jest-junit.xml", ws / "real")
    r = qualify("check", "--workspace", str(ws), "--mock-results", "mock/*.xml", "--real-results", "real/*.xml")
    assert r.returncode == 2
    assert "mock/bad.xml:" in r.stderr and "malformed XML" in r.stderr
    assert "Traceback" not in r.stderr


def test_missing_required_flags_is_a_usage_error():
    r = qualify("check", "--mock-results", "x.xml")
    assert r.returncode == 2 and "--real-results required" in r.stderr


def test_bad_issue_list_is_a_usage_error():
    r = qualify("check", "--mock-results", "a", "--real-results", "b", "--issues", "462,abc")
    assert r.returncode == 2 and "'abc' is not an issue number" in r.stderr


def test_requested_issue_that_is_not_declared(tmp_path):
    r = qualify(
        "check",
        "--workspace",
        str(EXAMPLES),
        "--issues",
        "462,470",
        "--mock-results",
        "runs/qualified/mock/*.xml",
        "--real-results",
        "runs/qualified/real/*.xml",
    )
    assert r.returncode == 1
    assert "tracking-missing" in r.stdout and "#470" in r.stdout


def test_files_outside_the_workspace_are_refused_in_github_actions(tmp_path):
    # Outside GitHub Actions a typed `../` path is the person's choice (tests/test_cli_as_typed.py).
    r = qualify(
        "check",
        "--workspace",
        str(EXAMPLES / "docs"),
        "--mock-results",
        "../runs/qualified/mock/*.xml",
        "--real-results",
        "../runs/qualified/real/*.xml",
        env={**os.environ, "GITHUB_ACTIONS": "true"},
    )
    assert r.returncode == 2 and "outside the workspace" in r.stderr


def test_version_and_help():
    from qualify import __version__

    assert qualify("--version").stdout.strip() == f"qualify {__version__}"
    r = qualify("check", "--help")
    assert r.returncode == 0 and "--mock-results" in r.stdout


def test_lint(tmp_path):
    good = EXAMPLES / "docs/issues/ISSUE-462/TRACKING.md"
    r = qualify("lint", str(good))
    assert r.returncode == 0, r.stdout
    bad = tmp_path / "TRACKING.md"
    bad.write_text(
        "---\nqualify:\n  issue: 1\n  partner: acme\n  coverage:\n    - test: a\n      jobs: [staging]\n---\n"
    )
    r = qualify("lint", str(bad))
    assert r.returncode == 1
    assert f"{bad}:7: tracking-invalid" in r.stdout
    bad.write_text("---\nqualify:\n  issue: 1\n  partner: acme\n  coverage:\n    - test: a\n---\n")
    r = qualify("lint", str(bad))
    assert r.returncode == 1
    assert "scenario-undocumented" in r.stdout and "partner-scenario-not-covered" in r.stdout


def test_internal_errors_never_show_a_traceback(tmp_path):
    r = qualify("lint", str(tmp_path / "missing.md"))
    assert r.returncode == 2 and "no such file" in r.stderr and "Traceback" not in r.stderr


EVIDENCE_TRACKING = """---
qualify:
  issue: 462
  area: [proxy]
  coverage:
    - test: "TestCheckout › test_completes_the_flow"
      jobs: [mock]
    - test: "checkout › Issue #462: totals are rounded to cents"
      kind: probe
      jobs: [real]
      evidence:
        - property: issue
          matches: '{value}'
    - test: "checkout › Issue #462: totals are rounded to whole cents"
      jobs: [real]
---
"""


@pytest.mark.parametrize(("value", "code"), [("^#462$", 0), ("^#999$", 1)])
def test_evidence_and_diagnostics_on_real_playwright_output(tmp_path, value, code):
    runners = ROOT / "tests/fixtures/runners"
    (tmp_path / "mock").mkdir()
    (tmp_path / "real").mkdir()
    shutil.copy(runners / "pytest/xunit1.xml", tmp_path / "mock/pytest.xml")
    shutil.copy(runners / "playwright/default.xml", tmp_path / "real/playwright.xml")
    tracking = tmp_path / "docs/issues/ISSUE-462/TRACKING.md"
    tracking.parent.mkdir(parents=True)
    tracking.write_text(EVIDENCE_TRACKING.replace("{value}", value))
    r = qualify(
        "check",
        "--workspace",
        str(tmp_path),
        "--mock-results",
        "mock/*.xml",
        "--real-results",
        "real/*.xml",
        "--json-report",
        "r.json",
        "--summary",
        "s.md",
    )
    assert r.returncode == 1, r.stdout + r.stderr
    data = json.loads((tmp_path / "r.json").read_text())
    (d,) = data["defects"]
    probe = d["coverage"][1]["results"]["real"]
    assert probe["status"] == "passed"
    assert probe["evidence"]["satisfied"] is (code == 0)
    assert probe["evidence"]["items"] == [
        {"property": "issue", "matches": value, "output": False, "passing_runs_with_it": 1 if code == 0 else 0}
    ]
    problems = sorted(p["code"] for p in data["problems"])
    want = ["test-not-found"] + (["evidence-missing", "no-real-api-coverage"] if code else [])
    assert problems == sorted(want)
    nf = next(p for p in data["problems"] if p["code"] == "test-not-found")
    assert nf["closest"][0] == "checkout › Issue #462: totals are rounded to cents"
    assert nf["did_you_mean"] == "checkout › Issue #462: totals are rounded to cents"
    assert "line 14 of docs/issues/ISSUE-462/TRACKING.md" in nf["hint"]
    # Tests mentioning #462 that no entry declares: pytest's, in the mock job, with its file.
    assert [(c["name"], c["jobs"], c["file"]) for c in d["undeclared_candidates"]] == [
        ("test_issue_462_totals_are_rounded_to_cents", ["mock"], "tests/test_flow.py"),
        ("test_tokens[Issue #462]", ["mock"], "tests/test_special.py"),
    ]
    assert "undeclared-test" in {w["code"] for w in data["warnings"]}
    summary = (tmp_path / "s.md").read_text().replace("&nbsp;", " ")  # as the reader sees it
    assert ("evidence missing" in summary) is bool(code)
    assert "did you mean “checkout › Issue \\#462: totals are rounded to cents”?" in summary  # # escaped in Markdown
    assert "undeclared-test" in summary
    assert ("NO EVIDENCE" in r.stdout) is bool(code)
    assert "undeclared tests mentioning #462: 2" in r.stdout


def test_init_prints_a_block_that_check_accepts(tmp_path):
    runs = EXAMPLES / "runs/qualified"
    shutil.copytree(runs, tmp_path / "runs")
    r = qualify(
        "init",
        "#462",
        "--workspace",
        str(tmp_path),
        "--mock-results",
        "runs/mock/*.xml",
        "--real-results",
        "runs/real/*.xml",
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("---\nqualify:\n  issue: 462\n") and r.stdout.endswith("---\n")
    assert r.stdout.count("- test: ") == 4
    tracking = tmp_path / "docs/issues/ISSUE-462/TRACKING.md"
    tracking.parent.mkdir(parents=True)
    tracking.write_text(r.stdout + "\n# ISSUE-462\n")
    assert qualify("lint", str(tracking)).returncode == 0
    report = tmp_path / "r.json"
    c = qualify(
        "check",
        "--workspace",
        str(tmp_path),
        "--mock-results",
        "runs/mock/*.xml",
        "--real-results",
        "runs/real/*.xml",
        "--json-report",
        str(report),
    )
    assert c.returncode == 0, c.stdout
    data = json.loads(report.read_text())
    statuses = [res["status"] for cov in data["defects"][0]["coverage"] for res in cov["results"].values()]
    assert statuses and set(statuses) == {"passed"}
    assert data["defects"][0]["undeclared_candidates"] == []  # init listed every test that mentions #462


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (
            [
                "init",
                "999",
                "--mock-results",
                "runs/qualified/mock/*.xml",
                "--real-results",
                "runs/qualified/real/*.xml",
            ],
            1,
            "no test title mentions #999",
        ),
        (["init", "abc", "--mock-results", "x", "--real-results", "y"], 2, "not an issue number"),
        (["init", "462", "--mock-results", "runs/qualified/mock/*.xml"], 2, "--real-results required"),
        (["init", "462", "--mock-results", "nope/*.xml", "--real-results", "nope/*.xml"], 2, "matched no file"),
    ],
)
def test_init_errors(args, code, words):
    r = qualify(*args, "--workspace", str(EXAMPLES))
    assert r.returncode == code and words in r.stderr and r.stdout == ""
    assert "Traceback" not in r.stderr
