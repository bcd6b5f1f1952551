#!/usr/bin/env python3
"""Golden outputs: what qualify prints and writes for each scenario, pinned byte for byte.

    python3 scripts/golden.py --check   # exit 1 with a unified diff when an output changed
    python3 scripts/golden.py --write   # regenerate tests/golden/<scenario>/ after a wanted change

Scenarios: every run under examples/runs/ (with examples/docs as the TRACKING.md files), and every
case under tests/golden/cases/ (case.json: what it shows, the example it starts from, the files it
adds in workspace/, the inputs it changes). Each one is run the way users run qualify, in a fresh
copy of its workspace: the command line (`entrypoint.py check ...`, a terminal user) and the Action
protocol (`entrypoint.py` with INPUT_* variables, GITHUB_STEP_SUMMARY and GITHUB_OUTPUT), with the
same inputs. What is normalised, and only that: qualify's version, the temporary workspace path and
the read time on stderr (see `normalise`); QUALIFY_TODAY fixes the date exceptions are judged on.
"""

from __future__ import annotations

import argparse
import difflib
import io
import json
import os
import re
import secrets
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
GOLDEN = ROOT / "tests" / "golden"
CASES = GOLDEN / "cases"
EXAMPLES = ROOT / "examples"
REGENERATE = "python3 scripts/golden.py --write"
TODAY = "2026-11-25"  # the day the example runs were recorded

# The inputs every scenario starts from: where examples/runs/<name>/ and examples/docs/ are copied.
DEFAULT_INPUTS = {
    "mock-results": "test-results/mock/*.xml",
    "real-results": "test-results/real/**/*.xml",
    "tracking": "docs/issues/**/TRACKING.md",
}
REPORT = "qualify-report.json"
# Inputs that are also `qualify check` flags of the same name; a case may set only these.
SHARED_INPUTS = (
    "mock-results",
    "real-results",
    "tracking",
    "issues",
    "real-api-areas",
    "mode",
    "max-file-bytes",
    "max-total-bytes",
)
# The files of one scenario, in the order they are reported; what each holds is in tests/golden/README.md.
FILES = (
    "command.txt",
    "exit-code.txt",
    "cli-stdout.txt",
    "cli-stderr.txt",
    "action-console.txt",
    "annotations.txt",
    "action-stderr.txt",
    "outputs.txt",
    "summary.md",
    "report.json",
)
_READ_TIME = re.compile(r"^(qualify: read .* testcases in )\d+\.\d s$", re.M)


@dataclass(frozen=True)
class Scenario:
    name: str
    about: str
    example: str | None  # examples/runs/<example> as test-results/, examples/docs as docs/
    overlay: Path | None  # files copied over the example's (tests/golden/cases/<name>/workspace)
    inputs: Mapping[str, str] = field(default_factory=dict)


def _run_inputs(run: Path) -> Mapping[str, str]:
    """A run that brings its own TRACKING.md (probe-as-scenario) is checked against it, as
    examples/README.md runs it; the others against examples/docs."""
    if (run / "TRACKING.md").is_file():
        return {**DEFAULT_INPUTS, "tracking": "test-results/TRACKING.md"}
    return DEFAULT_INPUTS


def scenarios() -> list[Scenario]:
    found = [
        Scenario(run.name, f"examples/runs/{run.name} (see examples/README.md)", run.name, None, _run_inputs(run))
        for run in sorted(p for p in (EXAMPLES / "runs").iterdir() if p.is_dir())
    ]
    names = {s.name for s in found}
    for case in sorted(p for p in CASES.iterdir() if p.is_dir()) if CASES.is_dir() else []:
        spec = json.loads((case / "case.json").read_text(encoding="utf-8"))
        unknown = set(spec) - {"about", "example", "inputs"} or set(spec.get("inputs", {})) - set(SHARED_INPUTS)
        if unknown:
            raise SystemExit(f"{case / 'case.json'}: unknown keys {sorted(unknown)}")
        if case.name in names:
            raise SystemExit(f"{case}: the name {case.name!r} is already an example run; rename the case")
        overlay = case / "workspace"
        found.append(
            Scenario(
                case.name,
                spec["about"],
                spec.get("example"),
                overlay if overlay.is_dir() else None,
                {**DEFAULT_INPUTS, **spec.get("inputs", {})},
            )
        )
    return found


def _workspace(scenario: Scenario, ws: Path) -> None:
    ws.mkdir(parents=True)
    if scenario.example:
        shutil.copytree(EXAMPLES / "docs", ws / "docs")
        shutil.copytree(EXAMPLES / "runs" / scenario.example, ws / "test-results")
    if scenario.overlay:
        shutil.copytree(scenario.overlay, ws, dirs_exist_ok=True)


