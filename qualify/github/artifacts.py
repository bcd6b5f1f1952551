"""Results from another workflow run: find the run, download the artifact zip, extract it safely,
and reject results older than the commit under test.

An artifact is untrusted input (any workflow on any branch can upload one): entries that escape
the target directory, absolute paths, symlinks, too many files, too many bytes and zip bombs are
refused. Results files (`.xml`, `.trx`, `.json`, `.jsonl`, `.ndjson`) are written to disk whole; the
other files only as far as a test's trace reads them (its attachments: the first
MAX_ATTACHMENT_BYTES + 1 bytes, within ATTACHMENTS_BYTES).

A job's results may be sharded over several artifacts (a matrix uploading `real-junit-1` …
`real-junit-8`): the artifact input then names several artifacts or patterns (`real-junit-*`),
and every match is read. A shard that is missing must not let the release through: the matches are
counted against `shards` when given, else against the run's own jobs list (the matrix they came
from), and a shard job that was cancelled or timed out is reported too.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import posixpath
import re
import stat
import tempfile
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qualify.core.model import Finding
from qualify.errors import QualifyError
from qualify.github.client import ACTIONS_READ, CONTENTS_READ, GitHubError
from qualify.results.attachments import MAX_ATTACHMENT_BYTES, MAX_CHECK_BYTES
from qualify.settings import ArtifactSource, GitHubContext

MAX_ZIP_BYTES = 512 * 1024 * 1024  # the download
MAX_ENTRIES = 10_000  # entries in the zip's directory
MAX_XML_FILES = 2_000
MAX_XML_BYTES = 256 * 1024 * 1024  # one extracted XML file
MAX_TOTAL_BYTES = 1024 * 1024 * 1024  # all extracted XML files
MAX_RATIO = 200  # uncompressed / compressed, for entries over RATIO_FLOOR bytes
RATIO_FLOOR = 1024 * 1024
# Files beside the XML (the traces tests attach): what the trace reader can use of them, no more.
# Past the budget they are left out, and a trace naming one says it is missing.
ATTACHMENTS_BYTES = MAX_CHECK_BYTES
_CHUNK = 1024 * 1024
# What an artifact's results files may be called; the format is then read from the content.
RESULT_SUFFIXES = (".xml", ".trx", ".json", ".jsonl", ".ndjson")
_PATTERN_CHARS = "*?["
# Job conclusions after which a shard's results cannot be trusted to be whole.
_BROKEN_JOB = ("cancelled", "timed_out", "startup_failure", "stale")


@dataclass(frozen=True, slots=True)
class Limits:
    entries: int = MAX_ENTRIES
    xml_files: int = MAX_XML_FILES
    file_bytes: int = MAX_XML_BYTES
    total_bytes: int = MAX_TOTAL_BYTES
    ratio: int = MAX_RATIO
    ratio_floor: int = RATIO_FLOOR
    zip_bytes: int = MAX_ZIP_BYTES
    attachments_bytes: int = ATTACHMENTS_BYTES


@dataclass(frozen=True, slots=True)
class RunInfo:
    id: int
    head_sha: str
    head_branch: str
    created_at: str
    html_url: str
    status: str
    conclusion: str | None

    @property
    def label(self) -> str:
        return f"run {self.id} ({self.head_branch or '?'} @ {self.head_sha[:7]})"


def safe_member_name(name: str) -> str | None:
    """The entry's relative POSIX path if it stays inside the target directory, else None."""
    text = name.replace("\\", "/")
    if not text or text.startswith("/") or re.match(r"^[A-Za-z]:", text) or "\x00" in text:
        return None
    norm = posixpath.normpath(text)
    if norm in (".", "") or norm.startswith("../") or norm == ".." or norm.startswith("/"):
        return None
    if any(part == ".." for part in text.split("/")):
        return None
    return norm


def _is_symlink(info: zipfile.ZipInfo) -> bool:
    mode = info.external_attr >> 16
    return info.create_system == 3 and stat.S_ISLNK(mode)


