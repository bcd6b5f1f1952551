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

from qualify.core.model import (
    EVIDENCE_JOB,
    JOBS,
    KINDS,
    CoverageEntry,
    Defect,
    Evidence,
    Finding,
    Step,
    TrackingRead,
    Waiver,
)
from qualify.tracking.yaml_words import YamlProblem, explain

_FENCE_OPEN = re.compile(r"^(?P<fence>`{3,}|~{3,})[ \t]*yaml[ \t]+qualify[ \t]*$")
_ISSUE_IN_PATH = re.compile(r"(?:issue|gh|bug)?[-_ #]?(\d+)$", re.IGNORECASE)

_TOP_KEYS = {"issue", "title", "area", "partner", "scenario", "events", "coverage", "exception"}
_ENTRY_KEYS = {"test", "file", "kind", "jobs", "evidence"}
_EVIDENCE_KEYS = {"property", "matches", "output"}
MAX_PATTERN_CHARS = 500
MAX_STEPS = 64  # scenario steps; a partner's flow is a handful
MAX_STEP_NAME_CHARS = 200
_WAIVER_KEYS = {"reason", "approved-by", "expires"}

# A qualify block is a few dozen lines. Bound it so YAML cannot be made to cost what it could:
# aliases (`*a`) share one node, but anything that walks or prints the data walks every copy, and
# nine nested lists of nine aliases are 9^9 leaves. Counted on the composed graph, before any value is built.
MAX_YAML_CHARS = 100_000
MAX_YAML_NODES = 10_000
# A qualify block nests about five levels. Documents deeper than this, or that may hold aliases, are
# measured by the exact (recursive) walk; the others by a cheaper level-by-level count.
_PLAIN_DEPTH = 50
_STR_TAG = "tag:yaml.org,2002:str"


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

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        # Strings are most of a block's nodes, and building one is `node.value` (construct_yaml_str).
        # The generic path's memo and recursion guard serve aliases and collections: skipping them for
        # strings takes a third off loading thousands of declared tests.
        if node.tag == _STR_TAG and isinstance(node, yaml.ScalarNode):
            return node.value
        return yaml.constructor.BaseConstructor.construct_object(self, node, deep)

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> dt.date | dt.datetime:  # type: ignore[override]
        # `expires: 2026-13-01` looks like a date to YAML's resolver but is none: PyYAML raises a bare
        # ValueError with no position, which would surface as an internal error.
        try:
            return yaml.constructor.SafeConstructor.construct_yaml_timestamp(self, node)
        except ValueError:
            raise _Invalid(
                f"{node.value!r} is not a valid date (expected YYYY-MM-DD)", self._file_line(node.start_mark)
            ) from None


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _Loader.construct_mapping)
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_timestamp)


class _FastLoader(getattr(yaml, "CSafeLoader", _Loader)):  # type: ignore[misc]
    """The same loader on libyaml's scanner (PyYAML wheels ship it): the pure-Python scanner dominated
    checks with thousands of declared tests. Errors are re-read with `_Loader` for its messages and lines."""

    line_offset = 0
    _file_line = _Loader._file_line
    construct_object = _Loader.construct_object
    construct_mapping = _Loader.construct_mapping
    construct_yaml_timestamp = _Loader.construct_yaml_timestamp


_FastLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _FastLoader.construct_mapping)
_FastLoader.add_constructor("tag:yaml.org,2002:timestamp", _FastLoader.construct_yaml_timestamp)


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


