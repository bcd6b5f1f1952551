"""`scenario` as a list of steps and `events` in TRACKING.md; `qualify lint` and `qualify init` on them."""

import io

import pytest

from qualify.app.init import Gathered, Known, Seen, render_block, scenario_steps
from qualify.tracking.lint import lint_files, static_findings
from qualify.tracking.parse import MAX_STEPS, parse_tracking

HEAD = "---\nqualify:\n  issue: 462\n  partner: voice-commerce\n"
COVERAGE = (
    "  coverage:\n    - test: e2e\n      kind: scenario\n      jobs: [real]\n    - test: reg\n      jobs: [mock]\n---\n"
)


def read(block: str):
    return parse_tracking(HEAD + block + COVERAGE, "docs/issues/ISSUE-462/TRACKING.md")


def test_steps_with_their_lines_and_the_scenario_as_words():
    r = read(
        "  scenario:\n"
        "    - connect: 'session\\.created'\n"
        "    - \"user   message\": 'conversation\\.item\\.create'\n"
        "    - function call: response\\.function_call_arguments\\.done\n"
        '  events: \'"type":\\s*"([\\w.]+)"\'\n'
    )
    assert r.invalid is None, r.invalid
    d = r.defect
    assert [(s.name, s.pattern, s.line) for s in d.steps] == [
        ("connect", r"session\.created", 6),
        ("user message", r"conversation\.item\.create", 7),
        ("function call", r"response\.function_call_arguments\.done", 8),
    ]
    assert d.scenario == "connect → user message → function call" and d.scenario_line == 5
    assert d.events == r'"type":\s*"([\w.]+)"' and d.events_line == 9


def test_the_sentence_stays_valid():
    d = read("  scenario: connect → Settings\n").defect
    assert d.scenario == "connect → Settings" and d.steps == () and d.scenario_line == 5


@pytest.mark.parametrize(
    ("block", "line", "fragment"),
    [
        ("  scenario: []\n", 5, "`scenario` must be the partner's flow as text, or a list of steps"),
        ("  scenario:\n    - connect\n", 5, "scenario step 1 must be one `name: pattern` mapping"),
        ("  scenario:\n    - a: x\n      b: y\n", 6, "scenario step 1 must be one `name: pattern` mapping"),
        ("  scenario:\n    - a: '(x'\n", 6, "the pattern of scenario step 1 (a) is not a valid regular expression"),
        ("  scenario:\n    - a: '(x+)+'\n", 6, "the pattern of scenario step 1 (a) nests a repetition"),
        ("  scenario:\n    - a:\n", 6, "the pattern of scenario step 1 (a) must be a non-empty regular expression"),
        ("  scenario:\n    - a: x\n    - a: y\n", 7, "scenario step 2: step 'a' is listed twice (first as step 1)"),
        ("  scenario:\n    - 7: x\n", 6, "scenario step 1: the step name must be non-empty text, got 7"),
        ("  scenario:\n    - a: " + "x" * 501 + "\n", 6, "is longer than 500 characters"),
        ("  events: 'no group'\n", 5, "`events` must have exactly one group"),
        ("  events: '(a)(b)'\n", 5, "`events` must have exactly one group"),
        ("  events: '(x'\n", 5, "`events` is not a valid regular expression"),
    ],
)
def test_mistakes_name_the_line(block, line, fragment):
    r = read(block)
    assert r.invalid is not None and r.invalid.line == line, r.invalid
    assert fragment in r.invalid.message


def test_steps_are_bounded():
    many = "".join(f"    - s{i}: x\n" for i in range(MAX_STEPS + 1))
    r = read("  scenario:\n" + many)
    assert r.invalid is not None and f"more than {MAX_STEPS}" in r.invalid.message


def test_lint_warns_about_a_sentence_without_counting_it_as_a_problem(tmp_path):
    path = tmp_path / "TRACKING.md"
    path.write_text(HEAD + "  scenario: connect → Settings\n" + COVERAGE)
    out = io.StringIO()
    assert lint_files([(path, str(path))], out) == 0
    assert f"{path}:5: warning: scenario-unverified: `scenario` is a sentence" in out.getvalue()
    assert out.getvalue().endswith("1 file(s) checked, 0 problem(s)\n")


def test_lint_is_quiet_about_steps_and_warns_about_events_without_a_test_in_both_jobs(tmp_path):
    path = tmp_path / "TRACKING.md"
    path.write_text(HEAD + "  scenario:\n    - connect: x\n  events: '(\\w+)'\n" + COVERAGE)
    out = io.StringIO()
    assert lint_files([(path, str(path))], out) == 0
    assert "scenario-unverified" not in out.getvalue()
    assert f"{path}:7: warning: mock-drift: `events` is set, but no declared test runs in both jobs" in out.getvalue()
    d = parse_tracking(path.read_text(), "x").defect
    assert [f.severity for f in static_findings(d)] == ["warning"]


def test_init_proposes_the_steps_of_an_arrow_sentence_as_comments_to_fill_in():
    assert scenario_steps("connect → Settings -> user message => call ⇒ done") == [
        "connect", "Settings", "user message", "call", "done"
    ]  # fmt: skip
    assert scenario_steps("the partner calls us") == []
    seen = Seen(title="e2e", file=None, outcomes={"real": {"passed"}})
    known = Known(partner="voice-commerce", scenario="connect → Settings → key: value")
    text = render_block(462, Gathered(tests=[seen]), known)
    assert '  scenario: "connect → Settings → key: value"\n  # scenario:\n' in text
    assert (
        "  #   - connect: 'TODO: regex'\n  #   - Settings: 'TODO: regex'\n  #   - \"key: value\": 'TODO: regex'\n"
        in text
    )
    # As printed, the block is valid (the sentence); uncommented and filled in, the steps are.
    assert parse_tracking(text, "x").defect.scenario == "connect → Settings → key: value"
    lines = text.splitlines()
    start = lines.index("  # scenario:")
    filled = [line for line in lines if not line.startswith("  scenario: ")]
    for i in range(start - 1, start + 3):
        filled[i] = filled[i].replace("  # ", "  ", 1).replace("TODO: regex", "x")
    d = parse_tracking("\n".join(filled) + "\n", "x").defect
    assert [s.name for s in d.steps] == ["connect", "Settings", "key: value"]


def test_init_keeps_declared_steps_and_events():
    from qualify.core.model import Step

    known = Known(title="t", areas=("proxy",), partner="p", steps=(Step("a b", "it's \\d", 3),), events="(\\w+)")
    text = render_block(462, Gathered(tests=[Seen(title="e2e", file=None, outcomes={"real": {"passed"}})]), known)
    d = parse_tracking(text, "x").defect
    assert [(s.name, s.pattern) for s in d.steps] == [("a b", "it's \\d")] and d.events == "(\\w+)"
    assert d.title == "t" and d.areas == ("proxy",) and d.partner == "p"


def test_init_reads_the_issues_current_declaration():
    from builders import EXAMPLES

    from qualify.app.init import existing

    known = existing(462, ["docs/issues/**/TRACKING.md"], EXAMPLES)
    assert known is not None and known.partner == "voice-commerce" and len(known.steps) == 7
    assert existing(999, ["docs/issues/**/TRACKING.md"], EXAMPLES) is None
