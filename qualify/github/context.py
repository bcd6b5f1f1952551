"""The GitHub side of a check (I/O shell): options, issue selection by milestone/label, reading labels.

Everything here talks to the API through GitHubClient; the decisions stay in the pure core
(`labels.py`, `policy.py`), which receives what was read as data.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

from qualify.core.model import Finding
from qualify.core.rules import DEFAULT_PARTNER_LABELS, DEFAULT_REAL_API_LABELS, LabelData
from qualify.errors import QualifyError
from qualify.github.client import ISSUES_READ, MAX_WAIT, GitHubClient, GitHubError, Repo
from qualify.redact import redact

QUERY_PREFIXES = ("milestone:", "label:")


@dataclass
class GitHubOptions:
    """Everything a check needs to use the GitHub API; all optional (no token: API features skipped)."""

    token: str | None = None
    repo: str | None = None
    api_url: str | None = None
    sha: str | None = None  # the commit under test (GITHUB_SHA)
    server_url: str | None = None  # GITHUB_SERVER_URL, for links to files at that commit
    pr_number: int | None = None  # from the pull_request event, for the sticky comment
    head_sha: str | None = None  # the pull request's head commit, where a check run belongs
    real_api_labels: tuple[str, ...] = DEFAULT_REAL_API_LABELS
    partner_labels: tuple[str, ...] = DEFAULT_PARTNER_LABELS
    issue_queries: tuple[str, ...] = ()  # milestone:NAME / label:NAME
    artifacts: dict[str, str] = field(default_factory=dict)  # job -> artifact name(s)/pattern(s), one per line or comma
    shards: dict[str, int] = field(default_factory=dict)  # job -> number of artifacts its results must span
    results_run_id: int | None = None
    results_workflow: str | None = None
    results_branch: str | None = None
    allow_stale_results: bool = False
    comment: bool = False
    check_name: str | None = None
    sleep: Callable[[float], None] | None = None  # injectable for tests
    max_wait: float = MAX_WAIT

    def blob_base(self) -> str | None:
        """URL prefix of the repository's files at the commit under test, when both are known."""
        if not self.repo or not self.sha:
            return None
        return f"{(self.server_url or 'https://github.com').rstrip('/')}/{self.repo}/blob/{self.sha}"

    def skip_reason(self) -> str | None:
        """Why API features cannot run, or None when they can."""
        if not self.token:
            return "no GitHub token (pass --token or set GITHUB_TOKEN; in the Action, the `token` input)"
        if not self.repo:
            return "no repository (pass --repo owner/name or set GITHUB_REPOSITORY)"
        return None

    def client(self) -> GitHubClient:
        kwargs: dict[str, Any] = {"max_wait": self.max_wait}
        if self.sleep is not None:
            kwargs["sleep"] = self.sleep
        return GitHubClient(self.token or "", self.api_url, **kwargs)


@dataclass
class Api:
    client: GitHubClient
    repo: Repo

    def error(self, exc: GitHubError) -> str:
        return redact(str(exc), (self.client.token,))


@contextmanager
def connect(opts: GitHubOptions) -> Iterator[Api | None]:
    """An API handle, or None when there is no token/repository (callers say what was skipped)."""
    if opts.skip_reason() is not None:
        yield None
        return
    repo = Repo.parse(opts.repo or "")
    client = opts.client()
    try:
        yield Api(client, repo)
    finally:
        client.close()


def env_github(env: Mapping[str, str]) -> dict[str, Any]:
    """The GitHub context an Actions run provides: API URL, repository, commit, pull request."""
    out: dict[str, Any] = {
        "api_url": env.get("GITHUB_API_URL") or None,
        "repo": env.get("GITHUB_REPOSITORY") or None,
        "sha": env.get("GITHUB_SHA") or None,
        "server_url": env.get("GITHUB_SERVER_URL") or None,
    }
    event = _read_event(env.get("GITHUB_EVENT_PATH"))
    pr = event.get("pull_request") if isinstance(event.get("pull_request"), dict) else None
    if pr is not None:
        number = pr.get("number", event.get("number"))
        out["pr_number"] = number if isinstance(number, int) else None
        head = pr.get("head")
        sha = head.get("sha") if isinstance(head, dict) else None
        out["head_sha"] = sha if isinstance(sha, str) else None
    return out


def _read_event(path: str | None) -> dict[str, Any]:
    if not path or not os.path.isfile(path):
        return {}
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def split_issue_selection(values: list[str] | None) -> tuple[list[str], tuple[str, ...]]:
    """(plain issue tokens, milestone:/label: queries). Queries keep their spaces: `milestone:Release 1.2`."""
    plain: list[str] = []
    queries: list[str] = []
    for value in values or []:
        for item in value.replace("\n", ",").split(","):
            item = item.strip()
            if not item:
                continue
            if item.lower().startswith(QUERY_PREFIXES):
                kind, _, name = item.partition(":")
                if not name.strip():
                    raise QualifyError(f"--issues: {item!r} names no {kind.lower()} (expected e.g. {kind}:v1.4)")
                queries.append(f"{kind.lower()}:{name.strip()}")
            else:
                plain.extend(item.split())
    return plain, tuple(dict.fromkeys(queries))


