"""The Docker action's protocol: INPUT_* environment in, GITHUB_OUTPUT and step summary out."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import TextIO

from qualify.app.options import INPUTS, RawInputs, output_settings

__all__ = ["INPUTS", "read_inputs", "run_action"]


def read_inputs(env: Mapping[str, str]) -> RawInputs:
    """Docker actions receive inputs as INPUT_<NAME> with the name upper-cased and hyphens kept."""
    return RawInputs.of("action", {name: env.get(f"INPUT_{name.upper()}", "").strip() for name in INPUTS})


def run_action(env: Mapping[str, str], out: TextIO | None = None, err: TextIO | None = None) -> int:
    from qualify.app.check import check_inputs
    from qualify.core.model import Verdict
    from qualify.render import workflow_commands as workflow

    raw = read_inputs(env)
    report_path = output_settings(raw, env).json_report or ""
    output_file = env.get("GITHUB_OUTPUT")

    def on_done(verdict: Verdict | None, error: str | None) -> None:
        if not output_file:
            return
        qualified = verdict is not None and verdict.qualified
        # Without a verdict the report lists the reason as its one problem (json_report.error_report).
        problems = len(verdict.problems) if verdict is not None else 1
        with open(output_file, "a", encoding="utf-8") as fh:
            fh.write(workflow.output_lines("qualified", "true" if qualified else "false"))
            fh.write(workflow.output_lines("report", report_path))
            fh.write(workflow.output_lines("problems", str(problems)))

    return check_inputs(raw, env, out or sys.stdout, err or sys.stderr, on_done=on_done)
