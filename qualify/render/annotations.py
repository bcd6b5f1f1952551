"""The findings as workflow-command annotations (`::error file=…,line=…::…`) in the Actions log."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from qualify.core.model import Finding
from qualify.redact import redact, redactor
from qualify.render.report import Report
from qualify.render.workflow_commands import command

MAX_ANNOTATIONS = 50  # per level; the runner shows at most 10 errors and 10 warnings per step


def annotation(finding: Finding, hide: Callable[[str], str] | None = None) -> str:
    """One finding as an annotation: an error when it blocks the release, a warning otherwise.
    Redacted (by `hide`, from redactor()) before it is escaped: escaping would hide a secret's `%`,
    `:` or `,` from redaction."""
    hide = hide or redactor()
    text = finding.message
    if finding.test:
        text = f"{finding.test}: {text}"
    if finding.issue is not None:
        text = f"#{finding.issue} {text}"
    if finding.hint:
        # A message that ends a sentence itself ("did you mean …?") takes no second stop.
        text = f"{text}{'' if text.endswith(('.', '?', '!')) else '.'} Fix: {finding.hint}"
    return command(
        _level(finding),
        hide(text),
        file=hide(finding.file) if finding.file else None,
        line=finding.line,
        title=f"qualify {finding.code}" + (" (waived by exception)" if finding.waived else ""),
    )


def _level(finding: Finding) -> str:
    return "error" if finding.blocking else "warning"


def annotations(findings: Iterable[Finding], secrets: tuple[str, ...] = (), limit: int = MAX_ANNOTATIONS) -> list[str]:
    """At most `limit` annotations per level, then one line saying how many were left out."""
    hide = redactor(secrets)
    lines: list[str] = []
    shown = {"error": 0, "warning": 0}
    hidden = {"error": 0, "warning": 0}
    for f in findings:
        level = _level(f)
        if shown[level] >= limit:
            hidden[level] += 1
            continue
        shown[level] += 1
        lines.append(annotation(f, hide))
    for level, n in hidden.items():
        if n:
            lines.append(
                command("warning", f"{n} more {level} annotation(s) not shown; see the job summary and JSON report")
            )
    return lines


class Annotations:
    """Renderer `annotations`: one workflow command a line; for a check that could not be
    evaluated, one error annotation saying why."""

    name = "annotations"

    def render(self, report: Report) -> str:
        if report.error is not None:
            message = redact(f"qualify could not evaluate: {report.error.message}", report.secrets)
            return command("error", message, title="qualify")
        return "\n".join(annotations(report.all_findings, report.secrets))
