import pytest
from builders import case, defect, entry, output

from qualify.core.matching import MAX_NEAR, MAX_WORD_TARGETS, Matcher, canonical, mentioned_issues, paths_match
from qualify.core.model import Outcome, Status


def _matched(entries, cases) -> Matcher:
    """The matcher after a read: each job's testcases through that job's filter, as a reader applies it."""
    m = Matcher([defect(*entries)])
    keep = {job: m.keeper(job) for job in ("mock", "real")}
    for c in cases:
        if keep[c.job](c.name, {"classname": c.classname}):
            m.add(c)
    return m


def run(entries, cases):
    m = _matched(entries, cases)
    return [m.book.get(0, i, job) for i in range(len(entries)) for job in ("mock", "real")]


def status(entries, cases, index=0, job="mock"):
    return _matched(entries, cases).book.get(0, index, job)


def test_canonical_normalises_separators_and_whitespace():
    assert canonical("A  ›  b") == canonical("A > b") == canonical("A::b") == "A › b"
    assert canonical("  x\t y \n") == "x y"


def test_playwright_describe_path_and_title():
    c = case(
        "OpenAI proxy E2E › 6b. flow completes",
        classname="e2e/openai-proxy-e2e.spec.js",
        file="e2e/openai-proxy-e2e.spec.js",
    )
    assert status([entry("6b. flow completes")], [c]).status is Status.PASSED
    assert status([entry("OpenAI proxy E2E › 6b. flow completes")], [c]).status is Status.PASSED
    assert status([entry("OpenAI proxy E2E > 6b. flow completes")], [c]).status is Status.PASSED


def test_a_fragment_of_a_title_does_not_match():
    c = case("E2E › function-call flow completes the flow", classname="a.spec.js")
    assert status([entry("completes the flow")], [c]).status is Status.NOT_FOUND
    assert status([entry("flow")], [c]).status is Status.NOT_FOUND


def test_suffix_title_does_not_match_longer_title_with_components():
    short = case("suite › completes the flow", classname="a.spec.js", outcome=Outcome.FAILED)
    longer = case("suite › function-call flow completes the flow", classname="a.spec.js")
    m = status([entry("completes the flow")], [short, longer])
    assert m.total == 1 and m.status is Status.FAILED


def test_jest_default_space_joined_matches_at_word_boundary_only():
    c = case(
        "OpenAI proxy integration Issue #462: no session.update",
        classname="OpenAI proxy integration Issue #462: no session.update",
    )
    m = status([entry("Issue #462: no session.update")], [c])
    assert m.status is Status.PASSED and m.word_boundary == 1
    assert status([entry("462: no session.update")], [c]).status is Status.NOT_FOUND  # "#462:" is one word


def test_component_match_wins_over_word_boundary_match():
    exact = case("completes the flow", classname="suite", outcome=Outcome.FAILED)
    wordy = case("x completes the flow", classname="x completes the flow")
    m = status([entry("completes the flow")], [wordy, exact])
    assert m.total == 1 and m.status is Status.FAILED


def test_file_narrows_a_title_shared_by_two_files():
    a = case("suite › same title", classname="tests/a.spec.js", file="tests/a.spec.js", outcome=Outcome.FAILED)
    b = case("suite › same title", classname="tests/b.spec.js", file="tests/b.spec.js")
    assert status([entry("same title", file="repo/tests/b.spec.js")], [a, b]).status is Status.PASSED
    assert status([entry("same title", file="a.spec.js")], [a, b]).status is Status.FAILED
    assert status([entry("same title")], [a, b]).status is Status.FAILED  # all matches must pass


def test_file_not_verified_when_results_have_no_file():
    c = case("t one", classname="t one")
    m = status([entry("t one", file="x.test.js")], [c])
    assert m.status is Status.PASSED and m.file_unverified == 1


def test_pytest_params_and_dotted_classname():
    cases = [
        case("test_flow[a]", classname="tests.test_proxy.TestFlow"),
        case("test_flow[b]", classname="tests.test_proxy.TestFlow", outcome=Outcome.SKIPPED),
    ]
    m = status([entry("test_flow")], cases)
    assert m.total == 2 and m.status is Status.PASSED
    assert status([entry("TestFlow::test_flow[b]")], cases).status is Status.SKIPPED
    assert status([entry("test_proxy.TestFlow::test_flow")], cases).status is Status.NOT_FOUND  # '.' is not '::'


