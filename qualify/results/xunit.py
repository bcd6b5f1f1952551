"""Stream the tests of an xUnit.net XML file (v2 `<assemblies>`; a lone v1 `<assembly>` too).

Each `<test>` is one test case: `result` Pass, Fail, Skip or NotRun (never passed). Names take the
JUnit shape: `classname` is `type` (`Ns.Calculator`), `name` the test's own name, with the
`Ns.Calculator.` prefix xUnit.net writes in front of the method removed (`Add(x: 1)`); a display
name (`[Fact(DisplayName = "...")]`) stays as written. Traits are the properties, `<output>` the output.
"""

from __future__ import annotations

from collections.abc import Iterator

from lxml import etree

from qualify.core.model import JobCounts, Outcome, TestCase
from qualify.results.common import Capture, Keep, capture_fields, strip_class, wanted, xml_cases

ROOTS = ("assemblies", "assembly")
_TAGS = ("test", "collection", "class")  # the case element, and the containers released as they end
WHAT = "xUnit.net XML"
# Anything else (a future or hand-made word) fails closed.
_RESULTS = {"Pass": Outcome.PASSED, "Fail": Outcome.FAILED, "Skip": Outcome.SKIPPED, "NotRun": Outcome.SKIPPED}


def read_testcases(
    path: str,
    display: str,
    job: str,
    counts: JobCounts,
    keep: Keep | None = None,
    capture: Capture = False,
) -> Iterator[TestCase]:
    """Yield the tests `keep(name)` wants; count every one. See junit.read_testcases."""
    cases = xml_cases(path, display, counts, case_tag="test", tags=_TAGS, roots=ROOTS, what=WHAT)
    for elem, tally in cases:
        outcome = _RESULTS.get(elem.get("result") or "", Outcome.FAILED)
        tally.add(outcome)
        classname = elem.get("type") or ""
        name = strip_class(elem.get("name") or elem.get("method") or "", classname)
        if keep is None or keep(name):
            yield TestCase(
                job=job,
                name=name,
                classname=classname,
                suites=(),
                file=elem.get("source-file") or None,
                outcome=outcome,
                flaky=False,
                source=display,
                line=elem.sourceline or 0,
                **(_captured(elem) if len(elem) and wanted(capture, name) else {}),
            )


def _captured(elem: etree._Element) -> dict:
    props: list[tuple[str | None, str | None]] = []
    out: list[str] = []
    for child in elem:
        if child.tag == "traits":
            props += [(t.get("name"), t.get("value")) for t in child if t.tag == "trait"]
        elif child.tag == "output" and child.text:
            out.append(child.text)
    return capture_fields(props, out)
