"""Match declared test titles to streamed testcases.

A declared title matches a testcase whose full name (suite/describe path + title, however the
runner wrote it) ends with the title at a boundary between path components. Where a runner joins
the path with plain spaces (jest-junit's defaults) a word boundary is accepted, and such matches
count only when no component-boundary match exists for that test in that job.

The cost per testcase does not depend on how many titles are declared, nor on how alike they are:
* the filter every name goes through (`keeper`) looks its last word up in a word-suffix index of the
  declared titles, and walks further only as long as some title still ends with the same words
  (`_Tails`): a name ending in a word no title ends with costs one lookup;
* a kept testcase looks up each suffix of its own full names that follows a boundary, in tables of
  the declared titles (`_suffixes`): it is never compared with the declared titles one by one.

Two cheap side-looks per testcase feed the diagnostics, in bounded memory:
* near misses: a name whose last or second-to-last word (or the last two before a trailing
  parenthesised remark) is a word of some declared title is a candidate "closest title" for it (at
  most MAX_NEAR per declared test and job, best shared-word score kept); they are ranked only when
  the declared test is not found;
* mentions: a name that mentions a declared issue (`#462`, `Issue 462`, `ISSUE-462`, `issue_462`)
  but matches none of that defect's entries is an undeclared candidate (at most MAX_UNDECLARED).
"""

from __future__ import annotations

import difflib
import heapq
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from qualify.core.model import EVIDENCE_JOB, Defect, Evidence, Match, Outcome, TestCase
from qualify.results.junit import is_pathlike

SEP = " › "
# Separators runners put between path components: Playwright ›, Vitest/Jest custom >, pytest ::.
_SEP_RE = re.compile(r"\s*(?:›|»|▸|::|\s>\s)\s*")
_PARAMS = re.compile(r"\[[^\[\]]*\]$")
_DOTTED = re.compile(r"[A-Za-z_][\w]*(?:\.[A-Za-z_][\w]*)+")
MAX_EXAMPLES = 20  # testcases kept per declared test and job, for the report
MAX_NEAR = 40  # candidate near-miss names kept per declared test and job
MAX_CLOSEST = 3  # closest titles named in a test-not-found finding
CLOSEST_CUTOFF = 0.5  # difflib ratio below which a name is not "close"
MAX_UNDECLARED = 20  # distinct undeclared candidate names kept per defect
MAX_CONTEXTS = 4096  # (classname, suites) pairs whose name-form parts are cached
# A title word that ends this many names is not distinctive in these results: it stops feeding the
# near-miss sets, which bounds their cost whatever the suite's size.
MAX_WORD_HITS = 500
# A word shared by more declared titles than this is not distinctive among the declarations either;
# each testcase ending in it would be offered to all of them (cost: testcases x declared tests).
MAX_WORD_TARGETS = 8
_TOKEN = re.compile(r"[^\W_]+")
_STOP = frozenset(
    "a an and are as at be by can does for from has have in is it its not of on or should that the then this to"
    " when with without test tests it's".split()
)
# `#462`, `# 462`, `Issue 462`, `Issue #462`, `ISSUE-462`, `issue_462` (pytest function names).
_MENTION = re.compile(r"(?<![A-Za-z0-9])(?:#[ \t]*|issue[ \t_:#-]*)(\d+)(?![0-9])", re.IGNORECASE)


def canonical(text: str) -> str:
    """Unicode NFC, single spaces, one separator style."""
    text = " ".join(unicodedata.normalize("NFC", text).split())
    # Most names hold no separator, or only canonical ` › ` ones: skip the regex (it tries `\s*` at
    # every position). With single spaces and no outer ones, _SEP_RE can change the text only where
    # one of these tests fails.
    if "::" in text or " > " in text or "»" in text or "▸" in text or text.count("›") != text.count(SEP):
        return _SEP_RE.sub(SEP, text).strip()
    return text


def _strip_params(name: str) -> str | None:
    name = name.rstrip()
    if not name.endswith("]"):  # what _PARAMS needs, checked without the regex
        return None
    stripped = _PARAMS.sub("", name)
    return stripped if stripped != name and stripped else None


