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
from typing import Protocol

from qualify.core import trace as traces
from qualify.core.model import (
    EVIDENCE_JOB,
    Defect,
    EventsRecord,
    Evidence,
    FlowRecord,
    Match,
    Outcome,
    StepSeen,
    TestCase,
    TraceNote,
)
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
CLEAR_CUTOFF = 0.6  # from here, close without sharing half of the title's distinctive words
# A testcase that mentions the defect's issue and matches none of its entries is preferred: it ranks
# as if this much closer, and is named from this much below the cutoff.
SAME_ISSUE_BONUS = 0.1
MAX_UNDECLARED = 20  # distinct undeclared candidate names kept per defect
MAX_CONTEXTS = 4096  # (classname, suites) pairs whose name-form parts are cached
# Passed runs whose trace is read, per declared test and job: a parametrised scenario needs one run
# that shows the flow; a hostile results file repeating the title a million times gets this many reads.
MAX_TRACED_RUNS = 10
FLOW_JOB = EVIDENCE_JOB  # scenario steps are checked in the real-API job
# A title word that ends this many names is not distinctive in these results: it stops feeding the
# near-miss sets, which bounds their cost whatever the suite's size.
MAX_WORD_HITS = 500
# A word shared by more declared titles than this is not distinctive among the declarations either;
# each testcase ending in it would be offered to all of them (cost: testcases x declared tests).
MAX_WORD_TARGETS = 8
_TOKEN = re.compile(r"[^\W_]+")
_TEST_PREFIX = re.compile(r"test[_ ]", re.IGNORECASE)
_WORD_PARTS = re.compile(r"[_\[\]()]+")
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
    """The name without the [params] that end it (`_PARAMS`, without the regex: this runs for every
    parametrised testcase); None when it has none or is nothing else."""
    name = name.rstrip()
    if not name.endswith("]"):
        return None
    cut = name.rfind("[")
    if cut <= 0 or "]" in name[cut + 1 : -1]:
        return None
    return name[:cut]


def _may_end_a_title(word: str, last_words: set[str]) -> bool:
    """Whether a name whose last word is this may match: the word ends a title, or NFC and the
    separator rules may change it (the word is not plain ASCII, or holds `::`)."""
    return word in last_words or not word.isascii() or "::" in word


def _unparametrised_last_word(name: str) -> str:
    """The last word of the name without its [params] (NFC), "" when it has none."""
    stripped = _strip_params(name)
    if stripped is None:
        return ""
    parts = stripped.rsplit(None, 1)
    return unicodedata.normalize("NFC", parts[-1]) if parts else ""


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


def _matches(declared: str, forms: tuple[str, ...], boundary: str) -> bool:
    """Whether one of the forms is the declared title or ends with it after the boundary."""
    tail = boundary + declared
    for f in forms:
        if f == declared or f.endswith(tail):
            return True
    return False


class _Title:
    """A declared title as `_Tails` knows it: its words (no separators) and their text."""

    __slots__ = ("text", "words")

    def __init__(self, words: list[str]) -> None:
        self.words = words
        self.text = " ".join(words)


class _Shared:
    """A word-suffix that several titles end with."""

    __slots__ = ("chain", "chain_hash", "depth", "example", "title")

    def __init__(self, example: list[str], depth: int) -> None:
        self.example = example  # the words of a title ending so: the suffix is its last `depth` words
        self.depth = depth
        self.title: _Title | None = None  # the title that is this suffix, if any
        self.chain: list[str] | None = None  # the longer word-suffix all those titles share, if any
        self.chain_hash = 0


