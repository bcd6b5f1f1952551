import pytest

from qualify.errors import QualifyError
from qualify.junit import read_testcases
from qualify.model import JobCounts, Outcome


def read(tmp_path, xml: str | bytes, keep=None):
    p = tmp_path / "r.xml"
    p.write_bytes(xml.encode() if isinstance(xml, str) else xml)
    counts = JobCounts()
    return list(read_testcases(str(p), "r.xml", "real", counts, keep)), counts


def test_outcomes_and_counts(tmp_path):
    cases, counts = read(
        tmp_path,
        """<?xml version="1.0"?>
<testsuites><testsuite name="suite" file="a.js">
  <testcase name="ok" classname="c"><system-out>log</system-out></testcase>
  <testcase name="skip" classname="c"><skipped/></testcase>
  <testcase name="fail" classname="c"><failure message="boom">trace</failure></testcase>
  <testcase name="error" classname="c"><error/></testcase>
  <testcase name="both" classname="c"><skipped/><failure/></testcase>
  <testcase name="flaky" classname="c"><flakyFailure message="x"/></testcase>
  <testcase name="rerun-failed" classname="c"><failure/><rerunFailure/></testcase>
</testsuite></testsuites>""",
    )
    got = {c.name: (c.outcome, c.flaky) for c in cases}
    assert got == {
        "ok": (Outcome.PASSED, False),
        "skip": (Outcome.SKIPPED, False),
        "fail": (Outcome.FAILED, False),
        "error": (Outcome.FAILED, False),
        "both": (Outcome.FAILED, False),
        "flaky": (Outcome.PASSED, True),
        "rerun-failed": (Outcome.FAILED, False),
    }
    assert (counts.testcases, counts.passed, counts.failed, counts.skipped, counts.flaky, counts.files) == (
        7,
        2,
        4,
        1,
        1,
        1,
    )
    assert all(c.file == "a.js" and c.job == "real" for c in cases)


def test_bare_testsuite_root_and_nested_suites(tmp_path):
    cases, _ = read(
        tmp_path, '<testsuite name="outer"><testsuite name="inner"><testcase name="t"/></testsuite></testsuite>'
    )
    assert cases[0].suites == ("outer", "inner")


def test_keep_filters_but_counts_everything(tmp_path):
    cases, counts = read(
        tmp_path,
        '<testsuites><testsuite><testcase name="a"/><testcase name="b"/></testsuite></testsuites>',
        keep=lambda n: n == "b",
    )
    assert [c.name for c in cases] == ["b"] and counts.testcases == 2


@pytest.mark.parametrize(
    ("xml", "fragment"),
    [
        (b"", "malformed XML"),
        (b"<testsuites><testsuite><testcase name='a'>", "malformed XML"),
        (b"<html><body/></html>", "root element is <html>"),
        (b"\x00\x01binary", "malformed XML"),
        (
            b'<!DOCTYPE x [<!ENTITY a "aaaa">]><testsuites><testsuite><testcase name="&a;"/></testsuite></testsuites>',
            "DOCTYPE",
        ),
        (
            b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><testsuites><testcase name="&e;"/></testsuites>',
            "DOCTYPE",
        ),
    ],
)
def test_broken_files_raise_a_located_error(tmp_path, xml, fragment):
    with pytest.raises(QualifyError) as exc:
        read(tmp_path, xml)
    assert fragment in str(exc.value)
    assert exc.value.path == "r.xml"
    assert "root:" not in str(exc.value)  # /etc/passwd content never leaks


def test_missing_file_is_a_qualify_error(tmp_path):
    with pytest.raises(QualifyError, match=r"cannot read|malformed"):
        list(read_testcases(str(tmp_path / "nope.xml"), "nope.xml", "mock", JobCounts()))
