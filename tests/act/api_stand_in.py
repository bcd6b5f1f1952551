"""The loopback REST stand-in (tests/github/fake_github.py) for recipes whose gate uses the GitHub API.

How act reaches it: act derives ``GITHUB_API_URL`` (and ``github.api_url``) from ``--github-instance``
(``https://HOST/api/v3``) and ignores a workflow's ``env:`` for it, but a value given with act's own
``--env GITHUB_API_URL=...`` wins (act's run_context.go, "allow to be overridden by user").  The job
containers and the qualify container beside them use the host's network (act's default
``--network host``; a Docker action joins its job container's network), so a plain-HTTP server on
127.0.0.1 is reachable.  The stand-in serves under ``/api/v3``, as GitHub Enterprise Server does.

What the test gives act besides that, and nothing else:

* ``--env GITHUB_REPOSITORY=acme/voice``: the temporary repository has no remote to take it from;
* ``-s GITHUB_TOKEN=<random dummy>``: act's ``github.token``, which the action's ``token`` input
  defaults to.  The stand-in grants that token exactly the ``permissions:`` the recipe's gate job
  declares, so a recipe that forgets one fails here as it would on GitHub.

The stand-in is seeded from the recipe's own inputs: the results workflow's latest successful
run on the results branch, holding the scenario's recorded JUnit XML as the named artifact; the
milestone (``github.ref_name`` of the tag push) holding the declared defect, labelled as its
TRACKING.md declares, plus an issue of another milestone whose TRACKING.md declares nothing (it
would fail the release if the milestone were ignored) and a pull request (the issues API lists
those too); on the event's pull request, someone's comment and qualify's sticky comment of an
earlier run (``comment: true`` must edit it, not add another). An artifact input that is a pattern
(``real-junit-*``) is served as one shard per recorded file (``real-junit-1``, ``real-junit-2`` …)
from a run whose jobs list holds the matching ``real-api (N)`` matrix; ``drop_shard`` leaves one
shard's artifact out, as a shard job that failed before uploading would.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from act_run import EXAMPLES, SHA, Recipe, event_payload
from fake_github import FakeGitHub, zip_bytes

from qualify.github.publish import MARKER

# Inputs of action.yml that make the gate call the GitHub API.
API_INPUTS = ("real-results-artifact", "mock-results-artifact", "results-run-id", "results-workflow", "check-name")
OWNER, REPO = "acme", "voice"
API_PREFIX = "/api/v3"
# The examples' declared defect and the labels that agree with its TRACKING.md (area: proxy,
# partner: voice-commerce), so no label-mismatch is expected.
DECLARED_ISSUE = 462
DECLARED_LABELS = ("proxy", "partner-reported", "bug")
# docs/issues/ISSUE-470/TRACKING.md has no qualify block: in the release's milestone it would be
# `tracking-missing`; it is put in another milestone.
UNDECLARED_ISSUE = 470
OTHER_MILESTONE = "v9.9.9"
PULL_REQUEST = 471
# The commit under test is older than the recorded JUnit timestamps (examples/generate.sh's run).
COMMIT_TIME = dt.datetime(2026, 11, 25, 6, 0, tzinfo=dt.UTC)
# A commit the stale run tested, which does not include the commit under test.
OLD_SHA = "fedcba9876543210fedcba9876543210fedcba98"
# On the pull request before the run: someone's comment, and qualify's sticky comment of an
# earlier run, which must be edited, not duplicated.
OTHER_COMMENT = "Looks good to me once the real-API job passes."
OLD_STICKY = f"{MARKER}\n## earlier report (to be replaced)\n"


def gate_inputs(recipe: Recipe) -> dict[str, str]:
    step = recipe.gate_steps()[recipe.gate.index]
    # The runner gives a YAML boolean as `true`/`false`.
    return {str(k): str(v).lower() if isinstance(v, bool) else str(v) for k, v in (step.get("with") or {}).items()}


def uses_api(recipe: Recipe) -> bool:
    inputs = gate_inputs(recipe)
    if any(inputs.get(name) for name in API_INPUTS) or inputs.get("comment") == "true":
        return True
    return bool(re.match(r"\s*(milestone|label):", inputs.get("issues", "")))


def token_permissions(recipe: Recipe) -> frozenset[str]:
    """The gate job's `permissions:` (else the workflow's) in the stand-in's terms; write implies read."""
    perms = recipe.jobs[recipe.gate.job].get("permissions", recipe.doc.get("permissions"))
    assert isinstance(perms, dict), f"{recipe.path.name}: the API needs an explicit permissions block, got {perms!r}"
    out: set[str] = set()
    for scope, level in perms.items():
        if level == "write":
            out |= {f"{scope}:read", f"{scope}:write"}
        elif level == "read":
            out.add(f"{scope}:read")
    return frozenset(out)


