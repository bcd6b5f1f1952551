"""Acceptance: `qualify adopt` on a real project's free-form tracking documents and its real results.

The fixture (tests/fixtures/adopt/ORIGIN.md) is Signal-Meaning/dg_react_agent's 13 tracking documents,
byte for byte, and the JUnit XML of its mock and real-API jobs written by Jest and Playwright.
"""

import io
import json
import re
import shutil
from pathlib import Path

import pytest
from builders import ROOT
from test_cli import qualify

from qualify.app.cli import main
from qualify.tracking.parse import parse_tracking

FIXTURE = ROOT / "tests" / "fixtures" / "adopt" / "repo"
DOCS = "docs/issues/**/*TRACKING.md"  # ISSUE-570 has a second tracking file beside its TRACKING.md
RESULTS = ["--mock-results", "results/mock/*.xml", "--real-results", "results/real/*.xml"]
# What `qualify lint` must still report after --write: coverage the project does not have, not a
# malformed block. ISSUE-459's only test is mock-only upstream (itMockOnly); ISSUE-478's is real-only;
# ISSUE-570's are E2E specs, which the project's mock job does not run.
LINT_GAPS = {
    "docs/issues/ISSUE-459/TRACKING.md": ["no-real-api-coverage"],
    "docs/issues/ISSUE-478/TRACKING.md": ["no-mock-coverage"],
    "docs/issues/ISSUE-570/E2E-OPENAI-FAILURES-TRACKING.md": ["no-mock-coverage"],
}
# The documents that name no test and whose issue no test title mentions: epic #455's checklist and
# #570's release notes.
NO_TEST = {"docs/issues/ISSUE-455/TRACKING.md", "docs/issues/ISSUE-570/TRACKING.md"}


