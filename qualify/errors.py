"""The one error type qualify raises for anything a user can fix: a message, never a traceback."""

from __future__ import annotations


class QualifyError(Exception):
    """Could not evaluate: bad arguments, unreadable or malformed input.

    `path` and `line` locate the cause when known, so the CLI can print `path:line: message`.
    """

    def __init__(self, message: str, path: str | None = None, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line

    def __str__(self) -> str:
        where = self.path or ""
        if where and self.line:
            where = f"{where}:{self.line}"
        return f"{where}: {self.message}" if where else self.message
