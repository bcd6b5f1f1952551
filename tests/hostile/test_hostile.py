"""The hostile corpus: broken and malicious inputs, each with its exit code, problem code and message.

Each case starts from a workspace that qualifies, then adds or swaps one hostile thing. The
expected code is the JSON report's `error_code` when the check cannot be evaluated (exit 2), a
problem code of the report when the release is not qualified (exit 1), or None when the input is
odd but legitimate and the release really qualifies (exit 0). Big files are made here, in tmp_path.
"""

from __future__ import annotations

import http.server
import json
import os
import random
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import pytest
from hostile_harness import (
    TOKEN,
    TOKEN_SHAPED,
    Layout,
    Run,
    assert_safe,
    codes,
    run_in_process,
    run_subprocess,
    workspace,
)

PLAYWRIGHT = "real/playwright-junit.xml"
SCENARIO = (
    "OpenAI proxy E2E › 6b. Issue #462 / #470: function-call flow completes without "
    "conversation_already_has_active_response (partner scenario)"
)
MB = 1024 * 1024


@dataclass(frozen=True)
class Case:
    id: str
    build: Callable[[Path, Path], Layout | None]
    exit: int
    code: str | None
    fragment: str
    subprocess: bool = False  # run entrypoint.py for real (loops, FIFOs, raw file names)
    in_actions: bool = False  # GITHUB_ACTIONS=true: the command line confines typed paths as the Action does


def _put(ws: Path, rel: str, data: bytes | str) -> None:
    path = ws / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)


def _add(rel: str, data: bytes | str, layout: Layout | None = None) -> Callable[[Path, Path], Layout | None]:
    def build(ws: Path, tmp: Path) -> Layout | None:
        _put(ws, rel, data)
        return layout

    return build


def _suite(*cases: str, attrs: str = "") -> str:
    body = "".join(cases)
    return f'<testsuites{attrs}><testsuite name="x.spec.js">{body}</testsuite></testsuites>'


def _swap_playwright(transform: Callable[[str], bytes | str]) -> Callable[[Path, Path], None]:
    """Replace the file that holds the partner scenario with a transformed copy of itself."""

    def build(ws: Path, tmp: Path) -> None:
        text = (ws / PLAYWRIGHT).read_text(encoding="utf-8")
        _put(ws, PLAYWRIGHT, transform(text))

    return build


def _tracking(issue: int, block: str) -> Callable[[Path, Path], None]:
    return _add(f"docs/issues/ISSUE-{issue}/TRACKING.md", f"---\nqualify:\n{block}---\n\n# ISSUE-{issue}\n")


# -- XML ---------------------------------------------------------------------------------------

LOL = "".join(
    f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' if i else '<!ENTITY lol0 "lol">' for i in range(10)
)
BILLION_LAUGHS = f'<?xml version="1.0"?><!DOCTYPE t [{LOL}]>' + _suite('<testcase name="&lol9;"/>')
QUADRATIC = f'<?xml version="1.0"?><!DOCTYPE t [<!ENTITY a "{"A" * 50_000}">]>' + _suite(
    f'<testcase name="{"&a;" * 2_000}"/>'
)


def _xxe(ws: Path, tmp: Path) -> None:
    secret = tmp / "outside" / "secret.txt"
    _put(ws, "real/xxe.xml", f'<!DOCTYPE t [<!ENTITY x SYSTEM "file://{secret}">]>' + _suite('<testcase name="&x;"/>'))


def _xxe_parameter(ws: Path, tmp: Path) -> None:
    secret = tmp / "outside" / "secret.txt"
    _put(
        ws,
        "real/xxe.xml",
        f'<!DOCTYPE t [<!ENTITY % p SYSTEM "file://{secret}"> %p;]>' + _suite('<testcase name="a"/>'),
    )


def _deep(depth: int) -> str:
    return (
        "<testsuites>"
        + '<testsuite name="s">' * depth
        + '<testcase name="t"/>'
        + "</testsuite>" * depth
        + "</testsuites>"
    )


def _scenario_head(text: str) -> str:
    """The partner scenario's <testcase> start tag as Playwright wrote it (its time changes per run)."""
    found = re.search(
        rf'<testcase name="{re.escape(SCENARIO)}" classname="e2e/openai-proxy-e2e.spec.js" time="[^"]*">', text
    )
    assert found, "the example run lost its partner scenario"
    return found.group()


