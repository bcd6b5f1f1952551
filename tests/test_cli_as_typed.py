"""Acceptance: the command line as people type it (issue 16, part 3).

Each test builds files in tmp_path, runs the CLI's `main` (or the Action's entry) as a person or a
workflow would, and checks the exit code and the exact message a person reads.
"""

from __future__ import annotations

import io
import json
import os
import shutil
from pathlib import Path

import pytest
from builders import EXAMPLES

from qualify.app.action import run_action
from qualify.app.cli import main

TRACKING_462 = EXAMPLES / "docs/issues/ISSUE-462/TRACKING.md"


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


def check_project(project: Path, tmp_path: Path, *flags: str) -> tuple[int, str, str]:
    """`qualify check` on the project with `flags`, the results downloaded beside it (last: they take
    several paths)."""
    return run(
        "check",
        "--workspace",
        str(project),
        *flags,
        "--mock-results",
        f"{tmp_path}/r/mock",
        "--real-results",
        f"{tmp_path}/r/real",
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A repository with the example declarations, and the two jobs' results downloaded elsewhere
    (/tmp/r/mock, /tmp/r/real as in the issue): the shell expands `r/real/*.xml` to two paths."""
    ws = tmp_path / "proj"
    shutil.copytree(EXAMPLES / "docs", ws / "docs")
    for job in ("mock", "real"):
        shutil.copytree(EXAMPLES / "runs/qualified" / job, tmp_path / "r" / job)
    return ws


def shell_glob(directory: Path) -> list[str]:
    """What bash passes for an unquoted `DIR/*.xml`: the matching paths, sorted."""
    return sorted(str(p) for p in directory.glob("*.xml"))


# --- several paths after a results flag ------------------------------------------------------------


def test_a_results_flag_takes_the_paths_the_shell_expanded(project: Path, tmp_path: Path) -> None:
    real = shell_glob(tmp_path / "r/real")
    assert len(real) == 2  # before the fix: "unrecognized arguments: .../playwright-junit.xml"
    code, out, err = run(
        "check",
        "--workspace",
        str(project),
        "--mock-results",
        *shell_glob(tmp_path / "r/mock"),
        "--real-results",
        *real,
    )
    assert code == 0, out + err
    assert out.rstrip().endswith("QUALIFIED")
    assert "mock: 1 file(s)" in out and "real: 2 file(s)" in out


def test_quoted_globs_repeated_flags_and_paths_mix_and_count_each_file_once(project: Path, tmp_path: Path) -> None:
    r = tmp_path / "r"
    code, out, err = run(
        "check",
        "--workspace",
        str(project),
        "--real-results",
        f"{r}/real/*.xml",
        "--mock-results",
        f"{r}/mock/jest-junit.xml",
        "--real-results",
        f"{r}/real/jest-junit.xml",
        f"{r}/real/playwright-junit.xml",
    )
    assert code == 0, out + err
    assert "real: 2 file(s)" in out


def test_a_flag_after_the_paths_is_not_swallowed(project: Path, tmp_path: Path) -> None:
    report = project / "report.json"
    code, out, err = run(
        "check",
        "--mock-results",
        *shell_glob(tmp_path / "r/mock"),
        "--json-report",
        str(report),
        "--real-results",
        *shell_glob(tmp_path / "r/real"),
        "--workspace",
        str(project),
    )
    assert code == 0, out + err
    assert json.loads(report.read_text())["qualified"] is True


def test_init_takes_its_issue_back_from_the_flag_before_it(project: Path, tmp_path: Path) -> None:
    code, out, err = run(
        "init",
        "--workspace",
        str(project),
        "--mock-results",
        *shell_glob(tmp_path / "r/mock"),
        "462",
        "--real-results",
        *shell_glob(tmp_path / "r/real"),
    )
    assert code == 0, err
    assert out.startswith("---\nqualify:\n  issue: 462\n")


def test_an_unknown_argument_is_shown_under_the_commands_usage(capsys: pytest.CaptureFixture) -> None:
    code, _, _ = run("check", "--mock-results", "a.xml", "--bogus")
    err = capsys.readouterr().err  # argparse writes to sys.stderr
    assert code == 2
    assert err.startswith("usage: qualify check ")
    assert err.endswith("qualify check: error: unrecognized arguments: --bogus\n")


# --- a directory as results ------------------------------------------------------------------------


def test_a_results_directory_reads_the_xml_files_under_it_and_says_so(project: Path, tmp_path: Path) -> None:
    nested = tmp_path / "r/real/shard-2"
    nested.mkdir()
    (tmp_path / "r/real/playwright-junit.xml").rename(nested / "playwright-junit.xml")
    traces = tmp_path / "r/real/playwright-results"  # the trace files its XML attaches, relative to it
    if traces.is_dir():
        traces.rename(nested / "playwright-results")
    (tmp_path / "r/real/notes.txt").write_text("not results")
    code, out, err = run(
        "check",
        "--workspace",
        str(project),
        "--mock-results",
        str(tmp_path / "r/mock"),
        "--real-results",
        f"{tmp_path}/r/real/",
    )
    assert code == 0, out + err
    assert (
        f"qualify: --mock-results {tmp_path}/r/mock is a directory: read as {tmp_path}/r/mock/**/*.xml (1 file(s))\n"
        in err
    )
    assert (
        f"qualify: --real-results {tmp_path}/r/real/ is a directory: read as {tmp_path}/r/real/**/*.xml (2 file(s))\n"
        in err
    )
    assert "real: 2 file(s)" in out


def test_a_results_directory_without_xml_names_where_it_looked(project: Path) -> None:
    (project / "test-results/mock").mkdir(parents=True)
    code, _, err = run(
        "check", "--workspace", str(project), "--mock-results", "test-results/mock", "--real-results", "x.xml"
    )
    assert code == 2
    ws = project.resolve()
    assert err.endswith(
        f"qualify: error: --mock-results 'test-results/mock' matched no file (searched {ws}/test-results/mock for "
        "**/*.xml); check the path and that the mock job's results files were downloaded or written\n"
    )


# --- paths outside the workspace ---------------------------------------------------------------------


def test_outside_actions_typed_paths_outside_the_workspace_are_the_persons_choice(
    project: Path, tmp_path: Path
) -> None:
    report = tmp_path / "x.json"  # `--json-report /tmp/x.json`
    code, out, err = run(
        "check",
        "--workspace",
        str(project),
        "--mock-results",
        f"{tmp_path}/r/mock/*.xml",
        "--real-results",
        f"{tmp_path}/r/../r/real/*.xml",
        "--json-report",
        str(report),
    )
    assert code == 0, out + err
    assert json.loads(report.read_text())["qualified"] is True


def test_a_link_inside_typed_results_that_leads_out_is_still_refused(project: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.mkdir()
    (secret / "id.xml").write_text("<testsuites/>")
    os.symlink(secret / "id.xml", tmp_path / "r/real/leak.xml")
    code, _, err = check_project(project, tmp_path)
    assert code == 2
    assert (
        f"qualify: error: real results file {tmp_path}/r/real/leak.xml resolves to {secret}/id.xml, outside the "
        f"workspace {project} and the directory given, {tmp_path}/r/real; pass --allow-outside-workspace if that is "
        "intended (command line; in the Action, keep the files in the workspace)\n"
    ) in err


def test_in_github_actions_the_command_line_confines_paths_as_the_action_does(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    shutil.copytree(tmp_path / "r", project / "r")
    code, out, err = run(
        "check",
        "--workspace",
        str(project),
        "--mock-results",
        "r/mock",
        "--real-results",
        "r/real",
        "--json-report",
        str(tmp_path / "x.json"),
    )
    refused = (
        f"--json-report '{tmp_path}/x.json' is outside the workspace {project}; write the report "
        "inside the workspace (a relative path is relative to it)"
    )
    assert code == 2
    # In a workflow the command line annotates, as the Action does: said once on stderr, once as an annotation.
    assert out == f"::error title=qualify::qualify could not evaluate: {refused}\n"
    assert err == f"qualify: error: {refused}\n"
    assert not (tmp_path / "x.json").exists()
    code, _, err = run(
        "check", "--workspace", str(project), "--mock-results", f"{tmp_path}/r/mock/*.xml", "--real-results", "r/real"
    )
    assert code == 2
    assert f"mock results glob '{tmp_path}/r/mock/*.xml' points outside the workspace {project}" in err


def _action_env(ws: Path, **inputs: str) -> dict[str, str]:
    env = {"GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": str(ws), "INPUT_MOCK-RESULTS": "r/mock/*.xml"}
    env["INPUT_REAL-RESULTS"] = "r/real/*.xml"
    env.update({f"INPUT_{k.upper().replace('_', '-')}": v for k, v in inputs.items()})
    return env


def test_the_action_refuses_a_json_report_outside_the_workspace(project: Path, tmp_path: Path) -> None:
    shutil.copytree(tmp_path / "r", project / "r")
    out, err = io.StringIO(), io.StringIO()
    code = run_action(_action_env(project, json_report=str(tmp_path / "x.json")), out, err)
    assert code == 2
    assert err.getvalue() == (
        f"qualify: error: input json-report '{tmp_path}/x.json' is outside the workspace {project}; write the "
        "report inside the workspace (a relative path is relative to it)\n"
    )
    assert not (tmp_path / "x.json").exists()


def test_the_action_refuses_a_report_link_planted_in_the_workspace(project: Path, tmp_path: Path) -> None:
    shutil.copytree(tmp_path / "r", project / "r")
    target = tmp_path / "victim.txt"
    target.write_text("keep me")
    os.symlink(target, project / "qualify-report.json")  # pull-request code can commit such a link
    out, err = io.StringIO(), io.StringIO()
    code = run_action(_action_env(project), out, err)
    assert code == 2
    assert err.getvalue() == (
        f"qualify: error: input json-report 'qualify-report.json' is outside the workspace {project} (it resolves "
        f"to {target}); write the report inside the workspace (a relative path is relative to it)\n"
    )
    assert target.read_text() == "keep me"


def test_the_action_writes_its_default_report_inside_the_workspace(project: Path, tmp_path: Path) -> None:
    shutil.copytree(tmp_path / "r", project / "r")
    code = run_action(_action_env(project), io.StringIO(), io.StringIO())
    assert code == 0
    assert json.loads((project / "qualify-report.json").read_text())["qualified"] is True


# --- globs that match nothing ------------------------------------------------------------------------


def test_a_tracking_glob_with_a_typo_says_it_matched_no_file_and_where_it_looked(project: Path, tmp_path: Path) -> None:
    code, out, _ = check_project(project, tmp_path, "--tracking", "docs/issue/**/TRACKING.md")
    assert code == 1
    assert (
        f"  tracking-missing: --tracking 'docs/issue/**/TRACKING.md' matched no file (searched {project}/docs/issue, "
        "which does not exist)\n"
        f"      fix: check the glob: it is relative to the workspace {project} (default docs/issues/**/TRACKING.md)\n"
    ) in out
    assert "no TRACKING.md declares a qualify block" not in out


def test_the_default_tracking_glob_matching_nothing_says_how_to_start(tmp_path: Path) -> None:
    ws = tmp_path / "empty"
    ws.mkdir()
    for job in ("mock", "real"):
        shutil.copytree(EXAMPLES / "runs/qualified" / job, ws / job)
    code, out, _ = run("check", "--workspace", str(ws), "--mock-results", "mock", "--real-results", "real")
    assert code == 1
    assert (
        f"  tracking-missing: --tracking 'docs/issues/**/TRACKING.md' (the default) matched no file (searched "
        f"{ws}/docs/issues, which does not exist)\n"
        "      fix: declare each defect in docs/issues/ISSUE-N/TRACKING.md (`qualify init N` starts one), or set "
        "--tracking\n"
    ) in out


def test_an_absolute_glob_matching_nothing_names_the_directory_searched(project: Path, tmp_path: Path) -> None:
    code, _, err = run(
        "check",
        "--workspace",
        str(project),
        "--mock-results",
        f"{tmp_path}/r/mock",
        "--real-results",
        f"{tmp_path}/elsewhere/*.xml",
    )
    assert code == 2
    assert err.endswith(
        f"qualify: error: --real-results '{tmp_path}/elsewhere/*.xml' matched no file (searched {tmp_path}/elsewhere, "
        "which does not exist); check the path and that the real job's results files were downloaded or written\n"
    )
    assert f"under {project}" not in err


# --- --issues that are not declared -----------------------------------------------------------------


def test_an_undeclared_issue_lists_the_declared_ones(project: Path, tmp_path: Path) -> None:
    for issue in range(500, 512):
        path = project / f"docs/issues/ISSUE-{issue}/TRACKING.md"
        path.parent.mkdir(parents=True)
        path.write_text(TRACKING_462.read_text().replace("issue: 462", f"issue: {issue}"))
    code, out, _ = check_project(project, tmp_path, "--issues", "463")
    assert code == 1
    assert (
        "  tracking-missing: issue #463 was requested but no TRACKING.md declares it (declared: #462, #500, #501, "
        "#502, #503, #504, #505, #506, #507, #508 and 3 more)\n"
    ) in out


def test_issues_take_several_values_after_the_flag(project: Path, tmp_path: Path) -> None:
    code, out, _ = check_project(project, tmp_path, "--issues", "462", "463")
    assert code == 1
    assert "issue #463 was requested but no TRACKING.md declares it (declared: #462)\n" in out


# --- qualify lint --------------------------------------------------------------------------------------


def test_lint_without_arguments_lints_checks_default_glob(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(project)
    code, out, _ = run("lint")
    assert code == 0
    assert out == (
        "docs/issues/ISSUE-470/TRACKING.md:1: warning: no qualify block; this file is not checked\n"
        "2 file(s) checked, 0 problem(s)\n"
    )


def test_lint_of_a_directory_lints_the_tracking_files_under_it(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(project)
    (project / "docs/README.md").write_text("not a declaration")
    code, out, _ = run("lint", "docs/")
    assert code == 0
    assert out.endswith("2 file(s) checked, 0 problem(s)\n")  # before: "docs/: no such file"
    code, out, _ = run("lint", "docs/issues/*462*/TRACKING.md")
    assert (code, out) == (0, "1 file(s) checked, 0 problem(s)\n")


def test_lint_says_where_it_found_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "docs").mkdir()
    code, _, err = run("lint")
    assert code == 2
    assert err == (
        f"qualify: error: no file to lint: the default docs/issues/**/TRACKING.md matched no file (searched "
        f"{tmp_path}/docs/issues, which does not exist); name files or directories, e.g. qualify lint "
        "path/to/TRACKING.md\n"
    )
    code, _, err = run("lint", "docs")
    assert (code, err) == (
        2,
        f"qualify: error: docs: no TRACKING.md under this directory (searched {tmp_path}/docs for **/TRACKING.md)\n",
    )
    code, _, err = run("lint", "docs/*/TRACKING.md")
    assert (code, err) == (2, f"qualify: error: 'docs/*/TRACKING.md' matched no file (searched {tmp_path}/docs)\n")
    code, _, err = run("lint", "missing.md")
    assert (code, err) == (2, "qualify: error: missing.md: no such file or directory\n")


# --- YAML errors in plain words --------------------------------------------------------------------------


def test_a_yaml_indentation_error_is_said_in_plain_words_beside_its_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "docs/issues/ISSUE-9/TRACKING.md"
    path.parent.mkdir(parents=True)
    path.write_text(
        "---\n"
        "qualify:\n"
        "  issue: 9\n"
        "  area: [proxy]\n"
        "  coverage:\n"
        "    - test: a\n"
        "      jobs: [mock]\n"
        "    - test: b\n"
        "     jobs: [real]\n"
        "---\n"
    )
    code, out, _ = run("lint")
    assert code == 1
    assert out.splitlines()[0] == (
        "docs/issues/ISSUE-9/TRACKING.md:9: tracking-invalid: invalid qualify block: YAML error: indentation: line 9 "
        "is indented differently from the key above it; keys of one mapping start in the same column, and a list "
        "item's keys line up after its `- ` (PyYAML: while parsing a block collection, expected <block end>, but "
        "found '<block mapping start>')"
    )


# --- defaults of the command line and the Action ---------------------------------------------------------


def test_help_says_where_the_command_lines_defaults_differ_from_the_actions(capsys: pytest.CaptureFixture) -> None:
    code, _, _ = run("check", "--help")
    text = " ".join(capsys.readouterr().out.split())
    assert code == 0
    assert "write the JSON report here (default: none; the Action writes qualify-report.json)" in text
    assert "append the Markdown summary here (default: none; the Action appends to the job summary)" in text


def test_the_command_line_writes_no_report_unless_asked(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project)
    code, _, _ = run("check", "--mock-results", f"{tmp_path}/r/mock", "--real-results", f"{tmp_path}/r/real")
    assert code == 0
    assert sorted(p.name for p in project.iterdir()) == ["docs"]
