"""`qualify adopt`, the pure part: what a free-form TRACKING.md says, and the block drafted from it.

`read_document` takes a document's text and path and returns what a draft can use: the issue, a
title, the test titles it quotes (with where and how), a partner, the partner's flow as an arrow
chain, and the words that tell the area. `render_block` turns that, plus how each quoted title was
confirmed against the results, into the lines of a `qualify` block; `insert_block` puts them into
the document without changing any of its own characters.

Everything read from the document is a proposal a person reviews: a value the draft is unsure of
is written as a commented line saying what to fill in, never as a fact. Titles and names are
written as quoted YAML scalars (`yaml_string`) and comments are one bounded line of plain text, so
no document or test name can break out of the block.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from qualify.core.matching import mentioned_issues
from qualify.tracking.parse import issue_from_path
from qualify.tracking.writer import one_line, yaml_string

MAX_QUOTES = 200  # quoted titles taken from one document; more is not a tracking document
MAX_COMMENT = 160  # characters of document text quoted in one comment
MAX_STEPS = 20  # steps of a scenario chain
MIN_WORDS = 3  # a quoted phrase shorter than this is a word or a name, not a test title

# ---------------------------------------------------------------------------------------------
# What the document says

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_HEADING = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?[ \t#]*$")
_TABLE_SEP = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?\s*$")
_LINK = re.compile(r"!?\[([^\]\n]*)\]\([^)\n]*\)")
_CODE = re.compile(r"(`+)(.+?)\1")
_DOUBLE = re.compile(r'"([^"\n]+)"|“([^”\n]+)”')
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_ITALIC = re.compile(r"(?<![*\w])\*(?![*\s])([^*\n]+?)(?<!\s)\*(?![*\w])|(?<![\w])_(?![_\s])([^_\n]+?)(?<!\s)_(?![\w])")
_AFTER_TEST = re.compile(r"\btests?\s*\(([^()\n]{8,})\)", re.IGNORECASE)
# A string literal passed to a call in code: it('title', ...), (cond ? it : it.skip)('title', ...)
_CALL_LITERAL = re.compile(r"""\(\s*(['"])((?:\\.|(?!\1).)+)\1""")
_CALL_WORD = re.compile(r"\b(?:it|test|describe|specify|scenario)\b")
_TEST_FILE = re.compile(
    r"(?<![\w./-])((?:[\w.@-]+/)*[\w.@-]+\.(?:test|spec|e2e)\.[cm]?[jt]sx?|(?:[\w.@-]+/)*test_[\w-]+\.py)\b"
)
# Name filters in commands (`-t "Issue #560"`, `--grep "6b"`): patterns, not titles.
_FILTER_BEFORE = re.compile(r"(?:^|\s)(?:-t|-g|--grep|--testNamePattern|--test-name-pattern|-k)[ =]*$")
_COMMAND = re.compile(
    r"^(?:npm|npx|node|cd|git|yarn|pnpm|python3?|pytest|jest|playwright|vitest|docker|curl|bash|sh)\b|^[\w.]+=|^-|^\$ "
)
_SENTENCE_END = re.compile(r"[.!?;](?=\s)|\|")
_STATUS = re.compile(r"\b\d+\s+(?:passed|failed|skipped|tests?|suites?)\b", re.IGNORECASE)
_ELLIPSIS = re.compile(r"…|\.\.\.")
_ISSUE_DIR = re.compile(r"(?:^|[^A-Za-z0-9])(?:issue|gh|bug|epic)[-_ #]?(\d+)(?![0-9])", re.IGNORECASE)
_TITLE_MENTION = re.compile(r"^(?:(?:epic|issue|bug|github|gh)\b[\s_-]*)?#?\s*\d+\b", re.IGNORECASE)
_TITLE_TRACKING = re.compile(r"^tracking(?:\s+notes)?(?=\s*(?:[-–—:|(]|$))", re.IGNORECASE)
_SEPARATORS = " \t-–—:|·,"
_ARROW = re.compile(r"\s*(?:→|->|⟶|=>)\s*")
_CHAIN_STOP = re.compile(r"[()\[\]|;:]|\.\s|$")
_PARTNER_WORD = re.compile(r"\bpartner(?:s|'s)?\b(?!-)", re.IGNORECASE)
_NAMED = r"\*\*[^*\n]+\*\*|`[^`\n]+`"  # a name set off in bold or code
_REPORTED_BY = re.compile(
    rf"\breported by\s+(?:the\s+)?(?:partner\s+)?(?P<name>{_NAMED}|[\w][\w.&'-]*(?: (?-i:[A-Z])[\w.&'-]*)?)",
    re.IGNORECASE,
)
# "Partner: globex", "partner is Acme", "partner **voice-commerce**", "partner Acme" (not "partner saw it").
_PARTNER_IS = re.compile(
    rf"\bpartner\b(?:[ \t]*(?::|=|\bis\b)[ \t]*(?P<said>{_NAMED}|[A-Za-z][\w.&'-]*)"
    rf"|[ \t]+(?P<name>{_NAMED}|(?-i:[A-Z])[\w.&'-]*))",
    re.IGNORECASE,
)
_NAME_FLOW = re.compile(r"(?P<name>[A-Za-z][\w.&-]*)(?:'s|’s)?\s+flow\b", re.IGNORECASE)
_NOT_A_NAME = frozenset(
    """a an the this that these those our their its his her my your any some each every one two
    partner partners scenario scenarios flow flows test tests e2e coverage style call calls function
    function-call user users agent agents proxy backend api real real-api mock same full main whole
    reported request response message side code client server data login checkout order team teams
    integration unit end-to-end with and or of for to in on by as is was are be it""".split()
)
_AREAS = ("proxy", "backend")
_REAL_API = re.compile(r"\bUSE_REAL_APIS\b|\breal[- ]api\b", re.IGNORECASE)
_SCENARIO_WORDS = re.compile(r"\bpartner(?:'s|’s)?\s+(?:scenario|flow)\b", re.IGNORECASE)
_E2E_WORDS = re.compile(r"\b(?:e2e|end[- ]to[- ]end|full[- ]path)\b", re.IGNORECASE)
_FLOW_WORDS = re.compile(r"\b(?:flow|scenario|partner)\b", re.IGNORECASE)
_PROBE_WORDS = re.compile(r"\b(?:probe|minimal|narrow)\b", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Quote:
    """A phrase the document quotes that may be a test's title."""

    text: str  # as written, on one line, whitespace collapsed
    line: int  # 1-based line of the document
    cue: bool  # described as a test where it stands ("the test ...", a test file beside it, a Test column)
    strong: bool  # unmistakably a title: passed to it()/test(), leading a Test column, "test (Issue #N: ...)"
    file: str | None  # a test file path written beside it (same line or table row)
    context: str  # the line (table row) it stands in: what the kind is read from

    @property
    def elided(self) -> bool:
        return bool(_ELLIPSIS.search(self.text))

    def fragments(self) -> tuple[str, ...]:
        """The parts of an elided title (`a … b`), in order."""
        return tuple(p for p in (" ".join(s.split()) for s in _ELLIPSIS.split(self.text)) if p)


@dataclass(frozen=True, slots=True)
class Said:
    """A value read from the document, with where it stood (for the comment that cites it)."""

    value: str
    line: int
    words: str  # the document's words it was read from


@dataclass(frozen=True, slots=True)
class Facts:
    path: str
    issue: int | None
    issue_source: str  # "the folder name ISSUE-462", "the first heading"
    issue_conflict: str | None  # the other number, when folder and heading disagree
    title: str | None
    quotes: tuple[Quote, ...]
    partner: Said | None
    partner_mentioned: int | None  # line where "partner" appears when no name could be read
    chain: Said | None  # the arrow chain, steps joined by " → "
    chain_is_partners: bool  # the chain stands where the partner's flow is described
    areas: tuple[tuple[str, int], ...]  # (area word, times the prose uses it), in _AREAS order
    real_api: Said | None  # where the document mentions the real API, for an undecided `area`
    files: tuple[str, ...]  # test files the document names
    more_quotes: int = 0  # quoted phrases left out (MAX_QUOTES)

    @property
    def steps(self) -> tuple[str, ...]:
        return tuple(self.chain.value.split(" → ")) if self.chain else ()


@dataclass(slots=True)
class _Line:
    number: int
    text: str
    code: bool  # inside a fenced code block


def _lines(text: str) -> list[_Line]:
    out: list[_Line] = []
    fence: str | None = None
    for i, raw in enumerate(text.removeprefix("\ufeff").splitlines(), start=1):
        m = _FENCE.match(raw)
        if fence is None and m:
            fence = m.group(1)
            out.append(_Line(i, raw, True))
            continue
        if fence is not None:
            out.append(_Line(i, raw, True))
            if m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence) and not raw.strip().strip(fence[0]):
                fence = None
            continue
        out.append(_Line(i, raw, False))
    return out


def _unlink(text: str) -> str:
    return _LINK.sub(lambda m: m.group(1), text)


def _clean(text: str) -> str:
    """A candidate title without its wrapping quotes or emphasis, on one line."""
    text = " ".join(text.split())
    previous = None
    while previous != text:
        previous = text
        text = text.strip().strip("*_`\"“”'").strip()
        if text.endswith((".", ",", ";", ":")) and not text.endswith("..."):
            text = text[:-1]
    return text


def _titlelike(text: str) -> bool:
    words = text.split()
    if len(words) < MIN_WORDS or not re.search(r"[A-Za-z]", text):
        return False
    if "://" in text or _COMMAND.search(text):
        return False
    return not (len(_ELLIPSIS.sub(" ", text).split()) < 2)


def _cells(line: str) -> list[tuple[int, str]]:
    """(start offset, text) of each cell of a table row; `|` inside code spans or escaped stays text."""
    cells: list[tuple[int, str]] = []
    start, code, i = 0, False, 0
    body = line
    while i < len(body):
        c = body[i]
        if c == "`":
            code = not code
        elif c == "\\":
            i += 1
        elif c == "|" and not code:
            cells.append((start, body[start:i]))
            start = i + 1
        i += 1
    cells.append((start, body[start:]))
    if cells and not cells[0][1].strip() and line.lstrip().startswith("|"):
        cells = cells[1:]
    if cells and not cells[-1][1].strip():
        cells = cells[:-1]
    return cells


_CUE_WORD = re.compile(r"^(?:tests?|specs?|e2e|jest|playwright|vitest|pytest|mocha|TESTFILE)$", re.IGNORECASE)
# After a cue, words that make what follows a description of the test rather than its title.
_BLOCKER_WORD = re.compile(
    r"^(?:errors?|messages?|logs?|says|said|replies|reply|instructions?|prompts?|tokens?|asserts?|asserting|expects?"
    r"|expected|shows?|prints?|outputs?|returns?|emits?|that|which|so|where|when|if|for|to|whether|specif(?:y|ies)"
    r"|checks?|checking|verif(?:y|ies)|verifying|covers?|covering|because|but|until|failed|fails|passed|passes)$",
    re.IGNORECASE,
)
CUE_REACH = 3  # words allowed between a cue ("test", a test file) and the quoted title


def _cue_words(text: str) -> list[str]:
    """Words of prose around a candidate, with code spans as one word: TESTFILE for a test file path."""

    def code(m: re.Match[str]) -> str:
        return " TESTFILE " if _TEST_FILE.search(m.group(2)) else " CODE "

    text = _CODE.sub(code, text)
    text = re.sub(r"[*_“”\"()\[\]:,]", " ", text)
    return text.split()


def _has_cue(segment: str, start: int, end: int, *, after: bool) -> bool:
    """Whether the words just before the candidate (or, with `after`, just after it) say it is a test."""
    before = segment[:start]
    cut = 0
    for m in _SENTENCE_END.finditer(before):
        cut = m.end()
    words = _cue_words(before[cut:])[-(CUE_REACH + 1) :]
    for i in range(len(words) - 1, -1, -1):
        if _BLOCKER_WORD.match(words[i]):
            break
        if _CUE_WORD.match(words[i]):
            return True
    if not after:
        return False  # "**Label** — `tests/x.test.js`": emphasis is a label, whatever follows it
    rest = segment[end:]
    m = _SENTENCE_END.search(rest)
    words = _cue_words(rest[: m.start()] if m else rest)[:2]
    return any(_CUE_WORD.match(w) for w in words[: next((i for i, w in enumerate(words) if _BLOCKER_WORD.match(w)), 2)])


def _nearest_file(row: str, start: int) -> str | None:
    best: tuple[int, str] | None = None
    for m in _TEST_FILE.finditer(row):
        distance = abs(m.start() - start)
        if best is None or distance < best[0]:
            best = (distance, m.group(1))
    return best[1] if best else None


def _spans(segment: str) -> Iterable[tuple[int, int, str, str]]:
    """(start, end, text, how it is quoted) of each quoted phrase in a piece of prose: "call" (a literal
    passed to it()/test() in code), "code", "paren" ("test (Issue #N: ...)"), "quote", "emphasis"."""
    masked = list(segment)
    for m in _CODE.finditer(segment):
        content = m.group(2)
        if _CALL_WORD.search(content) and "(" in content:
            for lit in _CALL_LITERAL.finditer(content):
                yield m.start(2) + lit.start(2), m.start(2) + lit.end(2), lit.group(2), "call"
        elif not _COMMAND.search(content.strip()):
            yield m.start(2), m.end(2), content, "code"
        masked[m.start() : m.end()] = " " * (m.end() - m.start())
    plain = "".join(masked)
    for m in _AFTER_TEST.finditer(plain):
        if mentioned_issues(m.group(1)):  # "test (mock and real API)" is a remark; "test (Issue #462: ...)" a title
            yield m.start(1), m.end(1), m.group(1), "paren"
    for rx, how in ((_DOUBLE, "quote"), (_BOLD, "emphasis"), (_ITALIC, "emphasis")):
        for m in rx.finditer(plain):
            group = 1 if m.group(1) is not None else 2
            if m.group(group) is None:
                continue
            yield m.start(group), m.end(group), m.group(group), how


def _quotes(lines: list[_Line]) -> tuple[list[Quote], int]:
    found: dict[str, Quote] = {}
    more = 0
    header: list[str] | None = None
    for k, ln in enumerate(lines):
        text = ln.text
        if ln.code:
            # Code blocks: only titles passed to it()/test() are titles; commands hold name filters.
            if _CALL_WORD.search(text):
                for lit in _CALL_LITERAL.finditer(text):
                    title = _clean(lit.group(2))
                    more += _add(found, title, ln.number, True, True, _nearest_file(text, lit.start()), text)
            header = None
            continue
        row = _unlink(text)
        is_table = row.lstrip().startswith("|")
        if is_table and k + 1 < len(lines) and _TABLE_SEP.match(lines[k + 1].text):
            header = [c.strip().lower() for _, c in _cells(row)]
            continue
        if is_table and _TABLE_SEP.match(row):
            continue
        if not is_table:
            header = None
        segments = _cells(row) if is_table else [(0, row)]
        for col, (offset, cell) in enumerate(segments):
            column = header[col] if header and col < len(header) else ""
            test_column = bool(re.search(r"\btests?\b", column))
            lead = len(cell) - len(cell.lstrip(' \t*_`"“'))
            for start, end, raw, how in _spans(cell):
                if _FILTER_BEFORE.search(cell[:start].rstrip("\"'“` ")):
                    continue
                title = _clean(raw)
                if not _titlelike(title):
                    continue
                if raw.rstrip().endswith(":") or _STATUS.search(title):
                    continue  # a label ("**When run with mock:**") or a tally ("8 passed / 11 failed")
                strong = how in ("call", "paren") or (test_column and start <= lead)
                cue = strong or _has_cue(cell, start, end, after=how in ("code", "quote"))
                more += _add(found, title, ln.number, cue, strong, _nearest_file(row, offset + start), row)
    return list(found.values()), more


def _add(
    found: dict[str, Quote], title: str, line: int, cue: bool, strong: bool, file: str | None, context: str
) -> int:
    if not _titlelike(title):
        return 0
    seen = found.get(title)
    if seen is None:
        if len(found) >= MAX_QUOTES:
            return 1
        found[title] = Quote(title, line, cue, strong, file, one_line(context, 400))
    elif (cue and not seen.cue) or (strong and not seen.strong) or (file and not seen.file):
        found[title] = Quote(title, seen.line, seen.cue or cue, seen.strong or strong, seen.file or file, seen.context)
    return 0


def _issue(path: str, heading: str | None) -> tuple[int | None, str, str | None]:
    parts = re.split(r"[\\/]", path)[:-1]
    from_dir: tuple[int, str] | None = None
    for part in reversed(parts):
        m = _ISSUE_DIR.search(part)
        if m:
            from_dir = (int(m.group(1)), part)
            break
    if from_dir is None:
        hint = issue_from_path(path)
        if hint is not None:
            from_dir = (hint, next((p for p in reversed(parts) if str(hint) in p), str(hint)))
    in_heading = sorted(mentioned_issues(heading or ""))
    if from_dir is not None:
        conflict = None
        if in_heading and from_dir[0] not in in_heading:
            conflict = f"#{in_heading[0]}"
        return from_dir[0], f"the folder name {one_line(from_dir[1], 60)}", conflict
    if len(in_heading) == 1:
        return in_heading[0], "the first heading", None
    return None, "", None


def _title(heading: str | None) -> str | None:
    if not heading:
        return None
    text = _unlink(heading).replace("`", "").replace("**", "").replace("__", "")
    text = " ".join(text.split())
    previous = None
    while previous != text:
        previous = text
        text = text.strip(_SEPARATORS)
        text = _TITLE_MENTION.sub("", text).strip(_SEPARATORS)
        text = re.sub(r"^ISSUE-\d+\b", "", text, flags=re.IGNORECASE).strip(_SEPARATORS)
        text = _TITLE_TRACKING.sub("", text).strip(_SEPARATORS)
    if text.startswith("(") and text.endswith(")") and text.count("(") == 1:
        text = text[1:-1].strip()
        if len(text.split()) < 3:
            return None  # "Tracking (TDD)": a remark about the document, not the defect's title
    return one_line(text, 200) or None


def _name(raw: str) -> str | None:
    name = _clean(raw.strip("*`"))
    if not name or name.lower() in _NOT_A_NAME or len(name) > 60 or not re.search(r"[A-Za-z]{2}", name):
        return None
    return name


def _without_asides(text: str) -> str:
    """The line without parentheses that hold no arrow: "Settings (tools; no x) → ..." is one step."""
    previous = None
    while previous != text:
        previous = text
        text = re.sub(r"\s*\(([^()]*)\)", lambda m: m.group(0) if _ARROW.search(m.group(1)) else "", text)
    return text


def _chain_at(text: str) -> tuple[str, int, int] | None:
    """The arrow chain in one line: steps joined by ' → ', with its span; None without two arrows."""
    arrows = list(_ARROW.finditer(text))
    if len(arrows) < 2:
        return None
    first, last = arrows[0], arrows[-1]
    start = 0
    for m in re.finditer(r"[(\[|:]|\.\s|\*\*", text[: first.start()]):
        start = m.end()
    stop = _CHAIN_STOP.search(text, last.end())
    end = stop.start() if stop else len(text)
    region = text[start:end]
    steps = [one_line(_clean(s.replace("**", "").replace("`", "")), 60) for s in _ARROW.split(region)]
    steps = [s for s in steps if s]
    if len(steps) < 3 or len(steps) > MAX_STEPS:
        return None
    return " → ".join(steps), start, end


def _partner_and_chain(lines: list[_Line]) -> tuple[Said | None, int | None, Said | None, bool]:
    prose = [(ln.number, _unlink(ln.text)) for ln in lines if not ln.code]
    partner: Said | None = None
    mentioned: int | None = None
    chain: Said | None = None
    chain_is_partners = False
    fallback_chain: Said | None = None
    for number, text in prose:
        plain = _without_asides(_CODE.sub(lambda m: m.group(2), text))
        has_partner = bool(_PARTNER_WORD.search(plain))
        if has_partner and mentioned is None:
            mentioned = number
        found = _chain_at(plain)
        if partner is None:
            for rx in (_REPORTED_BY, _PARTNER_IS):
                m = rx.search(plain)
                name = _name(m.group("name") or m.groupdict().get("said") or "") if m else None
                if name:
                    partner = Said(name, number, one_line(plain[max(0, m.start() - 20) : m.end() + 20]))
                    break
        if found is not None:
            steps, start, end = found
            # "<name> flow (a → b → c)": the flow of someone named just before the chain.
            named = None
            for m in _NAME_FLOW.finditer(plain[:start]):
                named = m
            if named is not None and (has_partner or partner is not None):
                name = _name(named.group("name"))
                if name and (partner is None or partner.value.lower() == name.lower()):
                    partner = partner or Said(name, number, one_line(plain[named.start() : end + 1]))
                    chain, chain_is_partners = Said(steps, number, one_line(plain[start:end])), True
                    continue
            if chain is None and has_partner:
                chain, chain_is_partners = Said(steps, number, one_line(plain[start:end])), True
            elif fallback_chain is None and _FLOW_WORDS.search(plain[:start] + plain[end:]):
                fallback_chain = Said(steps, number, one_line(plain[start:end]))
    if chain is None and fallback_chain is not None:
        chain = fallback_chain
    return partner, (None if partner else mentioned), chain, chain_is_partners


def _areas(lines: list[_Line], title: str | None) -> tuple[tuple[tuple[str, int], ...], Said | None]:
    counts = dict.fromkeys(_AREAS, 0)
    real: Said | None = None
    for ln in lines:
        if real is None and _REAL_API.search(ln.text):
            m = _REAL_API.search(ln.text)
            real = Said(m.group(0), ln.number, one_line(ln.text))
        if ln.code:
            continue
        prose = _CODE.sub(" ", _unlink(ln.text))
        for area in _AREAS:
            counts[area] += len(re.findall(rf"(?<![\w/-]){area}(?![\w/-])", prose, re.IGNORECASE))
    in_title = {a for a in _AREAS if title and re.search(rf"\b{a}\b", title, re.IGNORECASE)}
    chosen = tuple((a, n) for a, n in counts.items() if n >= 2 or a in in_title)
    return chosen, real


def read_document(text: str, path: str) -> Facts:
    """What a free-form TRACKING.md says that a `qualify` block can use. Pure; never raises."""
    lines = _lines(text)
    heading = next((m.group(2) or "" for ln in lines if not ln.code and (m := _HEADING.match(ln.text))), None)
    issue, source, conflict = _issue(path, heading)
    title = _title(heading)
    quotes, more = _quotes(lines)
    partner, mentioned, chain, chain_is_partners = _partner_and_chain(lines)
    areas, real = _areas(lines, title)
    files = tuple(dict.fromkeys(m.group(1) for ln in lines for m in _TEST_FILE.finditer(ln.text)))
    return Facts(
        path=path,
        issue=issue,
        issue_source=source,
        issue_conflict=conflict,
        title=title,
        quotes=tuple(quotes),
        partner=partner,
        partner_mentioned=mentioned,
        chain=chain,
        chain_is_partners=chain_is_partners,
        areas=areas,
        real_api=real,
        files=files[:50],
        more_quotes=more,
    )


def kind_of(description: str, partner: Said | None) -> tuple[str, str | None]:
    """`scenario` for a test described as the partner's scenario or an E2E of the partner's flow,
    `probe` for a minimal or narrow probe, `regression` otherwise; with the words that decided it."""
    m = _SCENARIO_WORDS.search(description)
    if m:
        return "scenario", m.group(0)
    if partner is not None:
        e2e = _E2E_WORDS.search(description)
        who = re.search(rf"\b(?:partner|{re.escape(partner.value)})\b", description, re.IGNORECASE)
        if e2e and who:
            return "scenario", f"{e2e.group(0)} … {who.group(0)}"
    m = _PROBE_WORDS.search(description)
    if m:
        return "probe", m.group(0)
    return "regression", None


# ---------------------------------------------------------------------------------------------
# The block


EXACT, CLOSEST, ELIDED, NOT_FOUND, UNCLEAR, RESULTS = "exact", "closest", "elided", "not-found", "unclear", "results"


@dataclass(frozen=True, slots=True)
class Entry:
    """One coverage entry of the draft, and how it was found."""

    how: str  # EXACT, CLOSEST, ELIDED (the doc's title confirmed against the results), NOT_FOUND,
    # UNCLEAR (an elided title that names no single test: written commented out), RESULTS (not in the
    # doc; the test's title mentions the issue)
    test: str  # the title written (the doc's words for EXACT, NOT_FOUND and UNCLEAR)
    quote: Quote | None = None
    file: str | None = None
    kind: str = "regression"
    kind_words: str | None = None
    jobs: tuple[str, ...] = ()  # () leaves `jobs` out (both jobs), with a comment saying so
    seen: str | None = None  # init's `seen:` note
    matches: int = 0  # how many titles an elided quote fits (UNCLEAR)

    @property
    def active(self) -> bool:
        return self.how != UNCLEAR


@dataclass(frozen=True, slots=True)
class Draft:
    facts: Facts
    entries: tuple[Entry, ...]
    more: int = 0  # tests that mention the issue left out (init's MAX_TESTS)

    @property
    def tests(self) -> list[Entry]:
        return [e for e in self.entries if e.active]


def _quoted(text: str) -> str:
    return '"' + one_line(text).replace('"', "'") + '"'


def render_block(draft: Draft) -> list[str]:
    """The lines of the `qualify:` mapping (no fence or front-matter markers, no line ends)."""
    f = draft.facts
    if f.issue is None or not draft.tests:
        raise ValueError("a block needs an issue and at least one test")
    lines = ["qualify:"]
    issue_note = f"from {f.issue_source}"
    if f.issue_conflict:
        issue_note += f"; the first heading says {f.issue_conflict}: check which one this file tracks"
    lines.append(f"  issue: {f.issue}  # {one_line(issue_note)}")
    if f.title:
        lines.append(f"  title: {yaml_string(f.title)}  # from the first heading")
    else:
        lines.append("  # title: one line for reports (the first heading gave none)")
    if f.areas:
        said = ", ".join(f'"{a}" {n}×' for a, n in f.areas)
        lines.append(
            f"  area: [{', '.join(a for a, _ in f.areas)}]  # the doc says {said}: "
            "needs a declared test passing against the real API"
        )
    elif f.real_api is not None:
        lines.append(
            f"  # area: [backend]  # the doc mentions {_quoted(f.real_api.value)} (line {f.real_api.line}) "
            "but not where the defect is: set backend or proxy if it is there"
        )
    else:
        lines.append("  # area: [proxy]  # backend or proxy defects need a declared test passing against the real API")
    _partner_lines(f, lines)
    lines.append("  coverage:")
    for e in draft.entries:
        lines += _entry_lines(e, f)
    if draft.more:
        lines.append(f"  # {draft.more} more test title(s) mention #{f.issue} and were left out")
    return lines


def _partner_lines(f: Facts, lines: list[str]) -> None:
    if f.partner is not None:
        lines.append(f"  partner: {yaml_string(f.partner.value)}  # line {f.partner.line}: {_quoted(f.partner.words)}")
    elif f.partner_mentioned is not None:
        lines.append(
            f"  # partner: NAME  # the doc mentions a partner (line {f.partner_mentioned}) but no name the draft "
            "could read: who reported it?"
        )
    if f.chain is None:
        if f.partner is not None:
            lines.append("  # scenario: the partner's flow, step by step (a → b → c); the doc has no arrow chain")
        return
    if f.partner is not None and f.chain_is_partners:
        lines.append(f"  scenario: {yaml_string(f.chain.value)}  # line {f.chain.line}")
    else:
        lines.append(
            f"  # scenario: {yaml_string(f.chain.value)}  # a flow the doc describes (line {f.chain.line}); "
            "keep it if it is the partner's"
        )
    lines.append("  # The same flow as steps, for the list form of `scenario` once qualify reads it: replace each")
    lines.append("  # TODO with a pattern that the step's trace in the real-API run must match.")
    lines.append("  # scenario:")
    for step in f.steps:
        lines.append(f'  #   - {yaml_string(step)}: "TODO"')


def _entry_lines(e: Entry, f: Facts) -> list[str]:
    out: list[str] = []
    q = e.quote
    at = f"line {q.line}" if q else ""
    if e.how == CLOSEST and q:
        out.append(f"    # from the doc: {_quoted(q.text)} ({at}; the closest title in the results)")
    elif e.how == ELIDED and q:
        out.append(f"    # from the doc: {_quoted(q.text)} ({at}; the one title in the results it abbreviates)")
    elif e.how == NOT_FOUND and q:
        out.append(f"    # from the doc ({at}); no test in the results has this title or one close to it")
    elif e.how == RESULTS:
        out.append(f"    # not named in the doc; its title mentions #{f.issue}")
    if e.how == UNCLEAR and q:
        why = f"fits {e.matches} titles in the results" if e.matches else "fits no title in the results"
        out.append(f"    # from the doc: {_quoted(q.text)} ({at}): abbreviated, and {why}; write the full title:")
        out.append(f"    # - test: {yaml_string(e.test)}")
        return out
    note = "  # not in the results" if e.how == NOT_FOUND else ("  # as the doc names it" if e.how == EXACT else "")
    out.append(f"    - test: {yaml_string(e.test)}{note}")
    if e.file:
        out.append(f"      file: {yaml_string(e.file)}")
    if e.kind_words:
        out.append(f"      kind: {e.kind}  # the doc: {_quoted(e.kind_words)}")
    else:
        out.append(f"      kind: {e.kind}  # scenario | probe | regression")
    if e.jobs:
        seen = f"  # {e.seen}" if e.seen else ""
        out.append(f"      jobs: [{', '.join(e.jobs)}]{seen}")
    else:
        out.append("      # jobs: [mock, real]  # where it must pass (left out: both); it is in neither job's results")
    return out


# ---------------------------------------------------------------------------------------------
# Putting the block into the document


@dataclass(frozen=True, slots=True)
class Insertion:
    text: str  # the new document
    offset: int  # where the block went in, in characters of the original
    inserted: str  # what went in: new == original[:offset] + inserted + original[offset:]
    form: str  # "front matter", "fenced block after the first heading" / "... after the front matter"


def _newline(lines: list[str]) -> str:
    crlf = sum(1 for ln in lines if ln.endswith("\r\n"))
    lf = sum(1 for ln in lines if ln.endswith("\n") and not ln.endswith("\r\n"))
    return "\r\n" if crlf > lf else "\n"


def _ending(line: str) -> str:
    body = line.splitlines()[0] if line.splitlines() else ""
    return line[len(body) :]


def insert_block(text: str, block: list[str]) -> Insertion:
    """The document with the block inserted, every original character kept in place and in order.

    A document whose first line with text is an ATX heading gets a ```yaml qualify fence after that
    heading; one that starts with front matter of its own (no `qualify` key) gets the fence after it;
    any other gets YAML front matter at the top (after a byte-order mark). Line ends follow the
    document's; a missing final newline stays missing.
    """
    lines = text.splitlines(keepends=True)
    nl = _newline(lines)
    bom = 1 if text.startswith("\ufeff") else 0
    first = next((i for i, ln in enumerate(lines) if ln.replace("\ufeff", "", 1 if i == 0 else 0).strip()), None)
    after: int | None = None
    form = "front matter"
    if first is not None:
        head = lines[first].replace("\ufeff", "", 1 if first == 0 else 0)
        if first == 0 and head.rstrip() == "---":
            close = next((j for j in range(1, len(lines)) if lines[j].rstrip() in ("---", "...")), None)
            if close is not None:
                after, form = close, "fenced block after the front matter"
        elif _HEADING.match(head.splitlines()[0] if head.splitlines() else head):
            after, form = first, "fenced block after the first heading"
    if after is None:
        offset = bom
        inserted = nl.join(["---", *block, "---"]) + nl
        return Insertion(text[:offset] + inserted + text[offset:], offset, inserted, form)
    offset = sum(len(ln) for ln in lines[: after + 1])
    fence = nl.join(["```yaml qualify", *block, "```"])
    lead = "" if _ending(lines[after]) else nl  # the heading was the last line, without a newline
    following = lines[after + 1] if after + 1 < len(lines) else None
    if following is None:
        inserted = lead + nl + fence + (nl if not lead else "")
    else:
        inserted = lead + nl + fence + nl + (nl if following.strip() else "")
    return Insertion(text[:offset] + inserted + text[offset:], offset, inserted, form)
