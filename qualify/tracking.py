"""TRACKING.md declarations: find the `qualify` block, parse it safely, validate it into a Defect.

Pure: takes the file's text and its display path, returns a TrackingRead. Never raises for bad
content; a malformed block becomes a `tracking-invalid` finding with the line to fix.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

import yaml

from qualify.model import JOBS, KINDS, CoverageEntry, Defect, Finding, TrackingRead, Waiver

_FENCE_OPEN = re.compile(r"^(?P<fence>`{3,}|~{3,})[ \t]*yaml[ \t]+qualify[ \t]*$")
_ISSUE_IN_PATH = re.compile(r"(?:issue|gh|bug)?[-_ #]?(\d+)$", re.IGNORECASE)

_TOP_KEYS = {"issue", "title", "area", "partner", "scenario", "coverage", "exception"}
_ENTRY_KEYS = {"test", "file", "kind", "jobs"}
_WAIVER_KEYS = {"reason", "approved-by", "expires"}


class _Invalid(Exception):
    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


class _LineDict(dict):
    """A mapping that remembers the 1-based line of itself and of each key."""

    line: int = 0
    key_lines: dict[Any, int]


class _Loader(yaml.SafeLoader):
    """SafeLoader that records line numbers and refuses duplicate keys (last-wins hides mistakes)."""

    line_offset = 0  # file line of the block's first YAML line, minus one

    def _file_line(self, mark: yaml.Mark) -> int:
        return mark.line + 1 + self.line_offset

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> _LineDict:  # type: ignore[override]
        if not isinstance(node, yaml.MappingNode):
            raise yaml.constructor.ConstructorError(None, None, f"expected a mapping, found {node.id}", node.start_mark)
        self.flatten_mapping(node)
        result = _LineDict()
        result.line = self._file_line(node.start_mark)
        result.key_lines = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, (str, int, float, bool, type(None), dt.date)):
                raise yaml.constructor.ConstructorError(
                    None, None, "mapping keys must be plain scalars", key_node.start_mark
                )
            if key in result:
                raise _Invalid(f"duplicate key {key!r}", self._file_line(key_node.start_mark))
            result[key] = self.construct_object(value_node, deep=True)
            result.key_lines[key] = self._file_line(key_node.start_mark)
        return result


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _Loader.construct_mapping)


class _FastLoader(getattr(yaml, "CSafeLoader", _Loader)):  # type: ignore[misc]
    """The same loader on libyaml's scanner (PyYAML wheels ship it): the pure-Python scanner dominated
    checks with thousands of declared tests. Errors are re-read with `_Loader` for its messages and lines."""

    line_offset = 0
    _file_line = _Loader._file_line
    construct_mapping = _Loader.construct_mapping


_FastLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _FastLoader.construct_mapping)


@dataclass(frozen=True, slots=True)
class _Block:
    text: str
    first_line: int  # file line of the block's first YAML line


def issue_from_path(path: str) -> int | None:
    """Guess the issue number from a path such as docs/issues/ISSUE-462/TRACKING.md."""
    parts = re.split(r"[\\/]", path)
    for part in reversed(parts[:-1]):
        m = _ISSUE_IN_PATH.search(part)
        if m:
            return int(m.group(1))
    return None


def _front_matter(lines: list[str]) -> _Block | None:
    if not lines or lines[0].rstrip() != "---":
        return None
    for i in range(1, len(lines)):
        if lines[i].rstrip() in ("---", "..."):
            return _Block("\n".join(lines[1:i]), 2)
    raise _Invalid("front matter starting on line 1 never closes: add a line with '---'", 1)


def _fenced_block(lines: list[str]) -> _Block | None:
    for i, line in enumerate(lines):
        m = _FENCE_OPEN.match(line.rstrip())
        if not m:
            continue
        fence = m.group("fence")
        for j in range(i + 1, len(lines)):
            if lines[j].strip().startswith(fence[0] * len(fence)) and not lines[j].strip().strip(fence[0]):
                return _Block("\n".join(lines[i + 1 : j]), i + 2)
        raise _Invalid(f"the ```yaml qualify block opened on line {i + 1} never closes", i + 1)
    return None


def _load_yaml(block: _Block) -> Any:
    fast = _FastLoader(block.text)
    fast.line_offset = block.first_line - 1
    try:
        return fast.get_single_data()
    except yaml.YAMLError:
        pass  # re-read below: the pure-Python loader words and locates errors as documented
    finally:
        fast.dispose()
    loader = _Loader(block.text)
    loader.line_offset = block.first_line - 1
    try:
        return loader.get_single_data()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + block.first_line if mark is not None else block.first_line
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise _Invalid(f"YAML error: {problem}", line) from None
    finally:
        loader.dispose()


def _find_block(text: str) -> tuple[dict | None, _Block | None]:
    """Return the `qualify` mapping (or None when the file declares nothing) and where it was."""
    lines = text.splitlines()
    front = _front_matter(lines)
    if front is not None:
        data = _load_yaml(front)
        if isinstance(data, dict) and "qualify" in data:
            return data["qualify"], _Block(front.text, _line(data, "qualify", front.first_line))
        if data is not None and not isinstance(data, dict):
            raise _Invalid("front matter is not a YAML mapping", 1)
    fenced = _fenced_block(lines)
    if fenced is None:
        return None, None
    data = _load_yaml(fenced)
    # The fenced block may hold the mapping itself or wrap it under `qualify:` like front matter.
    if isinstance(data, dict) and set(data) == {"qualify"}:
        data = data["qualify"]
    if data is None:
        raise _Invalid("the ```yaml qualify block is empty", fenced.first_line - 1)
    return data, fenced


def _line(mapping: Any, key: str | None = None, fallback: int = 1) -> int:
    if isinstance(mapping, _LineDict):
        if key is not None and key in mapping.key_lines:
            return mapping.key_lines[key]
        return mapping.line or fallback
    return fallback


def _text(mapping: dict, key: str, *, required: bool) -> str | None:
    value = mapping.get(key)
    if value is None:
        if required:
            raise _Invalid(f"`{key}` is required", _line(mapping))
        return None
    if not isinstance(value, str) or not value.strip():
        raise _Invalid(f"`{key}` must be a non-empty string, got {value!r}", _line(mapping, key))
    return " ".join(value.split())


def _string_list(mapping: dict, key: str) -> tuple[str, ...]:
    value = mapping.get(key)
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise _Invalid(f"`{key}` must be a list of strings, got {value!r}", _line(mapping, key))
    return tuple(v.strip() for v in value)


def _unknown_keys(mapping: dict, allowed: set[str], where: str) -> None:
    extra = [k for k in mapping if k not in allowed]
    if extra:
        raise _Invalid(
            f"unknown key {extra[0]!r} in {where} (allowed: {', '.join(sorted(allowed))})",
            _line(mapping, extra[0]),
        )


def _entry(item: Any, index: int, fallback_line: int) -> CoverageEntry:
    if not isinstance(item, dict):
        raise _Invalid(f"coverage item {index + 1} must be a mapping with a `test` key", fallback_line)
    _unknown_keys(item, _ENTRY_KEYS, f"coverage item {index + 1}")
    test = _text(item, "test", required=True)
    file = _text(item, "file", required=False)
    kind = item.get("kind", "regression")
    if kind not in KINDS:
        raise _Invalid(f"`kind` must be one of {', '.join(KINDS)}, got {kind!r}", _line(item, "kind"))
    jobs = _string_list(item, "jobs") if "jobs" in item else JOBS
    if not jobs or any(j not in JOBS for j in jobs):
        raise _Invalid(
            f"`jobs` must be a non-empty subset of [mock, real], got {item.get('jobs')!r}", _line(item, "jobs")
        )
    return CoverageEntry(
        test=test or "", file=file, kind=kind, jobs=tuple(dict.fromkeys(jobs)), line=_line(item, fallback=fallback_line)
    )


def _waiver(value: Any, line: int) -> Waiver | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _Invalid("`exception` must be a mapping with reason, approved-by and expires", line)
    _unknown_keys(value, _WAIVER_KEYS, "exception")
    reason = _text(value, "reason", required=True)
    approved = _text(value, "approved-by", required=True)
    expires = value.get("expires")
    if isinstance(expires, str):
        try:
            expires = dt.date.fromisoformat(expires.strip())
        except ValueError:
            expires = None
    if isinstance(expires, dt.datetime):
        expires = expires.date()
    if not isinstance(expires, dt.date):
        raise _Invalid("`expires` must be a date like 2026-12-31", _line(value, "expires", line))
    return Waiver(reason=reason or "", approved_by=approved or "", expires=expires, line=_line(value, fallback=line))


def _defect(data: Any, path: str, block_line: int) -> Defect:
    if not isinstance(data, dict):
        raise _Invalid("the `qualify` block must be a mapping", block_line)
    _unknown_keys(data, _TOP_KEYS, "the qualify block")
    issue = data.get("issue")
    if isinstance(issue, bool) or not isinstance(issue, int) or issue <= 0:
        raise _Invalid(f"`issue` must be a positive integer, got {issue!r}", _line(data, "issue", block_line))
    coverage = data.get("coverage")
    if not isinstance(coverage, list) or not coverage:
        raise _Invalid(
            "`coverage` must be a non-empty list of tests (- test: ...)", _line(data, "coverage", block_line)
        )
    cov_line = _line(data, "coverage", block_line)
    return Defect(
        issue=issue,
        title=_text(data, "title", required=False) or "",
        areas=tuple(a.lower() for a in _string_list(data, "area")),
        partner=_text(data, "partner", required=False),
        scenario=_text(data, "scenario", required=False),
        coverage=tuple(_entry(item, i, cov_line) for i, item in enumerate(coverage)),
        waiver=_waiver(data.get("exception"), _line(data, "exception", block_line)),
        tracking=path,
        line=block_line,
    )


def parse_tracking(text: str, path: str) -> TrackingRead:
    """Read one TRACKING.md. `path` is how reports name the file (relative to the workspace)."""
    hint = issue_from_path(path)
    try:
        data, block = _find_block(text.removeprefix("\ufeff"))
        if block is None:
            return TrackingRead(path=path, issue_hint=hint)
        return TrackingRead(path=path, defect=_defect(data, path, block.first_line), issue_hint=hint)
    except _Invalid as exc:
        issue = hint
        return TrackingRead(
            path=path,
            invalid=Finding(
                code="tracking-invalid",
                message=f"invalid qualify block: {exc.message}",
                issue=issue,
                file=path,
                line=exc.line,
                hint="fix the block until `qualify lint` passes (README: TRACKING.md format)",
            ),
            issue_hint=hint,
        )