def _distinctive(token: str) -> bool:
    """Whether a title's word says something about it: no stop word, no one- or two-letter word."""
    return token not in _STOP and (len(token) >= 3 or token.isdigit())


def tokens(text: str) -> set[str]:
    """Lower-case words, underscores and punctuation as separators, for similarity scoring."""
    return set(_TOKEN.findall(text.lower()))


def mentioned_issues(name: str) -> set[int]:
    """Issue numbers a test title mentions; the substring pre-check keeps the common case cheap."""
    if "#" not in name and "ssue" not in name and "SSUE" not in name:
        return set()
    return {int(m.group(1)) for m in _MENTION.finditer(name)}


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


@dataclass(frozen=True, slots=True)
class _Context:
    """What the name forms take from a testcase's classname and suites, the same for every testcase
    of a class or file (Matcher caches it: computing it per testcase was most of `add`)."""

    classname: str  # canonical
    titled: bool  # the classname is a title part: not empty and not a file path
    dotted: str | None  # a dotted module.Class classname as path components
    path: str | None  # the suites that are not file paths, as path components


def _context(classname: str, suites: tuple[str, ...]) -> _Context:
    c = canonical(classname)
    parts = [canonical(s) for s in suites if s and not is_pathlike(s)]
    titled = bool(c) and not is_pathlike(classname)
    return _Context(
        classname=c,
        titled=titled,
        dotted=SEP.join(classname.split(".")) if titled and _DOTTED.fullmatch(classname) else None,
        path=SEP.join(parts) if parts else None,
    )


def name_forms(case: TestCase, *, strip_params: bool, context: _Context | None = None) -> _Forms:
    """The full names under which a testcase can be declared, in canonical form.

    `context` is `_context(case.classname, case.suites)`, when the caller has it at hand.
    """
    ctx = context or _context(case.classname, case.suites)
    name = case.name
    if strip_params:
        name = _strip_params(name) or name
    n = canonical(name)
    c = ctx.classname
    strong = [n]
    weak: list[str] = []
    if ctx.titled and c != n:
        if n.endswith(" " + c):
            # mocha-junit-reporter: name is the full title, classname the test's own title.
            strong.append(n[: -len(c) - 1] + SEP + c)
        elif ctx.dotted is not None:
            # pytest / JUnit: dotted module.Class path in classname.
            strong.append(ctx.dotted + SEP + n)
        elif not n.startswith(c):
            strong.append(c + SEP + n)
    if ctx.path is not None:
        strong.append(ctx.path + SEP + n)
    if c == n:
        weak.append(n.replace(SEP, " "))
    return _Forms(tuple(strong), tuple(weak))


def _suffixes(form: str, boundary: str, longest: int) -> list[str]:
    """The strings a declared title can be to match `form` at `boundary`: the form itself and each
    suffix that follows an occurrence of the boundary (`form == title or form.endswith(boundary +
    title)`), shortest first and none longer than `longest` (the longest declared title).

    Occurrences may overlap (` › › `): each one is found, as `endswith` would.
    """
    found = [form] if len(form) <= longest else []
    end = len(form)
    step = len(boundary)
    while True:
        cut = form.rfind(boundary, 0, end)
        if cut < 0 or len(form) - cut - step > longest:
            return found
        found.append(form[cut + step :])
        end = cut + step - 1


_ABSENT = object()


