"""Progress of reading the result files, on stderr.

On a terminal a long read shows one live line (files read / total, testcases), redrawn in place and
erased at the end. Anywhere else (Actions logs, pipes) nothing is printed while reading, because
every redraw would become a log line; both print a single total line when the read completes.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Protocol, TextIO

from qualify.core.model import JobCounts

_ERASE = "\r\x1b[K"


class Reporter(Protocol):
    def note(self, text: str) -> None: ...

    def job(self, job: str, total_files: int) -> None: ...

    def file_read(self, job: str, counts: JobCounts) -> None: ...

    def finish(self) -> None: ...

    def close(self) -> None: ...


class Silent:
    """For callers that want no progress at all (the library API, tests)."""

    def note(self, text: str) -> None:
        pass

    def job(self, job: str, total_files: int) -> None:
        pass

    def file_read(self, job: str, counts: JobCounts) -> None:
        pass

    def finish(self) -> None:
        pass

    def close(self) -> None:
        pass


class Progress:
    def __init__(
        self,
        stream: TextIO,
        *,
        live: bool,
        clock: Callable[[], float] = time.monotonic,
        delay: float = 0.5,
        interval: float = 0.1,
    ) -> None:
        self.stream = stream
        self.live = live
        self.clock = clock
        self.delay = delay  # reads shorter than this never show the live line (no flicker)
        self.interval = interval
        self.started = clock()
        self.last_draw: float | None = None
        self.shown = False
        self.totals: dict[str, int] = {}
        self.read: dict[str, int] = {}
        self.testcases: dict[str, int] = {}

    @classmethod
    def for_stream(cls, stream: TextIO, env: Mapping[str, str]) -> Progress:
        """Live only on an interactive terminal; the Actions runner may fake a TTY, so its env wins."""
        try:
            tty = stream.isatty()
        except (AttributeError, ValueError):
            tty = False
        return cls(stream, live=tty and env.get("GITHUB_ACTIONS") != "true" and env.get("TERM") != "dumb")

    def note(self, text: str) -> None:
        """One line about what is read (e.g. a directory given as results), before the reading."""
        self.close()
        self.stream.write(f"qualify: {text}\n")
        self.stream.flush()

    def job(self, job: str, total_files: int) -> None:
        self.totals[job] = total_files
        self.read.setdefault(job, 0)
        self.testcases.setdefault(job, 0)

    def file_read(self, job: str, counts: JobCounts) -> None:
        self.read[job] = self.read.get(job, 0) + 1
        self.testcases[job] = counts.testcases
        if not self.live:
            return
        now = self.clock()
        if now - self.started < self.delay:
            return
        if self.last_draw is not None and now - self.last_draw < self.interval and not self._job_done(job):
            return
        self.last_draw = now
        self.shown = True
        files = ", ".join(f"{j} {self.read.get(j, 0)}/{n}" for j, n in self.totals.items())
        cases = sum(self.testcases.values())
        self.stream.write(f"{_ERASE}qualify: reading results: files {files}; {cases:,} testcases")
        self.stream.flush()

    def _job_done(self, job: str) -> bool:
        return self.read.get(job, 0) >= self.totals.get(job, 0)

    def finish(self) -> None:
        self.close()
        files = sum(self.read.values())
        per_job = ", ".join(f"{j} {self.read.get(j, 0)}" for j in self.totals)
        seconds = self.clock() - self.started
        self.stream.write(
            f"qualify: read {files} result file(s) ({per_job}), {sum(self.testcases.values()):,} testcases"
            f" in {seconds:.1f} s\n"
        )
        self.stream.flush()

    def close(self) -> None:
        """Erase the live line (before an error message or the total)."""
        if self.shown:
            self.stream.write(_ERASE)
            self.stream.flush()
            self.shown = False
