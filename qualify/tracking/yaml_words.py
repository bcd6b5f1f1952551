"""PyYAML's errors in plain words: what is wrong on which line, and how to write it instead.

PyYAML words its errors in YAML's grammar (`expected <block end>, but found '<block mapping start>'`);
someone editing a TRACKING.md needs the line and the fix. `explain` maps PyYAML's problem text (with
its context, and the offending line's text where one wording has several causes) to one sentence;
the caller keeps PyYAML's own text after it for those who know YAML.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class YamlProblem:
    problem: str
    context: str | None
    line: int  # file line of PyYAML's problem mark (1-based)
    column: int  # 0-based column of the problem mark
    context_line: int | None  # file line of PyYAML's context mark (where the construct began)
    text: Callable[[int], str]  # the text of a file line, "" outside the block


@dataclass(frozen=True, slots=True)
class Explained:
    sentence: str
    line: int  # the line to fix: where the construct began when that is the cause (an unclosed quote)


_CANNOT_START = re.compile(r"found character '(.+)' that cannot start any token")
_BLOCK_END = re.compile(r"expected <block end>, but found '(.+)'")
_FLOW_END = re.compile(r"expected ',' or '([\]}])', but got")
_NODE_CONTENT = re.compile(r"expected the node content, but found '(.+)'")
_ESCAPE = re.compile(r"found unknown escape character '(.+)'")
# `key: value` or `key:` at the end: the colon YAML reads as a key's (a space or the end after it).
_KEY_COLON = re.compile(r"""^\s*(?:-\s+)?(?:"[^"]*"|'[^']*'|[^'"#\s][^#]*?):(?:\s|$)""")
_SQUEEZED_COLON = re.compile(r"([\w-]+):(\w\S*)")
_QUOTE_HINT = "put the whole value in quotes, e.g. title: 'fix: the thing' (inside '…' write '' for a ')"


def _uncommented(text: str) -> str:
    return re.sub(r"\s#.*$", "", text).rstrip()


def _previous_line(p: YamlProblem) -> int | None:
    for n in range(p.line - 1, 0, -1):
        text = _uncommented(p.text(n))
        if text.strip() and not text.lstrip().startswith("#"):
            return n
    return None


def _tab(p: YamlProblem) -> Explained:
    return Explained(f"tab: line {p.line} has a tab character; YAML indents with spaces only, replace it", p.line)


def _cannot_start(p: YamlProblem, char: str) -> Explained:
    if char == "\\t":
        return _tab(p)
    shown = "a backtick" if char == "`" else f"`{char}`"
    return Explained(
        f"line {p.line} has a value starting with {shown}, which YAML reserves; put the value in quotes, "
        f"e.g. '{char}…'",
        p.line,
    )


def _alias(p: YamlProblem, char: str, name: str) -> Explained:
    return Explained(
        f"line {p.line} has a value starting with `{char}`, which YAML reads as {name}; put the value in quotes, "
        f"e.g. '{char}…'",
        p.line,
    )


def _unclosed_quote(p: YamlProblem) -> Explained:
    opened = p.context_line or p.line
    return Explained(
        f"unclosed quote: the quote opened on line {opened} is never closed; close it on that line "
        "(inside '…' write '' for a ', inside \"…\" write \\\" for a \")",
        opened,
    )


def _missing_colon(p: YamlProblem) -> Explained:
    at = p.context_line or p.line
    return Explained(
        f"missing colon: line {at} is neither `key: value` nor a list item `- …`; add the colon and a space "
        "after it, or indent the text under the key it continues",
        at,
    )


def _mapping_values(p: YamlProblem) -> Explained:
    """`mapping values are not allowed here`: a second `: ` in a value, a key indented too deep, or a
    line above without its colon. The line texts tell them apart."""
    line = _uncommented(p.text(p.line))
    before = line[: p.column]
    if _KEY_COLON.match(before + " ") and ":" in before:
        return Explained(f"colon in a value: line {p.line} has a second `: `; {_QUOTE_HINT}", p.line)
    above = _previous_line(p)
    above_text = _uncommented(p.text(above)) if above is not None else ""
    squeezed = _SQUEEZED_COLON.search(above_text) if above is not None else None
    if above is not None and squeezed and not _KEY_COLON.match(above_text):
        key, value = squeezed.group(1), squeezed.group(2)
        return Explained(
            f"missing space: line {above} has `{key}:{value}`, a colon without a space after it, so YAML reads "
            f"it as text; write `{key}: {value}`",
            above,
        )
    if above is not None and above_text.lstrip().startswith("- ") and not _KEY_COLON.match(above_text):
        return Explained(
            f"indentation: line {p.line} is indented under the list item on line {above}, which is plain text; "
            "indent it like the key it belongs to",
            p.line,
        )
    if above is not None and not _KEY_COLON.match(above_text):
        return Explained(
            f"missing colon: line {above} has no `key: value` (a colon followed by a space), so line {p.line} "
            f"cannot start a key there; add the colon and space on line {above}",
            above,
        )
    return Explained(
        f"indentation: line {p.line} is indented deeper than the key above it; keys of one mapping start in "
        "the same column",
        p.line,
    )


