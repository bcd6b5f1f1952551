"""Properties of the parsers and escapers over generated input (hypothesis).

Example counts stay modest so CI stays fast; `tests/fuzz/fuzz.py` runs the same targets for minutes.
Set HYPOTHESIS_PROFILE=long for a deeper local run.
"""

from __future__ import annotations

import difflib
import os
import re
import sys
import unicodedata
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "fuzz"))

from builders import case, defect, entry, verdict_of  # noqa: E402
from mutate import SEEDS_TRACKING, SEEDS_XML, mutate  # noqa: E402

from qualify.core.matching import SEP, _Closeness, _lcs_length, canonical  # noqa: E402
from qualify.core.model import JobCounts  # noqa: E402
from qualify.errors import QualifyError  # noqa: E402
from qualify.render.markdown import md, md_cell, render_markdown, render_summary  # noqa: E402
from qualify.render.workflow_commands import command, escape_data, plain, redact  # noqa: E402
from qualify.results.junit import read_testcases  # noqa: E402
from qualify.tracking.parse import parse_tracking  # noqa: E402

settings.register_profile(
    "ci", max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "long", max_examples=5_000, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# Text that likes the characters that matter here: controls, command markers, Markdown and HTML.
NASTY = st.lists(
    st.one_of(
        st.sampled_from(["\n", "\r", "\r\n", "::", "##[", "%", "|", "\\", "<", ">", "`", "*", "\u2028", "\x00", " "]),
        st.text(max_size=5),
    ),
    max_size=25,
).map("".join)


def _read_all(path: Path) -> None:
    counts = JobCounts()
    for _ in read_testcases(str(path), path.name, "real", counts):
        pass


@given(data=st.binary(max_size=4096))
def test_random_bytes_only_ever_raise_qualify_error(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("rb") / "r.xml"
    path.write_bytes(data)
    try:
        _read_all(path)
    except QualifyError as exc:
        assert exc.path == "r.xml" and exc.message  # names the file, says what is wrong


@given(seed=st.sampled_from(sorted(SEEDS_XML)), rnd=st.randoms(use_true_random=False))
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
def test_mutated_junit_only_ever_raises_qualify_error(tmp_path_factory, seed, rnd):
    data = mutate(SEEDS_XML[seed], rnd)
    path = tmp_path_factory.mktemp("mx") / "r.xml"
    path.write_bytes(data)
    try:
        _read_all(path)
    except QualifyError:
        pass


@given(text=st.text(max_size=2000))
def test_random_text_never_raises_from_parse_tracking(text):
    read = parse_tracking(text, "docs/issues/ISSUE-1/TRACKING.md")
    assert read.defect is None or read.invalid is None


@given(seed=st.sampled_from(sorted(SEEDS_TRACKING)), rnd=st.randoms(use_true_random=False))
def test_mutated_tracking_never_raises(seed, rnd):
    data = mutate(SEEDS_TRACKING[seed], rnd)
    text = data.decode("utf-8", errors="replace")
    read = parse_tracking(text, "docs/issues/ISSUE-462/TRACKING.md")
    if read.invalid is not None:
        assert read.invalid.code == "tracking-invalid" and read.invalid.line is not None


def _unescape_data(value: str) -> str:
    # The runner's order (ActionCommand.UnescapeData)
    return value.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")


@given(message=NASTY, title=NASTY, file=NASTY)
def test_a_command_is_one_line_and_carries_the_text(message, title, file):
    line = command("error", message, title=title, file=file, line=3)
    assert "\n" not in line and "\r" not in line
    assert line.startswith("::error ")
    head, _, data = line[2:].partition("::")
    assert "::" not in head  # properties cannot end the command early
    assert _unescape_data(data) == message.replace("##[", "## [")


@given(text=NASTY)
def test_plain_text_cannot_become_a_command(text):
    out = plain(text)
    assert "\n" not in out and "\r" not in out and "\u2028" not in out
    assert not out.lstrip().startswith("::")
    assert "##[" not in out
    assert "\n" not in escape_data(text)


# Text around token shapes: prefixes, word and non-word neighbours, the alphanumeric tails.
TOKENISH = st.lists(
    st.one_of(
        st.sampled_from(
            ["ghp_", "gho_", "ghu_", "ghs_", "ghr_", "ghx_", "github_pat_", "g", "gh", "xg", "_", "é", " ", "/"]
        ),
        st.text(alphabet="aZ09", min_size=18, max_size=24),  # about the 20 characters a token needs
        st.text(alphabet="a_-é", min_size=1, max_size=3),
    ),
    max_size=12,
).map("".join)
_TOKEN_REFERENCE = re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})")


@given(text=TOKENISH)
def test_token_redaction_is_the_word_boundary_pattern(text):
    """The redaction regex is rewritten for speed (workflow._TOKEN_SHAPE); it must mask exactly what
    the plain `\\b(?:gh…|github_pat_…)` pattern masks."""
    assert redact(text) == _TOKEN_REFERENCE.sub("***", text)


