"""Edge cases of the non-JUnit readers and the streaming JSON walker (real files: tests/test_formats.py)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qualify.core.model import JobCounts, Outcome
from qualify.errors import QualifyError
from qualify.results.common import BoundedText, split_dotted, strip_class
from qualify.results.formats import detect, read_testcases
from qualify.results.jsonstream import JsonStream

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def read(tmp_path: Path, name: str, data: str | bytes, keep=None, capture=False):
    p = tmp_path / name
    p.write_bytes(data.encode() if isinstance(data, str) else data)
    counts = JobCounts()
    return list(read_testcases(str(p), name, "real", counts, keep, capture)), counts


# ------------------------------------------------------------------------------ JSON walker

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner, max_size=5),
    max_leaves=30,
)


@settings(max_examples=200, deadline=None)
@given(tests=st.lists(json_values, max_size=8), chunk=st.integers(1, 17), indent=st.sampled_from([None, 0, 2]))
def test_walker_reads_each_element_as_json_loads_does(tests, chunk, indent):
    text = json.dumps({"a": [1, {"b": "ü\n"}], "results": {"tests": tests}}, indent=indent, ensure_ascii=False)
    js = JsonStream(io.BytesIO(text.encode()), "t.json", chunk=chunk)
    got = {}
    for key in js.members():
        if key == "results":
            for inner in js.members():
                got[inner] = [js.value() for _ in js.items()]
        else:
            got[key] = js.value()
    assert js.at_end()
    assert got == {"a": [1, {"b": "ü\n"}], "tests": tests}


def test_walker_counts_lines_and_names_them_in_errors():
    text = '{\n  "results": {\n    "tests": [\n      {"name": "a"},\n      {"name": "b"} oops\n'
    js = JsonStream(io.BytesIO(text.encode()), "t.json", chunk=3)
    with pytest.raises(QualifyError) as err:
        for _ in js.members():
            for _ in js.members():
                for _line in js.items():
                    js.value()
    assert str(err.value).startswith("t.json:5: malformed JSON: expected ',' or ']' in an array")


def test_walker_bom_and_bad_utf8():
    js = JsonStream(io.BytesIO(b'\xef\xbb\xbf{"x": 1}'), "t.json")
    assert [(k, js.value()) for k in js.members()] == [("x", 1)]
    with pytest.raises(QualifyError, match="not valid UTF-8"):
        JsonStream(io.BytesIO(b'{"x": "\xff"}'), "t.json").value()


def test_a_number_cut_by_a_chunk_is_read_whole():
    js = JsonStream(io.BytesIO(b"123456789"), "t.json", chunk=2)
    assert js.value() == 123456789


# ------------------------------------------------------------------------------- helpers


def test_bounded_text_keeps_head_and_tail():
    b = BoundedText(limit=20)
    for i in range(100):
        b.add(f"{i:03d}\n")
    text = b.text()
    assert text.startswith("000\n001\n") and text.endswith("098\n099\n") and "…" in text and len(text) < 40
    small = BoundedText(limit=20)
    small.add("ab")
    small.add("cd")
    assert small.text() == "abcd"
    huge = BoundedText(limit=20)
    huge.add("x" * 10_000)
    assert len(huge.text()) < 40


def test_class_prefixes():
    assert strip_class("Ns.C.M(x: 1)", "Ns.C") == "M(x: 1)"
    assert strip_class("Ns.CX.M", "Ns.C") == "Ns.CX.M"
    assert strip_class("Custom Name", "Ns.C") == "Custom Name"
    assert split_dotted("Ns.C.M(1.5)") == ("Ns.C", "M(1.5)")
    assert split_dotted("Ns.C.6b. Issue #462") == ("Ns.C", "6b. Issue #462")


# ---------------------------------------------------------------------------------- go test


def _events(*events: dict) -> str:
    return "".join(json.dumps(e, separators=(",", ":")) + "\n" for e in events)


def test_go_output_is_skipped_undecoded_only_when_nobody_captures(tmp_path):
    log = _events(
        {"Action": "run", "Package": "p", "Test": "TestA"},
        {"Action": "output", "Package": "p", "Test": "TestA", "Output": "hello\n"},
        {"Action": "pass", "Package": "p", "Test": "TestA"},
    )
    (plain,), _ = read(tmp_path, "a.json", log)
    (kept,), _ = read(tmp_path, "b.json", log, capture=True)
    assert plain.outcome is kept.outcome is Outcome.PASSED
    assert plain.output == "" and kept.output == "hello\n"
    # A line whose Action is given twice is decoded (json keeps the last): never skipped as output.
    twice = '{"Action":"output","Package":"p","Test":"TestA","Action":"fail"}\n'
    (case,), _ = read(tmp_path, "c.json", _events({"Action": "run", "Package": "p", "Test": "TestA"}) + twice)
    assert case.outcome is Outcome.FAILED


def test_go_package_failure_without_a_failed_test_is_one_failed_testmain(tmp_path):
    log = (
        _events(
            {"Action": "run", "Package": "m/p", "Test": "TestA"},
            {"Action": "pass", "Package": "m/p", "Test": "TestA"},
            {"Action": "fail", "Package": "m/p"},  # TestMain exited 1
        )
        + "FAIL\tm/q [build failed]\nFAIL\tm/q [build failed]\n"
    )
    cases, counts = read(tmp_path, "g.json", log)
    assert [(c.name, c.classname, c.outcome) for c in cases] == [
        ("TestA", "m/p", Outcome.PASSED),
        ("TestMain", "m/p", Outcome.FAILED),
        ("TestMain", "m/q", Outcome.FAILED),
    ]
    assert counts.failed == 2


def test_go_rerun_before_the_end_fails_the_first_run(tmp_path):
    log = _events(
        {"Action": "run", "Package": "p", "Test": "TestA"},
        {"Action": "run", "Package": "p", "Test": "TestA"},
        {"Action": "pass", "Package": "p", "Test": "TestA"},
    )
    cases, _ = read(tmp_path, "g.json", log)
    assert [c.outcome for c in cases] == [Outcome.FAILED, Outcome.PASSED]


def test_go_build_output_events_of_go_1_24(tmp_path):
    log = _events(
        {"ImportPath": "m/q [m/q.test]", "Action": "build-output", "Output": "# m/q\n"},
        {"ImportPath": "m/q [m/q.test]", "Action": "build-fail"},
        {"Action": "start", "Package": "m/q"},
        {"Action": "fail", "Package": "m/q", "FailedBuild": "m/q [m/q.test]"},
    )
    cases, _ = read(tmp_path, "g.json", log)
    assert [(c.name, c.outcome) for c in cases] == [("TestMain", Outcome.FAILED)]


# ------------------------------------------------------------------------- TRX, NUnit, xUnit


def test_trx_data_rows_count_not_their_parent(tmp_path):
    trx = (
        '<TestRun xmlns="http://microsoft.com/schemas/VisualStudio/TeamTest/2010"><Results>'
        '<UnitTestResult testId="t1" testName="Adds" outcome="Failed"><InnerResults>'
        '<UnitTestResult testId="t1" testName="Adds (1,2)" outcome="Passed"/>'
        '<UnitTestResult testId="t1" testName="Adds (2,2)" outcome="Failed"/>'
        "</InnerResults></UnitTestResult></Results>"
        '<TestDefinitions><UnitTest id="t1" name="Adds"><TestMethod className="Ns.Calc" name="Adds"/></UnitTest>'
        "</TestDefinitions></TestRun>"
    )
    cases, counts = read(tmp_path, "r.trx", trx)
    assert [(c.classname, c.name, c.outcome) for c in cases] == [
        ("Ns.Calc", "Adds (1,2)", Outcome.PASSED),
        ("Ns.Calc", "Adds (2,2)", Outcome.FAILED),
    ]
    assert counts.testcases == 2


def test_trx_keep_sees_the_name_without_its_class(tmp_path):
    trx = (
        '<TestRun><Results><UnitTestResult testId="t1" testName="Ns.Calc.Adds" outcome="Passed"/></Results>'
        '<TestDefinitions><UnitTest id="t1"><TestMethod className="Ns.Calc"/></UnitTest></TestDefinitions></TestRun>'
    )
    seen: list[str] = []
    (case,), _ = read(tmp_path, "r.trx", trx, keep=lambda n: seen.append(n) or n == "Adds")
    assert case.name == "Adds" and case.classname == "Ns.Calc" and seen == ["Ns.Calc.Adds", "Adds"]


@pytest.mark.parametrize(
    ("doc", "key"),
    [
        ("<test-run/>", "nunit"),
        ("<test-results/>", "nunit"),
        ("<test-suite type='Assembly'/>", "nunit"),
        ("<assemblies/>", "xunit"),
        ("<assembly/>", "xunit"),
        ("<TestRun xmlns='urn:x'/>", "trx"),
        ("\ufeff  <testsuites/>", "junit"),
        ('{"Time":"x","Action":"start","Package":"p"}\n', "gotest"),
        ('{"reportFormat":"CTRF","specVersion":"0.0.0","results":{"tests":[]}}', "ctrf"),
        ('{"extra": {"Action": 1}, "results": {"tests": []}}', "ctrf"),
    ],
)
def test_detect(tmp_path, doc, key):
    p = tmp_path / "f"
    p.write_text(doc, encoding="utf-8")
    assert detect(str(p), "f").key == key


def test_empty_results_of_each_format_read_as_zero_tests(tmp_path):
    for name, doc in [
        ("a.xml", "<test-run/>"),
        ("b.xml", "<assemblies/>"),
        ("c.trx", "<TestRun/>"),
        ("d.json", '{"results":{"tests":[]}}'),
        ("e.json", '{"Action":"start","Package":"p"}\n{"Action":"skip","Package":"p"}\n'),
    ]:
        cases, counts = read(tmp_path, name, doc)
        assert cases == [] and counts.testcases == 0 and counts.files == 1, name
