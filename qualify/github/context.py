"""The GitHub side of a check (I/O shell): the run's context, issue selection by milestone/label, reading labels.

Everything here talks to the API through GitHubClient; the decisions stay in the pure core
(`labels.py`, `policy.py`), which receives what was read as data.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from qualify.core.model import Finding
from qualify.core.rules import LabelData
from qualify.errors import QualifyError
from qualify.github.client import ISSUES_READ, GitHubClient, GitHubError, Repo, redact
from qualify.settings import GitHubContext, LabelPolicy

# Makes the API client from a token and an API URL; tests pass one that never sleeps.
ClientFactory = Callable[[str, str | None], GitHubClient]


@dataclass
class Api:
    client: GitHubClient
    repo: Repo

    def error(self, exc: GitHubError) -> str:
        return redact(str(exc), self.client.token)


@contextmanager
def connect(github: GitHubContext, make_client: ClientFactory = GitHubClient) -> Iterator[Api | None]:
    """An API handle, or None when there is no token/repository (callers say what was skipped)."""
    if github.skip_reason() is not None:
        yield None
        return
    repo = Repo.parse(github.repo or "")
    client = make_client(github.token or "", github.api_url)
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


def _label_names(issue: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(str(lb.get("name", "")) for lb in issue.get("labels") or [] if isinstance(lb, dict))


def resolve_issue_queries(
    api: Api | None, queries: tuple[str, ...], *, name: str
) -> tuple[dict[int, str], dict[int, tuple[str, ...]]]:
    """Issue numbers selected by milestone:/label: queries (issue → query) and the labels the listing carried.

    Pull requests are left out (the issues API lists them too). No token: cannot evaluate, because
    the release's defect list is unknown. `name` is the input as the user set it.
    """
    if not queries:
        return {}, {}
    if api is None:
        raise QualifyError(
            f"{name} {', '.join(queries)} needs the GitHub API to list the issues, but there is no token or "
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
            raise QualifyError(f"{name} {query}: cannot list its issues: {api.error(exc)}") from None
        for issue in issues:
            if not isinstance(issue, dict) or "pull_request" in issue or not isinstance(issue.get("number"), int):
                continue
            selected.setdefault(issue["number"], query)
            labels[issue["number"]] = _label_names(issue)
        if not any(v == query for v in selected.values()):
            raise QualifyError(
                f"{name} {query}: no issue in {api.repo} has that {kind}; a release with no defects "
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


def read_labels(
    api: Api | None,
    github: GitHubContext,
    policy: LabelPolicy,
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
                message=f"label check skipped: {github.skip_reason()}; "
                "the rules come from TRACKING.md declarations only",
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
        labels=labels, errors=errors, real_api_labels=policy.real_api_labels, partner_labels=policy.partner_labels
    )
    return data, []