def test_mocha_full_title_in_name_title_in_classname():
    c = case("proxy reconnects after close", classname="reconnects after close")
    assert status([entry("reconnects after close")], [c]).status is Status.PASSED
    assert status([entry("after close")], [c]).status is Status.NOT_FOUND


def test_nested_suites_form_a_path():
    c = case("handles close", classname="test", suites=("proxy", "upstream"))
    assert status([entry("upstream › handles close")], [c]).status is Status.PASSED


def test_status_aggregation():
    passed = case("t", classname="s")
    skipped = case("t", classname="s", outcome=Outcome.SKIPPED)
    failed = case("t", classname="s", outcome=Outcome.FAILED)
    flaky = case("t", classname="s", flaky=True)
    assert status([entry("t")], [passed, skipped]).status is Status.PASSED
    assert status([entry("t")], [skipped, skipped]).status is Status.SKIPPED
    assert status([entry("t")], [passed, failed]).status is Status.FAILED
    m = status([entry("t")], [flaky])
    assert m.status is Status.PASSED and m.flaky == 1


def test_jobs_are_kept_apart():
    c = case("t", classname="s", job="real")
    assert status([entry("t")], [c], job="mock").status is Status.NOT_FOUND
    assert status([entry("t")], [c], job="real").status is Status.PASSED


def test_wants_filters_cheaply():
    m = Matcher([defect(entry("flow completes"), entry("test_y"))])
    assert m.wants("a › flow completes")
    assert m.wants("test_y[1-2]")
    assert not m.wants("something else")


def test_paths_match_by_whole_components_either_direction():
    assert paths_match("test-app/tests/e2e/x.spec.js", "x.spec.js")
    assert paths_match("x.spec.js", "e2e/x.spec.js")
    assert not paths_match("tests/ax.spec.js", "x.spec.js")
    assert not paths_match("a/x.spec.js", "b/x.spec.js")


def test_a_title_with_a_slash_is_not_taken_for_a_file():
    title = "parser escapes <b>bold</b> & quotes"
    c = case(title, classname=title)  # jest-junit default: classname == name
    assert status([entry("escapes <b>bold</b> & quotes", file="__tests__/parser.test.js")], [c]).status is Status.PASSED


def feed(m: Matcher, cases):
    keep = {job: m.keeper(job) for job in ("mock", "real")}
    for c in cases:
        if keep[c.job](c.name):
            m.add(c)
    return m


@pytest.mark.parametrize(
    ("name", "issues"),
    [
        ("Issue #462: flow", {462}),
        ("#462 flow", {462}),
        ("flow (# 462)", {462}),
        ("ISSUE-462 flow", {462}),
        ("test_issue_462_flow", {462}),
        ("issue462 flow", {462}),
        ("Issue #462 / #470: flow", {462, 470}),
        ('doubles "#470" to "#470#470"', {470}),
        ("returns 462 items", set()),
        ("handles #4620", {4620}),
        ("test_rejects_card_462", set()),  # a bare number is not a mention
        ("tissue 462", set()),
        ("C#462", set()),
    ],
)
def test_mentioned_issues(name, issues):
    assert mentioned_issues(name) == issues


def test_keeper_keeps_what_wants_keeps():
    m = Matcher([defect(entry("flow completes"), entry("test_y"))])
    keep = m.keeper("mock")
    for name in ["a › flow completes", "test_y[1-2]", "something else", "x flow", "#462 other"]:
        assert keep(name) == (m.wants(name) or name == "#462 other")


def test_near_misses_are_bounded_and_keep_the_best():
    m = Matcher([defect(entry("payments › refunds a partial order", jobs=["mock"]))])
    noise = [case(f"suite {i} › some order") for i in range(MAX_NEAR * 50)]
    best = case("payments › refunds a partial order twice")  # last word differs, the one before is a title word
    feed(m, [*noise[:10], best, *noise[10:]])
    near = m.book.near[(0, 0, "mock")]
    assert len(near.heap) == MAX_NEAR and len(near.names) == MAX_NEAR
    assert m.book.closest(0, 0, "mock")[0] == "payments › refunds a partial order twice"


def test_near_misses_are_not_kept_for_unrelated_names():
    m = feed(Matcher([defect(entry("refunds a partial order"))]), [case("alpha beta"), case("gamma")])
    assert m.book.near == {} and m.book.closest(0, 0, "mock") == ()


