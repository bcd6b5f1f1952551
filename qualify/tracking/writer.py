"""Writing TRACKING.md text that the parser reads back exactly (`qualify init`, `qualify adopt`)."""

from __future__ import annotations

import json
import re

# Characters PyYAML refuses even inside quotes, and the line breaks it accepts there but folds
# (NEL, LS, PS; str.splitlines() splits at them too, so a title holding `\u2028---` would end the
# front matter early): written as \u escapes instead.
_NOT_PRINTABLE = re.compile("[^\x09\x0a\x0d\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# What would end a comment line for YAML or for str.splitlines() (the parser's line scan).
_LINE_BREAKING = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\ufeff]")


def yaml_string(text: str) -> str:
    """A double-quoted YAML scalar: JSON string syntax, non-printable characters escaped."""
    quoted = json.dumps(text, ensure_ascii=False)
    return _NOT_PRINTABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", quoted)


def regex_scalar(pattern: str) -> str:
    """A regex as a single-quoted YAML scalar (no backslash escapes to double), when it can be one."""
    if _NOT_PRINTABLE.search(pattern) or "\n" in pattern or "\r" in pattern:
        return yaml_string(pattern)
    return "'" + pattern.replace("'", "''") + "'"


def one_line(text: str, limit: int = 160) -> str:
    """Text safe inside a YAML comment: one line, no control characters, at most `limit` characters."""
    text = " ".join(_LINE_BREAKING.sub(" ", text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
