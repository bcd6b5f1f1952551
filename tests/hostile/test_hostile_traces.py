"""Hostile traces: what a results file can make the gate read for the partner's scenario.

Each case starts from the `qualified` example, whose partner scenario (6b) attaches its wire log
(`[[ATTACHMENT|playwright-results/...]]` in the Playwright XML). The case breaks that trace and
offers bait: a file outside the workspace that shows the whole flow next to a secret. The gate must
never read the bait (the secret never shows), never qualify by accident, stay bounded in time and
memory, and say why the attachment was not read.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from hostile_harness import SECRET, Layout, assert_safe, codes, run_in_process, run_subprocess, workspace

PLAYWRIGHT = "real/playwright-junit.xml"
TRACKING = "docs/issues/ISSUE-462/TRACKING.md"
MB = 1024 * 1024


def _flow(ws: Path) -> str:
    """The full, legitimate wire log the example attached."""
    return _attachment(ws).read_text()


def _ref(ws: Path) -> str:
    text = (ws / PLAYWRIGHT).read_text(encoding="utf-8")
    (ref,) = re.findall(r"\[\[ATTACHMENT\|([^\]]+)\]\]", text)
    return ref


def _attachment(ws: Path) -> Path:
    return ws / "real" / _ref(ws)


def _point_at(ref: str) -> Callable[[Path, Path], None]:
    """Rewrite 6b's attachment line to `ref` ({outside} and {ws} expand); the bait waits outside."""

    def build(ws: Path, tmp: Path) -> None:
        bait = tmp / "outside" / "flow.log"
        bait.write_text(_flow(ws) + SECRET + "\n")
        path = ws / PLAYWRIGHT
        target = ref.format(outside=tmp / "outside", ws=ws)
        path.write_text(path.read_text(encoding="utf-8").replace(_ref(ws), target), encoding="utf-8")

    return build


def _replace_attachment(make: Callable[[Path, Path, str], None]) -> Callable[[Path, Path], None]:
    def build(ws: Path, tmp: Path) -> None:
        flow = _flow(ws)
        bait = tmp / "outside" / "flow.log"
        bait.write_text(flow + SECRET + "\n")
        target = _attachment(ws)
        target.unlink()
        make(target, bait, flow)

    return build


def _link_outside(target: Path, bait: Path, flow: str) -> None:
    os.symlink(bait, target)


def _link_inside(target: Path, bait: Path, flow: str) -> None:
    inside = target.parent / "real-copy.log"
    inside.write_text(flow)
    os.symlink(inside, target)


def _fifo(target: Path, bait: Path, flow: str) -> None:
    os.mkfifo(target)  # opening it would block forever


def _directory(target: Path, bait: Path, flow: str) -> None:
    target.mkdir()


def _binary(target: Path, bait: Path, flow: str) -> None:
    target.write_bytes(b"\x00\x01PNG" + flow.encode())


def _huge(target: Path, bait: Path, flow: str) -> None:
    with target.open("w") as fh:  # 64 MiB of noise, then the flow: past what is read
        line = "x" * 1023 + "\n"
        for _ in range(64 * 1024):
            fh.write(line)
        fh.write(flow)


def _million_lines(target: Path, bait: Path, flow: str) -> None:
    target.write_text("\n" * 1_000_000 + flow)  # under 1 MiB, but past the line limit


def _attachment_dir_is_link_outside(ws: Path, tmp: Path) -> None:
    """The folder holding the attachment is swapped for a link to a folder outside."""
    target = _attachment(ws)
    (tmp / "outside" / "attachments").mkdir()
    (tmp / "outside" / "attachments" / target.name).write_text(_flow(ws) + SECRET + "\n")
    for f in target.parent.iterdir():
        f.unlink()
    target.parent.rmdir()
    os.symlink(tmp / "outside" / "attachments", target.parent)


def _many_attachments(ws: Path, tmp: Path) -> None:
    """Sixteen empty attachments first: the real one, 17th, is not read."""
    path = ws / PLAYWRIGHT
    ref = _ref(ws)
    for i in range(16):
        (ws / "real" / f"empty{i}.log").write_text("")
    lines = "".join(f"[[ATTACHMENT|empty{i}.log]]\n" for i in range(16))
    path.write_text(path.read_text(encoding="utf-8").replace(f"[[ATTACHMENT|{ref}]]", lines + f"[[ATTACHMENT|{ref}]]"))


