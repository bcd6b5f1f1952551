#!/usr/bin/env python3
"""Fuzz the parsers and escapers with mutated inputs for a given time (outside pytest).

    nice -n 19 python3 tests/fuzz/fuzz.py --duration 600

Targets, in turn: junit.read_testcases on mutated JUnit files, formats.read_testcases (the format
detected from the content, then NUnit / xUnit.net / TRX / CTRF / go test -json read) on each of
those formats' fixtures mutated, tracking.parse_tracking on mutated TRACKING.md, the escapers
(workflow.command, workflow.plain, summary.md) on mutated text, files.find on random trees of folders
and symlinks, and traces: attachment references read from a tree with links, a FIFO and a secret
outside the workspace, then the steps and events searched. A crash is any exception other than
QualifyError, a broken invariant, an input that takes over --hang seconds, or a MemoryError under
the address-space cap. Crashing inputs are saved to --crashes. Exit 1 when anything crashed.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import re
import resource
import shutil
import signal
import sys
import tempfile
import time
import traceback
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from mutate import SEEDS_RESULTS, SEEDS_TRACE, SEEDS_TRACKING, SEEDS_XML, SNIPPETS, mutate  # noqa: E402

from qualify.core import trace as traces  # noqa: E402
from qualify.core.model import JobCounts, Step  # noqa: E402
from qualify.errors import QualifyError  # noqa: E402
from qualify.render.markdown import md  # noqa: E402
from qualify.render.workflow_commands import command, plain  # noqa: E402
from qualify.results import formats  # noqa: E402
from qualify.results.attachments import MAX_ATTACHMENT_BYTES, MAX_ATTACHMENTS, AttachmentReader  # noqa: E402
from qualify.results.junit import read_testcases  # noqa: E402
from qualify.tracking.parse import parse_tracking  # noqa: E402
from qualify.workspace import find  # noqa: E402

WEIGHTS = {
    "junit": 4,
    "tracking": 4,
    "escapers": 4,
    "files": 1,
    "trace": 2,
    **{k: 2 for k in ("nunit", "xunit", "trx", "ctrf", "gotest")},
}
TRACE_SECRET = "FUZZ-SECRET-OUTSIDE-91c2"
TRACE_STEPS = traces.compile_steps(
    [Step("connect", r"session\.created", 1), Step("backend", r"GET /orders/\w+ .*200", 2), Step("x", r"\d+$", 3)]
)
KEEP_CRASHES = 20  # inputs saved per target; the count goes on
POOL_MAX = 300  # inputs that parsed become seeds too, so mutations reach deeper
_CELL = re.compile(r"(?:\\.|[^|\\])*\|")


class Hang(Exception):
    pass


def _alarm(signum: int, frame: object) -> None:
    raise Hang()


def target_junit(data: bytes, work: Path) -> None:
    path = work / "r.xml"
    path.write_bytes(data)
    counts = JobCounts()
    try:
        cases = list(read_testcases(str(path), "r.xml", "real", counts))
    except QualifyError as exc:
        if exc.path != "r.xml":
            raise AssertionError(f"error does not name the file: {exc}") from None
        return
    if counts.testcases != len(cases) or counts.passed + counts.failed + counts.skipped != counts.testcases:
        raise AssertionError(f"counts do not add up: {counts} for {len(cases)} cases")


def target_results(data: bytes, work: Path) -> None:
    """Any results file through the registry: detection then the reader; only QualifyError may stop it."""
    path = work / "r.results"
    path.write_bytes(data)
    counts = JobCounts()
    try:
        cases = list(formats.read_testcases(str(path), "r.results", "real", counts, capture=True))
    except QualifyError as exc:
        if exc.path != "r.results":
            raise AssertionError(f"error does not name the file: {exc}") from None
        return
    if counts.testcases != len(cases) or counts.passed + counts.failed + counts.skipped != counts.testcases:
        raise AssertionError(f"counts do not add up: {counts} for {len(cases)} cases")
    for case in cases:
        if len(case.output) > 70_000 or len(case.properties) > 64:
            raise AssertionError(f"capture not bounded: {len(case.output)} chars, {len(case.properties)} properties")


def _seeds_of(key: str) -> dict[str, bytes]:
    """The fixtures of one format, told by the registry itself."""
    out = {}
    for name, data in SEEDS_RESULTS.items():
        try:
            if formats.detect(str(ROOT / name), name).key == key:
                out[name] = data
        except QualifyError:
            continue
    return out or {"empty": b""}


def target_tracking(data: bytes, work: Path) -> None:
    read = parse_tracking(data.decode("utf-8", errors="replace"), "docs/issues/ISSUE-7/TRACKING.md")
    if read.defect is not None and read.invalid is not None:
        raise AssertionError("both a defect and an invalid finding")
    if read.invalid is not None and (read.invalid.code != "tracking-invalid" or len(read.invalid.message) > 600):
        raise AssertionError(f"bad finding: {read.invalid}")


def target_escapers(data: bytes, work: Path) -> None:
    text = data.decode("utf-8", errors="replace")
    line = command("error", text, title=text[:40], file=text[-40:], line=1)
    if "\n" in line or "\r" in line or not line.startswith("::error"):
        raise AssertionError(f"command spans lines: {line!r}")
    if "::" in line[2:].split("::", 1)[0]:
        raise AssertionError(f"properties end the command early: {line!r}")
    safe = plain(text)
    if "\n" in safe or "\r" in safe or safe.lstrip().startswith("::") or "##[" in safe:
        raise AssertionError(f"plain text is live: {safe!r}")
    cell = md(text)
    if "\n" in cell or "<" in cell or len(_CELL.findall(f"{cell} | x |")) != 2:
        raise AssertionError(f"cell breaks the table: {cell!r}")


def target_files(data: bytes, work: Path) -> None:
    """A random tree with symlinks (loops, links out, dangling) and a random glob: ends, stays inside."""
    rnd = random.Random(data)
    ws = work / "ws"
    shutil.rmtree(ws, ignore_errors=True)
    outside = work / "outside"
    outside.mkdir(exist_ok=True)
    (outside / "o.xml").write_text("<testsuites/>")
    dirs = [ws]
    ws.mkdir()
    for i in range(rnd.randint(1, 12)):
        d = rnd.choice(dirs) / f"d{i}"
        d.mkdir()
        dirs.append(d)
    odd = ["", "\n::error::x", "##[warning]", os.fsdecode(b"\xff\xfe"), " ", "%0A", "\u2028"]
    for i in range(rnd.randint(0, 8)):
        (rnd.choice(dirs) / f"f{i}{rnd.choice(odd)}.xml").write_text("<testsuites/>")
    allow_outside = rnd.random() < 0.2
    for i in range(rnd.randint(0, 6)):
        at = rnd.choice(dirs) / f"l{i}{rnd.choice(['', '.xml'])}"
        to = rnd.choice([*dirs, outside, outside / "o.xml", at, ws / "missing", Path("..")])
        with contextlib.suppress(OSError):
            os.symlink(to, at)
    pattern = rnd.choice(["**/*.xml", "*/**/*.xml", "d0/**/*.xml", "**/**/*", "**/l*/**/*.xml", "../outside/*.xml"])
    try:
        found = find([pattern], ws, what="fuzz", allow_outside=allow_outside)
    except QualifyError as exc:
        if exc.code != "outside-workspace" or allow_outside:
            raise AssertionError(f"unexpected refusal: {exc}") from None
        return
    root = ws.resolve()
    for f in found:
        if not allow_outside and not f.real.is_relative_to(root):
            raise AssertionError(f"escaped the workspace: {f}")
        f.display.encode("utf-8")  # every shown name can be written to a report
        if "\n" in plain(f.display):
            raise AssertionError(f"display name spans lines: {f.display!r}")


def _trace_tree(work: Path) -> Path:
    """A workspace with every kind of path a hostile results file can name (built once)."""
    ws = work / "trace-ws"
    if ws.exists():
        return ws
    outside = work / "trace-outside"
    outside.mkdir(exist_ok=True)
    (outside / "secret.log").write_text(f'<- {{"type":"session.created"}}\n{TRACE_SECRET}\n')
    results = ws / "results"
    (results / "traces").mkdir(parents=True)
    (results / "traces" / "flow.log").write_text('<- {"type":"session.created"}\nGET /orders/1 200\n')
    (results / "sub").mkdir()
    (results / "binary.log").write_bytes(b"\x00\x01session.created")
    os.symlink(outside / "secret.log", results / "link-out.log")
    os.symlink(results / "traces" / "flow.log", results / "link-in.log")
    os.mkfifo(results / "pipe.log")
    return ws


def target_trace(data: bytes, work: Path) -> None:
    """Attachment references and output from the mutated bytes: the reader must stay inside, bounded,
    and the searches end (a backtracking pattern is stopped by the CPU deadline)."""
    ws = _trace_tree(work)
    text = data.decode("utf-8", errors="replace")
    head, _, output = text.partition("\n---\n")
    refs = head.split("\n")[:40]
    reader = AttachmentReader(ws.resolve(), budget=8 * MAX_ATTACHMENT_BYTES)
    texts, notes = reader.read(refs, (ws / "results").resolve())
    if len(texts) > MAX_ATTACHMENTS or any(len(t) > MAX_ATTACHMENT_BYTES for _, t in texts):
        raise AssertionError("attachments beyond their bounds")
    everything = repr(texts) + repr(notes)
    if TRACE_SECRET in everything:
        raise AssertionError("read a file outside the workspace")
    t = traces.build(output, texts, [("attachment", r) for r in refs[:3]], notes)
    if len(t.lines) > traces.MAX_TRACE_LINES or any(len(line) > traces.MAX_LINE_CHARS for line in t.lines):
        raise AssertionError("trace beyond its bounds")
    try:
        with traces.cpu_deadline(traces.TRACE_CPU_SECONDS):
            check = traces.check_steps(t, TRACE_STEPS)
            traces.first_events(t, re.compile(r'"type":"([\w.]+)"'))
    except traces.TraceTimeout:
        return
    if check.complete != all(s.seen for s in check.steps):
        raise AssertionError(f"inconsistent step check: {check}")


TARGETS = {
    "junit": (target_junit, SEEDS_XML),
    "tracking": (target_tracking, SEEDS_TRACKING),
    "escapers": (target_escapers, {"snippets": b" ".join(SNIPPETS), **dict(list(SEEDS_TRACKING.items())[:1])}),
    "files": (target_files, {"tree": b"seed"}),
    "trace": (target_trace, SEEDS_TRACE),
    **{key: (target_results, _seeds_of(key)) for key in ("nunit", "xunit", "trx", "ctrf", "gotest")},
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=60, help="seconds to run (default 60)")
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: from the clock)")
    parser.add_argument("--crashes", default="fuzz-crashes", help="folder for crashing inputs")
    parser.add_argument("--hang", type=int, default=10, help="seconds after which one input counts as a hang")
    parser.add_argument("--memory-mb", type=int, default=2048, help="address-space cap in MiB (default 2048)")
    parser.add_argument("--targets", default=",".join(TARGETS), help="comma-separated subset of " + ", ".join(TARGETS))
    args = parser.parse_args(argv)

    seed = args.seed if args.seed is not None else int(time.time())
    rnd = random.Random(seed)
    names = [t for t in args.targets.split(",") if t]
    cap = args.memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    signal.signal(signal.SIGALRM, _alarm)
    pools = {name: list(TARGETS[name][1].values()) for name in names}
    runs: Counter[str] = Counter()
    crashes: Counter[str] = Counter()
    slowest = (0.0, "")
    crash_dir = Path(args.crashes)
    start = time.monotonic()
    print(f"fuzz: seed {seed}, {args.duration:.0f}s, targets {', '.join(names)}", flush=True)
    with tempfile.TemporaryDirectory(prefix="qualify-fuzz-") as tmp:
        work = Path(tmp)
        i = 0
        # The file-tree target builds folders on disk: give it a smaller share of the turns.
        schedule = [n for n in names for _ in range(WEIGHTS.get(n, 1))]
        while time.monotonic() - start < args.duration:
            name = schedule[i % len(schedule)]
            i += 1
            fn = TARGETS[name][0]
            pool = pools[name]
            data = mutate(rnd.choice(pool), rnd) if name != "files" else rnd.randbytes(16)
            t0 = time.monotonic()
            signal.alarm(args.hang)
            try:
                fn(data, work)
                if len(pool) < POOL_MAX and name not in ("escapers", "files") and rnd.random() < 0.05:
                    pool.append(data)
            except (Exception, Hang) as exc:  # noqa: BLE001 - every non-QualifyError is a finding here
                crashes[name] += 1
                if crashes[name] <= KEEP_CRASHES:
                    crash_dir.mkdir(parents=True, exist_ok=True)
                    stem = crash_dir / f"{name}-{seed}-{i}"
                    stem.with_suffix(".bin").write_bytes(data)
                    stem.with_suffix(".txt").write_text("".join(traceback.format_exception(exc)))
                    print(f"CRASH {name} #{i}: {type(exc).__name__}: {str(exc)[:200]} -> {stem}.bin", flush=True)
            finally:
                signal.alarm(0)
            took = time.monotonic() - t0
            if took > slowest[0]:
                slowest = (took, name)
            runs[name] += 1
            if i % 5000 == 0:
                print(
                    f"  {time.monotonic() - start:7.0f}s  {i} iterations, {sum(crashes.values())} crashes", flush=True
                )
    elapsed = time.monotonic() - start
    total = sum(runs.values())
    per = ", ".join(f"{n} {runs[n]}" for n in names)
    print(
        f"fuzz: {total} iterations in {elapsed:.0f}s ({per}); crashes={sum(crashes.values())}; "
        f"slowest input {slowest[0]:.2f}s ({slowest[1]}); seed {seed}"
    )
    return 1 if crashes else 0


if __name__ == "__main__":
    sys.exit(main())
