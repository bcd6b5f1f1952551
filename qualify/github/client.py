"""A small GitHub REST client over `requests`: bounded, retrying, and careful with the token.

- The base URL comes from GITHUB_API_URL, so GitHub Enterprise Server works.
- The token is sent only to the API's own scheme+host+port. Redirects are followed by hand: a
  redirect elsewhere (artifact storage) is followed without `Authorization`.
- Every call has a timeout. 5xx, connection errors and rate limits (primary and secondary) are
  retried a bounded number of times; waits honour `retry-after` / `x-ratelimit-reset` but never
  exceed `max_wait` (a longer wait is an error, not a hang). The sleep function is injectable.
- Errors name the permission the job's token is missing; messages never contain the token.

`requests` is imported only when a client is built: `qualify --help` must stay fast.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from qualify.errors import QualifyError
from qualify.redact import redact

if TYPE_CHECKING:  # pragma: no cover
    import requests

DEFAULT_API_URL = "https://api.github.com"
API_VERSION = "2022-11-28"
TIMEOUT = (10.0, 60.0)  # connect, read
MAX_RETRIES = 4
MAX_WAIT = 60.0  # seconds; a rate limit that resets later than this fails the call with its reset time
MAX_REDIRECTS = 5
MAX_PAGES = 100
_RETRY_STATUS = frozenset({500, 502, 503, 504})
_LINK = re.compile(r'<([^>]*)>\s*;\s*rel="?([^";]+)"?')

# Which `permissions:` entry a call needs, for the messages on 401/403/404.
ISSUES_READ = "issues: read"
ACTIONS_READ = "actions: read"
PULL_REQUESTS_WRITE = "pull-requests: write"
CHECKS_WRITE = "checks: write"
CONTENTS_READ = "contents: read"


class GitHubError(QualifyError):
    """A GitHub API call failed; `status` is the HTTP status (0 when no response arrived)."""

    def __init__(self, message: str, status: int = 0, permission: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.permission = permission

    @property
    def denied(self) -> bool:
        """The token may not do this (as opposed to GitHub being down or the thing not existing)."""
        return self.status in (401, 403) or (self.status == 404 and self.permission is not None)


def parse_link(header: str | None) -> dict[str, str]:
    """`Link: <url>; rel="next", <url>; rel="last"` → {"next": url, "last": url}."""
    links: dict[str, str] = {}
    for url, rels in _LINK.findall(header or ""):
        for rel in rels.split():
            links.setdefault(rel, url)
    return links


def origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    port = parts.port or {"https": 443, "http": 80}.get(parts.scheme)
    return parts.scheme.lower(), (parts.hostname or "").lower(), port


def rate_limit_wait(status: int, headers: Mapping[str, str], body: str, now: float) -> float | None:
    """Seconds to wait before retrying a rate-limited response, or None when it is not a rate limit.

    Primary limit: 403/429 with `x-ratelimit-remaining: 0` (wait until `x-ratelimit-reset`).
    Secondary limit: 403/429 with `retry-after`, or GitHub's "secondary rate limit" message
    (GitHub's guidance: wait at least a minute when no header says how long).
    """
    if status not in (403, 429):
        return None
    retry_after = headers.get("retry-after")
    if retry_after is not None:
        try:
            return max(0.0, float(retry_after))
        except ValueError:
            return 60.0
    if headers.get("x-ratelimit-remaining") == "0":
        try:
            return max(0.0, float(headers.get("x-ratelimit-reset", "")) - now)
        except ValueError:
            return 60.0
    if status == 429 or "secondary rate limit" in body.lower():
        return 60.0
    return None


@dataclass(frozen=True, slots=True)
class Repo:
    owner: str
    name: str

    @classmethod
    def parse(cls, text: str) -> Repo:
        parts = text.strip().split("/")
        if len(parts) != 2 or not all(re.fullmatch(r"[A-Za-z0-9_.-]+", p) for p in parts):
            raise QualifyError(f"repository {text!r} is not owner/name (set --repo or GITHUB_REPOSITORY)")
        return cls(parts[0], parts[1])

    @property
    def path(self) -> str:
        return f"/repos/{self.owner}/{self.name}"

    def __str__(self) -> str:
        return f"{self.owner}/{self.name}"


def _no_auth(request: Any) -> Any:
    return request


class GitHubClient:
    """One token, one API base URL. Not thread-safe (one session)."""

    def __init__(
        self,
        token: str,
        api_url: str | None = None,
        *,
        timeout: float | tuple[float, float] = TIMEOUT,
        max_retries: int = MAX_RETRIES,
        max_wait: float = MAX_WAIT,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        user_agent: str = "qualify-release-gate",
    ) -> None:
        import requests  # lazily: only runs that use the API pay for it

        self._requests = requests
        self.token = token
        self.api_url = (api_url or DEFAULT_API_URL).rstrip("/")
        if urlsplit(self.api_url).scheme not in ("http", "https"):
            raise QualifyError(f"GITHUB_API_URL {self.api_url!r} is not an http(s) URL")
        self._origin = origin(self.api_url)
        self.timeout = timeout
        self.max_retries = max_retries
        self.max_wait = max_wait
        self.sleep = sleep
        self.clock = clock
        self.session = requests.Session()
        # Keep the environment's proxies and CA bundle (self-hosted runners, GHES), but never let
        # ~/.netrc replace or add credentials: a non-None session auth makes requests skip it.
        self.session.auth = _no_auth
        self.session.headers.update(
            {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": API_VERSION, "User-Agent": user_agent}
        )

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> GitHubClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- URLs and messages -------------------------------------------------------------------

    def url(self, path: str) -> str:
        if path.startswith(("http://", "https://")):
            return path
        return self.api_url + (path if path.startswith("/") else "/" + path)

    def is_api_host(self, url: str) -> bool:
        return origin(url) == self._origin

    def _display(self, url: str) -> str:
        """The URL as shown in messages: API paths short, anything else without its query (signed URLs)."""
        if self.is_api_host(url) and url.startswith(self.api_url):
            return url[len(self.api_url) :] or "/"
        parts = urlsplit(url)
        return f"{parts.scheme}://{parts.netloc}{parts.path}"

    def _error(self, method: str, url: str, status: int, reason: str, permission: str | None) -> GitHubError:
        where = f"{method} {self._display(url)}"
        if status in (401, 403, 404) and permission:
            what = {401: "the token was rejected (401)", 403: "access denied (403)", 404: "not found (404)"}[status]
            hint = (
                f"the token needs `{permission}`: add `permissions:` with `{permission}` to the job "
                "(fork pull requests and Dependabot get a read-only token)"
            )
            if status == 404:
                hint = f"check that it exists, and that the token has `{permission}` (GitHub answers 404 without it)"
            message = f"GitHub API {where}: {what}: {reason}; {hint}"
        else:
            message = f"GitHub API {where}: HTTP {status}: {reason}" if status else f"GitHub API {where}: {reason}"
        return GitHubError(redact(message, (self.token,)), status, permission)

    @staticmethod
    def _reason(resp: requests.Response) -> str:
        try:
            data = resp.json()
        except ValueError:
            data = None
        text = data.get("message") if isinstance(data, dict) else None
        text = str(text or resp.reason or "no reason given")
        return " ".join(text.split())[:300]

    # ---- requests ----------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        permission: str | None = None,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        stream: bool = False,
        ok: tuple[int, ...] = (200, 201, 204),
    ) -> requests.Response:
        """One API call with retries and hand-followed redirects; raises GitHubError unless `ok`."""
        url = self.url(path)
        if not self.is_api_host(url):
            # Never start a call elsewhere with the token (a Link header pointing off-host, say).
            raise GitHubError(
                redact(f"refusing to send the token to {self._display(url)}: not the API host", (self.token,))
            )
        # A POST that failed mid-way may have been applied (a second comment, a second check run):
        # only rate limits, which GitHub answers before doing anything, are retried for it.
        idempotent = method.upper() != "POST"
        attempt = 0
        while True:
            attempt += 1
            try:
                resp = self._send_following(method, url, params=params, json=json, stream=stream)
            except self._requests.RequestException as exc:
                if attempt > self.max_retries or not idempotent:
                    raise self._error(
                        method, url, 0, f"no response after {attempt} attempts ({type(exc).__name__})", None
                    ) from None
                self.sleep(min(self.max_wait, 2.0 ** (attempt - 1)))
                continue
            if resp.status_code in ok:
                return resp
            body = "" if stream else resp.text[:2000]
            reason = self._reason(resp) if not stream else (resp.reason or "")
            wait = rate_limit_wait(resp.status_code, resp.headers, body, self.clock())
            retry = wait is not None or (resp.status_code in _RETRY_STATUS and idempotent)
            if not retry or attempt > self.max_retries:
                resp.close()
                if wait is not None:
                    reason = f"rate limit still exceeded after {attempt} attempts: {reason}"
                raise self._error(method, url, resp.status_code, reason, None if wait is not None else permission)
            if wait is None:
                wait = min(self.max_wait, 2.0 ** (attempt - 1))
            elif wait > self.max_wait:
                resp.close()
                raise self._error(
                    method,
                    url,
                    resp.status_code,
                    f"rate limited for another {int(wait)} s (more than the {int(self.max_wait)} s qualify waits): "
                    f"{reason}; run again later",
                    None,
                )
            resp.close()
            self.sleep(wait)

    def _send_following(
        self, method: str, url: str, *, params: Mapping[str, Any] | None, json: Any, stream: bool
    ) -> requests.Response:
        """Send, following up to MAX_REDIRECTS redirects; the token goes only to the API host."""
        for _ in range(MAX_REDIRECTS + 1):
            if self.is_api_host(url):
                headers = {"Authorization": f"Bearer {self.token}"}
            else:
                # Storage hosts take a signed URL: the token stays home (and nothing else adds one:
                # the session skips ~/.netrc and has no default Authorization).
                headers = {"Accept": "*/*", "X-GitHub-Api-Version": None}
            resp = self.session.request(
                method,
                url,
                params=params,
                json=json,
                headers=headers,
                timeout=self.timeout,
                allow_redirects=False,
                stream=stream,
            )
            if resp.status_code not in (301, 302, 303, 307, 308) or "location" not in resp.headers:
                return resp
            target = urljoin(url, resp.headers["location"])
            resp.close()
            if urlsplit(target).scheme not in ("http", "https"):
                raise GitHubError(f"GitHub API redirected to a non-http URL from {self._display(url)}")
            if origin(url)[0] == "https" and origin(target)[0] != "https":
                raise GitHubError(f"GitHub API redirected from https to plain http ({self._display(target)})")
            if resp.status_code == 303:
                method, json = "GET", None
            url, params = target, None  # the Location carries its own query
        raise GitHubError(f"GitHub API: more than {MAX_REDIRECTS} redirects from {self._display(url)}")

    def get_json(self, path: str, *, permission: str | None = None, params: Mapping[str, Any] | None = None) -> Any:
        resp = self.request("GET", path, permission=permission, params=params)
        return self._json(resp, "GET", path)

    def send_json(self, method: str, path: str, body: Any, *, permission: str | None = None) -> Any:
        resp = self.request(method, path, permission=permission, json=body)
        return self._json(resp, method, path) if resp.content else None

    def _json(self, resp: requests.Response, method: str, path: str) -> Any:
        try:
            return resp.json()
        except ValueError:
            raise self._error(method, self.url(path), resp.status_code, "the response is not JSON", None) from None

    def paginate(
        self,
        path: str,
        *,
        permission: str | None = None,
        params: Mapping[str, Any] | None = None,
        key: str | None = None,
        max_pages: int = MAX_PAGES,
    ) -> Iterator[Any]:
        """Items of a list endpoint across pages, following `Link: rel="next"` (100 per page).

        `key` names the list inside an object response (`workflow_runs`, `artifacts`, `check_runs`).
        """
        query: dict[str, Any] | None = {"per_page": 100, **(params or {})}
        url: str | None = self.url(path)
        pages = 0
        while url is not None:
            pages += 1
            if pages > max_pages:
                raise self._error("GET", self.url(path), 0, f"more than {max_pages} pages; narrow the query", None)
            resp = self.request("GET", url, permission=permission, params=query)
            data = self._json(resp, "GET", url)
            items = data.get(key) if key and isinstance(data, dict) else data
            if not isinstance(items, list):
                raise self._error("GET", url, resp.status_code, "unexpected response shape (no list)", None)
            yield from items
            url, query = parse_link(resp.headers.get("link")).get("next"), None

    def download(self, path: str, dest: Any, *, permission: str | None, max_bytes: int) -> int:
        """Stream a (redirected) download into the binary file `dest`; refuse more than `max_bytes`."""
        resp = self.request("GET", path, permission=permission, stream=True, ok=(200,))
        total = 0
        try:
            declared = resp.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise GitHubError(
                    f"download of {self._display(self.url(path))} is {declared} bytes, over the {max_bytes}-byte limit"
                )
            for chunk in resp.iter_content(chunk_size=64 * 1024):
                total += len(chunk)
                if total > max_bytes:
                    raise GitHubError(f"download of {self._display(self.url(path))} exceeds the {max_bytes}-byte limit")
                dest.write(chunk)
        except self._requests.RequestException as exc:
            raise GitHubError(f"download of {self._display(self.url(path))} broke off ({type(exc).__name__})") from None
        finally:
            resp.close()
        return total
