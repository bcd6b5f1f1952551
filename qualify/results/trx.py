"""Stream the results of a TRX file (Visual Studio / `dotnet test --logger trx`).

Each `<UnitTestResult>` is one test case (a data-driven one with `<InnerResults>` counts its rows,
not itself). Its class is in `<TestDefinitions>`, joined by `testId`; `dotnet test` writes the
definitions after the results, Visual Studio before. Memory stays flat either way: only the
results `keep` wants wait for their definition (later in the same pass, or in a second pass that
reads nothing but definitions when they came first), every other result is counted and dropped.

Outcomes: Passed passes; NotExecuted, Inconclusive, NotRunnable, Pending and InProgress are
skipped; Failed, Error, Timeout, Aborted, PassedButRunAborted and anything else fail closed.
Names take the JUnit shape: `classname` = the definition's `TestMethod className` (without the
`, Assembly, Version=...` tail old MSTest adds), `name` = `testName` without a leading class
(xUnit.net's adapter writes `Ns.Class.Method`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from lxml import etree

from qualify.core.model import JobCounts, Outcome, TestCase
from qualify.results.common import (
    RELEASE_EVERY,
    Capture,
    Keep,
    Tally,
    bounded_output,
    capture_fields,
    local,
    release,
    split_dotted,
    strip_class,
    wanted,
    xml_elements,
)

ROOTS = ("TestRun",)
WHAT = "TRX"
_RESULT, _DEFINITION = "UnitTestResult", "UnitTest"
_TAGS = tuple(f"{{*}}{t}" for t in (_RESULT, _DEFINITION, "Results", "TestDefinitions"))
_PASSED, _FAILED, _SKIPPED = Outcome.PASSED, Outcome.FAILED, Outcome.SKIPPED
_OUTCOMES = {
    "Passed": _PASSED,
    "NotExecuted": _SKIPPED,
    "Inconclusive": _SKIPPED,
    "NotRunnable": _SKIPPED,
    "Pending": _SKIPPED,
    "InProgress": _SKIPPED,
}


@dataclass(slots=True)
class _Kept:
    """A kept result waiting for its class name."""

    test_id: str
    raw_name: str
    outcome: Outcome
    line: int
    output: str
    classname: str = ""


def read_testcases(
    path: str,
    display: str,
    job: str,
    counts: JobCounts,
    keep: Keep | None = None,
    capture: Capture = False,
) -> Iterator[TestCase]:
    """Yield the results `keep(name)` wants (once the file is read); count every one."""
    tally = Tally()
    kept: list[_Kept] = []
    waiting: dict[str, list[_Kept]] = {}  # testId -> kept results without their class yet
    definitions_first = False
    try:
        for elem in xml_elements(path, display, tags=_TAGS, roots=ROOTS, what=WHAT):
            tag = local(elem.tag)
            if tag == _RESULT:
                if not _has_child(elem, "InnerResults"):
                    outcome = _OUTCOMES.get(elem.get("outcome") or "", _FAILED)
                    tally.add(outcome)
                    raw = elem.get("testName") or ""
                    if keep is None or keep(raw) or _other_form_kept(raw, keep):
                        item = _Kept(
                            elem.get("testId") or "",
                            raw,
                            outcome,
                            elem.sourceline or 0,
                            _stdout(elem) if wanted(capture, raw) else "",
                        )
                        kept.append(item)
                        waiting.setdefault(item.test_id, []).append(item)
                elem.clear()
                if not tally.testcases & RELEASE_EVERY:
                    release(elem)
            elif tag == _DEFINITION:
                if not tally.testcases:
                    definitions_first = True
                _resolve(elem, waiting)
                release(elem)
            else:
                release(elem)
        if waiting and definitions_first:
            _second_pass(path, display, waiting)
    finally:
        tally.flush(counts)
    counts.files += 1
    for item in kept:
        yield TestCase(
            job=job,
            name=strip_class(item.raw_name, item.classname),
            classname=item.classname,
            suites=(),
            file=None,  # TRX names the assembly (`storage`, `codeBase`), never a source file
            outcome=item.outcome,
            flaky=False,
            source=display,
            line=item.line,
            **(capture_fields([], [item.output]) if item.output else {}),
        )


def _other_form_kept(raw: str, keep: Keep) -> bool:
    """`keep` sees names before their class is known (the definitions may come later): a name
    xUnit.net's adapter wrote as `Ns.Class.Method` is offered as `Method` too."""
    own = split_dotted(raw)[1]
    return own != raw and keep(own)


def _has_child(elem: etree._Element, name: str) -> bool:
    return any(local(child.tag) == name for child in elem)


def _stdout(elem: etree._Element) -> str:
    pieces: list[str] = []
    for child in elem:
        if local(child.tag) == "Output":
            pieces += [g.text or "" for g in child if local(g.tag) == "StdOut"]
    return bounded_output(pieces)


def _class_of(definition: etree._Element) -> str:
    for child in definition:
        if local(child.tag) == "TestMethod":
            return (child.get("className") or "").split(",", 1)[0].strip()
    return ""


def _resolve(definition: etree._Element, waiting: dict[str, list[_Kept]]) -> None:
    items = waiting.pop(definition.get("id") or "", None)
    if items:
        classname = _class_of(definition)
        for item in items:
            item.classname = classname


def _second_pass(path: str, display: str, waiting: dict[str, list[_Kept]]) -> None:
    for elem in xml_elements(path, display, tags=(f"{{*}}{_DEFINITION}",), roots=ROOTS, what=WHAT):
        _resolve(elem, waiting)
        release(elem)
        if not waiting:
            return
