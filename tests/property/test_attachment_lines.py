"""The streaming reader finds a captured testcase's `[[ATTACHMENT|path]]` lines as the text streams
past (no tree, issue #18): the same paths `refs_in` finds in the whole system-out, whatever pieces
libxml2 hands the text in (entity references cut it), however long its lines, while holding only a
bounded part of the line being read (merge of #18 with #19's attachment references)."""

from __future__ import annotations

import os
from xml.sax.saxutils import escape

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from qualify.core.model import JobCounts
from qualify.results import junit
from qualify.results.attachments import MAX_ATTACHMENTS, MAX_REF_CHARS, refs_in

EXAMPLES = 2_000 if os.environ.get("HYPOTHESIS_PROFILE") == "long" else 150
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])

LONG = 2 * (junit._REF_HEAD + junit._REF_TAIL)  # past this a line is squeezed
FRAGMENTS = st.sampled_from(
    [
        "[[ATTACHMENT|",
        "  [[ATTACHMENT|",
        "]]",
        "]] ",
        "\n",
        "\r",
        "\r\n",
        " ",
        "\t",
        "a.log",
        "dir/x y.txt",
        "say ",
        "]",
        "[",
        "p" * (MAX_REF_CHARS - 3),
        "q" * (LONG + 17),
        " " * (MAX_REF_CHARS + 40),
        " " * (LONG + 5),
    ]
)


def _pieces(text: str, cuts: list[int]) -> list[str]:
    points = sorted({c % (len(text) + 1) for c in cuts})
    out, last = [], 0
    for p in [*points, len(text)]:
        out.append(text[last:p])
        last = p
    return out


SPACES = st.sampled_from(["", " ", "\t ", " " * (MAX_REF_CHARS + 40), " " * (LONG + 5)])
CONTENT = st.sampled_from(["a.log", "x y", "]", "]]", "\r", "p" * (MAX_REF_CHARS - 3), "q" * (LONG + 17)])


@st.composite
def ref_lines(draw) -> str:
    """A line shaped like a reference, often long, with spaces, `]]` and `\r` where they matter."""
    content = "".join(draw(st.lists(st.one_of(CONTENT, SPACES), min_size=1, max_size=5)))
    end = draw(st.sampled_from(["]]", "]] ", "]]\r", "]] \r", "]", ""]))
    return draw(SPACES) + "[[ATTACHMENT|" + content + end + draw(SPACES) + draw(st.sampled_from(["", "\r"]))


@SETTINGS
@given(
    parts=st.lists(st.one_of(FRAGMENTS, ref_lines(), ref_lines().map(lambda line: line + "\n")), max_size=10),
    cuts=st.lists(st.integers(0, 1 << 20), max_size=12),
)
def test_ref_lines_find_what_refs_in_finds_in_the_whole_text(parts, cuts):
    text = "".join(parts)
    found: list[str] = []
    lines = junit._RefLines(found, MAX_ATTACHMENTS + 1)
    for piece in _pieces(text, cuts):
        lines.add(piece)
        assert lines.size <= 2 * (junit._REF_HEAD + junit._REF_TAIL) + len(piece)
    lines.close()
    assert found == list(refs_in(text, MAX_ATTACHMENTS + 1))


def test_a_long_reference_line_keeps_its_cut_path_and_a_huge_text_is_not_held():
    path = "d/" + "p" * 5000 + ".log"
    text = "x\n   [[ATTACHMENT|" + path + "]]  \t \r\n" + "y" * 3_000_000 + "\n[[ATTACHMENT|b]]"
    found: list[str] = []
    lines = junit._RefLines(found, MAX_ATTACHMENTS + 1)
    for i in range(0, len(text), 7):  # small pieces, as entity references make them
        lines.add(text[i : i + 7])
        assert lines.size <= 2 * (junit._REF_HEAD + junit._REF_TAIL) + 7
    lines.close()
    assert found == list(refs_in(text)) == [path[: MAX_REF_CHARS + 1], "b"]


SYSTEM_OUTS = st.lists(
    st.lists(
        st.sampled_from(["[[ATTACHMENT|a&b.log]]", "say [[ATTACHMENT|no]]", "x", "  [[ATTACHMENT|t/r.txt]] ", ""]),
        max_size=6,
    ),
    max_size=3,
)


def _reference(path: str, wanted: set[str]) -> dict[str, tuple[str, ...]]:
    """The paths main's tree reader took: `refs_in` over each direct system-out child's text."""
    out = {}
    for _, tc in etree.iterparse(path, tag="testcase"):
        name = tc.get("name")
        if name not in wanted:
            continue
        refs: list[str] = []
        for child in tc:
            if child.tag == "system-out" and child.text and len(refs) <= MAX_ATTACHMENTS:
                refs.extend(refs_in(child.text, MAX_ATTACHMENTS + 1 - len(refs)))
        out[name] = tuple(refs)
    return out


@SETTINGS
@given(
    cases=st.lists(SYSTEM_OUTS, min_size=1, max_size=5),
    cdata=st.booleans(),
    repeat=st.integers(1, 20),
    chunk=st.sampled_from([5, 64, 1 << 16]),
)
def test_captured_testcases_carry_the_attachment_lines_of_their_system_out(
    tmp_path_factory, cases, cdata, repeat, chunk
):
    body = ['<?xml version="1.0"?>\n<testsuites><testsuite name="s">\n']
    for i, outs in enumerate(cases):
        body.append(f'<testcase name="t{i}">')
        for lines in outs:
            text = "\n".join(lines * repeat)
            body.append(
                f"<system-out><![CDATA[{text}]]></system-out>" if cdata else f"<system-out>{escape(text)}</system-out>"
            )
        body.append("</testcase>\n")
    body.append("</testsuite></testsuites>\n")
    path = tmp_path_factory.mktemp("refs") / "r.xml"
    path.write_text("".join(body))
    captured = {f"t{i}" for i in range(0, len(cases), 2)}
    saved = junit._CHUNK
    junit._CHUNK = chunk
    try:
        got = {
            c.name: c.attachments
            for c in junit.read_testcases(str(path), "r.xml", "real", JobCounts(), capture=lambda n: n in captured)
        }
    finally:
        junit._CHUNK = saved
    want = _reference(str(path), captured)
    assert {n: got[n] for n in captured} == want
    assert all(got[n] == () for n in got if n not in captured)  # not captured: nothing read
