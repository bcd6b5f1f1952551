"""Each runner's recipe for recording a test's trace, proven on the junit XML that runner wrote.

The fixtures under tests/fixtures/traces/<runner>/ come from tests/fixtures/generate-traces.sh: the
recipes in tests/fixtures/sources/traces/<runner>/ run once as the mock job and once as the real-API
job. Every test there records the same partner flow (sources/traces/flow.cjs, flow.py) through one
channel the runner offers: output lines, an attached file, properties. `qualify check` must find
every step in the full-flow runs, name the missing step of the probe and the step out of place,
and show the mock drift (the mock finishes the transcript first, the real API the audio).
"""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest
from builders import ROOT

from qualify.app.cli import main

TRACES = ROOT / "tests" / "fixtures" / "traces"
STEPS = """\
  scenario:
    - connect: 'session\\.created'
    - Settings: 'session\\.update'
    - user message: '"type":"conversation\\.item\\.create","item":\\{"type":"message"'
    - function call: 'response\\.function_call_arguments\\.done'
    - backend HTTP: 'GET /orders/\\w+ 200'
    - FunctionCallResponse: 'function_call_output'
    - response: 'response\\.done'
  events: '<- \\{"type":"([\\w.]+)"'
"""
DRIFT = (
    "mock: response.output_text.done before response.output_audio.done; "
    "real API: response.output_audio.done before response.output_text.done"
)

# runner -> {declared title: where the steps must be seen (a trace line label prefix)}
FULL_FLOW = {
    "playwright": {
        "partner flow › full flow via stdout": "output line",
        "partner flow › full flow via attachment": "attachment test-results/",
        "partner flow › full flow via annotations": "properties line",
    },
    "pytest": {
        "TestPartnerFlow › test_full_flow_via_stdout": "output line",
        "TestPartnerFlow › test_full_flow_via_attachment": "attachment traces/",
        "TestPartnerFlow › test_full_flow_via_record_property": "properties line",
        "TestPartnerFlow › test_flow_parametrised": "output line",  # one of two parametrisations shows it
    },
    "vitest": {
        "partner flow > full flow via console": "output line",
        "partner flow > full flow via attachment line": "attachment traces/",
        "partner flow > full flow via attachment annotation": "attachment traces/",
        "partner flow > full flow via annotations": "properties line",
    },
    "jest": {
        "partner flow full flow via trace file": "attachment traces/",
    },
}
PROBE = {
    "playwright": "partner flow › probe of one path",
    "pytest": "test_probe_of_one_path",
    "vitest": "partner flow > probe of one path",
    "jest": "partner flow probe of one path",
}
OUT_OF_ORDER = {
    "playwright": "partner flow › flow out of order",
    "pytest": "test_flow_out_of_order",
    "vitest": "partner flow > flow out of order",
    "jest": "partner flow flow out of order",
}


def _tracking(entries: list[tuple[str, str, str]]) -> str:
    lines = [
        "---",
        "qualify:",
        "  issue: 462",
        "  area: [proxy]",
        "  partner: voice-commerce",
        STEPS.rstrip(),
        "  coverage:",
    ]
    for title, kind, jobs in entries:
        lines += [f"    - test: {json.dumps(title)}", f"      kind: {kind}", f"      jobs: {jobs}"]
    return "\n".join([*lines, "---", ""])


def _check(tmp_path: Path, runner: str, entries: list[tuple[str, str, str]], real: str = "real") -> tuple[int, dict]:
    ws = tmp_path / "ws"
    if ws.exists():
        shutil.rmtree(ws)
    shutil.copytree(TRACES / runner / "mock", ws / "mock")
    shutil.copytree(TRACES / runner / real, ws / "real")
    (ws / "docs" / "issues" / "ISSUE-462").mkdir(parents=True)
    (ws / "docs" / "issues" / "ISSUE-462" / "TRACKING.md").write_text(_tracking(entries))
    out, err = io.StringIO(), io.StringIO()
    argv = ["check", "--workspace", str(ws), "--mock-results", "mock/*.xml", "--real-results", "real/*.xml"]
    code = main([*argv, "--json-report", "report.json", "--today", "2026-11-25"], out, err)
    assert "Traceback" not in err.getvalue()
    return code, json.loads((ws / "report.json").read_text())