def safe_extract(
    zip_path: Path, dest: Path, *, what: str, prefix: str | None = None, limits: Limits = Limits()
) -> list[tuple[Path, str]]:
    """Extract the results files of `zip_path` under `dest`; (path, display name) sorted by name.

    Other files (attachments the XML may name, relative to itself) are extracted too, cut after the
    bytes a trace reads of them, within `limits.attachments_bytes`. The whole archive is refused
    (QualifyError) when any entry is unsafe, so a crafted artifact cannot pass by hiding its results
    next to an attack.
    """
    try:
        zf = zipfile.ZipFile(zip_path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise QualifyError(f"{what}: not a readable zip archive ({exc})") from None
    out: list[tuple[Path, str]] = []
    with zf:
        infos = zf.infolist()
        if len(infos) > limits.entries:
            raise QualifyError(f"{what}: {len(infos)} entries, more than the limit of {limits.entries}")
        seen: set[str] = set()
        wanted: list[tuple[zipfile.ZipInfo, str]] = []
        others: list[tuple[zipfile.ZipInfo, str]] = []
        for info in infos:
            name = safe_member_name(info.filename)
            if name is None:
                raise QualifyError(f"{what}: entry {info.filename!r} would be written outside the target directory")
            if _is_symlink(info):
                raise QualifyError(f"{what}: entry {info.filename!r} is a symbolic link; artifacts must hold files")
            if info.is_dir():
                continue
            if name.lower() in seen:
                raise QualifyError(f"{what}: entry {info.filename!r} appears twice")
            seen.add(name.lower())
            if name.lower().endswith(RESULT_SUFFIXES):
                wanted.append((info, name))
            else:
                others.append((info, name))
        if len(wanted) > limits.xml_files:
            raise QualifyError(f"{what}: {len(wanted)} results files, more than the limit of {limits.xml_files}")
        total = 0
        for info, name in wanted:
            if info.file_size > limits.file_bytes:
                raise QualifyError(f"{what}: {name} is {info.file_size} bytes, over the {limits.file_bytes}-byte limit")
            if info.file_size > limits.ratio_floor and info.file_size > limits.ratio * max(info.compress_size, 1):
                raise QualifyError(
                    f"{what}: {name} expands {info.file_size // max(info.compress_size, 1)}x "
                    f"(limit {limits.ratio}x): refused as a zip bomb"
                )
            target = dest / name
            target.parent.mkdir(parents=True, exist_ok=True)
            written = 0
            try:
                with zf.open(info) as src, open(target, "xb") as dst:
                    while chunk := src.read(_CHUNK):
                        # Declared sizes can lie: count what really comes out.
                        written += len(chunk)
                        total += len(chunk)
                        if written > limits.file_bytes or total > limits.total_bytes:
                            raise QualifyError(f"{what}: {name} expands beyond the size limits; refused")
                        dst.write(chunk)
            except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as exc:
                raise QualifyError(f"{what}: cannot extract {name}: {exc}") from None
            out.append((target, f"{prefix or what}/{name}"))
        _extract_attachments(zf, others, dest, what, limits)
    return sorted(out, key=lambda t: t[1])


def _extract_attachments(
    zf: zipfile.ZipFile, entries: list[tuple[zipfile.ZipInfo, str]], dest: Path, what: str, limits: Limits
) -> None:
    """The first MAX_ATTACHMENT_BYTES + 1 bytes of each non-XML entry (one more than a trace reads,
    so the reader can say it cut the file), until `limits.attachments_bytes` are written."""
    budget = limits.attachments_bytes
    for info, name in entries:
        if budget <= 0:
            return
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        want = min(MAX_ATTACHMENT_BYTES + 1, budget)
        try:
            with zf.open(info) as src, open(target, "xb") as dst:
                while want > 0 and (chunk := src.read(min(_CHUNK, want))):
                    dst.write(chunk)
                    want -= len(chunk)
                    budget -= len(chunk)
        except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as exc:
            raise QualifyError(f"{what}: cannot extract {name}: {exc}") from None


def _run_info(data: Any) -> RunInfo:
    if not isinstance(data, dict) or not isinstance(data.get("id"), int):
        raise QualifyError("GitHub API: unexpected workflow run shape")
    return RunInfo(
        id=data["id"],
        head_sha=str(data.get("head_sha") or ""),
        head_branch=str(data.get("head_branch") or ""),
        created_at=str(data.get("created_at") or ""),
        html_url=str(data.get("html_url") or ""),
        status=str(data.get("status") or ""),
        conclusion=data.get("conclusion"),
    )


def _head_repo(data: Any) -> str | None:
    head = data.get("head_repository") if isinstance(data, dict) else None
    name = head.get("full_name") if isinstance(head, dict) else None
    return str(name) if name else None


def _same_repo(data: Any, repo: Any) -> bool:
    """The run's code came from this repository, not a fork: a fork's pull request can run the
    results workflow on a branch it names `main` and upload whatever XML it likes."""
    return (_head_repo(data) or "").lower() == str(repo).lower()


def find_run(api: Any, run_id: int | None, workflow: str | None, branch: str | None) -> RunInfo:
    """The run given by id, or the latest successful run of `workflow` on `branch` of this repository."""
    repo = api.repo
    try:
        if run_id is not None:
            data = api.client.get_json(f"{repo.path}/actions/runs/{run_id}", permission=ACTIONS_READ)
            run = _run_info(data)
            if not _same_repo(data, repo):
                raise QualifyError(
                    f"results run {run_id} ran code from {_head_repo(data) or 'an unknown repository'}, not {repo}: "
                    "results of fork runs are not trusted"
                )
            if run.status != "completed":
                raise QualifyError(f"results run {run_id} is {run.status or 'not completed'}: wait for it to finish")
            return run
        wf = posixpath.basename((workflow or "").strip())
        data = api.client.get_json(
            f"{repo.path}/actions/workflows/{wf}/runs",
            permission=ACTIONS_READ,
            params={"branch": branch, "status": "success", "per_page": 50},
        )
    except GitHubError as exc:
        raise QualifyError(f"cannot find the results run: {api.error(exc)}") from None
    runs = data.get("workflow_runs") if isinstance(data, dict) else None
    ours = [r for r in runs or [] if _same_repo(r, repo)]
    if not ours:
        raise QualifyError(
            f"workflow {workflow} has no successful run on branch {branch} of {repo} (fork runs do not count): "
            "run it first (e.g. workflow_dispatch), or pass results-run-id"
        )
    return _run_info(ours[0])


def download(api: Any, run: RunInfo, name: str, dest: Path, limits: Limits = Limits()) -> list[tuple[Path, str]]:
    """Download artifact `name` of `run` and extract its results files into `dest`."""
    what = f"artifact {name} of {run.label}"
    try:
        found = [
            a
            for a in api.client.paginate(
                f"{api.repo.path}/actions/runs/{run.id}/artifacts",
                permission=ACTIONS_READ,
                params={"name": name},
                key="artifacts",
            )
            if isinstance(a, dict) and a.get("name") == name
        ]
    except GitHubError as exc:
        raise QualifyError(f"cannot list the artifacts of {run.label}: {api.error(exc)}") from None
    live = [a for a in found if not a.get("expired")]
    if not live:
        state = "has expired (artifacts are kept 90 days by default)" if found else "does not exist"
        raise QualifyError(f"{what} {state}; check the name (upload-artifact `name:`) and the run")
    return _fetch(api, run, max(live, key=lambda a: str(a.get("created_at") or "")), dest, limits)


def _fetch(api: Any, run: RunInfo, art: dict, dest: Path, limits: Limits) -> list[tuple[Path, str]]:
    name = str(art.get("name") or "")
    what = f"artifact {name} of {run.label}"
    dest.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=dest, suffix=".zip", delete=False) as fh:
        zip_path = Path(fh.name)
        try:
            api.client.download(
                f"{api.repo.path}/actions/artifacts/{art['id']}/zip",
                fh,
                permission=ACTIONS_READ,
                max_bytes=limits.zip_bytes,
            )
        except GitHubError as exc:
            raise QualifyError(f"cannot download {what}: {api.error(exc)}") from None
    files = safe_extract(zip_path, dest / "files", what=what, prefix=f"artifact:{name}", limits=limits)
    zip_path.unlink()
    if not files:
        raise QualifyError(
            f"{what} holds no results file ({', '.join(RESULT_SUFFIXES)}): upload the directory the reporter wrote"
        )
    return files


