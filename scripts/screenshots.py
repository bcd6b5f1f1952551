#!/usr/bin/env python3
"""Render qualify's job summary the way GitHub shows it and screenshot it with headless Chromium.

    python3 scripts/screenshots.py [--out docs/screenshots] [--keep DIR]

For each scenario: `qualify check --summary` -> Markdown -> HTML with a GitHub-flavoured renderer
(ci/render: marked with GFM + github-markdown-css; `npm ci --prefix ci/render` first) -> PNG.
Scenarios: the bundled `qualified` and `mock-only` runs, and a generated long report (40 defects,
long and unbroken test names, markup in names) that exercises <details> and escaping, shown
folded (as it opens) and expanded. The sticky pull-request comment (its own list layout, the body
publish.py sends) is shot at the conversation column's width for `mock-only` and the long report.
Needs: node, npm packages of ci/render, `chromium` (apt-get install -y chromium fonts-noto-color-emoji).
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WIDTH = 1100
COMMENT_WIDTH = 780
TODAY = "2026-11-25"


def _long_workspace(ws: Path) -> tuple[list[str], list[str]]:
    """40 declared defects: 37 qualified, 3 not; names long enough to wrap, one with no spaces at all."""
    mock, real = [], []
    for n in range(1, 41):
        name = f"Issue #{n}: reconnect after upstream 5xx keeps the conversation state and replays buffered audio"
        if n == 7:
            name = "Issue #7: " + "very_long_identifier_without_spaces_" * 6 + "end"
        if n == 9:
            name = "Issue #9: a | pipe, <b>markup</b>, *stars* and `ticks` in a test title"
        folder = ws / "docs" / "issues" / f"ISSUE-{n}"
        folder.mkdir(parents=True)
        area = "proxy" if n % 3 == 0 else "ui"
        title = "reconnect | <b>drops</b> *audio*" if n == 9 else f"defect {n}"  # a title is escaped too
        (folder / "TRACKING.md").write_text(
            "---\nqualify:\n"
            f"  issue: {n}\n  title: {_yaml_str(title)}\n  area: [{area}]\n  coverage:\n"
            f"    - test: {_yaml_str(name)}\n      jobs: [mock, real]\n---\n",
            encoding="utf-8",
        )
        failed = n in (7, 9, 33)
        mock.append(_testcase(name, failed=False))
        real.append(_testcase(name, failed=failed))
    return mock, real


def _yaml_str(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _xml_attr(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")


def _testcase(name: str, *, failed: bool) -> str:
    body = '<failure message="expected 200, got 502">AssertionError</failure>' if failed else ""
    return f'<testcase name="{_xml_attr(name)}" classname="{_xml_attr(name)}" time="0.1">{body}</testcase>'


def _write_junit(path: Path, cases: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f'<?xml version="1.0" encoding="UTF-8"?>\n<testsuites><testsuite name="suite" tests="{len(cases)}">'
        + "".join(cases)
        + "</testsuite></testsuites>\n",
        encoding="utf-8",
    )


def _summary(workspace: Path, mock: str, real: str, out: Path) -> None:
    r = subprocess.run(
        [sys.executable, str(ROOT / "entrypoint.py"), "check", "--workspace", str(workspace),
         "--mock-results", mock, "--real-results", real, "--summary", str(out),
         "--today", TODAY, "--no-annotations", "--mode", "report"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    if r.returncode != 0 or not out.is_file():
        raise SystemExit(f"qualify check failed ({r.returncode}): {r.stderr}")


def _comment(workspace: Path, mock: str, real: str, out: Path) -> None:
    """The body publish.py would send as the sticky comment for this run (no API involved)."""
    sys.path.insert(0, str(ROOT))
    from qualify.app.check import collect
    from qualify.app.options import RawInputs, build_settings
    from qualify.github.publish import MAX_COMMENT_CHARS, comment_body
    from qualify.render.markdown import render_markdown

    values = {"mock-results": [mock], "real-results": [real], "workspace": str(workspace), "today": TODAY}
    verdict = collect(build_settings(RawInputs.of("cli", values), {}))
    out.write_text(comment_body(render_markdown(verdict, None, layout="list", max_chars=MAX_COMMENT_CHARS)))


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    raise SystemExit("no chromium on PATH: apt-get install -y chromium fonts-noto-color-emoji")


def _browser(*args: str) -> str:
    cmd = [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
           "--force-device-scale-factor=1", "--virtual-time-budget=2000", *args]  # fmt: skip
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=True).stdout


def _screenshot(html: Path, png: Path, width: int = WIDTH) -> int:
    """Two passes: the page reports its height (data-height) at `width`, then the shot is taken at that size."""
    dom = _browser(f"--window-size={width},800", "--dump-dom", html.as_uri())
    m = re.search(r'data-height="(\d+)"', dom)
    height = min(int(m.group(1)) if m else 2000, 8000)
    _browser(f"--window-size={width},{height}", f"--screenshot={png}", html.as_uri())
    return height


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--keep", type=Path, help="also keep the Markdown and HTML here")
    args = parser.parse_args(argv)
    render = ROOT / "ci" / "render" / "render.mjs"
    if not (ROOT / "ci" / "render" / "node_modules" / "marked").is_dir():
        raise SystemExit("run: npm ci --prefix ci/render")
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(args.keep) if args.keep else Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        examples = ROOT / "examples"
        scenarios = {
            "qualified": (examples, "runs/qualified/mock/*.xml", "runs/qualified/real/*.xml"),
            "mock-only": (examples, "runs/mock-only/mock/*.xml", "runs/mock-only/real/*.xml"),
        }
        long_ws = Path(tmp) / "long"
        mock, real = _long_workspace(long_ws)
        _write_junit(long_ws / "results" / "mock" / "junit.xml", mock)
        _write_junit(long_ws / "results" / "real" / "junit.xml", real)
        scenarios["long-report"] = (long_ws, "results/mock/*.xml", "results/real/*.xml")
        shots = []
        for name, (workspace, mock_glob, real_glob) in scenarios.items():
            md = work / f"{name}.md"
            md.unlink(missing_ok=True)
            _summary(workspace, mock_glob, real_glob, md)
            shots.append((name, md, []))
        shots = [(name, md, flags, WIDTH) for name, md, flags in shots]
        shots.append(("long-report-expanded", work / "long-report.md", ["--open"], WIDTH))
        # The sticky pull-request comment, in the narrower conversation column.
        for name in ("mock-only", "long-report"):
            md = work / f"pr-comment-{name}.md"
            _comment(*scenarios[name], md)
            shots.append((f"pr-comment-{name}", md, [], COMMENT_WIDTH))
        for name, md, flags, width in shots:
            html, png = work / f"{name}.html", args.out / f"{name}.png"
            title = f"qualify · {name}"
            subprocess.run(["node", str(render), str(md), str(html), title, *flags], check=True, timeout=60)
            height = _screenshot(html, png, width)
            print(f"{png.relative_to(ROOT) if png.is_relative_to(ROOT) else png}: {width}x{height}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
