"""The peers' way: junitparser.JUnitXml.fromfile loads each file whole, then every case is visited."""

from __future__ import annotations

import sys

from junitparser import JUnitXml, TestSuite


def _suites(xml: JUnitXml | TestSuite):
    if isinstance(xml, TestSuite):
        yield xml
    else:
        yield from xml


def count(paths: list[str]) -> tuple[int, int]:
    total = failed = 0
    for path in paths:
        for suite in _suites(JUnitXml.fromfile(path)):
            for case in suite:
                total += 1
                failed += bool(case.name is not None and case.result and not case.is_skipped and not case.is_passed)
    return total, failed


if __name__ == "__main__":
    print(*count(sys.argv[1:]))
