"""Stream <testcase> elements out of a JUnit XML file with a hardened parser.

libxml2 builds no tree: lxml's parser-target interface hands Python the start and end of each
element (`_Reading`), so memory stays flat whatever the file size and a plain passed testcase costs
two small method calls. Each testcase is classified from the tags of the result elements below it,
as junitparser's xunit2 model reads them (flakyFailure/rerunFailure included). The parser knows no
positions: the line of a kept testcase is read from the file's bytes afterwards (`_StartLines`).
Kept testcases that `capture` asks for also carry their properties, bounded system-out and the
`[[ATTACHMENT|path]]` lines of their whole system-out, all read as the text streams past.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, BinaryIO

from lxml import etree

from qualify.core.model import JobCounts, Outcome, TestCase
from qualify.errors import QualifyError
from qualify.results.attachments import MAX_ATTACHMENTS, MAX_REF_CHARS, refs_in

if TYPE_CHECKING:  # common.py imports this module's helpers
    from qualify.results.common import Capture, Keep

_ROOTS = ("testsuites", "testsuite")
# Elements junitparser's xunit2 model reads as results: final ones, then interim ones (failed tries).
# Anything else (properties, system-out) leaves a testcase passed.
_RESULT_TAGS = ("failure", "error", "skipped", "rerunFailure", "rerunError", "flakyFailure", "flakyError")
_FAILING, _SKIPPING, _INTERIM = 1, 2, 4  # what a result element says, as bits (`_result_kinds`)
# Enum member lookups cost ~0.1 µs each; the hot path makes several per testcase.
_PASSED, _FAILED, _SKIPPED = Outcome.PASSED, Outcome.FAILED, Outcome.SKIPPED
_SOURCE_EXT = re.compile(r"\.(?:[cm]?[jt]sx?|py|go|java|kt|rb|php|cs|rs|scala|swift)$")
_SLASHED = re.compile(r"^[^\s]*[\\/][^\s]*$")
# Evidence capture bounds, per testcase: memory stays flat and regexes search bounded text.
MAX_OUTPUT_CHARS = 64 * 1024  # system-out kept: first and last half of this
MAX_PROPERTIES = 64
MAX_PROPERTY_CHARS = 4096
_CHUNK = 1 << 16  # bytes fed to the parser at a time
# Without a tree, libxml2 sets no depth limit: testsuites and testcases keep the one its tree had
# (other elements may nest deeper; nothing grows with them).
_MAX_NESTING = 256


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


def _parser(target: object) -> etree.XMLParser:
    """The hardened settings of `hardened_iterparse`, for a parser target (no tree is built).

    With a target, libxml2 hands attribute values over undecoded (`&amp;` as `&#38;`) unless it
    substitutes entities; that is safe here because no entity can be declared: the target refuses a
    DOCTYPE as it starts (`_Reading.doctype`), before any declaration in it is read, and no DTD is
    loaded. Only the predefined entities and character references are decoded.
    """
    return etree.XMLParser(
        target=target,
        resolve_entities=True,
        load_dtd=False,
        no_network=True,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


@functools.cache
def _result_kinds() -> dict[str, int]:
    """Result tag -> what it says (`_FAILING`, `_SKIPPING`, `_INTERIM`), from junitparser's xunit2
    model: the class it reads each tag with. Imported on first use, not at start-up (`--help` and
    small checks stay fast)."""
    from junitparser import Error, Failure, Skipped, xunit2

    kinds = {}
    for tag in _RESULT_TAGS:
        cls = xunit2.TestCase.ITER_TYPES[tag]
        kinds[tag] = (
            _FAILING
            if issubclass(cls, (Failure, Error))
            else _SKIPPING
            if issubclass(cls, Skipped)
            else _INTERIM
            if issubclass(cls, xunit2.InterimResult)
            else 0
        )
    return kinds


MALFORMED = "results-malformed"
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
            return f"malformed XML: {meaning}; test results never need this, the file is broken or hostile"
    return "malformed XML: " + " ".join(message.split())


def malformed_xml(display: str, exc: etree.XMLSyntaxError) -> QualifyError:
    """libxml2's failure in plain words, at the line of its cause: the parser may report a later
    symptom ("no element found"); its error log has the first error."""
    cause = next((e for e in exc.error_log if e.level >= etree.ErrorLevels.ERROR), None)
    msg, line = (cause.message, cause.line) if cause is not None else (exc.msg, exc.lineno)
    return QualifyError(_explain_xml(msg), display, line or None, code=MALFORMED)


def unreadable(display: str, exc: OSError) -> QualifyError:
    return QualifyError(f"cannot read results file: {exc.strerror or exc}", display, code="results-unreadable")


def _check_root(tag: str | None, doctype: bool, display: str, line: int | None = None) -> None:
    if doctype:
        raise QualifyError("a DOCTYPE is not allowed in JUnit results", display, line, code=MALFORMED)
    if tag is None:
        raise QualifyError("empty results file", display, code=MALFORMED)
    if tag not in _ROOTS:
        raise QualifyError(
            f"not JUnit XML: the root element is <{tag}>, expected <testsuites> or <testsuite>",
            display,
            line,
            code=MALFORMED,
        )


def _first_element(path: str) -> etree._Element | None:
    """The root element as it starts, read with the same hardened settings (for error reports)."""
    try:
        for _event, elem in hardened_iterparse(path, events=("start",)):
            return elem
    except (etree.XMLSyntaxError, OSError):
        pass
    return None


def _bounded(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    half = limit // 2
    return text[:half] + "\n…\n" + text[-half:]


class _Text:
    """Text that arrives in pieces, kept as `_bounded(whole, limit)` would: no more than `limit`
    characters of a 10 MB system-out are held."""

    __slots__ = ("head", "limit", "parts", "size", "tail")

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.parts: list[str] = []
        self.size = 0
        self.head: str | None = None  # once past 2 * limit: the first half of `limit`, and the last
        self.tail = ""

    def add(self, text: str) -> None:
        self.parts.append(text)
        self.size += len(text)
        if self.size > 2 * self.limit:
            half = self.limit // 2
            joined = self.tail + "".join(self.parts)
            if self.head is None:
                self.head = joined[:half]
            self.tail = joined[-half:]
            self.parts, self.size = [], 0

    def value(self) -> str:
        text = self.tail + "".join(self.parts)
        if self.head is None:
            return _bounded(text, self.limit)
        return self.head + "\n…\n" + text[-(self.limit // 2) :]


# A run of spaces/tabs this long says all a longer one would to `refs_in` (its path is cut at
# MAX_REF_CHARS + 1 characters), so `_RefLines` keeps runs no longer.
_REF_SPACES = MAX_REF_CHARS + 2
_REF_HEAD = _REF_SPACES + len("[[ATTACHMENT|") + MAX_REF_CHARS + 2  # a long line's start that is kept
_REF_TAIL = _REF_SPACES + 8  # a long line's end that is kept: its `]]`, spaces and `\r`
_REF_LINE_START = "[[ATTACHMENT|"
_LONG_SPACES = re.compile(f"[ \\t]{{{_REF_SPACES + 1},}}")


class _RefLines:
    """`refs_in` over a system-out that arrives in pieces: the `[[ATTACHMENT|path]]` lines of the
    whole text (not only of the bounded part kept as output), into `found`, at most `limit` in all.

    Only the line being read is held, and a long one only as far as it can change the answer: its
    start (the path is cut at MAX_REF_CHARS + 1 characters anyway) and its end (`]]`, spaces, `\r`);
    a line that can no longer be a reference is skipped to its end. Memory stays bounded and the
    work linear however the text is cut into pieces (libxml2 hands one per entity reference).
    """

    __slots__ = ("dead", "found", "limit", "parts", "size")

    def __init__(self, found: list[str], limit: int) -> None:
        self.found = found
        self.limit = limit
        self.parts: list[str] = []  # the line being read, in pieces (the first one may be squeezed)
        self.size = 0
        self.dead = False  # the line being read can be no reference: skip to its end

    def add(self, text: str) -> None:
        if len(self.found) >= self.limit:
            return
        end = text.rfind("\n")
        if end < 0:
            if not self.dead:
                self.parts.append(text)
                self.size += len(text)
                if self.size > 2 * (_REF_HEAD + _REF_TAIL):
                    self._squeeze()
            return
        first = text.find("\n")
        line = "" if self.dead else "".join(self.parts) + text[: first + 1]
        self.parts, self.size, self.dead = [], 0, False
        self._scan(line)
        self._scan(text[first + 1 : end + 1])
        self.add(text[end + 1 :])

    def close(self) -> None:
        """The text ends (a last line without a newline)."""
        if not self.dead and self.parts:
            self._scan("".join(self.parts))
        self.parts, self.size, self.dead = [], 0, False

    def _scan(self, text: str) -> None:
        room = self.limit - len(self.found)
        if text and room > 0:
            self.found.extend(refs_in(text, room))

    def _squeeze(self) -> None:
        """Keep of the long line being read what `refs_in` can still see: long runs of spaces and tabs
        cut to their first _REF_SPACES characters, then its first _REF_HEAD and last _REF_TAIL
        characters with a non-space between (no `]]` or `\r` is dropped: a line with `\r` before its
        end is no reference)."""
        # A run keeps its own first characters: a path that starts with a tab keeps its tab.
        line = _LONG_SPACES.sub(lambda run: run.group()[:_REF_SPACES], "".join(self.parts))
        start = line.lstrip(" \t")  # may be empty, or `[[ATTACH` so far: the line is still open
        if not (start.startswith(_REF_LINE_START) or _REF_LINE_START.startswith(start)) or "\r" in line[:-1]:
            self.parts, self.size, self.dead = [], 0, True
            return
        if len(line) > _REF_HEAD + _REF_TAIL + 1:
            line = line[:_REF_HEAD] + "x" + line[-_REF_TAIL:]
        self.parts, self.size = [line], len(line)


class _Kept:
    """What a kept testcase carries past its start tag: where it is, and its evidence (capture)."""

    __slots__ = (
        "captured",
        "depth",
        "in_properties",
        "ordinal",
        "out_size",
        "output",
        "properties",
        "reading_refs",
        "refs",
        "suites",
        "text",
        "text_name",
    )

    def __init__(self, ordinal: int, suites: tuple[tuple[str, str | None], ...]) -> None:
        self.ordinal = ordinal  # its start tag's rank among the file's testcase start tags
        self.suites = suites  # the testsuites around it: (name, file), outermost first
        self.captured = False  # `capture` wants its properties, system-out and attachment paths
        self.depth = 0
        self.properties: list[tuple[str, str]] = []
        self.output: list[str] = []
        self.out_size = 0
        self.refs: list[str] = []  # `[[ATTACHMENT|path]]` paths of its system-out (one more than read: more)
        self.in_properties = False
        self.text: _Text | None = None  # system-out or property text being read (None: not kept as text)
        self.text_name: str | None = None  # the property it is the value of; None: system-out
        self.reading_refs: _RefLines | None = None  # the system-out being read, for attachment lines


_Done = tuple[dict[str, str], _Kept, Outcome, bool]  # a kept testcase: attributes, what it carries, outcome, flaky


class _Reading:
    """The parser target: counts and classifies every testcase, hands its name to `keep` as its
    start tag arrives, and queues the kept ones (`done`) with their outcome and enclosing suites.

    A result element counts for the innermost testcase around it, wherever below it (as junitparser
    reads a testcase whose inner testcases were cleared before it ended). A testcase with no result
    element is passed, or skipped with status="disabled" (CTest, tst). The open testcase lives in
    `attrib`/`kinds`/`kept`; testcases inside testcases (rare) push the outer one on `outer`.
    """

    def __init__(self, keep: Keep | None) -> None:
        self.keep = keep
        self.result_kinds = _result_kinds()
        self.testcases = self.failed = self.skipped = self.flaky = 0
        self.ordinal = 0  # start tags of elements named testcase so far, any namespace (`_StartLines`)
        self.root: str | None = None
        self.attrib: dict[str, str] | None = None  # the open testcase's attributes
        self.kinds = 0  # bits of the result elements seen below it
        self.kept: _Kept | None = None  # set when `keep` wants it
        self.outer: list[tuple[dict[str, str], int, _Kept | None]] = []
        self.suites: list[tuple[str, str | None]] = []  # open testsuites: (name, file)
        self.done: list[_Done] = []

    def doctype(self, name: str | None, pubid: str | None, system: str | None) -> None:
        raise _Refused()

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        if self.root is None:
            self.root = tag
            if tag not in _ROOTS:
                raise _NotJunit()
        if tag == "testcase":
            if self.attrib is not None:
                if len(self.outer) + len(self.suites) >= _MAX_NESTING:
                    raise _TooDeep()
                self.outer.append((self.attrib, self.kinds, self.kept))
            self.ordinal += 1
            self.attrib = attrib
            self.kinds = 0
            keep = self.keep
            wanted = keep is None or keep(attrib.get("name") or "", attrib)
            self.kept = _Kept(self.ordinal, tuple(self.suites)) if wanted else None
        elif tag in self.result_kinds:
            if self.attrib is not None:
                self.kinds |= self.result_kinds[tag]
        elif tag == "testsuite":
            if len(self.outer) + len(self.suites) >= _MAX_NESTING:
                raise _TooDeep()
            self.suites.append((attrib.get("name") or "", attrib.get("file")))
        elif tag[0] == "{" and tag.endswith("}testcase"):
            self.ordinal += 1  # not read (a namespace), but counted by `_StartLines`

    def end(self, tag: str) -> None:
        if tag == "testcase":
            attrib, kinds, kept = self.attrib, self.kinds, self.kept
            if self.outer:
                self.attrib, self.kinds, self.kept = self.outer.pop()
            else:
                self.attrib = None
            self.testcases += 1
            flaky = False
            if kinds & _FAILING:
                outcome = _FAILED
                self.failed += 1
            elif kinds & _SKIPPING or attrib.get("status") == "disabled":  # type: ignore[union-attr]
                outcome = _SKIPPED
                self.skipped += 1
            else:
                outcome = _PASSED
                flaky = bool(kinds & _INTERIM)
                self.flaky += flaky
            if kept is not None:
                self.done.append((attrib, kept, outcome, flaky))  # type: ignore[arg-type]
        elif tag == "testsuite":
            self.suites.pop()

    def close(self) -> None:
        return None


class _CapturingReading(_Reading):
    """`_Reading` that also keeps, for kept testcases that `capture` wants (True: all of them), the
    properties and system-out directly under them (bounded) and the `[[ATTACHMENT|path]]` lines of
    that whole system-out, for `evidence:` checks and traces. Only then does text reach Python
    (`data`). An element's text is what comes before its first child, as lxml's `.text`."""

    def __init__(self, keep: Keep | None, capture: Callable[[str], bool] | bool) -> None:
        super().__init__(keep)
        self.capture = capture
        self.depth = 0
        self.reading: _Kept | None = None  # the kept testcase whose text is being read

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        self.depth += 1
        if self.reading is not None:
            self._finish()
        super().start(tag, attrib)
        case = self.kept
        if case is None or self.attrib is None:
            return
        if tag == "testcase":
            case.depth = self.depth
            capture = self.capture
            case.captured = capture is True or bool(capture(attrib.get("name") or ""))  # type: ignore[operator]
            return
        if not case.captured:
            return
        below = self.depth - case.depth
        if below == 1:
            if tag == "system-out":
                # Attachment lines are taken from the whole system-out, the output only while it fits.
                text = _Text(MAX_OUTPUT_CHARS) if case.out_size <= MAX_OUTPUT_CHARS else None
                refs = _RefLines(case.refs, MAX_ATTACHMENTS + 1) if len(case.refs) <= MAX_ATTACHMENTS else None
                if text is not None or refs is not None:
                    case.reading_refs = refs
                    self._read(case, text, None)
            elif tag == "properties":
                case.in_properties = True
        elif below == 2 and tag == "property" and case.in_properties and len(case.properties) < MAX_PROPERTIES:
            name = (attrib.get("name") or "")[:MAX_PROPERTY_CHARS]
            value = attrib.get("value")
            if value is None:  # some reporters write the value as the element's text
                self._read(case, _Text(MAX_PROPERTY_CHARS), name)
            else:
                case.properties.append((name, _bounded(value, MAX_PROPERTY_CHARS)))

    def data(self, text: str) -> None:
        reading = self.reading
        if reading is not None:
            if reading.text is not None:
                reading.text.add(text)
            if reading.reading_refs is not None:
                reading.reading_refs.add(text)

    def end(self, tag: str) -> None:
        if self.reading is not None:
            self._finish()
        case = self.kept
        if tag == "properties" and case is not None and self.depth - case.depth == 1:
            case.in_properties = False
        self.depth -= 1
        super().end(tag)

    def _read(self, case: _Kept, text: _Text | None, name: str | None) -> None:
        case.text, case.text_name = text, name
        self.reading = case

    def _finish(self) -> None:
        """The text being read ends: file it where it belongs."""
        case, self.reading = self.reading, None
        if case is None:
            return
        if case.reading_refs is not None:
            case.reading_refs.close()
            case.reading_refs = None
        if case.text is None:
            return
        value = case.text.value()
        case.text = None
        if case.text_name is not None:
            case.properties.append((case.text_name, value))
        elif value:
            case.output.append(value)
            case.out_size += len(value)


class _Refused(Exception):
    """A DOCTYPE arrived (raised from the parser target, reported with the file)."""


class _TooDeep(Exception):
    """Testsuites and testcases nested deeper than _MAX_NESTING (raised from the parser target)."""


class _NotJunit(Exception):
    """The root element is not testsuites/testsuite (raised from the parser target)."""


_NEXT_TAG = re.compile(rb"<(?:(?:[^\s<>/!?:]+:)?testcase(?=[\s/>])|!\[CDATA\[|!--|\?)")
_SECTION_ENDS = {b"<![CDATA[": b"]]>", b"<!--": b"-->", b"<?": b"?>"}
_NAME_END = re.compile(rb"[\s/>]")  # what ends a tag's name
_TAG_REST = re.compile(rb"""(?:[^>"']++|"[^"]*+"|'[^']*+')*+>""")  # attributes up to the tag's end


class _StartLines:
    """The line of each testcase start tag, read from the file's bytes only when a kept testcase
    asks (the parser target knows no positions), in document order: start tags of elements named
    testcase (any namespace prefix) are counted as libxml2 meets them, comments, CDATA sections and
    processing instructions skipped. A file whose kept testcases all come early is read no further."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._fh: BinaryIO | None = None
        self._buf = b""
        self._pos = 0
        self._line = 1  # the line at _pos
        self._seen = 0
        self._closing: bytes | None = None  # the end of the comment/CDATA/PI _pos is in

    def line_of(self, ordinal: int) -> int:
        """Line of the ordinal-th (1-based) testcase start tag; 0 if the bytes do not have it."""
        while self._seen < ordinal:
            buf, pos = self._buf, self._pos
            if self._closing is not None:
                end = buf.find(self._closing, pos)
                if end < 0:
                    if not self._more(max(pos, len(buf) - len(self._closing) + 1)):
                        return 0
                    continue
                self._advance(end + len(self._closing))
                self._closing = None
                continue
            found = _NEXT_TAG.search(buf, pos)
            if found is None:
                # Keep only a tag whose name may still be cut off at the end of the bytes read.
                lt = buf.rfind(b"<", pos)
                keep_from = lt if lt >= 0 and _NAME_END.search(buf, lt + 1) is None else len(buf)
                if not self._more(keep_from):
                    return 0
                continue
            token = found.group()
            if token.endswith(b"testcase"):
                if self._seen + 1 < ordinal:
                    # Not the one asked for: its attributes hold no `<`, so the next search may start here.
                    self._advance(found.end())
                    self._seen += 1
                    continue
                # libxml2 gives an element the line its start tag ends on (attributes may span lines).
                tag = _TAG_REST.match(buf, found.end())
                if tag is None:
                    if not self._more(found.start()):
                        return 0
                    continue
                self._advance(tag.end())
                self._seen += 1
                return self._line
            else:
                self._advance(found.end())
                self._closing = _SECTION_ENDS[token]
        return 0

    def _advance(self, to: int) -> None:
        self._line += self._buf.count(b"\n", self._pos, to)
        self._pos = to

    def _more(self, keep_from: int) -> bool:
        """Drop what was read up to `keep_from` (its lines counted), append the next bytes."""
        self._advance(keep_from)
        if self._fh is None:
            self._fh = open(self._path, "rb")  # closed by close(), after the last call
        chunk = self._fh.read(_CHUNK)
        if not chunk:
            return False
        self._buf = self._buf[self._pos :] + chunk
        self._pos = 0
        return True

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()


def _file_of(attrib: dict[str, str], classname: str, suites: tuple[tuple[str, str | None], ...]) -> str | None:
    file = attrib.get("file")
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
    keep: Keep | None = None,
    capture: Capture = False,
) -> Iterator[TestCase]:
    """Yield the testcases of one file that `keep(name, attributes)` wants; count every testcase in
    `counts`. With `capture` (True, or a predicate on the name), kept testcases also carry their
    properties, (bounded) system-out and the paths it attaches.

    Raises QualifyError naming the file (and line) when it is not readable JUnit XML.
    """
    reading = _CapturingReading(keep, capture) if capture else _Reading(keep)
    lines = _StartLines(path)
    etree.clear_error_log()
    try:
        parser = _parser(reading)
        with open(path, "rb") as fh:
            while True:
                chunk = fh.read(_CHUNK)
                if chunk:
                    parser.feed(chunk)
                else:
                    parser.close()
                if reading.done:
                    done, reading.done = reading.done, []
                    yield from _testcases(done, job, display, lines)
                if not chunk:
                    break
        _check_root(reading.root, False, display)
    except _Refused:
        first = _first_element(path)
        _check_root(reading.root, True, display, first.sourceline if first is not None else None)
    except _TooDeep:
        raise QualifyError(
            f"testsuite/testcase elements nested deeper than {_MAX_NESTING} levels; "
            "JUnit results never need this, the file is broken or hostile",
            display,
            code=MALFORMED,
        ) from None
    except _NotJunit:
        first = _first_element(path)
        _check_root(reading.root, False, display, first.sourceline if first is not None else None)
    except etree.XMLSyntaxError as exc:
        if reading.root is None:
            first = _first_element(path)
            if first is not None and first.getroottree().docinfo.doctype:
                # An entity declared in a DOCTYPE fails before any element starts: name the DOCTYPE.
                _check_root(first.tag, True, display, first.sourceline)
        raise malformed_xml(display, exc) from None  # the log, cleared above, has the cause
    except OSError as exc:
        raise unreadable(display, exc) from None
    finally:
        lines.close()
        counts.testcases += reading.testcases
        counts.passed += reading.testcases - reading.failed - reading.skipped
        counts.failed += reading.failed
        counts.skipped += reading.skipped
        counts.flaky += reading.flaky
    counts.files += 1


def _testcases(done: list[_Done], job: str, display: str, lines: _StartLines) -> Iterator[TestCase]:
    for attrib, kept, outcome, flaky in done:
        classname = attrib.get("classname") or ""
        yield TestCase(
            job=job,
            name=attrib.get("name") or "",
            classname=classname,
            suites=tuple(name for name, _ in kept.suites),
            file=_file_of(attrib, classname, kept.suites),
            outcome=outcome,
            flaky=flaky,
            source=display,
            line=lines.line_of(kept.ordinal),
            properties=tuple(kept.properties),
            output=_bounded("\n".join(kept.output), MAX_OUTPUT_CHARS) if kept.output else "",
            attachments=tuple(kept.refs),
        )
