"""Finding input files: globs with `**`, resolved inside the workspace."""

from __future__ import annotations

import glob
import os
from pathlib import Path

from qualify.errors import QualifyError


def _inside(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root)
        return True
    except ValueError:
        return False


def expand(patterns: list[str], workspace: Path, *, what: str, allow_outside: bool = False) -> list[tuple[Path, str]]:
    """Files matching any pattern, as (real path, path to show relative to the workspace), sorted.

    A file that resolves outside the workspace (absolute pattern, `..`, symlink) is refused unless
    `allow_outside`, because results and declarations must come from the checked-out repository.
    """
    root = workspace.resolve()
    found: dict[Path, str] = {}
    for pattern in patterns:
        pattern = pattern.strip()
        if not pattern:
            continue
        base = Path(pattern)
        matches = glob.glob(pattern if base.is_absolute() else str(root / pattern), recursive=True)
        for m in sorted(matches):
            p = Path(m)
            if not p.is_file():
                continue
            real = p.resolve()
            if not allow_outside and not _inside(real, root):
                raise QualifyError(
                    f"{what} file {m} is outside the workspace {root}; "
                    "pass --allow-outside-workspace (input allow-outside-workspace) if that is intended"
                )
            display = os.path.relpath(p.absolute(), root) if _inside(p.absolute(), root) else str(p)
            found.setdefault(real, display.replace(os.sep, "/"))
    return sorted(found.items(), key=lambda kv: kv[1])