class _Tails:
    """Which names could match a declared title, from the name alone: the word-suffixes of the
    titles, kept only as deep as it takes to tell titles apart.

    Every way a title can match (`name_forms`) has the title's words end the name's words, or the
    name's words end the title's (a title `describe › test` matches the name `test` under suite
    `describe`), once path separators are dropped (`word_list`). `related` walks the name's words
    from the last, one hash and one look-up each, and stops at the first word-suffix no title ends
    with, or where only one title does (then one comparison); where all the titles ending so share
    more words (`… against the real API (USE_REAL_APIS=1)`), one comparison skips them. Its cost is
    bounded by the name's own words, however many titles share their last words.

    Word-suffixes are keyed by a hash chained over their words (`hash((previous, word))`): a
    collision can only make a name look related (`add` then compares exactly), never hide one.
    """

    def __init__(self) -> None:
        # hash of a word-suffix -> the one title ending so, or _Shared when several do.
        self.nodes: dict[int, _Title | _Shared] = {}
        self._seen: set[str] = set()
        self._titles: list[_Title] = []
        self.last_words: set[str] = set()  # the titles' last words, for the filter's first look
        # Two word-suffixes with one hash (never seen; 64-bit hashes): then every name is related and
        # `ending` compares with every title, slow but exact.
        self.collided = False

    def add(self, words: list[str]) -> None:
        title = _Title(words)
        if not words or title.text in self._seen:
            return
        self._seen.add(title.text)
        self._titles.append(title)
        self.last_words.add(words[-1])
        nodes = self.nodes
        h = 0
        for depth in range(1, len(words) + 1):
            h = hash((h, words[-depth]))
            node = nodes.get(h)
            if node is None:
                nodes[h] = title
                return
            if node.__class__ is _Title:
                # Another title ended so alone: both continue one word deeper.
                nodes[h] = _Shared(words, depth)
                if len(node.words) > depth:
                    nodes[hash((h, node.words[-depth - 1]))] = node

    def freeze(self) -> None:
        """Mark the shared word-suffixes that are titles, and the words all the titles ending with
        each one share (after the last `add`)."""
        common: dict[int, list[str]] = {}
        for title in self._titles:
            h = 0
            words = title.words
            for depth in range(1, len(words) + 1):
                h = hash((h, words[-depth]))
                node = self.nodes.get(h)
                if node is None or node.__class__ is _Title:
                    self.collided = self.collided or node is not title
                    break  # its leaf
                if node.depth != depth or node.example[-depth:] != words[-depth:]:
                    self.collided = True
                    break
                if depth == len(words):
                    node.title = title
                seen = common.get(h)
                common[h] = words if seen is None else _common_tail(seen, words)
        for h, node in self.nodes.items():
            if node.__class__ is _Shared:
                chain = common.get(h)
                if chain is not None and len(chain) > node.depth:
                    node.chain = chain
                    node.chain_hash = _chained_hash(chain)

    def related(self, words: list[str], cost: MatchCost) -> bool:
        """Whether some title's words end `words`, or `words` end some title's."""
        if self.collided:
            return True
        nodes = self.nodes
        h = 0
        depth = 0
        count = len(words)
        steps = 0
        try:
            while depth < count:
                depth += 1
                h = hash((h, words[-depth]))
                node = nodes.get(h)
                steps += 1
                if node is None:
                    return False
                if node.__class__ is _Title:  # only this title ends with these words
                    return _tail_either_way(words, node.words)
                if depth == count or node.title is not None:
                    return True
                chain = node.chain
                if chain is not None:
                    # Every title ending so ends with `chain`: the name must too, or end inside it.
                    steps += 1
                    if len(chain) >= count:
                        return chain[len(chain) - count :] == words
                    if words[count - len(chain) :] != chain:
                        return False
                    depth, h = len(chain), node.chain_hash
                    if nodes[h].title is not None:
                        return True
            return True  # all of `words` is a word-suffix of shared titles
        finally:
            cost.lookups += steps

    def ending(self, words: list[str], cost: MatchCost) -> list[_Title]:
        """The titles whose words end `words`, by the same walk."""
        if self.collided:
            cost.compares += len(self._titles)
            return [t for t in self._titles if len(t.words) <= len(words) and words[-len(t.words) :] == t.words]
        nodes = self.nodes
        found: list[_Title] = []
        h = 0
        depth = 0
        count = len(words)
        while depth < count:
            depth += 1
            h = hash((h, words[-depth]))
            node = nodes.get(h)
            cost.lookups += 1
            if node is None:
                break
            if node.__class__ is _Title:  # only this title ends with these words
                if len(node.words) <= count and words[count - len(node.words) :] == node.words:
                    found.append(node)
                break
            if node.title is not None:
                found.append(node.title)
            chain = node.chain
            if chain is not None:
                cost.lookups += 1
                if len(chain) > count or words[count - len(chain) :] != chain:
                    break  # no title ends inside the chain, none goes past it here
                depth, h = len(chain), node.chain_hash
                title = nodes[h].title
                if title is not None:
                    found.append(title)
        return [t for t in found if len(t.words) <= count and words[count - len(t.words) :] == t.words]


def _chained_hash(words: list[str]) -> int:
    h = 0
    for depth in range(1, len(words) + 1):
        h = hash((h, words[-depth]))
    return h


def _tail_either_way(a: list[str], b: list[str]) -> bool:
    """Whether the words of one end the words of the other."""
    if len(b) <= len(a):
        return a[len(a) - len(b) :] == b
    return b[len(b) - len(a) :] == a