def _base_env() -> dict[str, str]:
    """The caller's environment without anything that changes qualify's behaviour or output."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("INPUT_", "GITHUB_", "RUNNER_", "QUALIFY_")) and k not in ("GH_TOKEN", "CI", "TERM")
    }
    env.update(QUALIFY_TODAY=TODAY, PYTHONIOENCODING="utf-8", PYTHONDONTWRITEBYTECODE="1")
    return env


def _cli_args(inputs: Mapping[str, str]) -> list[str]:
    args = ["check"]
    for name in SHARED_INPUTS:
        if inputs.get(name):
            args += [f"--{name}", inputs[name]]
    return args


@dataclass(frozen=True)
class Ran:
    code: int
    stdout: bytes
    stderr: bytes


def _run_subprocess(argv: list[str], cwd: Path, env: Mapping[str, str]) -> Ran:
    """`python3 entrypoint.py ARGS` in its own process: exactly what the container runs."""
    r = subprocess.run(
        [sys.executable, str(ROOT / "entrypoint.py"), *argv], cwd=cwd, env=dict(env), capture_output=True, timeout=120
    )
    return Ran(r.returncode, r.stdout, r.stderr)


def _run_in_process(argv: list[str], cwd: Path, env: Mapping[str, str]) -> Ran:
    """entrypoint.main() in this process, with its argv, environment, directory and streams swapped in.

    The same code path as a subprocess without the interpreter's start-up (about 0.25 s of CPU a
    run); tests/test_golden.py checks the two give the same bytes. Not thread-safe: one at a time.
    """
    import entrypoint

    saved = (sys.argv, dict(os.environ), os.getcwd(), sys.stdout, sys.stderr)
    out, err = io.StringIO(), io.StringIO()
    try:
        sys.argv = [str(ROOT / "entrypoint.py"), *argv]
        os.environ.clear()
        os.environ.update(env)
        os.chdir(cwd)
        sys.stdout, sys.stderr = out, err
        code = entrypoint.main()
    finally:
        sys.argv, environ, cwd_before, sys.stdout, sys.stderr = saved
        os.environ.clear()
        os.environ.update(environ)
        os.chdir(cwd_before)
    return Ran(code, out.getvalue().encode(), err.getvalue().encode())


def normalise(data: bytes, workspace: Path) -> bytes:
    """Only what differs between two runs of the same qualify on the same input."""
    text = data.decode("utf-8", errors="surrogateescape")
    paths = {str(workspace), os.path.realpath(workspace)}
    for path in sorted(paths | {p.replace("_", "\\_") for p in paths}, key=len, reverse=True):
        text = text.replace(path, "<workspace>")
    text = _READ_TIME.sub(r"\1<seconds> s", text)
    from qualify import __version__

    text = re.sub(rf'("qualify_version":\s*)"{re.escape(__version__)}"', r'\1"<version>"', text)
    return text.encode("utf-8", errors="surrogateescape")


def _split_annotations(stdout: bytes) -> tuple[bytes, bytes]:
    """The Action's stdout as its console text and the workflow-command lines after it.

    Every console line passes through `plain`, so only qualify's own commands start with `::`; they
    come last. Anything else is a change of shape the golden files must show, not hide.
    """
    lines = stdout.splitlines(keepends=True)
    first = next((i for i, line in enumerate(lines) if line.startswith(b"::")), len(lines))
    console, commands = b"".join(lines[:first]), b"".join(lines[first:])
    if any(not line.startswith(b"::") for line in lines[first:]):
        raise RuntimeError(
            "the Action's stdout mixes console lines into its workflow commands; update _split_annotations"
        )
    return console, commands


def _command_text(scenario: Scenario, cli: list[str], env: Mapping[str, str]) -> str:
    inputs = "".join(f"  {k}={v}\n" for k, v in sorted(env.items()) if k.startswith("INPUT_"))
    return (
        f"# {scenario.about}\n"
        f"$ qualify {shlex.join(cli)}\n"
        f"Action (entrypoint.py, GITHUB_ACTIONS=true, GITHUB_STEP_SUMMARY, GITHUB_OUTPUT):\n{inputs}"
    )


def generate(scenario: Scenario, *, subprocesses: bool = False) -> dict[str, bytes]:
    """Run one scenario both ways; its golden files by name."""
    # Hex only: the Markdown summary escapes `_` and `*`, which would hide the path from normalise.
    base = Path(tempfile.gettempdir()) / f"qualify-golden-{secrets.token_hex(8)}"
    base.mkdir(mode=0o700)
    try:
        cli_ws, action_ws, files = base / "cli" / "workspace", base / "action" / "workspace", base / "files"
        _workspace(scenario, cli_ws)
        _workspace(scenario, action_ws)
        files.mkdir()
        env = _base_env()
        cli = _cli_args(scenario.inputs)
        run = _run_subprocess if subprocesses else _run_in_process
        cli_run = run(cli, cli_ws, env)

        action_env = {
            **env,
            "GITHUB_ACTIONS": "true",
            "GITHUB_WORKSPACE": str(action_ws),
            "GITHUB_OUTPUT": str(files / "set_output"),
            "GITHUB_STEP_SUMMARY": str(files / "step_summary"),
            "INPUT_JSON-REPORT": REPORT,
        }
        # The runner sets every declared input, empty when not given; names upper-cased, hyphens kept.
        action_env.update({f"INPUT_{k.upper()}": v for k, v in scenario.inputs.items()})
        (files / "set_output").write_bytes(b"")
        action_run = run([], action_ws, action_env)
        console, commands = _split_annotations(action_run.stdout)

        def written(path: Path) -> bytes:
            return path.read_bytes() if path.exists() else b"(not written)\n"

        raw = {
            "command.txt": _command_text(scenario, cli, action_env).encode(),
            "exit-code.txt": f"cli: {cli_run.code}\naction: {action_run.code}\n".encode(),
            "cli-stdout.txt": cli_run.stdout,
            "cli-stderr.txt": cli_run.stderr,
            "action-console.txt": console,
            "annotations.txt": commands,
            "action-stderr.txt": action_run.stderr,
            "outputs.txt": written(files / "set_output"),
            "summary.md": written(files / "step_summary"),
            "report.json": written(action_ws / REPORT),
        }
        out = {}
        for name, data in raw.items():
            for ws in (cli_ws, action_ws):
                data = normalise(data, ws)
            out[name] = data
        return out
    finally:
        shutil.rmtree(base, ignore_errors=True)


def generate_all(
    selected: Iterable[Scenario] | None = None, *, subprocesses: bool = False
) -> dict[str, dict[str, bytes]]:
    chosen = list(selected if selected is not None else scenarios())
    if not subprocesses:
        return {s.name: generate(s) for s in chosen}
    # Each scenario is two short processes; threads overlap their start-up.
    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 1)) as pool:
        outputs = pool.map(lambda s: generate(s, subprocesses=True), chosen)
        return dict(zip((s.name for s in chosen), outputs, strict=True))


def read_committed(root: Path = GOLDEN) -> dict[str, dict[str, bytes]]:
    out: dict[str, dict[str, bytes]] = {}
    for d in sorted(p for p in root.iterdir() if p.is_dir() and p != root / CASES.name) if root.is_dir() else []:
        out[d.name] = {f.name: f.read_bytes() for f in sorted(d.iterdir()) if f.is_file()}
    return out


def _diff(where: str, expected: bytes, actual: bytes) -> str:
    old = expected.decode("utf-8", errors="backslashreplace").splitlines(keepends=True)
    new = actual.decode("utf-8", errors="backslashreplace").splitlines(keepends=True)
    lines = list(difflib.unified_diff(old, new, f"{where} (committed)", f"{where} (now)"))
    # Make a missing newline at the end, or a \r, visible instead of an empty-looking diff.
    text = "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)
    return text.replace("\r", "\\r")


def compare(expected: Mapping[str, Mapping[str, bytes]], actual: Mapping[str, Mapping[str, bytes]]) -> str:
    """Every difference as a unified diff (empty when identical byte for byte)."""
    out: list[str] = []
    for name in sorted(set(expected) | set(actual)):
        if name not in actual:
            out.append(f"tests/golden/{name}/: committed, but no such scenario now; delete it ({REGENERATE})\n")
            continue
        if name not in expected:
            out.append(f"tests/golden/{name}/: new scenario with no golden files yet\n")
        exp, act = expected.get(name, {}), actual[name]
        for file in [*FILES, *sorted(set(exp) - set(FILES))]:
            where = f"tests/golden/{name}/{file}"
            if file not in act:
                out.append(f"{where}: committed, but no longer produced\n")
            elif exp.get(file) != act[file]:
                out.append(_diff(where, exp.get(file, b""), act[file]) or f"{where}: differs\n")
    return "".join(out)


def write(actual: Mapping[str, Mapping[str, bytes]], root: Path = GOLDEN) -> None:
    for name in read_committed(root).keys() - actual.keys():
        shutil.rmtree(root / name)
    for name, files in actual.items():
        d = root / name
        if d.is_dir():
            shutil.rmtree(d)
        d.mkdir(parents=True)
        for file, data in files.items():
            (d / file).write_bytes(data)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--check", action="store_true", help="exit 1 with a diff when an output changed")
    mode.add_argument("--write", action="store_true", help="regenerate tests/golden/<scenario>/")
    parser.add_argument(
        "--subprocess",
        action="store_true",
        help="run each entry point in its own process (slower; the default runs entrypoint.main() in this one)",
    )
    args = parser.parse_args(argv)
    actual = generate_all(subprocesses=args.subprocess)
    if args.write:
        write(actual)
        print(f"wrote {sum(len(f) for f in actual.values())} files for {len(actual)} scenarios under tests/golden/")
        return 0
    diff = compare(read_committed(), actual)
    if diff:
        sys.stdout.write(diff)
        print(f"\ngolden outputs changed: review the diff above; if it is intended, run: {REGENERATE}")
        return 1
    print(f"golden outputs match: {len(actual)} scenarios")
    return 0


if __name__ == "__main__":
    sys.exit(main())
