"""The Docker action's protocol: INPUT_* environment in, GITHUB_OUTPUT and step summary out."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TextIO

from qualify.errors import QualifyError

# Docker actions receive inputs as INPUT_<NAME> with the name upper-cased and hyphens kept.
INPUTS = ("mock-results", "real-results", "tracking", "issues", "real-api-areas", "mode", "json-report", "token")


def read_inputs(env: Mapping[str, str]) -> dict[str, str]:
    return {name: env.get(f"INPUT_{name.upper()}", "").strip() for name in INPUTS}


def run_action(env: Mapping[str, str], out: TextIO | None = None, err: TextIO | None = None) -> int:
    from qualify import workflow
    from qualify.check import DEFAULT_TRACKING, CheckOptions, env_today, run
    from qualify.cli import parse_issues, split_globs, split_list
    from qualify.model import Verdict

    out = out or sys.stdout
    err = err or sys.stderr
    inputs = read_inputs(env)
    workspace = Path(env.get("GITHUB_WORKSPACE") or os.getcwd())
    report_path = inputs["json-report"] or "qualify-report.json"
    output_file = env.get("GITHUB_OUTPUT")

    def set_outputs(qualified: bool, problems: int) -> None:
        if not output_file:
            return
        with open(output_file, "a", encoding="utf-8") as fh:
            fh.write(workflow.output_lines("qualified", "true" if qualified else "false"))
            fh.write(workflow.output_lines("report", report_path))
            fh.write(workflow.output_lines("problems", str(problems)))

    def on_done(verdict: Verdict | None, error: str | None) -> None:
        if verdict is None:
            set_outputs(False, 1)
        else:
            set_outputs(verdict.qualified, len(verdict.problems))

    try:
        mode = inputs["mode"] or "enforce"
        if mode not in ("enforce", "report"):
            raise QualifyError(f"input mode must be enforce or report, got {mode!r}")
        mock = split_globs([inputs["mock-results"]])
        real = split_globs([inputs["real-results"]])
        missing = [n for n, v in (("mock-results", mock), ("real-results", real)) if not v]
        if missing:
            raise QualifyError(f"input {' and '.join(missing)} is required (glob of the job's JUnit XML files)")
        opts = CheckOptions(
            mock_results=mock,
            real_results=real,
            tracking=split_globs([inputs["tracking"]]) or [DEFAULT_TRACKING],
            issues=parse_issues([inputs["issues"]]),
            real_api_areas=tuple(a.lower() for a in split_list([inputs["real-api-areas"]])) or ("backend", "proxy"),
            json_report=report_path,
            summary=env.get("GITHUB_STEP_SUMMARY") or None,
            mode=mode,
            workspace=workspace,
            today=env_today(),
            annotations=True,
        )
    except QualifyError as exc:
        out.write(workflow.command("error", f"qualify: {exc}", title="qualify") + "\n")
        err.write(f"qualify: error: {exc}\n")
        set_outputs(False, 1)
        return 2
    from qualify.progress import Progress

    return run(opts, out, err, on_done=on_done, progress=Progress.for_stream(err, env))