def _common_tail(a: list[str], b: list[str]) -> list[str]:
    """The longest run of words that ends both."""
    n = 0
    while n < len(a) and n < len(b) and a[-1 - n] == b[-1 - n]:
        n += 1
    return a[len(a) - n :]


def word_list(canonical_text: str) -> list[str]:
    """The words of a canonical name or title without its path separators: what `_Tails` compares.

    Empty for a text of separators only (such a title can match only a name ending in `›`).
    """
    if "›" not in canonical_text:
        return canonical_text.split()
    return [w for w in canonical_text.split() if w != "›"]


def _word_list_of(text: str) -> list[str]:
    """`word_list(canonical(text))`, without the work for the usual name: ASCII without `::` or `>`
    (NFC leaves it as it is, and no separator can be in it)."""
    if text.isascii() and "::" not in text and ">" not in text:
        return text.split()
    return word_list(canonical(text))


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
    flow: tuple[traces.CompiledStep, ...] = ()  # scenario steps its real-job traces must show
    events: re.Pattern[str] | None = None  # events to compare between its mock and real traces

    @property
    def traced(self) -> bool:
        return bool(self.flow) or self.events is not None

    def captures(self, job: str) -> bool:
        """Whether its testcases in `job` need their output, properties and attachment paths."""
        return ((bool(self.evidence) or bool(self.flow)) and job == EVIDENCE_JOB) or self.events is not None


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
        raws = set(target.spaced.split())
        # The parts of snake_case and bracketed words too (`test_rejects_expired_card`,
        # `close[upstream]`): names offer theirs (`_side_words`).
        raws.update(part for raw in list(raws) for part in _WORD_PARTS.split(raw) if part != raw)
        raws.discard("")
        for raw in raws:
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
    joined: set[str] = field(default_factory=set)  # names known to be whole space-joined paths (`_joined`)

    def offer(self, score: int, seq: int, name: str, joined: bool) -> None:
        if name in self.names:
            return
        if len(self.heap) < MAX_NEAR:
            heapq.heappush(self.heap, (score, -seq, name))
        elif score > self.heap[0][0]:
            _, _, dropped = heapq.heapreplace(self.heap, (score, -seq, name))
            self.names.discard(dropped)
            self.joined.discard(dropped)
        else:
            return
        self.names.add(name)
        if joined:
            self.joined.add(name)


def _joined(name: str, classname: str | None) -> bool:
    """Whether the name is the runner's whole path joined by spaces (jest-junit's default: classname
    and name both `describe title`): then any of its word-suffixes matches as a title (word match)."""
    return classname is not None and classname == name and " " in name.strip()


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
    if case.properties or case.output or case.attachments:
        return replace(case, properties=(), output="", attachments=())
    return case


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


def _without_remark(text: str) -> str | None:
    """The text without the remark that ends it: a parenthesised `(…)` or bracketed `[…]` group
    after a space or at a word's end (`… alone)`, `test_x[1-2]`); None when there is none."""
    if not text or text[-1] not in ")]":
        return None
    close = text[-1]
    opening = "(" if close == ")" else "["
    depth = 0
    for i in range(len(text) - 1, -1, -1):
        char = text[i]
        if char == close:
            depth += 1
        elif char == opening:
            depth -= 1
            if depth == 0:
                head = text[:i].rstrip()
                return head or None
    return None


def _aligned_start(form: str, title: str, matcher: difflib.SequenceMatcher) -> int:
    """Where in `form` the title starts to match (difflib's first block of 4+ characters), moved back
    to the start of its word; 0 when it does not start later than the form itself."""
    matcher.set_seq1(form)
    for block in matcher.get_matching_blocks():
        if block.size >= min(4, len(title)):
            return form.rfind(" ", 0, block.a) + 1
    return 0


