"""Fixtures for the GitHub integration tests: the loopback stand-in and a client that never sleeps."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fake_github import FakeGitHub


@pytest.fixture(autouse=True)
def _loopback_direct(monkeypatch):
    """The stand-in is on loopback: keep a developer's proxy settings and token out of the way."""
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)


@pytest.fixture
def gh():
    with FakeGitHub() as server:
        yield server


class Sleeps(list):
    """An injectable sleep that records the waits instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps():
    return Sleeps()


@pytest.fixture
def client(gh, sleeps):
    from qualify.github.client import GitHubClient

    with GitHubClient("write-token", gh.api_url, sleep=sleeps, timeout=5) as c:
        yield c
