import re

from builders import case, defect, entry, verdict_of

from qualify.core.model import Finding
from qualify.render.markdown import md, render_summary
from qualify.render.workflow_commands import annotation, command, escape_data, escape_property, output_lines


def test_escape_data_and_properties():
    assert escape_data("50%\r\nx") == "50%25%0D%0Ax"
    assert escape_property("a:b,c%") == "a%3Ab%2Cc%25"


def test_a_test_name_cannot_inject_a_workflow_command():
    evil = "x\n::error::qualified\n::add-mask::secret"
    line = annotation(Finding(code="test-failed", message="m", test=evil, file="a,b:c.md", line=3))
    assert "\n" not in line and "\r" not in line
    assert line.startswith("::error file=a%2Cb%3Ac.md,line=3,title=qualify test-failed::")
    assert "%0A::error::qualified" in line


def test_command_without_properties():
    assert command("warning", "hi") == "::warning::hi"


def test_multiline_output_uses_a_delimiter_not_in_the_value():
    text = output_lines("report", "a\nb")
    name, rest = text.split("<<", 1)
    delimiter = rest.split("\n", 1)[0]
    assert name == "report" and delimiter.startswith("ghadelimiter_")
    assert text == f"report<<{delimiter}\na\nb\n{delimiter}\n"
    assert output_lines("qualified", "true") == "qualified=true\n"


def test_markdown_escapes_untrusted_names():
    assert md("a | b <script>alert(1)</script> *x*") == r"a \| b &lt;script&gt;alert(1)&lt;/script&gt; \*x\*"
    assert md("x" * 1000).endswith("…") and len(md("x" * 1000)) == 300


def test_summary_puts_the_verdict_first_and_escapes_titles():
    d = defect(entry("evil | <b>title</b>", jobs=["mock"]))
    text = render_summary(verdict_of([d], [case("evil | <b>title</b>"), case("other", job="real")]))
    assert text.startswith("## ✅ Release qualified")
    row = next(line for line in text.splitlines() if "evil" in line)
    assert "<b>" not in row
    assert len(re.split(r"(?<!\\)\|", row)) == 7  # 6 unescaped pipes: 5 cells, title pipe escaped


def test_summary_is_cut_under_the_limit_with_a_note():
    from qualify.render.markdown import fit

    text = "\n".join(f"| row {i} | ✅ |" for i in range(100_000))
    out = fit(text, limit=10_000)
    assert len(out.encode()) <= 10_000
    assert out.endswith("the JSON report has everything.\n")
    assert "| row 0 | ✅ |" in out and "| row 99999" not in out
    assert fit("short") == "short"


def test_tracking_links_are_absolute_when_the_commit_is_known():
    from qualify.settings import GitHubContext

    d = defect(entry("t", jobs=["mock"]))
    verdict = verdict_of([d])
    relative = render_summary(verdict)
    assert f"[#{d.issue}]({d.tracking})" in relative
    base = GitHubContext(repo="acme/voice", sha="abc123", server_url="https://ghe.example/").blob_base()
    assert base == "https://ghe.example/acme/voice/blob/abc123"
    assert f"[#{d.issue}](https://ghe.example/acme/voice/blob/abc123/{d.tracking})" in render_summary(verdict, base)
    assert GitHubContext(repo="acme/voice").blob_base() is None  # no commit: stay relative