class _Tails:
    """Which names could match a declared title, from the name alone: the word-suffixes of the
    titles, kept only as deep as it takes to tell titles apart.

    Every way a title can match (`name_forms`) has the title's words end the name's words, or the
    name's words end the title's (a title `describe › test` matches the name `test` under suite
    `describe`), once path separators are dropped (`words`). `related` walks the name's word-suffixes
    from its last word and stops at the first one no title ends with, or where only one title does
    (then one comparison): its cost is bounded by the name's own words, however many titles share
    their last words (`… works`, `… holds under load`, `… (USE_REAL_APIS=1)`).
    """

    def __init__(self) -> None:
        # word-suffix -> the one title (in `words` form) ending so, or None when several do.
        self.nodes: dict[str, str | None] = {}
        self._titles: set[str] = set()

    def add(self, title: str) -> None:
        if not title or title in self._titles:
            return
        self._titles.add(title)
        nodes = self.nodes
        end = len(title)
        while True:
            cut = title.rfind(" ", 0, end)
            suffix = title[cut + 1 :]
            node = nodes.get(suffix, _ABSENT)
            if node is _ABSENT:
                nodes[suffix] = title
                return
            if node is not None:
                # Another title ended so alone: both continue one word deeper.
                nodes[suffix] = None
                if len(node) > len(suffix):
                    nodes[node[node.rfind(" ", 0, len(node) - len(suffix) - 1) + 1 :]] = node
            if cut < 0:
                return
            end = cut

    def related(self, words: str, cost: MatchCost) -> bool:
        """Whether some title's words end `words`, or `words` end some title's."""
        nodes = self.nodes
        end = len(words)
        while True:
            cut = words.rfind(" ", 0, end)
            suffix = words[cut + 1 :]
            cost.lookups += 1
            node = nodes.get(suffix, _ABSENT)
            if node is _ABSENT:
                return False
            if node is not None:  # only this title ends with these words
                cost.compares += 1
                if len(node) <= len(words):
                    return words == node or words.endswith(" " + node)
                return node.endswith(" " + words)
            if cut < 0 or suffix in self._titles:
                return True
            end = cut


def words(canonical_text: str) -> str:
    """A canonical name or title without its path separators: the form `_Tails` compares.

    Empty for a text of separators only (such a title can match only a name ending in `›`).
    """
    if "›" not in canonical_text:
        return canonical_text
    return " ".join(w for w in canonical_text.split() if w != "›")


@dataclass(slots=True)
class MatchCost:
    """What matching cost, counted where it can grow: hash lookups and string comparisons made by
    the filter's slow path and by `add` (the filter's fast path is one lookup per name)."""

    lookups: int = 0
    compares: int = 0
    names: int = 0  # names the slow path or `add` looked at


_Check = tuple[str | None, "re.Pattern[str] | None"]


@dataclass(slots=True)
class _Target:
    defect_index: int
    entry_index: int
    title: str  # canonical
    spaced: str  # the title with path separators as spaces, for space-joined names
    file: str | None
    has_params: bool
    evidence: tuple[_Check, ...] = ()
    words: frozenset[str] = frozenset()  # distinctive lower-case words, for near-miss scoring


class _TitleWords:
    """The words of all declared titles: their distinctive tokens, and the near-miss index.

    Titles share most of their words: each raw word is tokenised once, not once per title, and a
    word found in too many titles is skipped at once (this was most of the index's cost with tens of
    thousands of declared tests).
    """

    def __init__(self) -> None:
        self.targets: dict[str, list[_Target]] = {}  # raw title word -> targets whose titles hold it
        self._tokens: dict[str, frozenset[str]] = {}  # raw title word -> its distinctive tokens
        self._crowded: set[str] = set()  # raw words in more than MAX_WORD_TARGETS titles

    def add(self, target: _Target) -> frozenset[str]:
        """File the target under each raw word of its title that carries a distinctive token (unless
        that word is crowded); return the title's distinctive tokens."""
        found: list[frozenset[str]] = []
        for raw in set(target.spaced.split()):
            words = self._tokens.get(raw)
            if words is None:
                words = self._tokens[raw] = frozenset(w for w in _TOKEN.findall(raw.lower()) if _distinctive(w))
            if not words:
                continue
            found.append(words)
            if raw in self._crowded:
                continue
            listed = self.targets.setdefault(raw, [])
            listed.append(target)
            if len(listed) > MAX_WORD_TARGETS:
                self._crowded.add(raw)
                del self.targets[raw]
        return frozenset().union(*found)


