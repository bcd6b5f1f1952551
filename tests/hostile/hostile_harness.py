"""Run the real CLI on a workspace and check what every hostile case must respect.

A workspace starts as the `qualified` example (it qualifies as is); each case then breaks or
poisons one thing. A case that is silently ignored therefore shows up as `qualified`, and fails.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# Not token-shaped: only the explicit --token redaction can hide it.
TOKEN = "plain-secret-value-0d5c"
# Token-shaped: hidden whoever writes it, even if it is not the token we were given.
TOKEN_SHAPED = "ghp_" + "Zq7" * 12
SECRET = "SECRET-FILE-CONTENT-7f3a"  # content of a file outside the workspace
# Our own workflow commands, the only lines allowed to start with `::`.
_OWN_COMMAND = re.compile(r"^::(error|warning)( [a-z]+=[^,:\r\n]*(,[a-z]+=[^,:\r\n]*)*)?::[^\r\n]*$")


@dataclass
class Run:
    code: int
    out: str
    err: str
    report: dict
    report_text: str
    summary: str


@dataclass
class Layout:
    """What a case changes besides files: globs and extra arguments."""

    mock: list[str] = field(default_factory=lambda: ["mock/*.xml"])
    real: list[str] = field(default_factory=lambda: ["real/**/*.xml"])
    args: list[str] = field(default_factory=list)


def workspace(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    shutil.copytree(EXAMPLES / "docs", ws / "docs")
    shutil.copytree(EXAMPLES / "runs" / "qualified" / "mock", ws / "mock")
    shutil.copytree(EXAMPLES / "runs" / "qualified" / "real", ws / "real")
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret.txt").write_text(SECRET)
    (tmp_path / "outside" / "secret.xml").write_text(
        f'<testsuites><testsuite name="{SECRET}"><testcase name="{SECRET}"/></testsuite></testsuites>'
    )
    return ws


def argv(ws: Path, layout: Layout) -> list[str]:
    args = ["check", "--workspace", str(ws), "--today", "2026-11-25", "--annotations", "--token", TOKEN]
    args += ["--json-report", str(ws / "out" / "report.json"), "--summary", str(ws / "out" / "summary.md")]
    for g in layout.mock:
        args += ["--mock-results", g]
    for g in layout.real:
        args += ["--real-results", g]
    return args + layout.args


def run_in_process(ws: Path, layout: Layout) -> Run:
    from qualify.app.cli import main

    out, err = io.StringIO(), io.StringIO()
    code = main(argv(ws, layout), out, err)
    return _collect(ws, code, out.getvalue(), err.getvalue())


def run_subprocess(ws: Path, layout: Layout, timeout: float = 60) -> Run:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INPUT_", "GITHUB_", "QUALIFY_"))}
    r = subprocess.run(
        [sys.executable, str(ROOT / "entrypoint.py"), *argv(ws, layout)],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
    )
    return _collect(ws, r.returncode, r.stdout, r.stderr)


def _collect(ws: Path, code: int, out: str, err: str) -> Run:
    report_path = ws / "out" / "report.json"
    text = report_path.read_text(encoding="utf-8") if report_path.exists() else ""
    summary_path = ws / "out" / "summary.md"
    return Run(
        code=code,
        out=out,
        err=err,
        report=json.loads(text) if text else {},
        report_text=text,
        summary=summary_path.read_text(encoding="utf-8") if summary_path.exists() else "",
    )


def codes(run: Run) -> list[str]:
    return [p["code"] for p in run.report.get("problems", [])]


def assert_safe(run: Run) -> None:
    """What holds for every input, however hostile."""
    everything = run.out + run.err + run.report_text + run.summary + as_read(run.summary)
    assert "Traceback" not in run.err
    assert TOKEN not in everything and TOKEN_SHAPED not in everything
    assert SECRET not in everything
    for line in (run.out + run.err).splitlines():
        assert "##[" not in line, line
        if line.lstrip().startswith("::"):
            assert _OWN_COMMAND.match(line), f"untrusted text starts a workflow command: {line!r}"
    assert run.report, "a JSON report is written whatever happens"
    if run.code != 0:
        assert run.report["qualified"] is not True
        assert "QUALIFIED\n" not in run.out.replace("NOT QUALIFIED", "")
    if run.code == 2:
        assert len(run.err.splitlines()) == 1, f"one line, not {run.err!r}"
        assert run.summary.startswith("## ❌ Release not qualified — could not evaluate")
    assert_tables_intact(run.summary)


def as_read(markdown: str) -> str:
    """Markdown as GitHub shows it, as far as hiding a secret goes: `\\_` reads `_`, and <wbr> (a
    place a long word may wrap) reads as nothing. A secret escaped in the file is still shown."""
    return re.sub(r"\\(.)", r"\1", markdown.replace("<wbr>", ""))


def assert_tables_intact(summary: str) -> None:
    """Every row of a Markdown table has as many cells as its header (GFM: `\\x` escapes any x)."""
    width = None
    for line in summary.splitlines():
        if not line.startswith("|"):
            width = None
            continue
        cells = len(re.findall(r"(?:\\.|[^|\\])*\|", line[1:]))
        if width is None:
            width = cells
        assert cells == width, f"table row broken: {line!r}"
    assert "<script" not in summary.lower()
