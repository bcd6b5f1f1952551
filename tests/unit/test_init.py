import pytest
from builders import case
from hypothesis import given
from hypothesis import strategies as st

from qualify.app.init import MAX_TESTS, Gathered, Seen, gather, render_block, yaml_string
from qualify.core.matching import Matcher, canonical
from qualify.core.model import Outcome
from qualify.tracking.parse import parse_tracking

CASES = [
    case("checkout › Issue #462: totals", job="real", file="e2e/flow.spec.js"),
    case("checkout › Issue #462: totals", job="real", file="e2e/flow.spec.js", outcome=Outcome.FAILED),
    case("checkout > Issue #462: totals", file="e2e/flow.spec.js"),  # another runner's separator
    case("ISSUE-462 reconnects", file="a.test.js"),
    case("ISSUE-462 reconnects", file="b.test.js", outcome=Outcome.SKIPPED),
    case("ISSUE-462 reconnects", job="real", outcome=Outcome.SKIPPED),  # no file in that job
    case("test_issue_462_probe", job="real"),
    case("test_issue_462_probe", outcome=Outcome.SKIPPED),
    case("Issue #470: other issue"),
    case("unrelated 462"),
]


def test_gather_groups_by_title_and_file_with_jobs():
    g = gather(CASES, 462)
    got = [(s.title, s.file, {j: sorted(o) for j, o in s.outcomes.items()}) for s in g.tests]
    assert got == [
        ("checkout › Issue #462: totals", "e2e/flow.spec.js", {"real": ["failed", "passed"], "mock": ["passed"]}),
        ("ISSUE-462 reconnects", "a.test.js", {"mock": ["passed"]}),
        ("ISSUE-462 reconnects", "b.test.js", {"mock": ["skipped"]}),
        ("ISSUE-462 reconnects", None, {"real": ["skipped"]}),
        ("test_issue_462_probe", None, {"real": ["passed"], "mock": ["skipped"]}),
    ]


def test_block_round_trips_through_parse_tracking_and_matches_the_same_tests():
    text = render_block(462, gather(CASES, 462))
    read = parse_tracking(text, "docs/issues/ISSUE-462/TRACKING.md")
    assert read.invalid is None, read.invalid
    d = read.defect
    assert d.issue == 462
    assert [(e.test, e.file, e.jobs, e.kind) for e in d.coverage] == [
        ("checkout › Issue #462: totals", "e2e/flow.spec.js", ("mock", "real"), "regression"),
        ("ISSUE-462 reconnects", "a.test.js", ("mock",), "regression"),
        ("ISSUE-462 reconnects", "b.test.js", ("mock",), "regression"),  # only skipped anywhere: where seen
        ("ISSUE-462 reconnects", None, ("real",), "regression"),
        ("test_issue_462_probe", None, ("real",), "regression"),  # skipped in mock: not listed there
    ]
    m = Matcher([d])
    for c in CASES:
        if m.keeper(c.job)(c.name):
            m.add(c)
    for ei, e in enumerate(d.coverage):
        for job in e.jobs:
            assert m.book.get(0, ei, job).total > 0, (e.test, job)
    assert "# seen: mock skipped, real passed" in text


def test_gather_is_bounded():
    g = gather([case(f"#462 t{i}") for i in range(MAX_TESTS + 7)], 462)
    assert len(g.tests) == MAX_TESTS and g.more == 7
    assert "7 more test title(s) mention #462" in render_block(462, g)


HOSTILE = [
    'quote " and \\ backslash',
    "colon: and # hash, - dash, *star &amp {brace} [bracket] |pipe >gt ! % @ `",
    "--- looks like front matter",
    "yes",
    "null",
    "123",
    "tab\there",
    "bell\x07 and del\x7f and \x85 next-line and \ufffe and \U0001f600",
    "'single'",
]


@pytest.mark.parametrize("title", HOSTILE)
def test_hostile_titles_round_trip(title):
    seen = Seen(title=title, file="weird: file#.js", outcomes={"mock": {"passed"}})
    read = parse_tracking(render_block(7, Gathered(tests=[seen])), "x.md")
    assert read.invalid is None, read.invalid
    (e,) = read.defect.coverage
    assert e.test == " ".join(title.split()) and e.file == "weird: file#.js"


@given(st.text(min_size=1, max_size=80).filter(lambda t: t.strip()))
def test_any_title_round_trips(title):
    title = canonical(title)
    seen = Seen(title=title, file=None, outcomes={"real": {"passed"}})
    read = parse_tracking(render_block(7, Gathered(tests=[seen])), "x.md")
    assert read.invalid is None, (title, read.invalid)
    assert read.defect.coverage[0].test == title


def test_yaml_string_escapes_what_yaml_cannot_hold():
    assert yaml_string("a\x07b") == '"a\\u0007b"'
    assert yaml_string("›") == '"›"'


def test_line_separators_in_a_title_cannot_end_the_front_matter():
    # str.splitlines() (and so the parser's line scan) splits at NEL, LS and PS: a raw `\u2028---`
    # inside the quoted title closed the front matter early.
    title = "a\u2028---\u2028b \x85 c \u2029 d"
    text = render_block(462, Gathered(tests=[Seen(title=title, file=None, outcomes={"mock": {"passed"}})]))
    assert "\u2028" not in text and "\x85" not in text and "\u2029" not in text
    read = parse_tracking(text, "docs/issues/ISSUE-462/TRACKING.md")
    assert read.invalid is None, read.invalid
    assert read.defect.coverage[0].test == canonical(title)
