"""Every recipe under examples/workflows/, run as a whole workflow by nektos/act.

Each recipe runs on a scenario that qualifies and on one that does not (examples/README.md gives
the verdicts), each with ``--bind`` and without (act copies the repository into the job
containers), in a temporary repository holding the examples.  The assertions read act's
JSON log: the gate step's outputs, its annotations and step summary, which steps and jobs ran or
were skipped, and act's exit status (the workflow's result).  See act_run.py for what stands in
for what cannot run offline; recipes whose gate uses the REST API run against the loopback
stand-in of tests/github (api_stand_in.py), whose recorded requests are checked as well.
"""

from __future__ import annotations

import json
import re
from contextlib import nullcontext
from pathlib import Path

import api_stand_in
import pytest
import yaml
from act_run import (
    ALWAYS,
    GATED_ON_QUALIFIED,
    REPO_ROOT,
    SHA,
    STAND_IN_FOR,
    WORKFLOWS,
    ActEnv,
    ActRun,
    expected_run_line,
    load_recipe,
    remove_act_leftovers,
    run_act,
)

TRACKING_462 = "docs/issues/ISSUE-462/TRACKING.md"

# scenario under examples/runs/ -> whether it qualifies (examples/README.md, "Scenarios")
SCENARIOS = {"qualified": True, "mock-only": False}

# Recipes act cannot run here yet, with the reason; docs/act.md ("Try it locally with act") names
# each.  A recipe moves out of this table when its dependency can be stood in for offline.
NOT_UNDER_ACT: dict[str, str] = {}

ALL_RECIPES = sorted(WORKFLOWS.glob("*.yml")) + sorted(WORKFLOWS.glob("*.yaml"))
RUNNABLE = [p for p in ALL_RECIPES if p.name not in NOT_UNDER_ACT]


def step_key(step: dict, index: int) -> str:
    """How act names a step in its log: its id, else its index in the job."""
    return str(step.get("id") or index)


def test_every_recipe_is_run_under_act_or_named_in_the_act_page() -> None:
    assert ALL_RECIPES, f"no workflows under {WORKFLOWS}"
    unknown = set(NOT_UNDER_ACT) - {p.name for p in ALL_RECIPES}
    assert not unknown, f"NOT_UNDER_ACT names recipes that do not exist: {sorted(unknown)}"
    page = (REPO_ROOT / "docs" / "act.md").read_text()
    match = re.search(r"^# Try it locally with act\n(.*)", page, re.S | re.M)
    assert match, "docs/act.md does not start its '# Try it locally with act' page"
    for name in NOT_UNDER_ACT:
        assert name in match.group(1), f"docs/act.md does not say why {name} is not run under act"


@pytest.mark.parametrize("workflow", ALL_RECIPES, ids=[p.name for p in ALL_RECIPES])
def test_recipe_reads_only_outputs_the_action_declares(workflow: Path) -> None:
    """`steps.<gate>.outputs.X` must name an output of action.yml: the runner gives an unknown one
    as an empty string, silently (act does too)."""
    recipe = load_recipe(workflow)
    declared = set(yaml.safe_load((REPO_ROOT / "action.yml").read_text())["outputs"])
    text = workflow.read_text()
    used = set(re.findall(rf"steps\.{re.escape(recipe.gate.step_id)}\.outputs\.([\w-]+)", text))
    assert used, f"{workflow.name} reads no output of the gate step"
    assert used <= declared, f"{workflow.name} reads outputs action.yml does not declare: {sorted(used - declared)}"


def leftover_containers(act_env: ActEnv) -> list[str]:
    """Job containers and volumes act did not remove (it keeps them after a failure without --rm);
    removed here so the persistent data-root does not fill up."""
    return remove_act_leftovers(act_env.session.daemon.docker)


def uploaded_report(run: ActRun, report_path: str) -> Path | None:
    """The JSON report as a later step of the gate's job uploaded it, if the recipe does."""
    steps = run.recipe.gate_steps()
    for step in steps[run.recipe.gate.index + 1 :]:
        with_ = step.get("with") or {}
        if str(step.get("uses", "")).startswith("actions/upload-artifact@") and ".outputs.report" in str(
            with_.get("path", "")
        ):
            return run.artifacts / str(with_.get("name", "artifact")) / Path(report_path).name
    return None


