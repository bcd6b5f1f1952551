"""Finding input files: globs with `**`, resolved inside the workspace.

Results folders are written by pull-request code, so the walk is our own rather than `glob.glob`:
`glob` follows every directory symlink, and two links back to a parent make it expand 2^40 paths.
Here each real directory is visited once (loops end), directory links are followed only while they
stay inside the workspace, and every file is resolved and checked before anyone opens it.
"""

from __future__ import annotations

import fnmatch
import os
import re
from dataclasses import dataclass
from pathlib import Path

from qualify.errors import QualifyError

_MAGIC = re.compile(r"[*?[]")
# Directory visits per pattern: monorepos with node_modules are large, but not this large; beyond, say so.
MAX_DIRS = 1_000_000

# The Action only sees the workspace (and the runner's temp folders): the flag is for local runs.
_ALLOW_HINT = (
    "pass --allow-outside-workspace if that is intended (command line; in the Action, keep the files in the workspace)"
)


@dataclass(frozen=True, slots=True)
class Found:
    real: Path  # resolved path, the one to open
    display: str  # path relative to the workspace, as reports show it
    size: int


def _inside(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root)
        return True
    except ValueError:
        return False


def _segment_regex(segment: str) -> re.Pattern[str]:
    return re.compile(fnmatch.translate(segment))


def _real(path: Path) -> Path | None:
    """Resolved path, or None for a dangling link or a symlink loop."""
    try:
        real = path.resolve(strict=True)
    except (OSError, RuntimeError):  # RuntimeError: symlink loop (Python < 3.13)
        return None
    return real


@dataclass
class _Walk:
    root: Path
    allow_outside: bool
    what: str
    pattern: str
    seen: set[tuple[Path, tuple[str, ...]]]
    out: list[Path]

    def dir_ok(self, path: Path, segments: list[str], real: Path | None = None) -> Path | None:
        """The real directory to enter with `segments` still to match, or None to skip it.

        `real` is given for a plain (non-link) child of a directory already checked: no syscall needed.
        """
        if real is None:
            real = _real(path)
            if real is None or not real.is_dir():
                return None
            if not self.allow_outside and not _inside(real, self.root):
                # Skipping it silently could hide a failing run; refusing is the fail-closed choice.
                raise QualifyError(
                    f"{self.what} glob {self.pattern!r} meets {_shown(path, self.root)}, a link to {real} outside "
                    f"the workspace {self.root}; " + _ALLOW_HINT,
                    code="outside-workspace",
                )
        state = (real, tuple(segments))
        if state in self.seen:
            return None  # already walked with this rest of the pattern: symlink loop or two links
        if len(self.seen) >= MAX_DIRS:
            raise QualifyError(
                f"{self.what} glob {self.pattern!r} walks more than {MAX_DIRS} directories; use a narrower glob",
                code="results-unreadable",
            )
        self.seen.add(state)
        return real

    @staticmethod
    def entries(path: Path) -> list[os.DirEntry[str]]:
        try:
            with os.scandir(path) as it:
                return sorted(it, key=lambda e: e.name)
        except OSError:
            return []

    def child_dir(self, path: Path, real: Path, entry: os.DirEntry[str], segments: list[str]) -> Path | None:
        """Real path of a subdirectory to enter with `segments`, or None (not a directory, or seen)."""
        try:
            if not entry.is_dir():  # follows links; False for dangling links and loops
                return None
            link = entry.is_symlink()
        except OSError:
            return None
        if link:
            return self.dir_ok(path / entry.name, segments)
        return self.dir_ok(path / entry.name, segments, real / entry.name)

    def match(self, path: Path, real: Path, segments: list[str]) -> None:
        if not segments:
            self.out.append(path)
            return
        head, rest = segments[0], segments[1:]
        if head == "**":
            self.match(path, real, rest)  # zero directories
            for entry in self.entries(path):
                if entry.name.startswith("."):
                    continue
                child_real = self.child_dir(path, real, entry, segments)
                if child_real is not None:
                    self.match(path / entry.name, child_real, segments)
            return
        if not _MAGIC.search(head):
            child = path / head
            if rest:
                child_real = self.dir_ok(child, rest)
                if child_real is not None:
                    self.match(child, child_real, rest)
            elif os.path.lexists(child):
                self.out.append(child)
            return
        regex = _segment_regex(head)
        for entry in self.entries(path):
            if entry.name.startswith(".") and not head.startswith("."):
                continue
            if not regex.match(entry.name):
                continue
            if rest:
                child_real = self.child_dir(path, real, entry, rest)
                if child_real is not None:
                    self.match(path / entry.name, child_real, rest)
            else:
                self.out.append(path / entry.name)


