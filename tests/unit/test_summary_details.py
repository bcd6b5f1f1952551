"""Long job summaries fold the less urgent part into <details>; short ones stay flat."""

import re

from builders import TODAY, case, defect, entry

from qualify.core.matching import Matcher
from qualify.core.model import JobCounts, Outcome, TrackingRead
from qualify.core.policy import PolicyConfig, evaluate, select_defects
from qualify.render.markdown import COLLAPSE_ROWS, fit, render_summary


def _verdict(passing: int, failing: int, title: str = "test {n}"):
    defects = [defect(entry(title.format(n=n), jobs=["mock"]), issue=n) for n in range(1, passing + failing + 1)]
    reads = [TrackingRead(path=d.tracking, defect=d) for d in defects]
    cfg = PolicyConfig(today=TODAY)
    selected, sel = select_defects(reads, cfg)
    matcher = Matcher(selected)
    counts = {"mock": JobCounts(), "real": JobCounts()}
    for n in range(1, passing + failing + 1):
        c = case(title.format(n=n), outcome=Outcome.PASSED if n <= passing else Outcome.FAILED)
        counts["mock"].add(c)
        if matcher.wants(c.name):
            matcher.add(c)
    return evaluate(reads, selected, sel, matcher.book, counts, cfg)


def _blocks(text: str) -> list[str]:
    return re.findall(r"<details>\n<summary>.*?</summary>\n\n.*?\n\n</details>\n", text, re.S)


def test_a_short_report_has_no_details():
    text = render_summary(_verdict(passing=3, failing=2))
    assert "<details>" not in text
    assert text.count("| ✅ [#") == 3 and text.count("| ❌ [#") == 2


def test_a_long_report_keeps_failures_open_and_folds_qualified_defects():
    text = render_summary(_verdict(passing=30, failing=2))
    (block,) = _blocks(text)
    assert "<summary>✅ 30 qualified defect(s), 30 declared test(s)</summary>" in block
    assert block.count("| ✅ [#") == 30 and "❌" not in block
    outside = text.replace(block, "")
    assert outside.count("| ❌ [#") == 2 and "| ✅ [#" not in outside
    assert outside.index("| ❌ [#") < outside.index("### What to fix")
    issues = [int(n) for n in re.findall(r"\| ✅ \[#(\d+)\]", block)]
    assert issues == sorted(issues) and issues[:3] == [1, 2, 3]  # numeric, not path order (10 before 2)
    # The table inside <details> needs its own header to render.
    assert block.count("| Defect | Rules | Declared test | Kind | Mock | Real API |") == 1


def test_many_problems_show_the_first_ones_and_fold_the_rest():
    verdict = _verdict(passing=0, failing=40)
    text = render_summary(verdict)
    fix = text[text.index("### What to fix") :]
    blocks = _blocks(fix)
    assert len(blocks) == 1
    shown = fix.replace(blocks[0], "")
    assert shown.count("\n- **") == COLLAPSE_ROWS
    rest = len(verdict.problems) - COLLAPSE_ROWS
    assert rest > 0 and blocks[0].count("\n- **") == rest
    assert f"<summary>{rest} more problem(s)</summary>" in blocks[0]


def test_untrusted_names_stay_escaped_inside_details():
    text = render_summary(_verdict(passing=30, failing=0, title="<details>{n} | </details>"))
    lines = text.splitlines()
    assert lines.count("<details>") == 1 and lines.count("</details>") == 1
    assert "&lt;details&gt;" in text


def test_fit_closes_a_details_block_it_cuts_through():
    text = render_summary(_verdict(passing=400, failing=1))
    assert "<details>" in text
    out = fit(text, limit=len(text.encode()) // 2)
    assert len(out.encode()) <= len(text.encode()) // 2
    lines = out.splitlines()
    assert lines.count("<details>") == lines.count("</details>") == 1
    assert lines.index("</details>") < lines.index(
        "> ⚠️ Summary truncated to stay under GitHub's 1 MiB limit; the JSON report has everything."
    )
    cut_before = fit(text, limit=text.index("<details>") - 10)
    assert "<details>" not in cut_before and "</details>" not in cut_before


def test_backticked_words_in_messages_render_as_code_and_stay_inert():
    from qualify.render.markdown import _code_spans, md

    assert _code_spans(md("no test of kind `scenario` passed")) == "no test of kind <code>scenario</code> passed"
    assert _code_spans(md("`<img src=x>|*` and ` alone")) == r"<code>&lt;img src=x&gt;\|\*</code> and \` alone"


def test_long_unbroken_names_may_wrap_in_table_cells_and_stay_escaped():
    from qualify.render.markdown import md, md_cell

    name = "x" * 30 + "<b>|" + "y" * 30
    cell = md_cell(name)
    assert cell.replace("<wbr>", "") == md(name)
    assert "<b>" not in cell.replace("<wbr>", "") and cell.count("<wbr>") == 2
    assert md_cell("short words | stay") == md("short words | stay")
    assert md_cell("a" * 1000).replace("<wbr>", "") == md("a" * 1000)


def test_the_pr_comment_cut_also_closes_details():
    from qualify.github.publish import MAX_COMMENT_CHARS, comment_body

    text = render_summary(_verdict(passing=900, failing=1))
    assert len(text) > MAX_COMMENT_CHARS
    body = comment_body(text)
    assert len(body) <= MAX_COMMENT_CHARS and "cut to fit" in body
    lines = body.splitlines()
    assert lines.count("<details>") == lines.count("</details>") == 1
    assert lines.index("</details>") < next(i for i, line in enumerate(lines) if "cut to fit" in line)


def test_rendering_stops_where_the_cut_falls_without_changing_the_text():
    from qualify.render.markdown import _fit_lines, _summary_lines

    verdict = _verdict(passing=200, failing=40)
    lines = list(_summary_lines(verdict, None))
    whole = "\n".join(lines)
    consumed = []

    def counted():
        for line in lines:
            consumed.append(line)
            yield line

    for limit in (len(whole.encode()) + 10, len(whole.encode()), len(whole.encode()) - 1, 5000, 1200, 300):
        consumed.clear()
        assert _fit_lines(counted(), limit) == fit(whole, limit)
        if limit < len(whole.encode()) // 2:
            assert len(consumed) < len(lines) // 2  # lines past the cut are never asked for
