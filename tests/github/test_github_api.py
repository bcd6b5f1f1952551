"""The REST client against the loopback stand-in: pagination, retries, redirects, permissions, redaction."""

import io
import subprocess
import sys
import time

import pytest
from builders import ROOT
from fake_github import FakeGitHub, primary_rate_limit, secondary_rate_limit, server_error, zip_bytes

from qualify.github.client import (
    ACTIONS_READ,
    CHECKS_WRITE,
    ISSUES_READ,
    GitHubClient,
    GitHubError,
    parse_link,
    rate_limit_wait,
)
from qualify.redact import redact

REPO = "/repos/acme/voice"


def test_pagination_follows_link_headers_across_pages(gh, client):
    gh.add_issue(1, labels=tuple(f"l{i}" for i in range(250)))
    names = [lb["name"] for lb in client.paginate(f"{REPO}/issues/1/labels", permission=ISSUES_READ)]
    assert names == [f"l{i}" for i in range(250)]
    calls = gh.api_calls("GET", r"/labels")
    assert len(calls) == 3  # 100 + 100 + 50, each page found through rel="next"
    assert "per_page=100" in calls[0][1] and "page=3" in calls[2][1]


def test_pagination_of_wrapped_lists(gh, client):
    run = gh.add_run(head_sha="a" * 40)
    for i in range(130):
        gh.add_artifact(run, f"a{i}", b"x")
    items = list(client.paginate(f"{REPO}/actions/runs/{run['id']}/artifacts", key="artifacts"))
    assert len(items) == 130 and items[0]["name"] == "a0"


def test_ghes_base_url_with_path_prefix():
    with FakeGitHub(prefix="/api/v3") as gh:
        gh.add_issue(7, labels=("backend",) * 1 + tuple(f"x{i}" for i in range(120)))
        with GitHubClient("write-token", gh.api_url, sleep=lambda s: None) as c:
            labels = list(c.paginate(f"{REPO}/issues/7/labels"))
        assert len(labels) == 121
        assert all(path.startswith("/api/v3/") for _, path, _ in gh.log)


def test_5xx_then_success_is_retried_with_backoff(gh, client, sleeps):
    gh.add_issue(3)
    gh.fail("GET", r"/issues/3$", server_error(502), server_error(503))
    assert client.get_json(f"{REPO}/issues/3")["number"] == 3
    assert sleeps == [1.0, 2.0]


def test_5xx_retries_are_bounded(gh, sleeps):
    gh.fail("GET", r"/issues/3$", *[server_error(500)] * 10)
    with GitHubClient("write-token", gh.api_url, sleep=sleeps, max_retries=2) as c, pytest.raises(GitHubError) as e:
        c.get_json(f"{REPO}/issues/3")
    assert e.value.status == 500 and "HTTP 500" in str(e.value)
    assert len(sleeps) == 2


def test_primary_rate_limit_waits_until_reset(gh, client, sleeps):
    gh.add_issue(3)
    gh.fail("GET", r"/issues/3$", primary_rate_limit(time.time() + 20))
    assert client.get_json(f"{REPO}/issues/3")["number"] == 3
    assert len(sleeps) == 1 and 15 <= sleeps[0] <= 21


@pytest.mark.parametrize("status", [403, 429])
def test_secondary_rate_limit_honours_retry_after(gh, client, sleeps, status):
    gh.add_issue(3)
    gh.fail("GET", r"/issues/3$", secondary_rate_limit(7, status))
    assert client.get_json(f"{REPO}/issues/3")["number"] == 3
    assert sleeps == [7.0]


def test_rate_limit_longer_than_the_cap_fails_instead_of_hanging(gh, client, sleeps):
    gh.fail("GET", r"/issues/3$", primary_rate_limit(time.time() + 3600))
    with pytest.raises(GitHubError, match=r"rate limited for another 3\d\d\d s .*run again later"):
        client.get_json(f"{REPO}/issues/3", permission=ISSUES_READ)
    assert sleeps == []


def test_rate_limit_wait_rules():
    assert rate_limit_wait(403, {"retry-after": "5"}, "", 0) == 5
    assert rate_limit_wait(403, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "130"}, "", 100) == 30
    assert rate_limit_wait(403, {}, "You have exceeded a secondary rate limit", 0) == 60
    assert rate_limit_wait(403, {"x-ratelimit-remaining": "12"}, "Resource not accessible by integration", 0) is None
    assert rate_limit_wait(500, {"retry-after": "5"}, "", 0) is None


def test_read_only_token_gets_a_message_naming_the_permission(gh, sleeps):
    with GitHubClient("read-token", gh.api_url, sleep=sleeps) as c, pytest.raises(GitHubError) as e:
        c.send_json("POST", f"{REPO}/check-runs", {"name": "q", "head_sha": "a" * 40}, permission=CHECKS_WRITE)
    assert e.value.status == 403 and e.value.denied
    assert "`checks: write`" in str(e.value) and "Resource not accessible by integration" in str(e.value)
    assert sleeps == []  # a permission error is not retried


def test_bad_token_and_not_found_messages(gh, sleeps):
    with GitHubClient("ghp_wrongwrongwrong", gh.api_url, sleep=sleeps) as c, pytest.raises(GitHubError) as e:
        c.get_json(f"{REPO}/issues/1", permission=ISSUES_READ)
    assert e.value.status == 401 and "Bad credentials" in str(e.value) and "`issues: read`" in str(e.value)
    assert "ghp_wrongwrongwrong" not in str(e.value)
    with GitHubClient("write-token", gh.api_url, sleep=sleeps) as c, pytest.raises(GitHubError) as e:
        c.get_json("/repos/acme/private/actions/runs/1", permission=ACTIONS_READ)
    assert e.value.status == 404 and "`actions: read`" in str(e.value)