class _Closeness:
    """difflib ratios of names against one declared title, with what depends on the title alone
    (difflib's index of it, its character positions) computed once for all the names.

    A name is compared as a whole, and by its title parts: each trailing part of its path, each of
    those without the remark that ends it (`… (responseInProgress not cleared)`), and for a whole
    space-joined path (jest-junit's default names), the words from where the declared title starts
    to match (the describe path in front dropped).
    """

    def __init__(self, title: str) -> None:
        self.title = title
        self._matcher = difflib.SequenceMatcher(None, b=title)  # b is the side difflib caches
        self._positions = _positions(title)
        # `test_` / `test ` starts most pytest, JUnit 3 and Go titles: shared by all, it says nothing,
        # yet it makes any two of them look alike. Compared without it when both have it.
        self._bare = _Closeness(title[5:]) if _TEST_PREFIX.match(title) and len(title) > 5 else None

    def forms(self, name: str, joined: bool = False, floor: float = 0.0) -> list[tuple[str, str]]:
        """(text to compare, title to declare for it): the declared title matches the name if it is
        the second item, since each is the name or a suffix of it at a boundary.

        The words from where the title starts to match are looked for only when some part of the
        name could reach `floor` (an LCS bound: no span of the name does better than it allows)."""
        n = canonical(name)
        parts = n.split(SEP)
        found: list[tuple[str, str]] = []
        for i in range(len(parts)):
            whole = SEP.join(parts[i:])
            found.append((whole, whole))
            bare = _without_remark(whole)
            if bare is not None:
                found.append((bare, whole))
        if joined and len(parts) == 1 and len(n) > len(self.title):
            common = _lcs_length(n, self.title, self._positions)
            if 2.0 * common / (common + len(self.title) or 1) >= floor:
                start = _aligned_start(n, self.title, self._matcher)
                if start > 0:
                    tail = n[start:]
                    found.append((tail, tail))
                    bare = _without_remark(tail)
                    if bare is not None:
                        found.append((bare, tail))
        return found

    def best(self, name: str, floor: float = 0.0, joined: bool = False) -> tuple[float, str]:
        """The best ratio of the title against the name's forms, and the title to declare for it.

        The ratio is exact when it is at least `floor`; otherwise some value below `floor` (bounds
        skip the work)."""
        best, declare = 0.0, canonical(name)
        for form, whole in self.forms(name, joined, floor):
            closeness = self
            if self._bare is not None and _TEST_PREFIX.match(form):
                closeness, form = self._bare, form[5:]
            matcher, title = closeness._matcher, closeness.title
            matcher.set_seq1(form)
            # Upper bounds of ratio(), cheapest first: a form is worth ratio() only if it may beat
            # `best` and reach `floor`. The LCS bound is never above quick_ratio(), so that one is moot.
            if matcher.real_quick_ratio() <= best:
                continue
            total = len(form) + len(title)  # two empty strings have ratio 1.0, which no bound here knows
            if total:
                bound = 2.0 * _lcs_length(form, title, closeness._positions) / total
                if bound <= best or bound < floor:
                    continue
            ratio = matcher.ratio()
            if ratio > best:
                best, declare = ratio, whole
        return best, declare

    def similarity(self, name: str, floor: float = 0.0, joined: bool = False) -> float:
        return self.best(name, floor, joined)[0]


class _DeclaredCloseness:
    """`_Closeness` of a declared title and of its trailing path parts that keep at least half of
    it (a describe path in front that the test does not have: `Realtime proxy › upstream › …`)."""

    def __init__(self, title: str) -> None:
        parts = title.split(SEP)
        variants = [SEP.join(parts[i:]) for i in range(len(parts))]
        self._variants = [_Closeness(v) for v in variants if 2 * len(v) >= len(title)]

    def best(self, name: str, floor: float = 0.0, joined: bool = False) -> tuple[float, str]:
        best, declare = -1.0, ""
        for closeness in self._variants:
            ratio, title = closeness.best(name, floor, joined)
            if ratio > best:
                best, declare = ratio, title
        return best, declare


@dataclass(frozen=True, slots=True)
class Closest:
    """An existing testcase close to a declared title that was not found."""

    name: str  # its full name, canonical
    title: str  # what `test:` can say to match it: its name, or a suffix of it at a boundary
    score: float  # difflib ratio of the declared title against the name's closest form
    same_issue: bool  # it mentions the defect's issue and matches none of its entries


def _declarable(title: str, declared: str) -> str:
    """A title without [params] matches every parametrisation: drop them unless the declared title
    named one."""
    if _PARAMS.search(declared):
        return title
    stripped = _strip_params(title)
    return canonical(stripped) if stripped is not None else title


