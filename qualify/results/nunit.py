"""Stream the test cases of an NUnit 3 (`<test-run>`) or NUnit 2 (`<test-results>`) XML file.

Outcomes come from attributes alone (`result`, `label`; NUnit 2 also `executed`/`success`), so a
test case costs a few attribute reads; children are read only to capture evidence. Names take the
JUnit shape: `name` is the test's own name (`Add(1,2)`), `classname` its class (`Ns.Calculator`),
`suites` the enclosing `<test-suite>` names; NUnit 2 writes the full name in `name`, which is split.
"""

from __future__ import annotations

from collections.abc import Iterator

from lxml import etree

from qualify.core.model import JobCounts, Outcome, TestCase
from qualify.results.common import (
    Capture,
    Keep,
    capture_fields,
    split_dotted,
    wanted,
    xml_cases,
)

ROOTS = ("test-run", "test-results", "test-suite")
_TAGS = ("test-case", "test-suite")  # the case element, and the containers released as they end
WHAT = "NUnit XML"
_PASSED, _FAILED, _SKIPPED = Outcome.PASSED, Outcome.FAILED, Outcome.SKIPPED
# NUnit 3 `result` (the `label` refines it: Error/Cancelled/Invalid are failures, Ignored/Explicit
# skips). Inconclusive proves nothing: never passed. Warning: NUnit does not count it a success.
_V3 = {"Passed": _PASSED, "Failed": _FAILED, "Skipped": _SKIPPED, "Inconclusive": _SKIPPED, "Warning": _FAILED}
# NUnit 2 `result`.
_V2 = {
    "Success": _PASSED,
    "Failure": _FAILED,
    "Error": _FAILED,
    "Cancelled": _FAILED,
    "Ignored": _SKIPPED,
    "Skipped": _SKIPPED,
    "NotRunnable": _SKIPPED,
    "Inconclusive": _SKIPPED,
}


def outcome_of(elem: etree._Element) -> Outcome:
    """The outcome of one `<test-case>`, NUnit 3 or 2; anything unknown fails closed."""
    result = elem.get("result")
    if result is not None:
        found = _V3.get(result)
        if found is None:
            found = _V2.get(result, _FAILED)
        return found
    # NUnit 2.2 and earlier: no `result`, only `executed` and `success`.
    if elem.get("executed") == "False":
        return _SKIPPED
    return _PASSED if elem.get("success") == "True" else _FAILED


def read_testcases(
    path: str,
    display: str,
    job: str,
    counts: JobCounts,
    keep: Keep | None = None,
    capture: Capture = False,
) -> Iterator[TestCase]:
    """Yield the test cases `keep(name)` wants; count every one. See junit.read_testcases."""
    cases = xml_cases(path, display, counts, case_tag="test-case", tags=_TAGS, roots=ROOTS, what=WHAT)
    for elem, tally in cases:
        outcome = outcome_of(elem)
        tally.add(outcome)
        name, classname = _names(elem)
        if keep is None or keep(name):
            yield TestCase(
                job=job,
                name=name,
                classname=classname,
                suites=tuple(s.get("name") or "" for s in reversed(list(elem.iterancestors("test-suite")))),
                file=None,  # NUnit names assemblies and classes, never source files
                outcome=outcome,
                flaky=False,
                source=display,
                line=elem.sourceline or 0,
                **(_captured(elem) if len(elem) and wanted(capture, name) else {}),
            )


def _names(elem: etree._Element) -> tuple[str, str]:
    """(name, classname) in the JUnit shape."""
    classname = elem.get("classname")
    name = elem.get("name")
    if classname is not None and name is not None:  # NUnit 3
        return name, classname
    full = elem.get("fullname") or name or ""
    cls, own = split_dotted(full)
    if classname is not None:
        cls = classname
    if name is not None and (classname is not None or elem.get("fullname") is not None):
        own = name
    return own, cls


def _captured(elem: etree._Element) -> dict:
    props: list[tuple[str | None, str | None]] = []
    out: list[str] = []
    for child in elem:
        if child.tag == "properties":
            props += [(p.get("name"), p.get("value")) for p in child if p.tag == "property"]
        elif child.tag == "output" and child.text:
            out.append(child.text)
    return capture_fields(props, out)
