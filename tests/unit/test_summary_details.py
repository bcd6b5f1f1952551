"""Long job summaries fold the less urgent part into <details>; short ones stay flat."""

import re

from builders import case, defect, entry, verdict_of

from qualify.core.model import Outcome
from qualify.render.markdown import COLLAPSE_ROWS, fit, render_summary


def _verdict(passing: int, failing: int, title: str = "test {n}"):
    defects = [defect(entry(title.format(n=n), jobs=["mock"]), issue=n) for n in range(1, passing + failing + 1)]
    cases = [
        case(title.format(n=n), outcome=Outcome.PASSED if n <= passing else Outcome.FAILED)
        for n in range(1, passing + failing + 1)
    ]
    return verdict_of(defects, cases)


def _blocks(text: str) -> list[str]:
    return re.findall(r"<details>\n<summary>.*?</summary>\n\n.*?\n\n</details>\n", text, re.S)


def test_a_short_report_has_no_details():
    text = render_summary(_verdict(passing=3, failing=2))
    assert "<details>" not in text
    assert text.count("| ✅&nbsp;[#") == 3 and text.count("| ❌&nbsp;[#") == 2


def test_a_long_report_keeps_failures_open_and_folds_qualified_defects():
    text = render_summary(_verdict(passing=30, failing=2))
    (block,) = _blocks(text)
    assert "<summary>✅ 30 qualified defects, 30 declared tests</summary>" in block
    assert block.count("| ✅&nbsp;[#") == 30 and "❌" not in block
    outside = text.replace(block, "")
    assert outside.count("| ❌&nbsp;[#") == 2 and "| ✅&nbsp;[#" not in outside
    assert outside.index("| ❌&nbsp;[#") < outside.index("### What to fix")
    issues = [int(n) for n in re.findall(r"\| ✅&nbsp;\[#(\d+)\]", block)]
    assert issues == sorted(issues) and issues[:3] == [1, 2, 3]  # numeric, not path order (10 before 2)
    # The table inside <details> needs its own header to render.
    assert block.count("| Defect | Declared test | Kind | Mock | Real&nbsp;API |") == 1


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
    assert f"<summary>{rest} more problems</summary>" in blocks[0]


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


# What a release manager reads: titles, plain words, "not required", notes folded away, a list in the comment.


def _evaluate(defects, cases, extra=()):
    from dataclasses import replace

    verdict = verdict_of(defects, cases)
    return replace(verdict, findings=(*verdict.findings, *extra))


def _comment(verdict) -> str:
    from qualify.github.publish import MAX_COMMENT_CHARS
    from qualify.render.markdown import render_markdown

    return render_markdown(verdict, None, layout="list", max_chars=MAX_COMMENT_CHARS)


def _items(comment: str) -> list[str]:
    """The list items of the defects part of a comment (before "What to fix" and the counts)."""
    defects = comment.split("\n### ")[0].split("\n| Results")[0]
    return [line for line in defects.splitlines() if line.startswith("- ")]


def _seen(text: str) -> str:
    """The words as a reader sees them: no-break spaces and hyphens read as plain ones."""
    return text.replace("&nbsp;", " ").replace("\u2011", "-")


def test_each_defect_shows_its_title_escaped_or_its_number_alone():
    titled = defect(entry("a", jobs=["mock"]), issue=1, title="Reconnect | <b>drops</b> *audio*")
    untitled = defect(entry("b", jobs=["mock"]), issue=2, title="")
    blank = defect(entry("c", jobs=["mock"]), issue=3, title="   ")
    long = defect(entry("d", jobs=["mock"]), issue=4, title="x " * 200)
    verdict = _evaluate([titled, untitled, blank, long], [case("a"), case("b"), case("c"), case("d")])
    table, comment = render_summary(verdict), _comment(verdict)
    escaped = r"Reconnect \| &lt;b&gt;drops&lt;/b&gt; \*audio\*"
    assert f"[#1](docs/issues/ISSUE-1/TRACKING.md) {escaped}<br>" in table
    assert f"**[#1](docs/issues/ISSUE-1/TRACKING.md) {escaped}**" in comment
    for n in (2, 3):  # no title: the number alone
        assert f"[#{n}](docs/issues/ISSUE-{n}/TRACKING.md)<br>" in table
        assert f"**[#{n}](docs/issues/ISSUE-{n}/TRACKING.md)**" in comment
    row = next(line for line in table.splitlines() if "[#4]" in line)
    assert "…" in row and row.count("x") < 70  # capped, however long the title


