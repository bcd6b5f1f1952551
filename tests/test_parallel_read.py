"""QUALIFY_WORKERS reads result files in several processes with the same verdict and the same errors."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from qualify.app.check import collect
from qualify.app.options import RawInputs, build_settings
from qualify.errors import QualifyError
from qualify.render.json_report import build_report
from qualify.settings import Settings

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _settings(workspace: Path, mock: str, real: str) -> Settings:
    values = {"mock-results": [mock], "real-results": [real], "workspace": str(workspace), "today": "2026-11-25"}
    return build_settings(RawInputs.of("cli", values), {})


def _opts(workspace: Path, run: str) -> Settings:
    return _settings(workspace, f"runs/{run}/mock/*.xml", f"runs/{run}/real/*.xml")


@pytest.mark.parametrize("run", ["qualified", "mock-only", "skipped-real"])
def test_two_workers_give_the_serial_report(monkeypatch, run):
    monkeypatch.setenv("QUALIFY_WORKERS", "1")
    serial = build_report(collect(_opts(EXAMPLES, run)))
    monkeypatch.setenv("QUALIFY_WORKERS", "2")
    parallel = build_report(collect(_opts(EXAMPLES, run)))
    assert parallel == serial
    assert serial["results"]["real"]["testcases"] > 0
    if run == "qualified":
        # Workers carry each kept testcase's output, properties and attachment paths back: the
        # partner scenario's steps and the mock drift come out of the traces as in a serial read.
        coverage = serial["defects"][0]["coverage"]
        assert any(c["results"].get("real", {}).get("flow", {}).get("complete") for c in coverage)
        assert any(c.get("drift") for c in coverage)


def test_a_broken_file_is_reported_the_same_by_workers(monkeypatch, tmp_path):
    shutil.copytree(EXAMPLES / "docs", tmp_path / "docs")
    shutil.copytree(EXAMPLES / "runs" / "qualified", tmp_path / "runs" / "qualified")
    (tmp_path / "runs" / "qualified" / "real" / "zz-broken.xml").write_text("<testsuites>\n<testcase name='a'>\n")
    errors = []
    for workers in ("1", "2"):
        monkeypatch.setenv("QUALIFY_WORKERS", workers)
        with pytest.raises(QualifyError) as exc:
            collect(_opts(tmp_path, "qualified"))
        errors.append((exc.value.message, exc.value.path, exc.value.line))
    assert errors[0] == errors[1]
    assert errors[0][1] == "runs/qualified/real/zz-broken.xml"


def test_workers_must_be_a_number(monkeypatch):
    monkeypatch.setenv("QUALIFY_WORKERS", "lots")
    with pytest.raises(QualifyError, match="QUALIFY_WORKERS"):
        collect(_opts(EXAMPLES, "qualified"))


def test_auto_forks_only_for_big_inputs(monkeypatch):
    from qualify.results import read

    cpus = len(os.sched_getaffinity(0))
    assert read.worker_count(3 * 1200, 3) == 1  # a few KB: one process, fast start
    assert read.worker_count(read.PARALLEL_MIN_BYTES, 3) == min(cpus, 3)
    monkeypatch.setenv("QUALIFY_WORKERS", "8")
    assert read.worker_count(read.PARALLEL_MIN_BYTES, 1) == 1  # never more workers than files


def _write_suite(path: Path, names: list[str]) -> None:
    cases = "".join(f'<testcase classname="orders" name="{n}" time="0.1"/>' for n in names)
    path.write_text(f'<?xml version="1.0"?><testsuites><testsuite name="orders">{cases}</testsuite></testsuites>')


def test_workers_name_the_same_closest_titles(monkeypatch, tmp_path):
    """Near misses are noted while reading; in worker processes they travel back and are replayed in
    file order, so the closest titles (and the per-word budget that bounds them) match the serial read."""
    from qualify.core import matching

    issue = tmp_path / "docs" / "issues" / "ISSUE-9"
    issue.mkdir(parents=True)
    (issue / "TRACKING.md").write_text(
        "---\nqualify:\n  issue: 9\n  title: refunds\n  area: [proxy]\n  coverage:\n"
        '    - test: "refunds a partial order twice"\n      kind: regression\n      jobs: [mock, real]\n---\n'
    )
    for job in ("mock", "real"):
        (tmp_path / job).mkdir()
        for i in range(6):
            # Every name ends in a title word; the budget below runs out part-way through the files.
            _write_suite(tmp_path / job / f"r{i}.xml", [f"refunds order {i}-{k} twice" for k in range(30)])
    monkeypatch.setattr(matching, "MAX_WORD_HITS", 70)
    reports = []
    for workers in ("1", "2"):
        monkeypatch.setenv("QUALIFY_WORKERS", workers)
        opts = _settings(tmp_path, "mock/*.xml", "real/*.xml")
        reports.append(build_report(collect(opts)))
    serial, parallel = reports
    closest = [p["closest"] for p in serial["problems"] if p["code"] == "test-not-found"]
    assert len(closest) == 2 and all(closest), serial["problems"]
    assert parallel == serial


def test_workers_read_every_format_as_the_serial_read(monkeypatch, tmp_path):
    """The forked pool reads through the same registry: a job mixing JUnit, go test -json, CTRF,
    NUnit and TRX gives the serial report, and a malformed JSON file the same error."""
    fixtures = Path(__file__).resolve().parent / "fixtures"
    shutil.copytree(EXAMPLES / "docs", tmp_path / "docs")
    shutil.copytree(EXAMPLES / "runs" / "qualified", tmp_path / "runs" / "qualified")
    real = tmp_path / "runs" / "qualified" / "real"
    for src in (
        "runners/go/go-test.json",
        "runners/ctrf/playwright.json",
        "corpus/dorny/dotnet-nunit.xml",
        "corpus/dorny/dotnet-trx.trx",
    ):
        shutil.copy(fixtures / src, real / Path(src).name)
    opts = _settings(tmp_path, "runs/qualified/mock/*", "runs/qualified/real/*")
    reports = []
    for workers in ("1", "2"):
        monkeypatch.setenv("QUALIFY_WORKERS", workers)
        reports.append(build_report(collect(opts)))
    assert reports[0] == reports[1]
    assert reports[0]["results"]["real"]["files"] == 6
    (real / "zz.json").write_text('{"results": {"tests": [{"name": 1}]}}')
    errors = []
    for workers in ("1", "2"):
        monkeypatch.setenv("QUALIFY_WORKERS", workers)
        with pytest.raises(QualifyError) as exc:
            collect(opts)
        errors.append((exc.value.message, exc.value.path, exc.value.line, exc.value.code))
    assert errors[0] == errors[1] and errors[0][1] == "runs/qualified/real/zz.json"