def _label_names(issue: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(str(lb.get("name", "")) for lb in issue.get("labels") or [] if isinstance(lb, dict))


def resolve_issue_queries(
    api: Api | None, queries: tuple[str, ...]
) -> tuple[dict[int, str], dict[int, tuple[str, ...]]]:
    """Issue numbers selected by milestone:/label: queries (issue → query) and the labels the listing carried.

    Pull requests are left out (the issues API lists them too). No token: cannot evaluate, because
    the release's defect list is unknown.
    """
    if not queries:
        return {}, {}
    if api is None:
        raise QualifyError(
            f"--issues {', '.join(queries)} needs the GitHub API to list the issues, but there is no token or "
            "repository; pass --token and --repo (in the Action, the `token` input with `issues: read`)"
        )
    selected: dict[int, str] = {}
    labels: dict[int, tuple[str, ...]] = {}
    for query in queries:
        kind, _, name = query.partition(":")
        try:
            params: dict[str, Any] = {"state": "all"}
            if kind == "milestone":
                params["milestone"] = _milestone_number(api, name)
            else:
                params["labels"] = name
            issues = list(api.client.paginate(f"{api.repo.path}/issues", permission=ISSUES_READ, params=params))
        except GitHubError as exc:
            raise QualifyError(f"--issues {query}: cannot list its issues: {api.error(exc)}") from None
        for issue in issues:
            if not isinstance(issue, dict) or "pull_request" in issue or not isinstance(issue.get("number"), int):
                continue
            selected.setdefault(issue["number"], query)
            labels[issue["number"]] = _label_names(issue)
        if not any(v == query for v in selected.values()):
            raise QualifyError(
                f"--issues {query}: no issue in {api.repo} has that {kind}; a release with no defects "
                "selected is not qualified — check the name"
            )
    return selected, labels


def _milestone_number(api: Api, title: str) -> int:
    milestones = list(
        api.client.paginate(f"{api.repo.path}/milestones", permission=ISSUES_READ, params={"state": "all"})
    )
    for m in milestones:
        if isinstance(m, dict) and m.get("title") == title and isinstance(m.get("number"), int):
            return m["number"]
    names = ", ".join(sorted(str(m.get("title")) for m in milestones if isinstance(m, dict))[:20]) or "none"
    raise QualifyError(f"milestone {title!r} not found in {api.repo} (milestones: {names})")


def explain_selection(findings: list[Finding], from_query: Mapping[int, str]) -> list[Finding]:
    """Say which milestone/label put an issue on the list when its TRACKING.md is missing."""
    out = []
    for f in findings:
        if f.code == "tracking-missing" and f.issue in from_query and f.file is None:
            f = replace(
                f,
                message=f"issue #{f.issue} is in {from_query[f.issue]} but no TRACKING.md declares it",
                hint="every defect of the release needs docs/issues/ISSUE-N/TRACKING.md with a `qualify:` block",
            )
        out.append(f)
    return out


def read_labels(
    api: Api | None,
    opts: GitHubOptions,
    issues: list[int],
    known: Mapping[int, tuple[str, ...]] | None = None,
) -> tuple[LabelData | None, list[Finding]]:
    """Labels of each evaluated issue, or a warning saying why the label check was skipped.

    An issue whose labels cannot be read is recorded as an error: the core then refuses to
    qualify that defect (fail closed).
    """
    if api is None:
        return None, [
            Finding(
                code="labels-skipped",
                severity="warning",
                message=f"label check skipped: {opts.skip_reason()}; the rules come from TRACKING.md declarations only",
                hint="run in GitHub Actions with `permissions: issues: read`, or pass --token and --repo",
            )
        ]
    labels: dict[int, tuple[str, ...]] = {}
    errors: dict[int, str] = {}
    for issue in issues:
        if known and issue in known:
            labels[issue] = known[issue]
            continue
        try:
            items = api.client.paginate(f"{api.repo.path}/issues/{issue}/labels", permission=ISSUES_READ)
            labels[issue] = tuple(str(lb.get("name", "")) for lb in items if isinstance(lb, dict))
        except GitHubError as exc:
            errors[issue] = api.error(exc)
    data = LabelData(
        labels=labels, errors=errors, real_api_labels=opts.real_api_labels, partner_labels=opts.partner_labels
    )
    return data, []


def parse_shards(text: str, artifacts: Mapping[str, str], *, flag_style: bool) -> dict[str, int]:
    """`shards`: `N` for every job given as artifacts, or `real=8, mock=2`. Empty: none."""
    name = "--shards" if flag_style else "input shards"
    text = text.strip()
    if not text:
        return {}
    if not artifacts:
        raise QualifyError(
            f"{name} counts the artifacts of sharded results: give real-results-artifact or mock-results-artifact",
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


def validate_sources(opts: GitHubOptions, *, flag_style: bool) -> None:
    """The artifact inputs must name exactly one run source; refuse half-given combinations."""

    def name(n: str) -> str:
        return f"--{n}" if flag_style else f"input {n}"

    has_source = opts.results_run_id is not None or bool(opts.results_workflow)
    if opts.artifacts and not has_source:
        raise QualifyError(
            f"{name('real-results-artifact')}/{name('mock-results-artifact')} needs the run that uploaded it: "
            f"{name('results-run-id')}, or {name('results-workflow')} with {name('results-branch')}"
        )
    if has_source and not opts.artifacts:
        raise QualifyError(
            f"{name('results-run-id')}/{name('results-workflow')} given without an artifact name: add "
            f"{name('real-results-artifact')} and/or {name('mock-results-artifact')}"
        )
    if opts.results_run_id is not None and opts.results_workflow:
        raise QualifyError(f"give {name('results-run-id')} or {name('results-workflow')}, not both")
    if opts.results_workflow and not opts.results_branch:
        raise QualifyError(
            f"{name('results-workflow')} needs {name('results-branch')}: the branch whose latest successful run "
            "holds the results"
        )
