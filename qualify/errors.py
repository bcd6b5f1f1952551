"""The one error type qualify raises for anything a user can fix: a message, never a traceback."""

from __future__ import annotations

from qualify.codes import of_kind

# Why the check could not be evaluated (exit 2); the JSON report carries it as `error_code`.
CODES: dict[str, str] = {c.name: c.meaning for c in of_kind("error")}


class QualifyError(Exception):
    """Could not evaluate: bad arguments, unreadable or malformed input.

    `path` and `line` locate the cause when known, so the CLI can print `path:line: message`;
    `code` (one of CODES) lets the report and tests tell the reasons apart without parsing text.
    """

    def __init__(
        self, message: str, path: str | None = None, line: int | None = None, *, code: str = "could-not-evaluate"
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line
        self.code = code

    def __str__(self) -> str:
        where = self.path or ""
        if where and self.line:
            where = f"{where}:{self.line}"
        return f"{where}: {self.message}" if where else self.message
