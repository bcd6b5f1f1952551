"""What every results reader shares: the reader signature, counting, bounded capture, hardened XML.

A reader streams one file: `read(path, display, job, counts, keep, capture)` yields the `TestCase`s
that `keep(name, attrs)` wants, counts every test case in `counts`, and raises QualifyError (naming the
file and, where known, the line) when the file cannot be read. `junit.read_testcases` is the model;
the other formats follow it (formats.py picks one from the file's content).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Protocol

from lxml import etree

from qualify.core.model import JobCounts, Outcome, TestCase
from qualify.errors import QualifyError
from qualify.results.attachments import MAX_ATTACHMENTS, refs_in
from qualify.results.junit import (
    MALFORMED,
    MAX_OUTPUT_CHARS,
    MAX_PROPERTIES,
    MAX_PROPERTY_CHARS,
    _bounded,
    _first_element,
    hardened_iterparse,
    malformed_xml,
    unreadable,
)

_HEAD_END = re.compile(r"[\s(]")


class Attrs(Protocol):
    def get(self, key: str) -> str | None: ...


class Keep(Protocol):
    """`keep(name, attrs)`: whether the reader yields the test case named so. `attrs` (anything with
    `.get`) is its element's attributes where the format has them: the JUnit reader passes them, so
    the matcher's near-miss side-look can read `classname`; the other readers pass the name alone."""

    def __call__(self, name: str, attrs: Attrs | None = None, /) -> bool: ...


Properties = tuple[tuple[str, str], ...]
_PASSED, _FAILED, _SKIPPED = Outcome.PASSED, Outcome.FAILED, Outcome.SKIPPED


class Reader(Protocol):
    def __call__(
        self,
        path: str,
        display: str,
        job: str,
        counts: JobCounts,
        keep: Keep | None = None,
        capture: Capture = False,
    ) -> Iterator[TestCase]: ...


@dataclass(slots=True)
class Tally:
    """Per-file counters, flushed into the job's JobCounts when the file ends (or fails), as junit does."""

    testcases: int = 0
    failed: int = 0
    skipped: int = 0
    flaky: int = 0

    def add(self, outcome: Outcome, flaky: bool = False) -> None:
        self.testcases += 1
        if outcome is _FAILED:
            self.failed += 1
        elif outcome is _SKIPPED:
            self.skipped += 1
        elif flaky:
            self.flaky += 1

    def flush(self, counts: JobCounts) -> None:
        counts.testcases += self.testcases
        counts.passed += self.testcases - self.failed - self.skipped
        counts.failed += self.failed
        counts.skipped += self.skipped
        counts.flaky += self.flaky


