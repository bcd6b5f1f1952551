"""Stream the tests of a `go test -json` log (test2json: one JSON event per line).

A test is `run`, prints `output` lines, and ends with `pass`, `fail` or `skip`. Memory stays flat:
only tests in flight are held (with their output, bounded, when it is captured), and lines of
plain output nobody captures are not even decoded. Fail-closed rules:

* a test that started and never ended (the run was killed, timed out or panicked; or its package
  ended without it) is **failed**, never passed;
* a package that failed with no failed test (a build failure, a panic in `init` or `TestMain`) adds
  one failed test `TestMain`, as gotestsum's JUnit output does;
* a line that starts with `{` must be one JSON object (a last line cut short by a kill is ignored,
  its tests are failed by the first rule); other lines are text go test writes itself: before Go
  1.24 a package that does not build is only the line `FAIL <pkg> [build failed]`, which fails its
  `TestMain` as above (gotestsum drops it); any other text line is ignored.

Names: `name` is Go's full test name (`TestParent/sub_case`, subtests joined by `/`), `classname`
and the one suite are the package import path, the file is that path when it has a slash: the
shape of gotestsum's `--junitfile`, so a declared title matches the same way in both.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass

from qualify.core.model import JobCounts, Outcome, TestCase
from qualify.errors import QualifyError
from qualify.results.common import MALFORMED, BoundedText, Capture, Keep, Tally, capture_fields, unreadable, wanted
from qualify.results.junit import is_pathlike

WHAT = "go test -json"
MAX_LINE_BYTES = 16 * 1024 * 1024  # one event; go test splits long output lines far below this
MAX_IN_FLIGHT = 100_000  # tests running at once; a real package runs a few hundred in parallel at most
PACKAGE_FAILED = "TestMain"
_ENDS = {"pass": Outcome.PASSED, "fail": Outcome.FAILED, "skip": Outcome.SKIPPED}
_OUTPUT = b'"Action":"output"'
_ACTION = b'"Action"'
_TEXT_FAIL = re.compile(rb"^FAIL\s+(\S+)\s+\[([^\]\n]*)\]\s*$")
# The run/pass/fail/skip lines go test writes, in its own key order and with no escape in any value:
# a full match reads exactly what json.loads would, at a fraction of its cost. Anything else
# (escapes, other keys or order, whitespace) is decoded by json.loads.
_PLAIN_EVENT = re.compile(
    rb'\{(?:"Time":"[^"\\]*",)?"Action":"(run|pass|fail|skip|pause|cont)","Package":"([^"\\]*)",'
    rb'"Test":"([^"\\]*)"(?:,"Elapsed":-?[0-9.]+(?:[eE][-+]?[0-9]+)?)?\}\r?\n?'
)


@dataclass(slots=True)
class _Running:
    name: str
    package: str
    line: int
    kept: bool
    output: BoundedText | None  # None: output not captured


def read_testcases(
    path: str,
    display: str,
    job: str,
    counts: JobCounts,
    keep: Keep | None = None,
    capture: Capture = False,
) -> Iterator[TestCase]:
    """Yield the tests `keep(name)` wants; count every one. See junit.read_testcases."""
    tally = Tally()
    running: dict[tuple[str, str], _Running] = {}
    failed_in: dict[str, bool] = {}  # package -> whether one of its tests failed
    capturing = 0  # tests in flight whose output is gathered
    number = 0

    def start(name: str, package: str, line: int) -> _Running:
        nonlocal capturing
        kept = keep is None or keep(name)
        gather = kept and wanted(capture, name)
        capturing += gather
        return _Running(name, package, line, kept, BoundedText() if gather else None)

    def end(test: _Running, outcome: Outcome) -> TestCase | None:
        nonlocal capturing
        tally.add(outcome)
        if outcome is Outcome.FAILED:
            failed_in[test.package] = True
        if test.output is not None:
            capturing -= 1
        if not test.kept:
            return None
        return _case(test, outcome, job, display)

    def package_failed(package: str, line: int) -> TestCase | None:
        """A failed package none of whose tests failed: one failed TestMain, once."""
        if failed_in.get(package):
            return None
        return end(start(PACKAGE_FAILED, package, line), Outcome.FAILED)

    try:
        with open(path, "rb") as fh:
            while True:
                raw = fh.readline(MAX_LINE_BYTES + 1)
                if not raw:
                    break
                number += 1
                if len(raw) > MAX_LINE_BYTES:
                    raise QualifyError(
                        f"a line longer than {MAX_LINE_BYTES:,} bytes; go test never writes one", display, number,
                        code=MALFORMED,
                    )  # fmt: skip
                # The bulk of a log: output lines of tests nobody captures. Skipped undecoded when the
                # line has exactly one `"Action"` key and it says output (quotes inside strings are
                # escaped, so neither can come from a value).
                if not capturing and _OUTPUT in raw and raw.count(_ACTION) == 1:
                    continue
                # The run/pass/fail lines: a regex, no JSON decoding (see _PLAIN_EVENT).
                plain = _PLAIN_EVENT.fullmatch(raw)
                if plain is not None:
                    a, p, t = plain.groups()
                    try:
                        action, package, test_name, output = a.decode(), p.decode(), t.decode(), ""
                    except UnicodeDecodeError:
                        plain = None
                if plain is None:
                    text = raw.lstrip()
                    if not text:
                        continue
                    if not text.startswith(b"{"):
                        failed = _TEXT_FAIL.match(text)
                        if failed:  # `FAIL <pkg> [build failed]`: the package never ran
                            case = package_failed(failed.group(1).decode("utf-8", "replace"), number)
                            if case is not None:
                                yield case
                        continue
                if plain is None:
                    try:
                        event = json.loads(raw)
                    except (ValueError, RecursionError):
                        if not raw.endswith(b"\n") and fh.peek(1) == b"":
                            break  # the last line, cut short by a kill: its tests end as never finished
                        raise QualifyError(
                            f"not a {WHAT} event: a line starting with `{{` must be one JSON object; write only "
                            "go test's stdout to the file, not its stderr",
                            display,
                            number,
                            code=MALFORMED,
                        ) from None
                    action, test_name, package, output = _fields(event, display, number)
                if not test_name:
                    if action in _ENDS:
                        # The package ended: its tests still running never will.
                        for key in [k for k in running if k[0] == package]:
                            case = end(running.pop(key), Outcome.FAILED)
                            if case is not None:
                                yield case
                        if action == "fail":
                            case = package_failed(package, number)
                            if case is not None:
                                yield case
                    continue
                key = (package, test_name)
                if action == "run":
                    previous = running.pop(key, None)
                    if previous is not None:  # run again before it ended: that run never finished
                        case = end(previous, Outcome.FAILED)
                        if case is not None:
                            yield case
                    if len(running) >= MAX_IN_FLIGHT:
                        raise QualifyError(
                            f"more than {MAX_IN_FLIGHT:,} tests running at once; go test never gets there",
                            display, number, code=MALFORMED,
                        )  # fmt: skip
                    running[key] = start(test_name, package, number)
                elif action == "output":
                    test = running.get(key)
                    if test is not None and test.output is not None and output:
                        test.output.add(output)
                elif action in _ENDS:
                    test = running.pop(key, None) or start(test_name, package, number)  # ended unseen: benchmarks
                    case = end(test, _ENDS[action])
                    if case is not None:
                        yield case
            # The end of the log with tests still running: the run was killed.
            for key in list(running):
                case = end(running.pop(key), Outcome.FAILED)
                if case is not None:
                    yield case
    except OSError as exc:
        raise unreadable(display, exc) from None
    finally:
        tally.flush(counts)
    counts.files += 1


def _fields(event: object, display: str, line: int) -> tuple[str, str | None, str, str]:
    """Action, Test (None for package events), Package, Output; wrong types are malformed."""
    if not isinstance(event, dict):
        kind = type(event).__name__
        raise QualifyError(f"not a {WHAT} event: a JSON {kind}, not an object", display, line, code=MALFORMED)
    action = event.get("Action")
    test = event.get("Test")
    package = event.get("Package", event.get("ImportPath", ""))
    output = event.get("Output", "")
    if (
        not isinstance(action, str)
        or not isinstance(test, str | None)
        or not isinstance(package, str)
        or not isinstance(output, str)
    ):
        raise QualifyError(
            f"not a {WHAT} event: Action, Test, Package and Output must be strings", display, line, code=MALFORMED
        )
    return action, test or None, package, output


def _case(test: _Running, outcome: Outcome, job: str, display: str) -> TestCase:
    extra = {}
    if test.output is not None:
        extra = capture_fields([], [test.output.text()])
    return TestCase(
        job=job,
        name=test.name,
        classname=test.package,
        suites=(test.package,) if test.package else (),
        file=test.package if is_pathlike(test.package) else None,
        outcome=outcome,
        flaky=False,
        source=display,
        line=test.line,
        **extra,
    )