@dataclass(slots=True)
class MatchBook:
    """Collects, per declared entry and job, the testcases that matched it, and the diagnostics.

    Keys are positions: (index in `defects`, index in that defect's coverage, job). The book holds
    the defect list it was built for, so whoever reads it reads positions of that list and no other.
    """

    defects: tuple[Defect, ...] = ()

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
        return tuple(c.name for c in self.closest_titles(defect_index, entry_index, job))

    def closest_titles(self, defect_index: int, entry_index: int, job: str) -> tuple[Closest, ...]:
        """Up to MAX_CLOSEST testcases of that job nearest to a declared title, best first.

        Candidates: the near misses, and the testcases that mention the defect's issue but match
        none of its entries (`undeclared`); those come first when they are close at all (a lower
        cutoff), since a reworded title usually keeps its issue number.
        """
        title = self.titles.get((defect_index, entry_index))
        if title is None:
            return ()
        near = self.near.get((defect_index, entry_index, job))
        candidates: dict[str, tuple[bool, bool]] = {}  # name -> (joined, mentions the issue)
        if near is not None:
            for _, _, name in near.heap:
                candidates[name] = (name in near.joined, False)
        undeclared = self.undeclared.get(defect_index)
        if undeclared is not None:
            for name, cases in undeclared.cases.items():
                here = [c for c in cases if c.job == job]
                if here:
                    candidates[name] = (_joined(name, here[0].classname), True)
        if not candidates:
            return ()
        # Names below the cutoff are never named, so their ratio need not be exact.
        closeness = _DeclaredCloseness(title)
        floor = CLOSEST_CUTOFF - SAME_ISSUE_BONUS
        wanted = {w for w in tokens(title) if _distinctive(w)}
        scored: list[Closest] = []
        for name, (joined, same_issue) in candidates.items():
            ratio, declare = closeness.best(name, floor, joined)
            if ratio < (floor if same_issue else CLOSEST_CUTOFF):
                continue
            # Alike in characters only (`test_serialize_param_value` / `disabled_param_test`) is not
            # close: below CLEAR_CUTOFF, half of the title's distinctive words must be in the name.
            if ratio < CLEAR_CUTOFF and len(wanted & tokens(name)) * 2 < len(wanted):
                continue
            scored.append(Closest(canonical(name), _declarable(declare, title), ratio, same_issue))
        scored.sort(key=lambda c: (-(c.score + SAME_ISSUE_BONUS * c.same_issue), c.name))
        return tuple(scored[:MAX_CLOSEST])

    def undeclared_for(self, defect_index: int) -> Undeclared:
        return self.undeclared.get(defect_index) or Undeclared()


TraceOf = Callable[[TestCase], traces.Trace]


class _LazyTrace:
    """One testcase's trace, built (attachments read) on first use only, once for every target."""

    def __init__(self, case: TestCase, build: TraceOf | None) -> None:
        self._case = case
        self._build = build
        self._trace: traces.Trace | None = None

    def get(self) -> traces.Trace:
        if self._trace is None:
            case = self._case
            if self._build is not None:
                self._trace = self._build(case)
            else:  # no results folder known (callers other than `qualify check`): attachments not read
                refs = (*case.attachments, *traces.attachment_properties(case.properties))
                notes = [TraceNote(r, "not read: no results folder to read it from") for r in refs]
                self._trace = traces.build(case.output, (), case.properties, notes)
        return self._trace


def _record(
    book: dict[tuple[int, int, str], Match],
    key: tuple[int, int, str],
    case: TestCase,
    *,
    weak: bool,
    file_checked: bool,
    target: _Target,
    trace: _LazyTrace | None = None,
) -> None:
    evidence = target.evidence
    m = book.get(key)
    if m is None:
        m = book[key] = Match(
            evidence_hits=[0] * len(evidence),
            flow=FlowRecord() if target.flow and case.job == FLOW_JOB else None,
            events=EventsRecord() if target.events is not None else None,
        )
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
    if case.outcome is Outcome.PASSED and trace is not None:
        if m.flow is not None:
            _record_flow(m.flow, case, target.flow, trace)
        if m.events is not None and target.events is not None:
            _record_events(m.events, case, target.events, trace)
    if len(m.examples) < MAX_EXAMPLES:
        m.examples.append(_lean(case))


def _record_flow(flow: FlowRecord, case: TestCase, steps: tuple[traces.CompiledStep, ...], trace: _LazyTrace) -> None:
    """Search one passed run's trace for the steps; keep the best run (most steps seen, first complete)."""
    if flow.complete:
        return  # one run that shows the flow is enough
    if flow.checked >= MAX_TRACED_RUNS:
        flow.unchecked += 1
        return
    t = trace.get()
    try:
        with traces.cpu_deadline(traces.TRACE_CPU_SECONDS):
            check = traces.check_steps(t, steps)
    except traces.TraceTimeout:
        check = traces.FlowCheck(
            tuple(StepSeen(s.step.name, s.step.line, False) for s in steps),
            False,
            f"the search stopped after {traces.TRACE_CPU_SECONDS:g} s of CPU: a step's pattern backtracks on this "
            "trace (simplify it, e.g. fewer `.*`)",
        )
    flow.checked += 1
    flow.complete += check.complete
    if flow.case is None or check.complete or check.seen > sum(s.seen for s in flow.steps):
        flow.steps, flow.problem, flow.case, flow.notes = check.steps, check.problem, _lean(case), t.notes


