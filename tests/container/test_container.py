"""The image users run, built from the Dockerfile and run the way the Actions runner runs it.

``docker run --rm --network none --workdir /github/workspace -v WS:/github/workspace
-v FC:/github/file_commands -e GITHUB_WORKSPACE=... -e GITHUB_OUTPUT=... -e INPUT_MOCK-RESULTS=...``
with every input action.yml declares (given or defaulted, names upper-cased with hyphens kept),
on a copy of ``examples/`` as the workspace.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import yaml
from docker_env import FACTS, REPO_ROOT, Session, parse_file_command, runner_like_run

pytestmark = pytest.mark.container

EXAMPLES = REPO_ROOT / "examples"
TRACKING_462 = "docs/issues/ISSUE-462/TRACKING.md"
DUMMY_TOKEN = "ghs_containerTestDummyToken0000000000"

# scenario -> (exit code, qualified output)
SCENARIOS = {
    "qualified": (0, "true"),
    "mock-only": (1, "false"),
    "probe-only": (1, "false"),
    "skipped-real": (1, "false"),
}

COMMAND_RE = re.compile(r"^::(?P<name>[a-z-]+)(?: (?P<props>[^:]*))?::(?P<msg>.*)$")


def version_of_source() -> str:
    text = (REPO_ROOT / "qualify" / "__init__.py").read_text()
    match = re.search(r"""^__version__\s*=\s*["']([^"']+)["']""", text, re.M)
    assert match, "qualify/__init__.py defines no __version__"
    return match.group(1)


def action_inputs() -> dict[str, dict]:
    action = REPO_ROOT / "action.yml"
    assert action.is_file(), "action.yml is missing: the runner needs it to run the image"
    return (yaml.safe_load(action.read_text()) or {}).get("inputs") or {}


def runner_inputs(given: dict[str, str]) -> dict[str, str]:
    """What the runner passes: each declared input, the step's value or else its default."""
    declared = action_inputs()
    unknown = set(given) - set(declared)
    assert not unknown, f"inputs not declared in action.yml: {sorted(unknown)}"
    inputs = {}
    for name, spec in declared.items():
        default = str((spec or {}).get("default", ""))
        if "${{" in default:  # e.g. ${{ github.token }}: the runner evaluates it
            default = DUMMY_TOKEN if "token" in default else ""
        if name == "token" and name not in given:
            # The container has no network: with a token, the label check could not read the labels
            # and would fail closed. The API features are tested against tests/github's stand-in.
            default = ""
        inputs[name] = given.get(name, default)
    return inputs


def unescape(value: str) -> str:
    for esc, ch in (("%2C", ","), ("%3A", ":"), ("%0A", "\n"), ("%0D", "\r"), ("%25", "%")):
        value = value.replace(esc, ch)
    return value


