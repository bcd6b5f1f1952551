"""A loopback stand-in for the GitHub REST API, for tests only.

Two threaded HTTP servers on 127.0.0.1: the API (optionally under a GHES-style `/api/v3` prefix)
and an "artifact storage" host on another port that artifact downloads are redirected to. The
storage host fails any request that carries an `Authorization` header and records it.

It behaves like the REST API where qualify depends on it: `per_page`/`page` pagination with `Link`
headers, tokens with a set of permissions (403 "Resource not accessible by integration" without
one, 401 for an unknown token), scripted faults (5xx, primary and secondary rate limits with their
headers) and response bodies in the documented shapes (github/rest-api-description).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import threading
import zipfile
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

ALL_PERMISSIONS = frozenset({"issues:read", "actions:read", "contents:read", "pull-requests:write", "checks:write"})
READ_ONLY = frozenset({"issues:read", "actions:read", "contents:read"})
DOCS = "https://docs.github.com/rest"


@dataclass
class Scripted:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None


def server_error(status: int = 502) -> Scripted:
    return Scripted(status, {}, {"message": "Server Error"})


def primary_rate_limit(reset_at: float) -> Scripted:
    return Scripted(
        403,
        {
            "x-ratelimit-limit": "5000",
            "x-ratelimit-remaining": "0",
            "x-ratelimit-used": "5000",
            "x-ratelimit-reset": str(int(reset_at)),
            "x-ratelimit-resource": "core",
        },
        {"message": "API rate limit exceeded for installation ID 1.", "documentation_url": DOCS},
    )


def secondary_rate_limit(retry_after: int = 3, status: int = 403) -> Scripted:
    return Scripted(
        status,
        {"retry-after": str(retry_after)},
        {
            "message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
            "documentation_url": DOCS,
        },
    )


def iso(t: dt.datetime) -> str:
    return t.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def zip_bytes(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buf.getvalue()


class FakeGitHub:
    """State plus two servers. Use as a context manager; `api_url` is what GITHUB_API_URL would be."""

    def __init__(self, owner: str = "acme", repo: str = "voice", prefix: str = "") -> None:
        self.owner, self.repo, self.prefix = owner, repo, prefix.rstrip("/")
        self.tokens: dict[str, frozenset[str]] = {"write-token": ALL_PERMISSIONS, "read-token": READ_ONLY}
        self.issues: dict[int, dict[str, Any]] = {}
        self.milestones: list[dict[str, Any]] = []
        self.runs: list[dict[str, Any]] = []
        self.artifacts: list[dict[str, Any]] = []
        self.jobs: list[dict[str, Any]] = []
        self.blobs: dict[int, bytes] = {}
        self.commits: dict[str, dt.datetime] = {}
        self.ancestry: dict[tuple[str, str], str] = {}  # (base, head) -> compare status
        self.comments: dict[int, list[dict[str, Any]]] = {}
        self.check_runs: list[dict[str, Any]] = []
        self.check_run_updates: list[dict[str, Any]] = []
        self.faults: list[tuple[str, str, Scripted]] = []  # (method, path regex, response), consumed
        self.log: list[tuple[str, str, dict[str, str]]] = []
        self.storage_log: list[dict[str, str]] = []
        self.storage_violations: list[str] = []
        self.default_per_page = 30
        self._ids = iter(range(1000, 10**9))
        self._lock = threading.Lock()
        self.api = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self, storage=False))
        self.storage = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self, storage=True))
        self._threads = [
            threading.Thread(target=s.serve_forever, args=(0.05,), daemon=True) for s in (self.api, self.storage)
        ]

    # ---- lifecycle ---------------------------------------------------------------------------

    def __enter__(self) -> FakeGitHub:
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        for s in (self.api, self.storage):
            s.shutdown()
            s.server_close()

    @property
    def host(self) -> str:
        return f"http://127.0.0.1:{self.api.server_address[1]}"

    @property
    def api_url(self) -> str:
        return self.host + self.prefix

    @property
    def storage_url(self) -> str:
        return f"http://127.0.0.1:{self.storage.server_address[1]}"

    def next_id(self) -> int:
        with self._lock:
            return next(self._ids)

    # ---- building state in GitHub's shapes ----------------------------------------------------

    def repo_url(self, path: str = "") -> str:
        return f"{self.api_url}/repos/{self.owner}/{self.repo}{path}"

    def label(self, name: str) -> dict[str, Any]:
        return {
            "id": self.next_id(),
            "node_id": "LA_kw",
            "url": self.repo_url(f"/labels/{name}"),
            "name": name,
            "description": None,
            "color": "ededed",
            "default": False,
        }

    def add_milestone(self, title: str, state: str = "open") -> dict[str, Any]:
        number = len(self.milestones) + 1
        m = {
            "url": self.repo_url(f"/milestones/{number}"),
            "html_url": f"https://github.com/{self.owner}/{self.repo}/milestone/{number}",
            "labels_url": self.repo_url(f"/milestones/{number}/labels"),
            "id": self.next_id(),
            "node_id": "MI_kw",
            "number": number,
            "state": state,
            "title": title,
            "description": None,
            "creator": None,
            "open_issues": 0,
            "closed_issues": 0,
            "created_at": "2026-10-01T00:00:00Z",
            "updated_at": "2026-10-01T00:00:00Z",
            "closed_at": None,
            "due_on": None,
        }
        self.milestones.append(m)
        return m

    def add_issue(
        self, number: int, labels: tuple[str, ...] = (), milestone: str | None = None, *, pull_request: bool = False
    ) -> dict[str, Any]:
        ms = next((m for m in self.milestones if m["title"] == milestone), None) if milestone else None
        if milestone and ms is None:
            ms = self.add_milestone(milestone)
        issue = {
            "id": self.next_id(),
            "node_id": "I_kw",
            "url": self.repo_url(f"/issues/{number}"),
            "repository_url": self.repo_url(),
            "labels_url": self.repo_url(f"/issues/{number}/labels{{/name}}"),
            "comments_url": self.repo_url(f"/issues/{number}/comments"),
            "html_url": f"https://github.com/{self.owner}/{self.repo}/issues/{number}",
            "number": number,
            "state": "open",
            "title": f"Issue {number}",
            "body": None,
            "user": {"login": "octocat", "id": 1, "type": "User"},
            "labels": [self.label(n) for n in labels],
            "assignee": None,
            "assignees": [],
            "milestone": ms,
            "locked": False,
            "comments": 0,
            "created_at": "2026-10-01T00:00:00Z",
            "updated_at": "2026-10-01T00:00:00Z",
            "closed_at": None,
            "author_association": "MEMBER",
        }
        if pull_request:
            issue["pull_request"] = {"url": self.repo_url(f"/pulls/{number}")}
        self.issues[number] = issue
        return issue

    def add_run(
        self,
        *,
        head_sha: str,
        workflow: str = "real-api.yml",
        branch: str = "main",
        conclusion: str | None = "success",
        created: dt.datetime | None = None,
        head_repo: str | None = None,
    ) -> dict[str, Any]:
        run_id = self.next_id()
        ours = {"id": 1, "name": self.repo, "full_name": f"{self.owner}/{self.repo}", "fork": False}
        head = (
            ours
            if head_repo is None
            else {"id": 2, "name": head_repo.split("/")[1], "full_name": head_repo, "fork": True}
        )
        created = created or dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)
        run = {
            "id": run_id,
            "name": "real-api",
            "node_id": "WFR_kw",
            "head_branch": branch,
            "head_sha": head_sha,
            "path": f".github/workflows/{workflow}",
            "run_number": len(self.runs) + 1,
            "event": "workflow_dispatch" if head_repo is None else "pull_request",
            "status": "completed",
            "conclusion": conclusion,
            "workflow_id": 42,
            "url": self.repo_url(f"/actions/runs/{run_id}"),
            "html_url": f"https://github.com/{self.owner}/{self.repo}/actions/runs/{run_id}",
            "created_at": iso(created),
            "updated_at": iso(created + dt.timedelta(minutes=5)),
            "run_started_at": iso(created),
            "run_attempt": 1,
            "artifacts_url": self.repo_url(f"/actions/runs/{run_id}/artifacts"),
            "head_commit": {"id": head_sha, "message": "m", "timestamp": iso(created)},
            "repository": ours,
            "head_repository": head,
            "_workflow_file": workflow,
        }
        self.runs.append(run)
        return run

    def add_artifact(self, run: dict[str, Any], name: str, data: bytes, *, expired: bool = False) -> dict[str, Any]:
        art_id = self.next_id()
        art = {
            "id": art_id,
            "node_id": "MDg6QXJ0aWZhY3Q=",
            "name": name,
            "size_in_bytes": len(data),
            "url": self.repo_url(f"/actions/artifacts/{art_id}"),
            "archive_download_url": self.repo_url(f"/actions/artifacts/{art_id}/zip"),
            "expired": expired,
            "digest": None,
            "created_at": run["created_at"],
            "updated_at": run["updated_at"],
            "expires_at": "2027-02-22T00:00:00Z",
            "workflow_run": {
                "id": run["id"],
                "repository_id": 1,
                "head_repository_id": 1,
                "head_branch": run["head_branch"],
                "head_sha": run["head_sha"],
            },
        }
        self.artifacts.append(art)
        self.blobs[art_id] = data
        return art

    def add_job(
        self, run: dict[str, Any], name: str, conclusion: str | None = "success", status: str = "completed"
    ) -> dict[str, Any]:
        """A job of a workflow run, as GET /actions/runs/{id}/jobs lists it (a matrix job: `name (1)`)."""
        job_id = self.next_id()
        job = {
            "id": job_id,
            "run_id": run["id"],
            "run_attempt": 1,
            "name": name,
            "status": status,
            "conclusion": conclusion if status == "completed" else None,
            "head_sha": run["head_sha"],
            "started_at": run["created_at"],
            "completed_at": run["updated_at"] if status == "completed" else None,
            "html_url": f"https://github.com/{self.owner}/{self.repo}/actions/runs/{run['id']}/job/{job_id}",
            "steps": [],
        }
        self.jobs.append(job)
        return job

    def add_comment(self, number: int, body: str, login: str = "octocat") -> dict[str, Any]:
        """A comment already on issue/pull request `number` (e.g. qualify's sticky comment of an earlier run)."""
        cid = self.next_id()
        comment = {
            "id": cid,
            "node_id": "IC_kw",
            "url": self.repo_url(f"/issues/comments/{cid}"),
            "html_url": f"https://github.com/{self.owner}/{self.repo}/pull/{number}#issuecomment-{cid}",
            "body": body,
            "user": {"login": login, "id": 2, "type": "Bot" if login.endswith("[bot]") else "User"},
            "created_at": "2026-11-24T00:00:00Z",
            "updated_at": "2026-11-24T00:00:00Z",
            "issue_url": self.repo_url(f"/issues/{number}"),
            "author_association": "NONE",
        }
        self.comments.setdefault(number, []).append(comment)
        return comment

    def add_commit(self, sha: str, date: dt.datetime) -> None:
        self.commits[sha] = date

    def fail(self, method: str, path_regex: str, *responses: Scripted) -> None:
        """Answer the next matching calls with these responses, in order, before behaving normally."""
        for r in responses:
            self.faults.append((method, path_regex, r))

    def api_calls(self, method: str | None = None, path_regex: str = "") -> list[tuple[str, str, dict[str, str]]]:
        return [c for c in self.log if (method is None or c[0] == method) and re.search(path_regex, c[1])]


def _handler(gh: FakeGitHub, *, storage: bool) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:  # quiet
            pass

        def do_GET(self) -> None:
            self._dispatch("GET")

        def do_POST(self) -> None:
            self._dispatch("POST")

        def do_PATCH(self) -> None:
            self._dispatch("PATCH")

        def _body(self) -> Any:
            n = int(self.headers.get("content-length") or 0)
            raw = self.rfile.read(n) if n else b""
            return json.loads(raw) if raw else None

        def _send(self, status: int, body: Any = None, headers: dict[str, str] | None = None) -> None:
            raw = b"" if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
            self.send_response(status)
            ctype = "application/zip" if isinstance(body, bytes) else "application/json; charset=utf-8"
            self.send_header("content-type", ctype)
            self.send_header("content-length", str(len(raw)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(raw)

        def _dispatch(self, method: str) -> None:
            if storage:
                return self._storage(method)
            try:
                self._api(method)
            except Exception as exc:  # noqa: BLE001 - a test double reports its own bugs as 500
                self._send(500, {"message": f"fake server bug: {type(exc).__name__}: {exc}"})

        def _storage(self, method: str) -> None:
            gh.storage_log.append(dict(self.headers.items()))
            if self.headers.get("authorization"):
                gh.storage_violations.append(f"{method} {self.path}: Authorization header received")
                return self._send(400, {"message": "Authorization header not allowed with a signed URL"})
            parts = urlsplit(self.path)
            m = re.fullmatch(r"/blobs/(\d+)", parts.path)
            if not m or parse_qs(parts.query).get("sig") != ["signed"]:
                return self._send(403, {"message": "bad signature"})
            data = gh.blobs.get(int(m.group(1)))
            if data is None:
                return self._send(404, {"message": "no blob"})
            self._send(200, data)

        # ---- the API ---------------------------------------------------------------------------

        def _api(self, method: str) -> None:
            parts = urlsplit(self.path)
            path = parts.path
            query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
            body = self._body() if method in ("POST", "PATCH") else None
            gh.log.append((method, self.path, dict(self.headers.items())))
            if gh.prefix:
                if not path.startswith(gh.prefix + "/"):
                    return self._send(404, {"message": "Not Found", "documentation_url": DOCS})
                path = path[len(gh.prefix) :]
            for i, (fm, rx, resp) in enumerate(gh.faults):
                if fm == method and re.search(rx, path):
                    del gh.faults[i]
                    return self._send(resp.status, resp.body, resp.headers)
            auth = self.headers.get("authorization", "")
            token = auth.removeprefix("Bearer ").removeprefix("token ").strip()
            perms = gh.tokens.get(token)
            if perms is None:
                return self._send(401, {"message": "Bad credentials", "documentation_url": DOCS})
            base = f"/repos/{gh.owner}/{gh.repo}"
            if not path.startswith(base + "/"):
                return self._send(404, {"message": "Not Found", "documentation_url": DOCS})
            rest = path[len(base) :]
            for route_method, pattern, need, fn in ROUTES:
                m = re.fullmatch(pattern, rest)
                if m and route_method == method:
                    if not perms & set(need.split("|")):
                        return self._send(
                            403,
                            {"message": "Resource not accessible by integration", "documentation_url": DOCS},
                            {"x-accepted-github-permissions": need.replace(":", "=").replace("|", "; ")},
                        )
                    return fn(self, m, query, body)
            self._send(404, {"message": "Not Found", "documentation_url": DOCS})

        def page(self, items: list[Any], query: dict[str, str], wrap: str | None = None) -> None:
            per_page = min(100, int(query.get("per_page", gh.default_per_page)))
            page = int(query.get("page", "1"))
            chunk = items[(page - 1) * per_page : page * per_page]
            last = max(1, -(-len(items) // per_page))
            links = []
            path = urlsplit(self.path).path

            def link(p: int, rel: str) -> str:
                return f'<{gh.host}{path}?{urlencode({**query, "page": p})}>; rel="{rel}"'

            if page < last:
                links += [link(page + 1, "next"), link(last, "last")]
            if page > 1:
                links += [link(1, "first"), link(page - 1, "prev")]
            headers = {"link": ", ".join(links)} if links else {}
            body: Any = chunk if wrap is None else {"total_count": len(items), wrap: chunk}
            self._send(200, body, headers)

        # handlers: (self, match, query, body)
        def issue(self, m: re.Match[str], q: dict[str, str], b: Any) -> None:
            issue = gh.issues.get(int(m.group(1)))
            if issue is None:
                return self._send(404, {"message": "Not Found", "documentation_url": DOCS})
            self._send(200, issue)

        def issue_labels(self, m: re.Match[str], q: dict[str, str], b: Any) -> None:
            issue = gh.issues.get(int(m.group(1)))
            if issue is None:
                return self._send(404, {"message": "Not Found", "documentation_url": DOCS})
            self.page(issue["labels"], q)

        def list_issues(self, m: re.Match[str], q: dict[str, str], b: Any) -> None:
            items = sorted(gh.issues.values(), key=lambda i: -i["number"])
            if "milestone" in q:
                items = [i for i in items if i["milestone"] and str(i["milestone"]["number"]) == q["milestone"]]
            if "labels" in q:
                want = set(q["labels"].split(","))
                items = [i for i in items if want <= {lb["name"] for lb in i["labels"]}]
            state = q.get("state", "open")
            if state != "all":
                items = [i for i in items if i["state"] == state]
            self.page(items, q)

        def list_milestones(self, m: re.Match[str], q: dict[str, str], b: Any) -> None:
            state = q.get("state", "open")
            self.page([x for x in gh.milestones if state == "all" or x["state"] == state], q)

        def run(self, m: re.Match[str], q: dict[str, str], b: Any) -> None:
            run = next((r for r in gh.runs if r["id"] == int(m.group(1))), None)
            if run is None:
                return self._send(404, {"message": "Not Found", "documentation_url": DOCS})
            self._send(200, {k: v for k, v in run.items() if not k.startswith("_")})

        def workflow_runs(self, m: re.Match[str], q: dict[str, str], b: Any) -> None:
            wf = m.group(1)
            if not any(r["_workflow_file"] == wf for r in gh.runs):
                return self._send(404, {"message": "Not Found", "documentation_url": DOCS})
            runs = [r for r in reversed(gh.runs) if r["_workflow_file"] == wf]
            if "branch" in q:
                runs = [r for r in runs if r["head_branch"] == q["branch"]]
            if q.get("status") == "success":
                runs = [r for r in runs if r["conclusion"] == "success"]
            self.page([{k: v for k, v in r.items() if not k.startswith("_")} for r in runs], q, "workflow_runs")

        def run_artifacts(self, m: re.Match[str], q: dict[str, str], b: Any) -> None:
            arts = [a for a in gh.artifacts if a["workflow_run"]["id"] == int(m.group(1))]
            if "name" in q:
                arts = [a for a in arts if a["name"] == q["name"]]
            self.page(arts, q, "artifacts")

        def run_jobs(self, m: re.Match[str], q: dict[str, str], b: Any) -> None:
            self.page([j for j in gh.jobs if j["run_id"] == int(m.group(1))], q, "jobs")

        def artifact_zip(self, m: re.Match[str], q: dict[str, str], b: Any) -> None:
            art_id = int(m.group(1))
            art = next((a for a in gh.artifacts if a["id"] == art_id), None)
            if art is None:
                return self._send(404, {"message": "Not Found", "documentation_url": DOCS})
            if art["expired"]:
                return self._send(410, {"message": "Artifact has expired", "documentation_url": DOCS})
            self._send(302, None, {"location": f"{gh.storage_url}/blobs/{art_id}?sig=signed"})

        def commit(self, m: re.Match[str], q: dict[str, str], b: Any) -> None:
            sha = m.group(1)
            date = gh.commits.get(sha)
            if date is None:
                return self._send(422, {"message": f"No commit found for SHA: {sha}", "documentation_url": DOCS})
            who = {"name": "dev", "email": "dev@example.com", "date": iso(date)}
            self._send(200, {"sha": sha, "commit": {"author": who, "committer": who, "message": "m"}, "parents": []})

        def compare(self, m: re.Match[str], q: dict[str, str], b: Any) -> None:
            base, head = m.group(1), m.group(2)
            status = "identical" if base == head else gh.ancestry.get((base, head), "diverged")
            self._send(200, {"status": status, "ahead_by": 0, "behind_by": 0, "total_commits": 0, "commits": []})

        def list_comments(self, m: re.Match[str], q: dict[str, str], b: Any) -> None:
            self.page(gh.comments.get(int(m.group(1)), []), q)

        def create_comment(self, m: re.Match[str], q: dict[str, str], b: Any) -> None:
            number = int(m.group(1))
            cid = gh.next_id()
            comment = {
                "id": cid,
                "node_id": "IC_kw",
                "url": gh.repo_url(f"/issues/comments/{cid}"),
                "html_url": f"https://github.com/{gh.owner}/{gh.repo}/pull/{number}#issuecomment-{cid}",
                "body": b["body"],
                "user": {"login": "github-actions[bot]", "id": 41898282, "type": "Bot"},
                "created_at": "2026-11-25T00:00:00Z",
                "updated_at": "2026-11-25T00:00:00Z",
                "issue_url": gh.repo_url(f"/issues/{number}"),
                "author_association": "NONE",
            }
            gh.comments.setdefault(number, []).append(comment)
            self._send(201, comment)

        def update_comment(self, m: re.Match[str], q: dict[str, str], b: Any) -> None:
            cid = int(m.group(1))
            for comments in gh.comments.values():
                for c in comments:
                    if c["id"] == cid:
                        c["body"] = b["body"]
                        c["updated_at"] = "2026-11-25T01:00:00Z"
                        return self._send(200, c)
            self._send(404, {"message": "Not Found", "documentation_url": DOCS})

        def create_check_run(self, m: re.Match[str], q: dict[str, str], b: Any) -> None:
            if len((b.get("output") or {}).get("annotations") or []) > 50:
                return self._send(422, {"message": "Only 50 annotations are allowed per request"})
            cid = gh.next_id()
            run = {
                "id": cid,
                "head_sha": b["head_sha"],
                "node_id": "CR_kw",
                "external_id": b.get("external_id", ""),
                "url": gh.repo_url(f"/check-runs/{cid}"),
                "html_url": f"https://github.com/{gh.owner}/{gh.repo}/runs/{cid}",
                "details_url": None,
                "status": b.get("status", "queued"),
                "conclusion": b.get("conclusion"),
                "started_at": "2026-11-25T00:00:00Z",
                "completed_at": "2026-11-25T00:00:00Z" if b.get("conclusion") else None,
                "output": {
                    **(b.get("output") or {}),
                    "annotations_count": len((b.get("output") or {}).get("annotations") or []),
                },
                "name": b["name"],
                "check_suite": {"id": 5},
                "app": {"id": 15368, "slug": "github-actions", "name": "GitHub Actions"},
                "pull_requests": [],
                "_requests": [b],
            }
            gh.check_runs.append(run)
            self._send(201, {k: v for k, v in run.items() if not k.startswith("_")})

        def update_check_run(self, m: re.Match[str], q: dict[str, str], b: Any) -> None:
            if len((b.get("output") or {}).get("annotations") or []) > 50:
                return self._send(422, {"message": "Only 50 annotations are allowed per request"})
            run = next((r for r in gh.check_runs if r["id"] == int(m.group(1))), None)
            if run is None:
                return self._send(404, {"message": "Not Found", "documentation_url": DOCS})
            run["_requests"].append(b)
            out = b.get("output") or {}
            run["output"]["annotations_count"] += len(out.get("annotations") or [])
            self._send(200, {k: v for k, v in run.items() if not k.startswith("_")})

    H = Handler
    ROUTES = [
        ("GET", r"/issues/(\d+)", "issues:read", H.issue),
        ("GET", r"/issues/(\d+)/labels", "issues:read", H.issue_labels),
        ("GET", r"/issues", "issues:read", H.list_issues),
        ("GET", r"/milestones", "issues:read", H.list_milestones),
        ("GET", r"/actions/runs/(\d+)", "actions:read", H.run),
        ("GET", r"/actions/workflows/([^/]+)/runs", "actions:read", H.workflow_runs),
        ("GET", r"/actions/runs/(\d+)/artifacts", "actions:read", H.run_artifacts),
        ("GET", r"/actions/runs/(\d+)/jobs", "actions:read", H.run_jobs),
        ("GET", r"/actions/artifacts/(\d+)/zip", "actions:read", H.artifact_zip),
        ("GET", r"/commits/([0-9a-f]+)", "contents:read", H.commit),
        ("GET", r"/compare/([0-9a-f]+)\.\.\.([0-9a-f]+)", "contents:read", H.compare),
        ("GET", r"/issues/(\d+)/comments", "issues:read|pull-requests:write", H.list_comments),
        ("POST", r"/issues/(\d+)/comments", "pull-requests:write", H.create_comment),
        ("PATCH", r"/issues/comments/(\d+)", "pull-requests:write", H.update_comment),
        ("POST", r"/check-runs", "checks:write", H.create_check_run),
        ("PATCH", r"/check-runs/(\d+)", "checks:write", H.update_check_run),
    ]
    return Handler
