"""`qualify adopt`: from a repository's free-form TRACKING.md files to drafted `qualify` blocks.

The I/O shell around `qualify.tracking.draft`: it finds the documents, reads both jobs' results
with the guards `qualify check` uses (`plan_results`), confirms each quoted test title against
them, prints each draft as a unified diff, inserts it with `--write`, and runs the check pipeline
in process on the drafted text to say what `qualify check` will then decide.

The results are read in up to two passes: the first confirms the quoted titles (the matcher's exact
match and its closest titles, abbreviated titles, the tests whose titles mention each issue) and
gives the jobs and files of those it matched as quoted; a second, only when a title was reworded or
abbreviated in the document, does so for the titles the draft writes instead. The check itself
reads them once more. Each pass streams, in bounded memory.
"""

from __future__ import annotations

import datetime as dt
import difflib
import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TextIO

from qualify.app.check import MAX_TRACKING_BYTES, collect, plan_results
from qualify.app.init import MAX_TESTS, Gatherer, ran_jobs, seen_note
from qualify.core.matching import SEP, Matcher, canonical, mentioned_issues, paths_match, tokens
from qualify.core.model import JOBS, CoverageEntry, Defect, JobCounts, Match, TestCase, Verdict
from qualify.errors import QualifyError
from qualify.render.workflow_commands import plain
from qualify.results.common import Attrs, Keep
from qualify.results.formats import read_testcases
from qualify.results.junit import is_pathlike
from qualify.settings import (
    DEFAULT_MAX_FILE_BYTES,
    DEFAULT_MAX_TOTAL_BYTES,
    Outputs,
    PolicyInputs,
    ReadingLimits,
    Settings,
    Sources,
    frozen_map,
)
from qualify.tracking import draft as d
from qualify.tracking.lint import load_validator, schema_violations, static_findings
from qualify.tracking.parse import parse_tracking
from qualify.workspace import TRACKING_IN_DIRECTORY, Found, search, searched

CLOSEST_MIN = 0.5  # difflib ratio a same-issue title needs to stand for a reworded one
WORD_SHARE = 0.6  # share of a quoted title's words a closest title must hold
TITLE_WORDS = 5  # a phrase this long beside the word "test" is taken for a title even when no test has it
MAX_ELIDED = 50  # abbreviated titles looked up in the results (each costs a substring test per testcase)
MAX_ELIDED_NAMES = 5  # names kept per abbreviated title: more than one is already ambiguous
_STOP = frozenset("the and for with when that this from does not are was has have into onto then".split())


@dataclass
class AdoptOptions:
    tracking: list[str]
    mock_results: list[str]
    real_results: list[str]
    workspace: Path
    write: bool = False
    allow_outside_workspace: bool = False
    typed_outside_workspace: bool = False  # as `qualify check`'s: paths a person typed, off in Actions
    max_file_bytes: int | None = None
    max_total_bytes: int | None = None


@dataclass
class Doc:
    """One TRACKING.md and what became of it."""

    found: Found
    raw: bytes = b""
    text: str = ""
    facts: d.Facts | None = None
    state: str = "pending"  # declared | skipped | no-test | drafted | refused
    reason: str = ""  # why there is no block (skipped, no-test, refused)
    draft: d.Draft | None = None
    insertion: d.Insertion | None = None
    lint: list[str] = field(default_factory=list)  # what `qualify lint` reports beyond validity

    @property
    def display(self) -> str:
        return self.found.display


# ---------------------------------------------------------------------------------------------
# Reading the documents


