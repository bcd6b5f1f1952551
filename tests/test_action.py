"""Integration: entrypoint.py run exactly as the Actions runner runs a Docker action."""

import json
import os
import re
import shutil
import subprocess
import sys

import pytest
from builders import EXAMPLES, ROOT


def run_action(tmp_path, scenario, **inputs):
    ws = tmp_path / "workspace"
    shutil.copytree(EXAMPLES / "docs", ws / "docs")
    shutil.copytree(EXAMPLES / "runs" / scenario, ws / "test-results")
    fc = tmp_path / "file_commands"
    fc.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INPUT_", "GITHUB_"))}
    env.update(
        GITHUB_ACTIONS="true",
        GITHUB_WORKSPACE=str(ws),
        GITHUB_OUTPUT=str(fc / "set_output"),
        GITHUB_STEP_SUMMARY=str(fc / "step_summary"),
        QUALIFY_TODAY="2026-11-25",
    )
    defaults = {
        "mock-results": "test-results/mock/*.xml",
        "real-results": "test-results/real/**/*.xml",
        "tracking": "docs/issues/**/TRACKING.md",
        "json-report": "qualify-report.json",
        "mode": "enforce",
        "token": "ghs_secret_token_value",
    }
    defaults.update(inputs)
    for name, value in defaults.items():
        env[f"INPUT_{name.upper()}"] = value  # the runner keeps hyphens: INPUT_MOCK-RESULTS
    (fc / "set_output").write_text("")
    r = subprocess.run(
        [sys.executable, str(ROOT / "entrypoint.py")], cwd=ws, env=env, capture_output=True, text=True, timeout=60
    )
    outputs = dict(re.findall(r"^(\w+)=(.*)$", (fc / "set_output").read_text(), re.M))
    summary = (fc / "step_summary").read_text() if (fc / "step_summary").exists() else ""
    return r, outputs, summary, ws


def test_qualified_run(tmp_path):
    r, outputs, summary, ws = run_action(tmp_path, "qualified")
    assert r.returncode == 0, r.stdout + r.stderr
    assert outputs == {"qualified": "true", "report": "qualify-report.json", "problems": "0"}
    assert summary.startswith("## ✅ Release qualified")
    assert "::error" not in r.stdout
    assert "::warning file=docs/issues/ISSUE-470/TRACKING.md,line=1,title=qualify not-declared::" in r.stdout
    assert json.loads((ws / "qualify-report.json").read_text())["qualified"] is True
    assert "ghs_secret_token_value" not in r.stdout + r.stderr + summary + (ws / "qualify-report.json").read_text()


@pytest.mark.parametrize("scenario", ["mock-only", "probe-only", "skipped-real"])
def test_failing_runs_annotate_the_tracking_file(tmp_path, scenario):
    r, outputs, summary, ws = run_action(tmp_path, scenario)
    assert r.returncode == 1
    report = json.loads((ws / "qualify-report.json").read_text())
    assert outputs["qualified"] == "false"
    assert outputs["problems"] == str(len(report["problems"])) != "0"
    errors = [line for line in r.stdout.splitlines() if line.startswith("::error ")]
    assert len(errors) == len(report["problems"])
    for line in errors:
        assert line.startswith("::error file=docs/issues/ISSUE-462/TRACKING.md,line=")
        assert str(ws) not in line
    assert summary.startswith("## ❌ Release not qualified")
    assert "partner-scenario-not-covered" in summary


def test_report_mode_passes_the_step_but_outputs_the_verdict(tmp_path):
    r, outputs, _, _ = run_action(tmp_path, "mock-only", mode="report")
    assert r.returncode == 0
    assert outputs["qualified"] == "false"


def test_missing_input_fails_with_an_annotation(tmp_path):
    r, outputs, _, _ = run_action(tmp_path, "qualified", **{"real-results": ""})
    assert r.returncode == 2
    assert "::error title=qualify::qualify could not evaluate: input real-results required: " in r.stdout
    assert outputs["qualified"] == "false"


def test_unmatched_glob_fails_closed_with_outputs(tmp_path):
    r, outputs, summary, ws = run_action(tmp_path, "qualified", **{"real-results": "nowhere/*.xml"})
    assert r.returncode == 2
    assert outputs["qualified"] == "false"
    assert "could not evaluate" in summary
    assert json.loads((ws / "qualify-report.json").read_text())["qualified"] is False
