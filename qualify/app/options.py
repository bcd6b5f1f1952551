"""What the user set, from either front end, checked once and turned into the settings of each stage.

The command line (`qualify check --flag ...`) and the Action (`INPUT_*` variables) collect what
the user typed into `RawInputs` (strings per input name, and which front end they came through);
`build_settings` validates all of it and returns frozen `Settings` (see qualify/settings.py).
Every message names the input as the user set it: `--issues` on the command line, `input issues`
in the Action. `output_settings` gives the outputs alone and never raises: when an input is
unusable, the "could not evaluate" reports are still written where they were asked for.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from qualify.core.rules import DEFAULT_PARTNER_LABELS, DEFAULT_REAL_API_AREAS, DEFAULT_REAL_API_LABELS
from qualify.errors import QualifyError
from qualify.github.context import env_github
from qualify.settings import (
    DEFAULT_JSON_REPORT,
    DEFAULT_MAX_FILE_BYTES,
    DEFAULT_MAX_TOTAL_BYTES,
    DEFAULT_TRACKING,
    MODES,
    ArtifactSource,
    GitHubContext,
    LabelPolicy,
    Naming,
    Origin,
    Outputs,
    PolicyInputs,
    PublishSettings,
    ReadingLimits,
    Settings,
    Sources,
    frozen_map,
)
from qualify.workspace import output_target

# The Action's inputs (action.yml), each also a `qualify check` flag of the same name.
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
# Flags of `qualify check` only: in the Action the runner gives these (workspace, commit, summary file).
CLI_ONLY = ("workspace", "repo", "sha", "summary", "today", "annotations", "allow-outside-workspace")
QUERY_PREFIXES = ("milestone:", "label:")


@dataclass(frozen=True, slots=True)
class RawInputs:
    """What the user set, unchecked: the strings given per input name (a flag may be repeated or
    take several values; an Action input is one string), and the front end they came through."""

    origin: Origin
    values: Mapping[str, tuple[str, ...]]

    @classmethod
    def of(cls, origin: Origin, values: Mapping[str, object]) -> RawInputs:
        """From flag or input values: None or empty is not set, a bool is `true`/`false`, a list
        is several values."""
        out: dict[str, tuple[str, ...]] = {}
        for name, value in values.items():
            if isinstance(value, bool):
                given: tuple[str, ...] = ("true" if value else "false",)
            elif isinstance(value, (list, tuple)):
                given = tuple(str(v) for v in value)
            else:
                given = (str(value),) if value is not None else ()
            given = tuple(v for v in given if v.strip())
            if given:
                out[name.replace("_", "-")] = given
        return cls(origin, frozen_map(out))

    def all(self, name: str) -> tuple[str, ...]:
        return self.values.get(name, ())

    def text(self, name: str) -> str:
        """A single-valued input: the last value given (a repeated flag overrides), stripped."""
        given = self.all(name)
        return given[-1].strip() if given else ""


def split_list(values: tuple[str, ...] | list[str] | None) -> list[str]:
    """Comma-, space- or newline-separated values, possibly given several times."""
    out: list[str] = []
    for v in values or []:
        out += [p for p in v.replace(",", " ").split() if p]
    return out


def split_globs(values: tuple[str, ...] | list[str] | None) -> list[str]:
    """Globs one per line (an Action input) or per flag; commas are legal in paths, so not split."""
    return [line.strip() for v in values or [] for line in v.splitlines() if line.strip()]


_BYTES = re.compile(r"^\s*(\d{1,15})\s*([kmg]i?b?|b)?\s*$", re.IGNORECASE)
_UNIT = {"": 1, "b": 1, "k": 1024, "m": 1024**2, "g": 1024**3}


def parse_bytes(value: str, name: str) -> int:
    """A positive byte count: `104857600`, `100M`, `100MiB`, `2G` (binary units)."""
    m = _BYTES.match(value or "")
    if not m or int(m.group(1)) <= 0:
        shown = value if len(value or "") <= 40 else value[:39] + "…"
        raise QualifyError(f"{name}: {shown!r} is not a positive byte count (e.g. 104857600, 100M, 2G)", code="usage")
    unit = (m.group(2) or "").lower()[:1]
    return int(m.group(1)) * _UNIT[unit]


def parse_issue_selection(values: tuple[str, ...], name: str) -> tuple[tuple[int, ...], tuple[str, ...]]:
    """Issue numbers, and milestone:NAME / label:NAME queries (which keep their spaces:
    `milestone:Release 1.2`), from the `issues` input named `name`."""
    numbers: list[int] = []
    queries: list[str] = []
    for value in values:
        for item in value.replace("\n", ",").split(","):
            item = item.strip()
            if item.lower().startswith(QUERY_PREFIXES):
                kind, _, query = item.partition(":")
                if not query.strip():
                    raise QualifyError(f"{name}: {item!r} names no {kind.lower()} (expected e.g. {kind}:v1.4)")
                queries.append(f"{kind.lower()}:{query.strip()}")
                continue
            for word in item.split():
                text = word.lstrip("#")
                if not text.isdigit() or int(text) <= 0:
                    raise QualifyError(f"{name}: {word!r} is not an issue number (expected e.g. 462,470)", code="usage")
                numbers.append(int(text))
    return tuple(dict.fromkeys(numbers)), tuple(dict.fromkeys(queries))


def parse_shards(text: str, artifacts: Mapping[str, str], naming: Naming) -> dict[str, int]:
    """`shards`: `N` for every job given as artifacts, or `real=8, mock=2`. Empty: none."""
    name = naming.of("shards")
    text = text.strip()
    if not text:
        return {}
    if not artifacts:
        raise QualifyError(
            f"{name} counts the artifacts of sharded results: give {naming.of('real-results-artifact')} or "
            f"{naming.of('mock-results-artifact')}",
            code="usage",
        )
    out: dict[str, int] = {}
    for part in (p.strip() for p in text.replace("\n", ",").split(",")):
        if not part:
            continue
        job, eq, count = part.rpartition("=")
        job = job.strip() if eq else ""
        if job and job not in ("mock", "real"):
            raise QualifyError(f"{name}: {part!r} names no job (use `real=N`, `mock=N` or just `N`)", code="usage")
        if not count.strip().isdigit() or int(count) <= 0:
            raise QualifyError(f"{name}: {part!r} is not a number of shard artifacts", code="usage")
        for target in [job] if job else sorted(artifacts):
            if target not in artifacts:
                raise QualifyError(
                    f"{name}: {part!r}, but the {target} results are not read from artifacts", code="usage"
                )
            out[target] = int(count)
    return out


def _validate_run_source(source: ArtifactSource) -> None:
    """The artifact inputs must name exactly one run source; refuse half-given combinations."""
    name = source.naming.of
    has_source = source.run_id is not None or bool(source.workflow)
    if source.names and not has_source:
        raise QualifyError(
            f"{name('real-results-artifact')}/{name('mock-results-artifact')} needs the run that uploaded it: "
            f"{name('results-run-id')}, or {name('results-workflow')} with {name('results-branch')}"
        )
    if has_source and not source.names:
        raise QualifyError(
            f"{name('results-run-id')}/{name('results-workflow')} given without an artifact name: add "
            f"{name('real-results-artifact')} and/or {name('mock-results-artifact')}"
        )
    if source.run_id is not None and source.workflow:
        raise QualifyError(f"give {name('results-run-id')} or {name('results-workflow')}, not both")
    if source.workflow and not source.branch:
        raise QualifyError(
            f"{name('results-workflow')} needs {name('results-branch')}: the branch whose latest successful run "
            "holds the results"
        )


def _flag(raw: RawInputs, name: str, naming: Naming) -> bool:
    value = raw.text(name).lower()
    if value in ("", "false"):
        return False
    if value == "true":
        return True
    raise QualifyError(f"{naming.of(name)} must be true or false, got {raw.text(name)!r}")


def _run_id(raw: RawInputs, naming: Naming) -> int | None:
    value = raw.text("results-run-id")
    if not value:
        return None
    if not value.isdigit() or int(value) <= 0:
        raise QualifyError(
            f"{naming.of('results-run-id')} must be a workflow run id (digits, from the run's URL), got {value!r}"
        )
    return int(value)


def _limit(raw: RawInputs, name: str, default: int, naming: Naming) -> int:
    value = raw.text(name)
    return parse_bytes(value, naming.of(name)) if value else default


def env_today(env: Mapping[str, str]) -> dt.date:
    """Today's date, overridable with QUALIFY_TODAY=YYYY-MM-DD for reproducible runs."""
    value = env.get("QUALIFY_TODAY")
    if value:
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise QualifyError(f"QUALIFY_TODAY={value!r} is not a date like 2026-12-31") from None
    return dt.datetime.now(dt.UTC).date()


