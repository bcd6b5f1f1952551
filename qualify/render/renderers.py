"""Every output of a check, chosen by name: one interface, one registry, one redaction.

    text = render("summary", report)

A renderer turns a Report (the verdict, or why there is none; the delivery notes; where it is shown)
into the text of one output. `render` is the way out for all of them: whatever a renderer made, the
token and token-shaped text are masked (qualify.redact) before anyone sees it.
"""

from __future__ import annotations

from typing import Protocol

from qualify.redact import redact
from qualify.render.annotations import Annotations
from qualify.render.console import Console
from qualify.render.json_report import JsonReport
from qualify.render.markdown import CheckRun, Comment, Summary
from qualify.render.report import Report


class Renderer(Protocol):
    name: str

    def render(self, report: Report) -> str:
        """The output's text (no trailing newline unless the format has one): untrusted text in it
        is escaped for the format, and redacted before escaping where escaping would hide a secret."""
        ...


RENDERERS: dict[str, Renderer] = {
    r.name: r for r in (Console(), Summary(), Comment(), CheckRun(), JsonReport(), Annotations())
}


def render(name: str, report: Report) -> str:
    """The output `name` (a key of RENDERERS) for `report`, redacted."""
    return redact(RENDERERS[name].render(report), report.secrets)
