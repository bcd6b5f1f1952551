"""What a testcase's run recorded, and what the gate reads in it.

The trace of a testcase is, in this order: its output (JUnit `system-out`), the text of each file it
attaches, and its properties as `name: value` lines. The gate reads two things there: whether the
partner's scenario steps appear in order (each step's pattern matches a line after the previous
step's line), and the order in which events first appear (compared between the mock and the real
job: mock drift). Pure, apart from the CPU deadline: the caller reads the attachments.

Bounded: a trace keeps at most MAX_TRACE_LINES lines of at most MAX_LINE_CHARS characters each, so a
step or event search costs at most lines x patterns regex searches. Patterns are checked for nested
repetition when TRACKING.md is read; what is left (several `.*` in a row on a hostile line) is cut
off by `cpu_deadline`.
"""

from __future__ import annotations

import re
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import islice

from qualify.core.model import Step, StepSeen, TraceNote

MAX_TRACE_LINES = 200_000
MAX_LINE_CHARS = 16 * 1024  # a longer line is searched in its first MAX_LINE_CHARS characters
MAX_EVENTS = 100  # distinct events kept per trace, in first-appearance order
MAX_EVENT_CHARS = 200
MAX_DRIFT_PAIRS = 3  # pairs of events in opposite orders reported per declared test
MAX_ONLY_EVENTS = 10  # events seen in one job only, named per declared test
TRACE_CPU_SECONDS = 2.0  # per run searched; beyond, the run's trace counts as not showing the steps

_ATTACHMENT_PROPERTY = re.compile(r"attachment(?:[_-]?\d+)?", re.IGNORECASE)


class TraceTimeout(Exception):
    """A trace search used up its CPU time (a pattern that backtracks on this trace)."""


@dataclass(frozen=True, slots=True)
class Segment:
    label: str  # "output", "attachment PATH", "properties"
    start: int  # index in Trace.lines of the segment's first line


@dataclass(frozen=True, slots=True)
class Trace:
    lines: tuple[str, ...]
    segments: tuple[Segment, ...]
    notes: tuple[TraceNote, ...] = ()  # attachments not read (or cut), the trace cut, and why

    def where(self, index: int) -> str:
        """A line of the trace in words: `output line 3`, `attachment trace.log line 12`."""
        segment = self.segments[0]
        for s in self.segments:
            if s.start > index:
                break
            segment = s
        return f"{segment.label} line {index - segment.start + 1}"


def attachment_properties(properties: Sequence[tuple[str, str]]) -> list[str]:
    """Paths named by `attachment`, `attachment1`, `attachment_2` properties (Testmo's and Bitrise's
    convention; the way a reporter without per-test output, such as jest-junit, can point at a file)."""
    return [value.strip() for name, value in properties if _ATTACHMENT_PROPERTY.fullmatch(name.strip())]


def build(
    output: str,
    attachments: Sequence[tuple[str, str]],
    properties: Sequence[tuple[str, str]],
    notes: Sequence[TraceNote] = (),
) -> Trace:
    """The trace from its parts: output, then (label, text) of each attachment read, then properties."""
    lines: list[str] = []
    segments: list[Segment] = []
    cut = False
    parts = [("output", output), *((f"attachment {label}", text) for label, text in attachments)]
    if properties:
        parts.append(("properties", "\n".join(f"{name}: {value}" for name, value in properties)))
    for label, text in parts:
        room = MAX_TRACE_LINES - len(lines)
        if room <= 0:
            cut = cut or bool(text)
            continue
        pieces = text.split("\n", room)  # at most room + 1 pieces: splitting stops early, in C
        if len(pieces) > room:
            pieces = pieces[:room]
            cut = True
        segments.append(Segment(label, len(lines)))
        lines.extend(p[:MAX_LINE_CHARS].removesuffix("\r") for p in pieces)
    all_notes = list(notes)
    if cut:
        all_notes.append(TraceNote("(trace)", f"cut at {MAX_TRACE_LINES:,} lines; later lines were not searched"))
    return Trace(tuple(lines), tuple(segments) or (Segment("output", 0),), tuple(all_notes))


@dataclass(frozen=True, slots=True)
class CompiledStep:
    step: Step
    search: Callable[[str], re.Match[str] | None]


def compile_steps(steps: Sequence[Step]) -> tuple[CompiledStep, ...]:
    return tuple(CompiledStep(s, re.compile(s.pattern).search) for s in steps)


@dataclass(frozen=True, slots=True)
class FlowCheck:
    """The steps of one run's trace: where each was seen, and what is missing or out of place."""

    steps: tuple[StepSeen, ...]
    complete: bool
    problem: str | None  # None when complete

    @property
    def seen(self) -> int:
        return sum(s.seen for s in self.steps)