@dataclass(slots=True)
class BoundedText:
    """Text gathered piece by piece (go test output lines), kept to its first and last
    MAX_OUTPUT_CHARS / 2 characters: memory stays flat however much a test prints."""

    limit: int = MAX_OUTPUT_CHARS
    head: list[str] = field(default_factory=list)
    head_len: int = 0
    tail: list[str] = field(default_factory=list)
    tail_len: int = 0
    dropped: bool = False

    def add(self, piece: str) -> None:
        half = self.limit // 2
        if self.head_len < half:
            take = piece[: half - self.head_len]
            self.head.append(take)
            self.head_len += len(take)
            piece = piece[len(take) :]
            if not piece:
                return
        self.tail.append(piece)
        self.tail_len += len(piece)
        while self.tail_len - len(self.tail[0]) >= half:
            self.tail_len -= len(self.tail.pop(0))
            self.dropped = True
        if self.tail_len > 2 * half:  # one huge piece: cut it now, not at the end
            joined = "".join(self.tail)
            self.tail, self.tail_len, self.dropped = [joined[-half:]], half, True

    def text(self) -> str:
        head = "".join(self.head)
        tail = "".join(self.tail)
        if self.dropped or len(tail) > self.limit // 2:
            return head + "\n…\n" + tail[-(self.limit // 2) :]
        return head + tail


def bounded_property(name: str | None, value: str | None) -> tuple[str, str]:
    return ((name or "")[:MAX_PROPERTY_CHARS], _bounded(value or "", MAX_PROPERTY_CHARS))


Capture = bool | Callable[[str], bool] | None


def wanted(capture: Capture, name: str) -> bool:
    """Whether a kept test's output, properties and attachment paths are captured: `capture` is True,
    or a predicate on the name (only tests that evidence, scenario steps or events need), or off."""
    if capture is None or capture is False:
        return False
    return capture is True or bool(capture(name))


def capture_fields(props: list[tuple[str | None, str | None]], pieces: list[str]) -> dict:
    """The captured fields of one test: bounded properties and output, and the `[[ATTACHMENT|path]]`
    references found in the whole output (before it is cut), as the JUnit reader takes them."""
    refs: list[str] = []
    for piece in pieces:
        if piece and len(refs) <= MAX_ATTACHMENTS:
            refs.extend(refs_in(piece, MAX_ATTACHMENTS + 1 - len(refs)))
    return {"properties": property_pairs(props), "output": bounded_output(pieces), "attachments": tuple(refs)}


def bounded_output(pieces: list[str]) -> str:
    return _bounded("\n".join(_bounded(p, MAX_OUTPUT_CHARS) for p in pieces if p), MAX_OUTPUT_CHARS)


def property_pairs(props: list[tuple[str | None, str | None]]) -> Properties:
    return tuple(bounded_property(n, v) for n, v in props[:MAX_PROPERTIES])


def strip_class(name: str, classname: str) -> str:
    """A test's own name: `Ns.Class.Method(args)` written with its class (xUnit.net, NUnit 2) loses
    the `Ns.Class.` that `classname` already says, so names match as JUnit's do (`Class › Method`)."""
    if classname and len(name) > len(classname) + 1 and name.startswith(classname) and name[len(classname)] == ".":
        return name[len(classname) + 1 :]
    return name


def split_dotted(name: str) -> tuple[str, str]:
    """(`Ns.Class`, `Method(args)`) out of a full NUnit 2 name. The class ends at the last dot before
    the first space or `(`: dots in arguments or in a display name (`6b. Issue #462`) do not count."""
    head = _HEAD_END.split(name, 1)[0].rstrip(".")
    cut = head.rfind(".")
    if cut <= 0:
        return "", name
    return name[:cut], name[cut + 1 :]


def local(tag: object) -> str:
    """An element's name without its namespace (TRX is namespaced; comments have no str tag)."""
    if not isinstance(tag, str):
        return ""
    return tag.rpartition("}")[2]


def release(elem: etree._Element) -> None:
    """Free a finished element and the siblings before it, keeping memory flat."""
    elem.clear(keep_tail=False)
    parent = elem.getparent()
    if parent is not None:
        index = parent.index(elem)
        if index:
            del parent[:index]


RELEASE_EVERY = 255  # mask: a finished case element and its earlier siblings are freed every 256 cases


def xml_cases(
    path: str,
    display: str,
    counts: JobCounts,
    *,
    case_tag: str,
    tags: tuple[str, ...],
    roots: tuple[str, ...],
    what: str,
) -> Iterator[tuple[etree._Element, Tally]]:
    """The `case_tag` elements of an XML results file with the tally to count them in, for readers
    with one element per test (NUnit, xUnit.net): every other element is released, each case is
    cleared once the reader has taken what it needs, the tally reaches `counts` however the read ends,
    and the file counts as read only when it was read to the end."""
    tally = Tally()
    try:
        for elem in xml_elements(path, display, tags=tags, roots=roots, what=what):
            if elem.tag != case_tag:
                release(elem)
                continue
            yield elem, tally
            elem.clear()
            if not tally.testcases & RELEASE_EVERY:
                release(elem)
    finally:
        tally.flush(counts)
    counts.files += 1


def check_doc(root: etree._Element | None, display: str, roots: tuple[str, ...], what: str) -> None:
    if root is None:
        raise QualifyError("empty results file", display, code=MALFORMED)
    if root.getroottree().docinfo.doctype:
        raise QualifyError("a DOCTYPE is not allowed in test results", display, root.sourceline, code=MALFORMED)
    if local(root.tag) not in roots:
        expected = " or ".join(f"<{r}>" for r in roots)
        raise QualifyError(
            f"not {what}: the root element is <{local(root.tag)}>, expected {expected}",
            display,
            root.sourceline,
            code=MALFORMED,
        )


def xml_elements(
    path: str, display: str, *, tags: tuple[str, ...], roots: tuple[str, ...], what: str
) -> Iterator[etree._Element]:
    """The ends of `tags` elements, read with the hardened parser; the root and DOCTYPE checked on
    the first one; libxml2's errors turned into one plain QualifyError naming the file and line."""
    root_checked = False
    context = None
    etree.clear_error_log()
    try:
        context = hardened_iterparse(path, events=("end",), tag=tags)
        for _event, elem in context:
            if not root_checked:
                check_doc(elem.getroottree().getroot(), display, roots, what)
                root_checked = True
            yield elem
        if not root_checked:
            check_doc(context.root, display, roots, what)
    except etree.XMLSyntaxError as exc:
        first = None if root_checked else _first_element(path)
        if first is not None:
            check_doc(first, display, roots, what)  # a DOCTYPE's entities fail before any element ends
        raise malformed_xml(display, exc) from None
    except OSError as exc:
        raise unreadable(display, exc) from None