# ---- sharded results ----------------------------------------------------------------------------


def artifact_names(spec: str) -> list[str]:
    """The names and patterns of one artifact input: one per line, or separated by commas."""
    return [n.strip() for line in spec.splitlines() for n in line.split(",") if n.strip()]


def is_pattern(name: str) -> bool:
    return any(c in name for c in _PATTERN_CHARS)


def select_artifacts(names: list[str], listed: list[Any], label: str) -> list[dict]:
    """The newest live artifact of each name given, and of each name a pattern matches (sorted).

    Pure. A name given plainly must exist; a pattern must match at least one artifact.
    """
    newest: dict[str, dict] = {}
    expired: set[str] = set()
    for a in listed:
        if not isinstance(a, dict) or not isinstance(a.get("name"), str):
            continue
        if a.get("expired"):
            expired.add(a["name"])
            continue
        kept = newest.get(a["name"])
        if kept is None or str(a.get("created_at") or "") > str(kept.get("created_at") or ""):
            newest[a["name"]] = a
    chosen: dict[str, dict] = {}
    for name in names:
        if is_pattern(name):
            matched = sorted(n for n in newest if fnmatch.fnmatchcase(n, name))
            if not matched:
                gone = sorted(n for n in expired if fnmatch.fnmatchcase(n, name))
                why = f"only expired ones ({', '.join(gone[:5])})" if gone else "none"
                raise QualifyError(
                    f"no artifact of {label} matches {name!r} ({why}); check the pattern against the "
                    "upload-artifact `name:` of each shard"
                )
            for n in matched:
                chosen[n] = newest[n]
        elif name in newest:
            chosen[name] = newest[name]
        else:
            state = "has expired (artifacts are kept 90 days by default)" if name in expired else "does not exist"
            raise QualifyError(
                f"artifact {name} of {label} {state}; check the name (upload-artifact `name:`) and the run"
            )
    return [chosen[n] for n in sorted(chosen)]


