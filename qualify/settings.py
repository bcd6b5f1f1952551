"""What one check was asked to do, as frozen settings per stage. Pure data; made by `app/options.py`.

Each stage takes only the settings it reads: the reading gets `Sources` and `ReadingLimits`, the
selection `PolicyInputs`, the GitHub side `GitHubContext` with `LabelPolicy`, `ArtifactSource` or
`PublishSettings`, the writing `Outputs`. Settings that can end up in a message carry a `Naming`,
so the message names the input as the user set it: `--real-results` on the command line,
`input real-results` in the Action.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Literal

from qualify.core.rules import DEFAULT_PARTNER_LABELS, DEFAULT_REAL_API_AREAS, DEFAULT_REAL_API_LABELS

Origin = Literal["cli", "action"]

DEFAULT_TRACKING = "docs/issues/**/TRACKING.md"
# Results come from pull-request code: bound what one file, and all of them, may make us read.
# Real runs are far smaller (a 10,000-test Jest report with output is a few MB); raise with
# --max-file-bytes / --max-total-bytes (inputs max-file-bytes / max-total-bytes) if yours are not.
DEFAULT_MAX_FILE_BYTES = 100 * 1024 * 1024
DEFAULT_MAX_TOTAL_BYTES = 500 * 1024 * 1024
DEFAULT_JSON_REPORT = "qualify-report.json"  # the Action's default; the command line writes none unless asked
MODES = ("enforce", "report")


def frozen_map(values: Mapping) -> Mapping:
    """A read-only copy, for the mapping fields of frozen settings."""
    return MappingProxyType(dict(values))


def _no_entries() -> Mapping:
    return MappingProxyType({})


@dataclass(frozen=True, slots=True)
class Naming:
    """How a message names an input: the flag on the command line, the input in the Action (the
    two share their names: `--issues` is input `issues`)."""

    origin: Origin = "cli"

    def of(self, name: str) -> str:
        return f"--{name}" if self.origin == "cli" else f"input {name}"


@dataclass(frozen=True, slots=True)
class Sources:
    """Where the declarations and each job's results are, and how far paths may reach."""

    workspace: Path
    mock: tuple[str, ...] = ()  # globs, files or directories of the mock job's results
    real: tuple[str, ...] = ()
    tracking: tuple[str, ...] = (DEFAULT_TRACKING,)
    allow_outside_workspace: bool = False
    # The command line outside GitHub Actions: paths the person typed may lie outside the workspace
    # (links met inside them still may not). The Action never sets it.
    typed_outside_workspace: bool = False
    naming: Naming = Naming()
    # TRACKING.md texts read instead of the files, by display path: `qualify adopt` checks its drafts
    # without writing them.
    tracking_texts: Mapping[str, str] = field(default_factory=_no_entries)

    def globs(self, job: str) -> tuple[str, ...]:
        return self.mock if job == "mock" else self.real

    def label(self, job: str) -> str:
        """The results input of a job as the user set it: `--real-results` or `input real-results`."""
        return self.naming.of(f"{job}-results")

    @property
    def tracking_label(self) -> str:
        return self.naming.of("tracking")


@dataclass(frozen=True, slots=True)
class ReadingLimits:
    """How many bytes of results the check reads before refusing them (results are untrusted)."""

    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    max_total_bytes: int = DEFAULT_MAX_TOTAL_BYTES
    naming: Naming = Naming()


@dataclass(frozen=True, slots=True)
class PolicyInputs:
    """What the policy is configured with before the GitHub API adds issues and labels."""

    today: dt.date
    real_api_areas: tuple[str, ...] = DEFAULT_REAL_API_AREAS
    issues: tuple[int, ...] = ()  # requested issue numbers; () with no queries: every declared defect
    issue_queries: tuple[str, ...] = ()  # milestone:NAME / label:NAME, listed through the API
    naming: Naming = Naming()


@dataclass(frozen=True, slots=True)
class GitHubContext:
    """Who the check talks to on GitHub and about which commit; all optional (no token: API features
    are skipped with a warning)."""

    token: str | None = None
    repo: str | None = None
    api_url: str | None = None
    server_url: str | None = None  # GITHUB_SERVER_URL, for links to files at the commit under test
    sha: str | None = None  # the commit under test (GITHUB_SHA)
    pr_number: int | None = None  # from the pull_request event, for the sticky comment
    head_sha: str | None = None  # the pull request's head commit, where a check run belongs

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


@dataclass(frozen=True, slots=True)
class LabelPolicy:
    """Issue labels that add a rule to a defect whatever its TRACKING.md says."""

    real_api_labels: tuple[str, ...] = DEFAULT_REAL_API_LABELS
    partner_labels: tuple[str, ...] = DEFAULT_PARTNER_LABELS


@dataclass(frozen=True, slots=True)
class ArtifactSource:
    """Results taken from another workflow run's artifacts instead of the workspace."""

    names: Mapping[str, str] = field(
        default_factory=_no_entries
    )  # job -> artifact name(s)/pattern(s), one per line or comma
    run_id: int | None = None
    workflow: str | None = None  # or the latest successful run of this workflow on `branch`
    branch: str | None = None
    allow_stale: bool = False
    shards: Mapping[str, int] = field(default_factory=_no_entries)  # job -> number of artifacts its results must span
    naming: Naming = Naming()


@dataclass(frozen=True, slots=True)
class PublishSettings:
    """What the check publishes on GitHub besides its outputs."""

    comment: bool = False  # one sticky pull-request comment
    check_name: str | None = None  # a check run of this name

    @property
    def wanted(self) -> bool:
        return self.comment or bool(self.check_name)


@dataclass(frozen=True, slots=True)
class Outputs:
    """Where the verdict is written, what it hides, and how the exit code reads it."""

    workspace: Path
    json_report: str | None = None
    summary: str | None = None  # appended to (the runner's GITHUB_STEP_SUMMARY in the Action)
    annotations: bool = False
    mode: str = "enforce"  # report: exit 0 unless it could not evaluate
    secrets: tuple[str, ...] = ()  # values never to print (the token), on top of token-shaped text
    # The JSON report must resolve inside the workspace unless the person typed it on their machine
    # or passed --allow-outside-workspace: pull-request code could link it anywhere.
    confined: bool = True
    links: str | None = None  # URL prefix for links to files at the commit under test (GitHubContext.blob_base)


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything one check was asked to do, one frozen part per stage."""

    sources: Sources
    limits: ReadingLimits
    policy: PolicyInputs
    outputs: Outputs
    github: GitHubContext = GitHubContext()
    labels: LabelPolicy = LabelPolicy()
    artifacts: ArtifactSource = ArtifactSource()
    publish: PublishSettings = PublishSettings()
