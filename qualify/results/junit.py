"""Stream <testcase> elements out of a JUnit XML file with a hardened parser.

Memory stays flat whatever the file size: each testcase is classified and cleared as soon as it
ends. Cost tracks the bare XML parse: libxml2 hands Python only the ends of <testcase> and
<testsuite> (and of result elements), plain passed cases cost a few attribute reads, and only cases
with result children are read by junitparser's xunit2 model (flakyFailure/rerunFailure included).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from lxml import etree

from qualify.core.model import JobCounts, Outcome, TestCase
from qualify.errors import QualifyError

_ROOTS = ("testsuites", "testsuite")
# Elements junitparser's xunit2 model reads as results: final ones, then interim ones (failed tries).
# Anything else (properties, system-out) leaves a testcase passed.
_RESULT_TAGS = ("failure", "error", "skipped", "rerunFailure", "rerunError", "flakyFailure", "flakyError")
# Result ends reach Python too: a testcase with children goes to `_classify` only when one ended
# since the last result was accounted for, so system-out-only testcases stay on the lean path.
_EVENT_TAGS = ("testcase", "testsuite", *_RESULT_TAGS)
_RELEASE_MASK = 255  # release every 256 testcases
# Enum member lookups cost ~0.1 µs each; the hot loop makes several per testcase.
_PASSED, _FAILED, _SKIPPED = Outcome.PASSED, Outcome.FAILED, Outcome.SKIPPED
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


def hardened_iterparse(path: str, *, events: tuple[str, ...], tag: tuple[str, ...] | None = None) -> etree.iterparse:
    """The one way qualify opens XML it did not write (results come from pull-request code): no DTD
    loading, no entity resolution, no network, libxml2's size and depth limits kept (no huge_tree)."""
    return etree.iterparse(
        path,
        events=events,
        tag=tag,
        resolve_entities=False,
        load_dtd=False,
        no_network=True,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def _parser_events(path: str) -> etree.iterparse:
    # Only the ends of <testcase>, <testsuite> and result elements reach Python (libxml2 filters the
    # rest), so system-out bodies, properties and failure texts are never turned into Python objects.
    return hardened_iterparse(path, events=("end",), tag=_EVENT_TAGS)


@dataclass(frozen=True, slots=True)
class _ResultModel:
    """junitparser's xunit2 model of result elements: which class reads each tag, and the kinds."""

    classes: dict[str, type]  # tag -> junitparser class, for the result tags only
    failing: tuple[type, ...]
    skipped: type
    interim: type


@functools.cache
def _result_model() -> _ResultModel:
    """Imported on first use, not at start-up (`--help` and small checks stay fast), and once: an
    import statement in `_classify` would cost ~1.4 µs per testcase with results."""
    from junitparser import Error, Failure, Skipped, xunit2

    classes = {tag: xunit2.TestCase.ITER_TYPES[tag] for tag in _RESULT_TAGS}
    return _ResultModel(classes, (Failure, Error), Skipped, xunit2.InterimResult)


def _classify(elem: etree._Element) -> tuple[Outcome, bool, int]:
    """Outcome, flakiness, and how many result elements were found below the testcase.

    Only testcases with result elements come here (plain passed ones stay on the lean path), and
    junitparser's xunit2 model reads each result element: it is our JUnit model, and it knows
    Surefire's flakyFailure/rerunFailure. Results are searched anywhere below the testcase, as
    junitparser's own TestCase does (`elem.iter()`). Only result elements become junitparser objects:
    walking its TestCase would build one for every system-out too and cost ~3x as much per 1M.
    """
    model = _result_model()
    results = [model.classes[r.tag].fromelem(r) for r in elem.iter(*_RESULT_TAGS)]
    # A testcase with both a failure and a skip is a failure: the gate fails closed.
    if any(isinstance(r, model.failing) for r in results):
        return _FAILED, False, len(results)
    if elem.get("status") == "disabled" or any(isinstance(r, model.skipped) for r in results):
        return _SKIPPED, False, len(results)
    # Interim results only (or none): passed, flaky when it passed after failed tries.
    return _PASSED, any(isinstance(r, model.interim) for r in results), len(results)


_MALFORMED = "results-malformed"
# libxml2's own limits (kept: no huge_tree) speak of parser options users cannot set; say what they mean.
_XML_LIMITS = (
    ("Excessive depth in document", "elements nested deeper than libxml2's limit of 256 levels"),
    ("Text node too long", "a text node larger than libxml2's limit of 10 MB"),
    ("Buffer size limit exceeded", "a name or attribute value larger than libxml2's limit of 10 MB"),
    ("Huge input lookup", "a construct larger than libxml2's limit of 10 MB"),
    ("xmlSAX2Characters: huge text node", "a text node larger than libxml2's limit of 10 MB"),
)


def _explain_xml(message: str) -> str:
    """One clear line for a libxml2 message: limits named plainly, no `XML_PARSE_HUGE` advice."""
    for needle, meaning in _XML_LIMITS:
        if needle in message:
            return f"malformed XML: {meaning}; JUnit results never need this, the file is broken or hostile"
    return "malformed XML: " + " ".join(message.split())


def _check_root(root: etree._Element | None, display: str) -> None:
    if root is None:
        raise QualifyError("empty results file", display, code=_MALFORMED)
    if root.getroottree().docinfo.doctype:
        raise QualifyError("a DOCTYPE is not allowed in JUnit results", display, root.sourceline, code=_MALFORMED)
    if root.tag not in _ROOTS:
        raise QualifyError(
            f"not JUnit XML: the root element is <{root.tag}>, expected <testsuites> or <testsuite>",
            display,
            root.sourceline,
            code=_MALFORMED,
        )


def _first_element(path: str) -> etree._Element | None:
    """The root element as it starts, read with the same hardened settings (for error reports)."""
    try:
        for _event, elem in hardened_iterparse(path, events=("start",)):
            return elem
    except (etree.XMLSyntaxError, OSError):
        pass
    return None


def _suites_of(elem: etree._Element) -> list[tuple[str, str | None]]:
    """(name, file) of the enclosing testsuites, outermost first; they are not cleared yet."""
    return [(s.get("name") or "", s.get("file")) for s in reversed(list(elem.iterancestors("testsuite")))]


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
    keep: Callable[[str, etree._Element], bool] | None = None,
    capture: bool = False,
) -> Iterator[TestCase]:
    """Yield the testcases of one file that `keep(name, element)` wants; count every testcase in `counts`.

    With `capture`, kept testcases also carry their properties and (bounded) system-out.

    Raises QualifyError naming the file (and line) when it is not readable JUnit XML.
    """
    # The hot loop: a million testcases go through it. Counters are locals, flushed into `counts`
    # when the file ends (or fails); a plain passed testcase costs a tag check, two attribute reads,
    # `keep` and a clear. Passed ones are not counted here: testcases - failed - skipped.
    testcases = failed = skipped = flaky_count = 0
    root_checked = False
    # Result elements that ended and may still be in the tree; 0 means none is, so a testcase with
    # children can take the lean path.
    results_pending = 0
    suites_parent: etree._Element | None = None  # the parent whose suites `suites_seen` holds
    suites_seen: list[tuple[str, str | None]] = []
    context = None
    etree.clear_error_log()
    try:
        context = _parser_events(path)
        for _event, elem in context:
            if not root_checked:
                _check_root(elem.getroottree().getroot(), display)
                root_checked = True
            tag = elem.tag
            if tag != "testcase":
                if tag == "testsuite":
                    _release(elem)
                else:
                    # A result element ended: the testcase around it (if any) needs a full read.
                    # Not cleared: that testcase's `_classify` reads it.
                    results_pending += 1
                continue
            testcases += 1
            if results_pending and len(elem):
                outcome, flaky, found = _classify(elem)
                # The results read here go with this testcase's clear(). Results removed otherwise
                # (stray ones released with a suite) leave the count too high: slower, never wrong.
                results_pending -= found
                if outcome is _FAILED:
                    failed += 1
                elif outcome is _SKIPPED:
                    skipped += 1
                else:
                    flaky_count += flaky
            elif elem.get("status") == "disabled":
                # CTest/tst and others mark a test that did not run with status="disabled" and no result.
                outcome, flaky = _SKIPPED, False
                skipped += 1
            else:
                outcome, flaky = _PASSED, False
            name = elem.get("name") or ""
            if keep is None or keep(name, elem):
                classname = elem.get("classname") or ""
                # Testcases of one suite come in runs: its ancestors are walked once per run.
                parent = elem.getparent()
                if parent is not suites_parent:
                    suites_parent, suites_seen = parent, _suites_of(elem)
                suites = suites_seen
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
            elem.clear()  # keep_tail defaults to False; no keyword parsing in the hot loop
            if not testcases & _RELEASE_MASK:
                # Drop the cleared testcases before this one in batches: one call per batch, not per case.
                _release(elem)
        if not root_checked:
            _check_root(context.root, display)
    except etree.XMLSyntaxError as exc:
        first = None if root_checked else _first_element(path)
        if first is not None:
            # An entity declared in a DOCTYPE fails before any testcase ends: name the DOCTYPE.
            _check_root(first, display)
        # iterparse may report a later symptom ("no element found"); the log, cleared above, has the cause.
        cause = next((e for e in exc.error_log if e.level >= etree.ErrorLevels.ERROR), None)
        msg, line = (cause.message, cause.line) if cause is not None else (exc.msg, exc.lineno)
        raise QualifyError(_explain_xml(msg), display, line or None, code=_MALFORMED) from None
    except OSError as exc:
        raise QualifyError(
            f"cannot read results file: {exc.strerror or exc}", display, code="results-unreadable"
        ) from None
    finally:
        counts.testcases += testcases
        counts.passed += testcases - failed - skipped
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


def _capture_fields(elem: etree._Element, capture: bool) -> dict:
    if not capture or len(elem) == 0:
        return {}
    properties, output = captured(elem)
    return {"properties": properties, "output": output}
