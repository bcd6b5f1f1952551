"""The streaming reader (a parser target: libxml2 builds no tree, knows no positions) gives each kept
testcase the line libxml2 gives its element (`sourceline`, the line its start tag ends on), whatever
sits between testcases: comments, CDATA sections and processing instructions that hold `<testcase`,
start tags over several lines, `>` and quotes in attribute values, namespaced testcases, and bytes
fed in pieces that cut tags and sections anywhere (issue #18)."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from qualify.core.model import JobCounts
from qualify.results import junit

EXAMPLES = 3_000 if os.environ.get("HYPOTHESIS_PROFILE") == "long" else 200
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])

FILLERS = st.sampled_from(
    [
        "\n",
        "  ",
        "<!-- <testcase name='fake'/> -->",
        '<![CDATA[ <testcase name="fake"> ]]>',
        "<?pi <testcase ?>",
        "<system-out><![CDATA[\n<testcase\n]]></system-out>",
        "<properties><property name='a' value='&lt;testcase&gt;'/></properties>",
        '<x:testcase xmlns:x="urn:x" name="namespaced"/>',
        "<testcases/>",
        "text &amp; more\n",
    ]
)


@st.composite
def documents(draw) -> tuple[bytes, int]:
    parts = ['<?xml version="1.0"?>\n<testsuites>\n<testsuite name="s">\n']
    count = draw(st.integers(1, 8))
    for i in range(count):
        parts.append(draw(FILLERS))
        gap = draw(st.sampled_from([" ", "\n  ", "\n"]))
        attr = draw(st.sampled_from(['time="1"', 'note="a > b"', "q='say \"hi\" >'", 'multi="x\ny"']))
        body = draw(st.sampled_from(["", "<failure/>", "<system-out>\n</system-out>", "<skipped/>"]))
        close = "/>" if not body else f">{body}</testcase>"
        parts.append(f'<testcase{gap}name="t{i}"{gap}{attr}{close}\n')
    parts.append("</testsuite>\n</testsuites>\n")
    return "".join(parts).encode(), count


@SETTINGS
@given(doc=documents(), chunk=st.sampled_from([3, 7, 64, 1 << 16]), every=st.booleans())
def test_kept_testcases_get_libxml2s_line(tmp_path_factory, doc, chunk, every):
    data, _count = doc
    path = tmp_path_factory.mktemp("lines") / "r.xml"
    path.write_bytes(data)
    reference = [(e.get("name"), e.sourceline) for _, e in etree.iterparse(str(path), tag="testcase")]
    keep = None if every else (lambda name, _attrs: name.endswith(("1", "4", "7")))
    saved = junit._CHUNK
    junit._CHUNK = chunk  # pieces that cut tags, sections and attribute values anywhere
    try:
        got = [(c.name, c.line) for c in junit.read_testcases(str(path), "r.xml", "mock", JobCounts(), keep)]
    finally:
        junit._CHUNK = saved
    want = [(n, line) for n, line in reference if keep is None or keep(n, None)]
    assert got == want
