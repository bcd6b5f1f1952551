"""Reading the files a testcase attaches: bounded, text only, never through a link or outside."""

import os
from pathlib import Path

import pytest
from builders import case

from qualify.results import attachments as att
from qualify.results.attachments import AttachmentReader, TraceLoader, refs_in

SECRET = "SECRET-OUTSIDE-7f3a"


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret.log").write_text(SECRET)
    root = tmp_path / "ws"
    (root / "results" / "traces").mkdir(parents=True)
    (root / "results" / "traces" / "flow.log").write_text("line 1\nline 2\n")
    (root / "other").mkdir()
    (root / "other" / "up.log").write_text("from a sibling folder\n")
    return root


def _read(ws: Path, *refs: str, reader: AttachmentReader | None = None):
    reader = reader or AttachmentReader(ws.resolve())
    return reader.read(list(refs), (ws / "results").resolve())


def test_refs_are_whole_lines_of_the_output():
    out = "x\n[[ATTACHMENT|a/b.log]]\n  [[ATTACHMENT|c d.txt]]  \nsay [[ATTACHMENT|not/alone]]\n[[ATTACHMENT|e]]\r\n"
    assert refs_in(out) == ("a/b.log", "c d.txt", "e")
    assert refs_in("[[ATTACHMENT|x]]\n" * 40) == ("x",) * 17  # one more than is read
    assert refs_in("no refs") == ()


def test_relative_paths_start_at_the_results_folder_and_may_climb_inside_the_workspace(ws):
    texts, notes = _read(ws, "traces/flow.log", "../other/up.log")
    assert texts == [("traces/flow.log", "line 1\nline 2\n"), ("../other/up.log", "from a sibling folder\n")]
    assert notes == []


@pytest.mark.parametrize(
    ("ref", "reason"),
    [
        ("../../outside/secret.log", "not read: outside the workspace"),
        ("{outside}/secret.log", "not read: outside the workspace"),
        ("traces/missing.log", "not read: missing"),
        ("traces", "not read: a directory"),
        ("https://ci.example/trace.log", "not read: not a local file (a URL)"),
        ("data:text/plain;base64,eA==", "not read: not a local file (a URL)"),
        ("   ", "not read: empty path"),
        ("a\x00b", "not read: not a usable path"),
        ("x" * 2000, "not read: not a usable path"),
    ],
)
def test_paths_that_are_not_read_say_why_never_what_is_there(ws, ref, reason):
    ref = ref.replace("{outside}", str(ws.parent / "outside"))
    texts, notes = _read(ws, ref)
    assert texts == [] and [n.reason for n in notes] == [reason]
    assert SECRET not in repr(notes)


def test_windows_separators_are_read_as_the_same_relative_path(ws):
    texts, notes = _read(ws, "traces\\flow.log", "..\\..\\outside\\secret.log")
    assert texts == [("traces\\flow.log", "line 1\nline 2\n")]
    assert [n.reason for n in notes] == ["not read: outside the workspace"]


def test_an_absolute_path_inside_the_workspace_is_read(ws):
    texts, notes = _read(ws, str(ws / "results" / "traces" / "flow.log"))
    assert texts and not notes


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="symbolic links")
def test_links_are_never_followed_even_inside_the_workspace(ws):
    traces = ws / "results" / "traces"
    os.symlink(ws.parent / "outside" / "secret.log", traces / "out.log")
    os.symlink(traces / "flow.log", traces / "in.log")
    os.symlink(ws.parent / "outside", ws / "results" / "linkdir")
    os.symlink(traces / "nowhere", traces / "dangling.log")
    texts, notes = _read(ws, "traces/out.log", "traces/in.log", "linkdir/secret.log", "traces/dangling.log")
    assert texts == []
    assert [n.reason for n in notes] == ["not read: a symbolic link (or a path through one)"] * 3 + [
        "not read: a symbolic link (or a path through one)"
    ]
    assert SECRET not in repr(notes)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs")
def test_a_fifo_is_never_opened(ws):
    os.mkfifo(ws / "results" / "traces" / "pipe.log")
    texts, notes = _read(ws, "traces/pipe.log")  # would block forever if it were opened
    assert texts == [] and [n.reason for n in notes] == ["not read: a FIFO"]


