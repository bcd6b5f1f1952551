"""Golden outputs: every scenario's console text, annotations, step summary, outputs and JSON report are
byte for byte the committed ones (tests/golden/), and every report is valid under schema/report.schema.json."""

from __future__ import annotations

import copy
import json
import re
import sys

import jsonschema
import pytest
from builders import ROOT

from qualify import __version__
from qualify.errors import CODES

sys.path.insert(0, str(ROOT / "scripts"))
import golden

SCHEMA = json.loads((ROOT / "schema" / "report.schema.json").read_text())
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


@pytest.fixture(scope="module")
def generated() -> dict[str, dict[str, bytes]]:
    return golden.generate_all()


@pytest.fixture(scope="module")
def committed() -> dict[str, dict[str, bytes]]:
    return golden.read_committed()


def test_outputs_are_the_golden_ones(generated, committed):
    diff = golden.compare(committed, generated)
    if diff:  # the command first and last: a long diff must not hide it
        regenerate = f"if the change is intended, run: {golden.REGENERATE} (then review git diff tests/golden)"
        pytest.fail(f"golden outputs changed; {regenerate}\n\n{diff}\n{regenerate}", pytrace=False)


def test_the_scenarios_cover_the_examples_and_every_exit_code(generated):
    runs = {p.name for p in (ROOT / "examples" / "runs").iterdir() if p.is_dir()}
    assert runs == {"qualified", "mock-only", "probe-only", "probe-as-scenario", "skipped-real"} <= set(generated)
    codes = {line for files in generated.values() for line in files["exit-code.txt"].decode().splitlines()}
    assert codes == {"cli: 0", "cli: 1", "cli: 2", "action: 0", "action: 1", "action: 2"}
    for name, files in generated.items():  # the CLI and the Action agree on the verdict
        cli, action = files["exit-code.txt"].decode().splitlines()
        assert cli.split()[1] == action.split()[1], name


def test_a_changed_byte_is_a_failing_diff(generated):
    changed = copy.deepcopy(generated)
    summary = changed["qualified"]["summary.md"]
    changed["qualified"]["summary.md"] = summary.replace(b"Release qualified", b"Release qualifed", 1)
    diff = golden.compare(generated, changed)
    assert "--- tests/golden/qualified/summary.md (committed)" in diff
    assert "-## ✅ Release qualified" in diff and "+## ✅ Release qualifed" in diff
    assert golden.compare(generated, copy.deepcopy(generated)) == ""


@pytest.mark.parametrize(
    "change, expected",
    [
        (lambda g: g["mock-only"].update({"report.json": g["mock-only"]["report.json"][:-1]}), "No newline at end"),
        (
            lambda g: g["mock-only"].update({"outputs.txt": g["mock-only"]["outputs.txt"].replace(b"\n", b"\r\n")}),
            "\\r",
        ),
        (lambda g: g["mock-only"].pop("annotations.txt"), "mock-only/annotations.txt: committed, but no longer"),
        (lambda g: g.pop("skipped-real"), "skipped-real/: committed, but no such scenario"),
        (lambda g: g.update({"new-case": dict(g["qualified"])}), "new-case/: new scenario"),
    ],
)
def test_invisible_and_structural_changes_are_reported(generated, change, expected):
    changed = copy.deepcopy(generated)
    change(changed)
    diff = golden.compare(generated, changed)
    assert expected in diff, diff


def test_write_then_read_gives_the_same_bytes_and_drops_stale_scenarios(generated, tmp_path):
    (tmp_path / "gone").mkdir()
    (tmp_path / "gone" / "report.json").write_text("{}")
    (tmp_path / "cases").mkdir()  # the inputs folder is never taken for a scenario
    golden.write(generated, tmp_path)
    assert golden.read_committed(tmp_path) == generated
    assert (tmp_path / "cases").is_dir()


def test_the_in_process_runs_print_what_the_processes_print(generated):
    """The fast path (entrypoint.main() in this process) against the real one (a process each)."""
    chosen = [s for s in golden.scenarios() if s.name in ("hostile-names", "usage-bad-issues")]
    assert len(chosen) == 2
    assert golden.compare(generated, {**generated, **golden.generate_all(chosen, subprocesses=True)}) == ""


def test_only_the_version_paths_and_read_time_are_normalised(tmp_path):
    ws = tmp_path / "ws_1"
    text = (
        f'"qualify_version": "{__version__}", "other": "{__version__}"\n'
        f"under {ws} and {str(ws).replace('_', chr(92) + '_')}; 2026-11-25\n"
        "qualify: read 2 result file(s) (mock 1, real 1), 12 testcases in 1.3 s\n"
        "a test named in 1.3 s\n"
    )
    assert golden.normalise(text.encode(), ws).decode() == (
        f'"qualify_version": "<version>", "other": "{__version__}"\n'
        "under <workspace> and <workspace>; 2026-11-25\n"
        "qualify: read 2 result file(s) (mock 1, real 1), 12 testcases in <seconds> s\n"
        "a test named in 1.3 s\n"
    )


