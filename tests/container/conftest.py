"""Fixtures of the container test: one private dockerd + base image + built image per session.

If Docker cannot be started here the fixture *fails* with the reason (never skips): the image is
what users run, so a run that could not test it must not look green.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from docker_env import FACTS, Session, session_or_fail, write_facts


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "container: builds the Docker image and runs it as the Actions runner does "
        "(needs root, docker.io and debootstrap; see tests/container/docker_env.py)",
    )


@pytest.fixture(scope="session")
def docker_session() -> Iterator[Session]:
    with session_or_fail("the image was not tested") as session:
        FACTS.update({f"{k} (s)": round(v, 1) for k, v in session.timings.items()})
        FACTS["base image"] = session.base
        yield session


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    write_facts(terminalreporter, "qualify container image", FACTS)