def test_a_word_shared_by_many_declared_titles_does_not_feed_near_misses():
    # 2,000 declared tests sharing words made every testcase be offered to hundreds of them (100 s
    # at 1M testcases); a word in more than MAX_WORD_TARGETS titles is not distinctive.
    titles = [f"checkout flow {i:03d} order" for i in range(MAX_WORD_TARGETS + 1)]
    m = feed(Matcher([defect(*(entry(t, jobs=["mock"]) for t in titles))]), [case("payments › order")] * 50)
    assert m.book.near == {}
    few = [f"checkout flow {i:03d} order" for i in range(MAX_WORD_TARGETS)]
    m = feed(Matcher([defect(*(entry(t, jobs=["mock"]) for t in few))]), [case("payments › order")])
    assert len(m.book.near) == MAX_WORD_TARGETS


def test_undeclared_excludes_tests_declared_in_either_job():
    d = defect(entry("Issue #462: declared", jobs=["real"]))
    m = feed(Matcher([d]), [case("Issue #462: declared"), case("Issue #462: other", job="real")])
    assert list(m.book.undeclared_for(0).cases) == ["Issue #462: other"]


def test_examples_do_not_hold_captured_output():
    e = entry("t", jobs=["real"], evidence=[output("x")])
    m = feed(Matcher([defect(e)]), [case("t", classname="s", job="real", output="x" * 1000, properties=[("a", "b")])])
    got = m.book.get(0, 0, "real")
    assert got.evidenced == 1 and got.examples[0].output == "" and got.examples[0].properties == ()


def test_a_word_common_in_one_job_still_proposes_in_the_other():
    from qualify.core.matching import MAX_WORD_HITS

    m = Matcher([defect(entry("refunds a partial order", jobs=["real"]))])
    mock = [case(f"suite {i} › some order") for i in range(MAX_WORD_HITS + 10)]
    feed(m, [*mock, case("refunds the whole order", job="real")])  # shares only the common word
    assert m.book.closest(0, 0, "real") == ("refunds the whole order",)


def test_a_kept_testcase_is_a_near_miss_only_of_the_tests_it_did_not_match():
    # Kept testcases take their near-miss side-look in `add`, after matching: the test they matched
    # is found (its near misses are never named); another declared test sharing a word still gets them.
    m = Matcher([defect(entry("refunds a partial order", jobs=["mock"]), entry("cancels the order", jobs=["mock"]))])
    feed(m, [case("payments › refunds a partial order")])
    assert m.book.get(0, 0, "mock").total == 1
    assert (0, 0, "mock") not in m.book.near
    assert m.book.closest(0, 1, "mock") == ("payments › refunds a partial order",)


def _cost_per_name(decoys: int, names: list[str]) -> list[int]:
    """Lookups + comparisons the filter and `add` make for each name, with 20 declared titles the
    names can match plus `decoys` more that end with the same words (the shape that made matching
    O(testcases x declared), issue #18)."""
    titles = [f"flow {i} holds under load (USE_REAL_APIS=1)" for i in range(10)]
    titles += [f"step {i} works" for i in range(10)]
    titles += [f"flow {1000 + i} holds under load (USE_REAL_APIS=1)" for i in range(decoys // 2)]
    titles += [f"other step {i} works" for i in range(decoys // 2)]
    m = Matcher([defect(*(entry(t, jobs=["mock"]) for t in titles))])
    keep = m.keeper("mock")
    spent = []
    for name in names:
        before = m.cost.lookups + m.cost.compares
        if keep(name):
            m.add(case(name, classname="suite › nested"))
        spent.append(m.cost.lookups + m.cost.compares - before)
    return spent


def test_matching_cost_per_testcase_does_not_grow_with_declared_tests():
    names = [f"suite › nested › flow {i} holds under load (USE_REAL_APIS=1)" for i in range(0, 400, 7)]
    names += [f"api {i} still works" for i in range(50)] + [f"suite › step {i} works" for i in range(0, 40, 3)]
    names += [f"flow {i} holds under load (USE_REAL_APIS=1) [param {i}]" for i in range(20)]
    few, many = _cost_per_name(10, names), _cost_per_name(4000, names)
    # About the same work per name (a name's walk may go a word further, in each of its forms, where
    # more titles share its ending), bounded by the name's own words, not by the 10 or 4,000 titles
    # that end like it.
    assert all(m <= 2 * f for f, m in zip(few, many, strict=True))
    assert all(cost <= 4 * (len(name.split()) + 2) for cost, name in zip(many, names, strict=True))
    assert sum(many) <= 1.2 * sum(few)