def pull_request_number(recipe: Recipe) -> int | None:
    number = event_payload(recipe).get("number")
    return number if isinstance(number, int) else None


def ref_name(recipe: Recipe) -> str:
    return str(event_payload(recipe).get("ref", "")).rpartition("/")[2]


def interpolate(value: str, recipe: Recipe) -> str:
    """The few expressions the recipes use in the gate's API inputs; any other one is a test gap."""
    text = re.sub(r"\$\{\{\s*github\.ref_name\s*\}\}", ref_name(recipe), value)
    assert "${{" not in text, f"{recipe.path.name}: the act test cannot predict {value!r}; teach api_stand_in"
    return text


@dataclass
class ApiStandIn:
    gh: FakeGitHub
    token: str
    recipe: Recipe
    scenario: str
    results_sha: str
    milestone: str | None

    def act_args(self) -> list[str]:
        return [
            "-s", f"GITHUB_TOKEN={self.token}",
            "--env", f"GITHUB_API_URL={self.gh.api_url}",
            "--env", f"GITHUB_REPOSITORY={OWNER}/{REPO}",
        ]  # fmt: skip

    @property
    def inputs(self) -> dict[str, str]:
        return gate_inputs(self.recipe)


def shard_name(pattern: str, index: int) -> str:
    """The artifact name shard `index` of a matrix gives for the recipe's pattern."""
    assert pattern.count("*") == 1 and not set(pattern) & set("?["), f"teach api_stand_in the pattern {pattern!r}"
    name = pattern.replace("*", str(index))
    assert fnmatch.fnmatchcase(name, pattern)
    return name