# --- schema/report.schema.json ---


def _report(files: dict[str, bytes]) -> dict:
    return json.loads(files["report.json"].decode().replace('"<version>"', json.dumps(__version__)))


def _errors(report: object) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in VALIDATOR.iter_errors(report)]


def test_the_schema_is_valid_draft_2020_12():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


def test_every_golden_report_is_valid_under_the_schema(committed):
    assert committed, "no golden files: run " + golden.REGENERATE
    for name, files in committed.items():
        assert not _errors(_report(files)), (name, _errors(_report(files)))


def test_the_problems_output_is_the_length_of_the_reports_problems(committed):
    """Also when qualify could not evaluate: the reason is the error report's one problem, never `0`."""
    for name, files in committed.items():
        report = _report(files)
        outputs = dict(line.split("=", 1) for line in files["outputs.txt"].decode().splitlines())
        assert outputs["problems"] == str(len(report["problems"])), name
        assert (outputs["qualified"] == "true") == (report["problems"] == []) == report["qualified"], name
        if "error" in report:
            assert report["problems"][0]["code"] == report["error_code"], name
            assert report["problems"][0]["message"] == report["error"], name


def test_the_golden_reports_reach_both_report_shapes_and_a_waiver(committed):
    reports = [_report(f) for f in committed.values()]
    assert {r.get("error_code") for r in reports} >= {None, "results-malformed", "results-missing", "usage"}
    assert any(d["exception"] for r in reports for d in r["defects"])
    assert any(w["waived"] for r in reports for w in r["warnings"])
    results = [m for r in reports for d in r["defects"] for e in d["coverage"] for m in e["results"].values()]
    assert any("evidence" in m for m in results)


def _broken(report: dict, path: str, value: object) -> dict:
    out = copy.deepcopy(report)
    *parents, last = path.split("/")
    target = out
    for key in parents:
        target = target[int(key)] if key.isdigit() else target[key]
    if value is KeyError:
        del target[last]
    else:
        target[last] = value
    return out


@pytest.mark.parametrize(
    "scenario, path, value",
    [
        ("mock-only", "unexpected", 1),  # a new top-level key needs a schema change
        ("mock-only", "qualified", True),  # qualified with problems
        ("qualified", "qualified", False),  # not qualified without any
        ("mock-only", "problems/0/code", "test-missing"),
        ("mock-only", "problems/0/severity", "warning"),  # a problem is an error
        ("mock-only", "problems/0/waived", True),  # a waived problem is a warning
        ("mock-only", "problems/0/hint", KeyError),  # keys are always present
        ("mock-only", "problems/0/line", 0),
        ("mock-only", "warnings/0/severity", "error"),  # an unwaived error is not a warning
        ("mock-only", "defects/0/rules", ["real-api", "partner"]),
        ("mock-only", "defects/0/coverage/0/kind", "e2e"),
        ("mock-only", "defects/0/coverage/0/results/staging", {}),
        ("mock-only", "defects/0/coverage/0/results/real/status", "missing"),
        ("mock-only", "defects/0/coverage/0/results/real/passed", -1),
        ("mock-only", "defects/0/qualified", True),
        ("waiver-active", "defects/0/exception/expires", "31/12/2026"),
        ("mock-only", "results/mock/executed", KeyError),
        ("mock-only", "results/staging", {}),
        ("malformed-results", "error_code", "malformed"),
        ("malformed-results", "error_code", KeyError),
        ("malformed-results", "qualified", True),
        ("malformed-results", "problems", [{"code": "test-failed"}]),
        ("malformed-results", "problems", []),  # the reason is the error report's one problem
        ("malformed-results", "problems/0/code", "test-failed"),
        ("malformed-results", "problems/0/file", "x.xml"),
        ("qualified", "error", "a verdict with an error"),
    ],
)
def test_the_schema_rejects_a_report_that_breaks_it(committed, scenario, path, value):
    report = _report(committed[scenario])
    assert not _errors(report)
    assert _errors(_broken(report, path, value)), f"{scenario}: {path} = {value!r} was accepted"


def _readme_tables() -> tuple[set[str], set[str]]:
    readme = (ROOT / "README.md").read_text()
    section = re.search(r"^## Problems and what to do\n(.*?)(?=^## )", readme, re.S | re.M)
    assert section
    findings, errors = section.group(1).split("`error_code`", 1)
    row = re.compile(r"^\| `([a-z-]+)` \|", re.M)
    return set(row.findall(findings)), set(row.findall(errors))


def test_the_schema_lists_exactly_the_documented_codes():
    findings, errors = _readme_tables()
    assert set(SCHEMA["$defs"]["findingCode"]["enum"]) == findings
    assert set(SCHEMA["$defs"]["errorReport"]["properties"]["error_code"]["enum"]) == errors == set(CODES)