def test_binary_files_are_not_read_as_text(ws):
    (ws / "results" / "shot.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    texts, notes = _read(ws, "shot.png")
    assert texts == [] and [n.reason for n in notes] == ["not read: binary (it holds NUL bytes); a trace is text"]


def test_undecodable_bytes_are_replaced(ws):
    (ws / "results" / "latin.log").write_bytes(b"caf\xe9 session.created\n")
    texts, notes = _read(ws, "latin.log")
    assert texts == [("latin.log", "caf\ufffd session.created\n")] and notes == []


def test_a_huge_file_is_read_up_to_one_mib(ws):
    (ws / "results" / "huge.log").write_bytes(b"x" * (att.MAX_ATTACHMENT_BYTES + 100))
    texts, notes = _read(ws, "huge.log")
    assert len(texts[0][1]) == att.MAX_ATTACHMENT_BYTES
    assert [n.reason for n in notes] == ["read up to 1 MiB; the rest was not searched"]


def test_at_most_sixteen_attachments_per_testcase(ws):
    for i in range(20):
        (ws / "results" / f"{i}.log").write_text(f"{i}\n")
    texts, notes = _read(ws, *(f"{i}.log" for i in range(20)))
    assert len(texts) == att.MAX_ATTACHMENTS
    assert [n.reason for n in notes] == ["not read: at most 16 are read per testcase"]


def test_the_same_file_named_twice_is_read_once(ws):
    texts, _ = _read(ws, "traces/flow.log", "./traces/flow.log", "traces/../traces/flow.log")
    assert len(texts) == 1


def test_one_byte_budget_for_the_whole_check(ws):
    reader = AttachmentReader(ws.resolve(), budget=10)
    texts, notes = _read(ws, "traces/flow.log", reader=reader)
    assert texts == [("traces/flow.log", "line 1\nlin")]
    assert notes[0].reason == "read up to 10 bytes (this check's budget); the rest was not searched"
    texts, notes = _read(ws, "../other/up.log", reader=reader)
    assert texts == [] and notes[0].reason == "not read: this check already read 10 bytes of attachments, its limit"


def test_results_outside_the_workspace_are_confined_to_their_own_folder(tmp_path, ws):
    elsewhere = tmp_path / "artifact"
    (elsewhere / "t").mkdir(parents=True)
    (elsewhere / "t" / "a.log").write_text("ok\n")
    reader = AttachmentReader(ws.resolve())
    texts, notes = reader.read(["t/a.log", "../outside/secret.log"], elsewhere.resolve())
    assert texts == [("t/a.log", "ok\n")]
    assert [n.reason for n in notes] == ["not read: outside the folder of these results"]


def test_an_artifacts_results_may_name_any_file_of_that_artifact(tmp_path, ws):
    artifact = tmp_path / "artifacts" / "real"
    (artifact / "reports").mkdir(parents=True)
    (artifact / "test-results").mkdir()
    (artifact / "test-results" / "a.log").write_text("ok\n")
    reader = AttachmentReader(ws.resolve(), elsewhere=(artifact.resolve(),))
    texts, notes = reader.read(
        ["../test-results/a.log", "../../../outside/secret.log"], (artifact / "reports").resolve()
    )
    assert texts == [("../test-results/a.log", "ok\n")]
    assert [n.reason for n in notes] == ["not read: outside the folder of these results"]


def test_the_loader_builds_the_trace_from_output_attachments_and_properties(ws):
    (ws / "results" / "r.xml").write_text("<testsuites/>")
    load = TraceLoader(ws).for_file(ws / "results" / "r.xml")
    c = case(
        "t",
        output="start\n[[ATTACHMENT|traces/flow.log]]\n",
        properties=[("attachment", "../other/up.log"), ("upstream", "real")],
    )
    t = load(c)
    assert t.lines == (
        "start", "[[ATTACHMENT|traces/flow.log]]", "",
        "line 1", "line 2", "",
        "from a sibling folder", "",
        "attachment: ../other/up.log", "upstream: real",
    )  # fmt: skip
    assert t.where(3) == "attachment traces/flow.log line 1"
