"""Unexpected failures end in exit 2 with one line and a not-qualified report; QUALIFY_DEBUG=1 shows why."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hostile_harness import ROOT, TOKEN, Layout, assert_safe, run_in_process, workspace


def _boom(*args, **kwargs):
    raise ValueError("boom\n::error::qualified")


def test_an_unexpected_exception_is_one_line_and_not_qualified(tmp_path, monkeypatch):
    monkeypatch.delenv("QUALIFY_DEBUG", raising=False)
    monkeypatch.setattr("qualify.results.read.read_testcases", _boom)
    ws = workspace(tmp_path)
    run = run_in_process(ws, Layout())
    assert run.code == 2
    assert (
        run.err
        == "qualify: error: internal error: ValueError: boom ::error::qualified (set QUALIFY_DEBUG=1 for a traceback)\n"
    )
    assert run.report["error_code"] == "internal-error" and run.report["qualified"] is False
    assert_safe(run)


def test_qualify_debug_shows_the_traceback(tmp_path, monkeypatch):
    monkeypatch.setenv("QUALIFY_DEBUG", "1")
    monkeypatch.setattr("qualify.results.read.read_testcases", _boom)
    run = run_in_process(workspace(tmp_path), Layout())
    assert run.code == 2
    assert "Traceback (most recent call last)" in run.err and "ValueError: boom" in run.err
    assert run.report["qualified"] is False


def _action(tmp_path: Path, debug: bool = False, **inputs: str) -> tuple[subprocess.CompletedProcess, Path, dict]:
    ws = workspace(tmp_path)
    fc = tmp_path / "fc"
    fc.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INPUT_", "GITHUB_", "QUALIFY_"))}
    env.update(
        GITHUB_ACTIONS="true",
        GITHUB_WORKSPACE=str(ws),
        GITHUB_OUTPUT=str(fc / "output"),
        GITHUB_STEP_SUMMARY=str(fc / "summary"),
        QUALIFY_TODAY="2026-11-25",
        **({"QUALIFY_DEBUG": "1"} if debug else {}),
    )
    values = {"mock-results": "mock/*.xml", "real-results": "real/*.xml", "token": TOKEN, **inputs}
    for name, value in values.items():
        env[f"INPUT_{name.upper()}"] = value
    r = subprocess.run(
        [sys.executable, str(ROOT / "entrypoint.py")], cwd=ws, env=env, capture_output=True, text=True, timeout=60
    )
    out_file = fc / "output"
    outputs = dict(re.findall(r"^(\w+)=(.*)$", out_file.read_text(), re.M)) if out_file.is_file() else {}
    return r, ws, outputs


def test_action_byte_limit_input(tmp_path):
    r, ws, outputs = _action(tmp_path, **{"max-file-bytes": "1K"})
    assert r.returncode == 2, r.stdout + r.stderr
    assert outputs["qualified"] == "false"
    report = json.loads((ws / "qualify-report.json").read_text())
    assert report["error_code"] == "results-too-large" and "raise input max-file-bytes if" in report["error"]


def test_action_raised_limits_still_qualify(tmp_path):
    r, _ws, outputs = _action(tmp_path, **{"max-file-bytes": "2M", "max-total-bytes": "3M"})
    assert r.returncode == 0, r.stdout + r.stderr
    assert outputs["qualified"] == "true"


@pytest.mark.parametrize("name", ["max-file-bytes", "max-total-bytes"])
def test_action_bad_limit_is_a_usage_error_with_a_report(tmp_path, name):
    r, ws, outputs = _action(tmp_path, **{name: "-5"})
    assert r.returncode == 2
    assert f"input {name}: '-5' is not a positive byte count" in r.stderr
    assert outputs["qualified"] == "false"
    assert json.loads((ws / "qualify-report.json").read_text())["error_code"] == "usage"


def test_action_never_echoes_the_token(tmp_path):
    r, ws, _outputs = _action(tmp_path, issues=f"462,{TOKEN}")
    assert r.returncode == 2
    assert "'***' is not an issue number" in r.stderr
    assert TOKEN not in r.stdout + r.stderr + (ws / "qualify-report.json").read_text()


def test_action_internal_error_is_one_line(tmp_path):
    (tmp_path / "fc").mkdir()
    # GITHUB_OUTPUT is a folder: writing the outputs fails in a way no input check foresaw.
    (tmp_path / "fc" / "output").mkdir()
    ws = workspace(tmp_path / "w")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INPUT_", "GITHUB_", "QUALIFY_"))}
    env.update(
        GITHUB_WORKSPACE=str(ws),
        GITHUB_OUTPUT=str(tmp_path / "fc" / "output"),
        **{"INPUT_MOCK-RESULTS": "mock/*.xml", "INPUT_REAL-RESULTS": "real/*.xml"},
    )
    r = subprocess.run([sys.executable, str(ROOT / "entrypoint.py")], cwd=ws, env=env, capture_output=True, text=True)
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    # In Actions logs the progress reporter prints one total line; the failure itself is one line.
    lines = r.stderr.splitlines()
    errors = [line for line in lines if line.startswith("qualify: error:")]
    assert len(errors) == 1 and errors[0].startswith("qualify: error: internal error: IsADirectoryError")
    assert all(line.startswith("qualify: read ") for line in lines if line not in errors)
    assert "::error title=qualify internal-error::qualify could not evaluate: internal error: IsADirectory" in r.stdout
    env["QUALIFY_DEBUG"] = "1"
    r = subprocess.run([sys.executable, str(ROOT / "entrypoint.py")], cwd=ws, env=env, capture_output=True, text=True)
    assert r.returncode != 0 and "Traceback (most recent call last)" in r.stderr
