"""Ways to move the per-testcase work of reading into libxml2 (issue #18), measured side by side.

    python3 bench/designs.py RESULTS_DIR TRACKING_DIR [--rounds 3]

Each design reads every file of RESULTS_DIR (one process), counts testcases, failed and skipped
ones, and hands the names to the same filter `qualify check` uses (Matcher.keeper, TRACKING_DIR's
declarations); CPU seconds are compared with the floor (bench/floor.py's loop) and with a junitparser
full load, alternating, in the same run. Designs:

  iterparse   what qualify does: libxml2 builds each testcase, lxml hands Python its end (tag filter)
  target      lxml's parser-target interface: libxml2 builds no tree; a Python object gets each
              start/end (no tag filter is possible there), results classified from their tags
  xpath       iterparse hands Python only each <testsuite>'s end; XPath takes the names, the
              result elements and the disabled ones from the whole subtree (a suite is held whole:
              memory grows with the biggest suite)

No design here is complete (line numbers, captured evidence, junitparser's result objects): they
measure the reading cost each way could reach.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from lxml import etree

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from qualify.app.check import read_tracking_file
from qualify.core.matching import Matcher
from qualify.core.policy import PolicyConfig, select_defects
from qualify.workspace import find

RESULT_TAGS = ("failure", "error", "skipped", "rerunFailure", "rerunError", "flakyFailure", "flakyError")
FAILING = {"failure", "error"}
Keep = Callable[[str], bool]


def floor(paths: list[str], keep: Keep) -> tuple[int, int, int, int]:
    n = 0
    for path in paths:
        for _, elem in etree.iterparse(path, events=("end",), tag="testcase"):
            n += 1
            elem.clear()
    return n, 0, 0, 0


def junitparser_load(paths: list[str], keep: Keep) -> tuple[int, int, int, int]:
    from junitparser import JUnitXml, TestSuite

    n = failed = 0
    for path in paths:
        xml = JUnitXml.fromfile(path)
        for suite in [xml] if isinstance(xml, TestSuite) else xml:
            for case in suite:
                n += 1
                failed += bool(case.result and not case.is_skipped and not case.is_passed)
    return n, failed, 0, 0


def iterparse(paths: list[str], keep: Keep) -> tuple[int, int, int, int]:
    from qualify.core.model import JobCounts
    from qualify.results.junit import read_testcases

    counts = JobCounts()
    kept = 0
    for path in paths:
        for _ in read_testcases(path, path, "mock", counts, lambda name, _e: keep(name)):
            kept += 1
    return counts.testcases, counts.failed, counts.skipped, kept


class _Target:
    """Counts and classifies testcases from parser events; no tree is built."""

    def __init__(self, keep: Keep) -> None:
        self.keep = keep
        self.n = self.failed = self.skipped = self.kept = 0
        self.name: str | None = None
        self.results: list[str] = []
        self.disabled = False

    def start(self, tag: str, attrib) -> None:
        if tag == "testcase":
            self.name = attrib.get("name") or ""
            self.disabled = attrib.get("status") == "disabled"
            self.results = []
        elif self.name is not None and tag in RESULT_TAGS:
            self.results.append(tag)

    def end(self, tag: str) -> None:
        if tag != "testcase":
            return
        self.n += 1
        results = self.results
        if results:
            if FAILING.intersection(results):
                self.failed += 1
            elif "skipped" in results:
                self.skipped += 1
        elif self.disabled:
            self.skipped += 1
        if self.keep(self.name or ""):
            self.kept += 1
        self.name = None

    def close(self) -> None:
        return None


def target(paths: list[str], keep: Keep) -> tuple[int, int, int, int]:
    t = _Target(keep)
    for path in paths:
        parser = etree.XMLParser(target=t, resolve_entities=False, load_dtd=False, no_network=True, huge_tree=False)
        with open(path, "rb") as fh:
            while chunk := fh.read(1 << 16):
                parser.feed(chunk)
        parser.close()
    return t.n, t.failed, t.skipped, t.kept


class _LinedTarget(_Target):
    """_Target that knows each testcase's line: `line` is set before each piece is fed."""

    def __init__(self, keep: Keep) -> None:
        super().__init__(keep)
        self.line = 1
        self.lines: list[int] = []

    def end(self, tag: str) -> None:
        kept = self.kept
        super().end(tag)
        if self.kept != kept:
            self.lines.append(self.line)