def _split(pattern: str, root: Path) -> tuple[Path, list[str]]:
    """The literal directory a pattern starts from, and the remaining segments."""
    base = Path(pattern)
    start = Path(base.anchor) if base.is_absolute() else root
    parts = list(base.parts[1:] if base.is_absolute() else base.parts)
    literal: list[str] = []
    while len(parts) > 1 and not _MAGIC.search(parts[0]):
        literal.append(parts.pop(0))
    start = start.joinpath(*literal) if literal else start
    # `a/**/**/b` is `a/**/b`; collapsing keeps the walk linear.
    segments = [p for i, p in enumerate(parts) if not (p == "**" and i and parts[i - 1] == "**")]
    return start, segments


def expand(patterns: list[str], workspace: Path, *, what: str, allow_outside: bool = False) -> list[tuple[Path, str]]:
    """Files matching any pattern, as (real path, path to show relative to the workspace), sorted."""
    return [(f.real, f.display) for f in find(patterns, workspace, what=what, allow_outside=allow_outside)]


def find(patterns: list[str], workspace: Path, *, what: str, allow_outside: bool = False) -> list[Found]:
    """Regular files matching any pattern, deduplicated by real path, sorted by display path.

    A pattern or file that leads outside the workspace (absolute path, `..`, symlink) is refused
    unless `allow_outside`, because results and declarations must come from the checked-out repository.
    Dangling links and symlink loops are skipped: they are not files.
    """
    root = workspace.resolve()
    found: dict[Path, Found] = {}
    for pattern in patterns:
        pattern = pattern.strip()
        if not pattern:
            continue
        start, segments = _split(pattern, root)
        if not allow_outside and not _inside(Path(os.path.normpath(start)), root):
            raise QualifyError(
                f"{what} glob {pattern!r} points outside the workspace {root}; " + _ALLOW_HINT,
                code="outside-workspace",
            )
        walk = _Walk(root=root, allow_outside=allow_outside, what=what, pattern=pattern, seen=set(), out=[])
        start_real = _real(start)
        if start_real is not None and not allow_outside and not _inside(start_real, root):
            raise QualifyError(
                f"{what} glob {pattern!r} starts at {_shown(start, root)}, a link to {start_real} outside the "
                f"workspace {root}; " + _ALLOW_HINT,
                code="outside-workspace",
            )
        start_real = walk.dir_ok(start, segments)
        if start_real is None:
            continue
        walk.match(start, start_real, segments)
        for p in sorted(walk.out):
            real = _real(p)
            if real is None:
                continue
            try:
                st = real.stat()
            except OSError:
                continue
            if not os.path.isfile(real):
                continue  # directories, FIFOs, devices: never read
            if not allow_outside and not _inside(real, root):
                raise QualifyError(
                    f"{what} file {_shown(p, root)} resolves to {real}, outside the workspace {root}; " + _ALLOW_HINT,
                    code="outside-workspace",
                )
            found.setdefault(real, Found(real=real, display=_shown(p, root), size=st.st_size))
    return sorted(found.values(), key=lambda f: f.display)


def _shown(path: Path, root: Path) -> str:
    absolute = Path(os.path.normpath(path.absolute()))
    shown = os.path.relpath(absolute, root) if _inside(absolute, root) else str(absolute)
    # A name that is not UTF-8 arrives with surrogate escapes, which no report can encode: show the bytes.
    shown = shown.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return shown.replace(os.sep, "/")
