"""Sharded results (#20): a matrix uploads `real-junit-1` … `real-junit-N`; the gate reads every shard
through the loopback REST stand-in, and a missing shard is never qualified, whether the remaining
shards would qualify or not."""

from __future__ import annotations

import io

import pytest
from builders import EXAMPLES
from fake_github import zip_bytes
from test_github_artifacts import COMMIT_TIME, HEAD
from workspace import check, codes, gh_options, workspace

from qualify.app.options import build_settings, parse_shards
from qualify.errors import QualifyError
from qualify.github.artifacts import RunInfo, artifact_names, missing_shards, select_artifacts, shard_findings
from qualify.settings import Naming

REAL = EXAMPLES / "runs/qualified/real"
GO_LOG = EXAMPLES.parent / "tests/fixtures/runners/go/go-test.json"
# Three shards: the Jest file, the Playwright file (the partner scenario), and a third whose tests
# no entry declares: without it the release would still qualify, so only the shard check stops it.


def _traces(folder: str, prefix: str = "") -> dict[str, bytes]:
    """The trace files a recorded XML attaches, as upload-artifact zips them beside it."""
    return {prefix + p.relative_to(REAL).as_posix(): p.read_bytes() for p in (REAL / folder).rglob("*") if p.is_file()}


SHARDS = {
    "real-junit-1": {"jest-junit.xml": (REAL / "jest-junit.xml").read_bytes(), **_traces("traces")},
    "real-junit-2": {
        "e2e/playwright-junit.xml": (REAL / "playwright-junit.xml").read_bytes(),
        **_traces("playwright-results", "e2e/"),
    },
    "real-junit-3": {"go-test.json": GO_LOG.read_bytes(), "trace.zip": b"not results"},
}


def setup(gh, shards=("real-junit-1", "real-junit-2", "real-junit-3"), jobs=3, broken=None, run_conclusion="success"):
    run = gh.add_run(head_sha=HEAD, conclusion=run_conclusion)
    for name in shards:
        gh.add_artifact(run, name, zip_bytes(SHARDS[name]))
    gh.add_artifact(run, "mock-junit", zip_bytes({"x.xml": b"<testsuites/>"}))  # not matched by real-junit-*
    gh.add_job(run, "mock-tests")
    for i in range(1, jobs + 1):
        gh.add_job(run, f"real-api ({i}, linux)", conclusion=(broken or {}).get(i, "success"))
    gh.add_job(run, "lint (py3.11)")  # a one-job "matrix": not counted
    gh.add_commit(HEAD, COMMIT_TIME)
    gh.add_issue(462, labels=("proxy", "partner-reported"))
    return run


def run_check(tmp_path, gh, spec="real-junit-*", shards=None):
    ws = workspace(tmp_path)
    (ws / "results" / "real").rename(ws / "results" / "real-unused")
    run = gh.runs[-1]
    opts = gh_options(
        gh, sha=HEAD, artifacts={"real": spec}, results_run_id=run["id"], shards={"real": shards} if shards else {}
    )
    return check(ws, opts, real_results=[])


def test_every_shard_of_a_pattern_is_read(tmp_path, gh):
    setup(gh)
    code, out, err, report = run_check(tmp_path, gh)
    assert code == 0, out + err
    real = report["results"]["real"]
    assert real["files"] == 3  # jest-junit.xml, playwright-junit.xml, go-test.json (trace.zip is not results)
    sources = {
        tc["source"].split("/")[0]
        for d in report["defects"]
        for e in d["coverage"]
        for tc in e["results"].get("real", {}).get("testcases", [])
    }
    assert sources == {"artifact:real-junit-1", "artifact:real-junit-2"}
    assert any("/jobs" in path for _, path, _ in gh.log)


def test_a_missing_shard_is_not_qualified_even_if_the_rest_would_be(tmp_path, gh):
    setup(gh, shards=("real-junit-1", "real-junit-2"))  # shard 3's job ran, its artifact is gone
    code, out, err, report = run_check(tmp_path, gh)
    assert code == 1, out + err
    assert codes(report) == ["shard-missing"]
    problem = report["problems"][0]
    assert "2 artifact(s) match 'real-junit-*'" in problem["message"] and "real-api ×3" in problem["message"]


def test_shards_input_names_the_missing_shard(tmp_path, gh):
    setup(gh, shards=("real-junit-1", "real-junit-3"))
    code, out, err, report = run_check(tmp_path, gh, shards=3)
    assert code == 1 and "shard-missing" in codes(report), out + err  # and the scenario it held: not found
    (shard,) = [p for p in report["problems"] if p["code"] == "shard-missing"]
    assert "missing: real-junit-2" in shard["message"]
    assert not any("/jobs" in path for _, path, _ in gh.log)  # `shards` given: the jobs are not needed


def test_a_cancelled_shard_job_is_not_trusted(tmp_path, gh):
    setup(gh, broken={2: "cancelled"}, run_conclusion="cancelled")  # it uploaded, maybe partial
    code, out, err, report = run_check(tmp_path, gh)
    assert code == 1 and codes(report) == ["shard-missing"], out + err
    assert "real-api (2, linux) (cancelled)" in report["problems"][0]["message"]