# Names with every separator canonical() knows, near-misses of them, and Unicode whitespace.
SEPARATED = st.lists(
    st.one_of(
        st.sampled_from(["›", "»", "▸", "::", ":", ">", " > ", " >", "> ", "\u00a0", "\u3000", "\t", " ", "e\u0301"]),
        st.text(max_size=4),
    ),
    max_size=12,
).map("".join)


@given(text=SEPARATED)
def test_canonical_is_the_separator_regex(text):
    """canonical() skips its separator regex when no separator can be present; the result must be
    what always running it gives."""
    spaced = " ".join(unicodedata.normalize("NFC", text).split())
    reference = re.sub(r"\s*(?:›|»|▸|::|\s>\s)\s*", SEP, spaced).strip()
    assert canonical(text) == reference


def _lcs_reference(a: str, b: str) -> int:
    row = [0] * (len(b) + 1)
    for x in a:
        diagonal = 0
        for j, y in enumerate(b, 1):
            diagonal, row[j] = row[j], diagonal + 1 if x == y else max(row[j], row[j - 1])
    return row[-1]


WORDY = st.text(alphabet="ab c›", max_size=30)


@given(a=WORDY, b=WORDY)
def test_lcs_length_is_the_longest_common_subsequence(a, b):
    assert _lcs_length(a, b) == _lcs_reference(a, b)


@given(title=WORDY, name=WORDY, floor=st.sampled_from([0.0, 0.3, 0.5, 0.8]))
def test_similarity_is_exact_at_or_above_its_floor(title, name, floor):
    """The bounds only skip work: what counts is difflib's ratio against the name or a trailing part."""
    parts = canonical(name).split(SEP)
    forms = [SEP.join(parts[i:]) for i in range(len(parts))]
    exact = max(difflib.SequenceMatcher(None, form, title).ratio() for form in forms)
    bounded = _Closeness(title).similarity(name, floor)
    assert bounded == exact if exact >= floor else bounded < floor


def _cells(row: str) -> int:
    """Cells of a GFM table row: a backslash escapes the next character, other pipes split."""
    return len(re.findall(r"(?:\\.|[^|\\])*\|", row[1:]))


@given(text=NASTY)
def test_md_keeps_a_table_cell_one_cell(text):
    cell = md(text)
    assert "\n" not in cell and "\r" not in cell and "<" not in cell
    assert _cells(f"| {cell} | x |") == 2


@given(text=st.one_of(NASTY, st.text(alphabet="ab_|<*", min_size=20, max_size=400)), every=st.integers(1, 30))
def test_md_cell_is_md_with_break_points_only(text, every):
    """Table cells may break long words at <wbr>; the escaped text itself is md()'s, fast path or not."""
    cell = md_cell(text, every=every)
    assert cell.replace("<wbr>", "") == md(text)
    assert "\n" not in cell and "<" not in cell.replace("<wbr>", "")


@given(title=NASTY.filter(lambda t: t.strip()), defect_title=NASTY)
@settings(max_examples=30)
def test_summary_rows_stay_intact_whatever_the_title(title, defect_title):
    title = " ".join(title.split()) or "t"
    d = defect(entry(title, jobs=["mock"]), title=defect_title)
    verdict = verdict_of([d], [case(title), case("other", job="real")])
    text = render_summary(verdict)
    width = None
    for line in text.splitlines():  # every row of every table as wide as its header
        if not line.startswith("|"):
            width = None
            continue
        width = width or _cells(line)
        assert _cells(line) == width, line
    assert "<script" not in text.lower()
    # The PR comment's list: the defect on one line, its one declared test on one item, nothing raw.
    comment = render_markdown(verdict, None, layout="list", max_chars=65_536)
    lines = comment.splitlines()
    assert re.match(r"(✅|❌) \*\*\[#462\]\(", lines[2]) and lines[3] == ""
    assert re.match(r"- (✅|❌|❓|⏭️) (\*\*)?Mock: ", lines[4]) and lines[4].endswith("”") and lines[5] == ""
    for line in lines[2], lines[4]:
        assert not re.search(r"<(?!br>|code>|/code>)", line), line  # only our own tags
    assert "<script" not in comment.lower()


@given(rnd=st.randoms(use_true_random=False), data=st.data())
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
def test_mutated_traces_stay_inside_the_workspace_and_bounded(tmp_path_factory, rnd, data):
    """The fuzzer's trace target: attachment references among links, a FIFO and a secret outside."""
    from fuzz import target_trace
    from mutate import SEEDS_TRACE

    seed = data.draw(st.sampled_from(sorted(SEEDS_TRACE)))
    target_trace(mutate(SEEDS_TRACE[seed], rnd), tmp_path_factory.getbasetemp())