def _results(report: dict, title: str) -> dict:
    (defect,) = report["defects"]
    return next(c for c in defect["coverage"] if c["test"] == title)


def _messages(report: dict, code: str, title: str) -> list[str]:
    return [f["message"] for f in report["problems"] + report["warnings"] if f["code"] == code and f["test"] == title]


@pytest.mark.parametrize("runner", sorted(FULL_FLOW))
def test_the_full_flow_qualifies_through_every_channel_and_the_drift_shows(tmp_path, runner):
    entries = [(title, "scenario", "[mock, real]") for title in FULL_FLOW[runner]]
    code, report = _check(tmp_path, runner, entries)
    assert code == 0, report["problems"]
    for title, channel in FULL_FLOW[runner].items():
        result = _results(report, title)
        real = result["results"]["real"]
        assert real["flow"]["complete"] is True, (title, real["flow"])
        assert [s["name"] for s in real["steps"] if s["seen"]] == [
            "connect", "Settings", "user message", "function call", "backend HTTP", "FunctionCallResponse", "response"
        ]  # fmt: skip
        assert all(s["where"].startswith(channel) for s in real["steps"]), (title, real["steps"])
        # The same test in both jobs: the mock finished the transcript first, the real API the audio.
        assert {"mock": ["response.output_text.done", "response.output_audio.done"],
                "real": ["response.output_audio.done", "response.output_text.done"]} in result["drift"]  # fmt: skip
        assert any(m.startswith(DRIFT) for m in _messages(report, "mock-drift", title)), title


@pytest.mark.parametrize("runner", sorted(FULL_FLOW))
def test_the_probe_labelled_scenario_and_the_flow_out_of_order_do_not_qualify(tmp_path, runner):
    probe, disorder = PROBE[runner], OUT_OF_ORDER[runner]
    code, report = _check(tmp_path, runner, [(probe, "scenario", "[real]"), (disorder, "scenario", "[real]")])
    assert code == 1
    (missing,) = _messages(report, "scenario-incomplete", probe)
    assert "steps seen: connect → Settings → user message; missing from here: function call" in missing
    (misplaced,) = _messages(report, "scenario-incomplete", disorder)
    assert "out of place: function call appears only before user message" in misplaced
    # scenario-incomplete says more than partner-scenario-not-covered would: it stands alone.
    assert "partner-scenario-not-covered" not in [p["code"] for p in report["problems"]]
    # The annotation points at the step's line in TRACKING.md (`- function call:` is line 10).
    assert {p["line"] for p in report["problems"] if p["code"] == "scenario-incomplete"} == {10}


def test_jest_console_output_is_not_a_trace(tmp_path):
    """jest-junit writes no per-test output: console.log lines never reach the XML."""
    code, report = _check(tmp_path, "jest", [("partner flow full flow via console only", "scenario", "[real]")])
    assert code == 1
    (message,) = _messages(report, "scenario-incomplete", "partner flow full flow via console only")
    assert "steps seen: none; missing from here: connect" in message


def test_pytest_output_needs_junit_logging(tmp_path):
    """Without `-o junit_logging=system-out`, pytest keeps no output: the stdout recipe shows no step
    (and a printed `[[ATTACHMENT|...]]` line is lost too), while `record_property` still works."""
    entries = [
        ("test_full_flow_via_stdout", "scenario", "[real]"),
        ("test_full_flow_via_record_property", "scenario", "[real]"),
    ]
    code, report = _check(tmp_path, "pytest", entries, real="real-without-logging")
    assert code == 1
    (message,) = _messages(report, "scenario-incomplete", "test_full_flow_via_stdout")
    assert "steps seen: none" in message
    assert not _messages(report, "scenario-incomplete", "test_full_flow_via_record_property")


def test_a_binary_attachment_is_not_read_and_the_report_says_why(tmp_path):
    title = "partner flow › binary attachment only"
    code, report = _check(tmp_path, "playwright", [(title, "scenario", "[real]")])
    assert code == 1
    flow = _results(report, title)["results"]["real"]["flow"]
    (note,) = flow["unread"]
    assert note["path"].startswith("test-results/") and note["path"].endswith(".png")
    assert note["reason"] == "not read: binary (it holds NUL bytes); a trace is text"
    (message,) = _messages(report, "scenario-incomplete", title)
    assert "not read: binary" in message
