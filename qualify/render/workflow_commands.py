"""GitHub Actions workflow commands and file commands, escaped so untrusted text stays data.

(The annotations built from findings are a renderer: render/annotations.py.)"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable

from qualify.redact import redact

# C0 controls (tab aside), DEL, C1 controls and the Unicode line/paragraph separators: a log line
# must stay one line, and the runner splits on \r and \n. Lone surrogates (undecodable file names)
# cannot be written at all.
_CONTROL = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")


def plain(text: str) -> str:
    """Untrusted text for a plain log line: one line, and inert for the runner's command parsers.

    The runner reads `::cmd::` at the start of a line (after leading spaces) and the legacy `##[cmd]`
    anywhere in it, so controls become visible escapes, `##[` is split and a leading `::` is broken.
    """
    text = _CONTROL.sub(_visible, text)
    text = text.replace("##[", "## [")
    stripped = text.lstrip()
    if stripped.startswith("::"):
        text = text[: len(text) - len(stripped)] + ": :" + stripped[2:]
    return text


def _visible(m: re.Match[str]) -> str:
    char = m.group()
    named = {"\n": "\\n", "\r": "\\r"}.get(char)
    if named:
        return named
    return f"\\x{ord(char):02x}" if ord(char) <= 0xFF else f"\\u{ord(char):04x}"


def escape_data(value: str) -> str:
    # `##[` is split too: the runner parses `::` commands first, but a legacy `##[cmd]` must never
    # depend on that order to stay text.
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A").replace("##[", "## [")


def escape_property(value: str) -> str:
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


def command(name: str, message: str, **props: str | int | None) -> str:
    """`::name k=v,...::message` with both parts escaped; never spans more than one line."""
    parts = [f"{k}={escape_property(str(v))}" for k, v in props.items() if v not in (None, "")]
    head = f"::{name}" + (" " + ",".join(parts) if parts else "")
    return f"{head}::{escape_data(message)}"


def output_lines(name: str, value: str) -> str:
    """One GITHUB_OUTPUT entry; multi-line values get a random delimiter that is not in the value."""
    if "\n" not in value and "\r" not in value:
        return f"{name}={value}\n"
    while True:
        delimiter = f"ghadelimiter_{secrets.token_hex(16)}"
        if delimiter not in value:
            return f"{name}<<{delimiter}\n{value}\n{delimiter}\n"


def internal_error(exc: BaseException) -> str:
    """One line for an unexpected exception: its type and a bounded, single-line message."""
    detail = " ".join(str(exc).split())[:300]
    reason = f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__
    return f"internal error: {reason} (set QUALIFY_DEBUG=1 for a traceback)"


def error_line(message: str, secret_values: Iterable[str] = ()) -> str:
    """The one stderr line for a check that could not be evaluated: redacted, inert for the runner."""
    return f"qualify: error: {plain(redact(message, secret_values))}\n"