def _today(raw: RawInputs, env: Mapping[str, str], naming: Naming) -> dt.date:
    value = raw.text("today")
    if not value:
        return env_today(env)
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise QualifyError(f"{naming.of('today')}: {value!r} is not a date like 2026-12-31", code="usage") from None


def secrets(token: str | None, env: Mapping[str, str]) -> tuple[str, ...]:
    """Values never to print: the token given, and the ones the environment holds."""
    return tuple(t for t in (token, env.get("GITHUB_TOKEN"), env.get("INPUT_TOKEN")) if t)


def _workspace(raw: RawInputs, env: Mapping[str, str]) -> Path:
    runner = env.get("GITHUB_WORKSPACE", "") if raw.origin == "action" else ""
    return Path(raw.text("workspace") or runner or os.getcwd())


def _typed_outside(raw: RawInputs, env: Mapping[str, str]) -> bool:
    """Inside a workflow the command line confines paths as the Action does; on a person's machine
    the paths they type are their choice."""
    return raw.origin == "cli" and env.get("GITHUB_ACTIONS") != "true"


def output_settings(raw: RawInputs, env: Mapping[str, str]) -> Outputs:
    """Where the reports go and what they hide. Never raises: when another input is unusable, these
    still carry the "could not evaluate" reports, so a stale report cannot say "qualified".

    Defaults differ by front end: the Action writes qualify-report.json, appends to the runner's
    job summary and always prints annotations; the command line writes only what it is asked for
    and prints annotations when asked or when GITHUB_ACTIONS=true.
    """
    in_action = raw.origin == "action"
    annotations = raw.text("annotations")
    return Outputs(
        workspace=_workspace(raw, env),
        json_report=raw.text("json-report") or (DEFAULT_JSON_REPORT if in_action else None),
        summary=(env.get("GITHUB_STEP_SUMMARY", "") if in_action else raw.text("summary")) or None,
        annotations=in_action or (annotations == "true" if annotations else env.get("GITHUB_ACTIONS") == "true"),
        secrets=secrets(raw.text("token"), env),
        confined=not (raw.text("allow-outside-workspace") == "true" or _typed_outside(raw, env)),
    )


