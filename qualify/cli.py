"""Command line: `qualify check`, `qualify lint`. Thin: parse arguments, call the core, exit code."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import traceback
from pathlib import Path
from typing import TextIO

from qualify import __version__
from qualify.errors import QualifyError

EXIT_ERROR = 2


def split_list(values: list[str] | None) -> list[str]:
    """Comma-, space- or newline-separated values, possibly given several times."""
    out: list[str] = []
    for v in values or []:
        out += [p for p in v.replace(",", " ").split() if p]
    return out


def split_globs(values: list[str] | None) -> list[str]:
    """Globs one per line (an Action input) or per flag; commas are legal in paths, so not split."""
    return [line.strip() for v in values or [] for line in v.splitlines() if line.strip()]


def parse_issues(values: list[str] | None) -> tuple[int, ...]:
    issues = []
    for item in split_list(values):
        text = item.lstrip("#")
        if not text.isdigit() or int(text) <= 0:
            raise QualifyError(f"--issues: {item!r} is not an issue number (expected e.g. 462,470)")
        issues.append(int(text))
    return tuple(dict.fromkeys(issues))


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date like 2026-12-31") from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="qualify",
        description="Gate a release on real-API and partner-scenario coverage of its tracked defects.",
    )
    parser.add_argument("--version", action="version", version=f"qualify {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    check = sub.add_parser(
        "check",
        help="decide whether the release is qualified",
        description="Exit 0 qualified, 1 not qualified, 2 could not evaluate.",
    )
    check.add_argument(
        "--mock-results", action="append", metavar="GLOB", help="JUnit XML of the mock job (repeatable, ** allowed)"
    )
    check.add_argument(
        "--real-results", action="append", metavar="GLOB", help="JUnit XML of the real-API job (repeatable)"
    )
    check.add_argument(
        "--tracking", action="append", metavar="GLOB", help="TRACKING.md files (default docs/issues/**/TRACKING.md)"
    )
    check.add_argument("--issues", action="append", metavar="N,N", help="only these issues; each must be declared")
    check.add_argument(
        "--real-api-areas",
        action="append",
        metavar="A,B",
        help="areas that need real-API proof (default backend,proxy)",
    )
    check.add_argument("--json-report", metavar="PATH", help="write the JSON report here")
    check.add_argument("--summary", metavar="PATH", help="append the Markdown summary here")
    check.add_argument(
        "--mode",
        choices=("enforce", "report"),
        default="enforce",
        help="report: always exit 0 unless it could not evaluate",
    )
    check.add_argument(
        "--workspace", metavar="DIR", help="resolve globs and report paths relative to DIR (default: current directory)"
    )
    check.add_argument("--token", help="GitHub token (default $GITHUB_TOKEN); not used yet")
    check.add_argument("--repo", help="owner/name (default $GITHUB_REPOSITORY); not used yet")
    check.add_argument("--today", type=_date, metavar="YYYY-MM-DD", help="evaluate exception expiry as of this date")
    check.add_argument(
        "--allow-outside-workspace",
        action="store_true",
        help="allow result and TRACKING.md files outside the workspace",
    )
    annot = check.add_mutually_exclusive_group()
    annot.add_argument(
        "--annotations",
        dest="annotations",
        action="store_true",
        default=None,
        help="print GitHub workflow annotations (default: when GITHUB_ACTIONS=true)",
    )
    annot.add_argument("--no-annotations", dest="annotations", action="store_false")

    lint = sub.add_parser("lint", help="validate TRACKING.md declarations", description="Exit 1 on any problem.")
    lint.add_argument("files", nargs="+", metavar="TRACKING.md")
    return parser


def _check(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from qualify.check import DEFAULT_TRACKING, CheckOptions, env_today, run

    mock, real = split_globs(args.mock_results), split_globs(args.real_results)
    missing = [flag for flag, v in (("--mock-results", mock), ("--real-results", real)) if not v]
    if missing:
        raise QualifyError(f"{' and '.join(missing)} required: the JUnit XML of the mock and the real-API job")
    areas = tuple(a.lower() for a in split_list(args.real_api_areas)) or ("backend", "proxy")
    opts = CheckOptions(
        mock_results=mock,
        real_results=real,
        tracking=split_globs(args.tracking) or [DEFAULT_TRACKING],
        issues=parse_issues(args.issues),
        real_api_areas=areas,
        json_report=args.json_report,
        summary=args.summary,
        mode=args.mode,
        workspace=Path(args.workspace) if args.workspace else Path.cwd(),
        today=args.today or env_today(),
        annotations=args.annotations if args.annotations is not None else os.environ.get("GITHUB_ACTIONS") == "true",
        allow_outside_workspace=args.allow_outside_workspace,
    )
    from qualify.progress import Progress

    return run(opts, out, err, progress=Progress.for_stream(err, os.environ))


def _lint(args: argparse.Namespace, out: TextIO) -> int:
    from qualify.lint import lint_files

    return lint_files([Path(f) for f in args.files], out)


def main(argv: list[str], out: TextIO | None = None, err: TextIO | None = None) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 for --help/--version
        return int(exc.code or 0)
    try:
        if args.command == "check":
            return _check(args, out, err)
        if args.command == "lint":
            return _lint(args, out)
        parser.print_help(out)
        return EXIT_ERROR
    except QualifyError as exc:
        err.write(f"qualify: error: {exc}\n")
        return EXIT_ERROR
    except Exception as exc:  # noqa: BLE001 - the last line of defence: no traceback for users
        if os.environ.get("QUALIFY_DEBUG") == "1":
            traceback.print_exc(file=err)
        err.write(f"qualify: internal error: {type(exc).__name__}: {exc} (set QUALIFY_DEBUG=1 for a traceback)\n")
        return EXIT_ERROR


def console_main() -> None:
    """The `qualify` console script."""
    sys.exit(main(sys.argv[1:]))
