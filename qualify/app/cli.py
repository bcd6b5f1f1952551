"""Command line: `qualify check`, `lint`, `init`, `adopt`. Thin: parse arguments, call the core, exit code."""

from __future__ import annotations

import argparse
import os
import re
import sys
import traceback
from pathlib import Path
from typing import TextIO

from qualify import __version__
from qualify.errors import QualifyError
from qualify.render.workflow_commands import error_line, internal_error

EXIT_ERROR = 2

# Results and tracking flags take several paths each (what the shell makes of an unquoted glob),
# quoted globs, and directories, and may repeat.
_RESULTS_HELP = (
    "JUnit XML of the {job} job: files, quoted globs (** allowed) or directories (every *.xml under them); "
    "several may follow the flag, and it may repeat"
)
_CHECK_DESCRIPTION = (
    "Exit 0 qualified, 1 not qualified, 2 could not evaluate. Defaults differ from the Action's in three "
    "places: the command line writes no JSON report unless --json-report is given (the Action writes "
    "qualify-report.json, which its `report` output names), appends no summary unless --summary is given "
    "(the Action appends to the job summary), and prints annotations only when GITHUB_ACTIONS=true. "
    "Outside GitHub Actions, paths you type may lie outside the workspace; links inside them may not."
)


def _paths_flag(parser: argparse.ArgumentParser, flag: str, help_text: str, metavar: str = "PATH") -> None:
    parser.add_argument(flag, nargs="+", action="extend", metavar=metavar, help=help_text)