def json_report_target(outputs: Outputs, path: str, what: str) -> Path:
    """Where the JSON report goes; inside the workspace unless the person typed it on their machine
    (or passed --allow-outside-workspace): pull-request code could link it anywhere."""
    return output_target(path, outputs.workspace, confined=outputs.confined, what=what)


def _github_context(raw: RawInputs, env: Mapping[str, str]) -> GitHubContext:
    """The run's context (API URL, repository, commit, pull request); the command line may name the
    repository, commit and token itself, and falls back on $GITHUB_TOKEN."""
    context = env_github(env)
    token = raw.text("token") or (env.get("GITHUB_TOKEN", "") if raw.origin == "cli" else "")
    return GitHubContext(
        token=token or None,
        repo=raw.text("repo") or context["repo"],
        api_url=context["api_url"],
        server_url=context.get("server_url"),
        sha=raw.text("sha") or context["sha"],
        pr_number=context.get("pr_number"),
        head_sha=context.get("head_sha"),
    )


def _artifact_source(raw: RawInputs, naming: Naming) -> ArtifactSource:
    names = {job: raw.text(f"{job}-results-artifact") for job in ("mock", "real")}
    names = {job: name for job, name in names.items() if name}
    source = ArtifactSource(
        names=frozen_map(names),
        run_id=_run_id(raw, naming),
        workflow=raw.text("results-workflow") or None,
        branch=raw.text("results-branch") or None,
        allow_stale=_flag(raw, "allow-stale-results", naming),
        shards=frozen_map(parse_shards(raw.text("shards"), names, naming)),
        naming=naming,
    )
    _validate_run_source(source)
    return source