def _load(found: Found) -> Doc:
    doc = Doc(found=found)
    if found.size > MAX_TRACKING_BYTES:
        return _skip(doc, "skipped", f"larger than {MAX_TRACKING_BYTES} bytes; qualify reads TRACKING.md up to 1 MiB")
    try:
        doc.raw = found.real.read_bytes()
    except OSError as exc:
        return _skip(doc, "skipped", f"cannot be read: {exc.strerror or exc}")
    if len(doc.raw) > MAX_TRACKING_BYTES:
        return _skip(doc, "skipped", f"larger than {MAX_TRACKING_BYTES} bytes; qualify reads TRACKING.md up to 1 MiB")
    try:
        doc.text = doc.raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = doc.raw[: exc.start].count(b"\n") + 1
        return _skip(doc, "skipped", f"not UTF-8 text (line {line}); qualify reads TRACKING.md as UTF-8")
    if "\x00" in doc.text:
        return _skip(doc, "skipped", "holds NUL bytes: not a text document")
    read = parse_tracking(doc.text, doc.display)
    if read.defect is not None:
        doc.facts = None
        doc.state, doc.reason = "declared", f"already declares #{read.defect.issue}; left as it is"
        return doc
    if read.invalid is not None:
        return _skip(
            doc,
            "skipped",
            f"has a qualify block or front matter that does not read (line {read.invalid.line}): "
            "fix it first (`qualify lint`); left as it is",
        )
    doc.facts = d.read_document(doc.text, doc.display)
    return doc


def _skip(doc: Doc, state: str, reason: str) -> Doc:
    doc.state, doc.reason = state, reason
    return doc


# ---------------------------------------------------------------------------------------------
# Pass 1: confirm the quoted titles


class _Elisions:
    """Abbreviated titles (`translates InjectUserMessage … ConversationText`) and the names that fit them."""

    def __init__(self, quotes: list[tuple[tuple[int, int], d.Quote]]) -> None:
        self._items: list[tuple[tuple[int, int], tuple[str, ...], str]] = []
        for key, q in quotes[:MAX_ELIDED]:
            parts = q.fragments()
            if parts:
                self._items.append((key, parts, max(parts, key=len)))
        self.names: dict[tuple[int, int], set[str]] = {key: set() for key, _, _ in self._items}

    def __bool__(self) -> bool:
        return bool(self._items)

    def see(self, name: str) -> None:
        for key, parts, longest in self._items:
            if longest not in name:
                continue  # the cheap test first: most names hold no fragment at all
            names = self.names[key]
            if len(names) > MAX_ELIDED_NAMES:
                continue
            text = canonical(name)
            at = 0
            for part in parts:
                at = text.find(part, at)
                if at < 0:
                    break
                at += len(part)
            else:
                names.add(text)


@dataclass
class _Pass1:
    defects: list[Defect]
    owners: list[Doc]  # the document of each defect
    matcher: Matcher
    gatherers: dict[int, Gatherer]
    own_titles: dict[str, str]  # canonical name -> the test's own title, for names that mention an issue
    elisions: _Elisions


def _first_pass(docs: list[Doc]) -> _Pass1:
    defects: list[Defect] = []
    owners: list[Doc] = []
    issues: set[int] = set()
    elided: list[tuple[tuple[int, int], d.Quote]] = []
    for doc in docs:
        f = doc.facts
        if f is None or f.issue is None:
            continue
        issues.add(f.issue)
        di = len(defects)
        entries = []
        for qi, q in enumerate(f.quotes):
            if q.elided:
                elided.append(((di, qi), q))
            else:
                entries.append(CoverageEntry(test=q.text, file=None, kind="regression", jobs=JOBS, line=q.line))
            if q.cue:
                issues |= mentioned_issues(q.text)  # a reworded title is looked for among its issue's tests
        defects.append(_defect(f.issue, doc.display, entries))
        owners.append(doc)
    return _Pass1(defects, owners, Matcher(defects), {i: Gatherer(i) for i in issues}, {}, _Elisions(elided))


def _defect(issue: int, path: str, entries: list[CoverageEntry]) -> Defect:
    return Defect(
        issue=issue,
        title="",
        areas=(),
        partner=None,
        scenario=None,
        coverage=tuple(entries),
        waiver=None,
        tracking=path,
        line=1,
    )


def _own_title(case: TestCase) -> str:
    """The test's own title: its name without the describe path the runner put in front."""
    name = canonical(case.name)
    if SEP in name:
        return name.rsplit(SEP, 1)[1]
    for suite in [canonical(s) for s in (case.classname, *case.suites) if s and not is_pathlike(s)]:
        if suite != name and name.startswith(suite + " "):
            name = name[len(suite) + 1 :]
    return name