def workflow_commands(stdout: str) -> list[tuple[str, dict[str, str], str]]:
    found = []
    for line in stdout.splitlines():
        m = COMMAND_RE.match(line)
        if not m:
            continue
        props = {}
        for part in filter(None, (m.group("props") or "").split(",")):
            key, _, val = part.partition("=")
            props[key] = unescape(val)
        found.append((m.group("name"), props, unescape(m.group("msg"))))
    return found


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A checked-out repository as the runner mounts it: a copy of examples/."""
    ws = tmp_path / "work" / "project" / "project"
    shutil.copytree(EXAMPLES, ws, ignore=shutil.ignore_patterns("node_modules", ".git"))
    return ws


def run_scenario(session: Session, ws: Path, scenario: str, **extra: str):
    inputs = runner_inputs(
        {
            "mock-results": f"runs/{scenario}/mock/*.xml",
            "real-results": f"runs/{scenario}/real/*.xml",
            **extra,
        }
    )
    file_commands = ws.parents[1] / "_temp" / "_runner_file_commands"
    return runner_like_run(session.daemon, session.tag, ws, file_commands, inputs)


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_example_scenario_as_the_runner_runs_it(docker_session: Session, workspace: Path, scenario: str) -> None:
    expected_code, expected_qualified = SCENARIOS[scenario]
    res, seconds, files = run_scenario(docker_session, workspace, scenario)
    FACTS[f"docker run {scenario} (s)"] = round(seconds, 2)
    context = f"exit {res.returncode}\nstdout:\n{res.stdout}\nstderr:\n{res.stderr}"
    assert res.returncode == expected_code, context
    assert "internal error" not in res.stdout, context

    # GITHUB_OUTPUT: qualified, report, problems
    outputs = parse_file_command(files["GITHUB_OUTPUT"])
    assert outputs.get("qualified") == expected_qualified, (outputs, context)
    report_path = outputs.get("report", "")
    assert report_path and not report_path.startswith("/"), f"report output must be workspace-relative: {report_path!r}"
    report_file = workspace / report_path
    assert report_file.is_file(), f"JSON report {report_path} not written into the workspace"
    problems = int(outputs.get("problems", "-1"))

    # The JSON report written into the workspace
    report = json.loads(report_file.read_text())
    assert report["qualified"] is (expected_qualified == "true")
    assert report["qualify_version"] == version_of_source()
    assert problems == len(report["problems"])
    assert (problems == 0) is (expected_qualified == "true")
    assert "/github/" not in report_file.read_text(), "container paths leaked into the JSON report"

    # The step summary
    summary = files["GITHUB_STEP_SUMMARY"].read_text()
    assert summary.strip(), "no step summary written"
    assert "#462" in summary
    assert ("not qualified" in summary.lower()) is (expected_qualified == "false"), summary
    assert "/github/" not in summary, "container paths leaked into the step summary"

    # Annotations: each ::error names TRACKING.md relative to the workspace, never a container path
    commands = workflow_commands(res.stdout)
    errors = [c for c in commands if c[0] == "error"]
    if expected_qualified == "true":
        assert not errors, context
    else:
        assert len(errors) == problems, context
    for name, props, msg in commands:
        if name not in ("error", "warning", "notice"):
            continue
        if name == "error":
            assert props.get("file") == TRACKING_462, f"::error does not name {TRACKING_462}: {props} {msg}"
        if "file" in props:
            assert not props["file"].startswith("/"), f"absolute path in annotation: {props['file']}"
            assert (workspace / props["file"]).is_file(), f"annotation names no workspace file: {props['file']}"
    assert "/github/workspace" not in "\n".join(line for line in res.stdout.splitlines() if line.startswith("::"))


def test_docker_uses_form_gets_only_the_given_inputs(docker_session: Session, workspace: Path) -> None:
    """`uses: docker://ghcr.io/OWNER/qualify:VERSION` has no action.yml: no defaults are passed."""
    inputs = {"mock-results": "runs/mock-only/mock/*.xml", "real-results": "runs/mock-only/real/*.xml"}
    res, _, files = runner_like_run(
        docker_session.daemon, docker_session.tag, workspace, workspace.parents[1] / "_temp" / "fc", inputs
    )
    assert res.returncode == 1, res.stdout + res.stderr
    outputs = parse_file_command(files["GITHUB_OUTPUT"])
    assert outputs.get("qualified") == "false"
    assert (workspace / outputs["report"]).is_file()


def test_cannot_evaluate_without_results_exits_2(docker_session: Session, workspace: Path) -> None:
    inputs = runner_inputs({})
    res, _, files = runner_like_run(
        docker_session.daemon, docker_session.tag, workspace, workspace.parents[1] / "_temp" / "fc", inputs
    )
    assert res.returncode == 2, res.stdout + res.stderr
    assert parse_file_command(files["GITHUB_OUTPUT"]).get("qualified") == "false"
    assert any(c[0] == "error" for c in workflow_commands(res.stdout)), res.stdout


def test_version_matches_the_package(docker_session: Session) -> None:
    version = version_of_source()
    d = docker_session.daemon
    via_path = d.docker("run", "--rm", "--network", "none", "--entrypoint", "qualify", docker_session.tag, "--version")
    assert version in via_path.stdout.split() or via_path.stdout.strip().endswith(version), via_path.stdout
    via_entrypoint = d.docker("run", "--rm", "--network", "none", docker_session.tag, "--version")
    assert via_entrypoint.stdout == via_path.stdout


def test_image_runs_as_root_with_the_entrypoint_and_no_build_tools(docker_session: Session) -> None:
    d = docker_session.daemon
    config = d.image_config(docker_session.tag)
    assert config.get("User") in ("", None, "root", "0", "0:0"), config.get("User")
    assert config["Entrypoint"][-1] == "/app/entrypoint.py", config["Entrypoint"]
    probe = d.docker(
        "run", "--rm", "--network", "none", "--entrypoint", "/bin/sh", docker_session.tag, "-c",
        "id -u; for t in gcc cc g++ make ld pip pip3; do command -v $t; done; ls /opt/venv/bin",
    )  # fmt: skip
    lines = probe.stdout.split()
    assert lines[0] == "0"
    assert not [p for p in lines[1:] if p.startswith("/")], f"build tools in the image: {probe.stdout}"
    assert "pip" not in lines, probe.stdout


def test_image_adds_little_over_its_base(docker_session: Session) -> None:
    sizes = docker_session.sizes()
    FACTS["image size (MB)"] = round(sizes["image"] / 1e6, 1)
    FACTS["base size (MB)"] = round(sizes["base"] / 1e6, 1)
    FACTS["added over base (MB)"] = round(sizes["added"] / 1e6, 1)
    assert sizes["added"] < 40e6, f"the image adds {sizes['added'] / 1e6:.1f} MB over its base (aim: < 40 MB)"


def test_lint_finds_its_schema_in_the_image(docker_session: Session) -> None:
    d = docker_session.daemon
    script = (
        "mkdir -p /tmp/ISSUE-5 && printf -- '---\\nqualify:\\n  issue: 0\\n  colour: red\\n  coverage: [{test: a}]\\n---\\n'"
        " > /tmp/ISSUE-5/TRACKING.md && qualify lint /tmp/ISSUE-5/TRACKING.md"
    )
    probe = d.docker(
        "run", "--rm", "--network", "none", "--entrypoint", "/bin/sh", docker_session.tag, "-c", script, check=False
    )  # fmt: skip
    assert probe.returncode == 1, probe.stdout + probe.stderr  # 2 would mean the schema is missing
    assert "TRACKING.md:3: tracking-invalid: schema: /qualify/issue: must be at least 1" in probe.stdout, probe.stdout
