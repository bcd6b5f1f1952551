import datetime as dt
import textwrap

import pytest

from qualify.tracking.parse import issue_from_path, parse_tracking

ISSUE_EXAMPLE = textwrap.dedent("""\
    ---
    qualify:
      issue: 462
      title: conversation_already_has_active_response in the function-call flow
      area: [proxy]
      partner: voice-commerce
      scenario: connect → Settings → user message → function call → backend HTTP → FunctionCallResponse → response
      coverage:
        - test: "6b. Issue #462 / #470: function-call flow completes without conversation_already_has_active_response (partner scenario)"
          file: test-app/tests/e2e/openai-proxy-e2e.spec.js
          kind: scenario
          jobs: [real]
        - test: "Issue #462: no session.update after output_audio.done until output_text.done"
          file: tests/integration/openai-proxy-integration.test.ts
          kind: regression
          jobs: [mock]
        - test: "Issue #462 real-API: audio.done before text.done does not clear responseInProgress (USE_REAL_APIS=1)"
          kind: probe
          jobs: [real]
      exception:
        reason: real-API key unavailable for this patch; re-qualify in the next release
        approved-by: "@release-manager"
        expires: 2026-12-31
    ---
    # ISSUE-462
    """)
PATH = "docs/issues/ISSUE-462/TRACKING.md"


def test_the_issue_example_parses_exactly():
    read = parse_tracking(ISSUE_EXAMPLE, PATH)
    assert read.invalid is None
    d = read.defect
    assert d.issue == 462
    assert d.areas == ("proxy",)
    assert d.partner == "voice-commerce"
    assert d.scenario.startswith("connect → Settings")
    assert [e.kind for e in d.coverage] == ["scenario", "regression", "probe"]
    assert [e.jobs for e in d.coverage] == [("real",), ("mock",), ("real",)]
    assert d.coverage[0].file == "test-app/tests/e2e/openai-proxy-e2e.spec.js"
    assert d.coverage[2].file is None
    assert [e.line for e in d.coverage] == [9, 13, 17]
    assert d.waiver.expires == dt.date(2026, 12, 31)
    assert d.waiver.approved_by == "@release-manager"
    assert d.line == 2


def test_defaults_kind_regression_and_both_jobs():
    d = parse_tracking("---\nqualify:\n  issue: 7\n  coverage:\n    - test: a\n---\n", "x.md").defect
    assert d.coverage[0].kind == "regression"
    assert d.coverage[0].jobs == ("mock", "real")


def test_other_front_matter_keys_are_left_alone():
    text = "---\nlayout: page\ntags: [x]\nqualify:\n  issue: 7\n  coverage: [{test: a}]\n---\n"
    assert parse_tracking(text, "x.md").defect.issue == 7


def test_front_matter_without_qualify_is_not_declared():
    read = parse_tracking("---\nlayout: page\n---\n# notes\n", "docs/issues/ISSUE-470/TRACKING.md")
    assert read.defect is None and read.invalid is None
    assert read.issue_hint == 470


def test_fenced_block_after_a_heading():
    text = "# ISSUE-9\n\nSome text.\n\n```yaml qualify\nissue: 9\ncoverage:\n  - test: a\n    jobs: [mock]\n```\n"
    d = parse_tracking(text, "x.md").defect
    assert d.issue == 9
    assert d.coverage[0].line == 8


def test_fenced_block_may_wrap_under_qualify_key():
    text = "# h\n```yaml qualify\nqualify:\n  issue: 9\n  coverage: [{test: a}]\n```\n"
    assert parse_tracking(text, "x.md").defect.issue == 9


def test_plain_markdown_declares_nothing():
    read = parse_tracking("# Notes\n\n```yaml\nissue: 1\n```\n", "x.md")
    assert read.defect is None and read.invalid is None


@pytest.mark.parametrize(
    ("body", "fragment", "line"),
    [
        ("  issue: abc\n  coverage: [{test: a}]\n", "`issue` must be a positive integer", 3),
        ("  issue: 1\n  coverage: {}\n", "`coverage` must be a non-empty list", 4),
        ("  issue: 1\n  coverage: []\n", "`coverage` must be a non-empty list", 4),
        ("  issue: 1\n  coverage:\n    - test: a\n      jobs: [staging]\n", "`jobs` must be a non-empty subset", 6),
        ("  issue: 1\n  coverage:\n    - test: a\n      kind: smoke\n", "`kind` must be one of", 6),
        ("  issue: 1\n  issue: 2\n  coverage: [{test: a}]\n", "duplicate key 'issue'", 4),
        (
            "  issue: 1\n  coverage: [{test: a}]\n  exception:\n    reason: r\n    approved-by: x\n"
            "    expires: 2026-13-01\n",
            "'2026-13-01' is not a valid date",
            8,
        ),
        ("  issue: 1\n  covrage: [{test: a}]\n", "unknown key 'covrage'", 4),
        ("  issue: 1\n  coverage:\n    - file: x.js\n", "`test` is required", 5),
        (
            "  issue: 1\n  coverage: [{test: a}]\n  exception: {reason: r, approved-by: x}\n",
            "`expires` must be a date",
            5,
        ),
        (
            "  issue: 1\n  coverage: [{test: a}]\n  exception: {reason: r, expires: 2026-01-01}\n",
            "`approved-by` is required",
            5,
        ),
        ("  issue: [1\n", "YAML error", 3),
    ],
)
def test_malformed_blocks_name_the_line(body, fragment, line):
    read = parse_tracking("---\nqualify:\n" + body + "---\n", "docs/issues/ISSUE-1/TRACKING.md")
    assert read.defect is None
    assert read.invalid.code == "tracking-invalid"
    assert fragment in read.invalid.message
    assert read.invalid.line == line
    assert read.invalid.file == "docs/issues/ISSUE-1/TRACKING.md"


