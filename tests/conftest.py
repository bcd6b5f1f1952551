"""Make the project root importable for every test (the package is not installed in CI), and keep
the developer's own GitHub credentials and Actions context out of every test."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

# A test that forgot to clear these would send label reads to the real api.github.com (no network
# in tests) or inherit the runner's annotations/outputs when the suite itself runs in Actions.
_AMBIENT = (
    "GITHUB_TOKEN",
    "GH_TOKEN",
    "GITHUB_REPOSITORY",
    "GITHUB_API_URL",
    "GITHUB_SHA",
    "GITHUB_EVENT_PATH",
    "GITHUB_EVENT_NAME",
    "GITHUB_ACTIONS",
    "GITHUB_OUTPUT",
    "GITHUB_STEP_SUMMARY",
    "GITHUB_WORKSPACE",
    "QUALIFY_TODAY",
    "QUALIFY_DEBUG",
    "QUALIFY_WORKERS",
)


@pytest.fixture(autouse=True)
def _no_ambient_github(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in _AMBIENT:
        monkeypatch.delenv(name, raising=False)