def _shard_number(name: str) -> int | None:
    digits = re.search(r"(\d+)$", name)
    return int(digits.group(1)) if digits else None


def missing_shards(names: list[str], expected: int) -> list[str]:
    """Shard numbers absent from names ending in a number (1..N, or 0..N-1 when a 0 is there)."""
    numbers = {_shard_number(n) for n in names}
    if None in numbers or not names:
        return []
    start = 0 if 0 in numbers else 1
    stem = re.sub(r"\d+$", "", names[0])
    return [f"{stem}{i}" for i in range(start, start + expected) if i not in numbers]


def shard_findings(
    job: str, run: RunInfo, spec: str, names: list[str], expected: int | None, jobs: list[Any] | None
) -> list[Finding]:
    """Problems when a shard of the job's results may be missing. Pure.

    `names` are the artifacts read; `expected` the `shards` input; `jobs` the run's jobs (when
    `expected` is not given and a pattern was used): the artifacts must number as many as the jobs
    of one of the run's matrices, and no job of that matrix may have been cancelled or timed out.
    """
    hint = "re-run the failed shard jobs, or fix `shards` / the artifact pattern"
    found = f"{len(names)} artifact(s) match {spec!r} ({', '.join(names[:8])}{', …' if len(names) > 8 else ''})"
    if expected is not None:
        if len(names) == expected:
            return []
        gone = missing_shards(names, expected)
        detail = f"; missing: {', '.join(gone[:10])}" if gone and len(names) < expected else ""
        return [
            Finding(
                code="shard-missing",
                job=job,
                message=f"the {job} results of {run.label} are sharded over {expected} artifacts (shards: "
                f"{expected}), but {found}{detail}",
                hint=hint,
            )
        ]
    if jobs is None:
        return []
    groups: dict[str, list[dict]] = {}
    for j in jobs:
        if isinstance(j, dict) and isinstance(j.get("name"), str):
            base, paren, _ = j["name"].partition(" (")
            if paren:
                groups.setdefault(base, []).append(j)
    matrices = {base: members for base, members in groups.items() if len(members) > 1}
    sizes = ", ".join(f"{base} ×{len(m)}" for base, m in sorted(matrices.items())) or "no matrix job"
    fitting = [m for m in matrices.values() if len(m) == len(names)]
    if not fitting:
        return [
            Finding(
                code="shard-missing",
                job=job,
                message=f"the {job} results of {run.label}: {found}, but the run's matrix jobs are {sizes}: "
                "a shard may be missing",
                hint="set `shards: N` to the number of shard artifacts, or re-run the failed shard jobs",
            )
        ]
    broken = [
        f"{j['name']} ({j.get('conclusion') or j.get('status') or 'unknown'})"
        for members in fitting
        for j in members
        if j.get("status") != "completed" or j.get("conclusion") in _BROKEN_JOB
    ]
    if broken:
        return [
            Finding(
                code="shard-missing",
                job=job,
                message=f"the {job} results of {run.label}: shard job(s) did not finish, their results may be "
                f"partial: {', '.join(broken[:8])}",
                hint=hint,
            )
        ]
    return []


