"""Files a testcase attaches, read for its trace: bounded, text only, never outside the workspace.

Results come from pull-request code, and so do the paths they name. A path is read only when it
leads, without any symbolic link, to a regular file inside the workspace (or, for results kept
outside it, inside the results file's own folder). Anything else is not opened, and the trace says
why: never its content. Paths are relative to the results file's folder, as Playwright's junit
reporter, Jenkins and GitLab write them.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from qualify.core import trace as traces
from qualify.core.model import TestCase, TraceNote

MAX_ATTACHMENTS = 16  # read per testcase
MAX_ATTACHMENT_BYTES = 1024 * 1024  # read per attachment; the rest is not searched
MAX_CHECK_BYTES = 256 * 1024 * 1024  # read in all, per check: a hostile run cannot make the gate read for hours
MAX_REF_CHARS = 1024
_SHOWN_CHARS = 200

# Jenkins' convention, also GitLab's and Playwright's: the reference alone on its line.
_REF_LINE = re.compile(r"^[ \t]*\[\[ATTACHMENT\|([^\r\n]+?)\]\][ \t]*\r?$", re.MULTILINE)
_URL = re.compile(r"^(?:[A-Za-z][A-Za-z0-9+.-]*://|data:)", re.IGNORECASE)  # https://…, file://…, data:…
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)


def refs_in(text: str, limit: int = MAX_ATTACHMENTS + 1) -> tuple[str, ...]:
    """The paths of `[[ATTACHMENT|path]]` lines in a testcase's output, in order (at most `limit`)."""
    if "[[ATTACHMENT|" not in text:
        return ()
    out: list[str] = []
    for m in _REF_LINE.finditer(text):
        out.append(m.group(1)[: MAX_REF_CHARS + 1])
        if len(out) >= limit:
            break
    return tuple(out)


def shown(path: str) -> str:
    """A path from the results, as reports may quote it: bounded (renderers escape it)."""
    return path if len(path) <= _SHOWN_CHARS else path[: _SHOWN_CHARS - 1] + "…"


@dataclass(slots=True)
class AttachmentReader:
    """Reads attachments for one check, within one byte budget."""

    root: Path  # the workspace, resolved
    budget: int = MAX_CHECK_BYTES
    spent: int = 0
    # Folders outside the workspace that hold whole result sets (another run's artifacts, extracted):
    # their results may name any file of theirs.
    elsewhere: tuple[Path, ...] = ()

    def read(self, refs: Sequence[str], folder: Path) -> tuple[list[tuple[str, str]], list[TraceNote]]:
        """(shown path, text) of each attachment read, in order, and a note for each one not read whole.

        `folder` is the results file's folder, resolved: relative paths start there. Files must be
        in the workspace, or in the result set `folder` belongs to, or else in `folder` itself.
        """
        confine = next((r for r in (self.root, *self.elsewhere) if folder.is_relative_to(r)), folder)
        texts: list[tuple[str, str]] = []
        notes: list[TraceNote] = []
        done: set[str] = set()
        for ref in refs[:MAX_ATTACHMENTS]:
            path, reason = _resolve(ref, folder, confine, self.root)
            if path is not None and path in done:
                continue  # the same file named twice: its lines once
            if path is not None and reason is None:
                done.add(path)
                text, reason = self._read(path)
                if text is not None:
                    texts.append((shown(ref.strip()), text))
            if reason is not None:
                notes.append(TraceNote(shown(ref.strip()), reason))
        if len(refs) > MAX_ATTACHMENTS:
            notes.append(TraceNote("(more attachments)", f"not read: at most {MAX_ATTACHMENTS} are read per testcase"))
        return texts, notes

    def _read(self, path: str) -> tuple[str | None, str | None]:
        """The text of a regular file (at most MAX_ATTACHMENT_BYTES), or None and why not."""
        left = self.budget - self.spent
        if left <= 0:
            return None, f"not read: this check already read {_size(self.budget)} of attachments, its limit"
        try:
            fd = os.open(path, _OPEN_FLAGS)
        except OSError as exc:
            return None, f"not read: {_oserror(exc)}"
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                return None, f"not read: {_kind(info.st_mode)}"
            want = min(MAX_ATTACHMENT_BYTES, left)
            data = _read_up_to(fd, want + 1)
        except OSError as exc:
            return None, f"not read: {_oserror(exc)}"
        finally:
            os.close(fd)
        cut = len(data) > want
        data = data[:want]
        self.spent += len(data)
        if b"\x00" in data:
            return None, "not read: binary (it holds NUL bytes); a trace is text"
        text = data.decode("utf-8", errors="replace").removeprefix("\ufeff")
        if cut:
            limit = _size(want) if want == MAX_ATTACHMENT_BYTES else f"{_size(want)} (this check's budget)"
            return text, f"read up to {limit}; the rest was not searched"
        return text, None


def _size(n: int) -> str:
    return f"{n // (1024 * 1024)} MiB" if n >= 1024 * 1024 and n % (1024 * 1024) == 0 else f"{n:,} bytes"


def _read_up_to(fd: int, size: int) -> bytes:
    chunks: list[bytes] = []
    left = size
    while left > 0:
        chunk = os.read(fd, min(left, 1024 * 1024))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _resolve(ref: str, folder: Path, confine: Path, root: Path) -> tuple[str | None, str | None]:
    """The normalised path to open, or why it is not opened."""
    ref = ref.strip()
    if not ref:
        return None, "not read: empty path"
    if len(ref) > MAX_REF_CHARS or "\x00" in ref:
        return None, "not read: not a usable path"
    if _URL.match(ref):
        return None, "not read: not a local file (a URL)"
    if os.sep == "/":
        # Written on Windows (Playwright's path.relative there), read here: the same relative path.
        ref = ref.replace("\\", "/")
    candidate = os.path.normpath(ref if os.path.isabs(ref) else os.path.join(folder, ref))
    if not Path(candidate).is_relative_to(confine):
        where = "the workspace" if confine == root else "the folder of these results"
        return None, f"not read: outside {where}"
    try:
        if os.path.normcase(os.path.realpath(candidate)) != os.path.normcase(candidate):
            return None, "not read: a symbolic link (or a path through one)"
        mode = os.lstat(candidate).st_mode
    except FileNotFoundError:
        return None, "not read: missing"
    except (OSError, ValueError) as exc:
        return None, f"not read: {_oserror(exc) if isinstance(exc, OSError) else 'not a usable path'}"
    if not stat.S_ISREG(mode):
        return None, f"not read: {_kind(mode)}"
    return candidate, None


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    return "not a regular file"


def _oserror(exc: OSError) -> str:
    return (exc.strerror or type(exc).__name__).lower()


class TraceLoader:
    """Builds the traces of testcases for one check: output, attachments read, properties."""

    def __init__(self, workspace: Path, elsewhere: Sequence[Path] = ()) -> None:
        self.reader = AttachmentReader(workspace.resolve(), elsewhere=tuple(p.resolve() for p in elsewhere))

    def for_file(self, results_file: str | os.PathLike[str]) -> Callable[[TestCase], traces.Trace]:
        """The trace builder for the testcases of one results file (attachment paths start in its folder)."""
        folder = Path(os.path.realpath(results_file)).parent
        reader = self.reader

        def load(case: TestCase) -> traces.Trace:
            refs = tuple(
                dict.fromkeys(
                    [*case.attachments, *refs_in(case.output), *traces.attachment_properties(case.properties)]
                )
            )
            texts, notes = reader.read(refs, folder)
            return traces.build(case.output, texts, case.properties, notes)

        return load