def test_several_plain_names_are_each_required(tmp_path, gh):
    setup(gh, shards=("real-junit-1", "real-junit-2"))
    code, out, err, report = run_check(tmp_path, gh, spec="real-junit-1\nreal-junit-2")
    assert code == 0 and report["results"]["real"]["files"] == 2, out + err
    code, out, err, report = run_check(tmp_path / "b", gh, spec="real-junit-1, real-junit-3")
    assert code == 2 and "artifact real-junit-3 of run" in err and "does not exist" in err


def test_a_pattern_matching_nothing_cannot_be_evaluated(tmp_path, gh):
    setup(gh)
    code, _out, err, _report = run_check(tmp_path, gh, spec="real-xml-*")
    assert code == 2 and "no artifact of run" in err and "matches 'real-xml-*' (none)" in err


def test_without_a_matrix_a_pattern_asks_for_shards(tmp_path, gh):
    setup(gh, jobs=1)
    code, out, err, report = run_check(tmp_path, gh)
    assert code == 1 and codes(report) == ["shard-missing"], out + err
    assert "set `shards: N`" in report["problems"][0]["hint"]
    code, out, err, report = run_check(tmp_path / "b", gh, shards=3)
    assert code == 0, out + err


# ---- the pure parts ------------------------------------------------------------------------------

RUN = RunInfo(7, HEAD, "main", "", "", "completed", "success")


def test_names_patterns_and_missing_numbers():
    assert artifact_names(" a, b\nc-*\n\n") == ["a", "b", "c-*"]
    assert missing_shards(["r-1", "r-3"], 4) == ["r-2", "r-4"]
    assert missing_shards(["r-0", "r-2"], 3) == ["r-1"]
    assert missing_shards(["a", "b"], 3) == []
    listed = [
        {"name": "r-1", "created_at": "1", "id": 1},
        {"name": "r-1", "created_at": "2", "id": 2},  # a re-run: the newest counts
        {"name": "r-2", "expired": True, "id": 3},
        {"name": "other", "id": 4},
    ]
    assert [a["id"] for a in select_artifacts(["r-*"], listed, "run 7")] == [2]
    with pytest.raises(QualifyError, match="only expired ones"):
        select_artifacts(["r-2*"], listed, "run 7")


def test_shard_findings_against_jobs():
    jobs = [{"name": f"e2e ({i})", "status": "completed", "conclusion": "success"} for i in (1, 2)]
    assert shard_findings("real", RUN, "r-*", ["r-1", "r-2"], None, jobs) == []
    assert shard_findings("real", RUN, "r-*", ["r-1"], None, jobs)[0].code == "shard-missing"
    running = [*jobs[:1], {"name": "e2e (2)", "status": "in_progress", "conclusion": None}]
    assert "e2e (2) (in_progress)" in shard_findings("real", RUN, "r-*", ["r-1", "r-2"], None, running)[0].message
    assert shard_findings("real", RUN, "r-*", ["r-1", "r-2"], 2, None) == []


@pytest.mark.parametrize(
    ("text", "artifacts", "want"),
    [
        ("", {"real": "r-*"}, {}),
        ("8", {"real": "r-*"}, {"real": 8}),
        ("4", {"real": "r-*", "mock": "m-*"}, {"real": 4, "mock": 4}),
        ("real=8, mock=2", {"real": "r-*", "mock": "m-*"}, {"real": 8, "mock": 2}),
    ],
)
def test_parse_shards(text, artifacts, want):
    assert parse_shards(text, artifacts, Naming("action")) == want


@pytest.mark.parametrize(
    ("text", "artifacts", "message"),
    [
        ("3", {}, "^--shards counts .* give --real-results-artifact or --mock-results-artifact"),
        ("0", {"real": "r"}, "not a number of shard artifacts"),
        ("staging=2", {"real": "r"}, "names no job"),
        ("mock=2", {"real": "r"}, "the mock results are not read from artifacts"),
    ],
)
def test_parse_shards_refuses(text, artifacts, message):
    with pytest.raises(QualifyError, match=message) as err:
        parse_shards(text, artifacts, Naming("cli"))
    assert err.value.code == "usage"


def test_action_and_cli_take_shards(monkeypatch):
    from qualify.app.action import read_inputs

    env = {
        "INPUT_MOCK-RESULTS": "x.xml",
        "INPUT_REAL-RESULTS-ARTIFACT": "real-junit-*",
        "INPUT_SHARDS": "8",
        "INPUT_RESULTS-RUN-ID": "5",
    }
    source = build_settings(read_inputs(env), {}).artifacts
    assert source.names == {"real": "real-junit-*"} and source.shards == {"real": 8} and source.run_id == 5
    from qualify.app.cli import main

    out, err = io.StringIO(), io.StringIO()
    code = main(["check", "--mock-results", "x.xml", "--real-results-artifact", "r-*", "--shards", "mock=1"], out, err)
    assert code == 2 and "the mock results are not read from artifacts" in err.getvalue()