def target_lines(paths: list[str], keep: Keep) -> tuple[int, int, int, int]:
    """`target`, fed in pieces that each start at a `<testcase`: a testcase's start tag is complete in
    the piece that starts with it, so its line is the piece's."""
    t = _LinedTarget(keep)
    for path in paths:
        parser = etree.XMLParser(target=t, resolve_entities=False, load_dtd=False, no_network=True, huge_tree=False)
        with open(path, "rb") as fh:
            data = fh.read()
        t.line = 1
        start = 0
        find, count, feed = data.find, data.count, parser.feed
        while True:
            cut = find(b"<testcase", start + 1)
            if cut < 0:
                feed(data[start:])
                break
            feed(data[start:cut])
            t.line += count(b"\n", start, cut)
            start = cut
        parser.close()
    return t.n, t.failed, t.skipped, t.kept


_NAMES = etree.XPath("testcase/@name", smart_strings=False)
_WITH_RESULTS = etree.XPath("testcase[" + " or ".join(RESULT_TAGS) + "]")
_DISABLED = etree.XPath("count(testcase[@status='disabled'][not(" + " or ".join(RESULT_TAGS) + ")])")


def xpath(paths: list[str], keep: Keep) -> tuple[int, int, int, int]:
    n = failed = skipped = kept = 0
    for path in paths:
        for _, suite in etree.iterparse(path, events=("end",), tag="testsuite"):
            names = _NAMES(suite)
            n += len(names)
            for case in _WITH_RESULTS(suite):
                tags = {r.tag for r in case.iter(*RESULT_TAGS)}
                if tags & FAILING:
                    failed += 1
                elif "skipped" in tags:
                    skipped += 1
            skipped += int(_DISABLED(suite))
            kept += sum(1 for name in names if keep(name))
            suite.clear()
    return n, failed, skipped, kept


DESIGNS = {
    "floor": floor,
    "iterparse": iterparse,
    "target": target,
    "target_lines": target_lines,
    "xpath": xpath,
    "junitparser": junitparser_load,
}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("results")
    ap.add_argument("tracking")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args(argv)
    paths = sorted(str(p) for p in Path(args.results).glob("*/*.xml"))
    files = find(["docs/issues/**/TRACKING.md"], Path(args.tracking), what="TRACKING.md")
    defects, _ = select_defects(
        [read_tracking_file(f.real, f.display) for f in files], PolicyConfig(today=dt.date(2026, 11, 25))
    )
    matcher = Matcher(defects)
    keep = matcher.keeper("mock")
    spent: dict[str, list[float]] = {name: [] for name in DESIGNS}
    seen: dict[str, tuple[int, int, int, int]] = {}
    for r in range(args.rounds):
        names = list(DESIGNS)
        for name in names[r % len(names) :] + names[: r % len(names)]:
            start = time.process_time()
            seen[name] = DESIGNS[name](paths, lambda n: keep(n, None))
            spent[name].append(time.process_time() - start)
    base, ref = statistics.median(spent["floor"]), statistics.median(spent["junitparser"])
    print("| design | CPU s median | × floor | × junitparser | testcases, failed, skipped, kept |")
    print("|---|---:|---:|---:|---|")
    for name, runs in spent.items():
        m = statistics.median(runs)
        print(f"| {name} | {m:.2f} | {m / base:.2f} | {m / ref:.2f} | {seen[name]} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
