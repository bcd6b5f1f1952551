"""qualify.tracking.draft: what a free-form TRACKING.md says, and the block drafted into it."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qualify.core.matching import canonical
from qualify.tracking import draft as d
from qualify.tracking.lint import load_validator, schema_violations
from qualify.tracking.parse import parse_tracking

VALIDATOR = load_validator()


def facts(text: str, path: str = "docs/issues/ISSUE-462/TRACKING.md") -> d.Facts:
    return d.read_document(text, path)


def quotes(text: str) -> dict[str, tuple[bool, bool]]:
    """quoted phrase -> (cue, strong)"""
    return {q.text: (q.cue, q.strong) for q in facts(text).quotes}


# ---------------------------------------------------------------------------------------------
# Reading


@pytest.mark.parametrize(
    ("path", "heading", "issue", "source"),
    [
        ("docs/issues/ISSUE-462/TRACKING.md", "# Notes", 462, "the folder name ISSUE-462"),
        ("docs/issues/epic-546/ISSUE-555-OPENAI-REAL-API-REGRESSION/TRACKING.md", "# x", 555, None),
        ("docs/issues/epic-546/TRACKING.md", "# Epic", 546, None),
        ("docs/issues/gh_12/TRACKING.md", "# x", 12, None),
        ("docs/issues/470/TRACKING.md", "# x", 470, None),
        ("docs/notes/TRACKING.md", "# Issue #88 – Tracking: flaky reconnect", 88, "the first heading"),
        ("docs/notes/TRACKING.md", "# Two: #88 and #89", None, ""),
        ("docs/notes/TRACKING.md", "# No number", None, ""),
    ],
)
def test_issue_from_the_nearest_folder_else_the_heading(path, heading, issue, source):
    f = facts(heading + "\n", path)
    assert f.issue == issue
    if source is not None:
        assert f.issue_source == source


def test_folder_and_heading_that_disagree_are_both_said():
    f = facts("# Issue #99: wrong one\n", "docs/issues/ISSUE-98/TRACKING.md")
    assert f.issue == 98 and f.issue_conflict == "#99"
    assert "the first heading says #99" in "\n".join(d.render_block(_draft(f)))


@pytest.mark.parametrize(
    ("heading", "title"),
    [
        (
            "# Issue #462 – Tracking: conversation_already_has_active_response on 0.9.1",
            "conversation_already_has_active_response on 0.9.1",
        ),
        ("# Issue #544 — Tracking", None),
        ("# Issue #480 – Tracking (TDD)", None),
        (
            "# Tracking — GitHub #555 (OpenAI proxy real-API integration regression)",
            "OpenAI proxy real-API integration regression",
        ),
        ("# ISSUE-462: `session.update` sent **twice**", "session.update sent twice"),
        ("# Epic #455 – Tracking each child to completion", "Tracking each child to completion"),
        ("## [#12](https://x/12): a [linked](https://y) title", "a linked title"),
    ],
)
def test_title_from_the_first_heading_without_the_issue_prefix(heading, title):
    assert facts(heading + "\n\ntext\n").title == title


def test_quoted_titles_with_a_test_cue_and_without():
    text = "\n".join(
        [
            "# Issue #462",
            "TDD: added failing test (Issue #462: no session.update after output_audio.done until output_text.done).",
            'Covered by E2E test **6b** in `test-app/tests/e2e/flow.spec.js`: *"Issue #462 / #470: flow completes (partner scenario)"*.',
            'It failed with the target error (*"Conversation already has an active response in progress"*).',
            "Added `tests/integration/proxy.test.ts`: “Issue #459: does not send session.update while active”.",
            "Change tests so they assert “proxy does not send session.update while active”.",
            "Run integration test (mock and, when available, real API); confirm RED.",
            "**When run with mock:** Test is skipped.",
            "- Jest *reschedules audio commit…* green; **8 passed / 11 failed** (Jest)",
            "- `(useRealAPIs ? it : it.skip)('Issue #480 real-API: context yields reply', ...)`",
            '- mock: 3× `-t "Issue #560 scheduler"`; `npm test -- x.test.ts --testNamePattern="Issue #480 real-API"`',
        ]
    )
    got = quotes(text)
    assert got["Issue #462: no session.update after output_audio.done until output_text.done"] == (True, True)
    assert got["Issue #462 / #470: flow completes (partner scenario)"] == (True, False)
    assert got["Conversation already has an active response in progress"] == (False, False)
    assert got["Issue #459: does not send session.update while active"] == (True, False)
    assert got["proxy does not send session.update while active"] == (False, False)  # "assert" blocks the cue
    assert got["reschedules audio commit…"] == (True, False)
    assert got["Issue #480 real-API: context yields reply"] == (True, True)
    for absent in (
        "mock and, when available, real API",  # a remark in parentheses, not a title
        "When run with mock",  # a label
        "8 passed / 11 failed",  # a tally
        "Issue #560 scheduler",  # a name filter in a command
        "Issue #480 real-API",
    ):
        assert absent not in got
    file = {q.text: q.file for q in facts(text).quotes}
    assert file["Issue #462 / #470: flow completes (partner scenario)"] == "test-app/tests/e2e/flow.spec.js"
    assert file["Issue #459: does not send session.update while active"] == "tests/integration/proxy.test.ts"


def test_a_test_column_makes_its_leading_cell_text_a_title():
    text = "\n".join(
        [
            "# x",
            "| # | Spec | Test title (approx.) | Status |",
            "|---|------|------------------|--------|",
            "| 1 | `e2e/callback-test.spec.js` | `should test the callback with agent response` | done, error `Target page, context or browser has been closed` |",
            "| 2 | `e2e/x.spec.js` | `3b. Multi-turn after disconnect – history kept` | done |",
        ]
    )
    got = quotes(text)
    assert got["should test the callback with agent response"] == (True, True)
    assert got["3b. Multi-turn after disconnect – history kept"] == (True, True)
    assert got["Target page, context or browser has been closed"] == (False, False)
    assert {q.text: q.file for q in facts(text).quotes}["should test the callback with agent response"] == (
        "e2e/callback-test.spec.js"
    )


def test_code_blocks_give_only_titles_passed_to_it_or_test():
    text = "# x\n```js\nit('Issue #9: keeps the order of events', () => {})\nconst msg = \"a long string that is no title\";\n```\n"
    assert quotes(text) == {"Issue #9: keeps the order of events": (True, True)}


def test_partner_and_its_flow():
    text = (
        "# Issue #462\n\n**Partner scenario E2E coverage (Issue #470):** The voice-commerce flow (connect → Settings → "
        "one user message → function call → `FunctionCallResponse` → API response) is covered by E2E test 6b.\n"
        "Release: Branch `issue-561` → **`main`** → tag → publish.\n"
    )
    f = facts(text)
    assert f.partner is not None and f.partner.value == "voice-commerce" and f.partner.line == 3
    assert f.chain is not None and f.chain_is_partners
    assert f.steps == (
        "connect",
        "Settings",
        "one user message",
        "function call",
        "FunctionCallResponse",
        "API response",
    )


@pytest.mark.parametrize(
    ("text", "partner", "mentioned"),
    [
        ("Reported by **Acme Voice** on 2026-01-02.", "Acme Voice", False),
        ("reported by the partner acme-retail during onboarding", "acme-retail", False),
        ("Partner: `globex`", "globex", False),
        ("The partner saw it on every call.", None, True),
        ("A partner-style E2E runs the flow.", None, False),
        ("Notify integrators (e.g. Voice Commerce).", None, False),
    ],
)
def test_partner_phrases(text, partner, mentioned):
    f = facts("# x\n\n" + text + "\n")
    assert (f.partner.value if f.partner else None) == partner
    assert (f.partner_mentioned is not None) is mentioned


def test_a_chain_without_a_partner_is_only_a_commented_proposal():
    f = facts(
        "# x\n\nFlow: Settings (tools; no forced modalities) → InjectUserMessage → FunctionCallRequest → reply.\n"
    )
    assert f.partner is None and f.chain is not None and not f.chain_is_partners
    assert f.steps == ("Settings", "InjectUserMessage", "FunctionCallRequest", "reply")
    lines = d.render_block(_draft(f))
    assert any(ln.startswith("  # scenario: ") for ln in lines)
    assert not any(ln.startswith("  scenario:") for ln in lines)


def test_area_from_the_words_the_prose_uses():
    f = facts("# Proxy drops frames\n\nThe proxy … `packages/voice-agent-backend`, ``backend`` in code.\n")
    assert f.areas == (("proxy", 2),)  # once in the title is enough; code spans do not count
    f = facts("# x\n\nRun with `USE_REAL_APIS=1`.\n")
    assert f.areas == () and f.real_api is not None
    assert any("# area: [backend]  # the doc mentions" in ln for ln in d.render_block(_draft(f)))


@pytest.mark.parametrize(
    ("description", "partner", "kind"),
    [
        ("6b. flow completes (partner scenario)", None, "scenario"),
        ("the E2E of the voice-commerce flow", "voice-commerce", "scenario"),
        ("an E2E test of the partner's flow, end to end", "acme", "scenario"),
        ("an E2E test of the login page", "acme", "regression"),
        ("a minimal real-API probe of audio.done", None, "probe"),
        ("does not send session.update", None, "regression"),
    ],
)
def test_kind(description, partner, kind):
    said = d.Said(partner, 1, partner) if partner else None
    assert d.kind_of(description, said)[0] == kind


# ---------------------------------------------------------------------------------------------
# Rendering and inserting


def _draft(f: d.Facts, titles: list[str] | None = None) -> d.Draft:
    f = f if f.issue is not None else d.Facts(**{**_fields(f), "issue": 1, "issue_source": "test"})
    entries = [d.Entry(d.NOT_FOUND, t, d.Quote(t, 1, True, True, None, "")) for t in (titles or ["a test title"])]
    return d.Draft(f, tuple(entries))


def _fields(f: d.Facts) -> dict:
    return {name: getattr(f, name) for name in d.Facts.__dataclass_fields__}


def roundtrip(text: str, f: d.Facts, titles: list[str]) -> str:
    block = d.render_block(_draft(f, titles))
    ins = d.insert_block(text, block)
    assert ins.text == text[: ins.offset] + ins.inserted + text[ins.offset :]
    read = parse_tracking(ins.text, f.path)
    assert read.invalid is None, (read.invalid, ins.inserted)
    assert read.defect is not None
    assert [e.test for e in read.defect.coverage] == [canonical(t) for t in titles]
    assert schema_violations(ins.text, VALIDATOR) == []
    return ins.text


@pytest.mark.parametrize(
    ("text", "form", "starts"),
    [
        ("# Title\n\nbody\n", "fenced block after the first heading", "# Title\n\n```yaml qualify\n"),
        ("# Title\r\n\r\nbody\r\n", "fenced block after the first heading", "# Title\r\n\r\n```yaml qualify\r\n"),
        ("\n\n## Title\nbody", "fenced block after the first heading", "\n\n## Title\n\n```yaml qualify\n"),
        ("# Title", "fenced block after the first heading", "# Title\n\n```yaml qualify\n"),
        ("Notes first\n# Title\n", "front matter", "---\nqualify:\n"),
        ("\ufeffPlain text, no heading", "front matter", "\ufeff---\nqualify:\n"),
        ("\ufeff# Title\n", "fenced block after the first heading", "\ufeff# Title\n\n```yaml qualify\n"),
        (
            "---\nowner: team-a\n---\n# Title\n",
            "fenced block after the front matter",
            "---\nowner: team-a\n---\n\n```yaml qualify\n",
        ),
        ("", "front matter", "---\nqualify:\n"),
    ],
)
def test_insertion_keeps_every_original_character_line_ends_and_a_missing_final_newline(text, form, starts):
    f = facts(text or "x")
    ins = d.insert_block(text, d.render_block(_draft(f)))
    assert ins.form == form
    assert ins.text.startswith(starts)
    assert ins.text == text[: ins.offset] + ins.inserted + text[ins.offset :]
    assert ins.text.endswith("\n") == (text.endswith("\n") or text in ("", "\ufeff"))
    if "\r\n" in text:
        assert "\n" not in ins.inserted.replace("\r\n", "")
    roundtrip(text, f, ["a test title"])


def test_a_missing_final_newline_stays_missing():
    for text in ("# Title", "# Title\n\nlast line without newline"):
        ins = d.insert_block(text, d.render_block(_draft(facts(text))))
        assert not ins.text.endswith("\n")


HOSTILE_TITLES = [
    'a "quoted" title: with colon # and hash',
    "---",
    "```",
    "line\nbreak and\r\nCRLF",
    "ls\u2028---\u2028ps\u2029nel\x85end",
    "tab\tand NUL\x00 and bell\x07 and del\x7f",
    "yes",
    "- [x] looks like a list: {a: 1}",
    "' single' and \\ backslash and \\u0041",
    "x" * 3000,
]


@pytest.mark.parametrize("title", HOSTILE_TITLES)
def test_hostile_titles_never_break_the_block(title):
    for text in ("# Heading\n\nbody\n", "no heading\n"):
        new = roundtrip(text, facts(text), [title, "a plain one"])
        assert new.count("```yaml qualify") <= 1


def test_hostile_document_text_in_comments_stays_in_the_comments():
    # Partner, chain steps and quotes reach comments: a line break there would make YAML of them.
    text = "# Issue #7 — x\u2028qualify: 1\n\nReported by **Evil\u2028issue: 9**.\nThe evil flow (a\u2028--- → b\x85c → d ``` e) for partner.\n"
    f = facts(text, "docs/issues/ISSUE-7/TRACKING.md")
    new = roundtrip(text, f, ["t"])
    assert parse_tracking(new, f.path).defect.issue == 7


words = st.sampled_from(
    [
        "test",
        "Issue #12:",
        "the",
        "flow",
        "→",
        "->",
        "`",
        "**",
        "*",
        "_",
        '"',
        "“",
        "”",
        "(",
        ")",
        "|",
        "---",
        "```",
        "partner",
        "reported by",
        "proxy",
        "backend",
        "USE_REAL_APIS=1",
        ":",
        "#",
        "\n",
        "\r\n",
        "\u2028",
        "\x85",
        "…",
        "it('",
        "')",
        "e2e",
        "x.test.ts",
        "- [ ]",
        "✅",
        "⬜",
        "\t",
        "\x00",
        "é",
        "😀",
    ]
)
documents = st.lists(st.one_of(words, st.text(max_size=6)), max_size=80).map("".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=documents, heading=st.booleans())
def test_any_document_gives_facts_and_a_block_that_reads_back(body, heading):
    text = "# Issue #12 " + body if heading else body
    f = facts(text, "docs/issues/ISSUE-12/TRACKING.md")
    assert f.issue == 12
    titles = [q.text for q in f.quotes][:5] or ["fallback title"]
    roundtrip(text, f, titles)
