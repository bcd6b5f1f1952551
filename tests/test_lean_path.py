"""The lean classification in qualify.results.junit reads outcomes exactly as junitparser's xunit2 model does.

qualify.results.junit skips junitparser's objects for speed (issue #6). The reference here is the previous
reader: each testcase, in the order its end tag arrives, handed to `xunit2.TestCase.fromelem` and
then cleared. Random documents mix result elements at any depth, nested and stray ones, so the
shortcut (only testcases after a result end are read in full) is exercised where it could go wrong.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from junitparser import xunit2
from lxml import etree

from qualify.core.model import JobCounts, Outcome
from qualify.results.junit import read_testcases

RESULTS = ("failure", "error", "skipped", "rerunFailure", "rerunError", "flakyFailure", "flakyError")
OTHERS = ("system-out", "system-err", "properties", "property", "stackTrace", "attachment")


def _reference(xml: bytes) -> dict[str, tuple[Outcome, bool]]:
    out: dict[str, tuple[Outcome, bool]] = {}
    for _, elem in etree.iterparse(_BytesFile(xml), events=("end",)):
        if elem.tag != "testcase":
            continue
        disabled = elem.get("status") == "disabled"
        if len(elem) == 0:
            got = (Outcome.SKIPPED if disabled else Outcome.PASSED, False)
        else:
            case = xunit2.TestCase.fromelem(elem)
            if case.is_failure or case.is_error:
                got = (Outcome.FAILED, False)
            elif case.is_skipped or disabled:
                got = (Outcome.SKIPPED, False)
            else:
                got = (Outcome.PASSED, bool(case.interim_result))
        out[elem.get("name")] = got
        elem.clear()
    return out


class _BytesFile:
    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def read(self, n: int = -1) -> bytes:
        chunk = self.data[self.pos :] if n < 0 else self.data[self.pos : self.pos + n]
        self.pos += len(chunk)
        return chunk


@st.composite
def _children(draw, depth: int, counter: list[int]) -> str:
    parts = []
    for _ in range(draw(st.integers(0, 3 if depth < 2 else 0))):
        kind = draw(st.sampled_from(("result", "other", "testcase", "text")))
        if kind == "text":
            parts.append("log &amp; text")
        elif kind == "testcase" and depth < 2:
            parts.append(draw(_testcase(depth + 1, counter)))
        else:
            tag = draw(st.sampled_from(RESULTS if kind == "result" else OTHERS))
            parts.append(f"<{tag}>{draw(_children(depth + 1, counter))}</{tag}>")
    return "".join(parts)


@st.composite
def _testcase(draw, depth: int, counter: list[int]) -> str:
    counter[0] += 1
    name = f"t{counter[0]}"
    status = ' status="disabled"' if draw(st.booleans()) and draw(st.booleans()) else ""
    return f'<testcase name="{name}"{status}>{draw(_children(depth, counter))}</testcase>'


@st.composite
def _document(draw) -> bytes:
    counter = [0]
    body = []
    for _ in range(draw(st.integers(1, 6))):
        if draw(st.integers(0, 4)) == 0:  # a stray result or other element between testcases
            tag = draw(st.sampled_from(RESULTS + OTHERS))
            body.append(f"<{tag}/>")
        else:
            body.append(draw(_testcase(0, counter)))
    root = draw(st.sampled_from(("testsuites", "testsuite")))
    inner = "".join(body)
    if root == "testsuites":
        inner = f'<testsuite name="s">{inner}</testsuite>'
    return f"<{root}>{inner}</{root}>".encode()


@settings(max_examples=200, deadline=None)
@given(_document())
def test_lean_path_reads_outcomes_as_junitparser_does(tmp_path_factory, xml):
    path = tmp_path_factory.getbasetemp() / "lean-path.xml"  # one file, rewritten per example
    path.write_bytes(xml)
    counts = JobCounts()
    got = {c.name: (c.outcome, c.flaky) for c in read_testcases(str(path), "r.xml", "real", counts)}
    expected = _reference(xml)
    assert got == expected, xml.decode()
    outcomes = list(expected.values())
    assert counts.testcases == len(outcomes)
    assert counts.failed == sum(o is Outcome.FAILED for o, _ in outcomes)
    assert counts.skipped == sum(o is Outcome.SKIPPED for o, _ in outcomes)
    assert counts.flaky == sum(f for _, f in outcomes)
