"""Every relative link in README.md and docs/*.md points at a file that exists, and at a heading that
exists when it names one (#anchor): the manual is split over several pages, and a moved section must
not leave a dead link behind."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

_FENCE = re.compile(r"^ {0,3}(```|~~~).*?^ {0,3}\1[^\n]*$", re.S | re.M)
_CODE_SPAN = re.compile(r"(`+)(?!`).*?(?<!`)\1(?!`)", re.S)
_LINK = re.compile(r"!?\[(?:[^\]\[]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$", re.M)


def _prose(text: str) -> str:
    """The text outside fenced blocks and code spans (links there are examples, not links)."""
    return _CODE_SPAN.sub("", _FENCE.sub("", text))


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link in a heading keeps its text
    text = re.sub(r"[^\w\- ]", "", text.lower())
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    seen: dict[str, int] = {}
    found: set[str] = set()
    for match in _HEADING.finditer(_FENCE.sub("", path.read_text(encoding="utf-8"))):
        base = slug(match.group(2))
        n = seen.get(base, 0)
        seen[base] = n + 1
        found.add(base if n == 0 else f"{base}-{n}")
    return found


def relative_links(path: Path) -> list[str]:
    targets = _LINK.findall(_prose(path.read_text(encoding="utf-8")))
    return [t for t in targets if not re.match(r"[a-z][a-z0-9+.-]*:", t, re.I)]


def dead_links(path: Path) -> list[str]:
    dead = []
    for target in relative_links(path):
        file_part, _, anchor = target.partition("#")
        dest = (path.parent / file_part).resolve() if file_part else path
        if not dest.exists():
            dead.append(f"{target} (no such file)")
        elif anchor and dest.suffix == ".md" and anchor not in anchors(dest):
            dead.append(f"{target} (no heading #{anchor} in {dest.name})")
    return dead


def test_every_relative_link_in_the_manual_resolves():
    total = sum(len(relative_links(p)) for p in PAGES)
    assert total > 40, f"only {total} relative links found: the link scan itself is broken"
    dead = {str(p.relative_to(ROOT)): d for p in PAGES if (d := dead_links(p))}
    assert not dead, f"dead links: {dead}"


def test_the_checker_sees_a_dead_file_and_a_dead_anchor(tmp_path):
    (tmp_path / "other.md").write_text("# Other page\n\n## Permissions to copy\n\n## Permissions to copy\n")
    page = tmp_path / "page.md"
    page.write_text(
        "# Page\n\n[ok](other.md#permissions-to-copy) [second](other.md#permissions-to-copy-1) [self](#page)\n"
        "[gone](missing.md) [bad anchor](other.md#nope) [web](https://example.com/x)\n"
        "```\n[in a fence](also-missing.md)\n```\n`[in code](nope.md)`\n"
    )
    assert dead_links(page) == ["missing.md (no such file)", "other.md#nope (no heading #nope in other.md)"]


def test_slug_matches_githubs_anchors():
    assert slug("TRACKING.md format") == "trackingmd-format"
    assert slug("Lint, schema, editors, pre-commit") == "lint-schema-editors-pre-commit"
    assert (
        slug("Without Docker: the composite twin (macOS, Windows)") == "without-docker-the-composite-twin-macos-windows"
    )
    assert slug("`error_code` values") == "error_code-values"
