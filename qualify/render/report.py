"""What every renderer renders: the verdict as decided (or why none could be), with the notes
about delivering it, and what the renderers need to know about where it is shown."""

from __future__ import annotations

from dataclasses import dataclass, field

from qualify.core.model import Finding, Verdict


@dataclass(frozen=True, slots=True)
class CouldNotEvaluate:
    """The check could not be evaluated at all (exit 2): never qualified."""

    message: str
    code: str = "could-not-evaluate"  # a registered error code (qualify/codes.py); the JSON report's error_code


@dataclass(frozen=True, eq=False)
class Report:
    """The input of every renderer: exactly one of `verdict` and `error`.

    `notes` are delivery notes: what publishing (the comment, the check run) could not do. They are
    warnings shown beside the verdict, never part of it: the verdict stays as the policy decided it.
    Build one with `Report.of(verdict)` or `Report.failed(message, code)`.
    """

    verdict: Verdict | None
    error: CouldNotEvaluate | None = None
    notes: tuple[Finding, ...] = ()
    # e.g. https://github.com/o/r/blob/SHA: makes the TRACKING.md links absolute (the summary and the
    # comment are shown on pages whose URL is not the repository tree). None: relative links.
    link_base: str | None = None
    mode: str = "enforce"  # "report": a failed verdict is neutral, not a failure (check run conclusion)
    secrets: tuple[str, ...] = ()  # values never to print (the token), on top of token-shaped text
    # What one renderer rendered that another reuses (the summary's table is also the check run's
    # text); keyed by what it was rendered from, so a Report made with replace() never gets stale text.
    memo: dict[tuple[object, ...], object] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if (self.verdict is None) == (self.error is None):
            raise ValueError("a Report has either a verdict or an error")
        if any(n.blocking for n in self.notes):
            raise ValueError("delivery notes are warnings: publishing never changes the verdict")

    @classmethod
    def of(
        cls,
        verdict: Verdict,
        *,
        notes: tuple[Finding, ...] = (),
        link_base: str | None = None,
        mode: str = "enforce",
        secrets: tuple[str, ...] = (),
    ) -> Report:
        return cls(verdict, notes=notes, link_base=link_base, mode=mode, secrets=secrets)

    @classmethod
    def failed(cls, message: str, code: str = "could-not-evaluate", *, secrets: tuple[str, ...] = ()) -> Report:
        return cls(None, CouldNotEvaluate(message, code), secrets=secrets)

    @property
    def qualified(self) -> bool:
        return self.verdict is not None and self.verdict.qualified

    @property
    def all_findings(self) -> list[Finding]:
        """The verdict's findings, delivery notes after those that belong to no single defect."""
        if self.verdict is None:
            return []
        out = [*self.verdict.findings, *self.notes]
        for d in self.verdict.defects:
            out.extend(d.findings)
        return out

    @property
    def problems(self) -> list[Finding]:
        """What blocks the release (delivery notes never do). Without a verdict, the reason is the one
        problem: problems are empty exactly when the report says qualified (the Action's `problems`
        output is their number)."""
        if self.error is not None:
            return [Finding(code=self.error.code, message=self.error.message)]
        assert self.verdict is not None
        return self.verdict.problems

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.all_findings if not f.blocking]