def _both_skipped_and_failure(text: str) -> str:
    head = _scenario_head(text)
    return text.replace(head, head + '<skipped/><failure message="boom">at proxy.js:1</failure>')


def _invalid_numbers(text: str) -> str:
    head = _scenario_head(text)
    assert 'tests="6"' in text
    return text.replace(head, re.sub(r'time="[^"]*"', 'time="NaN"', head)).replace('tests="6"', 'tests="-abc"')


def _latin1(text: str) -> bytes:
    body = text.replace("›", "&#8250;").replace("smoke › partner", "smoke › café")
    return ('<?xml version="1.0" encoding="ISO-8859-1"?>\n' + body.replace("&#8250;", "›")).encode(
        "latin-1", errors="xmlcharrefreplace"
    )


def _bigfile(ws: Path, rel: str, size: int) -> None:
    """A single text node of `size` bytes, written in chunks so the test itself stays small."""
    path = ws / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    chunk = b"x" * MB
    with path.open("wb") as fh:
        fh.write(b'<testsuites><testsuite name="s"><testcase name="t"><system-out>')
        for _ in range(size // MB):
            fh.write(chunk)
        fh.write(b"</system-out></testcase></testsuite></testsuites>")


def _text_node_200mb(raise_limit: bool) -> Callable[[Path, Path], Layout]:
    def build(ws: Path, tmp: Path) -> Layout:
        _bigfile(ws, "real/huge.xml", 200 * MB)
        return Layout(args=["--max-file-bytes", "300M", "--max-total-bytes", "1G"] if raise_limit else [])

    return build


def _attribute_20mb(ws: Path, tmp: Path) -> None:
    _put(
        ws,
        "real/attr.xml",
        b'<testsuites><testsuite name="s"><testcase name="' + b"n" * (20 * MB) + b'"/></testsuite></testsuites>',
    )


def _external_dtd(ws: Path, tmp: Path) -> None:
    url = _DTD_SERVER.url
    _put(
        ws,
        "real/dtd.xml",
        f'<?xml version="1.0"?><!DOCTYPE testsuites SYSTEM "{url}/x.dtd">' + _suite('<testcase name="a"/>'),
    )


class _Recorder(http.server.BaseHTTPRequestHandler):
    hits: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        _Recorder.hits.append(self.path)
        body = b'<!ENTITY x "FROM-THE-NETWORK">'
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


class _Server:
    url = "http://127.0.0.1:9"


_DTD_SERVER = _Server()


# -- file layouts ------------------------------------------------------------------------------


def _symlink_loop(ws: Path, tmp: Path) -> None:
    (ws / "real" / "loop").mkdir()
    os.symlink("..", ws / "real" / "loop" / "up")  # real/loop/up -> real: a cycle for `**`
    os.symlink("../..", ws / "real" / "loop" / "up2")  # two ways up: 2^n paths for a naive walk
    os.symlink("self", ws / "real" / "self")  # a link to itself
    os.symlink("a.xml", ws / "real" / "b.xml")
    os.symlink("b.xml", ws / "real" / "a.xml")  # a two-link file loop


def _link_file_outside(ws: Path, tmp: Path) -> None:
    os.symlink(tmp / "outside" / "secret.xml", ws / "real" / "leak.xml")


def _link_dir_outside(ws: Path, tmp: Path) -> None:
    os.symlink(tmp / "outside", ws / "real" / "ext")


def _results_dir_is_link_outside(ws: Path, tmp: Path) -> Layout:
    os.symlink(tmp / "outside", ws / "linked")
    return Layout(real=["real/*.xml", "linked/*.xml"])


def _dangling(ws: Path, tmp: Path) -> None:
    os.symlink(ws / "nowhere.xml", ws / "real" / "dangling.xml")


def _fifo(ws: Path, tmp: Path) -> None:
    os.mkfifo(ws / "real" / "pipe.xml")  # opening it would block forever


def _absolute_inside(ws: Path, tmp: Path) -> Layout:
    return Layout(real=[str(ws / "real" / "*.xml")])


def _absolute_outside(ws: Path, tmp: Path) -> Layout:
    return Layout(real=["real/*.xml", str(tmp / "outside" / "*.xml")])


def _injected_file_name(ws: Path, tmp: Path) -> None:
    _put(ws, "real/x\n::error::qualified\n::add-mask::QUALIFIED.xml", "<testsuites><unclosed>")


def _add_bytes_name(ws: Path, tmp: Path) -> None:
    (ws / "real" / os.fsdecode(b"\xff\xfe.xml")).write_bytes(b"<testsuites/>")


def _tracking_bytes_name(ws: Path, tmp: Path) -> None:
    folder = ws / "docs" / "issues" / os.fsdecode(b"ISSUE-9\xfe")
    folder.mkdir()
    (folder / "TRACKING.md").write_bytes(b"# no block")


def _token_in_glob(ws: Path, tmp: Path) -> Layout:
    return Layout(real=[f"missing/{TOKEN}/{TOKEN_SHAPED}/*.xml"])


# -- TRACKING.md -------------------------------------------------------------------------------

ALIAS_BOMB = (
    "  issue: 900\n  area: &a [x, x, x, x, x, x, x, x, x]\n"
    + "".join(f"  title{i}: &b{i} [{', '.join(['*a' if i == 0 else f'*b{i - 1}'] * 9)}]\n" for i in range(8))
    + "  coverage:\n    - test: t\n      jobs: *b7\n"
)
EVIL_TITLE = 'evil | <script>alert("x")</script> \\| ` [x](javascript:alert(1)) title'


def _evil_title_passes(ws: Path, tmp: Path) -> None:
    from xml.sax.saxutils import quoteattr

    # JSON strings are YAML double-quoted strings: the title arrives byte for byte.
    _tracking(900, f"  issue: 900\n  area: [backend]\n  coverage:\n    - test: {json.dumps(EVIL_TITLE)}\n")(ws, tmp)
    case = f"<testcase name={quoteattr(EVIL_TITLE)}/>"
    _put(ws, "mock/evil.xml", _suite(case))
    _put(ws, "real/evil.xml", _suite(case))


def _random_bytes(seed: int, n: int) -> bytes:
    return random.Random(seed).randbytes(n)


CASES = [
    # XML: entities, DTDs, the network
    Case("billion-laughs", _add("real/lol.xml", BILLION_LAUGHS), 2, "results-malformed", "a DOCTYPE is not allowed"),
    Case("quadratic-blowup", _add("real/quad.xml", QUADRATIC), 2, "results-malformed", "a DOCTYPE is not allowed"),
    Case("xxe-system-entity", _xxe, 2, "results-malformed", "real/xxe.xml:1: a DOCTYPE is not allowed"),
    Case("xxe-parameter-entity", _xxe_parameter, 2, "results-malformed", "a DOCTYPE is not allowed"),
    Case("external-dtd-over-http", _external_dtd, 2, "results-malformed", "a DOCTYPE is not allowed"),
    Case(
        "undeclared-entity",
        _add("real/ent.xml", _suite('<testcase name="&x;"/>')),
        2,
        "results-malformed",
        "malformed XML: Entity 'x' not defined",
    ),
    # XML: broken files
    Case(
        "truncated-mid-write",
        _swap_playwright(lambda t: t[: len(t) // 2]),
        2,
        "results-malformed",
        "real/playwright-junit.xml",
    ),
    Case("empty-file", _add("real/empty.xml", b""), 2, "results-malformed", "empty results file (0 bytes)"),
    Case("whitespace-only", _add("real/blank.xml", b"  \n\n "), 2, "results-malformed", "malformed XML"),
    Case(
        "binary-garbage", _add("real/garbage.xml", _random_bytes(5, 4096)), 2, "results-malformed", "real/garbage.xml"
    ),
    Case(
        "gzip-not-xml",
        _add("real/gz.xml", b"\x1f\x8b\x08\x00" + _random_bytes(6, 512)),
        2,
        "results-malformed",
        "neither `<` (XML) nor `{` (JSON)",
    ),
    Case(
        "wrong-root-html",
        _add("real/page.xml", '<html><testcase name="a"/></html>'),
        2,
        "results-malformed",
        "the root element is <html>",
    ),
    Case(
        "wrong-root-testcase",
        _add("real/one.xml", '<testcase name="a"/>'),
        2,
        "results-malformed",
        "the root element is <testcase>",
    ),
    Case(
        "two-roots",
        _add("real/two.xml", "<testsuites/><testsuites/>"),
        2,
        "results-malformed",
        "Extra content at the end",
    ),
    Case(
        "unclosed-cdata",
        _add("real/cdata.xml", "<testsuites><testsuite><![CDATA[x"),
        2,
        "results-malformed",
        "malformed XML",
    ),
    Case(
        "nul-in-attribute",
        _add("real/nul.xml", _suite('<testcase name="a\x00b"/>')),
        2,
        "results-malformed",
        "malformed XML",
    ),
    Case(
        "nul-between-elements",
        _add("real/nul2.xml", "<testsuites>\x00</testsuites>"),
        2,
        "results-malformed",
        "Char 0x0 out of allowed range",
    ),
    Case(
        "undeclared-latin1",
        _add("real/l1.xml", _suite('<testcase name="caf\xe9"/>').encode("latin-1")),
        2,
        "results-malformed",
        "Invalid bytes in character encoding",
    ),
    Case("declared-latin1-qualifies", _swap_playwright(_latin1), 0, None, "QUALIFIED"),
    Case(
        "utf16-with-bom-qualifies",
        _swap_playwright(lambda t: ('<?xml version="1.0" encoding="UTF-16"?>\n' + t).encode("utf-16")),
        0,
        None,
        "QUALIFIED",
    ),
    Case("utf8-bom-qualifies", _swap_playwright(lambda t: b"\xef\xbb\xbf" + t.encode()), 0, None, "QUALIFIED"),
    Case(
        "declared-encoding-lies",
        _swap_playwright(lambda t: '<?xml version="1.0" encoding="UTF-16"?>\n' + t),
        2,
        "results-malformed",
        "malformed XML",
    ),
    Case("invalid-numbers-are-ignored", _swap_playwright(_invalid_numbers), 0, None, "QUALIFIED"),
    Case(
        "tests-5-but-no-testcase",
        _swap_playwright(lambda t: '<testsuites tests="5"><testsuite name="x" tests="5" failures="0"/></testsuites>'),
        1,
        "partner-scenario-not-covered",
        "test-not-found",
    ),
    Case(
        "real-job-only-claims-tests",
        lambda ws, tmp: (
            [
                os.remove(ws / "real" / "jest-junit.xml"),
                _put(ws, PLAYWRIGHT, '<testsuites tests="5"><testsuite tests="5"/></testsuites>'),
            ]
            and None
        ),
        1,
        "no-results",
        "the real job's results (1 file(s)) hold no testcases",
    ),
    Case(
        "skipped-and-failure",
        _swap_playwright(_both_skipped_and_failure),
        1,
        "test-failed",
        "declared test failed in the real job",
    ),
    # XML: size and depth
    Case(
        "nested-10000-suites",
        _add("real/deep.xml", _deep(10_000)),
        2,
        "results-malformed",
        "nested deeper than 256 levels",
    ),
    Case("nested-250-suites-qualifies", _add("real/deep.xml", _deep(250)), 0, None, "QUALIFIED"),
    Case("text-node-200mb", _text_node_200mb(False), 2, "results-too-large", "over the per-file limit of 104,857,600"),
    # No tree is built (issue #18): a text node is streamed past, never held (tests/test_memory_guard.py).
    Case("text-node-200mb-limit-raised", _text_node_200mb(True), 0, None, "QUALIFIED"),
    Case("attribute-20mb", _attribute_20mb, 2, "results-malformed", "a name or attribute value larger than"),
    Case(
        "per-file-limit",
        lambda ws, tmp: Layout(args=["--max-file-bytes", "1K"]),
        2,
        "results-too-large",
        "raise --max-file-bytes",
    ),
    Case(
        "total-limit",
        lambda ws, tmp: Layout(args=["--max-total-bytes", "5K"]),
        2,
        "results-too-large",
        "over the total limit of 5,120",
    ),
    Case(
        "limit-not-a-number",
        lambda ws, tmp: Layout(args=["--max-file-bytes", "lots"]),
        2,
        "usage",
        "'lots' is not a positive byte count",
    ),
    Case(
        "limit-absurd-number",
        lambda ws, tmp: Layout(args=["--max-total-bytes", "9" * 5000]),
        2,
        "usage",
        "'" + "9" * 39 + "…' is not a positive",
    ),
    # workflow commands and markup in names
    Case(
        "name-injects-error-command",
        _add("real/inj.xml", _suite('<testcase name="x&#10;::error::qualified"/>')),
        0,
        None,
        "QUALIFIED",
    ),
    Case(
        "name-injects-add-mask",
        _swap_playwright(lambda t: t.replace(SCENARIO, SCENARIO + "&#10;::add-mask::QUALIFIED&#13;##[error]x")),
        1,
        "partner-scenario-not-covered",
        "test-not-found",
    ),
    Case(
        "file-name-injects-commands",
        _injected_file_name,
        2,
        "results-malformed",
        "x\\n::error::qualified\\n::add-mask::QUALIFIED.xml",
        subprocess=True,
    ),
    Case(
        "file-name-not-utf8",
        _add_bytes_name,
        2,
        "results-unreadable",
        "real/\\xff\\xfe.xml: the file's path is not valid UTF-8",
    ),
    Case(
        "tracking-path-not-utf8",
        _tracking_bytes_name,
        0,
        None,
        "docs/issues/ISSUE-9\\xfe/TRACKING.md has no qualify block",
    ),
    Case(
        "file-name-legacy-command",
        _add("real/##[error]boom.xml", "<testsuites>"),
        2,
        "results-malformed",
        "## [error]boom.xml",
    ),
    Case("pipe-and-script-in-title", _evil_title_passes, 0, None, "#900"),
    # file layouts
    Case("symlink-loop-in-results", _symlink_loop, 0, None, "QUALIFIED", subprocess=True),
    Case("symlink-file-outside", _link_file_outside, 2, "outside-workspace", "real/leak.xml resolves to"),
    Case("symlink-dir-outside", _link_dir_outside, 2, "outside-workspace", "real/ext, a link to"),
    Case(
        "results-dir-is-link-outside",
        _results_dir_is_link_outside,
        2,
        "outside-workspace",
        "starts at linked, a link to",
    ),
    Case("dangling-symlink-skipped", _dangling, 0, None, "QUALIFIED"),
    Case("fifo-never-opened", _fifo, 0, None, "QUALIFIED", subprocess=True),
    Case("directory-named-xml", lambda ws, tmp: (ws / "real" / "dir.xml").mkdir() and None, 0, None, "QUALIFIED"),
    Case(
        "dotdot-glob",
        lambda ws, tmp: Layout(real=["../outside/*.xml"]),
        2,
        "outside-workspace",
        "points outside the workspace",
        in_actions=True,
    ),
    Case("dotdot-inside-glob", lambda ws, tmp: Layout(real=["real/../real/*.xml"]), 0, None, "QUALIFIED"),
    Case(
        "absolute-glob-outside",
        _absolute_outside,
        2,
        "outside-workspace",
        "points outside the workspace",
        in_actions=True,
    ),
    Case("absolute-glob-inside", _absolute_inside, 0, None, "QUALIFIED"),
    Case(
        "glob-matches-nothing", lambda ws, tmp: Layout(real=["nothing/*.xml"]), 2, "results-missing", "matched no file"
    ),
    # TRACKING.md and YAML
    Case(
        "front-matter-never-closes",
        _add("docs/issues/ISSUE-900/TRACKING.md", "---\nqualify:\n  issue: 900\n"),
        1,
        "tracking-invalid",
        "never closes",
    ),
    Case("yaml-alias-bomb", _tracking(900, ALIAS_BOMB), 1, "tracking-invalid", "alias bomb"),
    Case(
        "yaml-recursive-alias",
        _tracking(900, "  issue: 900\n  coverage: &c\n    - test: t\n      jobs: *c\n"),
        1,
        "tracking-invalid",
        "refers to itself",
    ),
    Case(
        "yaml-nested-too-deep",
        _tracking(900, "  issue: " + "[" * 5000 + "]" * 5000 + "\n"),
        1,
        "tracking-invalid",
        "nested too deeply",
    ),
    Case(
        "yaml-block-too-large",
        _tracking(900, "  issue: 900\n  title: " + "t" * 150_000 + "\n"),
        1,
        "tracking-invalid",
        "over the limit of 100000",
    ),
    Case(
        "yaml-duplicate-key",
        _tracking(900, "  issue: 900\n  issue: 901\n  coverage:\n    - test: t\n"),
        1,
        "tracking-invalid",
        "ISSUE-900/TRACKING.md:4: tracking-invalid: invalid qualify block: duplicate key 'issue'",
    ),
    Case(
        "yaml-issue-abc",
        _tracking(900, '  issue: "abc"\n  coverage:\n    - test: t\n'),
        1,
        "tracking-invalid",
        "`issue` must be a positive integer, got 'abc'",
    ),
    Case(
        "yaml-coverage-mapping",
        _tracking(900, "  issue: 900\n  coverage: {}\n"),
        1,
        "tracking-invalid",
        "`coverage` must be a non-empty list",
    ),
    Case(
        "yaml-jobs-staging",
        _tracking(900, "  issue: 900\n  coverage:\n    - test: t\n      jobs: [staging]\n"),
        1,
        "tracking-invalid",
        "ISSUE-900/TRACKING.md:6: tracking-invalid: invalid qualify block: `jobs` must be",
    ),
    Case(
        "yaml-python-tag",
        _tracking(900, "  issue: !!python/object/apply:os.system ['echo pwned']\n"),
        1,
        "tracking-invalid",
        "could not determine a constructor",
    ),
    Case("yaml-nul", _tracking(900, "  issue: 900\x00\n"), 1, "tracking-invalid", "unacceptable character"),
    Case(
        "tracking-over-1mib",
        _add("docs/issues/ISSUE-900/TRACKING.md", "x" * (MB + 1)),
        1,
        "tracking-invalid",
        "larger than 1048576 bytes",
    ),
    Case(
        "tracking-not-utf8",
        _add("docs/issues/ISSUE-900/TRACKING.md", b"---\nqualify:\n  title: caf\xe9\n---\n"),
        1,
        "tracking-invalid",
        "not valid UTF-8",
    ),
    # secrets
    Case(
        "token-echoed-by-usage-error",
        lambda ws, tmp: Layout(args=["--issues", TOKEN]),
        2,
        "usage",
        "'***' is not an issue number",
    ),
    Case("token-in-glob", _token_in_glob, 2, "results-missing", "missing/***/***/*.xml"),
    Case(
        "token-shaped-test-title",
        _tracking(900, f"  issue: 900\n  coverage:\n    - test: leaked {TOKEN_SHAPED} here\n"),
        1,
        "test-not-found",
        "“leaked *** here”",
    ),
]


@pytest.fixture(scope="module", autouse=True)
def dtd_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _DTD_SERVER.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield
    server.shutdown()
    assert _Recorder.hits == [], "the parser fetched an external DTD"


def test_the_corpus_is_large_and_its_ids_unique():
    assert len(CASES) >= 40
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_input(case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("GITHUB_ACTIONS", "GITHUB_TOKEN", "INPUT_TOKEN", "QUALIFY_DEBUG"):
        monkeypatch.delenv(name, raising=False)
    if case.in_actions:
        assert not case.subprocess, "run_subprocess drops GITHUB_* from the environment"
        monkeypatch.setenv("GITHUB_ACTIONS", "true")
    ws = workspace(tmp_path)
    layout = case.build(ws, tmp_path) or Layout()
    run = run_subprocess(ws, layout) if case.subprocess else run_in_process(ws, layout)
    shown = f"exit {run.code}\nstdout:\n{run.out[-3000:]}\nstderr:\n{run.err[-3000:]}"
    assert run.code == case.exit, shown
    if case.exit == 2:
        assert run.report.get("error_code") == case.code, shown
        assert case.fragment in run.err, shown
    elif case.exit == 1:
        assert case.code in codes(run), shown
        assert case.fragment in run.out + run.report_text, shown
    else:
        assert run.report["qualified"] is True and not codes(run), shown
        assert case.fragment in run.out + run.summary, shown
    assert_safe(run)


def test_evil_title_rows_stay_whole(tmp_path: Path) -> None:
    """The `|` and `<script>` title qualifies, and its summary row still has six cells."""
    ws = workspace(tmp_path)
    _evil_title_passes(ws, tmp_path)
    run: Run = run_in_process(ws, Layout())
    assert run.code == 0, run.out + run.err
    rows = [line for line in run.summary.splitlines() if "evil" in line]
    assert len(rows) == 1 and "&lt;script&gt;" in rows[0]
    assert_safe(run)