def list_artifacts(api: Any, run: RunInfo) -> list[Any]:
    try:
        return list(
            api.client.paginate(
                f"{api.repo.path}/actions/runs/{run.id}/artifacts", permission=ACTIONS_READ, key="artifacts"
            )
        )
    except GitHubError as exc:
        raise QualifyError(f"cannot list the artifacts of {run.label}: {api.error(exc)}") from None


def list_jobs(api: Any, run: RunInfo) -> list[Any]:
    try:
        return list(
            api.client.paginate(
                f"{api.repo.path}/actions/runs/{run.id}/jobs",
                permission=ACTIONS_READ,
                params={"filter": "latest"},
                key="jobs",
            )
        )
    except GitHubError as exc:
        raise QualifyError(
            f"cannot list the jobs of {run.label} to check that no shard is missing: {api.error(exc)}; "
            "or set `shards: N`"
        ) from None


def download_job(
    api: Any, run: RunInfo, job: str, spec: str, dest: Path, expected: int | None, limits: Limits = Limits()
) -> tuple[list[tuple[Path, str]], list[Finding]]:
    """Every artifact the job's input names or matches, extracted; findings when a shard is missing."""
    names = artifact_names(spec)
    if len(names) == 1 and not is_pattern(names[0]) and expected is None:
        return download(api, run, names[0], dest, limits), []  # the plain case: one named artifact
    chosen = select_artifacts(names, list_artifacts(api, run), run.label)
    read = [str(a["name"]) for a in chosen]
    jobs = list_jobs(api, run) if expected is None and any(is_pattern(n) for n in names) else None
    findings = shard_findings(job, run, spec.replace("\n", ", "), read, expected, jobs)
    files: list[tuple[Path, str]] = []
    for i, art in enumerate(chosen):
        files += _fetch(api, run, art, dest / f"{i:04d}", limits)
    return files, findings


# ---- staleness ----------------------------------------------------------------------------------


def parse_time(text: str) -> dt.datetime | None:
    """An ISO-8601 timestamp; one without a zone is read as UTC (what GitHub's runners use)."""
    try:
        value = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def junit_timestamps(path: Path) -> list[dt.datetime]:
    """The `timestamp` of every testsuite/testsuites element, read with the hardened parser settings."""
    from lxml import etree

    from qualify.results.junit import hardened_iterparse

    stamps: list[dt.datetime] = []
    try:
        for _event, elem in hardened_iterparse(str(path), events=("start",)):
            tag = elem.tag if isinstance(elem.tag, str) else ""
            if tag in ("testsuite", "testsuites"):
                value = parse_time(elem.get("timestamp") or "")
                if value is not None:
                    stamps.append(value)
    except etree.XMLSyntaxError:
        return stamps  # the results reader reports malformed XML with its line
    return stamps


