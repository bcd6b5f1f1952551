from builders import case, defect, entry

from qualify.matching import Matcher, canonical, paths_match
from qualify.model import Outcome, Status


def run(entries, cases):
    m = Matcher([defect(*entries)])
    for c in cases:
        if m.wants(c.name):
            m.add(c)
    return [m.book.get(0, i, job) for i in range(len(entries)) for job in ("mock", "real")]


def status(entries, cases, index=0, job="mock"):
    m = Matcher([defect(*entries)])
    for c in cases:
        if m.wants(c.name):
            m.add(c)
    return m.book.get(0, index, job)


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
