import pytest

from qualify.core.model import JobCounts, Outcome
from qualify.errors import QualifyError
from qualify.results.junit import read_testcases


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
        keep=lambda n, _element: n == "b",
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


CAPTURE = """<testsuites><testsuite name="s">
  <testcase name="with" classname="c">
    <properties><property name="upstream" value="https://api.example.com"/><property name="note">as text</property>
    </properties>
    <system-out>POST /v1/charge -> 200</system-out><system-err>not evidence</system-err>
  </testcase>
  <testcase name="plain" classname="c"/>
</testsuite></testsuites>"""


def test_capture_keeps_properties_and_system_out_of_kept_cases(tmp_path):
    p = tmp_path / "r.xml"
    p.write_text(CAPTURE)
    cases = list(read_testcases(str(p), "r.xml", "real", JobCounts(), capture=True))
    assert cases[0].properties == (("upstream", "https://api.example.com"), ("note", "as text"))
    assert cases[0].output == "POST /v1/charge -> 200"
    assert (cases[1].properties, cases[1].output) == ((), "")


def test_no_capture_by_default(tmp_path):
    cases, _ = read(tmp_path, CAPTURE)
    assert (cases[0].properties, cases[0].output) == ((), "")


def test_capture_is_bounded(tmp_path):
    from qualify.results.junit import MAX_OUTPUT_CHARS, MAX_PROPERTIES, MAX_PROPERTY_CHARS

    head, tail = "HEAD" + "x" * MAX_OUTPUT_CHARS, "y" * MAX_OUTPUT_CHARS + "TAIL"
    props = "".join(
        f'<property name="p{i}" value="{"v" * (MAX_PROPERTY_CHARS * 2)}"/>' for i in range(MAX_PROPERTIES + 5)
    )
    xml = f"<testsuite><testcase name='t'><properties>{props}</properties><system-out>{head}{tail}</system-out></testcase></testsuite>"
    p = tmp_path / "r.xml"
    p.write_text(xml)
    (c,) = read_testcases(str(p), "r.xml", "real", JobCounts(), capture=True)
    assert len(c.properties) == MAX_PROPERTIES
    assert all(len(v) <= MAX_PROPERTY_CHARS + 3 for _, v in c.properties)
    assert len(c.output) <= MAX_OUTPUT_CHARS + 3
    assert c.output.startswith("HEAD") and c.output.endswith("TAIL")  # both ends kept: logs end with the result