@dataclass(slots=True)
class _Near:
    """A bounded set of names, best shared-word scores kept."""

    heap: list[tuple[int, int, str]] = field(default_factory=list)
    names: set[str] = field(default_factory=set)

    def offer(self, score: int, seq: int, name: str) -> None:
        if name in self.names:
            return
        if len(self.heap) < MAX_NEAR:
            heapq.heappush(self.heap, (score, -seq, name))
            self.names.add(name)
        elif score > self.heap[0][0]:
            _, _, dropped = heapq.heapreplace(self.heap, (score, -seq, name))
            self.names.discard(dropped)
            self.names.add(name)


@dataclass(slots=True)
class Undeclared:
    """Tests that mention a defect's issue but match none of its declared entries."""

    cases: dict[str, list[TestCase]] = field(default_factory=dict)  # name -> first case per job
    more: int = 0  # testcases left out once MAX_UNDECLARED names were kept

    def add(self, case: TestCase) -> None:
        seen = self.cases.get(case.name)
        if seen is None:
            if len(self.cases) >= MAX_UNDECLARED:
                self.more += 1
                return
            seen = self.cases[case.name] = []
        if all(c.job != case.job for c in seen):
            seen.append(_lean(case))


def _lean(case: TestCase) -> TestCase:
    return replace(case, properties=(), output="") if case.properties or case.output else case


def _positions(text: str) -> dict[str, int]:
    """Character -> the bit set of its positions in text."""
    where: dict[str, int] = {}
    for i, char in enumerate(text):
        where[char] = where.get(char, 0) | 1 << i
    return where


def _lcs_length(a: str, b: str, b_positions: dict[str, int] | None = None) -> int:
    """Length of the longest common subsequence of a and b, bit-parallel (Allison and Dix, 1986).

    difflib's matching blocks form a common subsequence, so 2 * this / (len(a) + len(b)) bounds its
    ratio() from above, at a fraction of ratio()'s cost. `b_positions` is `_positions(b)`, if at hand.
    """
    where = _positions(b) if b_positions is None else b_positions
    everywhere = (1 << len(b)) - 1
    row = everywhere  # a clear bit per character of b used by the subsequence so far
    for char in a:
        used = row & where.get(char, 0)
        row = ((row + used) | (row - used)) & everywhere
    return len(b) - row.bit_count()


class _Closeness:
    """difflib ratios of names against one declared title, with what depends on the title alone
    (difflib's index of it, its character positions) computed once for all the names."""

    def __init__(self, title: str) -> None:
        self.title = title
        self._matcher = difflib.SequenceMatcher(None, b=title)  # b is the side difflib caches
        self._positions = _positions(title)

    def similarity(self, name: str, floor: float = 0.0) -> float:
        """The best ratio of the title against the name and each trailing part of its path.

        Exact when it is at least `floor`; otherwise some value below `floor` (bounds skip the work).
        """
        n = canonical(name)
        parts = n.split(SEP)
        forms = [n] + [SEP.join(parts[i:]) for i in range(1, len(parts))]
        matcher, title = self._matcher, self.title
        best = 0.0
        for form in forms:
            matcher.set_seq1(form)
            # Upper bounds of ratio(), cheapest first: a form is worth ratio() only if it may beat
            # `best` and reach `floor`. The LCS bound is never above quick_ratio(), so that one is moot.
            if matcher.real_quick_ratio() <= best:
                continue
            total = len(form) + len(title)  # two empty strings have ratio 1.0, which no bound here knows
            if total:
                bound = 2.0 * _lcs_length(form, title, self._positions) / total
                if bound <= best or bound < floor:
                    continue
            best = max(best, matcher.ratio())
        return best


