"""GitHub Actions workflow commands and file commands, escaped so untrusted text stays data."""

from __future__ import annotations

import secrets
from collections.abc import Iterable

from qualify.model import Finding

MAX_ANNOTATIONS = 50  # per level; the runner shows at most 10 errors and 10 warnings per step


def escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: str) -> str:
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


def command(name: str, message: str, **props: str | int | None) -> str:
    """`::name k=v,...::message` with both parts escaped; never spans more than one line."""
    parts = [f"{k}={escape_property(str(v))}" for k, v in props.items() if v not in (None, "")]
    head = f"::{name}" + (" " + ",".join(parts) if parts else "")
    return f"{head}::{escape_data(message)}"


def annotation(finding: Finding) -> str:
    level = "error" if finding.severity == "error" and not finding.waived else "warning"
    text = finding.message
    if finding.test:
        text = f"{finding.test}: {text}"
    if finding.issue is not None:
        text = f"#{finding.issue} {text}"
    if finding.hint:
        text = f"{text}. Fix: {finding.hint}"
    return command(
        level,
        text,
        file=finding.file,
        line=finding.line,
        title=f"qualify {finding.code}" + (" (waived by exception)" if finding.waived else ""),
    )


def annotations(findings: Iterable[Finding], limit: int = MAX_ANNOTATIONS) -> list[str]:
    lines: list[str] = []
    shown = {"error": 0, "warning": 0}
    hidden = {"error": 0, "warning": 0}
    for f in findings:
        level = "error" if f.severity == "error" and not f.waived else "warning"
        if shown[level] >= limit:
            hidden[level] += 1
            continue
        shown[level] += 1
        lines.append(annotation(f))
    for level, n in hidden.items():
        if n:
            lines.append(
                command("warning", f"{n} more {level} annotation(s) not shown; see the job summary and JSON report")
            )
    return lines


def output_lines(name: str, value: str) -> str:
    """One GITHUB_OUTPUT entry; multi-line values get a random delimiter that is not in the value."""
    if "\n" not in value and "\r" not in value:
        return f"{name}={value}\n"
    while True:
        delimiter = f"ghadelimiter_{secrets.token_hex(16)}"
        if delimiter not in value:
            return f"{name}<<{delimiter}\n{value}\n{delimiter}\n"