def _record_events(events: EventsRecord, case: TestCase, pattern: re.Pattern[str], trace: _LazyTrace) -> None:
    """The event order of the first passed run whose trace shows any event."""
    if events.order or events.checked >= MAX_TRACED_RUNS:
        return
    t = trace.get()
    try:
        with traces.cpu_deadline(traces.TRACE_CPU_SECONDS):
            found = traces.first_events(t, pattern)
    except traces.TraceTimeout:
        found = traces.EventOrder(())
    events.checked += 1
    if found.order or events.case is None:
        events.order, events.truncated, events.case, events.notes = found.order, found.truncated, _lean(case), t.notes


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


def _side_words(name: str, parts: list[str]) -> list[str]:
    """The words of a name that feed the near misses: its last two (`parts` is `name.rsplit(None, 2)`);
    the last two before a remark or [params] that end it (`… output_text.done (…)`, `test_x[a b]`);
    and the last two parts of a snake_case last word (`test_rejects_expired_card`)."""
    found = parts[-2:]
    last = parts[-1]
    if last[-1] in ")]":
        cut = name.rfind("(" if last[-1] == ")" else "[")
        if cut > 0:
            before = name[:cut].rsplit(None, 2)[-2:]
            found = found + before
            last = before[-1] if before else last
    if "_" in last:
        found = found + last.rsplit("_", 2)[-2:]
    return found


def _side_hit(name: str, last: str, near_words: dict[str, list[_Target]]) -> bool:
    """Whether the word before the remark or [params] that ends the name, or a part of its snake_case
    last word, is a near-miss word: the cheap first look for `_side_words`'s extra words."""
    if last[-1] in ")]":
        cut = name.rfind("(" if last[-1] == ")" else "[")
        if cut <= 0:
            return False
        start = name.rfind(" ", 0, cut - 1) + 1
        last = name[start:cut].rstrip()
        if last in near_words:
            return True
    if "_" not in last:
        return False
    tail = last.rsplit("_", 2)
    return tail[-1] in near_words or (len(tail) > 1 and tail[-2] in near_words)


def _near_targets(words: list[str], near_words: dict[str, list[_Target]], hits: dict[str, int]) -> list[_Target]:
    """Targets with one of these words (`_side_words`), counting each word's hits: a word that was
    offered MAX_WORD_HITS times leaves `near_words`, so it stops costing anything."""
    targets: dict[int, _Target] = {}
    for w in dict.fromkeys(words):
        found = near_words.get(w)
        if found is None:
            continue
        count = hits[w] = hits.get(w, 0) + 1
        if count >= MAX_WORD_HITS:
            del near_words[w]
        targets.update((id(t), t) for t in found)
    return list(targets.values())


class _Attrs(Protocol):
    def get(self, key: str) -> str | None: ...


Keep = Callable[[str, _Attrs | None], bool]