@dataclass(slots=True)
class MatchBook:
    """Collects, per declared entry and job, the testcases that matched it, and the diagnostics."""

    strong: dict[tuple[int, int, str], Match] = field(default_factory=dict)
    weak: dict[tuple[int, int, str], Match] = field(default_factory=dict)
    near: dict[tuple[int, int, str], _Near] = field(default_factory=dict)
    titles: dict[tuple[int, int], str] = field(default_factory=dict)
    undeclared: dict[int, Undeclared] = field(default_factory=dict)  # defect index -> candidates

    def get(self, defect_index: int, entry_index: int, job: str) -> Match:
        key = (defect_index, entry_index, job)
        found = self.strong.get(key)
        if found is not None and found.total:
            return found
        return self.weak.get(key) or Match()

    def closest(self, defect_index: int, entry_index: int, job: str) -> tuple[str, ...]:
        """Up to MAX_CLOSEST existing names nearest to a declared title in that job, best first."""
        near = self.near.get((defect_index, entry_index, job))
        title = self.titles.get((defect_index, entry_index))
        if near is None or title is None:
            return ()
        # Names below the cutoff are never named, so their ratio need not be exact.
        closeness = _Closeness(title)
        scored = sorted(
            ((closeness.similarity(name, CLOSEST_CUTOFF), name) for _, _, name in near.heap),
            key=lambda x: (-x[0], x[1]),
        )
        return tuple(name for ratio, name in scored[:MAX_CLOSEST] if ratio >= CLOSEST_CUTOFF)

    def undeclared_for(self, defect_index: int) -> Undeclared:
        return self.undeclared.get(defect_index) or Undeclared()


def _record(
    book: dict[tuple[int, int, str], Match],
    key: tuple[int, int, str],
    case: TestCase,
    *,
    weak: bool,
    file_checked: bool,
    evidence: tuple[_Check, ...],
) -> None:
    m = book.get(key)
    if m is None:
        m = book[key] = Match(evidence_hits=[0] * len(evidence))
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
    if evidence and case.job == EVIDENCE_JOB and case.outcome is Outcome.PASSED:
        hits = [_carries(case, check) for check in evidence]
        for i, hit in enumerate(hits):
            m.evidence_hits[i] += hit
        m.evidenced += all(hits)
    if len(m.examples) < MAX_EXAMPLES:
        m.examples.append(_lean(case))


def _compile(evidence: tuple[Evidence, ...]) -> tuple[_Check, ...]:
    # Output is a log: ^ and $ anchor at its lines. A property value is one string.
    return tuple(
        (e.property, None if e.pattern is None else re.compile(e.pattern, re.MULTILINE if e.property is None else 0))
        for e in evidence
    )


def _carries(case: TestCase, check: _Check) -> bool:
    """Whether one testcase carries one evidence item. Texts are bounded when captured (junit.py)."""
    prop, pattern = check
    if prop is None:
        return pattern is not None and pattern.search(case.output) is not None
    return any(name == prop and (pattern is None or pattern.search(value)) for name, value in case.properties)


def _near_targets(parts: list[str], near_words: dict[str, list[_Target]], hits: dict[str, int]) -> list[_Target]:
    """Targets whose words end a name (its last two words), counting each word's hits: a word that
    ended MAX_WORD_HITS names leaves `near_words`, so it stops costing anything."""
    targets: dict[int, _Target] = {}
    for w in parts[-2:]:
        found = near_words.get(w)
        if found is None:
            continue
        count = hits[w] = hits.get(w, 0) + 1
        if count >= MAX_WORD_HITS:
            del near_words[w]
        targets.update((id(t), t) for t in found)
    return list(targets.values())