def in_github_actions() -> bool:
    """Inside a workflow the command line confines paths as the Action does; on a person's machine
    the paths they type are their choice."""
    return os.environ.get("GITHUB_ACTIONS") == "true"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="qualify",
        description="Gate a release on real-API and partner-scenario coverage of its tracked defects.",
    )
    parser.add_argument("--version", action="version", version=f"qualify {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    check = sub.add_parser("check", help="decide whether the release is qualified", description=_CHECK_DESCRIPTION)
    check.set_defaults(subparser=check)
    _paths_flag(check, "--mock-results", _RESULTS_HELP.format(job="mock"))
    _paths_flag(check, "--real-results", _RESULTS_HELP.format(job="real-API"))
    _paths_flag(
        check,
        "--tracking",
        "TRACKING.md files, quoted globs or directories (every TRACKING.md under them); "
        "default docs/issues/**/TRACKING.md",
    )
    check.add_argument(
        "--issues",
        nargs="+",
        action="extend",
        metavar="N,N",
        help="only these issues, or milestone:NAME / label:NAME (needs --token); each must be declared",
    )
    _add_real_api_areas(check)
    check.add_argument(
        "--json-report",
        metavar="PATH",
        help="write the JSON report here (default: none; the Action writes qualify-report.json)",
    )
    check.add_argument(
        "--summary",
        metavar="PATH",
        help="append the Markdown summary here (default: none; the Action appends to the job summary)",
    )
    check.add_argument(
        "--mode",
        choices=("enforce", "report"),
        default="enforce",
        help="report: always exit 0 unless it could not evaluate",
    )
    check.add_argument(
        "--workspace", metavar="DIR", help="resolve globs and report paths relative to DIR (default: current directory)"
    )
    check.add_argument("--token", help="GitHub token for labels, artifacts, publishing (default $GITHUB_TOKEN)")
    check.add_argument("--repo", help="owner/name (default $GITHUB_REPOSITORY)")
    check.add_argument("--sha", help="the commit under test, for stale-result checks (default $GITHUB_SHA)")
    _github_flags(check)
    check.add_argument("--today", metavar="YYYY-MM-DD", help="evaluate exception expiry as of this date")
    check.add_argument(
        "--allow-outside-workspace",
        action="store_true",
        help="also accept links that lead out of the workspace, and, when GITHUB_ACTIONS=true, paths outside it "
        "(elsewhere, paths you type may already lie outside it)",
    )
    _limit_flags(check)
    annot = check.add_mutually_exclusive_group()
    annot.add_argument(
        "--annotations",
        dest="annotations",
        action="store_true",
        default=None,
        help="print GitHub workflow annotations (default: when GITHUB_ACTIONS=true)",
    )
    annot.add_argument("--no-annotations", dest="annotations", action="store_false")

    lint = sub.add_parser(
        "lint",
        help="validate TRACKING.md declarations",
        description="Exit 1 on any problem, 2 when a path names no file.",
    )
    lint.set_defaults(subparser=lint)
    lint.add_argument(
        "files",
        nargs="*",
        metavar="PATH",
        help="TRACKING.md files, directories (every TRACKING.md under them) or quoted globs; "
        "default docs/issues/**/TRACKING.md, as for check",
    )
    _add_real_api_areas(lint)
    _add_init(sub)
    _add_adopt(sub)
    return parser


def _github_flags(check: argparse.ArgumentParser) -> None:
    gh = check.add_argument_group("GitHub integration (need --token and --repo)")
    gh.add_argument("--real-api-labels", action="append", metavar="L,L", help="issue labels that add the real-API rule")
    gh.add_argument(
        "--partner-labels", action="append", metavar="L,L", help="issue labels that add the partner-scenario rule"
    )
    gh.add_argument(
        "--real-results-artifact",
        metavar="NAME",
        help="read the real-API results from this artifact; several names or patterns (real-junit-*) "
        "separated by commas read every shard",
    )
    gh.add_argument("--mock-results-artifact", metavar="NAME", help="read the mock results from this artifact (same)")
    gh.add_argument("--shards", metavar="N", help="number of artifacts sharded results must span: N, or real=N,mock=M")
    gh.add_argument("--results-run-id", metavar="ID", help="the workflow run holding the artifacts")
    gh.add_argument(
        "--results-workflow", metavar="FILE", help="take the artifacts from this workflow's latest successful run"
    )
    gh.add_argument("--results-branch", metavar="BRANCH", help="branch of --results-workflow's run")
    gh.add_argument(
        "--allow-stale-results", action="store_true", help="accept artifact results older than the commit under test"
    )
    gh.add_argument("--comment", action="store_true", help="keep one sticky pull-request comment with the report")
    gh.add_argument("--check-name", metavar="NAME", help="create a check run of this name with the verdict")


def _add_init(sub: argparse._SubParsersAction) -> None:
    init = sub.add_parser(
        "init",
        help="print a qualify block for an issue, filled with the tests whose titles mention it",
        description=(
            "Print a ready-to-paste `qualify:` front-matter block for ISSUE: every test whose title mentions it "
            "(#462, Issue 462, ISSUE-462) with the jobs it ran in and its file. Exit 1 when none does."
        ),
    )
    init.set_defaults(subparser=init)
    # Optional for argparse only: `init --mock-results a.xml b.xml 462` gives the number to the flag,
    # and _init takes it back.
    init.add_argument("issue", nargs="?", metavar="ISSUE", help="the issue number, e.g. 462 or #462")
    _paths_flag(init, "--mock-results", _RESULTS_HELP.format(job="mock"))
    _paths_flag(init, "--real-results", _RESULTS_HELP.format(job="real-API"))
    init.add_argument("--workspace", metavar="DIR", help="resolve globs relative to DIR (default: current directory)")
    init.add_argument(
        "--allow-outside-workspace", action="store_true", help="also accept links that lead out of the workspace"
    )
    _paths_flag(
        init,
        "--tracking",
        "where an existing declaration of ISSUE is kept (default docs/issues/**/TRACKING.md): its title, "
        "area, partner, scenario and events are carried into the block",
    )
    init.add_argument(
        "--scenario",
        metavar="TEXT",
        help="the partner's flow, e.g. 'connect → Settings → user message'; with arrows, its steps are "
        "proposed as commented-out patterns to fill in",
    )


_ISSUE_WORD = re.compile(r"^#?[0-9]+$")


def _issue_taken_by_flag(args: argparse.Namespace, workspace: Path) -> str | None:
    """ISSUE when a results flag swallowed it (`--mock-results a.xml 462`): the one value that is a
    bare number and no existing path. Removed from the flag's list."""
    candidates = [
        (name, i)
        for name in ("mock_results", "real_results")
        for i, value in enumerate(getattr(args, name) or [])
        if _ISSUE_WORD.match(value.strip()) and not os.path.lexists(workspace / value.strip())
    ]
    if len(candidates) != 1:
        return None
    name, i = candidates[0]
    return getattr(args, name).pop(i)


def _init(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from dataclasses import replace

    from qualify.app.init import Known, existing, run_init
    from qualify.app.options import split_globs
    from qualify.settings import DEFAULT_TRACKING

    workspace = Path(args.workspace) if args.workspace else Path.cwd()
    given = args.issue if args.issue is not None else _issue_taken_by_flag(args, workspace)
    if given is None:
        raise QualifyError("ISSUE required: the issue number, e.g. qualify init 462 --mock-results ...", code="usage")
    text = given.strip().lstrip("#")
    if not text.isdigit() or int(text) <= 0:
        raise QualifyError(f"ISSUE {given!r} is not an issue number (expected e.g. 462)")
    issue = int(text)
    globs = {"mock": split_globs(args.mock_results), "real": split_globs(args.real_results)}
    missing = [f"--{job}-results" for job, v in globs.items() if not v]
    if missing:
        raise QualifyError(f"{' and '.join(missing)} required: the JUnit XML of the mock and the real-API job")
    tracking = split_globs(args.tracking) or [DEFAULT_TRACKING]
    known = existing(issue, tracking, workspace, allow_outside=args.allow_outside_workspace)
    if args.scenario is not None and args.scenario.strip():
        known = replace(known or Known(), scenario=" ".join(args.scenario.split()), steps=())
    return run_init(
        issue,
        globs,
        workspace,
        out,
        err,
        allow_outside=args.allow_outside_workspace,
        typed_outside=not in_github_actions(),
        known=known,
    )


def _add_adopt(sub: argparse._SubParsersAction) -> None:
    adopt = sub.add_parser(
        "adopt",
        help="draft qualify blocks into existing free-form TRACKING.md files, from what they say and the results",
        description=(
            "For each TRACKING.md without a qualify block: draft one from the document (issue, title, quoted test "
            "titles confirmed against the results, partner, the partner's flow, area) and the tests whose titles "
            "mention the issue; print it as a unified diff, insert it with --write (the document's own lines are "
            "never changed), and say what `qualify check` decides with the drafts. Exit 0 drafted, 1 no document "
            "could be given a block, 2 could not run."
        ),
    )
    adopt.set_defaults(subparser=adopt)
    adopt.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="TRACKING.md files, directories (every TRACKING.md under them) or quoted globs; put them before the "
        "results flags (default docs/issues/**/TRACKING.md)",
    )
    _paths_flag(adopt, "--mock-results", _RESULTS_HELP.format(job="mock"))
    _paths_flag(adopt, "--real-results", _RESULTS_HELP.format(job="real-API"))
    adopt.add_argument("--write", action="store_true", help="insert the drafted blocks into the files")
    adopt.add_argument("--workspace", metavar="DIR", help="resolve paths relative to DIR (default: current directory)")
    adopt.add_argument(
        "--allow-outside-workspace", action="store_true", help="also accept links that lead out of the workspace"
    )
    _limit_flags(adopt)


def _adopt(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from qualify.app.adopt import AdoptOptions, run_adopt
    from qualify.app.options import env_today, parse_bytes, split_globs
    from qualify.settings import DEFAULT_TRACKING

    globs = {"mock": split_globs(args.mock_results), "real": split_globs(args.real_results)}
    missing = [f"--{job}-results" for job, v in globs.items() if not v]
    if missing:
        raise QualifyError(f"{' and '.join(missing)} required: the JUnit XML of the mock and the real-API job")
    opts = AdoptOptions(
        tracking=split_globs(args.paths) or [DEFAULT_TRACKING],
        mock_results=globs["mock"],
        real_results=globs["real"],
        workspace=Path(args.workspace) if args.workspace else Path.cwd(),
        write=args.write,
        allow_outside_workspace=args.allow_outside_workspace,
        typed_outside_workspace=not in_github_actions(),
        max_file_bytes=parse_bytes(args.max_file_bytes, "--max-file-bytes") if args.max_file_bytes else None,
        max_total_bytes=parse_bytes(args.max_total_bytes, "--max-total-bytes") if args.max_total_bytes else None,
    )
    return run_adopt(opts, out, err, today=env_today(os.environ))


def _check(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from qualify.app.check import check_inputs
    from qualify.app.options import CLI_ONLY, INPUTS, RawInputs

    values = {name: getattr(args, name.replace("-", "_")) for name in (*INPUTS, *CLI_ONLY)}
    return check_inputs(RawInputs.of("cli", values), os.environ, out, err)


def _secrets(token: str | None) -> tuple[str, ...]:
    from qualify.app.options import secrets

    return secrets(token, os.environ)


def _limit_flags(parser: argparse.ArgumentParser) -> None:
    """The reading limits, for every command that reads results files."""
    parser.add_argument(
        "--max-file-bytes",
        metavar="N",
        help="refuse a results file larger than N bytes before parsing it (default 100M; K, M, G accepted)",
    )
    parser.add_argument(
        "--max-total-bytes",
        metavar="N",
        help="refuse results whose files together exceed N bytes (default 500M)",
    )


def _add_real_api_areas(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--real-api-areas",
        action="append",
        metavar="A,B",
        help="areas that need real-API proof (default backend,proxy)",
    )


def _lint(args: argparse.Namespace, out: TextIO) -> int:
    from qualify.app.options import env_today, real_api_areas
    from qualify.tracking.lint import lint_files, lint_targets

    targets = lint_targets(args.files, Path.cwd())
    return lint_files(targets, out, real_api_areas=real_api_areas(args.real_api_areas), today=env_today(os.environ))


def main(argv: list[str], out: TextIO | None = None, err: TextIO | None = None) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    parser = build_parser()
    try:
        args, extra = parser.parse_known_args(argv)
        if extra:  # under the usage of the command given, not the top-level one
            getattr(args, "subparser", parser).error(f"unrecognized arguments: {' '.join(extra)}")
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 for --help/--version
        return int(exc.code or 0)
    try:
        if args.command == "check":
            return _check(args, out, err)
        if args.command == "lint":
            return _lint(args, out)
        if args.command == "init":
            return _init(args, out, err)
        if args.command == "adopt":
            return _adopt(args, out, err)
        parser.print_help(out)
        return EXIT_ERROR
    except QualifyError as exc:
        err.write(error_line(str(exc), _secrets(getattr(args, "token", None))))
        return EXIT_ERROR
    except Exception as exc:  # noqa: BLE001 - the last line of defence: no traceback for users
        if os.environ.get("QUALIFY_DEBUG") == "1":
            traceback.print_exc(file=err)
        err.write(error_line(internal_error(exc), _secrets(getattr(args, "token", None))))
        return EXIT_ERROR


def console_main() -> None:
    """The `qualify` console script."""
    sys.exit(main(sys.argv[1:]))