def _require_results(sources: Sources, artifacts: ArtifactSource) -> None:
    """Each job's results come from the workspace or from an artifact of another run."""
    missing = [sources.label(job) for job in ("mock", "real") if not sources.globs(job) and job not in artifacts.names]
    if missing:
        name = sources.naming.of
        raise QualifyError(
            f"{' and '.join(missing)} required: the JUnit XML of the mock and the real-API job "
            f"(or {name('mock-results-artifact')} / {name('real-results-artifact')} naming an artifact of "
            "another run)",
            code="usage",
        )


def build_settings(raw: RawInputs, env: Mapping[str, str]) -> Settings:
    """Check everything the user set and make the settings of each stage.

    Raises QualifyError naming the input as the user set it (code `usage`, or `outside-workspace`
    for a JSON report path that leaves the workspace: refused before the work, not after it).
    """
    naming = Naming(raw.origin)
    mode = raw.text("mode") or "enforce"
    if mode not in MODES:
        raise QualifyError(f"{naming.of('mode')} must be enforce or report, got {mode!r}", code="usage")
    github = _github_context(raw, env)
    artifacts = _artifact_source(raw, naming)
    outputs = replace(output_settings(raw, env), mode=mode, links=github.blob_base())
    sources = Sources(
        workspace=outputs.workspace,
        mock=tuple(split_globs(raw.all("mock-results"))),
        real=tuple(split_globs(raw.all("real-results"))),
        tracking=tuple(split_globs(raw.all("tracking"))) or (DEFAULT_TRACKING,),
        allow_outside_workspace=raw.text("allow-outside-workspace") == "true",
        typed_outside_workspace=_typed_outside(raw, env),
        naming=naming,
    )
    _require_results(sources, artifacts)
    issues, queries = parse_issue_selection(raw.all("issues"), naming.of("issues"))
    policy = PolicyInputs(
        today=_today(raw, env, naming),
        real_api_areas=tuple(a.lower() for a in split_list(raw.all("real-api-areas"))) or DEFAULT_REAL_API_AREAS,
        issues=issues,
        issue_queries=queries,
        naming=naming,
    )
    limits = ReadingLimits(
        max_file_bytes=_limit(raw, "max-file-bytes", DEFAULT_MAX_FILE_BYTES, naming),
        max_total_bytes=_limit(raw, "max-total-bytes", DEFAULT_MAX_TOTAL_BYTES, naming),
        naming=naming,
    )
    labels = LabelPolicy(
        real_api_labels=tuple(split_list(raw.all("real-api-labels"))) or DEFAULT_REAL_API_LABELS,
        partner_labels=tuple(split_list(raw.all("partner-labels"))) or DEFAULT_PARTNER_LABELS,
    )
    publish = PublishSettings(comment=_flag(raw, "comment", naming), check_name=raw.text("check-name") or None)
    if outputs.json_report:
        json_report_target(outputs, outputs.json_report, naming.of("json-report"))
    return Settings(
        sources=sources,
        limits=limits,
        policy=policy,
        outputs=outputs,
        github=github,
        labels=labels,
        artifacts=artifacts,
        publish=publish,
    )