def test_rule_names_read_as_words_and_stay_identifiers_in_the_json_report():
    from qualify.render.json_report import build_report

    d = defect(entry("t", kind="scenario"), areas=["proxy"], partner="acme", scenario="their flow")
    verdict = _evaluate([d], [case("t"), case("t", job="real")])
    for text in (render_summary(verdict), _comment(verdict)):
        assert "needs: mock test, real-API test, partner scenario" in _seen(text)
        assert "mock-coverage" not in text and "partner-scenario" not in text
    assert build_report(verdict)["defects"][0]["rules"] == ["mock-coverage", "real-api", "partner-scenario"]


def test_a_job_the_test_does_not_list_reads_not_required():
    verdict = _evaluate([defect(entry("only mock", jobs=["mock"]))], [case("only mock")])
    row = next(line for line in render_summary(verdict).splitlines() if "only mock" in line)
    assert row.endswith("| ✅&nbsp;passed | <sub>not&nbsp;required</sub> |") and "—" not in row
    (item,) = _items(_comment(verdict))
    assert item == "- ✅ Mock: passed — regression “only mock”"  # the comment lists only the jobs it needs


def test_a_word_match_is_said_in_words_and_explained_once():
    weak = "OpenAI proxy Issue #462: no update after done"  # jest-junit: describe path and title in one string
    d = defect(entry("Issue #462: no update after done"), entry("exact", jobs=["mock"]))
    cases = [case(weak, classname=weak), case(weak, job="real", classname=weak), case("exact")]
    verdict = _evaluate([d], cases)
    for text in (render_summary(verdict), _comment(verdict)):
        seen = _seen(text)
        assert "word match" not in seen and seen.count("matched by words") == 3  # two results, one legend
        assert seen.count("declare the describe path too to match it exactly") == 1
    exact = _evaluate([defect(entry("exact", jobs=["mock"]))], [case("exact")])
    assert "matched by words" not in _seen(render_summary(exact)) + _seen(_comment(exact))


def test_token_and_permission_notes_fold_below_everything_else():
    from qualify.core.model import Finding

    def warning(code):
        return Finding(code=code, severity="warning", message=f"{code} said", hint="grant it")

    notes = (warning("labels-skipped"), warning("publish-failed"), warning("flaky"))
    d = defect(entry("t", jobs=["mock"]))
    for verdict in (_evaluate([d], [case("t")], notes), _evaluate([d], [case("t", outcome=Outcome.FAILED)], notes)):
        for text in (render_summary(verdict), _comment(verdict)):
            (block,) = _blocks(text)
            assert block.startswith("<details>\n<summary>ℹ️ Token and permissions: 2 notes")
            assert "labels-skipped" in block and "publish-failed" in block and "flaky" not in block
            assert text.endswith(block)  # after the verdict, the defects, what to fix, warnings and counts
            rest = text.replace(block, "")
            assert "labels-skipped" not in rest and "**flaky**" in rest[rest.index("### Warnings") :]
    only_notes = _evaluate([d], [case("t")], notes[:1])
    assert "### Warnings" not in render_summary(only_notes)
    assert "<summary>ℹ️ Token and permissions: 1 note " in render_summary(only_notes)


def test_the_comment_lists_each_declared_test_on_one_line_and_keeps_names_inert():
    evil = "**bold** `code` [link](javascript:x) <img src=x> | pipe\n- injected item"
    d = defect(entry(evil), entry("plain", jobs=["mock"]), areas=["proxy"])
    verdict = _evaluate([d], [case(" ".join(evil.split())), case("plain")])
    comment = _comment(verdict)
    assert "| Defect" not in comment and "|---" not in comment.split("| Results")[0]
    items = _items(comment)
    assert len(items) == 2
    assert items[0].startswith("- ✅ Mock: passed · ❓ **Real API: not found** — regression “")
    for bad in ("<img", "[link](", "**bold**", "`code`", "\n- injected"):
        assert bad not in comment
    assert r"\*\*bold\*\* \`code\` \[link\](javascript:x) &lt;img src=x&gt; \| pipe - injected item" in items[0]


def test_the_comment_is_rendered_only_as_far_as_its_size_cap():
    from qualify.github.publish import MAX_COMMENT_CHARS, comment_body
    from qualify.render.markdown import _summary_lines, render_markdown

    verdict = _verdict(passing=3000, failing=300)
    whole = "\n".join(_summary_lines(verdict, None, "list"))
    assert len(whole) > 4 * MAX_COMMENT_CHARS
    rendered = render_markdown(verdict, None, layout="list", max_chars=MAX_COMMENT_CHARS)
    assert whole.startswith(rendered) and MAX_COMMENT_CHARS < len(rendered) < MAX_COMMENT_CHARS + 1000
    body = comment_body(rendered)
    assert len(body) <= MAX_COMMENT_CHARS and "cut to fit" in body
    lines = body.splitlines()
    assert lines.count("<details>") == lines.count("</details>")
