"""Results from another run: safe extraction, run lookup, staleness, and the check end to end."""

import datetime as dt
import stat
import zipfile

import pytest
from builders import EXAMPLES
from fake_github import zip_bytes
from workspace import check, codes, gh_options, github, workspace

from qualify.errors import QualifyError
from qualify.github.artifacts import Limits, RunInfo, safe_extract, safe_member_name, staleness

UTC = dt.UTC
HEAD = "c0ffee" + "0" * 34
OLD = "badbad" + "0" * 34
COMMIT_TIME = dt.datetime(2026, 11, 25, 6, 0, tzinfo=UTC)  # before the example runs' timestamps


def _first_result_time() -> dt.datetime:
    """The earliest JUnit timestamp of the example's real job (examples/generate.sh writes them)."""
    from qualify.github.artifacts import junit_timestamps

    return min(t for p in sorted((EXAMPLES / "runs/qualified/real").glob("*.xml")) for t in junit_timestamps(p))


def real_zip(prefix: str = "") -> bytes:
    """The real job's folder as upload-artifact zips it: the XML and the traces it attaches."""
    real = EXAMPLES / "runs/qualified/real"
    files = {f"{prefix}{p.relative_to(real).as_posix()}": p.read_bytes() for p in real.rglob("*") if p.is_file()}
    return zip_bytes({**files, f"{prefix}trace.zip": b"not results"})


def write_zip(tmp_path, entries, *, symlink: str | None = None):
    path = tmp_path / "a.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
        if symlink:
            info = zipfile.ZipInfo(symlink)
            info.create_system = 3
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, "/etc/passwd")
    return path


# ---- safe extraction -----------------------------------------------------------------------------


def test_extracts_the_results_files_as_results_and_other_files_beside_them(tmp_path):
    z = write_zip(
        tmp_path,
        {
            "a.xml": "<x/>",
            "sub/b.XML": "<y/>",
            "r.trx": "<T/>",
            "c.json": "{}",
            "g.jsonl": "{}",
            "shot.png": "png",
            "dir/": "",
        },
    )
    files = safe_extract(z, tmp_path / "out", what="artifact t", prefix="artifact:t")
    assert [d for _, d in files] == [
        "artifact:t/a.xml",
        "artifact:t/c.json",
        "artifact:t/g.jsonl",
        "artifact:t/r.trx",
        "artifact:t/sub/b.XML",
    ]
    # An attachment the results may name (relative to themselves): there for the trace reader.
    assert (tmp_path / "out" / "shot.png").read_bytes() == b"png"


def test_attachments_are_cut_where_the_trace_reader_stops_and_bounded_in_all(tmp_path):
    from qualify.github.artifacts import Limits
    from qualify.results.attachments import MAX_ATTACHMENT_BYTES

    big = "x" * (MAX_ATTACHMENT_BYTES + 5000)
    z = write_zip(tmp_path, {"a.xml": "<x/>", "t/1.log": big, "t/2.log": "y" * 10, "t/3.log": "z" * 10})
    safe_extract(z, tmp_path / "out", what="t", limits=Limits(attachments_bytes=MAX_ATTACHMENT_BYTES + 6))
    # One byte more than is read, so the reader can say the file was cut.
    assert (tmp_path / "out/t/1.log").stat().st_size == MAX_ATTACHMENT_BYTES + 1
    assert (tmp_path / "out/t/2.log").read_text() == "yyyyy"  # the budget ran out in it
    assert not (tmp_path / "out/t/3.log").exists()


@pytest.mark.parametrize("name", ["../evil.xml", "a/../../evil.xml", "/abs.xml", "C:/win.xml", "..\\evil.xml"])
def test_path_escapes_refuse_the_whole_archive(tmp_path, name):
    z = write_zip(tmp_path, {"ok.xml": "<x/>", name: "<x/>"})
    with pytest.raises(QualifyError, match="outside the target directory"):
        safe_extract(z, tmp_path / "out", what="artifact t")
    assert not (tmp_path / "evil.xml").exists()


def test_symlink_entries_are_refused(tmp_path):
    z = write_zip(tmp_path, {"ok.xml": "<x/>"}, symlink="link.xml")
    with pytest.raises(QualifyError, match="symbolic link"):
        safe_extract(z, tmp_path / "out", what="artifact t")


def test_file_count_and_size_limits(tmp_path):
    z = write_zip(tmp_path, {f"{i}.xml": "<x/>" for i in range(5)})
    with pytest.raises(QualifyError, match="5 results files, more than the limit of 4"):
        safe_extract(z, tmp_path / "o1", what="t", limits=Limits(xml_files=4))
    with pytest.raises(QualifyError, match="5 entries, more than the limit of 3"):
        safe_extract(z, tmp_path / "o2", what="t", limits=Limits(entries=3))
    big = write_zip(tmp_path, {"big.xml": "<x>" + "y" * 5000 + "</x>"})
    with pytest.raises(QualifyError, match="over the 1000-byte limit"):
        safe_extract(big, tmp_path / "o3", what="t", limits=Limits(file_bytes=1000, ratio_floor=10**9))


