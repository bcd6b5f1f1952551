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
_EVENT_TAGS = ("testsuite", "testcase")
# Children that make junitparser's xunit2 model see a result; anything else (properties, system-out)
# leaves a testcase passed.
_RESULT_TAGS = frozenset(("failure", "error", "skipped", "rerunFailure", "rerunError", "flakyFailure", "flakyError"))
_RELEASE_EVERY = 256
_SOURCE_EXT = re.compile(r"\.(?:[cm]?[jt]sx?|py|go|java|kt|rb|php|cs|rs|scala|swift)$")
_SLASHED = re.compile(r"^[^\s]*[\\/][^\s]*$")


def is_pathlike(value: str) -> bool:
    """A file path, not a test title: ends with a source extension, or has a slash and no spaces.

    Titles such as `escapes <b>bold</b>` contain slashes too; reading them as paths would make
    `file:` narrowing reject the very test that was declared.
    """
    return bool(value) and bool(_SOURCE_EXT.search(value) or _SLASHED.match(value))


def _parser_events(path: str) -> etree.iterparse:
    # No DTD loading, no entity resolution, no network: results come from pull-request code.
    # Only the end of <testcase> and <testsuite> reaches Python (libxml2 filters the rest), so
    # system-out bodies, properties and failure texts are never turned into Python objects.
    return etree.iterparse(
        path,
        events=("end",),
        tag=_EVENT_TAGS,
        resolve_entities=False,
        load_dtd=False,
        no_network=True,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def _classify(elem: etree._Element) -> tuple[Outcome, bool]:
    """Outcome and flakiness of one testcase element that has child elements."""
    for child in elem:
        if child.tag in _RESULT_TAGS:
            break
    else:
        # Only properties, system-out and the like: junitparser would find no result either.
        return (Outcome.SKIPPED if elem.get("status") == "disabled" else Outcome.PASSED), False
    from junitparser import xunit2  # imported lazily: start-up time matters for --help

    case = xunit2.TestCase.fromelem(elem)
    # A testcase with both a failure and a skip is a failure: the gate fails closed.
    if case.is_failure or case.is_error:
        return Outcome.FAILED, False
    if case.is_skipped or elem.get("status") == "disabled":
        return Outcome.SKIPPED, False
    return Outcome.PASSED, bool(case.interim_result)


def _check_root(root: etree._Element | None, display: str) -> None:
    if root is None:
        raise QualifyError("empty results file", display)
    if root.getroottree().docinfo.doctype:
        raise QualifyError("a DOCTYPE is not allowed in JUnit results", display, root.sourceline)
    if root.tag not in _ROOTS:
        raise QualifyError(
            f"not JUnit XML: the root element is <{root.tag}>, expected <testsuites> or <testsuite>",
            display,
            root.sourceline,
        )


def _first_element(path: str) -> etree._Element | None:
    """The root element as it starts, read with the same hardened settings (for error reports)."""
    try:
        for _event, elem in etree.iterparse(
            path,
            events=("start",),
            resolve_entities=False,
            load_dtd=False,
            no_network=True,
            dtd_validation=False,
            huge_tree=False,
        ):
            return elem
    except (etree.XMLSyntaxError, OSError):
        pass
    return None


def _suites_of(elem: etree._Element) -> list[tuple[str, str | None]]:
    """(name, file) of the enclosing testsuites, outermost first; they are not cleared yet."""
    return [(s.get("name") or "", s.get("file")) for s in reversed(list(elem.iterancestors("testsuite")))]


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
) -> Iterator[TestCase]:
    """Yield the testcases of one file that `keep(name)` wants; count every testcase in `counts`.

    Raises QualifyError naming the file (and line) when it is not readable JUnit XML.
    """
    # The hot loop: a million testcases go through it. Counters are locals, flushed into `counts`
    # when the file ends (or fails); a plain passed testcase costs a tag check, `len`, one
    # attribute, `keep` and a clear.
    testcases = passed = failed = skipped = flaky_count = 0
    root_checked = False
    released = 0
    context = None
    try:
        context = _parser_events(path)
        for _event, elem in context:
            if not root_checked:
                _check_root(elem.getroottree().getroot(), display)
                root_checked = True
            if elem.tag != "testcase":
                _release(elem)  # a finished <testsuite>
                continue
            if len(elem):
                outcome, flaky = _classify(elem)
            elif elem.get("status") == "disabled":
                # CTest/tst and others mark a test that did not run with status="disabled" and no child.
                outcome, flaky = Outcome.SKIPPED, False
            else:
                outcome, flaky = Outcome.PASSED, False
            testcases += 1
            if outcome is Outcome.PASSED:
                passed += 1
                flaky_count += flaky
            elif outcome is Outcome.FAILED:
                failed += 1
            else:
                skipped += 1
            name = elem.get("name") or ""
            if keep is None or keep(name):
                classname = elem.get("classname") or ""
                suites = _suites_of(elem)
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
                )
            elem.clear(keep_tail=False)
            released += 1
            if released == _RELEASE_EVERY:
                # Drop the cleared testcases before this one in batches: one call per batch, not per case.
                released = 0
                _release(elem)
        if not root_checked:
            _check_root(context.root, display)
    except etree.XMLSyntaxError as exc:
        first = None if root_checked else _first_element(path)
        if first is not None:
            # An entity declared in a DOCTYPE fails before any testcase ends: name the DOCTYPE.
            _check_root(first, display)
        line = exc.lineno if exc.lineno else None
        raise QualifyError(f"malformed XML: {exc.msg}", display, line) from None
    except OSError as exc:
        raise QualifyError(f"cannot read results file: {exc.strerror or exc}", display) from None
    finally:
        counts.testcases += testcases
        counts.passed += passed
        counts.failed += failed
        counts.skipped += skipped
        counts.flaky += flaky_count
    counts.files += 1


def _release(elem: etree._Element) -> None:
    """Free a finished element and the siblings before it, keeping memory flat."""
    elem.clear(keep_tail=False)
    parent = elem.getparent()
    if parent is not None:
        index = parent.index(elem)
        if index:
            del parent[:index]
