"""The ISSUE-462 story: the partner's flow proven from the run's own trace, not from a label.

examples/runs/ holds what real Jest and Playwright runs of examples/sample-app wrote
(examples/generate.sh): the E2E test 6b attaches its wire log, the Jest tests name their trace
files in `attachment` properties. These tests run the CLI on them as a user would.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from builders import EXAMPLES, ROOT

STEPS = ["connect", "Settings", "user message", "function call", "backend HTTP", "FunctionCallResponse", "response"]
DRIFT_TEST = "Issue #462: function-call flow completes against the job's upstream (mock and real API)"
PROBE = "Issue #462 real-API: audio.done before text.done does not clear responseInProgress (USE_REAL_APIS=1)"
SCENARIO = (
    "6b. Issue #462 / #470: function-call flow completes without conversation_already_has_active_response "
    "(partner scenario)"
)


def _check(workspace: Path, run: str, tmp_path: Path, *extra: str) -> tuple[int, str, dict, str]:
    report, summary = tmp_path / "report.json", tmp_path / "summary.md"
    r = subprocess.run(
        [sys.executable, str(ROOT / "entrypoint.py"), "check", "--workspace", str(workspace), *extra,
         "--mock-results", f"runs/{run}/mock/*.xml", "--real-results", f"runs/{run}/real/*.xml",
         "--json-report", str(report), "--summary", str(summary), "--annotations"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert "Traceback" not in r.stderr
    return r.returncode, r.stdout, json.loads(report.read_text()), summary.read_text()


def _coverage(report: dict, test: str) -> dict:
    (defect,) = report["defects"]
    return next(c for c in defect["coverage"] if c["test"] == test)


def test_the_full_flow_run_qualifies_from_the_attached_trace_and_shows_the_drift(tmp_path):
    code, out, report, summary = _check(EXAMPLES, "qualified", tmp_path)
    assert code == 0, out
    real = _coverage(report, SCENARIO)["results"]["real"]
    assert [s["name"] for s in real["steps"] if s["seen"]] == STEPS
    # Every step was read from the wire log Playwright attached, in order.
    assert all(s["where"].startswith("attachment playwright-results/") for s in real["steps"])
    assert real["flow"] == {**real["flow"], "complete": True, "runs_searched": 1, "unread": []}
    assert "✅ connect → ✅ Settings → ✅ user message → ✅ function call" in summary
    drift = _coverage(report, DRIFT_TEST)["drift"]
    assert drift == [{"mock": ["response.output_text.done", "response.output_audio.done"],
                      "real": ["response.output_audio.done", "response.output_text.done"]}]  # fmt: skip
    (warning,) = [w for w in report["warnings"] if w["code"] == "mock-drift"]
    assert warning["message"] == (
        "mock: response.output_text.done before response.output_audio.done; real API: "
        "response.output_audio.done before response.output_text.done (results files "
        "runs/qualified/mock/jest-junit.xml, runs/qualified/real/jest-junit.xml)"
    )


def test_the_probe_relabelled_scenario_is_not_qualified_and_the_missing_step_is_named(tmp_path):
    tracking = "runs/probe-as-scenario/TRACKING.md"
    code, out, report, summary = _check(EXAMPLES, "probe-as-scenario", tmp_path, "--tracking", tracking)
    assert code == 1
    (problem,) = report["problems"]
    assert problem["code"] == "scenario-incomplete" and problem["test"] == PROBE
    assert "steps seen: connect → Settings → user message; missing from here: function call" in problem["message"]
    assert "runs/probe-as-scenario/real/jest-junit.xml:" in problem["message"]
    # The annotation points at the step's own line in TRACKING.md.
    lines = (EXAMPLES / tracking).read_text().splitlines()
    assert lines[problem["line"] - 1].strip().startswith("- function call:")
    assert f"::error file={tracking},line={problem['line']},title=qualify scenario-incomplete::" in out
    assert "✅ user message → ❌ function call → ⬜ backend HTTP" in summary


def test_with_the_scenario_as_a_sentence_the_same_probe_passes_on_its_label(tmp_path):
    """Why the steps matter: the sentence lets the label decide (with a warning that says so)."""
    ws = tmp_path / "ws"
    shutil.copytree(EXAMPLES / "runs" / "probe-as-scenario", ws / "runs" / "probe-as-scenario")
    path = ws / "runs" / "probe-as-scenario" / "TRACKING.md"
    text = path.read_text()
    start, end = text.index("  scenario:\n"), text.index("  coverage:\n")
    path.write_text(
        text[:start] + "  scenario: connect → Settings → user message → function call → response\n" + text[end:]
    )
    code, out, report, _ = _check(ws, "probe-as-scenario", tmp_path, "--tracking", "runs/probe-as-scenario/TRACKING.md")
    assert code == 0, out
    assert "scenario-unverified" in [w["code"] for w in report["warnings"]]


def test_steps_declared_out_of_order_fail_naming_the_step_out_of_place(tmp_path):
    """The partner's backend is called before the function call is answered: a declaration that
    lists FunctionCallResponse before backend HTTP cannot be met by the run's trace."""
    ws = tmp_path / "ws"
    shutil.copytree(EXAMPLES / "docs", ws / "docs")
    shutil.copytree(EXAMPLES / "runs" / "qualified", ws / "runs" / "qualified")
    path = ws / "docs" / "issues" / "ISSUE-462" / "TRACKING.md"
    text = path.read_text()
    backend = "    - backend HTTP: 'GET /orders/\\w+ 200'\n"
    response = "    - FunctionCallResponse: 'function_call_output'\n"
    assert backend + response in text
    path.write_text(text.replace(backend + response, response + backend))
    code, _, report, _ = _check(ws, "qualified", tmp_path)
    assert code == 1
    (problem,) = report["problems"]
    assert problem["code"] == "scenario-incomplete" and problem["test"] == SCENARIO
    assert "out of place: backend HTTP appears only before FunctionCallResponse" in problem["message"]


def test_the_runs_attach_their_traces_beside_the_xml():
    """What examples/generate.sh copies: every attachment an example XML names exists there."""
    import re

    for xml in sorted((EXAMPLES / "runs").glob("*/*/*.xml")):
        text = xml.read_text(encoding="utf-8")
        refs = re.findall(r"\[\[ATTACHMENT\|([^\]]+)\]\]", text) + re.findall(
            r'name="attachment" value="([^"]+)"', text
        )
        for ref in refs:
            assert (xml.parent / ref).is_file(), (xml, ref)