def test_zip_bomb_ratio(tmp_path):
    z = write_zip(tmp_path, {"bomb.xml": "<x>" + "a" * 3_000_000 + "</x>"})
    with pytest.raises(QualifyError, match="refused as a zip bomb"):
        safe_extract(z, tmp_path / "out", what="t")


def test_lying_sizes_are_caught_while_extracting(tmp_path):
    z = write_zip(tmp_path, {"a.xml": "<x>" + "b" * 4000 + "</x>"})
    data = bytearray(z.read_bytes())
    # Patch the declared size in the central directory (offset 24 of its record) to 10 bytes.
    cd = data.rfind(b"PK\x01\x02")
    data[cd + 24 : cd + 28] = (10).to_bytes(4, "little")
    z.write_bytes(bytes(data))
    with pytest.raises(QualifyError, match=r"^t: (cannot extract a.xml|a.xml expands beyond)"):
        safe_extract(z, tmp_path / "out", what="t", limits=Limits(file_bytes=100))


def test_not_a_zip(tmp_path):
    p = tmp_path / "x.zip"
    p.write_bytes(b"<html>")
    with pytest.raises(QualifyError, match="not a readable zip"):
        safe_extract(p, tmp_path / "out", what="t")


def test_safe_member_name():
    assert safe_member_name("a/./b.xml") == "a/b.xml"
    assert safe_member_name("a/b/../c.xml") is None  # `..` anywhere is suspicious enough
    assert safe_member_name("") is None


# ---- staleness (pure) ----------------------------------------------------------------------------

RUN = RunInfo(1, OLD, "main", "2026-11-24T12:00:00Z", "", "completed", "success")


def test_staleness_rules():
    fresh = RunInfo(1, HEAD, "main", "", "", "completed", "success")
    after = {"f.xml": [COMMIT_TIME + dt.timedelta(minutes=5)]}
    before = {"f.xml": [COMMIT_TIME - dt.timedelta(days=1)]}
    assert staleness("real", fresh, HEAD, "identical", COMMIT_TIME, after) == []
    assert staleness("real", RUN, HEAD, "ahead", COMMIT_TIME, after) == []  # a newer run that includes the commit
    assert "does not include" in staleness("real", RUN, HEAD, "behind", COMMIT_TIME, after)[0]
    assert "older than the commit" in staleness("real", fresh, HEAD, "identical", COMMIT_TIME, before)[0]


# ---- end to end against the stand-in ---------------------------------------------------------------


def setup_run(gh, *, sha=HEAD, name="real-junit", data=None, **kw):
    run = gh.add_run(head_sha=sha, **kw)
    gh.add_artifact(run, name, data if data is not None else real_zip("nested/"))
    gh.add_commit(HEAD, COMMIT_TIME)
    gh.add_issue(462, labels=("proxy", "partner-reported"))
    return run


def test_real_results_from_a_run_id_replace_the_local_glob(tmp_path, gh):
    ws = workspace(tmp_path)
    (ws / "results" / "real").rename(ws / "results" / "real-unused")
    run = setup_run(gh)
    opts = gh_options(gh, sha=HEAD, artifacts={"real": "real-junit"}, results_run_id=run["id"])
    code, out, err, report = check(ws, opts, real_results=[])
    assert code == 0, out + err
    assert report["results"]["real"]["files"] == 2 and report["results"]["real"]["testcases"] > 0
    assert gh.storage_log and gh.storage_violations == []


def test_latest_successful_run_of_a_workflow_on_a_branch(tmp_path, gh):
    ws = workspace(tmp_path)
    setup_run(gh, branch="main")
    gh.add_run(head_sha=HEAD, branch="main", conclusion="failure")  # newer but failed: not used
    gh.add_run(head_sha=HEAD, branch="feature")  # other branch: not used
    opts = gh_options(
        gh, sha=HEAD, artifacts={"real": "real-junit"}, results_workflow="real-api.yml", results_branch="main"
    )
    code, out, err, _report = check(ws, opts, real_results=[])
    assert code == 0, out + err
    call = gh.api_calls("GET", r"/actions/workflows/real-api.yml/runs")[0][1]
    assert "branch=main" in call and "status=success" in call


def test_results_of_an_older_commit_are_rejected(tmp_path, gh):
    ws = workspace(tmp_path)
    run = setup_run(gh, sha=OLD)
    gh.ancestry[(HEAD, OLD)] = "behind"
    opts = gh_options(gh, sha=HEAD, artifacts={"real": "real-junit"}, results_run_id=run["id"])
    code, _out, _err, report = check(ws, opts, real_results=[])
    assert code == 1
    assert codes(report) == ["stale-results"]
    assert "does not include the commit under test c0ffee0" in report["problems"][0]["message"]