@contextmanager
def serving(
    recipe: Recipe, scenario: str, *, results_sha: str = SHA, drop_shard: int | None = None
) -> Iterator[ApiStandIn]:
    """The stand-in, seeded for ``recipe`` on ``scenario``, serving on loopback while in the block."""
    gh = FakeGitHub(OWNER, REPO, prefix=API_PREFIX)
    token = "act-dummy-" + secrets.token_hex(12)
    gh.tokens = {token: token_permissions(recipe)}
    inputs = gate_inputs(recipe)
    gh.add_commit(SHA, COMMIT_TIME)
    if results_sha != SHA:
        gh.add_commit(results_sha, COMMIT_TIME - dt.timedelta(days=2))
        gh.ancestry[(SHA, results_sha)] = "behind"
    artifacts = {job: inputs.get(f"{job}-results-artifact", "") for job in ("mock", "real")}
    if any(artifacts.values()):
        assert not inputs.get("results-run-id"), "results-run-id recipes: teach api_stand_in the run id"
        workflow, branch = inputs.get("results-workflow", ""), inputs.get("results-branch", "")
        assert workflow and branch, f"{recipe.path.name}: artifact inputs without results-workflow/branch"
        run = gh.add_run(head_sha=results_sha, workflow=workflow, branch=interpolate(branch, recipe))
        for job, name in artifacts.items():
            if name:
                folder = EXAMPLES / "runs" / scenario / job
                # The folder as upload-artifact zips it: the results and the trace files they attach.
                found = {
                    p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
                }
                files = {n: d for n, d in found.items() if n.endswith(".xml")}
                traces = {n: d for n, d in found.items() if not n.endswith(".xml")}
                assert files, f"no recorded XML under {folder}"
                pattern = interpolate(name, recipe)
                if "*" not in pattern:
                    gh.add_artifact(run, pattern, zip_bytes(found))
                    continue
                # A sharded suite: one matrix job and one artifact per recorded file, and at least two
                # (a shard that ran no test writes an empty report); each shard carries the traces.
                if len(files) == 1:
                    files[f"shard-2-{job}.xml"] = b'<testsuites name="shard 2 ran no test"/>'
                for index, (file, data) in enumerate(files.items(), start=1):
                    gh.add_job(run, f"{job}-api ({index})")
                    if index != drop_shard:
                        gh.add_artifact(run, shard_name(pattern, index), zip_bytes({file: data, **traces}))
    milestone = None
    query = inputs.get("issues", "").strip()
    if query:
        kind, _, name = query.partition(":")
        assert kind == "milestone", f"{recipe.path.name}: issues: {query!r}; the act test seeds milestones only"
        milestone = interpolate(name, recipe)
    gh.add_issue(DECLARED_ISSUE, DECLARED_LABELS, milestone=milestone)
    gh.add_issue(UNDECLARED_ISSUE, ("proxy",), milestone=OTHER_MILESTONE)
    gh.add_issue(PULL_REQUEST, ("proxy",), milestone=milestone, pull_request=True)
    pr = pull_request_number(recipe)
    if inputs.get("comment") == "true" and pr is not None:
        gh.add_comment(pr, OTHER_COMMENT)
        gh.add_comment(pr, OLD_STICKY, login="github-actions[bot]")
    with gh:
        yield ApiStandIn(gh, token, recipe, scenario, results_sha, milestone)


