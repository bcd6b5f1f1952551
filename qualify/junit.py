"""Stream <testcase> elements out of a JUnit XML file with a hardened parser.

Memory stays flat whatever the file size: each testcase is classified and cleared as soon as it
ends. Plain passed cases take a lean path; cases with result children are interpreted by
junitparser's xunit2 model (it knows flakyFailure/rerunFailure), built on the streamed element.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from lxml import etree

from qualify.errors import QualifyError
from qualify.model import JobCounts, Outcome, TestCase

_ROOTS = ("testsuites", "testsuite")
_SOURCE_EXT = re.compile(r"\.(?:[cm]?[jt]sx?|py|go|java|kt|rb|php|cs|rs|scala|swift)$")
_SLASHED = re.compile(r"^[^\s]*[\\/][^\s]*$")
# Evidence capture bounds, per testcase: memory stays flat and regexes search bounded text.
MAX_OUTPUT_CHARS = 64 * 1024  # system-out kept: first and last half of this
MAX_PROPERTIES = 64
MAX_PROPERTY_CHARS = 4096


def is_pathlike(value: str) -> bool:
    """A file path, not a test title: ends with a source extension, or has a slash and no spaces.

    Titles such as `escapes <b>bold</b>` contain slashes too; reading them as paths would make
    `file:` narrowing reject the very test that was declared.
    """
    return bool(value) and bool(_SOURCE_EXT.search(value) or _SLASHED.match(value))


def _parser_events(path: str) -> Iterator[tuple[str, etree._Element]]:
    # No DTD loading, no entity resolution, no network: results come from pull-request code.
    return etree.iterparse(
        path,
        events=("start", "end"),
        resolve_entities=False,
        load_dtd=False,
        no_network=True,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def _classify(elem: etree._Element) -> tuple[Outcome, bool]:
    """Outcome and flakiness of one testcase element."""
    if len(elem) == 0:
        # CTest/tst and others mark a test that did not run with status="disabled" and no child.
        return (Outcome.SKIPPED if elem.get("status") == "disabled" else Outcome.PASSED), False
    from junitparser import xunit2  # imported lazily: start-up time matters for --help

    case = xunit2.TestCase.fromelem(elem)
    # A testcase with both a failure and a skip is a failure: the gate fails closed.
    if case.is_failure or case.is_error:
        return Outcome.FAILED, False
    if case.is_skipped or elem.get("status") == "disabled":
        return Outcome.SKIPPED, False
    return Outcome.PASSED, bool(case.interim_result)


def _bounded(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    half = limit // 2
    return text[:half] + "\n…\n" + text[-half:]


def captured(elem: etree._Element) -> tuple[tuple[tuple[str, str], ...], str]:
    """The properties and system-out of one testcase element, bounded (for `evidence:` checks)."""
    props: list[tuple[str, str]] = []
    out: list[str] = []
    size = 0
    for child in elem:
        if child.tag == "properties":
            for prop in child:
                if prop.tag != "property" or len(props) >= MAX_PROPERTIES:
                    continue
                value = prop.get("value")
                if value is None:  # some reporters write the value as the element's text
                    value = prop.text or ""
                props.append(((prop.get("name") or "")[:MAX_PROPERTY_CHARS], _bounded(value, MAX_PROPERTY_CHARS)))
        elif child.tag == "system-out" and child.text and size <= MAX_OUTPUT_CHARS:
            text = _bounded(child.text, MAX_OUTPUT_CHARS)
            out.append(text)
            size += len(text)
    return tuple(props), _bounded("\n".join(out), MAX_OUTPUT_CHARS)


def _file_of(elem: etree._Element, classname: str, suites: list[tuple[str, str | None]]) -> str | None:
    file = elem.get("file")
    if file:
        return file
    for name, suite_file in reversed(suites):
        if suite_file:
            return suite_file
        if is_pathlike(name):
            return name
    if is_pathlike(classname):
        return classname
    return None


def read_testcases(
    path: str,
    display: str,
    job: str,
    counts: JobCounts,
    keep: Callable[[str], bool] | None = None,
    capture: bool = False,
) -> Iterator[TestCase]:
    """Yield the testcases of one file that `keep(name)` wants; count every testcase in `counts`.

    With `capture`, kept testcases also carry their properties and (bounded) system-out.

    Raises QualifyError naming the file (and line) when it is not readable JUnit XML.
    """
    suites: list[tuple[str, str | None]] = []
    root_seen = False
    etree.clear_error_log()
    try:
        for event, elem in _parser_events(path):
            tag = elem.tag
            if event == "start":
                if not root_seen:
                    root_seen = True
                    if elem.getroottree().docinfo.doctype:
                        raise QualifyError("a DOCTYPE is not allowed in JUnit results", display, elem.sourceline)
                    if tag not in _ROOTS:
                        raise QualifyError(
                            f"not JUnit XML: the root element is <{tag}>, expected <testsuites> or <testsuite>",
                            display,
                            elem.sourceline,
                        )
                if tag == "testsuite":
                    suites.append((elem.get("name") or "", elem.get("file")))
                continue
            if tag == "testcase":
                outcome, flaky = _classify(elem)
                name = elem.get("name") or ""
                counts.testcases += 1
                if outcome is Outcome.PASSED:
                    counts.passed += 1
                    counts.flaky += flaky
                elif outcome is Outcome.FAILED:
                    counts.failed += 1
                else:
                    counts.skipped += 1
                if keep is None or keep(name):
                    classname = elem.get("classname") or ""
                    yield TestCase(
                        job=job,
                        name=name,
                        classname=classname,
                        suites=tuple(s for s, _ in suites),
                        file=_file_of(elem, classname, suites),
                        outcome=outcome,
                        flaky=flaky,
                        source=display,
                        line=elem.sourceline or 0,
                        **_capture_fields(elem, capture),
                    )
                _release(elem)
            elif tag == "testsuite":
                suites.pop()
                _release(elem)
    except etree.XMLSyntaxError as exc:
        # iterparse may report a later symptom ("no element found"); the log, cleared above, has the cause.
        first = next((e for e in exc.error_log if e.level >= etree.ErrorLevels.ERROR), None)
        msg, line = (first.message, first.line) if first is not None else (exc.msg, exc.lineno)
        raise QualifyError(f"malformed XML: {msg}", display, line or None) from None
    except OSError as exc:
        raise QualifyError(f"cannot read results file: {exc.strerror or exc}", display) from None
    if not root_seen:
        raise QualifyError("empty results file", display)
    counts.files += 1


def _capture_fields(elem: etree._Element, capture: bool) -> dict:
    if not capture or len(elem) == 0:
        return {}
    properties, output = captured(elem)
    return {"properties": properties, "output": output}


def _release(elem: etree._Element) -> None:
    """Free a finished element and the siblings before it, keeping memory flat."""
    elem.clear(keep_tail=False)
    parent = elem.getparent()
    if parent is not None:
        while elem.getprevious() is not None:
            del parent[0]
