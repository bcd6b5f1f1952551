"""Issue labels decide rules too, so a defect cannot dodge a rule by leaving it out of TRACKING.md. Pure.

The labels arrive as data (issue → label names, read by the I/O shell); an issue whose labels
could not be read arrives as an error and the defect is not qualified (fail closed).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from qualify.core.model import Defect, Finding

# Areas whose defects need real-API proof (--real-api-areas, input real-api-areas), and the issue
# labels that add that rule (named after the areas, but set separately: --real-api-labels).
DEFAULT_REAL_API_AREAS = ("backend", "proxy")
DEFAULT_REAL_API_LABELS = DEFAULT_REAL_API_AREAS
DEFAULT_PARTNER_LABELS = ("partner-reported",)


@dataclass(frozen=True, slots=True)
class LabelData:
    """What the label check found: labels per issue, or why an issue's labels are unknown."""

    labels: Mapping[int, tuple[str, ...]] = field(default_factory=dict)
    errors: Mapping[int, str] = field(default_factory=dict)
    real_api_labels: tuple[str, ...] = DEFAULT_REAL_API_LABELS
    partner_labels: tuple[str, ...] = DEFAULT_PARTNER_LABELS


def _norm(names: tuple[str, ...]) -> set[str]:
    return {n.strip().lower() for n in names}


def real_api_labelled(data: LabelData, issue: int) -> list[str]:
    return sorted(_norm(data.labels.get(issue, ())) & _norm(data.real_api_labels))


def partner_labelled(data: LabelData, issue: int) -> list[str]:
    return sorted(_norm(data.labels.get(issue, ())) & _norm(data.partner_labels))


def added_rules(data: LabelData | None, issue: int) -> tuple[bool, bool]:
    """(real-API rule, partner rule) that the issue's labels impose."""
    if data is None:
        return False, False
    return bool(real_api_labelled(data, issue)), bool(partner_labelled(data, issue))


def findings(defect: Defect, data: LabelData | None, real_api_areas: tuple[str, ...]) -> list[Finding]:
    """Label/declaration disagreements, and the fail-closed problem when the labels are unknown."""
    if data is None:
        return []
    at = dict(issue=defect.issue, file=defect.tracking, line=defect.line)
    error = data.errors.get(defect.issue)
    if error is not None:
        return [
            Finding(
                code="labels-unreadable",
                message=f"could not read the labels of issue #{defect.issue}, so the rules it needs are unknown: "
                f"{error}",
                hint="give the workflow's token `issues: read` (see the README's permissions block) and run again",
                **at,
            )
        ]
    out: list[Finding] = []
    real_labels = real_api_labelled(data, defect.issue)
    declared_areas = sorted(set(defect.areas) & set(real_api_areas))
    if real_labels and not declared_areas:
        out.append(
            Finding(
                code="label-mismatch",
                severity="warning",
                message=f"issue #{defect.issue} is labelled {', '.join(real_labels)} but TRACKING.md declares no "
                "real-API area: the real-API rule applies because of the label",
                hint=f"add `area: {real_labels[0]}` to the qualify block, or remove the label if it is wrong",
                **at,
            )
        )
    elif declared_areas and not real_labels:
        out.append(
            Finding(
                code="label-mismatch",
                severity="warning",
                message=f"TRACKING.md declares area {', '.join(declared_areas)} but issue #{defect.issue} has none "
                f"of the labels {', '.join(data.real_api_labels)}",
                hint="label the issue so triage and the release gate agree",
                **at,
            )
        )
    partner_labels = partner_labelled(data, defect.issue)
    if partner_labels and not defect.partner:
        out.append(
            Finding(
                code="partner-undocumented",
                message=f"issue #{defect.issue} is labelled {', '.join(partner_labels)} but TRACKING.md names no "
                "`partner:`",
                hint="add `partner:` (who reported it) next to `scenario:` (their flow)",
                **at,
            )
        )
    elif defect.partner and not partner_labels:
        out.append(
            Finding(
                code="label-mismatch",
                severity="warning",
                message=f"TRACKING.md names partner {defect.partner} but issue #{defect.issue} has none of the "
                f"labels {', '.join(data.partner_labels)}",
                hint="label the issue so triage and the release gate agree",
                **at,
            )
        )
    return out
