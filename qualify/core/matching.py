"""Match declared test titles to streamed testcases.

A declared title matches a testcase whose full name (suite/describe path + title, however the
runner wrote it) ends with the title at a boundary between path components. Where a runner joins
the path with plain spaces (jest-junit's defaults) a word boundary is accepted, and such matches
count only when no component-boundary match exists for that test in that job.

Matching is O(1) per testcase: declared titles are indexed by their last word, so a testcase is
examined further only when its last word is the last word of some declared title.

Two cheap side-looks per testcase feed the diagnostics, in bounded memory:
* near misses: a name whose last or second-to-last word is a word of some declared title is a
  candidate "closest title" for it (at most MAX_NEAR per declared test and job, best shared-word
  score kept); difflib ranks them only when the declared test is not found;
* mentions: a name that mentions a declared issue (`#462`, `Issue 462`, `ISSUE-462`, `issue_462`)
  but matches none of that defect's entries is an undeclared candidate (at most MAX_UNDECLARED).
"""

from __future__ import annotations

import difflib
import heapq
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

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


def _last_word(text: str) -> str:
    parts = text.rsplit(None, 1)
    return unicodedata.normalize("NFC", parts[-1]) if parts else ""


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


def _matches(declared: str, forms: Iterable[str], boundary: str) -> bool:
    # A loop, not any() over a generator: this runs for every candidate pair.
    tail = boundary + declared
    for f in forms:
        if f == declared or f.endswith(tail):
            return True
    return False


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
        self._by_word: dict[str, list[_Target]] = {}
        self._issues: dict[int, list[int]] = {}  # issue number -> defect indices
        # job -> last words of the titles whose testcases carry output/properties/attachments there
        self._capture_words: dict[str, set[str]] = {}
        self._traces = False  # some target reads traces (scenario steps, events)
        self._seq = 0
        self._near_by_job: dict[str, tuple[dict[str, list[_Target]], dict[str, int]]] = {}
        self._contexts: dict[tuple[str, tuple[str, ...]], _Context] = {}  # (classname, suites) -> context
        self.book = MatchBook()
        words = _TitleWords()
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
                if target.evidence or target.flow or target.events is not None:  # most entries: none
                    for job in entry.jobs:
                        if target.captures(job):
                            self._capture_words.setdefault(job, set()).add(_last_word(title))
                    self._traces = self._traces or target.traced
                self._by_word.setdefault(_last_word(title), []).append(target)
                self.book.titles[(di, ei)] = title
                target.words = words.add(target)
        self._near_words = words.targets  # raw title words -> targets, for near misses

    def captures(self, job: str) -> Callable[[str], bool] | None:
        """Which kept testcases of this job must carry their properties, system-out and attachment paths:
        those whose names may match an entry that declares `evidence`, or whose defect lists scenario
        steps or sets `events`. None when no testcase of the job needs them."""
        words = self._capture_words.get(job)
        if not words:
            return None

        def wanted(name: str) -> bool:
            parts = name.rsplit(None, 1)
            if not parts:
                return False
            last = parts[-1]
            if (last if last.isascii() else unicodedata.normalize("NFC", last)) in words:
                return True
            stripped = _strip_params(name) if last.endswith("]") else None
            return stripped is not None and _last_word(stripped) in words

        return wanted

    @property
    def reads_traces(self) -> bool:
        """Whether some declared test's traces are read (its defect lists steps or sets `events`)."""
        return self._traces

    def keeper(self, job: str, near_log: list[str] | None = None) -> Callable[[str], bool]:
        """The per-testcase filter for one job: `wants`, plus the near-miss and mention side-looks.

        The hot path of a huge result set: one rsplit, a few dict/substring look-ups per name.

        With `near_log`, the names that feed the near-miss sets are appended to it instead of being
        offered: a worker process's book dies with it, so the main process replays them in file
        order (`replay_near`) and ends with exactly the sets a serial read builds.
        """
        near_words, hits = self._near_state(job)
        issues = self._issues
        wants_last = self._wants_last
        offer = self._offer_near
        by_word = self._by_word

        def keep(name: str) -> bool:
            parts = name.rsplit(None, 2)
            if not parts:
                return False
            last = parts[-1]
            # `wants`, inlined, the common case first: an ASCII last word that ends no declared title.
            if (
                last in by_word
                or (last[-1] == "]" and wants_last(name, last))
                or (not last.isascii() and unicodedata.normalize("NFC", last) in by_word)
                # a mention of a declared issue: `add` decides whether it is declared or an undeclared candidate
                or (
                    issues
                    and ("#" in name or "ssue" in name or "SSUE" in name)
                    and not mentioned_issues(name).isdisjoint(issues)
                )
            ):
                return True  # kept: `add` takes its near-miss side-look, once it knows what matched
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
        """Cheap pre-filter on the raw testcase name (the hot path for huge result sets)."""
        parts = name.rsplit(None, 1)
        return bool(parts) and self._wants_last(name, parts[-1])

    def _wants_last(self, name: str, last: str) -> bool:
        # NFC leaves ASCII unchanged: skip it for the common case.
        if (last if last.isascii() else unicodedata.normalize("NFC", last)) in self._by_word:
            return True
        if not last.endswith("]"):
            return False  # no [params] to strip (`last` is the name's last word, trailing space gone)
        stripped = _strip_params(name)
        return stripped is not None and _last_word(stripped) in self._by_word

    def add(self, case: TestCase, trace: TraceOf | None = None) -> None:
        """Match one kept testcase. `trace` builds its trace (reading its attachments) when a target
        needs it: only for passed runs of declared tests whose defect lists steps or sets `events`."""
        targets = list(self._by_word.get(_last_word(case.name), ()))
        stripped = _strip_params(case.name)
        if stripped is not None:
            targets += [t for t in self._by_word.get(_last_word(stripped), ()) if not t.has_params]
        found = self._match_targets(case, targets, stripped, trace) if targets else []
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

    def _match_targets(
        self, case: TestCase, targets: list[_Target], stripped: str | None, trace_of: TraceOf | None = None
    ) -> list[_Target]:
        """Record the testcase against each target it matches; return those targets."""
        found: list[_Target] = []
        cache: dict[bool, _Forms] = {}
        context = self._context(case)
        trace = _LazyTrace(case, trace_of) if self._traces else None
        for t in targets:
            strip = not t.has_params and stripped is not None
            forms = cache.get(strip)
            if forms is None:
                forms = cache[strip] = name_forms(case, strip_params=strip, context=context)
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
            found.append(t)
            _record(
                self.book.weak if weak else self.book.strong,
                key,
                case,
                weak=weak,
                file_checked=file_checked or not t.file,
                target=t,
                trace=trace if t.traced else None,
            )
        return found
