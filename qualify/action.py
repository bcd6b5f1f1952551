"""The Docker action's protocol: INPUT_* environment in, GITHUB_OUTPUT and step summary out."""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TextIO

from qualify.errors import QualifyError

# Docker actions receive inputs as INPUT_<NAME> with the name upper-cased and hyphens kept.
INPUTS = (
    "mock-results",
    "real-results",
    "tracking",
    "issues",
    "real-api-areas",
    "mode",
    "json-report",
    "max-file-bytes",
    "max-total-bytes",
    "token",
)


def read_inputs(env: Mapping[str, str]) -> dict[str, str]:
    return {name: env.get(f"INPUT_{name.upper()}", "").strip() for name in INPUTS}


def run_action(env: Mapping[str, str], out: TextIO | None = None, err: TextIO | None = None) -> int:
    from qualify import workflow
    from qualify.check import (
        DEFAULT_MAX_FILE_BYTES,
        DEFAULT_MAX_TOTAL_BYTES,
        DEFAULT_TRACKING,
        CheckOptions,
        env_today,
        run,
        write_outputs,
    )
    from qualify.cli import parse_bytes, parse_issues, split_globs, split_list
    from qualify.model import Verdict

    out = out or sys.stdout
    err = err or sys.stderr
    inputs = read_inputs(env)
    hide = tuple(v for v in (inputs["token"], env.get("GITHUB_TOKEN", "")) if v)
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
            raise QualifyError(f"input mode must be enforce or report, got {mode!r}", code="usage")
        mock = split_globs([inputs["mock-results"]])
        real = split_globs([inputs["real-results"]])
        missing = [n for n, v in (("mock-results", mock), ("real-results", real)) if not v]
        if missing:
            raise QualifyError(
                f"input {' and '.join(missing)} is required (glob of the job's JUnit XML files)", code="usage"
            )
        max_file = inputs["max-file-bytes"]
        max_total = inputs["max-total-bytes"]
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
            max_file_bytes=parse_bytes(max_file, "input max-file-bytes") if max_file else DEFAULT_MAX_FILE_BYTES,
            max_total_bytes=parse_bytes(max_total, "input max-total-bytes") if max_total else DEFAULT_MAX_TOTAL_BYTES,
            secrets=hide,
        )
    except QualifyError as exc:
        message = workflow.redact(f"qualify: {exc}", hide)
        out.write(workflow.command("error", message, title="qualify") + "\n")
        err.write(workflow.error_line(str(exc), hide))
        set_outputs(False, 1)
        try:  # the report and summary say "could not evaluate" too, never a stale verdict
            fallback = CheckOptions(
                mock_results=[],
                real_results=[],
                json_report=report_path,
                summary=env.get("GITHUB_STEP_SUMMARY") or None,
                workspace=workspace,
                secrets=hide,
            )
            write_outputs(fallback, None, str(exc), io.StringIO(), exc.code)
        except QualifyError as write_exc:
            err.write(workflow.error_line(str(write_exc), hide))
        return 2
    return run(opts, out, err, on_done=on_done)