def _backtracking_step(ws: Path, tmp: Path) -> None:
    """A step pattern that backtracks cubically (no nesting, so TRACKING.md accepts it), and a line
    in the trace built to make it crawl: the CPU deadline stops the search."""
    tracking = ws / TRACKING
    text = tracking.read_text()
    tracking.write_text(text.replace("    - response: 'response\\.done'\n", "    - response: 'a.*b.*c.*response'\n"))
    _attachment(ws).write_text(_flow(ws) + "abc" * 5000 + "\n")


def _hostile_names(ws: Path, tmp: Path) -> None:
    """Attachment paths that try the log, the summary table and the JSON: shown, escaped, never run."""
    path = ws / PLAYWRIGHT
    evil = "x\u2028::error::qualified|<script>alert(1)</script>##[warning]`|.log"
    path.write_text(path.read_text(encoding="utf-8").replace(_ref(ws), evil), encoding="utf-8")


def _property_outside(ws: Path, tmp: Path) -> None:
    """The attachment named by an `attachment` property (jest-junit's way), pointing outside."""
    bait = tmp / "outside" / "flow.log"
    bait.write_text(_flow(ws) + SECRET + "\n")
    path = ws / PLAYWRIGHT
    text = path.read_text(encoding="utf-8").replace(f"[[ATTACHMENT|{_ref(ws)}]]", "")
    head = re.search(r'<testcase name="OpenAI proxy E2E › 6b[^>]*>', text).group()
    path.write_text(text.replace(head, head + f'<properties><property name="attachment" value="{bait}"/></properties>'))


@dataclass(frozen=True)
class Case:
    id: str
    build: Callable[[Path, Path], None]
    fragment: str  # in the report: why the trace did not show the flow
    subprocess: bool = False
    seconds: float = 30  # wall-clock bound for the whole run


CASES = [
    Case("attachment-dotdot-outside", _point_at("../../outside/flow.log"), "not read: outside the workspace"),
    Case("attachment-absolute-outside", _point_at("{outside}/flow.log"), "not read: outside the workspace"),
    Case("attachment-url", _point_at("file:///etc/passwd"), "not read: not a local file (a URL)"),
    Case("attachment-link-outside", _replace_attachment(_link_outside), "not read: a symbolic link"),
    Case("attachment-link-inside", _replace_attachment(_link_inside), "not read: a symbolic link"),
    Case("attachment-dir-link-outside", _attachment_dir_is_link_outside, "not read: a symbolic link"),
    Case("attachment-fifo", _replace_attachment(_fifo), "not read: a FIFO", subprocess=True),
    Case("attachment-directory", _replace_attachment(_directory), "not read: a directory"),
    Case("attachment-missing", _replace_attachment(lambda target, bait, flow: None), "not read: missing"),
    Case("attachment-binary", _replace_attachment(_binary), "not read: binary"),
    Case("attachment-64mib", _replace_attachment(_huge), "read up to 1 MiB; the rest was not searched"),
    Case("attachment-million-lines", _replace_attachment(_million_lines), "cut at 200,000 lines"),
    Case("attachment-17th", _many_attachments, "not read: at most 16 are read per testcase"),
    Case("attachment-property-outside", _property_outside, "not read: outside the workspace"),
    Case("step-pattern-backtracks", _backtracking_step, "the search stopped after 2 s of CPU"),
    Case("attachment-hostile-name", _hostile_names, "not read: missing"),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_trace(case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("GITHUB_ACTIONS", "GITHUB_TOKEN", "INPUT_TOKEN", "QUALIFY_DEBUG"):
        monkeypatch.delenv(name, raising=False)
    ws = workspace(tmp_path)
    case.build(ws, tmp_path)
    start = time.monotonic()
    # The results are the two XML files at the top of real/ (a `**` glob would meet the links first).
    layout = Layout(real=["real/*.xml"])
    run = run_subprocess(ws, layout, timeout=case.seconds) if case.subprocess else run_in_process(ws, layout)
    took = time.monotonic() - start
    shown = f"exit {run.code}\nstdout:\n{run.out[-3000:]}\nstderr:\n{run.err[-3000:]}"
    assert run.code == 1, shown
    assert codes(run) == ["scenario-incomplete"], shown
    assert case.fragment in run.report_text, shown
    assert took < case.seconds, f"took {took:.1f} s"
    assert_safe(run)  # the secret beside the bait never shows, tables stay whole, no commands injected


def test_the_baseline_qualifies_from_its_attachment(tmp_path: Path) -> None:
    """Without the hostile change the same workspace qualifies: each case above fails for its reason."""
    run = run_in_process(workspace(tmp_path), Layout())
    assert run.code == 0, run.out
    assert_safe(run)
