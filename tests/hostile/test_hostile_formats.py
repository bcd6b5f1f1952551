"""The hostile corpus, adapted to every format besides JUnit (NUnit 3 and 2, xUnit.net, TRX, CTRF,
go test -json): the real job's file holding the partner scenario is swapped for the same scenario
written in another format. It must qualify when the scenario passed, and must not when the
scenario did not pass in that format's own words (inconclusive, not run, aborted, never finished…);
DTDs, entities, nesting, size and encoding attacks fail with one plain line naming the file.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import pytest
from hostile_harness import SECRET, Layout, assert_safe, codes, run_in_process, run_subprocess, workspace

SCENARIO = (
    "6b. Issue #462 / #470: function-call flow completes without "
    "conversation_already_has_active_response (partner scenario)"
)
SPEC = "test-app/tests/e2e/openai-proxy-e2e.spec.js"
PLAYWRIGHT = "real/playwright-junit.xml"
MB = 1024 * 1024
# The partner's flow as the example's TRACKING.md lists its steps: the scenario test's output in each
# format carries it, so the steps are proven from that format's own output field.
TRACE_LINES = (
    '<- {"type":"session.created"}',
    '-> {"type":"session.update"}',
    '-> {"type":"conversation.item.create"}',
    '<- {"type":"response.function_call_arguments.done"}',
    "GET /orders/A17 200",
    '-> {"type":"conversation.item.create","item":{"type":"function_call_output"}}',
    '<- {"type":"response.done"}',
)
TRACE = "\n".join(TRACE_LINES)
# The swapped-in file may be JSON: the real glob takes both.
LAYOUT = Layout(real=["real/**/*.xml", "real/**/*.trx", "real/**/*.json", "real/**/*.jsonl"])


# -- the scenario in each format ------------------------------------------------------------------


def nunit3(result: str, label: str = "", name: str = SCENARIO, doctype: str = "") -> str:
    lab = f" label={quoteattr(label)}" if label else ""
    return (
        f'{doctype}<test-run id="2" testcasecount="1" result="Passed">'
        '<test-suite type="Assembly" name="Proxy.E2E.dll"><test-suite type="TestFixture" name="OpenAiProxyE2E">'
        f'<test-case id="1" name={quoteattr(name)} fullname="Proxy.E2E.OpenAiProxyE2E.x" '
        f'classname="Proxy.E2E.OpenAiProxyE2E" result="{result}"{lab}>'
        f"<output><![CDATA[{TRACE}\n]]></output></test-case></test-suite></test-suite></test-run>"
    )


def nunit2(attrs: str) -> str:
    return (
        '<test-results name="Proxy.E2E.dll" total="1"><test-suite name="Proxy.E2E.dll"><results>'
        f"<test-case name={quoteattr('Proxy.E2E.OpenAiProxyE2E.' + SCENARIO)} {attrs}/>"
        "</results></test-suite></test-results>"
    )


def xunit(result: str, doctype: str = "") -> str:
    return (
        f'{doctype}<assemblies><assembly name="Proxy.E2E.dll"><collection name="c">'
        f'<test name={quoteattr("Proxy.E2E.OpenAiProxyE2E." + SCENARIO)} type="Proxy.E2E.OpenAiProxyE2E" '
        f'method="Scenario" result="{result}" source-file="{SPEC}"><output><![CDATA[{TRACE}]]></output></test>'
        "</collection></assembly></assemblies>"
    )


def trx(outcome: str, doctype: str = "", definitions_first: bool = False) -> str:
    ns = "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"
    results = (
        f'<Results><UnitTestResult executionId="e1" testId="t1" testName={quoteattr(SCENARIO)} outcome="{outcome}">'
        f"<Output><StdOut>{escape(TRACE)}</StdOut></Output></UnitTestResult></Results>"
    )
    definitions = (
        '<TestDefinitions><UnitTest name="x" id="t1"><TestMethod className="Proxy.E2E.OpenAiProxyE2E, Proxy.E2E, '
        'Version=1.0.0.0" name="Scenario"/></UnitTest></TestDefinitions>'
    )
    body = definitions + results if definitions_first else results + definitions
    return f'{doctype}<TestRun id="r" xmlns="{ns}">{body}</TestRun>'


def ctrf(status: str, **extra: object) -> str:
    test = {"name": SCENARIO, "status": status, "duration": 1, "filePath": SPEC, "suite": "OpenAI proxy E2E"}
    test = {**test, "stdout": list(TRACE_LINES), **extra}
    return json.dumps({"reportFormat": "CTRF", "results": {"tool": {"name": "x"}, "tests": [test]}})


def go_log(*actions: str, name: str = SCENARIO, truncate: bool = False) -> str:
    events = [{"Action": "start", "Package": SPEC}, {"Action": "run", "Package": SPEC, "Test": name}]
    events += [{"Action": "output", "Package": SPEC, "Test": name, "Output": line + "\n"} for line in TRACE_LINES]
    events += [{"Action": a, "Package": SPEC, "Test": name} for a in actions]
    text = "".join(json.dumps(e) + "\n" for e in events)
    if truncate:  # killed mid-write: the last event is cut short
        text += '{"Action":"pass","Package":"' + SPEC + '","Te'
    return text


# -- cases ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    id: str
    name: str  # file name under real/
    data: Callable[[], bytes | str]
    exit: int
    code: str | None  # error_code (exit 2) or a problem code (exit 1)
    fragment: str


def _q(name: str, data: Callable[[], bytes | str]) -> Case:
    return Case(f"{name}-passed-qualifies", name, data, 0, None, "QUALIFIED")


def _nq(id_: str, name: str, data: Callable[[], bytes | str], code: str = "test-skipped") -> Case:
    return Case(id_, name, data, 1, code, code)


def _bad(id_: str, name: str, data: Callable[[], bytes | str], fragment: str, code: str = "results-malformed") -> Case:
    return Case(id_, name, data, 2, code, fragment)


LOL = "".join(
    f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' if i else '<!ENTITY lol0 "lol">' for i in range(10)
)


def _xxe(root: str) -> str:
    return f'<!DOCTYPE {root} [<!ENTITY x SYSTEM "file:///etc/passwd">]>'


def _deep_json(depth: int) -> str:
    return '{"results":{"tests":[' + "[" * depth + "]" * depth + "]}}"


def _huge_ctrf_value() -> str:
    return '{"results":{"tests":[{"name":"' + "n" * (17 * MB) + '","status":"passed"}]}}'


def _go_long_line() -> bytes:
    return b'{"Action":"start","Package":"p"}\n{"Action":"output","Output":"' + b"x" * (17 * MB) + b'"}\n'


CASES = [
    # each format reads the scenario and qualifies when it passed
    _q("nunit3.xml", lambda: nunit3("Passed")),
    # NUnit 2 XML has no per-test output: a passed partner test cannot show the flow, so never qualifies.
    _nq("nunit2-passed-has-no-trace", "nunit2.xml", lambda: nunit2('executed="True" result="Success" success="True"'), "scenario-incomplete"),
    _q("xunit.xml", lambda: xunit("Pass")),
    _q("results.trx", lambda: trx("Passed")),
    Case("trx-definitions-first-qualifies", "vs.trx", lambda: trx("Passed", definitions_first=True), 0, None, "QUALIFIED"),
    _q("ctrf.json", lambda: ctrf("passed")),
    _q("go.jsonl", lambda: go_log("pass")),
    # ... and never when the format says it did not pass
    _nq("nunit3-failed", "nunit3.xml", lambda: nunit3("Failed", "Error"), "test-failed"),
    _nq("nunit3-inconclusive", "nunit3.xml", lambda: nunit3("Inconclusive")),
    _nq("nunit3-ignored", "nunit3.xml", lambda: nunit3("Skipped", "Ignored")),
    _nq("nunit3-warning", "nunit3.xml", lambda: nunit3("Warning"), "test-failed"),
    _nq("nunit3-unknown-result", "nunit3.xml", lambda: nunit3("Maybe"), "test-failed"),
    _nq("nunit2-not-executed", "nunit2.xml", lambda: nunit2('executed="False" result="Ignored"')),
    _nq("nunit2-not-runnable", "nunit2.xml", lambda: nunit2('executed="False" result="NotRunnable"')),
    _nq("nunit2-no-result-not-success", "nunit2.xml", lambda: nunit2('executed="True" success="False"'), "test-failed"),
    _nq("xunit-not-run", "xunit.xml", lambda: xunit("NotRun")),
    _nq("xunit-skip", "xunit.xml", lambda: xunit("Skip")),
    _nq("trx-not-executed", "results.trx", lambda: trx("NotExecuted")),
    _nq("trx-inconclusive", "results.trx", lambda: trx("Inconclusive")),
    _nq("trx-timeout", "results.trx", lambda: trx("Timeout"), "test-failed"),
    _nq("trx-aborted", "results.trx", lambda: trx("Aborted"), "test-failed"),
    _nq("trx-passed-but-run-aborted", "results.trx", lambda: trx("PassedButRunAborted"), "test-failed"),
    _nq("ctrf-pending", "ctrf.json", lambda: ctrf("pending")),
    _nq("ctrf-other", "ctrf.json", lambda: ctrf("other", rawStatus="interrupted")),
    _nq("ctrf-unknown-status", "ctrf.json", lambda: ctrf("timedOut"), "test-failed"),
    _nq("go-skip", "go.jsonl", lambda: go_log("skip")),
    _nq("go-started-never-finished", "go.jsonl", lambda: go_log(), "test-failed"),
    _nq("go-killed-mid-write", "go.jsonl", lambda: go_log(truncate=True), "test-failed"),
    _nq("go-paused-then-package-failed", "go.jsonl", lambda: go_log("pause") + '{"Action":"fail","Package":"' + SPEC + '"}\n', "test-failed"),
    # XML attacks, in each .NET root
    _bad("nunit3-billion-laughs", "nunit3.xml", lambda: nunit3("Passed", doctype=f"<!DOCTYPE t [{LOL}]>"), "a DOCTYPE is not allowed"),
    _bad("nunit3-xxe", "nunit3.xml", lambda: nunit3("Passed", name="&x;", doctype=_xxe("test-run")), "a DOCTYPE is not allowed"),
    _bad("xunit-xxe", "xunit.xml", lambda: xunit("Pass", doctype=_xxe("assemblies")), "a DOCTYPE is not allowed"),
    _bad("trx-billion-laughs", "results.trx", lambda: trx("Passed", doctype=f"<!DOCTYPE TestRun [{LOL}]>"), "a DOCTYPE is not allowed"),
    _bad("trx-truncated", "results.trx", lambda: trx("Passed")[:150], "real/results.trx"),
    _bad("nunit3-nested-10000", "nunit3.xml", lambda: "<test-run>" + "<test-suite>" * 10_000, "nested deeper than libxml2's limit"),
    _bad("trx-undeclared-entity", "results.trx", lambda: trx("Passed").replace("GET /orders/A17 200", "&x;"), "Entity 'x' not defined"),
    # JSON attacks
    _bad("ctrf-truncated", "ctrf.json", lambda: ctrf("passed")[:-30], "real/ctrf.json:1: malformed JSON"),
    _bad("ctrf-trailing-content", "ctrf.json", lambda: ctrf("passed") + ' {"results":1}', "more content after the end"),
    _bad("ctrf-nested-100000", "ctrf.json", lambda: _deep_json(100_000), "nested too deeply"),
    _bad("ctrf-value-over-16mb", "ctrf.json", _huge_ctrf_value, "a single value is larger than"),
    _bad("ctrf-not-utf8", "ctrf.json", lambda: ctrf("passed").encode().replace(b"partner", b"partn\xe9r"), "not valid UTF-8"),
    _bad("ctrf-name-not-a-string", "ctrf.json", lambda: ctrf("passed").replace(json.dumps(SCENARIO), "42"), "`name` must be a string"),
    _bad("ctrf-no-tests", "ctrf.json", lambda: '{"results":{"tool":{"name":"x"}}}', "no `results.tests` array"),
    _bad("json-array-root", "ctrf.json", lambda: "[1, 2]", "not an object"),
    _bad("json-unknown-object", "ctrf.json", lambda: '{"numTotalTests": 3}', "neither CTRF"),
    _bad("go-broken-event-mid-file", "go.jsonl", lambda: go_log("pass").replace('"Action": "output"', '"Action": output', 1), "real/go.jsonl:3: not a go test -json event"),
    _bad("go-line-over-16mb", "go.jsonl", _go_long_line, "a line longer than"),
    _bad("go-test-not-a-string", "go.jsonl", lambda: '{"Action":"run","Test":7}\n', "must be strings"),
    # untrusted text stays inert whatever the format
    Case("ctrf-name-injects-commands", "ctrf.json", lambda: ctrf("passed").replace('"tests": [', '"tests": [{"name": "x\\n::error::qualified\\r##[error]y", "status": "failed"}, ', 1), 0, None, "QUALIFIED"),
    Case("go-output-injects-commands", "go.jsonl", lambda: go_log("pass").replace("GET /orders/A17 200", "::add-mask::QUALIFIED GET /orders/A17 200"), 0, None, "QUALIFIED"),
    Case("ctrf-secret-path-is-not-read", "ctrf.json", lambda: ctrf("passed", attachments=[{"name": "a", "path": "../../outside/secret.txt"}]), 0, None, "QUALIFIED"),
]  # fmt: skip


def test_ids_unique_and_every_format_covered():
    assert len({c.id for c in CASES}) == len(CASES)
    for suffix in ("nunit3.xml", "nunit2.xml", "xunit.xml", "results.trx", "ctrf.json", "go.jsonl"):
        kinds = {c.exit for c in CASES if c.name == suffix}
        # NUnit 2 writes no per-test output, so the partner's flow cannot be shown in it: no case qualifies.
        wanted = {1} if suffix == "nunit2.xml" else {0, 1}
        assert kinds >= wanted, f"{suffix}: needs a qualifying and a not-qualified case"


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_format(case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("GITHUB_ACTIONS", "GITHUB_TOKEN", "INPUT_TOKEN", "QUALIFY_DEBUG"):
        monkeypatch.delenv(name, raising=False)
    ws = workspace(tmp_path)
    (ws / PLAYWRIGHT).unlink()  # the scenario now lives only in the swapped-in file
    data = case.data()
    (ws / "real" / case.name).write_bytes(data.encode() if isinstance(data, str) else data)
    run = run_in_process(ws, LAYOUT)
    shown = f"exit {run.code}\nstdout:\n{run.out[-3000:]}\nstderr:\n{run.err[-3000:]}"
    assert run.code == case.exit, shown
    if case.exit == 2:
        assert run.report.get("error_code") == case.code, shown
        assert case.fragment in run.err, shown
    elif case.exit == 1:
        assert case.code in codes(run), shown
    else:
        assert run.report["qualified"] is True and not codes(run), shown
        assert case.fragment in run.out + run.summary, shown
    assert SECRET not in run.out + run.report_text
    assert_safe(run)


def test_a_killed_go_run_fails_closed_in_a_real_process(tmp_path: Path) -> None:
    """End to end through entrypoint.py: the scenario started and the log stops mid-event."""
    ws = workspace(tmp_path)
    (ws / PLAYWRIGHT).unlink()
    (ws / "real" / "go.jsonl").write_text(go_log(truncate=True))
    run = run_subprocess(ws, LAYOUT)
    assert run.code == 1 and "test-failed" in codes(run), run.out + run.err
    assert_safe(run)
