"""The one entry for reading results: find each file's format from its content, then stream it.

The format is never taken from the file name: a job's glob may mix formats, and `.xml` says
nothing about JUnit versus NUnit. XML is told by its root element (read with the hardened parser),
JSON by its first keys: a root object with `Action` is a `go test -json` event, one with `results`
(or CTRF's `reportFormat`/`specVersion`) a CTRF report.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

from qualify.core.model import JobCounts, TestCase
from qualify.errors import QualifyError
from qualify.results import ctrf, gotest, junit, nunit, trx, xunit
from qualify.results.common import MALFORMED, Capture, Keep, Reader, local, unreadable
from qualify.results.jsonstream import JsonStream
from qualify.results.junit import _first_element


@dataclass(frozen=True, slots=True)
class Format:
    key: str
    name: str  # as users know it, for messages and docs
    read: Reader


JUNIT = Format("junit", "JUnit XML", junit.read_testcases)
NUNIT = Format("nunit", "NUnit XML (v3 and v2)", nunit.read_testcases)
XUNIT = Format("xunit", "xUnit.net XML (v2)", xunit.read_testcases)
TRX = Format("trx", "TRX (Visual Studio, dotnet test)", trx.read_testcases)
CTRF = Format("ctrf", "CTRF JSON", ctrf.read_testcases)
GOTEST = Format("gotest", "go test -json", gotest.read_testcases)
FORMATS = (JUNIT, NUNIT, XUNIT, TRX, CTRF, GOTEST)

# Root element -> format. NUnit 3's bare <test-suite> is not JUnit's <testsuite>.
_ROOTS = {
    **{r: JUNIT for r in ("testsuites", "testsuite")},
    **{r: NUNIT for r in nunit.ROOTS},
    **{r: XUNIT for r in xunit.ROOTS},
    **{r: TRX for r in trx.ROOTS},
}
_SNIFF_BYTES = 512
_XML_STARTS = (b"<", b"\xff\xfe", b"\xfe\xff", b"\x00")  # UTF-16/32 XML starts with a BOM or a NUL byte
_MAX_SNIFF_KEYS = 64  # top-level keys looked at before giving up on telling the JSON format
_TEXT_SNIFF_BYTES = 64 * 1024  # go test logs that start with text (`FAIL <pkg> [build failed]`)


def read_testcases(
    path: str,
    display: str,
    job: str,
    counts: JobCounts,
    keep: Keep | None = None,
    capture: Capture = False,
) -> Iterator[TestCase]:
    """Stream the test cases of one results file, whatever its format (see junit.read_testcases
    for the contract: counts, `keep`, `capture`, QualifyError naming the file)."""
    return detect(path, display).read(path, display, job, counts, keep, capture)


def detect(path: str, display: str) -> Format:
    """The format of one file, from its first bytes and its root element or first JSON keys."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(_SNIFF_BYTES)
    except OSError as exc:
        raise unreadable(display, exc) from None
    start = head.removeprefix(b"\xef\xbb\xbf").lstrip(b" \t\r\n")
    if start[:1] in (b"{", b"["):
        return _json_format(path, display)
    if not start or start.startswith(_XML_STARTS):
        return _xml_format(path, display)
    if _go_log_after_text(path):
        return GOTEST
    raise QualifyError(
        "not a results file qualify reads: it starts with neither `<` (XML) nor `{` (JSON)",
        display,
        code=MALFORMED,
    )


def _xml_format(path: str, display: str) -> Format:
    root = _first_element(path)
    if root is None:
        return JUNIT  # empty or broken: the JUnit reader names the XML error and its line
    found = _ROOTS.get(local(root.tag))
    if found is None:
        raise QualifyError(
            f"not a results format qualify reads: the root element is <{local(root.tag)}>; expected JUnit "
            "<testsuites>/<testsuite>, NUnit <test-run>/<test-results>, xUnit.net <assemblies> or TRX <TestRun>",
            display,
            root.sourceline,
            code=MALFORMED,
        )
    return found


def _go_log_after_text(path: str) -> bool:
    """Whether text lines are followed by a go test -json event (Go before 1.24 writes a package that
    does not build as a plain `FAIL <pkg> [build failed]` line, which may come first)."""
    with open(path, "rb") as fh:
        head = fh.read(_TEXT_SNIFF_BYTES)
    for line in head.split(b"\n")[:-1]:
        if line.lstrip().startswith(b"{"):
            try:
                event = json.loads(line)
            except ValueError:
                return False
            return isinstance(event, dict) and isinstance(event.get("Action"), str)
    return False


def _json_format(path: str, display: str) -> Format:
    try:
        with open(path, "rb") as fh:
            js = JsonStream(fh, display, chunk=64 * 1024)
            if js.peek() != "{":
                raise js.error(
                    "a JSON document that is not an object; qualify reads CTRF JSON (an object with `results`) "
                    "and go test -json (one object per line)"
                )
            for seen, key in enumerate(js.members()):
                if key == "Action":
                    return GOTEST
                if key in ctrf.KEYS:
                    return CTRF
                if seen >= _MAX_SNIFF_KEYS:
                    break
                js.value()
    except OSError as exc:
        raise unreadable(display, exc) from None
    raise QualifyError(
        "JSON, but neither CTRF (no `results` key) nor go test -json (no `Action` key) in its first object",
        display,
        code=MALFORMED,
    )
