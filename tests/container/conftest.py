"""Fixtures of the container test: one private dockerd + base image + built image per session.

If Docker cannot be started here the fixture *fails* with the reason (never skips): the image is
what users run, so a run that could not test it must not look green.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from docker_env import FACTS, DockerUnavailable, Session


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "container: builds the Docker image and runs it as the Actions runner does "
        "(needs root, docker.io and debootstrap; see tests/container/docker_env.py)",
    )


@pytest.fixture(scope="session")
def docker_session() -> Session:
    session = Session()
    reason = None
    try:
        session.start()
    except DockerUnavailable as exc:
        reason = str(exc)
    if reason is not None:
        pytest.fail(f"Docker cannot run on this machine, so the image was not tested: {reason}", pytrace=False)
    FACTS.update({f"{k} (s)": round(v, 1) for k, v in session.timings.items()})
    FACTS["base image"] = session.base
    try:
        yield session
    finally:
        session.stop()


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    if FACTS:
        terminalreporter.write_sep("-", "qualify container image")
        for key, value in FACTS.items():
            terminalreporter.write_line(f"{key}: {value}")
