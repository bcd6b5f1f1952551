"""files.find: our own glob walk. Same answers as glob for plain trees; bounded and confined with links."""

from __future__ import annotations

import glob
import os

import pytest

from qualify.errors import QualifyError
from qualify.workspace import find


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
