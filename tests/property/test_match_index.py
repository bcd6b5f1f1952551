"""The title tables and the word-suffix filter decide exactly what comparing every declared title
with every name form decides (the matcher before issue #18), on generated titles and names."""

from __future__ import annotations

import os

from builders import case, defect, entry
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qualify.core.matching import _PARAMS, SEP, Matcher, _strip_params, canonical, name_forms, paths_match
from qualify.core.model import Outcome

EXAMPLES = 5_000 if os.environ.get("HYPOTHESIS_PROFILE") == "long" else 300
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])

# Few words, so that titles and names share their endings; separators of every dialect, odd spacing,
# [params], a decomposed é (NFC), slashes (file-like names).
WORD = st.sampled_from(
    ["›", "works", "load", "under", "holds", "a", "b", "é", "e\u0301", "x/y.ts", "(USE_REAL_APIS=1)"]
)
GLUE = st.sampled_from([" ", " ", " ", "  ", "\t", "\x1c", "\u00a0", " › ", "›", " > ", ">", "::", " :: ", " » "])
PARAMS = st.sampled_from(["", "", "[1]", "[a b]", " [x]", "[]"])


@st.composite
def texts(draw, max_words: int = 5) -> str:
    parts = draw(st.lists(WORD, min_size=1, max_size=max_words))
    out = parts[0]
    for w in parts[1:]:
        out += draw(GLUE) + w
    return draw(st.sampled_from(["", " "])) + out + draw(PARAMS)


def _reference(titles: list[tuple[str, str | None]], c) -> set[tuple[int, bool]]:
    """(entry index, word match) for each title the testcase matches: every title against every form."""
    stripped = _strip_params(c.name)
    found: set[tuple[int, bool]] = set()
    for i, (test, file) in enumerate(titles):
        title = canonical(test)
        has_params = bool(_PARAMS.search(title))
        forms = name_forms(c, strip_params=not has_params and stripped is not None)
        strong = any(f == title or f.endswith(SEP + title) for f in forms.strong)
        spaced = title.replace(SEP, " ")
        weak = not strong and any(f == spaced or f.endswith(" " + spaced) for f in forms.weak)
        if not (strong or weak):
            continue
        if file and c.file and not paths_match(file, c.file):
            continue
        found.add((i, weak))
    return found


@SETTINGS
@given(
    titles=st.lists(st.tuples(texts(), st.sampled_from([None, None, "x/y.ts", "z.ts"])), min_size=1, max_size=6),
    names=st.lists(
        st.tuples(
            texts(7),
            st.one_of(st.just(""), texts(3), st.just("pkg.mod.Class"), st.just("x/y.ts")),
            st.lists(st.one_of(texts(2), st.just("x/y.ts")), max_size=2),
            st.sampled_from([None, "x/y.ts", "q/z.ts"]),
        ),
        min_size=1,
        max_size=6,
    ),
    jest=st.booleans(),
)
def test_tables_match_what_comparing_every_title_matches(titles, names, jest):
    entries = [entry(t, file=f, jobs=["mock"]) for t, f in titles]
    for name, classname, suites, file in names:
        c = case(name, classname=name if jest else classname, suites=tuple(suites), file=file)
        expected = _reference(titles, c)
        m = Matcher([defect(*entries)])
        if expected:  # the filter may keep more than matches, never less
            assert m.wants(c.name) and m.keeper("mock")(c.name)
        m.add(c)
        got = set()
        for i in range(len(entries)):
            for book, weak in ((m.book.strong, False), (m.book.weak, True)):
                if (0, i, "mock") in book:
                    got.add((i, weak))
        assert got == expected, (c, titles)


def test_a_passed_case_counts_once_per_entry_whatever_its_forms():
    # The same title reached through two forms (name and classname › name) is one match.
    m = Matcher([defect(entry("TestFlow › test_x", jobs=["mock"]), entry("test_x", jobs=["mock"]))])
    m.add(case("test_x", classname="tests.TestFlow", outcome=Outcome.PASSED))
    assert m.book.get(0, 0, "mock").total == 1 and m.book.get(0, 1, "mock").total == 1


@SETTINGS
@given(name=st.text(alphabet="ab []\n\t", max_size=12))
def test_strip_params_is_the_params_regex(name):
    rstripped = name.rstrip()
    stripped = _PARAMS.sub("", rstripped)
    reference = stripped if rstripped.endswith("]") and stripped != rstripped and stripped else None
    assert _strip_params(name) == reference
