#!/usr/bin/env python3
"""Generate composite/action.yml from action.yml: same metadata, inputs and outputs; composite runs.

    python3 scripts/sync_composite.py --check   # exit 1 when composite/action.yml is stale
    python3 scripts/sync_composite.py --write   # regenerate it

action.yml is the one place inputs are declared; this keeps the twin identical (names, order,
descriptions, required, defaults) and passes every input on as INPUT_<NAME>, as the Docker runner does.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent

HEADER = """\
# GENERATED from ../action.yml by scripts/sync_composite.py: edit action.yml, then run it with --write.
# The composite twin of ../action.yml for runners that cannot run Docker actions (macOS, Windows,
# self-hosted without Docker): `uses: OWNER/qualify/composite@v0`. Same inputs and outputs
# (tests/test_composite.py), same entry point, inputs passed as the Docker runner passes them
# (INPUT_<NAME> upper-cased, hyphens kept), so qualify/app/action.py stays their single reader.
"""

RUNS = """\
runs:
  using: composite
  steps:
    # update-environment: false keeps the caller's `python` on PATH untouched; we only use the path.
    - id: python
      uses: actions/setup-python@ece7cb06caefa5fff74198d8649806c4678c61a1 # v6.3.0
      with:
        python-version: "3.11"
        update-environment: false
    # A private venv with exactly the image's pinned, hash-checked wheels (no compiler on any OS).
    - id: venv
      shell: bash
      env:
        PYTHON: ${{ steps.python.outputs.python-path }}
        REQUIREMENTS: ${{ github.action_path }}/../requirements/runtime.txt
        VENV: ${{ runner.temp }}/qualify-venv
      run: |
        set -euo pipefail
        "$PYTHON" -m venv "$VENV"
        if [ -x "$VENV/bin/python" ]; then py="$VENV/bin/python"; else py="$VENV/Scripts/python.exe"; fi
        "$py" -m pip install --quiet --disable-pip-version-check --no-cache-dir \\
          --require-hashes --only-binary=:all: --no-deps -r "$REQUIREMENTS"
        echo "python=$py" >> "$GITHUB_OUTPUT"
    # No arguments: entrypoint.py speaks the runner protocol (INPUT_*, GITHUB_OUTPUT, step summary).
    # Names like INPUT_MOCK-RESULTS are not shell identifiers and some shells drop them from the
    # environment, so they reach Python through `env`, never through the shell's own environment.
    - id: qualify
      shell: bash
      env:
        PYTHON: ${{ steps.venv.outputs.python }}
        ENTRYPOINT: ${{ github.action_path }}/../entrypoint.py
{env}      run: |
        exec env \\
{args}          "$PYTHON" "$ENTRYPOINT"
"""


def shell_name(name: str) -> str:
    return "QUALIFY_INPUT_" + name.upper().replace("-", "_")


def render(action_text: str) -> str:
    action = yaml.safe_load(action_text)
    if action.get("runs", {}).get("using") != "docker":
        raise ValueError("action.yml is expected to be the Docker action")
    head, _, _ = action_text.partition("\nruns:")
    head = re.sub(r"^name: (.+)$", r"name: \1 (composite)", head, count=1, flags=re.M)
    lines = head.rstrip("\n").split("\n")
    out: list[str] = []
    in_outputs, current = False, None
    for line in lines:
        if re.match(r"^\S", line):
            if in_outputs and current:
                out.append(f"    value: ${{{{ steps.qualify.outputs.{current} }}}}")
            in_outputs, current = line == "outputs:", None
        elif in_outputs and re.match(r"^  [\w-]+:\s*$", line):
            if current:
                out.append(f"    value: ${{{{ steps.qualify.outputs.{current} }}}}")
            current = line.strip()[:-1]
        out.append(line)
    if in_outputs and current:
        out.append(f"    value: ${{{{ steps.qualify.outputs.{current} }}}}")
    names = list(action.get("inputs", {}))
    env = "".join(f"        {shell_name(n)}: ${{{{ inputs.{n} }}}}\n" for n in names)
    args = "".join(f'          "INPUT_{n.upper()}=${shell_name(n)}" \\\n' for n in names)
    return HEADER + "\n".join(out) + "\n" + RUNS.replace("{env}", env).replace("{args}", args)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--check", action="store_true")
    mode.add_argument("--write", action="store_true")
    parser.add_argument("--action", type=Path, default=ROOT / "action.yml")
    parser.add_argument("--composite", type=Path, default=ROOT / "composite" / "action.yml")
    args = parser.parse_args(argv)
    wanted = render(args.action.read_text(encoding="utf-8"))
    current = args.composite.read_text(encoding="utf-8") if args.composite.is_file() else ""
    if args.write:
        if wanted != current:
            args.composite.parent.mkdir(parents=True, exist_ok=True)
            args.composite.write_text(wanted, encoding="utf-8")
        return 0
    if wanted != current:
        print(f"{args.composite} differs from {args.action}; run python3 scripts/sync_composite.py --write",
              file=sys.stderr)  # fmt: skip
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
