"""The Docker action's protocol: INPUT_* environment in, GITHUB_OUTPUT and step summary out."""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from qualify.errors import QualifyError

if TYPE_CHECKING:  # pragma: no cover
    from qualify.github.context import GitHubOptions

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
    "real-api-labels",
    "partner-labels",
    "real-results-artifact",
    "mock-results-artifact",
    "shards",
    "results-run-id",
    "results-workflow",
    "results-branch",
    "allow-stale-results",
    "comment",
    "check-name",
)


def _bool_input(inputs: Mapping[str, str], name: str) -> bool:
    value = inputs[name].lower()
    if value in ("", "false"):
        return False
    if value == "true":
        return True
    raise QualifyError(f"input {name} must be true or false, got {inputs[name]!r}")


def github_options(inputs: Mapping[str, str], env: Mapping[str, str]) -> GitHubOptions:
    """The GitHub side of the inputs plus the run's context (repository, commit, pull request)."""
    from qualify.app.cli import split_list
    from qualify.core.rules import DEFAULT_PARTNER_LABELS, DEFAULT_REAL_API_LABELS
    from qualify.github.context import GitHubOptions, env_github, parse_shards, validate_sources

    run_id = inputs["results-run-id"]
    if run_id and (not run_id.isdigit() or int(run_id) <= 0):
        raise QualifyError(f"input results-run-id must be a workflow run id (digits), got {run_id!r}")
    context = env_github(env)
    artifacts = {
        job: inputs[f"{job}-results-artifact"] for job in ("mock", "real") if inputs[f"{job}-results-artifact"]
    }
    opts = GitHubOptions(
        token=inputs["token"] or None,
        repo=context["repo"],
        api_url=context["api_url"],
        server_url=context.get("server_url"),
        sha=context["sha"],
        pr_number=context.get("pr_number"),
        head_sha=context.get("head_sha"),
        real_api_labels=tuple(split_list([inputs["real-api-labels"]])) or DEFAULT_REAL_API_LABELS,
        partner_labels=tuple(split_list([inputs["partner-labels"]])) or DEFAULT_PARTNER_LABELS,
        artifacts=artifacts,
        shards=parse_shards(inputs["shards"], artifacts, flag_style=False),
        results_run_id=int(run_id) if run_id else None,
        results_workflow=inputs["results-workflow"] or None,
        results_branch=inputs["results-branch"] or None,
        allow_stale_results=_bool_input(inputs, "allow-stale-results"),
        comment=_bool_input(inputs, "comment"),
        check_name=inputs["check-name"] or None,
    )
    validate_sources(opts, flag_style=False)
    return opts


def read_inputs(env: Mapping[str, str]) -> dict[str, str]:
    return {name: env.get(f"INPUT_{name.upper()}", "").strip() for name in INPUTS}


def run_action(env: Mapping[str, str], out: TextIO | None = None, err: TextIO | None = None) -> int:
    from qualify.app.check import (
        DEFAULT_MAX_FILE_BYTES,
        DEFAULT_MAX_TOTAL_BYTES,
        DEFAULT_TRACKING,
        CheckOptions,
        env_today,
        json_report_target,
        run,
        write_outputs,
    )
    from qualify.app.cli import parse_bytes, parse_issue_selection, split_globs, split_list
    from qualify.core.model import Verdict
    from qualify.redact import redact
    from qualify.render import workflow_commands as workflow
    from qualify.render.report import Report

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
        github = github_options(inputs, env)
        missing = [
            n
            for job, n, v in (("mock", "mock-results", mock), ("real", "real-results", real))
            if not v and job not in github.artifacts
        ]
        if missing:
            raise QualifyError(
                f"input {' and '.join(missing)} is required (glob of the job's JUnit XML files, "
                "or the -artifact input naming an artifact of another run)",
                code="usage",
            )
        issues, github.issue_queries = parse_issue_selection([inputs["issues"]])
        max_file = inputs["max-file-bytes"]
        max_total = inputs["max-total-bytes"]
        opts = CheckOptions(
            mock_results=mock,
            real_results=real,
            tracking=split_globs([inputs["tracking"]]) or [DEFAULT_TRACKING],
            issues=issues,
            real_api_areas=tuple(a.lower() for a in split_list([inputs["real-api-areas"]])) or ("backend", "proxy"),
            json_report=report_path,
            summary=env.get("GITHUB_STEP_SUMMARY") or None,
            mode=mode,
            workspace=workspace,
            today=env_today(),
            annotations=True,
            github=github,
            max_file_bytes=parse_bytes(max_file, "input max-file-bytes") if max_file else DEFAULT_MAX_FILE_BYTES,
            max_total_bytes=parse_bytes(max_total, "input max-total-bytes") if max_total else DEFAULT_MAX_TOTAL_BYTES,
            secrets=hide,
        )
        # Inside the workspace, as its documentation says: refused before the work, not after it.
        json_report_target(opts, report_path, "input json-report")
    except QualifyError as exc:
        message = redact(f"qualify: {exc}", hide)
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
            write_outputs(fallback, Report.failed(str(exc), exc.code, secrets=hide), io.StringIO())
        except QualifyError as write_exc:
            if write_exc.code != exc.code or exc.code != "outside-workspace":  # a refused path is said once
                err.write(workflow.error_line(str(write_exc), hide))
        return 2
    from qualify.app.progress import Progress

    return run(opts, out, err, on_done=on_done, progress=Progress.for_stream(err, env))
