"""`qualify lint`: validate declarations and flag blocks that can never qualify.

Each file is read by the same parser `qualify check` uses (its first problem, with the exact line),
then validated against schema/tracking.schema.json, which lists every other problem at once.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TextIO

import qualify
from qualify.app.check import DEFAULT_TRACKING, MAX_TRACKING_BYTES, read_tracking_file
from qualify.core.model import Defect, Finding
from qualify.core.rules import DEFAULT_REAL_API_AREAS
from qualify.errors import QualifyError
from qualify.tracking.parse import raw_block
from qualify.tracking.schema import SchemaError, Validator, Violation, to_json_data
from qualify.workspace import TRACKING_IN_DIRECTORY, search, searched

SCHEMA_NAME = "tracking.schema.json"


def schema_path() -> Path:
    """Where the schema is: inside the installed package (wheel) or next to it (source tree, image)."""
    here = Path(qualify.__file__).resolve().parent
    for candidate in (here / "schema" / SCHEMA_NAME, here.parent / "schema" / SCHEMA_NAME):
        if candidate.is_file():
            return candidate
    raise QualifyError(f"the TRACKING.md schema {SCHEMA_NAME} is missing from this installation (reinstall qualify)")


def load_validator(path: Path | None = None) -> Validator:
    path = path or schema_path()
    try:
        return Validator(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, SchemaError) as exc:
        raise QualifyError(f"cannot use the schema: {exc}", str(path)) from None


def _line_of(data: Any, path: tuple[str | int, ...], fallback: int) -> int:
    """The file line of the value at `path`, from the line numbers the tracking loader records."""
    line = getattr(data, "line", 0) or fallback
    node = data
    for step in path:
        if isinstance(node, dict):
            key = next((k for k in node if k == step or str(k) == step), None)
            if key is None:
                break
            line = getattr(node, "key_lines", {}).get(key, line)
            node = node[key]
        elif isinstance(node, list) and isinstance(step, int) and step < len(node):
            node = node[step]
        else:
            break
        line = getattr(node, "line", 0) or line
    return line


def schema_violations(text: str, validator: Validator) -> list[tuple[int, Violation]]:
    """Schema problems of the file's `qualify` block, each with its file line; [] when there is no block."""
    block = raw_block(text.removeprefix("\ufeff"))
    if block is None:
        return []
    document = {"qualify": block}
    return [(_line_of(document, v.path, 1), v) for v in validator.errors(to_json_data(document))]


def static_findings(defect: Defect, real_api_areas: tuple[str, ...] = DEFAULT_REAL_API_AREAS) -> list[Finding]:
    """Problems (and warnings) visible from the declaration alone, before any results are read."""
    at = dict(issue=defect.issue, file=defect.tracking, line=defect.line)
    found: list[Finding] = []
    if not any("mock" in e.jobs for e in defect.coverage):
        found.append(Finding(code="no-mock-coverage", message="no declared test lists the mock job", **at))
    if set(defect.areas) & set(real_api_areas) and not any("real" in e.jobs for e in defect.coverage):
        found.append(
            Finding(code="no-real-api-coverage", message="backend/proxy defect declares no test for the real job", **at)
        )
    if defect.partner:
        if not defect.scenario:
            found.append(
                Finding(code="scenario-undocumented", message="`partner` is set but `scenario` is missing", **at)
            )
        scenario_tests = [e for e in defect.coverage if e.kind == "scenario" and "real" in e.jobs]
        if not scenario_tests:
            found.append(
                Finding(
                    code="partner-scenario-not-covered",
                    message="partner-reported defect declares no `kind: scenario` test for the real job",
                    **at,
                )
            )
        elif defect.scenario and not defect.steps:
            found.append(
                Finding(
                    code="scenario-unverified",
                    severity="warning",
                    message=(
                        f"`scenario` is a sentence, so the gate cannot check that “{scenario_tests[0].test}” "
                        "runs the partner's flow; list the steps (`- step name: 'pattern'`) to let it check"
                    ),
                    **{**at, "line": defect.scenario_line or defect.line},
                )
            )
    if defect.events and not any({"mock", "real"} <= set(e.jobs) for e in defect.coverage):
        found.append(
            Finding(
                code="mock-drift",
                severity="warning",
                message="`events` is set, but no declared test runs in both jobs: there is no mock run to compare",
                **{**at, "line": defect.events_line or defect.line},
            )
        )
    return found


