"""PyYAML errors in plain words: the common mistakes, each with the line to fix and PyYAML's text kept."""

from __future__ import annotations

import pytest

from qualify.tracking.parse import parse_tracking

# (block after `---\nqualify:\n`, the line to fix, the plain sentence, PyYAML's own text after it)
CASES = [
    (
        "indentation-key-shallower",
        "  issue: 1\n title: x\n",
        4,
        "indentation: line 4 is indented differently from the key above it; keys of one mapping start in the same "
        "column, and a list item's keys line up after its `- `",
        "while parsing a block mapping, expected <block end>, but found '<block mapping start>'",
    ),
    (
        "indentation-list-item-key",
        "  issue: 1\n  coverage:\n    - test: a\n    jobs: [mock]\n",
        6,
        "indentation: line 6 is indented differently from the key above it",
        "expected <block end>, but found '?'",
    ),
    (
        "indentation-key-deeper",
        "  issue: 1\n   title: x\n",
        4,
        "indentation: line 4 is indented deeper than the key above it; keys of one mapping start in the same column",
        "mapping values are not allowed here",
    ),
    (
        "indentation-under-plain-list-item",
        "  area:\n    - backend\n      title: x\n",
        5,
        "indentation: line 5 is indented under the list item on line 4, which is plain text; indent it like the key "
        "it belongs to",
        "mapping values are not allowed here",
    ),
    (
        "list-item-out-of-place",
        "  issue: 1\n  - test: a\n",
        4,
        "list item out of place: line 4 starts a list item `- ` where a key was expected",
        "expected <block end>, but found '-'",
    ),
    (
        "tab",
        "  issue: 1\n\ttitle: x\n",
        4,
        "tab: line 4 has a tab character; YAML indents with spaces only, replace it",
        "found character '\\t' that cannot start any token",
    ),
    (
        "unclosed-double-quote",
        '  issue: 1\n  title: "abc\n  area: [proxy]\n',
        4,
        "unclosed quote: the quote opened on line 4 is never closed; close it on that line",
        "while scanning a quoted scalar, found unexpected end of stream",
    ),
    (
        "unclosed-single-quote",
        "  title: 'abc\n  issue: 1\n",
        3,
        "unclosed quote: the quote opened on line 3 is never closed",
        "found unexpected end of stream",
    ),
    (
        "second-colon-in-value",
        "  issue: 1\n  title: fix: the thing\n",
        4,
        "colon in a value: line 4 has a second `: `; put the whole value in quotes, e.g. title: 'fix: the thing'",
        "mapping values are not allowed here",
    ),
    (
        "missing-colon-then-key",
        "  issue 1\n  title: x\n",
        3,
        "missing colon: line 3 has no `key: value` (a colon followed by a space), so line 4 cannot start a key "
        "there; add the colon and space on line 3",
        "mapping values are not allowed here",
    ),
    (
        "missing-space-after-colon",
        "  coverage:\n    - test:a\n      jobs: [mock]\n",
        4,
        "missing space: line 4 has `test:a`, a colon without a space after it, so YAML reads it as text; write "
        "`test: a`",
        "mapping values are not allowed here",
    ),
    (
        "missing-colon-last-line",
        "  issue: 1\n  title x\n  area: [a]\n",
        4,
        "missing colon: line 4 is neither `key: value` nor a list item `- …`",
        "while scanning a simple key, could not find expected ':'",
    ),
    (
        "value-starts-with-star",
        "  coverage:\n    - test: *foo bar\n",
        4,
        "line 4 has a value starting with `*`, which YAML reads as an alias (a reference to an `&anchor`); put the "
        "value in quotes, e.g. '*…'",
        "found undefined alias 'foo'",
    ),
    (
        "value-starts-with-ampersand",
        "  coverage:\n    - test: & foo\n",
        4,
        "line 4 has a value starting with `&`, which YAML reads as an anchor; put the value in quotes",
        "while scanning an anchor",
    ),
    (
        "value-starts-with-at",
        "  coverage:\n    - test: @foo bar\n",
        4,
        "line 4 has a value starting with `@`, which YAML reserves; put the value in quotes, e.g. '@…'",
        "found character '@' that cannot start any token",
    ),
    (
        "value-starts-with-backtick",
        "  coverage:\n    - test: `foo` bar\n",
        4,
        "line 4 has a value starting with a backtick, which YAML reserves; put the value in quotes, e.g. '`…'",
        "found character '`' that cannot start any token",
    ),
    (
        "value-starts-with-bang",
        "  title: !foo bar\n",
        3,
        "line 3 has a value starting with `!`, which YAML reserves; put the value in quotes",
        "could not determine a constructor for the tag '!foo'",
    ),
    (
        "text-after-closing-quote",
        "  title: 'it's fixed'\n",
        3,
        "text after a value: line 3 goes on after a quoted or bracketed value ended",
        "expected <block end>, but found '<scalar>'",
    ),
    (
        "unclosed-bracket",
        "  area: [backend, proxy\n  issue: 1\n",
        3,
        "unclosed `[`: the list opened on line 3 is not closed with `]`",
        "while parsing a flow sequence, expected ',' or ']', but got ':'",
    ),
    (
        "unmatched-bracket",
        "  area: [a, b]]\n",
        3,
        "unmatched `]`: line 3 closes a bracket that was not opened",
        "expected <block end>, but found ']'",
    ),
    (
        "backslash-in-double-quotes",
        '  coverage:\n    - test: a\n      evidence:\n        - output: "\\d+ ms"\n',
        6,
        "line 6: inside double quotes a backslash starts an escape, and `\\d` is none; use single quotes",
        "found unknown escape character 'd'",
    ),
    (
        "list-after-key-on-one-line",
        "  title: - x\n",
        3,
        "line 3 has `- ` after a key on the same line",
        "sequence entries are not allowed here",
    ),
    (
        "block-scalar-indicator",
        "  title: |x\n",
        3,
        "line 3 has a value starting with `|` or `>`",
        "while scanning a block scalar",
    ),
]


@pytest.mark.parametrize(("body", "line", "sentence", "original"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_pyyaml_problems_in_plain_words(body: str, line: int, sentence: str, original: str) -> None:
    read = parse_tracking("---\nqualify:\n" + body + "---\n", "docs/issues/ISSUE-1/TRACKING.md")
    assert read.invalid is not None and read.invalid.code == "tracking-invalid"
    message = read.invalid.message
    assert message.startswith(f"invalid qualify block: YAML error: {sentence}"), message
    plain, _, expert = message.partition(" (PyYAML: ")
    assert original in expert, message  # PyYAML's own words stay, after the plain ones
    assert f"line {line}" in plain and read.invalid.line == line


def test_a_doubled_colon_is_named_as_such() -> None:
    read = parse_tracking("---\nqualify:\n  issue:: 1\n  coverage: [{test: a}]\n---\n", "x.md")
    assert read.invalid is not None
    assert read.invalid.message.endswith("; write one colon: `issue: …`")
    assert read.invalid.line == 3


def test_a_problem_without_an_entry_keeps_pyyamls_words() -> None:
    read = parse_tracking("```yaml qualify\n%YAML 1.1\nissue: 1\n```\n", "x.md")
    assert read.invalid is not None
    assert (
        read.invalid.message == "invalid qualify block: YAML error: expected '<document start>', but found '<scalar>'"
    )