class Matcher:
    """Index of declared titles; feed it testcases with `add`, read the outcome with `book`."""

    def __init__(self, defects: list[Defect]) -> None:
        self._strong: dict[str, list[_Target]] = {}  # canonical title -> targets
        self._weak: dict[str, list[_Target]] = {}  # title with separators as spaces -> targets
        self._longest = 0  # the longest canonical title: no longer suffix of a name can match
        self._longest_spaced = 0
        self._tails = _Tails()
        self._bare = False  # a title of separators only is declared
        self._issues: dict[int, list[int]] = {}  # issue number -> defect indices
        self._evidence = False
        self._seq = 0
        self._near_by_job: dict[str, tuple[dict[str, list[_Target]], dict[str, int]]] = {}
        self._contexts: dict[tuple[str, tuple[str, ...]], _Context] = {}  # (classname, suites) -> context
        self.book = MatchBook()
        self.cost = MatchCost()
        words_index = _TitleWords()
        for di, defect in enumerate(defects):
            self._issues.setdefault(defect.issue, []).append(di)
            for ei, entry in enumerate(defect.coverage):
                title = canonical(entry.test)
                spaced = title.replace(SEP, " ")
                target = _Target(
                    di,
                    ei,
                    title,
                    spaced,
                    entry.file,
                    bool(_PARAMS.search(title)),
                    _compile(entry.evidence),
                )
                self._evidence = self._evidence or bool(entry.evidence)
                self._strong.setdefault(title, []).append(target)
                self._weak.setdefault(spaced, []).append(target)
                self._longest = max(self._longest, len(title))
                self._longest_spaced = max(self._longest_spaced, len(spaced))
                self._tails.add(words(title))
                self._bare = self._bare or not words(title)
                self.book.titles[(di, ei)] = title
                target.words = words_index.add(target)
        self._near_words = words_index.targets  # raw title words -> targets, for near misses

    def captures(self, job: str) -> bool:
        """Whether testcases of this job must carry their properties/system-out (some entry declares evidence)."""
        return self._evidence and job == EVIDENCE_JOB

    def keeper(self, job: str, near_log: list[str] | None = None) -> Callable[[str], bool]:
        """The per-testcase filter for one job: `wants`, plus the near-miss and mention side-looks.

        The hot path of a huge result set: one rsplit, a few dict/substring look-ups per name.

        With `near_log`, the names that feed the near-miss sets are appended to it instead of being
        offered: a worker process's book dies with it, so the main process replays them in file
        order (`replay_near`) and ends with exactly the sets a serial read builds.
        """
        near_words, hits = self._near_state(job)
        issues = self._issues
        offer = self._offer_near
        last_words = self._tails.nodes  # a word without spaces finds only the titles' last words
        wants = self.wants

        def keep(name: str) -> bool:
            parts = name.rsplit(None, 2)
            if not parts:
                return False
            last = parts[-1]
            # `wants`, its common case first: an ASCII last word that ends no declared title (NFC
            # and the separator rules cannot change such a word) costs this one lookup.
            if (last in last_words or last[-1] == "]" or not last.isascii() or "::" in last) and wants(name):
                return True  # kept: `add` takes its near-miss side-look, once it knows what matched
            # a mention of a declared issue: `add` decides whether it is declared or an undeclared candidate
            if (
                issues
                and ("#" in name or "ssue" in name or "SSUE" in name)
                and not mentioned_issues(name).isdisjoint(issues)
            ):
                return True
            if last in near_words or (len(parts) > 1 and parts[-2] in near_words):
                targets = _near_targets(parts, near_words, hits)
                if targets:
                    if near_log is None:
                        offer(name, targets, job)
                    else:
                        near_log.append(name)
            return False

        return keep

    def replay_near(self, job: str, names: list[str]) -> None:
        """Offer names a worker's `keeper(job, near_log)` logged, as the serial keeper would have."""
        near_words, hits = self._near_state(job)
        for name in names:
            targets = _near_targets(name.rsplit(None, 2), near_words, hits)
            if targets:
                self._offer_near(name, targets, job)

    def _near_state(self, job: str) -> tuple[dict[str, list[_Target]], dict[str, int]]:
        # Per job: a word common in one job may be rare in the other. Shared by every keeper of the
        # job, so the MAX_WORD_HITS budget spans all of its files.
        state = self._near_by_job.get(job)
        if state is None:
            state = self._near_by_job[job] = (dict(self._near_words), {})
        return state

    def _offer_near(self, name: str, targets: list[_Target], job: str) -> None:
        words = tokens(name)
        self._seq += 1
        for t in targets:
            key = (t.defect_index, t.entry_index, job)
            near = self.book.near.get(key)
            if near is None:
                near = self.book.near[key] = _Near()
            near.offer(len(words & t.words), self._seq, name)

    def wants(self, name: str) -> bool:
        """Whether the testcase named so may match a declared title (its classname and suites may
        complete the match): never False for one that does. Cost bounded by the name's own words."""
        cost = self.cost
        cost.names += 1
        for text in (name, _strip_params(name)):
            if text is None:
                continue
            n = canonical(text)
            spoken = words(n)
            if (spoken and self._tails.related(spoken, cost)) or (self._bare and n.endswith("›")):
                return True
        return False

    def add(self, case: TestCase) -> None:
        found = self._match_targets(case)
        self._near_side_look(case, found)
        if self._issues:
            matched = {t.defect_index for t in found}
            for issue in mentioned_issues(case.name):
                for di in self._issues.get(issue, ()):
                    if di not in matched:
                        self.book.undeclared.setdefault(di, Undeclared()).add(case)

    def _context(self, case: TestCase) -> _Context:
        key = (case.classname, case.suites)
        found = self._contexts.get(key)
        if found is None:
            if len(self._contexts) >= MAX_CONTEXTS:
                self._contexts.clear()  # bounded memory; classes and files come in runs, so this is rare
            found = self._contexts[key] = _context(case.classname, case.suites)
        return found

    def _near_side_look(self, case: TestCase, found: list[_Target]) -> None:
        """The kept testcase's near-miss offer, as `keep` makes for the others, to the declared tests
        it did not match: a test it matched is found in this job, so its near misses are never named
        (at 20,000 declared tests, offering every match cost 0.3 s)."""
        near_words, hits = self._near_state(case.job)
        matched = {id(t) for t in found}
        targets = [t for t in _near_targets(case.name.rsplit(None, 2), near_words, hits) if id(t) not in matched]
        if targets:
            self._offer_near(case.name, targets, case.job)

    def _lookup(
        self, forms: _Forms, accept: Callable[[_Target], bool]
    ) -> tuple[dict[int, _Target], dict[int, _Target]]:
        """The accepted targets whose title ends one of the forms at a boundary: (strong, weak), by
        id. A look-up per boundary of the name, never a pass over the declared titles."""
        cost = self.cost
        strong: dict[int, _Target] = {}
        for form in forms.strong:
            found = _suffixes(form, SEP, self._longest)
            cost.lookups += len(found)
            for suffix in found:
                for t in self._strong.get(suffix, ()):
                    if accept(t):
                        strong[id(t)] = t
        weak: dict[int, _Target] = {}
        for form in forms.weak:
            found = _suffixes(form, " ", self._longest_spaced)
            cost.lookups += len(found)
            for suffix in found:
                for t in self._weak.get(suffix, ()):
                    if id(t) not in strong and accept(t):
                        weak[id(t)] = t
        return strong, weak

    def _match_targets(self, case: TestCase) -> list[_Target]:
        """Record the testcase against each target it matches; return those targets."""
        self.cost.names += 1
        context = self._context(case)
        stripped = _strip_params(case.name)
        # A title with [params] names one parametrisation: it is compared with the name as written.
        # A title without names them all: compared with the name without its [params], if any.
        strong, weak = self._lookup(
            name_forms(case, strip_params=False, context=context),
            (lambda t: t.has_params) if stripped is not None else (lambda t: True),
        )
        if stripped is not None:
            more_strong, more_weak = self._lookup(
                name_forms(case, strip_params=True, context=context), lambda t: not t.has_params
            )
            strong.update(more_strong)
            weak.update(more_weak)
        found: list[_Target] = []
        for targets, is_weak in ((strong, False), (weak, True)):
            for t in targets.values():
                file_checked = False
                if t.file and case.file:
                    if not paths_match(t.file, case.file):
                        continue
                    file_checked = True
                found.append(t)
                _record(
                    self.book.weak if is_weak else self.book.strong,
                    (t.defect_index, t.entry_index, case.job),
                    case,
                    weak=is_weak,
                    file_checked=file_checked or not t.file,
                    evidence=t.evidence,
                )
        return found
