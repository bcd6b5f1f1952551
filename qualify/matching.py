"""Match declared test titles to streamed testcases.

A declared title matches a testcase whose full name (suite/describe path + title, however the
runner wrote it) ends with the title at a boundary between path components. Where a runner joins
the path with plain spaces (jest-junit's defaults) a word boundary is accepted, and such matches
count only when no component-boundary match exists for that test in that job.

Matching is O(1) per testcase: declared titles are indexed by their last word, so a testcase is
examined further only when its last word is the last word of some declared title.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from qualify.junit import is_pathlike
from qualify.model import Defect, Match, Outcome, TestCase

SEP = " › "
# Separators runners put between path components: Playwright ›, Vitest/Jest custom >, pytest ::.
_SEP_RE = re.compile(r"\s*(?:›|»|▸|::|\s>\s)\s*")
_PARAMS = re.compile(r"\[[^\[\]]*\]$")
_DOTTED = re.compile(r"[A-Za-z_][\w]*(?:\.[A-Za-z_][\w]*)+")
MAX_EXAMPLES = 20  # testcases kept per declared test and job, for the report


def canonical(text: str) -> str:
    """Unicode NFC, single spaces, one separator style."""
    text = " ".join(unicodedata.normalize("NFC", text).split())
    return _SEP_RE.sub(SEP, text).strip()


def _last_word(text: str) -> str:
    parts = text.rsplit(None, 1)
    return unicodedata.normalize("NFC", parts[-1]) if parts else ""


def _strip_params(name: str) -> str | None:
    stripped = _PARAMS.sub("", name.rstrip())
    return stripped if stripped != name.rstrip() and stripped else None


def path_components(path: str) -> list[str]:
    return [p for p in re.split(r"[\\/]+", path.strip()) if p and p != "."]


def paths_match(declared: str, actual: str) -> bool:
    """Whole path components compared from the end, in either direction."""
    a, b = path_components(declared), path_components(actual)
    if not a or not b:
        return False
    n = min(len(a), len(b))
    return a[-n:] == b[-n:]


@dataclass(frozen=True, slots=True)
class _Forms:
    strong: tuple[str, ...]  # full names with component boundaries
    weak: tuple[str, ...]  # space-joined full names, separators as spaces: word boundaries only


def name_forms(case: TestCase, *, strip_params: bool) -> _Forms:
    """The full names under which a testcase can be declared, in canonical form."""
    name = case.name
    if strip_params:
        name = _strip_params(name) or name
    n = canonical(name)
    c = canonical(case.classname)
    strong = [n]
    weak: list[str] = []
    if c and c != n and not is_pathlike(case.classname):
        if n.endswith(" " + c):
            # mocha-junit-reporter: name is the full title, classname the test's own title.
            strong.append(n[: -len(c) - 1] + SEP + c)
        elif _DOTTED.fullmatch(case.classname):
            # pytest / JUnit: dotted module.Class path in classname.
            strong.append(SEP.join(case.classname.split(".")) + SEP + n)
        elif not n.startswith(c):
            strong.append(c + SEP + n)
    path = [canonical(s) for s in case.suites if s and not is_pathlike(s)]
    if path:
        strong.append(SEP.join(path) + SEP + n)
    if c == n:
        weak.append(n.replace(SEP, " "))
    return _Forms(tuple(strong), tuple(weak))


def _matches(declared: str, forms: Iterable[str], boundary: str) -> bool:
    return any(f == declared or f.endswith(boundary + declared) for f in forms)


@dataclass(slots=True)
class _Target:
    defect_index: int
    entry_index: int
    title: str  # canonical
    spaced: str  # the title with path separators as spaces, for space-joined names
    file: str | None
    has_params: bool


@dataclass(slots=True)
class MatchBook:
    """Collects, per declared entry and job, the testcases that matched it."""

    strong: dict[tuple[int, int, str], Match] = field(default_factory=dict)
    weak: dict[tuple[int, int, str], Match] = field(default_factory=dict)

    def get(self, defect_index: int, entry_index: int, job: str) -> Match:
        key = (defect_index, entry_index, job)
        found = self.strong.get(key)
        if found is not None and found.total:
            return found
        return self.weak.get(key) or Match()


def _record(
    book: dict[tuple[int, int, str], Match],
    key: tuple[int, int, str],
    case: TestCase,
    *,
    weak: bool,
    file_checked: bool,
) -> None:
    m = book.get(key)
    if m is None:
        m = book[key] = Match()
    m.total += 1
    if case.outcome is Outcome.PASSED:
        m.passed += 1
        m.flaky += case.flaky
    elif case.outcome is Outcome.FAILED:
        m.failed += 1
    else:
        m.skipped += 1
    m.word_boundary += weak
    m.file_unverified += not file_checked
    if len(m.examples) < MAX_EXAMPLES:
        m.examples.append(case)


class Matcher:
    """Index of declared titles; feed it testcases with `add`, read the outcome with `book`."""

    def __init__(self, defects: list[Defect]) -> None:
        self._by_word: dict[str, list[_Target]] = {}
        for di, defect in enumerate(defects):
            for ei, entry in enumerate(defect.coverage):
                title = canonical(entry.test)
                target = _Target(di, ei, title, title.replace(SEP, " "), entry.file, bool(_PARAMS.search(title)))
                self._by_word.setdefault(_last_word(title), []).append(target)
        self.book = MatchBook()

    def wants(self, name: str) -> bool:
        """Cheap pre-filter on the raw testcase name (the hot path for huge result sets)."""
        parts = name.rsplit(None, 1)
        if not parts:
            return False
        last = parts[-1]
        # Index keys are NFC; an ASCII word is NFC already, so unicodedata runs only for the rest.
        if last in self._by_word or (not last.isascii() and unicodedata.normalize("NFC", last) in self._by_word):
            return True
        if name[-1] != "]" and not name[-1].isspace():
            return False  # no [params] suffix to strip
        stripped = _strip_params(name)
        return stripped is not None and _last_word(stripped) in self._by_word

    def add(self, case: TestCase) -> None:
        targets = list(self._by_word.get(_last_word(case.name), ()))
        stripped = _strip_params(case.name)
        if stripped is not None:
            targets += [t for t in self._by_word.get(_last_word(stripped), ()) if not t.has_params]
        if not targets:
            return
        cache: dict[bool, _Forms] = {}
        for t in targets:
            strip = not t.has_params and stripped is not None
            forms = cache.get(strip)
            if forms is None:
                forms = cache[strip] = name_forms(case, strip_params=strip)
            strong = _matches(t.title, forms.strong, SEP)
            weak = not strong and _matches(t.spaced, forms.weak, " ")
            if not (strong or weak):
                continue
            file_checked = False
            if t.file and case.file:
                if not paths_match(t.file, case.file):
                    continue
                file_checked = True
            key = (t.defect_index, t.entry_index, case.job)
            _record(
                self.book.weak if weak else self.book.strong,
                key,
                case,
                weak=weak,
                file_checked=file_checked or not t.file,
            )
