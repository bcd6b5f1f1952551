"""The README's quick start is the first thing a new user runs: its commands must stay true.

The venv and pip install of step 1 need the network, so they are not run here (the lead's
fresh-machine check runs them); what is checked is the command's shape (a venv in the repository,
the hash-pinned runtime wheels, the gate run from that venv) and that its gate command, run with
the Python the tests run on, says QUALIFIED with exit 0, and that the failing variants the README
names exit 1.
"""

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
VENV_PYTHON = ".venv/bin/python"


def _quick_start_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = re.search(r"^## Quick start\n(.*?)(?=^## )", readme, re.S | re.M)
    assert section, "README.md has no '## Quick start' section"
    block = re.search(r"^```sh\n(.*?)^```", section.group(1), re.S | re.M)
    assert block, "the quick start has no ```sh block"
    return [line for line in block.group(1).splitlines() if line.strip() and not line.startswith("#")]


def _gate_command(scenario: str = "qualified") -> list[str]:
    first = _quick_start_commands()[0]
    gate = [part for part in first.split(" && ") if part.startswith(f"{VENV_PYTHON} entrypoint.py check")]
    assert len(gate) == 1, first
    argv = shlex.split(gate[0].replace("runs/qualified/", f"runs/{scenario}/"))
    return [sys.executable, *argv[1:]]


def test_the_quick_start_is_two_commands_a_venv_then_the_tests():
    first, second = _quick_start_commands()
    steps = first.split(" && ")
    assert steps[0] == "python3 -m venv .venv", "step 1 must make the venv (Debian's python3 refuses pip)"
    assert steps[1] == f"{VENV_PYTHON} -m pip install -q -r requirements/runtime.txt"
    assert steps[2].startswith(f"{VENV_PYTHON} entrypoint.py check ")
    # hashes in the file make pip check every wheel (and refuse an unpinned one)
    assert "--hash=sha256:" in (ROOT / "requirements/runtime.txt").read_text()
    assert second == "bash .ci/run"
    assert ".venv/" in (ROOT / ".gitignore").read_text().splitlines()


def test_the_quick_start_gate_says_qualified():
    r = subprocess.run(_gate_command(), capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.rstrip().splitlines()[-1] == "QUALIFIED", r.stdout


@pytest.mark.parametrize("scenario", ["mock-only", "probe-only", "skipped-real"])
def test_the_failing_examples_the_quick_start_names_exit_1(scenario):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"`{scenario}`" in readme
    r = subprocess.run(_gate_command(scenario), capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert r.returncode == 1, r.stdout + r.stderr