@pytest.mark.parametrize("workflow", ALL_RECIPES, ids=[p.name for p in ALL_RECIPES])
def test_stand_ins_take_every_input_the_recipe_gives(workflow: Path) -> None:
    """An input the stand-in does not declare would be dropped silently: extend the stand-in."""
    for job_id, job in yaml.safe_load(workflow.read_text())["jobs"].items():
        for step in job.get("steps") or []:
            name = str(step.get("uses", "")).partition("@")[0]
            if name not in STAND_IN_FOR:
                continue
            declared = set(yaml.safe_load((STAND_IN_FOR[name] / "action.yml").read_text())["inputs"])
            given = set(step.get("with") or {})
            assert given <= declared, f"{workflow.name} {job_id}: {name} stand-in lacks {sorted(given - declared)}"


@pytest.mark.container
@pytest.mark.parametrize("workspace", ["bind", "copy"])
@pytest.mark.parametrize("scenario", list(SCENARIOS))
@pytest.mark.parametrize("workflow", RUNNABLE, ids=[p.name for p in RUNNABLE])
def test_recipe_runs_under_act(act_env: ActEnv, workflow: Path, scenario: str, workspace: str, tmp_path: Path) -> None:
    recipe = load_recipe(workflow)
    # A recipe whose gate uses the REST API talks to the loopback stand-in (api_stand_in.py).
    stand_in = api_stand_in.serving(recipe, scenario) if api_stand_in.uses_api(recipe) else nullcontext()
    with stand_in as api:
        run = run_act(
            act_env.act, act_env.docker_env, act_env.session.base, act_env.session.tag, recipe, scenario, tmp_path,
            bind=workspace == "bind", extra_args=api.act_args() if api else (),
        )  # fmt: skip
    context = run.context()
    assert not leftover_containers(act_env), f"act left containers behind\n{context}"
    qualifies = SCENARIOS[scenario]
    gate = recipe.gate
    log = run.log
    assert not log.other_lines or all(not line.strip() for line in log.other_lines), (
        "act wrote lines that are not JSON:\n" + "\n".join(log.other_lines[:20]) + "\n" + context
    )

    # Multi-job recipes stay multi-job: every job of the workflow has a result of its own.
    jobs = log.job_results()
    assert set(jobs) == set(recipe.jobs), f"jobs with a result {jobs} != jobs of the workflow\n{context}"

    # The gate step's outputs, and the JSON report they point at (written where act's workspace is).
    outputs = log.outputs(gate.job, gate.step_id)
    assert outputs.get("qualified") == ("true" if qualifies else "false"), f"{outputs}\n{context}"
    assert outputs.get("problems", "").isdigit(), f"problems output {outputs.get('problems')!r}\n{context}"
    problems = int(outputs["problems"])
    assert (problems == 0) is qualifies, f"{outputs}\n{context}"
    report_path = outputs.get("report", "")
    assert report_path and not report_path.startswith("/"), f"report output not workspace-relative: {report_path!r}"
    in_repo = run.repo / report_path
    # --bind: the jobs wrote into the repository; copy: into their own copies, never the repository.
    assert in_repo.is_file() is run.bind, f"{in_repo} exists: {in_repo.is_file()}, --bind: {run.bind}\n{context}"
    report_file = in_repo if run.bind else uploaded_report(run, report_path)
    report = None
    if report_file is not None:  # None: copy mode, and the recipe does not upload the report
        report = check_report(report_file, qualifies, problems, context)
    if api is not None:
        api_stand_in.check_api_use(api, run, report, qualifies, context)
    elif report is not None:
        # A recipe that publishes through the API must have been given the stand-in, not skipped.
        skipped = [w["message"] for w in report["warnings"] if w["code"] == "publish-skipped"]
        assert not skipped, f"{skipped}: api_stand_in.uses_api() missed this recipe's API inputs"

    # enforce fails the step, the job and so the workflow when not qualified; report never does.
    gate_fails = not qualifies and gate.mode == "enforce"
    assert log.step_result(gate.job, gate.step_id) == ("failure" if gate_fails else "success"), context
    assert jobs[gate.job] == ("failure" if gate_fails else "success"), f"{jobs}\n{context}"
    assert (run.returncode != 0) is gate_fails, f"act exit {run.returncode}, gate_fails={gate_fails}\n{context}"
    if qualifies:
        # A qualified release runs the whole recipe: a job skipped here is gated on a wrong name.
        assert set(jobs.values()) == {"success"}, f"{jobs}\n{context}"
    elif not gate_fails:
        assert set(jobs.values()) <= {"success", "skipped"}, f"{jobs}\n{context}"

    # Annotations name TRACKING.md by its path relative to the workspace (act's is the host path).
    annotations = log.annotations(gate.job, gate.step_id)
    errors = [a for a in annotations if a[0] == "error"]
    assert len(errors) == problems, f"{len(errors)} ::error for {problems} problems\n{context}"
    for kind, props, message in annotations:
        if kind == "error":
            assert props.get("file") == TRACKING_462, f"::error names {props.get('file')!r}: {message}"
        if "file" in props:
            assert not props["file"].startswith("/"), f"absolute path in an annotation: {props}"
            assert (run.repo / props["file"]).is_file(), f"annotation names no workspace file: {props}"
        assert str(run.repo) not in message and "/github/workspace" not in message, message

    # The step summary act collected from GITHUB_STEP_SUMMARY carries the verdict.
    summary = log.summary(gate.job, gate.step_id)
    assert "#462" in summary, f"summary: {summary!r}\n{context}"
    assert ("not qualified" in summary.lower()) is not qualifies, summary
    assert ("release qualified" in summary.lower()) is qualifies, summary
    assert str(run.repo) not in summary and "/github/" not in summary, summary

    check_gated_jobs(run, qualifies, gate_fails, context)
    check_gate_job_steps(run, outputs, qualifies, gate_fails, context)