def test_front_matter_that_never_closes():
    read = parse_tracking("---\nqualify:\n  issue: 1\n# heading\n", "x.md")
    assert read.invalid.code == "tracking-invalid"
    assert "never closes" in read.invalid.message


def test_yaml_tags_are_not_constructed():
    read = parse_tracking("---\nqualify: !!python/object/apply:os.system ['true']\n---\n", "x.md")
    assert read.invalid is not None and "YAML error" in read.invalid.message


@pytest.mark.parametrize(
    ("path", "issue"),
    [("docs/issues/ISSUE-462/TRACKING.md", 462), ("docs/issues/470/TRACKING.md", 470), ("docs/TRACKING.md", None)],
)
def test_issue_from_path(path, issue):
    assert issue_from_path(path) == issue


EVIDENCE = textwrap.dedent("""\
    ---
    qualify:
      issue: 7
      coverage:
        - test: probe
          jobs: [real]
          evidence:
            - property: upstream
              matches: '^https://api\\.example\\.com/'
            - output: 'POST /v1/\\w+ -> 200'
            - property: real-api
    ---
    """)


def test_evidence_parses_with_lines():
    read = parse_tracking(EVIDENCE, "x.md")
    assert read.invalid is None
    ev = read.defect.coverage[0].evidence
    assert [(e.property, e.pattern, e.line) for e in ev] == [
        ("upstream", r"^https://api\.example\.com/", 8),
        (None, r"POST /v1/\w+ -> 200", 10),
        ("real-api", None, 11),
    ]


@pytest.mark.parametrize(
    ("old", "new", "line", "words"),
    [
        ("'POST /v1/\\w+ -> 200'", "'POST (v1'", 10, "not a valid regular expression"),
        ("- property: real-api", "- property: real-api\n          value: x", 12, "unknown key 'value'"),
        ("- property: real-api", "- property: real-api\n          output: x", 11, "`output` stands alone"),
        ("- property: real-api", "- matches: x", 11, "`property` is required"),
        ("jobs: [real]", "jobs: [mock]", 7, "add real to jobs"),
        ("- output: 'POST /v1/\\w+ -> 200'", "- output: ''", 10, "non-empty regular expression"),
        ("- output: 'POST /v1/\\w+ -> 200'", "- output: 42", 10, "non-empty regular expression"),
        ("- output: 'POST /v1/\\w+ -> 200'", "- 'POST'", 7, "must be a mapping"),
    ],
)
def test_bad_evidence_is_refused_with_its_line(old, new, line, words):
    assert old in EVIDENCE
    read = parse_tracking(EVIDENCE.replace(old, new), "x.md")
    assert read.defect is None
    assert words in read.invalid.message and read.invalid.line == line


def test_evidence_must_be_a_non_empty_list():
    text = "---\nqualify:\n  issue: 7\n  coverage:\n    - test: a\n      evidence: []\n---\n"
    read = parse_tracking(text, "x.md")
    assert "non-empty list" in read.invalid.message and read.invalid.line == 6


def test_overlong_pattern_is_refused():
    text = EVIDENCE.replace("'POST /v1/\\w+ -> 200'", "'" + "a" * 501 + "'")
    assert "longer than 500" in parse_tracking(text, "x.md").invalid.message


@pytest.mark.parametrize(
    ("pattern", "refused"),
    [
        (r"(a+)+$", True),
        (r"(\w+\s?)*$", True),
        (r"(?:x|(y+))+", True),
        (r"(?=(a+)+)", True),
        (r"(?>a+)+", False),  # atomic: no backtracking into it
        (r"(a++)+", False),  # possessive
        (r"(\d{1,3}\.)+", False),  # the inner repetition is bounded
        (r"^POST /v1/\w+ -> 2\d\d$", False),
        (r"a+b+c*", False),
    ],
)
def test_patterns_that_can_backtrack_exponentially_are_refused(pattern, refused):
    text = EVIDENCE.replace("'POST /v1/\\w+ -> 200'", "'" + pattern + "'")
    read = parse_tracking(text, "x.md")
    assert (read.invalid is not None) is refused
    if refused:
        assert "exponential" in read.invalid.message and read.invalid.line == 10


def test_a_wide_block_without_aliases_is_refused_like_an_alias_bomb():
    # No `&`/`*`: the cheap level-by-level count decides, and the exact walk words the refusal.
    items = ", ".join(["x"] * 12_000)
    read = parse_tracking(f"---\nqualify:\n  issue: 7\n  area: [{items}]\n---\n", "docs/issues/ISSUE-7/TRACKING.md")
    assert read.invalid is not None
    assert "expands to more than 10000 values" in read.invalid.message and read.invalid.line == 4


@pytest.mark.parametrize(
    "text",
    [
        ISSUE_EXAMPLE.split("---")[1],
        "a: [1, [2, [3, {b: c}]]]\nd: {e: [f, g]}\n",
        "a: &x [1, 2, 3]\nb: [*x, *x]\n",  # right here, but an alias bomb would make it exponential
        "a: " + "[" * 49 + "]" * 49 + "\n",
        "a: " + "[" * 60 + "]" * 60 + "\n",  # deeper than the plain count goes
    ],
)
def test_plain_size_is_the_expanded_size_or_declines(text):
    import yaml

    from qualify.tracking.parse import _expanded_size, _plain_size

    node = yaml.compose(text, Loader=yaml.SafeLoader)
    plain, exact = _plain_size(node), _expanded_size(node, 0)
    assert plain == (None if text.count("[") > 50 else exact)