def _first(lines: Sequence[str], search: Callable[[str], object], start: int, stop: int) -> int | None:
    for i, line in enumerate(islice(lines, start, stop), start):
        if search(line) is not None:
            return i
    return None


def _names(steps: Sequence[StepSeen]) -> str:
    return " → ".join(s.name for s in steps) or "none"


def check_steps(trace: Trace, steps: Sequence[CompiledStep]) -> FlowCheck:
    """Each step's pattern must match a line after the previous step's line (never the same line).

    The earliest match of each step is taken: if any order-respecting choice exists, this finds it.
    A step not found after the previous one but present before it is out of place, and named so.
    """
    lines = trace.lines
    found: list[tuple[StepSeen, int]] = []
    at = -1
    for k, cs in enumerate(steps):
        index = _first(lines, cs.search, at + 1, len(lines))
        if index is not None:
            found.append((StepSeen(cs.step.name, cs.step.line, True, trace.where(index)), index))
            at = index
            continue
        seen = [s for s, _ in found]
        rest = [StepSeen(s.step.name, s.step.line, False) for s in steps[k:]]
        problem = f"steps seen: {_names(seen)}; missing from here: {cs.step.name}"
        earlier = _first(lines, cs.search, 0, at + 1) if found else None
        if earlier is not None:
            # The first seen step at or after that line is the one it should have followed.
            before, before_at = next((s, i) for s, i in found if i >= earlier)
            relation = "on the same line as" if before_at == earlier else "only before"
            problem = (
                f"steps seen: {_names(seen)}; out of place: {cs.step.name} appears {relation} {before.name} "
                f"({trace.where(earlier)}; {before.name} at {before.where})"
            )
        return FlowCheck(tuple(seen + rest), False, problem)
    return FlowCheck(tuple(s for s, _ in found), True, None)


@dataclass(frozen=True, slots=True)
class EventOrder:
    order: tuple[str, ...]  # distinct events, in the order they first appear
    truncated: bool = False  # more than MAX_EVENTS distinct events: the rest are not listed


def first_events(trace: Trace, pattern: re.Pattern[str]) -> EventOrder:
    """Distinct event names (group 1 of `pattern`, every match of every line) in first-appearance order."""
    seen: dict[str, None] = {}
    finditer = pattern.finditer
    for line in trace.lines:
        for m in finditer(line):
            name = m.group(1)
            if not name:
                continue
            name = name[:MAX_EVENT_CHARS]
            if name not in seen:
                if len(seen) >= MAX_EVENTS:
                    return EventOrder(tuple(seen), True)
                seen[name] = None
    return EventOrder(tuple(seen))


@dataclass(frozen=True, slots=True)
class Drift:
    pairs: tuple[tuple[str, str], ...]  # (x, y): the real API shows x before y, the mock y before x
    more_pairs: int
    mock_only: tuple[str, ...]
    real_only: tuple[str, ...]

    @property
    def any(self) -> bool:
        return bool(self.pairs or self.mock_only or self.real_only)


def drift(mock: Sequence[str], real: Sequence[str], limit: int = MAX_DRIFT_PAIRS) -> Drift:
    """Pairs of events both jobs show, in opposite orders (earliest in the real run first), and the
    events only one job shows."""
    mock_at = {name: i for i, name in enumerate(mock)}
    common = [name for name in real if name in mock_at]
    pairs: list[tuple[str, str]] = []
    more = 0
    for i, x in enumerate(common):
        for y in common[i + 1 :]:
            if mock_at[y] < mock_at[x]:
                if len(pairs) < limit:
                    pairs.append((x, y))
                else:
                    more += 1
    real_set = set(real)
    return Drift(
        pairs=tuple(pairs),
        more_pairs=more,
        mock_only=tuple(n for n in mock if n not in real_set),
        real_only=tuple(n for n in real if n not in mock_at),
    )


@contextmanager
def cpu_deadline(seconds: float) -> Iterator[None]:
    """Raise TraceTimeout in the block once it has used `seconds` of CPU time.

    Python's regex engine checks for signals while it backtracks, so a process CPU timer (SIGVTALRM)
    stops a search that would otherwise run for hours. Only where the platform has interval timers
    and only in the main thread (signal handlers live there); elsewhere the block runs unbounded.
    """
    if not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield
        return
    armed = [True]

    def expire(signum: int, frame: object) -> None:
        if armed[0]:
            raise TraceTimeout()

    previous = signal.signal(signal.SIGVTALRM, expire)
    if previous is None:  # a handler not installed from Python: restore the default
        previous = signal.SIG_DFL
    signal.setitimer(signal.ITIMER_VIRTUAL, seconds)
    try:
        yield
    finally:
        # Timer first, handler second: a signal raised after the handler is restored would kill the process.
        signal.setitimer(signal.ITIMER_VIRTUAL, 0)
        armed[0] = False
        signal.signal(signal.SIGVTALRM, previous)