def staleness(
    job: str,
    run: RunInfo,
    sha: str | None,
    contains: str | None,
    commit_time: dt.datetime | None,
    stamps: Mapping[str, list[dt.datetime]],
) -> list[str]:
    """Why the results are older than the commit under test (empty: fresh). Pure.

    `contains` is the compare status of commit-under-test...run-head (`identical`/`ahead`: the run
    tested code that includes the commit). `stamps` maps file → its JUnit timestamps.
    """
    reasons = []
    if sha and run.head_sha != sha and contains not in ("identical", "ahead"):
        reasons.append(
            f"{run.label} tested commit {run.head_sha[:7]}, which does not include the commit under test "
            f"{sha[:7]} (compare: {contains or 'unknown'})"
        )
    if commit_time is not None:
        for file, values in stamps.items():
            old = [v for v in values if v < commit_time]
            if old:
                reasons.append(
                    f"{file}: JUnit timestamp {min(old).isoformat()} is older than the commit under test "
                    f"({commit_time.isoformat()})"
                )
                break
    return reasons


def check_fresh(
    api: Any, job: str, run: RunInfo, sha: str | None, files: list[tuple[Path, str]], allow_stale: bool
) -> list[Finding]:
    """A `stale-results` problem (warning with allow-stale-results) when the results predate the commit."""
    hint = "re-run the results workflow on the commit under test, or set allow-stale-results: true"
    if not sha:
        if allow_stale:
            return []
        return [
            Finding(
                code="stale-results",
                job=job,
                message=f"cannot tell whether the {job} results of {run.label} are older than the commit under "
                "test: no commit given (GITHUB_SHA / --sha)",
                hint=hint,
            )
        ]
    contains: str | None = "identical" if run.head_sha == sha else None
    commit_time: dt.datetime | None = None
    try:
        if contains is None:
            data = api.client.get_json(f"{api.repo.path}/compare/{sha}...{run.head_sha}", permission=CONTENTS_READ)
            contains = str(data.get("status")) if isinstance(data, dict) else None
        data = api.client.get_json(f"{api.repo.path}/commits/{sha}", permission=CONTENTS_READ)
        committer = ((data or {}).get("commit") or {}).get("committer") or {}
        commit_time = parse_time(str(committer.get("date") or ""))
    except GitHubError as exc:
        if not allow_stale:
            raise QualifyError(
                f"cannot check that the {job} results of {run.label} are not older than commit {sha[:7]}: "
                f"{api.error(exc)}"
            ) from None
    stamps = {display: junit_timestamps(path) for path, display in files}
    reasons = staleness(job, run, sha, contains, commit_time, stamps)
    if not reasons:
        return []
    return [
        Finding(
            code="stale-results",
            severity="warning" if allow_stale else "error",
            job=job,
            message=f"the {job} results are older than the commit under test"
            + (" (accepted: allow-stale-results)" if allow_stale else "")
            + ": "
            + "; ".join(reasons),
            hint=None if allow_stale else hint,
        )
    ]


def fetch_results(
    api: Any, github: GitHubContext, source: ArtifactSource, dest: Path
) -> tuple[dict[str, list[tuple[Path, str]]], list[Finding]]:
    """For each job given as artifacts: its extracted results files, and shard and staleness findings."""
    if not source.names:
        return {}, []
    if api is None:
        names = ", ".join(source.naming.of(f"{job}-results-artifact") for job in sorted(source.names))
        raise QualifyError(f"{names} needs the GitHub API, but there is {github.skip_reason()}")
    run = find_run(api, source.run_id, source.workflow, source.branch)
    sources: dict[str, list[tuple[Path, str]]] = {}
    findings: list[Finding] = []
    for job, spec in sorted(source.names.items()):
        files, missing = download_job(api, run, job, spec, dest / job, source.shards.get(job))
        sources[job] = files
        findings += missing
        findings += check_fresh(api, job, run, github.sha, files, source.allow_stale)
    return sources, findings
