"""files.find: our own glob walk. Same answers as glob for plain trees; bounded and confined with links."""

from __future__ import annotations

import glob
import os

import pytest

from qualify.errors import QualifyError
from qualify.workspace import find, output_target, search, searched


def _tree(root, *files):
    for f in files:
        p = root / f
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("<testsuites/>")


@pytest.mark.parametrize(
    "pattern",
    ["**/*.xml", "a/**/*.xml", "**/mock/**/*.xml", "*/b/*.xml", "a/b/c.xml", "**/c.xml", "a/*/*", "?/b/[cd].xml"],
)
def test_plain_trees_match_like_glob(tmp_path, pattern):
    _tree(
        tmp_path,
        "a/b/c.xml",
        "a/b/d.xml",
        "a/mock/x/mock/e.xml",
        "a/mock/f.xml",
        "top.xml",
        ".hidden/h.xml",
        "a/.h.xml",
    )
    expected = sorted(
        {os.path.relpath(p, tmp_path) for p in glob.glob(str(tmp_path / pattern), recursive=True) if os.path.isfile(p)}
    )  # glob lists a file twice when two `**` reach it; find lists each file once
    assert [f.display for f in find([pattern], tmp_path, what="t")] == expected
    assert expected, "the pattern should match something"


def test_links_inside_are_followed_once_and_files_deduplicated(tmp_path):
    _tree(tmp_path, "runs/r.xml")
    os.symlink("runs", tmp_path / "alias")
    os.symlink("..", tmp_path / "runs" / "up")
    found = find(["**/*.xml"], tmp_path, what="t")
    assert [f.display for f in found] == ["alias/r.xml"] or [f.display for f in found] == ["runs/r.xml"]
    assert len(found) == 1 and found[0].size == len("<testsuites/>")


def test_a_wide_link_lattice_ends(tmp_path):
    # Each level links twice to the root: a naive walk meets 2^40 paths before ELOOP stops it.
    _tree(tmp_path, "r.xml")
    for i in range(8):
        d = tmp_path / f"d{i}"
        d.mkdir()
        os.symlink(tmp_path, d / "x")
        os.symlink(tmp_path, d / "y")
    assert [f.display for f in find(["**/*.xml"], tmp_path, what="t")] == ["r.xml"]


def test_link_out_is_refused_unless_allowed(tmp_path):
    ws, out = tmp_path / "ws", tmp_path / "out"
    _tree(out, "o.xml")
    ws.mkdir()
    os.symlink(out, ws / "ext")
    with pytest.raises(QualifyError) as exc:
        find(["**/*.xml"], ws, what="real results")
    assert exc.value.code == "outside-workspace" and "ext, a link to" in str(exc.value)
    assert [f.real for f in find(["**/*.xml"], ws, what="t", allow_outside=True)] == [(out / "o.xml").resolve()]


def test_a_path_the_shell_expanded_is_taken_literally_even_with_glob_characters(tmp_path):
    # bash passes `r/a[1].xml` for an unquoted `r/*.xml`; as a glob it would mean `r/a1.xml`.
    _tree(tmp_path, "r/a[1].xml", "r/a1.xml")
    assert [f.display for f in find(["r/a[1].xml"], tmp_path, what="t")] == ["r/a[1].xml"]
    assert [f.display for f in find(["r/a[12].xml"], tmp_path, what="t")] == ["r/a1.xml"]


def test_a_directory_stands_for_the_files_under_it_only_when_asked(tmp_path):
    _tree(tmp_path, "res/a.xml", "res/deep/b.xml", "res/c.txt", "res/.hidden/d.xml")
    found = search(["res"], tmp_path, what="t", in_directory="**/*.xml")
    assert [f.display for f in found.files] == ["res/a.xml", "res/deep/b.xml"]
    assert found.directories == [("res", 2)]
    assert find(["res"], tmp_path, what="t") == []  # a directory is never a file


def test_typed_paths_outside_bound_the_walk_to_what_was_typed(tmp_path):
    ws, r, secret = tmp_path / "ws", tmp_path / "r", tmp_path / "secret"
    _tree(r, "ok.xml")
    _tree(secret, "s.xml")
    ws.mkdir()
    with pytest.raises(QualifyError, match="points outside the workspace"):
        find([f"{r}/*.xml"], ws, what="t")
    assert [f.real for f in find([f"{r}/*.xml"], ws, what="t", typed_outside=True)] == [(r / "ok.xml").resolve()]
    os.symlink(secret, r / "up")
    with pytest.raises(QualifyError) as exc:
        find([f"{r}/**/*.xml"], ws, what="t", typed_outside=True)
    assert exc.value.code == "outside-workspace"
    assert f"a link to {secret.resolve()} outside the workspace {ws.resolve()} and the directory given, {r}" in str(
        exc.value
    )


def test_a_link_in_the_workspace_stays_refused_when_typed_outside_is_allowed(tmp_path):
    ws, out = tmp_path / "ws", tmp_path / "out"
    _tree(out, "o.xml")
    ws.mkdir()
    os.symlink(out, ws / "linked")
    with pytest.raises(QualifyError, match="starts at linked, a link to"):
        find(["linked/*.xml"], ws, what="t", typed_outside=True)


def test_searched_names_the_directory_each_pattern_starts_from(tmp_path):
    _tree(tmp_path, "ws/real/a.xml")
    ws = tmp_path / "ws"
    assert searched(["nothing/*.xml"], ws) == f"searched {ws}/nothing, which does not exist"
    assert searched([f"{tmp_path}/elsewhere/**/*.xml"], ws) == f"searched {tmp_path}/elsewhere, which does not exist"
    assert searched(["real/*.json"], ws) == f"searched {ws}/real"
    assert searched(["real/b.xml"], ws) == f"no file {ws}/real/b.xml"
    assert searched(["real"], ws, "**/*.xml") == f"searched {ws}/real for **/*.xml"


def test_output_target_confined_refuses_paths_and_links_out(tmp_path):
    ws = tmp_path / "ws"
    ws.mkdir()
    assert output_target("out/r.json", ws, confined=True, what="r") == ws / "out/r.json"
    assert output_target(str(tmp_path / "x.json"), ws, confined=False, what="r") == tmp_path / "x.json"
    for path in (str(tmp_path / "x.json"), "../x.json"):
        with pytest.raises(QualifyError, match="is outside the workspace"):
            output_target(path, ws, confined=True, what="r")
    os.symlink(tmp_path, ws / "up")
    with pytest.raises(QualifyError, match=f"it resolves to {tmp_path}/r.json"):
        output_target("up/r.json", ws, confined=True, what="r")