def check_report(report_file: Path, qualifies: bool, problems: int, context: str) -> dict:
    assert report_file.is_file(), f"the report output names no file ({report_file})\n{context}"
    report = json.loads(report_file.read_text())
    assert report["qualified"] is qualifies
    assert len(report["problems"]) == problems
    # The recipe's test jobs make the runners record each test's file, so a declared `file:` is checked.
    unverified = [
        (entry["test"], job)
        for defect in report["defects"]
        for entry in defect.get("coverage") or []
        if entry.get("file")
        for job, result in (entry.get("results") or {}).items()
        if result.get("matched") and not result.get("file_verified")
    ]
    assert not unverified, f"declared files not verified (runner wrote no file attribute): {unverified}"
    return report


def check_gated_jobs(run: ActRun, qualifies: bool, gate_fails: bool, context: str) -> None:
    """Jobs gated on `outputs.qualified == 'true'` run exactly when the release qualifies; other
    jobs after a failed gate run only when their `if:` asks for it."""
    recipe, jobs = run.recipe, run.log.job_results()
    for job in recipe.gated_jobs():
        assert jobs[job] == ("success" if qualifies else "skipped"), f"gated job {job}: {jobs}\n{context}"
    for job in recipe.downstream(recipe.gate.job) - set(recipe.gated_jobs()):
        condition = str(recipe.jobs[job].get("if", ""))
        if gate_fails and not ALWAYS.search(condition):
            assert jobs[job] == "skipped", f"{job} ran after the gate failed: {jobs}\n{context}"


def check_gate_job_steps(run: ActRun, outputs: dict[str, str], qualifies: bool, gate_fails: bool, context: str) -> None:
    """The steps after the gate in its job: run or skipped as their `if:` says, and the gate's
    outputs reach them (act's "Run Main" line shows the step with expressions interpolated)."""
    recipe, log, gate = run.recipe, run.log, run.recipe.gate
    for index, step in enumerate(recipe.gate_steps()):
        if index <= gate.index:
            continue
        key = step_key(step, index)
        condition = str(step.get("if", ""))
        if GATED_ON_QUALIFIED.search(condition):
            expected = "success" if qualifies else "skipped"
        elif gate_fails and not ALWAYS.search(condition):
            expected = "skipped"
        else:
            expected = "success"
        result = log.step_result(gate.job, key)
        if expected == "skipped":
            assert result in (None, "skipped"), f"step {key} ran ({result}) but should not have\n{context}"
            continue
        assert result == "success", f"step {key}: {result}, expected success\n{context}"
        if "run" in step:
            line = expected_run_line(str(step["run"]), gate.step_id, outputs)
            if line is not None:
                shown = "\n".join(log.run_lines(gate.job, key))
                assert line.strip() in shown, f"step {key} did not run with the gate's outputs: {shown!r}"
        uses = str(step.get("uses", ""))
        if uses.startswith("actions/upload-artifact@"):
            with_ = step.get("with") or {}
            name = str(with_.get("name", "artifact"))
            path = expected_run_line(str(with_.get("path", "")), gate.step_id, outputs)
            if path is not None and (run.repo / path).is_file():
                stored = run.artifacts / name / Path(path).name
                assert stored.is_file(), f"artifact {name} lacks {path}: {sorted(run.artifacts.rglob('*'))}"