def check_api_use(
    api: ApiStandIn, run: Any, report: dict[str, Any] | None, expect_qualified: bool, context: str
) -> None:
    """What the stand-in recorded: the calls the inputs ask for, the check run, where the token went."""
    gh, inputs, token = api.gh, api.inputs, api.token
    calls = [(m, p) for m, p, _ in gh.log]
    assert calls, f"the qualify step made no API call\n{context}"

    # The token reached the API host with every call, and never the storage host the artifact
    # download is redirected to.
    for method, path, headers in gh.log:
        auth = {k.lower(): v for k, v in headers.items()}.get("authorization", "")
        assert auth in (f"Bearer {token}", f"token {token}"), f"{method} {path} without the token: {auth[:12]!r}"
        assert path.startswith(API_PREFIX + "/"), f"{method} {path}: not under the GHES-style {API_PREFIX}"
    assert not gh.storage_violations, gh.storage_violations
    for headers in gh.storage_log:
        assert "authorization" not in {k.lower() for k in headers}, "storage host got an Authorization header"
        assert not any(token in v for v in headers.values()), "storage host got the token"

    def called(method: str, rx: str) -> bool:
        return any(m == method and re.search(rx, p) for m, p in calls)

    repo = rf"^{API_PREFIX}/repos/{OWNER}/{REPO}"
    if api.milestone is not None:
        assert called("GET", repo + r"/milestones\b"), f"milestones not listed: {calls}"
        assert called("GET", repo + r"/issues\?.*milestone=1\b"), f"milestone's issues not listed: {calls}"
    if inputs.get("real-results-artifact") or inputs.get("mock-results-artifact"):
        wf = re.escape(inputs["results-workflow"])
        assert called("GET", repo + rf"/actions/workflows/{wf}/runs\?.*branch=main"), f"runs not listed: {calls}"
        assert called("GET", repo + r"/actions/artifacts/\d+/zip$"), f"artifact not downloaded: {calls}"
        assert gh.storage_log, f"the artifact download did not follow the redirect to the storage host: {calls}"
        assert called("GET", repo + rf"/commits/{SHA}$"), f"commit under test not read for staleness: {calls}"
    if api.milestone is None:  # else the labels come with the milestone's issue listing
        assert called("GET", repo + rf"/issues/{DECLARED_ISSUE}/labels"), f"labels not read: {calls}"
    if report is not None:
        sources = {
            (job, str(tc.get("source", "")))
            for defect in report["defects"]
            for entry in defect.get("coverage") or []
            for job, result in (entry.get("results") or {}).items()
            for tc in result.get("testcases") or []
        }
        for job in ("mock", "real"):
            name = inputs.get(f"{job}-results-artifact")
            if name:
                from_job = {s for j, s in sources if j == job}
                assert from_job, f"no {job} testcase matched in the report\n{context}"
                read = {s.removeprefix("artifact:").split("/", 1)[0] for s in from_job}
                assert all(s.startswith("artifact:") for s in from_job), f"{job} sources {from_job}"
                assert all(fnmatch.fnmatchcase(a, name) for a in read), f"{job} sources {from_job}"
                if "*" in name:  # a sharded suite: the jobs were listed, and every shard was downloaded
                    assert called("GET", repo + r"/actions/runs/\d+/jobs"), f"jobs not listed: {calls}"
                    shards = [a for a in gh.artifacts if fnmatch.fnmatchcase(a["name"], name)]
                    zips = {p for m, p in calls if m == "GET" and re.search(r"/actions/artifacts/\d+/zip$", p)}
                    assert len(shards) > 1 and all(
                        any(p.endswith(f"/actions/artifacts/{a['id']}/zip") for p in zips) for a in shards
                    ), f"not every shard of {name} was downloaded: {zips}"
        mismatch = [f for f in report["warnings"] + report["problems"] if f["code"].startswith("label")]
        assert not mismatch, f"labels agree with TRACKING.md, yet: {mismatch}"

    # The check run: one, on the commit under test, with the verdict's conclusion.
    name = inputs.get("check-name")
    if name:
        mode = inputs.get("mode", "enforce")
        conclusion = "success" if expect_qualified else ("neutral" if mode == "report" else "failure")
        runs = [(r["name"], r["head_sha"], r["status"], r["conclusion"]) for r in gh.check_runs]
        assert runs == [(name, SHA, "completed", conclusion)], f"check runs {runs}\n{context}"
        body = gh.check_runs[0]["_requests"][0]
        assert token not in str(gh.check_runs[0]["_requests"]), "the check run carries the token"
        assert body["output"]["title"], body

    # The sticky pull-request comment: the earlier one edited to this verdict, nothing duplicated.
    pr = pull_request_number(api.recipe)
    if inputs.get("comment") == "true" and pr is not None:
        comments = gh.comments.get(pr, [])
        bodies = [c["body"] for c in comments]
        assert len(comments) == 2 and bodies[0] == OTHER_COMMENT, f"comments on #{pr}: {bodies}"
        sticky = bodies[1]
        assert sticky.startswith(MARKER) and sticky != OLD_STICKY, f"sticky comment not updated: {sticky[:200]!r}"
        assert "#462" in sticky and ("not qualified" in sticky.lower()) is not expect_qualified, sticky[:400]
        assert called("PATCH", repo + rf"/issues/comments/{comments[1]['id']}$"), f"no edit: {calls}"
        assert not called("POST", repo + r"/issues/\d+/comments"), f"a second comment was posted: {calls}"
        assert token not in sticky

    # The token never reaches what users see.
    for where, text in (("act's log", run.log.text()), ("act's stderr", run.stderr)):
        assert token not in text, f"the token appears in {where}"
    if report is not None:
        assert token not in str(report), "the token appears in the JSON report"