def _schema_lines(path: Path, display: str, validator: Validator, skip_line: int | None) -> list[str]:
    try:
        if path.stat().st_size > MAX_TRACKING_BYTES:
            return []
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return []  # the parser already reported why the file cannot be read
    lines = []
    for line, v in schema_violations(text, validator):
        if line != skip_line:  # the parser's own message for that line says it better
            lines.append(f"{display}:{line}: tracking-invalid: schema: {v.pointer}: {v.message}\n")
    return list(dict.fromkeys(lines))


def lint_targets(args: list[str], workspace: Path) -> list[tuple[Path, str]]:
    """The files `qualify lint ARGS` reads, as (path, how to show it): each argument a file, a
    directory (every TRACKING.md under it) or a glob expanded as `check` expands it; none means
    check's default glob. Paths typed may lie anywhere; links met under them must stay inside them
    or the workspace (the pre-commit hook and CI lint pull-request content)."""
    files: dict[Path, str] = {}
    for arg in args or [DEFAULT_TRACKING]:
        found = search([arg], workspace, what="TRACKING.md", typed_outside=True, in_directory=TRACKING_IN_DIRECTORY)
        if not found.files:
            raise QualifyError(_nothing_to_lint(arg, args, workspace), code="usage")
        for f in found.files:
            files.setdefault(f.real, f.display)
    return [(real, display) for real, display in files.items()]


def _nothing_to_lint(arg: str, args: list[str], workspace: Path) -> str:
    where = searched([arg], workspace, TRACKING_IN_DIRECTORY)
    if not args:
        return (
            f"no file to lint: the default {DEFAULT_TRACKING} matched no file ({where}); "
            "name files or directories, e.g. qualify lint path/to/TRACKING.md"
        )
    if (workspace / arg).is_dir():
        return f"{arg}: no TRACKING.md under this directory ({where})"
    if any(c in arg for c in "*?["):
        return f"{arg!r} matched no file ({where})"
    return f"{arg}: no such file or directory"


def lint_files(paths: list[tuple[Path, str]], out: TextIO, validator: Validator | None = None) -> int:
    """Lint each (path, display) file; 1 on any problem."""
    # TRACKING.md text (titles, keys) reaches these lines; in an Actions log a line starting `::`
    # would be a workflow command. The pre-commit hook and CI run lint on pull-request content.
    out = _PlainLines(out)
    validator = validator or load_validator()
    problems = 0
    for path, display in paths:
        if not path.is_file():
            raise QualifyError("no such file", display)
        read = read_tracking_file(path, display)
        parser_line = None
        if read.invalid is not None:
            f = read.invalid
            parser_line = f.line or 1
            out.write(f"{display}:{parser_line}: {f.code}: {f.message}\n")
            problems += 1
        extra = _schema_lines(path, display, validator, parser_line)
        out.writelines(extra)
        problems += len(extra)
        if read.invalid is not None or extra:
            continue
        if read.defect is None:
            out.write(f"{display}:1: warning: no qualify block; this file is not checked\n")
        else:
            for f in static_findings(read.defect):
                if f.severity == "warning":  # said, but not a problem: the block can still qualify
                    out.write(f"{display}:{f.line}: warning: {f.code}: {f.message}\n")
                    continue
                out.write(f"{display}:{f.line}: {f.code}: {f.message}\n")
                problems += 1
    out.write(f"{len(paths)} file(s) checked, {problems} problem(s)\n")
    return 1 if problems else 0


class _PlainLines:
    """A writer that passes every line through workflow.plain (controls visible, no leading `::`)."""

    def __init__(self, out: TextIO) -> None:
        self._out = out

    def write(self, text: str) -> None:
        from qualify.render.workflow_commands import plain

        for line in text.splitlines():
            self._out.write(plain(line) + "\n")

    def writelines(self, lines: list[str]) -> None:
        for line in lines:
            self.write(line)