def _block_end(p: YamlProblem, found: str) -> Explained:
    before = _uncommented(p.text(p.line))[: p.column]
    if found == "<scalar>" and before.strip():
        return Explained(
            f"text after a value: line {p.line} goes on after a quoted or bracketed value ended "
            f"(`\"abc\" def`, `[draft] fix`, `'it's'`); {_QUOTE_HINT}",
            p.line,
        )
    if found in ("]", "}"):
        return Explained(
            f"unmatched `{found}`: line {p.line} closes a bracket that was not opened; remove it or quote the value",
            p.line,
        )
    if found == "-":
        return Explained(
            f"list item out of place: line {p.line} starts a list item `- ` where a key was expected; indent the "
            "items under their key (e.g. under `coverage:`), all in the same column",
            p.line,
        )
    return Explained(
        f"indentation: line {p.line} is indented differently from the key above it; keys of one mapping start "
        "in the same column, and a list item's keys line up after its `- `",
        p.line,
    )


def _flow_end(p: YamlProblem, closer: str) -> Explained:
    opener = "[" if closer == "]" else "{"
    opened = p.context_line or p.line
    return Explained(
        f"unclosed `{opener}`: the {'list' if opener == '[' else 'mapping'} opened on line {opened} is not closed "
        f"with `{closer}`, or holds a value with `:`, `[` or `{{` that needs quotes",
        opened,
    )


def explain(p: YamlProblem) -> Explained | None:
    """One plain sentence for PyYAML's problem, or None when the table has no entry for it."""
    problem, context = p.problem, p.context or ""
    if "tab character" in problem:
        return _tab(p)
    if m := _CANNOT_START.match(problem):
        return _cannot_start(p, m.group(1))
    if problem.startswith("found undefined alias") or context == "while scanning an alias":
        return _alias(p, "*", "an alias (a reference to an `&anchor`)")
    if context == "while scanning an anchor" or context.startswith("found duplicate anchor"):
        return _alias(p, "&", "an anchor")
    if problem == "found unexpected end of stream" and "quoted scalar" in context:
        return _unclosed_quote(p)
    if m := _ESCAPE.match(problem):
        return Explained(
            f"line {p.line}: inside double quotes a backslash starts an escape, and `\\{m.group(1)}` is none; "
            "use single quotes for text with backslashes (regular expressions)",
            p.line,
        )
    if problem == "could not find expected ':'":
        return _missing_colon(p)
    if problem == "mapping values are not allowed here":
        return _mapping_values(p)
    if m := _BLOCK_END.match(problem):
        return _block_end(p, m.group(1))
    if m := _FLOW_END.match(problem):
        return _flow_end(p, m.group(1))
    if m := _NODE_CONTENT.match(problem):
        return _cannot_start(p, m.group(1))
    if problem == "sequence entries are not allowed here":
        return Explained(
            f"line {p.line} has `- ` after a key on the same line; start the list on the next line, indented, "
            "or quote the value",
            p.line,
        )
    if context == "while scanning a block scalar":
        return Explained(
            f"line {p.line} has a value starting with `|` or `>`, which YAML reads as a multi-line text that "
            "must end the line; put the value in quotes",
            p.line,
        )
    if problem.startswith("could not determine a constructor for the tag"):
        return _cannot_start(p, "!")
    if problem == "but found another document":
        return Explained(
            f"line {p.line} starts a second YAML document (`---`); a qualify block is one document", p.line
        )
    if problem in ("found unhashable key", "mapping keys must be plain scalars"):
        return Explained(f"line {p.line} has a list or mapping as a key; a key is plain text", p.line)
    return None
