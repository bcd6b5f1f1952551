"""composite/action.yml is the Docker action's twin: same interface, same entry point, same protocol."""

import os
import re
import shutil
import subprocess
import sys

import pytest
import yaml
from builders import EXAMPLES, ROOT

from qualify.app.action import INPUTS

DOCKER = yaml.safe_load((ROOT / "action.yml").read_text())
COMPOSITE = yaml.safe_load((ROOT / "composite" / "action.yml").read_text())
STEPS = {step.get("id"): step for step in COMPOSITE["runs"]["steps"]}
EXPR = re.compile(r"^\$\{\{\s*(?P<expr>[^}]+?)\s*\}\}$")


def _interface(spec: dict) -> dict:
    inputs = {
        name: (s.get("description"), s.get("required", False), s.get("default")) for name, s in spec["inputs"].items()
    }
    outputs = {name: s.get("description") for name, s in spec["outputs"].items()}
    return {"inputs": inputs, "outputs": outputs}


def test_same_inputs_and_outputs_as_the_docker_action():
    # Names, order, descriptions, required and defaults: users switch `uses:` and change nothing else.
    assert list(COMPOSITE["inputs"]) == list(DOCKER["inputs"])
    assert list(COMPOSITE["outputs"]) == list(DOCKER["outputs"])
    assert _interface(COMPOSITE) == _interface(DOCKER)


def test_every_input_reaches_the_entrypoint_as_the_docker_runner_passes_it():
    env, script = STEPS["qualify"]["env"], STEPS["qualify"]["run"]
    passed = {k: v for k, v in env.items() if k.startswith("QUALIFY_INPUT_")}
    expected = {f"QUALIFY_INPUT_{n.upper().replace('-', '_')}": f"${{{{ inputs.{n} }}}}" for n in DOCKER["inputs"]}
    assert passed == expected
    # The shell never holds the hyphenated names; `env` hands them to Python as INPUT_<NAME>.
    given = re.findall(r'"(INPUT_[A-Z_-]+)=\$(QUALIFY_INPUT_[A-Z_]+)"', script)
    assert given == [(f"INPUT_{n.upper()}", f"QUALIFY_INPUT_{n.upper().replace('-', '_')}") for n in DOCKER["inputs"]]
    assert script.strip().startswith("exec env") and script.strip().endswith('"$PYTHON" "$ENTRYPOINT"')
    assert set(INPUTS) == set(DOCKER["inputs"])


def test_every_output_comes_from_the_qualify_step():
    for name, spec in COMPOSITE["outputs"].items():
        assert spec["value"] == f"${{{{ steps.qualify.outputs.{name} }}}}"


def test_runs_everywhere_and_pins_actions_by_commit():
    assert COMPOSITE["runs"]["using"] == "composite"
    for step in COMPOSITE["runs"]["steps"]:
        if "uses" in step:
            assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", step["uses"]), step["uses"]
        else:
            # bash exists on Linux, macOS and Windows runners (Git Bash); pwsh/sh would not be portable.
            assert step["shell"] == "bash"
    assert STEPS["python"]["with"]["update-environment"] is False
    text = (ROOT / "composite" / "action.yml").read_text()
    assert re.search(r"actions/setup-python@[0-9a-f]{40} # v\d+\.\d+\.\d+$", text, re.M)


def test_installs_the_pinned_requirements_from_the_action_path():
    env = STEPS["venv"]["env"]
    assert env["REQUIREMENTS"] == "${{ github.action_path }}/../requirements/runtime.txt"
    assert "--require-hashes" in STEPS["venv"]["run"]
    assert (ROOT / "requirements" / "runtime.txt").is_file()
    assert STEPS["qualify"]["env"]["ENTRYPOINT"] == "${{ github.action_path }}/../entrypoint.py"


def _expand(value: str, context: dict[str, str]) -> str:
    m = EXPR.match(value)
    return context[m.group("expr")] if m else value


# The runner's `shell: bash` command, and dash, which drops environment names like INPUT_MOCK-RESULTS.
SHELLS = {"bash": ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c"], "dash": ["dash", "-c"]}


@pytest.mark.parametrize("shell", sorted(SHELLS))
@pytest.mark.parametrize(("scenario", "code", "qualified"), [("qualified", 0, "true"), ("mock-only", 1, "false")])
def test_the_qualify_step_runs_the_entrypoint(tmp_path, scenario, code, qualified, shell):
    """Run the step's own `run:` with its env expanded the way the runner would."""
    assert shutil.which(SHELLS[shell][0]), f"{shell} is needed for this test (Debian: it is part of the base system)"
    ws = tmp_path / "ws"
    shutil.copytree(EXAMPLES / "docs", ws / "docs")
    shutil.copytree(EXAMPLES / "runs" / scenario, ws / "results")
    given = {"mock-results": "results/mock/*.xml", "real-results": "results/real/*.xml"}
    context = {f"inputs.{n}": given.get(n, str(s.get("default", ""))) for n, s in COMPOSITE["inputs"].items()}
    context["inputs.token"] = "ghs_composite_token"
    context["steps.venv.outputs.python"] = sys.executable
    context["github.action_path"] = str(ROOT / "composite")
    outputs, summary = tmp_path / "out", tmp_path / "summary"
    outputs.write_text("")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INPUT_", "GITHUB_"))}
    env.update(GITHUB_WORKSPACE=str(ws), GITHUB_OUTPUT=str(outputs), GITHUB_STEP_SUMMARY=str(summary))
    env.update(QUALIFY_TODAY="2026-11-25")
    for key, value in STEPS["qualify"]["env"].items():
        env[key] = _expand(value.replace("${{ github.action_path }}", context["github.action_path"]), context)
    r = subprocess.run(
        [*SHELLS[shell], STEPS["qualify"]["run"]], cwd=ws, env=env, capture_output=True, text=True, timeout=60
    )
    assert r.returncode == code, r.stdout + r.stderr
    got = dict(re.findall(r"^(\w+)=(.*)$", outputs.read_text(), re.M))
    assert got["qualified"] == qualified
    assert got["report"] == "qualify-report.json"
    assert (ws / "qualify-report.json").is_file()
    assert summary.read_text().startswith("## ")
    assert "ghs_composite_token" not in r.stdout + r.stderr


def test_the_composite_is_the_one_generated_from_action_yml(tmp_path):
    """scripts/sync_composite.py --write regenerates it; --check fails on any drift."""
    script = [sys.executable, str(ROOT / "scripts" / "sync_composite.py")]
    assert subprocess.run([*script, "--check"], capture_output=True, timeout=60).returncode == 0
    action = tmp_path / "action.yml"
    action.write_text(
        (ROOT / "action.yml")
        .read_text()
        .replace("outputs:\n", "  extra-input:\n    description: x\n    default: y\noutputs:\n", 1)
    )
    twin = tmp_path / "composite.yml"
    twin.write_text((ROOT / "composite" / "action.yml").read_text())
    paths = ["--action", str(action), "--composite", str(twin)]
    stale = subprocess.run([*script, "--check", *paths], capture_output=True, text=True, timeout=60)
    assert stale.returncode == 1 and "sync_composite.py --write" in stale.stderr
    assert subprocess.run([*script, "--write", *paths], timeout=60).returncode == 0
    regenerated = yaml.safe_load(twin.read_text())
    assert regenerated["inputs"]["extra-input"] == {"description": "x", "default": "y"}
    assert '"INPUT_EXTRA-INPUT=$QUALIFY_INPUT_EXTRA_INPUT"' in twin.read_text()
    assert _interface(regenerated) == _interface(yaml.safe_load(action.read_text()))