class Matcher:
    """Index of declared titles; feed it testcases with `add`, read the outcome with `book`."""

    def __init__(self, defects: list[Defect]) -> None:
        self._tails = _Tails()
        self._by_words: dict[str, list[_Target]] = {}  # title without separators (`words`) -> targets
        self._bare = False  # a title of separators only is declared
        self._issues: dict[int, list[int]] = {}  # issue number -> defect indices
        # job -> last words of the titles whose testcases carry output/properties/attachments there
        self._capture_words: dict[str, set[str]] = {}
        self._traces = False  # some target reads traces (scenario steps, events)
        self._seq = 0
        self._near_by_job: dict[str, tuple[dict[str, list[_Target]], dict[str, int]]] = {}
        self._contexts: dict[tuple[str, tuple[str, ...]], _Context] = {}  # (classname, suites) -> context
        self.book = MatchBook(tuple(defects))
        self.cost = MatchCost()
        words_index = _TitleWords()
        for di, defect in enumerate(defects):
            self._issues.setdefault(defect.issue, []).append(di)
            flow = traces.compile_steps(defect.steps) if defect.steps else ()
            events = re.compile(defect.events) if defect.events else None
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
                if flow and entry.kind == "scenario" and FLOW_JOB in entry.jobs:
                    target.flow = flow
                if events is not None and "mock" in entry.jobs and "real" in entry.jobs:
                    target.events = events
                spoken = word_list(title)
                if target.evidence or target.flow or target.events is not None:  # most entries: none
                    for job in entry.jobs:
                        if target.captures(job):
                            # The title's last word ends every name it matches (`_Tails`); "" (a
                            # title of separators only) makes every name of the job captured.
                            self._capture_words.setdefault(job, set()).add(spoken[-1] if spoken else "")
                    self._traces = self._traces or target.traced
                self._by_words.setdefault(" ".join(spoken), []).append(target)
                self._tails.add(spoken)
                self._bare = self._bare or not spoken  # a title of separators only (see `_candidates`)
                self.book.titles[(di, ei)] = title
                target.words = words_index.add(target)
        self._tails.freeze()
        self._near_words = words_index.targets  # raw title words -> targets, for near misses

    def captures(self, job: str) -> Callable[[str], bool] | None:
        """Which kept testcases of this job must carry their properties, system-out and attachment paths:
        those whose names may match an entry that declares `evidence`, or whose defect lists scenario
        steps or sets `events`. None when no testcase of the job needs them."""
        words = self._capture_words.get(job)
        if not words:
            return None

        everything = "" in words

        def wanted(name: str) -> bool:
            # A kept testcase's name is looked at here (not every testcase): its words as `_Tails` sees them.
            spoken = _word_list_of(name)
            if everything or not spoken or spoken[-1] in words:
                return True
            stripped = _strip_params(name)
            if stripped is None:
                return False
            spoken = _word_list_of(stripped)
            return not spoken or spoken[-1] in words

        return wanted

    @property
    def reads_traces(self) -> bool:
        """Whether some declared test's traces are read (its defect lists steps or sets `events`)."""
        return self._traces

    def keeper(self, job: str, near_log: list[tuple[str, bool]] | None = None) -> Keep:
        """The per-testcase filter for one job: `wants`, plus the near-miss and mention side-looks.

        The hot path of a huge result set: one rsplit, a few dict/substring look-ups per name.
        `attrs` (the testcase element, or anything with `.get`) is read only for a near miss: its
        classname tells whether the name is a whole space-joined path (`_joined`).

        With `near_log`, the (name, joined) pairs that feed the near-miss sets are appended to it
        instead of being offered: a worker process's book dies with it, so the main process replays
        them in file order (`replay_near`) and ends with exactly the sets a serial read builds.
        """
        near_words, hits = self._near_state(job)
        issues = self._issues
        offer = self._offer_near
        last_words = self._tails.last_words
        wants = self.wants
        bare = self._bare

        def keep(name: str, attrs: _Attrs | None = None) -> bool:
            parts = name.rsplit(None, 2)
            if not parts:
                return False
            last = parts[-1]
            # `wants`, its common case first (`_may_match`, inlined: this runs for every testcase).
            if (
                last in last_words
                or not last.isascii()
                or "::" in last
                or (last[-1] == "]" and _may_end_a_title(_unparametrised_last_word(name), last_words))
                or (bare and "›" in name)
            ) and wants(name):
                return True  # kept: `add` takes its near-miss side-look, once it knows what matched
            # a mention of a declared issue: `add` decides whether it is declared or an undeclared candidate
            if (
                issues
                and ("#" in name or "ssue" in name or "SSUE" in name)
                and not mentioned_issues(name).isdisjoint(issues)
            ):
                return True
            if (
                last in near_words
                or (len(parts) > 1 and parts[-2] in near_words)
                or ((last[-1] in ")]" or "_" in last) and _side_hit(name, last, near_words))
            ):
                targets = _near_targets(_side_words(name, parts), near_words, hits)
                if targets:
                    joined = attrs is not None and _joined(name, attrs.get("classname"))
                    if near_log is None:
                        offer(name, targets, job, joined)
                    else:
                        near_log.append((name, joined))
            return False

        return keep

    def replay_near(self, job: str, names: list[tuple[str, bool]]) -> None:
        """Offer names a worker's `keeper(job, near_log)` logged, as the serial keeper would have."""
        near_words, hits = self._near_state(job)
        for name, joined in names:
            targets = _near_targets(_side_words(name, name.rsplit(None, 2)), near_words, hits)
            if targets:
                self._offer_near(name, targets, job, joined)

    def _near_state(self, job: str) -> tuple[dict[str, list[_Target]], dict[str, int]]:
        # Per job: a word common in one job may be rare in the other. Shared by every keeper of the
        # job, so the MAX_WORD_HITS budget spans all of its files.
        state = self._near_by_job.get(job)
        if state is None:
            state = self._near_by_job[job] = (dict(self._near_words), {})
        return state

    def _offer_near(self, name: str, targets: list[_Target], job: str, joined: bool) -> None:
        words = tokens(name)
        self._seq += 1
        for t in targets:
            key = (t.defect_index, t.entry_index, job)
            near = self.book.near.get(key)
            if near is None:
                near = self.book.near[key] = _Near()
            near.offer(len(words & t.words), self._seq, name, joined)

    def _may_match(self, name: str, last: str) -> bool:
        """`wants`'s common case first: an ASCII last word (`last`) that ends no declared title (NFC
        and the separator rules cannot change such a word) costs this one lookup."""
        last_words = self._tails.last_words
        return (
            last in last_words
            or not last.isascii()
            or "::" in last
            or (last[-1] == "]" and _may_end_a_title(_unparametrised_last_word(name), last_words))
            or (self._bare and "›" in name)
        )

    def wants(self, name: str, _attrs: _Attrs | None = None) -> bool:
        """Whether the testcase named so may match a declared title (its classname and suites may
        complete the match): never False for one that does. Cost bounded by the name's own words.
        (`_attrs`: a reader's `keep(name, element)` can be this.)"""
        cost = self.cost
        cost.names += 1
        spoken = _word_list_of(name)
        if spoken and self._tails.related(spoken, cost):
            return True
        if self._bare and canonical(name).endswith("›"):
            return True
        stripped = _strip_params(name)
        if stripped is None:
            return False
        spoken = _word_list_of(stripped)
        if spoken and self._tails.related(spoken, cost):
            return True
        return self._bare and canonical(stripped).endswith("›")

    def add(self, case: TestCase, trace: TraceOf | None = None) -> None:
        """Match one kept testcase. `trace` builds its trace (reading its attachments) when a target
        needs it: only for passed runs of declared tests whose defect lists steps or sets `events`."""
        # Most testcases kept for mentioning an issue can match no title: the filter's look says so.
        parts = case.name.rsplit(None, 1)
        may = bool(parts) and self._may_match(case.name, parts[-1]) and self.wants(case.name)
        found = self._match_targets(case, trace) if may else []
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
        parts = case.name.rsplit(None, 2)
        if not parts:
            return
        near_words, hits = self._near_state(case.job)
        matched = {id(t) for t in found}
        targets = [t for t in _near_targets(_side_words(case.name, parts), near_words, hits) if id(t) not in matched]
        if targets:
            self._offer_near(case.name, targets, case.job, _joined(case.name, case.classname))

    def _candidates(self, forms: _Forms) -> dict[int, _Target]:
        """The targets whose title's words end the words of one of the forms (`_Tails.ending`), by id:
        a walk over the name's own last words, never a pass over the declared titles."""
        found: dict[int, _Target] = {}
        for text in set(forms.strong):  # the weak forms have the words of `n`, a strong one
            for title in self._tails.ending(word_list(text), self.cost):
                found.update((id(t), t) for t in self._by_words[title.text])
        if "" in self._by_words and any(f.endswith("›") for f in forms.strong):
            # Titles of separators only have no words: they can end only a form ending in `›`.
            found.update((id(t), t) for t in self._by_words[""])
        return found

    def _match_targets(self, case: TestCase, trace_of: TraceOf | None = None) -> list[_Target]:
        """Record the testcase against each target it matches; return those targets."""
        cost = self.cost
        cost.names += 1
        context = self._context(case)
        stripped = _strip_params(case.name)
        forms = name_forms(case, strip_params=False, context=context)
        candidates = self._candidates(forms)
        # A title with [params] names one parametrisation: it is compared with the name as written.
        # A title without names them all: compared with the name without its [params], if any.
        bare_forms = forms
        if stripped is not None:
            bare_forms = name_forms(case, strip_params=True, context=context)
            candidates.update(self._candidates(bare_forms))
        found: list[_Target] = []
        trace = _LazyTrace(case, trace_of) if self._traces else None
        for t in candidates.values():
            use = forms if stripped is None or t.has_params else bare_forms
            cost.compares += 1
            strong = _matches(t.title, use.strong, SEP)
            weak = not strong and _matches(t.spaced, use.weak, " ")
            if not (strong or weak):
                continue
            file_checked = False
            if t.file and case.file:
                if not paths_match(t.file, case.file):
                    continue
                file_checked = True
            found.append(t)
            _record(
                self.book.weak if weak else self.book.strong,
                (t.defect_index, t.entry_index, case.job),
                case,
                weak=weak,
                file_checked=file_checked or not t.file,
                target=t,
                trace=trace if t.traced else None,
            )
        return found