def _read(
    plan: list[tuple[str, list[Found]]],
    keeper: Callable[[str], Keep],
    take: Callable[[TestCase], None],
) -> dict[str, JobCounts]:
    counts = {job: JobCounts() for job in JOBS}
    for job, files in plan:
        keep = keeper(job)
        for f in files:
            for case in read_testcases(str(f.real), f.display, job, counts[job], keep=keep):
                take(case)
    return counts


def _run_first_pass(p1: _Pass1, plan: list[tuple[str, list[Found]]]) -> dict[str, JobCounts]:
    issues = set(p1.gatherers)

    def keeper(job: str) -> Keep:
        matcher_keep = p1.matcher.keeper(job)
        elisions = p1.elisions

        def keep(name: str, attrs: Attrs | None = None) -> bool:
            wanted = matcher_keep(name, attrs)  # always called: it also feeds the closest titles
            if elisions:
                elisions.see(name)
            return wanted or (bool(issues) and not mentioned_issues(name).isdisjoint(issues))

        return keep

    def take(case: TestCase) -> None:
        p1.matcher.add(case)
        for issue in mentioned_issues(case.name) & issues:
            g = p1.gatherers[issue]
            g.add(case)
            if len(p1.own_titles) < MAX_TESTS * len(issues):
                p1.own_titles.setdefault(canonical(case.name), _own_title(case))

    return _read(plan, keeper, take)


# ---------------------------------------------------------------------------------------------
# Deciding each quoted title


@dataclass
class _Found:
    """A quoted title's fate after pass 1."""

    quote: d.Quote
    how: str
    title: str  # what the entry will declare
    matches: int = 0  # names an abbreviated title fits (UNCLEAR)
    found: dict[str, Match] | None = None  # per job, when pass 1 already matched the title (EXACT)


def _words(text: str) -> set[str]:
    return {w for w in tokens(text) if (len(w) >= 3 or w.isdigit()) and w not in _STOP}


def plausible(quote: str, name: str) -> bool:
    """Whether an existing title may stand for a reworded quoted one: it names the same issue (when
    the quote names one) and holds most of the quote's words."""
    wanted = mentioned_issues(quote)
    if wanted and wanted.isdisjoint(mentioned_issues(name)):
        return False
    words = _words(quote)
    return not words or len(words & tokens(name)) >= WORD_SHARE * len(words)


def _similarity(quote: str, name: str, own: str | None) -> float:
    """difflib's ratio of the quote against the name, each trailing part of its describe path, and
    the test's own title when known: the quote is usually the title alone."""
    full = canonical(name)
    parts = full.split(SEP)
    forms = {full, *(SEP.join(parts[i:]) for i in range(1, len(parts)))}
    if own:
        forms.add(own)
    return max(difflib.SequenceMatcher(None, form, quote).ratio() for form in forms)


def _closest(p1: _Pass1, di: int, ei: int, quote: d.Quote) -> str | None:
    """The best of the matcher's closest titles (both jobs) and of the tests that mention the issue
    the quote names (a reworded title usually keeps its issue number), ranked together."""
    names = {canonical(n) for job in JOBS for n in p1.matcher.book.closest(di, ei, job)}
    for issue in mentioned_issues(quote.text):
        g = p1.gatherers.get(issue)
        if g is not None:
            names |= {seen.title for seen in g.result().tests}
    scored = sorted(
        ((_similarity(quote.text, n, p1.own_titles.get(n)), n) for n in names if plausible(quote.text, n)),
        key=lambda x: (-x[0], x[1]),
    )
    if scored and scored[0][0] >= CLOSEST_MIN:
        return scored[0][1]
    return None


def titled(q: d.Quote) -> bool:
    """Whether a quoted phrase that no test has is still surely a test's title (and so declared, to be
    reported as not found): unmistakably placed, or shaped like one. "Jest “did not exit”" is not."""
    return q.strong or bool(mentioned_issues(q.text)) or len(q.text.split()) >= TITLE_WORDS