def test_token_goes_to_the_api_but_never_to_the_storage_host(gh, client):
    run = gh.add_run(head_sha="a" * 40)
    art = gh.add_artifact(run, "real-junit", zip_bytes({"a.xml": b"<testsuites/>"}))
    buf = io.BytesIO()
    n = client.download(f"{REPO}/actions/artifacts/{art['id']}/zip", buf, permission=ACTIONS_READ, max_bytes=10**6)
    assert n == len(gh.blobs[art["id"]]) and buf.getvalue() == gh.blobs[art["id"]]
    assert gh.storage_log, "the download never reached the storage host"
    assert gh.storage_violations == []
    assert all(h.get("Authorization") == "Bearer write-token" for _, _, h in gh.log)


def test_storage_host_rejects_a_leaked_token(gh):
    """The stand-in itself: a client that forwarded the token would fail (so the test above can fail)."""
    import requests

    run = gh.add_run(head_sha="a" * 40)
    art = gh.add_artifact(run, "x", b"data")
    r = requests.get(f"{gh.storage_url}/blobs/{art['id']}?sig=signed", headers={"Authorization": "Bearer t"}, timeout=5)
    assert r.status_code == 400 and gh.storage_violations


def test_download_size_limit(gh, client):
    run = gh.add_run(head_sha="a" * 40)
    art = gh.add_artifact(run, "big", b"x" * 5000)
    with pytest.raises(GitHubError, match="over the 1000-byte limit"):
        client.download(f"{REPO}/actions/artifacts/{art['id']}/zip", io.BytesIO(), permission=None, max_bytes=1000)


def test_off_host_urls_never_get_the_token(client):
    with pytest.raises(GitHubError, match="refusing to send the token"):
        client.get_json("https://evil.example/repos/acme/voice/issues/1")


def test_connection_refused_is_retried_then_reported(sleeps):
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    with GitHubClient("tok_secret", f"http://127.0.0.1:{port}", sleep=sleeps, max_retries=2, timeout=2) as c:
        with pytest.raises(GitHubError, match="no response after 3 attempts"):
            c.get_json("/repos/a/b/issues/1")
    assert sleeps == [1.0, 2.0]


def test_redact_masks_plain_and_url_encoded_forms():
    assert redact("a ghp_x/y+z b ghp_x%2Fy%2Bz", ("ghp_x/y+z",)) == "a *** b ***"
    assert redact("nothing", ("",)) == "nothing"


def test_parse_link():
    header = '<https://api.github.com/x?page=2>; rel="next", <https://api.github.com/x?page=5>; rel="last"'
    assert parse_link(header) == {"next": "https://api.github.com/x?page=2", "last": "https://api.github.com/x?page=5"}
    assert parse_link(None) == {}


def test_help_does_not_import_requests():
    code = "import sys; from qualify.app.cli import main; main(['--help']); print('requests' in sys.modules)"
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert r.stdout.strip().endswith("False"), r.stdout + r.stderr


def test_post_is_not_retried_on_5xx_but_patch_is(gh, client, sleeps):
    gh.fail("POST", r"/check-runs$", server_error(502))
    with pytest.raises(GitHubError, match="HTTP 502"):
        client.send_json("POST", f"{REPO}/check-runs", {"name": "q", "head_sha": "a" * 40}, permission=CHECKS_WRITE)
    assert sleeps == [] and len(gh.api_calls("POST")) == 1  # a retried POST could create a second check run
    created = client.send_json("POST", f"{REPO}/check-runs", {"name": "q", "head_sha": "a" * 40})
    gh.fail("PATCH", r"/check-runs/", server_error(503))
    client.send_json("PATCH", f"{REPO}/check-runs/{created['id']}", {"output": {"title": "t", "summary": "s"}})
    assert sleeps == [1.0]


def test_post_is_retried_after_a_rate_limit(gh, client, sleeps):
    gh.fail("POST", r"/check-runs$", secondary_rate_limit(2))
    client.send_json("POST", f"{REPO}/check-runs", {"name": "q", "head_sha": "a" * 40}, permission=CHECKS_WRITE)
    assert sleeps == [2.0] and len(gh.check_runs) == 1


def test_netrc_never_adds_credentials(gh, sleeps, tmp_path, monkeypatch):
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login someone password netrc-secret\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    run = gh.add_run(head_sha="a" * 40)
    art = gh.add_artifact(run, "x", b"data")
    with GitHubClient("write-token", gh.api_url, sleep=sleeps) as c:
        c.download(f"{REPO}/actions/artifacts/{art['id']}/zip", io.BytesIO(), permission=None, max_bytes=100)
    assert gh.storage_violations == []
    assert gh.log[-1][2]["Authorization"] == "Bearer write-token"


def test_a_next_link_to_another_host_is_not_followed_with_the_token(gh, client):
    from fake_github import Scripted

    gh.add_issue(1, labels=("a",))
    gh.fail("GET", r"/issues/1/labels$", Scripted(200, {"link": '<http://evil.invalid/steal?page=2>; rel="next"'}, []))
    with pytest.raises(GitHubError, match=r"refusing to send the token to http://evil\.invalid/steal"):
        list(client.paginate(f"{REPO}/issues/1/labels"))