def test_allow_stale_results_turns_it_into_a_warning(tmp_path, gh):
    ws = workspace(tmp_path)
    run = setup_run(gh, sha=OLD)
    opts = gh_options(
        gh, sha=HEAD, artifacts={"real": "real-junit"}, results_run_id=run["id"], allow_stale_results=True
    )
    code, out, err, report = check(ws, opts, real_results=[])
    assert code == 0, out + err
    assert "stale-results" in codes(report, "warnings")


def test_junit_timestamps_older_than_the_commit_are_stale(tmp_path, gh):
    ws = workspace(tmp_path)
    run = setup_run(gh)
    first = _first_result_time()
    assert first > COMMIT_TIME
    gh.add_commit(HEAD, first + dt.timedelta(minutes=16))  # after the results were written
    opts = gh_options(gh, sha=HEAD, artifacts={"real": "real-junit"}, results_run_id=run["id"])
    code, _out, _err, report = check(ws, opts, real_results=[])
    assert code == 1 and codes(report) == ["stale-results"]
    assert f"JUnit timestamp {first:%Y-%m-%dT%H:%M}" in report["problems"][0]["message"]


def test_a_newer_run_that_includes_the_commit_is_fresh(tmp_path, gh):
    ws = workspace(tmp_path)
    newer = "feed" + "0" * 36
    run = setup_run(gh, sha=newer)
    gh.ancestry[(HEAD, newer)] = "ahead"
    opts = gh_options(gh, sha=HEAD, artifacts={"real": "real-junit"}, results_run_id=run["id"])
    code, out, err, _ = check(ws, opts, real_results=[])
    assert code == 0, out + err


def test_without_a_commit_under_test_staleness_cannot_be_checked(tmp_path, gh):
    ws = workspace(tmp_path)
    run = setup_run(gh)
    opts = gh_options(gh, artifacts={"real": "real-junit"}, results_run_id=run["id"])
    code, _, _, report = check(ws, opts, real_results=[])
    assert code == 1 and codes(report) == ["stale-results"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("missing", "artifact real-junit of run .* does not exist"),
        ("expired", "has expired"),
        ("no-xml", "holds no results file"),
        ("escape", "outside the target directory"),
        ("no-actions-permission", "`actions: read`"),
        ("5xx-forever", "HTTP 502"),
    ],
)
def test_artifact_problems_cannot_be_evaluated(tmp_path, gh, change, message):
    ws = workspace(tmp_path)
    data = {"no-xml": zip_bytes({"a.txt": b"x"}), "escape": zip_bytes({"../a.xml": b"<x/>"})}.get(change)
    run = setup_run(gh, name="other" if change == "missing" else "real-junit", data=data)
    if change == "expired":
        gh.artifacts[-1]["expired"] = True
    token = "write-token"
    if change == "no-actions-permission":
        gh.tokens["ghs_issues_only"] = frozenset({"issues:read", "contents:read"})
        token = "ghs_issues_only"
    if change == "5xx-forever":
        from fake_github import server_error

        gh.fail("GET", r"/actions/runs/\d+$", *[server_error(502)] * 10)
    opts = gh_options(gh, token=token, sha=HEAD, artifacts={"real": "real-junit"}, results_run_id=run["id"])
    code, out, err, report = check(ws, opts, real_results=[])
    assert code == 2
    assert report["qualified"] is False
    import re

    assert re.search(message, err), err
    assert token not in out + err + str(report)


def test_artifact_without_a_token(tmp_path):
    ws = workspace(tmp_path)
    code, _, err, _ = check(ws, github(artifacts={"real": "x"}, results_run_id=1), real_results=[])
    assert code == 2 and "needs the GitHub API" in err and "no GitHub token" in err


def test_runs_from_forks_are_not_trusted(tmp_path, gh):
    ws = workspace(tmp_path)
    setup_run(gh)  # ours, older
    fork = gh.add_run(head_sha=HEAD, head_repo="evil/voice")  # newer, on a fork branch also called main
    gh.add_artifact(fork, "real-junit", zip_bytes({"x.xml": b"<testsuites/>"}))
    opts = gh_options(
        gh, sha=HEAD, artifacts={"real": "real-junit"}, results_workflow="real-api.yml", results_branch="main"
    )
    code, out, err, _ = check(ws, opts, real_results=[])
    assert code == 0, out + err  # the fork's empty results were not used
    opts = gh_options(gh, sha=HEAD, artifacts={"real": "real-junit"}, results_run_id=fork["id"])
    code, _, err, _ = check(ws, opts, real_results=[])
    assert code == 2 and "evil/voice" in err and "fork runs are not trusted" in err