def _decide(p1: _Pass1, di: int) -> list[_Found]:
    doc = p1.owners[di]
    assert doc.facts is not None
    out: list[_Found] = []
    ei = 0
    for qi, q in enumerate(doc.facts.quotes):
        if q.elided:
            names = sorted(p1.elisions.names.get((di, qi), set()))
            if not q.cue and sum(len(f.split()) for f in q.fragments()) < d.MIN_WORDS:
                continue  # "Function call: ..." without a test beside it: too little to stand for a title
            if len(names) == 1:
                out.append(_Found(q, d.ELIDED, names[0]))
            elif q.cue:
                out.append(_Found(q, d.UNCLEAR, q.text, matches=len(names)))
            continue
        found = {job: p1.matcher.book.get(di, ei, job) for job in JOBS}
        if any(m.total for m in found.values()):
            out.append(_Found(q, d.EXACT, q.text, found=found))
        elif q.cue:
            name = _closest(p1, di, ei, q)
            if name:
                out.append(_Found(q, d.CLOSEST, name))
            elif titled(q):
                out.append(_Found(q, d.NOT_FOUND, q.text))
        ei += 1
    return out


# ---------------------------------------------------------------------------------------------
# Pass 2: where each declared title ran


def _outcomes(matches: dict[str, Match]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for job, m in matches.items():
        seen = {o for o, n in (("passed", m.passed), ("failed", m.failed), ("skipped", m.skipped)) if n}
        if seen:
            out[job] = seen
    return out


def _file(doc_file: str | None, matches: dict[str, Match]) -> str | None:
    files = sorted({c.file for m in matches.values() for c in m.examples if c.file})
    if doc_file and (not files or any(paths_match(doc_file, f) for f in files)):
        return doc_file  # the doc's path, when the results agree or say nothing: it is the fuller one
    return files[0] if len(files) == 1 else None


def _entries(docs_found: list[tuple[Doc, list[_Found], Gatherer | None]], plan: list[tuple[str, list[Found]]]) -> None:
    """Where each title the drafts declare ran, then each document's draft. Titles pass 1 matched as
    quoted already know; the closest and written-out ones take a second pass over the results."""
    defects: list[Defect] = []
    for doc, found, _ in docs_found:
        assert doc.facts is not None and doc.facts.issue is not None
        entries = [
            CoverageEntry(test=x.title, file=None, kind="regression", jobs=JOBS, line=1)
            for x in found
            if x.how in (d.CLOSEST, d.ELIDED)
        ]
        defects.append(_defect(doc.facts.issue, doc.display, entries))
    matcher = Matcher(defects)
    if any(df.coverage for df in defects):
        _read(plan, matcher.keeper, matcher.add)
    for di, (doc, found, gatherer) in enumerate(docs_found):
        f = doc.facts
        assert f is not None
        entries: list[d.Entry] = []
        covered: set[str] = set()
        ei = 0
        for x in found:
            kind, words = d.kind_of(f"{x.quote.context} {x.title}", f.partner)
            if x.how in (d.NOT_FOUND, d.UNCLEAR):
                entries.append(
                    d.Entry(x.how, x.title, x.quote, file=x.quote.file, kind=kind, kind_words=words, matches=x.matches)
                )
                continue
            matches = x.found
            if matches is None:
                matches = {job: matcher.book.get(di, ei, job) for job in JOBS}
                ei += 1
            outcomes = _outcomes(matches)
            if not outcomes:  # cannot happen: pass 1 found it; say so rather than guess
                entries.append(d.Entry(d.NOT_FOUND, x.quote.text, x.quote, file=x.quote.file, kind=kind))
                continue
            covered |= {canonical(c.name) for m in matches.values() for c in m.examples}
            entries.append(
                d.Entry(
                    x.how,
                    x.title,
                    x.quote,
                    file=_file(x.quote.file, matches),
                    kind=kind,
                    kind_words=words,
                    jobs=tuple(ran_jobs(outcomes)),
                    seen=seen_note(outcomes),
                )
            )
        # De-duplicate: two quotes that resolved to the same test keep the first.
        unique: list[d.Entry] = []
        titles: set[str] = set()
        for e in entries:
            key = canonical(e.test)
            if key in titles:
                continue
            titles.add(key)
            unique.append(e)
        more = 0
        if gatherer is not None:
            gathered = gatherer.result()
            more = gathered.more
            for seen in gathered.tests:
                if seen.title in covered or seen.title in titles:
                    continue
                kind, words = d.kind_of(seen.title, f.partner)
                unique.append(
                    d.Entry(
                        d.RESULTS,
                        seen.title,
                        file=seen.file,
                        kind=kind,
                        kind_words=words,
                        jobs=tuple(ran_jobs(seen.outcomes)),
                        seen=seen_note(seen.outcomes),
                    )
                )
        doc.draft = d.Draft(f, tuple(unique), more)


# ---------------------------------------------------------------------------------------------
# The drafts into the documents


def _no_test_reason(doc: Doc) -> str:
    f = doc.facts
    assert f is not None
    if f.issue is None:
        return (
            "no issue number in its folder name (ISSUE-N) or first heading: put it under docs/issues/ISSUE-N/ "
            "or name the issue in the heading, then run qualify adopt again"
        )
    files = (
        f", though it names test files ({', '.join(f.files[:3])}{', …' if len(f.files) > 3 else ''})" if f.files else ""
    )
    return (
        f"no test: it quotes no test title{files}, and no test title in the results mentions #{f.issue}. "
        f"Quote the title of each test that covers it in the document, or put #{f.issue} in those titles, "
        "then run qualify adopt again"
    )


def _place(doc: Doc, validator: object) -> None:
    """Render, insert and read the draft back exactly as `qualify check` and `qualify lint` will."""
    assert doc.draft is not None and doc.facts is not None
    block = d.render_block(doc.draft)
    insertion = d.insert_block(doc.text, block)
    problem = _readback(doc, insertion, validator)
    if problem:
        doc.state, doc.reason = "refused", f"the drafted block did not read back ({problem}); nothing written"
        return
    doc.insertion, doc.state = insertion, "drafted"


def _readback(doc: Doc, insertion: d.Insertion, validator: object) -> str | None:
    assert doc.draft is not None
    new = insertion.text
    if new != doc.text[: insertion.offset] + insertion.inserted + doc.text[insertion.offset :]:
        return "the document's own text would change"
    if len(new.encode("utf-8")) > MAX_TRACKING_BYTES:
        return f"the file would pass {MAX_TRACKING_BYTES} bytes, which qualify does not read"
    read = parse_tracking(new, doc.display)
    if read.invalid is not None:
        return f"line {read.invalid.line}: {read.invalid.message}"
    if read.defect is None or read.defect.issue != doc.draft.facts.issue:
        return "the parser found another block first"
    if len(read.defect.coverage) != len(doc.draft.tests):
        return f"{len(read.defect.coverage)} tests read back, {len(doc.draft.tests)} drafted"
    violations = schema_violations(new, validator)  # type: ignore[arg-type]
    if violations:
        line, v = violations[0]
        return f"line {line}: schema: {v.pointer}: {v.message}"
    doc.lint = [f"{x.code}: {x.message}" for x in static_findings(read.defect)]
    return None


def _new_bytes(doc: Doc) -> bytes:
    """The original bytes with the block's bytes inserted: every original byte kept as it was."""
    assert doc.insertion is not None
    cut = len(doc.text[: doc.insertion.offset].encode("utf-8"))
    return doc.raw[:cut] + doc.insertion.inserted.encode("utf-8") + doc.raw[cut:]


def _write(doc: Doc) -> str | None:
    path = doc.found.real
    try:
        if path.read_bytes() != doc.raw:
            return "changed since it was read; run qualify adopt again"
        tmp = path.with_name(f".{path.name}.qualify-adopt-{os.getpid()}")
        tmp.write_bytes(_new_bytes(doc))
        os.chmod(tmp, path.stat().st_mode & 0o7777)
        os.replace(tmp, path)
    except OSError as exc:
        return f"cannot be written: {exc.strerror or exc}"
    return None


# ---------------------------------------------------------------------------------------------
# The command


def _check_settings(opts: AdoptOptions, today: dt.date) -> Settings:
    """What `qualify check` with the drafted blocks reads: the same files and limits, nothing written."""
    return Settings(
        sources=Sources(
            workspace=opts.workspace,
            mock=tuple(opts.mock_results),
            real=tuple(opts.real_results),
            tracking=tuple(opts.tracking),
            allow_outside_workspace=opts.allow_outside_workspace,
            typed_outside_workspace=opts.typed_outside_workspace,
        ),
        limits=ReadingLimits(
            max_file_bytes=opts.max_file_bytes or DEFAULT_MAX_FILE_BYTES,
            max_total_bytes=opts.max_total_bytes or DEFAULT_MAX_TOTAL_BYTES,
        ),
        policy=PolicyInputs(today=today),
        outputs=Outputs(workspace=opts.workspace),
    )


def run_adopt(opts: AdoptOptions, out: TextIO, err: TextIO, today: dt.date | None = None) -> int:
    """Draft, print, optionally write, check. 0 drafted (or nothing left to draft), 1 no document
    could be given a block, 2 could not run (raised as QualifyError)."""
    settings = _check_settings(opts, today or dt.datetime.now(dt.UTC).date())
    if not opts.workspace.is_dir():
        raise QualifyError(f"workspace {opts.workspace} is not a directory", code="usage")
    found = search(
        opts.tracking,
        opts.workspace,
        what="TRACKING.md",
        allow_outside=opts.allow_outside_workspace,
        typed_outside=opts.typed_outside_workspace,
        in_directory=TRACKING_IN_DIRECTORY,
    ).files
    if not found:
        shown = ", ".join(repr(t) for t in opts.tracking)
        where = searched(opts.tracking, opts.workspace, TRACKING_IN_DIRECTORY)
        raise QualifyError(f"{shown} matched no TRACKING.md ({where})", code="usage")
    docs = [_load(f) for f in found]
    plan, _ = plan_results(settings.sources, settings.limits)
    p1 = _first_pass(docs)
    _run_first_pass(p1, plan)
    decided = {id(doc): _decide(p1, di) for di, doc in enumerate(p1.owners)}
    declared = {}
    for doc in docs:
        if doc.state == "declared":
            read = parse_tracking(doc.text, doc.display)
            if read.defect is not None:
                declared.setdefault(read.defect.issue, doc.display)
    candidates = []
    for doc in docs:
        if doc.facts is None or doc.state != "pending":
            continue
        issue = doc.facts.issue
        candidates.append((doc, decided.get(id(doc), []), p1.gatherers.get(issue) if issue is not None else None))
    _entries([c for c in candidates if c[0].facts and c[0].facts.issue is not None], plan)
    validator = load_validator()
    drafted_issues: dict[int, str] = {}
    for doc, _, _ in candidates:
        f = doc.facts
        assert f is not None
        if f.issue is None or doc.draft is None or not doc.draft.tests:
            doc.state, doc.reason = "no-test", _no_test_reason(doc)
            continue
        first = declared.get(f.issue) or drafted_issues.get(f.issue)
        if first is not None:
            doc.state, doc.reason = "skipped", f"#{f.issue} is already declared by {first}: add its tests there"
            continue
        _place(doc, validator)
        if doc.state == "drafted":
            drafted_issues[f.issue] = doc.display
    drafted = [doc for doc in docs if doc.state == "drafted"]
    for doc in drafted:
        _print_diff(doc, out)
    if opts.write:
        for doc in drafted:
            problem = _write(doc)
            if problem:
                doc.state, doc.reason = "refused", problem
    verdict, error = _check(settings, drafted)
    _summary(docs, verdict, error, opts.write, out)
    if any(doc.state == "refused" for doc in docs):
        return 2
    pending = [doc for doc in docs if doc.state not in ("declared",)]
    return 0 if drafted or not pending else 1


def _print_diff(doc: Doc, out: TextIO) -> None:
    assert doc.insertion is not None
    old = doc.text.splitlines()
    new = doc.insertion.text.splitlines()
    for line in difflib.unified_diff(old, new, f"a/{doc.display}", f"b/{doc.display}", lineterm=""):
        out.write(plain(line) + "\n")


def _check(settings: Settings, drafted: list[Doc]) -> tuple[Verdict | None, str | None]:
    texts = {doc.display: doc.insertion.text for doc in drafted if doc.insertion is not None}
    try:
        return collect(replace(settings, sources=replace(settings.sources, tracking_texts=frozen_map(texts)))), None
    except QualifyError as exc:
        return None, str(exc)


def _counts(docs: list[Doc]) -> dict[str, int]:
    counts = dict.fromkeys((d.EXACT, d.CLOSEST, d.ELIDED, d.NOT_FOUND, d.UNCLEAR, d.RESULTS), 0)
    for doc in docs:
        if doc.state == "drafted" and doc.draft is not None:
            for e in doc.draft.entries:
                counts[e.how] += 1
    return counts


def _summary(docs: list[Doc], verdict: Verdict | None, error: str | None, written: bool, out: TextIO) -> None:
    def say(line: str) -> None:
        out.write(plain(line) + "\n")

    states = {
        s: [doc for doc in docs if doc.state == s] for s in ("drafted", "declared", "no-test", "skipped", "refused")
    }
    say("")
    say(
        f"qualify adopt: {len(docs)} TRACKING.md file(s): {len(states['drafted'])} drafted, "
        f"{len(states['declared'])} already declared, {len(states['no-test'])} without a test, "
        f"{len(states['skipped']) + len(states['refused'])} left alone"
    )
    for doc in docs:
        if doc.state == "drafted" and doc.draft is not None and doc.insertion is not None:
            f = doc.draft.facts
            n = {
                how: sum(1 for e in doc.draft.entries if e.how == how)
                for how in (d.EXACT, d.CLOSEST, d.ELIDED, d.NOT_FOUND, d.RESULTS, d.UNCLEAR)
            }
            parts = [
                f"{len(doc.draft.tests)} test(s): {n[d.EXACT]} exactly as the doc names them, "
                f"{n[d.CLOSEST] + n[d.ELIDED]} by closest title, {n[d.NOT_FOUND]} not found, "
                f"{n[d.RESULTS]} from the results"
            ]
            if n[d.UNCLEAR]:
                parts.append(f"{n[d.UNCLEAR]} abbreviated title(s) to write out")
            if f.partner:
                parts.append(f"partner {f.partner.value}")
            if f.chain and f.partner and f.chain_is_partners:
                parts.append(f"scenario of {len(f.steps)} steps")
            say(f"  {doc.display}: #{f.issue} drafted ({doc.insertion.form}): " + "; ".join(parts))
            for finding in doc.lint:
                say(f"      lint will report {finding}")
        elif doc.state != "drafted":
            say(f"  {doc.display}: {doc.reason}")
    c = _counts(docs)
    say(
        f"tests named in the docs: {c[d.EXACT]} confirmed exactly, {c[d.CLOSEST] + c[d.ELIDED]} by closest title "
        f"({c[d.ELIDED]} of them written out from an abbreviated one), {c[d.NOT_FOUND]} not found"
        + (f", {c[d.UNCLEAR]} abbreviated and left for you to write out" if c[d.UNCLEAR] else "")
        + f"; {c[d.RESULTS]} more from the results (their titles mention the issue)"
    )
    if error is not None:
        say(f"qualify check with the drafted blocks: could not evaluate: {error}")
    elif verdict is not None:
        word = "QUALIFIED" if verdict.qualified else f"NOT QUALIFIED: {len(verdict.problems)} problem(s)"
        say(f"qualify check with the drafted blocks: {word}")
        for r in verdict.defects:
            state = "qualified" if r.qualified else "NOT qualified"
            say(f"  #{r.defect.issue} ({r.defect.tracking}): {state}")
            for p in r.problems:
                test = f" “{p.test}”" if p.test else ""
                job = f" [{p.job}]" if p.job else ""
                say(f"      {p.code}{job}{test}: {p.message}")
        for p in verdict.findings:
            if p.blocking:
                say(f"  {p.file or ''}{':' + str(p.line) if p.file and p.line else ''} {p.code}: {p.message}")
    if states["drafted"]:
        if written:
            say(f"written: {len(states['drafted'])} file(s); review them, then commit")
        else:
            say("nothing written: run again with --write to insert these blocks")
