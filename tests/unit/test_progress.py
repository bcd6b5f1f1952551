import io
import os
import pty

from qualify.app.progress import Progress
from qualify.core.model import JobCounts


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _read(progress: Progress, clock: Clock, job: str, files: int, per_file: int, step: float) -> None:
    counts = JobCounts()
    progress.job(job, files)
    for _ in range(files):
        counts.testcases += per_file
        clock.now += step
        progress.file_read(job, counts)


def test_terminal_shows_a_live_line_for_long_reads_then_erases_it():
    out, clock = io.StringIO(), Clock()
    p = Progress(out, live=True, clock=clock)
    _read(p, clock, "mock", 3, 1000, 0.3)  # 0.9 s: past the 0.5 s delay
    _read(p, clock, "real", 2, 50, 0.3)
    p.finish()
    text = out.getvalue()
    assert "\r\x1b[Kqualify: reading results: files mock 2/3; 2,000 testcases" in text
    assert "files mock 3/3, real 2/2; 3,100 testcases" in text
    assert text.endswith("\r\x1b[Kqualify: read 5 result file(s) (mock 3, real 2), 3,100 testcases in 1.5 s\n")


def test_short_reads_never_draw_the_live_line():
    out, clock = io.StringIO(), Clock()
    p = Progress(out, live=True, clock=clock)
    _read(p, clock, "mock", 4, 10, 0.01)
    p.finish()
    assert out.getvalue() == "qualify: read 4 result file(s) (mock 4), 40 testcases in 0.0 s\n"


def test_redraws_are_throttled_but_the_last_file_of_a_job_is_drawn():
    out, clock = io.StringIO(), Clock()
    p = Progress(out, live=True, clock=clock, delay=0, interval=1.0)
    _read(p, clock, "mock", 50, 1, 0.01)
    draws = out.getvalue().count("\r\x1b[Kqualify: reading")
    assert draws == 2  # the first file, then the job's last one; not 50 lines of redraw
    assert out.getvalue().endswith("files mock 50/50; 50 testcases")


def test_logs_get_only_the_total_line():
    out, clock = io.StringIO(), Clock()
    p = Progress(out, live=False, clock=clock)
    _read(p, clock, "mock", 30, 100, 0.5)
    _read(p, clock, "real", 1, 7, 0.5)
    p.finish()
    assert out.getvalue() == "qualify: read 31 result file(s) (mock 30, real 1), 3,007 testcases in 15.5 s\n"


def test_close_erases_a_partial_line_before_an_error():
    out, clock = io.StringIO(), Clock()
    p = Progress(out, live=True, clock=clock, delay=0)
    _read(p, clock, "mock", 2, 1, 0.2)
    p.close()
    assert out.getvalue().endswith("\r\x1b[K")
    p.close()  # idempotent: nothing more to erase
    assert out.getvalue().count("\r\x1b[K") == 3


def test_live_only_on_a_real_terminal_outside_actions():
    primary, secondary = pty.openpty()
    try:
        with os.fdopen(secondary, "w", closefd=False) as tty:
            assert Progress.for_stream(tty, {}).live is True
            assert Progress.for_stream(tty, {"GITHUB_ACTIONS": "true"}).live is False
            assert Progress.for_stream(tty, {"TERM": "dumb"}).live is False
    finally:
        os.close(primary)
        os.close(secondary)
    assert Progress.for_stream(io.StringIO(), {}).live is False


def test_collect_reports_each_file_and_is_silent_by_default(capsys):
    from builders import EXAMPLES, TODAY

    from qualify.app.check import collect
    from qualify.app.options import RawInputs, build_settings

    raw = RawInputs.of("cli", {
        "mock-results": ["runs/qualified/mock/*.xml"], "real-results": ["runs/qualified/real/*.xml"],
        "tracking": ["docs/issues/**/TRACKING.md"], "workspace": str(EXAMPLES), "today": TODAY.isoformat(),
    })  # fmt: skip
    opts = build_settings(raw, {})
    collect(opts)
    assert capsys.readouterr() == ("", "")
    out = io.StringIO()
    collect(opts, Progress(out, live=False))
    assert out.getvalue().startswith("qualify: read 3 result file(s) (mock 1, real 2), 20 testcases in ")


def test_the_cli_prints_one_total_line_when_not_a_terminal():
    import subprocess
    import sys

    from builders import EXAMPLES, ROOT

    r = subprocess.run(
        [sys.executable, str(ROOT / "entrypoint.py"), "check", "--workspace", str(EXAMPLES),
         "--mock-results", "runs/qualified/mock/*.xml", "--real-results", "runs/qualified/real/*.xml"],
        capture_output=True, text=True, timeout=60, env={**os.environ, "QUALIFY_TODAY": "2026-11-25"},
    )  # fmt: skip
    assert r.returncode == 0, r.stdout + r.stderr
    assert [line for line in r.stderr.splitlines() if line] == [r.stderr.strip()]
    assert r.stderr.startswith("qualify: read 3 result file(s) (mock 1, real 2), 20 testcases in ")
    assert "\x1b" not in r.stderr