def _expanded_size(root: yaml.Node, line_offset: int) -> int:
    """Nodes the document holds once every alias is expanded; raises _Invalid past MAX_YAML_NODES."""
    sizes: dict[int, int] = {}
    active: set[int] = set()

    def size(node: yaml.Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in active:
            raise _Invalid("YAML alias refers to itself (recursive structure)", node.start_mark.line + 1 + line_offset)
        active.add(key)
        total = 1
        if isinstance(node, yaml.SequenceNode):
            total += sum(size(child) for child in node.value)
        elif isinstance(node, yaml.MappingNode):
            total += sum(size(k) + size(v) for k, v in node.value)
        active.discard(key)
        if total > MAX_YAML_NODES:
            raise _Invalid(
                f"YAML expands to more than {MAX_YAML_NODES} values (alias bomb?); a qualify block needs far fewer",
                node.start_mark.line + 1 + line_offset,
            )
        sizes[key] = total
        return total

    return size(root)


def _plain_size(root: yaml.Node) -> int | None:
    """The node count, level by level; None when the document nests deeper than _PLAIN_DEPTH.

    What _expanded_size returns, at a fraction of its cost, but for a document without aliases only:
    it walks every copy an alias makes."""
    count = 0
    level = [root]
    for _ in range(_PLAIN_DEPTH):
        count += len(level)
        below: list[yaml.Node] = []
        for node in level:
            if isinstance(node, yaml.MappingNode):
                for key, value in node.value:
                    below.append(key)
                    below.append(value)
            elif isinstance(node, yaml.SequenceNode):
                below.extend(node.value)
        if not below:
            return count
        level = below
    return None


def _compose(loader_class: type, block: _Block) -> Any:
    loader = loader_class(block.text)
    loader.line_offset = block.first_line - 1
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        # Count what aliases expand to before building anything: an alias bomb never gets built.
        # Without aliases a cheaper count will do (it would walk an alias bomb's every copy). An alias
        # needs an anchor (`&a`) and a reference (`*a`). Only a refusal needs the exact walk (its wording
        # and line).
        if "&" in block.text and "*" in block.text:
            _expanded_size(node, loader.line_offset)
        else:
            plain = _plain_size(node)
            if plain is None or plain > MAX_YAML_NODES:
                _expanded_size(node, loader.line_offset)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _load_yaml(block: _Block) -> Any:
    if len(block.text) > MAX_YAML_CHARS:
        raise _Invalid(
            f"the YAML block is {len(block.text)} characters, over the limit of {MAX_YAML_CHARS}", block.first_line
        )
    try:
        try:
            return _compose(_FastLoader, block)
        except yaml.YAMLError:
            pass  # re-read below: the pure-Python loader words and locates errors as documented
        return _compose(_Loader, block)
    except yaml.YAMLError as exc:
        raise _yaml_invalid(exc, block) from None
    except RecursionError:
        raise _Invalid("YAML nested too deeply; a qualify block needs a few levels", block.first_line) from None


def _yaml_invalid(exc: yaml.YAMLError, block: _Block) -> _Invalid:
    """PyYAML's error as a sentence in plain words beside the line to fix, PyYAML's own text after it."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line = mark.line + block.first_line if mark is not None else block.first_line
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    context = getattr(exc, "context", None)
    context_mark = getattr(exc, "context_mark", None)
    lines = block.text.split("\n")

    def text(file_line: int) -> str:
        i = file_line - block.first_line
        return lines[i] if 0 <= i < len(lines) else ""

    problem_at = YamlProblem(
        problem=problem,
        context=context,
        line=line,
        column=mark.column if mark is not None else 0,
        context_line=context_mark.line + block.first_line if context_mark is not None else None,
        text=text,
    )
    try:
        plain = explain(problem_at)
    except Exception:  # noqa: BLE001 - the plain words are a courtesy: PyYAML's own text is enough
        plain = None
    original = f"{context}, {problem}" if context else problem
    if plain is None:
        return _Invalid(f"YAML error: {original}", line)
    return _Invalid(f"YAML error: {plain.sentence} (PyYAML: {original})", plain.line)


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
        key = extra[0]
        # `issue:: 1` is the key `issue:` to YAML: a doubled colon.
        doubled = f"; write one colon: `{key.rstrip(':')}: …`" if isinstance(key, str) and key.endswith(":") else ""
        raise _Invalid(
            f"unknown key {key!r} in {where} (allowed: {', '.join(sorted(allowed))}){doubled}",
            _line(mapping, key),
        )


def nested_repeat(pattern: str) -> bool:
    """Whether a regex nests an unbounded repetition in another one, e.g. `(a+)+` or `(\\w+\\s?)*`.

    Such patterns can backtrack exponentially; the searched text is bounded (junit.py), but 64 KiB
    is plenty for that. Possessive quantifiers and atomic groups do not backtrack and are allowed.
    """
    try:
        from re import _constants as sre  # private, but stable since 3.11; without it: no check
        from re import _parser
    except ImportError:  # pragma: no cover
        return False

    def walk(items: Any, inside: bool) -> bool:
        for op, av in items:
            if op in (sre.MAX_REPEAT, sre.MIN_REPEAT):
                unbounded = av[1] == sre.MAXREPEAT
                if (unbounded and inside) or walk(av[2], inside or unbounded):
                    return True
            elif op is sre.SUBPATTERN:
                if walk(av[3], inside):
                    return True
            elif op is sre.BRANCH:
                if any(walk(b, inside) for b in av[1]):
                    return True
            elif op in (sre.ASSERT, sre.ASSERT_NOT):
                if walk(av[1], inside):
                    return True
            elif op is sre.GROUPREF_EXISTS:
                if any(b is not None and walk(b, inside) for b in av[1:]):
                    return True
        return False

    try:
        return walk(_parser.parse(pattern), False)
    except Exception:  # noqa: BLE001 - compile() already accepted it; a parser quirk must not block
        return False


def _pattern(mapping: dict, key: str, where: str, what: str | None = None) -> str:
    value = mapping.get(key)
    line = _line(mapping, key)
    what = what or f"`{key}` in {where}"
    if not isinstance(value, str) or not value:
        raise _Invalid(f"{what} must be a non-empty regular expression, got {value!r}", line)
    if len(value) > MAX_PATTERN_CHARS:
        raise _Invalid(f"{what} is longer than {MAX_PATTERN_CHARS} characters", line)
    try:
        re.compile(value)
    except re.error as exc:
        raise _Invalid(
            f"{what} is not a valid regular expression: {exc.msg} (at position {exc.pos}); "
            "quote it with single quotes in YAML",
            line,
        ) from None
    if nested_repeat(value):
        raise _Invalid(
            f"{what} nests a repetition in another one (like `(a+)+`), which can take exponential "
            "time; simplify it, or make the inner one possessive (`a++`) or atomic (`(?>a+)`)",
            line,
        )
    return value


def _evidence(value: Any, where: str, line: int) -> tuple[Evidence, ...]:
    if not isinstance(value, list) or not value:
        raise _Invalid(
            f"`evidence` in {where} must be a non-empty list of "
            "{property: NAME, matches: REGEX} or {output: REGEX} items",
            line,
        )
    out = []
    for i, item in enumerate(value):
        at = f"evidence item {i + 1} of {where}"
        if not isinstance(item, dict):
            raise _Invalid(f"{at} must be a mapping such as {{property: NAME, matches: REGEX}}", line)
        _unknown_keys(item, _EVIDENCE_KEYS, at)
        if "output" in item:
            if len(item) > 1:
                raise _Invalid(f"{at}: `output` stands alone; put a property check in its own item", _line(item))
            out.append(Evidence(property=None, pattern=_pattern(item, "output", at), line=_line(item, fallback=line)))
            continue
        name = _text(item, "property", required=True)
        pattern = _pattern(item, "matches", at) if "matches" in item else None
        out.append(Evidence(property=name, pattern=pattern, line=_line(item, fallback=line)))
    return tuple(out)


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
    evidence: tuple[Evidence, ...] = ()
    if "evidence" in item:
        evidence = _evidence(item["evidence"], f"coverage item {index + 1}", _line(item, "evidence"))
        if EVIDENCE_JOB not in jobs:
            raise _Invalid(
                f"`evidence` is checked in the {EVIDENCE_JOB} job, but coverage item {index + 1} has "
                f"jobs: [{', '.join(jobs)}]; add {EVIDENCE_JOB} to jobs or drop `evidence`",
                _line(item, "evidence"),
            )
    return CoverageEntry(
        test=test or "",
        file=file,
        kind=kind,
        jobs=tuple(dict.fromkeys(jobs)),
        line=_line(item, fallback=fallback_line),
        evidence=evidence,
    )


def _steps(data: dict, block_line: int) -> tuple[Step, ...]:
    """`scenario` as a list of one-key mappings, step name -> regex a trace line must match, in order."""
    value = data["scenario"]
    line = _line(data, "scenario", block_line)
    shape = "a list of steps such as `- connect: 'session\\.created'` (one step name and its pattern per item)"
    if not value:
        raise _Invalid(f"`scenario` must be the partner's flow as text, or {shape}", line)
    if len(value) > MAX_STEPS:
        raise _Invalid(f"`scenario` lists {len(value)} steps, more than {MAX_STEPS}", line)
    steps: list[Step] = []
    names: dict[str, int] = {}
    for i, item in enumerate(value):
        at = f"scenario step {i + 1}"
        if not isinstance(item, dict) or len(item) != 1:
            raise _Invalid(
                f"{at} must be one `name: pattern` mapping; `scenario` is {shape}", _line(item, fallback=line)
            )
        (key,) = item
        item_line = _line(item, key, line)
        if not isinstance(key, str) or not key.strip():
            raise _Invalid(f"{at}: the step name must be non-empty text, got {key!r}", item_line)
        name = " ".join(key.split())
        if len(name) > MAX_STEP_NAME_CHARS:
            raise _Invalid(f"{at}: the step name is longer than {MAX_STEP_NAME_CHARS} characters", item_line)
        if name in names:
            raise _Invalid(
                f"{at}: step {name!r} is listed twice (first as step {names[name]}); name steps apart", item_line
            )
        names[name] = i + 1
        pattern = _pattern(item, key, at, f"the pattern of {at} ({name})")
        steps.append(Step(name=name, pattern=pattern, line=item_line))
    return tuple(steps)


def _scenario(data: dict, block_line: int) -> tuple[str | None, tuple[Step, ...]]:
    if isinstance(data.get("scenario"), list):
        steps = _steps(data, block_line)
        return " → ".join(s.name for s in steps), steps
    return _text(data, "scenario", required=False), ()


def _events(data: dict, block_line: int) -> str | None:
    """`events`: a regex whose one group names an event in a trace line."""
    if data.get("events") is None:
        return None
    pattern = _pattern(data, "events", "the qualify block", "`events`")
    if re.compile(pattern).groups != 1:
        raise _Invalid(
            "`events` must have exactly one group `( )`, around the event's name (make other groups "
            'non-capturing: `(?: )`), e.g. \'"type":\\s*"([\\w.]+)"\'',
            _line(data, "events", block_line),
        )
    return pattern


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
    scenario, steps = _scenario(data, block_line)
    events = _events(data, block_line)
    return Defect(
        issue=issue,
        title=_text(data, "title", required=False) or "",
        areas=tuple(a.lower() for a in _string_list(data, "area")),
        partner=_text(data, "partner", required=False),
        scenario=scenario,
        coverage=tuple(_entry(item, i, cov_line) for i, item in enumerate(coverage)),
        waiver=_waiver(data.get("exception"), _line(data, "exception", block_line)),
        tracking=path,
        line=block_line,
        steps=steps,
        scenario_line=_line(data, "scenario", block_line) if "scenario" in data else None,
        events=events,
        events_line=_line(data, "events", block_line) if events is not None else None,
    )


def _clip(message: str, limit: int = 500) -> str:
    """Messages quote the offending value; keep a hostile one from flooding the log."""
    return message if len(message) <= limit else message[: limit - 1] + "…"


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
                message=f"invalid qualify block: {_clip(exc.message)}",
                issue=issue,
                file=path,
                line=exc.line,
                hint="fix the block until `qualify lint` passes (README: TRACKING.md format)",
            ),
            issue_hint=hint,
        )


def raw_block(text: str) -> Any:
    """The `qualify` block as YAML loaded it, for `qualify lint`'s schema check (mappings carry `.line`
    and `.key_lines`); None when there is none or it cannot be loaded (parse_tracking says why)."""
    try:
        return _find_block(text.removeprefix("\ufeff"))[0]
    except _Invalid:
        return None