def run(*args: str, cwd: Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["adopt", "--workspace", str(cwd), *args], out, err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def adopted(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The fixture copied, a dry run, then `adopt --write`."""
    work = tmp_path_factory.mktemp("adopt") / "repo"
    shutil.copytree(FIXTURE, work)
    before = {p.relative_to(work).as_posix(): p.read_bytes() for p in work.glob(DOCS)}
    dry = run(DOCS, *RESULTS, cwd=work)
    after_dry = {p.relative_to(work).as_posix(): p.read_bytes() for p in work.glob(DOCS)}
    wrote = run(DOCS, *RESULTS, "--write", cwd=work)
    after = {p.relative_to(work).as_posix(): p.read_bytes() for p in work.glob(DOCS)}
    return {"work": work, "before": before, "dry": dry, "after_dry": after_dry, "wrote": wrote, "after": after}


def inserted(old: bytes, new: bytes) -> bytes:
    """The one chunk `new` adds to `old`; fails unless `new` is `old` with exactly one insertion."""
    start = 0
    while start < len(old) and old[start] == new[start]:
        start += 1
    chunk = new[start : start + len(new) - len(old)]
    assert new[:start] + new[start + len(chunk) :] == old
    return chunk


def test_the_fixture_has_thirteen_documents_and_no_block():
    docs = sorted(p.relative_to(FIXTURE).as_posix() for p in FIXTURE.glob(DOCS))
    assert len(docs) == 13
    for rel in docs:
        read = parse_tracking((FIXTURE / rel).read_text(encoding="utf-8"), rel)
        assert read.defect is None and read.invalid is None, rel


def test_a_dry_run_prints_diffs_and_writes_nothing(adopted):
    code, out, err = adopted["dry"]
    assert code == 0, err
    assert adopted["after_dry"] == adopted["before"]
    assert "--- a/docs/issues/ISSUE-462/TRACKING.md\n+++ b/docs/issues/ISSUE-462/TRACKING.md\n" in out
    assert "nothing written: run again with --write" in out
    assert "Traceback" not in out + err


def test_write_drafts_every_document_that_names_or_has_a_test_and_changes_no_original_byte(adopted):
    code, out, err = adopted["wrote"]
    assert code == 0, err
    before, after = adopted["before"], adopted["after"]
    drafted = {rel for rel in before if after[rel] != before[rel]}
    assert drafted == set(before) - NO_TEST
    for rel in drafted:
        chunk = inserted(before[rel], after[rel]).decode("utf-8")
        assert chunk.count("```yaml qualify\nqualify:\n") == 1 and chunk.count("\n```\n") == 1, rel
        heading, _, rest = after[rel].decode("utf-8").partition("\n")
        assert heading.startswith("# ") and rest.startswith("\n```yaml qualify\n"), rel  # after the first heading
    for rel in NO_TEST:
        assert after[rel] == before[rel]
        assert re.search(rf"{re.escape(rel)}: no test: .* Quote the title of each test", out)
    assert "qualify adopt: 13 TRACKING.md file(s): 11 drafted, 0 already declared, 2 without a test" in out
    assert "written: 11 file(s)" in out


def test_lint_reports_no_invalid_block_only_the_coverage_the_project_lacks(adopted):
    work = adopted["work"]
    files = sorted(rel for rel in adopted["after"] if rel not in NO_TEST)
    r = qualify("lint", *files, cwd=work)
    assert "tracking-invalid" not in r.stdout, r.stdout
    found: dict[str, list[str]] = {}
    warned: dict[str, list[str]] = {}
    for line in r.stdout.splitlines():
        m = re.match(r"(\S+):\d+: (warning: )?([a-z-]+): ", line)
        if m:
            (warned if m.group(2) else found).setdefault(m.group(1), []).append(m.group(3))
    assert found == LINT_GAPS
    # The partner's flow drafted as a sentence (its steps commented out, patterns to fill in): lint
    # says the gate cannot check it until the steps are listed (#19), without counting a problem.
    assert warned == {"docs/issues/ISSUE-462/TRACKING.md": ["scenario-unverified"]}
    assert f"{len(files)} file(s) checked, {sum(map(len, LINT_GAPS.values()))} problem(s)" in r.stdout


def test_check_then_gives_a_verdict_per_defect_instead_of_nothing_to_qualify(adopted, tmp_path):
    work = adopted["work"]
    before = qualify("check", "--workspace", str(FIXTURE), "--tracking", DOCS, *RESULTS, "--mode", "report")
    assert "there is nothing to qualify" in before.stdout
    report = tmp_path / "report.json"
    r = qualify("check", "--workspace", str(work), "--tracking", DOCS, *RESULTS, "--json-report", str(report))
    assert r.returncode == 1, r.stdout + r.stderr
    assert "nothing to qualify" not in r.stdout
    data = json.loads(report.read_text())
    verdicts = {d["issue"]: sorted(p["code"] for p in d["problems"]) for d in data["defects"]}
    assert verdicts == {
        459: ["no-real-api-coverage"],  # its one test is mock-only upstream
        462: [],  # partner scenario (6b E2E) and the reworded regression test both pass
        478: ["no-mock-coverage"],
        480: [],
        544: [],
        554: ["no-real-api-coverage", "test-failed"],  # the logged upstream 504
        555: ["test-failed"],
        560: [],
        561: [],
        570: ["no-mock-coverage"],
        571: [],
    }
    assert sorted(data["not_declared"]) == sorted(NO_TEST)
    # adopt's own summary said the same before anything was written
    dry = adopted["dry"][1]
    assert "qualify check with the drafted blocks: NOT QUALIFIED: 6 problem(s)" in dry
    assert "  #462 (docs/issues/ISSUE-462/TRACKING.md): qualified" in dry
    assert "  #459 (docs/issues/ISSUE-459/TRACKING.md): NOT qualified\n      no-real-api-coverage" in dry


def block_of(adopted, rel: str) -> str:
    return inserted(adopted["before"][rel], adopted["after"][rel]).decode("utf-8")


def test_the_misquoted_title_is_resolved_with_the_docs_words_in_a_comment(adopted):
    block = block_of(adopted, "docs/issues/ISSUE-462/TRACKING.md")
    assert (
        '    # from the doc: "Issue #462: no session.update after output_audio.done until output_text.done" '
        "(line 30; the closest title in the results)\n"
        '    - test: "OpenAI proxy integration (Issue #381) Issue #462: does not send session.update after '
        'output_audio.done until output_text.done (responseInProgress not cleared on audio.done alone)"\n'
    ) in block


def test_the_partners_arrow_chain_becomes_the_scenario_and_its_e2e_test_kind_scenario(adopted):
    rel = "docs/issues/ISSUE-462/TRACKING.md"
    block = block_of(adopted, rel)
    defect = parse_tracking(adopted["after"][rel].decode("utf-8"), rel).defect
    assert defect.partner == "voice-commerce"
    assert defect.scenario == (
        "connect → Settings → one user message → function call → backend HTTP → FunctionCallResponse → API response"
    )
    assert defect.areas == ("proxy",)
    e2e = [e for e in defect.coverage if "6b." in e.test]
    assert [(e.kind, e.jobs, e.file) for e in e2e] == [
        ("scenario", ("real",), "test-app/tests/e2e/openai-proxy-e2e.spec.js")
    ]
    # the steps, as commented list-form lines with TODO patterns (never empty, never match-everything)
    steps = re.findall(r'^  #   - "([^"]+)": "TODO"$', block, re.M)
    assert steps == defect.scenario.split(" → ")


def test_abbreviated_titles_are_written_out_and_issue_folders_with_words_are_read(adopted):
    rel = "docs/issues/epic-546/ISSUE-555-OPENAI-REAL-API-REGRESSION/TRACKING.md"
    block = block_of(adopted, rel)
    assert "  issue: 555  # from the folder name ISSUE-555-OPENAI-REAL-API-REGRESSION\n" in block
    assert '# from the doc: "translates InjectUserMessage … ConversationText" (line 34; the one title' in block
    # a chain that is no partner's flow stays a comment
    assert "\n  # scenario: " in block and "\n  scenario:" not in block


def test_a_second_run_leaves_every_declared_file_alone(adopted):
    work = adopted["work"]
    code, out, _ = run(DOCS, *RESULTS, "--write", cwd=work)
    assert {p.relative_to(work).as_posix(): p.read_bytes() for p in work.glob(DOCS)} == adopted["after"]
    assert "0 drafted, 11 already declared, 2 without a test" in out
    assert code == 1  # nothing could be drafted: the two documents without a test are still without one


# ---------------------------------------------------------------------------------------------
# Documents qualify must leave alone, or survive


def workspace(tmp_path: Path, docs: dict[str, bytes]) -> Path:
    shutil.copytree(FIXTURE / "results", tmp_path / "results")
    for rel, data in docs.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return tmp_path


MISQUOTE = "Issue #462: no session.update after output_audio.done until output_text.done"


def test_documents_it_must_not_touch_and_hostile_ones(tmp_path):
    declared = b"---\nqualify:\n  issue: 480\n  coverage:\n    - test: x\n---\n# Issue #480\n"
    broken = b"# Issue #481\n\n```yaml qualify\nissue: [\n```\n"
    docs = {
        "docs/issues/ISSUE-480/TRACKING.md": declared,
        "docs/issues/ISSUE-481/TRACKING.md": broken,
        "docs/issues/ISSUE-482/TRACKING.md": b"# Issue #482\n" + b"filler line\n" * 100_000,  # over 1 MiB
        "docs/issues/ISSUE-483/TRACKING.md": b"# Issue #483\n\xff\xfe binary \x00\x01",
        "docs/issues/ISSUE-484/TRACKING.md": b"# Issue #484\n\nnul \x00 inside\n",
        # the same issue as a declared one: its tests belong in that file
        "docs/issues/ISSUE-480-again/TRACKING.md": b"# Issue #480\n\nthe test (Issue #480 fix: handler ignores it)\n",
        # CRLF, no final newline, the misquote: drafted, line ends kept
        "docs/issues/ISSUE-462/TRACKING.md": f"# Issue #462\r\n\r\nadded failing test ({MISQUOTE})".encode(),
    }
    ws = workspace(tmp_path, docs)
    code, out, err = run("docs/issues", *RESULTS, "--write", cwd=ws)
    assert code == 0, out + err
    assert "Traceback" not in out + err
    for rel in list(docs)[:6]:
        assert (ws / rel).read_bytes() == docs[rel], rel
    assert "ISSUE-480/TRACKING.md: already declares #480; left as it is" in out
    assert "ISSUE-481/TRACKING.md: has a qualify block or front matter that does not read (line 4)" in out
    assert "ISSUE-482/TRACKING.md: larger than 1048576 bytes" in out
    assert "ISSUE-483/TRACKING.md: not UTF-8 text (line 2)" in out
    assert "ISSUE-484/TRACKING.md: holds NUL bytes" in out
    assert "ISSUE-480-again/TRACKING.md: #480 is already declared by docs/issues/ISSUE-480/TRACKING.md" in out
    new = (ws / "docs/issues/ISSUE-462/TRACKING.md").read_bytes()
    old = docs["docs/issues/ISSUE-462/TRACKING.md"]
    chunk = inserted(old, new)
    assert b"\n" not in chunk.replace(b"\r\n", b"") and not new.endswith(b"\n")
    defect = parse_tracking(new.decode(), "docs/issues/ISSUE-462/TRACKING.md").defect
    assert defect.coverage[0].test.endswith("(responseInProgress not cleared on audio.done alone)")


def test_a_document_without_a_test_gets_no_block_and_says_what_to_add(tmp_path):
    ws = workspace(tmp_path, {"docs/issues/ISSUE-9001/TRACKING.md": b"# Issue #9001\n\nSee `tests/a.test.ts`.\n"})
    code, out, _ = run(*RESULTS, cwd=ws)  # the default glob
    assert code == 1
    assert (
        "docs/issues/ISSUE-9001/TRACKING.md: no test: it quotes no test title, though it names test files "
        "(tests/a.test.ts), and no test title in the results mentions #9001. Quote the title"
    ) in out
    assert (ws / "docs/issues/ISSUE-9001/TRACKING.md").read_bytes() == b"# Issue #9001\n\nSee `tests/a.test.ts`.\n"


def test_a_quoted_title_no_test_has_is_declared_and_said_not_found(tmp_path):
    text = b"# Issue #9002\n\nThe E2E test `9002. the partner flow completes without an error` covers it.\n"
    ws = workspace(tmp_path, {"docs/issues/ISSUE-9002/TRACKING.md": text})
    code, out, _ = run(*RESULTS, "--write", cwd=ws)
    assert code == 0, out
    block = inserted(text, (ws / "docs/issues/ISSUE-9002/TRACKING.md").read_bytes()).decode()
    assert '    - test: "9002. the partner flow completes without an error"  # not in the results\n' in block
    assert "      # jobs: [mock, real]  # where it must pass (left out: both)" in block
    r = qualify("check", "--workspace", str(ws), *RESULTS)
    assert "test-not-found" in r.stdout and r.returncode == 1


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--mock-results", "results/mock/*.xml"], "--real-results required"),
        (["nothing/**/TRACKING.md", *RESULTS], "matched no TRACKING.md"),
        (["--mock-results", "nope/*.xml", "--real-results", "results/real/*.xml"], "matched no file"),
        (["../elsewhere/TRACKING.md", *RESULTS], "which does not exist"),  # typed paths may lie outside
        ([*RESULTS, "--max-file-bytes", "1K"], "over the per-file limit"),
    ],
)
def test_errors_exit_2_with_one_line(tmp_path, args, words):
    ws = workspace(tmp_path, {"docs/issues/ISSUE-1/TRACKING.md": b"# Issue #1\n"})
    code, _, err = run(*args, cwd=ws)
    assert code == 2 and words in err, err
    assert "Traceback" not in err and err.count("\n") == 1


def test_a_closest_title_must_name_the_same_issue_and_hold_most_words():
    from qualify.app.adopt import plausible

    real = (
        "OpenAI proxy integration (Issue #381) Issue #462: does not send session.update after output_audio.done "
        "until output_text.done (responseInProgress not cleared on audio.done alone)"
    )
    assert plausible(MISQUOTE, real)
    assert not plausible(MISQUOTE, real.replace("#462", "#459"))  # another issue's test
    assert not plausible("Issue #462: reconnects after a dropped socket", real)  # the words are not there
    assert plausible("proxy forwards the error", "when upstream sends error, proxy forwards the error")


def test_an_abbreviated_title_stands_for_the_one_name_that_fits_it():
    from qualify.app.adopt import _Elisions
    from qualify.tracking.draft import Quote

    q = Quote("translates InjectUserMessage … ConversationText", 1, False, False, None, "")
    e = _Elisions([((0, 0), q)])
    for name in (
        "suite translates InjectUserMessage to conversation.item.create and output_text.done to ConversationText",
        "suite translates Settings to session.update",  # no fragment
        "suite ConversationText then translates InjectUserMessage",  # fragments out of order
    ):
        e.see(name)
    assert len(e.names[(0, 0)]) == 1


def test_test_names_from_a_real_runner_with_quotes_and_separators_read_back(tmp_path):
    # jest-junit's own output: `doubles "#470" to "#470#470"` under a `parser › tokens` describe.
    runner = ROOT / "tests" / "fixtures" / "runners" / "jest" / "default.xml"
    for job in ("mock", "real"):
        (tmp_path / "results" / job).mkdir(parents=True)
        shutil.copy(runner, tmp_path / "results" / job / "jest.xml")
    doc = tmp_path / "docs/issues/ISSUE-470/TRACKING.md"
    doc.parent.mkdir(parents=True)
    doc.write_bytes(b"# Issue #470: expired cards\n")
    code, out, err = run(*RESULTS, "--write", cwd=tmp_path)
    assert code == 0, out + err
    defect = parse_tracking(doc.read_text(), "docs/issues/ISSUE-470/TRACKING.md").defect
    assert sorted(e.test for e in defect.coverage) == [
        "checkout rejects an expired card (#470)",
        'parser › tokens doubles "#470" to "#470#470"',
    ]
    assert "tracking-invalid" not in qualify("lint", str(doc)).stdout


def test_a_draft_that_does_not_read_back_is_refused_and_nothing_is_written(tmp_path, monkeypatch):
    from qualify.tracking import draft

    real = draft.render_block
    monkeypatch.setattr(draft, "render_block", lambda dr: [*real(dr), "  coverage: [broken"])
    text = f"# Issue #462\n\nadded failing test ({MISQUOTE})\n".encode()
    ws = workspace(tmp_path, {"docs/issues/ISSUE-462/TRACKING.md": text})
    code, out, _ = run(*RESULTS, "--write", cwd=ws)
    assert code == 2
    assert "ISSUE-462/TRACKING.md: the drafted block did not read back (line" in out
    assert "--- a/docs" not in out  # no diff of a block that would not work
    assert (ws / "docs/issues/ISSUE-462/TRACKING.md").read_bytes() == text


def test_a_link_out_of_the_workspace_is_refused(tmp_path):
    outside = tmp_path / "outside"
    (outside / "ISSUE-2").mkdir(parents=True)
    (outside / "ISSUE-2" / "TRACKING.md").write_bytes(b"# Issue #2\n")
    ws = workspace(tmp_path / "ws", {"docs/issues/ISSUE-1/TRACKING.md": b"# Issue #1\n"})
    (ws / "docs/issues/elsewhere").symlink_to(outside, target_is_directory=True)
    code, _, err = run(*RESULTS, cwd=ws)
    assert code == 2 and "outside the workspace" in err, err
    assert (outside / "ISSUE-2" / "TRACKING.md").read_bytes() == b"# Issue #2\n"