@pytest.mark.container
def test_release_from_run_refuses_stale_results_under_act(act_env: ActEnv, tmp_path: Path) -> None:
    """The latest successful real-API run tested a commit that does not include the tagged one:
    its results, although all passing, are refused (stale-results), the check run fails and the
    release job does not run."""
    recipe = load_recipe(WORKFLOWS / "release-from-run.yml")
    with api_stand_in.serving(recipe, "qualified", results_sha=api_stand_in.OLD_SHA) as api:
        run = run_act(
            act_env.act, act_env.docker_env, act_env.session.base, act_env.session.tag, recipe, "qualified", tmp_path,
            extra_args=api.act_args(), note=", stale results",
        )  # fmt: skip
    context = run.context()
    assert not leftover_containers(act_env), f"act left containers behind\n{context}"
    gate = recipe.gate
    outputs = run.log.outputs(gate.job, gate.step_id)
    assert outputs.get("qualified") == "false" and outputs.get("problems") == "1", f"{outputs}\n{context}"
    report = json.loads((run.repo / outputs["report"]).read_text())
    assert [f["code"] for f in report["problems"]] == ["stale-results"], f"{report['problems']}\n{context}"
    assert "does not include the commit under test" in report["problems"][0]["message"], report["problems"]
    errors = [a for a in run.log.annotations(gate.job, gate.step_id) if a[0] == "error"]
    assert len(errors) == 1 and "stale" in errors[0][2].lower() + str(errors[0][1]).lower(), f"{errors}\n{context}"
    jobs = run.log.job_results()
    assert jobs == {"mock-tests": "success", gate.job: "failure", "release": "skipped"}, f"{jobs}\n{context}"
    assert run.returncode != 0, context
    repo = rf"^{api_stand_in.API_PREFIX}/repos/{api_stand_in.OWNER}/{api_stand_in.REPO}"
    compare = rf"{repo}/compare/{SHA}\.\.\.{api_stand_in.OLD_SHA}$"
    assert any(m == "GET" and re.search(compare, p) for m, p, _ in api.gh.log), f"no compare call: {api.gh.log}"
    api_stand_in.check_api_use(api, run, report, False, context)


@pytest.mark.container
def test_release_from_shards_refuses_a_missing_shard_under_act(act_env: ActEnv, tmp_path: Path) -> None:
    """The real-API matrix ran two shards but only shard 1 uploaded its results: although every
    result that is there passes, the gate reports shard-missing, fails, and the release does not run."""
    recipe = load_recipe(WORKFLOWS / "release-from-shards.yml")
    with api_stand_in.serving(recipe, "qualified", drop_shard=2) as api:
        run = run_act(
            act_env.act, act_env.docker_env, act_env.session.base, act_env.session.tag, recipe, "qualified", tmp_path,
            extra_args=api.act_args(), note=", shard 2 missing",
        )  # fmt: skip
    context = run.context()
    assert not leftover_containers(act_env), f"act left containers behind\n{context}"
    gate = recipe.gate
    outputs = run.log.outputs(gate.job, gate.step_id)
    assert outputs.get("qualified") == "false", f"{outputs}\n{context}"
    report = json.loads((run.repo / outputs["report"]).read_text())
    assert "shard-missing" in [f["code"] for f in report["problems"]], f"{report['problems']}\n{context}"
    jobs = run.log.job_results()
    assert jobs == {"mock-tests": "success", gate.job: "failure", "release": "skipped"}, f"{jobs}\n{context}"
    assert run.returncode != 0, context
    repo = rf"^{api_stand_in.API_PREFIX}/repos/{api_stand_in.OWNER}/{api_stand_in.REPO}"
    assert any(m == "GET" and re.search(rf"{repo}/actions/runs/\d+/jobs", p) for m, p, _ in api.gh.log), api.gh.log
