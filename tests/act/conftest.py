"""Fixtures of the act test: act itself and the Docker session of tests/container.

The daemon, base image and qualify image come from ``tests/container/docker_env.py`` (one
``Session`` per test module, so that tests/container, run after this folder, finds the persistent
data-root free again).  If act or Docker cannot start here the fixture *fails* with the reason:
a recipe that could not be run must not look proven.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "container"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
# The loopback REST stand-in of the GitHub tests, for recipes that use the API.
sys.path.append(str(Path(__file__).resolve().parent.parent / "github"))

from act_run import ACT_FACTS, ActEnv, ActUnavailable, act_version, find_act, remove_act_leftovers
from docker_env import session_or_fail, write_facts


@pytest.fixture(scope="module")
def act_env() -> Iterator[ActEnv]:
    try:
        act = find_act()
        version = act_version(act)
    except ActUnavailable as exc:
        pytest.fail(f"act cannot run on this machine, so the recipes were not run: {exc}", pytrace=False)
    with session_or_fail("the recipes were not run under act") as session:
        ACT_FACTS["act"] = f"{version} ({act})"
        ACT_FACTS["base image (job containers)"] = session.base
        ACT_FACTS.update({f"docker setup: {k} (s)": round(v, 1) for k, v in session.timings.items()})
        # The data-root persists between runs: what an interrupted earlier run left is not this run's
        # fault, so it is cleared (and said) before the first recipe, which then sees only its own.
        ACT_FACTS["leftovers of earlier runs removed"] = len(remove_act_leftovers(session.daemon.docker))
        yield ActEnv(act, version, session)


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    write_facts(terminalreporter, "example workflows under act", ACT_FACTS)
