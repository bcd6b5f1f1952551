"""Finding input files: globs with `**`, resolved inside the workspace.

Results folders are written by pull-request code, so the walk is our own rather than `glob.glob`:
`glob` follows every directory symlink, and two links back to a parent make it expand 2^40 paths.
Here each real directory is visited once (loops end), directory links are followed only while they
stay inside the workspace, and every file is resolved and checked before anyone opens it.
"""

from __future__ import annotations

import fnmatch
import glob
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
# What a results directory given as a path stands for (and a directory given to --tracking or lint).
RESULTS_IN_DIRECTORY = "**/*.xml"
TRACKING_IN_DIRECTORY = "**/TRACKING.md"


@dataclass(frozen=True, slots=True)
class Found:
    real: Path  # resolved path, the one to open
    display: str  # path relative to the workspace, as reports show it
    size: int


@dataclass(frozen=True, slots=True)
class Search:
    files: list[Found]
    # Each pattern that named a directory (read as DIR/<in_directory>), and how many files it gave.
    directories: list[tuple[str, int]]


@dataclass(frozen=True, slots=True)
class _Bounds:
    """Where files may resolve: the workspace, plus the directory a person typed outside it."""

    roots: tuple[Path, ...]

    def hold(self, real: Path) -> bool:
        return any(_inside(real, r) for r in self.roots)

    def __str__(self) -> str:
        shown = f"the workspace {self.roots[0]}"
        return shown + "".join(f" and the directory given, {r}" for r in self.roots[1:])


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
    bounds: _Bounds
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
            if not self.allow_outside and not self.bounds.hold(real):
                # Skipping it silently could hide a failing run; refusing is the fail-closed choice.
                raise QualifyError(
                    f"{self.what} glob {self.pattern!r} meets {_shown(path, self.root)}, a link to {real} outside "
                    f"{self.bounds}; " + _ALLOW_HINT,
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


def find(
    patterns: list[str],
    workspace: Path,
    *,
    what: str,
    allow_outside: bool = False,
    typed_outside: bool = False,
    in_directory: str | None = None,
) -> list[Found]:
    """Regular files matching any pattern (see `search`)."""
    return search(
        patterns,
        workspace,
        what=what,
        allow_outside=allow_outside,
        typed_outside=typed_outside,
        in_directory=in_directory,
    ).files


def search(
    patterns: list[str],
    workspace: Path,
    *,
    what: str,
    allow_outside: bool = False,
    typed_outside: bool = False,
    in_directory: str | None = None,
) -> Search:
    """Regular files matching any pattern, deduplicated by real path, sorted by display path.

    A pattern or file that leads outside the workspace (absolute path, `..`, symlink) is refused
    unless `allow_outside`, because results and declarations must come from the checked-out repository.
    `typed_outside` (the command line outside GitHub Actions) accepts a pattern whose literal start
    lies outside the workspace, since the person typed it; links met inside it must still stay within
    it or the workspace. Dangling links and symlink loops are skipped: they are not files.

    A pattern that names an existing path is taken literally (the shell may have expanded a file named
    `a[1].xml`); with `in_directory`, one naming a directory stands for DIR/<in_directory>.
    """
    root = workspace.resolve()
    found: dict[Path, Found] = {}
    directories: list[tuple[str, int]] = []
    for pattern in patterns:
        pattern = pattern.strip()
        if not pattern:
            continue
        walked, is_dir = _literal(pattern, root, in_directory)
        before = len(found)
        _search_one(walked, pattern, root, what, allow_outside, typed_outside, found)
        if is_dir:
            directories.append((pattern, len(found) - before))
    return Search(files=sorted(found.values(), key=lambda f: f.display), directories=directories)


def _literal(pattern: str, root: Path, in_directory: str | None) -> tuple[str, bool]:
    """The pattern to walk, and whether it names a directory read as DIR/<in_directory>.

    Only a stat: the walk below does every confinement check before anything is opened."""
    literal = root / pattern  # an absolute pattern replaces root
    if not os.path.lexists(literal):
        return pattern, False
    escaped = glob.escape(pattern) if _MAGIC.search(pattern) else pattern
    if in_directory is not None and literal.is_dir():
        return escaped.rstrip("/" + os.sep) + "/" + in_directory, True
    return escaped, False


def _search_one(
    pattern: str,
    shown_as: str,
    root: Path,
    what: str,
    allow_outside: bool,
    typed_outside: bool,
    found: dict[Path, Found],
) -> None:
    start, segments = _split(pattern, root)
    start_norm = Path(os.path.normpath(start))
    start_real = _real(start)
    bounds = _Bounds((root,))
    if allow_outside:
        pass
    elif _inside(start_norm, root):
        if start_real is not None and not _inside(start_real, root):
            raise QualifyError(
                f"{what} glob {shown_as!r} starts at {_shown(start, root)}, a link to {start_real} outside the "
                f"workspace {root}; " + _ALLOW_HINT,
                code="outside-workspace",
            )
    elif typed_outside:
        bounds = _Bounds((root, start_real or start_norm))
    else:
        raise QualifyError(
            f"{what} glob {shown_as!r} points outside the workspace {root}; " + _ALLOW_HINT,
            code="outside-workspace",
        )
    walk = _Walk(root=root, bounds=bounds, allow_outside=allow_outside, what=what, pattern=shown_as, seen=set(), out=[])
    start_real = walk.dir_ok(start, segments)
    if start_real is None:
        return
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
        if not allow_outside and not bounds.hold(real):
            raise QualifyError(
                f"{what} file {_shown(p, root)} resolves to {real}, outside {bounds}; " + _ALLOW_HINT,
                code="outside-workspace",
            )
        found.setdefault(real, Found(real=real, display=_shown(p, root), size=st.st_size))


def searched(patterns: list[str], workspace: Path, in_directory: str | None = None) -> str:
    """Where patterns that matched no file looked, for the message: the directory each one started
    from (not the workspace: an absolute glob searches elsewhere), and whether it exists."""
    root = workspace.resolve()
    places = []
    for pattern in (p.strip() for p in patterns):
        if not pattern:
            continue
        walked, is_dir = _literal(pattern, root, in_directory)
        start, segments = _split(walked, root)
        start = Path(os.path.normpath(start))
        if is_dir:
            places.append(f"searched {start} for {in_directory}")
        elif not start.is_dir():
            places.append(
                f"searched {start}, which does not exist" if not start.exists() else f"{start} is not a directory"
            )
        elif not _MAGIC.search(walked):
            places.append(f"no file {Path(os.path.normpath(start.joinpath(*segments)))}")
        else:
            places.append(f"searched {start}")
    return "; ".join(places) or "no path given"


def output_target(path: str, workspace: Path, *, confined: bool, what: str) -> Path:
    """Where to write a report. Confined (the Action, or GitHub Actions): it must resolve inside the
    workspace, links included, since pull-request code can put a link where the report goes."""
    target = Path(path)
    if not target.is_absolute():
        target = workspace / target
    if confined:
        root = workspace.resolve()
        real = target.resolve()  # follows the links that exist, the last component's too
        if not _inside(real, root):
            via = "" if Path(os.path.normpath(target.absolute())) == real else f" (it resolves to {real})"
            raise QualifyError(
                f"{what} {path!r} is outside the workspace {root}{via}; write the report inside the workspace "
                "(a relative path is relative to it)",
                code="outside-workspace",
            )
    return target


def _shown(path: Path, root: Path) -> str:
    absolute = Path(os.path.normpath(path.absolute()))
    shown = os.path.relpath(absolute, root) if _inside(absolute, root) else str(absolute)
    # A name that is not UTF-8 arrives with surrogate escapes, which no report can encode: show the bytes.
    shown = shown.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return shown.replace(os.sep, "/")
